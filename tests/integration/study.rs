//! Study between exams: answers are scheduled for review, missed and flagged questions come back
//! in study sessions, "I guessed" brings a question back sooner, and the plan counts down to the
//! exam date.

use crate::db_tests;
use crate::helpers::*;
use palpate::domain::accounts::Role;
use palpate::domain::study_mix::{AreaNeed, split_new};

/// The study card of the student's last answered question in a drill page's feedback.
async fn card(app: &TestApp, email: &str, item: &str) -> palpate::store::study::CardRow {
    let (email, item) = (email.to_string(), item.to_string());
    app.state
        .db(move |c| {
            let u = palpate::store::accounts::find_user_by_email(c, &email)?
                .expect("user")
                .id;
            Ok(palpate::store::study::find(c, u, &item)?.expect("card"))
        })
        .await
        .unwrap()
}

/// Sets the student's MBLEx date `days` from their today, on their exam plan.
async fn set_exam_date(app: &TestApp, c: &Client, days: i64) {
    let date = (crate::helpers::student_today(app) + time::Duration::days(days)).to_string();
    let r = c
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "mblex"), ("exam_date", &date)],
        )
        .await;
    assert_eq!(r.status(), 303);
}

/// The question id behind a feedback page (from its report link).
fn item_of(page: &Page) -> String {
    page.body
        .split("/questions/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no question link in:\n{}", page.body))
        .to_string()
}

