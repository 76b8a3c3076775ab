//! Load driver: N concurrent students play readiness checks against the real server over HTTP,
//! answering without pause, then the database is checked for lost or duplicated answers.
//!
//!     cargo bench --bench load -- [students=100] [seconds=20] [sqlite|postgres://…] [api|browser] [drill|study] [ceiling]
//!
//! Students play readiness checks, or with `drill` ten-question drills over every area, or with
//! `study` study sessions (Quick 10 through `/api/v1/study/sessions`), to compare answer costs.
//!
//! `api` (the default) answers through the JSON API with bearer tokens; `browser` plays what a
//! browser does: a cookie session from the log-in form, each answer a form POST with its CSRF
//! token, the redirect, and the GET of the next question (latency covers POST and GET).
//! Prints one JSON object: answers, answers_per_s, latency p50/p99 (ms), errors, and the check.
//!
//! `ceiling` then measures, in the same run and on the same database and settings, the ceiling a
//! web service on this stack could reach: a bare actix handler whose only work is one durable
//! insert, driven by the same number of clients for the same time. It runs twice: each insert its
//! own transaction (through the same pool and SQLite writer turn: `ceiling_single_commit_per_s`),
//! then through group commit as answers are (`ceiling_per_s`, `ceiling_p99_ms`, and the answers'
//! `share_of_ceiling` of it).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use palpate::clock::Clock;
use palpate::config::{MailSetting, Settings};
use palpate::domain::accounts::Role;
use palpate::domain::bank::format::Bank;
use palpate::domain::bank::{Difficulty, Item, ItemContent, Level, Status};
use palpate::services::{accounts, bank, passwords};
use palpate::startup::Application;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn synthetic_bank() -> Bank {
    let per_area = [73usize, 79, 92, 99, 112, 106, 99];
    let mut items = vec![];
    for (a, n) in per_area.iter().enumerate() {
        for i in 0..*n {
            let key = (i * 7 + a) % 4;
            items.push(Item {
                id: format!("L{}-{i:03}", a + 1),
                status: Status::Approved,
                content: ItemContent {
                    subarea: format!("{}.A", a + 1),
                    level: Level::Application,
                    difficulty: [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard][i % 3],
                    pillars: vec![],
                    topics: vec!["load".into()],
                    stem: format!("Load-test question {i} in area {}?", a + 1),
                    options: [0, 1, 2, 3].map(|j| format!("Option {j} of {a}-{i}")),
                    key,
                    rationales: [0, 1, 2, 3].map(|j| format!("Rationale {j}")),
                    reference: "load".into(),
                    author: "load".into(),
                    enemies: vec![],
                },
            });
        }
    }
    Bank {
        taxonomy: bank::taxonomy().clone(),
        blueprints: bank::blueprints().to_vec(),
        items,
    }
}

