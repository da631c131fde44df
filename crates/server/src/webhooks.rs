//! The two webhook tasks of a running server. The scanner writes the time-based events (a case due soon
//! or breached, a takedown overdue) into the outbox as their moments come, by the injected clock. The
//! sender POSTs pending deliveries: one at a time per endpoint and `concurrency` at once in all, each
//! bounded by a timeout, so a slow or dead endpoint holds at most one slot and never the workflow, whose
//! changes only write to the outbox. Both work from the store alone: a restart resumes where it stopped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tangkal_response::claimreview::SiteConfig;
use tangkal_response::webhook::{
    is_public, signature, Attempt, DeliveryStatus, DisablePolicy, RetryPolicy, MAX_KEPT_RESPONSE_BYTES,
};
use tangkal_store::{DueDelivery, FailurePolicy};
use tokio::task::JoinSet;

use crate::AppState;

/// The `[webhooks]` section of `tangkal.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Send deliveries. Off, events still reach the outbox and wait: for a staging copy of a desk's data,
    /// which must not call the desk's real receivers.
    pub send: bool,
    /// Let endpoints be loopback, private or link-local addresses (a receiver on the same network).
    /// Off by default: an administrator's token must not become a way to reach internal services.
    pub allow_private_addresses: bool,
    /// Longest wait for an endpoint's answer (connecting included).
    pub timeout_secs: u64,
    /// Deliveries under way at once; each endpoint gets one at a time.
    pub concurrency: usize,
    /// Attempts per delivery, the first included.
    pub max_attempts: u32,
    /// Wait after a first failure; it doubles after each further one, up to `retry_max_secs`.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// An endpoint is disabled after this many failed attempts in a row...
    pub disable_after_failures: u32,
    /// ...spanning at least this many hours.
    pub disable_after_hours: u64,
    /// How often the sender looks for due deliveries.
    pub poll_interval_ms: u64,
    /// How often deadlines are checked for due-soon, breached and overdue events.
    pub scan_interval_ms: u64,
    /// The key that seals signing secrets in the database [default: DATA_DIR/webhooks.key].
    pub key_file: Option<std::path::PathBuf>,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            send: true,
            allow_private_addresses: false,
            timeout_secs: 10,
            concurrency: 8,
            max_attempts: 10,
            retry_base_secs: 30,
            retry_max_secs: 6 * 3600,
            disable_after_failures: 15,
            disable_after_hours: 24,
            poll_interval_ms: 1000,
            scan_interval_ms: 30_000,
            key_file: None,
        }
    }
}

/// How long recording an attempt may take after its answer came, on top of the timeout.
const RECORDING_MARGIN_SECS: u64 = 60;

/// A duration from settings, capped where chrono's durations end.
fn seconds(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000).min(i64::MAX / 1000))
}

impl WebhookSettings {
    /// How long a claimed delivery is left to this server: an attempt's longest wait and its recording.
    /// Another server sends it only when this runs out (this one stopped mid-send).
    fn claim_lease(&self) -> chrono::Duration {
        seconds(self.timeout_secs.max(1).saturating_add(RECORDING_MARGIN_SECS))
    }

    fn failure_policy(&self) -> FailurePolicy {
        FailurePolicy {
            retry: RetryPolicy {
                base: seconds(self.retry_base_secs),
                max: seconds(self.retry_max_secs),
                max_attempts: self.max_attempts.max(1),
            },
            disable: DisablePolicy {
                failures: self.disable_after_failures.max(1),
                period: seconds(self.disable_after_hours.saturating_mul(3600)),
            },
        }
    }
}

/// Starts the scanner, and the sender unless sending is off. Nothing is done before returning (the TLS
/// set-up of the client takes a moment), so the server starts taking requests, and its shutdown signal,
/// at once.
pub(crate) fn spawn(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![tokio::spawn(scan_periodically(state.clone()))];
    if state.config.webhooks.send {
        tasks.push(tokio::spawn(send_periodically(state.clone())));
    }
    tasks
}

async fn scan_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(Duration::from_millis(state.config.webhooks.scan_interval_ms.max(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = state.clock.now();
        // A failure is logged where it is turned into a problem; the next scan tries again.
        let _ = state.pool.run(move |s| s.scan_deadlines(now)).await;
    }
}

async fn send_periodically(state: AppState) {
    let settings = &state.config.webhooks;
    let client = match client(settings) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for webhooks: nothing will be sent");
            return;
        }
    };
    let concurrency = settings.concurrency.max(1);
    let mut ticks = tokio::time::interval(Duration::from_millis(settings.poll_interval_ms.max(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut in_flight = JoinSet::new();
    let mut busy: HashMap<tokio::task::Id, i64> = HashMap::new();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            Some(done) = in_flight.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                busy.remove(&id);
            }
        }
        let free = concurrency.saturating_sub(in_flight.len());
        if free == 0 {
            continue;
        }
        let (now, skip): (_, Vec<i64>) = (state.clock.now(), busy.values().copied().collect());
        let lease = settings.claim_lease();
        let Ok(due) = state.pool.run(move |s| s.claim_due_deliveries(now, &skip, free, lease)).await else { continue };
        for delivery in due {
            let endpoint = delivery.endpoint_id;
            let task = in_flight.spawn(deliver(state.clone(), client.clone(), delivery));
            busy.insert(task.id(), endpoint);
        }
    }
}

