//! Crash test: the real `palpate` binary serves students answering as fast as they can, is killed
//! with SIGKILL at a random moment, and is started again, round after round. Every answer the
//! server acknowledged (HTTP 200) must be in the database afterwards, with the option the student
//! chose.

use crate::helpers::TestApp;
use palpate::domain::accounts::Role;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 10;
const STUDENTS: usize = 6;

/// One acknowledged answer: exam, position, and whether the student chose the right option.
type Ack = (String, i32, bool);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary on the test's database and waits until it answers `/healthz`.
// The child is returned to the caller, which kills and waits for it; clippy cannot see that.
#[allow(clippy::zombie_processes)]
async fn start_server(app: &TestApp, dir: &std::path::Path, round: usize) -> (Child, String) {
    let port = free_port();
    let log = std::fs::File::create(dir.join(format!("server-{round}.log"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palpate"))
        .arg("serve")
        .current_dir(dir)
        .env("PALPATE_BIND", format!("127.0.0.1:{port}"))
        .env("PALPATE_DATABASE_URL", &app.settings.database_url)
        .env("PALPATE_DATA_DIR", dir)
        .env(
            "PALPATE_SESSION_KEY",
            app.settings.session_key.clone().unwrap(),
        )
        .env("PALPATE_MAIL", "file")
        .env("PALPATE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the palpate binary");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            return (child, base);
        }
        if started.elapsed() > Duration::from_secs(30) {
            // Leave no server behind when failing.
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the server did not start in round {round}: {}",
                std::fs::read_to_string(dir.join(format!("server-{round}.log")))
                    .unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One student for one round: resumes their exam (or starts one) and answers until the server
/// stops answering. Returns the exam they were on, the answers acknowledged, and whether a request
/// was in flight when the server died.
async fn play(
    http: reqwest::Client,
    base: String,
    token: String,
    mut exam: Option<String>,
    seed: u64,
) -> (Option<String>, Vec<Ack>, bool) {
    let mut acks = vec![];
    let mut k = seed;
    loop {
        let state = match &exam {
            Some(id) => {
                http.get(format!("{base}/api/v1/exams/{id}/current"))
                    .bearer_auth(&token)
                    .send()
                    .await
            }
            None => {
                http.post(format!("{base}/api/v1/exams"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"program": "readiness"}))
                    .send()
                    .await
            }
        };
        let Ok(r) = state else {
            return (exam, acks, true);
        };
        assert!(
            r.status().is_success(),
            "reading or starting an exam: {}",
            r.status()
        );
        let Ok(mut s) = r.json::<serde_json::Value>().await else {
            return (exam, acks, true);
        };
        exam = Some(s["id"].as_str().unwrap().to_string());
        while !s["finished"].as_bool().unwrap() {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let right = !(k >> 40).is_multiple_of(3);
            let option = crate::helpers::api_option(&s, if right { "Right" } else { "Wrong" });
            let position = s["position"].as_i64().unwrap() as i32;
            let id = exam.clone().unwrap();
            let r = http
                .post(format!("{base}/api/v1/exams/{id}/answers"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"position": position, "option_id": option}))
                .send()
                .await;
            let Ok(r) = r else {
                return (exam, acks, true);
            };
            if r.status() != 200 {
                // Refused (e.g. the exam was finished meanwhile): read the state again.
                break;
            }
            let Ok(next) = r.json::<serde_json::Value>().await else {
                // The status line arrived but not the body: not an acknowledgement we count.
                return (exam, acks, true);
            };
            acks.push((id, position, right));
            s = next;
        }
        if s["finished"].as_bool().unwrap_or(false) {
            exam = None;
        }
    }
}

async fn killed_servers_lose_no_acknowledged_answer(app: TestApp) {
    app.seed_bank([60; 7]).await;
    let mut tokens = vec![];
    for i in 0..STUDENTS {
        let email = format!("crash{i}@example.com");
        app.user(&email, &[Role::Student]).await;
        tokens.push(app.api_token(&email).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut exams: HashMap<usize, Option<String>> = HashMap::new();
    let mut acks: Vec<Ack> = vec![];
    let mut rounds_killed_in_flight = 0;
    for round in 0..ROUNDS {
        let (mut child, base) = start_server(&app, dir.path(), round).await;
        let tasks: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let exam = exams.get(&n).cloned().flatten();
                tokio::spawn(play(
                    http.clone(),
                    base.clone(),
                    t.clone(),
                    exam,
                    seed ^ ((n as u64 + 1) * 0x9E37_79B9),
                ))
            })
            .collect();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let wait = 300 + (seed >> 33) % 1200;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let mut in_flight = false;
        for (n, t) in tasks.into_iter().enumerate() {
            let (exam, a, cut) = t.await.unwrap();
            exams.insert(n, exam);
            acks.extend(a);
            in_flight |= cut;
        }
        rounds_killed_in_flight += in_flight as usize;
    }

    let checked: Vec<(String, i32, Option<i32>, Option<bool>)> = {
        let keys: Vec<(String, i32)> = acks.iter().map(|(e, p, _)| (e.clone(), *p)).collect();
        app.state
            .db(move |c| {
                use diesel::prelude::*;
                use palpate::store::schema::{exam_items, exams};
                let mut out = vec![];
                for (e, p) in keys {
                    let row: Option<(Option<i32>, Option<bool>)> = exam_items::table
                        .inner_join(exams::table)
                        .filter(exams::public_id.eq(&e))
                        .filter(exam_items::position.eq(p))
                        .select((exam_items::chosen, exam_items::correct))
                        .first(c)
                        .optional()?;
                    let (chosen, correct) = row.unwrap_or((None, None));
                    out.push((e, p, chosen, correct));
                }
                Ok(out)
            })
            .await
            .unwrap()
    };
    let lost: Vec<_> = acks
        .iter()
        .zip(&checked)
        .filter(|((_, _, right), (_, _, chosen, correct))| {
            chosen.is_none() || *correct != Some(*right)
        })
        .collect();
    eprintln!(
        "crash test: {ROUNDS} rounds, {} killed with requests in flight, {} acknowledged answers checked, {} lost",
        rounds_killed_in_flight,
        acks.len(),
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "acknowledged answers lost or changed: {lost:?}"
    );
    assert!(
        acks.len() >= ROUNDS * STUDENTS,
        "too few answers to mean anything: {}",
        acks.len()
    );
    assert!(
        rounds_killed_in_flight >= ROUNDS / 2,
        "the kills should land while students are answering"
    );
}

crate::db_tests!(killed_servers_lose_no_acknowledged_answer);