async fn missed_and_flagged_questions_come_back(app: TestApp) {
    app.seed_bank([4, 4, 4, 4, 4, 4, 4]).await;
    let c = app.logged_in("stu@example.com", &[Role::Student]).await;

    // Nothing studied yet: the page says what to do, and counts down once a date is set.
    let page = c.get("/study").await;
    page.assert_contains("Nothing studied yet");
    page.assert_contains("Missed questions (0)");
    set_exam_date(&app, &c, 30).await;
    c.get("/study").await.assert_contains("30 days to go.");
    c.get("/dashboard").await.assert_contains("30 days to go.");
    c.get("/study")
        .await
        .assert_contains("No study in the last two weeks");

    // A drill of three: the first answered wrong, two right.
    let url = start_drill(&c, "1", "3").await;
    let mut page = c.get(&url).await;
    let missed_stem = stem_of(&page);
    let mut wrong_item = String::new();
    for n in 0..3 {
        let r = answer(&c, &url, &page, n > 0).await;
        assert_eq!(r.status(), 303, "{}", r.body);
        let fb = c.get(r.location.as_deref().unwrap()).await;
        if n == 0 {
            wrong_item = item_of(&fb);
            // A wrong answer cannot be called a guess; it can be flagged.
            assert!(!fb.body.contains("I guessed"));
            fb.assert_contains("Flag to study again");
        }
        page = c.get(&url).await;
    }
    let wrong = card(&app, "stu@example.com", &wrong_item).await;
    assert!(!wrong.last_correct && wrong.reviews == 1);
    assert!(wrong.due - app.clock.now() <= time::Duration::days(1));
    let study = c.get("/study").await;
    study.assert_contains("Missed questions (1)");
    study.assert_contains("<strong>1</strong> day in a row");
    study.assert_contains("Minutes studied per day");
    study.assert_contains("You have answered <strong>3</strong> of the <strong>28</strong>");
    // Just answered: the two right ones are recalled, the wrong one is not (not "100 %").
    study.assert_contains("Estimated recall of what you have seen, today: <strong>67 %</strong>");

    // The missed session brings back exactly the question answered wrong.
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "missed")])
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let session = r.location.unwrap();
    let page = c.get(&session).await;
    page.assert_contains("Study: missed questions");
    assert_eq!(stem_of(&page), missed_stem);
    let r = answer(&c, &session, &page, true).await;
    let fb_url = r.location.unwrap();
    let fb = c.get(&fb_url).await;
    fb.assert_contains("Correct.");
    let right = card(&app, "stu@example.com", &wrong_item).await;
    assert!(right.last_correct && right.reviews == 2 && right.due > wrong.due);

    // "I guessed": the question comes back sooner than after a confident answer.
    let r = c
        .submit(
            &fb_url,
            &format!("/study/items/{wrong_item}/guessed"),
            &[("back", &fb_url)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.location.as_deref(), Some(fb_url.as_str()));
    let fb = c.get(&fb_url).await;
    fb.assert_contains("it will come back sooner");
    assert!(!fb.body.contains(">I guessed<"), "a guess can be said once");
    let guessed = card(&app, "stu@example.com", &wrong_item).await;
    assert!(guessed.guessed && guessed.due < right.due && guessed.reviews == 2);

    // Flag it; the counts follow, and the flagged session holds it.
    let r = c
        .submit(
            &fb_url,
            &format!("/study/items/{wrong_item}/flag"),
            &[("on", "1"), ("back", &fb_url)],
        )
        .await;
    assert_eq!(r.status(), 303);
    c.get(&fb_url).await.assert_contains("Remove flag");
    // The drill's review shows the flag too, and can take it off and put it back.
    let review = c.get(&format!("{url}/review")).await;
    review.assert_contains("Remove flag");
    review.assert_contains("Flag to study again");
    let study = c.get("/study").await;
    study.assert_contains("Missed questions (0)");
    study.assert_contains("Flagged questions (1)");
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "missed")])
        .await;
    assert_eq!(r.location.as_deref(), Some("/study"));
    c.get("/study").await.assert_contains("No missed questions");
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "flagged")])
        .await;
    let page = c.get(&r.location.unwrap()).await;
    assert_eq!(stem_of(&page), missed_stem);

    // Today's review and Quick 10 start with what the plan holds.
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "quick")])
        .await;
    let page = c.get(&r.location.unwrap()).await;
    page.assert_contains("Study: Quick 10");
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "today")])
        .await;
    let page = c.get(&r.location.unwrap()).await;
    page.assert_contains("Study: today");

    // Another student cannot flag a question they never answered; a foreign "back" is ignored.
    let eve = app.logged_in("eve@example.com", &[Role::Student]).await;
    let r = eve
        .submit(
            "/study",
            &format!("/study/items/{wrong_item}/flag"),
            &[("on", "1")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = c
        .submit(
            "/study",
            &format!("/study/items/{wrong_item}/flag"),
            &[("on", "0"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/study"));
}

/// The face id on a flashcard page (from its "Show the answer" link or rating form).
fn face_of(page: &Page, deck: &str) -> String {
    let marker = format!("/study/flashcards/{deck}/");
    page.body
        .split(&marker)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no card on:\n{}", page.body))
        .to_string()
}

async fn flashcards_are_shown_both_ways_and_scheduled(app: TestApp) {
    let c = app.logged_in("cards@example.com", &[Role::Student]).await;
    // The student studies in Hawaii (UTC−10: their day starts at 10:00 UTC), just after their
    // local midnight, so the UTC date changes before their next day starts.
    let r = c
        .submit(
            "/study/settings",
            "/study/settings",
            &[
                ("time_zone", "Pacific/Honolulu"),
                ("study_days", "off"),
                ("study_hour", "7"),
                ("study_weekday", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let until = |t: time::Time| {
        let now = app.clock.now();
        let at = now.replace_time(t);
        if at > now {
            at - now
        } else {
            at + time::Duration::days(1) - now
        }
    };
    app.clock.advance(until(time::macros::time!(10:30)));
    let decks = c.get("/study/flashcards").await;
    decks.assert_contains("Bony landmarks");
    decks.assert_contains("<td>0 of 230</td>"); // 115 muscles, both ways

    // A new muscle: the name first, then its facts; rated, it is scheduled.
    let page = c.get("/study/flashcards/muscles").await;
    page.assert_contains("Show the answer");
    let face = face_of(&page, "muscles");
    assert!(face.ends_with("~f"), "{face}");
    let answer = c.get(&format!("/study/flashcards/muscles/{face}")).await;
    answer.assert_contains("Innervation");
    answer.assert_contains("How well did you remember it?");
    // The other way round names the muscle in the answer.
    let reverse = face.replace("~f", "~r");
    let back = c.get(&format!("/study/flashcards/muscles/{reverse}")).await;
    back.assert_contains("Which muscle is this?");

    let bad = c
        .submit(
            &format!("/study/flashcards/muscles/{face}"),
            &format!("/study/flashcards/muscles/{face}"),
            &[("rating", "perfect")],
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(c.get("/study/flashcards/bones").await.status(), 404);
    assert_eq!(
        c.get("/study/flashcards/muscles/nope~f").await.status(),
        404
    );

    // Twenty new faces a day, each rated once, then the deck is caught up. The other way round
    // of a card just rated never comes next (it would show its own answer).
    let mut face = face;
    for n in 0..20 {
        let url = format!("/study/flashcards/muscles/{face}");
        let r = c.submit(&url, &url, &[("rating", "good")]).await;
        assert_eq!(r.status(), 303, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some("/study/flashcards/muscles"));
        let next = c.get("/study/flashcards/muscles").await;
        if n < 19 {
            let rated = face.clone();
            face = face_of(&next, "muscles");
            assert_ne!(
                rated.trim_end_matches(['f', 'r']),
                face.trim_end_matches(['f', 'r']),
                "{rated} then {face}"
            );
        } else {
            next.assert_contains("All caught up in this deck");
        }
    }
    let decks = c.get("/study/flashcards").await;
    decks.assert_contains("<td>20 of 230</td>");
    // Flashcards do not count as questions of the bank.
    c.get("/study").await.assert_contains("Nothing studied yet");

    // A new UTC day is not a new day for the student: no new faces until their midnight
    // (the row reads due now, new today, seen).
    app.clock.advance(until(time::macros::time!(00:05)));
    let decks = c.get("/study/flashcards").await;
    decks.assert_contains("<td>0</td><td>20 of 230</td>");
    app.clock.advance(until(time::macros::time!(10:05)));
    let decks = c.get("/study/flashcards").await;
    decks.assert_contains("<td>20</td><td>20 of 230</td>");
}

/// A finished readiness check's answers reach the scheduler (in the background sweep, not in
/// the answer that finished it): its questions count as seen and its wrong ones as missed.
async fn a_finished_exam_feeds_the_study_plan(app: TestApp) {
    app.seed_bank([4, 4, 4, 4, 4, 4, 4]).await;
    let c = app.logged_in("ready@example.com", &[Role::Student]).await;
    let token = app.api_token("ready@example.com").await;
    let http = reqwest::Client::new();
    let mut s: serde_json::Value = http
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&serde_json::json!({"program": "readiness"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    let (mut answered, mut wrong) = (0, 0);
    while s["finished"] == false {
        let right = answered % 3 != 0;
        wrong += usize::from(!right);
        answered += 1;
        let option = api_option(&s, if right { "Right" } else { "Wrong" });
        s = http
            .post(format!("{}/api/v1/exams/{id}/answers", app.addr))
            .bearer_auth(&token)
            .json(&serde_json::json!({"position": s["position"], "option_id": option}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    assert!(answered > 3);
    let want = format!("You have answered <strong>{answered}</strong> of the <strong>28</strong>");
    let mut page = c.get("/study").await;
    for _ in 0..50 {
        if page.body.contains(&want) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = c.get("/study").await;
    }
    page.assert_contains(&want);
    page.assert_contains(&format!("Missed questions ({wrong})"));
}

/// Starts today's study session and answers it through (right each time); returns each
/// question's area and stem, in order.
async fn todays_session(c: &Client) -> Vec<(String, String)> {
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "today")])
        .await;
    let url = r.location.unwrap();
    let mut out = vec![];
    for _ in 0..60 {
        let page = c.get(&url).await;
        if !page.body.contains("name=\"position\"") {
            break;
        }
        let area = page.body.split(" of area ").nth(1).unwrap()[..1].to_string();
        out.push((area, stem_of(&page)));
        answer(c, &url, &page, true).await;
    }
    out
}

fn by_area<'a>(
    items: impl Iterator<Item = &'a (String, String)>,
) -> std::collections::BTreeMap<String, usize> {
    let mut per_area = std::collections::BTreeMap::<String, usize>::new();
    for (area, _) in items {
        *per_area.entry(area.clone()).or_default() += 1;
    }
    per_area
}

/// A new student's first day brings new questions from every area in proportion to the target
/// exam's blueprint (no estimate yet, so every area's need is the same).
async fn new_questions_follow_the_blueprint(app: TestApp) {
    app.seed_bank([30; 7]).await;
    let c = app.logged_in("fresh@example.com", &[Role::Student]).await;
    let per_area = by_area(todays_session(&c).await.iter());
    let n: usize = per_area.values().sum();
    assert_eq!(
        n, 10,
        "a day without an exam date brings 10 new questions: {per_area:?}"
    );
    let mblex = palpate::services::bank::blueprints()
        .iter()
        .find(|b| b.id == "mblex")
        .unwrap();
    for (area, w) in &mblex.weights {
        let got = per_area.get(area).copied().unwrap_or(0) as f64;
        assert!(
            (got - w * n as f64).abs() <= 1.0,
            "area {area}: {got} of {n}, blueprint {w}: {per_area:?}"
        );
    }
    // Those ten count toward today: the plan does not offer ten more until tomorrow.
    let page = c.get("/study").await;
    page.assert_contains("Done today: <strong>10</strong> questions.");
    page.assert_contains("Today's plan is done");
    let r = c
        .submit("/study", "/study/sessions", &[("kind", "today")])
        .await;
    assert_eq!(r.location.as_deref(), Some("/study"));
    c.get("/study")
        .await
        .assert_contains("Nothing left in today&#x27;s plan");
}

/// After a readiness check that found one area weak, a day's new questions lean to that area
/// (the engine's per-area estimate, read back from the stored result, sets the area's need).
async fn new_questions_lean_to_the_area_the_readiness_check_found_weak(app: TestApp) {
    app.seed_bank([30; 7]).await;
    let c = app.logged_in("weak1@example.com", &[Role::Student]).await;
    let token = app.api_token("weak1@example.com").await;
    let http = reqwest::Client::new();
    let post = |url: String, body: serde_json::Value| {
        let req = http.post(url).bearer_auth(&token).json(&body);
        async move {
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let mut s = post(
        format!("{}/api/v1/exams", app.addr),
        serde_json::json!({"program": "readiness"}),
    )
    .await;
    let id = s["id"].as_str().unwrap().to_string();
    let (mut area1, mut answered) = (0, 0);
    let mut asked = std::collections::HashSet::new();
    while s["finished"] == false {
        // Wrong in area 1 only.
        let stem = s["item"]["stem"].as_str().unwrap().to_string();
        let weak = stem.contains(" of area 1");
        asked.insert(stem);
        area1 += usize::from(weak);
        answered += 1;
        let option = api_option(&s, if weak { "Wrong" } else { "Right" });
        s = post(
            format!("{}/api/v1/exams/{id}/answers", app.addr),
            serde_json::json!({"position": s["position"], "option_id": option}),
        )
        .await;
    }
    assert!(area1 > 0, "the check asked area 1");

    // Once the check's answers reached the scheduler, on the next day (today's ten new
    // questions were the check's own), the new questions of today's session.
    let want = format!("You have answered <strong>{answered}</strong>");
    for _ in 0..50 {
        if c.get("/study").await.body.contains(&want) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.clock.advance(time::Duration::days(1));
    let session = todays_session(&c).await;
    let per_area = by_area(session.iter().filter(|(_, stem)| !asked.contains(stem)));
    let n: usize = per_area.values().sum();
    assert_eq!(n, 10, "{per_area:?}");
    let uid = app.user_id("weak1@example.com").await;
    let stored = app
        .state
        .db(move |c| Ok(palpate::store::exams::latest_area_estimates(c, uid)?))
        .await
        .unwrap()
        .expect("the check's result");
    let result: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let mblex = palpate::services::bank::blueprints()
        .iter()
        .find(|b| b.id == "mblex")
        .unwrap();
    // The split the engine's stored per-area estimates ask for (areas 1..7, questions of the
    // check already seen).
    let needs: Vec<AreaNeed> = (1..=7)
        .map(|a| {
            let code = a.to_string();
            let r = result["areas"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["area"] == code.as_str())
                .unwrap();
            AreaNeed {
                weight: mblex.weights[&code],
                theta: Some(r["theta"].as_f64().unwrap()),
                unseen: 30 - r["items"].as_u64().unwrap() as usize,
            }
        })
        .collect();
    let want = split_new(n, &needs);
    let got: Vec<usize> = (1..=7)
        .map(|a| per_area.get(&a.to_string()).copied().unwrap_or(0))
        .collect();
    assert_eq!(got, want, "{result}");
    // Area 1, all wrong, gets more than the blueprint alone gives it (one of ten).
    let blueprint_only = split_new(
        n,
        &needs
            .iter()
            .map(|a| AreaNeed {
                theta: None,
                ..a.clone()
            })
            .collect::<Vec<_>>(),
    );
    assert!(
        got[0] > blueprint_only[0],
        "{got:?} vs blueprint {blueprint_only:?}"
    );
}

/// The daily load the plan keeps for the student's exam date.
async fn kept_level(app: &TestApp, email: &str) -> Option<i32> {
    let uid = app.user_id(email).await;
    app.state
        .db(move |c| Ok(palpate::store::outcomes::profile(c, uid)?))
        .await
        .unwrap()
        .and_then(|p| p.plan_level)
}

/// How many of the student's questions are due now.
async fn due_cards(app: &TestApp, email: &str) -> usize {
    let uid = app.user_id(email).await;
    let now = app.clock.now();
    app.state
        .db(move |c| Ok(palpate::store::study::all(c, uid)?))
        .await
        .unwrap()
        .iter()
        .filter(|r| r.due <= now)
        .count()
}

/// Starting today's review keeps the day's load for the exam date; on a later day with nothing
/// due and the bank seen, the same load is filled with questions due soonest (reviews ahead);
/// a new exam date starts the plan afresh.
async fn the_plan_keeps_its_level_and_fills_room_with_reviews_ahead(app: TestApp) {
    app.seed_bank([4, 4, 4, 4, 4, 4, 4]).await;
    let email = "even@example.com";
    let c = app.logged_in(email, &[Role::Student]).await;
    set_exam_date(&app, &c, 20).await;
    assert_eq!(kept_level(&app, email).await, None);
    let mut seen: std::collections::HashSet<String> = Default::default();
    let first = todays_session(&c).await;
    let level = kept_level(&app, email)
        .await
        .expect("today's review keeps the level");
    assert_eq!(first.len(), level as usize, "{first:?}");
    seen.extend(first.into_iter().map(|(_, stem)| stem));
    let mut ahead_day = None;
    for day in 1..15 {
        app.clock.advance(time::Duration::days(1));
        let page = c.get("/study").await;
        let ahead = page.body.contains("ahead of schedule");
        let due_before = due_cards(&app, email).await;
        let session = todays_session(&c).await;
        // Every day holds the kept load (the plan never asks for less).
        assert!(session.len() >= level as usize, "day {day}: {session:?}");
        if ahead {
            // More questions seen before than were due: the rest were reviews ahead of their
            // date.
            let again = session
                .iter()
                .filter(|(_, stem)| seen.contains(stem))
                .count();
            assert!(
                again > due_before,
                "day {day}: {due_before} due, {session:?}"
            );
            ahead_day = Some(day);
            break;
        }
        seen.extend(session.into_iter().map(|(_, stem)| stem));
    }
    assert!(ahead_day.is_some(), "no day with reviews ahead");
    // A new date: the plan starts afresh.
    set_exam_date(&app, &c, 40).await;
    assert_eq!(kept_level(&app, email).await, None);
}

db_tests!(
    the_plan_keeps_its_level_and_fills_room_with_reviews_ahead,
    new_questions_lean_to_the_area_the_readiness_check_found_weak,
    new_questions_follow_the_blueprint,
    missed_and_flagged_questions_come_back,
    flashcards_are_shown_both_ways_and_scheduled,
    a_finished_exam_feeds_the_study_plan
);
