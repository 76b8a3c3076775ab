//! Flashcard study (issue 14): the shipped muscles, bony landmarks and key terms, each shown both
//! ways and scheduled by the same FSRS memory state as questions (`study_cards`, keyed
//! `flash:<face id>`). The student rates their own recall, as with any flashcard.

use super::AppState;
use super::bank::shipped_files;
use crate::domain::bank::flashcards::{self, Deck, DeckKind, Face};
use crate::domain::local_time;
use crate::error::{AppError, AppResult};
use crate::store::study as cards;
use rs_fsrs::Rating;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// New faces a student is shown per deck and day.
pub const NEW_PER_DAY: usize = 20;

/// The shipped flashcards (validated by the bank tests; an unreadable deck is empty and logged).
pub fn deck() -> &'static Deck {
    static D: OnceLock<Deck> = OnceLock::new();
    D.get_or_init(
        || match flashcards::parse(&shipped_files(), super::bank::taxonomy()) {
            Ok(d) => d,
            Err(problems) => {
                tracing::error!(
                    problems = problems.len(),
                    "the shipped flashcards do not parse"
                );
                Deck::default()
            }
        },
    )
}

fn key(face: &str) -> String {
    format!("flash:{face}")
}

/// One deck's standing for a student.
#[derive(Debug, Clone, Serialize)]
pub struct DeckStatus {
    pub code: &'static str,
    pub label: &'static str,
    pub faces: usize,
    pub due: usize,
    pub seen: usize,
    /// New faces still offered today.
    pub new_today: usize,
}

/// What to show next in a deck.
#[derive(Debug, Clone, Serialize)]
pub struct Next {
    pub deck: DeckStatus,
    pub face: Option<Face>,
}

struct Standing {
    status: DeckStatus,
    /// The face to show next: the most overdue, else the next new one (if today allows).
    next: Option<Face>,
}

/// The student's flashcard cards, by key.
fn flash_cards(
    c: &mut crate::store::DbConn,
    user_id: i64,
) -> AppResult<HashMap<String, cards::CardRow>> {
    Ok(cards::all(c, user_id)?
        .into_iter()
        .filter(|r| r.item_id.starts_with("flash:"))
        .map(|r| (r.item_id.clone(), r))
        .collect())
}

fn standing(
    mine: &HashMap<String, cards::CardRow>,
    kind: DeckKind,
    now: time::PrimitiveDateTime,
    tz: chrono_tz::Tz,
) -> Standing {
    let faces = deck().faces(kind);
    // "Today" is the student's local day.
    let today = local_time::local_date(tz, now);
    // The other way round of a card rated today would show its own answer: it waits its turn.
    let other_way_seen_today = |f: &Face| {
        let other = match (f.id.strip_suffix("~f"), f.id.strip_suffix("~r")) {
            (Some(card), _) => format!("{card}~r"),
            (_, Some(card)) => format!("{card}~f"),
            _ => return false,
        };
        mine.get(&key(&other))
            .is_some_and(|r| local_time::local_date(tz, r.last_review) == today)
    };
    let mut due: Vec<(&Face, time::PrimitiveDateTime)> = vec![];
    let mut new: Vec<&Face> = vec![];
    let mut first_seen_today = 0;
    for f in &faces {
        match mine.get(&key(&f.id)) {
            Some(r) => {
                if r.due <= now {
                    due.push((f, r.due));
                }
                if r.reviews == 1 && local_time::local_date(tz, r.last_review) == today {
                    first_seen_today += 1;
                }
            }
            None => new.push(f),
        }
    }
    due.sort_by_key(|(f, d)| (other_way_seen_today(f), *d));
    new.sort_by_key(|f| other_way_seen_today(f));
    let new_today = NEW_PER_DAY.saturating_sub(first_seen_today).min(new.len());
    let next = due
        .first()
        .map(|(f, _)| (*f).clone())
        .or_else(|| (new_today > 0).then(|| new[0].clone()));
    Standing {
        status: DeckStatus {
            code: kind.code(),
            label: kind.label(),
            faces: faces.len(),
            due: due.len(),
            seen: faces.len() - new.len(),
            new_today,
        },
        next,
    }
}

fn deck_kind(code: &str) -> AppResult<DeckKind> {
    DeckKind::parse(code).ok_or_else(|| AppError::NotFound("No such flashcard deck.".into()))
}

/// Every deck's standing.
pub async fn decks(state: &AppState, user_id: i64) -> AppResult<Vec<DeckStatus>> {
    let st = state.clone();
    state
        .db(move |c| {
            let now = st.clock.now();
            let tz = super::study_settings::zone_of(c, user_id)?;
            let mine = flash_cards(c, user_id)?;
            Ok(DeckKind::ALL
                .into_iter()
                .map(|k| standing(&mine, k, now, tz).status)
                .collect())
        })
        .await
}

/// The next face of a deck (none when nothing is due and today's new faces are used up).
pub async fn next(state: &AppState, user_id: i64, code: String) -> AppResult<Next> {
    let kind = deck_kind(&code)?;
    let st = state.clone();
    state
        .db(move |c| {
            let tz = super::study_settings::zone_of(c, user_id)?;
            let s = standing(&flash_cards(c, user_id)?, kind, st.clock.now(), tz);
            Ok(Next {
                deck: s.status,
                face: s.next,
            })
        })
        .await
}

/// One face of a deck, by id.
pub fn face(code: &str, face_id: &str) -> AppResult<Face> {
    let kind = deck_kind(code)?;
    deck()
        .faces(kind)
        .into_iter()
        .find(|f| f.id == face_id)
        .ok_or_else(|| AppError::NotFound("No such flashcard.".into()))
}

/// The student's own rating of their recall of a face.
pub fn rating_of(code: &str) -> AppResult<Rating> {
    match code {
        "again" => Ok(Rating::Again),
        "hard" => Ok(Rating::Hard),
        "good" => Ok(Rating::Good),
        "easy" => Ok(Rating::Easy),
        _ => Err(AppError::invalid(
            "rating",
            "Choose how well you remembered it.",
        )),
    }
}

/// Records a review of a face.
pub async fn review(
    state: &AppState,
    user_id: i64,
    code: String,
    face_id: String,
    rating: Rating,
) -> AppResult<()> {
    face(&code, &face_id)?;
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            super::exams::record_review(c, user_id, &key(&face_id), rating, now)
        })
        .await
}
