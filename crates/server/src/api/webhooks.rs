//! Webhook endpoints, for administrators: register (the signing secret is shown once), list, remove,
//! enable again after the server disabled one, and read the delivery log. Sending is
//! `crate::webhooks`'s; the rules are `tangkal_response::webhook`'s.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use tangkal_response::webhook::{generate_secret, Delivery, DeliveryStatus, NewWebhook, WebhookEndpoint};
use utoipa::{IntoParams, ToSchema};

use super::{offset, page, Body, Ids, Params};
use crate::auth::Caller;
use crate::{AppState, Problem};

/// A new endpoint with its signing secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 key: verify each delivery's `webhook-signature` with it (Standard
    /// Webhooks). Keep it secret; to change it, register the endpoint again and delete the old one.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<WebhookEndpoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Deliveries matching the filter, across all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    /// Newest first.
    pub deliveries: Vec<Delivery>,
}

/// Register an endpoint for some event types. It receives each such event that happens from now on as a
/// signed POST (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`). Addresses
/// that are not public are refused unless the server allows them.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>), Problem> {
    Ok((StatusCode::CREATED, Json(register(&state, &caller, new).await?)))
}

/// Registers an endpoint with a new signing secret, as the API and the desk's form do.
pub(crate) async fn register(state: &AppState, caller: &Caller, new: NewWebhook) -> Result<CreatedWebhook, Problem> {
    let checked = new.check(state.config.webhooks.allow_private_addresses)?;
    let secret = generate_secret(&mut OsRng);
    let sealed = state.webhook_secrets.seal(&secret).map_err(Problem::internal)?;
    let (actor, now) = (caller.actor().label(), state.clock.now());
    let endpoint = state.pool.run(move |s| s.create_webhook(&checked, &sealed, &actor, now)).await?;
    Ok(CreatedWebhook { endpoint, secret })
}

/// Every registered endpoint, without secrets.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, body = WebhookList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<WebhookList>, Problem> {
    let webhooks = state.pool.run(|s| s.webhooks()).await?;
    Ok(Json(WebhookList { webhooks }))
}

pub(crate) async fn endpoint(state: &AppState, id: i64) -> Result<WebhookEndpoint, Problem> {
    state.pool.run(move |s| s.webhook(id)).await?.ok_or_else(|| Problem::not_found(format!("webhook {id}")))
}

/// One endpoint: whether it is enabled, and why not.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = Problem)))]
pub async fn get(State(state): State<AppState>, Ids(id): Ids<i64>) -> Result<Json<WebhookEndpoint>, Problem> {
    Ok(Json(endpoint(&state, id).await?))
}

/// Remove an endpoint with its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id")),
    responses((status = 204, description = "Removed"), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<StatusCode, Problem> {
    remove(&state, &caller, id).await.map(|()| StatusCode::NO_CONTENT)
}

/// Removes endpoint `id`, as the API and the desk's form do.
pub(crate) async fn remove(state: &AppState, caller: &Caller, id: i64) -> Result<(), Problem> {
    let (actor, now) = (caller.actor().label(), state.clock.now());
    match state.pool.run(move |s| s.delete_webhook(id, &actor, now)).await? {
        true => Ok(()),
        false => Err(Problem::not_found(format!("webhook {id}"))),
    }
}

/// Enable an endpoint again (after the server disabled it for failing): its failure count starts over
/// and deliveries still pending are sent at once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = Problem)))]
pub async fn enable(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<Json<WebhookEndpoint>, Problem> {
    Ok(Json(enable_again(&state, &caller, id).await?))
}

/// Enables endpoint `id` again, as the API and the desk's form do.
pub(crate) async fn enable_again(state: &AppState, caller: &Caller, id: i64) -> Result<WebhookEndpoint, Problem> {
    let (actor, now) = (caller.actor().label(), state.clock.now());
    let endpoint = state.pool.run(move |s| s.enable_webhook(id, &actor, now)).await?;
    endpoint.ok_or_else(|| Problem::not_found(format!("webhook {id}")))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    #[param(inline)]
    pub status: Option<DeliveryStatus>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The delivery log of an endpoint: each event sent to it, with every attempt's status code, latency
/// and the start of the answer (1 KiB at most).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id"), DeliveryQuery),
    responses((status = 200, body = DeliveryList), (status = 404, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Ids(id): Ids<i64>,
    Params(q): Params<DeliveryQuery>,
) -> Result<Json<DeliveryList>, Problem> {
    let (limit, offset) = (page(q.limit)?, offset(q.offset)?);
    endpoint(&state, id).await?;
    let status = q.status;
    let (total, deliveries) = state
        .pool
        .run(move |s| Ok((s.count_webhook_deliveries(id, status)?, s.webhook_deliveries(id, status, limit, offset)?)))
        .await?;
    Ok(Json(DeliveryList { total, limit, offset, deliveries }))
}
