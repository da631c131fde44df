//! Webhooks on PostgreSQL. Several servers share the outbox: a due delivery is claimed with
//! `FOR UPDATE SKIP LOCKED` and leased by moving its next attempt forward, so one server at a time sends
//! it; a time-based event is written once by the unique index `webhook_events_once`, whichever server's
//! scan gets there first. Row locks are taken endpoint first, then its deliveries, in every method that
//! takes both, so that they never wait on each other in a circle.

use super::connection::{GenericClient, Transaction};
use chrono::{DateTime, Duration, Utc};
use tangkal_response::webhook::{Attempt, Delivery, DeliveryStatus, EventKind, NewWebhook, WebhookEndpoint};

use super::PostgresStore;
use crate::audit::Entry;
use crate::cases::to_i64;
use crate::users::time;
use crate::webhooks::{
    after_attempt, disable_reason, failure_count, lease_end, stored_events, DeadlineEvent, WEBHOOK_ACTOR,
};
use crate::{AttemptRecorded, DueDelivery, FailurePolicy, Result, StoreError, WebhookFigures, WebhookStore};

/// Writes an event and its deliveries, inside the transaction of the change that causes it. `deadline`
/// makes it a time-based event, written at most once per kind, subject and deadline (by whichever server
/// gets there first): returns false when it already was.
pub(crate) fn emit(
    tx: &mut Transaction<'_>,
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
    // The share lock waits for an endpoint being deleted and then leaves it out, where the foreign key
    // check alone would fail the change that emits.
    tx.execute(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at)
         SELECT $1, e.id, 'pending', 0, $2 FROM webhook_endpoints e
         WHERE e.enabled AND e.events::jsonb ? $3
         FOR KEY SHARE OF e",
        &[&id, &at.timestamp(), &kind.as_str()],
    )?;
    Ok(true)
}

/// A stored text that must be one of an enum's values.
fn parsed<T>(text: String, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("unknown value {text}")))
}

const SELECT_ENDPOINT: &str = "SELECT id, url, description, events, enabled, disabled_at, disabled_reason,
                                      consecutive_failures, created_by, created_at
                               FROM webhook_endpoints";

fn endpoint_row(r: &::postgres::Row) -> Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: r.get(0),
        url: r.get(1),
        description: r.get(2),
        events: stored_events(r.get(3)).map_err(StoreError::Corrupt)?,
        enabled: r.get(4),
        disabled_at: r.get::<_, Option<i64>>(5).map(time),
        disabled_reason: r.get(6),
        consecutive_failures: failure_count(r.get(7)),
        created_by: r.get(8),
        created_at: time(r.get(9)),
    })
}

/// An endpoint, read as it is; `lock` (a locking clause or "") keeps it as read until the transaction ends.
fn load_endpoint(client: &mut impl GenericClient, id: i64, lock: &str) -> Result<Option<WebhookEndpoint>> {
    client.query_opt(&format!("{SELECT_ENDPOINT} WHERE id = $1 {lock}"), &[&id])?.map(|r| endpoint_row(&r)).transpose()
}

/// Open cases within `DUE_SOON` of their deadline or past it, not yet announced as breached (SQLite's
/// `CASES_NEAR_DEADLINE`).
const CASES_NEAR_DEADLINE: &str = "SELECT c.id, c.urgency, c.opened_at, c.due_at FROM cases c
     WHERE c.finished_at IS NULL AND c.status NOT IN ('closed', 'dismissed') AND c.due_at <= $1
       AND NOT EXISTS (SELECT 1 FROM webhook_events w
                       WHERE w.kind = 'case.breached' AND w.subject = 'case:' || c.id AND w.deadline = c.due_at)
     ORDER BY c.id";

