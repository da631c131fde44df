//! The store on SQLite, the embedded default: one file in the data directory ([`DATABASE_FILE`]) in WAL
//! mode, so that readers never block the writer.
//!
//! [`SqliteStore`] holds one connection; the modules here implement the store's traits for it, one per
//! concept, as `postgres/` does for [`PostgresStore`](crate::PostgresStore). Writes run in immediate
//! transactions, so writers take turns, and these implementations rely on it where PostgreSQL's decide in
//! the database: the next id is free, and the audit trail's head read inside a write is the one committed.

/// SQL for the text of the item row aliased `$row` (migration 0006: the text is kept once, inside the raw
/// record when that holds it).
macro_rules! item_text {
    ($row:literal) => {
        concat!(
            "CASE WHEN ",
            $row,
            ".text_copy = '' THEN json_extract(",
            $row,
            ".raw, '$.text') ELSE ",
            $row,
            ".text_copy END"
        )
    };
}

mod audit;
mod budgets;
mod cases;
pub(crate) mod clarifications;
mod factchecks;
mod figures;
mod identity_filter;
mod items;
mod matches;
mod migrate;
pub(crate) mod narratives;
mod reports;
mod settings;
mod takedowns;
mod tiplines;
mod users;
mod webhooks;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rustc_hash::FxHashMap;

use crate::audit_anchor::{AuditAnchor, AuditFiles};
use crate::items::StoredMetrics;
use crate::{Result, StoreError};
use identity_filter::IdentityFilter;
use migrate::migrate;

/// The embedded store: one SQLite file in WAL mode, so readers (the web app, `items list`) never block
/// the writer (an import), and a crash loses at most the uncommitted transaction.
pub struct SqliteStore {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// Hash of (platform, account id) → (row id, handle), so an import touches the accounts table only for
    /// new accounts or changed handles, without allocating a key per item.
    pub(crate) accounts: FxHashMap<u128, (i64, Option<String>)>,
    /// A transaction opened by [`crate::ItemStore::begin_writes`] is open.
    pub(crate) writes_open: bool,
    /// Set by [`SqliteStore::tune_for_import`].
    pub(crate) bulk: bool,
    /// Items planned by [`crate::ItemStore::plan_items`] and not inserted yet: row id and metrics.
    pub(crate) planned: StoredMetrics,
    /// For bulk imports: the stored identities, so that only those it cannot rule out are looked up.
    pub(crate) identity_filter: Option<IdentityFilter>,
    checkpointer: Option<BackgroundCheckpoints>,
    /// Write-ahead log size past which a bulk import makes the log start over (`keep_log_small`).
    pub(crate) log_limit: u64,
    /// Bytes of the write-ahead log in use after the last commit, once [`SqliteStore::measure_log`] is
    /// on. (The file's size says nothing: it keeps its largest size when the log starts over.)
    pub(crate) log_used: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The data directory's import lock, held while this connection imports (see
    /// [`crate::open_for_import`]); dropped last, after the final checkpoint.
    pub(crate) import_lock: Option<crate::ImportLock>,
    /// The audit trail's key and checkpoint file.
    pub(crate) audit: AuditAnchor,
}

