//! Webhooks: registered endpoints and the outbox. An event is written by the store method whose change
//! causes it, in that change's transaction, together with one pending delivery per enabled endpoint that
//! subscribes to it; so a change is never stored without its event, nor an event without its change, and a
//! restart loses nothing. Time-based events (a case due soon or breached, a takedown overdue) are written
//! by [`WebhookStore::scan_deadlines`], once per subject and deadline.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tangkal_response::webhook::{
    case_signal, takedown_overdue, Attempt, Delivery, DeliveryStatus, DisablePolicy, EventKind, NewWebhook,
    RetryPolicy, WebhookEndpoint,
};

use crate::{Result, StoreError};

/// The actor the audit trail names for what the delivery worker decides.
pub const WEBHOOK_ACTOR: &str = "system:webhooks";

/// A delivery whose next attempt is due, with what sending it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub url: String,
    /// The signing secret as stored (sealed by the server).
    pub secret: String,
    /// The `webhook-id`.
    pub event_id: String,
    pub kind: EventKind,
    /// The event's data (JSON), as written with the change.
    pub data: String,
    pub occurred_at: DateTime<Utc>,
}

/// How the worker treats failures: retries per delivery, and when an endpoint is switched off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailurePolicy {
    pub retry: RetryPolicy,
    pub disable: DisablePolicy,
}

/// What recording an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRecorded {
    pub status: DeliveryStatus,
    /// The endpoint was switched off by this failure.
    pub endpoint_disabled: bool,
}

/// Counts for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookFigures {
    /// Deliveries not yet accepted, to enabled endpoints or not.
    pub pending: u64,
    pub disabled_endpoints: u64,
}

