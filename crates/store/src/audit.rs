//! The append-only, keyed audit trail. Events are appended inside the transaction of the change they
//! record, so a change and its event are written together or not at all; each carries a MAC under the key
//! kept outside the database ([`crate::audit_anchor`]), and checkpoints of the head are written outside it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tangkal_cases::audit::{AuditEvent, AuditReport, ChainHead, Checkpoint, SourcedCheckpoint};

use crate::audit_anchor::{AuditAnchor, AuditFiles, CHECKPOINT_EVERY};
use crate::{Result, StoreError};

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

/// The event that follows `head` (None: the trail is empty), keyed and chained; the same on every
/// backend. Keys a trail that has none yet (`head_is_unkeyed` says whether its events so far carry plain
/// hashes) and writes a checkpoint of the head when it is a multiple of [`CHECKPOINT_EVERY`]: the head,
/// read under the caller's write lock, is committed.
pub(crate) fn next_event(
    anchor: &AuditAnchor,
    head: Option<&ChainHead>,
    head_is_unkeyed: impl FnOnce() -> Result<bool>,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<AuditEvent> {
    let key = match anchor.key()? {
        Some(key) => key,
        None => anchor.key_or_create(head, head_is_unkeyed()?, now)?,
    };
    if let Some(head) = head.filter(|h| h.seq % CHECKPOINT_EVERY == 0) {
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
    event.chain_after(head.map(|h| (h.seq, h.hash.as_str())), &key.key);
    Ok(event)
}

/// SQL run on a test store's database behind the store's back (to tamper with it, or to lay rows the
/// same way on both backends).
#[cfg(test)]
pub(crate) mod raw {
    use crate::testing::Backend;

    /// A parameter of [`execute`].
    #[derive(Debug, Clone, Copy)]
    pub enum Value<'a> {
        Int(i64),
        Text(&'a str),
        Bool(bool),
    }

    /// Runs one statement with parameters `$1`, `$2`... (SQLite numbers them in order of first use, so
    /// they must first appear in that order).
    pub fn execute(backend: &Backend, sql: &str, params: &[Value<'_>]) {
        match backend {
            Backend::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join(crate::DATABASE_FILE)).unwrap();
                let values = params.iter().map(|v| match *v {
                    Value::Int(i) => rusqlite::types::Value::Integer(i),
                    Value::Text(t) => rusqlite::types::Value::Text(t.into()),
                    Value::Bool(b) => rusqlite::types::Value::Integer(b.into()),
                });
                conn.execute(sql, rusqlite::params_from_iter(values)).unwrap();
            }
            Backend::Postgres(scratch, _) => {
                use ::postgres::types::ToSql;
                let mut client = ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap();
                let values: Vec<Box<dyn ToSql + Sync>> = params
                    .iter()
                    .map(|v| -> Box<dyn ToSql + Sync> {
                        match *v {
                            Value::Int(i) => Box::new(i),
                            Value::Text(t) => Box::new(t.to_string()),
                            Value::Bool(b) => Box::new(b),
                        }
                    })
                    .collect();
                let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
                client.execute(sql, &refs).unwrap();
            }
        }
    }

    /// Runs statements without parameters.
    pub fn batch(backend: &Backend, sql: &str) {
        match backend {
            Backend::Sqlite(dir) => {
                rusqlite::Connection::open(dir.path().join(crate::DATABASE_FILE)).unwrap().execute_batch(sql).unwrap()
            }
            Backend::Postgres(scratch, _) => {
                ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap().batch_execute(sql).unwrap()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tangkal_cases::audit::{AuditKey, AuditProblem, GENESIS_HASH};
    use tangkal_cases::Role;

    use super::raw::{self, Value};
    use super::*;
    use crate::testing::{on_both_backends, Backend};
    use crate::{NewUser, Store};

    on_both_backends!(
        the_change_feed_names_each_changed_record_once_up_to_the_head,
        a_valid_trail_verifies_and_is_anchored,
        deleting_the_tail_and_pointing_the_head_back_is_found,
        wiping_both_tables_is_found,
        re_chaining_forward_after_an_edit_is_found,
        edits_deletions_and_reordering_are_found,
        a_missing_key_is_reported_and_not_made_again,
        a_trail_from_before_keys_is_sealed_once_and_says_so,
        checkpoints_are_checked_one_by_one,
        a_checkpoint_is_written_once_per_head_and_every_hundred_events,
        the_key_and_checkpoints_can_live_elsewhere,
        connections_appending_at_once_keep_one_unbroken_chain,
    );

    fn add_users(store: &mut dyn Store, names: std::ops::Range<usize>) {
        add_users_to(store, "Tangkal", names)
    }

    fn add_users_to(store: &mut dyn Store, organisation: &str, names: std::ops::Range<usize>) {
        for i in names {
            let name = format!("user{i}");
            let user = NewUser {
                username: &name,
                display_name: "x",
                role: Role::Analyst,
                platform: None,
                organisation,
                password_hash: "x",
                time_zone: "Asia/Jakarta",
            };
            store.add_user(&user, "test", Utc::now()).unwrap();
        }
    }

    /// A store with `n` events, closed (which writes a checkpoint) and opened again.
    fn store_with_events(backend: &Backend, n: usize) -> Box<dyn Store> {
        add_users(backend.open().as_mut(), 0..n);
        backend.open()
    }

    fn problems(store: &dyn Store) -> Vec<AuditProblem> {
        store.verify_audit().unwrap().problems
    }

    fn truncated(line: usize, recorded: i64, found: i64) -> AuditProblem {
        AuditProblem::Truncated { checkpoint: format!("audit.checkpoints:{line}"), recorded, found }
    }

    fn the_key(backend: &Backend) -> AuditKey {
        AuditAnchor::new(AuditFiles::in_data_dir(backend.data_dir())).read_key().unwrap().unwrap().key
    }

    fn the_change_feed_names_each_changed_record_once_up_to_the_head(backend: &Backend) {
        let mut store = store_with_events(backend, 3);
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

    fn a_valid_trail_verifies_and_is_anchored(backend: &Backend) {
        let store = store_with_events(backend, 5);
        let report = store.verify_audit().unwrap();
        assert_eq!(report.problems, vec![]);
        assert_eq!((report.events_checked, report.keyed_from, report.anchored_events), (5, Some(1), Some(5)));
        // The first checkpoint (made with the key, before any event) and the one written on closing.
        let lines = std::fs::read_to_string(backend.data_dir().join("audit.checkpoints")).unwrap();
        assert_eq!(lines.lines().count(), 2, "{lines}");
        assert!(lines.lines().nth(1).unwrap().contains(" keyed_from=1 events=5 "), "{lines}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(backend.data_dir().join("audit.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let key = std::fs::read_to_string(backend.data_dir().join("audit.key")).unwrap();
        let secret = key.split('"').nth(3).unwrap();
        match backend {
            Backend::Sqlite(dir) => {
                let db = std::fs::read(dir.path().join(crate::sqlite::DATABASE_FILE)).unwrap();
                assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()), "the key is in the database");
            }
            Backend::Postgres(scratch, _) => {
                let mut client = ::postgres::Client::connect(&scratch.url(), ::postgres::NoTls).unwrap();
                let tables = client
                    .query(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
                        &[],
                    )
                    .unwrap();
                assert!(tables.len() > 10);
                for table in tables.iter().map(|r| r.get::<_, String>(0)) {
                    let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} t WHERE strpos(t::TEXT, $1) > 0)");
                    let found: bool = client.query_one(&sql, &[&secret]).unwrap().get(0);
                    assert!(!found, "the key is in the table {table}");
                }
            }
        }
    }

    fn deleting_the_tail_and_pointing_the_head_back_is_found(backend: &Backend) {
        let store = store_with_events(backend, 5);
        raw::batch(
            backend,
            "DELETE FROM audit_events WHERE seq > 3;
             UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3);",
        );
        assert_eq!(problems(store.as_ref()), vec![truncated(2, 5, 3)]);
        assert_eq!(
            problems(store.as_ref())[0].to_string(),
            "events 4 to 5 were deleted: checkpoint audit.checkpoints:2 recorded 5 events, the trail has 3"
        );
    }

    fn wiping_both_tables_is_found(backend: &Backend) {
        let store = store_with_events(backend, 5);
        raw::batch(backend, "DELETE FROM audit_events; DELETE FROM audit_head;");
        assert_eq!(problems(store.as_ref()), vec![truncated(2, 5, 0)]);
    }

    fn re_chaining_forward_after_an_edit_is_found(backend: &Backend) {
        let store = store_with_events(backend, 5);
        let mut events = store.audit_events(&AuditFilter::default(), 100, 0).unwrap();
        events[1].actor = "someone else".into();
        for i in 1..events.len() {
            events[i].prev_hash = events[i - 1].hash.clone();
            events[i].hash = events[i].compute_hash();
            let e = &events[i];
            raw::execute(
                backend,
                "UPDATE audit_events SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
                &[Value::Text(&e.actor), Value::Text(&e.prev_hash), Value::Text(&e.hash), Value::Int(e.seq)],
            );
        }
        raw::execute(backend, "UPDATE audit_head SET hash = $1", &[Value::Text(&events[4].hash)]);
        let mut expected: Vec<_> = (2..=5).map(|seq| AuditProblem::Edited { seq }).collect();
        expected.push(AuditProblem::CheckpointMismatch { checkpoint: "audit.checkpoints:2".into(), seq: 5 });
        assert_eq!(problems(store.as_ref()), expected);
    }

    fn edits_deletions_and_reordering_are_found(backend: &Backend) {
        let store = store_with_events(backend, 6);
        // Event 2 edited, 4 deleted, and 5 and 6 swapped, each renumbered into the other's place.
        raw::batch(
            backend,
            "UPDATE audit_events SET actor = 'someone' WHERE seq = 2; DELETE FROM audit_events WHERE seq = 4;
             UPDATE audit_events SET seq = -5 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = 6;
             UPDATE audit_events SET seq = 6 WHERE seq = -5;",
        );
        assert_eq!(
            problems(store.as_ref()),
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

    fn a_missing_key_is_reported_and_not_made_again(backend: &Backend) {
        let mut store = store_with_events(backend, 3);
        // This connection reads the key (the head is checkpointed already: nothing is written).
        store.checkpoint_audit(Utc::now()).unwrap();
        let key_file = backend.data_dir().join("audit.key");
        std::fs::remove_file(&key_file).unwrap();
        let mut reopened = backend.open();
        assert_eq!(problems(reopened.as_ref()), vec![AuditProblem::KeyMissing { from: 1 }]);
        let err = reopened.set_user_disabled(1, true, "test", Utc::now()).unwrap_err();
        assert!(
            err.to_string().contains("audit.key: missing, but the audit trail's newest event (3) was signed"),
            "{err}"
        );
        assert!(reopened.checkpoint_audit(Utc::now()).is_err());
        assert!(!key_file.exists(), "a new key was made for a keyed trail");
        // A connection that read the key before it went keeps working; verifying reads the file again.
        add_users(store.as_mut(), 3..4);
        assert_eq!(problems(store.as_ref()), vec![AuditProblem::KeyMissing { from: 1 }]);
    }

    fn a_trail_from_before_keys_is_sealed_once_and_says_so(backend: &Backend) {
        let store = backend.open();
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
            raw::execute(
                backend,
                "INSERT INTO audit_events (seq, at_ms, actor, entity, entity_id, action, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    Value::Int(e.seq),
                    Value::Int(e.at_ms),
                    Value::Text(&e.actor),
                    Value::Text(&e.entity),
                    Value::Text(&e.entity_id),
                    Value::Text(&e.action),
                    Value::Text(&e.prev_hash),
                    Value::Text(&e.hash),
                ],
            );
            previous = Some(e);
        }
        let last = previous.unwrap();
        raw::execute(backend, "INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, $1)", &[Value::Text(&last.hash)]);
        assert_eq!(problems(store.as_ref()), vec![AuditProblem::NotKeyed { events: 3 }]);
        drop(store);

        let mut store = backend.open();
        add_users(store.as_mut(), 0..2);
        let report = store.verify_audit().unwrap();
        assert_eq!((report.problems, report.keyed_from, report.events_checked), (vec![], Some(4), 5));
        let first = std::fs::read_to_string(backend.data_dir().join("audit.checkpoints")).unwrap();
        assert!(first.lines().next().unwrap().contains(&format!("keyed_from=4 events=3 head={} ", last.hash)));

        // Rewriting the old events now, even re-chained up to the key, breaks the first signed link.
        raw::batch(backend, "UPDATE audit_events SET actor = 'x', hash = 'y' WHERE seq = 3");
        let problems = problems(store.as_ref());
        assert!(problems.contains(&AuditProblem::BrokenLink { seq: 4 }), "{problems:?}");
        assert!(
            problems.contains(&AuditProblem::CheckpointMismatch { checkpoint: "audit.checkpoints:1".into(), seq: 3 })
        );
    }

    fn checkpoints_are_checked_one_by_one(backend: &Backend) {
        let store = store_with_events(backend, 2);
        let path = backend.data_dir().join("audit.checkpoints");
        let mut lines = std::fs::read_to_string(&path).unwrap();
        let forged = lines.lines().nth(1).unwrap().replace("events=2", "events=1");
        lines.push_str(&format!("not a checkpoint\n{forged}\n"));
        std::fs::write(&path, lines).unwrap();
        let problems = problems(store.as_ref());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], AuditProblem::CheckpointForged { checkpoint: "audit.checkpoints:4".into() });
        assert!(
            matches!(&problems[1], AuditProblem::CheckpointUnreadable { checkpoint, .. } if checkpoint == "audit.checkpoints:3")
        );

        std::fs::remove_file(&path).unwrap();
        assert_eq!(store.verify_audit().unwrap().problems, vec![AuditProblem::NoCheckpoints]);
    }

    fn a_checkpoint_is_written_once_per_head_and_every_hundred_events(backend: &Backend) {
        let store = store_with_events(backend, 0);
        let first = store.checkpoint_audit(Utc::now()).unwrap();
        assert_eq!((first.events, first.head.as_str()), (0, GENESIS_HASH));
        assert_eq!(store.checkpoint_audit(Utc::now()).unwrap(), first);
        drop(store);
        let mut store = backend.open();
        add_users(store.as_mut(), 0..CHECKPOINT_EVERY as usize + 1);
        let key = the_key(backend);
        let lines = std::fs::read_to_string(backend.data_dir().join("audit.checkpoints")).unwrap();
        let written: Vec<Checkpoint> = lines.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(written.iter().map(|c| c.events).collect::<Vec<_>>(), [0, CHECKPOINT_EVERY]);
        assert!(written.iter().all(|c| c.is_authentic(&key)));
        assert_ne!(key, AuditKey::from_bytes([0; AuditKey::LEN]));
    }

    fn the_key_and_checkpoints_can_live_elsewhere(backend: &Backend) {
        let elsewhere = tempfile::tempdir().unwrap();
        let files = AuditFiles {
            key: elsewhere.path().join("keys/tangkal.key"),
            checkpoints: elsewhere.path().join("tangkal.checkpoints"),
        };
        let mut store = backend.open();
        store.set_audit_files(files.clone());
        add_users(store.as_mut(), 0..2);
        drop(store);
        assert!(files.key.exists() && files.checkpoints.exists());
        let data = backend.data_dir();
        assert!(!data.join("audit.key").exists() && !data.join("audit.checkpoints").exists());
        let mut store = backend.open();
        store.set_audit_files(files);
        assert_eq!(problems(store.as_ref()), vec![]);
    }

    /// Servers sharing a database append to one chain: each event links to the one committed before it,
    /// whichever connection wrote it, and the key made by the first append is the only one. (Each
    /// connection adds to an organisation of its own, so that nothing but the trail makes them wait.)
    fn connections_appending_at_once_keep_one_unbroken_chain(backend: &Backend) {
        const CONNECTIONS: usize = 4;
        const EACH: usize = 30;
        let start = std::sync::Barrier::new(CONNECTIONS);
        std::thread::scope(|scope| {
            for c in 0..CONNECTIONS {
                let start = &start;
                scope.spawn(move || {
                    let mut store = backend.open();
                    start.wait();
                    add_users_to(store.as_mut(), &format!("org{c}"), c * EACH..(c + 1) * EACH);
                });
            }
        });
        let store = backend.open();
        let total = (CONNECTIONS * EACH) as i64;
        let report = store.verify_audit().unwrap();
        assert_eq!(report.problems, vec![]);
        assert_eq!(
            (report.events_checked, report.keyed_from, report.anchored_events),
            (total as u64, Some(1), Some(total))
        );
        let events = store.audit_events(&AuditFilter::default(), 1000, 0).unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>());
        assert_eq!(store.audit_head_seq().unwrap(), total);
        assert_eq!(store.count_users().unwrap(), total as u64);
        // The checkpoint before the hundred-and-first event is there, signed with the one key.
        let key = the_key(backend);
        let lines = std::fs::read_to_string(backend.data_dir().join("audit.checkpoints")).unwrap();
        let written: Vec<Checkpoint> = lines.lines().map(|l| l.parse().unwrap()).collect();
        assert!(written.iter().any(|c| c.events == CHECKPOINT_EVERY), "{lines}");
        assert!(written.iter().all(|c| c.is_authentic(&key)), "{lines}");
    }
}
