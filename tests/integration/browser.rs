//! End-to-end tests in a real browser: headless Chromium driven through ChromeDriver (WebDriver)
//! with `fantoccini`. Every flow runs at a phone width (390 px) and a desktop width (1366 px) with
//! JavaScript, and once more with JavaScript disabled. On every distinct page a JavaScript run
//! visits, the vendored axe-core checks WCAG 2.0/2.1 A and AA rules, and the page must not be wider
//! than the window.
//!
//! The tests need `chromium` and `chromedriver` (Debian's `chromium` and `chromium-driver`, which
//! `.ci/run` installs). Without them they are skipped, unless `PALPATE_REQUIRE_BROWSER` is set (CI
//! sets it), in which case they fail.

use crate::helpers::{PASSWORD, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use palpate::domain::accounts::Role;
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AXE: &str = include_str!("../browser/axe-core/axe.min.js");

/// How a flow is run: window width and whether JavaScript runs.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    pub width: u32,
    pub js: bool,
}

pub const MODES: [Mode; 3] = [
    Mode {
        width: 390,
        js: true,
    },
    Mode {
        width: 1366,
        js: true,
    },
    Mode {
        width: 390,
        js: false,
    },
];

impl Mode {
    /// A short tag for e-mail addresses and messages: "390", "1366", "390-nojs".
    pub fn tag(&self) -> String {
        if self.js {
            self.width.to_string()
        } else {
            format!("{}-nojs", self.width)
        }
    }
}

fn which(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

/// A running ChromeDriver; dropped, it is killed.
pub struct Driver {
    child: Child,
    url: String,
    _downloads: tempfile::TempDir,
    downloads: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts ChromeDriver, or returns `None` (test skipped) when it is not installed.
    pub async fn start() -> Option<Driver> {
        let driver = std::env::var("PALPATE_CHROMEDRIVER")
            .ok()
            .or_else(|| which(&["/usr/bin/chromedriver", "/usr/local/bin/chromedriver"]));
        let Some(driver) = driver else {
            if std::env::var("PALPATE_REQUIRE_BROWSER").is_ok() {
                panic!("PALPATE_REQUIRE_BROWSER is set but chromedriver is not installed");
            }
            eprintln!("skipped: chromedriver is not installed");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let downloads = tempfile::tempdir().unwrap();
        Some(Driver {
            child,
            url,
            downloads: downloads.path().to_path_buf(),
            _downloads: downloads,
        })
    }

    /// A new browser window in this mode, on the application at `base`.
    pub async fn session(&self, base: &str, mode: Mode) -> Session {
        let binary = std::env::var("PALPATE_CHROMIUM")
            .ok()
            .or_else(|| which(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]))
            .expect("chromium is installed");
        let mut prefs = serde_json::json!({
            "download.default_directory": self.downloads.display().to_string(),
            "download.prompt_for_download": false,
        });
        if !mode.js {
            prefs["profile.managed_default_content_settings.javascript"] = 2.into();
        }
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=en-US",
                    format!("--window-size={},900", mode.width),
                ],
                "prefs": prefs,
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session");
        Session {
            c: client,
            base: base.to_string(),
            mode,
            checked: BTreeSet::new(),
            pages: 0,
            problems: vec![],
            downloads: self.downloads.clone(),
        }
    }
}

/// One browser window. Navigation helpers wait for the next page and check it.
pub struct Session {
    pub c: Client,
    pub base: String,
    pub mode: Mode,
    /// Distinct page shapes (path with ids replaced) already checked with axe in this window.
    checked: BTreeSet<String>,
    /// How many pages axe checked.
    pub pages: usize,
    /// axe violations and layout problems, with the page they were found on.
    pub problems: Vec<String>,
    downloads: std::path::PathBuf,
}

