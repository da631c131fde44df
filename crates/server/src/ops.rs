//! Endpoints for operators and machines: liveness, readiness, metrics, the API document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tangkal_cases::SlaState;
use tangkal_response::takedown::RequestState;
use tangkal_store::{CaseFilter, TakedownFilter};

use crate::{AppState, Problem};

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The store answers; load balancers send traffic only then.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.pool.run(|s| s.count_users()).await {
        Ok(_) => "ready\n".into_response(),
        Err(_) => Problem::unavailable("the store does not answer").into_response(),
    }
}

/// Prometheus metrics, for operators only (admins, and `monitor` tokens for scrapers): the case load
/// and the request figures describe the service's workload, which is not public information.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, Problem> {
    let now = state.clock.now();
    let (open, breached, overdue, webhooks) = state
        .pool
        .run(move |s| {
            let open = CaseFilter { open: Some(true), ..CaseFilter::default() };
            let breached = CaseFilter { sla: Some(SlaState::Breached), ..CaseFilter::default() };
            let overdue = TakedownFilter { state: Some(RequestState::Overdue), ..TakedownFilter::default() };
            Ok((
                s.count_cases(&open, now)?,
                s.count_cases(&breached, now)?,
                s.count_takedowns(&overdue, now)?,
                s.webhook_figures()?,
            ))
        })
        .await?;
    state.metrics.open_cases.set(open as i64);
    state.metrics.breached_cases.set(breached as i64);
    state.metrics.overdue_takedowns.set(overdue as i64);
    state.metrics.webhook_deliveries_pending.set(webhooks.pending as i64);
    state.metrics.webhook_endpoints_disabled.set(webhooks.disabled_endpoints as i64);
    if let (Some(gauges), Some(distributed)) = (&state.metrics.intake, state.push.distributed()) {
        gauges.set(intake_status(distributed).await.as_ref());
    }
    let body = state.metrics.encode().map_err(Problem::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response())
}

/// The distributed intake's figures, or none when NATS does not answer soon: a scrape must not hang on it.
async fn intake_status(distributed: &crate::push::DistributedIntake) -> Option<tangkal_intake::IntakeStatus> {
    let read = async {
        let intake = distributed.intake().await?;
        tangkal_intake::status(intake, std::time::Duration::ZERO).await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), read).await {
        Ok(Ok(status)) => Some(status),
        Ok(Err(e)) => {
            tracing::warn!(target: "tangkal::metrics", "cannot read the intake's figures: {e:#}");
            None
        }
        Err(_) => {
            tracing::warn!(target: "tangkal::metrics", "the intake's figures took too long to read");
            None
        }
    }
}

pub async fn openapi(State(state): State<AppState>) -> Response {
    match serde_json::to_string(&crate::openapi::document(&state.config)) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => Problem::internal(e).into_response(),
    }
}

pub async fn not_found() -> Problem {
    Problem::not_found("no such endpoint; the API is described at /api/v1/openapi.json")
}

/// `allow` lists the path's methods, for the `Allow` header a 405 must carry.
pub async fn method_not_allowed(allow: String) -> Response {
    let problem = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed / Metode tidak diizinkan",
        format!("this path answers {allow}"),
    );
    ([(header::ALLOW, allow)], problem).into_response()
}
