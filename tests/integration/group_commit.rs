//! Group commit: answers arriving together share one commit, nothing is acknowledged before that
//! commit, and one failing piece of work does not take the others with it.

use crate::db_tests;
use crate::helpers::*;
use diesel::RunQueryDsl;
use palpate::domain::accounts::Role;
use palpate::error::AppError;
use serde_json::{Value, json};

async fn probe_table(app: &TestApp) {
    app.state
        .db(|c| {
            diesel::sql_query("CREATE TABLE gc_probe (n BIGINT NOT NULL)").execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn probe_rows(app: &TestApp) -> Vec<i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut v: Vec<i64> = app
        .state
        .db(|c| Ok(diesel::sql_query("SELECT n FROM gc_probe").load::<Row>(c)?))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.n)
        .collect();
    v.sort();
    v
}

/// Sixty writes at once, every third of which fails after writing: the failures leave nothing,
/// the others all land, and each caller gets its own result.
async fn a_failing_write_rolls_back_alone(app: TestApp) {
    probe_table(&app).await;
    let before = app.state.group_commit.stats();
    let mut tasks = vec![];
    for n in 0..60i64 {
        let st = app.state.clone();
        tasks.push(tokio::spawn(async move {
            st.tx_grouped(n as u64, move |c| {
                diesel::sql_query(format!("INSERT INTO gc_probe (n) VALUES ({n})")).execute(c)?;
                if n % 3 == 0 {
                    return Err(AppError::Conflict(format!("{n} refused")));
                }
                Ok(n)
            })
            .await
        }));
    }
    for (n, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(v) => assert!(n % 3 != 0 && v == n as i64, "{n} → {v}"),
            Err(AppError::Conflict(m)) => assert!(n % 3 == 0 && m == format!("{n} refused")),
            Err(e) => panic!("{n}: unexpected {e:?}"),
        }
    }
    let expected: Vec<i64> = (0..60).filter(|n| n % 3 != 0).collect();
    assert_eq!(probe_rows(&app).await, expected);
    let after = app.state.group_commit.stats();
    assert_eq!(after.units - before.units, 60);
    assert!(after.batches > before.batches);

    // A piece of work that panics is rolled back; its caller gets an error, the server goes on.
    let st = app.state.clone();
    let r = st
        .tx_grouped(7, |c| -> Result<(), AppError> {
            diesel::sql_query("INSERT INTO gc_probe (n) VALUES (1000)").execute(c)?;
            panic!("a bug in the unit");
        })
        .await;
    assert!(r.is_err());
    let r = st
        .tx_grouped(7, |c| {
            diesel::sql_query("INSERT INTO gc_probe (n) VALUES (1001)").execute(c)?;
            Ok(())
        })
        .await;
    assert!(r.is_ok());
    let rows = probe_rows(&app).await;
    assert!(!rows.contains(&1000) && rows.contains(&1001));
}

/// Answers through the API go through group commit (and still come back in order).
async fn exam_answers_are_group_committed(app: TestApp) {
    app.seed_bank([4, 4, 4, 4, 4, 4, 4]).await;
    app.user("gc@example.com", &[Role::Student]).await;
    let token = app.api_token("gc@example.com").await;
    let http = reqwest::Client::new();
    let mut s: Value = http
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&json!({"program": "readiness"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    let before = app.state.group_commit.stats();
    for n in 1..=5 {
        assert_eq!(s["position"], json!(n));
        let r = http
            .post(format!("{}/api/v1/exams/{id}/answers", app.addr))
            .bearer_auth(&token)
            .json(&json!({"position": s["position"], "option_id": api_option(&s, "Right")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        s = r.json().await.unwrap();
    }
    let after = app.state.group_commit.stats();
    assert!(
        after.units - before.units >= 4,
        "only {} of 5 answers were group-committed",
        after.units - before.units
    );
}

db_tests!(
    a_failing_write_rolls_back_alone,
    exam_answers_are_group_committed
);

/// SQLite: while the writer is busy, waiting writes queue and then commit together, and none of
/// their callers hears back before that commit.
#[tokio::test]
// The test holds SQLite's writer turn across awaits on purpose: it plays a long write.
#[allow(clippy::await_holding_lock)]
async fn waiting_writes_share_one_commit_and_wait_for_it() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    probe_table(&app).await;
    let before = app.state.group_commit.stats();
    let turn = app.state.sqlite_writer.lock().unwrap();
    let mut tasks = vec![];
    for n in 0..40i64 {
        let st = app.state.clone();
        tasks.push(tokio::spawn(async move {
            st.tx_grouped(n as u64, move |c| {
                diesel::sql_query(format!("INSERT INTO gc_probe (n) VALUES ({n})")).execute(c)?;
                Ok(())
            })
            .await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        tasks.iter().all(|t| !t.is_finished()),
        "a write was acknowledged before it was committed"
    );
    drop(turn);
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let after = app.state.group_commit.stats();
    assert_eq!(after.units - before.units, 40);
    assert!(
        after.batches - before.batches <= 2,
        "40 waiting writes took {} commits",
        after.batches - before.batches
    );
    assert_eq!(probe_rows(&app).await, (0..40).collect::<Vec<_>>());
}
