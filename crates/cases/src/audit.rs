//! The audit trail's keyed chain. Each event carries an HMAC-SHA256, under a key kept outside the database,
//! of its content and the previous event's MAC: editing, deleting, reordering or re-chaining stored events
//! shows unless the key is known. Signed [`Checkpoint`]s of the chain's head, kept outside the database too,
//! make deleting the newest events (or all of them) show as well. [`Verifier`] says where the chain breaks.
//!
//! Stores from before the key carry plain SHA-256 hashes up to the event the key was created at
//! (`keyed_from`); the first keyed event chains onto the last of them, so they cannot be rewritten since,
//! but a rewrite made before the key existed would not show.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::digest::Update;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

type HmacSha256 = Hmac<Sha256>;

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
    /// The MAC of this event (from `keyed_from` on), or its plain SHA-256 (before).
    pub hash: String,
}

impl AuditEvent {
    /// Feeds the event's content and `prev_hash` to a hash or MAC.
    fn feed(&self, sink: &mut impl Update) {
        sink.update(&self.seq.to_le_bytes());
        sink.update(&self.at_ms.to_le_bytes());
        for field in [Some(&self.actor), Some(&self.entity), Some(&self.entity_id), Some(&self.action)]
            .into_iter()
            .chain([self.before.as_ref(), self.after.as_ref(), Some(&self.prev_hash)])
        {
            // Length-prefixed, with absence distinct from the empty string, so no two events collide
            // by moving bytes between fields.
            match field {
                None => sink.update(&[0u8]),
                Some(s) => {
                    sink.update(&[1u8]);
                    sink.update(&(s.len() as u64).to_le_bytes());
                    sink.update(s.as_bytes());
                }
            }
        }
    }

    /// The unkeyed hash events carried before the store had a key.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        self.feed(&mut h);
        hex(&h.finalize())
    }

    /// The MAC this event should carry, from its content and `prev_hash`.
    pub fn compute_mac(&self, key: &AuditKey) -> String {
        let mut mac = key.mac(EVENT_DOMAIN);
        self.feed(&mut mac);
        hex(&mac.finalize().into_bytes())
    }

    fn mac_matches(&self, key: &AuditKey) -> bool {
        let mut mac = key.mac(EVENT_DOMAIN);
        self.feed(&mut mac);
        unhex(&self.hash).is_some_and(|tag| mac.verify_slice(&tag).is_ok())
    }

    /// Fills `seq`, `prev_hash` and `hash` so this event follows `previous` (None for the first event).
    pub fn chain_after(&mut self, previous: Option<(i64, &str)>, key: &AuditKey) {
        let (seq, prev) = previous.unwrap_or((0, GENESIS_HASH));
        self.seq = seq + 1;
        self.prev_hash = prev.to_string();
        self.hash = self.compute_mac(key);
    }
}

/// Domain separation: an event's MAC can never pass for a checkpoint's, or for the key's id.
const EVENT_DOMAIN: &[u8] = b"tangkal audit event v1\0";
const CHECKPOINT_DOMAIN: &[u8] = b"tangkal audit checkpoint v1\0";
const KEY_ID_DOMAIN: &[u8] = b"tangkal audit key id v1\0";

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// The secret the chain and its checkpoints are keyed with. Its `Debug` shows only its id.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; AuditKey::LEN]);

impl AuditKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: [u8; AuditKey::LEN]) -> AuditKey {
        AuditKey(bytes)
    }

    /// Reads the key's hex form (as [`AuditKey::to_hex`] writes it).
    pub fn from_hex(text: &str) -> Result<AuditKey, String> {
        unhex(text)
            .and_then(|bytes| <[u8; AuditKey::LEN]>::try_from(bytes).ok())
            .map(AuditKey)
            .ok_or_else(|| format!("the key must be {} hexadecimal digits", AuditKey::LEN * 2))
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// A public fingerprint naming the key in checkpoints, so a checkpoint made with another key is told
    /// apart from a forged one.
    pub fn id(&self) -> String {
        hex(&self.mac(KEY_ID_DOMAIN).finalize().into_bytes()[..8])
    }

    fn mac(&self, domain: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        Mac::update(&mut mac, domain);
        mac
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id())
    }
}

