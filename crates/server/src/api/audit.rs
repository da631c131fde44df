//! The audit trail: read it, and check it with its key and against its checkpoints.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use tangkal_cases::audit::{AuditEvent, AuditReport};
use tangkal_store::AuditFilter;
use utoipa::IntoParams;

use super::{offset, page, Params};
use crate::{AppState, Problem};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `case`, `user` or `token`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Audit events, oldest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEvent>)))]
pub async fn list(
    State(state): State<AppState>,
    Params(q): Params<AuditQuery>,
) -> Result<Json<Vec<AuditEvent>>, Problem> {
    let filter = AuditFilter { entity: q.entity, entity_id: q.entity_id };
    let (limit, offset) = (page(q.limit)?, offset(q.offset)?);
    Ok(Json(state.pool.run(move |s| s.audit_events(&filter, limit, offset)).await?))
}

/// Verify the trail with its key and against every checkpoint in the checkpoint file: lists every edited,
/// replaced, reordered or deleted event (a deleted tail only up to the newest checkpoint), and a missing
/// key or checkpoint file.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", responses((status = 200, body = AuditReport)))]
pub async fn verify(State(state): State<AppState>) -> Result<Json<AuditReport>, Problem> {
    Ok(Json(state.pool.run(|s| s.verify_audit()).await?))
}