/// The ceiling: a bare actix handler doing one insert, `students` clients posting to it without
/// pause for `seconds`; each insert its own transaction, or (`grouped`) through group commit like
/// the answers of running exams. Returns (requests, wall seconds, sorted latencies in ms).
async fn ceiling(
    state: palpate::services::AppState,
    students: usize,
    seconds: u64,
    grouped: bool,
) -> anyhow::Result<(u64, f64, Vec<f64>)> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    state
        .db(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query(
                "CREATE TABLE IF NOT EXISTS load_ceiling (student BIGINT NOT NULL, n BIGINT NOT NULL)",
            )
            .execute(c)?;
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    async fn insert(
        state: web::Data<palpate::services::AppState>,
        grouped: web::Data<bool>,
        path: web::Path<(i64, i64)>,
    ) -> HttpResponse {
        let (student, n) = path.into_inner();
        let work = move |c: &mut palpate::store::DbConn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!(
                "INSERT INTO load_ceiling (student, n) VALUES ({student}, {n})"
            ))
            .execute(c)?;
            Ok(())
        };
        let r = if **grouped {
            state.tx_grouped(student as u64, work).await
        } else {
            state.tx(work).await
        };
        match r {
            Ok(()) => HttpResponse::Ok().finish(),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }
    let data = web::Data::new(state);
    let grouped = web::Data::new(grouped);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(grouped.clone())
            .route("/ceiling/{student}/{n}", web::post().to(insert))
    })
    .workers(2)
    .bind("127.0.0.1:0")?;
    let port = server.addrs()[0].port();
    let handle = server.run();
    let stop = handle.handle();
    tokio::spawn(handle);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(students)
        .build()?;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = vec![];
    for student in 0..students {
        let (http, done) = (http.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            let mut n = 0;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let r = http
                    .post(format!("http://127.0.0.1:{port}/ceiling/{student}/{n}"))
                    .send()
                    .await;
                if matches!(r, Ok(ref r) if r.status() == 200) {
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    done.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            lat
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await?);
    }
    let wall = started.elapsed().as_secs_f64();
    stop.stop(true).await;
    all.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Ok((done.load(Ordering::Relaxed), wall, all))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn field(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    Some(body[at..at + body[at..].find('"')?].to_string())
}

/// One student in the browser flow until the deadline; returns answer latencies (ms).
async fn browser_student(
    base: String,
    email: String,
    deadline: Instant,
    answers: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
) -> Vec<f64> {
    let mut lat = vec![];
    let Ok(http) = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    else {
        return lat;
    };
    let text = |r: reqwest::Response| async move { r.text().await.unwrap_or_default() };
    let Ok(r) = http.get(format!("{base}/login")).send().await else {
        return lat;
    };
    let csrf = field(&text(r).await, "_csrf").unwrap_or_default();
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", email.as_str()),
            ("password", "load test password"),
            ("_csrf", &csrf),
        ])
        .send()
        .await;
    if !matches!(&r, Ok(r) if r.status() == 303) {
        errors.fetch_add(1, Ordering::Relaxed);
        return lat;
    }
    'exams: while Instant::now() < deadline {
        let Ok(r) = http.get(format!("{base}/exams")).send().await else {
            errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let csrf = field(&text(r).await, "_csrf").unwrap_or_default();
        let r = http
            .post(format!("{base}/exams"))
            .form(&[("program", "readiness"), ("_csrf", &csrf)])
            .send()
            .await;
        let Some(exam) = r
            .ok()
            .filter(|r| r.status() == 303)
            .and_then(|r| r.headers().get("location")?.to_str().ok().map(String::from))
        else {
            errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let Ok(r) = http.get(format!("{base}{exam}")).send().await else {
            errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let mut page = text(r).await;
        while Instant::now() < deadline {
            let (Some(csrf), Some(position), Some(option)) = (
                field(&page, "_csrf"),
                field(&page, "position"),
                field(&page, "option"),
            ) else {
                continue 'exams; // finished: the page is the result
            };
            let t0 = Instant::now();
            let r = http
                .post(format!("{base}{exam}/answer"))
                .form(&[
                    ("position", position.as_str()),
                    ("option", &option),
                    ("_csrf", &csrf),
                ])
                .send()
                .await;
            let Some(next) = r
                .ok()
                .filter(|r| r.status() == 303)
                .and_then(|r| r.headers().get("location")?.to_str().ok().map(String::from))
            else {
                errors.fetch_add(1, Ordering::Relaxed);
                continue 'exams;
            };
            let Ok(r) = http.get(format!("{base}{next}")).send().await else {
                errors.fetch_add(1, Ordering::Relaxed);
                continue 'exams;
            };
            page = text(r).await;
            lat.push(t0.elapsed().as_secs_f64() * 1000.0);
            answers.fetch_add(1, Ordering::Relaxed);
        }
    }
    lat
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let students: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(100);
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let browser = args.iter().any(|a| a == "browser");
    let program: &'static str = if args.iter().any(|a| a == "study") {
        "study"
    } else if args.iter().any(|a| a == "drill") {
        "drill"
    } else {
        "readiness"
    };
    let dir = tempfile::tempdir()?;
    let url = args
        .get(2)
        .filter(|u| u.starts_with("postgres"))
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("load.db").display()));
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: url,
        data_dir: dir.path().to_path_buf(),
        session_key: Some("k".repeat(80)),
        mail: MailSetting::Memory,
        argon2_m_cost: 1024,
        import_bank_on_start: false,
        db_pool_size: 8,
        log: "warn".into(),
        // PALPATE_SQLITE_SYNCHRONOUS=normal measures the cheaper, less durable setting.
        sqlite_synchronous_full: std::env::var("PALPATE_SQLITE_SYNCHRONOUS")
            .map(|v| v != "normal")
            .unwrap_or(true),
        ..Settings::default()
    };
    settings.finish()?;
    let app = Application::build_with_clock(settings, Clock::system()).await?;
    let state = app.state.clone();
    let base = format!("http://127.0.0.1:{}", app.port);
    tokio::spawn(app.run_until_stopped());

    let b = synthetic_bank();
    let now = state.clock.now();
    state
        .db(move |c| bank::import_blocking(c, &b, "load", now))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let hash = passwords::hash_blocking("load test password", 1024)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut tokens = vec![];
    for i in 0..students {
        let (h, email) = (hash.clone(), format!("load{i}@example.com"));
        let id = state
            .db(move |c| {
                accounts::create_verified_blocking(c, &email, "Load", &h, &[Role::Student], now)
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let (_, t) = accounts::create_token(&state, id, "load".into())
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        tokens.push(t);
    }

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(students)
        .build()?;
    let answers = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let exams_done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = vec![];
    for (n, token) in tokens.into_iter().enumerate() {
        if browser {
            tasks.push(tokio::spawn(browser_student(
                base.clone(),
                format!("load{n}@example.com"),
                deadline,
                answers.clone(),
                errors.clone(),
            )));
            continue;
        }
        let (http, base, answers, errors, exams_done) = (
            http.clone(),
            base.clone(),
            answers.clone(),
            errors.clone(),
            exams_done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<f64> = Vec::with_capacity(4096);
            let mut k = n as u64;
            'outer: while Instant::now() < deadline {
                // What each student starts: a readiness check (the default), a ten-question
                // drill over every area, or a study session (Quick 10), to compare their answers.
                let start = match program {
                    "drill" => http.post(format!("{base}/api/v1/exams")).json(
                        &serde_json::json!({"program": "drill", "areas": ["1", "2", "3", "4", "5", "6", "7"], "length": 10}),
                    ),
                    "study" => http
                        .post(format!("{base}/api/v1/study/sessions"))
                        .json(&serde_json::json!({"kind": "quick"})),
                    _ => http
                        .post(format!("{base}/api/v1/exams"))
                        .json(&serde_json::json!({"program": "readiness"})),
                };
                let r = start.bearer_auth(&token).send().await;
                let Ok(r) = r else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                if r.status() != 201 {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let mut s: serde_json::Value = r.json().await.unwrap_or_default();
                let id = s["id"].as_str().unwrap_or_default().to_string();
                while !s["finished"].as_bool().unwrap_or(true) {
                    if Instant::now() >= deadline {
                        break 'outer;
                    }
                    k = k
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let opt = ["A", "B", "C", "D"][(k >> 33) as usize % 4];
                    let t0 = Instant::now();
                    let r = http
                        .post(format!("{base}/api/v1/exams/{id}/answers"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"position": s["position"], "option_id": opt}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status() == 200 => {
                            s = r.json().await.unwrap_or_default();
                            lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                            answers.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                exams_done.fetch_add(1, Ordering::Relaxed);
            }
            lat
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await?);
    }
    let wall = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let recorded: i64 = state
        .db(|c| {
            use diesel::prelude::*;
            use palpate::store::schema::exam_items;
            Ok(exam_items::table
                .filter(exam_items::chosen.is_not_null())
                .count()
                .get_result(c)?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let ok = answers.load(Ordering::Relaxed);
    let mut report = serde_json::json!({
            "students": students,
            "seconds": wall,
            "backend": if state.settings.database_url.starts_with("postgres") { "postgres" } else { "sqlite" },
            "flow": if browser { "browser" } else { "api" },
            "program": if browser { "readiness" } else { program },
            "answers": ok,
            "answers_per_s": ok as f64 / wall,
            "latency_ms_p50": percentile(&all, 0.50),
            "latency_ms_p90": percentile(&all, 0.90),
            "latency_ms_p95": percentile(&all, 0.95),
            "latency_ms_p99": percentile(&all, 0.99),
            "latency_ms_p999": percentile(&all, 0.999),
            "latency_ms_max": all.last().copied().unwrap_or(0.0),
            "errors": errors.load(Ordering::Relaxed),
            "exams_started": exams_done.load(Ordering::Relaxed),
            "answers_recorded_in_db": recorded,
            "lost_or_duplicated": recorded - ok as i64,
    });
    if args.iter().any(|a| a == "ceiling") {
        // The same insert, one commit each, then through group commit as answers are written.
        let (n, secs, lat) = ceiling(state.clone(), students, seconds, false).await?;
        report["ceiling_single_commit_per_s"] = serde_json::json!(n as f64 / secs);
        report["ceiling_single_commit_p99_ms"] = serde_json::json!(percentile(&lat, 0.99));
        let (n, secs, lat) = ceiling(state.clone(), students, seconds, true).await?;
        let per_s = n as f64 / secs;
        report["ceiling_per_s"] = serde_json::json!(per_s);
        report["ceiling_p99_ms"] = serde_json::json!(percentile(&lat, 0.99));
        report["share_of_ceiling"] = serde_json::json!(ok as f64 / wall / per_s);
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
