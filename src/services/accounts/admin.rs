//! Administration: finding accounts, roles, deactivation, and accounts made by the CLI.

use super::*;

#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub verified: bool,
    pub active: bool,
    pub created_at: String,
}

pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub total: i64,
}

pub fn search_users_blocking(
    c: &mut DbConn,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<UserPage> {
    let (rows, total) = db::search_users(c, q, limit, offset)?;
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let roles = db::roles_of_many(c, &ids)?;
    let users = rows
        .into_iter()
        .map(|u| {
            let r = roles
                .iter()
                .filter(|(id, _)| *id == u.id)
                .filter_map(|(_, r)| Role::parse(r))
                .collect();
            summary(u, r)
        })
        .collect();
    Ok(UserPage { users, total })
}

pub(super) fn summary(u: db::User, roles: Vec<Role>) -> UserSummary {
    UserSummary {
        id: u.id,
        roles,
        verified: u.email_verified_at.is_some(),
        active: u.is_active,
        created_at: crate::clock::display(u.created_at),
        email: u.email,
        name: u.name,
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn user_summary(state: &AppState, id: i64) -> AppResult<UserSummary> {
    state
        .db(move |c| {
            let u =
                db::find_user(c, id)?.ok_or_else(|| AppError::NotFound("No such user.".into()))?;
            let roles = db::roles_of(c, id)?
                .iter()
                .filter_map(|r| Role::parse(r))
                .collect();
            Ok(summary(u, roles))
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn search_users(
    state: &AppState,
    q: String,
    limit: i64,
    offset: i64,
) -> AppResult<UserPage> {
    state
        .db(move |c| search_users_blocking(c, &q, limit, offset))
        .await
}

/// Grants or revokes a role. The last active administrator cannot lose the admin role.
pub fn set_role_blocking(
    c: &mut DbConn,
    user_id: i64,
    role: Role,
    grant: bool,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    if db::find_user(c, user_id)?.is_none() {
        return Err(AppError::NotFound("No such user.".into()));
    }
    if grant {
        Ok(db::grant_role(c, user_id, role.as_str(), now)?)
    } else {
        if role == Role::Admin
            && db::roles_of(c, user_id)?
                .iter()
                .any(|r| Role::parse(r) == Some(Role::Admin))
            && db::count_with_role(c, Role::Admin.as_str())? <= 1
        {
            return Err(AppError::Conflict(
                "This is the last administrator; grant the role to someone else first.".into(),
            ));
        }
        Ok(db::revoke_role(c, user_id, role.as_str())?)
    }
}

/// The account with this (already normalised) e-mail address, if any.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_email(
    state: &AppState,
    email: String,
) -> AppResult<Option<crate::store::accounts::User>> {
    state
        .db(move |c| Ok(db::find_user_by_email(c, &email)?))
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_role(state: &AppState, user_id: i64, role: Role, grant: bool) -> AppResult<bool> {
    let clock = state.clock.clone();
    let changed = state
        .tx(move |c| set_role_blocking(c, user_id, role, grant, clock.now()))
        .await;
    state.tokens.clear();
    changed
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_active(state: &AppState, actor: i64, user_id: i64, active: bool) -> AppResult<()> {
    if actor == user_id && !active {
        return Err(AppError::Conflict(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let clock = state.clock.clone();
    state
        .tx(move |c| {
            if db::find_user(c, user_id)?.is_none() {
                return Err(AppError::NotFound("No such user.".into()));
            }
            db::set_active(c, user_id, active, clock.now())?;
            if !active {
                // A deactivated account's directory profile goes with it.
                crate::store::directory::remove_all_of(c, user_id)?;
            }
            Ok(())
        })
        .await?;
    state.tokens.clear();
    Ok(())
}

/// Creates a verified account (the CLI's `users create`).
pub fn create_verified_blocking(
    c: &mut DbConn,
    email: &str,
    name: &str,
    password_hash: &str,
    roles: &[Role],
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    store::write_tx(c, |c| {
        if db::email_taken(c, email)? {
            return Err(AppError::Conflict(format!(
                "An account with the email {email} already exists."
            )));
        }
        let id = db::insert_user(
            c,
            &db::NewUser {
                email,
                name,
                password_hash,
                email_verified_at: Some(now),
                is_active: true,
                session_version: 1,
                created_at: now,
                updated_at: now,
            },
        )?;
        for r in roles {
            db::grant_role(c, id, r.as_str(), now)?;
        }
        Ok(id)
    })
}
