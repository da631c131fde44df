//! Webhooks: the events other systems can follow, the endpoints that receive them, how a delivery is
//! signed (the Standard Webhooks convention), when a failed one is tried again and when an endpoint
//! that keeps failing is switched off. Pure: the store keeps the outbox, the server sends.

use std::net::IpAddr;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tangkal_cases::{Sla, SlaState};
use url::{Host, Url};

use crate::takedown::{OutcomeCounts, RequestState};
use crate::text::{clean_text, web_url};
use crate::ResponseError;

/// What happened, as receivers see it in the payload's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    #[serde(rename = "case.opened")]
    CaseOpened,
    /// Two hours or less before an open case's deadline.
    #[serde(rename = "case.due_soon")]
    CaseDueSoon,
    /// An open case past its deadline.
    #[serde(rename = "case.breached")]
    CaseBreached,
    #[serde(rename = "verdict.approved")]
    VerdictApproved,
    #[serde(rename = "clarification.published")]
    ClarificationPublished,
    #[serde(rename = "takedown.sent")]
    TakedownSent,
    /// A URL of a takedown request still pending past its deadline.
    #[serde(rename = "takedown.overdue")]
    TakedownOverdue,
    #[serde(rename = "report.received")]
    ReportReceived,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::CaseOpened,
        EventKind::CaseDueSoon,
        EventKind::CaseBreached,
        EventKind::VerdictApproved,
        EventKind::ClarificationPublished,
        EventKind::TakedownSent,
        EventKind::TakedownOverdue,
        EventKind::ReportReceived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CaseOpened => "case.opened",
            EventKind::CaseDueSoon => "case.due_soon",
            EventKind::CaseBreached => "case.breached",
            EventKind::VerdictApproved => "verdict.approved",
            EventKind::ClarificationPublished => "clarification.published",
            EventKind::TakedownSent => "takedown.sent",
            EventKind::TakedownOverdue => "takedown.overdue",
            EventKind::ReportReceived => "report.received",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `case.due_soon` fires when this much or less is left.
pub const DUE_SOON: Duration = Duration::hours(2);

/// The deadline signal a case gives at `now`, from the cases' own SLA rule: breached past the deadline,
/// due soon within [`DUE_SOON`] of it while still open, nothing for a finished case. A case that breached
/// before anyone looked gets only `case.breached`: "due soon" would no longer be true.
pub fn case_signal(sla: Sla) -> Option<EventKind> {
    match sla.state {
        SlaState::Breached => Some(EventKind::CaseBreached),
        SlaState::OnTrack | SlaState::AtRisk if sla.seconds_left <= DUE_SOON.num_seconds() => {
            Some(EventKind::CaseDueSoon)
        }
        _ => None,
    }
}

/// Whether URLs of a request still pending with deadline `due` make it overdue at `now` (the takedown
/// rule of [`RequestState::derive`]).
pub fn takedown_overdue(pending: u64, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let counts = OutcomeCounts { pending, ..OutcomeCounts::default() };
    RequestState::derive(&counts, Some(due), now) == RequestState::Overdue
}

pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// An endpoint to register, as the API takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: `http` or `https` with a host, no user name or password.
    pub url: String,
    /// The event types to receive (repeats are ignored).
    pub events: Vec<EventKind>,
    /// What the endpoint is for, for the people who keep the list.
    #[serde(default)]
    pub description: Option<String>,
}

