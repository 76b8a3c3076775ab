//! Browser flow: an instructor imports a GIFT file and runs a class a student joins and works in
//! (each page through axe, on a phone and a desktop, with and without JavaScript).

use crate::browser::{answer_questions, run_flow};
use crate::helpers::TestApp;
use fantoccini::Locator;
use palpate::domain::accounts::Role;

#[tokio::test]
async fn an_instructor_imports_questions_and_runs_a_class() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    app.seed_bank([12; 7]).await;
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    run_flow("import and class", &app, |mut s, mode| {
        let app = &app;
        let gift_path = dir_path.join(format!("q-{}.gift.txt", mode.tag()));
        // Different questions per window, so that the later imports are not near-duplicates.
        let stem = match mode.tag().as_str() {
            "390" => "Which application suits a fresh ankle sprain?",
            "1366" => "A runner strained a calf muscle an hour ago. Which application fits best now?",
            _ => "Which cold application should a therapist choose for an acute hamstring strain?",
        };
        async move {
            std::fs::write(
                &gift_path,
                format!("$CATEGORY: $course$/top/4.D\n\n::Ice::{}{{\n=Ice over a thin barrier#Cold limits swelling.\n~Moist heat#Heat adds swelling.\n~Paraffin#Paraffin is heat.\n~Hot stones#Heat and pressure.\n####Cryotherapy in acute injury\n}}\n\n::TF::Ice is a cold application.{{T}}\n", stem),
            )
            .unwrap();
            let gift_path = gift_path.to_str().unwrap().to_string();
            let (teacher, student) = (
                format!("teacher-{}@example.com", mode.tag()),
                format!("student-{}@example.com", mode.tag()),
            );
            app.user(&teacher, &[Role::Instructor]).await;
            app.user(&student, &[Role::Student]).await;
            s.login(&teacher).await;
            s.goto("/bank/import").await;
            s.select("format", "gift").await;
            s.c.find(Locator::Css("input[name=\"file\"]"))
                .await
                .unwrap()
                .send_keys(&gift_path)
                .await
                .unwrap();
            s.click("Read the file").await;
            s.assert_text("1 question can be imported, 1 cannot").await;
            s.assert_text("True/false").await;
            s.click("Import the ticked questions as drafts").await;
            s.assert_text("Imported 1 question as drafts.").await;
            s.goto("/bank/export").await;
            s.goto("/classes").await;
            s.fill("name", &format!("Cohort {}", mode.tag())).await;
            s.fill("term", "Spring 2027").await;
            s.click("Create the class").await;
            s.assert_text("Share its invite link or code").await;
            let class = s.path().await;
            let code = s
                .c
                .find(Locator::Css("strong.code"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            s.select("area", "1").await;
            s.click("Add the assignment").await;
            s.assert_text("Assignment added.").await;
            s.logout().await;
            s.login(&student).await;
            s.goto(&format!("/classes/join/{code}")).await;
            s.click("Join the class").await;
            s.assert_text("You joined the class.").await;
            s.goto("/dashboard").await;
            s.assert_text("Class assignments").await;
            s.click("Start").await;
            answer_questions(&mut s, 20).await;
            s.goto(&format!("{class}/me")).await;
            s.assert_text("Done").await;
            s.logout().await;
            s.login(&teacher).await;
            s.goto(&format!("{class}/gradebook")).await;
            s.assert_text(&student).await;
            s.goto(&class).await;
            s.click("What to re-teach").await;
            s.assert_text("1 student answered").await;
            s
        }
    })
    .await;
}
