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

/// An instance that sent a message and died before recording it: after the lease the message goes
/// out again, with the same Message-ID, so the receiver can drop the copy.
async fn a_resent_message_keeps_its_message_id(app: TestApp) {
    // Queued for an hour from now, so the live sender leaves it to our "crashed" one.
    let now = app.clock.now() + time::Duration::hours(1);
    // A "crashed" sender: claims the row and sends it, but never marks it sent.
    app.state
        .db(move |c| {
            outbox::enqueue(c, "crash@example.com", "Hello", "text", "<p>html</p>", now)?;
            Ok(())
        })
        .await
        .unwrap();
    let rows = app
        .state
        .db(move |c| Ok(outbox::claim_due(c, now, palpate::jobs::outbox::LEASE, 10)?))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let id = palpate::mail::outbox_message_id(
        row.id,
        row.created_at.assume_utc().unix_timestamp(),
        &app.settings.mail_from,
    );
    app.state
        .mailer
        .send(
            &app.settings.mail_from,
            &row.to_addr,
            &row.subject,
            &row.text_body,
            &row.html_body,
            &id,
        )
        .await
        .unwrap();
    // Within the lease nobody else takes it; after the lease the live sender does.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.mail.messages().len(),
        1,
        "leased: not sent twice at once"
    );
    app.clock
        .advance(time::Duration::hours(1) + time::Duration::seconds(31));
    app.state.outbox_wake.notify_one();
    let mails = app.wait_for_mail(2).await;
    let ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(
        ids,
        [id.as_str(), id.as_str()],
        "the copy carries the same Message-ID"
    );
    assert!(
        mails[1].raw.contains(&format!("Message-ID: <{id}>")),
        "{}",
        mails[1].raw
    );
}

db_tests!(
    a_resent_message_keeps_its_message_id,
    outbox_retries_after_a_failing_transport,
    two_instances_send_each_message_once
);
