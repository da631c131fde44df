//! `tangkal factchecks`: import, export and look at the fact-check database.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use tangkal_matcher::formats::{self, ColumnMap, Format, Parsed, Rejected};
use tangkal_model::FactCheck;
use tangkal_store::{FactCheckCounts, FactCheckFilter, StoredFactCheck};
use tangkal_text::Analyzer;

use crate::config::Config;

/// Exit status when some records were rejected and the rest imported.
const EXIT_SOME_REJECTED: u8 = 3;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Import fact-checks (JSONL, ClaimReview JSON-LD or CSV); copies are folded, bad records reported
    #[command(after_help = "Exit status: 0 all records accepted, 3 some records rejected (listed on stderr).")]
    Import {
        /// Files to read
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Input format [default: from the file extension: .jsonl, .json/.jsonld, .csv]
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// CSV column map, field=column pairs: --map title=judul,rating=label,url=tautan
        #[arg(long)]
        map: Option<String>,
    },
    /// Import a partner's published fact-checks over HTTP, from where the last pull of URL stopped
    #[command(after_help = "URL is a schema.org DataFeed of ClaimReviews (another Tangkal's \
        /api/v1/claimreviews, which needs a partner token), a JSON-LD document of ClaimReviews, or an Atom, \
        RSS or JSON feed whose entries link pages carrying a ClaimReview (another Tangkal's \
        /cek-fakta/feed.atom). Copies are folded as in `import`.\n\n\
        Exit status: 0 all entries accepted, 3 some entries rejected (listed on stderr; they are read \
        again next time).")]
    Pull {
        /// The partner's feed
        url: String,
        /// Bearer token the partner issued; sent to the feed's own site only
        #[arg(long, env = "TANGKAL_PULL_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Read what changed from this instant (RFC 3339, or YYYY-MM-DD) instead of where the last pull
        /// stopped
        #[arg(long, value_parser = parse_since)]
        since: Option<DateTime<Utc>>,
    },
    /// Write every stored fact-check
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: FormatArg,
        /// Output file [default: stdout]
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// List fact-checks, newest first
    List {
        /// Title, claim or conclusion contains this (case-insensitive)
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        publisher: Option<String>,
        /// Verdict, e.g. SALAH, HOAKS, BENAR
        #[arg(long)]
        rating: Option<String>,
        #[command(flatten)]
        list: super::ListArgs,
    },
    /// Show one fact-check with its earlier versions
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Claimreview,
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Claimreview => Format::ClaimReview,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// Reads one fact-check file in `format` (or the one its extension names).
pub(crate) fn read_file(path: &Path, format: Option<Format>, map: &ColumnMap) -> anyhow::Result<Parsed> {
    let format = format
        .or_else(|| Format::from_path(path))
        .with_context(|| format!("{}: cannot tell the format from the extension; give --format", path.display()))?;
    let name = path.display().to_string();
    let open = || File::open(path).with_context(|| format!("cannot open {name}"));
    Ok(match format {
        Format::Jsonl => formats::read_jsonl(BufReader::new(open()?), &name)?,
        Format::ClaimReview => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
            formats::read_claimreview(&text, &name)
        }
        Format::Csv => formats::read_csv(open()?, &name, map).map_err(anyhow::Error::msg)?,
    })
}

fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).or_else(|_| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
            .map_err(|_| {
                format!("{text:?} is neither an RFC 3339 instant (2026-12-03T08:00:00Z) nor a date (2026-12-03)")
            })
    })
}

