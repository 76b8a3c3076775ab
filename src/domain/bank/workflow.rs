//! The review workflow: draft → in review → approved (live) → retired, plus "returned with
//! comments". The reviewer must be a different instructor from the author.

use super::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    Return,
    Retire,
    Restore,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "submit" => Action::Submit,
            "approve" => Action::Approve,
            "return" => Action::Return,
            "retire" => Action::Retire,
            "restore" => Action::Restore,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Return => "return",
            Action::Retire => "retire",
            Action::Restore => "restore",
        }
    }

    /// The history line for this action.
    pub fn event(self) -> &'static str {
        match self {
            Action::Submit => "submitted for review",
            Action::Approve => "approved",
            Action::Return => "returned with comments",
            Action::Retire => "retired",
            Action::Restore => "restored",
        }
    }
}

/// The status after `action`, or why it is not allowed. `actor_is_author`: the person acting wrote
/// the version under review. `has_live`: an approved version exists to restore to.
pub fn transition(
    from: Status,
    action: Action,
    actor_is_author: bool,
    comment: Option<&str>,
    has_live: bool,
) -> Result<Status, &'static str> {
    use Action::*;
    use Status::*;
    match (from, action) {
        (Draft | Returned, Submit) => Ok(InReview),
        (InReview, Approve) if actor_is_author => {
            Err("The reviewer must be a different instructor from the author.")
        }
        (InReview, Approve) => Ok(Approved),
        (InReview, Return) if actor_is_author => {
            Err("The reviewer must be a different instructor from the author.")
        }
        (InReview, Return) if comment.is_none_or(|c| c.trim().is_empty()) => {
            Err("Say what needs to change: a comment is required when returning an item.")
        }
        (InReview, Return) => Ok(Returned),
        (Approved | Draft | Returned, Retire) => Ok(Retired),
        (Retired, Restore) if has_live => Ok(Approved),
        (Retired, Restore) => Ok(Draft),
        (InReview, Retire) => Err("Finish the review first: approve or return the item."),
        _ => Err("That action is not available for an item in this state."),
    }
}

/// The actions offered for an item in `status`.
pub fn available(status: Status, actor_is_author: bool) -> Vec<Action> {
    [
        Action::Submit,
        Action::Approve,
        Action::Return,
        Action::Retire,
        Action::Restore,
    ]
    .into_iter()
    .filter(|a| transition(status, *a, actor_is_author, Some("x"), true).is_ok())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path() {
        let s = transition(Status::Draft, Action::Submit, true, None, false).unwrap();
        assert_eq!(s, Status::InReview);
        assert_eq!(
            transition(s, Action::Approve, false, None, false),
            Ok(Status::Approved)
        );
        assert_eq!(
            transition(Status::Approved, Action::Retire, false, None, true),
            Ok(Status::Retired)
        );
        assert_eq!(
            transition(Status::Retired, Action::Restore, false, None, true),
            Ok(Status::Approved)
        );
    }

    #[test]
    fn authors_cannot_review_their_own_items() {
        assert!(transition(Status::InReview, Action::Approve, true, None, false).is_err());
        assert!(transition(Status::InReview, Action::Return, true, Some("fix"), false).is_err());
        assert!(available(Status::InReview, true).is_empty());
        assert_eq!(
            available(Status::InReview, false),
            vec![Action::Approve, Action::Return]
        );
    }

    #[test]
    fn returning_needs_a_comment_and_drafts_cannot_skip_review() {
        assert!(transition(Status::InReview, Action::Return, false, Some("  "), false).is_err());
        assert_eq!(
            transition(
                Status::InReview,
                Action::Return,
                false,
                Some("Key is ambiguous"),
                false
            ),
            Ok(Status::Returned)
        );
        assert!(transition(Status::Draft, Action::Approve, false, None, false).is_err());
        assert_eq!(
            transition(Status::Returned, Action::Submit, true, None, false),
            Ok(Status::InReview)
        );
    }
}
