//! Schema migrations embedded in the binary and applied in order at start-up.

use rusqlite::{Connection, TransactionBehavior};

use crate::{Result, StoreError};

struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Append only: a released migration is never edited, a change is a new file.
const SQLITE_MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "items", sql: include_str!("../migrations/sqlite/0001_items.sql") },
    Migration {
        version: 2,
        name: "accounts_cases_audit",
        sql: include_str!("../migrations/sqlite/0002_accounts_cases_audit.sql"),
    },
    Migration { version: 3, name: "factchecks", sql: include_str!("../migrations/sqlite/0003_factchecks.sql") },
    Migration { version: 4, name: "narratives", sql: include_str!("../migrations/sqlite/0004_narratives.sql") },
    Migration {
        version: 5,
        name: "narrative_matches",
        sql: include_str!("../migrations/sqlite/0005_narrative_matches.sql"),
    },
    Migration { version: 6, name: "lean_items", sql: include_str!("../migrations/sqlite/0006_lean_items.sql") },
];

/// Brings the schema up to date; each migration runs in its own transaction with its version record.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let pending = pending(conn)?;
    apply(conn, &pending)
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
        let fail = |source| StoreError::Migration { version: m.version, name: m.name, source };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fail)?;
        // Another process opening the same store may have applied it while this one waited for the lock.
        let done: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [m.version], |r| r.get(0))
            .map_err(fail)?;
        if done {
            continue;
        }
        tx.execute_batch(m.sql).map_err(fail)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, chrono::Utc::now().timestamp()],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
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
    fn a_newer_store_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 0)", []).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::NewerSchema { found: 9999, .. })));
    }
}
