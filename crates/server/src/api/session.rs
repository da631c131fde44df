//! Signing in and out with a password (JSON API), and who the caller is.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Body;
use crate::auth::{self, Caller, Credential};
use crate::throttle::{shared_refusal, ClientAddr};
use crate::views::{Me, UserView};
use crate::{AppState, Problem};

#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    #[schema(max_length = 64)]
    pub username: String,
    pub password: String,
}

/// Checks a password (within the sign-in budgets of `client`) and opens a session; returns the
/// `Set-Cookie` value and the CSRF token.
pub async fn open_session(
    state: &AppState,
    client: IpAddr,
    username: String,
    password: String,
) -> Result<(Me, String), Problem> {
    let attempt = state.passwords.admit(&username, client)?;
    let (charges, now) = (attempt.shared.clone(), state.clock.now());
    let found = state
        .pool
        .run(move |s| {
            if let Some(wait) = s.charge_budgets(&charges, now)? {
                return Ok(Err(wait));
            }
            let Some(user) = s.user_by_name(&username)? else { return Ok(Ok(None)) };
            let hash = s.password_hash(user.id)?;
            Ok(Ok(Some((user, hash.unwrap_or_default()))))
        })
        .await?
        .map_err(shared_refusal)?;
    let (user, hash) = found.unzip();
    let user = match (state.passwords.verify(password, hash).await?, user) {
        (true, Some(user)) if !user.disabled => user,
        _ => {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "bad-credentials",
                "Wrong username or password / Nama pengguna atau kata sandi salah",
                None,
            ))
        }
    };
    let restored = attempt.restored_on_success();
    state.passwords.succeeded(attempt);
    let (secret, csrf) = (auth::new_secret(), auth::new_secret());
    let now = state.clock.now();
    let lifetime = state.config.session_lifetime;
    let expires = now + chrono::Duration::from_std(lifetime).map_err(Problem::internal)?;
    let (hash, user_id, csrf_stored) = (auth::secret_hash(&secret), user.id, csrf.clone());
    state
        .pool
        .run(move |s| {
            s.restore_budget(&restored)?;
            s.create_session(&hash, user_id, &csrf_stored, now, expires)
        })
        .await?;
    let cookie = auth::set_cookie(auth::SESSION_COOKIE, &secret, lifetime, state.config.secure_cookies);
    Ok((Me { role: user.role, user: UserView::from(user), csrf_token: Some(csrf) }, cookie))
}

/// Ends the caller's session (no-op for token callers) and returns the cookie-clearing header.
pub async fn close_session(state: &AppState, caller: &Caller) -> Result<String, Problem> {
    if let Credential::Session { token_hash, .. } = &caller.credential {
        let hash = token_hash.clone();
        state.pool.run(move |s| s.delete_session(&hash)).await?;
    }
    Ok(auth::set_cookie(auth::SESSION_COOKIE, "", Duration::ZERO, state.config.secure_cookies))
}

/// Sign in with a password; sets an HttpOnly session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Login,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Body(login): Body<Login>,
) -> Result<Response, Problem> {
    let (me, cookie) = open_session(&state, client, login.username, login.password).await?;
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(me)).into_response())
}

/// Sign out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Response, Problem> {
    let cookie = close_session(&state, &caller).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The caller: user, effective role, and (for sessions) the CSRF token to echo.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = Me)))]
pub async fn me(Extension(caller): Extension<Caller>) -> axum::Json<Me> {
    let csrf_token = match caller.credential {
        Credential::Session { csrf_token, .. } => Some(csrf_token),
        Credential::Token { .. } => None,
    };
    axum::Json(Me { role: caller.role, user: UserView::from(caller.user), csrf_token })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    /// At least 12 characters.
    pub new: String,
}

/// Change one's own password (for example the one-time password printed on first start). Other
/// sessions of the user end; this one stays. The current password is checked within the same budgets
/// as a sign-in.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ClientAddr(client): ClientAddr,
    Body(change): Body<PasswordChange>,
) -> Result<StatusCode, Problem> {
    let attempt = state.passwords.admit(&caller.user.username, client)?;
    let (charges, now, user_id) = (attempt.shared.clone(), state.clock.now(), caller.user.id);
    let stored = state
        .pool
        .run(move |s| match s.charge_budgets(&charges, now)? {
            Some(wait) => Ok(Err(wait)),
            None => Ok(Ok(s.password_hash(user_id)?)),
        })
        .await?
        .map_err(shared_refusal)?;
    if !state.passwords.verify(change.current, stored).await? {
        return Err(Problem::forbidden("current: wrong password"));
    }
    let restored = attempt.restored_on_success();
    state.passwords.succeeded(attempt);
    state.pool.run(move |s| s.restore_budget(&restored)).await?;
    let hash = state.passwords.hash("new", change.new).await?;
    let keep = match &caller.credential {
        Credential::Session { token_hash, .. } => Some(token_hash.clone()),
        Credential::Token { .. } => None,
    };
    let (actor, now) = (caller.actor().label(), state.clock.now());
    state.pool.run(move |s| s.set_password(user_id, &hash, keep.as_deref(), &actor, now)).await?;
    Ok(StatusCode::NO_CONTENT)
}
