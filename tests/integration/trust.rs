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

/// Certificate storage is per person: a quota on bytes kept and on uploads per window, refused
/// next to the file field with everything else kept.
#[tokio::test]
async fn certificate_storage_has_a_quota_and_a_rate() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut settings = crate::helpers::test_settings(dir.path(), url);
    settings.rate_limits.storage_quota_mb = 1;
    settings.rate_limits.uploads_per_account = 4;
    let app = TestApp::spawn_with(crate::helpers::Db::Sqlite, settings, dir).await;
    let c = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let fields = |title: &'static str| {
        [
            ("title", title),
            ("completed_on", "2025-05-02"),
            ("delivery", "live_online"),
            ("hours", "2"),
            ("unit", "hour"),
            ("topic_ethics", "2"),
        ]
    };
    let pdf = |n: usize, fill: u8| {
        let mut b = b"%PDF-1.7\n".to_vec();
        b.resize(n, fill);
        b
    };
    // 0.6 MB fits; a second 0.6 MB would pass the 1 MB quota.
    let r = upload(&c, &fields("First"), Some(("a.pdf", pdf(600_000, b'a')))).await;
    assert_eq!(r.status, 303);
    let r = upload(&c, &fields("Second"), Some(("b.pdf", pdf(600_000, b'b')))).await;
    assert_eq!(r.status, 422);
    r.assert_contains("of your 1 MB");
    r.assert_contains("value=\"Second\"");
    // Small files until the per-window upload count is reached.
    for (i, title) in ["Small one", "Small two"].into_iter().enumerate() {
        let r = upload(&c, &fields(title), Some(("s.pdf", pdf(1000 + i, b's')))).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let r = upload(&c, &fields("Small"), Some(("s.pdf", pdf(3000, b's')))).await;
    assert_eq!(r.status, 422);
    r.assert_contains("Please wait a few minutes");
    // Another person is not affected.
    let ben = app
        .logged_in("ben@example.com", &[Role::Practitioner])
        .await;
    let r = upload(&ben, &fields("Ben's"), Some(("c.pdf", pdf(2000, b'c')))).await;
    assert_eq!(r.status, 303);
}

db_tests!(
    framework_messages_never_reach_people,
    next_after_login_stays_on_this_site,
    flashes_cannot_overflow_the_cookie,
    private_files_are_not_cached_and_the_calendar_address_can_be_replaced,
    admin_search_takes_wildcards_literally,
    an_empty_certificate_file_is_refused,
);

/// Two instances starting together on a fresh database: both start, the shipped bank is imported
/// once, and two `palpate users create` runs at the same moment both succeed.
async fn two_instances_start_together_on_a_fresh_database(url: String) {
    let start = |url: String| async move {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = crate::helpers::test_settings(dir.path(), url);
        settings.import_bank_on_start = true;
        let app = palpate::startup::Application::build_with_clock(
            settings,
            palpate::clock::Clock::system(),
        )
        .await;
        (app.map(|a| a.state.clone()), dir)
    };
    let ((a, _da), (b, _db)) = tokio::join!(start(url.clone()), start(url.clone()));
    let a = a.unwrap_or_else(|e| panic!("first instance: {e:#}"));
    b.unwrap_or_else(|e| panic!("second instance: {e:#}"));
    let items = a
        .db(|c| Ok(palpate::store::bank::count_items(c)?))
        .await
        .unwrap();
    assert!(items > 600, "the shipped bank, once: {items}");
    let exe = env!("CARGO_BIN_EXE_palpate");
    let create = |email: &'static str| {
        let url = url.clone();
        std::thread::spawn(move || {
            let dir = tempfile::tempdir().unwrap();
            std::process::Command::new(exe)
                .args([
                    "users",
                    "create",
                    "--email",
                    email,
                    "--name",
                    "Admin Person",
                    "--role",
                    "admin",
                ])
                .env("PALPATE_DATA_DIR", dir.path())
                .env("PALPATE_DATABASE_URL", &url)
                .env("PALPATE_PASSWORD", "operator password")
                .output()
                .unwrap()
        })
    };
    let (x, y) = (create("one@example.com"), create("two@example.com"));
    for out in [x.join().unwrap(), y.join().unwrap()] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn two_instances_start_together_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    two_instances_start_together_on_a_fresh_database(url).await;
}

#[tokio::test]
async fn two_instances_start_together_postgres() {
    let Some(url) = crate::helpers::postgres_url() else {
        return;
    };
    two_instances_start_together_on_a_fresh_database(url.clone()).await;
    crate::helpers::drop_database(&url);
}

