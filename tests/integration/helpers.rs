//! The test harness: each test gets the real server on a free port with its own database (a SQLite
//! file, or a fresh PostgreSQL database when `PALPATE_TEST_DATABASE_URL` is set), an in-memory mail
//! transport and a clock it can move forward.

use diesel::{Connection, PgConnection, RunQueryDsl};
use palpate::clock::Clock;
use palpate::config::{MailSetting, Settings};
use palpate::domain::accounts::Role;
use palpate::mail::{MemoryMailbox, SentMail};
use palpate::services::{AppState, accounts, passwords};
use palpate::startup::Application;
use reqwest::redirect::Policy;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "a long enough password";

pub struct TestApp {
    pub addr: String,
    pub state: AppState,
    pub mail: MemoryMailbox,
    pub clock: Clock,
    pub settings: Settings,
    pub db: Db,
    /// Whether this app created its PostgreSQL database (a second instance shares it).
    owns_database: bool,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    /// A PostgreSQL test database is dropped with its test (connections still open are ended).
    fn drop(&mut self) {
        if self.owns_database && self.db == Db::Postgres {
            drop_database(&self.settings.database_url);
        }
    }
}

/// Drops the test database `url` names, from a connection to the server's `postgres` database.
pub fn drop_database(url: &str) {
    let Some((prefix, name)) = url.rsplit_once('/') else {
        return;
    };
    if !name.starts_with("palpate_t_") {
        return;
    }
    let admin = format!("{prefix}/postgres");
    let name = name.to_string();
    // A thread of its own: this may run inside the async runtime.
    let _ = std::thread::spawn(move || {
        if let Ok(mut c) = PgConnection::establish(&admin) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c);
        }
    })
    .join();
}

/// libpq uses OpenSSL, whose exit handler frees OpenSSL's state while database threads of test
/// apps still winding down may use it: the test process then crashed (SIGSEGV in libcrypto) after
/// every test had passed. Asks OpenSSL, when loaded, not to install that handler; once, before the
/// first PostgreSQL connection of the process.
fn skip_openssl_exit_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        unsafe extern "C" {
            fn dlsym(
                handle: *mut std::ffi::c_void,
                symbol: *const std::ffi::c_char,
            ) -> *mut std::ffi::c_void;
        }
        const OPENSSL_INIT_NO_ATEXIT: u64 = 0x0008_0000;
        // SAFETY: a null handle (RTLD_DEFAULT) searches the libraries already loaded; the symbol,
        // when there, is OpenSSL's `int OPENSSL_init_crypto(uint64_t, const OPENSSL_INIT_SETTINGS *)`.
        unsafe {
            let f = dlsym(std::ptr::null_mut(), c"OPENSSL_init_crypto".as_ptr());
            if !f.is_null() {
                let init: extern "C" fn(u64, *const std::ffi::c_void) -> std::ffi::c_int =
                    std::mem::transmute(f);
                init(OPENSSL_INIT_NO_ATEXIT, std::ptr::null());
            }
        }
    });
}

/// A fresh PostgreSQL database for one test, or `None` (test skipped) when no server is configured.
pub fn postgres_url() -> Option<String> {
    let base = match std::env::var("PALPATE_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var("PALPATE_REQUIRE_POSTGRES").is_ok() {
                panic!("PALPATE_REQUIRE_POSTGRES is set but PALPATE_TEST_DATABASE_URL is not");
            }
            eprintln!("skipped: PALPATE_TEST_DATABASE_URL is not set");
            return None;
        }
    };
    skip_openssl_exit_handler();
    let name = format!("palpate_t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&base).expect("connect to PALPATE_TEST_DATABASE_URL");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    Some(format!("{prefix}/{name}"))
}

pub fn test_settings(dir: &std::path::Path, database_url: String) -> Settings {
    let mut s = Settings {
        bind: "127.0.0.1:0".into(),
        base_url: "http://palpate.test".into(),
        database_url,
        data_dir: dir.to_path_buf(),
        session_key: Some("k".repeat(64) + "-test-session-key-that-is-long-enough"),
        mail: MailSetting::Memory,
        outbox_backoff_ms: 150,
        outbox_poll_ms: 40,
        argon2_m_cost: 1024,
        import_bank_on_start: false,
        db_pool_size: 4,
        workers: Some(1),
        exam_sweep_ms: 100,
        ..Settings::default()
    };
    s.finish().unwrap();
    s
}

