//! Prometheus metrics: request counts and latencies per route, the case and takedown load against
//! their deadlines, and webhook deliveries.

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
        }
    }
}

impl Metrics {
    /// Counts the texts the instant-answer matcher was asked about (not those answered from its cache).
    pub fn register_matcher_calls(&mut self, calls: Counter) {
        self.registry.register("matcher_calls", "Texts the instant-answer matcher matched (cache misses)", calls);
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
