//! Tangkal's persistence.
//!
//! Callers see traits, one per concept ([`ItemStore`] for posts and articles), gathered in [`Store`]. Each
//! concept has its module at the top (`items.rs`, `cases.rs`, ...): the trait, its row and filter types,
//! the helpers both backends share, and the conformance tests, which run on both. The two implementations
//! sit side by side, in the manner of tantivy's `Directory`, each with one module per concept:
//! `sqlite/` ([`SqliteStore`], the embedded default, with SQLite's migrations) and `postgres/`
//! ([`PostgresStore`], for a desk that several servers share). The SQL sticks to what PostgreSQL also
//! speaks (integer UTC seconds for times, `ON CONFLICT` upserts, no SQLite-only types), so that a PostgreSQL
//! backend is one more implementation of the same traits, not a change to any caller.

mod audit;
mod audit_anchor;
mod budgets;
mod cases;
mod clarifications;
mod error;
mod factchecks;
mod figures;
mod items;
mod matches;
mod narratives;
mod postgres;
mod reports;
#[cfg(test)]
mod response_fixtures;
mod settings;
mod sqlite;
mod takedowns;
#[cfg(test)]
mod testing;
mod tiplines;
mod users;
mod webhooks;

pub use audit::{AuditChanges, AuditFilter, AuditStore};
pub use audit_anchor::AuditFiles;
pub use budgets::{BudgetCharge, BudgetStore};
pub use cases::{CaseFilter, CaseStore, CaseSummary, CaseUpdate};
pub use clarifications::{ClarificationFilter, ClarificationStore, ReaderFilter};
pub use error::StoreError;
pub use factchecks::{FactCheckCounts, FactCheckFilter, FactCheckStore, FactCheckVersion, StoredFactCheck};
pub use figures::{DailyCount, FigureStore, ResponseTimes};
pub use items::{ItemFilter, ItemPlan, ItemRecord, ItemStore, PlaceNew, Placement, SourceRef, StoredItem, WriteCounts};
pub use matches::{FactCheckMatch, MatchStore, NarrativeClaim, NarrativeMatch, NarrativeMatches, PendingNarrative};
pub use narratives::{
    HourlyPosts, NarrativeAccount, NarrativeInput, NarrativeMerge, NarrativeOrder, NarrativePost, NarrativeRow,
    NarrativeStore, NarrativeUpdate, NarrativeVariant,
};
pub use postgres::{PlacerLock, PlacerSnapshot, PostgresStore, ScratchSchema, TEST_DATABASE_URL};
pub use reports::{ReportFilter, ReportStore};
pub use settings::{Setting, SettingStore};
pub use sqlite::{BackgroundCheckpoints, SqliteStore, DATABASE_FILE};
pub use takedowns::{TakedownCreate, TakedownFilter, TakedownStore};
pub use tiplines::{ContactState, DueMessage, NewTip, SendResult, TipAction, TipTaken, TiplineStore};
pub use users::{
    ApiToken, NewUser, Session, User, UserStore, EXPIRED_SESSIONS_KEPT_DAYS, MAX_DISPLAY_NAME_CHARS,
    MAX_TOKEN_NAME_CHARS, USERNAME_PATTERN,
};
pub use webhooks::{AttemptRecorded, DueDelivery, FailurePolicy, WebhookFigures, WebhookStore, WEBHOOK_ACTOR};

use std::path::PathBuf;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The outcome of a change to a takedown request, clarification or citizen report when storage itself
/// worked.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseUpdate<T> {
    Done(Box<T>),
    /// No such record, or none the actor may see.
    NotFound,
    /// The rules refused the change; nothing was written.
    Refused(tangkal_response::ResponseError),
}

/// Everything the application persists. Each concept adds its trait as a supertrait here.
pub trait Store:
    ItemStore
    + FactCheckStore
    + UserStore
    + CaseStore
    + AuditStore
    + NarrativeStore
    + MatchStore
    + TakedownStore
    + ClarificationStore
    + ReportStore
    + WebhookStore
    + TiplineStore
    + FigureStore
    + SettingStore
    + BudgetStore
    + Send
{
}

impl Store for SqliteStore {}
impl Store for PostgresStore {}

/// Where the store is: the embedded SQLite file in the data directory (the default), or a PostgreSQL
/// database that several servers share. The data directory holds local files with either backend (the
/// audit trail's key and checkpoints by default, rejects, uploads, the narrative index's snapshot).
#[derive(Clone, PartialEq, Eq)]
pub struct StoreLocation {
    pub data_dir: PathBuf,
    /// `postgres://user@host:port/database`: the store is in this database instead of `data_dir`.
    pub database_url: Option<String>,
}

impl StoreLocation {
    /// The embedded store in `data_dir`.
    pub fn sqlite(data_dir: impl Into<PathBuf>) -> StoreLocation {
        StoreLocation { data_dir: data_dir.into(), database_url: None }
    }

    /// Connects to the database, creating the data directory as [`SqliteStore::open_in`] does: the local
    /// files (the narratives' snapshot, rejects) are written into it on PostgreSQL too.
    fn connect(&self) -> Result<PostgresStore> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|source| StoreError::DataDir { path: self.data_dir.clone(), source })?;
        let url = self.database_url.as_deref().unwrap_or_default();
        PostgresStore::connect(url, AuditFiles::in_data_dir(&self.data_dir))
    }
}

