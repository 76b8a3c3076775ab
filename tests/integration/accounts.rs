//! Sign-up, verification, log-in/out, password reset and change, rate limits, CSRF.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp, link_in};
use palpate::domain::accounts::Role;

async fn signup_verify_login_logout(app: TestApp) {
    let c = app.client();
    let page = c.get("/signup").await;
    assert_eq!(page.status(), 200);
    let r = c
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Maya Chen"),
                ("email", "Maya@Example.com"),
                ("password", "kneading is my cardio"),
                ("student", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    r.assert_contains("We sent a confirmation link");

    // Not confirmed yet: log-in is refused with a way forward.
    let r = c.login("maya@example.com", "kneading is my cardio").await;
    assert_eq!(r.status(), 403);
    r.assert_contains("confirm your email");

    let mails = app.wait_for_mail(1).await;
    assert_eq!(mails[0].to, "maya@example.com");
    assert_eq!(mails[0].subject, "Confirm your email for Palpate");
    // Plain text is not HTML-escaped: the link's '=' survives as is.
    assert!(
        mails[0].text.contains("/verify?token="),
        "{}",
        mails[0].text
    );
    assert!(!mails[0].text.contains("&#x3D;"));
    let link = link_in(&mails[0]);
    let r = c.get(&link).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.location.as_deref(), Some("/login"));
    c.get("/login")
        .await
        .assert_contains("Your email is confirmed");

    // The link works once.
    let again = c.get(&link).await;
    again.assert_contains("already used");

    let r = c.login("maya@example.com", "kneading is my cardio").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.location.as_deref(), Some("/dashboard"));
    let dash = c.get("/dashboard").await;
    assert_eq!(dash.status(), 200);
    dash.assert_contains("Welcome, Maya Chen");
    dash.assert_contains("Exam preparation");

    let r = c.logout().await;
    assert_eq!(r.status(), 303);
    let dash = c.get("/dashboard").await;
    assert_eq!(
        dash.status(),
        303,
        "logged out: dashboard redirects to log-in"
    );
    assert_eq!(dash.location.as_deref(), Some("/login?next=%2Fdashboard"));
}

async fn signup_errors_keep_input(app: TestApp) {
    let c = app.client();
    let r = c
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Sam Ortiz"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("value=\"Sam Ortiz\"");
    r.assert_contains("value=\"not-an-email\"");
    r.assert_contains("Enter a valid email address");
    r.assert_contains("Use at least 10 characters");
    r.assert_contains("Choose at least one");
    r.assert_contains("aria-invalid=\"true\"");
    assert!(app.mail.messages().is_empty());

    app.user("taken@example.com", &[Role::Student]).await;
    let r = c
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Sam"),
                ("email", "taken@example.com"),
                ("password", PASSWORD),
                ("practitioner", "on"),
            ],
        )
        .await;
    // The same answer as for a new address: sign-up does not tell who is registered …
    assert_eq!(r.status(), 200);
    r.assert_contains("Check your email");
    assert!(!r.body.contains("already"));
    let fresh = c
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Sam"),
                ("email", "new-person@example.com"),
                ("password", PASSWORD),
                ("practitioner", "on"),
            ],
        )
        .await;
    assert_eq!(fresh.status(), 200);
    assert_eq!(
        r.body.replace("taken@example.com", "X"),
        fresh.body.replace("new-person@example.com", "X"),
        "the two answers differ only in the address"
    );
    // … and the owner hears of it by e-mail, with nothing changed.
    let mails = app.wait_for_mail(2).await;
    let to_owner = mails
        .iter()
        .find(|m| m.to == "taken@example.com")
        .expect("owner told");
    assert!(
        to_owner.text.contains("already has an account"),
        "{}",
        to_owner.text
    );
    assert_eq!(
        app.client()
            .login("taken@example.com", PASSWORD)
            .await
            .status(),
        303
    );
}

async fn wrong_password_is_refused(app: TestApp) {
    app.user("lee@example.com", &[Role::Practitioner]).await;
    let c = app.client();
    let r = c.login("lee@example.com", "not the password").await;
    assert_eq!(r.status(), 401);
    r.assert_contains("do not match an account");
    r.assert_contains("value=\"lee@example.com\"");
    // Unknown e-mail gets the very same message.
    let r = c.login("nobody@example.com", "whatever it is").await;
    assert_eq!(r.status(), 401);
    r.assert_contains("do not match an account");
    assert_eq!(c.get("/dashboard").await.status(), 303);
}

