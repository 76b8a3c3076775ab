//! Adaptive-testing (CAT) engine: 3PL model, grid EAP posterior, blueprint-constrained
//! maximum-information selection with exposure control, SPRT / CI stopping, exam programs, a
//! replayable session state machine and a simulator. Pure: no I/O, no clocks, no global RNG.
//!
//! Typical server flow (paths relative to this module):
//!
//! ```text
//! let pool = ItemPool::new(items)?;                       // once per bank version, shared
//! let program = Program::readiness();                     // or Program::from_json(..)
//! let mut s = Session::new(program, seed, mu0)?;          // persist (program id, seed, mu0)
//! let ctx = SelectionContext::new(&pool, &seen_ids);      // seen recently, least recent first
//! if let Some(choice) = s.next_item(&pool, &ctx)? { .. }  // persist choice before showing it
//! s.record(&choice.item_id, correct)?;                    // persist AdministeredItem
//! s.check_time(elapsed_secs);                             // time-out rule
//! if let Some(outcome) = s.is_finished() { let report = s.result()?; }
//! // after a restart:
//! let mut s = Session::replay(program, seed, mu0, &pool, &log)?;
//! s.restore_pending(&pool, &outstanding_choice)?;         // if one was shown but unanswered
//! ```

pub mod blueprint;
pub mod calibrate;
pub mod error;
pub mod model;
pub mod pool;
pub mod posterior;
pub mod program;
pub mod recalibrate;
pub mod select;
pub mod session;
pub mod sim;
pub mod stopping;
pub mod validity;

pub use blueprint::{AreaWeight, Blueprint, SubareaWeight};
pub use error::IrtError;
pub use model::{DifficultyRating, ItemParams};
pub use pool::{ItemPool, ItemStatus, PoolItem, SelectionContext};
pub use posterior::Posterior;
pub use program::{PretestPlan, Program, TimeoutRule};
pub use select::{Criterion, Fallback, SelectionOptions};
pub use session::{AdministeredItem, AreaDiagnostic, Choice, Session, SessionResult, behind_pace};
pub use stopping::{Outcome, StopReason, StopRule, StoppingConfig};
