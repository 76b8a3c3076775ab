//! Browser flow: a student studies between exams: a Quick 10 with the key after each answer, a
//! question flagged from its answer page and studied again, flashcards both ways, and their study
//! time, time zone and reminder (each page through axe, on a phone and a desktop, with and
//! without JavaScript).

use crate::browser::{answer_questions, run_flow};
use crate::helpers::TestApp;
use palpate::domain::accounts::Role;

#[tokio::test]
async fn a_student_studies_flags_reviews_and_sets_a_reminder() {
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.unwrap();
    app.seed_bank([6; 7]).await;
    run_flow("study", &app, |mut s, mode| {
        let app = &app;
        async move {
            let email = format!("study-{}@example.com", mode.tag());
            app.user(&email, &[Role::Student]).await;
            s.login(&email).await;
            s.goto("/study").await;
            s.assert_text("No planned study time").await;

            // A Quick 10: the key and the reasoning after the first answer; flag it.
            s.click("Quick 10 from weak areas").await;
            assert_eq!(answer_questions(&mut s, 1).await, 1);
            s.assert_text("Flag to study again").await;
            s.click("Flag to study again").await;
            s.assert_text("Flagged: this question is in your flagged questions.")
                .await;
            s.goto("/study").await;
            s.assert_text("Flagged questions (1)").await;
            s.click("Flagged questions (1)").await;
            assert_eq!(answer_questions(&mut s, 5).await, 1, "one flagged question");

            // Flashcards: the prompt, then the answer, then the rating.
            s.goto("/study/flashcards").await;
            s.click("Study Muscles").await;
            s.click("Show the answer").await;
            s.click("Good").await;
            s.assert_text("Muscles").await;

            // Study time: an unknown zone cannot be chosen; a weekly reminder can.
            s.goto("/study").await;
            s.click("Study time, reminders and calendar").await;
            s.check("study_days", "off").await;
            s.check("email_reminder", "true").await;
            s.click("Save").await;
            s.assert_text("An e-mail reminder needs a planned study time")
                .await;
            s.select("time_zone", "America/Denver").await;
            s.check("study_days", "weekly").await;
            s.select("study_weekday", "4").await;
            s.select("study_hour", "19").await;
            s.click("Save").await;
            s.assert_text("Your study time and reminders are saved.")
                .await;
            s.assert_text("Every Friday at 7 pm, with an e-mail reminder")
                .await;
            s.goto("/study").await;
            s.assert_text("Mountain time (Denver, Salt Lake City)")
                .await;
            s
        }
    })
    .await;
}
