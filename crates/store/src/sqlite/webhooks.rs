//! Webhooks on SQLite: endpoints, the outbox and time-based events.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tangkal_response::webhook::{Attempt, Delivery, DeliveryStatus, EventKind, NewWebhook, WebhookEndpoint, DUE_SOON};

use crate::audit::{self, Entry};
use crate::cases::{text_enum, to_i64};
use crate::users::time;
use crate::webhooks::{
    after_attempt, disable_reason, failure_count, lease_end, new_event_id, stored_events, DeadlineEvent,
};
use crate::{
    AttemptRecorded, DueDelivery, FailurePolicy, Result, SqliteStore, StoreError, WebhookFigures, WebhookStore,
    WEBHOOK_ACTOR,
};

/// Writes an event and its deliveries. Call inside the transaction of the change that causes it.
/// `deadline` makes it a time-based event, written at most once per kind, subject and deadline: returns
/// false when it already was.
pub(crate) fn emit(
    conn: &Connection,
    kind: EventKind,
    subject: (&str, i64),
    deadline: Option<DateTime<Utc>>,
    data: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<bool> {
    let event_id = new_event_id()?;
    let written = conn
        .prepare_cached(
            "INSERT INTO webhook_events (event_id, kind, subject, deadline, data, occurred_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            event_id,
            kind.as_str(),
            format!("{}:{}", subject.0, subject.1),
            deadline.map(|d| d.timestamp()),
            data.to_string(),
            at.timestamp()
        ])?;
    if written == 0 {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at)
         SELECT ?1, e.id, 'pending', 0, ?2 FROM webhook_endpoints e
         WHERE e.enabled = 1 AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE json_each.value = ?3)",
    )?
    .execute(params![conn.last_insert_rowid(), at.timestamp(), kind.as_str()])?;
    Ok(true)
}

fn event_kind(text: String) -> rusqlite::Result<EventKind> {
    text_enum(text, EventKind::parse)
}

const SELECT_ENDPOINT: &str = "SELECT id, url, description, events, enabled, disabled_at, disabled_reason,
                                      consecutive_failures, created_by, created_at
                               FROM webhook_endpoints";

fn endpoint_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    let events = stored_events(&r.get::<_, String>(3)?)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into()))?;
    Ok(WebhookEndpoint {
        id: r.get(0)?,
        url: r.get(1)?,
        description: r.get(2)?,
        events,
        enabled: r.get(4)?,
        disabled_at: r.get::<_, Option<i64>>(5)?.map(time),
        disabled_reason: r.get(6)?,
        consecutive_failures: failure_count(r.get(7)?),
        created_by: r.get(8)?,
        created_at: time(r.get(9)?),
    })
}

fn load_endpoint(conn: &Connection, id: i64) -> Result<Option<WebhookEndpoint>> {
    Ok(conn.prepare_cached(&format!("{SELECT_ENDPOINT} WHERE id = ?1"))?.query_row([id], endpoint_row).optional()?)
}

fn attempts_of(conn: &Connection, delivery_id: i64) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, status_code, error, latency_ms, response_body FROM webhook_attempts
         WHERE delivery_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([delivery_id], |r| {
        Ok(Attempt {
            at: time(r.get(0)?),
            status_code: r.get::<_, Option<i64>>(1)?.and_then(|s| u16::try_from(s).ok()),
            error: r.get(2)?,
            latency_ms: r.get::<_, i64>(3)?.max(0) as u64,
            response_body: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open cases within [`DUE_SOON`] of their deadline or past it, not yet announced as breached. (The
/// PostgreSQL twin is in `postgres::webhooks`: only the placeholders differ.)
const CASES_NEAR_DEADLINE: &str = "SELECT c.id, c.urgency, c.opened_at, c.due_at FROM cases c
     WHERE c.finished_at IS NULL AND c.status NOT IN ('closed', 'dismissed') AND c.due_at <= ?1
       AND NOT EXISTS (SELECT 1 FROM webhook_events w
                       WHERE w.kind = 'case.breached' AND w.subject = 'case:' || c.id AND w.deadline = c.due_at)
     ORDER BY c.id";

/// Takedown requests with URLs still pending at a deadline that has come, per request and deadline, not
/// yet announced.
const TAKEDOWNS_PAST_DEADLINE: &str =
    "SELECT r.id, r.case_id, r.reference, r.platform, u.due_at, COUNT(*) FROM takedown_urls u
     JOIN takedown_requests r ON r.id = u.request_id
     WHERE u.status = 'pending' AND u.due_at <= ?1
       AND NOT EXISTS (SELECT 1 FROM webhook_events w
                       WHERE w.kind = 'takedown.overdue' AND w.subject = 'takedown:' || r.id AND w.deadline = u.due_at)
     GROUP BY r.id, u.due_at
     ORDER BY r.id, u.due_at";

/// The time-based events due at `now` and not yet written: candidates from SQL, decided by the case and
/// takedown rules.
fn deadline_events(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<DeadlineEvent>> {
    let mut due = Vec::new();
    let horizon = (now + DUE_SOON).timestamp() + 1;
    let mut cases = conn.prepare_cached(CASES_NEAR_DEADLINE)?;
    let rows = cases.query_map([horizon], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, time(r.get(2)?), time(r.get(3)?)))
    })?;
    for row in rows {
        let (id, urgency, opened_at, due_at) = row?;
        due.extend(DeadlineEvent::for_case(id, urgency, opened_at, due_at, now));
    }
    let mut takedowns = conn.prepare_cached(TAKEDOWNS_PAST_DEADLINE)?;
    let rows = takedowns.query_map([now.timestamp()], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, time(r.get(4)?), r.get(5)?))
    })?;
    for row in rows {
        let (id, case_id, reference, platform, due_at, pending) = row?;
        due.extend(DeadlineEvent::for_takedown(id, case_id, reference, platform, due_at, pending, now));
    }
    Ok(due)
}

