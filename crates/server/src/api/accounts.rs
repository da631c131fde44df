//! Users and API tokens (administrators only).

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tangkal_cases::Role;
use tangkal_store::NewUser;
use utoipa::ToSchema;

use super::{Body, Ids};
use crate::auth::{self, Caller};
use crate::views::{NewTokenView, TokenView, UserView, DEFAULT_TIME_ZONE};
use crate::{AppState, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    /// Required for `platform_liaison`.
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
    /// At least 12 characters.
    pub password: String,
    /// IANA zone name; default `Asia/Jakarta`.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// The organisation new users join when none is named.
pub const DEFAULT_ORGANISATION: &str = "Tangkal";

/// Checks a zone name, defaulting to Asia/Jakarta.
pub fn time_zone(name: Option<&str>) -> Result<String, String> {
    match name {
        None => Ok(DEFAULT_TIME_ZONE.name().to_string()),
        Some(n) => n
            .parse::<chrono_tz::Tz>()
            .map(|tz| tz.name().to_string())
            .map_err(|_| format!("time_zone {n:?} is not an IANA zone name")),
    }
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", responses((status = 200, body = Vec<UserView>)))]
pub async fn list_users(State(state): State<AppState>) -> Result<Json<Vec<UserView>>, Problem> {
    let users = state.pool.run(|s| s.list_users()).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    Ok((StatusCode::CREATED, Json(add_user(&state, &caller, new).await?)))
}

/// Creates a user, as the API and the desk's form do.
pub(crate) async fn add_user(state: &AppState, caller: &Caller, new: CreateUser) -> Result<UserView, Problem> {
    let zone = time_zone(new.time_zone.as_deref()).map_err(Problem::invalid)?;
    if let Some(platform) = new.platform.as_ref().filter(|p| !state.config.platforms.contains(p)) {
        return Err(Problem::invalid(format!(
            "platform: {platform:?} is not one of {}",
            state.config.platforms.join(", ")
        )));
    }
    let hash = state.passwords.hash("password", new.password).await?;
    let (actor, now) = (caller.actor().label(), state.clock.now());
    let user = state
        .pool
        .run(move |s| {
            let record = NewUser {
                username: &new.username,
                display_name: new.display_name.as_deref().unwrap_or(&new.username),
                role: new.role,
                platform: new.platform.as_deref(),
                organisation: new.organisation.as_deref().unwrap_or(DEFAULT_ORGANISATION),
                password_hash: &hash,
                time_zone: &zone,
            };
            s.add_user(&record, &actor, now)
        })
        .await?;
    Ok(user.into())
}

/// Disable a user: their sessions end and their tokens stop working.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "accounts",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn disable_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(disable(&state, &caller, id).await?))
}

/// Disables user `id`, as the API and the desk's form do.
pub(crate) async fn disable(state: &AppState, caller: &Caller, id: i64) -> Result<UserView, Problem> {
    if id == caller.user.id {
        return Err(Problem::conflict("an administrator cannot disable their own account"));
    }
    let (actor, now) = (caller.actor().label(), state.clock.now());
    let user = state.pool.run(move |s| s.set_user_disabled(id, true, &actor, now)).await?;
    user.map(UserView::from).ok_or_else(|| Problem::not_found(format!("user {id}")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// The owner; default the caller.
    #[serde(default)]
    pub user_id: Option<i64>,
    pub name: String,
    /// The role the token acts as: the owner's own role or a narrower one (every permission of it held
    /// by the owner, and not bound to a platform). An admin's tokens may act as admin, analyst,
    /// communicator, partner, monitor or collector (a crawler's token: it may only push items), never as
    /// reviewer.
    pub role: Role,
}

/// List API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list_tokens(State(state): State<AppState>) -> Result<Json<Vec<TokenView>>, Problem> {
    let tokens = state.pool.run(|s| s.list_tokens()).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Create an API token; its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = CreateToken,
    responses((status = 201, body = NewTokenView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<CreateToken>,
) -> Result<(StatusCode, Json<NewTokenView>), Problem> {
    Ok((StatusCode::CREATED, Json(issue_token(&state, &caller, new).await?)))
}

/// Creates an API token with its secret, as the API and the desk's form do.
pub(crate) async fn issue_token(state: &AppState, caller: &Caller, new: CreateToken) -> Result<NewTokenView, Problem> {
    let secret = auth::new_api_token();
    let hash = auth::secret_hash(&secret);
    let (actor, now, owner) = (caller.actor().label(), state.clock.now(), new.user_id.unwrap_or(caller.user.id));
    let token = state.pool.run(move |s| s.create_token(owner, &new.name, new.role, &hash, &actor, now)).await?;
    Ok(NewTokenView { token: token.into(), secret })
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = TokenView), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<Json<TokenView>, Problem> {
    Ok(Json(revoke(&state, &caller, id).await?))
}

/// Revokes token `id`, as the API and the desk's form do.
pub(crate) async fn revoke(state: &AppState, caller: &Caller, id: i64) -> Result<TokenView, Problem> {
    let (actor, now) = (caller.actor().label(), state.clock.now());
    let token = state.pool.run(move |s| s.revoke_token(id, &actor, now)).await?;
    token.map(TokenView::from).ok_or_else(|| Problem::not_found(format!("token {id}")))
}
