//! CE credentials: adding them (dates, numbers, duplicates), the dashboard's evaluation of each,
//! exports when a credential cannot be evaluated, CPR cards and other credential items, and
//! renewal years that follow the licence number.

use crate::ce::ETHICS;
use crate::db_tests;
use crate::helpers::{TestApp, upload};
use palpate::domain::accounts::Role;

async fn the_dashboard_evaluates_every_credential(app: TestApp) {
    let c = app
        .logged_in("multi@example.com", &[Role::Practitioner])
        .await;
    let r = c
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "ncbtmb-bctmb"), ("issued_on", "not a date")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Use a date like");
    let r = c
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[
                ("rule", "ncbtmb-bctmb"),
                ("number", "123456"),
                ("issued_on", "2025-06-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = c
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "amta-pro"), ("issued_on", "2024-01-15")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = c.get("/ce").await;
    page.assert_contains("Not yet compliant");
    page.assert_contains("Still needed");
    let r = upload(&c, &ETHICS, None).await;
    assert_eq!(r.status, 303);
    let page = c.get("/ce").await;
    // The same three ethics hours count toward NCBTMB's ethics minimum.
    assert!(
        page.body.contains("3 / 3 h")
            || page.body.contains("3.0 / 3.0 h")
            || page.body.contains("3 / 3"),
        "{}",
        page.body
    );
    page.assert_contains("Where each hour went");
    // The same course sent again (a double click) is refused next to the title, kept in the
    // form, and does not count twice.
    let shown = page.body.matches(ETHICS[0].1).count();
    let again = upload(&c, &ETHICS, None).await;
    assert_eq!(again.status, 422);
    assert!(
        again
            .body
            .contains("is already in your log with the same hours"),
        "{}",
        again.body
    );
    assert!(again.body.contains(ETHICS[0].1), "{}", again.body);
    let page = c.get("/ce").await;
    assert_eq!(
        page.body.matches(ETHICS[0].1).count(),
        shown,
        "{}",
        page.body
    );
    // A course without an accepted approval is logged but does not count, and the page says why.
    let mut unapproved = ETHICS.to_vec();
    unapproved[0] = ("title", "Boundaries refresher");
    unapproved.pop();
    assert_eq!(upload(&c, &unapproved, None).await.status, 303);
    let page = c.get("/ce").await;
    assert_eq!(page.status(), 200);
    page.assert_contains("Hours that did not count");
    page.assert_contains("Boundaries refresher: 3");

    // Transcript for the owner only.
    let cred_id = page
        .body
        .split("/transcript.csv")
        .next()
        .unwrap()
        .rsplit("/ce/credentials/")
        .next()
        .unwrap()
        .to_string();
    let csv = c
        .get(&format!("/ce/credentials/{cred_id}/transcript.csv"))
        .await;
    assert_eq!(csv.status(), 200);
    // A real CSV: a reader finds the course and its topic in one row.
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.len() == 9 && r[1] == "Ethics for massage therapists" && r[5] == "ethics"),
        "{}",
        csv.body
    );
    let pdf = c
        .http
        .get(format!(
            "{}/ce/credentials/{cred_id}/transcript.pdf",
            c.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    assert!(
        pdf.starts_with(b"%PDF-")
            && String::from_utf8_lossy(&pdf).contains("Ethics for massage therapists")
    );
    let other = app
        .logged_in("nosy@example.com", &[Role::Practitioner])
        .await;
    assert_eq!(
        other
            .get(&format!("/ce/credentials/{cred_id}/transcript.pdf"))
            .await
            .status(),
        404
    );
    assert_eq!(
        other
            .get(&format!("/ce/credentials/{cred_id}/transcript.csv"))
            .await
            .status(),
        404
    );

    // The calendar feed works without a session, and only with its secret.
    let url = page
        .body
        .split("<code class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let path = url.trim_start_matches("http://palpate.test");
    let ics = reqwest::get(format!("{}{path}", app.addr)).await.unwrap();
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = ics.text().await.unwrap();
    assert!(
        body.contains("BEGIN:VEVENT") && body.contains("renewal deadline"),
        "{body}"
    );
    assert_eq!(
        body.matches("BEGIN:VEVENT").count(),
        2,
        "one deadline per credential"
    );
    // RFC 5545: lines end in CRLF and are folded at 75 octets (the deficit lists are longer).
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "an unfolded line: {line:?}");
    }
    assert!(body.contains("\r\n "), "long lines are folded");
    let forged = format!("{}{}", app.addr, path.replace(".ics", "0.ics"));
    assert_eq!(reqwest::get(forged).await.unwrap().status(), 404);
}