impl TestApp {
    pub async fn spawn(db: Db) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
            Db::Postgres => postgres_url()?,
        };
        let settings = test_settings(dir.path(), url);
        let mut app = Self::spawn_with(db, settings, dir).await;
        app.owns_database = true;
        Some(app)
    }

    pub async fn spawn_with(db: Db, settings: Settings, dir: tempfile::TempDir) -> TestApp {
        let clock = Clock::system();
        let app = Application::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("build app");
        let addr = format!("http://127.0.0.1:{}", app.port);
        let state = app.state.clone();
        let mail = state.mailer.memory().expect("memory mailer");
        tokio::spawn(app.run_until_stopped());
        TestApp {
            addr,
            state,
            mail,
            clock,
            settings,
            db,
            owns_database: false,
            _dir: dir,
        }
    }

    /// A second server on the same database (another "instance").
    pub async fn second_instance(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = self.settings.clone();
        settings.data_dir = dir.path().to_path_buf();
        TestApp::spawn_with(self.db, settings, dir).await
    }

    /// Imports a synthetic bank: `per_area[i]` items in area i+1. The correct option's text starts
    /// with "Right", so a test can play a student who knows the answers.
    pub async fn seed_bank(&self, per_area: [usize; 7]) {
        use palpate::domain::bank::{Difficulty, Item, ItemContent, Level, Status};
        let mut items = vec![];
        for (a, n) in per_area.iter().enumerate() {
            let area = a + 1;
            let sub = format!("{area}.A");
            for i in 0..*n {
                let key = (i + a) % 4;
                let mut options: [String; 4] = Default::default();
                for (j, o) in options.iter_mut().enumerate() {
                    *o = if j == key {
                        format!("Right answer {area}-{i}")
                    } else {
                        format!("Wrong answer {area}-{i}-{j}")
                    };
                }
                let difficulty = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard][i % 3];
                items.push(Item {
                    id: format!("S{area}-{i:03}"),
                    status: Status::Approved,
                    content: ItemContent {
                        subarea: sub.clone(),
                        level: Level::Application,
                        difficulty,
                        pillars: vec![],
                        topics: vec!["synthetic".into()],
                        stem: format!(
                            "Synthetic question {i} of area {area}: which option is right?"
                        ),
                        options,
                        key,
                        rationales: [0, 1, 2, 3]
                            .map(|j| format!("Rationale {area}-{i}-{j}: explains option {j}.")),
                        reference: "test".into(),
                        author: "test".into(),
                        enemies: vec![],
                    },
                });
            }
        }
        let bank = palpate::domain::bank::format::Bank {
            taxonomy: palpate::services::bank::taxonomy().clone(),
            blueprints: palpate::services::bank::blueprints().to_vec(),
            items,
        };
        let now = self.clock.now();
        self.state
            .db(move |c| palpate::services::bank::import_blocking(c, &bank, "test", now))
            .await
            .unwrap();
        self.state.pools.invalidate();
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.addr.clone(),
            http: reqwest::Client::builder()
                // Below the server's 5 s keep-alive: never reuse a connection the server may be
                // closing at that moment (a reset under load otherwise).
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Creates a verified account with these roles directly (like `palpate users create`).
    pub async fn user(&self, email: &str, roles: &[Role]) -> i64 {
        let hash = passwords::hash_blocking(PASSWORD, self.settings.argon2_m_cost).unwrap();
        let (email, roles) = (email.to_string(), roles.to_vec());
        let now = self.clock.now();
        self.state
            .db(move |c| {
                accounts::create_verified_blocking(c, &email, "Test Person", &hash, &roles, now)
            })
            .await
            .unwrap()
    }

    /// The id of an existing account.
    pub async fn user_id(&self, email: &str) -> i64 {
        let email = email.to_string();
        self.state
            .db(move |c| Ok(palpate::store::accounts::find_user_by_email(c, &email)?))
            .await
            .unwrap()
            .expect("account exists")
            .id
    }

    /// A bearer token for an existing user, obtained through `POST /api/v1/tokens`.
    pub async fn api_token(&self, email: &str) -> String {
        let r: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/tokens", self.addr))
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["token"].as_str().unwrap().to_string()
    }

    /// A client logged in as a new verified user with these roles.
    pub async fn logged_in(&self, email: &str, roles: &[Role]) -> Client {
        self.user(email, roles).await;
        let c = self.client();
        let r = c.login(email, PASSWORD).await;
        assert_eq!(r.status(), 303, "login of {email} should redirect");
        c
    }

    /// Waits (up to 10 s) until at least `n` messages were delivered.
    pub async fn wait_for_mail(&self, n: usize) -> Vec<SentMail> {
        for _ in 0..200 {
            let m = self.mail.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} emails, got {}", self.mail.messages().len());
    }

    /// GETs an API path with a bearer token and returns its JSON body.
    pub async fn api_json(&self, token: &str, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.addr))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits (up to 10 s) for a message to `to` with this subject.
    pub async fn wait_for_message(&self, to: &str, subject: &str) -> SentMail {
        for _ in 0..200 {
            if let Some(m) = self
                .mail
                .messages()
                .into_iter()
                .find(|m| m.to == to && m.subject == subject)
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message \"{subject}\" to {to}");
    }
}

