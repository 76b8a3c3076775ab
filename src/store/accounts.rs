//! Users, roles, e-mail tokens (verification, reset) and API tokens.

use super::DbConn;
use super::schema::{api_tokens, email_tokens, user_roles, user_sessions, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub email_verified_at: Option<PrimitiveDateTime>,
    pub is_active: bool,
    pub session_version: i32,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub email_verified_at: Option<PrimitiveDateTime>,
    pub is_active: bool,
    pub session_version: i32,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

pub fn insert_user(conn: &mut DbConn, new: &NewUser) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)
}

pub fn find_user(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn email_taken(conn: &mut DbConn, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)),
    ))
    .get_result(conn)
}

/// Users whose name or e-mail contains `q` (case-insensitive), newest first.
pub fn search_users(
    conn: &mut DbConn,
    q: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<User>, i64)> {
    // `%`, `_` and `\` are searched for as themselves (e-mail addresses often hold `_`).
    let pattern = format!("%{}%", super::like_escape(&q.trim().to_lowercase()));
    let filter = || {
        users::table.filter(
            users::email
                .like(pattern.clone())
                .escape('\\')
                .or(lower(users::name).like(pattern.clone()).escape('\\')),
        )
    };
    let total: i64 = filter().count().get_result(conn)?;
    let rows = filter()
        .order(users::id.desc())
        .limit(limit)
        .offset(offset)
        .select(User::as_select())
        .load(conn)?;
    Ok((rows, total))
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub fn roles_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<String>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role)
        .order(user_roles::role)
        .load(conn)
}

pub fn roles_of_many(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    user_roles::table
        .filter(user_roles::user_id.eq_any(ids))
        .select((user_roles::user_id, user_roles::role))
        .order((user_roles::user_id, user_roles::role))
        .load(conn)
}

/// Grants a role; granting one already held changes nothing.
pub fn grant_role(
    conn: &mut DbConn,
    user_id: i64,
    role: &str,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let held: bool = diesel::select(diesel::dsl::exists(
        user_roles::table
            .filter(user_roles::user_id.eq(user_id))
            .filter(user_roles::role.eq(role)),
    ))
    .get_result(conn)?;
    if held {
        return Ok(false);
    }
    diesel::insert_into(user_roles::table)
        .values((
            user_roles::user_id.eq(user_id),
            user_roles::role.eq(role),
            user_roles::granted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn revoke_role(conn: &mut DbConn, user_id: i64, role: &str) -> QueryResult<bool> {
    let n = diesel::delete(
        user_roles::table
            .filter(user_roles::user_id.eq(user_id))
            .filter(user_roles::role.eq(role)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Name and e-mail of every active account with a role, in id order.
pub fn contacts_with_role(conn: &mut DbConn, role: &str) -> QueryResult<Vec<(String, String)>> {
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::role.eq(role))
        .filter(users::is_active.eq(true))
        .order(users::id)
        .select((users::name, users::email))
        .load(conn)
}

pub fn count_with_role(conn: &mut DbConn, role: &str) -> QueryResult<i64> {
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::role.eq(role))
        .filter(users::is_active.eq(true))
        .count()
        .get_result(conn)
}

pub fn set_password(
    conn: &mut DbConn,
    user_id: i64,
    hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Ends every session of the user (their cookies carry the old version).
pub fn bump_session_version(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<i32> {
    diesel::update(users::table.find(user_id))
        .set((
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    users::table
        .find(user_id)
        .select(users::session_version)
        .first(conn)
}

pub fn mark_verified(conn: &mut DbConn, user_id: i64, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((users::email_verified_at.eq(now), users::updated_at.eq(now)))
    .execute(conn)
    .map(|_| ())
}

pub fn set_active(
    conn: &mut DbConn,
    user_id: i64,
    active: bool,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::is_active.eq(active),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn update_name(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((users::name.eq(name), users::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

// ---- e-mail tokens (verification and password reset) ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    pub id: i64,
    pub user_id: i64,
    pub purpose: String,
    pub token_hash: String,
    pub expires_at: PrimitiveDateTime,
    pub used_at: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
}

pub fn insert_email_token(
    conn: &mut DbConn,
    user_id: i64,
    purpose: &str,
    token_hash: &str,
    expires_at: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose),
            email_tokens::token_hash.eq(token_hash),
            email_tokens::expires_at.eq(expires_at),
            email_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_email_token(
    conn: &mut DbConn,
    purpose: &str,
    token_hash: &str,
) -> QueryResult<Option<EmailToken>> {
    email_tokens::table
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::token_hash.eq(token_hash))
        .select(EmailToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used; returns false when it was already used (a concurrent request won).
pub fn use_email_token(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        email_tokens::table
            .find(id)
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Invalidates every unused token of this purpose for the user (a new reset link replaces old ones).
pub fn expire_email_tokens(
    conn: &mut DbConn,
    user_id: i64,
    purpose: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

// ---- API tokens ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub created_at: PrimitiveDateTime,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub revoked_at: Option<PrimitiveDateTime>,
}

pub fn insert_api_token(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    token_hash: &str,
    prefix: &str,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::prefix.eq(prefix),
            api_tokens::created_at.eq(now),
        ))
        .returning(api_tokens::id)
        .get_result(conn)
}

pub fn list_api_tokens(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// The live token with this hash and its (active) owner.
pub fn find_live_api_token(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<(ApiToken, User)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((ApiToken::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

pub fn touch_api_token(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Revokes the user's token `id`; false when there is no such live token of theirs.
pub fn revoke_api_token(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every live API token of a user (password change or reset, "log out everywhere").
pub fn revoke_all_api_tokens(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}

// ---------------------------------------------------------------------------
// Log-in sessions

pub fn insert_session(
    conn: &mut DbConn,
    id: &str,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::id.eq(id),
            user_sessions::user_id.eq(user_id),
            user_sessions::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The user of log-in session `id` when the session is live (not ended) and belongs to `user_id`:
/// one query, asked on every page request.
pub fn session_user(conn: &mut DbConn, id: &str, user_id: i64) -> QueryResult<Option<User>> {
    users::table
        .inner_join(user_sessions::table)
        .filter(user_sessions::id.eq(id))
        .filter(users::id.eq(user_id))
        .filter(user_sessions::ended_at.is_null())
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

pub fn end_session(conn: &mut DbConn, id: &str, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(
        user_sessions::table
            .filter(user_sessions::id.eq(id))
            .filter(user_sessions::ended_at.is_null()),
    )
    .set(user_sessions::ended_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

/// Ends every live session of a user.
pub fn end_sessions_of(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        user_sessions::table
            .filter(user_sessions::user_id.eq(user_id))
            .filter(user_sessions::ended_at.is_null()),
    )
    .set(user_sessions::ended_at.eq(now))
    .execute(conn)
}
