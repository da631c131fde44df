//! Tiplines on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tangkal_response::report::CitizenReport;
use tangkal_tiplines::conversation::Outgoing;
use tangkal_tiplines::{Channel, Forwarded, Language};

use crate::audit::Entry;
use crate::audit_anchor::AuditAnchor;
use crate::cases::text_enum;
use crate::tiplines::{erase_expired, outgoing_json, settlement, take, TiplineWrites};
use crate::users::time;
use crate::{ContactState, DueMessage, NewTip, Result, SendResult, SqliteStore, TipAction, TipTaken, TiplineStore};

/// The tipline statements on SQLite, in an immediate transaction.
struct SqliteWrites<'a> {
    tx: &'a Connection,
    audit: &'a AuditAnchor,
}

impl TiplineWrites for SqliteWrites<'_> {
    fn first_sighting(&mut self, channel: Channel, message_id: &str, at: DateTime<Utc>) -> Result<bool> {
        let new = self
            .tx
            .prepare_cached(
                "INSERT INTO tipline_seen (channel, message_id, seen_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(params![channel.as_str(), message_id, at.timestamp()])?;
        Ok(new > 0)
    }

    fn contact_id(&mut self, channel: Channel, sender_hash: &[u8]) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM tipline_contacts WHERE channel = ?1 AND sender_hash = ?2")?
            .query_row(params![channel.as_str(), sender_hash], |r| r.get(0))
            .optional()?)
    }

    fn note_contact(&mut self, tip: &NewTip<'_>) -> Result<(i64, bool)> {
        // Writers take turns (immediate transactions): the contact cannot appear in between.
        if let Some(id) = self.contact_id(tip.channel, tip.sender_hash)? {
            self.tx
                .prepare_cached(
                    "UPDATE tipline_contacts SET address = ?2, language = ?3, last_inbound = ?4 WHERE id = ?1",
                )?
                .execute(params![id, tip.address, tip.language.code(), tip.at.timestamp()])?;
            return Ok((id, false));
        }
        self.tx
            .prepare_cached(
                "INSERT INTO tipline_contacts (channel, sender_hash, address, language, first_seen, last_inbound)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?
            .execute(params![
                tip.channel.as_str(),
                tip.sender_hash,
                tip.address,
                tip.language.code(),
                tip.at.timestamp()
            ])?;
        Ok((self.tx.last_insert_rowid(), true))
    }

    fn delete_contact(&mut self, contact_id: i64) -> Result<usize> {
        let tx = self.tx;
        tx.execute("DELETE FROM tipline_outbox WHERE contact_id = ?1 AND status = 'pending'", [contact_id])?;
        tx.execute("UPDATE tipline_outbox SET contact_id = NULL WHERE contact_id = ?1", [contact_id])?;
        let reports = tx.execute(
            "UPDATE citizen_reports SET contact = NULL, contact_erased = 1
             WHERE id IN (SELECT report_id FROM tipline_reports WHERE contact_id = ?1)",
            [contact_id],
        )?;
        tx.execute("DELETE FROM tipline_reports WHERE contact_id = ?1", [contact_id])?;
        tx.execute("DELETE FROM tipline_contacts WHERE id = ?1", [contact_id])?;
        Ok(reports)
    }

    fn set_subscribed(&mut self, contact_id: i64, subscribed: bool) -> Result<()> {
        self.tx
            .execute("UPDATE tipline_contacts SET subscribed = ?2 WHERE id = ?1", params![contact_id, subscribed])?;
        Ok(())
    }

    fn add_report(
        &mut self,
        report: &CitizenReport,
        token_hash: &[u8; 32],
        contact_id: i64,
        forwarded: Forwarded,
    ) -> Result<CitizenReport> {
        let report = super::reports::insert(self.tx, report, token_hash)?;
        self.tx
            .prepare_cached("INSERT INTO tipline_reports (report_id, contact_id, forwarded) VALUES (?1, ?2, ?3)")?
            .execute(params![report.id, contact_id, forwarded.as_str()])?;
        Ok(report)
    }

    fn enqueue(
        &mut self,
        channel: Channel,
        contact_id: Option<i64>,
        address: &str,
        message: &Outgoing,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO tipline_outbox (channel, contact_id, address, message, status, attempts, next_attempt_at,
                                             created_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5)",
            )?
            .execute(params![channel.as_str(), contact_id, address, outgoing_json(message)?, at.timestamp()])?;
        Ok(())
    }

    fn audit(&mut self, entry: Entry<'_>, at: DateTime<Utc>) -> Result<()> {
        super::audit::append(self.tx, self.audit, entry, at)
    }

    fn expired_contacts(&mut self, before: DateTime<Utc>) -> Result<Vec<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM tipline_contacts WHERE last_inbound < ?1")?
            .query_map([before.timestamp()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn forget_seen(&mut self, before: DateTime<Utc>) -> Result<()> {
        self.tx.execute("DELETE FROM tipline_seen WHERE seen_at < ?1", [before.timestamp()])?;
        Ok(())
    }
}

/// Runs `f` with SQLite overwriting freed bytes, so deleted contacts do not linger in the file's free
/// space; turned off again afterwards, so imports are not slowed down.
fn securely<T>(store: &mut SqliteStore, f: impl FnOnce(&mut SqliteStore) -> Result<T>) -> Result<T> {
    store.conn.execute_batch("PRAGMA secure_delete = ON")?;
    let done = f(store);
    store.conn.execute_batch("PRAGMA secure_delete = OFF")?;
    done
}

/// Queues the follow-up for every report of `case_id` sent by a tipline contact who still wants them and
/// was not told yet. Call inside the transaction that publishes the case's clarification.
pub(crate) fn enqueue_followups(
    tx: &Connection,
    case_id: i64,
    rating: &str,
    title: &str,
    slug: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO tipline_outbox (channel, contact_id, address, message, status, attempts, next_attempt_at, created_at)
         SELECT c.channel, c.id, c.address,
                json_object('kind', 'followup', 'reference', r.reference, 'rating', ?2, 'title', ?3, 'slug', ?4),
                'pending', 0, ?5, ?5
         FROM tipline_reports t
         JOIN citizen_reports r ON r.id = t.report_id
         JOIN tipline_contacts c ON c.id = t.contact_id
         WHERE r.case_id = ?1 AND t.followed_up = 0 AND c.subscribed = 1 AND r.status IN ('received', 'linked')
         ORDER BY r.id",
    )?
    .execute(params![case_id, rating, title, slug, at.timestamp()])?;
    tx.prepare_cached(
        "UPDATE tipline_reports SET followed_up = 1
         WHERE followed_up = 0 AND report_id IN (SELECT id FROM citizen_reports WHERE case_id = ?1)",
    )?
    .execute([case_id])?;
    Ok(())
}

