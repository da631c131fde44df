//! The `tangkal` command line: every capability of the platform is a subcommand of this one binary.

mod cmd;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;

/// An import allocates a few strings per record on one thread and frees them in batches: mimalloc does
/// that markedly cheaper than the system allocator (about a sixth of the ingest's CPU time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the bundled mimalloc 2.3 (`mimalloc.h`, `mi_option_e`).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system at once rather than after 10 ms (100 ms for arenas): an import
/// frees a hand-off of records every few milliseconds, and the delay kept about 50 MB more resident.
fn return_freed_memory_at_once() {
    // SAFETY: sets an option of the allocator; valid at any time, and called before any thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

#[derive(Parser)]
#[command(name = "tangkal", version, about = "Tangkal: monitor, detect and answer misinformation (tangkal hoaks)")]
struct Cli {
    /// Configuration file [default: ./tangkal.toml if present]
    #[arg(long, global = true, env = "TANGKAL_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (store, rejects, uploads); overrides the configuration [default: ./tangkal-data]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Keep the store in this PostgreSQL database (postgres://user@host:port/database) instead of the data
    /// directory; overrides the configuration and TANGKAL_DATABASE_URL
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// NATS of the distributed intake (nats://host:port); overrides the configuration and TANGKAL_NATS_URL
    #[arg(long, global = true, value_name = "URL")]
    nats: Option<String>,
    /// Log format: human-readable text or JSON lines
    #[arg(long, global = true, value_enum, default_value = "text", env = "TANGKAL_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole flow on the bundled sample data
    Demo(cmd::demo::Args),
    /// A training drill: a simulated outbreak replayed into a drill server at a chosen speed, then the
    /// team's score
    Drill(cmd::drill::Args),
    /// Take in posts and articles from JSONL, CSV or a feed
    Ingest(cmd::ingest::Args),
    /// Place stored items that are in no narrative yet and match new or changed narratives (after
    /// `ingest --no-detect`)
    Detect(cmd::detect::Args),
    /// Bring the store's schema up to date (every command also does this on start)
    Migrate(cmd::migrate::Args),
    /// List, show and count stored items
    #[command(subcommand)]
    Items(cmd::items::Command),
    /// Serve the HTTP API (cases, verdicts, accounts, audit trail)
    Serve(cmd::serve::Args),
    /// Add, list and disable user accounts
    #[command(subcommand)]
    User(cmd::user::Command),
    /// Create, revoke and list API tokens
    #[command(subcommand)]
    Token(cmd::token::Command),
    /// Copy the embedded store to a file while it is in use (PostgreSQL: use pg_dump)
    Backup(cmd::backup::Args),
    /// Check the audit trail for tampering
    #[command(subcommand)]
    Audit(cmd::audit::Command),
    /// Import, export, list and show fact-checks
    #[command(subcommand)]
    Factchecks(cmd::factchecks::Command),
    /// Find the published fact-checks of each text ("was this debunked before?")
    Match(cmd::matching::Args),
    /// Cluster near-duplicate copies into narratives; list and show them
    #[command(subcommand)]
    Narratives(cmd::narratives::Command),
    /// Indonesian text analysis: stem words, show every analysis step for a text
    #[command(subcommand)]
    Text(cmd::text::Command),
    /// Connect the WhatsApp and Telegram tiplines to their platforms
    #[command(subcommand)]
    Tipline(cmd::tipline::Command),
    /// Distributed intake: store the items published to NATS (`ingest --to`) in PostgreSQL, and match the
    /// narratives the placer changed; run as many as you like
    Worker(cmd::intake::WorkerArgs),
    /// Distributed intake: place stored items in narratives, in stream order; one leads, others stand by
    Placer(cmd::intake::PlacerArgs),
    /// Distributed intake: stream depth, what the workers hold, workers alive, the placer, items per second
    Status(cmd::intake::StatusArgs),
}

/// Lets `tangkal items list | head` end quietly, as other command-line tools do, instead of panicking on a
/// closed pipe.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// `quiet`: warnings only unless `RUST_LOG` says otherwise (a drill's console is for its operator).
fn init_logging(format: LogFormat, quiet: bool) {
    // refinery reports every migration with its whole SQL, and PostgreSQL's notices are not news.
    let default = if quiet { "warn" } else { "info,refinery_core=warn,postgres=warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    return_freed_memory_at_once();
    restore_default_sigpipe();
    let cli = Cli::parse();
    init_logging(cli.log_format, matches!(cli.command, Command::Drill(_)));
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(1);
        }
    };
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(url) = cli.database_url {
        config.database_url = Some(url);
    }
    if let Some(url) = cli.nats {
        config.nats_url = Some(url);
    }
    let outcome = match cli.command {
        Command::Demo(args) => cmd::demo::run(&config, args),
        Command::Drill(args) => cmd::drill::run(&config, args),
        Command::Ingest(args) => cmd::ingest::run(&config, args),
        Command::Detect(args) => cmd::detect::run(&config, args),
        Command::Items(command) => cmd::items::run(&config, command),
        Command::Migrate(args) => cmd::migrate::run(&config, args),
        Command::Serve(args) => cmd::serve::run(&config, args),
        Command::User(command) => cmd::user::run(&config, command),
        Command::Token(command) => cmd::token::run(&config, command),
        Command::Audit(command) => cmd::audit::run(&config, command),
        Command::Backup(args) => cmd::backup::run(&config, args),
        Command::Factchecks(command) => cmd::factchecks::run(&config, command),
        Command::Match(args) => cmd::matching::run(&config, args),
        Command::Narratives(command) => cmd::narratives::run(&config, command),
        Command::Text(command) => cmd::text::run(&config, command),
        Command::Tipline(command) => cmd::tipline::run(&config, command),
        Command::Worker(args) => cmd::intake::worker(&config, args),
        Command::Placer(args) => cmd::intake::placer(&config, args),
        Command::Status(args) => cmd::intake::status(&config, args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap checks a command's definition (unique names, groups) only when that command is parsed; this
    /// checks every subcommand at once.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
