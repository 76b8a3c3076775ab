//! Practice exams: starting, delivering one item at a time, answering (idempotent, clock-checked),
//! finishing under each program's rules, results, review and history.
//!
//! The adaptive engine (`domain::irt`) is pure; this module persists what it needs: the program,
//! the seed, and every presented item (position, item version, option order, answer). The next item
//! is chosen when the previous one is answered and stored at once, so a refresh or a restart shows
//! the same item with the same remaining time.
//!
//! Along the steps of an exam:
//! - `programs`: which exam a request means (built-in programs, instructors' custom programs, CE
//!   course exams) as an [`ExamConfig`].
//! - `pool`: the **pool**, the approved items a program draws from with their parameters
//!   ([`ExamPool`] of [`PoolEntry`]), kept in the [`PoolCache`] until the bank changes.
//! - `start`: who may take exams, and starting one.
//! - `session`: the engine's **session** for an exam (`domain::irt::Session`), rebuilt from the
//!   stored items, and presenting the next item. "Session" means only this here; a person's log-in
//!   is a login (see `services::accounts`).
//! - `running`: a **running exam** kept in memory on the instance that serves it
//!   ([`RunningExam`] in [`RunningExams`]), so an answer is one short write.
//! - `answer`: one answer against an exam's state, decided and applied.
//! - `views`: what the student sees now; an exam is **settled** when it is brought up to date
//!   (finished first if its deadline passed).
//! - `finish`: **finishing** an exam under its program's rule and storing its result.
//! - `results`: results, review, history, ending early, and finishing overdue exams in the
//!   background.

use super::AppState;
use super::accounts::Account;
use super::bank::{blueprints, content_of, taxonomy};
use crate::domain::accounts::Role;
use crate::domain::bank::{ItemContent, KEYS};
use crate::domain::irt::{
    AdministeredItem, Blueprint, Choice, ItemParams, ItemPool, ItemStatus, PoolItem, PretestPlan,
    Program, SelectionContext, Session, StopReason, StopRule, TimeoutRule,
};
use crate::error::{AppError, AppResult};
use crate::store::{DbConn, bank as bankdb, exams as db};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration as StdDuration, Instant};
use time::{Duration, PrimitiveDateTime};

mod running;
pub use running::{RunningExam, RunningExams};

mod answer;
mod finish;
mod memory;
pub use memory::{record_review, remember, study_finished};
mod pool;
mod programs;
mod results;
mod session;
mod start;
mod views;
pub use answer::*;
pub use finish::*;
pub use pool::*;
pub use programs::*;
pub use results::*;
use session::*;
pub use start::*;
pub use views::*;
