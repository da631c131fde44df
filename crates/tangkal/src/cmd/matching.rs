//! `tangkal match`: rank fact-checks for each text of a JSONL file ("was this debunked before?").

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value};
use tangkal_matcher::formats::ColumnMap;
use tangkal_matcher::{FieldWeights, Index, Matcher};
use tangkal_store::FactCheckFilter;
use tangkal_text::Analyzer;

use crate::config::Config;

#[derive(clap::Args)]
#[command(after_help = "Input lines: {\"id\", \"text\", ...}. Output lines: {\"id\", \"answer\", \"matches\": \
    [{\"factcheck_id\", \"score\"}, ...]}, best first; scores are calibrated 0..1 and \"answer\" is what the \
    thresholds make of the best match: \"auto\", \"suggest\" or \"none\" (see docs/factcheck-formats.md).\n\
    Exit status: 0 every line matched, 3 some input lines were skipped (named on stderr).")]
pub struct Args {
    /// Fact-checks to match against: a JSONL, ClaimReview JSON-LD or CSV file, or `store`
    #[arg(long, default_value = "store")]
    factchecks: String,
    /// Texts to match, one JSON object per line with "id" and "text"
    #[arg(long)]
    input: PathBuf,
    /// Matches per text
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Output file [default: stdout]
    #[arg(long)]
    output: Option<PathBuf>,
    /// Add each match's title, verdict, url and explanation
    #[arg(long)]
    explain: bool,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    let records = if args.factchecks == "store" {
        let store = config.open_store()?;
        store.list_factchecks(&FactCheckFilter::default(), u64::MAX >> 1, 0)?.into_iter().map(|s| s.factcheck).collect()
    } else {
        let parsed = super::factchecks::read_file(args.factchecks.as_ref(), None, &ColumnMap::default())?;
        for r in &parsed.rejected {
            eprintln!("fact-check skipped: {r}");
        }
        parsed.records
    };
    anyhow::ensure!(!records.is_empty(), "no fact-checks to match against in {}", args.factchecks);
    let started = Instant::now();
    let analyzer = Analyzer::new();
    let matcher = Matcher::new(Index::build(records, &analyzer, FieldWeights::default()), analyzer);
    let built = started.elapsed();

    let input = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?))
        }
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let (mut done, mut skipped) = (0usize, 0usize);
    let started = Instant::now();
    for (n, line) in BufReader::new(input).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let place = format!("{}:{}", args.input.display(), n + 1);
        let parsed: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("skipped {place}: not valid JSON ({e})");
                skipped += 1;
                continue;
            }
        };
        let (Some(id), Some(text)) =
            (parsed.get("id").and_then(Value::as_str), parsed.get("text").and_then(Value::as_str))
        else {
            eprintln!("skipped {place}: needs string fields \"id\" and \"text\"");
            skipped += 1;
            continue;
        };
        // The best match decides the answer even when no match is asked for.
        let wanted = args.top.max(1);
        let (best, matches): (Option<f32>, Vec<Value>) = if args.explain {
            let found = matcher.best(text, wanted);
            let matches = found
                .iter()
                .take(args.top)
                .map(|m| {
                    json!({"factcheck_id": m.factcheck.id, "score": m.score, "title": m.factcheck.title,
                           "rating": m.factcheck.rating, "url": m.factcheck.url, "explanation": m.explanation})
                })
                .collect();
            (found.first().map(|m| m.score), matches)
        } else {
            let ranked = matcher.rank(text, wanted);
            let matches = ranked
                .iter()
                .take(args.top)
                .map(|r| json!({"factcheck_id": matcher.index().record(r.doc).id, "score": r.score}))
                .collect();
            (ranked.first().map(|r| r.score), matches)
        };
        let answer = matcher.thresholds().answer(best);
        serde_json::to_writer(&mut out, &json!({"id": id, "answer": answer, "matches": matches}))?;
        out.write_all(b"\n")?;
        done += 1;
    }
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "matched {done} texts against {} fact-checks in {secs:.2}s ({:.0}/s); index built in {:.2}s; auto-answer >= {}, suggest >= {}",
        matcher.index().len(),
        done as f64 / secs.max(1e-9),
        built.as_secs_f64(),
        matcher.thresholds().auto_answer,
        matcher.thresholds().suggest,
    );
    Ok(if skipped > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}