/// The oldest due delivery of each enabled endpoint not in `busy`, most overdue endpoints first.
fn due_in(conn: &Connection, now: DateTime<Utc>, busy: &[i64], limit: usize) -> Result<Vec<DueDelivery>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.endpoint_id, p.url, p.secret, e.event_id, e.kind, e.data, e.occurred_at
         FROM (SELECT endpoint_id, MIN(id) AS id, MIN(next_attempt_at) AS due FROM webhook_deliveries
               WHERE status = 'pending' AND next_attempt_at <= ?1 GROUP BY endpoint_id) first
         JOIN webhook_deliveries d ON d.id = first.id
         JOIN webhook_endpoints p ON p.id = d.endpoint_id AND p.enabled = 1
         JOIN webhook_events e ON e.id = d.event_id
         ORDER BY first.due, d.id",
    )?;
    let rows = stmt.query_map([now.timestamp()], |r| {
        Ok(DueDelivery {
            delivery_id: r.get(0)?,
            endpoint_id: r.get(1)?,
            url: r.get(2)?,
            secret: r.get(3)?,
            event_id: r.get(4)?,
            kind: event_kind(r.get(5)?)?,
            data: r.get(6)?,
            occurred_at: time(r.get(7)?),
        })
    })?;
    let mut due = Vec::new();
    for row in rows {
        if due.len() >= limit {
            break;
        }
        let delivery = row?;
        if !busy.contains(&delivery.endpoint_id) {
            due.push(delivery);
        }
    }
    Ok(due)
}

