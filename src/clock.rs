//! The server's clock. Every "now" in Palpate comes from here, so tests can move time forward
//! (reset-link expiry, exam deadlines) without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// Wall-clock UTC time plus an adjustable offset (zero in production).
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Current UTC time as stored in the database (timestamps are UTC without zone).
    pub fn now(&self) -> PrimitiveDateTime {
        let now = OffsetDateTime::now_utc()
            + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        PrimitiveDateTime::new(now.date(), now.time())
    }

    /// Moves this clock (and every clone of it) forward. Used by tests.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.whole_milliseconds() as i64, Ordering::Relaxed);
    }
}

/// Formats a UTC timestamp for people, e.g. "2026-11-29 14:05 UTC".
pub fn display(t: PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&fmt).unwrap_or_default()
}
