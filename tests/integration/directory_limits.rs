//! The directory's limits: searches per address, messages per therapist per day, and the storage
//! each account has for documents (each test with its own settings).

use super::directory::{profile, publish, save, send_document};
use crate::helpers::TestApp;
use palpate::config::RateLimits;
use palpate::domain::accounts::Role;

/// A server on SQLite with these limits.
async fn app_with(limits: impl FnOnce(&mut RateLimits)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut settings = crate::helpers::test_settings(dir.path(), url);
    limits(&mut settings.rate_limits);
    TestApp::spawn_with(crate::helpers::Db::Sqlite, settings, dir).await
}

/// The public search is limited per address (counted in memory; a search never writes).
#[tokio::test]
async fn public_search_is_limited_per_address() {
    let app = app_with(|l| {
        l.search_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        let r = reqwest::get(format!("{}/api/v1/therapists?place=78701", app.addr))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = reqwest::get(format!("{}/api/v1/therapists?place=78701", app.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    let page = app.client().get("/therapists").await;
    assert_eq!(page.status(), 429);
    page.assert_contains("Too many searches from your network");
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(app.client().get("/therapists").await.status(), 200);
}

/// One therapist receives a bounded number of messages a day, whoever sends them.
#[tokio::test]
async fn messages_to_one_profile_are_limited_per_day() {
    let app = app_with(|l| {
        l.contact_per_profile = 2;
        l.contact_per_ip = 100;
    })
    .await;
    let ana = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    save(
        &ana,
        &profile("Ana Ruiz", "Austin", "78701", &["swedish"], &[]),
    )
    .await;
    publish(&ana).await;
    let page = "/therapists/ana-ruiz-austin-tx";
    let action = "/therapists/ana-ruiz-austin-tx/contact";
    for (i, who) in ["a@example.com", "b@example.com", "c@example.com"]
        .iter()
        .enumerate()
    {
        let r = app
            .client()
            .submit(
                page,
                action,
                &[
                    ("name", "Sender"),
                    ("email", who),
                    ("message", "Are you taking new clients?"),
                ],
            )
            .await;
        if i < 2 {
            assert_eq!(r.status(), 303);
        } else {
            assert_eq!(r.status(), 429);
            r.assert_contains("This therapist has received many messages today.");
        }
    }
    assert_eq!(app.wait_for_mail(2).await.len(), 2);
    app.clock.advance(time::Duration::days(1));
    let r = app
        .client()
        .submit(
            page,
            action,
            &[
                ("name", "Sender"),
                ("email", "c@example.com"),
                ("message", "Are you taking new clients?"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "a new day");
}

/// Documents sent for verification count toward the storage each account has, with certificates.
#[tokio::test]
async fn verification_documents_count_toward_the_storage_quota() {
    let app = app_with(|l| {
        l.storage_quota_mb = 1;
    })
    .await;
    let ana = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    ana.submit(
        "/ce/credentials/new",
        "/ce/credentials",
        &[("rule", "us-tx-lmt"), ("issued_on", "2025-09-01")],
    )
    .await;
    let page = ana.get("/directory").await;
    let cred = page
        .body
        .split("name=\"credential\"")
        .nth(1)
        .unwrap()
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut scan = b"%PDF-1.4 ".to_vec();
    scan.resize(600 * 1024, b'x');
    assert_eq!(
        send_document(&ana, &cred, "front.pdf", &scan)
            .await
            .status(),
        303
    );
    // 600 KB more would make 1.2 MB: refused next to the file (before anything else is checked).
    scan[20] = b'y';
    let r = send_document(&ana, &cred, "back.pdf", &scan).await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"document-error\">Your certificates and documents already use the 1 MB");
}
