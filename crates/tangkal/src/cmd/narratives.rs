//! `tangkal narratives`: cluster a JSONL stream for evaluation, and list or show stored narratives.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use tangkal_model::NarrativeId;
use tangkal_narratives::clustering::{Clustering, StreamPost};
use tangkal_narratives::coordination::Detection;
use tangkal_narratives::index::Config as IndexConfig;

use tangkal_store::{NarrativeClaim, NarrativeMatch, NarrativeOrder, StoredItem};

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Cluster a JSONL item stream in file order and write one prediction line per item
    Cluster(ClusterArgs),
    /// List stored narratives (figures as of the newest item ingested)
    List {
        #[arg(long, value_enum, default_value = "velocity")]
        sort: Sort,
        #[command(flatten)]
        list: super::ListArgs,
    },
    /// Show one narrative: figures, central copy, matched fact-checks, merges, recent items and coordination
    /// flags
    Show {
        /// A narrative id; ids of narratives merged away resolve to the one that absorbed them
        id: i64,
        /// Recent items to show
        #[arg(long, default_value_t = 10)]
        items: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Sort {
    /// Items per hour over the last hour, then 6 and 24 hours
    Velocity,
    /// Number of items
    Size,
    /// Views plus shares
    Reach,
    /// Last seen
    Recent,
}

#[derive(clap::Args)]
pub struct ClusterArgs {
    /// Items in the JSONL item format, in arrival order
    #[arg(long)]
    input: PathBuf,
    /// Where to write `{"id", "cluster", "coordinated"}` lines
    #[arg(long)]
    output: PathBuf,
    /// Print timings and index size as JSON on standard error
    #[arg(long)]
    timings: bool,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Cluster(args) => cluster(config, args),
        Command::List { sort, list: super::ListArgs { limit, offset, json } } => {
            list(config, sort, limit, offset, json)
        }
        Command::Show { id, items, json } => show(config, id, items, json),
    }
}