fn due_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DueMessage> {
    let message: String = r.get(3)?;
    let message = serde_json::from_str(&message)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?;
    let contact = match r.get::<_, Option<String>>(5)? {
        Some(language) => Some(ContactState {
            language: text_enum(language, Language::parse)?,
            last_inbound: time(r.get(6)?),
            subscribed: r.get(7)?,
        }),
        None => None,
    };
    Ok(DueMessage {
        id: r.get(0)?,
        channel: text_enum(r.get(1)?, Channel::parse)?,
        address: r.get(2)?,
        message,
        attempts: r.get::<_, i64>(4)?.clamp(0, u32::MAX.into()) as u32,
        contact,
    })
}

impl SqliteStore {
    /// [`TiplineStore::take_tip`], in one transaction.
    fn take_message(&mut self, tip: &NewTip<'_>) -> Result<TipTaken> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken = take(&mut SqliteWrites { tx: &tx, audit: &self.audit }, tip)?;
        tx.commit()?;
        Ok(taken)
    }
}

impl TiplineStore for SqliteStore {
    fn take_tip(&mut self, tip: &NewTip<'_>) -> Result<TipTaken> {
        match tip.action {
            TipAction::Delete => securely(self, |store| store.take_message(tip)),
            _ => self.take_message(tip),
        }
    }

    fn due_tipline_messages(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueMessage>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.channel, o.address, o.message, o.attempts, c.language, c.last_inbound, c.subscribed
             FROM tipline_outbox o LEFT JOIN tipline_contacts c ON c.id = o.contact_id
             WHERE o.status = 'pending' AND o.next_attempt_at <= ?1 AND o.address IS NOT NULL
               -- A chat's messages go in order: none overtakes an earlier one waiting for its retry.
               AND NOT EXISTS (SELECT 1 FROM tipline_outbox e
                               WHERE e.status = 'pending' AND e.contact_id = o.contact_id AND e.id < o.id
                                 AND e.next_attempt_at > ?1)
             ORDER BY o.id LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![now.timestamp(), limit], due_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_tipline_sends(&mut self, results: &[(i64, SendResult)]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for &(id, result) in results {
            let (status, next, attempted) = settlement(result);
            tx.prepare_cached(
                "UPDATE tipline_outbox SET status = ?2, attempts = attempts + ?3, next_attempt_at = ?4,
                        address = CASE WHEN ?2 = 'pending' THEN address END
                 WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, status, i64::from(attempted), next])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn erase_expired_tipline_contacts(
        &mut self,
        last_inbound_before: DateTime<Utc>,
        seen_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        securely(self, |store| {
            let tx = store.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let erased = erase_expired(
                &mut SqliteWrites { tx: &tx, audit: &store.audit },
                last_inbound_before,
                seen_before,
                now,
            )?;
            tx.commit()?;
            Ok(erased)
        })
    }

    fn pending_tipline_messages(&self) -> Result<u64> {
        let n: i64 =
            self.conn.query_row("SELECT COUNT(*) FROM tipline_outbox WHERE status = 'pending'", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }
}
