//! The e-mail outbox: retries after transport failures, exactly-once delivery with two instances.

use crate::db_tests;
use crate::helpers::TestApp;
use palpate::store::outbox;
use std::collections::HashSet;
use std::time::Duration;

async fn outbox_retries_after_a_failing_transport(app: TestApp) {
    app.mail.fail_next(2);
    let c = app.client();
    let r = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "retry@example.com")],
        )
        .await;
    assert_eq!(r.status(), 200);
    app.user("retry@example.com", &[]).await;
    let r = c
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "retry@example.com")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let mails = app.wait_for_mail(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "retry@example.com");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.mail.messages().len(),
        1,
        "delivered once, not once per attempt"
    );
    let rows = app.state.db(|c| Ok(outbox::all(c)?)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "sent");
    assert_eq!(rows[0].attempts, 3, "two failures, then success");
    assert!(rows[0].sent_at.is_some());
}

async fn two_instances_send_each_message_once(app: TestApp) {
    let other = app.second_instance().await;
    let now = app.clock.now();
    app.state
        .db(move |c| {
            for i in 0..30 {
                outbox::enqueue(
                    c,
                    &format!("person{i}@example.com"),
                    "Hello",
                    "text",
                    "<p>html</p>",
                    now,
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    app.state.outbox_wake.notify_one();
    other.state.outbox_wake.notify_one();
    let mut delivered = vec![];
    for _ in 0..200 {
        delivered = app
            .mail
            .messages()
            .into_iter()
            .chain(other.mail.messages())
            .map(|m| m.to)
            .collect::<Vec<_>>();
        if delivered.len() >= 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered: Vec<String> = app
        .mail
        .messages()
        .into_iter()
        .chain(other.mail.messages())
        .map(|m| m.to)
        .collect();
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(delivered.len(), 30, "every message exactly once");
    assert_eq!(unique.len(), 30);
}

db_tests!(
    outbox_retries_after_a_failing_transport,
    two_instances_send_each_message_once
);
