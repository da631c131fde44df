use std::path::PathBuf;

/// What went wrong, by kind rather than by backend: callers decide what to tell people (and whether to
/// retry) from the kind alone, so that a PostgreSQL backend can fail in the same terms as SQLite does.
/// The backend's own message is kept as text for logs; its error type never leaves this crate.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Input the store refuses, naming the field it is in; `reason` is for the person who sent it.
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Something the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request contradicts what is stored (a name already taken, a role the owner cannot lend, a
    /// record with the same key).
    #[error("{0}")]
    Conflict(String),
    /// The store cannot answer now but may soon: SQLite busy or locked past the busy timeout, or a new
    /// database that another process is still setting up. Retrying later is the right response.
    #[error("the store is unavailable for now: {0}")]
    Unavailable(String),
    /// Stored data is damaged or unreadable (a malformed database file, a file that is not a database, a
    /// stored value this build cannot read back): retrying will not help, restoring may.
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// Anything else: a fault in the store or in how it is called, with the backend's message.
    #[error("{0}")]
    Internal(String),
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot take the import lock {path}: {source}")]
    ImportLock { path: PathBuf, source: std::io::Error },
    #[error("migration {version} ({name}) failed: {reason}")]
    Migration { version: u32, name: &'static str, reason: String },
    #[error("the store was written by a newer Tangkal (it has schema migration {found}, which this build does not know; newest known: {known})")]
    NewerSchema { found: u32, known: u32 },
    #[error("audit key file {path}: {problem}")]
    AuditKey { path: PathBuf, problem: String },
    #[error("audit checkpoint file {path}: {source}")]
    AuditCheckpoints { path: PathBuf, source: std::io::Error },
}

impl StoreError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid { field, reason: reason.into() }
    }
}

/// Sorts SQLite's errors into the kinds above, for the store's own `?`. Hidden from the documentation:
/// it is how this backend reports, not part of what callers are offered (they never hold a rusqlite
/// error, and another backend will not have one).
#[doc(hidden)]
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match &e {
            rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Unavailable(e.to_string()),
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::Corrupt(e.to_string()),
                ErrorCode::ConstraintViolation => match failure.extended_code {
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        StoreError::Conflict(already_stored(message.as_deref()))
                    }
                    rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::Conflict(
                        "refers to a record that is not stored, or removes one that is still referred to".into(),
                    ),
                    // CHECK, NOT NULL and the like: the store should have refused the input before SQL did.
                    _ => StoreError::Internal(format!("database error: {e}")),
                },
                _ => StoreError::Internal(format!("database error: {e}")),
            },
            // A stored value that does not read back as its type (see `cases::text_enum`).
            rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::IntegralValueOutOfRange(..) => {
                StoreError::Corrupt(e.to_string())
            }
            _ => StoreError::Internal(format!("database error: {e}")),
        }
    }
}

/// The message for a UNIQUE or PRIMARY KEY violation: the columns SQLite names (`UNIQUE constraint failed:
/// users.username`), without their tables, which are the schema's business and not the caller's.
fn already_stored(message: Option<&str>) -> String {
    let columns: Option<Vec<&str>> = message
        .and_then(|m| m.split_once("failed: "))
        .map(|(_, columns)| columns.split(", ").map(|c| c.rsplit_once('.').map_or(c, |(_, column)| column)).collect());
    match columns {
        Some(columns) if !columns.is_empty() => {
            format!("a record with the same {} is already stored", columns.join(", "))
        }
        _ => "a record with the same key is already stored".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_error(sql: &str) -> StoreError {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE);
             CREATE TABLE tokens (user_id INTEGER NOT NULL REFERENCES users (id), name TEXT NOT NULL,
                                  UNIQUE (user_id, name));
             INSERT INTO users VALUES (1, 'ani');
             INSERT INTO tokens VALUES (1, 'ci');",
        )
        .unwrap();
        conn.execute_batch(sql).unwrap_err().into()
    }

    #[test]
    fn constraint_violations_are_conflicts_that_name_columns_not_tables() {
        let taken = sqlite_error("INSERT INTO users VALUES (2, 'ani')");
        assert!(matches!(&taken, StoreError::Conflict(m) if m == "a record with the same username is already stored"));
        let same_id = sqlite_error("INSERT INTO users VALUES (1, 'budi')");
        assert!(matches!(&same_id, StoreError::Conflict(m) if m == "a record with the same id is already stored"));
        let pair = sqlite_error("INSERT INTO tokens VALUES (1, 'ci')");
        assert!(
            matches!(&pair, StoreError::Conflict(m) if m == "a record with the same user_id, name is already stored")
        );
        assert!(matches!(sqlite_error("INSERT INTO tokens VALUES (9, 'x')"), StoreError::Conflict(_)));
        assert!(matches!(sqlite_error("INSERT INTO users VALUES (3, NULL)"), StoreError::Internal(_)));
        assert!(matches!(sqlite_error("SELECT * FROM nowhere"), StoreError::Internal(m) if m.contains("nowhere")));
    }

    #[test]
    fn a_locked_database_is_unavailable_and_a_foreign_file_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder.execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);").unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let busy: StoreError = other.execute_batch("BEGIN IMMEDIATE").unwrap_err().into();
        assert!(matches!(busy, StoreError::Unavailable(_)), "{busy:?}");

        let not_a_database = dir.path().join("notes.txt");
        std::fs::write(&not_a_database, "bukan basis data, hanya catatan yang cukup panjang ".repeat(20)).unwrap();
        let error: StoreError =
            rusqlite::Connection::open(&not_a_database).unwrap().execute_batch("SELECT * FROM t").unwrap_err().into();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    }
}
