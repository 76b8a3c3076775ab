//! API tokens: creating, listing, revoking, and checking them (with a one-second cache).

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

pub(super) fn token_info(t: db::ApiToken) -> TokenInfo {
    TokenInfo {
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        created_at: crate::clock::display(t.created_at),
        last_used_at: t.last_used_at.map(crate::clock::display),
    }
}

/// Creates a token; the secret is returned once and only its hash is stored.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_token(
    state: &AppState,
    user_id: i64,
    name: String,
) -> AppResult<(TokenInfo, String)> {
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid(
            "name",
            "Give the token a name of 1 to 60 characters, e.g. 'my laptop'.",
        ));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", random_hex(24));
    let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
    let clock = state.clock.clone();
    let hash = token_hash(&secret);
    let info = state
        .tx(move |c| {
            let id = db::insert_api_token(c, user_id, &name, &hash, &prefix, clock.now())?;
            let t = db::list_api_tokens(c, user_id)?
                .into_iter()
                .find(|t| t.id == id)
                .ok_or_else(AppError::not_found)?;
            Ok(token_info(t))
        })
        .await?;
    Ok((info, secret))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_tokens(state: &AppState, user_id: i64) -> AppResult<Vec<TokenInfo>> {
    state
        .db(move |c| {
            Ok(db::list_api_tokens(c, user_id)?
                .into_iter()
                .map(token_info)
                .collect())
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_token(state: &AppState, user_id: i64, token_id: i64) -> AppResult<()> {
    let clock = state.clock.clone();
    let done = state
        .tx(move |c| Ok(db::revoke_api_token(c, user_id, token_id, clock.now())?))
        .await?;
    state.tokens.clear();
    if done {
        Ok(())
    } else {
        Err(AppError::NotFound("No such token.".into()))
    }
}

/// How long a checked bearer token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
pub(super) const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// Bearer tokens and cookie sessions checked in the last second (by hash; the secret itself is
/// never kept), so that a client answering questions in a tight loop costs one database check
/// per second, not one per request. Revoking a token, ending a session, changing roles or
/// deactivating an account empties it, so on this instance those take effect at once; another
/// instance sees them within a second.
#[derive(Default)]
pub struct TokenCache {
    map: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Account)>>,
    /// Bumped by [`TokenCache::clear`]: a check that started before a clear is not cached.
    generation: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(super) fn get(&self, hash: &str) -> Option<Account> {
        let map = self.map.lock().ok()?;
        let (at, account) = map.get(hash)?;
        (at.elapsed() < TOKEN_CACHE_TTL).then(|| account.clone())
    }

    pub(super) fn put(&self, hash: String, account: Account, checked_in: u64) {
        if let Ok(mut map) = self.map.lock() {
            // Under the map's lock, so a concurrent clear() either runs before (and we see its
            // generation) or after (and removes this entry).
            if self.generation() != checked_in {
                return;
            }
            if map.len() >= TOKEN_CACHE_CAPACITY {
                map.retain(|_, (at, _)| at.elapsed() < TOKEN_CACHE_TTL);
                if map.len() >= TOKEN_CACHE_CAPACITY {
                    map.clear();
                }
            }
            map.insert(hash, (std::time::Instant::now(), account));
        }
    }

    /// Forgets every checked token (after any change to tokens, roles or activation).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            map.clear();
        }
    }
}

/// The account behind a bearer token, if the token is live and the account active.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate_token(state: &AppState, secret: String) -> AppResult<Option<Account>> {
    let hash = token_hash(&secret);
    if let Some(a) = state.tokens.get(&hash) {
        return Ok(Some(a));
    }
    let checked_in = state.tokens.generation();
    let clock = state.clock.clone();
    let h = hash.clone();
    let account = state
        .db(move |c| {
            let Some((t, u)) = db::find_live_api_token(c, &h)? else {
                return Ok(None);
            };
            if !u.is_active {
                return Ok(None);
            }
            let now = clock.now();
            // Recording every use would make each API call a write; a minute's precision is enough.
            if t.last_used_at
                .is_none_or(|at| now - at > time::Duration::minutes(1))
            {
                db::touch_api_token(c, t.id, now)?;
            }
            let mut roles: Vec<Role> = db::roles_of(c, u.id)?
                .iter()
                .filter_map(|r| Role::parse(r))
                .collect();
            roles.sort();
            Ok(Some(to_account(u, roles)))
        })
        .await?;
    if let Some(a) = &account {
        state.tokens.put(hash, a.clone(), checked_in);
    }
    Ok(account)
}
