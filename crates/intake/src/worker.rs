//! Workers: any number of processes sharing the items stream's durable pull consumer, and the matching
//! queue's.
//!
//! A worker fetches a batch (up to `batch` messages, or what arrived within [`FETCH_WAIT`]), parses it on a
//! blocking thread while the previous batch is being written, and writes the items in one transaction
//! (`PostgresStore::write_intake`: an identity is stored once, whichever worker comes first). Messages are
//! acknowledged only after the commit. Per message:
//!
//! - not an item (bad JSON, a record that fails validation): dead-lettered with the reason, then acknowledged;
//! - refused by the store (a constraint the item breaks that validation does not know): the batch is split until
//!   the refused records are alone; each is redelivered after a delay, and dead-lettered with the store's
//!   reason on its `max_deliver`-th delivery;
//! - the store unavailable (PostgreSQL down, slow, a lost connection): the worker keeps the batch, tells
//!   JetStream it is still working on it, reconnects and retries with growing pauses, and fetches nothing
//!   meanwhile. That is the backpressure: a slow database slows fetching, and a worker never holds more than
//!   two batches.
//!
//! A worker that dies holds its messages until their acknowledgement wait runs out; then JetStream delivers
//! them to the others, which find the items that were committed already stored.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::context::Publish;
use async_nats::jetstream::{AckKind, Message};
use futures_util::StreamExt;
use tangkal_model::{parse_json_item, Identity, Item, NarrativeId};
use tangkal_narratives::features::Featurizer;
use tangkal_pipeline::MatchingStage;
use tangkal_store::{AuditFiles, ItemRecord, PostgresStore, SourceRef, StoreError};
use tokio::sync::watch;

use crate::{headers, Intake, StoreThread};

/// How long a fetch waits for a batch to fill: the most a quiet stream adds to an item's way in.
pub const FETCH_WAIT: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The PostgreSQL store.
    pub database_url: String,
    /// The audit trail's key and checkpoints: cases opened by matching are audited.
    pub audit_files: AuditFiles,
    /// Messages per batch (one transaction).
    pub batch: usize,
    /// Deliveries after which a message that could not be stored is dead-lettered.
    pub max_deliver: i64,
    /// Pause before a refused message is delivered again, times its deliveries so far.
    pub redeliver_after: Duration,
    /// Texts longer than this are not items, as for `tangkal ingest`.
    pub max_text_bytes: usize,
    /// How this worker is named in its heartbeat.
    pub name: String,
}

impl WorkerOptions {
    pub fn new(database_url: impl Into<String>, audit_files: AuditFiles) -> WorkerOptions {
        WorkerOptions {
            database_url: database_url.into(),
            audit_files,
            batch: 1_000,
            max_deliver: 5,
            redeliver_after: Duration::from_secs(1),
            max_text_bytes: tangkal_model::DEFAULT_MAX_TEXT_BYTES,
            name: default_name("worker"),
        }
    }
}

/// `kind host pid`, unique enough to tell processes apart in a heartbeat.
pub(crate) fn default_name(kind: &str) -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!("{kind} {host} {}", std::process::id())
}

/// What a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorkerTotals {
    /// Items stored for the first time.
    pub new: u64,
    /// Messages whose item was stored already (updated metrics count here too).
    pub repeats: u64,
    /// Messages sent to the dead-letter stream.
    pub dead: u64,
    /// Narratives looked at for claim matching.
    pub matched: u64,
}