fn cluster(config: &Config, args: ClusterArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let input = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut clustering = Clustering::new(tangkal_text::Analyzer::new(), IndexConfig::default());
    // The ids end to end in one string: a million items are not a million allocations.
    let mut ids = String::new();
    let mut id_ends: Vec<usize> = Vec::new();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let bad_line = |e: tangkal_model::ItemError| anyhow::anyhow!("{}:{number}: {e}", args.input.display());
        // Only the fields clustering reads, checked as ingest checks them, borrowed from the line.
        let fields = tangkal_model::parse_json_fields(trim_newline(&line)).map_err(bad_line)?;
        let item = fields.check(config.ingest.max_text_bytes).map_err(bad_line)?;
        let id = item.id.with_context(|| format!("{}:{number}: missing required field `id`", args.input.display()))?;
        clustering.observe(&StreamPost {
            text: item.text,
            platform: item.platform,
            account: item.author_id,
            published_at: item.published_at.timestamp(),
            views: item.metrics.views,
            shares: item.metrics.shares,
        });
        ids.push_str(id);
        id_ends.push(ids.len());
    }
    let clustered = clustering.finish();
    let mut out = BufWriter::with_capacity(
        1 << 20,
        File::create(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?,
    );
    let mut id_start = 0;
    for (i, &id_end) in id_ends.iter().enumerate() {
        write_prediction(&mut out, &ids[id_start..id_end], clustered.narratives[i], clustered.coordinated[i])?;
        id_start = id_end;
    }
    out.flush()?;
    if args.timings {
        let process = started.elapsed().as_secs_f64();
        let mut report = serde_json::to_value(&clustered.report)?;
        report["process_s"] = process.into();
        report["process_items_per_s"] = (clustered.narratives.len() as f64 / process).into();
        eprintln!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// One prediction line, `{"cluster":7,"coordinated":false,"id":"x:1"}`, written straight to `out`
/// (keys in sorted order, as `serde_json::Value` prints them).
fn write_prediction(out: &mut impl Write, id: &str, cluster: NarrativeId, coordinated: bool) -> anyhow::Result<()> {
    out.write_all(b"{\"cluster\":")?;
    serde_json::to_writer(&mut *out, &cluster)?;
    out.write_all(if coordinated { b",\"coordinated\":true,\"id\":" } else { b",\"coordinated\":false,\"id\":" })?;
    serde_json::to_writer(&mut *out, id)?;
    out.write_all(b"}\n")?;
    Ok(())
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

fn list(config: &Config, sort: Sort, limit: u64, offset: u64, json: bool) -> anyhow::Result<ExitCode> {
    let store = config.open_store()?;
    let order = match sort {
        Sort::Velocity => NarrativeOrder::Velocity,
        Sort::Size => NarrativeOrder::Size,
        Sort::Reach => NarrativeOrder::Reach,
        Sort::Recent => NarrativeOrder::Recent,
    };
    let rows = store.list_narratives(order, limit, offset)?;
    if json {
        for row in &rows {
            let mut value = serde_json::to_value(row)?;
            value["claim"] = serde_json::to_value(store.narrative_claim(row.id)?)?;
            println!("{value}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    table.set_header([
        "id",
        "items",
        "accounts",
        "platforms",
        "reach",
        "per h (1h/6h/24h)",
        "last seen",
        "fact-check",
        "copy",
    ]);
    for row in &rows {
        let text = store.get_item(row.representative_item_id)?.map(|i| i.text).unwrap_or_default();
        table.add_row([
            row.id.to_string(),
            row.items.to_string(),
            row.accounts.to_string(),
            row.platforms.join(" "),
            (row.views + row.shares).to_string(),
            format!(
                "{:.0}/{:.1}/{:.1}{}",
                row.velocity_1h,
                row.velocity_6h,
                row.velocity_24h,
                if row.accelerating { " ↑" } else { "" }
            ),
            time(row.last_seen),
            store.narrative_claim(row.id)?.as_ref().map(claim_label).unwrap_or_default(),
            super::excerpt(&text, 60),
        ]);
    }
    println!("{table}");
    Ok(ExitCode::SUCCESS)
}

fn show(config: &Config, id: i64, recent: u64, json: bool) -> anyhow::Result<ExitCode> {
    let store = config.open_store()?;
    // An id no narrative can have is as unknown as one that does not exist.
    let found = match NarrativeId::try_from(id) {
        Ok(narrative) => store.get_narrative(narrative)?,
        Err(_) => None,
    };
    let Some(row) = found else {
        eprintln!("no narrative {id}");
        return Ok(ExitCode::from(2));
    };
    let representative = store.get_item(row.representative_item_id)?;
    let merges = store.narrative_merges(row.id)?;
    let items: Vec<StoredItem> = store
        .narrative_item_ids(row.id, recent)?
        .into_iter()
        .filter_map(|i| store.get_item(i).transpose())
        .collect::<Result<_, _>>()?;
    let flags = coordination_flags(store.as_ref(), row.id)?;
    let claim = store.narrative_claim(row.id)?;
    let matches = store.narrative_matches(row.id)?;
    if json {
        let value = serde_json::json!({
            "narrative": row,
            "representative": representative,
            "claim": claim,
            "matched_factchecks": matches,
            "merged": merges,
            "recent_items": items,
            "coordination": flags,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "narrative {}{}",
        row.id,
        if i64::from(row.id) != id { format!(" (absorbed {id})") } else { String::new() }
    );
    println!("  first seen {}  last seen {}", time(row.first_seen), time(row.last_seen));
    println!("  items {}  accounts {}  platforms {}", row.items, row.accounts, row.platforms.join(" "));
    println!("  reach: views {}  shares {}", row.views, row.shares);
    println!(
        "  items per hour: last 1 h {:.0}, 6 h {:.1}, 24 h {:.1}{}",
        row.velocity_1h,
        row.velocity_6h,
        row.velocity_24h,
        if row.accelerating { "  (accelerating)" } else { "" }
    );
    if let Some(item) = &representative {
        println!("  central copy (item {}): {}", item.id, super::excerpt(&item.text, 300));
    }
    print_matches(claim.as_ref(), &matches);
    for m in &merges {
        println!("  merged: narrative {} into {} (bridging item {})", m.absorbed, m.into, m.item_id);
    }
    for flag in &flags.flags {
        println!(
            "  coordinated: {} .. {}: items {:?}: {}",
            time(flag.window_start),
            time(flag.window_end),
            flag.items,
            flag.reason
        );
    }
    println!("  recent items:");
    for item in &items {
        println!("    {} {} {}", item.id, time(item.published_at.timestamp()), super::excerpt(&item.text, 80));
    }
    Ok(ExitCode::SUCCESS)
}

/// "debunked P2, case 7" for a narrative a fact-check answers, "suggested" when one may.
fn claim_label(claim: &NarrativeClaim) -> String {
    match (claim.debunked, claim.best_score) {
        (true, _) => format!(
            "debunked{}{}",
            claim.priority.map(|p| format!(" P{}", p.level())).unwrap_or_default(),
            claim.case_id.map(|c| format!(", case {c}")).unwrap_or_default()
        ),
        (false, Some(_)) => "suggested".into(),
        (false, None) => String::new(),
    }
}

fn print_matches(claim: Option<&NarrativeClaim>, matches: &[NarrativeMatch]) {
    let Some(claim) = claim else {
        println!("  matched fact-checks: not matched yet");
        return;
    };
    let outcome = match claim_label(claim) {
        label if label.is_empty() => "none at or above the suggest threshold".to_string(),
        label => label,
    };
    println!(
        "  matched fact-checks (central copy item {}, {}): {outcome}",
        claim.representative_item_id,
        time(claim.matched_at)
    );
    for m in matches {
        println!(
            "    {}. {:.2} {}{} {}{}",
            m.rank,
            m.found.score,
            m.found.factcheck_id,
            m.rating.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default(),
            super::excerpt(&m.title, 100),
            m.url.as_deref().map(|u| format!(" {u}")).unwrap_or_default()
        );
        let words = |key: &str| -> Vec<String> {
            m.found.explanation[key]
                .as_array()
                .map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let (phrases, claim_words) = (words("phrases"), words("claim_words"));
        if !phrases.is_empty() {
            println!("       phrases: {}", phrases.join("; "));
        }
        if !claim_words.is_empty() {
            println!("       words: {}", claim_words.join(", "));
        }
    }
}

/// The coordination flags of one narrative, detected over the whole stream.
fn coordination_flags(store: &dyn tangkal_store::Store, narrative: NarrativeId) -> anyhow::Result<Detection> {
    let mut detection = tangkal_pipeline::coordination::detect_stored(store)?;
    detection.flags.retain(|f| f.narrative == narrative);
    Ok(detection)
}

fn time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map_or_else(|| secs.to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}
