//! Study between exams: answers are scheduled for review, missed and flagged questions come back
//! in study sessions, "I guessed" brings a question back sooner, and the plan counts down to the
//! exam date.

use crate::db_tests;
use crate::helpers::*;
use palpate::domain::accounts::Role;

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
    let date = (app.clock.now().date() + time::Duration::days(30)).to_string();
    let r = c
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "mblex"), ("exam_date", &date)],
        )
        .await;
    assert_eq!(r.status(), 303);
    c.get("/study").await.assert_contains("30 days to go.");

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
    study.assert_contains("You have answered <strong>3</strong> of the <strong>28</strong>");

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

db_tests!(missed_and_flagged_questions_come_back);
