//! Speed of the per-item entry points on real-shaped posts, single thread.
//!
//! usage: cargo run --release -p tangkal-text --example analyze_bench -- ITEMS.jsonl [PASSES] [ENTRY]
//! ITEMS.jsonl: one JSON object a line with a "text" field (e.g. ../shared/data/stream/dev-10k.jsonl).
//! Prints one JSON line per entry point: mean µs per text and texts per second (median pass), in
//! wall-clock time and in this thread's CPU time (which a loaded machine does not distort).
use std::time::Instant;

use tangkal_text::Analyzer;

/// CPU time this thread has used, in seconds.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime failed");
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Median wall and CPU seconds of a pass, and a checksum that keeps the work observable.
fn median_pass(passes: usize, mut f: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(passes);
    let mut cpu = Vec::with_capacity(passes);
    let mut check = 0usize;
    for _ in 0..passes {
        let (t, c) = (Instant::now(), thread_cpu());
        check = check.wrapping_add(f());
        times.push(t.elapsed().as_secs_f64());
        cpu.push(thread_cpu() - c);
    }
    times.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (times[times.len() / 2], cpu[cpu.len() / 2], check)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: analyze_bench ITEMS.jsonl [PASSES]");
    let passes: usize = args.next().map(|p| p.parse().expect("PASSES is a number")).unwrap_or(7);
    let only = args.next();
    let wanted = |entry: &str| only.as_deref().is_none_or(|o| o == entry);
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let texts: Vec<String> = data
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
            v["text"].as_str().unwrap_or_else(|| panic!("{path}:{}: no \"text\" string", i + 1)).to_owned()
        })
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mean_bytes = bytes as f64 / texts.len() as f64;
    let analyzer = Analyzer::new();
    tangkal_text::fingerprint("warm up");

    let report = |name: &str, (secs, cpu, check): (f64, f64, usize)| {
        let n = texts.len() as f64;
        println!(
            "{{\"entry\": \"{name}\", \"texts\": {}, \"mean_bytes\": {mean_bytes:.0}, \"us_per_text\": {:.3}, \"texts_per_s\": {:.0}, \"cpu_us_per_text\": {:.3}, \"texts_per_cpu_s\": {:.0}, \"check\": {check}}}",
            texts.len(),
            secs * 1e6 / n,
            n / secs,
            cpu * 1e6 / n,
            n / cpu
        );
    };
    if wanted("baseline") {
        // For scale: splitting the text into alphanumeric runs and nothing else.
        report(
            "baseline_str_split",
            median_pass(passes, || {
                texts.iter().map(|t| t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).count()).sum()
            }),
        );
    }
    if wanted("fingerprint") {
        report(
            "fingerprint",
            median_pass(passes, || texts.iter().map(|t| tangkal_text::fingerprint(t) as usize & 1).sum()),
        );
    }
    if wanted("analyze") {
        report("analyze", median_pass(passes, || texts.iter().map(|t| analyzer.analyze(t).stems.len()).sum()));
    }
}
