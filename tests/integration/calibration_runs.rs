//! Calibration from the answers in the database: a run moves an item from its prior to its
//! estimate, new exams use it, an exam under way keeps the parameters it started with, reviewers
//! see the history, the schedule knows when a run is due, and the CLI runs it too.

use crate::db_tests;
use crate::helpers::{TestApp, api_option};
use palpate::domain::accounts::Role;
use serde_json::{Value, json};

/// True (a, b, c) of the synthetic item `i` of area 1: every item as its rating says (easy −1,
/// medium 0, hard +1), except item 0, rated easy but really hard.
fn truth(i: usize) -> (f64, f64, f64) {
    if i == 0 {
        return (1.3, 1.2, 0.2);
    }
    (1.0, [-1.0, 0.0, 1.0][i % 3], 0.2)
}

/// A deterministic pseudo-random number in [0, 1).
fn draw(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

async fn call(http: &reqwest::Client, token: &str, url: String, body: Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

/// Plays `attempts` ten-question drills on area 1, each by a simulated student of its own ability
/// answering by the true parameters.
async fn simulate(app: &TestApp, token: &str, attempts: usize) {
    let http = reqwest::Client::new();
    let mut rng = 42u64;
    for _ in 0..attempts {
        // Ability ~ N(0, 1) by Box–Muller.
        let (u1, u2) = (draw(&mut rng).max(1e-12), draw(&mut rng));
        let theta = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let mut state = call(
            &http,
            token,
            format!("{}/api/v1/exams", app.addr),
            json!({"program": "drill", "areas": ["1"], "length": 10}),
        )
        .await;
        let exam = state["id"].as_str().unwrap().to_string();
        while state["finished"] == false {
            let stem = state["item"]["stem"].as_str().unwrap();
            let i: usize = stem
                .trim_start_matches("Synthetic question ")
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let (a, b, c) = truth(i);
            let p = c + (1.0 - c) / (1.0 + (-a * (theta - b)).exp());
            let option = api_option(&state, if draw(&mut rng) < p { "Right" } else { "Wrong" });
            state = call(
                &http,
                token,
                format!("{}/api/v1/exams/{exam}/answers", app.addr),
                json!({"position": state["position"], "option_id": option}),
            )
            .await;
        }
    }
}

async fn exam_config(app: &TestApp, public_id: &str) -> Value {
    let id = public_id.to_string();
    let row = app
        .state
        .db(move |c| Ok(palpate::store::exams::find_by_public_id(c, &id)?))
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(&row.config).unwrap()
}

/// The b the engine's whole-bank pool gives item `id` under the parameters of `run`.
async fn pool_b(app: &TestApp, run: Option<i64>, id: &str) -> f64 {
    let st = app.state.clone();
    let id = id.to_string();
    app.state
        .db(move |c| {
            let pool = st.pools.get_for_run(c, st.clock.now(), run)?;
            Ok(pool
                .pool
                .items()
                .iter()
                .find(|i| i.id == id)
                .unwrap()
                .params
                .b)
        })
        .await
        .unwrap()
}

async fn calibration_moves_an_item_to_its_estimate_and_running_exams_keep_theirs(app: TestApp) {
    app.seed_bank([12, 0, 0, 0, 0, 0, 0]).await;
    app.user("learner@example.com", &[Role::Student]).await;
    let teacher = app
        .logged_in("teacher@example.com", &[Role::Instructor])
        .await;
    let token = app.api_token("learner@example.com").await;
    let every = time::Duration::hours(24);
    assert!(
        !palpate::services::calibration::due(&app.state, every)
            .await
            .unwrap()
    );

    // Before any run: the empty state, and the prior in the pool.
    let page = teacher.get("/bank/calibration").await;
    page.assert_contains("No calibration has run yet");
    assert_eq!(pool_b(&app, None, "S1-000").await, -1.0);

    simulate(&app, &token, 300).await;
    assert!(
        palpate::services::calibration::due(&app.state, every)
            .await
            .unwrap()
    );

    // An exam under way when the run happens.
    let http = reqwest::Client::new();
    let before = call(
        &http,
        &token,
        format!("{}/api/v1/exams", app.addr),
        json!({"program": "drill", "areas": ["1"], "length": 10}),
    )
    .await;
    let before_id = before["id"].as_str().unwrap().to_string();
    assert_eq!(
        exam_config(&app, &before_id).await["parameters"],
        Value::Null
    );

    let page = teacher.get("/bank/calibration").await;
    let r = teacher
        .post_raw("/bank/calibration", &[("_csrf", &page.csrf())])
        .await;
    assert_eq!(r.status(), 303);
    let page = teacher.get("/bank/calibration").await;
    page.assert_contains("Calibration 1 finished");
    page.assert_contains("Started from the web");
    assert!(
        !palpate::services::calibration::due(&app.state, every)
            .await
            .unwrap()
    );

    // The mis-rated item moved from its prior (b = −1) to near its true difficulty (+1.2), and
    // the others stayed near theirs.
    let moved = pool_b(&app, Some(1), "S1-000").await;
    // The weak prior on b (and 300 short drills) pulls the estimate toward the bank's middle:
    // over repeated runs it lands between about 0.7 and 1.1. The check is that it moved at least
    // three quarters of the way from its prior to the truth, and not far past it.
    assert!(
        (0.5..1.7).contains(&moved),
        "S1-000: b {moved}, true 1.2, prior -1"
    );
    let medium = pool_b(&app, Some(1), "S1-001").await;
    assert!(medium.abs() < 0.6, "S1-001: b {medium}, true 0");

    // New exams start with the run's parameters; the one under way keeps the priors to its end.
    let after = call(
        &http,
        &token,
        format!("{}/api/v1/exams", app.addr),
        json!({"program": "drill", "areas": ["1"], "length": 10}),
    )
    .await;
    assert_eq!(
        exam_config(&app, after["id"].as_str().unwrap()).await["parameters"],
        1
    );
    let option = api_option(&before, "Right");
    let next = call(
        &http,
        &token,
        format!("{}/api/v1/exams/{before_id}/answers", app.addr),
        json!({"position": before["position"], "option_id": option}),
    )
    .await;
    assert_eq!(next["answered"], 1);
    assert_eq!(
        exam_config(&app, &before_id).await["parameters"],
        Value::Null
    );
    assert_eq!(pool_b(&app, None, "S1-000").await, -1.0);

    // Reviewers see the estimate next to the classical statistics.
    let item = teacher.get("/bank/items/S1-000").await;
    item.assert_contains("Calibration history of this question");
    item.assert_contains(&format!("{moved:+.2}"));

    // The command line runs it too, on the same database, and prints the run as JSON.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palpate"))
        .args(["calibrate", "--stored"])
        .env("PALPATE_DATA_DIR", dir.path())
        .env("PALPATE_DATABASE_URL", &app.settings.database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["run"]["id"], 2);
    assert_eq!(printed["run"]["source"], "Started from the command line");
    assert!(printed["run"]["n_responses"].as_i64().unwrap() >= 3000);
}

db_tests!(calibration_moves_an_item_to_its_estimate_and_running_exams_keep_theirs);
