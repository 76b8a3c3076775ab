//! Role guards and the administration pages.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp};
use palpate::domain::accounts::Role;

async fn students_cannot_reach_admin_pages(app: TestApp) {
    let student = app.logged_in("stu@example.com", &[Role::Student]).await;
    let r = student.get("/admin/users").await;
    assert_eq!(r.status(), 403);
    r.assert_contains("Access denied");
    r.assert_contains("class=\"site-header\"");
    let token = student.get("/account").await.csrf();
    let r = student
        .post_raw(
            "/admin/users/1/roles",
            &[("role", "admin"), ("action", "grant"), ("_csrf", &token)],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(
        !student
            .get("/dashboard")
            .await
            .body
            .contains("/admin/users"),
        "no admin link in a student's navigation"
    );
}

async fn admin_manages_roles_and_deactivates(app: TestApp) {
    let admin = app.logged_in("boss@example.com", &[Role::Admin]).await;
    let uid = app.user("teach@example.com", &[Role::Student]).await;
    let list = admin.get("/admin/users?q=teach").await;
    assert_eq!(list.status(), 200);
    list.assert_contains("teach@example.com");
    assert!(!list.body.contains("boss@example.com"), "search filters");

    let page = format!("/admin/users/{uid}");
    let r = admin
        .submit(
            &page,
            &format!("/admin/users/{uid}/roles"),
            &[("role", "instructor"), ("action", "grant")],
        )
        .await;
    assert_eq!(r.status(), 303);
    admin.get(&page).await.assert_contains("Revoke Instructor");

    // The teacher logs in; the admin deactivates them after a confirmation page.
    let teacher = app.client();
    assert_eq!(
        teacher.login("teach@example.com", PASSWORD).await.status(),
        303
    );
    let confirm = admin.get(&format!("/admin/users/{uid}/deactivate")).await;
    assert_eq!(confirm.status(), 200);
    confirm.assert_contains("Yes, deactivate");
    let r = admin
        .submit(
            &format!("/admin/users/{uid}/deactivate"),
            &format!("/admin/users/{uid}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        teacher.get("/dashboard").await.status(),
        303,
        "their session ended"
    );
    let r = teacher.login("teach@example.com", PASSWORD).await;
    assert_eq!(r.status(), 403);
    r.assert_contains("deactivated");
    // No support address is configured here: the page says whom to ask, not "contact support".
    r.assert_contains("ask the site&#x27;s administrators");
    assert!(!r.body.contains("mailto:"));

    // The last administrator cannot remove their own admin role.
    let me = app
        .state
        .db(|c| {
            Ok(palpate::store::accounts::find_user_by_email(
                c,
                "boss@example.com",
            )?)
        })
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = admin
        .submit(
            &format!("/admin/users/{me}"),
            &format!("/admin/users/{me}/roles"),
            &[("role", "admin"), ("action", "revoke")],
        )
        .await;
    assert_eq!(r.status(), 303);
    admin
        .get(&format!("/admin/users/{me}"))
        .await
        .assert_contains("last administrator");
    let list = admin.get("/admin/users").await;
    assert_eq!(list.status(), 200);
    // Roles by their names, as on the user's own page.
    list.assert_contains("Administrator");
    assert!(!list.body.contains(">admin<"), "{}", list.body);
}

db_tests!(
    students_cannot_reach_admin_pages,
    admin_manages_roles_and_deactivates
);

/// With a support address configured, the deactivated log-in and every page's footer name it.
#[tokio::test]
async fn the_support_address_is_shown_where_people_need_help() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut settings = crate::helpers::test_settings(dir.path(), url);
    settings.support_email = Some("help@palpate.example.org".into());
    let app = TestApp::spawn_with(crate::helpers::Db::Sqlite, settings, dir).await;
    let home = app.client().get("/").await;
    home.assert_contains("href=\"mailto:help@palpate.example.org\"");
    // Error pages carry the same footer.
    app.client()
        .get("/no/such/page")
        .await
        .assert_contains("mailto:help@palpate.example.org");
    app.user("gone@example.com", &[Role::Student]).await;
    let now = app.clock.now();
    app.state
        .db(move |c| {
            let u = palpate::store::accounts::find_user_by_email(c, "gone@example.com")?.unwrap();
            palpate::store::accounts::set_active(c, u.id, false, now)?;
            Ok(())
        })
        .await
        .unwrap();
    let r = app.client().login("gone@example.com", PASSWORD).await;
    assert_eq!(r.status(), 403);
    r.assert_contains("If you think this is a mistake, write to help@palpate.example.org.");
}