/// Takedown requests with URLs still pending at a deadline that has come, per request and deadline, not
/// yet announced (SQLite's `TAKEDOWNS_PAST_DEADLINE`).
const TAKEDOWNS_PAST_DEADLINE: &str =
    "SELECT r.id, r.case_id, r.reference, r.platform, u.due_at, COUNT(*) FROM takedown_urls u
     JOIN takedown_requests r ON r.id = u.request_id
     WHERE u.status = 'pending' AND u.due_at <= $1
       AND NOT EXISTS (SELECT 1 FROM webhook_events w
                       WHERE w.kind = 'takedown.overdue' AND w.subject = 'takedown:' || r.id AND w.deadline = u.due_at)
     GROUP BY r.id, u.due_at
     ORDER BY r.id, u.due_at";

/// The time-based events due at `now` and not yet written, in a fixed order (two scans writing the same
/// events take their keys in the same order, so neither waits for the other in a circle).
fn deadline_events(tx: &mut Transaction<'_>, now: DateTime<Utc>) -> Result<Vec<DeadlineEvent>> {
    let horizon = (now + tangkal_response::webhook::DUE_SOON).timestamp() + 1;
    let mut due = Vec::new();
    for r in tx.query(CASES_NEAR_DEADLINE, &[&horizon])? {
        due.extend(DeadlineEvent::for_case(r.get(0), r.get(1), time(r.get(2)), time(r.get(3)), now));
    }
    for r in tx.query(TAKEDOWNS_PAST_DEADLINE, &[&now.timestamp()])? {
        let (id, case_id, reference, platform) = (r.get(0), r.get(1), r.get(2), r.get(3));
        due.extend(DeadlineEvent::for_takedown(id, case_id, reference, platform, time(r.get(4)), r.get(5), now));
    }
    Ok(due)
}

fn attempt_row(r: &::postgres::Row) -> Attempt {
    Attempt {
        at: time(r.get(1)),
        status_code: r.get::<_, Option<i64>>(2).and_then(|s| u16::try_from(s).ok()),
        error: r.get(3),
        latency_ms: r.get::<_, i64>(4).max(0) as u64,
        response_body: r.get(5),
    }
}

impl WebhookStore for PostgresStore {
    fn create_webhook(
        &mut self,
        new: &NewWebhook,
        secret: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint> {
        let events = serde_json::to_string(&new.events)
            .map_err(|e| StoreError::Internal(format!("cannot serialise webhook events: {e}")))?;
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO webhook_endpoints (url, description, events, secret, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&new.url, &new.description, &events, &secret, &actor, &now.timestamp()],
            )?
            .get(0);
        let endpoint = load_endpoint(&mut tx, id, "")?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
        // The secret stays out of the trail: the trail is read by reviewers, the secret only signs.
        let entry = Entry::created(actor, "webhook", id, "webhook.create", &endpoint)?;
        super::audit::append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(endpoint)
    }

    fn webhook(&self, id: i64) -> Result<Option<WebhookEndpoint>> {
        load_endpoint(&mut *self.client(), id, "")
    }

    fn webhooks(&self) -> Result<Vec<WebhookEndpoint>> {
        self.client().query(&format!("{SELECT_ENDPOINT} ORDER BY id"), &[])?.iter().map(endpoint_row).collect()
    }

