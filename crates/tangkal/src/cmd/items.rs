//! `tangkal items`: look at what was stored.

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use tangkal_model::ItemId;
use tangkal_store::{ItemFilter, StoredItem};

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List items, newest first
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        list: super::ListArgs,
    },
    /// Show one item with its raw record
    Show {
        id: ItemId,
        #[arg(long)]
        json: bool,
    },
    /// Print the number of matching items
    Count {
        #[command(flatten)]
        filter: FilterArgs,
    },
}

#[derive(clap::Args)]
pub struct FilterArgs {
    /// Only this platform (x, facebook, whatsapp, news, ...)
    #[arg(long)]
    platform: Option<String>,
    /// Published at or after (RFC 3339 or YYYY-MM-DD, UTC)
    #[arg(long, value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    /// Published before (RFC 3339 or YYYY-MM-DD, UTC)
    #[arg(long, value_parser = parse_time)]
    until: Option<DateTime<Utc>>,
    /// Text contains this (case-insensitive)
    #[arg(long)]
    contains: Option<String>,
}

impl From<FilterArgs> for ItemFilter {
    fn from(args: FilterArgs) -> ItemFilter {
        ItemFilter { platform: args.platform, since: args.since, until: args.until, text_contains: args.contains }
    }
}

fn parse_time(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("{value:?} is neither RFC 3339 nor YYYY-MM-DD"))
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let store = config.open_store()?;
    match command {
        Command::Count { filter } => println!("{}", store.count_items(&filter.into())?),
        Command::List { filter, list: super::ListArgs { limit, offset, json } } => {
            let items = store.list_items(&filter.into(), limit, offset)?;
            if json {
                for item in &items {
                    println!("{}", serde_json::to_string(&item_json(item)?)?);
                }
            } else {
                println!("{}", table(&items));
            }
        }
        Command::Show { id, json } => {
            let Some(item) = store.get_item(id)? else {
                anyhow::bail!("no item with id {id}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&item_json(&item)?)?);
            } else {
                print_item(&item);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON shape scripts read: the stored item with its narrative, and its raw record parsed back
/// into JSON in place of the stored text (so `raw` appears once).
fn item_json(item: &StoredItem) -> serde_json::Result<serde_json::Value> {
    let mut value = serde_json::to_value(item)?;
    if let Ok(raw) = serde_json::from_str::<serde_json::Value>(&item.raw) {
        value["raw"] = raw;
    }
    Ok(value)
}

fn table(items: &[StoredItem]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    table.set_header(["id", "published (UTC)", "platform", "author", "views", "shares", "text"]);
    for item in items {
        let author = item.author.as_ref().map(|a| a.handle.clone().unwrap_or_else(|| a.id.clone()));
        table.add_row([
            item.id.to_string(),
            item.published_at.format("%Y-%m-%d %H:%M").to_string(),
            item.platform.clone(),
            author.unwrap_or_default(),
            item.metrics.views.to_string(),
            item.metrics.shares.to_string(),
            super::excerpt(&item.text, 60),
        ]);
    }
    table
}

fn print_item(item: &StoredItem) {
    println!("item {} · {} · {}", item.id, item.platform, item.external_id.as_deref().unwrap_or("-"));
    if let Some(author) = &item.author {
        println!("author:     {} ({})", author.handle.as_deref().unwrap_or("-"), author.id);
    }
    if let Some(url) = &item.url {
        println!("url:        {url}");
    }
    println!("published:  {}", item.published_at.to_rfc3339());
    println!("first seen: {}", item.first_seen_at.to_rfc3339());
    if let Some(narrative) = item.narrative_id {
        println!("narrative:  {narrative}");
    }
    let m = item.metrics;
    println!("metrics:    views {} · shares {} · likes {} · replies {}", m.views, m.shares, m.likes, m.replies);
    println!("\n{}\n", item.text);
    println!("raw: {}", item.raw);
}
