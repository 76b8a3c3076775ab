//! The site as a whole: layout, error pages, headers, health probes, static files.

use crate::db_tests;
use crate::helpers::TestApp;

async fn home_page_explains_the_product(app: TestApp) {
    let c = app.client();
    let home = c.get("/").await;
    assert_eq!(home.status(), 200);
    for text in [
        "Students",
        "Certified therapists",
        "Instructors",
        "href=\"/signup\"",
        "href=\"/login\"",
        "name=\"viewport\"",
    ] {
        home.assert_contains(text);
    }
    let resp = reqwest::get(format!("{}/", app.addr)).await.unwrap();
    let h = resp.headers();
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert!(h.get("referrer-policy").is_some());
}

async fn error_pages_use_the_layout(app: TestApp) {
    let c = app.client();
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    r.assert_contains("Page not found");
    r.assert_contains("class=\"site-header\"");
    r.assert_contains("class=\"site-footer\"");
    let r = c.get("/admin/users/not-a-number").await;
    assert_eq!(r.status(), 404);
}

async fn health_probes_answer(app: TestApp) {
    let r = reqwest::get(format!("{}/healthz", app.addr)).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = reqwest::get(format!("{}/readyz", app.addr)).await.unwrap();
    assert_eq!(r.status(), 200);
    let v = r.json::<serde_json::Value>().await.unwrap();
    assert_eq!(v["database"], "ok");
    assert!(
        v["details"]["disk_free_bytes"].as_u64().unwrap_or(0) > 0,
        "{v}"
    );
    // A database that answers but refuses writes is not ready.
    app.state
        .db(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query("DROP TABLE readiness_probe").execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let r = reqwest::get(format!("{}/readyz", app.addr)).await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["database"],
        "not writable"
    );
    let css = reqwest::get(format!("{}/static/site.css", app.addr))
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

db_tests!(
    home_page_explains_the_product,
    error_pages_use_the_layout,
    health_probes_answer
);
