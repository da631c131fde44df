//! Measures the assign loop alone on a JSONL stream: texts are parsed up front, then every item is
//! observed in order on one thread and the thread's CPU time is reported (wall time too), so the
//! figure holds on a busy machine. Writes predictions for the scorer when given an output path.
//!
//! `cargo run --release -p tangkal-narratives --example assign_loop -- ITEMS.jsonl [PRED.jsonl]`

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use serde::Deserialize;
use tangkal_narratives::clustering::{Clustering, StreamPost};
use tangkal_narratives::index::Config;

#[derive(Deserialize)]
struct Line {
    id: String,
    platform: String,
    author: Option<Author>,
    text: String,
    published_at: String,
    #[serde(default)]
    metrics: Metrics,
}

#[derive(Deserialize)]
struct Author {
    id: String,
}

#[derive(Deserialize, Default)]
struct Metrics {
    #[serde(default)]
    views: u64,
    #[serde(default)]
    shares: u64,
}

fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp such as `2024-02-03T05:12:45Z`.
fn seconds(stamp: &str) -> i64 {
    let n = |a: usize, b: usize| stamp[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let days_before_month = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][(m - 1) as usize];
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = (1970..y).map(|y| if leap(y) { 366 } else { 365 }).sum::<i64>() + days_before_month + d - 1;
    if m > 2 && leap(y) {
        days += 1;
    }
    days * 86400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let input = BufReader::new(std::fs::File::open(&args[1]).expect("input"));
    let lines: Vec<Line> = input.lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    let times: Vec<i64> = lines.iter().map(|l| seconds(&l.published_at)).collect();
    let mut clustering = Clustering::new(tangkal_text::Analyzer::new(), Config::default());
    let (cpu0, wall0) = (thread_cpu_seconds(), Instant::now());
    for (line, &published_at) in lines.iter().zip(&times) {
        clustering.observe(&StreamPost {
            text: &line.text,
            platform: &line.platform,
            account: line.author.as_ref().map(|a| a.id.as_str()),
            published_at,
            views: line.metrics.views,
            shares: line.metrics.shares,
        });
    }
    let (cpu, wall) = (thread_cpu_seconds() - cpu0, wall0.elapsed().as_secs_f64());
    let clustered = clustering.finish();
    if let Some(path) = args.get(2) {
        let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
        for (i, line) in lines.iter().enumerate() {
            let record = serde_json::json!({
                "id": line.id, "cluster": clustered.narratives[i], "coordinated": clustered.coordinated[i]
            });
            writeln!(out, "{record}").unwrap();
        }
    }
    let n = lines.len() as f64;
    let report = &clustered.report;
    println!(
        "{}",
        serde_json::json!({
            "items": lines.len(),
            "assign_cpu_s": cpu,
            "assign_items_per_cpu_s": n / cpu,
            "assign_wall_s": wall,
            "representatives": report.representatives,
            "merges": report.merges,
            "index_bytes_per_item": report.index_bytes_per_item,
            "coordination_interval_s": report.coordination_interval_s,
        })
    );
}
