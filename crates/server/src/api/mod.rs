//! The `/api/v1` handlers, one module per resource. Each handler documents itself for the OpenAPI
//! document; which roles reach it is declared once, in `crate::routes`.

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod clarifications;
pub mod items;
pub mod reports;
pub mod session;
pub mod takedowns;
pub mod webhooks;

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::Problem;

/// A JSON body whose rejections are problem documents: 400 malformed, 413 too large, 415 not
/// `application/json`, 422 well-formed but not the expected shape.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|r: JsonRejection| Problem::for_status(r.status(), r.body_text()))?;
        whole_numbers_as_integers(&mut value);
        let typed = serde_path_to_error::deserialize(value).map_err(|e| match e.path().to_string().as_str() {
            "." => Problem::invalid(e.inner().to_string()),
            path => Problem::invalid(format!("{path}: {}", e.inner())),
        })?;
        Ok(Body(typed))
    }
}

/// JSON does not tell `1.0` from `1` (nor does JSON Schema), so an integer field takes either: whole
/// numbers written with a fraction become integers before the body is read into its type.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Exactly representable and inside i64: 2^63 itself is not.
            if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// An HTML form body (`application/x-www-form-urlencoded`) whose rejections are problem documents.
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let axum::Form(value) = axum::Form::<T>::from_request(req, state)
            .await
            .map_err(|r: FormRejection| Problem::for_status(r.status(), r.body_text()))?;
        Ok(FormBody(value))
    }
}

/// A `multipart/form-data` body: any other content type is 415, a multipart type without a boundary 400.
pub struct Upload(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("multipart/form-data") {
            return Err(Problem::for_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a `multipart/form-data` body".to_string(),
            ));
        }
        let form =
            Multipart::from_request(req, state).await.map_err(|r| Problem::for_status(r.status(), r.body_text()))?;
        Ok(Upload(form))
    }
}

/// Query parameters whose rejections are problem documents.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|r: QueryRejection| Problem::for_status(r.status(), r.body_text()))?;
        Ok(Params(value))
    }
}

/// Path parameters whose rejections are problem documents: an id that cannot be one names nothing,
/// so it is 404 like an id that does not exist.
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await.map_err(|r: PathRejection| {
                match r.status() {
                    status if status.is_client_error() => Problem::not_found(r.body_text()),
                    status => Problem::for_status(status, r.body_text()),
                }
            })?;
        Ok(Ids(value))
    }
}

/// Page size bounds shared by the list endpoints.
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

pub fn page(limit: Option<u64>) -> Result<u64, Problem> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        l if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        _ => Err(Problem::bad_request(format!("limit: 1 to {MAX_LIMIT}"))),
    }
}

/// The largest offset: what the store can count to.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

pub fn offset(offset: Option<u64>) -> Result<u64, Problem> {
    match offset.unwrap_or(0) {
        o if o > MAX_OFFSET => Err(Problem::bad_request(format!("offset: at most {MAX_OFFSET}"))),
        o => Ok(o),
    }
}