/// Works until `stop` turns true, then finishes the batch in hand and returns what it did.
pub async fn run_worker(
    intake: &Intake,
    options: WorkerOptions,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<WorkerTotals> {
    let counters = Arc::new(Counters::default());
    let key = format!("worker.{}", crate::status::key(&options.name));
    let figures = {
        let counters = counters.clone();
        move || serde_json::to_value(counters.totals()).unwrap_or_default()
    };
    let heartbeat = tokio::spawn(crate::status::heartbeat(intake.clone(), key.clone(), options.name.clone(), figures));
    let matching = tokio::spawn(match_narratives(intake.clone(), options.clone(), stop.clone(), counters.clone()));
    let storing = store_items(intake, &options, &stop, &counters).await;
    let matched = matching.await.context("the matching task panicked")?;
    heartbeat.abort();
    crate::status::forget(intake, &key).await;
    storing?;
    matched?;
    Ok(counters.totals())
}

#[derive(Default)]
pub(crate) struct Counters {
    new: AtomicU64,
    repeats: AtomicU64,
    dead: AtomicU64,
    matched: AtomicU64,
}

impl Counters {
    pub(crate) fn totals(&self) -> WorkerTotals {
        WorkerTotals {
            new: self.new.load(Ordering::Relaxed),
            repeats: self.repeats.load(Ordering::Relaxed),
            dead: self.dead.load(Ordering::Relaxed),
            matched: self.matched.load(Ordering::Relaxed),
        }
    }
}

/// A fetched batch, parsed: the items with what the store needs, and which message each came from.
struct Parsed {
    messages: Vec<Message>,
    items: Vec<(usize, Item, Identity, u64)>,
    /// Messages that hold no item, with the reason.
    poison: Vec<(usize, String)>,
}

/// The items loop: fetch, parse, write, acknowledge; one batch written while the next is fetched and parsed.
async fn store_items(
    intake: &Intake,
    options: &WorkerOptions,
    stop: &watch::Receiver<bool>,
    counters: &Counters,
) -> anyhow::Result<()> {
    let consumer = intake.workers().await?;
    let writer = StoreThread::start("tangkal-writer", None);
    let opening = options.clone();
    writer.run(move |slot| connect(&opening).map(|store| *slot = Some(store))).await??;
    let source = SourceRef { kind: "intake".into(), location: intake.config.stream.clone() };
    let mut writing: Option<tokio::sync::oneshot::Receiver<Written>> = None;
    loop {
        let stopping = *stop.borrow();
        let messages = if stopping { Vec::new() } else { fetch(&consumer, options.batch, FETCH_WAIT).await };
        let max_text_bytes = options.max_text_bytes;
        let parsing = tokio::task::spawn_blocking(move || parse(messages, max_text_bytes));
        if let Some(job) = writing.take() {
            let written = job.await.context("the store thread stopped")?;
            settle(intake, options, &writer, written, counters).await?;
        }
        let parsed = parsing.await?;
        if stopping {
            return Ok(());
        }
        for (index, reason) in &parsed.poison {
            dead_letter(intake, &parsed.messages[*index], reason).await?;
            counters.dead.fetch_add(1, Ordering::Relaxed);
        }
        if parsed.items.is_empty() {
            for message in &parsed.messages {
                ack(message).await?;
            }
            continue;
        }
        let (source, options) = (source.clone(), options.clone());
        writing = Some(writer.submit(move |slot| write(slot, &options, &source, parsed)));
    }
}

/// How long past a pull request's expiry its messages are still waited for. NATS 2.9 does not always say that
/// a partly filled request expired, and the client then waits five more seconds before giving up on it: at a
/// steady flow every item waited those seconds (measured: p50 publish → placed 4.2 s at 5,000 items/s).
/// The server sends nothing for a request after its expiry, so what it sent is in by then; a message later
/// still than this grace goes to another fetch after its acknowledgement wait.
const FETCH_GRACE: Duration = Duration::from_millis(250);

/// Up to `batch` messages, or what arrived within `wait`. Every message of a pull request is read (until
/// [`FETCH_GRACE`] after it expired), so none is left held by this worker until its acknowledgement wait
/// runs out. While NATS cannot be reached (a restart) this answers nothing after a pause, and the worker
/// asks again.
async fn fetch(consumer: &PullConsumer, batch: usize, wait: Duration) -> Vec<Message> {
    let deadline = tokio::time::Instant::now() + wait + FETCH_GRACE;
    let mut fetched = match consumer.batch().max_messages(batch).expires(wait).messages().await {
        Ok(fetched) => fetched,
        Err(e) => {
            tracing::warn!(target: "tangkal::worker", "cannot fetch: {e}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Vec::new();
        }
    };
    let mut messages = Vec::with_capacity(batch);
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, fetched.next()).await {
        match message {
            Ok(message) => messages.push(message),
            Err(e) => {
                tracing::warn!(target: "tangkal::worker", "fetching: {e}");
                break;
            }
        }
    }
    messages
}

fn parse(messages: Vec<Message>, max_text_bytes: usize) -> Parsed {
    let mut featurizer = Featurizer::default();
    let mut items = Vec::with_capacity(messages.len());
    let mut poison = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let whole_item =
            message.headers.as_ref().and_then(|h| h.get(headers::RECORD)).is_some_and(|value| value.as_str() == "item");
        let item = if whole_item {
            serde_json::from_slice::<Item>(&message.payload).map_err(|e| format!("not an item: {e}"))
        } else {
            parse_json_item(&message.payload, max_text_bytes).map_err(|e| format!("not an item: {e}"))
        };
        match item {
            Ok(item) => {
                let identity = item.identity();
                let fingerprint = featurizer.fingerprint(&item.text);
                items.push((index, item, identity, fingerprint));
            }
            Err(reason) => poison.push((index, reason)),
        }
    }
    Parsed { messages, items, poison }
}

