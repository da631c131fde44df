//! Schema migrations embedded in the binary and applied in order at start-up.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::{Result, StoreError};

struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
    /// Rebuilds a table that others reference: runs with foreign keys off (dropping the old table would
    /// otherwise break the references), and checks them all before committing.
    rebuilds: bool,
}

/// Append only: a released migration is never edited, a change is a new file.
const SQLITE_MIGRATIONS: &[Migration] = &[
    step(1, "items", include_str!("../../migrations/sqlite/0001_items.sql")),
    step(2, "accounts_cases_audit", include_str!("../../migrations/sqlite/0002_accounts_cases_audit.sql")),
    step(3, "factchecks", include_str!("../../migrations/sqlite/0003_factchecks.sql")),
    step(4, "narratives", include_str!("../../migrations/sqlite/0004_narratives.sql")),
    step(5, "narrative_matches", include_str!("../../migrations/sqlite/0005_narrative_matches.sql")),
    step(6, "lean_items", include_str!("../../migrations/sqlite/0006_lean_items.sql")),
    Migration {
        rebuilds: true,
        ..step(7, "identity_key", include_str!("../../migrations/sqlite/0007_identity_key.sql"))
    },
    step(8, "response", include_str!("../../migrations/sqlite/0008_response.sql")),
    step(9, "factcheck_sources", include_str!("../../migrations/sqlite/0009_factcheck_sources.sql")),
    step(10, "webhooks", include_str!("../../migrations/sqlite/0010_webhooks.sql")),
    step(11, "report_triage", include_str!("../../migrations/sqlite/0011_report_triage.sql")),
    step(12, "tiplines", include_str!("../../migrations/sqlite/0012_tiplines.sql")),
    step(13, "clarification_topics", include_str!("../../migrations/sqlite/0013_clarification_topics.sql")),
    step(14, "desk_indexes", include_str!("../../migrations/sqlite/0014_desk_indexes.sql")),
    step(15, "settings", include_str!("../../migrations/sqlite/0015_settings.sql")),
    step(16, "dashboard_figures", include_str!("../../migrations/sqlite/0016_dashboard_figures.sql")),
    step(17, "request_budgets", include_str!("../../migrations/sqlite/0017_request_budgets.sql")),
    step(18, "open_deadlines", include_str!("../../migrations/sqlite/0018_open_deadlines.sql")),
];

const fn step(version: u32, name: &'static str, sql: &'static str) -> Migration {
    Migration { version, name, sql, rebuilds: false }
}

/// Brings the schema up to date; each migration runs in its own transaction with its version record.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let pending = pending(conn)?;
    if !pending.is_empty() {
        define_identity_key(conn)?;
    }
    apply(conn, &pending)
}

/// `identity_key(identity)`: [`tangkal_model::Identity::key`] in SQL, for migration 7.
fn define_identity_key(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("identity_key", 1, flags, |ctx| {
        let identity: [u8; 16] = ctx.get(0)?;
        Ok(tangkal_model::Identity(identity).key())
    })?;
    Ok(())
}

/// Every migration not yet applied, so one that was added with a lower number than an applied one
/// (parallel branches) still runs.
fn pending(conn: &Connection) -> Result<Vec<&'static Migration>> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT    NOT NULL,
             applied_at INTEGER NOT NULL
         )",
    )?;
    let applied: Vec<u32> = conn
        .prepare("SELECT version FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let known = SQLITE_MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(&found) = applied.iter().find(|v| !SQLITE_MIGRATIONS.iter().any(|m| m.version == **v)) {
        return Err(StoreError::NewerSchema { found, known });
    }
    Ok(SQLITE_MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)).collect())
}

fn apply(conn: &mut Connection, migrations: &[&Migration]) -> Result<()> {
    for m in migrations {
        let fail =
            |e: rusqlite::Error| StoreError::Migration { version: m.version, name: m.name, reason: e.to_string() };
        if m.rebuilds {
            // Only takes effect outside a transaction.
            conn.execute_batch("PRAGMA foreign_keys = OFF").map_err(fail)?;
        }
        let applied = apply_one(conn, m).map_err(fail);
        if m.rebuilds {
            conn.execute_batch("PRAGMA foreign_keys = ON").map_err(fail)?;
        }
        applied?;
    }
    Ok(())
}

/// One migration in its own transaction, with its version record, unless another process applied it while
/// this one waited for the lock.
fn apply_one(conn: &mut Connection, m: &Migration) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [m.version], |r| r.get(0))?;
    if done {
        return Ok(());
    }
    tx.execute_batch(m.sql)?;
    if m.rebuilds {
        let broken: Option<String> = tx.query_row("PRAGMA foreign_key_check", [], |r| r.get(0)).optional()?;
        if let Some(table) = broken {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some(format!("a foreign key of {table} no longer holds")),
            ));
        }
    }
    tx.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![m.version, m.name, chrono::Utc::now().timestamp()],
    )?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_strictly_increasing() {
        for pair in SQLITE_MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version, "{} then {}", pair[0].name, pair[1].name);
        }
    }

    #[test]
    fn processes_opening_a_new_store_together_migrate_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let mut first = Connection::open(&path).unwrap();
        let mut second = Connection::open(&path).unwrap();
        // The second process saw nothing applied, then the first migrated while it waited for the lock.
        let seen_by_second = pending(&second).unwrap();
        migrate(&mut first).unwrap();
        apply(&mut second, &seen_by_second).unwrap();
        let n: u32 = second.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0)).unwrap();
        assert_eq!(n as usize, SQLITE_MIGRATIONS.len());
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let n: u32 = conn.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0)).unwrap();
        assert_eq!(n as usize, SQLITE_MIGRATIONS.len());
    }

    #[test]
    fn the_identity_key_migration_keeps_items_and_what_refers_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.sqlite3")).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        define_identity_key(&conn).unwrap();
        pending(&conn).unwrap();
        let before: Vec<_> = SQLITE_MIGRATIONS.iter().filter(|m| m.version < 7).collect();
        apply(&mut conn, &before).unwrap();
        let identity = tangkal_model::Identity([3; 16]);
        conn.execute_batch(
            "INSERT INTO sources VALUES (1, 'file', 'a.jsonl', 0, 0);
             INSERT INTO accounts VALUES (1, 'x', 'u1', 'budi', 0);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO items (id, identity, platform, account_id, text_copy, published_at, first_seen_at,
                                views, fingerprint, source_id, raw, narrative_id)
             VALUES (5, ?1, 'x', 1, 'Bansos cair', 100, 200, 42, 9, 1, '{}', 1)",
            [identity.0],
        )
        .unwrap();
        conn.execute_batch("INSERT INTO narratives VALUES (1, NULL, 100, 100, 1, 1, 'x', 42, 0, 0, 0, 0, 0, 5, 200);")
            .unwrap();

        migrate(&mut conn).unwrap();
        let (key, views, narrative): (i64, i64, i64) = conn
            .query_row("SELECT identity_key, views, narrative_id FROM items WHERE id = 5", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((key, views, narrative), (identity.key(), 42, 1));
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'items' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(indexes, ["items_identity", "items_narrative", "items_published_at"]);
        let foreign_keys: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert!(foreign_keys, "foreign keys are back on");
        // References to items still hold: deleting the narrative's representative is refused.
        assert!(conn.execute("DELETE FROM items WHERE id = 5", []).is_err());
    }

    #[test]
    fn a_newer_store_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 0)", []).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::NewerSchema { found: 9999, .. })));
    }
}
