//! Speed and memory of the matcher, single thread.
//!
//! usage: bench FACTCHECKS.jsonl QUERIES.jsonl [--pad N] [--top K] [--repeat R]
//!
//! Builds the index (optionally padded to N fact-checks synthesised from the corpus itself: each
//! padding record splices the headline words of two real records and borrows a third one's
//! explanation, so the vocabulary and length distributions stay those of real fact-checks), then
//! ranks every query once to warm up and once timed. Prints one JSON line.

mod common;

use std::time::Instant;

use tangkal_matcher::{FieldWeights, Index, Matcher};
use tangkal_model::FactCheck;
use tangkal_text::Analyzer;

fn pad(records: &mut Vec<FactCheck>, target: usize) {
    let real = records.len();
    let mut rng = common::Rng(0x9e37_79b9_7f4a_7c15);
    while records.len() < target {
        let (a, b, c) = (&records[rng.below(real)], &records[rng.below(real)], &records[rng.below(real)]);
        let wa: Vec<&str> = a.title.split_whitespace().collect();
        let wb: Vec<&str> = b.title.split_whitespace().collect();
        let cut_a = wa.len().div_ceil(2);
        let cut_b = wb.len() / 2;
        let title = wa[..cut_a].iter().chain(&wb[cut_b..]).copied().collect::<Vec<_>>().join(" ");
        let padded = FactCheck {
            id: format!("pad-{:09}", records.len()),
            title,
            claim: None,
            explanation: c.explanation.clone(),
            conclusion: c.conclusion.clone(),
            ..a.clone()
        };
        records.push(padded);
    }
}

/// CPU time this thread has run, from the scheduler's accounting: immune to other processes
/// taking turns on a busy machine.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(|v| v.parse::<usize>().expect(name))
    };
    if args.len() < 3 {
        eprintln!("usage: bench FACTCHECKS.jsonl QUERIES.jsonl [--pad N] [--top K] [--repeat R]");
        std::process::exit(2);
    }
    let top = opt("--top").unwrap_or(10);
    let mut records: Vec<FactCheck> = common::read_jsonl(&args[1]);
    if let Some(n) = opt("--pad") {
        pad(&mut records, n);
    }
    let texts: Vec<String> = common::read_jsonl::<common::Topic>(&args[2]).into_iter().map(|t| t.text).collect();
    let rss_before = peak_rss_mib();

    let analyzer = Analyzer::new();
    let started = Instant::now();
    let index = Index::build(records, &analyzer, FieldWeights::default());
    let build_s = started.elapsed().as_secs_f64();
    let rss_after = peak_rss_mib();
    let (n, vocab, index_mib) = (index.len(), index.vocabulary_len(), index.index_bytes() as f64 / (1 << 20) as f64);
    let matcher = Matcher::new(index, Analyzer::new());

    // The analyzer's share: the allocation-free canonical form the matcher reads queries through.
    let (mut folded, mut canonical) = (String::new(), String::new());
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut words = 0usize;
    for t in &texts {
        canonical.clear();
        analyzer.canonical_into(t, &mut folded, &mut canonical);
        words += canonical.split(' ').count();
    }
    let (analyze_s, analyze_cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let warm: usize = texts.iter().map(|t| matcher.rank(t, top).len()).sum();
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let repeat = opt("--repeat").unwrap_or(1).max(1);
    let mut hits = 0usize;
    for _ in 0..repeat {
        hits = texts.iter().map(|t| matcher.rank(t, top).len()).sum();
    }
    let (query_s, query_cpu) = (started.elapsed().as_secs_f64() / repeat as f64, (cpu_seconds() - cpu) / repeat as f64);
    assert_eq!(warm, hits);
    println!(
        "{}",
        serde_json::json!({
            "engine": "tangkal-matcher",
            "factchecks": n,
            "vocabulary": vocab,
            "queries": texts.len(),
            "query_words": words,
            "index_s": (build_s * 1000.0).round() / 1000.0,
            "index_structures_mib": (index_mib * 10.0).round() / 10.0,
            "peak_rss_mib": (rss_after.max(peak_rss_mib()) * 10.0).round() / 10.0,
            "rss_before_index_mib": (rss_before * 10.0).round() / 10.0,
            "canonical_form_only_queries_per_s": (texts.len() as f64 / analyze_s).round(),
            "canonical_form_only_queries_per_cpu_s": (texts.len() as f64 / analyze_cpu).round(),
            "query_s": (query_s * 1000.0).round() / 1000.0,
            "queries_per_s": (texts.len() as f64 / query_s).round(),
            "queries_per_cpu_s": (texts.len() as f64 / query_cpu).round(),
        })
    );
}