/// A backup taken while a student answers holds every answer acknowledged before it started and
/// the uploaded certificates; restoring it fills an empty data directory and nothing else.
#[tokio::test]
async fn a_backup_taken_under_load_restores_every_acknowledged_answer() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    app.seed_bank([40, 0, 0, 0, 0, 0, 0]).await;
    let pro = app
        .logged_in("pro@example.com", &[Role::Practitioner])
        .await;
    let fields = [
        ("title", "Ethics"),
        ("completed_on", "2025-05-02"),
        ("delivery", "live_online"),
        ("hours", "2"),
        ("unit", "hour"),
        ("topic_ethics", "2"),
    ];
    let r = upload(
        &pro,
        &fields,
        Some(("c.pdf", b"%PDF-1.4\nbackup me\n".to_vec())),
    )
    .await;
    assert_eq!(r.status, 303);
    let student = app.logged_in("sam@example.com", &[Role::Student]).await;
    let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (ack, stop) = (acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let url = crate::helpers::start_drill(&student, "1", "20").await;
                for _ in 0..20 {
                    let page = student.get(&url).await;
                    if !page.body.contains("name=\"position\"") {
                        break;
                    }
                    let r = crate::helpers::answer(&student, &url, &page, true).await;
                    // Drills answer with the feedback page (200); other exams redirect (303).
                    if r.status == 200 || r.status == 303 {
                        ack.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        return;
                    }
                }
            }
        })
    };
    let waited = std::time::Instant::now();
    while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 15 {
        assert!(waited.elapsed().as_secs() < 60, "the load never got going");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let exe = env!("CARGO_BIN_EXE_palpate");
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("palpate-backup.zip");
    let before = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
    let (data_dir, db_url, target) = (
        app.settings.data_dir.clone(),
        app.settings.database_url.clone(),
        file.clone(),
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(["backup", "--to"])
            .arg(&target)
            .env("PALPATE_DATA_DIR", &data_dir)
            .env("PALPATE_DATABASE_URL", &db_url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["certificates"], 1);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    load.await.unwrap();

    // Restore into an empty directory.
    let fresh = tempfile::tempdir().unwrap();
    let restored_db = fresh.path().join("palpate.db");
    let run_restore = || {
        std::process::Command::new(exe)
            .arg("restore")
            .arg(&file)
            .env("PALPATE_DATA_DIR", fresh.path())
            .env(
                "PALPATE_DATABASE_URL",
                format!("sqlite://{}", restored_db.display()),
            )
            .output()
            .unwrap()
    };
    let out = run_restore();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second restore refuses: the directory is no longer empty.
    let again = run_restore();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty data directory"));

    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = diesel::SqliteConnection::establish(&restored_db.to_string_lossy()).unwrap();
    let answered: N =
        diesel::sql_query("SELECT COUNT(*) AS n FROM exam_items WHERE answered_at IS NOT NULL")
            .get_result(&mut c)
            .unwrap();
    assert!(
        answered.n as usize >= before,
        "every answer acknowledged before the backup is in it: {} < {before}",
        answered.n
    );
    let certs = std::fs::read_dir(fresh.path().join("certificates"))
        .unwrap()
        .count();
    assert_eq!(certs, 1, "the certificate folder is restored");
    assert!(
        fresh.path().join("session.key").exists()
            || !app.settings.data_dir.join("session.key").exists()
    );
}

/// A bad query string, a body over the limit and text that is not UTF-8 get the site's page with a
/// plain sentence: never the framework's message, never a 500, never stored as "\u{fffd}".
async fn framework_messages_never_reach_people(app: TestApp) {
    let c = app.logged_in("ina@example.com", &[Role::Instructor]).await;
    let r = c.get("/bank/items/1A-001?version=abc").await;
    assert_eq!(r.status, 400);
    r.assert_contains("This address has a part we cannot read");
    for leak in ["deserialize", "invalid digit", "Query"] {
        assert!(!r.body.contains(leak), "{leak}");
    }
    // Not UTF-8: refused, nothing stored.
    let token = c.get("/account").await.csrf();
    let body = format!("_csrf={token}&name=Jos%E9");
    let r = c
        .http
        .post(format!("{}/account/profile", c.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("characters we cannot read"), "{text}");
    assert!(!c.get("/account").await.body.contains('\u{fffd}'));
    // Over the form limit.
    let big = format!("_csrf={token}&name={}", "a".repeat(300 * 1024));
    let r = c
        .http
        .post(format!("{}/account/profile", c.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert!(status == 400 || status == 413, "{status}");
    assert!(text.contains("too large"), "{text}");
    assert!(
        !text.contains("payload") && !text.contains("Overflow"),
        "{text}"
    );
}

/// Accessibility rules checked on every page template: nothing interactive inside a `<summary>`
/// (axe nested-interactive), every sideways-scrolling table focusable, every field error with an
/// id its field points to, an `<h1>` on every page, and the script that moves focus to the error
/// summary loaded by the layout.
#[test]
fn page_templates_follow_the_accessibility_rules() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/pages");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for summary in text.split("<summary").skip(1) {
            let inner = summary.split("</summary>").next().unwrap_or("");
            if ["<input", "<a ", "<button", "<select", "<textarea"]
                .iter()
                .any(|t| inner.contains(t))
            {
                problems.push(format!("{name}: interactive element inside <summary>"));
            }
        }
        for scroll in text.split("class=\"table-scroll\"").skip(1) {
            if !scroll
                .split('>')
                .next()
                .unwrap_or("")
                .contains("tabindex=\"0\"")
            {
                problems.push(format!("{name}: a scrolling table cannot take focus"));
            }
        }
        // Every field error can be tied to its field (aria-describedby needs an id).
        if text.contains("<p class=\"error\">") {
            problems.push(format!("{name}: a field error without an id"));
        }
        if !text.contains("<h1") {
            problems.push(format!("{name}: no <h1>"));
        }
    }
    let layout = std::fs::read_to_string(dir.parent().unwrap().join("layout.hbs")).unwrap();
    assert!(
        layout.contains("/static/site.js"),
        "the layout loads the focus script"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
