//! Who is calling: passwords (argon2id), login sessions (cookie + CSRF token), API tokens (bearer), and
//! the per-route guard that turns a route's declared [`Access`] into 401 or 403.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tangkal_cases::{Actor, Permission, Role, UserRef};
use tangkal_store::User;

use crate::{throttle, AppState, Problem};

pub const SESSION_COOKIE: &str = "tangkal_session";
/// Double-submit cookie protecting the login form itself.
pub const LOGIN_CSRF_COOKIE: &str = "tangkal_login_csrf";
/// Double-submit cookie protecting the public report form (`/lapor`).
pub const REPORT_CSRF_COOKIE: &str = "tangkal_report_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefix that makes leaked tokens easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "tkl_";

/// A random secret: 256 bits, URL-safe text.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API token's secret, shown once.
pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", new_secret())
}

/// Session and token secrets are random, so a fast hash is enough to make a stolen table useless.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// argon2id with the crate's defaults (OWASP's 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        password.chars().count() >= MIN_PASSWORD_CHARS,
        "passwords need at least {MIN_PASSWORD_CHARS} characters"
    );
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fixed hash checked when the user does not exist, so timing does not reveal which usernames do.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password at all").unwrap_or_default())
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { csrf_token: String, token_hash: Vec<u8> },
    Token { id: i64 },
}

/// An authenticated caller, placed in the request's extensions by the guard.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The token's role for token callers, the user's role for sessions.
    pub role: Role,
    pub credential: Credential,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            user: UserRef { id: self.user.id, name: self.user.username.clone() },
            role: self.role,
            user_role: self.user.role,
            platform: self.user.platform.clone(),
        }
    }
}

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    SignedIn,
    /// Signed in, posting an HTML form whose body carries the CSRF token; the handler checks it.
    SignedInForm,
    Allowed(Permission),
    /// A desk page or form for holders of the permission. A browser without a session is sent to sign
    /// in and a refusal is a page; a form carries the CSRF token in its body, where the desk's form
    /// extractors check it.
    Page(Permission),
    /// Public for a request carrying a citizen report's status token (`?token=`), which the handler
    /// checks; otherwise as `Allowed` with the permission.
    ReporterOr(Permission),
}

impl Access {
    /// The roles that get through, for the route table and the API document.
    pub fn roles(self) -> Vec<Role> {
        match self {
            Access::Public | Access::SignedIn | Access::SignedInForm => Role::ALL.to_vec(),
            Access::Allowed(p) | Access::Page(p) | Access::ReporterOr(p) => p.roles(),
        }
    }
}

/// Whether the request's query names a report's status token.
fn carries_status_token(request: &Request) -> bool {
    let query = request.uri().query().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "token")
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// The secret of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Finds the caller from a bearer token or a session cookie. A presented credential that does not
/// work is a 401 saying why (unknown, revoked token or disabled owner, expired session), not anonymity;
/// only the holder of the secret can learn which.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, Problem> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth.to_str().ok().and_then(bearer_token).ok_or_else(Problem::unauthenticated)?;
        let hash = secret_hash(token);
        let found = state.pool.run(move |s| s.token_user(&hash)).await?;
        let (user, token) = found.ok_or_else(Problem::unknown_credential)?;
        if token.revoked_at.is_some() || user.disabled {
            return Err(Problem::token_revoked());
        }
        return Ok(Some(Caller { role: token.role, user, credential: Credential::Token { id: token.id } }));
    }
    if let Some(secret) = cookie_value(headers, SESSION_COOKIE) {
        let hash = secret_hash(&secret);
        let lookup = hash.clone();
        let found = state.pool.run(move |s| s.session_user(&lookup)).await?;
        let (user, session) = found.filter(|(user, _)| !user.disabled).ok_or_else(Problem::unknown_credential)?;
        if session.expires_at <= state.clock.now() {
            return Err(Problem::session_expired());
        }
        return Ok(Some(Caller {
            role: user.role,
            user,
            credential: Credential::Session { csrf_token: session.csrf_token, token_hash: hash },
        }));
    }
    Ok(None)
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The guard every route is wrapped in: charges public routes to the client's network budget; for the
/// others authenticates, checks the CSRF token of cookie-signed unsafe requests, checks the role, and
/// hands the [`Caller`] to the handler.
pub async fn guard(State(state): State<AppState>, access: Access, mut request: Request, next: Next) -> Response {
    if access == Access::Public {
        let client = throttle::client_ip(request.extensions(), request.headers(), &state.config.trusted_proxies);
        if let Err(refused) = state.public_budget.check(&throttle::Network::of(client)) {
            return refused.problem("requests from this network").into_response();
        }
        return next.run(request).await;
    }
    if matches!(access, Access::ReporterOr(_)) && carries_status_token(&request) {
        return next.run(request).await;
    }
    let page = matches!(access, Access::Page(_));
    let caller = match authenticate(&state, request.headers()).await {
        Ok(Some(caller)) => caller,
        _ if page => return crate::desk::sign_in_first(&request),
        Ok(None) => return Problem::unauthenticated().into_response(),
        Err(problem) => return problem.into_response(),
    };
    {
        let caller = &caller;
        if let Access::Allowed(permission) | Access::Page(permission) | Access::ReporterOr(permission) = access {
            if let Err(tangkal_cases::CaseError::NotPermitted { role, .. }) = caller.actor().require(permission) {
                let problem = Problem::forbidden(format!("role {role} may not use this endpoint"));
                if page {
                    return crate::desk::refusal_page(&state, caller, request.headers(), problem);
                }
                return problem.into_response();
            }
        }
        if let Credential::Session { csrf_token, .. } = &caller.credential {
            if is_unsafe(request.method()) && access != Access::SignedInForm && !page {
                let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                if !constant_time_eq(sent, csrf_token) {
                    return Problem::csrf().into_response();
                }
            }
        }
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The token of a form that anyone may post (sign-in, a citizen report), defended by double submission:
/// the token goes in the form and in the cookie `name`, and only a post carrying both, equal, is taken.
/// Another site can make a browser post our form, but can neither read nor set our cookie. The browser's
/// token is reused while its cookie lives, so two open forms both work; otherwise a new one comes with
/// its `Set-Cookie` value.
pub fn form_token(headers: &HeaderMap, name: &str, lifetime: Duration, secure: bool) -> (String, Option<String>) {
    match cookie_value(headers, name).filter(|v| v.len() == 43 && URL_SAFE_NO_PAD.decode(v).is_ok()) {
        Some(token) => (token, None),
        None => {
            let token = new_secret();
            let cookie = set_cookie(name, &token, lifetime, secure);
            (token, Some(cookie))
        }
    }
}

/// Whether a posted form's token matches its cookie `name` (see [`form_token`]).
pub fn form_token_matches(headers: &HeaderMap, name: &str, sent: &str) -> bool {
    let expected = cookie_value(headers, name).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(sent, &expected)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when served behind TLS. `value` is one of our
/// URL-safe secrets (or empty to delete), so it needs no quoting.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", max_age.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("kata sandi yang panjang").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("kata sandi yang panjang", &hash));
        assert!(!verify_password("kata sandi yang salah!", &hash));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in ["Bearer tkl_x", "bearer tkl_x", "BEARER  tkl_x ", "Bearer\ttkl_x"] {
            assert_eq!(bearer_token(header), Some("tkl_x"), "{header:?}");
        }
        for header in ["Basic dXNlcg==", "Bearer", "Bearer   ", "Bearertkl_x", ""] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_api_token(), new_api_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_ne!(secret_hash(&a), secret_hash(&b));
    }
}
