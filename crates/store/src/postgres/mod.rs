//! The store on PostgreSQL, for a desk that several `tangkal serve` processes share.
//!
//! One [`PostgresStore`] holds one connection (the server keeps a bounded pool of them, as it does of
//! SQLite connections). Nothing here assumes a single writer: ids come from sequences, an item's identity
//! is `UNIQUE` and written with `ON CONFLICT`, the audit chain is appended under the row lock of its head,
//! and work that must happen once (a deadline event, a webhook delivery) is claimed with
//! `FOR UPDATE SKIP LOCKED` or a unique key. Migrations are refinery's, run under an advisory lock so that
//! servers starting together do not race.

use std::cell::{RefCell, RefMut};

use ::postgres::{Client, NoTls};

use crate::audit_anchor::{AuditAnchor, AuditFiles};
use crate::{Result, StoreError};

/// SQL for the text of the item row aliased `$row` (see `item_text!`): kept once, inside the raw record
/// when that holds it.
macro_rules! pg_item_text {
    ($row:literal) => {
        concat!(
            "CASE WHEN ",
            $row,
            ".text_copy = '' THEN (",
            $row,
            ".raw::json ->> 'text') ELSE ",
            $row,
            ".text_copy END"
        )
    };
}

/// The columns `narratives::narrative_input` reads, in its order, and the tables they come from (`items i`
/// with its author `a`): the body of every query that feeds narrative placement, which adds its `WHERE`.
macro_rules! narrative_inputs_from_items {
    () => {
        concat!(
            "i.id, i.platform, a.external_id, ",
            pg_item_text!("i"),
            ", i.published_at, i.views, i.shares FROM items i LEFT JOIN accounts a ON a.id = i.account_id"
        )
    };
}

mod audit;
mod budgets;
mod cases;
mod clarifications;
pub(crate) mod connection;
mod factchecks;
mod figures;
mod intake;
mod items;
mod matches;
mod narratives;
mod reports;
mod settings;
mod takedowns;
mod tiplines;
mod users;
mod webhooks;

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// How long one statement may run before PostgreSQL cancels it (the caller gets
/// [`StoreError::Unavailable`]): a request never waits on a runaway query or a lock held by a dead peer.
const STATEMENT_TIMEOUT_MS: u32 = 30_000;

/// The advisory locks Tangkal takes, one key each ("tangkal" and a number): they share one key space
/// with every other application on the database, and two of ours on one key would wait for each other.
pub(crate) mod locks {
    /// Held while migrations run.
    pub const MIGRATION: i64 = 0x7461_6e67_6b61_6c01;
    /// Held by an import for its whole run (see [`crate::ImportLock`]).
    pub const IMPORT: i64 = 0x7461_6e67_6b61_6c02;
    /// Fact-check upserts take turns (transaction-scoped).
    pub const FACTCHECK_UPSERT: i64 = 0x7461_6e67_6b61_6c03;
    /// Claims of due tipline messages take turns (transaction-scoped).
    pub const TIPLINE_CLAIM: i64 = 0x7461_6e67_6b61_6c04;
    /// Detectors deciding whether a narrative opens a case or joins one take turns (see
    /// [`crate::CaseStore::begin_case_turn`]).
    pub const CASE_TURN: i64 = 0x7461_6e67_6b61_6c05;
    /// The placer of an intake stream: this in the high 32 bits, a hash of the schema's and the stream's names
    /// in the low ones.
    pub const PLACER: i64 = 0x746e_6b70_0000_0000;
}

pub use intake::{PlacerLock, PlacerSnapshot};

