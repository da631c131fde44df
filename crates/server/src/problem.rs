//! Errors as RFC 9457 problem details (`application/problem+json`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tangkal_cases::CaseError;
use tangkal_store::StoreError;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document. `type` is a relative URI naming the kind of problem, stable for
/// clients to match on; `detail` is for people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Seconds to wait, sent as `Retry-After` with 429 and 503.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<Option<String>>) -> Problem {
        Problem {
            kind: format!("/problems/{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }

    pub fn unauthenticated() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in required / Perlu masuk",
            "send a session cookie or an `Authorization: Bearer` API token".to_string(),
        )
    }

    /// A token or session cookie that matches nothing: mistyped, or a session that was signed out.
    pub fn unknown_credential() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unknown-credential",
            "Unknown credential / Kredensial tidak dikenal",
            "the API token or session is not known; sign in again or check the token".to_string(),
        )
    }

    pub fn token_revoked() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "token-revoked",
            "Token revoked / Token dicabut",
            "this API token was revoked or its owner's account is disabled; ask an administrator".to_string(),
        )
    }

    pub fn session_expired() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "session-expired",
            "Session expired / Sesi berakhir",
            "the session has expired; sign in again".to_string(),
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed / Tidak diizinkan", detail.into())
    }

    pub fn csrf() -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "Missing or wrong CSRF token / Token CSRF salah",
            "requests signed in with a session cookie must echo the session's CSRF token".to_string(),
        )
    }

    pub fn not_found(what: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found / Tidak ditemukan", what.into())
    }

    pub fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid input / Masukan tidak valid", detail.into())
    }

    /// The request contradicts the state of what it names.
    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", "Conflict / Konflik", detail.into())
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request / Permintaan salah", detail.into())
    }

    pub fn too_many(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many attempts / Terlalu banyak percobaan",
            detail.into(),
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Unavailable / Tidak tersedia", detail.into())
    }

    /// The problem for a status that a library (an extractor, a body limit) chose: the named kinds
    /// above where there is one, else a kind named after the status (`payload-too-large`,
    /// `unsupported-media-type`). Server errors keep their status but not their detail.
    pub fn for_status(status: StatusCode, detail: String) -> Problem {
        match status {
            StatusCode::BAD_REQUEST => Problem::bad_request(detail),
            StatusCode::UNAUTHORIZED => Problem::unauthenticated(),
            StatusCode::FORBIDDEN => Problem::forbidden(detail),
            StatusCode::NOT_FOUND => Problem::not_found(detail),
            StatusCode::UNPROCESSABLE_ENTITY => Problem::invalid(detail),
            StatusCode::TOO_MANY_REQUESTS => Problem::too_many(detail),
            StatusCode::INTERNAL_SERVER_ERROR => Problem::internal(detail),
            status => {
                let reason = status.canonical_reason().unwrap_or("Error");
                let kind: String = reason
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                    .collect();
                if status.is_server_error() {
                    tracing::error!(%status, error = %detail, "server error");
                    return Problem::new(status, &kind, reason, None);
                }
                Problem::new(status, &kind, reason, detail)
            }
        }
    }

    /// The store cannot answer now ([`StoreError::Unavailable`]): worth retrying, so it is 503 with
    /// `Retry-After`. The detail is logged, not sent, as for [`Problem::internal`].
    pub fn store_busy(detail: impl std::fmt::Display) -> Problem {
        tracing::warn!(error = %detail, "store unavailable");
        Problem::unavailable("the store is busy; try again shortly").retry_after(STORE_BUSY_RETRY_SECONDS)
    }

    /// The detail is logged, not sent: it may name files or SQL.
    pub fn internal(detail: impl std::fmt::Display) -> Problem {
        tracing::error!(error = %detail, "internal error");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error / Kesalahan internal", None)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Seconds a client is asked to wait when the store is busy: by then the store has usually waited out its
/// own lock timeout, so coming straight back would only queue behind the same writer.
const STORE_BUSY_RETRY_SECONDS: u64 = 5;

/// Kinds the client can act on keep their message (an invalid one names its field); the others are logged
/// and answered in general terms, because their messages come from the backend and may name files,
/// tables or SQL.
impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Invalid { .. } => Problem::invalid(e.to_string()),
            StoreError::Conflict(detail) => Problem::conflict(detail),
            StoreError::NotFound(detail) => Problem::not_found(detail),
            StoreError::Unavailable(detail) => Problem::store_busy(detail),
            other => Problem::internal(other),
        }
    }
}

