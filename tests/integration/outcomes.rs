//! The real exam: a student's plan, the one e-mail asking for the result, reporting it (or
//! declining), and the administrator's check of predictions against results, with the cut they
//! can adopt for new exams.

use crate::db_tests;
use crate::helpers::{TestApp, api_option};
use palpate::domain::accounts::Role;
use serde_json::{Value, json};

/// Plays a readiness check through the API, always answering right; returns its id.
async fn readiness_check(app: &TestApp, token: &str) -> String {
    let http = reqwest::Client::new();
    let post = |url: String, body: Value| {
        let http = http.clone();
        let token = token.to_string();
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            r.json::<Value>().await.unwrap()
        }
    };
    let mut state = post(
        format!("{}/api/v1/exams", app.addr),
        json!({"program": "readiness"}),
    )
    .await;
    let id = state["id"].as_str().unwrap().to_string();
    while state["finished"] == false {
        let option = api_option(&state, "Right");
        state = post(
            format!("{}/api/v1/exams/{id}/answers", app.addr),
            json!({"position": state["position"], "option_id": option}),
        )
        .await;
    }
    id
}

async fn results_are_asked_for_once_reported_and_checked(app: TestApp) {
    app.seed_bank([8, 8, 8, 8, 8, 8, 8]).await;
    let student = app.logged_in("student@example.com", &[Role::Student]).await;
    let token = app.api_token("student@example.com").await;

    // Before any report, a result page says its prediction is unchecked.
    let exam = readiness_check(&app, &token).await;
    let result = student.get(&format!("/exams/{exam}/result")).await;
    result.assert_contains("no question has been calibrated from students");
    result.assert_contains("not yet been checked against real exam results");

    // The plan: a bad date is refused next to its field with the input kept.
    let r = student
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "mblex"), ("exam_date", "15/03/2027")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains(r#"id="exam_date-error""#);
    r.assert_contains(r#"value="15/03/2027""#);
    let yesterday = (app.clock.now().date() - time::Duration::days(1)).to_string();
    let r = student
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "mblex"), ("exam_date", &yesterday)],
        )
        .await;
    assert_eq!(r.status(), 303);
    student
        .get("/exams/outcome")
        .await
        .assert_contains("Your exam date has passed. How did it go?");

    // Asked once by e-mail after the date.
    assert_eq!(
        palpate::services::outcomes::ask_due(&app.state)
            .await
            .unwrap(),
        1
    );
    let mail = app.wait_for_mail(1).await;
    assert_eq!(mail[0].subject, "How did your MBLEx go?");
    assert!(mail[0].text.contains("/exams/outcome"), "{}", mail[0].text);
    assert!(mail[0].text.contains(&yesterday));
    assert_eq!(
        palpate::services::outcomes::ask_due(&app.state)
            .await
            .unwrap(),
        0
    );

    // A result in the future is refused; a pass is recorded with the last prediction before it
    // (the readiness check above, taken the same day).
    let today = app.clock.now().date().to_string();
    let tomorrow = (app.clock.now().date() + time::Duration::days(1)).to_string();
    let r = student
        .submit(
            "/exams/outcome",
            "/exams/outcome",
            &[
                ("target", "mblex"),
                ("result", "pass"),
                ("taken_on", &tomorrow),
                ("scaled_score", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains(r#"id="taken_on-error""#);
    r.assert_contains("in the future");
    let r = student
        .submit(
            "/exams/outcome",
            "/exams/outcome",
            &[
                ("target", "mblex"),
                ("result", "pass"),
                ("taken_on", &today),
                ("scaled_score", "712"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = student.get("/exams/outcome").await;
    page.assert_contains("Thank you");
    assert!(!page.body.contains("Your exam date has passed"));

    // The administrator sees it against the prediction.
    let admin = app.logged_in("admin@example.com", &[Role::Admin]).await;
    let v = admin.get("/admin/validity").await;
    assert_eq!(v.status(), 200);
    // No link an administrator who does not teach cannot follow.
    assert!(!v.body.contains("href=\"/bank/calibration\""), "{}", v.body);
    v.assert_contains("<strong>1</strong> pass or fail results reported, <strong>1</strong> of them with a prediction");
    v.assert_contains("Brier score");
    v.assert_contains("once at least 100 reported results");
    let result = student.get(&format!("/exams/{exam}/result")).await;
    result.assert_contains("predictions checked against 1 reported exam result.");

    // With enough results, the cut they imply can be adopted, and new exams use it.
    let uid = app.user("many@example.com", &[Role::Student]).await;
    let now = app.clock.now();
    app.state
        .db(move |c| {
            for k in 0..150 {
                let theta = -2.0 + 4.0 * (k as f64) / 150.0;
                palpate::store::outcomes::insert_outcome(
                    c,
                    &palpate::store::outcomes::NewOutcome {
                        user_id: uid,
                        target: "mblex",
                        taken_on: Some(now.date()),
                        // The real standard sits near θ = 0.5, with some noise around it.
                        passed: Some(theta > 0.5 || (k % 7 == 0 && theta > 0.0)),
                        scaled_score: None,
                        declined: false,
                        p_pass_before: Some(1.0 / (1.0 + (-2.0 * theta).exp())),
                        theta_before: Some(theta),
                        reported_at: now,
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let v = admin.get("/admin/validity").await;
    v.assert_contains("The reported results put the real exam's standard at");
    let r = admin
        .post_raw("/admin/validity/adopt", &[("_csrf", &v.csrf())])
        .await;
    assert_eq!(r.status(), 303);
    let v = admin.get("/admin/validity").await;
    v.assert_contains("New readiness checks and simulations now use the cut");
    let adopted = app
        .state
        .db(palpate::services::outcomes::adopted_cut)
        .await
        .unwrap()
        .unwrap();
    assert!((0.2..0.7).contains(&adopted), "adopted cut {adopted}");
    let http = reqwest::Client::new();
    let started: Value = http
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&json!({"program": "readiness"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap().to_string();
    let row = app
        .state
        .db(move |c| Ok(palpate::store::exams::find_by_public_id(c, &id)?))
        .await
        .unwrap()
        .unwrap();
    let cfg: Value = serde_json::from_str(&row.config).unwrap();
    assert_eq!(cfg["engine"]["cut"].as_f64().unwrap(), adopted);

    // Declining is recorded too, and not counted as a result.
    let r = student
        .submit(
            "/exams/outcome",
            "/exams/outcome",
            &[
                ("target", "mblex"),
                ("result", "decline"),
                ("taken_on", ""),
                ("scaled_score", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    student
        .get("/exams/outcome")
        .await
        .assert_contains("we will not ask again");
}

async fn a_student_who_already_reported_is_not_asked(app: TestApp) {
    let s = app.logged_in("early@example.com", &[Role::Student]).await;
    let yesterday = (app.clock.now().date() - time::Duration::days(1)).to_string();
    let r = s
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "ncbtmb"), ("exam_date", &yesterday)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = s
        .submit(
            "/exams/outcome",
            "/exams/outcome",
            &[
                ("target", "ncbtmb"),
                ("result", "fail"),
                ("taken_on", &yesterday),
                ("scaled_score", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        palpate::services::outcomes::ask_due(&app.state)
            .await
            .unwrap(),
        0
    );
}

async fn only_students_and_admins_reach_their_pages(app: TestApp) {
    let instructor = app
        .logged_in("teacher@example.com", &[Role::Instructor])
        .await;
    assert_eq!(instructor.get("/exams/outcome").await.status(), 403);
    assert_eq!(instructor.get("/admin/validity").await.status(), 403);
    let admin = app.logged_in("admin@example.com", &[Role::Admin]).await;
    let v = admin.get("/admin/validity").await;
    v.assert_contains("No student has reported a real exam result yet");
    v.assert_contains("No calibration has run yet");
}

db_tests!(
    results_are_asked_for_once_reported_and_checked,
    only_students_and_admins_reach_their_pages,
    a_student_who_already_reported_is_not_asked
);