pub struct PostgresStore {
    /// Reads take `&self` in the store's traits; a connection needs `&mut` for every statement.
    client: RefCell<connection::Client>,
    /// The audit trail's key and checkpoint file.
    pub(crate) audit: AuditAnchor,
    /// State of item writes between [`crate::ItemStore::begin_writes`] and the commit.
    pub(crate) item_writes: items::ItemWrites,
    /// Held while this connection imports (see [`crate::open_for_import`]).
    pub(crate) import_lock: Option<crate::ImportLock>,
    pub(crate) accounts: items::KnownAccounts,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`; `?options=-csearch_path%3Dschema` picks a
    /// schema) and brings the schema up to date. The audit trail's key and checkpoints stay in files
    /// (`audit_files`), outside the database, so that someone who can rewrite the database cannot also
    /// re-sign its history.
    pub fn connect(url: &str, audit_files: AuditFiles) -> Result<PostgresStore> {
        let mut config: ::postgres::Config =
            url.parse().map_err(|e| StoreError::invalid("database_url", format!("is not a PostgreSQL URL: {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name("tangkal");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let mut client = config.connect(NoTls)?;
        client.batch_execute(&format!("SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))?;
        migrate(&mut client)?;
        Ok(PostgresStore {
            client: RefCell::new(connection::Client::new(client)),
            audit: AuditAnchor::new(audit_files),
            item_writes: Default::default(),
            import_lock: None,
            accounts: Default::default(),
        })
    }

    /// The connection, for one statement or transaction at a time.
    pub(crate) fn client(&self) -> RefMut<'_, connection::Client> {
        self.client.borrow_mut()
    }
}

/// A session-level advisory lock on a connection of its own, released when dropped (or when the process
/// dies and PostgreSQL closes the connection, so a killed holder never leaves it taken).
pub(crate) struct AdvisoryLock {
    _client: Client,
}

impl AdvisoryLock {
    /// The turn of an import that places narratives in this process: waits while another import holds it,
    /// and refuses a database that the distributed intake feeds (see [`intake::refuse_import_beside_placer`]).
    pub fn acquire_import(url: &str) -> Result<AdvisoryLock> {
        let mut client = Client::connect(url, NoTls)?;
        if !client.query_one("SELECT pg_try_advisory_lock($1)", &[&locks::IMPORT])?.get::<_, bool>(0) {
            tracing::info!("waiting for another import into the database to finish");
            client.execute("SELECT pg_advisory_lock($1)", &[&locks::IMPORT])?;
        }
        intake::refuse_import_beside_placer(&mut client)?;
        Ok(AdvisoryLock { _client: client })
    }
}

/// `url` with its password replaced, for logs and error messages.
pub(crate) fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "(not a URL)".to_string(),
    }
}

/// Applies refinery's migrations under an advisory lock (servers started together take turns; the second
/// finds nothing to do).
fn migrate(client: &mut Client) -> Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&locks::MIGRATION])?;
    let outcome = embedded::migrations::runner().set_migration_table_name("schema_migrations").run(client);
    client.execute("SELECT pg_advisory_unlock($1)", &[&locks::MIGRATION])?;
    outcome.map_err(|e| StoreError::Migration { version: 0, name: "postgres", reason: e.to_string() })?;
    Ok(())
}

/// Sorts PostgreSQL's errors into the store's kinds by SQLSTATE. Hidden from the documentation, as the
/// SQLite conversion is.
#[doc(hidden)]
impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> StoreError {
        use ::postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            // No answer from the server: a closed connection, a refused connect, a timeout.
            return if e.is_closed() || e.code().is_none() && e.to_string().contains("connect") {
                StoreError::Unavailable(e.to_string())
            } else if e.code().is_none() {
                StoreError::Internal(format!("database error: {e}"))
            } else {
                StoreError::Unavailable(e.to_string())
            };
        };
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            let what = db.detail().and_then(|d| d.strip_prefix("Key (")).and_then(|d| d.split_once(')'));
            StoreError::Conflict(match what {
                Some((columns, _)) => format!("a record with the same {columns} is already stored"),
                None => "a record with the same key is already stored".into(),
            })
        } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
            StoreError::Conflict(
                "refers to a record that is not stored, or removes one that is still referred to".into(),
            )
        } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::QUERY_CANCELED
            || *code == SqlState::LOCK_NOT_AVAILABLE
            || *code == SqlState::TOO_MANY_CONNECTIONS
            || *code == SqlState::CANNOT_CONNECT_NOW
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        {
            StoreError::Unavailable(format!("{}: {}", code.code(), db.message()))
        } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
            StoreError::Corrupt(db.message().to_string())
        } else {
            StoreError::Internal(format!("database error {}: {}", code.code(), db.message()))
        }
    }
}

/// A schema of its own in a PostgreSQL database, dropped with everything in it when this is dropped: each
/// test (in this crate and in those above it) works in a fresh one.
pub struct ScratchSchema {
    admin_url: String,
    name: String,
}

/// Where the tests find PostgreSQL: `TANGKAL_TEST_DATABASE_URL`, or the machine's own server.
pub const TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

impl ScratchSchema {
    /// Creates `tangkal_scratch_<unique>` in the database at `TANGKAL_TEST_DATABASE_URL` (default
    /// [`TEST_DATABASE_URL`]).
    pub fn create() -> Result<ScratchSchema> {
        let admin_url = std::env::var("TANGKAL_TEST_DATABASE_URL").unwrap_or_else(|_| TEST_DATABASE_URL.into());
        let mut unique = [0u8; 8];
        getrandom::getrandom(&mut unique).map_err(|e| StoreError::Internal(e.to_string()))?;
        let name = format!("tangkal_scratch_{}", u64::from_le_bytes(unique));
        let mut client = Client::connect(&admin_url, NoTls)?;
        client.batch_execute(&format!("CREATE SCHEMA {name}"))?;
        Ok(ScratchSchema { admin_url, name })
    }

    /// The URL that connects into this schema.
    pub fn url(&self) -> String {
        let separator = if self.admin_url.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-csearch_path%3D{}", self.admin_url, self.name)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        let dropped = Client::connect(&self.admin_url, NoTls)
            .and_then(|mut client| client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)));
        if let Err(e) = dropped {
            tracing::warn!("cannot drop the scratch schema {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connection::GenericClient as _;

    #[test]
    fn a_new_schema_is_migrated_once_by_servers_starting_together() {
        let scratch = ScratchSchema::create().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let openers: Vec<_> = (0..3)
            .map(|_| {
                let (url, files) = (scratch.url(), AuditFiles::in_data_dir(dir.path()));
                std::thread::spawn(move || PostgresStore::connect(&url, files).map(|_| ()))
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
        let store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        let applied: i64 = store.client().query_one("SELECT count(*) FROM schema_migrations", &[]).unwrap().get(0);
        assert_eq!(applied as usize, embedded::migrations::runner().get_migrations().len(), "each once");
    }

    #[test]
    fn a_taken_key_is_a_conflict_naming_its_columns() {
        let scratch = ScratchSchema::create().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        let mut client = store.client();
        client.execute("INSERT INTO organisations (name, created_at) VALUES ('x', 0)", &[]).unwrap();
        let e: StoreError =
            client.execute("INSERT INTO organisations (name, created_at) VALUES ('x', 0)", &[]).unwrap_err().into();
        assert!(matches!(&e, StoreError::Conflict(m) if m.contains("same name")), "{e:?}");
    }
}
