//! The `/api/v1` handlers, one module per resource. Each handler documents itself for the OpenAPI
//! document; which roles reach it is declared once, in `crate::routes`.

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod clarifications;
pub mod session;
pub mod takedowns;

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
        let axum::Json(value) = axum::Json::<T>::from_request(req, state)
            .await
            .map_err(|r: JsonRejection| Problem::for_status(r.status(), r.body_text()))?;
        Ok(Body(value))
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

pub fn page(limit: Option<u64>) -> u64 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}