impl From<CaseError> for Problem {
    fn from(e: CaseError) -> Problem {
        let detail = e.to_string();
        match e {
            CaseError::NotPermitted { .. } => Problem::forbidden(detail),
            CaseError::SameReviewer => {
                Problem::new(StatusCode::FORBIDDEN, "two-person-rule", "Two-person rule / Aturan dua orang", detail)
            }
            CaseError::Invalid { .. } => Problem::invalid(detail),
            CaseError::IllegalTransition { .. }
            | CaseError::VerdictStep { .. }
            | CaseError::Finished { .. }
            | CaseError::AlreadyReviewed
            | CaseError::NoProposal => Problem::new(
                StatusCode::CONFLICT,
                "illegal-transition",
                "Not possible in this state / Tidak bisa pada status ini",
                detail,
            ),
        }
    }
}

impl From<tangkal_response::ResponseError> for Problem {
    fn from(e: tangkal_response::ResponseError) -> Problem {
        use tangkal_response::ResponseError;
        let detail = e.to_string();
        match e {
            ResponseError::Invalid { .. } => Problem::invalid(detail),
            ResponseError::NotAllowed(_) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict / Konflik", detail)
            }
            ResponseError::IllegalTransition { .. } => Problem::new(
                StatusCode::CONFLICT,
                "illegal-transition",
                "Not possible in this state / Tidak bisa pada status ini",
                detail,
            ),
            ResponseError::Case(case) => case.into(),
        }
    }
}

/// The largest error body from a library that is kept as a problem's detail.
const MAX_FOREIGN_DETAIL: usize = 1024;

/// The safety net under every route: an error response that is not yet a problem document (a
/// rejection from an extractor a handler used directly, a limit enforced by a layer) becomes one of
/// the kind its status names, keeping its other headers. Its text becomes the detail, for client errors.
/// An HTML page is left as it is: only a handler writes one, for people using a form (`/lapor`).
pub async fn as_problem(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).map(|t| t.as_bytes()).unwrap_or_default();
    let is_problem = content_type == PROBLEM_JSON.as_bytes();
    let is_page = content_type.starts_with(b"text/html");
    if !(status.is_client_error() || status.is_server_error()) || is_problem || is_page {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let detail = match axum::body::to_bytes(body, MAX_FOREIGN_DETAIL).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let mut problem = Problem::for_status(status, detail).into_response();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in parts.headers.drain().filter_map(|(name, value)| Some((name?, value))) {
        problem.headers_mut().entry(name).or_insert(value);
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_answer_by_kind_and_keep_the_backend_out_of_the_answer() {
        let problem = |e: StoreError| {
            let p = Problem::from(e);
            (p.status, p.kind, p.detail, p.retry_after)
        };
        let invalid = StoreError::Invalid { field: "name", reason: "must be 1 to 64 characters".into() };
        assert_eq!(
            problem(invalid),
            (422, "/problems/invalid".into(), Some("name must be 1 to 64 characters".into()), None)
        );
        assert_eq!(problem(StoreError::NotFound("webhook 7".into())).0, 404);
        let taken = problem(StoreError::Conflict("a record with the same username is already stored".into()));
        assert_eq!((taken.0, taken.2.as_deref()), (409, Some("a record with the same username is already stored")));
        let busy = problem(StoreError::Unavailable("database error: database is locked".into()));
        assert_eq!(
            busy,
            (503, "/problems/unavailable".into(), Some("the store is busy; try again shortly".into()), Some(5))
        );
        for hidden in [
            StoreError::Corrupt("database disk image is malformed (/srv/tangkal/tangkal.sqlite3)".into()),
            StoreError::Internal("database error: no such column: secret_hash".into()),
        ] {
            assert_eq!(problem(hidden), (500, "/problems/internal".into(), None, None));
        }
    }

    #[tokio::test]
    async fn plain_error_responses_become_problem_documents_with_their_headers() {
        let teapot = || async { (StatusCode::IM_A_TEAPOT, [(header::RETRY_AFTER, "5")], "short and stout") };
        let fine = || async { "fine" };
        let app = axum::Router::new()
            .route("/teapot", axum::routing::get(teapot))
            .route("/fine", axum::routing::get(fine))
            .layer(axum::middleware::from_fn(as_problem));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let response = reqwest::get(format!("{base}/teapot")).await.unwrap();
        assert_eq!(response.status(), 418);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["type"], "/problems/i-m-a-teapot");
        assert_eq!(body["detail"], "short and stout");
        assert_eq!(reqwest::get(format!("{base}/fine")).await.unwrap().text().await.unwrap(), "fine");
    }
}