impl NewWebhook {
    /// The endpoint as it will be stored, or the first problem, naming its field. Addresses that are not
    /// public (loopback, private, link-local...) are refused unless `allow_private`.
    pub fn check(&self, allow_private: bool) -> Result<NewWebhook, ResponseError> {
        let printable = self.url.chars().all(|c| ('!'..='~').contains(&c));
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) || !printable {
            return Err(ResponseError::invalid(
                "url",
                "must start with http:// or https:// and hold only printable ASCII (percent-encode the rest)",
            ));
        }
        let url = web_url("url", &self.url)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ResponseError::invalid("url", "must not carry a user name or password"));
        }
        if !allow_private && !host_may_be_public(&url) {
            return Err(ResponseError::invalid(
                "url",
                "names a loopback, private or otherwise non-public address, which webhooks may not reach \
                 (webhooks.allow_private_addresses)",
            ));
        }
        let mut events = Vec::new();
        for kind in &self.events {
            if !events.contains(kind) {
                events.push(*kind);
            }
        }
        if events.is_empty() {
            return Err(ResponseError::invalid("events", "must name at least one event type"));
        }
        let description = match &self.description {
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                let reason = format!("is longer than {MAX_DESCRIPTION_CHARS} characters");
                return Err(ResponseError::invalid("description", reason));
            }
            Some(d) => {
                Some(clean_text("description", d, MAX_DESCRIPTION_CHARS, false, false)?).filter(|d| !d.is_empty())
            }
            None => None,
        };
        Ok(NewWebhook { url: url.to_string(), events, description })
    }
}

/// Whether the URL's host could be a public address: an address literal must be one, and names that
/// always mean this machine (`localhost`) are refused. Other names are checked again, against what they
/// resolve to, each time a delivery is sent.
fn host_may_be_public(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name != "localhost" && !name.ends_with(".localhost")
        }
        None => false,
    }
}

/// A globally routable unicast address: not loopback, private, link-local, shared (CGNAT), unspecified,
/// broadcast, multicast, documentation or benchmarking space, nor an IPv6 form of one of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b
                || first == 0)
        }
    }
}

/// A registered endpoint as the API shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<EventKind>,
    /// Disabled endpoints receive nothing until enabled again; their pending deliveries wait.
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet accepted by the endpoint; tried again at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The longest part of an endpoint's answer that is kept in the attempt log.
pub const MAX_KEPT_RESPONSE_BYTES: usize = 1024;

/// One POST to an endpoint and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The endpoint's HTTP status; absent when no answer came (timeout, refused connection...).
    pub status_code: Option<u16>,
    /// Why no answer came, or why the address was refused.
    pub error: Option<String>,
    pub latency_ms: u64,
    /// The start of the endpoint's answer (at most 1 KiB).
    pub response_body: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One event for one endpoint, with its attempts, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt.
    pub event_id: String,
    pub event_type: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<Attempt>,
}

/// Prefix of a Standard Webhooks signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks writes them.
pub fn generate_secret(rng: &mut impl CryptoRngCore) -> String {
    let mut key = [0u8; 32];
    rng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// The `webhook-signature` header of a delivery: `v1,` and the base64 HMAC-SHA256, under the secret's
/// key, of `id.timestamp.body`. None when `secret` is not a `whsec_` secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// When failed deliveries are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles after each further one.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Attempts in all, the first included; then the delivery has failed.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The wait before the next attempt after `attempts` failed ones, or None when none is left.
    /// `jitter` in [0, 1] spreads the retries of many deliveries that failed together (an endpoint
    /// coming back is not hit by all of them at once): the wait is between half and all of the
    /// doubled delay.
    pub fn next_wait(&self, attempts: u32, jitter: f64) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(30);
        let full = self.base.checked_mul(1 << doublings).unwrap_or(self.max).min(self.max);
        let half = full / 2;
        let spread = (half.num_milliseconds() as f64 * jitter.clamp(0.0, 1.0)) as i64;
        Some(full - half + Duration::milliseconds(spread))
    }
}

/// When an endpoint that keeps failing is switched off: after `failures` failed attempts in a row that
/// span at least `period` (a short outage should not cost the subscription).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisablePolicy {
    pub failures: u32,
    pub period: Duration,
}

