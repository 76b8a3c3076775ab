//! Background loops. Each claims work with row locks, so several instances can run them at once.

pub mod outbox;
pub mod exams;
pub mod ce_reminders;
