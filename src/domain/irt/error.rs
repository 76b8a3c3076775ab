//! The engine's single error type.

use std::fmt;

/// Everything that can go wrong when the engine is fed bad input or is driven out of order.
///
/// The engine never panics on caller-supplied data; every such problem comes back as one of these.
#[derive(Debug, Clone, PartialEq)]
pub enum IrtError {
    /// Item parameters outside the 3PL domain (a ≤ 0, c ∉ [0, 1), non-finite values …).
    InvalidItemParams(String),
    /// A program, blueprint, prior or simulation setting that cannot be used.
    InvalidConfig(String),
    /// Two pool items share an id.
    DuplicateItem(String),
    /// An item id that the pool does not know.
    UnknownItem(String),
    /// `record` was called while no item was outstanding.
    NoPendingItem,
    /// `record` was called for another item than the one handed out.
    UnexpectedItem {
        /// The item the session handed out.
        expected: String,
        /// The item the caller tried to record.
        got: String,
    },
    /// The session already has an outcome; nothing more can be administered or recorded.
    SessionFinished,
}

impl fmt::Display for IrtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrtError::InvalidItemParams(m) => write!(f, "invalid item parameters: {m}"),
            IrtError::InvalidConfig(m) => write!(f, "invalid configuration: {m}"),
            IrtError::DuplicateItem(id) => write!(f, "duplicate item id `{id}` in pool"),
            IrtError::UnknownItem(id) => write!(f, "unknown item id `{id}`"),
            IrtError::NoPendingItem => write!(f, "no item is waiting for an answer"),
            IrtError::UnexpectedItem { expected, got } => {
                write!(
                    f,
                    "answer recorded for `{got}` but `{expected}` was administered"
                )
            }
            IrtError::SessionFinished => write!(f, "the session is already finished"),
        }
    }
}

impl std::error::Error for IrtError {}
