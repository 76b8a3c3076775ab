//! The study routes of the JSON API, called by the OpenAPI contract test (`api.rs`) with a student
//! who has just finished a drill answered all wrong.

use crate::api::Checked;
use serde_json::json;

pub(crate) async fn study_routes(c: &mut Checked<'_>, drill: &str) {
    let review = c
        .call(
            "GET",
            "/api/v1/exams/{id}/review",
            &format!("/api/v1/exams/{drill}/review"),
            None,
        )
        .await;
    let item = review["items"][0]["item_id"].as_str().unwrap().to_string();

    let overview = c.call("GET", "/api/v1/study", "/api/v1/study", None).await;
    assert_eq!(overview["summary"]["missed"], 3, "{overview}");
    assert_eq!(overview["summary"]["flagged"], 0);

    let flagged = c
        .call(
            "PUT",
            "/api/v1/study/items/{item}/flag",
            &format!("/api/v1/study/items/{item}/flag"),
            Some(json!({"flagged": true})),
        )
        .await;
    assert_eq!(flagged["flagged"], true);
    let overview = c.call("GET", "/api/v1/study", "/api/v1/study", None).await;
    assert_eq!(overview["summary"]["flagged"], 1);
    // A wrong last answer cannot be called a guess.
    let r = c
        .call(
            "POST",
            "/api/v1/study/items/{item}/guessed",
            &format!("/api/v1/study/items/{item}/guessed"),
            None,
        )
        .await;
    assert_eq!(r["error"]["code"], "conflict", "{r}");

    // The missed-questions session: a drill over exactly the three, no key before the answer.
    let session = c
        .call(
            "POST",
            "/api/v1/study/sessions",
            "/api/v1/study/sessions",
            Some(json!({"kind": "missed"})),
        )
        .await;
    assert_eq!(session["max_items"], 3, "{session}");
    assert!(session["feedback"].is_null());
    assert!(!session.to_string().contains("is_key"));
    let r = c
        .call(
            "POST",
            "/api/v1/study/sessions",
            "/api/v1/study/sessions",
            Some(json!({"kind": "everything"})),
        )
        .await;
    assert_eq!(r["error"]["field"], "kind");

    let decks = c
        .call(
            "GET",
            "/api/v1/study/flashcards",
            "/api/v1/study/flashcards",
            None,
        )
        .await;
    let deck = decks["decks"][0]["code"].as_str().unwrap().to_string();
    let next = c
        .call(
            "GET",
            "/api/v1/study/flashcards/{deck}",
            &format!("/api/v1/study/flashcards/{deck}"),
            None,
        )
        .await;
    assert!(next["next"]["answer"].is_null(), "the prompt comes alone");
    let face = next["next"]["id"].as_str().unwrap().to_string();
    let card = c
        .call(
            "GET",
            "/api/v1/study/flashcards/{deck}/{face}",
            &format!("/api/v1/study/flashcards/{deck}/{face}"),
            None,
        )
        .await;
    assert!(!card["answer"].as_array().unwrap().is_empty());
    let after = c
        .call(
            "POST",
            "/api/v1/study/flashcards/{deck}/{face}",
            &format!("/api/v1/study/flashcards/{deck}/{face}"),
            Some(json!({"rating": "good"})),
        )
        .await;
    assert_eq!(after["seen"], 1, "{after}");
    assert_ne!(after["next"]["id"], face.as_str());

    let s = c
        .call(
            "GET",
            "/api/v1/study/settings",
            "/api/v1/study/settings",
            None,
        )
        .await;
    assert_eq!(s["chosen"], false);
    let s = c
        .call(
            "PUT",
            "/api/v1/study/settings",
            "/api/v1/study/settings",
            Some(
                json!({"time_zone": "America/Denver", "study_days": "weekly", "study_hour": 7,
                        "study_weekday": 5, "email_reminder": true}),
            ),
        )
        .await;
    assert_eq!(s["schedule"], "Every Saturday at 7 am", "{s}");
    assert_eq!(
        s["time_zone_label"],
        "Mountain time (Denver, Salt Lake City)"
    );
    let r = c
        .call(
            "PUT",
            "/api/v1/study/settings",
            "/api/v1/study/settings",
            Some(json!({"time_zone": "Mars/Base", "study_days": "daily", "study_hour": 7})),
        )
        .await;
    assert_eq!(r["error"]["field"], "time_zone", "{r}");
}
