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
struct Route {
    method: String,
    path: String,
    handler: String,
    access: Access,
    api: bool,
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
        .collect()
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

fn routes() -> Vec<Route> {
    let mut registered_names: Vec<(String, bool)> = registered("src/web/mod.rs")
        .into_iter()
        .map(|n| (n, false))
        .collect();
    registered_names.extend(
        registered("src/web/api/mod.rs")
            .into_iter()
            .map(|n| (n, true)),
    );
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
        let path = rest.split('"').next().unwrap().to_string();
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