pub trait WebhookStore {
    /// Registers an endpoint checked by [`NewWebhook::check`] with its signing secret as the server keeps
    /// it (sealed: the store only holds it).
    fn create_webhook(
        &mut self,
        new: &NewWebhook,
        secret: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<WebhookEndpoint>;
    fn webhook(&self, id: i64) -> Result<Option<WebhookEndpoint>>;
    /// Oldest first.
    fn webhooks(&self) -> Result<Vec<WebhookEndpoint>>;
    /// Removes an endpoint with its deliveries and their attempts; false when there was none.
    fn delete_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Switches an endpoint on again with a clean failure count; its pending deliveries are sent at once.
    fn enable_webhook(&mut self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<Option<WebhookEndpoint>>;
    /// An endpoint's deliveries, newest first, optionally of one status, with their attempts.
    fn webhook_deliveries(
        &self,
        endpoint_id: i64,
        status: Option<DeliveryStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Delivery>>;
    fn count_webhook_deliveries(&self, endpoint_id: i64, status: Option<DeliveryStatus>) -> Result<u64>;
    /// Claims pending deliveries to enabled endpoints whose next attempt is due, the oldest of each
    /// endpoint only, endpoints in `busy` (those the caller is sending to) left out, most overdue first.
    /// A claimed delivery's next attempt moves to `now + lease`: servers sharing the database do not send
    /// it meanwhile, and one that stops mid-send leaves it to be tried again when the lease ends.
    /// [`record_attempt`](Self::record_attempt) sets the real next attempt, so `lease` must outlast an
    /// attempt and its recording. Each server keeps one delivery at a time per endpoint (with `busy`);
    /// servers sharing a database may each have one under way to the same endpoint.
    fn claim_due_deliveries(
        &mut self,
        now: DateTime<Utc>,
        busy: &[i64],
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>>;
    /// Records an attempt and what follows from it, in one transaction: delivered; tried again later
    /// (`jitter` in [0, 1] spreads the wait); failed for good; and the endpoint disabled (audited) when
    /// it has failed long enough.
    fn record_attempt(
        &mut self,
        delivery_id: i64,
        attempt: &Attempt,
        policy: &FailurePolicy,
        jitter: f64,
    ) -> Result<AttemptRecorded>;
    /// Writes the time-based events due at `now` that were not written before; returns how many.
    fn scan_deadlines(&mut self, now: DateTime<Utc>) -> Result<u64>;
    fn webhook_figures(&self) -> Result<WebhookFigures>;
}

/// A new event's public id (the `webhook-id` header).
pub(crate) fn new_event_id() -> Result<String> {
    let mut id = [0u8; 16];
    getrandom::getrandom(&mut id).map_err(|e| StoreError::Internal(format!("no randomness for an event id: {e}")))?;
    Ok(format!("evt_{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// A time as stored, in whole seconds, rounded up: a wait that ends there never ends early.
pub(crate) fn seconds_up(at: DateTime<Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

/// Where a delivery claimed at `now` waits while it is being sent (as its next attempt).
pub(crate) fn lease_end(now: DateTime<Utc>, lease: Duration) -> i64 {
    now.checked_add_signed(lease).map_or(i64::MAX, seconds_up)
}

/// A delivery's status after its `attempts`th attempt, with when to try again if it is still pending.
pub(crate) fn after_attempt(
    attempt: &Attempt,
    attempts: u32,
    retry: &RetryPolicy,
    jitter: f64,
) -> (DeliveryStatus, Option<i64>) {
    if attempt.succeeded() {
        return (DeliveryStatus::Delivered, None);
    }
    match retry.next_wait(attempts, jitter) {
        Some(wait) => (DeliveryStatus::Pending, Some(seconds_up(attempt.at + wait))),
        None => (DeliveryStatus::Failed, None),
    }
}

/// Why an endpoint was switched off, for the administrator who switches it on again.
pub(crate) fn disable_reason(failures: u32, since: DateTime<Utc>) -> String {
    format!("{failures} failed attempts in a row since {}", since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// An endpoint's events as stored (a JSON array of event types).
pub(crate) fn stored_events(text: &str) -> std::result::Result<Vec<EventKind>, String> {
    serde_json::from_str(text).map_err(|e| format!("events: {e}"))
}

/// A stored failure count as the endpoint shows it.
pub(crate) fn failure_count(stored: i64) -> u32 {
    stored.clamp(0, u32::MAX.into()) as u32
}

/// A time-based event that is due.
pub(crate) struct DeadlineEvent {
    pub(crate) kind: EventKind,
    pub(crate) subject: (&'static str, i64),
    pub(crate) deadline: DateTime<Utc>,
    pub(crate) data: serde_json::Value,
}

impl DeadlineEvent {
    /// What an open case near or past its deadline signals at `now`, by the cases' SLA rule.
    pub(crate) fn for_case(
        id: i64,
        urgency: String,
        opened_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DeadlineEvent> {
        let kind = case_signal(tangkal_cases::sla(opened_at, due_at, None, now))?;
        let data = json!({ "case_id": id, "urgency": urgency, "due_at": due_at });
        Some(DeadlineEvent { kind, subject: ("case", id), deadline: due_at, data })
    }

    /// A takedown request with `pending` URLs at a deadline that has come, when that makes it overdue.
    pub(crate) fn for_takedown(
        id: i64,
        case_id: i64,
        reference: String,
        platform: String,
        due_at: DateTime<Utc>,
        pending: i64,
        now: DateTime<Utc>,
    ) -> Option<DeadlineEvent> {
        if !takedown_overdue(pending.max(0) as u64, due_at, now) {
            return None;
        }
        let data = json!({
            "takedown_id": id, "case_id": case_id, "reference": reference, "platform": platform,
            "due_at": due_at, "pending_urls": pending,
        });
        Some(DeadlineEvent { kind: EventKind::TakedownOverdue, subject: ("takedown", id), deadline: due_at, data })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rusqlite::params;
    use tangkal_cases::{Actor, Change, NewCase, Role, Status, Urgency, UserRef};

    use super::*;
    use crate::testing::{on_both_backends, Backend};
    use crate::{NewUser, SqliteStore, Store};

    on_both_backends!(
        changes_write_their_event_and_a_delivery_per_subscribed_endpoint,
        a_claimed_delivery_waits_for_its_attempt_or_the_end_of_its_lease,
        deadline_events_are_written_once_per_deadline_and_never_for_finished_cases,
        failures_back_off_then_fail_and_a_failing_endpoint_is_disabled_and_audited,
    );

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
    }

    fn endpoint(store: &mut dyn Store, events: &[EventKind]) -> i64 {
        let new = NewWebhook { url: "https://hooks.example.org/".into(), events: events.to_vec(), description: None };
        store.create_webhook(&new, "whsec_AAAA", "admin#1 (admin)", t0()).unwrap().id
    }

    fn open(store: &mut dyn Store, urgency: Urgency, at: DateTime<Utc>) -> i64 {
        let new = NewCase { title: "Foto banjir".into(), urgency, ..NewCase::default() };
        store.open_case(&new, "detector:claims", at).unwrap().id
    }

    /// The events as stored, oldest first.
    fn events(backend: &Backend) -> Vec<(String, String)> {
        match backend {
            Backend::Sqlite(dir) => {
                let store = SqliteStore::open_in(dir.path()).unwrap();
                let mut stmt = store.conn.prepare("SELECT kind, subject FROM webhook_events ORDER BY id").unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
            }
            Backend::Postgres(scratch, _) => {
                let mut client = ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap();
                let rows = client.query("SELECT kind, subject FROM webhook_events ORDER BY id", &[]).unwrap();
                rows.iter().map(|r| (r.get(0), r.get(1))).collect()
            }
        }
    }

    /// Dismisses a case at `at` behind the store's back (no rule would let it be dismissed then).
    fn dismiss_at(backend: &Backend, case: i64, at: DateTime<Utc>) {
        match backend {
            Backend::Sqlite(dir) => {
                let store = SqliteStore::open_in(dir.path()).unwrap();
                let sql = "UPDATE cases SET status = 'dismissed', finished_at = ?2 WHERE id = ?1";
                store.conn.execute(sql, params![case, at.timestamp()]).unwrap();
            }
            Backend::Postgres(scratch, _) => {
                let mut client = ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap();
                let sql = "UPDATE cases SET status = 'dismissed', finished_at = $2 WHERE id = $1";
                client.execute(sql, &[&case, &at.timestamp()]).unwrap();
            }
        }
    }

    const POLICY: FailurePolicy = FailurePolicy {
        retry: RetryPolicy { base: Duration::seconds(60), max: Duration::hours(1), max_attempts: 3 },
        disable: DisablePolicy { failures: 5, period: Duration::zero() },
    };

    const LEASE: Duration = Duration::minutes(5);

    fn attempt(status: Option<u16>, at: DateTime<Utc>) -> Attempt {
        Attempt { at, status_code: status, error: None, latency_ms: 3, response_body: None }
    }

    fn changes_write_their_event_and_a_delivery_per_subscribed_endpoint(backend: &Backend) {
        let mut store = backend.open();
        let opened = endpoint(&mut *store, &[EventKind::CaseOpened]);
        let approved = endpoint(&mut *store, &[EventKind::VerdictApproved]);
        let case = open(&mut *store, Urgency::Normal, t0() + Duration::milliseconds(250));
        assert_eq!(events(backend), [("case.opened".to_string(), format!("case:{case}"))]);
        assert!(store.claim_due_deliveries(t0(), &[opened], 10, LEASE).unwrap().is_empty(), "a busy endpoint waits");
        let due = store.claim_due_deliveries(t0(), &[], 10, LEASE).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].endpoint_id, due[0].kind), (opened, EventKind::CaseOpened));
        assert_eq!((due[0].url.as_str(), due[0].secret.as_str()), ("https://hooks.example.org/", "whsec_AAAA"));
        let data: serde_json::Value = serde_json::from_str(&due[0].data).unwrap();
        assert_eq!(data["case_id"], case);
        assert_eq!(data["due_at"], "2026-03-03T01:00:00Z", "times as stored: whole seconds");
        assert_eq!(store.count_webhook_deliveries(approved, None).unwrap(), 0);

        // The verdict's approval, not its proposal, is an event.
        let user = |store: &mut dyn Store, name: &str, role| {
            let new = NewUser {
                username: name,
                display_name: name,
                role,
                platform: None,
                organisation: "Tangkal",
                password_hash: "x",
                time_zone: "Asia/Jakarta",
            };
            let u = store.add_user(&new, "test", t0()).unwrap();
            Actor::new(UserRef { id: u.id, name: u.username }, role, None)
        };
        let (analyst, reviewer) = (user(&mut *store, "ana", Role::Analyst), user(&mut *store, "rina", Role::Reviewer));
        for to in [Status::Triage, Status::Investigating] {
            store.update_case(case, Change::Move { to, reason: None }, &analyst, t0()).unwrap();
        }
        let draft =
            serde_json::from_value(json!({"rating": "HOAKS", "misinfo_type": "fabricated", "explanation": "x"}));
        store.update_case(case, Change::ProposeVerdict(draft.unwrap()), &analyst, t0()).unwrap();
        assert_eq!(store.count_webhook_deliveries(approved, None).unwrap(), 0);
        store.update_case(case, Change::ReviewVerdict { approve: true, note: None }, &reviewer, t0()).unwrap();
        let deliveries = store.webhook_deliveries(approved, None, 10, 0).unwrap();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(
            (deliveries[0].event_type, deliveries[0].status),
            (EventKind::VerdictApproved, DeliveryStatus::Pending)
        );
        assert_eq!(store.count_webhook_deliveries(approved, Some(DeliveryStatus::Pending)).unwrap(), 1);
        assert_eq!(store.count_webhook_deliveries(approved, Some(DeliveryStatus::Delivered)).unwrap(), 0);
        let listed: Vec<i64> = store.webhooks().unwrap().iter().map(|e| e.id).collect();
        assert_eq!(listed, [opened, approved], "oldest first");
    }

    fn a_claimed_delivery_waits_for_its_attempt_or_the_end_of_its_lease(backend: &Backend) {
        let mut store = backend.open();
        let id = endpoint(&mut *store, &[EventKind::CaseOpened]);
        open(&mut *store, Urgency::Normal, t0());
        open(&mut *store, Urgency::Normal, t0());
        let [second, first] = [0, 1].map(|i| store.webhook_deliveries(id, None, 10, 0).unwrap()[i].id);
        let claim = |store: &mut Box<dyn Store>, at| {
            let due = store.claim_due_deliveries(at, &[], 10, LEASE).unwrap();
            due.iter().map(|d| d.delivery_id).collect::<Vec<_>>()
        };
        assert_eq!(claim(&mut store, t0()), [first], "the endpoint's oldest");
        let leased = &store.webhook_deliveries(id, None, 10, 0).unwrap()[1];
        assert_eq!(leased.next_attempt_at, Some(t0() + LEASE), "its lease shows as its next attempt");
        // Whoever looks next (this server without its list of busy endpoints, or another) gets the next one.
        assert_eq!(claim(&mut store, t0()), [second]);
        assert!(claim(&mut store, t0() + LEASE - Duration::seconds(1)).is_empty(), "both under way");
        // The first is delivered; the server sending the second stopped before recording it: when its
        // lease ends, it is sent again.
        store.record_attempt(first, &attempt(Some(204), t0() + Duration::seconds(2)), &POLICY, 1.0).unwrap();
        assert_eq!(claim(&mut store, t0() + LEASE), [second]);
        store.record_attempt(second, &attempt(Some(204), t0() + LEASE), &POLICY, 1.0).unwrap();
        assert!(claim(&mut store, t0() + Duration::days(1)).is_empty(), "both delivered");
        assert_eq!(store.count_webhook_deliveries(id, Some(DeliveryStatus::Delivered)).unwrap(), 2);
    }

    fn deadline_events_are_written_once_per_deadline_and_never_for_finished_cases(backend: &Backend) {
        let mut store = backend.open();
        endpoint(&mut *store, &EventKind::ALL);
        let urgent = open(&mut *store, Urgency::Urgent, t0());
        let closed_in_time = open(&mut *store, Urgency::Urgent, t0());
        dismiss_at(backend, closed_in_time, t0() + Duration::hours(1));
        let base = events(backend).len();
        assert_eq!(store.scan_deadlines(t0() + Duration::minutes(119)).unwrap(), 0);
        assert_eq!(store.scan_deadlines(t0() + Duration::minutes(121)).unwrap(), 1);
        assert_eq!(store.scan_deadlines(t0() + Duration::minutes(150)).unwrap(), 0, "due soon once");
        assert_eq!(store.scan_deadlines(t0() + Duration::hours(5)).unwrap(), 1);
        assert_eq!(store.scan_deadlines(t0() + Duration::hours(9)).unwrap(), 0, "breached once");
        let subject = format!("case:{urgent}");
        let written: Vec<_> = events(backend).into_iter().skip(base).collect();
        assert_eq!(written, [("case.due_soon".to_string(), subject.clone()), ("case.breached".to_string(), subject)]);
        // A case opened and found only after its deadline gets only the breach.
        let late = open(&mut *store, Urgency::Urgent, t0() + Duration::hours(10));
        assert_eq!(store.scan_deadlines(t0() + Duration::hours(15)).unwrap(), 1);
        assert_eq!(events(backend).last().unwrap(), &("case.breached".to_string(), format!("case:{late}")));
    }

    fn failures_back_off_then_fail_and_a_failing_endpoint_is_disabled_and_audited(backend: &Backend) {
        let mut store = backend.open();
        let id = endpoint(&mut *store, &[EventKind::CaseOpened]);
        open(&mut *store, Urgency::Normal, t0());
        let delivery = store.claim_due_deliveries(t0(), &[], 10, LEASE).unwrap()[0].delivery_id;
        let recorded = store.record_attempt(delivery, &attempt(Some(500), t0()), &POLICY, 1.0).unwrap();
        assert_eq!(recorded, AttemptRecorded { status: DeliveryStatus::Pending, endpoint_disabled: false });
        let claim = |store: &mut Box<dyn Store>, at| store.claim_due_deliveries(at, &[], 10, LEASE).unwrap();
        assert!(claim(&mut store, t0() + Duration::seconds(59)).is_empty(), "backing off");
        assert_eq!(claim(&mut store, t0() + Duration::seconds(60)).len(), 1);
        store.record_attempt(delivery, &attempt(None, t0() + Duration::seconds(60)), &POLICY, 1.0).unwrap();
        let last = store.record_attempt(delivery, &attempt(Some(502), t0() + Duration::hours(1)), &POLICY, 1.0);
        assert_eq!(last.unwrap().status, DeliveryStatus::Failed);
        let logged = &store.webhook_deliveries(id, None, 10, 0).unwrap()[0];
        assert_eq!(logged.attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(), [Some(500), None, Some(502)]);
        assert_eq!(logged.next_attempt_at, None);
        assert_eq!(store.webhook(id).unwrap().unwrap().consecutive_failures, 3);
        let missing = store.record_attempt(-1, &attempt(Some(204), t0()), &POLICY, 1.0);
        assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");

        for n in 0..2 {
            open(&mut *store, Urgency::Normal, t0());
            let due = claim(&mut store, t0() + Duration::hours(2))[0].delivery_id;
            let recorded = store.record_attempt(due, &attempt(Some(500), t0() + Duration::hours(2)), &POLICY, 0.0);
            assert_eq!(recorded.unwrap().endpoint_disabled, n == 1);
        }
        let disabled = store.webhook(id).unwrap().unwrap();
        assert!(!disabled.enabled && disabled.disabled_reason.unwrap().starts_with("5 failed attempts"));
        assert_eq!(store.webhook_figures().unwrap(), WebhookFigures { pending: 2, disabled_endpoints: 1 });
        assert!(claim(&mut store, t0() + Duration::days(1)).is_empty(), "disabled: nothing sent");
        let filter = crate::AuditFilter { entity: Some("webhook".into()), entity_id: Some(id.to_string()) };
        let trail = store.audit_events(&filter, 10, 0).unwrap();
        assert!(trail.iter().any(|e| e.action == "webhook.disable" && e.actor == WEBHOOK_ACTOR));
        assert!(trail.iter().all(|e| !e.after.as_deref().unwrap_or("").contains("whsec_")), "no secret in the trail");

        let enabled = store.enable_webhook(id, "admin", t0() + Duration::days(1)).unwrap().unwrap();
        assert!(enabled.enabled && enabled.consecutive_failures == 0);
        assert_eq!(claim(&mut store, t0() + Duration::days(1)).len(), 1);
        assert!(store.delete_webhook(id, "admin", t0()).unwrap());
        assert!(!store.delete_webhook(id, "admin", t0()).unwrap());
        assert_eq!(store.webhook(id).unwrap(), None);
        assert_eq!(store.enable_webhook(id, "admin", t0()).unwrap(), None);
        assert_eq!(store.webhook_figures().unwrap(), WebhookFigures::default());
        let actions: Vec<String> = store.audit_events(&filter, 10, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "webhook.delete").count(), 1, "{actions:?}");
    }
}