/// The chain's head at one moment, signed with the key, for keeping outside the database: one line of text
/// (`tangkal-audit-checkpoint/1 key=… keyed_from=… events=… head=… at=… mac=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// [`AuditKey::id`] of the key that signed it.
    pub key_id: String,
    /// The first event carrying a MAC.
    pub keyed_from: i64,
    /// How many events the trail had: the head is event `events`.
    pub events: i64,
    /// That event's `hash` ([`GENESIS_HASH`] for an empty trail).
    pub head: String,
    /// When it was made, to the second.
    pub at: DateTime<Utc>,
    pub mac: String,
}

const CHECKPOINT_TAG: &str = "tangkal-audit-checkpoint/1";

impl Checkpoint {
    pub fn sign(key: &AuditKey, keyed_from: i64, events: i64, head: &str, at: DateTime<Utc>) -> Checkpoint {
        let at = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
        let mut checkpoint =
            Checkpoint { key_id: key.id(), keyed_from, events, head: head.to_string(), at, mac: String::new() };
        let mut mac = key.mac(CHECKPOINT_DOMAIN);
        Mac::update(&mut mac, checkpoint.body().as_bytes());
        checkpoint.mac = hex(&mac.finalize().into_bytes());
        checkpoint
    }

    /// The signed part of the line.
    fn body(&self) -> String {
        format!(
            "{CHECKPOINT_TAG} key={} keyed_from={} events={} head={} at={}",
            self.key_id,
            self.keyed_from,
            self.events,
            self.head,
            self.at.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }

    /// Signed by `key` and unaltered since.
    pub fn is_authentic(&self, key: &AuditKey) -> bool {
        let mut mac = key.mac(CHECKPOINT_DOMAIN);
        Mac::update(&mut mac, self.body().as_bytes());
        self.key_id == key.id() && unhex(&self.mac).is_some_and(|tag| mac.verify_slice(&tag).is_ok())
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} mac={}", self.body(), self.mac)
    }
}

impl std::str::FromStr for Checkpoint {
    type Err = String;

    /// Reads a line as [`Checkpoint`]'s `Display` writes it, and nothing else: the MAC covers that exact text.
    fn from_str(line: &str) -> Result<Checkpoint, String> {
        let line = line.trim();
        let mut words = line.split(' ');
        if words.next() != Some(CHECKPOINT_TAG) {
            return Err(format!("not a checkpoint (it does not start with `{CHECKPOINT_TAG}`)"));
        }
        let mut field = |name: &str| {
            words
                .next()
                .and_then(|word| word.strip_prefix(name)?.strip_prefix('='))
                .ok_or_else(|| format!("field `{name}` missing or out of place"))
        };
        let number = |name: &str, text: &str| {
            text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| format!("`{name}` is not a count: {text:?}"))
        };
        let key_id = field("key")?.to_string();
        let keyed_from = number("keyed_from", field("keyed_from")?)?;
        let events = number("events", field("events")?)?;
        let head = field("head")?.to_string();
        let at_text = field("at")?;
        let at =
            DateTime::parse_from_rfc3339(at_text).map_err(|e| format!("`at` is not a time: {e}"))?.with_timezone(&Utc);
        let mac = field("mac")?.to_string();
        if words.next().is_some() {
            return Err("unexpected text after `mac`".into());
        }
        let checkpoint = Checkpoint { key_id, keyed_from, events, head, at, mac };
        // Anything spelt differently from what was signed (`+07:00`, `007`) cannot verify: say why.
        if format!("{checkpoint}") != line {
            return Err("not in the form Tangkal writes (was it retyped?)".into());
        }
        Ok(checkpoint)
    }
}

