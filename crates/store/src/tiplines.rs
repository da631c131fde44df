//! Tiplines: contacts known by a keyed hash, the message ids already taken, and the outbox of messages
//! to send. A message is taken in one transaction with everything it causes (its report, the contact's
//! record, the replies), and a clarification's publication queues its follow-ups in its own transaction
//! ([`enqueue_followups`]): a restart loses no reply, and a delivery the platform repeats is taken once.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tangkal_response::report::CitizenReport;
use tangkal_tiplines::conversation::{words, Outgoing, Reply};
use tangkal_tiplines::{Channel, Forwarded, Language};

use crate::audit::{self, Entry};
use crate::audit_anchor::AuditAnchor;
use crate::cases::text_enum;
use crate::users::time;
use crate::{reports, Result, SqliteStore, StoreError};

/// A message from a sender, with what it was found to ask for.
#[derive(Debug, Clone)]
pub struct NewTip<'a> {
    pub channel: Channel,
    pub message_id: &'a str,
    pub sender_hash: &'a [u8],
    /// Where replies go, sealed by the server.
    pub address: &'a str,
    pub language: Language,
    pub action: TipAction<'a>,
    /// Days a contact is kept after its last message, for the welcome's privacy notice.
    pub retention_days: u32,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum TipAction<'a> {
    /// A report from `CitizenReport::received`, with the hash of a status token nobody is given (the
    /// chat is where the reporter follows it).
    Report {
        report: &'a CitizenReport,
        token_hash: [u8; 32],
        forwarded: Forwarded,
    },
    Start,
    Stop,
    Delete,
    /// Nothing to check in the message: told so politely.
    NothingToCheck,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TipTaken {
    /// The message id was taken before: nothing was done.
    Duplicate,
    Taken {
        report: Option<Box<CitizenReport>>,
        replies: usize,
    },
}

/// A contact as the sender needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactState {
    pub language: Language,
    pub last_inbound: DateTime<Utc>,
    pub subscribed: bool,
}

