//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::Entry;
use crate::audit_anchor::{AuditAnchor, AuditFiles, CHECKPOINT_EVERY};
use crate::{Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tangkal_cases::audit::{AuditEvent, AuditProblem, AuditReport, ChainHead, Checkpoint, SourcedCheckpoint, Verifier};

use super::PostgresStore;
use crate::*;

/// The chain's head, locked until the transaction ends: appends from several servers queue here, so each
/// links to the one before it.
fn lock_head(tx: &mut ::postgres::Transaction<'_>) -> Result<Option<ChainHead>> {
    // The first append of a new trail creates the row; the empty insert makes every later one wait on it.
    tx.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING", &[])?;
    let row = tx.query_one("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE", &[])?;
    let (seq, hash): (i64, String) = (row.get(0), row.get(1));
    Ok((seq > 0).then_some(ChainHead { seq, hash }))
}

/// Whether the head event carries its plain hash, as events did before trails had a key (true for an empty
/// trail).
fn head_is_unkeyed(tx: &mut ::postgres::Transaction<'_>, head: Option<&ChainHead>) -> Result<bool> {
    let Some(head) = head else { return Ok(true) };
    let event = tx.query_opt(&format!("{SELECT_EVENT} WHERE seq = $1"), &[&head.seq])?.map(|r| event_row(&r));
    Ok(event.is_some_and(|e| e.hash == head.hash && e.compute_hash() == e.hash))
}

/// Appends one event after the current head, inside the transaction of the change it records.
pub(crate) fn append(
    tx: &mut ::postgres::Transaction<'_>,
    anchor: &AuditAnchor,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let head = lock_head(tx)?;
    let key = match anchor.key()? {
        Some(key) => key,
        None => anchor.key_or_create(head.as_ref(), head_is_unkeyed(tx, head.as_ref())?, now)?,
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
    tx.execute(
        "INSERT INTO audit_events (seq, at_ms, actor, entity, entity_id, action, before, after, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &event.seq,
            &event.at_ms,
            &event.actor,
            &event.entity,
            &event.entity_id,
            &event.action,
            &event.before,
            &event.after,
            &event.prev_hash,
            &event.hash,
        ],
    )?;
    tx.execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", &[&event.seq, &event.hash])?;
    anchor.unanchored.set(true);
    Ok(())
}

fn event_row(r: &::postgres::Row) -> AuditEvent {
    AuditEvent {
        seq: r.get(0),
        at_ms: r.get(1),
        actor: r.get(2),
        entity: r.get(3),
        entity_id: r.get(4),
        action: r.get(5),
        before: r.get(6),
        after: r.get(7),
        prev_hash: r.get(8),
        hash: r.get(9),
    }
}

const SELECT_EVENT: &str =
    "SELECT seq, at_ms, actor, entity, entity_id, action, before, after, prev_hash, hash FROM audit_events";

impl AuditStore for PostgresStore {
    fn audit_events(&self, filter: &AuditFilter, limit: u64, offset: u64) -> Result<Vec<AuditEvent>> {
        unimplemented!("AuditStore::audit_events on PostgreSQL")
    }
    fn verify_audit_against(&self, more: Vec<SourcedCheckpoint>) -> Result<AuditReport> {
        unimplemented!("AuditStore::verify_audit_against on PostgreSQL")
    }
    fn checkpoint_audit(&self, now: DateTime<Utc>) -> Result<Checkpoint> {
        unimplemented!("AuditStore::checkpoint_audit on PostgreSQL")
    }
    fn set_audit_files(&mut self, files: AuditFiles) {
        unimplemented!("AuditStore::set_audit_files on PostgreSQL")
    }
    fn changes_after(&self, after_seq: i64, entity: &str) -> Result<AuditChanges> {
        unimplemented!("AuditStore::changes_after on PostgreSQL")
    }
    fn audit_head_seq(&self) -> Result<i64> {
        unimplemented!("AuditStore::audit_head_seq on PostgreSQL")
    }
}
