//! Tiplines on PostgreSQL, where several servers take messages and send the outbox.
//!
//! - A message id is remembered by its primary key: a delivery the platform repeats to another server
//!   waits for the first one's transaction and then does nothing.
//! - A contact is found by its `UNIQUE (channel, sender_hash)`: two first messages of one sender at once
//!   make one contact (and one welcome).
//! - The outbox is claimed: [`TiplineStore::due_tipline_messages`] hands out due messages and moves their
//!   next attempt [`CLAIM_SECS`] ahead in the same statement (`FOR UPDATE SKIP LOCKED`), so no other
//!   server gets them meanwhile; [`TiplineStore::record_tipline_sends`] settles them. A message claimed and
//!   not recorded (a server that stopped, or one held back by the platform's rate limits) is due again
//!   once the claim runs out.
//! - Erasing contacts: see [`super::reports`] for what deleting guarantees on PostgreSQL (there is no
//!   `secure_delete`; deleted rows stay in the table's file until `VACUUM` and reuse of their space).

use ::postgres::Row;

use super::connection::{GenericClient, Transaction};
use chrono::{DateTime, Duration, Utc};
use tangkal_response::report::CitizenReport;
use tangkal_tiplines::conversation::Outgoing;
use tangkal_tiplines::{Channel, Forwarded, Language};

use super::PostgresStore;
use crate::audit::Entry;
use crate::audit_anchor::AuditAnchor;
use crate::cases::text_enum;
use crate::tiplines::{erase_expired, outgoing_json, settlement, take, TiplineWrites};
use crate::users::time;
use crate::{ContactState, DueMessage, NewTip, Result, SendResult, StoreError, TipTaken, TiplineStore};

/// How long a claimed message is kept from other servers: longer than a round of sends takes (each
/// message waits at most the sender's HTTP timeout, 10 seconds by default, and a chat gets a few per
/// round). A round that takes longer may see its messages sent twice, as a crash between sending and
/// recording would.
pub(crate) const CLAIM_SECS: i64 = 120;

/// The tipline statements on PostgreSQL, inside the caller's transaction.
struct PostgresWrites<'a, 't> {
    tx: &'a mut Transaction<'t>,
    audit: &'a AuditAnchor,
}

impl TiplineWrites for PostgresWrites<'_, '_> {
    fn first_sighting(&mut self, channel: Channel, message_id: &str, at: DateTime<Utc>) -> Result<bool> {
        let new = self.tx.execute(
            "INSERT INTO tipline_seen (channel, message_id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&channel.as_str(), &message_id, &at.timestamp()],
        )?;
        Ok(new > 0)
    }

