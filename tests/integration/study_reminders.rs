//! A student's study time: the settings form (errors next to their fields, input kept), the
//! e-mail reminder at their local hour (sent once per local day, across instances), and the study
//! calendar feed (sessions at the local hour, the exam day, only with its secret).

use crate::db_tests;
use crate::helpers::*;
use palpate::domain::accounts::Role;
use palpate::domain::local_time;

async fn settings_form_keeps_input_and_says_what_is_wrong(app: TestApp) {
    let c = app.logged_in("tz@example.com", &[Role::Student]).await;
    let page = c.get("/study/settings").await;
    page.assert_contains("until you choose your own time zone");
    page.assert_contains("Eastern time (New York, Miami, Atlanta)");

    // A reminder without a planned time, and a zone that does not exist.
    let r = c
        .submit(
            "/study/settings",
            "/study/settings",
            &[
                ("time_zone", "Mars/Olympus_Mons"),
                ("study_days", "off"),
                ("study_hour", "7"),
                ("study_weekday", "0"),
                ("email_reminder", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"time_zone-error\"");
    r.assert_contains("Choose your time zone from the list");
    r.assert_contains("An e-mail reminder needs a planned study time");
    // What was typed is kept.
    r.assert_contains("<option value=\"Mars/Olympus_Mons\" selected>");
    r.assert_contains("<option value=\"7\" selected>7 am</option>");

    let r = c
        .submit(
            "/study/settings",
            "/study/settings",
            &[
                ("time_zone", "America/Chicago"),
                ("study_days", "weekly"),
                ("study_hour", "19"),
                ("study_weekday", "2"),
                ("email_reminder", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = c.get("/study/settings").await;
    page.assert_contains("Every Wednesday at 7 pm, with an e-mail reminder");
    let study = c.get("/study").await;
    study.assert_contains("Every Wednesday at 7 pm, with an e-mail reminder (Central time");
    // Exam history shows when an exam started in the student's zone.
    app.seed_bank([4; 7]).await;
    start_drill(&c, "1", "3").await;
    let exams = c.get("/exams").await;
    assert!(
        exams.body.contains(" CST") || exams.body.contains(" CDT"),
        "{}",
        exams.body
    );
    assert!(
        !study.body.contains("America/Chicago"),
        "people see the zone's name, not its code"
    );
}

/// Moves the clocks forward until the local time in `zone` is `hour`:05 or a little after.
fn advance_to_local_hour(apps: &[&TestApp], zone: &str, hour: u8) {
    let tz = local_time::zone(zone).unwrap();
    let now = local_time::local(tz, apps[0].clock.now());
    let mut minutes =
        (i64::from(hour) - i64::from(now.hour())).rem_euclid(24) * 60 - i64::from(now.minute()) + 5;
    if minutes < 0 {
        minutes += 24 * 60;
    }
    for a in apps {
        a.clock.advance(time::Duration::minutes(minutes));
    }
}

async fn study_reminders_go_out_once_at_the_local_hour(app: TestApp) {
    app.seed_bank([4; 7]).await;
    let la = app.logged_in("la@example.com", &[Role::Student]).await;
    let ny = app.logged_in("ny@example.com", &[Role::Student]).await;
    let other = app.second_instance().await;

    // Both choose the same hour, four hours ahead of Los Angeles: New York (three hours ahead of
    // it) has not reached it yet either.
    let tz = local_time::zone("America/Los_Angeles").unwrap();
    let la_hour = (local_time::local(tz, app.clock.now()).hour() + 4) % 24;
    let form = |zone: &'static str, hour: String| {
        vec![
            ("time_zone", zone.to_string()),
            ("study_days", "daily".to_string()),
            ("study_hour", hour),
            ("study_weekday", "0".to_string()),
            ("email_reminder", "true".to_string()),
        ]
    };
    for (c, zone) in [(&la, "America/Los_Angeles"), (&ny, "America/New_York")] {
        let f = form(zone, la_hour.to_string());
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            c.submit("/study/settings", "/study/settings", &pairs)
                .await
                .status(),
            303
        );
    }
    let send = |a: &TestApp| {
        let st = a.state.clone();
        async move {
            palpate::services::study_settings::send_due(&st)
                .await
                .unwrap()
        }
    };
    assert_eq!(send(&app).await, 0, "not before the hour");

    // The chosen hour in Los Angeles: only the student there (New York's window for that hour
    // closed as Los Angeles reached it).
    advance_to_local_hour(&[&app, &other], "America/Los_Angeles", la_hour);
    let sent = (send(&app).await, send(&app).await, send(&other).await);
    assert_eq!(
        sent,
        (1, 0, 0),
        "one reminder, once, whichever instance sweeps"
    );
    let mut mails = vec![];
    for _ in 0..200 {
        mails = app
            .mail
            .messages()
            .into_iter()
            .chain(other.mail.messages())
            .collect();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.to, "la@example.com");
    assert!(m.subject.starts_with("Study today: "), "{}", m.subject);
    assert!(
        m.text.contains("Today's plan: 0 reviews and "),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("http://palpate.test/study/settings"),
        "{}",
        m.text
    );

    // Next day, same local hour: again once.
    for a in [&app, &other] {
        a.clock.advance(time::Duration::hours(20));
    }
    advance_to_local_hour(&[&app, &other], "America/Los_Angeles", la_hour);
    assert_eq!((send(&app).await, send(&other).await), (1, 0));

    // No longer a student (the role was removed): no reminder; a student again: reminded again.
    let la_id = app.user_id("la@example.com").await;
    let role = |grant: bool| {
        let now = app.clock.now();
        app.state.db(move |c| {
            Ok(if grant {
                palpate::store::accounts::grant_role(c, la_id, "student", now)?
            } else {
                palpate::store::accounts::revoke_role(c, la_id, "student")?
            })
        })
    };
    assert!(role(false).await.unwrap());
    for a in [&app, &other] {
        a.clock.advance(time::Duration::days(1));
    }
    assert_eq!(
        send(&app).await,
        0,
        "not to someone who is no longer a student"
    );
    assert!(role(true).await.unwrap());
    assert_eq!(send(&app).await, 1);

    // Turned off: nothing more.
    let f = [
        ("time_zone", "America/Los_Angeles"),
        ("study_days", "off"),
        ("study_hour", "8"),
        ("study_weekday", "0"),
    ];
    assert_eq!(
        la.submit("/study/settings", "/study/settings", &f)
            .await
            .status(),
        303
    );
    for a in [&app, &other] {
        a.clock.advance(time::Duration::days(1));
    }
    assert_eq!(send(&app).await, 0);
}

async fn the_study_calendar_shows_sessions_at_the_local_hour(app: TestApp) {
    let c = app.logged_in("cal@example.com", &[Role::Student]).await;
    let tz = local_time::zone("America/Chicago").unwrap();
    let today = local_time::local_date(tz, app.clock.now());
    let exam = today + time::Duration::days(5);
    let r = c
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "mblex"), ("exam_date", &exam.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    let f = [
        ("time_zone", "America/Chicago"),
        ("study_days", "daily"),
        ("study_hour", "18"),
        ("study_weekday", "0"),
    ];
    assert_eq!(
        c.submit("/study/settings", "/study/settings", &f)
            .await
            .status(),
        303
    );
    let page = c.get("/study/settings").await;
    let url = page
        .body
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("calendar address")
        .to_string();
    let path = url.trim_start_matches("http://palpate.test").to_string();
    assert!(path.starts_with("/study/calendar/"), "{path}");

    let ics = reqwest::get(format!("{}{path}", app.addr)).await.unwrap();
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = ics.text().await.unwrap();
    // Today and the four days before the exam, then the exam day itself.
    assert_eq!(
        body.matches("SUMMARY:Palpate study session").count(),
        5,
        "{body}"
    );
    assert!(body.contains("SUMMARY:MBLEx exam day"), "{body}");
    let first = local_time::utc_of_local(tz, today, 18);
    let stamp = format!(
        "DTSTART:{:04}{:02}{:02}T{:02}0000Z",
        first.year(),
        u8::from(first.month()),
        first.day(),
        first.hour()
    );
    assert!(body.contains(&stamp), "6 pm in Chicago is {stamp}:\n{body}");

    // Without the secret, or after a new address was made, nothing.
    let wrong = format!(
        "{}/study/calendar/{}-0000.ics",
        app.addr,
        app.user_id("cal@example.com").await
    );
    assert_eq!(reqwest::get(wrong).await.unwrap().status(), 404);
    let r = c
        .submit("/study/settings", "/study/calendar/reset", &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        reqwest::get(format!("{}{path}", app.addr))
            .await
            .unwrap()
            .status(),
        404
    );
}

db_tests!(
    settings_form_keeps_input_and_says_what_is_wrong,
    study_reminders_go_out_once_at_the_local_hour,
    the_study_calendar_shows_sessions_at_the_local_hour
);
