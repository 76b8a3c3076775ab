//! Pure domain logic: no I/O, no actix, no diesel.

pub mod accounts;
pub mod bank;
pub mod ce;
pub mod directory;
pub mod irt;
pub mod local_time;
pub mod study;
pub mod study_mix;
pub mod study_sim;
