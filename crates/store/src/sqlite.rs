use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{migrate::migrate, Result, StoreError};

/// The embedded store: one SQLite file in WAL mode, so readers (the web app, `items list`) never block
/// the writer (an import), and a crash loses at most the uncommitted batch.
pub struct SqliteStore {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// (platform, account id) → (row id, handle), so an import touches the accounts table only for new
    /// accounts or changed handles.
    pub(crate) accounts: HashMap<(String, String), (i64, Option<String>)>,
}

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "tangkal.sqlite3";

impl SqliteStore {
    /// Opens `DATA_DIR/tangkal.sqlite3`, creating the directory and the schema as needed.
    pub fn open_in(data_dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        SqliteStore::open(&data_dir.join(DATABASE_FILE))
    }

    pub fn open(path: &Path) -> Result<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;
             PRAGMA temp_store = MEMORY;",
        )?;
        migrate(&mut conn)?;
        Ok(SqliteStore { conn, path: path.to_path_buf(), accounts: HashMap::new() })
    }

    /// The database file, for reporting its size.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