/// What is wrong with the trail, pointing at events by `seq` and at checkpoints by where they came from
/// (`audit.checkpoints:12`, `--checkpoint 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AuditProblem {
    /// The event's content does not match its MAC: it was edited, or re-chained without the key.
    Edited { seq: i64 },
    /// Events `from..=to` are gone.
    Missing { from: i64, to: i64 },
    /// The event does not follow the one stored before it: that one was replaced wholesale (content and
    /// hash rewritten), or this one was.
    BrokenLink { seq: i64 },
    /// The head recorded in the database does not match the last event: the tail was rewritten.
    HeadMismatch { seq: i64 },
    /// A checkpoint recorded more events than the trail holds: events `found + 1..=recorded` were deleted.
    Truncated { checkpoint: String, recorded: i64, found: i64 },
    /// Event `seq` is not the one a checkpoint recorded as the head: the trail up to it was rewritten.
    CheckpointMismatch { checkpoint: String, seq: i64 },
    /// A checkpoint was not signed by the key (forged or altered), or by another key.
    CheckpointForged { checkpoint: String },
    /// A checkpoint says the chain was keyed from another event than the key file says.
    KeyedFromMismatch { checkpoint: String, keyed_from: i64 },
    /// A checkpoint line that cannot be read.
    CheckpointUnreadable { checkpoint: String, error: String },
    /// The trail has a key but no checkpoint: they were deleted (one is written when the key is created).
    NoCheckpoints,
    /// There is no key, and events from `from` on do not carry plain hashes: they were keyed and the key is
    /// lost, or they were edited. Nothing can be verified without the key.
    KeyMissing { from: i64 },
    /// There is no key and the trail's `events` events are only hash-chained: a store from before keyed
    /// trails (or one rewritten by someone who also deleted the key and the checkpoints).
    NotKeyed { events: i64 },
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditProblem::Edited { seq } => write!(f, "event {seq} was edited (its content does not match its MAC)"),
            AuditProblem::Missing { from, to } if from == to => write!(f, "event {from} was deleted"),
            AuditProblem::Missing { from, to } => write!(f, "events {from} to {to} were deleted"),
            AuditProblem::BrokenLink { seq } => {
                write!(f, "event {seq} does not follow event {}: one of them was replaced", seq - 1)
            }
            AuditProblem::HeadMismatch { seq } => write!(f, "event {seq} does not match the recorded chain head"),
            AuditProblem::Truncated { checkpoint, recorded, found } => {
                let gone = if found + 1 == *recorded {
                    format!("event {recorded} was deleted")
                } else {
                    format!("events {} to {recorded} were deleted", found + 1)
                };
                write!(f, "{gone}: checkpoint {checkpoint} recorded {recorded} events, the trail has {found}")
            }
            AuditProblem::CheckpointMismatch { checkpoint, seq } => {
                write!(
                    f,
                    "event {seq} is not the head checkpoint {checkpoint} recorded: events up to {seq} were rewritten"
                )
            }
            AuditProblem::CheckpointForged { checkpoint } => {
                write!(
                    f,
                    "checkpoint {checkpoint} was not signed by this trail's key (forged, altered, or another key)"
                )
            }
            AuditProblem::KeyedFromMismatch { checkpoint, keyed_from } => {
                write!(
                    f,
                    "checkpoint {checkpoint} says the trail was keyed from event {keyed_from}, the key file does not"
                )
            }
            AuditProblem::CheckpointUnreadable { checkpoint, error } => {
                write!(f, "checkpoint {checkpoint} cannot be read: {error}")
            }
            AuditProblem::NoCheckpoints => {
                write!(f, "the trail has a key but no checkpoints: the checkpoint file was deleted or emptied")
            }
            AuditProblem::KeyMissing { from } => write!(
                f,
                "the audit key is missing: events from {from} on carry MACs (or were edited) and cannot be checked \
                 without it; restore the key file"
            ),
            AuditProblem::NotKeyed { events } => write!(
                f,
                "the trail is not keyed: its {events} events are only hash-chained, which anyone who can write \
                 the database can redo"
            ),
        }
    }
}

