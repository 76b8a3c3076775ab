//! Instructors write, review and version questions; students report problems and see outcomes.

use crate::db_tests;
use crate::helpers::{Client, TestApp};
use palpate::domain::accounts::Role;

fn item_form(stem: &str) -> Vec<(&'static str, String)> {
    vec![
        ("subarea", "4.D".into()),
        ("level", "application".into()),
        ("difficulty", "easy".into()),
        ("pillars", "techniques".into()),
        ("pillars", "physiology".into()),
        ("topics", "cryotherapy, acute injury".into()),
        ("stem", stem.into()),
        ("option_a", "Moist heat pack".into()),
        ("option_b", "Paraffin dip".into()),
        ("option_c", "Ice pack over a thin barrier".into()),
        ("option_d", "Hot stones along the calf".into()),
        ("key", "C".into()),
        (
            "rationale_a",
            "Heat adds blood flow and swelling to a fresh injury.".into(),
        ),
        ("rationale_b", "Paraffin is a heat application.".into()),
        (
            "rationale_c",
            "Cold limits swelling and pain in the first hours after injury.".into(),
        ),
        (
            "rationale_d",
            "Heat, and pressure near an injured joint.".into(),
        ),
        (
            "reference",
            "Cryotherapy in acute soft-tissue injury".into(),
        ),
        ("enemies", "".into()),
    ]
}

async fn post_item(
    c: &Client,
    page: &str,
    path: &str,
    fields: &[(&'static str, String)],
    action: &str,
) -> crate::helpers::Page {
    let mut f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    f.push(("action", action));
    c.submit(page, path, &f).await
}

async fn write_review_and_version_an_item(app: TestApp) {
    let author = app
        .logged_in("author@example.com", &[Role::Instructor])
        .await;
    let reviewer = app
        .logged_in("reviewer@example.com", &[Role::Instructor])
        .await;

    // Field-level errors, input kept.
    let mut bad = item_form("Which application is NOT appropriate?");
    bad.retain(|(k, _)| *k != "rationale_b");
    let r = post_item(&author, "/bank/new", "/bank/new", &bad, "save").await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Negatively worded");
    r.assert_contains("Explain why option B is wrong");
    r.assert_contains("value=\"Ice pack over a thin barrier\"");

    // Preview shows the question as students see it.
    let stem =
        "A soccer player sprained an ankle ten minutes ago. Which application fits best now?";
    let r = post_item(
        &author,
        "/bank/new",
        "/bank/new",
        &item_form(stem),
        "preview",
    )
    .await;
    assert_eq!(r.status(), 200);
    r.assert_contains("Preview: what students will see");
    r.assert_contains(stem);

    let r = post_item(&author, "/bank/new", "/bank/new", &item_form(stem), "save").await;
    assert_eq!(r.status(), 303);
    let item_url = r.location.clone().unwrap();
    assert!(item_url.starts_with("/bank/items/4D-"), "{item_url}");
    let page = author.get(&item_url).await;
    page.assert_contains("Draft");
    page.assert_contains("Submit for review");

    let r = author
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "submit")],
        )
        .await;
    assert_eq!(r.status(), 303);
    // The author cannot approve their own item.
    let page = author.get(&item_url).await;
    page.assert_contains("another instructor must review it");
    assert!(!page.body.contains("Approve (make live)"));
    let r = author
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    author
        .get(&item_url)
        .await
        .assert_contains("The reviewer must be a different instructor");

    // A review note longer than 2,000 characters is refused under its action, and kept.
    let long_note = "y".repeat(2001);
    let r = reviewer
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "return"), ("comment", &long_note)],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"comment-return-error\">Keep a comment under 2,000 characters.");
    r.assert_contains(&long_note);
    // The reviewer returns it with a comment, the author fixes and resubmits, the reviewer approves.
    let r = reviewer
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "return"), ("comment", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    reviewer
        .get(&item_url)
        .await
        .assert_contains("a comment is required");
    reviewer
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[
                ("action", "return"),
                ("comment", "Say which ankle structure is injured."),
            ],
        )
        .await;
    let page = author.get(&item_url).await;
    page.assert_contains("Returned with comments");
    page.assert_contains("Say which ankle structure is injured.");
    // A comment longer than 2,000 characters is refused next to the box, and kept.
    let long = "x".repeat(2001);
    let r = author
        .submit(
            &item_url,
            &format!("{item_url}/comment"),
            &[("comment", &long)],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"comment-error\">Keep a comment under 2,000 characters.");
    r.assert_contains(&long);
    let stem2 = "A soccer player sprained an ankle ligament ten minutes ago. Which application fits best now?";
    let r = post_item(
        &author,
        &format!("{item_url}/edit"),
        &format!("{item_url}/edit"),
        &item_form(stem2),
        "save",
    )
    .await;
    assert_eq!(r.status(), 303);
    author
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "submit")],
        )
        .await;
    let r = reviewer
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = reviewer.get(&item_url).await;
    page.assert_contains("Approved (live)");
    page.assert_contains("v1 (approved, live)");

    // Editing approved content forks version 2; version 1 stays live and unchanged.
    let stem3 = "A soccer player sprained an ankle ligament five minutes ago. Which application fits best now?";
    let r = post_item(
        &author,
        &format!("{item_url}/edit"),
        &format!("{item_url}/edit"),
        &item_form(stem3),
        "save",
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = author.get(&item_url).await;
    page.assert_contains("v2 (draft)");
    page.assert_contains("v1 (approved, live)");
    let v1 = author.get(&format!("{item_url}?version=1")).await;
    v1.assert_contains(stem2);
    assert!(!v1.body.contains(stem3));
    // Every step is in the history.
    for step in [
        "created as draft",
        "submitted for review",
        "returned with comments",
        "approved",
        "new version 2 drafted",
    ] {
        page.assert_contains(step);
    }

    // Retiring asks for confirmation first, and keeps every version.
    let confirm = reviewer.get(&format!("{item_url}/retire")).await;
    confirm.assert_contains("Yes, retire it");
    let r = reviewer
        .submit(
            &format!("{item_url}/retire"),
            &format!("{item_url}/transition"),
            &[("action", "retire")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = reviewer.get(&item_url).await;
    page.assert_contains("Retired");
    page.assert_contains("v1 (");
    reviewer
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "restore")],
        )
        .await;
    reviewer
        .get(&item_url)
        .await
        .assert_contains("Approved (live)");

    // The browser finds it by words in a rationale and by status.
    let found = author.get("/bank?q=swelling+fresh").await;
    found.assert_contains(&item_url);
    // Restoring went back to the live version 1; the abandoned draft v2 stays in the history.
    assert!(
        author
            .get("/bank?status=approved")
            .await
            .body
            .contains(&item_url)
    );
    assert!(
        !author
            .get("/bank?status=draft")
            .await
            .body
            .contains(&item_url)
    );
}

