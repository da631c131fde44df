//! Prometheus metrics: request counts and latencies per route, the case and takedown load against
//! their deadlines, webhook deliveries, and the distributed intake when the server publishes to it.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::AppState;

// Every label value comes from a closed set (standard methods, declared route templates, status
// codes), so no client can add series: a label taken from the request would let each invented method
// or path grow the registry, and the scrape, for good.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// `delivered` or `failed`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct AttemptLabels {
    pub outcome: &'static str,
}

/// A tipline channel and what became of a message (a closed set of words).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ChannelOutcome {
    pub channel: &'static str,
    pub outcome: &'static str,
}

impl ChannelOutcome {
    pub fn of(channel: tangkal_tiplines::Channel, outcome: &'static str) -> ChannelOutcome {
        ChannelOutcome { channel: channel.as_str(), outcome }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// The label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Standard methods by name; anything else (extension methods, invented ones) is `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN.iter().find(|known| *known == method).map_or("other", Method::as_str)
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub open_cases: Gauge,
    pub breached_cases: Gauge,
    pub overdue_takedowns: Gauge,
    pub(crate) webhook_attempts: Family<AttemptLabels, Counter>,
    pub webhook_deliveries_pending: Gauge,
    pub webhook_endpoints_disabled: Gauge,
    pub(crate) tipline_messages: Family<ChannelOutcome, Counter>,
    pub(crate) tipline_sends: Family<ChannelOutcome, Counter>,
    pub(crate) intake: Option<IntakeGauges>,
}

/// The distributed intake's figures, as `tangkal status` reads them, at each scrape.
#[derive(Default)]
pub(crate) struct IntakeGauges {
    pub up: Gauge,
    pub stream_depth: Gauge,
    pub last_sequence: Gauge,
    pub pending: Gauge,
    pub ack_pending: Gauge,
    pub redelivered: Gauge,
    pub ack_floor: Gauge,
    pub dead_letters: Gauge,
    pub matching_depth: Gauge,
    pub workers_alive: Gauge,
    pub placer_alive: Gauge,
    pub placer_covered: Gauge,
}

impl IntakeGauges {
    /// Sets every figure from `status`, or only `up` to 0 when NATS did not answer (the others keep their
    /// last values, which the 0 qualifies).
    pub fn set(&self, status: Option<&tangkal_intake::IntakeStatus>) {
        let Some(s) = status else {
            self.up.set(0);
            return;
        };
        let gauge = |g: &Gauge, v: u64| g.set(i64::try_from(v).unwrap_or(i64::MAX));
        self.up.set(1);
        gauge(&self.stream_depth, s.stream_depth);
        gauge(&self.last_sequence, s.last_seq);
        gauge(&self.pending, s.pending);
        gauge(&self.ack_pending, s.ack_pending);
        gauge(&self.redelivered, s.redelivered);
        gauge(&self.ack_floor, s.ack_floor);
        gauge(&self.dead_letters, s.dead_letters);
        gauge(&self.matching_depth, s.matching_depth);
        gauge(&self.workers_alive, s.workers.len() as u64);
        gauge(&self.placer_alive, u64::from(s.placer.is_some()));
        let covered = s.placer.as_ref().and_then(|p| p.figures["covered"].as_u64()).unwrap_or(0);
        gauge(&self.placer_covered, covered);
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("tangkal");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let (open_cases, breached_cases, overdue_takedowns) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("cases_open", "Open cases", open_cases.clone());
        registry.register("cases_breached", "Open cases past their response deadline", breached_cases.clone());
        registry.register(
            "takedowns_overdue",
            "Takedown requests with a URL still pending past its deadline",
            overdue_takedowns.clone(),
        );
        let webhook_attempts = Family::<AttemptLabels, Counter>::default();
        let (webhook_deliveries_pending, webhook_endpoints_disabled) = (Gauge::default(), Gauge::default());
        registry.register(
            "webhook_delivery_attempts",
            "Webhook delivery attempts since start, by outcome (delivered: a 2xx answer)",
            webhook_attempts.clone(),
        );
        registry.register(
            "webhook_deliveries_pending",
            "Webhook deliveries not yet accepted by their endpoint",
            webhook_deliveries_pending.clone(),
        );
        registry.register(
            "webhook_endpoints_disabled",
            "Webhook endpoints disabled after failing repeatedly",
            webhook_endpoints_disabled.clone(),
        );
        let tipline_messages = Family::<ChannelOutcome, Counter>::default();
        let tipline_sends = Family::<ChannelOutcome, Counter>::default();
        registry.register(
            "tipline_messages",
            "Tipline messages taken, by channel and outcome (answered, received, other, duplicate, over_budget)",
            tipline_messages.clone(),
        );
        registry.register(
            "tipline_sends",
            "Tipline messages sent, by channel and outcome (sent, dropped by the platform's rules, failed attempt)",
            tipline_sends.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            open_cases,
            breached_cases,
            overdue_takedowns,
            webhook_attempts,
            webhook_deliveries_pending,
            webhook_endpoints_disabled,
            tipline_messages,
            tipline_sends,
            intake: None,
        }
    }
}

impl Metrics {
    /// Counts the texts the instant-answer matcher was asked about (not those answered from its cache).
    pub fn register_matcher_calls(&mut self, calls: Counter) {
        self.registry.register("matcher_calls", "Texts the instant-answer matcher matched (cache misses)", calls);
    }

    /// Adds the distributed intake's figures (`tangkal_intake_*`).
    pub fn register_intake(&mut self) {
        let g = IntakeGauges::default();
        let r = &mut self.registry;
        r.register("intake_up", "1 when the intake's NATS answered the last scrape", g.up.clone());
        r.register(
            "intake_stream_messages",
            "Messages in the items stream (not yet acknowledged)",
            g.stream_depth.clone(),
        );
        r.register(
            "intake_last_sequence",
            "The items stream's last sequence (messages published)",
            g.last_sequence.clone(),
        );
        r.register("intake_pending", "Messages no worker has fetched yet", g.pending.clone());
        r.register("intake_ack_pending", "Messages held by workers, not yet acknowledged", g.ack_pending.clone());
        r.register(
            "intake_redelivered",
            "Messages delivered more than once, not yet acknowledged",
            g.redelivered.clone(),
        );
        r.register(
            "intake_ack_floor",
            "Stream sequence at and below which every message is acknowledged (its rate: items stored per second)",
            g.ack_floor.clone(),
        );
        r.register("intake_dead_letters", "Messages in the dead-letter stream", g.dead_letters.clone());
        r.register("intake_matching_depth", "Narratives waiting for claim matching", g.matching_depth.clone());
        r.register("intake_workers_alive", "Workers heard from within the heartbeat lifetime", g.workers_alive.clone());
        r.register("intake_placer_alive", "1 when an elected placer is heard from", g.placer_alive.clone());
        r.register(
            "intake_placer_covered",
            "Stream sequence up to which the placer has placed items (ack_floor minus this: placer lag)",
            g.placer_covered.clone(),
        );
        self.intake = Some(g);
    }

    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Records every request under its route template (`/api/v1/cases/{id}`), never the raw path, and its
/// method if standard, so the label set stays bounded.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let m = &state.metrics;
    m.requests.get_or_create(&RequestLabels { method, route: route.clone(), status }).inc();
    m.latency.get_or_create(&RouteLabels { method, route }).observe(start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&Method::from_bytes(b"get").unwrap()), "other");
    }
}
