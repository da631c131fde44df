//! One module per subcommand; each exposes `Args` (or `Command`) and `run`.

pub mod audit;
pub mod backup;
pub mod demo;
mod desk_accounts;
pub mod detect;
pub mod drill;
pub mod factchecks;
pub mod ingest;
pub mod intake;
pub mod items;
pub mod matching;
pub mod migrate;
pub mod narratives;
pub mod serve;
pub mod text;
pub mod tipline;
pub mod token;
pub mod user;

/// Paging and output options shared by the list commands.
#[derive(clap::Args)]
pub struct ListArgs {
    /// At most this many rows
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
    /// Skip this many rows first
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
}

/// `text` on one line, cut to `chars` characters with an ellipsis, for tables and listings.
pub(crate) fn excerpt(text: &str, chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}
