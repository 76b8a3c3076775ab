//! Background loops. Each claims work with row locks, so several instances can run them at once.

pub mod calibration;
pub mod ce_reminders;
pub mod checkpoint;
pub mod exam_outcomes;
pub mod exams;
pub mod outbox;
pub mod study_reminders;
