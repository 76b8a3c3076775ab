//! Outgoing e-mail through lettre: SMTP in production, `.eml` files by default, in memory for tests.
//! Nothing sends directly: services put messages in the outbox (see `store::outbox`), and
//! `jobs::outbox` delivers them after commit.

use crate::config::MailSetting;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One message to send.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// Where Reply goes when not to the sender (a message sent on someone's behalf).
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub message_id: &'a str,
}

/// A message as delivered, kept by the in-memory transport.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    /// The Message-ID header's value (without angle brackets).
    pub message_id: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The full RFC 5322 message lettre produced.
    pub raw: String,
}

#[derive(Default)]
struct MemoryInner {
    sent: Vec<SentMail>,
    fail_next: usize,
}

/// The in-memory transport. `fail_next(n)` makes the next `n` sends fail, like an SMTP outage.
#[derive(Clone, Default)]
pub struct MemoryMailbox {
    inner: Arc<Mutex<MemoryInner>>,
}

impl MemoryMailbox {
    pub fn messages(&self) -> Vec<SentMail> {
        self.inner
            .lock()
            .map(|i| i.sent.clone())
            .unwrap_or_default()
    }

    pub fn fail_next(&self, n: usize) {
        if let Ok(mut i) = self.inner.lock() {
            i.fail_next = n;
        }
    }
}

pub enum Mailer {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    File(AsyncFileTransport<Tokio1Executor>),
    Memory(MemoryMailbox),
}

impl Mailer {
    pub fn from_setting(setting: &MailSetting, data_dir: &Path) -> anyhow::Result<Mailer> {
        Ok(match setting {
            MailSetting::File => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot create the mail folder {}: {e}", dir.display())
                })?;
                Mailer::File(AsyncFileTransport::new(dir))
            }
            MailSetting::Smtp(url) => {
                let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("PALPATE_MAIL is not a usable SMTP URL: {e}"))?
                    .build();
                Mailer::Smtp(Box::new(t))
            }
            MailSetting::Memory => Mailer::Memory(MemoryMailbox::default()),
        })
    }

    pub fn memory(&self) -> Option<MemoryMailbox> {
        match self {
            Mailer::Memory(m) => Some(m.clone()),
            _ => None,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Mailer::Smtp(_) => "smtp",
            Mailer::File(_) => "file",
            Mailer::Memory(_) => "memory",
        }
    }

    /// Sends one message. `message_id` is the Message-ID header (without angle brackets): the
    /// outbox derives it from the row, so a message sent twice (a crash between sending and
    /// recording it) carries the same id and receivers can drop the copy.
    pub async fn send(
        &self,
        from: &str,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
        message_id: &str,
    ) -> Result<(), String> {
        self.deliver(&Outgoing {
            from,
            to,
            reply_to: None,
            subject,
            text,
            html,
            message_id,
        })
        .await
    }

    /// Builds a multipart (text + HTML) message and delivers it.
    pub async fn deliver(&self, m: &Outgoing<'_>) -> Result<(), String> {
        let Outgoing {
            from,
            to,
            reply_to,
            subject,
            text,
            html,
            message_id,
        } = *m;
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("bad sender address {from:?}: {e}"))?;
        let to_box: Mailbox = to
            .parse()
            .map_err(|e| format!("bad recipient address {to:?}: {e}"))?;
        let mut builder = Message::builder()
            .message_id(Some(format!("<{message_id}>")))
            .from(from)
            .to(to_box);
        if let Some(r) = reply_to {
            // A reply address the mail library cannot write must not lose the message itself.
            match r.parse::<Mailbox>() {
                Ok(r) => builder = builder.reply_to(r),
                Err(e) => tracing::warn!(error = %e, "reply-to address left out"),
            }
        }
        let message = builder
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(
                text.to_string(),
                html.to_string(),
            ))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self {
            Mailer::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
            Mailer::File(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("file transport: {e}")),
            Mailer::Memory(m) => {
                let mut inner = m
                    .inner
                    .lock()
                    .map_err(|_| "mailbox lock poisoned".to_string())?;
                if inner.fail_next > 0 {
                    inner.fail_next -= 1;
                    return Err("in-memory transport: simulated failure".into());
                }
                inner.sent.push(SentMail {
                    to: to.to_string(),
                    message_id: message_id.to_string(),
                    subject: subject.to_string(),
                    text: text.to_string(),
                    html: html.to_string(),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                });
                Ok(())
            }
        }
    }
}

/// The Message-ID of outbox row `id`: stable for the row, unique across rows, in the sender's
/// domain (`outbox-42.1733456789@palpate.example`).
pub fn outbox_message_id(id: i64, created_unix: i64, from: &str) -> String {
    let domain = from
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty() && !d.contains(char::is_whitespace))
        .unwrap_or("palpate.local");
    format!("outbox-{id}.{created_unix}@{domain}")
}

#[cfg(test)]
mod message_id_tests {
    #[test]
    fn stable_per_row_and_in_the_sender_domain() {
        let a = super::outbox_message_id(42, 1_733_456_789, "Palpate <no-reply@palpate.example>");
        assert_eq!(a, "outbox-42.1733456789@palpate.example");
        assert_eq!(
            a,
            super::outbox_message_id(42, 1_733_456_789, "Palpate <no-reply@palpate.example>")
        );
        assert_ne!(
            a,
            super::outbox_message_id(43, 1_733_456_789, "Palpate <no-reply@palpate.example>")
        );
    }
}
