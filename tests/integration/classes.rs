//! Classes: an instructor creates one, students join with its code and leave, assignments show on
//! their dashboards with status, the gradebook and item analysis show only current members' work
//! since they joined.

use crate::db_tests;
use crate::helpers::{Client, Page, TestApp, answer, position};
use palpate::domain::accounts::Role;

fn code_in(page: &Page) -> String {
    page.body
        .split("<strong class=\"code\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no invite code in:\n{}", page.body))
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

/// Answers a drill to its end, `right` of the questions correctly (the rest wrong).
async fn do_drill(c: &Client, url: &str, right: usize) -> usize {
    let mut n = 0;
    for _ in 0..40 {
        let page = c.get(url).await;
        if page.status() != 200 || !page.body.contains("name=\"position\"") {
            break;
        }
        let _ = position(&page);
        answer(c, url, &page, n < right).await;
        n += 1;
    }
    n
}

async fn classes_assignments_gradebook_and_privacy(app: TestApp) {
    app.seed_bank([12; 7]).await;
    let teacher = app
        .logged_in("teacher@example.com", &[Role::Instructor])
        .await;

    // Creating a class: errors next to the fields, then the class with its invite code.
    let r = teacher
        .submit(
            "/classes",
            "/classes",
            &[
                ("name", ""),
                ("term", "Spring 2027"),
                ("exam_target", "mblex"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"name-error\">Give the class a name.");
    r.assert_contains("value=\"Spring 2027\"");
    let r = teacher
        .submit(
            "/classes",
            "/classes",
            &[
                ("name", "Cohort B"),
                ("term", "Spring 2027"),
                ("exam_target", "mblex"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let class_url = r.location.unwrap();
    let class_page = teacher.get(&class_url).await;
    let code = code_in(&class_page);
    class_page.assert_contains(&format!("/classes/join/{code}"));

    // Assignments: dates checked; a drill open now and a readiness check that opens later.
    // The class's dates are in its creator's time zone (Eastern by default), not UTC.
    let today = crate::helpers::student_today(&app);
    let day = |d: i64| (today + time::Duration::days(d)).to_string();
    let add = |fields: Vec<(&'static str, String)>| {
        let teacher = &teacher;
        let class_url = class_url.clone();
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            teacher
                .submit(&class_url, &format!("{class_url}/assignments"), &f)
                .await
        }
    };
    let r = add(vec![
        ("kind", "drill".into()),
        ("area", "1".into()),
        ("length", "5".into()),
        ("opens_on", day(2)),
        ("due_on", day(1)),
    ])
    .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("The due date must be on or after the opening date.");
    let r = add(vec![
        ("kind", "drill".into()),
        ("area", "1".into()),
        ("length", "5".into()),
        ("opens_on", day(0)),
        ("due_on", day(7)),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let r = add(vec![
        ("kind", "readiness".into()),
        ("opens_on", day(3)),
        ("due_on", day(10)),
    ])
    .await;
    assert_eq!(r.status(), 303);

    // Students join with the code (a wrong one is refused next to the field).
    let a = app.logged_in("a@example.com", &[Role::Student]).await;
    let b = app.logged_in("b@example.com", &[Role::Student]).await;
    let outsider = app.logged_in("c@example.com", &[Role::Student]).await;
    let late = app.logged_in("d@example.com", &[Role::Student]).await;
    let r = a
        .submit("/classes", "/classes/join", &[("code", "NOPE1234")])
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"code-error\">No class has this invite code.");
    let join_page = a.get(&format!("/classes/join/{code}")).await;
    join_page.assert_contains("Join Cohort B?");
    for s in [&a, &b] {
        let r = s
            .submit(
                "/classes",
                "/classes/join",
                &[("code", &code.to_lowercase())],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    // Work done before joining is not the class's business.
    let before = crate::helpers::start_drill(&late, "1", "5").await;
    assert_eq!(do_drill(&late, &before, 5).await, 5);
    let r = late
        .submit("/classes", "/classes/join", &[("code", &code)])
        .await;
    assert_eq!(r.status(), 303);
    let mine = late.get(r.location.as_deref().unwrap()).await;
    assert!(
        !mine.body.contains("% of"),
        "answers before joining are shown:\n{}",
        mine.body
    );

    // The dashboard lists the assignments with their status; A does the drill (3 of 5 right).
    let dash = a.get("/dashboard").await;
    dash.assert_contains("Class assignments");
    dash.assert_contains("Drill: 1.");
    dash.assert_contains("To do");
    dash.assert_contains(&format!("opens {}", day(3)));
    let start = crate::helpers::id_between(&dash.body, "/classes/assignments/", "/start");
    let r = a
        .submit(
            "/dashboard",
            &format!("/classes/assignments/{start}/start"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let exam_url = r.location.unwrap();
    assert_eq!(do_drill(&a, &exam_url, 3).await, 5);
    // An exam of the outsider's own is never in the class.
    let own = crate::helpers::start_drill(&outsider, "1", "5").await;
    do_drill(&outsider, &own, 5).await;
    let dash = a.get("/dashboard").await;
    dash.assert_contains("Done · 60 %");

    // The gradebook: current members only, with their standing, areas and CSV.
    let book_url = format!("{class_url}/gradebook");
    let book = teacher.get(&book_url).await;
    book.assert_contains("a@example.com");
    book.assert_contains("b@example.com");
    book.assert_contains("d@example.com");
    assert!(!book.body.contains("c@example.com"));
    book.assert_contains("Done · 60 %");
    book.assert_contains("60 % of 5");
    // A name typed as a spreadsheet formula reaches the CSV as text, never as a formula.
    let r = a
        .submit(
            "/account",
            "/account/profile",
            &[("name", "=HYPERLINK(\"http://evil.example\",\"x\")")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let csv = teacher.get(&format!("{class_url}/gradebook.csv")).await;
    let names: Vec<String> = ::csv::Reader::from_reader(csv.body.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"http://evil.example\",\"x\")".to_string()),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.starts_with('=')), "{names:?}");
    assert!(
        csv.body.starts_with("Student,E-mail,Joined,"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains("a@example.com") && csv.body.contains("Done (60 %)"),
        "{}",
        csv.body
    );

    // The class's questions in another platform's format: the five the drill presented.
    let gift = teacher
        .get(&format!("{class_url}/export?format=gift"))
        .await;
    assert_eq!(gift.body.matches("::S1-").count(), 5, "{}", gift.body);
    assert_eq!(other_teacher_export(&app, &class_url).await, 404);

    // Item analysis of the drill: five questions, each answered once.
    let analysis = teacher.get(&format!("/classes/assignments/{start}")).await;
    analysis.assert_contains("1 student answered");
    assert_eq!(
        analysis.body.matches("(the answer)").count(),
        5,
        "{}",
        analysis.body
    );
    // Options by their text (students saw their own order): the synthetic bank's right answers.
    assert_eq!(
        analysis.body.matches("<strong>Right answer 1-").count(),
        5,
        "{}",
        analysis.body
    );

    // The same through the API: the gradebook for teachers, one's own row for students.
    let http = reqwest::Client::new();
    let teacher_token = app.api_token("teacher@example.com").await;
    let b_token = app.api_token("b@example.com").await;
    let class_id = class_url.trim_start_matches("/classes/");
    let g: serde_json::Value = http
        .get(format!(
            "{}/api/v1/classes/{class_id}/gradebook?sort=activity",
            app.addr
        ))
        .bearer_auth(&teacher_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &g["rows"][0];
    assert_eq!(
        first["email"], "a@example.com",
        "most recent activity first: {g}"
    );
    assert_eq!(first["cells"][0]["standing"], "done");
    assert_eq!(first["cells"][0]["percent"], 60);
    let r = http
        .get(format!("{}/api/v1/classes/{class_id}/gradebook", app.addr))
        .bearer_auth(&b_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let mine: serde_json::Value = http
        .get(format!("{}/api/v1/classes/{class_id}/me", app.addr))
        .bearer_auth(&b_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["rows"].as_array().unwrap().len(), 1);
    assert_eq!(mine["rows"][0]["email"], "b@example.com");
    assert_eq!(mine["rows"][0]["cells"][0]["standing"], "to_do");

    // The operator's command line: the list of classes and a gradebook as CSV (stdout only).
    let cli_dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_palpate"))
            .args(args)
            .env("PALPATE_DATA_DIR", cli_dir.path())
            .env("PALPATE_DATABASE_URL", &app.settings.database_url)
            .env("PALPATE_LOG", "info")
            .output()
            .unwrap()
    };
    let out = cli(&["classes", "list"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "Cohort B");
    let out = cli(&["classes", "gradebook", class_id, "--csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.starts_with("Student,E-mail,Joined,") && csv.contains("a@example.com"),
        "{csv}"
    );
    let out = cli(&["classes", "gradebook", "999999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("No class has the number 999999."));

    // Students see only their own row; other instructors see nothing until added.
    let own_row = a.get(&format!("{class_url}/me")).await;
    own_row.assert_contains("a@example.com");
    assert!(!own_row.body.contains("b@example.com"));
    assert_eq!(a.get(&book_url).await.status(), 403);
    assert_eq!(outsider.get(&format!("{class_url}/me")).await.status(), 404);
    let other = app
        .logged_in("other@example.com", &[Role::Instructor])
        .await;
    assert_eq!(other.get(&book_url).await.status(), 404);
    let r = teacher
        .submit(
            &class_url,
            &format!("{class_url}/teachers"),
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"email-error\">No Palpate account has this e-mail address.");
    r.assert_contains("value=\"nobody@example.com\"");
    // Not oneself, and not an empty address.
    let r = teacher
        .submit(
            &class_url,
            &format!("{class_url}/teachers"),
            &[("email", "teacher@example.com")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("You already teach this class");
    let r = teacher
        .submit(
            &class_url,
            &format!("{class_url}/teachers"),
            &[("email", " ")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Enter the e-mail address");
    let r = teacher
        .submit(
            &class_url,
            &format!("{class_url}/teachers"),
            &[("email", "other@example.com")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(other.get(&book_url).await.status(), 200);

    // Past the due date, work not done is overdue.
    app.clock.advance(time::Duration::days(8));
    teacher.get(&book_url).await.assert_contains("Overdue");

    // A student who leaves disappears from the class at once.
    let confirm = a.get(&format!("{class_url}/leave")).await;
    confirm.assert_contains("Yes, leave the class");
    let r = a
        .submit(
            &format!("{class_url}/leave"),
            &format!("{class_url}/leave"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let book = teacher.get(&book_url).await;
    assert!(!book.body.contains("a@example.com"));
    let analysis = teacher.get(&format!("/classes/assignments/{start}")).await;
    analysis.assert_contains("No one in the class has answered");
}

/// A due date ends at midnight where the class is (its creator's time zone, Eastern by default),
/// not at midnight UTC: a drill finished at 8 pm Eastern on the due date is on time.
async fn a_due_date_ends_at_midnight_where_the_class_is(app: TestApp) {
    use palpate::domain::local_time::{DEFAULT_ZONE, local, zone};
    app.seed_bank([4, 4, 4, 4, 4, 4, 4]).await;
    let teacher = app
        .logged_in("evening@example.com", &[Role::Instructor])
        .await;
    let r = teacher
        .submit(
            "/classes",
            "/classes",
            &[
                ("name", "Evening cohort"),
                ("term", "Fall 2027"),
                ("exam_target", "mblex"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let class_url = r.location.unwrap();
    let code = code_in(&teacher.get(&class_url).await);
    // The next 8 pm in the class's zone (01:00 UTC the next day, or 00:00 in summer).
    let tz = zone(DEFAULT_ZONE).unwrap();
    let here = local(tz, app.clock.now());
    let mut evening = here.replace_time(time::macros::time!(20:00));
    if evening <= here {
        evening += time::Duration::days(1);
    }
    let r = teacher
        .submit(
            &class_url,
            &format!("{class_url}/assignments"),
            &[
                ("kind", "drill"),
                ("area", "1"),
                ("length", "5"),
                ("opens_on", &here.date().to_string()),
                ("due_on", &evening.date().to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let s = app.logged_in("night@example.com", &[Role::Student]).await;
    let r = s
        .submit("/classes", "/classes/join", &[("code", &code)])
        .await;
    assert_eq!(r.status(), 303);
    app.clock.advance(evening - here);
    let dash = s.get("/dashboard").await;
    let start = crate::helpers::id_between(&dash.body, "/classes/assignments/", "/start");
    let r = s
        .submit(
            "/dashboard",
            &format!("/classes/assignments/{start}/start"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    do_drill(&s, &r.location.unwrap(), 5).await;
    let dash = s.get("/dashboard").await;
    dash.assert_contains("Done · 100 %");
    assert!(!dash.body.contains("Done late"), "{}", dash.body);
}

db_tests!(
    classes_assignments_gradebook_and_privacy,
    a_due_date_ends_at_midnight_where_the_class_is
);

/// An instructor who does not teach the class asks for its questions.
async fn other_teacher_export(app: &TestApp, class_url: &str) -> u16 {
    let c = app
        .logged_in("stranger@example.com", &[Role::Instructor])
        .await;
    c.get(&format!("{class_url}/export?format=csv"))
        .await
        .status()
}
