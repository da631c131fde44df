//! Stemming speed, single thread.
//!
//! usage: cargo run --release -p tangkal-text --example stem_bench -- WORDS.tsv [PASSES]
//! WORDS.tsv: one word per line (first tab-separated column). Prints JSON lines:
//! - "uncached": every word stemmed from scratch, once per pass over the distinct words; the figure is
//!   the median pass, in wall-clock time (`words_per_s`, comparable with the Python peer's figure) and
//!   in this thread's CPU time (`words_per_cpu_s`, which a loaded machine does not distort).
//! - "cached_running_text": a 1,000,000-token stream drawn from the same words with Zipf frequencies
//!   (the file is assumed ordered most frequent first), through a [`CachedStemmer`].
use std::time::Instant;

use tangkal_text::stemmer::{CachedStemmer, StemScratch};
use tangkal_text::Stemmer;

/// CPU time this thread has used, in seconds.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime failed");
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: stem_bench WORDS.tsv [PASSES]");
    let passes: usize = args.next().map(|p| p.parse().expect("PASSES is a number")).unwrap_or(15);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let words: Vec<&str> = text.lines().filter_map(|l| l.split('\t').next()).filter(|w| !w.is_empty()).collect();

    let t = Instant::now();
    let stemmer = Stemmer::sastrawi();
    let load = t.elapsed().as_secs_f64();

    let mut scratch = StemScratch::default();
    let mut out = String::new();
    let mut times = Vec::with_capacity(passes);
    let mut cpu_times = Vec::with_capacity(passes);
    let mut checksum = 0usize;
    for _ in 0..passes {
        let t = Instant::now();
        let c = thread_cpu();
        for w in &words {
            out.clear();
            stemmer.stem_word_into(w, &mut scratch, &mut out);
            checksum = checksum.wrapping_add(out.len());
        }
        times.push(t.elapsed().as_secs_f64());
        cpu_times.push(thread_cpu() - c);
    }
    times.sort_by(f64::total_cmp);
    cpu_times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let cpu_median = cpu_times[cpu_times.len() / 2];
    println!(
        "{{\"impl\": \"tangkal-text\", \"mode\": \"uncached\", \"words\": {}, \"passes\": {passes}, \"seconds\": {median:.6}, \"words_per_s\": {:.1}, \"words_per_cpu_s\": {:.1}, \"dictionary_load_s\": {load:.4}, \"checksum\": {checksum}}}",
        words.len(),
        words.len() as f64 / median,
        words.len() as f64 / cpu_median
    );

    // Zipf(1) stream over the words, by rank, from a fixed-seed generator.
    let n = words.len();
    let weights: Vec<f64> = (1..=n).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(n);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let stream: Vec<&str> = (0..1_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            words[cumulative.partition_point(|&c| c < u).min(n - 1)]
        })
        .collect();
    let mut cached = CachedStemmer::new(stemmer);
    let t = Instant::now();
    for w in &stream {
        checksum = checksum.wrapping_add(cached.stem_word(w).len());
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{{\"impl\": \"tangkal-text\", \"mode\": \"cached_running_text\", \"tokens\": {}, \"distinct\": {}, \"seconds\": {secs:.6}, \"words_per_s\": {:.1}, \"checksum\": {checksum}}}",
        stream.len(),
        cached.len(),
        stream.len() as f64 / secs
    );
}
