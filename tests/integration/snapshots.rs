//! Snapshots of what people receive and what API clients read: every e-mail (text and HTML, as
//! delivered), the OpenAPI document, and the API's error shape. A change to any of them fails here
//! with a diff to review (`cargo insta review`, or run with `INSTA_UPDATE=always` and read the
//! diff of `tests/integration/snapshots/` before committing).

use crate::helpers::TestApp;
use palpate::domain::accounts::Role;

/// Replaces what differs between runs: secrets in links (long hex runs) and dates.
fn redact(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let hex = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if hex >= 16 {
            out.push_str("[secret]");
            i += hex;
            continue;
        }
        // YYYY-MM-DD
        let is_date = i + 10 <= chars.len()
            && chars[i..i + 4].iter().all(|c| c.is_ascii_digit())
            && chars[i + 4] == '-'
            && chars[i + 5..i + 7].iter().all(|c| c.is_ascii_digit())
            && chars[i + 7] == '-'
            && chars[i + 8..i + 10].iter().all(|c| c.is_ascii_digit());
        if is_date {
            out.push_str("[date]");
            i += 10;
            continue;
        }
        // A count of days (depends on today's date): "19 days" → "[n] days".
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0
            && chars[i + digits..]
                .iter()
                .collect::<String>()
                .starts_with(" days")
        {
            out.push_str("[n]");
            i += digits;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn mail_snapshot(m: &palpate::mail::SentMail) -> String {
    redact(&format!(
        "To: {}\nSubject: {}\n\n--- text ---\n{}\n--- html ---\n{}",
        m.to, m.subject, m.text, m.html
    ))
}

#[tokio::test]
async fn emails() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    let c = app.client();
    // Sign-up: the confirmation e-mail.
    let form = [
        ("name", "Dana Student"),
        ("email", "dana@example.com"),
        ("password", crate::helpers::PASSWORD),
        ("student", "on"),
    ];
    assert!(c.submit("/signup", "/signup", &form).await.status() < 400);
    let m = app.wait_for_mail(1).await;
    insta::assert_snapshot!("email_verify", mail_snapshot(&m[0]));
    // Signing up again with the same address: the "you already have an account" e-mail.
    let again = app.client();
    assert!(again.submit("/signup", "/signup", &form).await.status() < 400);
    let m = app.wait_for_mail(2).await;
    insta::assert_snapshot!("email_signup_existing", mail_snapshot(&m[1]));
    // Password reset.
    app.user("ana@example.com", &[Role::Student]).await;
    let r = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "ana@example.com")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let m = app.wait_for_mail(3).await;
    insta::assert_snapshot!("email_reset", mail_snapshot(&m[2]));
    // A CE renewal reminder: NCBTMB, deadline in 20 days, nothing logged.
    let p = app
        .logged_in("remind@example.com", &[Role::Practitioner])
        .await;
    let issued = (app.clock.now().date() - time::Duration::days(730 - 20)).to_string();
    let r = p
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "ncbtmb-bctmb"), ("issued_on", &issued)],
        )
        .await;
    assert_eq!(r.status(), 303);
    palpate::services::ce::reminders::send_due(&app.state)
        .await
        .unwrap();
    let m = app.wait_for_mail(4).await;
    let reminder = m.iter().find(|m| m.to == "remind@example.com").unwrap();
    insta::assert_snapshot!("email_ce_reminder", mail_snapshot(reminder));

    // A study reminder: daily, at this hour (UTC), ten new questions of the seeded bank.
    app.seed_bank([4; 7]).await;
    let s = app.logged_in("study@example.com", &[Role::Student]).await;
    let hour = app.clock.now().hour().to_string();
    let form = [
        ("time_zone", "UTC"),
        ("study_days", "daily"),
        ("study_hour", hour.as_str()),
        ("study_weekday", "0"),
        ("email_reminder", "true"),
    ];
    assert_eq!(
        s.submit("/study/settings", "/study/settings", &form)
            .await
            .status(),
        303
    );
    palpate::services::study_settings::send_due(&app.state)
        .await
        .unwrap();
    let m = app.wait_for_mail(5).await;
    let study = m.iter().find(|m| m.to == "study@example.com").unwrap();
    insta::assert_snapshot!("email_study_reminder", mail_snapshot(study));

    // The question after the real exam's date: how did it go?
    let yesterday = (app.clock.now().date() - time::Duration::days(1)).to_string();
    let r = s
        .submit(
            "/exams/outcome",
            "/exams/outcome/plan",
            &[("target", "mblex"), ("exam_date", yesterday.as_str())],
        )
        .await;
    assert_eq!(r.status(), 303);
    palpate::services::outcomes::ask_due(&app.state)
        .await
        .unwrap();
    let m = app.wait_for_mail(6).await;
    let asked = m
        .iter()
        .find(|m| m.to == "study@example.com" && m.subject.contains("How did"))
        .unwrap();
    insta::assert_snapshot!("email_exam_outcome", mail_snapshot(asked));
}

#[test]
fn openapi_document() {
    insta::assert_json_snapshot!("openapi", palpate::web::api::openapi::document());
}

#[tokio::test]
async fn api_error_shape() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/tokens", app.addr))
        .json(
            &serde_json::json!({"email": "nobody@example.com", "password": "wrong password here"}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap();
    insta::assert_json_snapshot!(
        "api_error_bad_login",
        serde_json::json!({"status": status, "body": body})
    );
}
