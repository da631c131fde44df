//! The append-only, keyed audit trail. Events are appended inside the transaction of the change they
//! record, so a change and its event are written together or not at all; each carries a MAC under the key
//! kept outside the database ([`crate::audit_anchor`]), and checkpoints of the head are written outside it.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use tangkal_cases::audit::{AuditEvent, AuditProblem, AuditReport, ChainHead, Checkpoint, SourcedCheckpoint, Verifier};

use crate::audit_anchor::{AuditAnchor, AuditFiles, CHECKPOINT_EVERY};
use crate::{Result, SqliteStore, StoreError};

/// Which events to read; both conditions optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
}

pub trait AuditStore {
    /// Oldest first.
    fn audit_events(&self, filter: &AuditFilter, limit: u64, offset: u64) -> Result<Vec<AuditEvent>>;
    /// Walks the whole chain with the key and checks it against every checkpoint in the checkpoint file
    /// and `more` (kept elsewhere by operators): reports every edited, replaced, reordered or deleted event.
    fn verify_audit_against(&self, more: Vec<SourcedCheckpoint>) -> Result<AuditReport>;
    fn verify_audit(&self) -> Result<AuditReport> {
        self.verify_audit_against(Vec::new())
    }
    /// Writes a checkpoint of the current head unless the newest one already records it, and returns it,
    /// for operators to keep elsewhere. Keys a trail that has no key yet (see [`AuditFiles`]).
    fn checkpoint_audit(&self, now: DateTime<Utc>) -> Result<Checkpoint>;
    /// Where the key and checkpoints are (by default in the data directory).
    fn set_audit_files(&mut self, files: AuditFiles);
    /// The records of `entity` changed by events after `after_seq`, up to the returned `through`: every
    /// change is audited in its own transaction, so this is a change feed that copies kept in memory (the
    /// public search index) follow, whichever process wrote.
    fn changes_after(&self, after_seq: i64, entity: &str) -> Result<AuditChanges>;
    /// The newest event's seq (0 for an empty trail): where a change feed starts.
    fn audit_head_seq(&self) -> Result<i64>;
}

/// What [`AuditStore::changes_after`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditChanges {
    /// The newest event seen: pass it as `after_seq` next time.
    pub through: i64,
    /// Ids of the changed records, each once, in the order of their first change.
    pub entity_ids: Vec<String>,
}

/// What one change did, for the trail; `before` and `after` are JSON from [`json`].
pub(crate) struct Entry<'a> {
    pub actor: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub action: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> Entry<'a> {
    /// The event of `record` coming into being.
    pub fn created<T: Serialize>(
        actor: &'a str,
        entity: &'a str,
        entity_id: i64,
        action: &'a str,
        record: &T,
    ) -> Result<Entry<'a>> {
        Ok(Entry { actor, entity, entity_id: entity_id.to_string(), action, before: None, after: Some(json(record)?) })
    }

    /// The event of a record changing from `before` to `after`.
    pub fn changed<T: Serialize>(
        actor: &'a str,
        entity: &'a str,
        entity_id: i64,
        action: &'a str,
        before: &T,
        after: &T,
    ) -> Result<Entry<'a>> {
        Ok(Entry {
            actor,
            entity,
            entity_id: entity_id.to_string(),
            action,
            before: Some(json(before)?),
            after: Some(json(after)?),
        })
    }
}

pub(crate) fn json<T: Serialize>(record: &T) -> Result<String> {
    serde_json::to_string(record).map_err(|e| StoreError::Internal(format!("cannot record audit event: {e}")))
}

fn read_head(conn: &Connection) -> Result<Option<ChainHead>> {
    Ok(conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok(ChainHead { seq: r.get(0)?, hash: r.get(1)? })
        })
        .optional()?)
}

/// Whether the head event carries its plain hash, as events did before trails had a key (true for an empty
/// trail).
fn head_is_unkeyed(conn: &Connection, head: Option<&ChainHead>) -> Result<bool> {
    let Some(head) = head else { return Ok(true) };
    let event = conn.query_row(&format!("{SELECT_EVENT} WHERE seq = ?1"), [head.seq], event_row).optional()?;
    Ok(event.is_some_and(|e| e.hash == head.hash && e.compute_hash() == e.hash))
}