/// The chain's last event as recorded separately from the events, so deleting the newest events without
/// also rewriting this record shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditReport {
    pub events_checked: u64,
    /// The first event carrying a MAC; events before it were only hash-chained before the key existed.
    /// None without a key.
    pub keyed_from: Option<i64>,
    pub checkpoints_checked: u64,
    /// The newest checkpoint that matched: events after it are covered by their MACs only, so deleting
    /// them (and pointing the head back) would not show.
    pub anchored_events: Option<i64>,
    pub problems: Vec<AuditProblem>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A checkpoint and where it came from, for naming it in problems.
#[derive(Debug, Clone)]
pub struct SourcedCheckpoint {
    pub source: String,
    pub checkpoint: Checkpoint,
}

/// The key a trail is checked with, and the first event it signed.
#[derive(Debug, Clone, Copy)]
pub struct ChainKey<'a> {
    pub key: &'a AuditKey,
    pub keyed_from: i64,
}

/// Checks events streamed in `seq` order, holding only the previous one and the heads checkpoints name.
#[derive(Debug)]
pub struct Verifier<'a> {
    key: Option<ChainKey<'a>>,
    checkpoints: Vec<SourcedCheckpoint>,
    /// Hashes of the events checkpoints name, as found (keys set up front, values filled as events pass).
    anchors: std::collections::HashMap<i64, Option<String>>,
    last: Option<(i64, String)>,
    /// Without a key: the first event whose hash is not its plain hash.
    first_unhashed: Option<i64>,
    report: AuditReport,
}

impl<'a> Verifier<'a> {
    /// Without a key only the links and numbering can be checked, and the trail is reported as unkeyed
    /// (or its key as missing) whatever else is found.
    pub fn new(key: Option<ChainKey<'a>>, checkpoints: Vec<SourcedCheckpoint>) -> Verifier<'a> {
        let report = AuditReport { keyed_from: key.map(|k| k.keyed_from), ..AuditReport::default() };
        let anchors = checkpoints.iter().map(|c| (c.checkpoint.events, None)).collect();
        Verifier { key, checkpoints, anchors, last: None, first_unhashed: None, report }
    }

    pub fn push(&mut self, event: &AuditEvent) {
        self.report.events_checked += 1;
        let (last_seq, last_hash) = self.last.clone().unwrap_or((0, GENESIS_HASH.to_string()));
        if event.seq > last_seq + 1 {
            self.report.problems.push(AuditProblem::Missing { from: last_seq + 1, to: event.seq - 1 });
        } else if event.prev_hash != last_hash {
            self.report.problems.push(AuditProblem::BrokenLink { seq: event.seq });
        }
        match self.key {
            Some(ChainKey { key, keyed_from }) => {
                let intact =
                    if event.seq >= keyed_from { event.mac_matches(key) } else { event.compute_hash() == event.hash };
                if !intact {
                    self.report.problems.push(AuditProblem::Edited { seq: event.seq });
                }
            }
            None if self.first_unhashed.is_none() && event.compute_hash() != event.hash => {
                self.first_unhashed = Some(event.seq);
            }
            None => {}
        }
        if let Some(anchor) = self.anchors.get_mut(&event.seq) {
            *anchor = Some(event.hash.clone());
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
        for SourcedCheckpoint { source, checkpoint } in std::mem::take(&mut self.checkpoints) {
            self.check(source, checkpoint, last_seq);
        }
        if self.key.is_none() && self.report.events_checked > 0 {
            self.report.problems.push(match self.first_unhashed {
                Some(from) => AuditProblem::KeyMissing { from },
                None => AuditProblem::NotKeyed { events: last_seq },
            });
        }
        self.report
    }

    fn check(&mut self, source: String, checkpoint: Checkpoint, last_seq: i64) {
        self.report.checkpoints_checked += 1;
        if let Some(ChainKey { key, keyed_from }) = self.key {
            if !checkpoint.is_authentic(key) {
                return self.report.problems.push(AuditProblem::CheckpointForged { checkpoint: source });
            }
            if checkpoint.keyed_from != keyed_from {
                let keyed_from = checkpoint.keyed_from;
                return self.report.problems.push(AuditProblem::KeyedFromMismatch { checkpoint: source, keyed_from });
            }
        }
        // Without the key the checkpoint's own claims cannot be trusted, but a trail shorter than or different
        // from what it records is still worth naming.
        let problem = if checkpoint.events > last_seq {
            AuditProblem::Truncated { checkpoint: source, recorded: checkpoint.events, found: last_seq }
        } else if checkpoint.events == 0 {
            // Signed before the first event: nothing to compare.
            return self.anchored(0);
        } else {
            match self.anchors.get(&checkpoint.events).and_then(Option::as_ref) {
                Some(hash) if *hash == checkpoint.head => return self.anchored(checkpoint.events),
                Some(_) => AuditProblem::CheckpointMismatch { checkpoint: source, seq: checkpoint.events },
                // The event is gone: reported as missing already.
                None => return,
            }
        };
        self.report.problems.push(problem);
    }

    fn anchored(&mut self, events: i64) {
        if self.key.is_some() {
            self.report.anchored_events = self.report.anchored_events.max(Some(events));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; AuditKey::LEN])
    }

    fn event(i: i64) -> AuditEvent {
        AuditEvent {
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
        }
    }

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut events: Vec<AuditEvent> = Vec::new();
        for i in 0..n {
            let mut e = event(i);
            e.chain_after(events.last().map(|p| (p.seq, p.hash.as_str())), &key());
            events.push(e);
        }
        events
    }

