//! Continuing education: credentials, the CE log with certificates, evaluation on the dashboard,
//! and that one therapist never reaches another's records or files.

use crate::db_tests;
use crate::helpers::{TestApp, upload};
use palpate::domain::accounts::Role;

pub(crate) const ETHICS: [(&str, &str); 8] = [
    ("title", "Ethics for massage therapists"),
    ("provider", "Example CE Co."),
    ("completed_on", "2026-05-02"),
    ("delivery", "live_online"),
    ("hours", "3"),
    ("unit", "hour"),
    ("topic_ethics", "3"),
    ("approval_ncbtmb_course", "451234-25"),
];

async fn certificates_are_checked_and_private(app: TestApp) {
    let ana = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let ben = app
        .logged_in("ben@example.com", &[Role::Practitioner])
        .await;
    let stu = app.logged_in("stu@example.com", &[Role::Student]).await;
    assert_eq!(stu.get("/ce").await.status(), 403);

    // Wrong type, refused with a message by the field; the typed fields are kept.
    let r = upload(
        &ana,
        &ETHICS,
        Some(("cert.pdf", b"<html><script>alert(1)</script>".to_vec())),
    )
    .await;
    assert_eq!(r.status, 422);
    r.assert_contains("PDF, PNG or JPEG");
    r.assert_contains("value=\"Ethics for massage therapists\"");
    // Too large.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 10, b'x');
    let r = upload(&ana, &ETHICS, Some(("big.pdf", big))).await;
    assert_eq!(r.status, 422);
    r.assert_contains("larger than 10 MB");
    // Topic hours must add up.
    let mut wrong = ETHICS.to_vec();
    wrong[6] = ("topic_ethics", "2");
    let r = upload(&ana, &wrong, None).await;
    assert_eq!(r.status, 422);
    r.assert_contains("add up to 2");

    // A path trick in the name goes nowhere: the file is stored by its hash.
    let pdf = b"%PDF-1.4\n% a real enough PDF\n".to_vec();
    let r = upload(
        &ana,
        &ETHICS,
        Some(("../../../etc/passwd.pdf", pdf.clone())),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = ana.get("/ce").await;
    page.assert_contains("Ethics for massage therapists");
    page.assert_contains("passwd.pdf");
    let id = page
        .body
        .split("/certificate\"")
        .next()
        .unwrap()
        .rsplit("/ce/activities/")
        .next()
        .unwrap()
        .to_string();
    assert!(id.parse::<i64>().is_ok(), "activity id {id:?}");
    let url = format!("{}/ce/activities/{id}/certificate", ana.base);
    let resp = ana.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cd.contains("attachment") && !cd.contains(".."), "{cd}");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), pdf);
    assert!(!app.settings.data_dir.join("etc").exists());

    // Ben sees none of it: not the log, not the file, cannot delete it.
    assert!(
        !ben.get("/ce")
            .await
            .body
            .contains("Ethics for massage therapists")
    );
    assert_eq!(ben.http.get(&url).send().await.unwrap().status(), 404);
    assert_eq!(
        ben.get(&format!("/ce/activities/{id}/remove"))
            .await
            .status(),
        404
    );
    let r = ben
        .submit("/ce", &format!("/ce/activities/{id}/remove"), &[])
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        ana.http.get(&url).send().await.unwrap().status(),
        200,
        "still there for its owner"
    );

    // The audit pack holds the transcript, the certificate and a manifest of their hashes.
    let r = ana
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "ncbtmb-bctmb"), ("issued_on", "2025-06-01")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = ana.get("/ce").await;
    let cred = page
        .body
        .split("/audit-pack.zip")
        .next()
        .unwrap()
        .rsplit("/ce/credentials/")
        .next()
        .unwrap()
        .to_string();
    let zip = ana
        .http
        .get(format!("{}/ce/credentials/{cred}/audit-pack.zip", ana.base))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let bytes = zip.bytes().await.unwrap().to_vec();
    assert_eq!(&bytes[..2], b"PK");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("MANIFEST.sha256.txt")
            && text.contains("passwd.pdf")
            && text.contains("transcript-ncbtmb-board-certified")
            && !text.contains("ncbtmb-bctmb"),
        "zip entries"
    );
    use sha2::Digest;
    assert!(
        text.contains(&hex::encode(sha2::Sha256::digest(&pdf))),
        "the manifest lists the certificate's hash"
    );
    assert_eq!(
        ben.http
            .get(format!("{}/ce/credentials/{cred}/audit-pack.zip", ben.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn reminders_go_out_once(app: TestApp) {
    let c = app
        .logged_in("remind@example.com", &[Role::Practitioner])
        .await;
    let quiet = app
        .logged_in("quiet@example.com", &[Role::Practitioner])
        .await;
    // Issued two years ago, less a few weeks: the NCBTMB deadline is close and nothing is logged.
    let issued = (app.clock.now().date() - time::Duration::days(730 - 20)).to_string();
    for client in [&c, &quiet] {
        let r = client
            .submit(
                "/ce/credentials/new",
                "/ce/credentials",
                &[("rule", "ncbtmb-bctmb"), ("issued_on", &issued)],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    quiet
        .submit("/ce", "/ce/profile", &[("birth_date", "")])
        .await; // reminders box unticked
    let first = palpate::services::ce::reminders::send_due(&app.state)
        .await
        .unwrap();
    let again = palpate::services::ce::reminders::send_due(&app.state)
        .await
        .unwrap();
    let other = app.second_instance().await;
    let third = palpate::services::ce::reminders::send_due(&other.state)
        .await
        .unwrap();
    assert_eq!((first, again, third), (1, 0, 0), "one reminder, once");
    // Either instance's sender may deliver it; look in both mailboxes.
    let mut mails = vec![];
    for _ in 0..200 {
        mails = app
            .mail
            .messages()
            .into_iter()
            .chain(other.mail.messages())
            .collect::<Vec<_>>();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let to_me: Vec<_> = app
        .mail
        .messages()
        .into_iter()
        .chain(other.mail.messages())
        .filter(|m| m.to == "remind@example.com")
        .collect();
    assert_eq!(to_me.len(), 1);
    // The credential by its name; no rule id reaches an e-mail.
    assert!(
        to_me[0].subject.contains("NCBTMB Board Certified"),
        "{}",
        to_me[0].subject
    );
    assert!(!to_me[0].subject.contains("ncbtmb-bctmb") && !to_me[0].text.contains("ncbtmb-bctmb"));
    assert!(to_me[0].text.contains("Still needed"), "{}", to_me[0].text);
    assert!(
        !mails.iter().any(|m| m.to == "quiet@example.com"),
        "reminders turned off"
    );
}

async fn ce_api(app: TestApp) {
    app.user("apice@example.com", &[Role::Practitioner]).await;
    app.user("apistu@example.com", &[Role::Student]).await;
    let http = reqwest::Client::new();
    let t = app.api_token("apice@example.com").await;
    let s = app.api_token("apistu@example.com").await;
    let url = |p: &str| format!("{}{p}", app.addr);
    assert_eq!(
        http.get(url("/api/v1/ce/evaluation"))
            .bearer_auth(&s)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r = http
        .post(url("/api/v1/ce/credentials"))
        .bearer_auth(&t)
        .json(&serde_json::json!({"rule": "us-xx-lmt", "issued_on": "2025-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = http
        .post(url("/api/v1/ce/credentials"))
        .bearer_auth(&t)
        .json(&serde_json::json!({"rule": "us-fl-lmt", "issued_on": "2021-03-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(url("/api/v1/ce/activities"))
        .bearer_auth(&t)
        .json(&serde_json::json!({"title": "Florida laws and rules", "completed_on": "2026-02-01", "delivery": "live_online", "hours": 2,
                                  "topics": {"laws_rules{FL}": 2}, "approvals": {"fl_bmt_provider": "50-1234"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let e: serde_json::Value = http
        .get(url("/api/v1/ce/evaluation"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fl = &e["credentials"][0];
    assert_eq!(fl["rule"], "us-fl-lmt");
    assert_eq!(fl["status"], "deficient");
    let laws = fl["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "laws_rules")
        .unwrap();
    assert_eq!(
        laws["counted"], 2.0,
        "a Florida laws course fills Florida's laws & rules part: {fl}"
    );
    assert!(!fl["deficits"].as_array().unwrap().is_empty());
}

/// Takes a course's five-question exam, every answer right or every answer wrong; returns its address.
async fn take_course_exam(c: &crate::helpers::Client, course: &str, right: bool) -> String {
    let r = c
        .submit(
            &format!("/ce/courses/{course}"),
            "/exams",
            &[("program", &format!("course:{course}"))],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let url = r.location.unwrap();
    for _ in 0..5 {
        let page = c.get(&url).await;
        crate::helpers::answer(c, &url, &page, right).await;
    }
    url
}

async fn ce_courses_issue_verifiable_certificates(app: TestApp) {
    app.seed_bank([0, 0, 0, 0, 0, 12, 0]).await;
    let inst = app
        .logged_in("teacher@example.com", &[Role::Instructor])
        .await;
    let r = inst
        .submit(
            "/courses",
            "/courses",
            &[
                ("title", "E"),
                ("reading", "short"),
                ("hours", "99"),
                ("topic", "ethics"),
                ("questions", "5"),
                ("pass_percent", "70"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("3 to 200 characters");
    r.assert_contains("0.5 to 40 hours");
    let reading = "Boundaries protect the client and the therapist. This course reviews dual relationships, gifts, and how to end a therapeutic relationship well.";
    let r = inst
        .submit(
            "/courses",
            "/courses",
            &[
                ("title", "Ethics refresher"),
                ("reading", reading),
                ("hours", "2"),
                ("topic", "ethics"),
                ("approval_scheme", "ncbtmb_course"),
                ("approval_number", "451999-26"),
                ("areas", "6"),
                ("questions", "5"),
                ("pass_percent", "80"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    let pro = app
        .logged_in("learner@example.com", &[Role::Practitioner])
        .await;
    let list = pro.get("/ce/courses").await;
    list.assert_contains("Ethics refresher");
    // People read labels, not codes: "2 CE hours · Ethics · … · NCBTMB-approved course 451999-26".
    list.assert_contains("2 CE hours");
    assert!(
        !list.body.contains("ncbtmb_course") && list.body.contains("451999-26"),
        "{}",
        list.body
    );
    let course = list
        .body
        .split("/ce/courses/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    pro.get(&format!("/ce/courses/{course}"))
        .await
        .assert_contains("Boundaries protect the client");
    // A student (not a certified therapist) cannot take a CE course exam, on the web or the API.
    let student = app.logged_in("student@example.com", &[Role::Student]).await;
    let r = student
        .submit(
            "/exams",
            "/exams",
            &[("program", &format!("course:{course}"))],
        )
        .await;
    assert_ne!(r.status(), 303, "no exam started for a student");
    let token = app.api_token("student@example.com").await;
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&serde_json::json!({"program": format!("course:{course}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 403);
    // A certified therapist may practise through the API as on the web.
    let token = app.api_token("learner@example.com").await;
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/exams", app.addr))
        .bearer_auth(&token)
        .json(&serde_json::json!({"program": "drill", "areas": ["6"], "length": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 201, "{}", api.text().await.unwrap());
    // A failed attempt does not hand over the answers before the retake.
    let failed = take_course_exam(&pro, &course, false).await;
    let result = pro.get(&format!("{failed}/result")).await;
    result.assert_contains("Not passed");
    assert!(
        !result.body.contains(&format!("{failed}/review")),
        "{}",
        result.body
    );
    let review = pro.get(&format!("{failed}/review")).await;
    assert_eq!(review.status(), 403);
    review.assert_contains("shown once you pass");
    assert!(!review.body.contains("(correct answer)"), "{}", review.body);
    // Nor one question at a time by its address.
    for position in 1..=5 {
        let one = pro.get(&format!("{failed}/items/{position}")).await;
        assert_eq!(one.status(), 403, "{}", one.body);
        assert!(!one.body.contains("(correct answer)"), "{}", one.body);
    }
    let url = take_course_exam(&pro, &course, true).await;
    let result = pro.get(&format!("{url}/result")).await;
    result.assert_contains("Passed");
    // A course exam's question can be flagged from its review (its answer then starts the
    // question's study card), and comes back in the flagged questions.
    let review_url = format!("{url}/review");
    let review = pro.get(&review_url).await;
    let flag = review
        .body
        .split("action=\"/study/items/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a flag form on the review")
        .to_string();
    let r = pro
        .submit(
            &review_url,
            &format!("/study/items/{flag}"),
            &[("on", "1"), ("back", &review_url)],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    pro.get("/study")
        .await
        .assert_contains("Flagged questions (1)");
    pro.get(&review_url).await.assert_contains("Remove flag");
    let code = result
        .body
        .split("/ce/certificates/")
        .nth(1)
        .unwrap()
        .split(".pdf")
        .next()
        .unwrap()
        .to_string();
    // The course is in the CE log, with its approval.
    pro.get("/ce").await.assert_contains("Ethics refresher");
    let pdf = pro
        .http
        .get(format!("{}/ce/certificates/{code}.pdf", pro.base))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let text = String::from_utf8_lossy(&pdf.bytes().await.unwrap()).into_owned();
    assert!(text.contains(&code));
    // The approving body by its name, and who offers the course.
    assert!(
        !text.contains("ncbtmb_course") && text.contains("451999-26"),
        "{text}"
    );
    assert_eq!(
        inst.get(&format!("/ce/certificates/{code}.pdf"))
            .await
            .status(),
        404,
        "only the holder downloads it"
    );
    // Anyone can verify it, without logging in.
    let public = reqwest::get(format!("{}/certificates/{code}", app.addr))
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    let body = public.text().await.unwrap();
    assert!(
        body.contains("is valid")
            && body.contains("Ethics refresher")
            && body.contains("Test Person"),
        "{body}"
    );
    assert!(
        !body.contains("ncbtmb_course") && body.contains("451999-26"),
        "{body}"
    );
    assert_eq!(
        reqwest::get(format!("{}/certificates/NOTACODE00", app.addr))
            .await
            .unwrap()
            .status(),
        404
    );
    // Typed in lower case, with a dash: still found.
    let lower = format!(
        "{}-{}",
        &code[..5].to_lowercase(),
        &code[5..].to_lowercase()
    );
    let r = reqwest::get(format!(
        "{}/certificates/{}",
        app.addr,
        palpate::web::middleware::urlencode(&lower)
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // A very long code is simply not found, and not echoed whole.
    let r = reqwest::get(format!("{}/certificates/{}", app.addr, "X".repeat(5000)))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains(&"X".repeat(100)));
    // The CE log shows the course with its certificate, and the result page leads back to courses.
    let log = pro.get("/ce").await;
    log.assert_contains("Ethics refresher");
    log.assert_contains(&format!("/ce/certificates/{code}.pdf"));
    pro.get(&format!("{url}/result"))
        .await
        .assert_contains("/ce/courses");
}

db_tests!(
    ce_courses_issue_verifiable_certificates,
    ce_api,
    certificates_are_checked_and_private,
    reminders_go_out_once
);

#[test]
fn cli_evaluate_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scenario.json");
    std::fs::write(
        &input,
        r#"{"as_of": "2026-01-10", "person": {"birth_date": "1990-04-12"},
            "credentials": [{"rule": "ncbtmb-bctmb", "issued_on": "2024-03-15"}],
            "activities": [
              {"id": "a1", "title": "Ethics in practice", "completed_on": "2025-02-01", "delivery": "live_online", "hours": 2,
               "topics": {"ethics": 2}, "approvals": ["ncbtmb_course"]},
              {"id": "a2", "title": "Self-care", "completed_on": "2025-03-01", "delivery": "self_study", "hours": 6,
               "topics": {"self_care": 6}, "approvals": ["ncbtmb_course"]}
            ],
            "credential_items": [{"kind": "background_check", "valid_from": "2025-12-01"}]}"#,
    )
    .unwrap();
    let exe = env!("CARGO_BIN_EXE_palpate");
    let out = std::process::Command::new(exe)
        .args(["ce", "evaluate", "--input"])
        .arg(&input)
        .env("PALPATE_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["credentials"][0];
    assert_eq!(c["rule"], "ncbtmb-bctmb");
    assert_eq!(c["cycle"]["start"], "2024-03-15");
    assert_eq!(c["cycle"]["deadline"], "2026-03-14");
    assert_eq!(c["status"], "deficient");
    assert_eq!(c["required_hours"], 24.0);
    assert_eq!(c["counted_hours"], 6.0, "2 ethics + self-care capped at 4");
    let ethics = c["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ethics")
        .unwrap();
    assert_eq!(
        (ethics["required"].as_f64(), ethics["counted"].as_f64()),
        (Some(3.0), Some(2.0))
    );
    assert!(
        c["deficits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["detail"].as_str().unwrap().starts_with("1 h ethics"))
    );
    let capped = c["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["activity"] == "a2")
        .unwrap();
    assert_eq!(capped["hours"], 2.0);
    assert!(capped["reason"].as_str().unwrap().contains("self_care"));

    std::fs::write(&input, r#"{"as_of": "2026-01-10", "person": {}, "credentials": [{"rule": "us-zz-lmt", "issued_on": "2024-03-15"}], "activities": [], "credential_items": []}"#).unwrap();
    let out = std::process::Command::new(exe)
        .args(["ce", "evaluate", "--input"])
        .arg(&input)
        .env("PALPATE_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("us-zz-lmt"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
