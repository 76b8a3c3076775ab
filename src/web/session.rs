//! What Palpate keeps in the (signed, encrypted) session cookie: who is logged in with which session
//! version, the CSRF token, and one-shot flash messages.

use crate::domain::accounts::random_hex;
use actix_session::Session;
use serde::{Deserialize, Serialize};

const UID: &str = "uid";
const VERSION: &str = "sv";
const SID: &str = "sid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

/// Who the cookie says is logged in: user id, session version and the log-in session's id.
pub fn user_id(session: &Session) -> Option<(i64, i32, String)> {
    let uid = session.get::<i64>(UID).ok().flatten()?;
    let sv = session.get::<i32>(VERSION).ok().flatten()?;
    let sid = session.get::<String>(SID).ok().flatten()?;
    Some((uid, sv, sid))
}

/// The log-in session's id, if any (to end it at log-out).
pub fn session_id(session: &Session) -> Option<String> {
    session.get::<String>(SID).ok().flatten()
}

/// Starts a fresh cookie for `uid` and the server-side session `sid` (a new cookie, so a planted
/// session id is useless).
pub fn log_in(session: &Session, uid: i64, session_version: i32, sid: &str) {
    let flashes = take_flashes(session);
    session.clear();
    session.renew();
    let _ = session.insert(UID, uid);
    let _ = session.insert(VERSION, session_version);
    let _ = session.insert(SID, sid);
    let _ = session.insert(CSRF, random_hex(32));
    for f in flashes {
        flash(session, &f.kind, &f.message);
    }
}

/// Keeps the current session valid after the user's session version moved on (password change).
pub fn set_version(session: &Session, session_version: i32) {
    let _ = session.insert(VERSION, session_version);
}

/// Forgets who is logged in and moves to a new session id (the old cookie is useless). A fresh
/// CSRF token is created on the next page.
pub fn log_out(session: &Session) {
    session.clear();
    session.renew();
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF) {
        return t;
    }
    let t = random_hex(32);
    let _ = session.insert(CSRF, &t);
    t
}

pub fn stored_csrf(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

/// Flash messages kept at once (the newest); the cookie must stay well under 4 KB.
pub const MAX_FLASHES: usize = 3;
/// Longest flash message kept, in characters (longer ones are cut with an ellipsis).
pub const MAX_FLASH_CHARS: usize = 300;

pub fn flash(session: &Session, kind: &str, message: &str) {
    let mut all: Vec<Flash> = session.get(FLASH).ok().flatten().unwrap_or_default();
    let message = if message.chars().count() > MAX_FLASH_CHARS {
        let cut: String = message.chars().take(MAX_FLASH_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        message.to_string()
    };
    // The same message twice (a form posted again without following the redirect) shows once.
    all.retain(|f| !(f.kind == kind && f.message == message));
    all.push(Flash {
        kind: kind.to_string(),
        message,
    });
    if all.len() > MAX_FLASHES {
        all.drain(..all.len() - MAX_FLASHES);
    }
    let _ = session.insert(FLASH, all);
}

pub fn take_flashes(session: &Session) -> Vec<Flash> {
    let all: Vec<Flash> = session.get(FLASH).ok().flatten().unwrap_or_default();
    if !all.is_empty() {
        session.remove(FLASH);
    }
    all
}
