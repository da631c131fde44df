//! The audit trail on PostgreSQL: one chain for every server sharing the database, appended under the
//! row lock of its head; its key and checkpoints stay in files, as on SQLite.

use super::connection::{GenericClient, Transaction};
use ::postgres::fallible_iterator::FallibleIterator;
use chrono::{DateTime, Utc};
use tangkal_cases::audit::{AuditEvent, AuditProblem, AuditReport, ChainHead, Checkpoint, SourcedCheckpoint, Verifier};

use super::PostgresStore;
use crate::audit::Entry;
use crate::audit_anchor::AuditAnchor;
use crate::{AuditChanges, AuditFiles, AuditFilter, AuditStore, Result, StoreError};

/// The chain's head, locked until the transaction ends: appends from several servers queue here, so each
/// links to the one before it.
fn lock_head(tx: &mut Transaction<'_>) -> Result<Option<ChainHead>> {
    // The first append of a new trail creates the row; the empty insert makes every later one wait on it.
    tx.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING", &[])?;
    let row = tx.query_one("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE", &[])?;
    let (seq, hash): (i64, String) = (row.get(0), row.get(1));
    Ok((seq > 0).then_some(ChainHead { seq, hash }))
}

/// Whether the head event carries its plain hash, as events did before trails had a key (true for an empty
/// trail).
fn head_is_unkeyed(tx: &mut Transaction<'_>, head: Option<&ChainHead>) -> Result<bool> {
    let Some(head) = head else { return Ok(true) };
    let event = tx.query_opt(&format!("{SELECT_EVENT} WHERE seq = $1"), &[&head.seq])?.map(|r| event_row(&r));
    Ok(event.is_some_and(|e| e.hash == head.hash && e.compute_hash() == e.hash))
}

/// Appends one event after the current head, inside the transaction of the change it records.
pub(crate) fn append(
    tx: &mut Transaction<'_>,
    anchor: &AuditAnchor,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let head = lock_head(tx)?;
    let event = crate::audit::next_event(anchor, head.as_ref(), || head_is_unkeyed(tx, head.as_ref()), entry, now)?;
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

/// The committed head, as [`lock_head`] reads it, without locking it.
fn read_head(tx: &mut Transaction<'_>) -> Result<Option<ChainHead>> {
    let row = tx.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
    Ok(row
        .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)))
        .filter(|(seq, _)| *seq > 0)
        .map(|(seq, hash)| ChainHead { seq, hash }))
}

fn head_seq(client: &mut impl GenericClient) -> Result<i64> {
    Ok(client.query_one("SELECT COALESCE(MAX(seq), 0) FROM audit_events", &[])?.get(0))
}

impl AuditStore for PostgresStore {
    fn audit_events(&self, filter: &AuditFilter, limit: u64, offset: u64) -> Result<Vec<AuditEvent>> {
        let limit = i64::try_from(limit).map_err(|_| StoreError::invalid("limit", "is too large"))?;
        let offset = i64::try_from(offset).map_err(|_| StoreError::invalid("offset", "is too large"))?;
        let sql = format!(
            "{SELECT_EVENT} WHERE ($1::TEXT IS NULL OR entity = $1) AND ($2::TEXT IS NULL OR entity_id = $2)
             ORDER BY seq LIMIT $3 OFFSET $4"
        );
        let rows = self.client().query(&sql, &[&filter.entity, &filter.entity_id, &limit, &offset])?;
        Ok(rows.iter().map(event_row).collect())
    }

    fn verify_audit_against(&self, more: Vec<SourcedCheckpoint>) -> Result<AuditReport> {
        // The key and checkpoints first: any checkpoint already written records committed events, which the
        // snapshot below then sees.
        let key = self.audit.read_key()?;
        let file = self.audit.read_checkpoints()?;
        let no_checkpoints = file.checkpoints.is_empty();
        let mut checkpoints = file.checkpoints;
        checkpoints.extend(more);
        let mut client = self.client();
        let mut tx = client.snapshot()?;
        let head = read_head(&mut tx)?;
        let mut verifier = Verifier::new(key.as_ref().map(|k| k.chain_key()), checkpoints);
        // Streamed: the whole trail is never held in memory at once.
        let mut rows = tx.query_raw(&format!("{SELECT_EVENT} ORDER BY seq"))?;
        while let Some(row) = rows.next()? {
            verifier.push(&event_row(&row));
        }
        drop(rows);
        tx.commit()?;
        let mut report = verifier.finish(head.as_ref());
        report.problems.extend(file.unreadable);
        if key.is_some() && no_checkpoints {
            report.problems.push(AuditProblem::NoCheckpoints);
        }
        Ok(report)
    }

    fn checkpoint_audit(&self, now: DateTime<Utc>) -> Result<Checkpoint> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // The head's lock: no server appends an event, or creates the key, between reading the head and
        // signing it.
        let head = lock_head(&mut tx)?;
        let key = match self.audit.key()? {
            Some(key) => key,
            None => self.audit.key_or_create(head.as_ref(), head_is_unkeyed(&mut tx, head.as_ref())?, now)?,
        };
        let (events, hash) = head.as_ref().map_or((0, tangkal_cases::audit::GENESIS_HASH), |h| (h.seq, &h.hash));
        let checkpoint = match self.audit.newest_checkpoint()? {
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
        // Events commit in seq order (each is appended under the head's lock, held to its commit), so the
        // snapshot holds every event up to `through` and a later call misses none.
        let mut client = self.client();
        let mut tx = client.snapshot()?;
        let through = head_seq(&mut tx)?;
        let rows = tx.query(
            "SELECT entity_id FROM audit_events WHERE seq > $1 AND seq <= $2 AND entity = $3 ORDER BY seq",
            &[&after_seq, &through, &entity],
        )?;
        tx.commit()?;
        let mut seen = std::collections::HashSet::new();
        let entity_ids = rows.iter().map(|r| r.get::<_, String>(0)).filter(|id| seen.insert(id.clone())).collect();
        Ok(AuditChanges { through, entity_ids })
    }

    fn audit_head_seq(&self) -> Result<i64> {
        head_seq(&mut *self.client())
    }
}

/// A connection that appended events writes a checkpoint of the head when it closes, as SQLite's does.
impl Drop for PostgresStore {
    fn drop(&mut self) {
        if self.audit.unanchored.get() {
            if let Err(e) = self.checkpoint_audit(Utc::now()) {
                tracing::error!("cannot write an audit checkpoint: {e}");
            }
        }
    }
}
