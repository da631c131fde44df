//! Signing in and out in a browser: the sign-in page (in the desk's layout and the reader's language)
//! and the sign-out form post, both protected against cross-site request forgery. A refused sign-in
//! shows the form again with the reason, keeping the username.

use std::time::Duration;

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tangkal_cases::Permission;
use tangkal_web::pages::LoginPage;
use tangkal_web::Lang;

use crate::api::session::{close_session, open_session};
use crate::api::{FormBody, Params};
use crate::auth::{self, Caller, Credential};
use crate::desk::{chrome, lang_of, local_path, render};
use crate::throttle::ClientAddr;
use crate::{AppState, Problem};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The page with a fresh token that must come back both in the body and in a cookie: another site can
/// make a browser post the form, but cannot read or set our cookie.
fn login_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = auth::new_secret();
    let cookie =
        auth::set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, Duration::from_secs(3600), state.config.secure_cookies);
    let here = format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
    let page = LoginPage {
        lang,
        chrome: chrome(state, None, lang, lang.t("title.login").into(), &here),
        csrf_token: csrf,
        next: next.to_string(),
        username: username.to_string(),
        error,
    };
    let mut response = render(status, page.render());
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn form(State(state): State<AppState>, headers: HeaderMap, Params(q): Params<LoginQuery>) -> Response {
    let next = q.next.as_deref().and_then(local_path).unwrap_or("/desk");
    login_page(&state, lang_of(&headers), StatusCode::OK, next, "", None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    FormBody(f): FormBody<LoginForm>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let next = local_path(&f.next).unwrap_or("/desk").to_string();
    let expected = auth::cookie_value(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::constant_time_eq(&f.csrf_token, &expected) {
        let message = lang.t("login.expired").to_string();
        return Ok(login_page(&state, lang, StatusCode::FORBIDDEN, &next, &f.username, Some(message)));
    }
    let username = f.username.clone();
    let (me, cookie) = match open_session(&state, client, f.username, f.password).await {
        Ok(opened) => opened,
        Err(problem) => {
            let message = match problem.status() {
                StatusCode::UNAUTHORIZED => lang.t("login.bad_credentials").to_string(),
                StatusCode::TOO_MANY_REQUESTS => {
                    let seconds = problem.retry_after.unwrap_or(60).to_string();
                    lang.fill("login.too_many", &[("seconds", &seconds)])
                }
                StatusCode::SERVICE_UNAVAILABLE => lang.t("login.busy").to_string(),
                _ => problem.detail.clone().unwrap_or_else(|| problem.title.clone()),
            };
            let mut page = login_page(&state, lang, problem.status(), &next, &username, Some(message));
            if let Some(seconds) = problem.retry_after {
                page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            return Ok(page);
        }
    };
    // Roles without desk pages (partners, monitors, collectors) go to the public fact-checks instead.
    let desk = me.role.allows(Permission::ReadCases) && me.user.role.allows(Permission::ReadCases);
    let location = if desk { next } else { "/cek-fakta".to_string() };
    let clear = auth::set_cookie(auth::LOGIN_CSRF_COOKIE, "", Duration::ZERO, state.config.secure_cookies);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
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