/// A message whose next attempt is due.
#[derive(Debug, Clone, PartialEq)]
pub struct DueMessage {
    pub id: i64,
    pub channel: Channel,
    /// Sealed.
    pub address: String,
    pub message: Outgoing,
    pub attempts: u32,
    /// None for a message to a contact since deleted (the confirmation of the deletion).
    pub contact: Option<ContactState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendResult {
    Sent,
    /// Not to be sent (the sender stopped follow-ups, or the platform's rules forbid it now).
    Dropped,
    /// Tried again at `retry_at`, or given up when None.
    Failed {
        retry_at: Option<DateTime<Utc>>,
    },
}

pub trait TiplineStore {
    /// Takes a message: its id is remembered, the contact recorded or updated (or deleted), the report
    /// stored, and the replies queued, in one transaction; or nothing at all for a repeated id.
    fn take_tip(&mut self, tip: &NewTip<'_>) -> Result<TipTaken>;
    /// Pending messages due at `now`, oldest first.
    fn due_tipline_messages(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueMessage>>;
    /// Records what became of attempts, in one transaction; the sealed address is erased once a message
    /// is settled.
    fn record_tipline_sends(&mut self, results: &[(i64, SendResult)]) -> Result<()>;
    /// Deletes the contacts whose last message came before `last_inbound_before` (with their links to
    /// their reports and their pending messages), and forgets message ids seen before `seen_before`.
    /// Returns how many contacts were deleted.
    fn erase_expired_tipline_contacts(
        &mut self,
        last_inbound_before: DateTime<Utc>,
        seen_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// Messages waiting to be sent.
    fn pending_tipline_messages(&self) -> Result<u64>;
}

fn enqueue(
    tx: &Connection,
    channel: Channel,
    contact_id: Option<i64>,
    address: &str,
    message: &Outgoing,
    at: DateTime<Utc>,
) -> Result<()> {
    let message = serde_json::to_string(message)
        .map_err(|e| StoreError::Internal(format!("cannot serialise a tipline message: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO tipline_outbox (channel, contact_id, address, message, status, attempts, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5)",
    )?
    .execute(params![channel.as_str(), contact_id, address, message, at.timestamp()])?;
    Ok(())
}

/// Deletes what is kept about a contact: its record (hash and sealed address), its pending messages,
/// and the link from its reports, which are marked as having had their contact erased. Returns how many
/// reports were unlinked.
fn delete_contact(tx: &Connection, contact_id: i64) -> Result<usize> {
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

/// Runs `f` with SQLite overwriting freed bytes, so deleted contacts do not linger in the file's free
/// space; turned off again afterwards, so imports are not slowed down.
fn securely<T>(store: &mut SqliteStore, f: impl FnOnce(&mut SqliteStore) -> Result<T>) -> Result<T> {
    store.conn.execute_batch("PRAGMA secure_delete = ON")?;
    let done = f(store);
    store.conn.execute_batch("PRAGMA secure_delete = OFF")?;
    done
}

/// The actor the audit trail names for deletions of tipline contacts.
const TIPLINE_ACTOR: &str = "system:tiplines";

/// Records a deletion by counts only: the trail is permanent and must not identify the sender.
fn audit_deletion(
    anchor: &AuditAnchor,
    tx: &Connection,
    action: &str,
    what: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    audit::append(tx, anchor, Entry::created(TIPLINE_ACTOR, "tipline_contact", 0, action, &what)?, at)
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
        let channel = tip.channel.as_str();
        let new = tx
            .prepare_cached(
                "INSERT INTO tipline_seen (channel, message_id, seen_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )?
            .execute(params![channel, tip.message_id, tip.at.timestamp()])?;
        if new == 0 {
            return Ok(TipTaken::Duplicate);
        }
        let known: Option<i64> = tx
            .prepare_cached("SELECT id FROM tipline_contacts WHERE channel = ?1 AND sender_hash = ?2")?
            .query_row(params![channel, tip.sender_hash], |r| r.get(0))
            .optional()?;
        let mut replies: Vec<String> = Vec::new();
        if let TipAction::Delete = tip.action {
            if let Some(id) = known {
                let reports = delete_contact(&tx, id)?;
                let what = serde_json::json!({ "channel": channel, "reports_unlinked": reports });
                audit_deletion(&self.audit, &tx, "tipline.delete_on_request", what, tip.at)?;
            }
            replies.push(words(&Reply::Deleted, tip.language));
            enqueue(&tx, tip.channel, None, tip.address, &Outgoing::Reply { text: replies[0].clone() }, tip.at)?;
            tx.commit()?;
            return Ok(TipTaken::Taken { report: None, replies: 1 });
        }
        let contact_id =
            match known {
                Some(id) => {
                    tx.prepare_cached(
                        "UPDATE tipline_contacts SET address = ?2, language = ?3, last_inbound = ?4 WHERE id = ?1",
                    )?
                    .execute(params![id, tip.address, tip.language.code(), tip.at.timestamp()])?;
                    id
                }
                None => {
                    tx.prepare_cached(
                    "INSERT INTO tipline_contacts (channel, sender_hash, address, language, first_seen, last_inbound)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )?
                .execute(params![channel, tip.sender_hash, tip.address, tip.language.code(), tip.at.timestamp()])?;
                    replies.push(words(&Reply::Welcome { retention_days: tip.retention_days }, tip.language));
                    tx.last_insert_rowid()
                }
            };
        let mut stored = None;
        match &tip.action {
            TipAction::Report { report, token_hash, forwarded } => {
                let report = reports::insert(&tx, report, token_hash)?;
                tx.prepare_cached(
                    "INSERT INTO tipline_reports (report_id, contact_id, forwarded) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![report.id, contact_id, forwarded.as_str()])?;
                match &report.answer {
                    Some(a) => replies
                        .push(words(&Reply::Answer { rating: &a.rating, title: &a.title, url: &a.url }, tip.language)),
                    None => replies.push(words(&Reply::Received { reference: &report.reference }, tip.language)),
                }
                stored = Some(Box::new(report));
            }
            TipAction::Start | TipAction::Stop => {
                let subscribed = matches!(tip.action, TipAction::Start);
                tx.execute(
                    "UPDATE tipline_contacts SET subscribed = ?2 WHERE id = ?1",
                    params![contact_id, subscribed],
                )?;
                match (subscribed, known) {
                    (false, _) => replies.push(words(&Reply::Stopped, tip.language)),
                    (true, Some(_)) => replies.push(words(&Reply::Resumed, tip.language)),
                    (true, None) => {}
                }
            }
            TipAction::NothingToCheck => replies.push(words(&Reply::NothingToCheck, tip.language)),
            TipAction::Delete => unreachable!("handled above"),
        }
        for text in &replies {
            enqueue(&tx, tip.channel, Some(contact_id), tip.address, &Outgoing::Reply { text: text.clone() }, tip.at)?;
        }
        tx.commit()?;
        Ok(TipTaken::Taken { report: stored, replies: replies.len() })
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
            let (status, next) = match result {
                SendResult::Sent => ("sent", None),
                SendResult::Dropped => ("dropped", None),
                SendResult::Failed { retry_at: None } => ("failed", None),
                // Stored in whole seconds: round up, so a retry never comes early.
                SendResult::Failed { retry_at: Some(at) } => {
                    ("pending", Some(at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)))
                }
            };
            tx.prepare_cached(
                "UPDATE tipline_outbox SET status = ?2, attempts = attempts + ?3, next_attempt_at = ?4,
                        address = CASE WHEN ?2 = 'pending' THEN address END
                 WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, status, i64::from(!matches!(result, SendResult::Dropped)), next])?;
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
            let expired: Vec<i64> = tx
                .prepare_cached("SELECT id FROM tipline_contacts WHERE last_inbound < ?1")?
                .query_map([last_inbound_before.timestamp()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut reports = 0;
            for id in &expired {
                reports += delete_contact(&tx, *id)?;
            }
            if !expired.is_empty() {
                let what = serde_json::json!({
                    "last_inbound_before": last_inbound_before, "contacts": expired.len(), "reports_unlinked": reports,
                });
                audit_deletion(&store.audit, &tx, "tipline.delete_expired", what, now)?;
            }
            tx.execute("DELETE FROM tipline_seen WHERE seen_at < ?1", [seen_before.timestamp()])?;
            tx.commit()?;
            Ok(expired.len() as u64)
        })
    }

    fn pending_tipline_messages(&self) -> Result<u64> {
        let n: i64 =
            self.conn.query_row("SELECT COUNT(*) FROM tipline_outbox WHERE status = 'pending'", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use tangkal_response::report::{NewReport, ReportIntake};

    use super::*;
    use crate::response_fixtures::{desk, t0, Desk};
    use crate::ReportStore;

    fn report(text: &str, case_id: Option<i64>) -> CitizenReport {
        let new = NewReport { text: Some(text.into()), url: None, platform: "telegram".into(), contact: None };
        let valid = new.validate(&["telegram".to_string()]).unwrap();
        CitizenReport::received(&valid, &ReportIntake { case_id, ..ReportIntake::default() }, t0())
    }

    fn tip<'a>(id: &'a str, sender: &'a [u8], action: TipAction<'a>, at: DateTime<Utc>) -> NewTip<'a> {
        NewTip {
            channel: Channel::Telegram,
            message_id: id,
            sender_hash: sender,
            address: "sealed:v1:chat",
            language: Language::English,
            action,
            retention_days: 90,
            at,
        }
    }

    fn texts(desk: &Desk, at: DateTime<Utc>) -> Vec<String> {
        let due = desk.store.due_tipline_messages(at, 100).unwrap();
        due.into_iter()
            .map(|m| match m.message {
                Outgoing::Reply { text } => text,
                Outgoing::Followup { reference, .. } => format!("followup {reference}"),
            })
            .collect()
    }

    #[test]
    fn a_message_is_taken_once_with_its_report_and_replies() {
        let mut desk = desk();
        let r = report("Pipa PDAM bocor", None);
        let action = || TipAction::Report { report: &r, token_hash: [7; 32], forwarded: Forwarded::Yes };
        let taken = desk.store.take_tip(&tip("1", b"ani", action(), t0())).unwrap();
        let TipTaken::Taken { report: Some(stored), replies: 2 } = taken else { panic!("{taken:?}") };
        assert_eq!(desk.store.take_tip(&tip("1", b"ani", action(), t0())).unwrap(), TipTaken::Duplicate);
        assert_eq!(desk.store.count_reports(&Default::default()).unwrap(), 1);
        let said = texts(&desk, t0());
        assert!(said[0].starts_with("Hello!") && said[1].contains(&stored.reference), "{said:?}");
        // A second message: no second welcome.
        desk.store.take_tip(&tip("2", b"ani", TipAction::NothingToCheck, t0())).unwrap();
        assert_eq!(texts(&desk, t0()).len(), 3);
    }

    #[test]
    fn follow_ups_are_queued_once_for_subscribed_contacts_and_deletion_leaves_nothing() {
        let mut desk = desk();
        let case = desk.case("PDAM", None).id;
        let (a, b) = (report("Pipa PDAM bocor", Some(case)), report("Air mati tiga hari", Some(case)));
        let action = |r| TipAction::Report { report: r, token_hash: [7; 32], forwarded: Forwarded::No };
        desk.store.take_tip(&tip("1", b"ani", action(&a), t0())).unwrap();
        desk.store.take_tip(&tip("2", b"budi", action(&b), t0())).unwrap();
        desk.store.take_tip(&tip("3", b"budi", TipAction::Stop, t0())).unwrap();
        let sent: Vec<_> =
            desk.store.due_tipline_messages(t0(), 100).unwrap().iter().map(|m| (m.id, SendResult::Sent)).collect();
        desk.store.record_tipline_sends(&sent).unwrap();
        let tx = desk.store.conn.transaction().unwrap();
        enqueue_followups(&tx, case, "HOAKS", "Air PDAM", "air-pdam", t0()).unwrap();
        enqueue_followups(&tx, case, "HOAKS", "Air PDAM", "air-pdam", t0()).unwrap();
        tx.commit().unwrap();
        assert_eq!(texts(&desk, t0()), ["followup ADU/2026/12/000001"], "once, and not to who stopped");

        desk.store.take_tip(&tip("4", b"ani", TipAction::Delete, t0())).unwrap();
        assert!(
            texts(&desk, t0())[0].starts_with("We deleted your data"),
            "the follow-up is gone, the confirmation not"
        );
        let erased = desk.store.report(1).unwrap().unwrap();
        assert!(erased.contact_erased);
        let contacts: i64 =
            desk.store.conn.query_row("SELECT COUNT(*) FROM tipline_contacts", [], |r| r.get(0)).unwrap();
        assert_eq!(contacts, 1, "budi's only");
        let later = t0() + Duration::days(91);
        assert_eq!(desk.store.erase_expired_tipline_contacts(t0() + Duration::days(1), later, later).unwrap(), 1);
        let seen: i64 = desk.store.conn.query_row("SELECT COUNT(*) FROM tipline_seen", [], |r| r.get(0)).unwrap();
        assert_eq!(seen, 0);
        let sent_addresses: i64 = desk
            .store
            .conn
            .query_row("SELECT COUNT(*) FROM tipline_outbox WHERE status = 'sent' AND address IS NOT NULL", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(sent_addresses, 0, "a sent message keeps no address");
        let trail = crate::AuditStore::audit_events(&desk.store, &Default::default(), 100, 0).unwrap();
        let deletions: Vec<_> = trail.iter().filter(|e| e.action.starts_with("tipline.delete")).collect();
        assert_eq!(deletions.len(), 2, "on request and by retention");
        assert!(deletions.iter().all(|e| e.actor == TIPLINE_ACTOR && e.entity_id == "0"), "{deletions:?}");
    }
}
