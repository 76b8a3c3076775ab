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
        ("rationale_a", "Heat adds blood flow and swelling to a fresh injury.".into()),
        ("rationale_b", "Paraffin is a heat application.".into()),
        ("rationale_c", "Cold limits swelling and pain in the first hours after injury.".into()),
        ("rationale_d", "Heat, and pressure near an injured joint.".into()),
        ("reference", "Cryotherapy in acute soft-tissue injury".into()),
        ("enemies", "".into()),
    ]
}

async fn post_item(c: &Client, page: &str, path: &str, fields: &[(&'static str, String)], action: &str) -> crate::helpers::Page {
    let mut f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    f.push(("action", action));
    c.submit(page, path, &f).await
}

async fn write_review_and_version_an_item(app: TestApp) {
    let author = app.logged_in("author@example.com", &[Role::Instructor]).await;
    let reviewer = app.logged_in("reviewer@example.com", &[Role::Instructor]).await;

    // Field-level errors, input kept.
    let mut bad = item_form("Which application is NOT appropriate?");
    bad.retain(|(k, _)| *k != "rationale_b");
    let r = post_item(&author, "/bank/new", "/bank/new", &bad, "save").await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Negatively worded");
    r.assert_contains("Explain why option B is wrong");
    r.assert_contains("value=\"Ice pack over a thin barrier\"");

    // Preview shows the question as students see it.
    let stem = "A soccer player sprained an ankle ten minutes ago. Which application fits best now?";
    let r = post_item(&author, "/bank/new", "/bank/new", &item_form(stem), "preview").await;
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

    let r = author.submit(&item_url, &format!("{item_url}/transition"), &[("action", "submit")]).await;
    assert_eq!(r.status(), 303);
    // The author cannot approve their own item.
    let page = author.get(&item_url).await;
    page.assert_contains("another instructor must review it");
    assert!(!page.body.contains("Approve (make live)"));
    let r = author.submit(&item_url, &format!("{item_url}/transition"), &[("action", "approve")]).await;
    assert_eq!(r.status(), 303);
    author.get(&item_url).await.assert_contains("The reviewer must be a different instructor");

    // The reviewer returns it with a comment, the author fixes and resubmits, the reviewer approves.
    let r = reviewer.submit(&item_url, &format!("{item_url}/transition"), &[("action", "return"), ("comment", "")]).await;
    assert_eq!(r.status(), 303);
    reviewer.get(&item_url).await.assert_contains("a comment is required");
    reviewer
        .submit(&item_url, &format!("{item_url}/transition"), &[("action", "return"), ("comment", "Say which ankle structure is injured.")])
        .await;
    let page = author.get(&item_url).await;
    page.assert_contains("Returned with comments");
    page.assert_contains("Say which ankle structure is injured.");
    let stem2 = "A soccer player sprained an ankle ligament ten minutes ago. Which application fits best now?";
    let r = post_item(&author, &format!("{item_url}/edit"), &format!("{item_url}/edit"), &item_form(stem2), "save").await;
    assert_eq!(r.status(), 303);
    author.submit(&item_url, &format!("{item_url}/transition"), &[("action", "submit")]).await;
    let r = reviewer.submit(&item_url, &format!("{item_url}/transition"), &[("action", "approve")]).await;
    assert_eq!(r.status(), 303);
    let page = reviewer.get(&item_url).await;
    page.assert_contains("Approved (live)");
    page.assert_contains("v1 (approved, live)");

    // Editing approved content forks version 2; version 1 stays live and unchanged.
    let stem3 = "A soccer player sprained an ankle ligament five minutes ago. Which application fits best now?";
    let r = post_item(&author, &format!("{item_url}/edit"), &format!("{item_url}/edit"), &item_form(stem3), "save").await;
    assert_eq!(r.status(), 303);
    let page = author.get(&item_url).await;
    page.assert_contains("v2 (draft)");
    page.assert_contains("v1 (approved, live)");
    let v1 = author.get(&format!("{item_url}?version=1")).await;
    v1.assert_contains(stem2);
    assert!(!v1.body.contains(stem3));
    // Every step is in the history.
    for step in ["created as draft", "submitted for review", "returned with comments", "approved", "new version 2 drafted"] {
        page.assert_contains(step);
    }

    // The browser finds it by words in a rationale and by status.
    let found = author.get("/bank?q=swelling+fresh").await;
    found.assert_contains(&item_url);
    let drafts = author.get("/bank?status=approved").await;
    assert!(!drafts.body.contains(&item_url), "its latest version is a draft");
}

async fn students_report_problems_and_see_the_outcome(app: TestApp) {
    let instructor = app.logged_in("inst@example.com", &[Role::Instructor]).await;
    let student = app.logged_in("learner@example.com", &[Role::Student]).await;
    assert_eq!(student.get("/bank").await.status(), 403);
    assert_eq!(student.get("/bank/reports").await.status(), 403);

    let stem = "A soccer player sprained an ankle ten minutes ago. Which application fits best now?";
    let r = post_item(&instructor, "/bank/new", "/bank/new", &item_form(stem), "save").await;
    let id = r.location.unwrap().rsplit('/').next().unwrap().to_string();

    let report_page = format!("/questions/{id}/report?version=1");
    let page = student.get(&report_page).await;
    assert_eq!(page.status(), 200);
    page.assert_contains(stem);
    assert!(!page.body.contains("Cold limits swelling"), "no rationale before answering");
    let r = student.submit(&report_page, &format!("/questions/{id}/report"), &[("version", "1"), ("message", "x")]).await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Describe the problem");
    let r = student
        .submit(&report_page, &format!("/questions/{id}/report"), &[("version", "1"), ("message", "Options C and D both mention the calf.")])
        .await;
    assert_eq!(r.status(), 303);
    student.get("/reports").await.assert_contains("Waiting for a reviewer");

    let queue = instructor.get("/bank/reports").await;
    queue.assert_contains("Options C and D both mention the calf.");
    instructor.get("/bank?reports=open").await.assert_contains(&id);
    let report_id = queue.body.split("/bank/reports/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let r = instructor
        .submit("/bank/reports", &format!("/bank/reports/{report_id}/resolve"), &[("outcome", "accepted"), ("resolution", "Option D reworded in version 2.")])
        .await;
    assert_eq!(r.status(), 303);
    let mine = student.get("/reports").await;
    mine.assert_contains("Accepted");
    mine.assert_contains("Option D reworded in version 2.");
    instructor.get("/bank/reports").await.assert_contains("No open problem reports");
}

db_tests!(write_review_and_version_an_item, students_report_problems_and_see_the_outcome);