/// Folds copies, stores the rest with `store_batch` and reports, as every fact-check import does.
fn import(
    records: Vec<FactCheck>,
    rejected: &[Rejected],
    store_batch: impl FnOnce(&[FactCheck]) -> tangkal_store::Result<FactCheckCounts>,
) -> anyhow::Result<ExitCode> {
    let read = records.len();
    let (records, duplicates) = formats::dedup(records, &Analyzer::new());
    let counts = store_batch(&records)?;
    for r in rejected {
        eprintln!("rejected {r}");
    }
    for d in &duplicates {
        eprintln!("folded {} into {} (same {})", d.dropped, d.kept, d.by);
    }
    println!(
        "read {read} · folded {} copies · new {} · updated {} · unchanged {} · rejected {}",
        duplicates.len(),
        counts.new,
        counts.updated,
        counts.unchanged,
        rejected.len()
    );
    Ok(if rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_SOME_REJECTED) })
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let mut store = config.open_store()?;
    match command {
        Command::Import { files, format, map } => {
            let map = ColumnMap::parse(map.as_deref().unwrap_or_default()).map_err(anyhow::Error::msg)?;
            let mut records = Vec::new();
            let mut rejected = Vec::new();
            for file in &files {
                let parsed = read_file(file, format.map(Into::into), &map)?;
                records.extend(parsed.records);
                rejected.extend(parsed.rejected);
            }
            return import(records, &rejected, |batch| store.upsert_factchecks(batch));
        }
        Command::Pull { url, token, since } => {
            let source = url.trim();
            let since = match since {
                Some(given) => Some(given),
                None => store.pull_since(source)?,
            };
            let pulled = tangkal_pipeline::pull_factchecks(source, token.as_deref(), since)?;
            let from = since.map_or("the start".to_string(), |t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            let older =
                if pulled.older > 0 { format!(" (and {} older, left out)", pulled.older) } else { String::new() };
            eprintln!(
                "{source}: {} since {from}: entries {}{older} · requests {}",
                pulled.kind, pulled.entries, pulled.requests
            );
            if pulled.may_have_missed {
                eprintln!(
                    "warning: every entry of this feed changed after {from}; a feed keeps only its latest entries, \
                     so changes in between may have left it (a partner's DataFeed has them all)"
                );
            }
            let next = pulled.next_since;
            let status = import(pulled.records, &pulled.rejected, |batch| {
                store.upsert_pulled_factchecks(source, batch, next, Utc::now())
            })?;
            if let Some(next) = next {
                eprintln!("next pull from {}", next.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            }
            return Ok(status);
        }
        Command::Export { format, output } => {
            let records: Vec<_> = store
                .list_factchecks(&FactCheckFilter::default(), u64::MAX >> 1, 0)?
                .into_iter()
                .map(|s| s.factcheck)
                .collect();
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(BufWriter::new(
                    File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
                )),
                None => Box::new(BufWriter::new(std::io::stdout().lock())),
            };
            match format {
                FormatArg::Jsonl => formats::write_jsonl(&mut out, &records)?,
                FormatArg::Claimreview => formats::write_claimreview(&mut out, &records)?,
                FormatArg::Csv => formats::write_csv(&mut out, &records)?,
            }
            out.flush()?;
            eprintln!("exported {} fact-checks", records.len());
        }
        Command::List { search, publisher, rating, list: super::ListArgs { limit, offset, json } } => {
            let filter = FactCheckFilter { search, publisher, rating };
            let found = store.list_factchecks(&filter, limit, offset)?;
            if json {
                for f in &found {
                    println!("{}", serde_json::to_string(f)?);
                }
            } else {
                println!("{}", table(&found));
            }
        }
        Command::Show { id, json } => {
            let Some(found) = store.get_factcheck(&id)? else {
                anyhow::bail!("no fact-check with id {id}");
            };
            let versions = store.factcheck_versions(&id)?;
            if json {
                let value = serde_json::json!({"current": found, "earlier_versions": versions});
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                let f = &found.factcheck;
                println!("{} · version {} · updated {}", f.id, found.version, found.updated_at.to_rfc3339());
                println!("title:     {}", f.title);
                for (label, value) in [
                    ("claim", &f.claim),
                    ("rating", &f.rating),
                    ("type", &f.misinformation_type),
                    ("url", &f.url),
                    ("publisher", &f.publisher),
                    ("lang", &f.lang),
                    ("source", &f.provenance),
                ] {
                    if let Some(v) = value {
                        println!("{label:<10} {v}");
                    }
                }
                if let Some(d) = f.date {
                    println!("date:      {d}");
                }
                for (label, value) in [("explanation", &f.explanation), ("conclusion", &f.conclusion)] {
                    if let Some(v) = value {
                        println!("\n{label}:\n{v}");
                    }
                }
                for v in &versions {
                    println!(
                        "\nversion {} (replaced {}): {}",
                        v.version,
                        v.replaced_at.to_rfc3339(),
                        v.factcheck.title
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn table(found: &[StoredFactCheck]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    table.set_header(["id", "date", "rating", "publisher", "title"]);
    for s in found {
        let f = &s.factcheck;
        table.add_row([
            f.id.clone(),
            f.date.map(|d| d.to_string()).unwrap_or_default(),
            f.rating.clone().unwrap_or_default(),
            f.publisher.clone().unwrap_or_default().chars().take(20).collect(),
            f.title.chars().take(70).collect(),
        ]);
    }
    table
}
