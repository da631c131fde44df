//! Sends a scenario's events to a server when the drill's clock reaches them, through the server's own
//! API, as collectors and citizens would: posts to `POST /api/v1/items` (an analyst's or administrator's
//! token), reports to `POST /api/v1/reports`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as WallDuration;

use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};

use crate::scenario::{clock_text, Action, Scenario};
use crate::DrillClock;

/// Items in one push (the API's limit).
const PUSH_LIMIT: usize = 1000;
/// How often a wait looks at the stop flag.
const POLL: WallDuration = WallDuration::from_millis(100);
/// Tries of one request the server asks to retry (503, 429).
const TRIES: u32 = 10;

/// Where the events go.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:8080`
    pub base: String,
    /// An API token whose role may push items.
    pub token: String,
}

/// What the replay sent and what the server made of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReplayTotals {
    pub posts_sent: u64,
    pub posts_refused: u64,
    pub reports_sent: u64,
    pub reports_refused: u64,
    /// Reports a published fact-check answered on the spot.
    pub reports_answered: u64,
    /// Cases the server opened for debunked narratives as the posts came in.
    pub cases_opened: u64,
}

/// Sends each event of `scenario` when `clock` reaches it, then waits for the drill's end; returns early
/// when `stop` is set. `told` hears a line for each step, for the operator's console.
pub fn replay(
    scenario: &Scenario,
    target: &Target,
    clock: &DrillClock,
    stop: &AtomicBool,
    mut told: impl FnMut(String),
) -> anyhow::Result<ReplayTotals> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(WallDuration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into();
    let base = target.base.trim_end_matches('/');
    let mut totals = ReplayTotals::default();
    let mut next = 0;
    let mut hours_told = 0;
    while next < scenario.events.len() {
        if !wait_until(clock, scenario.events[next].at, stop) {
            return Ok(totals);
        }
        let now = clock.elapsed();
        if now.num_hours() > hours_told {
            hours_told = now.num_hours();
            told(format!(
                "{}  so far: {} posts, {} reports, {} cases opened by the detector",
                clock_text(chrono::Duration::hours(hours_told)),
                totals.posts_sent,
                totals.reports_sent,
                totals.cases_opened
            ));
        }
        let due = scenario.events[next..].iter().take_while(|e| e.at <= now).count();
        let events = &scenario.events[next..next + due];
        next += due;
        let posts: Vec<Value> =
            events.iter().filter(|e| matches!(e.action, Action::Post(_))).map(|e| e.body(clock.started_at())).collect();
        for batch in posts.chunks(PUSH_LIMIT) {
            let receipt =
                send(&agent, &format!("{base}/api/v1/items"), Some(&target.token), &json!({ "items": batch }))
                    .context("cannot push the drill's posts")?;
            totals.posts_sent += batch.len() as u64;
            totals.posts_refused += receipt["rejected"].as_u64().unwrap_or(0);
            let opened = receipt["cases_opened"].as_u64().unwrap_or(0);
            totals.cases_opened += opened;
            if opened > 0 {
                told(format!("{}  a hoax wave is spreading: {opened} new case(s) in the queue", clock_text(now)));
            }
            for reject in receipt["rejects"].as_array().into_iter().flatten() {
                told(format!("{}  post refused: {}", clock_text(now), reject["reason"].as_str().unwrap_or("?")));
            }
        }
        for event in events.iter().filter(|e| matches!(e.action, Action::Report(_))) {
            totals.reports_sent += 1;
            match send(&agent, &format!("{base}/api/v1/reports"), None, &event.body(clock.started_at())) {
                Ok(receipt) => {
                    let status = receipt["status"].as_str().unwrap_or("?");
                    totals.reports_answered += u64::from(status == "answered");
                    let reference = receipt["reference"].as_str().unwrap_or("?");
                    told(format!("{}  citizen report {reference}: {status}", clock_text(now)));
                }
                Err(e) => {
                    totals.reports_refused += 1;
                    told(format!("{}  citizen report refused: {e:#}", clock_text(now)));
                }
            }
        }
    }
    wait_until(clock, scenario.length, stop);
    Ok(totals)
}

/// Sleeps until the drill's clock shows `at`; false when `stop` was set meanwhile.
fn wait_until(clock: &DrillClock, at: chrono::Duration, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let left = clock.real_until(at);
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(POLL));
    }
}

/// POSTs `body` as JSON and returns the answer's JSON; retries while the server asks to (503, 429, with
/// their `Retry-After`); any other refusal is an error with the server's detail.
fn send(agent: &ureq::Agent, url: &str, token: Option<&str>, body: &Value) -> anyhow::Result<Value> {
    for _ in 0..TRIES {
        let mut request = agent.post(url).header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.send(body.to_string()).with_context(|| format!("cannot reach {url}"))?;
        let status = response.status().as_u16();
        let retry = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let text = response.body_mut().read_to_string().unwrap_or_default();
        match status {
            200..=299 => return serde_json::from_str(&text).with_context(|| format!("{url} answered with no JSON")),
            429 | 503 => std::thread::sleep(WallDuration::from_secs(retry.unwrap_or(1).clamp(1, 30))),
            _ => {
                let detail =
                    serde_json::from_str::<Value>(&text).ok().and_then(|p| p["detail"].as_str().map(String::from));
                anyhow::bail!("{url} answered {status}: {}", detail.unwrap_or(text));
            }
        }
    }
    anyhow::bail!("{url} stayed busy after {TRIES} tries")
}
