//! The JSON API: token life cycle, error shape, OpenAPI document.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp};
use palpate::domain::accounts::Role;
use serde_json::{Value, json};

async fn api_token_life_cycle(app: TestApp) {
    app.user("api@example.com", &[Role::Student, Role::Instructor])
        .await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.addr);

    let r = http
        .post(url("/api/v1/tokens"))
        .json(&json!({"email": "api@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    let r = http
        .post(url("/api/v1/tokens"))
        .json(&json!({"email": "api@example.com", "password": PASSWORD, "name": "laptop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_i64().unwrap();

    let me: Value = http
        .get(url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "api@example.com");
    assert_eq!(me["roles"], json!(["student", "instructor"]));

    let list: Value = http
        .get(url("/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(list["tokens"][0]["name"], "laptop");
    assert!(
        !list.to_string().contains(&token),
        "the secret is never listed"
    );

    let r = http
        .delete(url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http
        .get(url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);

    // No token at all, unknown routes and bad bodies all answer in the same JSON shape.
    let r = http.get(url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http.get(url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let r = http
        .post(url("/api/v1/tokens"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "bad_request"
    );
}

async fn tokens_from_the_account_page(app: TestApp) {
    let c = app
        .logged_in("page@example.com", &[Role::Practitioner])
        .await;
    let r = c
        .submit("/account", "/account/tokens", &[("name", "phone")])
        .await;
    assert_eq!(r.status(), 200);
    r.assert_contains("Copy it now");
    let marker = "<code class=\"secret\">";
    let start = r.body.find(marker).unwrap() + marker.len();
    let secret = r.body[start..].split('<').next().unwrap().to_string();
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/api/v1/me", app.addr))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The account page lists it without the secret, and can revoke it.
    let page = c.get("/account").await;
    page.assert_contains("phone");
    assert!(!page.body.contains(&secret));
    let id = page
        .body
        .split("/account/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .submit("/account", &format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let r = http
        .get(format!("{}/api/v1/me", app.addr))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn openapi_document_lists_the_api(app: TestApp) {
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/me",
        "/api/v1/openapi.json",
        "/api/v1/bank/items",
        "/api/v1/bank/items/{id}",
        "/api/v1/bank/items/{id}/transitions",
        "/api/v1/bank/stats",
        "/api/v1/exams",
        "/api/v1/ce/credentials",
        "/api/v1/ce/activities",
        "/api/v1/ce/evaluation",
        "/api/v1/exams/{id}/current",
        "/api/v1/exams/{id}/answers",
        "/api/v1/exams/{id}/result",
        "/api/v1/exams/{id}/review",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/tokens"].get("post").is_some());
    assert!(doc["paths"]["/api/v1/tokens/{id}"].get("delete").is_some());
}

db_tests!(
    api_token_life_cycle,
    tokens_from_the_account_page,
    openapi_document_lists_the_api
);