    fn delete_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Locked first: a change emitting an event for it meanwhile finishes before, so its delivery is
        // seen and deleted here, or waits and then leaves the endpoint out.
        let Some(endpoint) = load_endpoint(&mut tx, id, "FOR UPDATE")? else { return Ok(false) };
        tx.execute(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
            &[&id],
        )?;
        tx.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = $1", &[&id])?;
        tx.execute("DELETE FROM webhook_endpoints WHERE id = $1", &[&id])?;
        let entry = Entry {
            before: Some(crate::audit::json(&endpoint)?),
            after: None,
            ..Entry::created(actor, "webhook", id, "webhook.delete", &())?
        };
        super::audit::append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(true)
    }

    fn enable_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<WebhookEndpoint>> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let Some(before) = load_endpoint(&mut tx, id, "FOR NO KEY UPDATE")? else { return Ok(None) };
        tx.execute(
            "UPDATE webhook_endpoints SET enabled = TRUE, disabled_at = NULL, disabled_reason = NULL,
                                          consecutive_failures = 0, failing_since = NULL
             WHERE id = $1",
            &[&id],
        )?;
        tx.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = LEAST(next_attempt_at, $2)
             WHERE endpoint_id = $1 AND status = 'pending'",
            &[&id, &now.timestamp()],
        )?;
        let after = load_endpoint(&mut tx, id, "")?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
        if before != after {
            let entry = Entry::changed(actor, "webhook", id, "webhook.enable", &before, &after)?;
            super::audit::append(&mut tx, &self.audit, entry, now)?;
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
        let (limit, offset) = (to_i64(limit, "limit")?, to_i64(offset, "offset")?);
        // One snapshot for the deliveries and their attempts: a sender recording an attempt meanwhile is seen
        // wholly or not at all (never a 204 beside a delivery still pending).
        super::cases::snapshot(self, |tx| {
            let rows = tx.query(
                "SELECT d.id, e.event_id, e.kind, e.occurred_at, d.status, d.next_attempt_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
             WHERE d.endpoint_id = $1 AND ($2::TEXT IS NULL OR d.status = $2)
             ORDER BY d.id DESC LIMIT $3 OFFSET $4",
                &[&endpoint_id, &status.map(DeliveryStatus::as_str), &limit, &offset],
            )?;
            let mut deliveries = rows
                .iter()
                .map(|r| {
                    let status = parsed(r.get(4), DeliveryStatus::parse)?;
                    Ok(Delivery {
                        id: r.get(0),
                        event_id: r.get(1),
                        event_type: parsed(r.get(2), EventKind::parse)?,
                        occurred_at: time(r.get(3)),
                        next_attempt_at: r
                            .get::<_, Option<i64>>(5)
                            .map(time)
                            .filter(|_| status == DeliveryStatus::Pending),
                        status,
                        attempts: Vec::new(),
                    })
                })
                .collect::<Result<Vec<Delivery>>>()?;
            let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
            let attempts = tx.query(
                "SELECT delivery_id, at, status_code, error, latency_ms, response_body FROM webhook_attempts
             WHERE delivery_id = ANY($1) ORDER BY id",
                &[&ids],
            )?;
            for r in &attempts {
                let id: i64 = r.get(0);
                if let Some(d) = deliveries.iter_mut().find(|d| d.id == id) {
                    d.attempts.push(attempt_row(r));
                }
            }
            Ok(deliveries)
        })
    }

    fn count_webhook_deliveries(&self, endpoint_id: i64, status: Option<DeliveryStatus>) -> Result<u64> {
        let n: i64 = self
            .client()
            .query_one(
                "SELECT COUNT(*) FROM webhook_deliveries
                 WHERE endpoint_id = $1 AND ($2::TEXT IS NULL OR status = $2)",
                &[&endpoint_id, &status.map(DeliveryStatus::as_str)],
            )?
            .get(0);
        Ok(n.max(0) as u64)
    }

    fn claim_due_deliveries(
        &mut self,
        now: DateTime<Utc>,
        busy: &[i64],
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // One statement: the oldest due delivery of each enabled endpoint, most overdue first, locked
        // unless another server is claiming or recording it (then it is skipped, and not counted in the
        // limit), checked again once locked (a claim committed meanwhile has moved it out of `now`), and
        // leased.
        let rows = self.client().query(
            "WITH first AS (
                 SELECT endpoint_id, MIN(id) AS id, MIN(next_attempt_at) AS due FROM webhook_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= $1 AND endpoint_id <> ALL($2)
                 GROUP BY endpoint_id
             ), claimed AS (
                 SELECT d.id, first.due FROM first
                 JOIN webhook_deliveries d ON d.id = first.id
                 JOIN webhook_endpoints p ON p.id = d.endpoint_id AND p.enabled
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                 ORDER BY first.due, d.id
                 LIMIT $3
                 FOR UPDATE OF d SKIP LOCKED
             ), leased AS (
                 UPDATE webhook_deliveries d SET next_attempt_at = $4 FROM claimed
                 WHERE d.id = claimed.id
                 RETURNING d.id, d.endpoint_id, d.event_id, claimed.due
             )
             SELECT l.id, l.endpoint_id, p.url, p.secret, e.event_id, e.kind, e.data, e.occurred_at
             FROM leased l
             JOIN webhook_endpoints p ON p.id = l.endpoint_id
             JOIN webhook_events e ON e.id = l.event_id
             ORDER BY l.due, l.id",
            &[&now.timestamp(), &busy, &limit, &lease_end(now, lease)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DueDelivery {
                    delivery_id: r.get(0),
                    endpoint_id: r.get(1),
                    url: r.get(2),
                    secret: r.get(3),
                    event_id: r.get(4),
                    kind: parsed(r.get(5), EventKind::parse)?,
                    data: r.get(6),
                    occurred_at: time(r.get(7)),
                })
            })
            .collect()
    }

    fn record_attempt(
        &mut self,
        delivery_id: i64,
        attempt: &Attempt,
        policy: &FailurePolicy,
        jitter: f64,
    ) -> Result<AttemptRecorded> {
        let now = attempt.at;
        let not_found = || StoreError::NotFound(format!("webhook delivery {delivery_id}"));
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // The endpoint, then the delivery: the order enabling and deleting an endpoint lock them in.
        let endpoint_id: i64 = tx
            .query_opt("SELECT endpoint_id FROM webhook_deliveries WHERE id = $1", &[&delivery_id])?
            .ok_or_else(not_found)?
            .get(0);
        tx.execute("SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE", &[&endpoint_id])?;
        let attempts: i64 = tx
            .query_opt("SELECT attempts FROM webhook_deliveries WHERE id = $1 FOR NO KEY UPDATE", &[&delivery_id])?
            .ok_or_else(not_found)?
            .get(0);
        tx.execute(
            "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, latency_ms, response_body)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &delivery_id,
                &now.timestamp(),
                &attempt.status_code.map(i64::from),
                &attempt.error,
                &i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX),
                &attempt.response_body,
            ],
        )?;
        let attempts = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
        let mut endpoint_disabled = false;
        if attempt.succeeded() {
            tx.execute(
                "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1",
                &[&endpoint_id],
            )?;
        } else {
            let row = tx.query_one(
                "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                                              failing_since = COALESCE(failing_since, $2)
                 WHERE id = $1
                 RETURNING enabled, consecutive_failures, failing_since",
                &[&endpoint_id, &now.timestamp()],
            )?;
            let (enabled, failures, since): (bool, i64, i64) = (row.get(0), row.get(1), row.get(2));
            let (failures, since) = (failure_count(failures), time(since));
            if enabled && policy.disable.should_disable(failures, since, now) {
                let before = load_endpoint(&mut tx, endpoint_id, "")?;
                tx.execute(
                    "UPDATE webhook_endpoints SET enabled = FALSE, disabled_at = $2, disabled_reason = $3
                     WHERE id = $1",
                    &[&endpoint_id, &now.timestamp(), &disable_reason(failures, since)],
                )?;
                let after = load_endpoint(&mut tx, endpoint_id, "")?;
                let entry = Entry::changed(WEBHOOK_ACTOR, "webhook", endpoint_id, "webhook.disable", &before, &after)?;
                super::audit::append(&mut tx, &self.audit, entry, now)?;
                endpoint_disabled = true;
            }
        }
        let (status, next) = after_attempt(attempt, attempts, &policy.retry, jitter);
        tx.execute(
            "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4 WHERE id = $1",
            &[&delivery_id, &status.as_str(), &i64::from(attempts), &next],
        )?;
        tx.commit()?;
        Ok(AttemptRecorded { status, endpoint_disabled })
    }

    fn scan_deadlines(&mut self, now: DateTime<Utc>) -> Result<u64> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let mut written = 0;
        // A scan running at the same time writes the same events: whichever inserts one first writes it,
        // the other waits for that to commit and then finds it written.
        for event in deadline_events(&mut tx, now)? {
            written += u64::from(emit(&mut tx, event.kind, event.subject, Some(event.deadline), event.data, now)?);
        }
        tx.commit()?;
        Ok(written)
    }

    fn webhook_figures(&self) -> Result<WebhookFigures> {
        let row = self.client().query_one(
            "SELECT (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'),
                    (SELECT COUNT(*) FROM webhook_endpoints WHERE NOT enabled)",
            &[],
        )?;
        let (pending, disabled): (i64, i64) = (row.get(0), row.get(1));
        Ok(WebhookFigures { pending: pending.max(0) as u64, disabled_endpoints: disabled.max(0) as u64 })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};
    use std::thread;

    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::postgres::connection::Client;
    use crate::{AuditFiles, ScratchSchema};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
    }

    const LEASE: Duration = Duration::minutes(5);

    /// One database that several servers share.
    struct Shared {
        scratch: ScratchSchema,
        dir: tempfile::TempDir,
    }

    impl Shared {
        fn new() -> Arc<Shared> {
            Arc::new(Shared { scratch: ScratchSchema::create().unwrap(), dir: tempfile::tempdir().unwrap() })
        }

        /// A server's connection.
        fn connect(&self) -> PostgresStore {
            PostgresStore::connect(&self.scratch.url(), AuditFiles::in_data_dir(self.dir.path())).unwrap()
        }

        fn raw(&self) -> Client {
            Client::new(::postgres::Client::connect(&self.scratch.url(), ::postgres::NoTls).unwrap())
        }

        fn count(&self, sql: &str) -> i64 {
            self.raw().query_one(sql, &[]).unwrap().get(0)
        }
    }

    fn endpoints(store: &mut PostgresStore, n: usize, events: &[EventKind]) -> Vec<i64> {
        let new = NewWebhook { url: "https://hooks.example.org/".into(), events: events.to_vec(), description: None };
        (0..n).map(|_| store.create_webhook(&new, "whsec_AAAA", "admin#1 (admin)", t0()).unwrap().id).collect()
    }

    /// Cases opened by a detector at `t0`, urgent (due four hours later).
    fn urgent_cases(client: &mut Client, n: usize) -> Vec<i64> {
        let (opened, due) = (t0().timestamp(), (t0() + Duration::hours(4)).timestamp());
        (0..n)
            .map(|_| {
                let sql = "INSERT INTO cases (title, summary, origin, status, urgency, priority, computed_priority,
                                              opened_by, opened_at, due_at, updated_at)
                           VALUES ('Foto banjir', '', 'detector', 'new', 'urgent', 1, 1, 'detector:claims', $1, $2, $1)
                           RETURNING id";
                client.query_one(sql, &[&opened, &due]).unwrap().get(0)
            })
            .collect()
    }

    #[test]
    fn servers_claiming_at_once_get_disjoint_deliveries() {
        let shared = Shared::new();
        let mut store = shared.connect();
        endpoints(&mut store, 6, &[EventKind::CaseOpened]);
        for case in 1..=4 {
            let mut client = store.client();
            let mut tx = client.transaction().unwrap();
            emit(&mut tx, EventKind::CaseOpened, ("case", case), None, json!({ "case_id": case }), t0()).unwrap();
            tx.commit().unwrap();
        }
        let mut all: Vec<i64> =
            shared.raw().query("SELECT id FROM webhook_deliveries", &[]).unwrap().iter().map(|r| r.get(0)).collect();
        assert_eq!(all.len(), 24);

        let start = Arc::new(Barrier::new(3));
        let servers: Vec<_> = (0..3)
            .map(|_| {
                let (shared, start) = (shared.clone(), start.clone());
                thread::spawn(move || {
                    let mut store = shared.connect();
                    start.wait();
                    let mut claimed = Vec::new();
                    loop {
                        let due = store.claim_due_deliveries(t0(), &[], 4, LEASE).unwrap();
                        if due.is_empty() {
                            return claimed;
                        }
                        let mut endpoints: Vec<i64> = due.iter().map(|d| d.endpoint_id).collect();
                        endpoints.dedup();
                        assert_eq!(endpoints.len(), due.len(), "one per endpoint in a claim: {due:?}");
                        claimed.extend(due.into_iter().map(|d| d.delivery_id));
                    }
                })
            })
            .collect();
        let mut claimed: Vec<i64> = servers.into_iter().flat_map(|s| s.join().unwrap()).collect();
        claimed.sort();
        all.sort();
        assert_eq!(claimed, all, "each delivery claimed by one server, once");
        assert!(store.claim_due_deliveries(t0() + LEASE - Duration::seconds(1), &[], 100, LEASE).unwrap().is_empty());
        assert_eq!(store.claim_due_deliveries(t0() + LEASE, &[], 100, LEASE).unwrap().len(), 6, "leases run out");
    }

    #[test]
    fn a_delivery_being_claimed_or_recorded_elsewhere_is_skipped_without_waiting() {
        let shared = Shared::new();
        let mut store = shared.connect();
        let ids = endpoints(&mut store, 2, &[EventKind::CaseOpened]);
        {
            let mut client = store.client();
            let mut tx = client.transaction().unwrap();
            emit(&mut tx, EventKind::CaseOpened, ("case", 1), None, json!({ "case_id": 1 }), t0()).unwrap();
            tx.commit().unwrap();
        }
        let mut other = shared.raw();
        let mut busy = other.transaction().unwrap();
        busy.execute("SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 FOR UPDATE", &[&ids[0]]).unwrap();
        let due = store.claim_due_deliveries(t0(), &[], 10, LEASE).unwrap();
        assert_eq!(due.iter().map(|d| d.endpoint_id).collect::<Vec<_>>(), [ids[1]]);
        busy.rollback().unwrap();
        let due = store.claim_due_deliveries(t0(), &[], 10, LEASE).unwrap();
        assert_eq!(due.iter().map(|d| d.endpoint_id).collect::<Vec<_>>(), [ids[0]]);
    }

    #[test]
    fn scans_at_once_write_each_deadline_event_once() {
        let shared = Shared::new();
        let mut store = shared.connect();
        endpoints(&mut store, 1, &[EventKind::CaseBreached, EventKind::TakedownOverdue]);
        let mut client = shared.raw();
        let cases = urgent_cases(&mut client, 20);
        // One takedown request with two URLs unanswered past their deadline.
        let (sent, due) = (t0().timestamp(), (t0() + Duration::hours(1)).timestamp());
        let request: i64 = client
            .query_one(
                "INSERT INTO takedown_requests (case_id, platform, reference, urgency, legal_basis, sent_by, sent_at, due_at)
                 VALUES ($1, 'tiktok', 'TD-1', 'urgent', 'UU ITE', 'kom', $2, $3) RETURNING id",
                &[&cases[0], &sent, &due],
            )
            .unwrap()
            .get(0);
        for url in ["https://www.tiktok.com/@a/video/1", "https://www.tiktok.com/@a/video/2"] {
            client
                .execute(
                    "INSERT INTO takedown_urls (request_id, url, host, status, added_at, due_at)
                     VALUES ($1, $2, 'www.tiktok.com', 'pending', $3, $4)",
                    &[&request, &url, &sent, &due],
                )
                .unwrap();
        }

        let now = t0() + Duration::hours(5);
        let start = Arc::new(Barrier::new(3));
        let scans: Vec<_> = (0..3)
            .map(|_| {
                let (shared, start) = (shared.clone(), start.clone());
                thread::spawn(move || {
                    let mut store = shared.connect();
                    start.wait();
                    store.scan_deadlines(now).unwrap()
                })
            })
            .collect();
        let written: u64 = scans.into_iter().map(|s| s.join().unwrap()).sum();
        assert_eq!(written, 21);
        assert_eq!(shared.count("SELECT COUNT(*) FROM webhook_events WHERE kind = 'case.breached'"), 20);
        assert_eq!(shared.count("SELECT COUNT(*) FROM webhook_deliveries"), 21, "one delivery per event");
        let overdue: String =
            client.query_one("SELECT data FROM webhook_events WHERE kind = 'takedown.overdue'", &[]).unwrap().get(0);
        let overdue: serde_json::Value = serde_json::from_str(&overdue).unwrap();
        assert_eq!((overdue["takedown_id"].as_i64(), overdue["pending_urls"].as_i64()), (Some(request), Some(2)));
        assert_eq!(store.scan_deadlines(now + Duration::hours(1)).unwrap(), 0);
    }

    #[test]
    fn a_scan_waits_for_another_writing_the_same_event_and_then_leaves_it_to_that_one() {
        let shared = Shared::new();
        let mut store = shared.connect();
        endpoints(&mut store, 1, &[EventKind::CaseBreached]);
        let mut other = shared.raw();
        let cases = urgent_cases(&mut other, 3);
        let (now, deadline) = (t0() + Duration::hours(5), t0() + Duration::hours(4));

        // Another server's scan has written the first case's breach and not committed yet.
        let mut first = other.transaction().unwrap();
        let data = json!({ "case_id": cases[0] });
        assert!(emit(&mut first, EventKind::CaseBreached, ("case", cases[0]), Some(deadline), data, now).unwrap());
        let scan = thread::spawn(move || store.scan_deadlines(now).unwrap());
        thread::sleep(std::time::Duration::from_millis(300));
        assert!(!scan.is_finished(), "waits on the other's key");
        first.commit().unwrap();
        assert_eq!(scan.join().unwrap(), 2, "the other two cases");
        assert_eq!(shared.count("SELECT COUNT(*) FROM webhook_events"), 3);
        assert_eq!(shared.count("SELECT COUNT(*) FROM webhook_deliveries"), 3);
    }

    #[test]
    fn an_event_emitted_while_its_endpoint_is_deleted_neither_fails_nor_leaves_a_delivery_behind() {
        let shared = Shared::new();
        let mut store = shared.connect();
        let id = endpoints(&mut store, 1, &[EventKind::CaseOpened])[0];
        let mut other = shared.raw();
        let mut change = other.transaction().unwrap();
        assert!(emit(&mut change, EventKind::CaseOpened, ("case", 1), None, json!({}), t0()).unwrap());
        let deletion = thread::spawn(move || store.delete_webhook(id, "admin", t0()).unwrap());
        thread::sleep(std::time::Duration::from_millis(300));
        assert!(!deletion.is_finished(), "the deletion waits for the change");
        change.commit().unwrap();
        assert!(deletion.join().unwrap());
        assert_eq!(shared.count("SELECT COUNT(*) FROM webhook_deliveries"), 0);

        // The other way round: the change waits for the deletion, then leaves the endpoint out.
        let mut store = shared.connect();
        let id = endpoints(&mut store, 1, &[EventKind::CaseOpened])[0];
        let mut client = store.client();
        let mut deleting = client.transaction().unwrap();
        deleting.execute("SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR UPDATE", &[&id]).unwrap();
        deleting.execute("DELETE FROM webhook_endpoints WHERE id = $1", &[&id]).unwrap();
        let change = thread::spawn(move || {
            let mut tx = other.transaction().unwrap();
            let written = emit(&mut tx, EventKind::CaseOpened, ("case", 2), None, json!({}), t0()).unwrap();
            tx.commit().unwrap();
            written
        });
        thread::sleep(std::time::Duration::from_millis(300));
        assert!(!change.is_finished(), "the change waits for the deletion");
        deleting.commit().unwrap();
        assert!(change.join().unwrap());
        assert_eq!(shared.count("SELECT COUNT(*) FROM webhook_deliveries"), 0);
    }
}
