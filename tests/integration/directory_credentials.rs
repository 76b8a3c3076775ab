//! Directory credentials: only verified credentials are public, with the CE standing their owner
//! chose to show, and a standing met through another credential only when both are verified.

use crate::db_tests;
use crate::directory::{
    PDF, first_request, profile, publish, save, send_document, slug_of, verify,
};
use crate::helpers::{Page, TestApp};
use palpate::domain::accounts::Role;

async fn only_verified_credentials_and_chosen_ce_standing_are_shown(app: TestApp) {
    let ana = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let admin = app.logged_in("admin@example.com", &[Role::Admin]).await;
    let anon = app.client();
    save(
        &ana,
        &profile(
            "Ana Ruiz",
            "Austin",
            "78701",
            &["swedish"],
            &[("show_ce", "on")],
        ),
    )
    .await;
    publish(&ana).await;
    let r = ana
        .submit(
            "/ce/credentials/new",
            "/ce/credentials",
            &[
                ("rule", "us-tx-lmt"),
                ("issued_on", "2025-09-01"),
                ("number", "MT-77001"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = ana.get("/directory").await;
    let cred = page
        .body
        .split("name=\"credential\"")
        .nth(1)
        .unwrap()
        .split("<option value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();

    // A file that is not a document is refused next to its field.
    let r = send_document(&ana, &cred, "x.gif", b"GIF89a").await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"document-error\">Upload the certificate as a PDF, PNG or JPEG");

    let r = send_document(&ana, &cred, "licence.pdf", PDF).await;
    assert_eq!(r.status(), 303);
    ana.get("/directory")
        .await
        .assert_contains("Waiting for an administrator to check it");

    // Not yet verified: nothing about the credential is public.
    let p = anon.get("/therapists/ana-ruiz-austin-tx").await;
    assert!(!p.body.contains("MT-77001") && !p.body.contains("Texas Licensed Massage Therapist"));
    p.assert_contains("No credential of this therapist has been verified yet");

    // Only administrators see the queue and the document.
    assert_eq!(ana.get("/admin/directory").await.status(), 403);
    let q = admin.get("/admin/directory").await;
    q.assert_contains("Texas Licensed Massage Therapist");
    q.assert_contains("MT-77001");
    let vid = first_request(&q);
    assert_eq!(
        ana.get(&format!("/admin/directory/verifications/{vid}/document"))
            .await
            .status(),
        403
    );
    let doc = admin
        .http
        .get(format!(
            "{}/admin/directory/verifications/{vid}/document",
            admin.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.bytes().await.unwrap().as_ref(), PDF);

    // Verifying needs a record of where it was checked.
    let r = admin
        .submit(
            "/admin/directory",
            &format!("/admin/directory/verifications/{vid}"),
            &[("decision", "verify")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains(&format!(
        "id=\"checked-{vid}-error\">Say where you checked it"
    ));
    let r = verify(&admin, &vid, "TDLR licence search: MT-77001 active").await;
    assert_eq!(r.status(), 303);

    // Verified and shown; the CE log does not meet the rule yet, so no "CE current".
    let p = anon.get("/therapists/ana-ruiz-austin-tx").await;
    p.assert_contains("Texas Licensed Massage Therapist</strong>, number MT-77001");
    assert!(!p.body.contains("CE current"));
    // The verification holds at most a year, and never past the licence's renewal deadline
    // (24 months from issue: 2027-08-31).
    let through = p
        .body
        .split("valid through ")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let today = app.clock.now().date();
    let through = time::Date::parse(
        &through,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    assert!(
        through > today && through <= today + time::Duration::days(366),
        "{through}"
    );
    assert!(through <= time::macros::date!(2027 - 08 - 31), "{through}");

    // The log changes: 12 h with an NCBTMB provider and the human-trafficking course.
    let token = app.api_token("ana@example.com").await;
    let http = reqwest::Client::new();
    for body in [
        serde_json::json!({"title": "Clinical massage", "completed_on": today.to_string(), "delivery": "in_person_lecture", "hours": 12,
                           "topics": {"technique": 12}, "approvals": {"ncbtmb_provider": "451234"}}),
        serde_json::json!({"title": "Human trafficking prevention", "completed_on": today.to_string(), "delivery": "live_online", "hours": 1,
                           "topics": {"human_trafficking": 1}, "approvals": {"hhsc_ht": "HHSC-1"}}),
    ] {
        let r = http
            .post(format!("{}/api/v1/ce/activities", app.addr))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let p = anon.get("/therapists/ana-ruiz-austin-tx").await;
    p.assert_contains("CE current for Texas Licensed Massage Therapist through 2027-08-31");
    assert!(
        !p.body.contains("Clinical massage"),
        "the log itself is never shown"
    );
    let search = anon.get("/therapists?place=78701").await;
    search.assert_contains("CE current for Texas Licensed Massage Therapist through 2027-08-31");

    // The therapist may stop showing it.
    save(
        &ana,
        &profile("Ana Ruiz", "Austin", "78701", &["swedish"], &[]),
    )
    .await;
    assert!(
        !anon
            .get("/therapists/ana-ruiz-austin-tx")
            .await
            .body
            .contains("CE current")
    );

    // Revoked: gone at once.
    let r = admin
        .submit(
            "/admin/directory",
            &format!("/admin/directory/verifications/{vid}/revoke"),
            &[("reason", "Licence suspended per TDLR")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let p = anon.get("/therapists/ana-ruiz-austin-tx").await;
    assert!(!p.body.contains("MT-77001"));
    ana.get("/directory")
        .await
        .assert_contains("Verification withdrawn");

    // Sent and verified again; the verification ends with the licence's term (2027-08-31).
    let r = send_document(&ana, &cred, "renewed.pdf", PDF).await;
    assert_eq!(r.status(), 303);
    let q = admin.get("/admin/directory").await;
    let vid = first_request(&q);
    let r = verify(&admin, &vid, "TDLR licence search").await;
    assert_eq!(r.status(), 303);
    anon.get("/therapists/ana-ruiz-austin-tx")
        .await
        .assert_contains("MT-77001");
    app.clock
        .advance(time::macros::date!(2027 - 09 - 01) - today);
    assert!(
        !anon
            .get("/therapists/ana-ruiz-austin-tx")
            .await
            .body
            .contains("MT-77001")
    );
    ana.get("/directory")
        .await
        .assert_contains("Verification expired");
}

/// A Virginia licence is met by holding current NCBTMB certification (18VAC90-50-75 A 1). The
/// public profile says "CE current" for it only once the NCBTMB credential is verified too: an
/// unverified claim never makes a public statement.
async fn ce_met_through_another_credential_is_public_only_when_both_are_verified(app: TestApp) {
    let bea = app
        .logged_in("bea@example.com", &[Role::Practitioner])
        .await;
    let admin = app.logged_in("admin@example.com", &[Role::Admin]).await;
    save(
        &bea,
        &profile(
            "Bea Lane",
            "Richmond",
            "23219",
            &["swedish"],
            &[("show_ce", "on")],
        ),
    )
    .await;
    publish(&bea).await;
    let r = bea
        .submit("/ce", "/ce/profile", &[("birth_date", "1987-03-12")])
        .await;
    assert_eq!(r.status(), 303, "{}", r.body);
    for (rule, number) in [("us-va-lmt", "0019012345"), ("ncbtmb-bctmb", "NCB-5521")] {
        let r = bea
            .submit(
                "/ce/credentials/new",
                "/ce/credentials",
                &[
                    ("rule", rule),
                    ("issued_on", "2020-01-15"),
                    ("number", number),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.body);
    }
    // The credential choice on the directory page, by a word of its name.
    let choice = |page: &Page, name: &str| {
        let select = page.body.split("name=\"credential\"").nth(1).unwrap_or("");
        let select = select.split("</select>").next().unwrap_or("");
        select
            .split("<option value=\"")
            .skip(1)
            .find(|o| {
                o.split("</option>")
                    .next()
                    .is_some_and(|t| t.contains(name))
            })
            .and_then(|o| o.split('"').next())
            .unwrap_or_else(|| panic!("no choice {name}"))
            .to_string()
    };
    let page = bea.get("/directory").await;
    let (va, ncbtmb) = (choice(&page, "Virginia"), choice(&page, "NCBTMB"));
    let profile_url = format!("/therapists/{}", slug_of(&page));
    let r = send_document(&bea, &va, "licence.pdf", PDF).await;
    assert_eq!(r.status(), 303, "{}", r.body);
    let vid = first_request(&admin.get("/admin/directory").await);
    assert_eq!(
        verify(&admin, &vid, "DHP licence lookup").await.status(),
        303
    );
    // No hours are logged: the licence is met only through the NCBTMB entry, still unverified.
    bea.get("/ce")
        .await
        .assert_contains("Met through your NCBTMB");
    let p = app.client().get(&profile_url).await;
    p.assert_contains("Virginia Licensed Massage Therapist");
    assert!(!p.body.contains("CE current"), "{}", p.body);
    assert_eq!(
        send_document(&bea, &ncbtmb, "bctmb.pdf", PDF)
            .await
            .status(),
        303
    );
    let vid = first_request(&admin.get("/admin/directory").await);
    assert_eq!(
        verify(&admin, &vid, "NCBTMB certificant search")
            .await
            .status(),
        303
    );
    app.client()
        .get(&profile_url)
        .await
        .assert_contains("CE current for Virginia Licensed Massage Therapist through");
}

db_tests!(
    only_verified_credentials_and_chosen_ce_standing_are_shown,
    ce_met_through_another_credential_is_public_only_when_both_are_verified,
);
