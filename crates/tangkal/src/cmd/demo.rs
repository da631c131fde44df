//! `tangkal demo`: the whole flow on the bundled sample, so a new user sees Tangkal work in one command:
//! fact-checks imported, posts ingested into narratives, narratives matched against the fact-checks,
//! cases opened for debunked ones.

use std::process::ExitCode;

use tangkal_matcher::formats;
use tangkal_pipeline::{ColumnMap, Format, RejectWriter};
use tangkal_store::{CaseFilter, ItemFilter, NarrativeOrder, Store};

use crate::config::Config;

/// Invented by the Tangkal team for demos and tests (see data/sample/README.md).
const SAMPLE_ITEMS: &str = include_str!("../../../../data/sample/items.jsonl");
const SAMPLE_FACTCHECKS: &str = include_str!("../../../../data/sample/factchecks.jsonl");

/// Narratives shown.
const TOP: u64 = 8;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(config: &Config, _args: Args) -> anyhow::Result<ExitCode> {
    println!("Tangkal demo · data directory {}", config.data_dir.display());
    let mut store = config.open_store()?;

    let parsed = formats::read_jsonl(SAMPLE_FACTCHECKS.as_bytes(), "sample/factchecks.jsonl")?;
    let (records, folded) = formats::dedup(parsed.records, &tangkal_text::Analyzer::new());
    let counts = store.upsert_factchecks(&records)?;
    println!(
        "\n1. Fact-checks: {} bundled records, {} copies folded → new {}, updated {}, unchanged {}",
        records.len() + folded.len(),
        folded.len(),
        counts.new,
        counts.updated,
        counts.unchanged
    );

    let source = tangkal_pipeline::open_reader(
        "sample/items.jsonl".into(),
        Box::new(SAMPLE_ITEMS.as_bytes()),
        Format::Jsonl,
        &ColumnMap::default(),
        config.ingest.max_text_bytes,
    )?;
    let mut rejects = RejectWriter::new(config.data_dir.join("rejects").join("demo.jsonl"));
    let (summary, matched) = super::ingest::ingest_and_detect(config, store.as_mut(), vec![source], &mut rejects, &())?;
    println!(
        "\n2. Ingest: {} sample posts → new {}, updated {}, duplicate {}, rejected {}; {} stored in all",
        summary.read,
        summary.new,
        summary.updated,
        summary.duplicate,
        summary.rejected,
        store.count_items(&ItemFilter::default())?
    );
    println!(
        "   Narratives matched against the fact-checks {}, debunked before {}, cases opened {}",
        matched.matched, matched.debunked, matched.cases_opened
    );

    println!("\n3. The biggest narratives:");
    print_narratives(store.as_ref())?;

    let cases = store.list_cases(&CaseFilter { open: Some(true), ..Default::default() }, chrono::Utc::now(), 10, 0)?;
    println!("\n4. Open cases ({} shown), each with its 1×24 h deadline:", cases.len());
    for case in &cases {
        println!(
            "   case {:<4} P{} {:<10} due {}  {}",
            case.id,
            case.priority.level(),
            case.status.as_str(),
            case.due_at.format("%Y-%m-%d %H:%M UTC"),
            super::excerpt(&case.title, 70)
        );
    }
    println!(
        "\nNext: `tangkal narratives show ID`, `tangkal serve` for the web app, or run `tangkal demo` again to see \
         that nothing is doubled."
    );
    Ok(ExitCode::SUCCESS)
}

fn print_narratives(store: &dyn Store) -> anyhow::Result<()> {
    for narrative in store.list_narratives(NarrativeOrder::Size, TOP, 0)? {
        let verdict = match store.narrative_claim(narrative.id)? {
            Some(claim) if claim.debunked => "debunked",
            Some(claim) if claim.best_score.is_some() => "fact-check suggested",
            _ => "no fact-check",
        };
        let central = store.get_item(narrative.representative_item_id)?.map(|item| item.text).unwrap_or_default();
        println!(
            "   #{:<4} {:>3} posts, {:>3} accounts, {:<24} {:<20} \"{}\"",
            narrative.id,
            narrative.items,
            narrative.accounts,
            narrative.platforms.join(","),
            verdict,
            super::excerpt(&central, 60)
        );
        if let Some(best) = store.narrative_matches(narrative.id)?.first() {
            println!("         ↳ {:.2} {}", best.found.score, super::excerpt(&best.title, 80));
        }
    }
    Ok(())
}
