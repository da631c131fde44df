//! Load generator for citizen reports (`POST /api/v1/reports`), used by `scripts/bench-reports.sh`.
//!
//! Usage: `load_reports BASE_URL HOAXES.jsonl NEWS.jsonl POSTS.jsonl [RATE] [SECONDS] [SINGLE]`
//!
//! Each file holds one JSON object a line with a `text`: circulating hoax texts (mostly answered at once),
//! news texts (no fact-check: stored for triage) and stream posts (placed in their narratives).
//!
//! 1. Single reports: the hoax texts are sent once to find those the server answers at once; then `SINGLE`
//!    (default 2,000) of those are sent one at a time over one connection, and their latencies measured.
//! 2. Sustained mixed load: `RATE` reports a second (default 500) for `SECONDS` (default 20), open loop:
//!    each is sent at its scheduled instant whatever the earlier ones are doing, and its latency is counted
//!    from that instant, so a server falling behind shows in the figures instead of slowing the load
//!    (no coordinated omission). Mix: 60% hoax texts, 25% news, 15% stream posts; 30% give a contact,
//!    20% a link.
//!
//! Prints latency percentiles, the rate achieved and the answers by status.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Latencies of the sustained phase, and how many reports got each answer.
#[derive(Default)]
struct Outcomes {
    latencies: Vec<Duration>,
    statuses: BTreeMap<String, u64>,
}

/// A small deterministic generator, so every run sends the same load.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn texts(path: &str) -> Vec<String> {
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    data.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| v["text"].as_str().map(|t| t.chars().take(4000).collect::<String>()))
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(label: &str, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort();
    println!(
        "{label:<44} {:>8} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
    );
}

async fn send(client: &reqwest::Client, url: &str, body: &Value) -> Result<String, String> {
    let response = client.post(url).json(body).send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.map_err(|e| e.to_string())?;
    match status {
        201 => Ok(answer["status"].as_str().unwrap_or("?").to_string()),
        other => Err(format!("{other} {}", answer["type"].as_str().unwrap_or(""))),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() >= 4,
        "usage: load_reports BASE_URL HOAXES.jsonl NEWS.jsonl POSTS.jsonl [RATE] [SECONDS] [SINGLE]"
    );
    let url = format!("{}/api/v1/reports", args[0].trim_end_matches('/'));
    let (hoaxes, news, posts) = (texts(&args[1]), texts(&args[2]), texts(&args[3]));
    let rate: f64 = args.get(4).map_or(500.0, |r| r.parse().expect("RATE"));
    let seconds: f64 = args.get(5).map_or(20.0, |s| s.parse().expect("SECONDS"));
    let single: usize = args.get(6).map_or(2000, |n| n.parse().expect("SINGLE"));
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build().unwrap();

    // Which hoax texts are answered at once (this also warms the server up).
    let mut answered = Vec::new();
    for text in hoaxes.iter().take(1500) {
        let body = json!({"text": text, "platform": "whatsapp"});
        if send(&client, &url, &body).await.as_deref() == Ok("answered") {
            answered.push(text.clone());
        }
    }
    println!("{} of the first {} hoax texts answered at once", answered.len(), hoaxes.len().min(1500));
    assert!(!answered.is_empty(), "no report was answered: are the fact-checks imported?");

    println!();
    println!(
        "{:<44} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "phase", "reports", "per s", "p50 ms", "p99 ms", "p99.9 ms", "max ms"
    );
    let mut latencies = Vec::with_capacity(single);
    let started = Instant::now();
    for i in 0..single {
        let body = json!({"text": answered[i % answered.len()], "platform": "whatsapp"});
        let sent = Instant::now();
        let outcome = send(&client, &url, &body).await;
        latencies.push(sent.elapsed());
        assert_eq!(outcome.as_deref(), Ok("answered"), "a single report was not answered");
    }
    summary("single reports, answered at once, one by one", latencies, started.elapsed());

    let total = (rate * seconds) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let outcomes: Arc<Mutex<Outcomes>> = Arc::default();
    let mut rng = Lcg(7);
    let mut tasks = Vec::with_capacity(total as usize);
    let started = tokio::time::Instant::now();
    for i in 0..total {
        let text = match rng.next(100) {
            0..60 => &hoaxes[rng.next(hoaxes.len() as u64) as usize],
            60..85 => &news[rng.next(news.len() as u64) as usize],
            _ => &posts[rng.next(posts.len() as u64) as usize],
        };
        let platform = ["whatsapp", "facebook", "x", "tiktok"][rng.next(4) as usize];
        let mut body = json!({"text": text, "platform": platform});
        if rng.next(10) < 3 {
            body["contact"] = json!(format!("0812{:08}", rng.next(100_000_000)));
        }
        if rng.next(10) < 2 {
            body["url"] = json!(format!("https://www.facebook.com/groups/warga/posts/{}", rng.next(1_000_000_000)));
        }
        let due = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let (client, url, outcomes) = (client.clone(), url.clone(), outcomes.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = send(&client, &url, &body).await;
            let latency = due.elapsed();
            let mut o = outcomes.lock().unwrap();
            o.latencies.push(latency);
            *o.statuses.entry(outcome.unwrap_or_else(|e| format!("error {e}"))).or_default() += 1;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let Outcomes { latencies, statuses } = std::mem::take(&mut *outcomes.lock().unwrap());
    summary(&format!("sustained mixed load, {rate:.0}/s offered for {seconds:.0} s"), latencies, elapsed);
    println!();
    println!("answers in the sustained phase: {statuses:?}");
}