    fn contact_id(&mut self, channel: Channel, sender_hash: &[u8]) -> Result<Option<i64>> {
        let row = self.tx.query_opt(
            "SELECT id FROM tipline_contacts WHERE channel = $1 AND sender_hash = $2 FOR UPDATE",
            &[&channel.as_str(), &sender_hash],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn note_contact(&mut self, tip: &NewTip<'_>) -> Result<(i64, bool)> {
        let (channel, language, at) = (tip.channel.as_str(), tip.language.code(), tip.at.timestamp());
        // Update, else insert; an insert that finds the contact added meanwhile by another server's
        // message updates it after all.
        loop {
            let known = self.tx.query_opt(
                "UPDATE tipline_contacts SET address = $3, language = $4, last_inbound = $5
                 WHERE channel = $1 AND sender_hash = $2 RETURNING id",
                &[&channel, &tip.sender_hash, &tip.address, &language, &at],
            )?;
            if let Some(row) = known {
                return Ok((row.get(0), false));
            }
            let added = self.tx.query_opt(
                "INSERT INTO tipline_contacts (channel, sender_hash, address, language, first_seen, last_inbound)
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (channel, sender_hash) DO NOTHING RETURNING id",
                &[&channel, &tip.sender_hash, &tip.address, &language, &at],
            )?;
            if let Some(row) = added {
                return Ok((row.get(0), true));
            }
        }
    }

    fn delete_contact(&mut self, contact_id: i64) -> Result<usize> {
        let tx = &mut *self.tx;
        tx.execute("DELETE FROM tipline_outbox WHERE contact_id = $1 AND status = 'pending'", &[&contact_id])?;
        tx.execute("UPDATE tipline_outbox SET contact_id = NULL WHERE contact_id = $1", &[&contact_id])?;
        let reports = tx.execute(
            "UPDATE citizen_reports SET contact = NULL, contact_erased = TRUE
             WHERE id IN (SELECT report_id FROM tipline_reports WHERE contact_id = $1)",
            &[&contact_id],
        )?;
        tx.execute("DELETE FROM tipline_reports WHERE contact_id = $1", &[&contact_id])?;
        tx.execute("DELETE FROM tipline_contacts WHERE id = $1", &[&contact_id])?;
        Ok(reports as usize)
    }

    fn set_subscribed(&mut self, contact_id: i64, subscribed: bool) -> Result<()> {
        self.tx.execute("UPDATE tipline_contacts SET subscribed = $2 WHERE id = $1", &[&contact_id, &subscribed])?;
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
        self.tx.execute(
            "INSERT INTO tipline_reports (report_id, contact_id, forwarded) VALUES ($1, $2, $3)",
            &[&report.id, &contact_id, &forwarded.as_str()],
        )?;
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
        self.tx.execute(
            "INSERT INTO tipline_outbox (channel, contact_id, address, message, status, attempts, next_attempt_at,
                                         created_at)
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
            &[&channel.as_str(), &contact_id, &address, &outgoing_json(message)?, &at.timestamp()],
        )?;
        Ok(())
    }

    fn audit(&mut self, entry: Entry<'_>, at: DateTime<Utc>) -> Result<()> {
        super::audit::append(self.tx, self.audit, entry, at)
    }

    fn expired_contacts(&mut self, before: DateTime<Utc>) -> Result<Vec<i64>> {
        // Locked: a retention job on another server waits and then finds them gone, and a message from one
        // of them waits and then makes a new contact.
        let rows = self.tx.query(
            "SELECT id FROM tipline_contacts WHERE last_inbound < $1 ORDER BY id FOR UPDATE",
            &[&before.timestamp()],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn forget_seen(&mut self, before: DateTime<Utc>) -> Result<()> {
        self.tx.execute("DELETE FROM tipline_seen WHERE seen_at < $1", &[&before.timestamp()])?;
        Ok(())
    }
}

/// Queues the follow-up for every report of `case_id` sent by a tipline contact who still wants them and
/// was not told yet. Call inside the transaction that publishes the case's clarification. The reports are
/// marked first, under their row locks: two clarifications of one case published at once on two servers
/// queue each follow-up once.
pub(crate) fn enqueue_followups(
    tx: &mut Transaction<'_>,
    case_id: i64,
    rating: &str,
    title: &str,
    slug: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "WITH marked AS (
             UPDATE tipline_reports SET followed_up = TRUE
             WHERE NOT followed_up AND report_id IN (SELECT id FROM citizen_reports WHERE case_id = $1)
             RETURNING report_id, contact_id)
         INSERT INTO tipline_outbox (channel, contact_id, address, message, status, attempts, next_attempt_at,
                                     created_at)
         SELECT c.channel, c.id, c.address,
                jsonb_build_object('kind', 'followup', 'reference', r.reference, 'rating', $2::text,
                                   'title', $3::text, 'slug', $4::text)::text,
                'pending', 0, $5, $5
         FROM marked t
         JOIN citizen_reports r ON r.id = t.report_id
         JOIN tipline_contacts c ON c.id = t.contact_id
         WHERE c.subscribed AND r.status IN ('received', 'linked')
         ORDER BY r.id",
        &[&case_id, &rating, &title, &slug, &at.timestamp()],
    )?;
    Ok(())
}

fn due_row(r: &Row) -> Result<DueMessage> {
    let id: i64 = r.get(0);
    let message: String = r.get(3);
    let message =
        serde_json::from_str(&message).map_err(|e| StoreError::Corrupt(format!("tipline message {id}: {e}")))?;
    let contact = match r.get::<_, Option<String>>(5) {
        Some(language) => Some(ContactState {
            language: text_enum(language, Language::parse)?,
            last_inbound: time(r.get(6)),
            subscribed: r.get(7),
        }),
        None => None,
    };
    Ok(DueMessage {
        id,
        channel: text_enum(r.get(1), Channel::parse)?,
        address: r.get(2),
        message,
        attempts: r.get::<_, i64>(4).clamp(0, u32::MAX.into()) as u32,
        contact,
    })
}

impl TiplineStore for PostgresStore {
    fn take_tip(&mut self, tip: &NewTip<'_>) -> Result<TipTaken> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let taken = take(&mut PostgresWrites { tx: &mut tx, audit: &self.audit }, tip)?;
        tx.commit()?;
        Ok(taken)
    }

