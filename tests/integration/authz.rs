//! The authorization matrix, generated from the registered routes: every route (read from the
//! handler attributes in `src/web` that `src/web/mod.rs` and `src/web/api/mod.rs` register) ×
//! anonymous and one user per role, against the access its handler's first check states
//! (`require(Role::…)`, `ctx.user()`, the exam-taker and instructor helpers, an `ApiUser`).
//! A new route joins the matrix by being registered; nobody keeps a list.

use crate::helpers::{Client, PASSWORD, TestApp};
use palpate::domain::accounts::Role;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Access {
    Public,
    SignedIn,
    Role(Role),
    ExamTaker,
}

#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) method: String,
    pub(crate) path: String,
    handler: String,
    access: Access,
    pub(crate) api: bool,
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// `module::handler` names registered with `.service(…)` in a configuration file.
fn registered(file: &str) -> Vec<String> {
    read(file)
        .split(".service(")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .map(|s| s.trim().to_string())
        // `web::scope("…")` is a prefix, not a handler (see [`scope_of`]).
        .filter(|s| {
            s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == ':')
        })
        .collect()
}

/// The prefix a configuration file registers its routes under (`web::scope("/api/v1")`), if any.
fn scope_of(file: &str) -> String {
    let text = read(file);
    text.split("web::scope(\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

fn access_of(body: &str, params: &str) -> Access {
    // The first check in the handler decides.
    let checks = [
        ("require(Role::Admin)", Access::Role(Role::Admin)),
        ("require(Role::Instructor)", Access::Role(Role::Instructor)),
        ("instructor(&user)", Access::Role(Role::Instructor)),
        (
            "require(Role::Practitioner)",
            Access::Role(Role::Practitioner),
        ),
        ("require(Role::Student)", Access::Role(Role::Student)),
        ("taker(&ctx)", Access::ExamTaker),
        ("student(&user)", Access::ExamTaker),
        ("ctx.user()", Access::SignedIn),
        ("account_page(&ctx", Access::SignedIn),
    ];
    let first = checks
        .iter()
        .filter_map(|(pat, a)| body.find(pat).map(|i| (i, *a)))
        .min_by_key(|(i, _)| *i);
    match first {
        Some((_, a)) => a,
        None if params.contains("ApiUser") => Access::SignedIn,
        None => Access::Public,
    }
}

pub(crate) fn routes() -> Vec<Route> {
    let mut registered_names: Vec<(String, bool)> = registered("src/web/mod.rs")
        .into_iter()
        .map(|n| (n, false))
        .collect();
    registered_names.extend(
        registered("src/web/api/mod.rs")
            .into_iter()
            .map(|n| (n, true)),
    );
    let api_scope = scope_of("src/web/api/mod.rs");
    let mut out = Vec::new();
    for (name, api) in registered_names {
        let Some((module, handler)) = name.split_once("::") else {
            continue;
        };
        let file = if api {
            format!("src/web/api/{module}.rs")
        } else if module == "assets" {
            "src/web/assets.rs".to_string()
        } else {
            format!("src/web/pages/{module}.rs")
        };
        let text = read(&file);
        let marker = format!("pub async fn {handler}(");
        let Some(at) = text.find(&marker) else {
            panic!("{name}: handler not found in {file}")
        };
        let attr_start = text[..at].rfind("#[").unwrap();
        let attr = &text[attr_start..at];
        let (method, rest) = attr[2..].split_once("(\"").unwrap();
        let path = rest.split('"').next().unwrap();
        let path = if api {
            format!("{api_scope}{path}")
        } else {
            path.to_string()
        };
        let params_end = text[at..].find(')').unwrap() + at;
        let params = &text[at + marker.len()..params_end];
        let body_end = text[at..]
            .find("\n}\n")
            .map(|e| e + at)
            .unwrap_or(text.len());
        out.push(Route {
            method: method.to_uppercase(),
            path,
            handler: name.clone(),
            access: access_of(&text[at..body_end], params),
            api,
        });
    }
    out
}

/// Path parameters filled with values that exist nowhere: the check must come before any lookup.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('}').unwrap() + i;
        let name = &rest[i + 1..j];
        out.push_str(match name {
            "feed" => "999999-0000",
            "filename" | "tail" => "site.css",
            "position" => "1",
            n if n.contains("id") => "999999",
            _ => "NOPE",
        });
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    out
}

fn allowed(access: Access, who: Option<Role>) -> bool {
    match (access, who) {
        (Access::Public, _) => true,
        (_, None) => false,
        (Access::SignedIn, Some(_)) => true,
        (Access::Role(r), Some(w)) => r == w,
        (Access::ExamTaker, Some(w)) => matches!(w, Role::Student | Role::Practitioner),
    }
}

async fn web_client(app: &TestApp, who: Option<(Role, &str)>) -> Client {
    let c = app.client();
    if let Some((_, email)) = who {
        assert_eq!(c.login(email, PASSWORD).await.status(), 303);
    }
    c
}

#[tokio::test]
async fn every_route_checks_who_may_use_it() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    let users = [
        (Role::Student, "s@example.com"),
        (Role::Practitioner, "p@example.com"),
        (Role::Instructor, "i@example.com"),
        (Role::Admin, "a@example.com"),
    ];
    for (r, e) in users {
        app.user(e, &[r]).await;
    }
    let all = routes();
    assert!(all.len() > 90, "routes read: {}", all.len());
    // One session and one API token per person, renewed after a probe that may end them.
    let mut clients: Vec<Client> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut csrf: Vec<String> = Vec::new();
    for (_, email) in users {
        let c = web_client(&app, Some((Role::Student, email))).await;
        csrf.push(c.get("/account").await.csrf());
        clients.push(c);
        tokens.push(app.api_token(email).await);
    }
    let anon = app.client();
    let mut anon_csrf = anon.get("/login").await.csrf();
    let mut cells = 0;
    let mut failures = Vec::new();
    for route in &all {
        if route.path.contains("openapi") || route.handler.starts_with("assets::") {
            continue;
        }
        let url = concrete(&route.path);
        for who in 0..=users.len() {
            let role = (who > 0).then(|| users[who - 1].0);
            let status = if route.api {
                let mut req = reqwest::Client::new()
                    .request(route.method.parse().unwrap(), format!("{}{url}", app.addr));
                if who > 0 {
                    req = req.bearer_auth(&tokens[who - 1]);
                }
                if route.method != "GET" {
                    req = req.json(&serde_json::json!({}));
                }
                req.send().await.unwrap().status().as_u16()
            } else {
                let c = if who > 0 { &clients[who - 1] } else { &anon };
                if route.method == "GET" {
                    c.get(&url).await.status
                } else {
                    // A valid CSRF token, so that only authorization decides.
                    let token = if who > 0 {
                        csrf[who - 1].clone()
                    } else {
                        anon_csrf.clone()
                    };
                    c.http
                        .request(
                            route.method.parse().unwrap(),
                            format!("{}{url}?_csrf={token}", c.base),
                        )
                        .form(&[("_csrf", token.as_str())])
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                }
            };
            if who == 0 && route.method != "GET" {
                // Some public forms (log-out, log-in) start a new session: a fresh token.
                anon_csrf = anon.get("/login").await.csrf();
            }
            if who > 0
                && ["/logout", "/account/sessions/end", "/account/password"]
                    .contains(&route.path.as_str())
            {
                let (_, email) = users[who - 1];
                clients[who - 1] = web_client(&app, Some((Role::Student, email))).await;
                csrf[who - 1] = clients[who - 1].get("/account").await.csrf();
                tokens[who - 1] = app.api_token(email).await;
            }
            cells += 1;
            // Refused: 401/403, a GET redirected to log in, or a body the extractors rejected
            // before the handler ran (400: nothing was done, nothing was shown).
            let refused = match (route.api, role) {
                (true, None) => status == 401 || status == 400,
                (false, None) => {
                    status == 401 || status == 400 || (status == 303 && route.method == "GET")
                }
                (_, Some(_)) => status == 403 || status == 400,
            };
            let ok = if allowed(route.access, role) {
                status != 401 && status != 403 && status < 500
            } else {
                refused
            };
            if !ok {
                failures.push(format!(
                    "{} {} ({:?}) as {:?}: {status}",
                    route.method, route.path, route.access, role
                ));
            }
        }
    }
    eprintln!("authorization matrix: {} routes, {cells} cells", all.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The first id `x` in a page that appears as `{before}x{after}` (x without slashes or quotes).
fn id_in(body: &str, before: &str, after: &str) -> String {
    crate::helpers::id_between(body, before, after)
}

/// Where a route's path names something: whose it is. `Some(kind)` for one person's own things
/// (the route must refuse another user of the same role); `None` for things a role shares or a
/// capability address, with the reason.
fn owner_kind(path: &str) -> Result<&'static str, &'static str> {
    let kinds = [
        ("/exams/{id}", "exam"),
        ("/api/v1/exams/{id}", "exam"),
        ("/account/tokens/{id}", "token"),
        ("/api/v1/tokens/{id}", "token"),
        ("/ce/credentials/{id}", "credential"),
        ("/ce/activities/{id}", "activity"),
        ("/ce/items/{id}", "ce item"),
        ("/programs/{id}", "program"),
        ("/classes/assignments/{id}", "assignment"),
        ("/classes/{id}/me", "class membership"),
        ("/classes/{id}/leave", "class membership"),
        ("/classes/{id}", "class"),
        ("/api/v1/classes/{id}/me", "class membership"),
        ("/api/v1/classes/{id}", "class"),
        ("/bank/imports/{id}", "import"),
        ("/api/v1/bank/imports/{id}", "import"),
    ];
    let shared = [
        ("/admin/", "administrators share the administration"),
        ("/classes/join/", "anyone with the invite code may join"),
        ("/bank/", "instructors review each other's items"),
        ("/api/v1/bank/", "instructors review each other's items"),
        ("/ce/rules/", "public"),
        ("/therapists/", "public directory profiles"),
        ("/api/v1/therapists/", "public directory profiles"),
        ("/ce/courses/", "every practitioner may take a course"),
        ("/certificates/", "public verification page"),
        ("/questions/", "any exam taker may report a question"),
        (
            "/study/flashcards/",
            "shared decks: each taker rates only their own cards (study tests)",
        ),
        (
            "/api/v1/study/flashcards/",
            "shared decks: each taker rates only their own cards (study tests)",
        ),
        (
            "/api/v1/study/items/",
            "a bank question: each taker flags and rates only their own card (study tests)",
        ),
        (
            "/study/items/",
            "a bank question: each taker flags and rates only their own card (study tests)",
        ),
        ("/static/", "public"),
        (
            "/ce/calendar/",
            "capability address: checked by the calendar tests",
        ),
        (
            "/study/calendar/",
            "capability address: checked by the study calendar test",
        ),
        (
            "/ce/certificates/",
            "course certificates: checked by ce_courses_issue_verifiable_certificates",
        ),
    ];
    if let Some((_, k)) = kinds.iter().find(|(p, _)| path.starts_with(p)) {
        return Ok(k);
    }
    match shared.iter().find(|(p, _)| path.starts_with(p)) {
        Some((_, why)) => Err(why),
        None => panic!("{path}: say whose thing this route names (authz.rs, owner_kind)"),
    }
}

/// The second dimension of the matrix: every registered route whose path names one person's own
/// thing is probed, with a real id, by another user of the same role (refused, nothing changed)
/// and then by the owner (allowed, so the refusal meant something).
#[tokio::test]
async fn another_user_of_the_same_role_is_refused() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    app.seed_bank([30; 7]).await;
    let pair = |role: Role, a: &'static str, b: &'static str| {
        let app = &app;
        async move {
            (
                app.logged_in(a, &[role]).await,
                app.logged_in(b, &[role]).await,
            )
        }
    };
    let students = pair(Role::Student, "s1@example.com", "s2@example.com").await;
    let practitioners = pair(Role::Practitioner, "p1@example.com", "p2@example.com").await;
    let instructors = pair(Role::Instructor, "i1@example.com", "i2@example.com").await;
    let api = (
        app.api_token("s1@example.com").await,
        app.api_token("s2@example.com").await,
    );
    let instructor_api = (
        app.api_token("i1@example.com").await,
        app.api_token("i2@example.com").await,
    );
    // The API tokens of a kind's owner and of the other user.
    let tokens_for = |kind: &str| {
        if matches!(kind, "import" | "class" | "assignment") {
            (&instructor_api.0, &instructor_api.1)
        } else {
            (&api.0, &api.1)
        }
    };

    // The owners' things, made through the site.
    let r = students
        .0
        .submit("/exams", "/exams", &[("program", "readiness")])
        .await;
    let exam = r
        .location
        .unwrap()
        .trim_start_matches("/exams/")
        .to_string();
    let r = students
        .0
        .submit("/account", "/account/tokens", &[("name", "phone")])
        .await;
    assert!(r.status() < 400, "token: {}", r.status());
    let token = id_in(
        &students.0.get("/account").await.body,
        "/account/tokens/",
        "/revoke",
    );
    let p1 = &practitioners.0;
    let r = p1
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "ncbtmb-bctmb"), ("issued_on", "2025-06-01")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = crate::helpers::upload(
        p1,
        &[
            ("title", "Ethics for massage therapists"),
            ("completed_on", "2026-05-02"),
            ("delivery", "live_online"),
            ("hours", "3"),
            ("unit", "hour"),
            ("topic_ethics", "3"),
        ],
        Some(("cert.pdf", b"%PDF-1.4\n%%EOF\n".to_vec())),
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = p1
        .submit(
            "/ce",
            "/ce/items",
            &[
                ("kind", "cpr_bls"),
                ("valid_from", "2026-01-01"),
                ("valid_to", "2027-12-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let ce = p1.get("/ce").await.body;
    let credential = id_in(&ce, "/ce/credentials/", "/remove");
    let activity = id_in(&ce, "/ce/activities/", "/remove");
    let ce_item = id_in(&ce, "/ce/items/", "/remove");
    let r = instructors
        .0
        .submit(
            "/programs",
            "/programs",
            &[
                ("name", "Week 6 quiz"),
                ("areas", "3"),
                ("length", "10"),
                ("minutes", "15"),
            ],
        )
        .await;
    assert!(r.status() < 400, "program: {}", r.status());
    let program = id_in(
        &instructors.0.get("/programs").await.body,
        "/programs/",
        "/archive",
    );

    // A class of instructor 0 with an assignment, joined by student 0; an import of instructor 0.
    let teacher = &instructors.0;
    let r = teacher
        .submit(
            "/classes",
            "/classes",
            &[
                ("name", "Cohort A"),
                ("term", "Spring"),
                ("exam_target", "mblex"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "class");
    let class = r
        .location
        .unwrap()
        .trim_start_matches("/classes/")
        .to_string();
    let page = teacher.get(&format!("/classes/{class}")).await;
    let code = page
        .body
        .split("<strong class=\"code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let r = students
        .0
        .submit("/classes", "/classes/join", &[("code", &code)])
        .await;
    assert_eq!(r.status(), 303, "join");
    let r = teacher
        .submit(
            &format!("/classes/{class}"),
            &format!("/classes/{class}/assignments"),
            &[
                ("kind", "readiness"),
                ("opens_on", "2026-01-01"),
                ("due_on", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "assignment");
    let assignment = id_in(
        &teacher.get(&format!("/classes/{class}")).await.body,
        "/classes/assignments/",
        "\"",
    );
    let r = crate::helpers::upload_to(
        teacher,
        "/bank/import",
        "/bank/import",
        &[("format", "aiken")],
        Some((
            "file",
            "q.txt",
            b"Which?\nA. a\nB. b\nC. c\nD. d\nANSWER: B\n".to_vec(),
        )),
    )
    .await;
    assert_eq!(r.status(), 303, "import: {}", r.body);
    let import = r
        .location
        .unwrap()
        .trim_start_matches("/bank/imports/")
        .to_string();

    let mut cells = 0;
    let mut failures = vec![];
    let mut owner_gets = vec![];
    let mut shared = 0;
    let mut probes = vec![];
    for route in routes() {
        if !route.path.contains('{') {
            continue;
        }
        match owner_kind(&route.path) {
            Ok(kind) => probes.push((route, kind)),
            Err(_) => shared += 1,
        }
    }
    // Changes first, while the exam is in progress; then the owner answers a question and ends
    // the exam, so that its result and review exist for the reads.
    probes.sort_by_key(|(r, _)| r.method == "GET");
    let mut exam_ended = false;
    for (route, kind) in probes {
        if route.method == "GET" && !exam_ended {
            let state: serde_json::Value = reqwest::Client::new()
                .get(format!("{}/api/v1/exams/{exam}/current", app.addr))
                .bearer_auth(&api.0)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let r = reqwest::Client::new()
                .post(format!("{}/api/v1/exams/{exam}/answers", app.addr))
                .bearer_auth(&api.0)
                .json(&serde_json::json!({"position": state["position"], "option_id": "A"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "the owner answers");
            let page = format!("/exams/{exam}/end");
            let r = students.0.submit(&page, &page, &[]).await;
            assert_eq!(r.status(), 303, "the owner ends the exam");
            exam_ended = true;
        }
        let (id, (owner, other)) = match kind {
            "exam" => (&exam, (&students.0, &students.1)),
            "token" => (&token, (&students.0, &students.1)),
            "credential" => (&credential, (&practitioners.0, &practitioners.1)),
            "activity" => (&activity, (&practitioners.0, &practitioners.1)),
            "ce item" => (&ce_item, (&practitioners.0, &practitioners.1)),
            "class" => (&class, (&instructors.0, &instructors.1)),
            "assignment" => (&assignment, (&instructors.0, &instructors.1)),
            "class membership" => (&class, (&students.0, &students.1)),
            "import" => (&import, (&instructors.0, &instructors.1)),
            _ => (&program, (&instructors.0, &instructors.1)),
        };
        let url = route.path.replace("{id}", id).replace("{position}", "1");
        let (owner_token, other_token) = tokens_for(kind);
        let status = if route.api {
            let token = other_token;
            let req = reqwest::Client::new()
                .request(route.method.parse().unwrap(), format!("{}{url}", app.addr))
                .bearer_auth(token)
                .json(&serde_json::json!({"position": 1, "option_id": "A"}));
            req.send().await.unwrap().status().as_u16()
        } else if route.method == "GET" {
            other.get(&url).await.status
        } else {
            let token = other.get("/account").await.csrf();
            other
                .post_raw(
                    &format!("{url}?_csrf={token}"),
                    &[
                        ("_csrf", token.as_str()),
                        ("position", "1"),
                        ("option", "A"),
                        ("cycle_start", "2026-01-01"),
                        ("cycle_end", "2027-12-31"),
                        ("deadline", "2027-12-31"),
                    ],
                )
                .await
                .status
        };
        cells += 1;
        if status != 403 && status != 404 {
            failures.push(format!(
                "{} {} as another user with the {kind} owner's role: {status}",
                route.method, route.path
            ));
        }
        if route.method == "GET" {
            owner_gets.push((route.api, url, owner, owner_token));
        }
    }
    // The owners still reach every thing: the ids were real and nothing was removed or changed.
    for (is_api, url, owner, owner_token) in owner_gets {
        let status = if is_api {
            reqwest::Client::new()
                .get(format!("{}{url}", app.addr))
                .bearer_auth(owner_token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        } else {
            owner.get(&url).await.status
        };
        cells += 1;
        if [401, 403, 404].contains(&status) || status >= 500 {
            failures.push(format!("GET {url} as its owner: {status}"));
        }
    }
    eprintln!(
        "authorization matrix, same role: {cells} cells ({shared} routes with ids shared within a role)"
    );
    assert!(cells > 20, "cells: {cells}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
