//! Browser flow: a therapist writes, publishes and verifies a directory profile; an administrator
//! verifies the licence; a patient finds the therapist by ZIP code, writes to them and reports the
//! profile (each page through axe, on a phone and a desktop, with and without JavaScript).

use crate::browser::run_flow;
use crate::helpers::TestApp;
use fantoccini::Locator;
use palpate::domain::accounts::Role;

#[tokio::test]
async fn a_therapist_is_listed_verified_found_and_contacted() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = dir.path().join("licence.pdf");
    std::fs::write(&pdf_path, b"%PDF-1.4 licence").unwrap();
    let pdf_path = pdf_path.to_str().unwrap().to_string();
    run_flow("directory", &app, |mut s, mode| {
        let (app, pdf_path) = (&app, pdf_path.clone());
        async move {
            let tag = mode.tag();
            let (therapist, admin) = (
                format!("therapist-{tag}@example.com"),
                format!("admin-{tag}@example.com"),
            );
            let name = format!("Dana Field {tag}");
            app.user(&therapist, &[Role::Practitioner]).await;
            app.user(&admin, &[Role::Admin]).await;

            s.login(&therapist).await;
            s.goto("/ce/credentials/new").await;
            s.select("rule", "us-tx-lmt").await;
            s.fill("number", &format!("MT-{tag}")).await;
            s.fill_date("issued_on", "2025-09-01").await;
            s.click("Add credential").await;

            // The profile: a ZIP code we cannot place is refused next to its field, the rest kept.
            s.goto("/directory").await;
            s.assert_text("You have no profile yet").await;
            s.fill("display_name", &name).await;
            s.fill("city", "Austin").await;
            s.select("state", "TX").await;
            s.fill("zip", "00000").await;
            s.check("techniques", "myofascial_release").await;
            s.check("conditions", "neck_pain").await;
            s.check("accepts_referrals", "on").await;
            s.click("Save profile").await;
            s.assert_text("We could not place ZIP code 00000.").await;
            let kept =
                s.c.find(Locator::Css("#display_name"))
                    .await
                    .unwrap()
                    .prop("value")
                    .await
                    .unwrap();
            assert_eq!(kept.as_deref(), Some(name.as_str()));
            s.fill("zip", "78701").await;
            s.click("Save profile").await;
            s.assert_text("Profile saved.").await;
            s.click("Publish my profile").await;
            s.assert_text("Your profile is published").await;
            s.c.find(Locator::Css("input[name=\"document\"]"))
                .await
                .unwrap()
                .send_keys(&pdf_path)
                .await
                .unwrap();
            s.click("Send for verification").await;
            s.assert_text("Document received.").await;
            s.logout().await;

            s.login(&admin).await;
            s.goto("/admin/directory").await;
            s.assert_text(&format!("MT-{tag}")).await;
            // This window's request is the only one waiting (the earlier windows' were verified).
            let form =
                s.c.find(Locator::Css(
                    "form[action^=\"/admin/directory/verifications/\"]:not([action$=\"/revoke\"])",
                ))
                .await
                .unwrap();
            form.find(Locator::Css("input[value=\"verify\"]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            form.find(Locator::Css("input[name=\"checked_against\"]"))
                .await
                .unwrap()
                .send_keys("TDLR licence search: active")
                .await
                .unwrap();
            let button = form.find(Locator::Css("button")).await.unwrap();
            s.click_element(button).await;
            s.assert_text("Credential verified.").await;
            s.logout().await;

            // A patient finds the therapist, reads the profile and writes.
            s.goto("/therapists").await;
            s.fill("place", "78701").await;
            s.select("technique", "myofascial_release").await;
            s.click("Search").await;
            s.assert_text("within 25 miles of ZIP code 78701").await;
            s.click(&name).await;
            s.assert_text("Texas Licensed Massage Therapist").await;
            s.fill("name", "Pat Patient").await;
            s.fill("email", "pat@example.com").await;
            s.fill("message", "Do you have an opening next week for neck pain?")
                .await;
            s.click("Send message").await;
            s.assert_text("Your message was sent.").await;
            s.click("Report this profile").await;
            s.select("reason", "inaccurate").await;
            s.fill("details", "The phone number is out of date.").await;
            s.click("Send report").await;
            s.assert_text("An administrator will look at this profile.")
                .await;
            s
        }
    })
    .await;
}