/// A one-question drill of area 4, answered: its address and the feedback page.
async fn answered_drill(student: &crate::helpers::Client) -> (String, crate::helpers::Page) {
    let url = crate::helpers::start_drill(student, "4", "1").await;
    let page = student.get(&url).await;
    let opt = page
        .body
        .split("name=\"option\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let fb = student
        .submit(
            &url,
            &format!("{url}/answer"),
            &[("position", "1"), ("option", &opt)],
        )
        .await;
    assert_eq!(fb.status(), 303);
    let fb = student.get(fb.location.as_deref().unwrap()).await;
    (url, fb)
}

async fn students_report_problems_and_see_the_outcome(app: TestApp) {
    app.seed_bank([0, 0, 0, 1, 0, 0, 0]).await;
    let instructor = app.logged_in("inst@example.com", &[Role::Instructor]).await;
    let student = app.logged_in("learner@example.com", &[Role::Student]).await;
    assert_eq!(student.get("/bank").await.status(), 403);
    assert_eq!(student.get("/bank/reports").await.status(), 403);
    let id = "S4-000";
    let report_page = format!("/questions/{id}/report?version=1");
    // Not before answering: the question (and anything about it) is not shown.
    assert_eq!(student.get(&report_page).await.status(), 404);

    let (url, fb) = answered_drill(&student).await;
    fb.assert_contains(&report_page);

    let page = student.get(&report_page).await;
    assert_eq!(page.status(), 200);
    page.assert_contains("Synthetic question 0 of area 4");
    let r = student
        .submit(
            &report_page,
            &format!("/questions/{id}/report"),
            &[("version", "1"), ("message", "x")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Describe the problem");
    let r = student
        .submit(
            &report_page,
            &format!("/questions/{id}/report"),
            &[
                ("version", "1"),
                ("message", "Options C and D both look right."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let mine = student.get("/reports").await;
    mine.assert_contains("Waiting for a reviewer");
    // The question by its words, not its id.
    mine.assert_contains("Synthetic question 0 of area 4");
    assert!(!mine.body.contains("question S4-000"), "{}", mine.body);

    let queue = instructor.get("/bank/reports").await;
    queue.assert_contains("Options C and D both look right.");
    instructor
        .get("/bank?reports=open")
        .await
        .assert_contains(id);
    let report_id = queue
        .body
        .split("/bank/reports/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = instructor
        .submit(
            "/bank/reports",
            &format!("/bank/reports/{report_id}/resolve"),
            &[
                ("outcome", "accepted"),
                ("resolution", "Option D reworded in version 2."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let mine = student.get("/reports").await;
    mine.assert_contains("Accepted");
    mine.assert_contains("Option D reworded in version 2.");
    instructor
        .get("/bank/reports")
        .await
        .assert_contains("No open problem reports");

    // From the exam, the report page lists the options in the order the student saw them, and
    // the reviewer is told how their letters map.
    let texts = |body: &str| {
        let mut found: Vec<(usize, String)> = std::iter::once("Right answer 4-0".to_string())
            .chain((0..4).map(|j| format!("Wrong answer 4-0-{j}")))
            .filter_map(|t| body.find(&t).map(|at| (at, t)))
            .collect();
        found.sort();
        found.into_iter().map(|(_, t)| t).collect::<Vec<_>>()
    };
    // The exam's seed is random, so the student may have seen the bank's own order: answer new
    // one-question drills until the shown order differs (1 in 24 does not), so this part tests.
    let canonical = texts(&student.get(&report_page).await.body);
    let (mut url, mut fb) = (url, fb);
    for _ in 0..40 {
        if texts(&fb.body) != canonical {
            break;
        }
        (url, fb) = answered_drill(&student).await;
    }
    assert_ne!(texts(&fb.body), canonical, "no shuffled order in 40 drills");
    let link = fb
        .body
        .split(&format!("href=\"{report_page}"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let from_exam = format!("{report_page}{link}");
    let exam_id = url.rsplit('/').next().unwrap();
    assert!(from_exam.contains(exam_id), "{from_exam}");
    let seen = student.get(&from_exam).await;
    assert_eq!(texts(&seen.body).len(), 4, "{}", seen.body);
    assert_eq!(texts(&seen.body), texts(&fb.body));
    let r = student
        .submit(
            &from_exam,
            &format!("/questions/{id}/report"),
            &[
                ("version", "1"),
                ("exam", exam_id),
                ("position", "1"),
                ("message", "Option A seems wrong to me."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let queue = instructor.get("/bank/reports").await;
    queue.assert_contains("Option A seems wrong to me.");
    queue.assert_contains("saw the options in another order");
    // The mapping is for the reviewer; the student sees their own words.
    let mine = student.get("/reports").await;
    mine.assert_contains("Option A seems wrong to me.");
    assert!(
        !mine.body.contains("saw the options in another order"),
        "{}",
        mine.body
    );
}

async fn bank_api_is_for_instructors(app: TestApp) {
    app.seed_bank([3, 0, 0, 0, 0, 0, 0]).await;
    for (email, roles) in [
        ("s@example.com", vec![Role::Student]),
        ("a@example.com", vec![Role::Instructor]),
        ("r@example.com", vec![Role::Instructor]),
    ] {
        app.user(email, &roles).await;
    }
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.addr);
    let mut tokens = vec![];
    for email in ["s@example.com", "a@example.com", "r@example.com"] {
        tokens.push(app.api_token(email).await);
    }
    let (student, author, reviewer) = (&tokens[0], &tokens[1], &tokens[2]);
    // Students get no keys from the API.
    for path in [
        "/api/v1/bank/items",
        "/api/v1/bank/items/S1-000",
        "/api/v1/bank/stats",
    ] {
        let r = http
            .get(url(path))
            .bearer_auth(student)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r: serde_json::Value = http
        .get(url("/api/v1/bank/items?q=synthetic"))
        .bearer_auth(author)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["total"], 3);

    let mut draft = serde_json::json!({
        "subarea": "4.D", "level": "application", "difficulty": "easy", "topics": "cryotherapy", "pillars": ["techniques"],
        "stem": "A runner rolled an ankle a few minutes ago. Which application fits best now?",
        "option_a": "Moist heat", "option_b": "Paraffin", "option_c": "Ice over a thin barrier", "option_d": "Hot stones",
        "key": "C", "rationale_a": "Heat adds swelling.", "rationale_b": "Paraffin is heat.", "rationale_c": "Cold limits swelling.", "rationale_d": "Heat again.",
        "reference": "Cryotherapy", "enemies": ""
    });
    draft["rationale_b"] = serde_json::json!("");
    let r = http
        .post(url("/api/v1/bank/items"))
        .bearer_auth(author)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["rationale_b"]
            .as_str()
            .unwrap()
            .contains("option B")
    );
    draft["rationale_b"] = serde_json::json!("Paraffin is a heat application.");
    let r = http
        .post(url("/api/v1/bank/items"))
        .bearer_auth(author)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let item: serde_json::Value = r.json().await.unwrap();
    let id = item["id"].as_str().unwrap().to_string();
    let t = |who: &String, action: &str| {
        let (http, u, who) = (
            http.clone(),
            url(&format!("/api/v1/bank/items/{id}/transitions")),
            who.clone(),
        );
        let body = serde_json::json!({"action": action});
        async move {
            http.post(u)
                .bearer_auth(who)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(t(author, "submit").await.status(), 200);
    let r = t(author, "approve").await;
    assert_eq!(r.status(), 409, "an author cannot approve their own item");
    assert_eq!(t(reviewer, "approve").await.status(), 200);
    let live: serde_json::Value = http
        .get(url(&format!("/api/v1/bank/items/{id}")))
        .bearer_auth(reviewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(live["status"], "approved");
    assert_eq!(live["live_version"], 1);
}

async fn the_shipped_bank_imports(app: TestApp) {
    let now = app.clock.now();
    let report = app
        .state
        .db(move |c| {
            palpate::services::bank::import_shipped_if_empty(c, now)
                .map_err(palpate::error::AppError::internal)
        })
        .await
        .unwrap()
        .unwrap();
    assert!(report.created >= 600, "imported {}", report.created);
    let stats = app
        .state
        .db(palpate::services::bank::stats_blocking)
        .await
        .unwrap();
    assert_eq!(stats.total, report.created);
    let live = stats.by_status.get("approved").copied().unwrap_or(0);
    let retired = stats.by_status.get("retired").copied().unwrap_or(0);
    assert_eq!(
        live + retired,
        report.created,
        "every shipped item is live or retired"
    );
    assert!(live >= 600, "{live} live items");
    // Idempotent: a second first-start import does nothing.
    let again = app
        .state
        .db(move |c| {
            palpate::services::bank::import_shipped_if_empty(c, now)
                .map_err(palpate::error::AppError::internal)
        })
        .await
        .unwrap();
    assert!(again.is_none());
}

async fn past_attempts_keep_the_version_students_saw(app: TestApp) {
    app.seed_bank([0, 0, 4, 0, 0, 0, 0]).await;
    let student = app.logged_in("past@example.com", &[Role::Student]).await;
    let author = app.logged_in("edit@example.com", &[Role::Instructor]).await;
    let reviewer = app
        .logged_in("check@example.com", &[Role::Instructor])
        .await;
    let url = crate::helpers::start_drill(&student, "3", "1").await;
    let page = student.get(&url).await;
    let stem = crate::helpers::stem_of(&page);
    let n: u32 = stem
        .split("question ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let item_id = format!("S3-{n:03}");
    let opt = page
        .body
        .split("name=\"option\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let pos = "1".to_string();
    student
        .submit(
            &url,
            &format!("{url}/answer"),
            &[("position", &pos), ("option", &opt)],
        )
        .await;

    // The item is edited and the new version approved.
    let item_url = format!("/bank/items/{item_id}");
    let edit = author.get(&format!("{item_url}/edit")).await;
    assert_eq!(edit.status(), 200);
    let mut fields = item_form("A rewritten question about the same topic: which option is right?");
    for (k, v) in fields.iter_mut() {
        if *k == "subarea" {
            *v = "3.A".into();
        }
    }
    let r = post_item(
        &author,
        &format!("{item_url}/edit"),
        &format!("{item_url}/edit"),
        &fields,
        "save",
    )
    .await;
    assert_eq!(r.status(), 303);
    author
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "submit")],
        )
        .await;
    reviewer
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "approve")],
        )
        .await;
    reviewer
        .get(&item_url)
        .await
        .assert_contains("v2 (approved, live)");

    // The student's review still shows the version they answered.
    let review = student.get(&format!("{url}/review")).await;
    review.assert_contains(&stem);
    assert!(!review.body.contains("A rewritten question"));
    // And students cannot open the authoring page with its key.
    assert_eq!(student.get(&item_url).await.status(), 403);
}

async fn item_statistics_for_reviewers(app: TestApp) {
    app.seed_bank([0, 0, 0, 0, 0, 0, 2]).await;
    let inst = app
        .logged_in("stats@example.com", &[Role::Instructor])
        .await;
    inst.get("/bank/items/S7-000")
        .await
        .assert_contains("No student has answered this item");
    for i in 0..20 {
        let stu = app
            .logged_in(&format!("s{i}@example.com"), &[Role::Student])
            .await;
        let url = crate::helpers::start_drill(&stu, "7", "2").await;
        for _ in 0..2 {
            let page = stu.get(&url).await;
            // The first 14 students know the answers; the others pick a wrong option.
            crate::helpers::answer(&stu, &url, &page, i < 14).await;
        }
    }
    let page = inst.get("/bank/items/S7-000").await;
    page.assert_contains("20 responses");
    page.assert_contains("Proportion correct <strong>0.70</strong>");
    // Strong students get it right and weak ones wrong: clear positive discrimination.
    let rpb: f64 = page
        .body
        .split("point-biserial) <strong>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rpb > 0.5, "point-biserial {rpb}");
}

/// A second instructor who edits another's draft in place has written part of it: they cannot
/// approve it alone, and neither can the first author; a third instructor can.
async fn an_editor_cannot_approve_what_they_edited(app: TestApp) {
    let ana = app.logged_in("ana@example.com", &[Role::Instructor]).await;
    let ben = app.logged_in("ben@example.com", &[Role::Instructor]).await;
    let cai = app.logged_in("cai@example.com", &[Role::Instructor]).await;
    let stem = "A runner iced a calf strain ten minutes ago. Which application fits best now?";
    let r = post_item(&ana, "/bank/new", "/bank/new", &item_form(stem), "save").await;
    assert_eq!(r.status(), 303);
    let item_url = r.location.clone().unwrap();
    // Ben changes the key in place and submits it.
    let mut edited = item_form(stem);
    for (k, v) in edited.iter_mut() {
        if *k == "key" {
            *v = "A".into();
        }
    }
    let r = post_item(
        &ben,
        &format!("{item_url}/edit"),
        &format!("{item_url}/edit"),
        &edited,
        "save",
    )
    .await;
    assert_eq!(r.status(), 303);
    ben.submit(
        &item_url,
        &format!("{item_url}/transition"),
        &[("action", "submit")],
    )
    .await;
    // Ben cannot approve: he wrote part of this version.
    let page = ben.get(&item_url).await;
    page.assert_contains("another instructor must review it");
    assert!(!page.body.contains("Approve (make live)"));
    ben.submit(
        &item_url,
        &format!("{item_url}/transition"),
        &[("action", "approve")],
    )
    .await;
    ben.get(&item_url)
        .await
        .assert_contains("The reviewer must be a different instructor");
    // Nor can Ana.
    ana.submit(
        &item_url,
        &format!("{item_url}/transition"),
        &[("action", "approve")],
    )
    .await;
    assert!(!ana.get(&item_url).await.body.contains("Approved"));
    // Cai, who wrote nothing of it, can.
    let r = cai
        .submit(
            &item_url,
            &format!("{item_url}/transition"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    cai.get(&item_url).await.assert_contains("Approved");
}

db_tests!(
    an_editor_cannot_approve_what_they_edited,
    item_statistics_for_reviewers,
    write_review_and_version_an_item,
    students_report_problems_and_see_the_outcome,
    bank_api_is_for_instructors,
    the_shipped_bank_imports,
    past_attempts_keep_the_version_students_saw,
);
