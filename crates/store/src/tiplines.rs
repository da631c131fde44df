//! Tiplines: contacts known by a keyed hash, the message ids already taken, and the outbox of messages
//! to send. A message is taken in one transaction with everything it causes (its report, the contact's
//! record, the replies), and a clarification's publication queues its follow-ups in its own transaction
//! (`sqlite::tiplines::enqueue_followups`): a restart loses no reply, and a delivery the platform repeats
//! is taken once.

use chrono::{DateTime, Utc};
use tangkal_response::report::CitizenReport;
use tangkal_tiplines::conversation::{words, Outgoing, Reply};
use tangkal_tiplines::{Channel, Forwarded, Language};

use crate::audit::Entry;
use crate::{Result, StoreError};

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
    /// Not tried (held back by a rate limit, or behind an unsent message of its chat): due again at
    /// `until`, without counting as an attempt. Releases the claim another server would otherwise wait out.
    Deferred {
        until: DateTime<Utc>,
    },
}

pub trait TiplineStore {
    /// Takes a message: its id is remembered, the contact recorded or updated (or deleted), the report
    /// stored, and the replies queued, in one transaction; or nothing at all for a repeated id.
    fn take_tip(&mut self, tip: &NewTip<'_>) -> Result<TipTaken>;
    /// Pending messages due at `now`, oldest first. Where several servers send (PostgreSQL), the messages
    /// returned are claimed: no other call gets them until they are recorded or the claim runs out.
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

/// The statements taking a message and the retention job need, each run inside the backend's
/// transaction: what they do ([`take`], [`erase_expired`]) is written once, for both backends.
pub(crate) trait TiplineWrites {
    /// Remembers a message id; false when it was remembered already (a delivery the platform repeats).
    fn first_sighting(&mut self, channel: Channel, message_id: &str, at: DateTime<Utc>) -> Result<bool>;
    fn contact_id(&mut self, channel: Channel, sender_hash: &[u8]) -> Result<Option<i64>>;
    /// Records the sender's latest message (address, language, time), adding the contact when it is new:
    /// its id, and whether it is new.
    fn note_contact(&mut self, tip: &NewTip<'_>) -> Result<(i64, bool)>;
    /// Deletes what is kept about a contact: its record (hash and sealed address), its pending messages,
    /// and the link from its reports, which are marked as having had their contact erased. Returns how
    /// many reports were unlinked.
    fn delete_contact(&mut self, contact_id: i64) -> Result<usize>;
    fn set_subscribed(&mut self, contact_id: i64, subscribed: bool) -> Result<()>;
    /// Stores a report with its `report.received` event, and its link to the contact who sent it.
    fn add_report(
        &mut self,
        report: &CitizenReport,
        token_hash: &[u8; 32],
        contact_id: i64,
        forwarded: Forwarded,
    ) -> Result<CitizenReport>;
    fn enqueue(
        &mut self,
        channel: Channel,
        contact_id: Option<i64>,
        address: &str,
        message: &Outgoing,
        at: DateTime<Utc>,
    ) -> Result<()>;
    fn audit(&mut self, entry: Entry<'_>, at: DateTime<Utc>) -> Result<()>;
    /// The contacts whose last message came before `before`, kept from other changes until the
    /// transaction ends.
    fn expired_contacts(&mut self, before: DateTime<Utc>) -> Result<Vec<i64>>;
    /// Forgets the message ids seen before `before`.
    fn forget_seen(&mut self, before: DateTime<Utc>) -> Result<()>;
}

/// [`TiplineStore::take_tip`] inside the caller's transaction, which the caller commits.
pub(crate) fn take(w: &mut impl TiplineWrites, tip: &NewTip<'_>) -> Result<TipTaken> {
    if !w.first_sighting(tip.channel, tip.message_id, tip.at)? {
        return Ok(TipTaken::Duplicate);
    }
    let mut replies: Vec<String> = Vec::new();
    if let TipAction::Delete = tip.action {
        if let Some(id) = w.contact_id(tip.channel, tip.sender_hash)? {
            let reports = w.delete_contact(id)?;
            let what = serde_json::json!({ "channel": tip.channel.as_str(), "reports_unlinked": reports });
            audit_deletion(w, "tipline.delete_on_request", what, tip.at)?;
        }
        replies.push(words(&Reply::Deleted, tip.language));
        w.enqueue(tip.channel, None, tip.address, &Outgoing::Reply { text: replies[0].clone() }, tip.at)?;
        return Ok(TipTaken::Taken { report: None, replies: 1 });
    }
    let (contact_id, new) = w.note_contact(tip)?;
    if new {
        replies.push(words(&Reply::Welcome { retention_days: tip.retention_days }, tip.language));
    }
    let mut stored = None;
    match &tip.action {
        TipAction::Report { report, token_hash, forwarded } => {
            let report = w.add_report(report, token_hash, contact_id, *forwarded)?;
            match &report.answer {
                Some(a) => replies
                    .push(words(&Reply::Answer { rating: &a.rating, title: &a.title, url: &a.url }, tip.language)),
                None => replies.push(words(&Reply::Received { reference: &report.reference }, tip.language)),
            }
            stored = Some(Box::new(report));
        }
        TipAction::Start | TipAction::Stop => {
            let subscribed = matches!(tip.action, TipAction::Start);
            w.set_subscribed(contact_id, subscribed)?;
            match (subscribed, new) {
                (false, _) => replies.push(words(&Reply::Stopped, tip.language)),
                (true, false) => replies.push(words(&Reply::Resumed, tip.language)),
                (true, true) => {}
            }
        }
        TipAction::NothingToCheck => replies.push(words(&Reply::NothingToCheck, tip.language)),
        TipAction::Delete => unreachable!("handled above"),
    }
    for text in &replies {
        w.enqueue(tip.channel, Some(contact_id), tip.address, &Outgoing::Reply { text: text.clone() }, tip.at)?;
    }
    Ok(TipTaken::Taken { report: stored, replies: replies.len() })
}

/// [`TiplineStore::erase_expired_tipline_contacts`] inside the caller's transaction, which the caller
/// commits.
pub(crate) fn erase_expired(
    w: &mut impl TiplineWrites,
    last_inbound_before: DateTime<Utc>,
    seen_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let expired = w.expired_contacts(last_inbound_before)?;
    let mut reports = 0;
    for id in &expired {
        reports += w.delete_contact(*id)?;
    }
    if !expired.is_empty() {
        let what = serde_json::json!({
            "last_inbound_before": last_inbound_before, "contacts": expired.len(), "reports_unlinked": reports,
        });
        audit_deletion(w, "tipline.delete_expired", what, now)?;
    }
    w.forget_seen(seen_before)?;
    Ok(expired.len() as u64)
}

/// The actor the audit trail names for deletions of tipline contacts.
const TIPLINE_ACTOR: &str = "system:tiplines";

/// Records a deletion by counts only: the trail is permanent and must not identify the sender.
fn audit_deletion(w: &mut impl TiplineWrites, action: &str, what: serde_json::Value, at: DateTime<Utc>) -> Result<()> {
    w.audit(Entry::created(TIPLINE_ACTOR, "tipline_contact", 0, action, &what)?, at)
}

/// An outbox message as stored.
pub(crate) fn outgoing_json(message: &Outgoing) -> Result<String> {
    serde_json::to_string(message).map_err(|e| StoreError::Internal(format!("cannot serialise a tipline message: {e}")))
}

/// Stored in whole seconds: rounded up, so a retry never comes early.
fn whole_seconds_up(at: DateTime<Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

/// What an attempt's result makes of its message: its status, its next attempt (UTC seconds) when it
/// stays pending, and whether it counts as an attempt.
pub(crate) fn settlement(result: SendResult) -> (&'static str, Option<i64>, bool) {
    match result {
        SendResult::Sent => ("sent", None, true),
        SendResult::Dropped => ("dropped", None, false),
        SendResult::Failed { retry_at: None } => ("failed", None, true),
        SendResult::Failed { retry_at: Some(at) } => ("pending", Some(whole_seconds_up(at)), true),
        SendResult::Deferred { until } => ("pending", Some(whole_seconds_up(until)), false),
    }
}

/// Messages and reports for the tipline tests of both backends.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::{DateTime, Utc};
    use tangkal_response::report::{CitizenReport, NewReport, ReportIntake};
    use tangkal_tiplines::conversation::Outgoing;
    use tangkal_tiplines::{Channel, Language};

    use super::{NewTip, TipAction};
    use crate::response_fixtures::t0;
    use crate::Store;

    pub fn report(text: &str, case_id: Option<i64>) -> CitizenReport {
        let new = NewReport { text: Some(text.into()), url: None, platform: "telegram".into(), contact: None };
        let valid = new.validate(&["telegram".to_string()]).unwrap();
        CitizenReport::received(&valid, &ReportIntake { case_id, ..ReportIntake::default() }, t0())
    }

    pub fn tip<'a>(id: &'a str, sender: &'a [u8], action: TipAction<'a>, at: DateTime<Utc>) -> NewTip<'a> {
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

    /// The due messages' texts (a follow-up as `followup` and its report's reference).
    pub fn texts(store: &dyn Store, at: DateTime<Utc>) -> Vec<String> {
        let due = store.due_tipline_messages(at, 100).unwrap();
        due.into_iter()
            .map(|m| match m.message {
                Outgoing::Reply { text } => text,
                Outgoing::Followup { reference, .. } => format!("followup {reference}"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use chrono::Duration;
    use tangkal_cases::Rating;
    use tangkal_response::clarification::{Clarification, ClarificationChange, NewClarification};

    use super::fixtures::{report, texts, tip};
    use super::*;
    use crate::response_fixtures::{on_both_desks, sql, t0, Desk};
    use crate::testing::{on_both_backends, Backend};
    use crate::{ResponseUpdate, Store};

    type AnyDesk = Desk<Box<dyn Store>>;

    on_both_backends!(
        a_message_is_taken_once_with_its_report_and_replies,
        deletion_on_request_and_by_retention_leaves_nothing_of_the_contact,
        a_failed_send_is_tried_again_when_due_and_settled_ones_keep_no_address,
        a_message_delivered_to_two_servers_at_once_is_taken_once,
        first_messages_of_one_sender_at_two_servers_at_once_make_one_contact,
    );
    on_both_desks!(
        follow_ups_are_queued_once_for_subscribed_contacts,
        clarifications_of_one_case_published_at_once_queue_each_follow_up_once,
    );

    fn a_message_is_taken_once_with_its_report_and_replies(backend: &Backend) {
        let mut store = backend.open();
        let r = report("Pipa PDAM bocor", None);
        let action = || TipAction::Report { report: &r, token_hash: [7; 32], forwarded: Forwarded::Yes };
        let taken = store.take_tip(&tip("1", b"ani", action(), t0())).unwrap();
        let TipTaken::Taken { report: Some(stored), replies: 2 } = taken else { panic!("{taken:?}") };
        assert_eq!(store.take_tip(&tip("1", b"ani", action(), t0())).unwrap(), TipTaken::Duplicate);
        assert_eq!(store.count_reports(&Default::default()).unwrap(), 1);
        let said = texts(store.as_ref(), t0());
        assert!(said[0].starts_with("Hello!") && said[1].contains(&stored.reference), "{said:?}");
        // A second message: no second welcome.
        store.take_tip(&tip("2", b"ani", TipAction::NothingToCheck, t0())).unwrap();
        assert_eq!(store.pending_tipline_messages().unwrap(), 3);
    }

    /// A clarification of `case_id` drafted and published by the desk's communicator.
    fn publish(desk: &mut AnyDesk, case_id: i64, title: &str) -> Clarification {
        let case = desk.store.case(case_id).unwrap().unwrap();
        let new = NewClarification {
            title: title.into(),
            body_markdown: "Air mati karena perbaikan.".into(),
            sources: Vec::new(),
            claim: None,
            topic: None,
        };
        let draft = Clarification::draft(&case, &new, &desk.communicator, t0()).unwrap();
        let draft = desk.store.create_clarification(&draft).unwrap();
        let communicator = desk.communicator.clone();
        match desk.store.update_clarification(draft.id, ClarificationChange::Publish, &communicator, t0()).unwrap() {
            ResponseUpdate::Done(c) => *c,
            other => panic!("{other:?}"),
        }
    }

    /// Ani and Budi reported on `case`, Budi stopped follow-ups; what was said to them is sent.
    fn two_reporters(store: &mut dyn Store, case: i64) {
        let (a, b) = (report("Pipa PDAM bocor", Some(case)), report("Air mati tiga hari", Some(case)));
        let action = |r| TipAction::Report { report: r, token_hash: [7; 32], forwarded: Forwarded::No };
        store.take_tip(&tip("1", b"ani", action(&a), t0())).unwrap();
        store.take_tip(&tip("2", b"budi", action(&b), t0())).unwrap();
        store.take_tip(&tip("3", b"budi", TipAction::Stop, t0())).unwrap();
        let sent: Vec<_> =
            store.due_tipline_messages(t0(), 100).unwrap().iter().map(|m| (m.id, SendResult::Sent)).collect();
        store.record_tipline_sends(&sent).unwrap();
    }

    fn follow_ups_are_queued_once_for_subscribed_contacts(mut desk: AnyDesk) {
        let case = desk.case("PDAM", Some(Rating::Hoaks)).id;
        two_reporters(desk.store.as_mut(), case);
        publish(&mut desk, case, "Air PDAM");
        publish(&mut desk, case, "Air PDAM lagi");
        assert_eq!(texts(desk.store.as_ref(), t0()), ["followup ADU/2026/12/000001"], "once, and not to who stopped");
    }

    /// Two clarifications of one case published at once on two servers: each reporter is told once.
    fn clarifications_of_one_case_published_at_once_queue_each_follow_up_once(mut desk: AnyDesk) {
        let case = desk.case("PDAM", Some(Rating::Hoaks));
        two_reporters(desk.store.as_mut(), case.id);
        let loaded = desk.store.case(case.id).unwrap().unwrap();
        let drafts: Vec<_> = ["Air PDAM", "Pipa PDAM"]
            .map(|title| {
                let new = NewClarification {
                    title: title.into(),
                    body_markdown: "Air mati karena perbaikan.".into(),
                    sources: Vec::new(),
                    claim: None,
                    topic: None,
                };
                let draft = Clarification::draft(&loaded, &new, &desk.communicator, t0()).unwrap();
                desk.store.create_clarification(&draft).unwrap().id
            })
            .into();
        let (backend, communicator) = (&desk.backend, &desk.communicator);
        let barrier = Barrier::new(2);
        std::thread::scope(|s| {
            for &id in &drafts {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut store = backend.open();
                    barrier.wait();
                    let published = store.update_clarification(id, ClarificationChange::Publish, communicator, t0());
                    assert!(matches!(published, Ok(ResponseUpdate::Done(_))), "{published:?}");
                });
            }
        });
        assert_eq!(texts(desk.store.as_ref(), t0()), ["followup ADU/2026/12/000001"]);
    }

    fn deletion_on_request_and_by_retention_leaves_nothing_of_the_contact(backend: &Backend) {
        let mut store = backend.open();
        let (a, b) = (report("Pipa PDAM bocor", None), report("Air mati tiga hari", None));
        let action = |r| TipAction::Report { report: r, token_hash: [7; 32], forwarded: Forwarded::No };
        store.take_tip(&tip("1", b"ani", action(&a), t0())).unwrap();
        store.take_tip(&tip("2", b"budi", action(&b), t0())).unwrap();
        assert_eq!(store.pending_tipline_messages().unwrap(), 4, "a welcome and an answer each");

        store.take_tip(&tip("3", b"ani", TipAction::Delete, t0())).unwrap();
        assert_eq!(store.pending_tipline_messages().unwrap(), 3, "ani's are gone, the confirmation is not");
        let said = texts(store.as_ref(), t0());
        assert!(said.iter().any(|t| t.starts_with("We deleted your data")), "{said:?}");
        let erased = store.report(1).unwrap().unwrap();
        assert!(erased.contact_erased);
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM tipline_contacts"), Some(1), "budi's only");
        let sent: Vec<_> =
            store.due_tipline_messages(t0(), 100).unwrap().iter().map(|m| (m.id, SendResult::Sent)).collect();
        store.record_tipline_sends(&sent).unwrap();

        let later = t0() + Duration::days(91);
        assert_eq!(store.erase_expired_tipline_contacts(t0() + Duration::days(1), later, later).unwrap(), 1);
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM tipline_contacts"), Some(0));
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM tipline_reports"), Some(0));
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM tipline_seen"), Some(0));
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM citizen_reports WHERE NOT contact_erased"), Some(0));
        let deletions = format!(
            "SELECT COUNT(*) FROM audit_events
             WHERE action IN ('tipline.delete_on_request', 'tipline.delete_expired') AND actor = '{TIPLINE_ACTOR}'
               AND entity_id = '0'"
        );
        assert_eq!(sql(backend, &deletions), Some(2), "on request and by retention, naming nobody");
    }

    fn a_failed_send_is_tried_again_when_due_and_settled_ones_keep_no_address(backend: &Backend) {
        let mut store = backend.open();
        store.take_tip(&tip("1", b"ani", TipAction::NothingToCheck, t0())).unwrap();
        let due = store.due_tipline_messages(t0(), 100).unwrap();
        let (welcome, answer) = (due[0].id, due[1].id);
        let retry_at = t0() + Duration::seconds(30) + Duration::milliseconds(500);
        store
            .record_tipline_sends(&[
                (welcome, SendResult::Sent),
                (answer, SendResult::Failed { retry_at: Some(retry_at) }),
            ])
            .unwrap();
        assert!(texts(store.as_ref(), t0() + Duration::seconds(30)).is_empty(), "a retry never comes early");
        let again = store.due_tipline_messages(t0() + Duration::seconds(31), 100).unwrap();
        assert_eq!((again.len(), again[0].id, again[0].attempts), (1, answer, 1));
        store.record_tipline_sends(&[(answer, SendResult::Failed { retry_at: None })]).unwrap();
        assert_eq!(store.pending_tipline_messages().unwrap(), 0);
        let kept = sql(backend, "SELECT COUNT(*) FROM tipline_outbox WHERE address IS NOT NULL");
        assert_eq!(kept, Some(0), "a settled message keeps no address");
    }

    /// The platform delivers a message again, to another server, while the first still takes it.
    fn a_message_delivered_to_two_servers_at_once_is_taken_once(backend: &Backend) {
        let r = report("Pipa PDAM bocor", None);
        let barrier = Barrier::new(2);
        let taken: Vec<TipTaken> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let mut store = backend.open();
                        let action = TipAction::Report { report: &r, token_hash: [7; 32], forwarded: Forwarded::No };
                        barrier.wait();
                        store.take_tip(&tip("1", b"ani", action, t0())).unwrap()
                    })
                })
                .collect();
            servers.into_iter().map(|server| server.join().unwrap()).collect()
        });
        assert_eq!(taken.iter().filter(|t| **t == TipTaken::Duplicate).count(), 1, "{taken:?}");
        let store = backend.open();
        assert_eq!(store.count_reports(&Default::default()).unwrap(), 1);
        assert_eq!(store.pending_tipline_messages().unwrap(), 2);
    }

    /// A new sender's first two messages reach two servers at once: one contact, one welcome.
    fn first_messages_of_one_sender_at_two_servers_at_once_make_one_contact(backend: &Backend) {
        let barrier = Barrier::new(2);
        std::thread::scope(|s| {
            for id in ["1", "2"] {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut store = backend.open();
                    barrier.wait();
                    store.take_tip(&tip(id, b"ani", TipAction::NothingToCheck, t0())).unwrap()
                });
            }
        });
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM tipline_contacts"), Some(1));
        let said = texts(backend.open().as_ref(), t0());
        assert_eq!(said.iter().filter(|t| t.starts_with("Hello!")).count(), 1, "{said:?}");
        assert_eq!(said.len(), 3, "{said:?}");
    }
}