/// A write's outcome.
struct Written {
    parsed: Parsed,
    /// Per item of `parsed.items`: `None` stored (or found stored), `Some(reason)` refused.
    outcome: Result<Vec<Option<String>>, StoreError>,
    new: u64,
}

/// Writes the batch on the store thread's connection (a new one when the last failed); records refused by
/// the store are found by splitting it (the rest is stored).
fn write(slot: &mut Option<PostgresStore>, options: &WorkerOptions, source: &SourceRef, parsed: Parsed) -> Written {
    let store = match slot {
        Some(store) => store,
        None => match connect(options) {
            Ok(store) => slot.insert(store),
            Err(e) => return Written { parsed, outcome: Err(e), new: 0 },
        },
    };
    let mut new = 0;
    let outcome = {
        let records: Vec<ItemRecord<'_>> = parsed
            .items
            .iter()
            .map(|(_, item, identity, fingerprint)| ItemRecord { item, identity: *identity, fingerprint: *fingerprint })
            .collect();
        let seqs: Vec<i64> = parsed
            .items
            .iter()
            .map(|(index, ..)| parsed.messages[*index].info().map(|i| i.stream_sequence as i64).unwrap_or(0))
            .collect();
        write_split(store, source, &records, &seqs, &mut new)
    };
    if outcome.is_err() {
        // Unavailable: the next attempt starts on a new connection.
        *slot = None;
    }
    Written { parsed, outcome, new }
}