/// Path and query of the first site link in an e-mail's text part.
pub fn link_in(mail: &SentMail) -> String {
    let start = mail
        .text
        .find("http://palpate.test")
        .expect("link in email");
    let rest = &mail.text[start + "http://palpate.test".len()..];
    rest.split_whitespace().next().unwrap().to_string()
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn csrf(&self) -> String {
        csrf_in(&self.body).unwrap_or_else(|| panic!("no CSRF token in page:\n{}", self.body))
    }

    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in page (status {}):\n{}",
            self.status,
            self.body
        );
    }
}

pub fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let i = body.find(marker)? + marker.len();
    Some(body[i..].split('"').next()?.to_string())
}

impl Client {
    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let body = resp.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::page(
            self.http
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Loads `form_page` for its CSRF token, then posts `form` with it to `path`.
    pub async fn submit(&self, form_page: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf();
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("_csrf", &token));
        self.post_raw(path, &fields).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn logout(&self) -> Page {
        self.submit("/account", "/logout", &[]).await
    }
}

// ---- playing an exam in a test (the synthetic bank marks right answers) ----

/// The option id whose text starts with "Right" (or "Wrong" when `right` is false).
pub fn pick(page: &Page, right: bool) -> String {
    let want = if right {
        "Right answer"
    } else {
        "Wrong answer"
    };
    let marker = "name=\"option\" value=\"";
    for chunk in page.body.split(marker).skip(1) {
        let id = chunk.split('"').next().unwrap();
        let text = chunk.split("</label>").next().unwrap();
        if text.contains(want) {
            return id.to_string();
        }
    }
    panic!("no {want} option in:\n{}", page.body);
}

pub fn position(page: &Page) -> String {
    let marker = "name=\"position\" value=\"";
    let i = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no question on page:\n{}", page.body))
        + marker.len();
    page.body[i..].split('"').next().unwrap().to_string()
}

/// Starts a topic drill over `areas` and returns the exam's URL.
pub async fn start_drill(c: &Client, areas: &str, length: &str) -> String {
    let r = c
        .submit(
            "/exams",
            "/exams",
            &[("program", "drill"), ("areas", areas), ("length", length)],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    r.location.unwrap()
}

/// The question's stem on an exam page.
pub fn stem_of(page: &Page) -> String {
    page.body
        .split("<legend class=\"stem\">")
        .nth(1)
        .unwrap()
        .split("</legend>")
        .next()
        .unwrap()
        .to_string()
}

/// Answers the question on `page` (right or wrong) and returns the response.
pub async fn answer(c: &Client, url: &str, page: &Page, right: bool) -> Page {
    let pos = position(page);
    let opt = pick(page, right);
    c.submit(
        url,
        &format!("{url}/answer"),
        &[("position", &pos), ("option", &opt)],
    )
    .await
}

/// Generates one test per database for each listed `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Db::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Db::Postgres).await else { return };
                    super::$name(app).await;
                }
            )*
        }
    };
}

/// The id of the option whose text starts with `prefix` ("Right" or "Wrong" in the synthetic
/// bank) in an exam state from the JSON API.
pub fn api_option(state: &serde_json::Value, prefix: &str) -> String {
    state["item"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["text"].as_str().unwrap().starts_with(prefix))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Logs a CE activity through the multipart form (with an optional certificate file).
pub async fn upload(c: &Client, fields: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> Page {
    let file = file.map(|(name, bytes)| ("certificate", name, bytes));
    upload_to(c, "/ce/activities/new", "/ce/activities", fields, file).await
}

/// Posts a multipart form to `path` (the CSRF token from `form_page` in the query string), with an
/// optional file `(field, file name, bytes)`.
pub async fn upload_to(
    c: &Client,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, Vec<u8>)>,
) -> Page {
    let token = c.get(form_page).await.csrf();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((field, name, bytes)) = file {
        form = form.part(
            field.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    let resp = c
        .http
        .post(format!("{}{path}?_csrf={token}", c.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    Page {
        status,
        location,
        body: resp.text().await.unwrap(),
    }
}

/// The first id between `before` and `after` in a page (a path segment: no '/', quote or space).
pub fn id_between(body: &str, before: &str, after: &str) -> String {
    body.match_indices(before)
        .filter_map(|(i, _)| {
            let rest = &body[i + before.len()..];
            let id = &rest[..rest.find(after)?];
            (!id.is_empty() && !id.contains(['/', '"', '<', ' '])).then(|| id.to_string())
        })
        .next()
        .unwrap_or_else(|| panic!("no {before}…{after} in:\n{body}"))
}

/// Today for a student who has not chosen a time zone (Palpate's default, Eastern time): the day
/// the study plan, countdown and exam history use. Differs from the UTC date in the evening.
pub fn student_today(app: &TestApp) -> time::Date {
    use palpate::domain::local_time::{DEFAULT_ZONE, local_date, zone};
    local_date(zone(DEFAULT_ZONE).unwrap(), app.clock.now())
}