/// The path with numbers and ids replaced, so that /exams/abc123 and /exams/def456 count once.
fn shape(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) && seg.len() > 2 {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl Session {
    pub async fn path(&self) -> String {
        let u = self.c.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    pub async fn text(&self) -> String {
        self.c
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn assert_text(&self, needle: &str) {
        let t = self.text().await;
        assert!(
            t.contains(needle),
            "[{}] expected {needle:?} on {}:\n{t}",
            self.mode.tag(),
            self.path().await
        );
    }

    pub async fn goto(&mut self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.arrived().await;
    }

    /// Checks the current page again although its kind was checked earlier in the flow (it now
    /// shows more, e.g. a table that was empty).
    pub async fn check_again(&mut self) {
        let path = self.path().await;
        self.checked.remove(&shape(&path));
        self.arrived().await;
    }

    /// Checks the page just loaded: it has one `<h1>`, no server error, and (with JavaScript)
    /// no axe violation and no horizontal scrolling.
    async fn arrived(&mut self) {
        let path = self.path().await;
        let h1 = self.c.find_all(Locator::Css("h1")).await.unwrap();
        if h1.len() != 1 {
            self.problems
                .push(format!("{path}: {} <h1> elements, expected one", h1.len()));
        }
        if self.has(".flash-error[role=alert]").await {
            // site.js moves focus to the error summary; without JavaScript it stays put. This also
            // proves that the no-JavaScript window really runs no page script.
            let focused = self
                .c
                .execute(
                    "return document.activeElement.matches('.flash-error[role=alert]');",
                    vec![],
                )
                .await
                .unwrap();
            if focused != serde_json::Value::Bool(self.mode.js) {
                self.problems.push(format!(
                    "{path} [{}]: focus on the error summary is {focused}",
                    self.mode.tag()
                ));
            }
        }
        if !self.mode.js || !self.checked.insert(shape(&path)) {
            return;
        }
        self.pages += 1;
        let loaded = self
            .c
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await
            .unwrap();
        if loaded != serde_json::Value::Bool(true) {
            self.c.execute(AXE, vec![]).await.unwrap();
        }
        let found = self
            .c
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                  .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                  .catch(e => done(['axe could not run: ' + e]));"#,
                vec![],
            )
            .await
            .unwrap();
        for v in found.as_array().unwrap() {
            self.problems.push(format!(
                "{path} [{}]: {}",
                self.mode.tag(),
                v.as_str().unwrap()
            ));
        }
        let wide = self
            .c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        if wide.as_i64().unwrap_or(0) > 0 {
            self.problems.push(format!(
                "{path} [{}]: the page is {wide} px wider than the window",
                self.mode.tag()
            ));
        }
    }

    /// Types into the field named `name` (after clearing it).
    pub async fn fill(&self, name: &str, value: &str) {
        let e = self
            .c
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|_| panic!("no field {name}"));
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Types a date into a date field as a person would (month, day, year in an en-US browser).
    pub async fn fill_date(&self, name: &str, iso: &str) {
        let (y, rest) = iso.split_once('-').unwrap();
        let (m, d) = rest.split_once('-').unwrap();
        let e = self
            .c
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap();
        e.send_keys(&format!("{m}{d}{y}")).await.unwrap();
    }

    pub async fn select(&self, name: &str, value: &str) {
        self.c
            .find(Locator::Css(&format!("select[name=\"{name}\"]")))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Ticks the checkbox or radio button `name` with `value` (left ticked if it already is).
    pub async fn check(&self, name: &str, value: &str) {
        let e = self
            .c
            .find(Locator::Css(&format!(
                "input[name=\"{name}\"][value=\"{value}\"]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no choice {name}={value}"));
        if !e.is_selected().await.unwrap() {
            e.click().await.unwrap();
        }
    }

    /// Clicks the button or link whose visible text is `label` and waits for the next page.
    pub async fn click(&mut self, label: &str) {
        // A button wins over a link of the same name (the menu's "Log in" link on the log-in page).
        let mut found = None;
        for xpath in [
            format!("//main//button[normalize-space()='{label}']"),
            format!("//button[normalize-space()='{label}']"),
            format!("//main//a[normalize-space()='{label}']"),
            format!("//a[normalize-space()='{label}']"),
        ] {
            if let Ok(e) = self.c.find(Locator::XPath(&xpath)).await {
                found = Some(e);
                break;
            }
        }
        let e =
            found.unwrap_or_else(|| panic!("[{}] no button or link {label:?}", self.mode.tag()));
        self.click_element(e).await;
    }

    pub async fn click_element(&mut self, e: fantoccini::elements::Element) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        e.click().await.unwrap();
        let started = Instant::now();
        // The old document's root goes stale once the next page has replaced it.
        while old.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "[{}] the page did not change",
                self.mode.tag()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.wait_loaded().await;
        self.arrived().await;
    }

    async fn wait_loaded(&self) {
        // Without JavaScript, WebDriver still runs its own scripts; page scripts do not.
        let started = Instant::now();
        loop {
            if let Ok(serde_json::Value::String(s)) =
                self.c.execute("return document.readyState;", vec![]).await
                && s == "complete"
            {
                return;
            }
            if started.elapsed() > Duration::from_secs(20) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn reload(&mut self) {
        self.c.refresh().await.unwrap();
        self.wait_loaded().await;
        self.arrived().await;
    }

    pub async fn has(&self, css: &str) -> bool {
        !self.c.find_all(Locator::Css(css)).await.unwrap().is_empty()
    }

    pub async fn login(&mut self, email: &str) {
        self.goto("/login").await;
        self.fill("email", email).await;
        self.fill("password", PASSWORD).await;
        self.click("Log in").await;
        assert!(
            !self.path().await.starts_with("/login"),
            "[{}] log-in failed: {}",
            self.mode.tag(),
            self.text().await
        );
    }

    pub async fn logout(&mut self) {
        self.click("Log out").await;
    }

    /// Waits (up to 10 s) for a file whose name ends with `suffix` in the download folder.
    pub async fn downloaded(&self, suffix: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(f) = std::fs::read_dir(&self.downloads)
                .unwrap()
                .filter_map(|e| e.ok())
                .find(|e| e.file_name().to_string_lossy().ends_with(suffix))
                && let Ok(s) = std::fs::read_to_string(f.path())
                && !s.is_empty()
            {
                let _ = std::fs::remove_file(f.path());
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "[{}] no download ending in {suffix}",
                self.mode.tag()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn close(self) -> (usize, Vec<String>) {
        let r = (self.pages, self.problems);
        self.c.close().await.unwrap();
        r
    }
}

/// Runs `flow` in every mode and fails with the problems found; prints the figures.
pub(crate) async fn run_flow<F, Fut>(name: &str, app: &TestApp, flow: F)
where
    F: Fn(Session, Mode) -> Fut,
    Fut: std::future::Future<Output = Session>,
{
    let Some(driver) = Driver::start().await else {
        return;
    };
    let (mut pages, mut problems) = (0, vec![]);
    for mode in MODES {
        let s = driver.session(&app.addr, mode).await;
        let s = flow(s, mode).await;
        let (p, found) = s.close().await;
        pages += p;
        problems.extend(found);
    }
    eprintln!(
        "browser: {name}: {pages} pages checked with axe, {} problems",
        problems.len()
    );
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn sign_up_with_email_verification() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    run_flow("sign-up", &app, |mut s, mode| {
        let app = &app;
        async move {
            let email = format!("new-{}@example.com", mode.tag());
            s.goto("/").await;
            s.click("Create a free account").await;
            s.fill("name", "Dana Student").await;
            s.fill("email", &email).await;
            s.fill("password", "short").await;
            s.check("student", "on").await;
            s.click("Create account").await;
            // The error sits next to the field and the input is kept.
            s.assert_text("Use at least 10 characters.").await;
            let kept =
                s.c.find(Locator::Css("#email"))
                    .await
                    .unwrap()
                    .prop("value")
                    .await
                    .unwrap();
            assert_eq!(kept.as_deref(), Some(email.as_str()));
            s.fill("password", PASSWORD).await;
            s.click("Create account").await;
            s.assert_text("Check your email").await;
            let mail = loop {
                if let Some(m) = app
                    .mail
                    .messages()
                    .into_iter()
                    .find(|m| m.to.contains(&email))
                {
                    break m;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            s.goto(&crate::helpers::link_in(&mail)).await;
            s.login(&email).await;
            s.assert_text("Dana Student").await;
            s
        }
    })
    .await;
}

/// Answers the current exam's questions (the first option each time) until `stop` says so or the
/// exam ends; returns how many were answered.
pub(crate) async fn answer_questions(s: &mut Session, max: usize) -> usize {
    let mut n = 0;
    while n < max {
        if s.has("input[name=\"option\"]").await {
            let first =
                s.c.find(Locator::Css("input[name=\"option\"]"))
                    .await
                    .unwrap();
            first.click().await.unwrap();
            let submit =
                s.c.find(Locator::Css("form.question-form button[type=\"submit\"]"))
                    .await
                    .unwrap();
            s.click_element(submit).await;
            n += 1;
        } else if s
            .c
            .find(Locator::XPath("//a[normalize-space()='Next question']"))
            .await
            .is_ok()
        {
            s.click("Next question").await;
        } else if s
            .c
            .find(Locator::XPath("//a[normalize-space()='See your results']"))
            .await
            .is_ok()
        {
            s.click("See your results").await;
        } else {
            break;
        }
    }
    n
}

#[tokio::test]
async fn a_readiness_check_to_its_result() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    app.seed_bank([20; 7]).await;
    run_flow("readiness check", &app, |mut s, mode| {
        let app = &app;
        async move {
            let email = format!("ready-{}@example.com", mode.tag());
            app.user(&email, &[Role::Student]).await;
            s.login(&email).await;
            s.goto("/exams").await;
            s.click("Start a readiness check").await;
            let n = answer_questions(&mut s, 200).await;
            assert!(n >= 25, "[{}] only {n} questions", mode.tag());
            s.assert_text("results").await;
            s.click("Review every question").await;
            // The real exam: the plan, then the result, with the prediction just made.
            s.goto("/exams/outcome").await;
            let today = app.clock.now().date().to_string();
            s.fill_date("exam_date", &today).await;
            s.click("Save my plan").await;
            s.assert_text("Your exam plan is saved").await;
            s.check("result", "pass").await;
            s.click("Send my result").await;
            s.assert_text("Thank you").await;
            s
        }
    })
    .await;
}

#[tokio::test]
async fn an_mblex_simulation_resumes_after_a_reload() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    app.seed_bank([30; 7]).await;
    run_flow("MBLEx simulation", &app, |mut s, mode| {
        let app = &app;
        async move {
            let email = format!("mblex-{}@example.com", mode.tag());
            app.user(&email, &[Role::Student]).await;
            s.login(&email).await;
            s.goto("/exams").await;
            s.click("Start an MBLEx simulation").await;
            s.assert_text("Time left").await;
            assert_eq!(answer_questions(&mut s, 3).await, 3);
            let progress = |t: String| {
                t.lines()
                    .find(|l| l.starts_with("Question "))
                    .unwrap_or_default()
                    .to_string()
            };
            let before = progress(s.text().await);
            let stem =
                s.c.find(Locator::Css("legend.stem"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
            assert!(
                before.starts_with("Question 4"),
                "[{}] {before}",
                mode.tag()
            );
            s.reload().await;
            assert_eq!(
                progress(s.text().await),
                before,
                "[{}] after reload",
                mode.tag()
            );
            let again =
                s.c.find(Locator::Css("legend.stem"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
            assert_eq!(
                again,
                stem,
                "[{}] the same question after a reload",
                mode.tag()
            );
            // Leaving and coming back through the attempts list resumes it too.
            s.goto("/exams").await;
            s.click("resume").await;
            assert_eq!(progress(s.text().await), before);
            assert_eq!(answer_questions(&mut s, 1).await, 1);
            assert!(progress(s.text().await).starts_with("Question 5"));
            s
        }
    })
    .await;
}

#[tokio::test]
async fn a_ce_activity_with_a_certificate_and_the_transcript() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    let pdf = tempfile::NamedTempFile::with_suffix(".pdf").unwrap();
    std::fs::write(
        pdf.path(),
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
    )
    .unwrap();
    let pdf_path = pdf.path().display().to_string();
    run_flow("CE activity", &app, |mut s, mode| {
        let (app, pdf_path) = (&app, pdf_path.clone());
        async move {
            let email = format!("ce-{}@example.com", mode.tag());
            app.user(&email, &[Role::Practitioner]).await;
            s.login(&email).await;
            s.goto("/ce").await;
            s.click("Add a credential").await;
            s.select("rule", "ncbtmb-bctmb").await;
            s.fill_date("issued_on", "2025-06-01").await;
            s.click("Add credential").await;
            s.assert_text("Board Certified").await;
            s.click("Log a CE activity").await;
            s.fill("title", "Ethics for massage therapists").await;
            s.fill("provider", "Example CE Co.").await;
            s.fill_date("completed_on", "2026-05-02").await;
            s.select("delivery", "live_online").await;
            s.fill("hours", "30").await;
            s.select("unit", "hour").await;
            s.fill("topic_ethics", "3").await;
            s.c.find(Locator::Css("input[name=\"certificate\"]"))
                .await
                .unwrap()
                .send_keys(&pdf_path)
                .await
                .unwrap();
            s.click("Log activity").await;
            // Topic hours that do not add up: refused next to the field, the rest kept.
            s.assert_text("The topic hours add up to 3, but the certificate says 30.")
                .await;
            s.assert_text("Choose the certificate file again").await;
            let title =
                s.c.find(Locator::Css("#title"))
                    .await
                    .unwrap()
                    .prop("value")
                    .await
                    .unwrap();
            assert_eq!(title.as_deref(), Some("Ethics for massage therapists"));
            s.fill("hours", "3").await;
            s.c.find(Locator::Css("input[name=\"certificate\"]"))
                .await
                .unwrap()
                .send_keys(&pdf_path)
                .await
                .unwrap();
            s.click("Log activity").await;
            s.assert_text("Ethics for massage therapists").await;
            assert!(s.path().await.starts_with("/ce"), "{}", s.path().await);
            // The log now has a row: it still fits a phone.
            s.check_again().await;
            s.c.find(Locator::XPath("//a[contains(@href, '/transcript.csv')]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let csv = s.downloaded(".csv").await;
            assert!(csv.contains("Ethics for massage therapists"), "{csv}");
            // Rule pages with long citations and addresses fit too.
            for rule in ["us-nj-lmt", "us-fl-lmt"] {
                s.goto(&format!("/ce/rules/{rule}")).await;
                s.check_again().await;
            }
            s
        }
    })
    .await;
}

#[tokio::test]
async fn an_instructor_writes_and_another_approves_an_item() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    run_flow("item review", &app, |mut s, mode| {
        let app = &app;
        async move {
            let (author, reviewer) = (
                format!("author-{}@example.com", mode.tag()),
                format!("reviewer-{}@example.com", mode.tag()),
            );
            app.user(&author, &[Role::Instructor]).await;
            app.user(&reviewer, &[Role::Instructor]).await;
            s.login(&author).await;
            s.goto("/bank/new").await;
            s.select("subarea", "4.D").await;
            s.select("level", "application").await;
            s.select("difficulty", "easy").await;
            s.check("pillars", "techniques").await;
            s.fill("topics", "cryotherapy, acute injury").await;
            let stem = format!(
                "A soccer player sprained an ankle ten minutes ago ({}). Which application fits best now?",
                mode.tag()
            );
            s.fill("stem", &stem).await;
            for (f, t) in [
                ("a", "Moist heat pack"),
                ("b", "Paraffin dip"),
                ("c", "Ice pack over a thin barrier"),
                ("d", "Hot stones along the calf"),
            ] {
                s.fill(&format!("option_{f}"), t).await;
            }
            s.check("key", "C").await;
            for (f, t) in [
                ("a", "Heat adds blood flow and swelling to a fresh injury."),
                ("b", "Paraffin is a heat application."),
                ("c", "Cold limits swelling and pain in the first hours after injury."),
                ("d", "Heat, and pressure near an injured joint."),
            ] {
                s.fill(&format!("rationale_{f}"), t).await;
            }
            s.fill("reference", "Cryotherapy in acute soft-tissue injury").await;
            s.click("Preview").await;
            s.assert_text("Preview: what students will see").await;
            s.click("Save as draft").await;
            let item = s.path().await;
            assert!(item.starts_with("/bank/items/4D-"), "{item}");
            s.click("Submit for review").await;
            s.assert_text("another instructor must review it").await;
            s.logout().await;
            s.login(&reviewer).await;
            s.goto(&item).await;
            s.click("Approve (make live)").await;
            s.assert_text("Approved (live)").await;
            s.assert_text("No calibration has estimated this question yet").await;
            s.goto("/bank/calibration").await;
            s.click("Run a calibration now").await;
            s.assert_text("Runs").await;
            s.logout().await;
            let admin = format!("admin-{}@example.com", mode.tag());
            app.user(&admin, &[Role::Admin]).await;
            s.login(&admin).await;
            s.goto("/admin/validity").await;
            s.assert_text("Prediction checks").await;
            s
        }
    })
    .await;
}

/// The checks themselves: axe reports a planted violation, and a page wider than a phone is found.
#[tokio::test]
async fn the_page_checks_find_planted_problems() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let page = "<!doctype html><html><head><title>t</title></head><body><main><h1>Planted</h1>\
        <img src=\"x.png\"><div style=\"width:2000px\">wide</div></main></body></html>";
    let mut s = driver.session("", MODES[0]).await;
    s.c.goto(&format!("data:text/html,{}", page.replace('#', "%23")))
        .await
        .unwrap();
    s.arrived().await;
    let (pages, problems) = s.close().await;
    assert_eq!(pages, 1);
    assert!(
        problems.iter().any(|p| p.contains("image-alt")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("wider than the window")),
        "{problems:?}"
    );
}
