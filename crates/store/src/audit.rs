//! The append-only, hash-chained audit trail. Events are appended inside the transaction of the change
//! they record, so a change and its event are written together or not at all.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tangkal_cases::audit::{AuditEvent, AuditReport, ChainHead, Verifier};

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
    /// Walks the whole chain and reports every edited, replaced or deleted event.
    fn verify_audit(&self) -> Result<AuditReport>;
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
    serde_json::to_string(record).map_err(|e| StoreError::Invalid(format!("cannot record audit event: {e}")))
}

/// Appends one event after the current head. Call inside the change's (immediate) transaction.
pub(crate) fn append(conn: &Connection, entry: Entry<'_>, now: DateTime<Utc>) -> Result<()> {
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
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
    event.chain_after(head.as_ref().map(|(s, h)| (*s, h.as_str())));
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

const SELECT_EVENT: &str =
    "SELECT seq, at_ms, actor, entity, entity_id, action, before, after, prev_hash, hash FROM audit_events";

impl AuditStore for SqliteStore {
    fn audit_events(&self, filter: &AuditFilter, limit: u64, offset: u64) -> Result<Vec<AuditEvent>> {
        let limit = i64::try_from(limit).map_err(|_| StoreError::Invalid("limit is too large".into()))?;
        let offset = i64::try_from(offset).map_err(|_| StoreError::Invalid("offset is too large".into()))?;
        let sql = format!(
            "{SELECT_EVENT} WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR entity_id = ?2)
             ORDER BY seq LIMIT ?3 OFFSET ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![filter.entity, filter.entity_id, limit, offset], event_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn verify_audit(&self) -> Result<AuditReport> {
        // One read transaction, so a concurrent append cannot look like a deleted tail.
        let tx = self.conn.unchecked_transaction()?;
        let head = tx
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok(ChainHead { seq: r.get(0)?, hash: r.get(1)? })
            })
            .optional()?;
        let mut verifier = Verifier::default();
        {
            let mut stmt = tx.prepare(&format!("{SELECT_EVENT} ORDER BY seq"))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                verifier.push(&event_row(row)?);
            }
        }
        tx.commit()?;
        Ok(verifier.finish(head.as_ref()))
    }
}
