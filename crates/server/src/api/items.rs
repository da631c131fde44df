//! Posts and articles pushed by collectors: the monitoring stream's HTTP entrance, beside files and feeds
//! (`tangkal ingest`). What happens to them is `crate::push`'s.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tangkal_store::StoreError;
use utoipa::ToSchema;

use super::Body;
use crate::push::PushError;
use crate::{AppState, Problem};

/// Items in one push: more go in several requests.
pub const MAX_ITEMS: usize = 1000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBatch {
    /// Posts and articles in the item format (`docs/item-format.md`): `id` (`platform:native-id`),
    /// `platform`, `text`, `published_at` (RFC 3339), and optionally `url`, `author`, `metrics`, `lang`.
    /// Each is taken or refused on its own; an element that is not an object refuses the whole request.
    #[schema(value_type = Vec<Object>, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

/// A refused item: where it is in the batch and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedItem {
    /// 0-based position in `items`.
    pub index: u64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushReceipt {
    pub received: u64,
    /// Taken by the distributed intake's stream, when the server publishes there: its workers store them
    /// shortly (`new`, `updated` and `cases_opened` are then 0). 0 when the server stores items itself.
    pub queued: u64,
    /// Stored for the first time.
    pub new: u64,
    /// Known already; their metrics moved.
    pub updated: u64,
    /// Known already, nothing new (published: a re-send the stream dropped).
    pub duplicate: u64,
    pub rejected: u64,
    /// Cases opened because these items made a narrative match a published fact-check.
    pub cases_opened: u64,
    /// The first 100 refused items (all of them are in the data directory's reject file).
    pub rejects: Vec<RefusedItem>,
}

/// Push posts and articles into the monitoring stream. They are stored once by identity (pushing the
/// same item again only updates its metrics), placed in narratives, and the narratives they changed are
/// matched against the fact-checks; a narrative that copies a debunked claim gets a case. Answered once
/// committed. Items are taken or refused one by one: a refused item is named with its reason and the
/// others are kept. 503 with `Retry-After` while the intake has a queue of batches. With the distributed
/// intake, the items are validated here and answered once its stream has them (`queued`).
#[utoipa::path(post, path = "/api/v1/items", tag = "items", operation_id = "push_items", request_body = ItemBatch,
    responses((status = 200, body = PushReceipt), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn push(State(state): State<AppState>, Body(batch): Body<ItemBatch>) -> Result<Json<PushReceipt>, Problem> {
    if batch.items.len() > MAX_ITEMS {
        return Err(Problem::invalid(format!("items: at most {MAX_ITEMS} in one request, not {}", batch.items.len())));
    }
    // An element that is not even an object is a malformed request, not an item to refuse.
    if let Some(index) = batch.items.iter().position(|item| !item.is_object()) {
        return Err(Problem::invalid(format!("items[{index}]: expected an object in the item format")));
    }
    let mut lines = Vec::new();
    for item in &batch.items {
        serde_json::to_writer(&mut lines, item).map_err(Problem::internal)?;
        lines.push(b'\n');
    }
    let pushed = state.push.push(lines).await.map_err(|e| match e {
        PushError::Busy => Problem::unavailable(e.to_string()).retry_after(1),
        PushError::Stopped => Problem::unavailable(e.to_string()),
        PushError::Unavailable(_) => Problem::unavailable(e.to_string()).retry_after(5),
        PushError::Failed(e) if matches!(e.downcast_ref(), Some(StoreError::Unavailable(_))) => {
            Problem::store_busy(format!("{e:#}"))
        }
        PushError::Failed(e) => Problem::internal(format!("{e:#}")),
    })?;
    let s = pushed.summary;
    Ok(Json(PushReceipt {
        received: s.read,
        queued: pushed.queued,
        new: s.new,
        updated: s.updated,
        duplicate: s.duplicate,
        rejected: s.rejected,
        cases_opened: pushed.cases_opened,
        rejects: pushed
            .rejects
            .into_iter()
            .map(|(line, reason)| RefusedItem { index: line.saturating_sub(1), reason })
            .collect(),
    }))
}