/// A thread with its own connection that copies the write-ahead log into the database file, so that the
/// connections that write never stop to do it: a checkpoint syncs the database file, which on a real disk
/// takes some 20 ms, and the commit that crossed the log's threshold used to wait for it. Stops when
/// dropped.
pub struct BackgroundCheckpoints {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundCheckpoints {
    /// Starts checkpointing the database file `database` every 50 ms. Connections that leave checkpoints
    /// to it set `PRAGMA wal_autocheckpoint = 0` ([`SqliteStore::leave_checkpoints_to_background`]).
    pub fn start(database: &Path) -> Result<BackgroundCheckpoints> {
        let background = Connection::open(database)?;
        background.busy_timeout(BUSY_TIMEOUT)?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_millis(50))
            {
                if let Err(e) = background.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!("background checkpoint failed: {e}");
                }
            }
        });
        Ok(BackgroundCheckpoints { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for BackgroundCheckpoints {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "tangkal.sqlite3";

/// How long a statement waits for another connection's lock before giving up.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Puts the database in WAL mode (a no-op once it is). Switching a new database needs every other
/// connection to let go of it, and SQLite neither waits for that nor always says it failed (it may just
/// answer with the old mode), so when another process is creating the same store at the same moment the
/// switch is retried until it takes, for as long as any other lock would be waited for.
fn switch_to_wal(conn: &Connection) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        let mode = match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => mode,
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => {
                "busy".to_string()
            }
            Err(e) => return Err(e.into()),
        };
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        if started.elapsed() >= BUSY_TIMEOUT {
            return Err(StoreError::Unavailable(format!("cannot switch the store to WAL mode (still {mode})")));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

impl SqliteStore {
    /// Opens `DATA_DIR/tangkal.sqlite3`, creating the directory and the schema as needed.
    pub fn open_in(data_dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        SqliteStore::open(&data_dir.join(DATABASE_FILE))
    }

    pub fn open(path: &Path) -> Result<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // For new stores: with 32 KiB pages a bulk import splits and rebalances half as many pages as with
        // 16 KiB (about a tenth faster, measured) and a small transaction still writes little.
        conn.execute_batch("PRAGMA page_size = 32768")?;
        switch_to_wal(&conn)?;
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;
             PRAGMA temp_store = MEMORY;",
        )?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            accounts: FxHashMap::default(),
            writes_open: false,
            bulk: false,
            planned: StoredMetrics::default(),
            identity_filter: None,
            checkpointer: None,
            log_limit: 256 << 20,
            log_used: Default::default(),
            import_lock: None,
            audit: AuditAnchor::new(AuditFiles::in_data_dir(path.parent().unwrap_or(Path::new(".")))),
        })
    }

    /// Tunes this connection for bulk imports:
    /// - checkpoints run on a background thread instead of inside the writer's commits (the log is fully
    ///   checkpointed when the store is dropped);
    /// - a 32 MiB page cache: enough for the index pages a transaction touches (64 MiB was no faster);
    /// - item writes look up only the identities that a Bloom filter of the stored ones cannot rule out
    ///   (built by the first write: a scan of the identity key index, 1.25 MB per million items);
    /// - while items are written, their references (account and source rows, read or written in the same
    ///   transaction) are not checked again: foreign keys are off from `begin_writes` to the commit.
    pub fn tune_for_import(&mut self) -> Result<()> {
        self.bulk = true;
        self.conn.execute_batch("PRAGMA cache_size = -32768")?;
        if self.checkpointer.is_some() {
            return Ok(());
        }
        let checkpoints = BackgroundCheckpoints::start(&self.path)?;
        self.leave_checkpoints_to_background()?;
        self.measure_log()?;
        self.checkpointer = Some(checkpoints);
        Ok(())
    }

    /// This connection's commits no longer checkpoint the log: a [`BackgroundCheckpoints`] must run.
    pub fn leave_checkpoints_to_background(&mut self) -> Result<()> {
        self.conn.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        Ok(())
    }

    /// Keeps [`SqliteStore::log_used`] up to date after every commit. This replaces automatic
    /// checkpoints on this connection (both are SQLite's one commit hook), so it is for bulk imports only.
    pub(crate) fn measure_log(&mut self) -> Result<()> {
        let page_size = self.conn.query_row("PRAGMA page_size", [], |r| r.get::<_, u32>(0))? as u64;
        let log_used = self.log_used.clone();
        self.conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
            log_used.store(pages.max(0) as u64 * page_size, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }))?;
        Ok(())
    }

    /// Writes a consistent copy of the store to `file` (a new file) without stopping other connections:
    /// `VACUUM INTO` reads one snapshot, and the copy is compact and complete (no write-ahead log beside it).
    pub fn back_up_to(&self, file: &Path) -> Result<()> {
        let file = file.to_str().ok_or_else(|| StoreError::invalid("file", "is not a UTF-8 path"))?;
        self.conn.execute("VACUUM INTO ?1", [file])?;
        Ok(())
    }

    /// The database file, for reporting its size.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if self.audit.unanchored.get() {
            if let Err(e) = crate::AuditStore::checkpoint_audit(self, chrono::Utc::now()) {
                tracing::error!("cannot write an audit checkpoint: {e}");
            }
        }
        if let Some(checkpointer) = self.checkpointer.take() {
            drop(checkpointer);
            // Leave a small log behind, as automatic checkpoints would have.
            let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_created_by_two_openers_at_once_both_open_in_wal_mode() {
        // `tangkal serve` and `tangkal ingest` started together on a new data directory: whichever switches
        // the new file to WAL second used to get "database is locked" (about every other time).
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(DATABASE_FILE);
            let start = std::sync::Arc::new(std::sync::Barrier::new(2));
            let openers: Vec<_> = (0..2)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        SqliteStore::open(&path).map(|_| ())
                    })
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().unwrap();
            }
            let mode: String =
                Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
        }
    }
}
