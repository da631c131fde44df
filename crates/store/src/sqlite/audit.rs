//! The audit trail on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tangkal_cases::audit::{AuditEvent, AuditProblem, AuditReport, ChainHead, Checkpoint, SourcedCheckpoint, Verifier};

use crate::audit::{next_event, Entry};
use crate::audit_anchor::{AuditAnchor, AuditFiles};
use crate::{AuditChanges, AuditFilter, AuditStore, Result, SqliteStore, StoreError};

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
    let event = next_event(anchor, head.as_ref(), || head_is_unkeyed(conn, head.as_ref()), entry, now)?;
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
