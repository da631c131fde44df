//! Tangkal's persistence.
//!
//! Callers see traits, one per concept ([`ItemStore`] for posts and articles), gathered in [`Store`];
//! [`SqliteStore`] is the embedded default. The SQL sticks to what PostgreSQL also speaks (integer UTC
//! seconds for times, `ON CONFLICT` upserts, no SQLite-only types), so that a PostgreSQL backend is one more
//! implementation of the same traits, not a change to any caller.

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
mod audit_anchor;
mod cases;
mod clarifications;
mod error;
mod factchecks;
mod figures;
mod identity_filter;
mod items;
mod matches;
mod migrate;
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
pub use postgres::{PostgresStore, ScratchSchema, TEST_DATABASE_URL};
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
    + Send
{
}

impl Store for SqliteStore {}
impl Store for PostgresStore {}

/// Opens (creating if needed, and migrating) the embedded store inside `data_dir`.
pub fn open(data_dir: &std::path::Path) -> Result<Box<dyn Store>> {
    Ok(Box::new(SqliteStore::open_in(data_dir)?))
}

/// Like [`open`], for a server: this connection's commits leave checkpoints of the write-ahead log to a
/// [`BackgroundCheckpoints`] the server runs (`BackgroundCheckpoints::start(&data_dir.join(DATABASE_FILE))`),
/// so that no request waits for the database file's sync.
pub fn open_for_serving(data_dir: &std::path::Path) -> Result<Box<dyn Store>> {
    let mut store = SqliteStore::open_in(data_dir)?;
    store.leave_checkpoints_to_background()?;
    Ok(Box::new(store))
}

/// The file in a data directory whose lock marks an import in progress.
pub const IMPORT_LOCK_FILE: &str = "import.lock";

/// Like [`open`], tuned for a bulk import (see [`SqliteStore::tune_for_import`]). Imports into one data
/// directory run one at a time: this waits while another process holds the directory's import lock,
/// because an import's narrative placement assumes it is the only one (two would hand out the same
/// narrative ids, and items one stores between the other's transactions would be skipped). The lock is
/// released when the store is dropped.
pub fn open_for_import(data_dir: &std::path::Path) -> Result<Box<dyn Store>> {
    let lock = ImportLock::acquire(data_dir)?;
    let mut store = SqliteStore::open_in(data_dir)?;
    store.tune_for_import()?;
    store.import_lock = Some(lock);
    Ok(Box::new(store))
}

/// A data directory's import lock, held until dropped: for a writer that keeps its own connection open
/// between imports (the server's push intake) and takes its turn for each one.
pub struct ImportLock {
    /// Locked while open; closing it releases the lock.
    _file: std::fs::File,
}

impl ImportLock {
    /// Waits while another process holds the lock.
    pub fn acquire(data_dir: &std::path::Path) -> Result<ImportLock> {
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
        Ok(ImportLock { _file: lock })
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
        let first = open_for_import(dir.path()).unwrap();
        let first_done = Arc::new(AtomicBool::new(false));
        let second = {
            let (path, first_done) = (dir.path().to_path_buf(), first_done.clone());
            std::thread::spawn(move || {
                let store = open_for_import(&path).unwrap();
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
