//! The only HTML the server serves for now: a sign-in form and a sign-out form post, both protected
//! against cross-site request forgery.

use std::time::Duration;

use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::api::session::{close_session, open_session};
use crate::api::FormBody;
use crate::auth::{self, Caller, Credential};
use crate::throttle::ClientAddr;
use crate::{AppState, Problem};

/// The form carries a token that must come back both in the body and in a cookie ([`auth::form_token`]).
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, cookie) =
        auth::form_token(&headers, auth::LOGIN_CSRF_COOKIE, Duration::from_secs(3600), state.config.secure_cookies);
    let page = format!(
        r#"<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Masuk / Sign in — Tangkal</title></head>
<body><main>
<h1>Masuk / Sign in</h1>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{csrf}">
<label>Nama pengguna / Username <input name="username" autocomplete="username" required></label>
<label>Kata sandi / Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Masuk / Sign in</button>
</form>
</main></body></html>
"#
    );
    let mut response = Html(page).into_response();
    if let Some(cookie) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    FormBody(f): FormBody<LoginForm>,
) -> Result<Response, Problem> {
    if !auth::form_token_matches(&headers, auth::LOGIN_CSRF_COOKIE, &f.csrf_token) {
        return Err(Problem::csrf());
    }
    let (_, cookie) = open_session(&state, client, f.username, f.password).await?;
    let clear = auth::set_cookie(auth::LOGIN_CSRF_COOKIE, "", Duration::ZERO, state.config.secure_cookies);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/api/v1/me")]).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(Problem::internal)?);
    response.headers_mut().append(header::SET_COOKIE, clear.parse().map_err(Problem::internal)?);
    Ok(response)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    FormBody(f): FormBody<LogoutForm>,
) -> Result<Response, Problem> {
    if let Credential::Session { csrf_token, .. } = &caller.credential {
        if !auth::constant_time_eq(&f.csrf_token, csrf_token) {
            return Err(Problem::csrf());
        }
    }
    let cookie = close_session(&state, &caller).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/login".to_string()), (header::SET_COOKIE, cookie)])
        .into_response())
}
