//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::cases::{text_enum, to_i64};
use crate::users::time;
use crate::{Result, SqliteStore, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tangkal_response::webhook::{
    case_signal, takedown_overdue, Attempt, Delivery, DeliveryStatus, DisablePolicy, EventKind, NewWebhook,
    RetryPolicy, WebhookEndpoint, DUE_SOON,
};

use super::PostgresStore;
use crate::*;

/// Writes an event and its deliveries, inside the transaction of the change that causes it. `deadline`
/// makes it a time-based event, written at most once per kind, subject and deadline (by whichever server
/// gets there first): returns false when it already was.
pub(crate) fn emit(
    tx: &mut ::postgres::Transaction<'_>,
    kind: EventKind,
    subject: (&str, i64),
    deadline: Option<DateTime<Utc>>,
    data: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<bool> {
    let event_id = crate::webhooks::new_event_id()?;
    let written = tx.query_opt(
        "INSERT INTO webhook_events (event_id, kind, subject, deadline, data, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
        &[
            &event_id,
            &kind.as_str(),
            &format!("{}:{}", subject.0, subject.1),
            &deadline.map(|d| d.timestamp()),
            &data.to_string(),
            &at.timestamp(),
        ],
    )?;
    let Some(written) = written else { return Ok(false) };
    let id: i64 = written.get(0);
    tx.execute(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at)
         SELECT $1, e.id, 'pending', 0, $2 FROM webhook_endpoints e
         WHERE e.enabled AND e.events::jsonb ? $3",
        &[&id, &at.timestamp(), &kind.as_str()],
    )?;
    Ok(true)
}

impl WebhookStore for PostgresStore {
    fn create_webhook(
        &mut self,
        new: &NewWebhook,
        secret: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint> {
        unimplemented!("WebhookStore::create_webhook on PostgreSQL")
    }
    fn webhook(&self, id: i64) -> Result<Option<WebhookEndpoint>> {
        unimplemented!("WebhookStore::webhook on PostgreSQL")
    }
    fn webhooks(&self) -> Result<Vec<WebhookEndpoint>> {
        unimplemented!("WebhookStore::webhooks on PostgreSQL")
    }
    fn delete_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<bool> {
        unimplemented!("WebhookStore::delete_webhook on PostgreSQL")
    }
    fn enable_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<WebhookEndpoint>> {
        unimplemented!("WebhookStore::enable_webhook on PostgreSQL")
    }
    fn webhook_deliveries(
        &self,
        endpoint_id: i64,
        status: Option<DeliveryStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Delivery>> {
        unimplemented!("WebhookStore::webhook_deliveries on PostgreSQL")
    }
    fn count_webhook_deliveries(&self, endpoint_id: i64, status: Option<DeliveryStatus>) -> Result<u64> {
        unimplemented!("WebhookStore::count_webhook_deliveries on PostgreSQL")
    }
    fn due_deliveries(&self, now: DateTime<Utc>, busy: &[i64], limit: usize) -> Result<Vec<DueDelivery>> {
        unimplemented!("WebhookStore::due_deliveries on PostgreSQL")
    }
    fn record_attempt(
        &mut self,
        delivery_id: i64,
        attempt: &Attempt,
        policy: &FailurePolicy,
        jitter: f64,
    ) -> Result<AttemptRecorded> {
        unimplemented!("WebhookStore::record_attempt on PostgreSQL")
    }
    fn scan_deadlines(&mut self, now: DateTime<Utc>) -> Result<u64> {
        unimplemented!("WebhookStore::scan_deadlines on PostgreSQL")
    }
    fn webhook_figures(&self) -> Result<WebhookFigures> {
        unimplemented!("WebhookStore::webhook_figures on PostgreSQL")
    }
}
