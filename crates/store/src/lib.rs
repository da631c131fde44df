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
mod cases;
mod error;
mod factchecks;
mod identity_filter;
mod items;
mod matches;
mod migrate;
mod narratives;
mod sqlite;
mod users;

pub use audit::{AuditFilter, AuditStore};
pub use cases::{CaseFilter, CaseStore, CaseSummary, CaseUpdate};
pub use error::StoreError;
pub use factchecks::{FactCheckCounts, FactCheckFilter, FactCheckStore, FactCheckVersion, StoredFactCheck};
pub use items::{ItemFilter, ItemPlan, ItemRecord, ItemStore, PlaceNew, Placement, SourceRef, StoredItem, WriteCounts};
pub use matches::{FactCheckMatch, MatchStore, NarrativeClaim, NarrativeMatch, NarrativeMatches, PendingNarrative};
pub use narratives::{
    NarrativeInput, NarrativeMerge, NarrativeOrder, NarrativePost, NarrativeRow, NarrativeStore, NarrativeUpdate,
};
pub use sqlite::SqliteStore;
pub use users::{ApiToken, NewUser, User, UserStore};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything the application persists. Each concept adds its trait as a supertrait here.
pub trait Store:
    ItemStore + FactCheckStore + UserStore + CaseStore + AuditStore + NarrativeStore + MatchStore + Send
{
}

impl Store for SqliteStore {}

/// Opens (creating if needed, and migrating) the embedded store inside `data_dir`.
pub fn open(data_dir: &std::path::Path) -> Result<Box<dyn Store>> {
    Ok(Box::new(SqliteStore::open_in(data_dir)?))
}

/// Like [`open`], tuned for a bulk import: housekeeping runs beside the writer instead of inside it.
pub fn open_for_import(data_dir: &std::path::Path) -> Result<Box<dyn Store>> {
    let mut store = SqliteStore::open_in(data_dir)?;
    store.tune_for_import()?;
    Ok(Box::new(store))
}