/// The HTTP client for deliveries: no redirects (a redirect could lead to an address that was not
/// checked), no proxy from the environment, and unless private addresses are allowed, a resolver that
/// only returns public addresses, so a name cannot be pointed at an internal service after it was
/// registered.
fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    let timeout = Duration::from_secs(settings.timeout_secs.max(1));
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Tangkal-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private_addresses {
        builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
    }
    builder.build()
}

struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err("the name resolves to no public address".into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The body receivers get, Standard Webhooks style: `type`, `timestamp` (when it happened) and `data`,
/// with the public page's address added to a clarification. The same on every attempt.
fn payload(delivery: &DueDelivery, site: &SiteConfig) -> String {
    let mut data: Value = serde_json::from_str(&delivery.data).unwrap_or(Value::Null);
    if let Some(slug) = data.get("slug").and_then(Value::as_str) {
        data["url"] = json!(site.clarification_url(slug));
    }
    json!({ "type": delivery.kind, "timestamp": delivery.occurred_at, "data": data }).to_string()
}

async fn deliver(state: AppState, client: reqwest::Client, delivery: DueDelivery) {
    let settings = &state.config.webhooks;
    let body = payload(&delivery, &state.config.response.site);
    let at = state.clock.now();
    let started = Instant::now();
    let answer = match state.webhook_secrets.open(&delivery.secret) {
        Ok(secret) => post(&client, &delivery, &secret, &body, at.timestamp(), settings.allow_private_addresses).await,
        Err(why) => Err(format!("cannot sign: {why}")),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let attempt = match answer {
        Ok((status, response_body)) => {
            Attempt { at, status_code: Some(status), error: None, latency_ms, response_body: Some(response_body) }
        }
        Err(error) => Attempt { at, status_code: None, error: Some(error), latency_ms, response_body: None },
    };
    let outcome = if attempt.succeeded() { "delivered" } else { "failed" };
    state.metrics.webhook_attempts.get_or_create(&crate::metrics::AttemptLabels { outcome }).inc();
    let (policy, jitter) = (settings.failure_policy(), f64::from(OsRng.next_u32()) / f64::from(u32::MAX));
    let id = delivery.delivery_id;
    let Ok(recorded) = state.pool.run(move |s| s.record_attempt(id, &attempt, &policy, jitter)).await else { return };
    if recorded.status == DeliveryStatus::Failed {
        tracing::warn!(endpoint = delivery.endpoint_id, event = %delivery.event_id, "webhook delivery given up");
    }
    if recorded.endpoint_disabled {
        // The id only: an endpoint's URL may carry a token of the receiver's.
        tracing::warn!(endpoint = delivery.endpoint_id, "webhook endpoint disabled after repeated failures");
    }
}

/// POSTs one delivery; the status and the start of the answer, or why there was none.
async fn post(
    client: &reqwest::Client,
    delivery: &DueDelivery,
    secret: &str,
    body: &str,
    timestamp: i64,
    allow_private: bool,
) -> Result<(u16, String), String> {
    let url = reqwest::Url::parse(&delivery.url).map_err(|e| format!("not a URL: {e}"))?;
    // Address literals never reach the resolver.
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if literal.is_some_and(|ip| !allow_private && !is_public(ip)) {
        return Err("the address is not public".to_string());
    }
    let signature = signature(secret, &delivery.event_id, timestamp, body.as_bytes())
        .ok_or_else(|| "the endpoint's secret cannot sign".to_string())?;
    let mut response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &delivery.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .map_err(describe)?;
    let status = response.status().as_u16();
    let mut kept = Vec::new();
    while kept.len() < MAX_KEPT_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(MAX_KEPT_RESPONSE_BYTES);
    let text = String::from_utf8_lossy(&kept);
    // A cut in the middle of a character shows as U+FFFD at the end: drop it.
    Ok((status, text.trim_end_matches('\u{fffd}').to_string()))
}

/// Why a request got no answer, without its URL.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clarification_events_carry_their_public_address() {
        let delivery = DueDelivery {
            delivery_id: 1,
            endpoint_id: 1,
            url: "https://hooks.example.org/".into(),
            secret: "whsec_AAAA".into(),
            event_id: "evt_1".into(),
            kind: tangkal_response::webhook::EventKind::ClarificationPublished,
            data: r#"{"clarification_id": 4, "slug": "hoaks-banjir"}"#.into(),
            occurred_at: chrono::DateTime::from_timestamp(1_772_000_000, 0).unwrap(),
        };
        let site = SiteConfig { base_url: "https://cek.example.go.id/".into(), ..SiteConfig::default() };
        let body: Value = serde_json::from_str(&payload(&delivery, &site)).unwrap();
        assert_eq!(body["type"], "clarification.published");
        assert_eq!(body["data"]["url"], "https://cek.example.go.id/cek-fakta/hoaks-banjir");
        assert_eq!(body["timestamp"], "2026-02-25T06:13:20Z");
    }
}