impl WebhookStore for SqliteStore {
    fn create_webhook(
        &mut self,
        new: &NewWebhook,
        secret: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint> {
        let events = serde_json::to_string(&new.events)
            .map_err(|e| StoreError::Internal(format!("cannot serialise webhook events: {e}")))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO webhook_endpoints (url, description, events, secret, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![new.url, new.description, events, secret, actor, now.timestamp()])?;
        let id = tx.last_insert_rowid();
        let endpoint = load_endpoint(&tx, id)?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
        // The secret stays out of the trail: the trail is read by reviewers, the secret only signs.
        super::audit::append(
            &tx,
            &self.audit,
            Entry::created(actor, "webhook", id, "webhook.create", &endpoint)?,
            now,
        )?;
        tx.commit()?;
        Ok(endpoint)
    }

    fn webhook(&self, id: i64) -> Result<Option<WebhookEndpoint>> {
        load_endpoint(&self.conn, id)
    }

    fn webhooks(&self) -> Result<Vec<WebhookEndpoint>> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT_ENDPOINT} ORDER BY id"))?;
        let rows = stmt.query_map([], endpoint_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn delete_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(endpoint) = load_endpoint(&tx, id)? else { return Ok(false) };
        tx.execute(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1)",
            [id],
        )?;
        tx.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1", [id])?;
        tx.execute("DELETE FROM webhook_endpoints WHERE id = ?1", [id])?;
        let entry = Entry {
            before: Some(audit::json(&endpoint)?),
            after: None,
            ..Entry::created(actor, "webhook", id, "webhook.delete", &())?
        };
        super::audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(true)
    }

    fn enable_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<WebhookEndpoint>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(before) = load_endpoint(&tx, id)? else { return Ok(None) };
        tx.execute(
            "UPDATE webhook_endpoints SET enabled = 1, disabled_at = NULL, disabled_reason = NULL,
                                          consecutive_failures = 0, failing_since = NULL
             WHERE id = ?1",
            [id],
        )?;
        tx.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = MIN(next_attempt_at, ?2)
             WHERE endpoint_id = ?1 AND status = 'pending'",
            params![id, now.timestamp()],
        )?;
        let after = load_endpoint(&tx, id)?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
        if before != after {
            super::audit::append(
                &tx,
                &self.audit,
                Entry::changed(actor, "webhook", id, "webhook.enable", &before, &after)?,
                now,
            )?;
        }
        tx.commit()?;
        Ok(Some(after))
    }

    fn webhook_deliveries(
        &self,
        endpoint_id: i64,
        status: Option<DeliveryStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Delivery>> {
        // One read transaction for the deliveries and their attempts: a sender recording an attempt meanwhile
        // is seen wholly or not at all.
        let tx = self.conn.unchecked_transaction()?;
        let mut stmt = tx.prepare_cached(
            "SELECT d.id, e.event_id, e.kind, e.occurred_at, d.status, d.next_attempt_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
             WHERE d.endpoint_id = ?1 AND (?2 IS NULL OR d.status = ?2)
             ORDER BY d.id DESC LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(
            params![
                endpoint_id,
                status.map(DeliveryStatus::as_str),
                to_i64(limit, "limit")?,
                to_i64(offset, "offset")?
            ],
            |r| {
                let status = text_enum(r.get(4)?, DeliveryStatus::parse)?;
                Ok(Delivery {
                    id: r.get(0)?,
                    event_id: r.get(1)?,
                    event_type: event_kind(r.get(2)?)?,
                    occurred_at: time(r.get(3)?),
                    next_attempt_at: r
                        .get::<_, Option<i64>>(5)?
                        .map(time)
                        .filter(|_| status == DeliveryStatus::Pending),
                    status,
                    attempts: Vec::new(),
                })
            },
        )?;
        let mut deliveries: Vec<Delivery> = rows.collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        for d in &mut deliveries {
            d.attempts = attempts_of(&tx, d.id)?;
        }
        tx.commit()?;
        Ok(deliveries)
    }

    fn count_webhook_deliveries(&self, endpoint_id: i64, status: Option<DeliveryStatus>) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND (?2 IS NULL OR status = ?2)",
            )?
            .query_row(params![endpoint_id, status.map(DeliveryStatus::as_str)], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn claim_due_deliveries(
        &mut self,
        now: DateTime<Utc>,
        busy: &[i64],
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>> {
        // Read first: most polls find nothing, and need not wait for (or hold up) writers.
        if due_in(&self.conn, now, busy, limit)?.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let due = due_in(&tx, now, busy, limit)?;
        let mut lease_until = tx.prepare_cached("UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1")?;
        for delivery in &due {
            lease_until.execute(params![delivery.delivery_id, lease_end(now, lease)])?;
        }
        drop(lease_until);
        tx.commit()?;
        Ok(due)
    }

    fn record_attempt(
        &mut self,
        delivery_id: i64,
        attempt: &Attempt,
        policy: &FailurePolicy,
        jitter: f64,
    ) -> Result<AttemptRecorded> {
        let now = attempt.at;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (endpoint_id, attempts): (i64, i64) = tx
            .query_row("SELECT endpoint_id, attempts FROM webhook_deliveries WHERE id = ?1", [delivery_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("webhook delivery {delivery_id}")))?;
        tx.prepare_cached(
            "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, latency_ms, response_body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            delivery_id,
            now.timestamp(),
            attempt.status_code,
            attempt.error,
            i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX),
            attempt.response_body
        ])?;
        let attempts = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
        let mut endpoint_disabled = false;
        if attempt.succeeded() {
            tx.execute(
                "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = ?1",
                [endpoint_id],
            )?;
        } else {
            tx.execute(
                "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                                              failing_since = COALESCE(failing_since, ?2)
                 WHERE id = ?1",
                params![endpoint_id, now.timestamp()],
            )?;
            let (enabled, failures, since): (bool, i64, i64) = tx.query_row(
                "SELECT enabled, consecutive_failures, failing_since FROM webhook_endpoints WHERE id = ?1",
                [endpoint_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let failures = failure_count(failures);
            if enabled && policy.disable.should_disable(failures, time(since), now) {
                let before = load_endpoint(&tx, endpoint_id)?;
                tx.execute(
                    "UPDATE webhook_endpoints SET enabled = 0, disabled_at = ?2, disabled_reason = ?3 WHERE id = ?1",
                    params![endpoint_id, now.timestamp(), disable_reason(failures, time(since))],
                )?;
                let after = load_endpoint(&tx, endpoint_id)?;
                let entry = Entry::changed(WEBHOOK_ACTOR, "webhook", endpoint_id, "webhook.disable", &before, &after)?;
                super::audit::append(&tx, &self.audit, entry, now)?;
                endpoint_disabled = true;
            }
        }
        let (status, next) = after_attempt(attempt, attempts, &policy.retry, jitter);
        tx.execute(
            "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4 WHERE id = ?1",
            params![delivery_id, status.as_str(), attempts, next],
        )?;
        tx.commit()?;
        Ok(AttemptRecorded { status, endpoint_disabled })
    }

    fn scan_deadlines(&mut self, now: DateTime<Utc>) -> Result<u64> {
        // Read first: most scans find nothing, and need not wait for (or hold up) writers.
        if deadline_events(&self.conn, now)?.is_empty() {
            return Ok(0);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = 0;
        for event in deadline_events(&tx, now)? {
            written += u64::from(emit(&tx, event.kind, event.subject, Some(event.deadline), event.data, now)?);
        }
        tx.commit()?;
        Ok(written)
    }

    fn webhook_figures(&self) -> Result<WebhookFigures> {
        let (pending, disabled): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'),
                    (SELECT COUNT(*) FROM webhook_endpoints WHERE enabled = 0)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(WebhookFigures { pending: pending.max(0) as u64, disabled_endpoints: disabled.max(0) as u64 })
    }
}
