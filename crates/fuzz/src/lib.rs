//! Differential fuzzing of Tangkal's hand-written parsers.
//!
//! A [`Target`] is one parser with a check over one input (raw bytes): the check compares the
//! parser with a well-kept counterpart reading the same bytes (serde_json, the `csv` crate,
//! feed-rs) or with a round trip, and says what differs. Each target has a corpus directory of
//! committed inputs: seeds, and every input that ever failed. `cargo test` replays the whole
//! corpus, then runs a short, deterministic batch of generated and mutated inputs, so CI stays
//! fast and reproducible. `scripts/fuzz.sh` runs the same targets for longer with fresh seeds
//! (see the environment variables below) and saves the smallest failing input into the corpus.
//!
//! - `TANGKAL_FUZZ_CASES`: generated inputs per batch (each target has its own CI default).
//! - `TANGKAL_FUZZ_SEED`: a number; the seed of the first batch (default: fixed).
//! - `TANGKAL_FUZZ_SECONDS`: keep running batches, each with the next seed, for this long.
//! - `TANGKAL_FUZZ_SAVE`: when set, the smallest failing input is written to the corpus.

pub mod json;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use proptest;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// What a check says about one input: `Err` explains the disagreement.
pub type Outcome = Result<(), String>;

/// Inputs longer than this are cut: a parser's edge cases fit in a few kilobytes, and long
/// inputs only slow the search down.
const MAX_INPUT: usize = 64 << 10;

/// One parser under test.
pub struct Target<F> {
    name: &'static str,
    corpus: PathBuf,
    check: F,
}

impl<F: Fn(&[u8]) -> Outcome> Target<F> {
    /// `corpus` is the directory of committed inputs, usually
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/NAME")`.
    pub fn new(name: &'static str, corpus: impl Into<PathBuf>, check: F) -> Target<F> {
        Target { name, corpus: corpus.into(), check }
    }

    /// The committed inputs, by file name.
    pub fn corpus(&self) -> Vec<(String, Vec<u8>)> {
        let entries = std::fs::read_dir(&self.corpus)
            .unwrap_or_else(|e| panic!("fuzz {}: cannot read the corpus {}: {e}", self.name, self.corpus.display()));
        let mut files: Vec<(String, Vec<u8>)> = entries
            .map(|entry| {
                let path = entry.expect("corpus entry").path();
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (path.file_name().expect("file name").to_string_lossy().into_owned(), bytes)
            })
            .collect();
        files.sort();
        assert!(!files.is_empty(), "fuzz {}: the corpus {} is empty", self.name, self.corpus.display());
        files
    }

    /// The committed inputs' bytes, to mutate.
    pub fn seeds(&self) -> Vec<Vec<u8>> {
        self.corpus().into_iter().map(|(_, bytes)| bytes).collect()
    }

    /// Runs the check on every committed input; panics naming each file that fails.
    pub fn replay(&self) -> usize {
        let files = self.corpus();
        let failures: Vec<String> = files
            .iter()
            .filter_map(|(name, bytes)| (self.check)(bytes).err().map(|why| format!("{name}: {why}")))
            .collect();
        assert!(failures.is_empty(), "fuzz {}: corpus inputs fail:\n{}", self.name, failures.join("\n"));
        files.len()
    }