/// Never prints a password that the URL may carry.
impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLocation")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(postgres::redacted))
            .finish()
    }
}

/// For messages: `PostgreSQL postgres://user:***@host/db` or `SQLite in DIR`.
impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.database_url {
            Some(url) => write!(f, "PostgreSQL {}", postgres::redacted(url)),
            None => write!(f, "SQLite in {}", self.data_dir.display()),
        }
    }
}

/// Opens (creating if needed, and migrating) the store at `location`.
pub fn open(location: &StoreLocation) -> Result<Box<dyn Store>> {
    if location.database_url.is_some() {
        return Ok(Box::new(location.connect()?));
    }
    Ok(Box::new(SqliteStore::open_in(&location.data_dir)?))
}

/// Like [`open`], for a server. On SQLite this connection's commits leave checkpoints of the write-ahead
/// log to a [`BackgroundCheckpoints`] the server runs (`BackgroundCheckpoints::start(&data_dir.join(DATABASE_FILE))`),
/// so that no request waits for the database file's sync.
pub fn open_for_serving(location: &StoreLocation) -> Result<Box<dyn Store>> {
    if location.database_url.is_some() {
        return Ok(Box::new(location.connect()?));
    }
    let mut store = SqliteStore::open_in(&location.data_dir)?;
    store.leave_checkpoints_to_background()?;
    Ok(Box::new(store))
}

/// The file in a data directory whose lock marks an import in progress.
pub const IMPORT_LOCK_FILE: &str = "import.lock";

/// Like [`open`], tuned for a bulk import (see [`SqliteStore::tune_for_import`]). Imports into one store
/// run one at a time: this waits while another process holds the store's [`ImportLock`], because an
/// import's narrative placement assumes it is the only one (two would hand out the same narrative ids,
/// and items one stores between the other's transactions would be skipped). The lock is released when the
/// store is dropped.
pub fn open_for_import(location: &StoreLocation) -> Result<Box<dyn Store>> {
    let lock = ImportLock::acquire(location)?;
    if location.database_url.is_some() {
        let mut store = location.connect()?;
        store.import_lock = Some(lock);
        return Ok(Box::new(store));
    }
    let mut store = SqliteStore::open_in(&location.data_dir)?;
    store.tune_for_import()?;
    store.import_lock = Some(lock);
    Ok(Box::new(store))
}

/// A store's import lock, held until dropped: for a writer that keeps its own connection open between
/// imports (the server's push intake) and takes its turn for each one. On SQLite it is a lock on a file
/// in the data directory; on PostgreSQL an advisory lock held by a connection of its own, so that imports
/// from different machines into one database take turns too.
pub struct ImportLock {
    /// Locked while open; closing it releases the lock.
    _held: HeldLock,
}

/// Held for its drop alone.
enum HeldLock {
    File(#[allow(dead_code)] std::fs::File),
    Postgres(#[allow(dead_code)] Box<postgres::AdvisoryLock>),
}

impl ImportLock {
    /// Waits while another process holds the lock.
    pub fn acquire(location: &StoreLocation) -> Result<ImportLock> {
        if let Some(url) = &location.database_url {
            let lock = postgres::AdvisoryLock::acquire_import(url)?;
            return Ok(ImportLock { _held: HeldLock::Postgres(Box::new(lock)) });
        }
        let data_dir = &location.data_dir;
        let lock_path = data_dir.join(IMPORT_LOCK_FILE);
        let lock_error = |source| StoreError::ImportLock { path: lock_path.clone(), source };
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(lock_error)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::info!("waiting for another import into {} to finish", data_dir.display());
                lock.lock().map_err(lock_error)?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_error(e)),
        }
        Ok(ImportLock { _held: HeldLock::File(lock) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn imports_into_one_data_directory_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        imports_take_turns(StoreLocation::sqlite(dir.path()));
    }

    #[test]
    fn imports_into_one_postgres_database_take_turns() {
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        imports_take_turns(StoreLocation { data_dir: dir.path().into(), database_url: Some(scratch.url()) });
    }

    #[test]
    fn opening_a_postgres_store_makes_its_data_directory_as_sqlite_does() {
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let data_dir = dir.path().join("new").join("data");
        let location = StoreLocation { data_dir: data_dir.clone(), database_url: Some(scratch.url()) };
        drop(open(&location).unwrap());
        assert!(data_dir.is_dir(), "the narratives' snapshot and rejects are written there");
    }

    #[test]
    fn a_location_never_shows_its_password() {
        let location = StoreLocation {
            data_dir: "d".into(),
            database_url: Some("postgres://tangkal:s3cret@db.example:5432/tangkal".into()),
        };
        for shown in [format!("{location:?}"), location.to_string()] {
            assert!(!shown.contains("s3cret") && shown.contains("db.example"), "{shown}");
        }
    }

    fn imports_take_turns(location: StoreLocation) {
        let first = open_for_import(&location).unwrap();
        let first_done = Arc::new(AtomicBool::new(false));
        let second = {
            let (location, first_done) = (location.clone(), first_done.clone());
            std::thread::spawn(move || {
                let store = open_for_import(&location).unwrap();
                (first_done.load(Ordering::SeqCst), store.count_items(&ItemFilter::default()).unwrap())
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        first_done.store(true, Ordering::SeqCst);
        drop(first);
        let (waited, items) = second.join().unwrap();
        assert!(waited, "the second import opened while the first still held the store");
        assert_eq!(items, 0);
    }
}
