//! Writes the background table of stem document frequencies shipped in `src/background.tsv`.
//!
//! usage: background FACTCHECKS.jsonl > crates/matcher/src/background.tsv
//!
//! Counts, for every stem of the records' claim and explanation texts (as the index analyses them),
//! how many records contain it. Stems found in fewer than [`MIN_DF`] records are left out: they are
//! rare anyway (the index treats a stem missing from the table as that rare) and most are names and
//! misspellings. The first line gives the number of records.

mod common;

use std::collections::HashMap;
use std::io::Write;

use tangkal_model::FactCheck;
use tangkal_text::Analyzer;

const MIN_DF: u32 = 2;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: background FACTCHECKS.jsonl > src/background.tsv");
        std::process::exit(2);
    };
    let records: Vec<FactCheck> = common::read_jsonl(path);
    let analyzer = Analyzer::new().for_matching();
    let mut df: HashMap<String, u32> = HashMap::new();
    for record in &records {
        let mut stems = analyzer.analyze(&record.claim_text()).stems;
        stems.extend(analyzer.analyze(&record.body_text()).stems);
        stems.sort_unstable();
        stems.dedup();
        for stem in stems {
            *df.entry(stem).or_default() += 1;
        }
    }
    let mut kept: Vec<(String, u32)> = df.into_iter().filter(|&(_, n)| n >= MIN_DF).collect();
    kept.sort_unstable();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "documents\t{}", records.len()).unwrap();
    for (stem, n) in kept {
        writeln!(out, "{stem}\t{n}").unwrap();
    }
}
