//! What the evaluation examples share: reading the benchmark files, the fixed split into halves,
//! a seeded random generator and the small corpora a new desk starts with.

#![allow(dead_code)] // each example uses its own part

use std::collections::HashSet;
use std::io::BufRead;

use serde::Deserialize;
use tangkal_model::FactCheck;

/// A query or a negative of the benchmark (negatives have no relevant fact-check).
#[derive(Deserialize)]
pub struct Topic {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub relevant: Vec<String>,
}

pub fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &str) -> Vec<T> {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}")));
    f.lines()
        .enumerate()
        .map(|(n, l)| serde_json::from_str(&l.expect(path)).unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1)))
        .collect()
}

/// Half A (fitting) or half B (held out), by a hash of the id that is stable across runs and
/// platforms; scripts/eval-matcher.sh splits the same way.
pub fn half_a(id: &str) -> bool {
    let hash = id.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    hash.is_multiple_of(2)
}

/// xorshift64*: a fixed seed gives the same samples on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    /// `pool` in a random order (Fisher-Yates).
    pub fn shuffled<T: Copy>(&mut self, pool: &[T]) -> Vec<T> {
        let mut out = pool.to_vec();
        for i in (1..out.len()).rev() {
            out.swap(i, self.below(i + 1));
        }
        out
    }
}

/// A small fact-check database as a new desk has it: `queries` randomly chosen from `pool` whose
/// relevant fact-checks all go in, then random other records up to `size`. Returns the records and
/// the chosen queries (each has every relevant fact-check in the corpus).
pub fn small_corpus<'a>(
    records: &[FactCheck],
    pool: &[&'a Topic],
    queries: usize,
    size: usize,
    rng: &mut Rng,
) -> (Vec<FactCheck>, Vec<&'a Topic>) {
    let position: std::collections::HashMap<&str, usize> =
        records.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let mut chosen = Vec::new();
    let mut taken: HashSet<usize> = HashSet::new();
    for topic in rng.shuffled(pool) {
        if chosen.len() == queries {
            break;
        }
        let relevant: Vec<usize> = topic.relevant.iter().filter_map(|id| position.get(id.as_str()).copied()).collect();
        if relevant.len() != topic.relevant.len() || taken.len() + relevant.len() > size {
            continue;
        }
        taken.extend(relevant);
        chosen.push(topic);
    }
    while taken.len() < size.min(records.len()) {
        taken.insert(rng.below(records.len()));
    }
    let mut picked: Vec<usize> = taken.into_iter().collect();
    picked.sort_unstable();
    (picked.into_iter().map(|i| records[i].clone()).collect(), chosen)
}