impl DisablePolicy {
    pub fn should_disable(&self, consecutive_failures: u32, failing_since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        consecutive_failures >= self.failures && now - failing_since >= self.period
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn new(url: &str, events: Vec<EventKind>) -> NewWebhook {
        NewWebhook { url: url.into(), events, description: None }
    }

    #[test]
    fn event_types_round_trip_by_name() {
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert!(serde_json::from_value::<EventKind>(serde_json::json!("case.closed")).is_err());
    }

    #[test]
    fn endpoints_need_a_web_url_a_public_host_and_an_event() {
        let ok = new("https://Hooks.Example.org/tangkal", vec![EventKind::CaseOpened, EventKind::CaseOpened]);
        let checked = ok.check(false).unwrap();
        assert_eq!((checked.url.as_str(), checked.events.len()), ("https://hooks.example.org/tangkal", 1));
        let field = |n: NewWebhook, allow| match n.check(allow) {
            Err(ResponseError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let bad_urls = [
            "ftp://example.org/",
            "https://",
            "example.org/hook",
            "https://u:p@example.org/",
            " https://example.org/",
            "HTTPS://example.org/",
            "https://example.org/ä",
        ];
        for bad in bad_urls {
            assert_eq!(field(new(bad, vec![EventKind::CaseOpened]), true), "url", "{bad}");
        }
        for private in [
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://localhost/",
            "http://api.localhost./",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
        ] {
            assert_eq!(field(new(private, vec![EventKind::CaseOpened]), false), "url", "{private}");
            assert!(new(private, vec![EventKind::CaseOpened]).check(true).is_ok(), "{private} when allowed");
        }
        assert_eq!(field(new("https://example.org/", vec![]), false), "events");
        let long = NewWebhook { description: Some("x".repeat(201)), ..ok };
        assert_eq!(field(long, false), "description");
    }

    #[test]
    fn public_addresses_are_told_from_the_rest() {
        for public in ["8.8.8.8", "203.0.114.1", "2606:4700::1111", "::ffff:1.1.1.1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for not in ["127.0.0.2", "172.16.0.1", "192.0.2.1", "224.0.0.1", "255.255.255.255", "fe80::1", "2001:db8::1"] {
            assert!(!is_public(not.parse().unwrap()), "{not}");
        }
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(signature("not-a-secret", "id", 1, body), None);
        let secret = generate_secret(&mut rand_core::OsRng);
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 44);
    }

    #[test]
    fn retries_back_off_exponentially_within_bounds_and_stop() {
        let policy = RetryPolicy { base: Duration::seconds(30), max: Duration::hours(1), max_attempts: 5 };
        assert_eq!(policy.next_wait(1, 1.0), Some(Duration::seconds(30)));
        assert_eq!(policy.next_wait(1, 0.0), Some(Duration::seconds(15)));
        assert_eq!(policy.next_wait(3, 1.0), Some(Duration::seconds(120)));
        assert_eq!(policy.next_wait(4, 0.5), Some(Duration::seconds(180)));
        assert_eq!(policy.next_wait(5, 1.0), None);
        let capped = RetryPolicy { max_attempts: 100, ..policy };
        assert_eq!(capped.next_wait(60, 1.0), Some(Duration::hours(1)));
    }

    #[test]
    fn endpoints_are_disabled_after_enough_failures_over_enough_time() {
        let policy = DisablePolicy { failures: 3, period: Duration::hours(24) };
        let since = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assert!(!policy.should_disable(2, since, since + Duration::days(3)));
        assert!(!policy.should_disable(30, since, since + Duration::hours(23)));
        assert!(policy.should_disable(3, since, since + Duration::hours(24)));
    }

    #[test]
    fn case_deadlines_give_due_soon_then_breached() {
        let opened = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let due = opened + Duration::hours(4);
        let at = |minutes| case_signal(tangkal_cases::sla(opened, due, None, opened + Duration::minutes(minutes)));
        assert_eq!(at(119), None);
        assert_eq!(at(120), Some(EventKind::CaseDueSoon));
        assert_eq!(at(240), Some(EventKind::CaseDueSoon));
        assert_eq!(at(241), Some(EventKind::CaseBreached));
        let finished = tangkal_cases::sla(opened, due, Some(opened + Duration::hours(5)), opened + Duration::hours(6));
        assert_eq!(case_signal(finished), None);
        assert!(takedown_overdue(1, due, due + Duration::seconds(1)));
        assert!(!takedown_overdue(1, due, due));
    }
}
