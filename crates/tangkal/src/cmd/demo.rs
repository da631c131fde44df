//! `tangkal demo`: the whole flow on the bundled sample, so a new user sees Tangkal work in one command.

use std::process::ExitCode;

use tangkal_pipeline::{ColumnMap, Format, IngestOptions, RejectWriter};
use tangkal_store::ItemFilter;

use crate::config::Config;

/// Invented by the Tangkal team for demos and tests (see data/sample/README.md).
const SAMPLE_ITEMS: &str = include_str!("../../../../data/sample/items.jsonl");

#[derive(clap::Args)]
pub struct Args {}

pub fn run(config: &Config, _args: Args) -> anyhow::Result<ExitCode> {
    println!("Tangkal demo · data directory {}", config.data_dir.display());
    let mut store = tangkal_store::open(&config.data_dir)?;
    let source = tangkal_pipeline::open_reader(
        "sample/items.jsonl".into(),
        Box::new(SAMPLE_ITEMS.as_bytes()),
        Format::Jsonl,
        &ColumnMap::default(),
        config.ingest.max_text_bytes,
    )?;
    let mut rejects = RejectWriter::new(config.data_dir.join("rejects").join("demo.jsonl"));
    let options = IngestOptions { batch_size: config.ingest.batch_size };
    let summary = tangkal_pipeline::ingest(store.as_mut(), vec![source], &mut rejects, &options, &())?;
    println!(
        "\n1. Ingest: read {} sample posts → new {}, updated {}, duplicate {}, rejected {}",
        summary.read, summary.new, summary.updated, summary.duplicate, summary.rejected
    );
    println!("\n   Stored items by platform:");
    for platform in ["x", "facebook", "instagram", "tiktok", "youtube", "whatsapp", "telegram", "news"] {
        let filter = ItemFilter { platform: Some(platform.into()), ..Default::default() };
        println!("   {platform:<10} {:>5}", store.count_items(&filter)?);
    }
    let total = store.count_items(&ItemFilter::default())?;
    println!("   {:<10} {total:>5}", "total");
    println!("\nNext: `tangkal items list --limit 10`, or run `tangkal demo` again to see that nothing is doubled.");
    Ok(ExitCode::SUCCESS)
}
