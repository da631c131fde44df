use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot take the import lock {path}: {source}")]
    ImportLock { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: u32, name: &'static str, source: rusqlite::Error },
    #[error("the store was written by a newer Tangkal (it has schema migration {found}, which this build does not know; newest known: {known})")]
    NewerSchema { found: u32, known: u32 },
    #[error("audit key file {path}: {problem}")]
    AuditKey { path: PathBuf, problem: String },
    #[error("audit checkpoint file {path}: {source}")]
    AuditCheckpoints { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
    /// The request contradicts what is stored (a name already taken, a role the owner cannot lend).
    #[error("{0}")]
    Conflict(String),
    /// Something the request names does not exist.
    #[error("{0}")]
    NotFound(String),
}
