//! The audit trail's hash chain. Each event's hash covers its content and the previous event's hash,
//! so editing or deleting any stored event breaks the chain at that point, and [`Verifier`] says where.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// 1, 2, 3, ... without gaps.
    pub seq: i64,
    /// UTC milliseconds since the epoch.
    pub at_ms: i64,
    pub actor: String,
    /// `case`, `user`, `token`.
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    /// JSON of the record before and after the change; None on creation or deletion.
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// The hash this event should carry, from its content and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.seq.to_le_bytes());
        h.update(self.at_ms.to_le_bytes());
        for field in [Some(&self.actor), Some(&self.entity), Some(&self.entity_id), Some(&self.action)]
            .into_iter()
            .chain([self.before.as_ref(), self.after.as_ref(), Some(&self.prev_hash)])
        {
            // Length-prefixed, with absence distinct from the empty string, so no two events collide
            // by moving bytes between fields.
            match field {
                None => h.update([0u8]),
                Some(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
            }
        }
        hex(&h.finalize())
    }

    /// Fills `seq`, `prev_hash` and `hash` so this event follows `previous` (None for the first event).
    pub fn chain_after(&mut self, previous: Option<(i64, &str)>) {
        let (seq, prev) = previous.unwrap_or((0, GENESIS_HASH));
        self.seq = seq + 1;
        self.prev_hash = prev.to_string();
        self.hash = self.compute_hash();
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What is wrong with the chain, pointing at events by `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AuditProblem {
    /// The event's content does not match its hash: it was edited.
    Edited { seq: i64 },
    /// Events `from..=to` are gone.
    Missing { from: i64, to: i64 },
    /// The event does not follow the one stored before it: that one was replaced wholesale (content and
    /// hash rewritten), or this one was.
    BrokenLink { seq: i64 },
    /// The recorded chain head does not match the last event: the tail was rewritten.
    HeadMismatch { seq: i64 },
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditProblem::Edited { seq } => write!(f, "event {seq} was edited (its content does not match its hash)"),
            AuditProblem::Missing { from, to } if from == to => write!(f, "event {from} was deleted"),
            AuditProblem::Missing { from, to } => write!(f, "events {from} to {to} were deleted"),
            AuditProblem::BrokenLink { seq } => {
                write!(f, "event {seq} does not follow event {}: one of them was replaced", seq - 1)
            }
            AuditProblem::HeadMismatch { seq } => write!(f, "event {seq} does not match the recorded chain head"),
        }
    }
}

/// The chain's last event as recorded separately from the events, so deleting the newest events is
/// detected too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditReport {
    pub events_checked: u64,
    pub problems: Vec<AuditProblem>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks events streamed in `seq` order, holding only the previous one.
#[derive(Debug, Default)]
pub struct Verifier {
    last: Option<(i64, String)>,
    report: AuditReport,
}

impl Verifier {
    pub fn push(&mut self, event: &AuditEvent) {
        self.report.events_checked += 1;
        let (last_seq, last_hash) = self.last.clone().unwrap_or((0, GENESIS_HASH.to_string()));
        if event.seq > last_seq + 1 {
            self.report.problems.push(AuditProblem::Missing { from: last_seq + 1, to: event.seq - 1 });
        } else if event.prev_hash != last_hash {
            self.report.problems.push(AuditProblem::BrokenLink { seq: event.seq });
        }
        if event.compute_hash() != event.hash {
            self.report.problems.push(AuditProblem::Edited { seq: event.seq });
        }
        self.last = Some((event.seq, event.hash.clone()));
    }

    pub fn finish(mut self, head: Option<&ChainHead>) -> AuditReport {
        let last_seq = self.last.as_ref().map_or(0, |l| l.0);
        if let Some(head) = head {
            if head.seq > last_seq {
                self.report.problems.push(AuditProblem::Missing { from: last_seq + 1, to: head.seq });
            } else if head.seq == last_seq && self.last.as_ref().is_some_and(|l| l.1 != head.hash) {
                self.report.problems.push(AuditProblem::HeadMismatch { seq: head.seq });
            }
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut events: Vec<AuditEvent> = Vec::new();
        for i in 0..n {
            let mut e = AuditEvent {
                seq: 0,
                at_ms: 1_700_000_000_000 + i,
                actor: "ana#2 (analyst)".into(),
                entity: "case".into(),
                entity_id: "7".into(),
                action: "case.move".into(),
                before: Some(format!("{{\"n\":{i}}}")),
                after: Some(format!("{{\"n\":{}}}", i + 1)),
                prev_hash: String::new(),
                hash: String::new(),
            };
            e.chain_after(events.last().map(|p| (p.seq, p.hash.as_str())));
            events.push(e);
        }
        events
    }

    fn verify(events: &[AuditEvent], head: Option<&ChainHead>) -> Vec<AuditProblem> {
        let mut v = Verifier::default();
        events.iter().for_each(|e| v.push(e));
        v.finish(head).problems
    }

    fn head_of(events: &[AuditEvent]) -> ChainHead {
        let last = events.last().unwrap();
        ChainHead { seq: last.seq, hash: last.hash.clone() }
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let events = chain(5);
        assert_eq!(events[0].prev_hash, GENESIS_HASH);
        assert_eq!(verify(&events, Some(&head_of(&events))), vec![]);
        assert_eq!(verify(&[], None), vec![]);
    }

    #[test]
    fn an_edit_is_pinned_to_its_event() {
        let mut events = chain(5);
        let head = head_of(&events);
        events[2].after = Some("{\"n\":99}".into());
        assert_eq!(verify(&events, Some(&head)), vec![AuditProblem::Edited { seq: 3 }]);
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut events = chain(5);
        let head = head_of(&events);
        events[1].actor = "someone else".into();
        events[1].hash = events[1].compute_hash();
        assert_eq!(verify(&events, Some(&head)), vec![AuditProblem::BrokenLink { seq: 3 }]);
    }

    #[test]
    fn deletions_in_the_middle_and_at_the_end_are_found() {
        let mut events = chain(6);
        let head = head_of(&events);
        events.remove(2);
        assert_eq!(verify(&events, Some(&head)), vec![AuditProblem::Missing { from: 3, to: 3 }]);
        events.truncate(3);
        assert_eq!(
            verify(&events, Some(&head)),
            vec![AuditProblem::Missing { from: 3, to: 3 }, AuditProblem::Missing { from: 5, to: 6 }]
        );
        assert_eq!(AuditProblem::Missing { from: 5, to: 6 }.to_string(), "events 5 to 6 were deleted");
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let mut a = chain(1).remove(0);
        let original = a.compute_hash();
        a.actor.push('x');
        a.entity = a.entity.trim_start_matches('c').to_string();
        assert_ne!(a.compute_hash(), original);
        let mut b = chain(1).remove(0);
        b.before = None;
        assert_ne!(b.compute_hash(), original);
    }
}
