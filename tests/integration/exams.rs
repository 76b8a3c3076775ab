//! Practice exams end to end: delivery without answer keys, idempotent answers, the server's clock,
//! resume after restart, time-outs, drills, results and review.

use crate::db_tests;
use crate::helpers::{Client, TestApp, answer, api_option, pick, position};
use palpate::domain::accounts::Role;
use palpate::domain::bank::Status;
use serde_json::{Value, json};

/// MBLEx-proportional bank with room for a 110-item simulation.
const BANK: [usize; 7] = [20, 22, 26, 26, 30, 28, 26];

async fn start(c: &Client, program: &str) -> String {
    let r = c.submit("/exams", "/exams", &[("program", program)]).await;
    assert_eq!(r.status(), 303, "{}", r.body);
    r.location.unwrap()
}

async fn readiness_check_in_the_browser(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("stu@example.com", &[Role::Student]).await;
    let url = start(&c, "readiness").await;
    let mut answered = 0;
    loop {
        let page = c.get(&url).await;
        if page.status() == 303 {
            break;
        }
        assert_eq!(page.status(), 200);
        // Stem and options only: no rationale, no key, before answering.
        assert!(
            !page.body.contains("Rationale"),
            "rationale leaked before answering"
        );
        assert!(!page.body.contains("correct answer"));
        page.assert_contains("Time left:");
        // The range students are told everywhere, and a bar scaled to it (not to 110).
        page.assert_contains("25 to 100 questions");
        assert!(!page.body.contains("at most 110") && !page.body.contains("max=\"110\""));
        if answered == 3 {
            // In the attempts list meanwhile: real progress, not "0 / 0 correct".
            let list = c.get("/exams").await;
            list.assert_contains("not finished: 3 answered so far");
            assert!(!list.body.contains("0 / 0 correct"));
        }
        let r = answer(&c, &url, &page, true).await;
        assert_eq!(r.status(), 303);
        answered += 1;
        assert!(answered <= 110, "the readiness check must stop");
    }
    // Always right: decided at the 25-question minimum (plus the unscored trial questions
    // mixed in, at most one per ten positions).
    assert!((25..=28).contains(&answered), "answered {answered}");
    let result = c.get(&format!("{url}/result")).await;
    assert_eq!(result.status(), 200);
    result.assert_contains("Pass");
    result.assert_contains("Probability of passing");
    result.assert_contains("practice 300–900 scale");
    result.assert_contains(
        "only when the evidence clears the standard and this probability is at least 60 %",
    );
    // Always right: P(pass) is high and the practice score is above the standard.
    let shown = result
        .body
        .split("Probability of passing</dt><dd><strong>")
        .nth(1)
        .unwrap()
        .split(" %</strong>")
        .next()
        .unwrap()
        .to_string();
    assert!(
        shown == "&gt; 99" || shown.parse::<u32>().unwrap() >= 90,
        "P(pass) shown as {shown}"
    );
    let review = c.get(&format!("{url}/review")).await;
    review.assert_contains("Rationale");
    review.assert_contains("(correct answer)");
    let missed = c.get(&format!("{url}/review?missed=1")).await;
    missed.assert_contains("You did not miss any question");
    let hist = c.get("/exams").await;
    hist.assert_contains("Readiness check");
    hist.assert_contains("P(pass)");
}

