//! Defects found by outside reviews (issue 10), each checked from the outside: redirects after
//! log-in, flash messages that cannot overflow the cookie, headers on private files, the calendar
//! feed address, admin search, empty uploads.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp, upload};
use palpate::domain::accounts::Role;

async fn next_after_login_stays_on_this_site(app: TestApp) {
    app.user("ana@example.com", &[Role::Student]).await;
    for (next, expected) in [
        ("/\t/evil.example", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("/exams\r\nSet-Cookie: x=1", "/examsSet-Cookie:%20x=1"),
        ("/ce", "/ce"),
    ] {
        let c = app.client();
        let r = c
            .submit(
                "/login",
                "/login",
                &[
                    ("email", "ana@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{next:?}");
        assert_eq!(r.location.as_deref(), Some(expected), "{next:?}");
    }
    // CR or LF in the query string: the log-in page, not a server error
    let r = app
        .client()
        .get("/login?next=%2Fx%0D%0ALocation:%20//evil")
        .await;
    assert_eq!(r.status, 200);
}

async fn flashes_cannot_overflow_the_cookie(app: TestApp) {
    let c = app.logged_in("ana@example.com", &[Role::Student]).await;
    let token = c.get("/exams").await.csrf();
    // 40 failed starts with a 4,000-character program name each, never following the redirect
    for i in 0..40 {
        let name = format!("{i}{}", "x".repeat(4000));
        let r = c
            .post_raw(
                "/exams",
                &[("program", name.as_str()), ("_csrf", token.as_str())],
            )
            .await;
        assert!(r.status < 500, "post {i}: {}", r.status);
    }
    let page = c.get("/exams").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.matches("flash-error").count() <= 3,
        "at most three messages at once"
    );
    assert!(!page.body.contains(&"x".repeat(400)), "long echoes are cut");
}

async fn private_files_are_not_cached_and_the_calendar_address_can_be_replaced(app: TestApp) {
    let c = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let r = c
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "ncbtmb-bctmb"), ("issued_on", "2025-06-01")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = c.get("/ce").await;
    let feed = page
        .body
        .split("/ce/calendar/")
        .nth(1)
        .and_then(|s| s.split(".ics").next())
        .unwrap()
        .to_string();
    let anon = reqwest::Client::new();
    let url = format!("{}/ce/calendar/{feed}.ics", app.addr);
    let r = anon.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "private, no-store"
    );
    let reset = c.submit("/ce", "/ce/calendar/reset", &[]).await;
    assert_eq!(reset.status, 303);
    assert_eq!(
        anon.get(&url).send().await.unwrap().status().as_u16(),
        404,
        "the old address stops working"
    );
    let page = c.get("/ce").await;
    page.assert_contains("new address");
    assert!(!page.body.contains(&feed));
    // transcripts are private too
    let cred = page
        .body
        .split("/transcript.csv")
        .next()
        .unwrap()
        .rsplit("/ce/credentials/")
        .next()
        .unwrap()
        .to_string();
    let r = c
        .http
        .get(format!("{}/ce/credentials/{cred}/transcript.csv", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "private, no-store"
    );
    // no HSTS over plain HTTP (the test server does not set PALPATE_COOKIE_SECURE)
    assert!(r.headers().get("strict-transport-security").is_none());
}

async fn admin_search_takes_wildcards_literally(app: TestApp) {
    app.user("jo_smith@example.com", &[Role::Student]).await;
    app.user("joXsmith@example.com", &[Role::Student]).await;
    app.user("pct%user@example.com", &[Role::Student]).await;
    let admin = app.logged_in("root@example.com", &[Role::Admin]).await;
    let r = admin.get("/admin/users?q=jo_smith").await;
    r.assert_contains("jo_smith@example.com");
    assert!(
        !r.body.contains("joXsmith@example.com"),
        "`_` is not a wildcard"
    );
    let r = admin.get("/admin/users?q=%25").await;
    r.assert_contains("pct%user@example.com");
    assert!(
        !r.body.contains("jo_smith@example.com"),
        "`%` is not a wildcard"
    );
}

async fn an_empty_certificate_file_is_refused(app: TestApp) {
    let c = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let fields = [
        ("title", "Ethics"),
        ("completed_on", "2025-05-02"),
        ("delivery", "live_online"),
        ("hours", "2"),
        ("unit", "hour"),
        ("topic_ethics", "2"),
    ];
    let r = upload(&c, &fields, Some(("empty.pdf", vec![]))).await;
    assert_eq!(r.status, 422, "{}", r.body);
    r.assert_contains("The file you chose is empty");
    r.assert_contains("id=\"certificate-error\"");
    r.assert_contains("Ethics");
}

db_tests!(
    next_after_login_stays_on_this_site,
    flashes_cannot_overflow_the_cookie,
    private_files_are_not_cached_and_the_calendar_address_can_be_replaced,
    admin_search_takes_wildcards_literally,
    an_empty_certificate_file_is_refused,
);