async fn password_reset_flow(app: TestApp) {
    app.user("ana@example.com", &[Role::Student]).await;
    let c = app.client();
    let r = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "ana@example.com")],
        )
        .await;
    assert_eq!(r.status(), 200);
    r.assert_contains("If an account exists for ana@example.com");
    // An unknown address gets the same answer and no e-mail.
    let r2 = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "ghost@example.com")],
        )
        .await;
    assert_eq!(r2.status(), 200);
    r2.assert_contains("If an account exists for ghost@example.com");

    let mails = app.wait_for_mail(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.mail.messages().len(),
        1,
        "no mail for an unknown address"
    );
    assert_eq!(mails[0].to, "ana@example.com");
    let link = link_in(&mails[0]);
    let form = c.get(&link).await;
    assert_eq!(form.status(), 200);
    let token = link.split("token=").nth(1).unwrap().to_string();

    // Mismatched confirmation re-renders with the message by the field.
    let r = c
        .submit(
            &link,
            "/password/reset",
            &[
                ("token", &token),
                ("password", "brand new password"),
                ("confirm", "different"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("do not match");

    let r = c
        .submit(
            &link,
            "/password/reset",
            &[
                ("token", &token),
                ("password", "brand new password"),
                ("confirm", "brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        c.login("ana@example.com", PASSWORD).await.status(),
        401,
        "old password is gone"
    );
    assert_eq!(
        c.login("ana@example.com", "brand new password")
            .await
            .status(),
        303
    );

    // The owner is told, in case it was not them.
    let mails = app.wait_for_mail(2).await;
    assert_eq!(mails[1].to, "ana@example.com");
    assert_eq!(mails[1].subject, "Your Palpate password was changed");
    assert!(
        mails[1].text.contains("through a reset link"),
        "{}",
        mails[1].text
    );
    // Single use.
    let again = app.client().get(&link).await;
    assert_eq!(again.status(), 410);
    again.assert_contains("can no longer be used");
}

async fn reset_link_expires_after_an_hour(app: TestApp) {
    app.user("old@example.com", &[Role::Student]).await;
    let c = app.client();
    c.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "old@example.com")],
    )
    .await;
    let mails = app.wait_for_mail(1).await;
    let link = link_in(&mails[0]);
    app.clock.advance(time::Duration::minutes(61));
    let r = c.get(&link).await;
    assert_eq!(r.status(), 410);
    r.assert_contains("expired");
}

async fn csrf_is_required(app: TestApp) {
    app.user("csrf@example.com", &[Role::Student]).await;
    let c = app.client();
    c.get("/login").await;
    let r = c
        .post_raw(
            "/login",
            &[("email", "csrf@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 403);
    r.assert_contains("did not come from Palpate");
    let r = c
        .post_raw(
            "/login",
            &[
                ("email", "csrf@example.com"),
                ("password", PASSWORD),
                ("_csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(c.get("/dashboard").await.status(), 303, "not logged in");

    // A token from another visitor's session does not work either.
    let other = app.client();
    let foreign = other.get("/login").await.csrf();
    let r = c
        .post_raw(
            "/login",
            &[
                ("email", "csrf@example.com"),
                ("password", PASSWORD),
                ("_csrf", &foreign),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    // Logged in: state-changing account forms need it too.
    let r = c.login("csrf@example.com", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let r = c.post_raw("/account/sessions/end", &[]).await;
    assert_eq!(r.status(), 403);
    let r = c.post_raw("/logout", &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        c.get("/dashboard").await.status(),
        200,
        "still logged in: the forged log-out did nothing"
    );
}

async fn login_is_rate_limited(app: TestApp) {
    app.user("target@example.com", &[Role::Student]).await;
    let c = app.client();
    for i in 0..5 {
        let r = c.login("target@example.com", "guess number one").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    // Even the right password is refused now, with a clear message.
    let r = c.login("target@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    r.assert_contains("Too many failed log-ins for this account");
    // The limit is per account: another account from the same network still works.
    app.user("other@example.com", &[Role::Student]).await;
    assert_eq!(
        app.client()
            .login("other@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    // After the window the account can log in again.
    app.clock.advance(time::Duration::minutes(16));
    assert_eq!(c.login("target@example.com", PASSWORD).await.status(), 303);
}

/// A client that says it comes from `ip` (the server trusts X-Forwarded-For in this test).
fn from_ip(app: &TestApp, ip: &str) -> crate::helpers::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    crate::helpers::Client {
        base: app.addr.clone(),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap(),
    }
}

/// Wrong passwords from other addresses cannot lock the owner out; a class behind one network
/// can all log in; every 429 says when to retry.
#[tokio::test]
async fn lockouts_are_per_address_and_successes_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut settings = crate::helpers::test_settings(dir.path(), url);
    settings.trust_forwarded_for = true;
    let app = TestApp::spawn_with(crate::helpers::Db::Sqlite, settings, dir).await;
    app.user("owner@example.com", &[Role::Student]).await;
    // An attacker tries from three addresses until refused at each.
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let c = from_ip(&app, ip);
        for _ in 0..5 {
            assert_eq!(
                c.login("owner@example.com", "wrong guess here")
                    .await
                    .status(),
                401
            );
        }
        let r = c
            .http
            .post(format!("{}/login", c.base))
            .form(&[
                ("email", "owner@example.com"),
                ("password", "wrong guess again"),
                ("_csrf", &c.get("/login").await.csrf()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 429, "{ip}");
        let retry: u64 = r
            .headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry > 0);
    }
    // The owner, at home, still gets in.
    assert_eq!(
        from_ip(&app, "198.51.100.7")
            .login("owner@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    // Thirty-five students behind one school address all log in, even when each of them first
    // mistypes their password.
    let school = "192.0.2.10";
    for i in 0..35 {
        let email = format!("student{i}@example.com");
        app.user(&email, &[Role::Student]).await;
        let c = from_ip(&app, school);
        assert_eq!(c.login(&email, "a typo in it").await.status(), 401);
        assert_eq!(c.login(&email, PASSWORD).await.status(), 303, "student {i}");
    }
}

async fn password_change_ends_other_sessions(app: TestApp) {
    app.user("two@example.com", &[Role::Practitioner]).await;
    let laptop = app.client();
    let phone = app.client();
    assert_eq!(
        laptop.login("two@example.com", PASSWORD).await.status(),
        303
    );
    assert_eq!(phone.login("two@example.com", PASSWORD).await.status(), 303);
    assert_eq!(phone.get("/dashboard").await.status(), 200);

    let r = laptop
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", "wrong one!!"),
                ("new_password", "another long password"),
                ("confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("not your current password");
    assert_eq!(
        phone.get("/dashboard").await.status(),
        200,
        "a failed change ends nothing"
    );

    let r = laptop
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another long password"),
                ("confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        laptop.get("/dashboard").await.status(),
        200,
        "the session that changed it stays"
    );
    let r = phone.get("/dashboard").await;
    assert_eq!(r.status(), 303, "the other session has ended");

    // "Log out everywhere else" does the same without a password change.
    assert_eq!(
        phone
            .login("two@example.com", "another long password")
            .await
            .status(),
        303
    );
    let r = laptop
        .submit("/account", "/account/sessions/end", &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(laptop.get("/dashboard").await.status(), 200);
    assert_eq!(phone.get("/dashboard").await.status(), 303);
}

async fn signup_and_reset_are_rate_limited(app: TestApp) {
    app.user("often@example.com", &[Role::Student]).await;
    let c = app.client();
    for i in 0..3 {
        let r = c
            .submit(
                "/password/forgot",
                "/password/forgot",
                &[("email", "often@example.com")],
            )
            .await;
        assert_eq!(r.status(), 200, "reset request {i}");
    }
    let r = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "often@example.com")],
        )
        .await;
    assert_eq!(r.status(), 429);
    r.assert_contains("Too many reset emails requested for this address");
    r.assert_contains("value=\"often@example.com\"");
    // An unknown address is limited the same way, so the limit reveals nothing either.
    for _ in 0..3 {
        c.submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@example.com")],
        )
        .await;
    }
    let r = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(r.status(), 429);

    for i in 0..app.settings.rate_limits.signup_per_ip {
        let email = format!("new{i}@example.com");
        let r = c
            .submit(
                "/signup",
                "/signup",
                &[
                    ("name", "New Person"),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("student", "on"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200, "sign-up {i}");
    }
    let r = c
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "One More"),
                ("email", "more@example.com"),
                ("password", PASSWORD),
                ("student", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 429);
    r.assert_contains("Too many sign-ups from your network");
    r.assert_contains("value=\"One More\"");
}

/// A browser without a cookie jar: the test holds the session cookie itself, as an attacker who
/// copied it would.
struct RawBrowser {
    base: String,
    http: reqwest::Client,
}

impl RawBrowser {
    fn new(app: &TestApp) -> RawBrowser {
        RawBrowser {
            base: app.addr.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// GET with a cookie: (status, new cookie if set, body).
    async fn get(&self, path: &str, cookie: &str) -> (u16, Option<String>, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        Self::parts(r).await
    }

    async fn post(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        Self::parts(r).await
    }

    async fn parts(r: reqwest::Response) -> (u16, Option<String>, String) {
        let status = r.status().as_u16();
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        (status, cookie, r.text().await.unwrap())
    }

    /// Logs in and returns the session cookie.
    async fn login(&self, email: &str) -> String {
        let (_, cookie, body) = self.get("/login", "").await;
        let cookie = cookie.unwrap_or_default();
        let csrf = crate::helpers::csrf_in(&body).unwrap();
        let (status, session, _) = self
            .post(
                "/login",
                &cookie,
                &[("email", email), ("password", PASSWORD), ("_csrf", &csrf)],
            )
            .await;
        assert_eq!(status, 303);
        session.expect("a session cookie after log-in")
    }
}

async fn logout_ends_the_session_on_the_server(app: TestApp) {
    app.user("ana@example.com", &[Role::Student]).await;
    let b = RawBrowser::new(&app);
    let cookie = b.login("ana@example.com").await;
    let (status, _, body) = b.get("/account", &cookie).await;
    assert_eq!(status, 200);
    let csrf = crate::helpers::csrf_in(&body).unwrap();
    let copy = cookie.clone();
    let (status, _, _) = b.post("/logout", &cookie, &[("_csrf", &csrf)]).await;
    assert_eq!(status, 303);
    // The copy of the cookie taken before log-out no longer opens anything.
    let (status, _, _) = b.get("/dashboard", &copy).await;
    assert_eq!(status, 303, "a copied cookie stops working at log-out");
    let (status, _, _) = b.get("/account", &copy).await;
    assert_ne!(status, 200);
    // Another session of the same person is not affected.
    let other = b.login("ana@example.com").await;
    assert_eq!(b.get("/dashboard", &other).await.0, 200);
}

async fn api_tokens_end_with_password_changes_and_log_out_everywhere(app: TestApp) {
    let me = |token: String| {
        let base = app.addr.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // log out everywhere
    let c = app.logged_in("ana@example.com", &[Role::Student]).await;
    let t = app.api_token("ana@example.com").await;
    assert_eq!(me(t.clone()).await, 200);
    assert_eq!(
        c.submit("/account", "/account/sessions/end", &[])
            .await
            .status(),
        303
    );
    assert_eq!(me(t).await, 401, "log out everywhere revokes API tokens");
    c.get("/account").await.assert_contains("revoke");
    // password change
    let t = app.api_token("ana@example.com").await;
    assert_eq!(me(t.clone()).await, 200);
    let r = c
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another long password"),
                ("confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(me(t).await, 401, "a password change revokes API tokens");
    // password reset (by e-mail)
    app.user("ben@example.com", &[Role::Student]).await;
    let t = app.api_token("ben@example.com").await;
    let anon = app.client();
    anon.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ben@example.com")],
    )
    .await;
    // (the first mail is the notice of the password change above)
    let mails = app.wait_for_mail(2).await;
    let link = link_in(mails.iter().find(|m| m.to == "ben@example.com").unwrap());
    let token = link.split("token=").nth(1).unwrap().to_string();
    let r = anon
        .submit(
            &link,
            "/password/reset",
            &[
                ("token", &token),
                ("password", "brand new password"),
                ("confirm", "brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(me(t).await, 401, "a password reset revokes API tokens");
}

db_tests!(
    logout_ends_the_session_on_the_server,
    api_tokens_end_with_password_changes_and_log_out_everywhere,
    signup_and_reset_are_rate_limited,
    signup_verify_login_logout,
    signup_errors_keep_input,
    wrong_password_is_refused,
    password_reset_flow,
    reset_link_expires_after_an_hour,
    csrf_is_required,
    login_is_rate_limited,
    password_change_ends_other_sessions,
);

#[test]
fn cli_creates_lists_and_grants_users() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_palpate");
    let run = |args: &[&str]| {
        std::process::Command::new(exe)
            .args(args)
            .env("PALPATE_DATA_DIR", dir.path())
            .env("PALPATE_PASSWORD", "operator password")
            .env("PALPATE_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&[
        "users",
        "create",
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops Person",
        "--role",
        "admin",
        "--role",
        "instructor",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "users",
        "create",
        "--email",
        "ops@example.com",
        "--name",
        "Again",
        "--role",
        "student",
    ]);
    assert!(!out.status.success(), "duplicate e-mail refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = run(&[
        "users",
        "create",
        "--email",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "wizard",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
    let out = run(&[
        "users",
        "grant",
        "--email",
        "ops@example.com",
        "--role",
        "practitioner",
    ]);
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&run(&["users", "list"]).stdout).to_string();
    assert!(
        list.contains("ops@example.com")
            && list.contains("admin")
            && list.contains("practitioner")
            && list.contains("true"),
        "{list}"
    );
    let out = run(&[
        "users",
        "revoke",
        "--email",
        "ops@example.com",
        "--role",
        "admin",
    ]);
    assert!(
        !out.status.success(),
        "the last administrator keeps the role"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("last administrator"));
    let help = run(&["users", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("create"));
}