async fn api_answers_are_idempotent_and_keys_stay_hidden(app: TestApp) {
    app.seed_bank(BANK).await;
    app.user("api-stu@example.com", &[Role::Student]).await;
    app.user("other@example.com", &[Role::Student]).await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.addr);
    let t = app.api_token("api-stu@example.com").await;
    let other = app.api_token("other@example.com").await;

    let r = http
        .post(url("/api/v1/exams"))
        .bearer_auth(&t)
        .json(&json!({"program": "readiness"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(s["position"], 1);
    assert!(s["remaining_seconds"].as_i64().unwrap() > 6000);
    let text = s.to_string();
    for leak in ["key", "rationale", "Rationale", "correct"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
    let opts = s["item"]["options"].as_array().unwrap();
    assert_eq!(opts.len(), 4);
    let right = api_option(&s, "Right");
    let wrong = api_option(&s, "Wrong");

    // Someone else cannot see or answer it.
    let r = http
        .get(url(&format!("/api/v1/exams/{id}/current")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // No review before finishing.
    let r = http
        .get(url(&format!("/api/v1/exams/{id}/review")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let ans = |opt: String, pos: i64| {
        let http = http.clone();
        let (u, t) = (url(&format!("/api/v1/exams/{id}/answers")), t.clone());
        async move {
            http.post(u)
                .bearer_auth(t)
                .json(&json!({"position": pos, "option_id": opt}))
                .send()
                .await
                .unwrap()
        }
    };
    let (a, b) = tokio::join!(ans(right.clone(), 1), ans(right.clone(), 1));
    assert_eq!(a.status(), 200);
    assert_eq!(b.status(), 200, "a double submit is harmless");
    let sa: Value = a.json().await.unwrap();
    let sb: Value = b.json().await.unwrap();
    assert_eq!(sa["position"], 2);
    assert_eq!(sa["position"], sb["position"]);
    assert_eq!(sa["item"]["id"], sb["item"]["id"]);
    // The question is named by a per-exam handle, never by its id in the bank (which would tell
    // trial questions from scored ones).
    let handle = sa["item"]["id"].as_str().unwrap();
    assert!(handle.starts_with("q-") && handle.len() == 14, "{handle}");
    assert!(
        !sa.to_string().contains("\"S6-") && !sa.to_string().contains("S6-0"),
        "{sa}"
    );
    // A different answer to the same position is refused; so is a position that is not current.
    let r = ans(wrong.clone(), 1).await;
    assert_eq!(r.status(), 409);
    let r = ans(right.clone(), 5).await;
    assert_eq!(r.status(), 409);
    let cur: Value = http
        .get(url(&format!("/api/v1/exams/{id}/current")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cur["position"], 2);
    assert_eq!(cur["answered"], 1);

    let exam_row = app
        .state
        .db({
            let id = id.clone();
            move |c| Ok(palpate::store::exams::find_by_public_id(c, &id)?)
        })
        .await
        .unwrap()
        .unwrap();
    let rows = app
        .state
        .db(move |c| Ok(palpate::store::exams::items_of(c, exam_row.id)?))
        .await
        .unwrap();
    assert_eq!(
        rows.iter().filter(|r| r.chosen.is_some()).count(),
        1,
        "one answer recorded"
    );
    assert_eq!(rows.len(), 2);
}

async fn resume_after_refresh_and_restart(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("resume@example.com", &[Role::Student]).await;
    let url = start(&c, "mblex").await;
    let first = c.get(&url).await;
    let r = answer(&c, &url, &first, true).await;
    assert_eq!(r.status(), 303);
    let a = c.get(&url).await;
    let b = c.get(&url).await;
    assert_eq!(position(&a), "2");
    assert_eq!(position(&b), "2");
    let stem = crate::helpers::stem_of;
    assert_eq!(stem(&a), stem(&b), "a refresh shows the same item");
    // Another instance on the same database (a restart) resumes at the same item and clock.
    let other = app.second_instance().await;
    let c2 = Client {
        base: other.addr.clone(),
        http: c.http.clone(),
    };
    app.clock.advance(time::Duration::minutes(10));
    other.clock.advance(time::Duration::minutes(10));
    let resumed = c2.get(&url).await;
    assert_eq!(resumed.status(), 200);
    assert_eq!(stem(&resumed), stem(&a));
    // The seeded bank has no trial questions: the exam is the 100 scored ones, and says so.
    resumed.assert_contains("Question 2 of 100");
    let left: i64 = resumed
        .body
        .split("data-remaining=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (5990..=6000).contains(&left),
        "110 min − 10 min ≈ 6000 s left, got {left}"
    );
    let warning = "less than 45 seconds per remaining question";
    assert!(
        !resumed.body.contains(warning),
        "100 minutes for 99 questions"
    );
    // 70 minutes for 99 questions: both instances warn (one has the exam in memory, one not).
    app.clock.advance(time::Duration::minutes(30));
    other.clock.advance(time::Duration::minutes(30));
    c.get(&url).await.assert_contains(warning);
    c2.get(&url).await.assert_contains(warning);
}

async fn mblex_time_out_is_an_automatic_fail(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("slow@example.com", &[Role::Student]).await;
    let url = start(&c, "mblex").await;
    let page = c.get(&url).await;
    answer(&c, &url, &page, true).await;
    let page = c.get(&url).await;
    let (csrf, pos, opt) = (page.csrf(), position(&page), pick(&page, true));
    app.clock.advance(time::Duration::minutes(111));
    let r = c
        .post_raw(
            &format!("{url}/answer"),
            &[("position", &pos), ("option", &opt), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{url}/result").as_str())
    );
    let result = c.get(&format!("{url}/result")).await;
    result.assert_contains("Time is up");
    result.assert_contains("automatic fail with no diagnostic report");
    assert!(!result.body.contains("Probability of passing"));
    assert!(!result.body.contains("By content area"));
}

async fn abandoned_exams_are_finished_at_their_deadline(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("gone@example.com", &[Role::Student]).await;
    let url = start(&c, "readiness").await;
    let page = c.get(&url).await;
    answer(&c, &url, &page, false).await;
    let id = url.rsplit('/').next().unwrap().to_string();
    app.clock.advance(time::Duration::minutes(111));
    // No request from the student: the background job finishes it.
    let mut status = String::new();
    for _ in 0..100 {
        let id = id.clone();
        status = app
            .state
            .db(move |c| Ok(palpate::store::exams::find_by_public_id(c, &id)?))
            .await
            .unwrap()
            .unwrap()
            .status;
        if status == "finished" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "finished");
    let id2 = id.clone();
    let exam = app
        .state
        .db(move |c| Ok(palpate::store::exams::find_by_public_id(c, &id2)?))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exam.outcome.as_deref(), Some("time_out"));
    assert_eq!(
        exam.passed,
        Some(false),
        "under the minimum number of items: fail"
    );
    let result = c.get(&format!("{url}/result")).await;
    assert_eq!(result.status(), 200);
    result.assert_contains("Time ran out");
}

async fn topic_drill_shows_rationales_and_allows_going_back(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("drill@example.com", &[Role::Student]).await;
    let url = crate::helpers::start_drill(&c, "3", "3").await;
    let page = c.get(&url).await;
    assert!(!page.body.contains("Time left"), "drills are untimed");
    // The question on screen has no answer page yet: its address leads back to the exam.
    let early = c.get(&format!("{url}/items/1")).await;
    assert_eq!(early.status(), 303, "{}", early.body);
    // Titled by the area's name, not its sub-area codes.
    page.assert_contains("Topic drill: Pathology, Contraindications");
    assert!(!page.body.contains("Topic drill: 3."), "{}", page.body);
    assert!(
        page.body.contains("area 3"),
        "drill questions come from the chosen area"
    );
    let r = answer(&c, &url, &page, false).await;
    // Post, redirect, get: the feedback is a page of its own, and reloading it answers nothing.
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{url}/items/1").as_str())
    );
    let fb = c.get(&format!("{url}/items/1")).await;
    assert_eq!(fb.status(), 200);
    fb.assert_contains("Next question");
    assert_eq!(c.get(&format!("{url}/items/1")).await.body, fb.body);
    fb.assert_contains("Not quite");
    fb.assert_contains("Rationale 3-");
    fb.assert_contains("(your answer)");
    fb.assert_contains("Report a problem with this question");
    for _ in 0..2 {
        let page = c.get(&url).await;
        let r = answer(&c, &url, &page, true).await;
        assert_eq!(r.status(), 303);
        c.get(r.location.as_deref().unwrap())
            .await
            .assert_contains("Correct.");
    }
    let back = c.get(&format!("{url}/items/1")).await;
    assert_eq!(back.status(), 200);
    back.assert_contains("(correct answer)");
    let result = c.get(&format!("{url}/result")).await;
    result.assert_contains("You answered 2 of 3 questions correctly");
    // A drill with nothing chosen is refused next to the areas.
    let r = c
        .submit("/exams", "/exams", &[("program", "drill"), ("length", "3")])
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"areas-error\">Choose at least one area");
    // A bad length is refused next to it, with the ticked areas kept.
    let r = c
        .submit(
            "/exams",
            "/exams",
            &[
                ("program", "drill"),
                ("areas", "3"),
                ("areas", "1.B"),
                ("length", "abc"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"length-error\">A drill has 1 to 50 questions.");
    r.assert_contains("value=\"3\" checked");
    r.assert_contains("value=\"1.B\" checked");
}

async fn only_students_take_exams_and_retired_items_stay_reviewable(app: TestApp) {
    app.seed_bank(BANK).await;
    let inst = app
        .logged_in("teacher@example.com", &[Role::Instructor])
        .await;
    assert_eq!(inst.get("/exams").await.status(), 403);
    let c = app.logged_in("retire@example.com", &[Role::Student]).await;
    let url = crate::helpers::start_drill(&c, "1", "2").await;
    let page = c.get(&url).await;
    let stem = crate::helpers::stem_of(&page);
    let item_id = format!(
        "S1-{:03}",
        stem.split("question ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    );
    answer(&c, &url, &page, true).await;
    // The item is retired (import with status retired) while the exam is running.
    let id = item_id.clone();
    app.state
        .db(move |c| {
            palpate::store::bank::update_item(
                c,
                &id,
                "1.A",
                "1",
                Status::Retired.as_str(),
                1,
                Some(1),
                time::macros::datetime!(2026-01-01 0:00),
            )?;
            Ok(())
        })
        .await
        .unwrap();
    app.state.pools.invalidate();
    let page = c.get(&url).await;
    answer(&c, &url, &page, true).await;
    let review = c.get(&format!("{url}/review")).await;
    assert_eq!(review.status(), 200);
    review.assert_contains(&stem);
}

async fn instructors_define_programs_for_students(app: TestApp) {
    app.seed_bank(BANK).await;
    let inst = app.logged_in("prog@example.com", &[Role::Instructor]).await;
    let stu = app.logged_in("takes@example.com", &[Role::Student]).await;
    assert_eq!(stu.get("/programs").await.status(), 403);
    let r = inst
        .submit(
            "/programs",
            "/programs",
            &[("name", "Wk"), ("length", "500"), ("minutes", "20")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("3 to 80 characters");
    r.assert_contains("Choose at least one area");
    r.assert_contains("5 to 150 questions");
    let r = inst
        .submit(
            "/programs",
            "/programs",
            &[
                ("name", "Week 6: pathology"),
                ("areas", "3"),
                ("areas", "6.A"),
                ("length", "5"),
                ("minutes", "8"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let list = stu.get("/exams").await;
    list.assert_contains("Week 6: pathology");
    let id = list
        .body
        .split("value=\"custom:")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = stu
        .submit("/exams", "/exams", &[("program", &format!("custom:{id}"))])
        .await;
    assert_eq!(r.status(), 303);
    let url = r.location.unwrap();
    let page = stu.get(&url).await;
    page.assert_contains("Question 1 of 5");
    let left: i64 = page
        .body
        .split("data-remaining=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (470..=480).contains(&left),
        "8 minutes on the clock, got {left} s"
    );
    assert!(page.body.contains("area 3") || page.body.contains("area 6"));
    // Archiving asks first; archived programs can no longer be started.
    inst.get(&format!("/programs/{id}/archive"))
        .await
        .assert_contains("Students can no longer start it");
    inst.submit("/programs", &format!("/programs/{id}/archive"), &[])
        .await;
    let r = stu
        .submit("/exams", "/exams", &[("program", &format!("custom:{id}"))])
        .await;
    assert_eq!(r.status(), 303);
    stu.get("/exams").await.assert_contains("no longer offered");
}

/// A running exam is kept in memory by the instance that last answered it. Answers that alternate
/// between two instances, double submits on the in-memory path and an answer after the deadline
/// must all leave exactly one correct answer per position in the database.
async fn answers_alternate_between_instances(app: TestApp) {
    app.seed_bank(BANK).await;
    app.user("twice@example.com", &[Role::Student]).await;
    let other = app.second_instance().await;
    let http = reqwest::Client::new();
    let token = app.api_token("twice@example.com").await;
    let s: Value = http
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&json!({"program": "mblex"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    let right_of = |s: &Value| api_option(s, "Right");
    let answer = |base: String, pos: i64, opt: String| {
        let (http, token, id) = (http.clone(), token.clone(), id.clone());
        async move {
            http.post(format!("{base}/api/v1/exams/{id}/answers"))
                .bearer_auth(token)
                .json(&json!({"position": pos, "option_id": opt}))
                .send()
                .await
                .unwrap()
        }
    };
    // Instance A answers 1–3, B answers 4, A answers 5–6 (its memory is one answer behind).
    let plan = [
        &app.addr,
        &app.addr,
        &app.addr,
        &other.addr,
        &app.addr,
        &app.addr,
    ];
    let mut state = s;
    for (i, base) in plan.iter().enumerate() {
        let pos = i as i64 + 1;
        assert_eq!(state["position"], pos);
        let opt = right_of(&state);
        let r = answer(base.to_string(), pos, opt.clone()).await;
        assert_eq!(r.status(), 200, "answer {pos}");
        state = r.json().await.unwrap();
        if pos == 4 {
            // The same answer retried on A, whose memory still shows question 4 on screen: the
            // database says it is answered, so this is a harmless repeat.
            let again = answer(app.addr.clone(), 4, opt).await;
            assert_eq!(again.status(), 200);
            let again: Value = again.json().await.unwrap();
            assert_eq!(again["position"], 5);
            assert_eq!(again["item"]["id"], state["item"]["id"]);
        }
    }
    // The two instances agree on the item on screen.
    let on_b: Value = http
        .get(format!("{}/api/v1/exams/{id}/current", other.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on_b["position"], 7);
    assert_eq!(on_b["item"]["id"], state["item"]["id"]);
    // A double submit on A's in-memory path records one answer; a changed answer is refused.
    let right = right_of(&state);
    let wrong = ["A", "B", "C", "D"]
        .into_iter()
        .find(|o| *o != right)
        .unwrap()
        .to_string();
    let (a, b) = tokio::join!(
        answer(app.addr.clone(), 7, right.clone()),
        answer(app.addr.clone(), 7, right.clone())
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (sa, sb): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(sa["position"], 8);
    assert_eq!(sa["item"]["id"], sb["item"]["id"]);
    assert_eq!(answer(app.addr.clone(), 7, wrong).await.status(), 409);
    // After the deadline the in-memory path refuses too, with the reason, and the exam is over.
    app.clock.advance(time::Duration::minutes(111));
    let late = answer(app.addr.clone(), 8, right_of(&sa)).await;
    assert_eq!(late.status(), 410);
    assert!(late.text().await.unwrap().contains("Time is up"));

    let rows = app
        .state
        .db(move |c| {
            let e = palpate::store::exams::find_by_public_id(c, &id)?.unwrap();
            assert_eq!(e.status, "finished", "finished under the MBLEx rule");
            Ok(palpate::store::exams::items_of(c, e.id)?)
        })
        .await
        .unwrap();
    let positions: Vec<i32> = rows.iter().map(|r| r.position).collect();
    assert_eq!(
        positions,
        (1..=7).collect::<Vec<_>>(),
        "one row per position"
    );
    assert!(
        rows.iter().all(|r| r.correct == Some(true)),
        "every answer recorded as the right one: {rows:?}"
    );
}

/// A student can end an unfinished exam, after a confirmation: the answers so far are kept, the
/// exam closes without a verdict, and nothing more can be answered.
async fn a_student_ends_an_exam_early(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("stu@example.com", &[Role::Student]).await;
    let url = start(&c, "readiness").await;
    for _ in 0..3 {
        let page = c.get(&url).await;
        answer(&c, &url, &page, true).await;
    }
    let page = c.get(&url).await;
    page.assert_contains("End this exam");
    // Someone else cannot end it.
    let other = app.logged_in("eve@example.com", &[Role::Student]).await;
    let r = other.submit("/exams", &format!("{url}/end"), &[]).await;
    assert_eq!(r.status(), 404);
    let confirm = c.get(&format!("{url}/end")).await;
    confirm.assert_contains("You have answered 3 questions");
    confirm.assert_contains("Yes, end the exam");
    let r = c
        .submit(&format!("{url}/end"), &format!("{url}/end"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("{url}/result").as_str())
    );
    let result = c.get(&format!("{url}/result")).await;
    result.assert_contains("You ended this exam before it finished, after 3 questions");
    assert!(!result.body.contains("Probability of passing"));
    // The question page now leads to the result; an answer is refused.
    assert_eq!(c.get(&url).await.status(), 303);
    let r = c
        .submit(
            &format!("{url}/result"),
            &format!("{url}/answer"),
            &[("position", "4"), ("option", "A")],
        )
        .await;
    assert_ne!(r.status(), 200);
    c.get("/exams").await.assert_contains("ended early");

    // The same through the API: another student cannot, the owner can, once.
    let token = app.api_token("stu@example.com").await;
    let http = reqwest::Client::new();
    let s: Value = http
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&json!({"program": "readiness"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap();
    let r = http
        .post(format!("{}/api/v1/exams/{id}/answers", app.addr))
        .bearer_auth(&token)
        .json(&json!({"position": s["position"], "option_id": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let end = format!("{}/api/v1/exams/{id}/end", app.addr);
    let eve = app.api_token("eve@example.com").await;
    let r = http.post(&end).bearer_auth(&eve).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = http.post(&end).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let result: Value = r.json().await.unwrap();
    assert_eq!(result["items_answered"], 1);
    assert_eq!(result["outcome"], "ended");
    let r = http.post(&end).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = http
        .post(format!("{}/api/v1/exams/{id}/answers", app.addr))
        .bearer_auth(&token)
        .json(&json!({"position": 2, "option_id": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410, "nothing more is answerable");
}

/// The per-area chart colours a bar red exactly when it ends at or left of the weak line, and the
/// table beside it names the same areas weak.
fn assert_one_weak_rule(body: &str) {
    let start = body
        .find("aria-labelledby=\"areas-title\"")
        .expect("an area chart");
    let svg = &body[start..start + body[start..].find("</svg>").unwrap()];
    let attr = |tag: &str, name: &str| -> String {
        let i = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[i..i + tag[i..].find('"').unwrap()].to_string()
    };
    let line = &svg[svg.find("<line").expect("the weak line")..];
    let lx: f64 = attr(line, "x1").parse().unwrap();
    let mut red = 0;
    for rect in svg.split("<rect").skip(1) {
        let end =
            attr(rect, "x").parse::<f64>().unwrap() + attr(rect, "width").parse::<f64>().unwrap();
        let is_red = attr(rect, "fill") == "#b3261e";
        assert_eq!(
            is_red,
            end <= lx + 0.05,
            "bar ending at {end}, weak line at {lx}"
        );
        red += is_red as usize;
    }
    assert_eq!(
        svg.matches(" weak</text>").count(),
        red,
        "labels match colours"
    );
}

async fn result_charts_follow_one_weak_rule_and_date_the_trend(app: TestApp) {
    app.seed_bank(BANK).await;
    let c = app.logged_in("chart@example.com", &[Role::Student]).await;
    let mut url = String::new();
    for round in 0..2 {
        url = start(&c, "readiness").await;
        let mut k = 0;
        loop {
            let page = c.get(&url).await;
            if page.status() == 303 {
                break;
            }
            let right = if round == 0 { k % 4 != 0 } else { k % 2 == 0 };
            assert_eq!(answer(&c, &url, &page, right).await.status(), 303);
            k += 1;
        }
    }
    let result = c.get(&format!("{url}/result")).await;
    assert_one_weak_rule(&result.body);
    let weak_in_table = result
        .body
        .matches("<td><strong>weak</strong></td>")
        .count();
    let start = result.body.find("aria-labelledby=\"areas-title\"").unwrap();
    let svg = &result.body[start..start + result.body[start..].find("</svg>").unwrap()];
    assert_eq!(svg.matches(" weak</text>").count(), weak_in_table);
    result.assert_contains("Chance at or above the standard");

    let list = c.get("/exams").await;
    assert_one_weak_rule(&list.body);
    list.assert_contains("From your latest finished attempt");
    let today = crate::helpers::student_today(&app).to_string();
    assert!(
        list.body.contains(&format!(">{today}</text>")),
        "the trend's x-axis is dated"
    );
}

/// Viewing the question page is a read: it answers while another request holds the write turn
/// (SQLite) or the exam's row lock (PostgreSQL). Before, every view replayed the exam under the
/// writer lock and waited here.
async fn a_question_page_is_a_read(app: TestApp) {
    use diesel::{Connection, RunQueryDsl};
    app.seed_bank(BANK).await;
    let c = app.logged_in("reader@example.com", &[Role::Student]).await;
    let url = start(&c, "mblex").await;
    let first = c.get(&url).await;
    assert_eq!(answer(&c, &url, &first, true).await.status(), 303);
    let public_id = url.trim_start_matches("/exams/").to_string();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (held, is_held) = std::sync::mpsc::channel::<()>();
    let holder = match app.db {
        crate::helpers::Db::Sqlite => {
            let writer = app.state.sqlite_writer.clone();
            std::thread::spawn(move || {
                let _turn = writer.lock().unwrap();
                held.send(()).unwrap();
                released.recv().ok();
            })
        }
        crate::helpers::Db::Postgres => {
            let db = app.settings.database_url.clone();
            std::thread::spawn(move || {
                let mut conn = diesel::PgConnection::establish(&db).unwrap();
                conn.transaction::<_, diesel::result::Error, _>(|conn| {
                    diesel::sql_query("SELECT id FROM exams WHERE public_id = $1 FOR UPDATE")
                        .bind::<diesel::sql_types::Text, _>(&public_id)
                        .execute(conn)?;
                    held.send(()).unwrap();
                    released.recv().ok();
                    Ok(())
                })
                .unwrap();
            })
        }
    };
    is_held.recv().unwrap();
    let page = tokio::time::timeout(std::time::Duration::from_secs(15), c.get(&url)).await;
    release.send(()).unwrap();
    holder.join().unwrap();
    let page = page.expect("the question page waited for a writer: a page view must be a read");
    assert_eq!(page.status(), 200);
    assert_eq!(position(&page), "2");
}

/// An exam that another instance has finished, while this one still holds it in memory, refuses
/// the next answer on the in-memory path and records nothing: the answer's write checks the
/// exam's status in the same statement. (The question on screen is left in place here, as it is
/// for a moment while another instance's finish is still running.)
async fn a_finished_exam_refuses_answers_held_in_memory(app: TestApp) {
    app.seed_bank(BANK).await;
    app.user("held@example.com", &[Role::Student]).await;
    let http = reqwest::Client::new();
    let token = app.api_token("held@example.com").await;
    let answer = |pos: &Value, opt: String, id: &str| {
        http.post(format!("{}/api/v1/exams/{id}/answers", app.addr))
            .bearer_auth(&token)
            .json(&json!({"position": pos, "option_id": opt}))
            .send()
    };
    let s: Value = http
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
    // Two answers on this instance: the exam is now held in its memory.
    let mut state = s;
    for _ in 0..2 {
        let r = answer(&state["position"], api_option(&state, "Right"), &id)
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        state = r.json().await.unwrap();
    }
    let on_screen = state["position"].as_i64().unwrap() as i32;
    // Finished elsewhere: the status changes, the row of the question on screen stays.
    let pid = id.clone();
    let now = app.clock.now();
    app.state
        .db(move |c| {
            let e = palpate::store::exams::find_by_public_id(c, &pid)?.unwrap();
            assert!(palpate::store::exams::finish(
                c, e.id, "finished", "ended", None, None, None, None, None, 2, 2, None, now
            )?);
            Ok(())
        })
        .await
        .unwrap();
    let r = answer(&state["position"], api_option(&state, "Right"), &id)
        .await
        .unwrap();
    assert_eq!(r.status(), 410, "a finished exam takes no more answers");
    let rows = app
        .state
        .db(move |c| {
            let e = palpate::store::exams::find_by_public_id(c, &id)?.unwrap();
            Ok(palpate::store::exams::items_of(c, e.id)?)
        })
        .await
        .unwrap();
    let answered: Vec<i32> = rows
        .iter()
        .filter(|r| r.chosen.is_some())
        .map(|r| r.position)
        .collect();
    assert_eq!(answered, vec![1, 2], "nothing recorded after the finish");
    assert!(
        rows.iter()
            .any(|r| r.position == on_screen && r.chosen.is_none())
    );
}

db_tests!(
    a_finished_exam_refuses_answers_held_in_memory,
    a_question_page_is_a_read,
    result_charts_follow_one_weak_rule_and_date_the_trend,
    a_student_ends_an_exam_early,
    answers_alternate_between_instances,
    instructors_define_programs_for_students,
    readiness_check_in_the_browser,
    api_answers_are_idempotent_and_keys_stay_hidden,
    resume_after_refresh_and_restart,
    mblex_time_out_is_an_automatic_fail,
    abandoned_exams_are_finished_at_their_deadline,
    topic_drill_shows_rationales_and_allows_going_back,
    only_students_take_exams_and_retired_items_stay_reviewable,
);

/// Runs `palpate simulate` with these arguments: (success, stdout, stderr).
fn simulate(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palpate"))
        .arg("simulate")
        .args(args)
        .env("PALPATE_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_simulate_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let bank: Vec<Value> = (0..200)
        .map(|i| {
            json!({"id": format!("I{i}"), "a": 1.0 + (i % 5) as f64 * 0.1,
                   "b": (i % 41) as f64 / 10.0 - 2.0, "c": 0.2, "domain": format!("D{}", i % 4)})
        })
        .collect();
    let bank_path = dir.path().join("bank.json");
    std::fs::write(&bank_path, serde_json::to_string(&bank).unwrap()).unwrap();
    let thetas: Vec<f64> = (0..150).map(|i| (i as f64 - 75.0) / 40.0).collect();
    let thetas_path = dir.path().join("thetas.json");
    std::fs::write(&thetas_path, json!({ "thetas": thetas }).to_string()).unwrap();
    let (b, t) = (bank_path.to_str().unwrap(), thetas_path.to_str().unwrap());

    let (ok, out, err) = simulate(&["--bank", b, "--thetas", t, "--seeds", "2"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    for key in [
        "simulees",
        "seeds",
        "items_mean",
        "items_median",
        "bias",
        "rmse",
        "classification_accuracy",
        "false_pass_rate",
        "false_fail_rate",
        "exposure_max",
        "test_overlap_rate",
        "content_mean_max_abs_dev",
        "wall_time_s",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {out}");
    }
    assert_eq!(v["simulees"], 150);
    let items = v["items_mean"].as_f64().unwrap();
    assert!((25.0..=100.0).contains(&items), "readiness length {items}");
    let total = v["classification_accuracy"].as_f64().unwrap()
        + v["false_pass_rate"].as_f64().unwrap()
        + v["false_fail_rate"].as_f64().unwrap();
    assert!((total - 1.0).abs() < 1e-9);

    // Without curtailment the readiness check can only run longer.
    let (ok, out, err) = simulate(&["--bank", b, "--thetas", t, "--seeds", "2", "--curtail", "0"]);
    assert!(ok, "{err}");
    let uncurtailed: Value = serde_json::from_str(&out).unwrap();
    assert!(uncurtailed["items_mean"].as_f64().unwrap() >= items);

    // Bad input: a clear message naming the problem.
    let (ok, _, err) = simulate(&["--bank", b, "--thetas", t, "--curtail", "0.3"]);
    assert!(!ok);
    assert!(err.contains("curtail"), "{err}");
    let (ok, _, err) = simulate(&[
        "--bank",
        b,
        "--thetas",
        t,
        "--program",
        "mblex",
        "--alpha",
        "0.01",
    ]);
    assert!(!ok);
    assert!(err.contains("SPRT"), "{err}");
    std::fs::write(&bank_path, r#"[{"id": "x", "a": 1}]"#).unwrap();
    let (ok, _, err) = simulate(&["--bank", b, "--thetas", t]);
    assert!(!ok);
    assert!(err.contains("bank file"), "{err}");
}