/// A credential whose deadline needs the birth date still exports what was logged, says what is
/// missing, and names its files without an empty deadline.
async fn exports_without_a_birth_date_say_what_is_missing(app: TestApp) {
    let c = app
        .logged_in("nobirth@example.com", &[Role::Practitioner])
        .await;
    let r = c
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "us-ny-lmt"), ("issued_on", "2024-03-01")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    assert_eq!(upload(&c, &ETHICS, None).await.status, 303);
    let page = c.get("/ce").await;
    page.assert_contains("add it in your CE profile");
    let cred_id = crate::helpers::id_between(&page.body, "/ce/credentials/", "/transcript.csv");
    let csv = c
        .http
        .get(format!(
            "{}/ce/credentials/{cred_id}/transcript.csv",
            c.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let disposition = csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("transcript-new-york-licensed-massage-therapist.csv"),
        "{disposition}"
    );
    let body = csv.text().await.unwrap();
    assert!(body.contains("\"Credential\",\"New York"), "{body}");
    // Whose transcript it is, as on the PDF.
    assert!(
        body.contains("\"Holder\",\"Test Person <nobirth@example.com>\""),
        "{body}"
    );
    assert!(body.contains("Ethics for massage therapists"), "{body}");
    assert!(body.contains("add it in your CE profile"), "{body}");
    assert!(!body.contains(" to  (deadline )"), "{body}");
}

/// A CPR card with dates that do not fit, or without its issue date, is refused next to the date
/// with what was typed kept; a good one is saved and removed only after asking.
async fn ce_items_are_checked_next_to_their_fields(app: TestApp) {
    let c = app
        .logged_in("cards@example.com", &[Role::Practitioner])
        .await;
    let r = c
        .submit(
            "/ce",
            "/ce/items",
            &[
                ("kind", "cpr_bls"),
                ("valid_from", "2026-03-01"),
                ("valid_to", "2025-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"valid_to-error\">The expiry date must come after the issue date.");
    r.assert_contains("value=\"2026-03-01\"");
    r.assert_contains("value=\"2025-03-01\"");
    let r = c
        .submit(
            "/ce",
            "/ce/items",
            &[("kind", "cpr_bls"), ("valid_from", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"valid_from-error\">Give the date it was issued");
    // Nothing was saved by the refusals.
    assert!(!c.get("/ce").await.body.contains("CPR / BLS card · from"));
    let r = c
        .submit(
            "/ce",
            "/ce/items",
            &[
                ("kind", "cpr_bls"),
                ("valid_from", "2026-03-01"),
                ("valid_to", "2028-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = c.get("/ce").await;
    let id = crate::helpers::id_between(&page.body, "/ce/items/", "/remove");
    c.get(&format!("/ce/items/{id}/remove"))
        .await
        .assert_contains("Remove your CPR / BLS card?");
}

/// North Dakota renewals follow the licence number (§ 43-25-09: odd numbers report by February 28
/// of odd years, even numbers of even years): the number is asked for next to its field, with the
/// issue date kept, and an odd and an even number get deadlines a year apart.
async fn north_dakota_renewal_years_follow_the_licence_number(app: TestApp) {
    let c = app.logged_in("nd@example.com", &[Role::Practitioner]).await;
    let r = c
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[("rule", "us-nd-lmt"), ("issued_on", "2024-05-01")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("Enter your licence number");
    r.assert_contains("value=\"2024-05-01\"");
    for number in ["MT-1357", "2468"] {
        let r = c
            .submit(
                "/ce/credentials/new",
                "/ce/credentials",
                &[
                    ("rule", "us-nd-lmt"),
                    ("number", number),
                    ("issued_on", "2024-05-01"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.body);
    }
    let today = app.clock.now().date();
    let next = |odd: bool| {
        (today.year()..)
            .find(|y| {
                y.rem_euclid(2) == i32::from(odd)
                    && time::Date::from_calendar_date(*y, time::Month::February, 28).unwrap()
                        >= today
            })
            .unwrap()
    };
    let page = c.get("/ce").await;
    page.assert_contains(&format!("deadline {}-02-28", next(true)));
    page.assert_contains(&format!("deadline {}-02-28", next(false)));
    // The number can be corrected later: one without a digit is refused, a good one is saved.
    let id = crate::helpers::id_between(&page.body, "/ce/credentials/", "/number");
    let action = format!("/ce/credentials/{id}/number");
    let r = c.submit("/ce", &action, &[("number", "pending")]).await;
    assert_eq!(r.status(), 303);
    c.get("/ce")
        .await
        .assert_contains("Enter your licence number");
    let r = c.submit("/ce", &action, &[("number", "ND-7777")]).await;
    assert_eq!(r.status(), 303);
    let page = c.get("/ce").await;
    page.assert_contains("Licence number saved.");
    page.assert_contains("value=\"ND-7777\"");
}

db_tests!(
    north_dakota_renewal_years_follow_the_licence_number,
    ce_items_are_checked_next_to_their_fields,
    exports_without_a_birth_date_say_what_is_missing,
    the_dashboard_evaluates_every_credential
);