fn write_split(
    store: &mut PostgresStore,
    source: &SourceRef,
    records: &[ItemRecord<'_>],
    seqs: &[i64],
    new: &mut u64,
) -> Result<Vec<Option<String>>, StoreError> {
    match store.write_intake(source, records, seqs) {
        Ok(counts) => {
            *new += counts.new;
            Ok(vec![None; records.len()])
        }
        Err(e @ StoreError::Unavailable(_)) => Err(e),
        Err(e) if records.len() == 1 => Ok(vec![Some(e.to_string())]),
        Err(_) => {
            let half = records.len() / 2;
            let mut outcome = write_split(store, source, &records[..half], &seqs[..half], new)?;
            outcome.extend(write_split(store, source, &records[half..], &seqs[half..], new)?);
            Ok(outcome)
        }
    }
}

/// Acknowledges a written batch, or deals with what the store refused. While the store is unavailable this
/// keeps retrying the same batch (see the module's documentation).
async fn settle(
    intake: &Intake,
    options: &WorkerOptions,
    writer: &StoreThread<Option<PostgresStore>>,
    mut written: Written,
    counters: &Counters,
) -> anyhow::Result<()> {
    let mut pause = Duration::from_millis(250);
    while let Err(e) = &written.outcome {
        tracing::warn!(target: "tangkal::worker", "the store is unavailable, retrying in {pause:?}: {e}");
        for message in &written.parsed.messages {
            // Still being worked on: not to be given to another worker.
            message.ack_with(AckKind::Progress).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
        let (parsed, options) = (written.parsed, options.clone());
        let source = SourceRef { kind: "intake".into(), location: intake.config.stream.clone() };
        written = writer.run(move |slot| write(slot, &options, &source, parsed)).await?;
    }
    let Written { parsed, outcome, new } = written;
    let Ok(outcome) = outcome else { unreachable!("settled above") };
    counters.new.fetch_add(new, Ordering::Relaxed);
    counters.repeats.fetch_add((parsed.items.len() as u64).saturating_sub(new), Ordering::Relaxed);
    let mut refused = vec![None; parsed.messages.len()];
    for ((index, ..), reason) in parsed.items.iter().zip(outcome) {
        refused[*index] = reason;
    }
    // Poison messages were dead-lettered on arrival; they are acknowledged with the rest.
    for (message, refused) in parsed.messages.iter().zip(refused) {
        let Some(reason) = refused else {
            ack(message).await?;
            continue;
        };
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        if delivered >= options.max_deliver {
            dead_letter(intake, message, &reason).await?;
            counters.dead.fetch_add(1, Ordering::Relaxed);
            ack(message).await?;
        } else {
            tracing::warn!(target: "tangkal::worker", "delivery {delivered} refused by the store: {reason}");
            let delay = options.redeliver_after * u32::try_from(delivered.max(1)).unwrap_or(u32::MAX);
            message.ack_with(AckKind::Nak(Some(delay))).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}

async fn ack(message: &Message) -> anyhow::Result<()> {
    message.ack().await.map_err(|e| anyhow::anyhow!("cannot acknowledge a message: {e}"))
}

/// Publishes `message` to the dead-letter stream with `reason` and waits for JetStream to keep it; the caller
/// then acknowledges the original. The dead letter's id is the original's sequence, so a worker that dies in
/// between and a successor that dead-letters the message again leave one dead letter.
async fn dead_letter(intake: &Intake, message: &Message, reason: &str) -> anyhow::Result<()> {
    let info = message.info().map_err(|e| anyhow::anyhow!("a message without delivery information: {e}"))?;
    let (seq, delivered) = (info.stream_sequence, info.delivered);
    tracing::warn!(target: "tangkal::worker", "dead letter: message {seq} ({}): {reason}", message.subject);
    let mut dead = Publish::build()
        .payload(message.payload.clone())
        .message_id(format!("dead.{seq}"))
        .header(headers::DEAD_REASON, reason.replace(['\r', '\n'], " "))
        .header(headers::DEAD_DELIVERIES, delivered.to_string())
        .header(headers::DEAD_STREAM_SEQ, seq.to_string())
        .header(headers::DEAD_SUBJECT, message.subject.as_str());
    if let Some(record) = message.headers.as_ref().and_then(|h| h.get(headers::RECORD)) {
        dead = dead.header(headers::RECORD, record.as_str());
    }
    let ack = intake
        .jetstream
        .send_publish(intake.config.dead_subject(), dead)
        .await
        .context("cannot publish a dead letter")?;
    ack.await.context("JetStream did not keep a dead letter")?;
    Ok(())
}

fn connect(options: &WorkerOptions) -> Result<PostgresStore, StoreError> {
    PostgresStore::connect(&options.database_url, options.audit_files.clone())
}

/// Messages read from the matching queue at a time.
const MATCH_BATCH: usize = 100;

/// The matching loop: narratives the placer changed, matched against the fact-checks (opening cases for the
/// debunked ones), acknowledged once the outcome is stored.
async fn match_narratives(
    intake: Intake,
    options: WorkerOptions,
    stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    let consumer = intake.matchers().await?;
    let stage = MatchingStage::on_demand(Arc::new(tangkal_cases::SystemClock));
    let matcher = StoreThread::start("tangkal-matcher", (None::<PostgresStore>, stage));
    let mut pause = Duration::from_millis(250);
    while !*stop.borrow() {
        let messages = fetch(&consumer, MATCH_BATCH, Duration::from_millis(500)).await;
        if messages.is_empty() {
            continue;
        }
        let narratives: Vec<NarrativeId> =
            messages.iter().filter_map(|m| std::str::from_utf8(&m.payload).ok()?.trim().parse().ok()).collect();
        let options = options.clone();
        let outcome = matcher
            .run(move |(slot, stage)| {
                let store = match slot {
                    Some(store) => store,
                    None => slot.insert(connect(&options)?),
                };
                let matched = stage.match_narratives(store, &narratives).map(|()| narratives.len());
                if matched.is_err() {
                    *slot = None;
                }
                matched
            })
            .await?;
        match outcome {
            Ok(matched) => {
                pause = Duration::from_millis(250);
                counters.matched.fetch_add(matched as u64, Ordering::Relaxed);
                for message in &messages {
                    ack(message).await?;
                }
            }
            Err(e) => {
                // Delivered again after a pause, to this worker or another.
                tracing::warn!(target: "tangkal::worker", "matching failed, retrying in {pause:?}: {e:#}");
                for message in &messages {
                    let _ = message.ack_with(AckKind::Nak(Some(pause))).await;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
    }
    Ok(())
}