    /// Replays the corpus, then runs the check on `default_cases` inputs from `inputs` (see the
    /// module documentation for the long mode), and reports the number of executions on stderr.
    pub fn run(&self, default_cases: u32, inputs: impl Strategy<Value = Vec<u8>>) {
        let replayed = self.replay();
        let cases = env_number("TANGKAL_FUZZ_CASES").map_or(default_cases, |n| n as u32);
        let first_seed = env_number("TANGKAL_FUZZ_SEED").unwrap_or(0);
        let budget = env_number("TANGKAL_FUZZ_SECONDS").map(Duration::from_secs);
        let executions = AtomicU64::new(0);
        let started = Instant::now();
        let mut seed = first_seed;
        loop {
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&seed.to_le_bytes());
            let config = Config { cases, failure_persistence: None, max_shrink_iters: 4096, ..Config::default() };
            let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
            let result = runner.run(&inputs, |input| {
                executions.fetch_add(1, Ordering::Relaxed);
                (self.check)(&input).map_err(TestCaseError::fail)
            });
            if let Err(error) = result {
                self.report_failure(seed, error);
            }
            seed += 1;
            if budget.is_none_or(|budget| started.elapsed() >= budget) {
                break;
            }
        }
        eprintln!(
            "fuzz {}: {} executions ({} corpus inputs, {} generated batches of {cases} from seed {first_seed}) in {:.1} s",
            self.name,
            executions.into_inner() + replayed as u64,
            replayed,
            seed - first_seed,
            started.elapsed().as_secs_f64(),
        );
    }

    fn report_failure(&self, seed: u64, error: TestError<Vec<u8>>) -> ! {
        match error {
            TestError::Abort(why) => panic!("fuzz {} (seed {seed}): aborted: {why}", self.name),
            TestError::Fail(why, input) => {
                let saved = std::env::var_os("TANGKAL_FUZZ_SAVE").map(|_| {
                    let path = self.corpus.join(format!("found-{:016x}", xxhash_rust::xxh3::xxh3_64(&input)));
                    std::fs::write(&path, &input).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    format!("\nsaved as {}", path.display())
                });
                panic!(
                    "fuzz {} (seed {seed}): {why}\ninput ({} bytes): {:?}{}",
                    self.name,
                    input.len(),
                    String::from_utf8_lossy(&input),
                    saved.unwrap_or_default(),
                )
            }
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")))
}

/// The target `name` of the calling crate, with its corpus in `tests/corpus/<name>`.
#[macro_export]
macro_rules! target {
    ($name:literal, $check:expr) => {
        $crate::Target::new($name, concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/", $name), $check)
    };
}

/// One change to an input, at places chosen relative to its length.
#[derive(Debug, Clone)]
enum Edit {
    FlipBit(Index, u8),
    SetByte(Index, Index),
    InsertToken(Index, Index),
    Delete(Index, u8),
    Duplicate(Index, u8),
    Truncate(Index),
    SpliceFrom(Index, Index, u8),
}

/// Bytes that parsers treat specially, or that break UTF-8.
const SPECIAL_BYTES: &[u8] = b"\0\x01\x1f\x7f\x80\xbf\xc3\xed\xf0\xff\"\\/\n\r\t ,;:{}[]<>&=#'0-+.eEu";

/// Inputs made by editing the committed ones: bit flips, special bytes, `tokens` of the format
/// inserted, ranges deleted, repeated or copied from another input, truncation.
pub fn mutated(seeds: Vec<Vec<u8>>, tokens: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    assert!(!seeds.is_empty(), "mutation needs at least one seed");
    let edit = prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Edit::FlipBit(at, bit)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, byte)| Edit::SetByte(at, byte)),
        (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Edit::InsertToken(at, token)),
        (any::<Index>(), 1u8..16).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<Index>(), 1u8..32).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), any::<Index>(), 1u8..64).prop_map(|(at, from, n)| Edit::SpliceFrom(at, from, n)),
    ];
    let seeds = std::sync::Arc::new(seeds);
    (any::<Index>(), prop::collection::vec(edit, 1..6)).prop_map(move |(seed, edits)| {
        let mut data = seeds[seed.index(seeds.len())].clone();
        for edit in &edits {
            apply(&mut data, edit, &seeds, tokens);
        }
        data.truncate(MAX_INPUT);
        data
    })
}

fn apply(data: &mut Vec<u8>, edit: &Edit, seeds: &[Vec<u8>], tokens: &[&[u8]]) {
    let len = data.len();
    let place = |at: &Index| at.index(len + 1);
    match edit {
        Edit::FlipBit(at, bit) if len > 0 => data[at.index(len)] ^= 1 << bit,
        Edit::SetByte(at, byte) if len > 0 => data[at.index(len)] = SPECIAL_BYTES[byte.index(SPECIAL_BYTES.len())],
        Edit::InsertToken(at, token) if !tokens.is_empty() => {
            let at = place(at);
            data.splice(at..at, tokens[token.index(tokens.len())].iter().copied());
        }
        Edit::Delete(at, n) => {
            let at = place(at);
            data.drain(at..(at + *n as usize).min(len));
        }
        Edit::Duplicate(at, n) => {
            let at = place(at);
            let piece = data[at..(at + *n as usize).min(len)].to_vec();
            data.splice(at..at, piece);
        }
        Edit::Truncate(at) => data.truncate(place(at)),
        Edit::SpliceFrom(at, from, n) => {
            let other = &seeds[from.index(seeds.len())];
            let start = from.index(other.len() + 1);
            let piece = &other[start..(start + *n as usize).min(other.len())];
            let at = place(at);
            data.splice(at..at, piece.iter().copied());
        }
        _ => {}
    }
}

/// CSV documents written by the `csv` crate: a header, then rows of cells, each padded or cut to the
/// header's width except one in ten, left ragged.
pub fn csv_table(
    header: impl Strategy<Value = Vec<String>>,
    cell: impl Strategy<Value = String>,
) -> impl Strategy<Value = Vec<u8>> {
    let rows = prop::collection::vec((prop::collection::vec(cell, 0..12), prop::bool::weighted(0.1)), 0..6);
    (header, rows).prop_map(|(header, rows)| {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        writer.write_record(&header).expect("in memory");
        for (mut row, ragged) in rows {
            if !ragged {
                row.resize(header.len(), String::new());
            }
            writer.write_record(&row).expect("in memory");
        }
        writer.into_inner().expect("in memory")
    })
}

/// Raw bytes, mostly short: what no well-formed document looks like.
pub fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_check_names_the_input_and_its_seed() {
        let dir = std::env::temp_dir().join(format!("tangkal-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("seed"), b"abc").unwrap();
        let target =
            Target::new(
                "no-x",
                &dir,
                |input: &[u8]| {
                    if input.contains(&b'x') {
                        Err("found an x".to_string())
                    } else {
                        Ok(())
                    }
                },
            );
        assert_eq!(target.replay(), 1);
        let tokens: &'static [&'static [u8]] = &[b"x"];
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target.run(200, mutated(target.seeds(), tokens))));
        std::fs::remove_dir_all(&dir).unwrap();
        let message = *outcome.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("found an x") && message.contains("seed 0"), "{message}");
        // Shrinking leaves one edit of the seed: the inserted x.
        assert!(message.contains("input (4 bytes)"), "{message}");
    }
}