    /// Re-chains `events` from index `from` on with plain hashes, as someone without the key would.
    fn rechain_unkeyed(events: &mut [AuditEvent], from: usize) {
        for i in from..events.len() {
            events[i].prev_hash = if i == 0 { GENESIS_HASH.into() } else { events[i - 1].hash.clone() };
            events[i].hash = events[i].compute_hash();
        }
    }

    fn checkpoint_of(events: &[AuditEvent], source: &str) -> SourcedCheckpoint {
        let head = events.last().map_or(GENESIS_HASH, |e| e.hash.as_str());
        let checkpoint = Checkpoint::sign(&key(), 1, events.len() as i64, head, DateTime::UNIX_EPOCH);
        SourcedCheckpoint { source: source.into(), checkpoint }
    }

    fn verify_with(events: &[AuditEvent], checkpoints: Vec<SourcedCheckpoint>) -> Vec<AuditProblem> {
        let key = key();
        let mut v = Verifier::new(Some(ChainKey { key: &key, keyed_from: 1 }), checkpoints);
        events.iter().for_each(|e| v.push(e));
        let head = events.last().map(|e| ChainHead { seq: e.seq, hash: e.hash.clone() });
        v.finish(head.as_ref()).problems
    }

    fn verify(events: &[AuditEvent], head: Option<&ChainHead>) -> Vec<AuditProblem> {
        let key = key();
        let mut v = Verifier::new(Some(ChainKey { key: &key, keyed_from: 1 }), vec![]);
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
        let checkpoints = vec![checkpoint_of(&[], "a"), checkpoint_of(&events[..3], "b"), checkpoint_of(&events, "c")];
        let key = key();
        let mut v = Verifier::new(Some(ChainKey { key: &key, keyed_from: 1 }), checkpoints);
        events.iter().for_each(|e| v.push(e));
        let report = v.finish(Some(&head_of(&events)));
        assert_eq!((report.problems, report.checkpoints_checked, report.anchored_events), (vec![], 3, Some(5)));
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
        events[1].hash = events[1].compute_mac(&key());
        assert_eq!(verify(&events, Some(&head)), vec![AuditProblem::BrokenLink { seq: 3 }]);
    }

