//! `tangkal ingest`: files and feeds into the store.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tangkal_pipeline::{
    ColumnMap, Format, IngestOptions, IngestSummary, MatchingTotals, Progress, RejectWriter, Source,
};
use tangkal_store::Store;

use crate::config::Config;

/// Exit code when the import finished but some records were rejected.
pub const EXIT_SOME_REJECTED: u8 = 3;

#[derive(clap::Args)]
#[command(after_help = "Exit status: 0 all records accepted, 3 some records rejected (see the rejects file), \
1 fatal error.\nFormats: JSONL (the item format, see docs/item-format.md) or CSV with a header row; \
.gz and .zst files are decompressed.")]
pub struct Args {
    /// JSONL or CSV files; `-` reads standard input
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// RSS, Atom or JSON Feed URL to read (repeatable); entries become items on platform `news`
    #[arg(long, value_name = "URL")]
    feed: Vec<String>,
    /// Input format [default: from the file name; standard input is JSONL]
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// CSV column for an item field, e.g. `--map text=message` (repeatable)
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    column_map: Vec<String>,
    /// Dead-letter file for rejected records [default: DATA_DIR/rejects/ingest-TIME.jsonl]
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Print the end summary as one JSON object
    #[arg(long)]
    json: bool,
    /// Only store the items, for bulk back-fills: placing them in narratives and matching those against
    /// the fact-checks is left to `tangkal detect` or the next `tangkal ingest`
    #[arg(long)]
    no_detect: bool,
    /// Publish the valid records to the distributed intake's stream on this NATS (nats://host:port) instead
    /// of storing them; `tangkal worker`s store them (see docs/deploy.md). Exits once JetStream has them all
    #[arg(long, value_name = "URL", conflicts_with = "no_detect")]
    to: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

struct Bar {
    bar: Option<indicatif::ProgressBar>,
    bytes: Arc<AtomicU64>,
}

impl Progress for Bar {
    fn batch_committed(&self, so_far: &IngestSummary) {
        if let Some(bar) = &self.bar {
            bar.set_position(self.bytes.load(Ordering::Relaxed));
            bar.set_message(format!("{} items", so_far.read));
        }
    }
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !args.files.is_empty() || !args.feed.is_empty(),
        "nothing to ingest: name files, `-` or --feed URL"
    );
    let started = Instant::now();
    let column_map = ColumnMap::parse(&args.column_map)?;
    let max_text = config.ingest.max_text_bytes;
    let bytes = Arc::new(AtomicU64::new(0));
    let mut total_bytes = 0;
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    for path in &args.files {
        let format = match args.format {
            Some(FormatArg::Jsonl) => Format::Jsonl,
            Some(FormatArg::Csv) => Format::Csv,
            None => Format::from_path(path),
        };
        total_bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        sources.push(tangkal_pipeline::open_file(path, format, &column_map, max_text, bytes.clone())?);
    }
    for url in &args.feed {
        sources.push(Box::new(tangkal_pipeline::fetch_feed(url, max_text)?));
    }
    let rejects_path = args.rejects.clone().unwrap_or_else(|| default_rejects_path(config));
    let mut rejects = RejectWriter::new(rejects_path);
    if let Some(url) = &args.to {
        return publish(config, url, sources, &mut rejects, args.json, started);
    }
    let mut store = config.open_store_for_import()?;
    let bar = std::io::stderr().is_terminal() && total_bytes > 0;
    let progress = Bar { bar: bar.then(|| progress_bar(total_bytes)), bytes };
    let outcome = if args.no_detect {
        tangkal_pipeline::ingest(store.as_mut(), sources, &mut rejects, &ingest_options(config), &progress)
            .map(|summary| (summary, MatchingTotals::default()))
    } else {
        ingest_and_detect(config, store.as_mut(), sources, &mut rejects, &progress)
    };
    let (summary, matched) =
        outcome.context("ingest stopped; batches committed before the error are kept, re-run to continue")?;
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "read {}  new {}  updated {}  duplicate {}  rejected {}  ({:.1} s, {:.0} items/s)",
            summary.read,
            summary.new,
            summary.updated,
            summary.duplicate,
            summary.rejected,
            elapsed,
            summary.read as f64 / elapsed.max(1e-9)
        );
        if matched.matched > 0 {
            println!(
                "narratives matched against fact-checks {}  debunked {}  cases opened {}",
                matched.matched, matched.debunked, matched.cases_opened
            );
        }
    }
    Ok(exit_code(summary.rejected, &rejects))
}

/// `ingest --to`: the records published to the distributed intake's stream.
fn publish(
    config: &Config,
    url: &str,
    sources: Vec<Box<dyn Source>>,
    rejects: &mut RejectWriter,
    json: bool,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let intake = config.intake(Some(url))?;
    let summary = super::intake::on_intake(&intake, async |intake| {
        tangkal_intake::publish(intake, sources, rejects, tangkal_intake::publish::DEFAULT_WINDOW).await
    });
    let summary = summary.context("publishing stopped; what JetStream acknowledged is safe, re-run to continue")?;
    let elapsed = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "read {}  published {}  duplicate {}  rejected {}  ({:.1} s, {:.0} items/s)",
            summary.read,
            summary.published,
            summary.duplicate,
            summary.rejected,
            elapsed,
            summary.read as f64 / elapsed.max(1e-9)
        );
    }
    Ok(exit_code(summary.rejected, rejects))
}

/// Success, or [`EXIT_SOME_REJECTED`] (saying where the rejects are) when records were refused: the same
/// for an ingest into the store and one published to the intake.
fn exit_code(rejected: u64, rejects: &RejectWriter) -> ExitCode {
    if rejected == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("{rejected} rejected records written to {}", rejects.path().display());
    ExitCode::from(EXIT_SOME_REJECTED)
}

/// Ingests `sources` with everything that follows arrival: each new item placed in its narrative, and
/// new or changed narratives matched against the stored fact-checks.
pub(crate) fn ingest_and_detect(
    config: &Config,
    store: &mut dyn Store,
    sources: Vec<Box<dyn Source>>,
    rejects: &mut RejectWriter,
    progress: &dyn Progress,
) -> anyhow::Result<(IngestSummary, MatchingTotals)> {
    let mut detection =
        tangkal_pipeline::Detection::open(&config.data_dir, store, std::sync::Arc::new(tangkal_cases::SystemClock))?;
    let summary = detection.ingest(store, sources, rejects, &ingest_options(config), progress)?;
    detection.save_snapshot()?;
    Ok((summary, detection.totals()))
}

fn ingest_options(config: &Config) -> IngestOptions {
    IngestOptions { batch_size: config.ingest.batch_size }
}

fn default_rejects_path(config: &Config) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    config.data_dir.join("rejects").join(format!("ingest-{stamp}.jsonl"))
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta} left)")
            .expect("valid template"),
    );
    bar
}
