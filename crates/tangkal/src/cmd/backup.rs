//! `tangkal backup FILE`: a consistent copy of the embedded store while it is in use (SQLite's
//! `VACUUM INTO`: one read transaction, so servers and imports carry on). A PostgreSQL store is backed up
//! with PostgreSQL's own tools (`pg_dump`, or the base backups and WAL archive of a managed service); see
//! docs/deploy.md.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;

#[derive(clap::Args)]
pub struct Args {
    /// The copy to write (must not exist yet)
    pub file: PathBuf,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        config.database_url.is_none(),
        "the store is in PostgreSQL: back it up with pg_dump (see docs/deploy.md), not tangkal backup"
    );
    anyhow::ensure!(!args.file.exists(), "{} exists already: name a new file", args.file.display());
    let store = tangkal_store::SqliteStore::open_in(&config.data_dir)
        .with_context(|| format!("cannot open the store in {}", config.data_dir.display()))?;
    store.back_up_to(&args.file).with_context(|| format!("cannot write {}", args.file.display()))?;
    println!(
        "backed up the store to {}; keep it with the audit key ({}), which is not in the copy",
        args.file.display(),
        config.audit_files().key.display()
    );
    Ok(ExitCode::SUCCESS)
}