    /// Claims what it returns (see the module's documentation): a second call, here or on another server,
    /// does not return the same messages until [`CLAIM_SECS`] after `now`.
    fn due_tipline_messages(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let claimed_until = (now + Duration::seconds(CLAIM_SECS)).timestamp();
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Claims take turns: a chat's messages go in order, so one claim must see which messages another
        // has just claimed before it picks a later message of the same chat.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::locks::TIPLINE_CLAIM])?;
        let rows = tx.query(
            "WITH due AS (
                 SELECT o.id FROM tipline_outbox o
                 WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND o.address IS NOT NULL
                   -- A chat's messages go in order: none overtakes an earlier one waiting for its retry or
                   -- claimed by another server.
                   AND NOT EXISTS (SELECT 1 FROM tipline_outbox e
                                   WHERE e.status = 'pending' AND e.contact_id = o.contact_id AND e.id < o.id
                                     AND e.next_attempt_at > $1)
                 ORDER BY o.id LIMIT $2
                 FOR UPDATE OF o SKIP LOCKED),
             claimed AS (
                 UPDATE tipline_outbox o SET next_attempt_at = $3 FROM due WHERE o.id = due.id
                 RETURNING o.id, o.channel, o.address, o.message, o.attempts, o.contact_id)
             SELECT m.id, m.channel, m.address, m.message, m.attempts, c.language, c.last_inbound, c.subscribed
             FROM claimed m LEFT JOIN tipline_contacts c ON c.id = m.contact_id
             ORDER BY m.id",
            &[&now.timestamp(), &limit, &claimed_until],
        )?;
        let due = rows.iter().map(due_row).collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(due)
    }

    fn record_tipline_sends(&mut self, results: &[(i64, SendResult)]) -> Result<()> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let update = tx.prepare(
            "UPDATE tipline_outbox SET status = $2, attempts = attempts + $3, next_attempt_at = $4,
                    address = CASE WHEN $2 = 'pending' THEN address END
             WHERE id = $1 AND status = 'pending'",
        )?;
        for &(id, result) in results {
            let (status, next, attempted) = settlement(result);
            tx.execute(&update, &[&id, &status, &i64::from(attempted), &next])?;
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
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let erased = erase_expired(
            &mut PostgresWrites { tx: &mut tx, audit: &self.audit },
            last_inbound_before,
            seen_before,
            now,
        )?;
        tx.commit()?;
        Ok(erased)
    }

    fn pending_tipline_messages(&self) -> Result<u64> {
        let n: i64 =
            self.client().query_one("SELECT COUNT(*) FROM tipline_outbox WHERE status = 'pending'", &[])?.get(0);
        Ok(n.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Barrier;

    use super::*;
    use crate::response_fixtures::t0;
    use crate::testing::Backend;
    use crate::tiplines::fixtures::{texts, tip};
    use crate::TipAction;

    /// Servers asking for due messages at once share them out, none handed to two; each sends what it got
    /// and asks again until nothing is left.
    #[test]
    fn servers_sending_at_once_never_get_the_same_message() {
        let backend = Backend::postgres();
        let mut store = backend.open();
        let senders: Vec<String> = (0..40).map(|n| format!("warga{n}")).collect();
        for (n, sender) in senders.iter().enumerate() {
            let id = n.to_string();
            store.take_tip(&tip(&id, sender.as_bytes(), TipAction::NothingToCheck, t0())).unwrap();
        }
        let barrier = Barrier::new(4);
        let claimed: Vec<Vec<i64>> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut store = backend.open();
                        barrier.wait();
                        let mut mine = Vec::new();
                        loop {
                            let due = store.due_tipline_messages(t0(), 7).unwrap();
                            if due.is_empty() {
                                return mine;
                            }
                            let sent: Vec<_> = due.iter().map(|m| (m.id, SendResult::Sent)).collect();
                            store.record_tipline_sends(&sent).unwrap();
                            mine.extend(due.iter().map(|m| m.id));
                        }
                    })
                })
                .collect();
            servers.into_iter().map(|server| server.join().unwrap()).collect()
        });
        let all: Vec<i64> = claimed.concat();
        let distinct: BTreeSet<i64> = all.iter().copied().collect();
        assert_eq!((all.len(), distinct.len()), (80, 80), "a welcome and an answer to each, once: {claimed:?}");
    }

    /// A claim lasts [`CLAIM_SECS`]: a message claimed and not recorded is handed out again then, and a
    /// chat's later message waits behind it meanwhile.
    #[test]
    fn a_claimed_message_not_recorded_is_due_again_when_its_claim_runs_out() {
        let backend = Backend::postgres();
        let mut store = backend.open();
        store.take_tip(&tip("1", b"ani", TipAction::NothingToCheck, t0())).unwrap();
        let first = store.due_tipline_messages(t0(), 1).unwrap();
        assert_eq!(first.len(), 1);
        assert!(texts(store.as_ref(), t0()).is_empty(), "the answer waits behind the claimed welcome");
        let expiry = t0() + Duration::seconds(CLAIM_SECS);
        let again = store.due_tipline_messages(expiry, 100).unwrap();
        assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), [first[0].id, first[0].id + 1]);
        assert_eq!(again[0], first[0], "unchanged, attempts too");
        store.record_tipline_sends(&[(first[0].id, SendResult::Sent), (first[0].id + 1, SendResult::Sent)]).unwrap();
        assert!(texts(store.as_ref(), expiry + Duration::seconds(CLAIM_SECS)).is_empty());
        assert_eq!(store.pending_tipline_messages().unwrap(), 0);
    }
}