/// Appends one event after the current head. Call once per change, inside its immediate transaction: the
/// head read here is then committed, which the checkpoint written here relies on.
pub(crate) fn append(conn: &Connection, anchor: &AuditAnchor, entry: Entry<'_>, now: DateTime<Utc>) -> Result<()> {
    let head = read_head(conn)?;
    let key = match anchor.key()? {
        Some(key) => key,
        None => anchor.key_or_create(head.as_ref(), head_is_unkeyed(conn, head.as_ref())?, now)?,
    };
    if let Some(head) = head.as_ref().filter(|h| h.seq % CHECKPOINT_EVERY == 0) {
        let checkpoint = Checkpoint::sign(&key.key, key.keyed_from, head.seq, &head.hash, now);
        if let Err(e) = anchor.append_checkpoint(&checkpoint) {
            // The change itself is sound and signed; the next checkpoint will cover it.
            tracing::error!("cannot write an audit checkpoint: {e}");
        }
    }
    let mut event = AuditEvent {
        seq: 0,
        at_ms: now.timestamp_millis(),
        actor: entry.actor.to_string(),
        entity: entry.entity.to_string(),
        entity_id: entry.entity_id,
        action: entry.action.to_string(),
        before: entry.before,
        after: entry.after,
        prev_hash: String::new(),
        hash: String::new(),
    };
    event.chain_after(head.as_ref().map(|h| (h.seq, h.hash.as_str())), &key.key);
    conn.prepare_cached(
        "INSERT INTO audit_events (seq, at_ms, actor, entity, entity_id, action, before, after, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        event.seq,
        event.at_ms,
        event.actor,
        event.entity,
        event.entity_id,
        event.action,
        event.before,
        event.after,
        event.prev_hash,
        event.hash
    ])?;
    conn.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![event.seq, event.hash])?;
    anchor.unanchored.set(true);
    Ok(())
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEvent> {
    Ok(AuditEvent {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        actor: r.get(2)?,
        entity: r.get(3)?,
        entity_id: r.get(4)?,
        action: r.get(5)?,
        before: r.get(6)?,
        after: r.get(7)?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

fn head_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM audit_events")?.query_row([], |r| r.get(0))?)
}

const SELECT_EVENT: &str =
    "SELECT seq, at_ms, actor, entity, entity_id, action, before, after, prev_hash, hash FROM audit_events";

impl AuditStore for SqliteStore {
    fn audit_events(&self, filter: &AuditFilter, limit: u64, offset: u64) -> Result<Vec<AuditEvent>> {
        let limit = i64::try_from(limit).map_err(|_| StoreError::invalid("limit", "is too large"))?;
        let offset = i64::try_from(offset).map_err(|_| StoreError::invalid("offset", "is too large"))?;
        let sql = format!(
            "{SELECT_EVENT} WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR entity_id = ?2)
             ORDER BY seq LIMIT ?3 OFFSET ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![filter.entity, filter.entity_id, limit, offset], event_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn verify_audit_against(&self, more: Vec<SourcedCheckpoint>) -> Result<AuditReport> {
        // The key and checkpoints first: any checkpoint already written records committed events, which the
        // read transaction below then sees.
        let key = self.audit.read_key()?;
        let file = self.audit.read_checkpoints()?;
        let no_checkpoints = file.checkpoints.is_empty();
        let mut checkpoints = file.checkpoints;
        checkpoints.extend(more);
        // One read transaction, so a concurrent append cannot look like a deleted tail.
        let tx = self.conn.unchecked_transaction()?;
        let head = read_head(&tx)?;
        let mut verifier = Verifier::new(key.as_ref().map(|k| k.chain_key()), checkpoints);
        {
            let mut stmt = tx.prepare(&format!("{SELECT_EVENT} ORDER BY seq"))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                verifier.push(&event_row(row)?);
            }
        }
        tx.commit()?;
        let mut report = verifier.finish(head.as_ref());
        report.problems.extend(file.unreadable);
        if key.is_some() && no_checkpoints {
            report.problems.push(AuditProblem::NoCheckpoints);
        }
        Ok(report)
    }

    fn checkpoint_audit(&self, now: DateTime<Utc>) -> Result<Checkpoint> {
        // Immediate: no event is appended, and no other process creates the key, between reading the head
        // and signing it.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let head = read_head(&tx)?;
        let key = match self.audit.key()? {
            Some(key) => key,
            None => self.audit.key_or_create(head.as_ref(), head_is_unkeyed(&tx, head.as_ref())?, now)?,
        };
        let (events, hash) = head.as_ref().map_or((0, tangkal_cases::audit::GENESIS_HASH), |h| (h.seq, &h.hash));
        let newest = self.audit.newest_checkpoint()?;
        let checkpoint = match newest {
            Some(c) if c.events == events && c.head == hash && c.is_authentic(&key.key) => c,
            _ => {
                let checkpoint = Checkpoint::sign(&key.key, key.keyed_from, events, hash, now);
                self.audit.append_checkpoint(&checkpoint)?;
                checkpoint
            }
        };
        self.audit.unanchored.set(false);
        tx.commit()?;
        Ok(checkpoint)
    }

    fn set_audit_files(&mut self, files: AuditFiles) {
        self.audit = AuditAnchor::new(files);
    }

    fn changes_after(&self, after_seq: i64, entity: &str) -> Result<AuditChanges> {
        // One read transaction: the events listed are all of those up to `through`.
        let tx = self.conn.unchecked_transaction()?;
        let through = head_seq(&tx)?;
        let mut entity_ids: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        {
            // `+entity`: walk the new events by seq, not every event of the entity by the entity index.
            let mut stmt = tx.prepare_cached(
                "SELECT entity_id FROM audit_events WHERE seq > ?1 AND seq <= ?2 AND +entity = ?3 ORDER BY seq",
            )?;
            for id in stmt.query_map(params![after_seq, through, entity], |r| r.get::<_, String>(0))? {
                let id = id?;
                if seen.insert(id.clone()) {
                    entity_ids.push(id);
                }
            }
        }
        tx.commit()?;
        Ok(AuditChanges { through, entity_ids })
    }

    fn audit_head_seq(&self) -> Result<i64> {
        head_seq(&self.conn)
    }
}

#[cfg(test)]
mod tests {
    use tangkal_cases::audit::{AuditKey, GENESIS_HASH};
    use tangkal_cases::Role;

    use super::*;
    use crate::{NewUser, UserStore};

    fn add_users(store: &mut SqliteStore, names: std::ops::Range<usize>) {
        for i in names {
            let name = format!("user{i}");
            let user = NewUser {
                username: &name,
                display_name: "x",
                role: Role::Analyst,
                platform: None,
                organisation: "Tangkal",
                password_hash: "x",
                time_zone: "Asia/Jakarta",
            };
            store.add_user(&user, "test", Utc::now()).unwrap();
        }
    }

    /// A store with `n` events, closed (which writes a checkpoint) and opened again.
    fn store_with_events(n: usize) -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        add_users(&mut SqliteStore::open_in(dir.path()).unwrap(), 0..n);
        let store = SqliteStore::open_in(dir.path()).unwrap();
        (dir, store)
    }

    fn problems(store: &SqliteStore) -> Vec<AuditProblem> {
        store.verify_audit().unwrap().problems
    }

    fn truncated(line: usize, recorded: i64, found: i64) -> AuditProblem {
        AuditProblem::Truncated { checkpoint: format!("audit.checkpoints:{line}"), recorded, found }
    }

    #[test]
    fn the_change_feed_names_each_changed_record_once_up_to_the_head() {
        let (_dir, mut store) = store_with_events(3);
        assert_eq!(store.audit_head_seq().unwrap(), 3);
        let all = store.changes_after(0, "user").unwrap();
        assert_eq!((all.through, all.entity_ids.as_slice()), (3, ["1", "2", "3"].map(String::from).as_slice()));
        let user = store.user_by_name("user0").unwrap().unwrap();
        store.set_user_disabled(user.id, true, "test", Utc::now()).unwrap();
        store.set_user_disabled(user.id, false, "test", Utc::now()).unwrap();
        let since = store.changes_after(all.through, "user").unwrap();
        assert_eq!((since.through, since.entity_ids), (5, vec![user.id.to_string()]));
        assert_eq!(store.changes_after(5, "user").unwrap(), AuditChanges { through: 5, entity_ids: vec![] });
        assert_eq!(store.changes_after(0, "clarification").unwrap().entity_ids, Vec::<String>::new());
    }

    #[test]
    fn a_valid_trail_verifies_and_is_anchored() {
        let (dir, store) = store_with_events(5);
        let report = store.verify_audit().unwrap();
        assert_eq!(report.problems, vec![]);
        assert_eq!((report.events_checked, report.keyed_from, report.anchored_events), (5, Some(1), Some(5)));
        // The first checkpoint (made with the key, before any event) and the one written on closing.
        let lines = std::fs::read_to_string(dir.path().join("audit.checkpoints")).unwrap();
        assert_eq!(lines.lines().count(), 2, "{lines}");
        assert!(lines.lines().nth(1).unwrap().contains(" keyed_from=1 events=5 "), "{lines}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("audit.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let key = std::fs::read_to_string(dir.path().join("audit.key")).unwrap();
        let db = std::fs::read(dir.path().join(crate::sqlite::DATABASE_FILE)).unwrap();
        let secret = key.split('"').nth(3).unwrap();
        assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()), "the key is in the database");
    }

    #[test]
    fn deleting_the_tail_and_pointing_the_head_back_is_found() {
        let (_dir, store) = store_with_events(5);
        store
            .conn
            .execute_batch(
                "DELETE FROM audit_events WHERE seq > 3;
                 UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3);",
            )
            .unwrap();
        assert_eq!(problems(&store), vec![truncated(2, 5, 3)]);
        assert_eq!(
            problems(&store)[0].to_string(),
            "events 4 to 5 were deleted: checkpoint audit.checkpoints:2 recorded 5 events, the trail has 3"
        );
    }

    #[test]
    fn wiping_both_tables_is_found() {
        let (_dir, store) = store_with_events(5);
        store.conn.execute_batch("DELETE FROM audit_events; DELETE FROM audit_head;").unwrap();
        assert_eq!(problems(&store), vec![truncated(2, 5, 0)]);
    }

    #[test]
    fn re_chaining_forward_after_an_edit_is_found() {
        let (_dir, store) = store_with_events(5);
        let mut events = store.audit_events(&AuditFilter::default(), 100, 0).unwrap();
        events[1].actor = "someone else".into();
        for i in 1..events.len() {
            events[i].prev_hash = events[i - 1].hash.clone();
            events[i].hash = events[i].compute_hash();
            let e = &events[i];
            store
                .conn
                .execute(
                    "UPDATE audit_events SET actor = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
                    params![e.actor, e.prev_hash, e.hash, e.seq],
                )
                .unwrap();
        }
        store.conn.execute("UPDATE audit_head SET hash = ?1", [&events[4].hash]).unwrap();
        let mut expected: Vec<_> = (2..=5).map(|seq| AuditProblem::Edited { seq }).collect();
        expected.push(AuditProblem::CheckpointMismatch { checkpoint: "audit.checkpoints:2".into(), seq: 5 });
        assert_eq!(problems(&store), expected);
    }

    #[test]
    fn edits_deletions_and_reordering_are_found() {
        let (_dir, store) = store_with_events(6);
        store.conn.execute("UPDATE audit_events SET actor = 'someone' WHERE seq = 2", []).unwrap();
        store.conn.execute("DELETE FROM audit_events WHERE seq = 4", []).unwrap();
        // Events 5 and 6 swapped, each renumbered into the other's place.
        store
            .conn
            .execute_batch(
                "UPDATE audit_events SET seq = -5 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 6;
                 UPDATE audit_events SET seq = 6 WHERE seq = -5;",
            )
            .unwrap();
        assert_eq!(
            problems(&store),
            vec![
                AuditProblem::Edited { seq: 2 },
                AuditProblem::Missing { from: 4, to: 4 },
                AuditProblem::Edited { seq: 5 },
                AuditProblem::BrokenLink { seq: 6 },
                AuditProblem::Edited { seq: 6 },
                AuditProblem::HeadMismatch { seq: 6 },
                AuditProblem::CheckpointMismatch { checkpoint: "audit.checkpoints:2".into(), seq: 6 },
            ]
        );
    }

    #[test]
    fn a_missing_key_is_reported_and_not_made_again() {
        let (dir, mut store) = store_with_events(3);
        store.audit.key().unwrap();
        std::fs::remove_file(dir.path().join("audit.key")).unwrap();
        let mut reopened = SqliteStore::open_in(dir.path()).unwrap();
        assert_eq!(problems(&reopened), vec![AuditProblem::KeyMissing { from: 1 }]);
        let err = UserStore::set_user_disabled(&mut reopened, 1, true, "test", Utc::now()).unwrap_err();
        assert!(
            err.to_string().contains("audit.key: missing, but the audit trail's newest event (3) was signed"),
            "{err}"
        );
        assert!(reopened.checkpoint_audit(Utc::now()).is_err());
        assert!(!dir.path().join("audit.key").exists(), "a new key was made for a keyed trail");
        // A connection that read the key before it went keeps working; verifying reads the file again.
        add_users(&mut store, 3..4);
        assert_eq!(problems(&store), vec![AuditProblem::KeyMissing { from: 1 }]);
    }

    #[test]
    fn a_trail_from_before_keys_is_sealed_once_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        // Three events as an older Tangkal wrote them: plain SHA-256, no key file.
        let mut previous: Option<AuditEvent> = None;
        for seq in 1..=3 {
            let mut e = AuditEvent {
                seq,
                at_ms: seq,
                actor: "old".into(),
                entity: "user".into(),
                entity_id: seq.to_string(),
                action: "user.add".into(),
                before: None,
                after: None,
                prev_hash: previous.as_ref().map_or(GENESIS_HASH.to_string(), |p| p.hash.clone()),
                hash: String::new(),
            };
            e.hash = e.compute_hash();
            store
                .conn
                .execute(
                    "INSERT INTO audit_events (seq, at_ms, actor, entity, entity_id, action, prev_hash, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![e.seq, e.at_ms, e.actor, e.entity, e.entity_id, e.action, e.prev_hash, e.hash],
                )
                .unwrap();
            previous = Some(e);
        }
        let last = previous.unwrap();
        store.conn.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, ?1)", [&last.hash]).unwrap();
        assert_eq!(problems(&store), vec![AuditProblem::NotKeyed { events: 3 }]);
        drop(store);

        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        add_users(&mut store, 0..2);
        let report = store.verify_audit().unwrap();
        assert_eq!((report.problems, report.keyed_from, report.events_checked), (vec![], Some(4), 5));
        let first = std::fs::read_to_string(dir.path().join("audit.checkpoints")).unwrap();
        assert!(first.lines().next().unwrap().contains(&format!("keyed_from=4 events=3 head={} ", last.hash)));

        // Rewriting the old events now, even re-chained up to the key, breaks the first signed link.
        store.conn.execute("UPDATE audit_events SET actor = 'x', hash = 'y' WHERE seq = 3", []).unwrap();
        let problems = problems(&store);
        assert!(problems.contains(&AuditProblem::BrokenLink { seq: 4 }), "{problems:?}");
        assert!(
            problems.contains(&AuditProblem::CheckpointMismatch { checkpoint: "audit.checkpoints:1".into(), seq: 3 })
        );
    }

    #[test]
    fn checkpoints_are_checked_one_by_one() {
        let (dir, store) = store_with_events(2);
        let path = dir.path().join("audit.checkpoints");
        let mut lines = std::fs::read_to_string(&path).unwrap();
        let forged = lines.lines().nth(1).unwrap().replace("events=2", "events=1");
        lines.push_str(&format!("not a checkpoint\n{forged}\n"));
        std::fs::write(&path, lines).unwrap();
        let problems = problems(&store);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], AuditProblem::CheckpointForged { checkpoint: "audit.checkpoints:4".into() });
        assert!(
            matches!(&problems[1], AuditProblem::CheckpointUnreadable { checkpoint, .. } if checkpoint == "audit.checkpoints:3")
        );

        std::fs::remove_file(&path).unwrap();
        assert_eq!(crate::AuditStore::verify_audit(&store).unwrap().problems, vec![AuditProblem::NoCheckpoints]);
    }

    #[test]
    fn a_checkpoint_is_written_once_per_head_and_every_hundred_events() {
        let (dir, store) = store_with_events(0);
        let first = store.checkpoint_audit(Utc::now()).unwrap();
        assert_eq!((first.events, first.head.as_str()), (0, GENESIS_HASH));
        assert_eq!(store.checkpoint_audit(Utc::now()).unwrap(), first);
        drop(store);
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        add_users(&mut store, 0..CHECKPOINT_EVERY as usize + 1);
        let key = store.audit.key().unwrap().unwrap().key.clone();
        let lines = std::fs::read_to_string(dir.path().join("audit.checkpoints")).unwrap();
        let written: Vec<Checkpoint> = lines.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(written.iter().map(|c| c.events).collect::<Vec<_>>(), [0, CHECKPOINT_EVERY]);
        assert!(written.iter().all(|c| c.is_authentic(&key)));
        assert_ne!(key, AuditKey::from_bytes([0; AuditKey::LEN]));
    }

    #[test]
    fn the_key_and_checkpoints_can_live_elsewhere() {
        let (data, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let files = AuditFiles {
            key: elsewhere.path().join("keys/tangkal.key"),
            checkpoints: elsewhere.path().join("tangkal.checkpoints"),
        };
        let mut store = SqliteStore::open_in(data.path()).unwrap();
        store.set_audit_files(files.clone());
        add_users(&mut store, 0..2);
        drop(store);
        assert!(files.key.exists() && files.checkpoints.exists());
        assert!(!data.path().join("audit.key").exists() && !data.path().join("audit.checkpoints").exists());
        let mut store = SqliteStore::open_in(data.path()).unwrap();
        store.set_audit_files(files);
        assert_eq!(problems(&store), vec![]);
    }
}