    #[test]
    fn re_chaining_forward_without_the_key_is_found() {
        let mut events = chain(4);
        events[1].actor = "someone else".into();
        rechain_unkeyed(&mut events, 1);
        let problems = verify(&events, Some(&head_of(&events)));
        assert_eq!(problems, (2..=4).map(|seq| AuditProblem::Edited { seq }).collect::<Vec<_>>());
        // Re-chained with a guessed key instead: the same.
        let other = AuditKey::from_bytes([8; AuditKey::LEN]);
        for i in 1..events.len() {
            let previous = (events[i - 1].seq, events[i - 1].hash.clone());
            events[i].chain_after(Some((previous.0, &previous.1)), &other);
        }
        assert_eq!(verify(&events, Some(&head_of(&events))).len(), 3);
    }

    #[test]
    fn reordered_events_are_found() {
        let mut events = chain(4);
        let head = head_of(&events);
        let (a, b) = (events[1].clone(), events[2].clone());
        (events[1], events[2]) = (AuditEvent { seq: 2, ..b }, AuditEvent { seq: 3, ..a });
        let problems = verify(&events, Some(&head));
        assert!(
            problems.contains(&AuditProblem::Edited { seq: 2 }) && problems.contains(&AuditProblem::Edited { seq: 3 })
        );
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
    fn a_truncated_or_wiped_trail_shows_against_a_checkpoint() {
        let events = chain(6);
        let checkpoint = checkpoint_of(&events[..5], "file:2");
        // The newest two deleted and the head record pointed back: only the checkpoint knows.
        assert_eq!(
            verify_with(&events[..3], vec![checkpoint.clone()]),
            vec![AuditProblem::Truncated { checkpoint: "file:2".into(), recorded: 5, found: 3 }]
        );
        assert_eq!(
            verify_with(&[], vec![checkpoint.clone()]),
            vec![AuditProblem::Truncated { checkpoint: "file:2".into(), recorded: 5, found: 0 }]
        );
        assert_eq!(
            AuditProblem::Truncated { checkpoint: "file:2".into(), recorded: 5, found: 3 }.to_string(),
            "events 4 to 5 were deleted: checkpoint file:2 recorded 5 events, the trail has 3"
        );
        // Deleting after the newest checkpoint is the limit of what can be seen.
        assert_eq!(verify_with(&events[..5], vec![checkpoint]), vec![]);
    }

    #[test]
    fn a_rewritten_history_differs_from_its_checkpoint() {
        let mut events = chain(4);
        let checkpoint = checkpoint_of(&events[..3], "c");
        // Rewritten by someone holding the key: only the checkpoint catches it.
        events[0].actor = "someone else".into();
        for i in 0..events.len() {
            let previous = (i > 0).then(|| (events[i - 1].seq, events[i - 1].hash.clone()));
            events[i].chain_after(previous.as_ref().map(|(s, h)| (*s, h.as_str())), &key());
        }
        assert_eq!(
            verify_with(&events, vec![checkpoint]),
            vec![AuditProblem::CheckpointMismatch { checkpoint: "c".into(), seq: 3 }]
        );
    }

    #[test]
    fn forged_and_foreign_checkpoints_are_refused() {
        let events = chain(3);
        let mut forged = checkpoint_of(&events, "f");
        forged.checkpoint.events = 9;
        let foreign = SourcedCheckpoint {
            source: "g".into(),
            checkpoint: Checkpoint::sign(&AuditKey::from_bytes([1; 32]), 1, 3, &events[2].hash, DateTime::UNIX_EPOCH),
        };
        let mut moved = checkpoint_of(&events, "h");
        moved.checkpoint = Checkpoint::sign(&key(), 2, 3, &events[2].hash, DateTime::UNIX_EPOCH);
        assert_eq!(
            verify_with(&events, vec![forged, foreign, moved]),
            vec![
                AuditProblem::CheckpointForged { checkpoint: "f".into() },
                AuditProblem::CheckpointForged { checkpoint: "g".into() },
                AuditProblem::KeyedFromMismatch { checkpoint: "h".into(), keyed_from: 2 }
            ]
        );
    }

    #[test]
    fn checkpoints_read_back_exactly_as_written() {
        let checkpoint = Checkpoint::sign(&key(), 3, 42, &"ab".repeat(32), "2026-12-03T12:34:56.789Z".parse().unwrap());
        let line = checkpoint.to_string();
        assert!(line.starts_with("tangkal-audit-checkpoint/1 key="), "{line}");
        assert!(line.contains(" at=2026-12-03T12:34:56Z mac="), "{line}");
        let read: Checkpoint = format!("  {line}\n").parse().unwrap();
        assert_eq!(read, checkpoint);
        assert!(read.is_authentic(&key()));
        assert!(!read.is_authentic(&AuditKey::from_bytes([9; 32])));
        let retyped = line.replace("events=42", "events=042");
        assert_eq!(retyped.parse::<Checkpoint>().unwrap_err(), "not in the form Tangkal writes (was it retyped?)");
        assert_eq!(
            line.replace(" head=", " hd=").parse::<Checkpoint>().unwrap_err(),
            "field `head` missing or out of place"
        );
        assert!("hello".parse::<Checkpoint>().unwrap_err().starts_with("not a checkpoint"));
    }

    #[test]
    fn events_from_before_the_key_are_checked_by_their_plain_hashes() {
        let mut events: Vec<AuditEvent> = (0..5).map(|i| AuditEvent { seq: i + 1, ..event(i) }).collect();
        rechain_unkeyed(&mut events, 0);
        let (last, hash) = (events[2].seq, events[2].hash.clone());
        events.truncate(3);
        let mut keyed = event(9);
        keyed.chain_after(Some((last, &hash)), &key());
        events.push(keyed);
        let k = key();
        let run = |events: &[AuditEvent], key: Option<ChainKey<'_>>| {
            let mut v = Verifier::new(key, vec![]);
            events.iter().for_each(|e| v.push(e));
            v.finish(None)
        };
        let report = run(&events, Some(ChainKey { key: &k, keyed_from: 4 }));
        assert_eq!((report.problems, report.keyed_from), (vec![], Some(4)));
        // Without the key nothing passes: the keyed part is named, or the whole trail is unkeyed.
        assert_eq!(run(&events, None).problems, vec![AuditProblem::KeyMissing { from: 4 }]);
        assert_eq!(run(&events[..3], None).problems, vec![AuditProblem::NotKeyed { events: 3 }]);
        // A legacy event edited and re-chained up to the key still breaks the first keyed link.
        let mut edited = events.clone();
        edited[0].actor = "x".into();
        rechain_unkeyed(&mut edited[..3], 0);
        assert_eq!(
            run(&edited, Some(ChainKey { key: &k, keyed_from: 4 })).problems,
            vec![AuditProblem::BrokenLink { seq: 4 }]
        );
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_mac() {
        let mut a = chain(1).remove(0);
        let original = a.compute_mac(&key());
        a.actor.push('x');
        a.entity = a.entity.trim_start_matches('c').to_string();
        assert_ne!(a.compute_mac(&key()), original);
        let mut b = chain(1).remove(0);
        b.before = None;
        assert_ne!(b.compute_mac(&key()), original);
    }

    #[test]
    fn the_key_is_never_shown() {
        let key = AuditKey::from_hex(&"5a".repeat(32)).unwrap();
        assert!(!format!("{key:?}").contains("5a5a"));
        assert_eq!(AuditKey::from_hex(&key.to_hex()).unwrap(), key);
        assert!(AuditKey::from_hex("5a5a").is_err() && AuditKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
