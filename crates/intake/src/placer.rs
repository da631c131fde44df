//! The placer: narrative placement as one ordered consumer of the store, elected among any number of
//! standbys by a PostgreSQL advisory lock (one per stream).
//!
//! Items are placed in the order of their intake sequence (the stream sequence of the message that first
//! stored them), and only up to the workers' acknowledgement floor: at and below it every message was
//! acknowledged, so every item it carried is committed and none can still arrive with a lower sequence.
//! Publishers reading files in order, however many and however deduplicated, give first occurrences in file
//! order, so the placer sees the order `tangkal ingest` would, and the same narratives follow (placement is
//! deterministic). Assignments and figures are written with [`NarrativeStage::assign_stored`]; the narratives
//! whose figures changed go to the matching queue, for the workers.
//!
//! The index is snapshotted to the database (`placer_snapshots`, with the sequence it covers) every
//! [`PlacerOptions::snapshot_every`] and at a clean stop. A successor loads it and replays the items after
//! it, writing the same assignments again.
//! Before each snapshot it places any item stored below its position since (see `place_late`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::context::Publish;
use tangkal_model::{ItemId, NarrativeId};
use tangkal_pipeline::NarrativeStage;
use tangkal_store::{AuditFiles, NarrativeInput, PlacerLock, PostgresStore};
use tokio::sync::watch;

use crate::{Intake, StoreThread};

/// Items read from the store per step.
const STEP: u64 = 10_000;

#[derive(Debug, Clone)]
pub struct PlacerOptions {
    pub database_url: String,
    pub audit_files: AuditFiles,
    /// How often the index is snapshotted to the database.
    pub snapshot_every: Duration,
    /// How long to wait when there is nothing new to place.
    pub poll: Duration,
    /// How this placer is named in the database (the lock holder) and its heartbeat.
    pub name: String,
}

impl PlacerOptions {
    pub fn new(database_url: impl Into<String>, audit_files: AuditFiles) -> PlacerOptions {
        PlacerOptions {
            database_url: database_url.into(),
            audit_files,
            snapshot_every: Duration::from_secs(30),
            poll: Duration::from_millis(100),
            name: crate::worker::default_name("placer"),
        }
    }
}

/// Stands by until elected, then places until `stop` turns true; at a clean stop the figures are brought up
/// to date and the index snapshotted. Returns the intake sequence covered.
pub async fn run_placer(intake: &Intake, options: PlacerOptions, stop: watch::Receiver<bool>) -> anyhow::Result<i64> {
    let thread = StoreThread::start("tangkal-placer", State::Idle);
    if !elect(intake, &options, &stop, &thread).await? {
        return Ok(0);
    }
    tracing::info!(target: "tangkal::placer", "{} places the items of {}", options.name, intake.config.stream);
    let covered = Arc::new(AtomicI64::new(0));
    let figures = {
        let covered = covered.clone();
        move || serde_json::json!({ "covered": covered.load(Ordering::Relaxed) })
    };
    let heartbeat = tokio::spawn(crate::status::heartbeat(
        intake.clone(),
        crate::status::PLACER_KEY.into(),
        options.name.clone(),
        figures,
    ));
    let placed = place(intake, &options, stop, &thread, &covered).await;
    heartbeat.abort();
    crate::status::forget(intake, crate::status::PLACER_KEY).await;
    placed
}

/// What the placer's store thread holds.
enum State {
    Idle,
    /// Connected for the election, not elected (yet).
    Standby(Box<PlacerLock>),
    Placing(Box<Placing>),
}

struct Placing {
    lock: PlacerLock,
    store: PostgresStore,
    stage: NarrativeStage,
}

impl State {
    fn placing(&mut self) -> anyhow::Result<&mut Placing> {
        match self {
            State::Placing(placing) => Ok(placing),
            _ => anyhow::bail!("the placer is not elected"),
        }
    }
}

/// Waits for the placer's lock, asking every second; false when stopped first.
async fn elect(
    intake: &Intake,
    options: &PlacerOptions,
    stop: &watch::Receiver<bool>,
    thread: &StoreThread<State>,
) -> anyhow::Result<bool> {
    let (url, stream, name) = (options.database_url.clone(), intake.config.stream.clone(), options.name.clone());
    let lock = move |state: &mut State| {
        *state = State::Standby(Box::new(PlacerLock::connect(&url, &stream, &name)?));
        anyhow::Ok(())
    };
    thread.run(lock).await??;
    let mut told = false;
    loop {
        let taken = thread
            .run(|state| match state {
                State::Standby(lock) => Ok(lock.try_take()?),
                _ => anyhow::bail!("the placer is not connected for its election"),
            })
            .await??;
        if taken {
            return Ok(true);
        }
        if !told {
            tracing::info!(target: "tangkal::placer", "standing by: another placer of {} runs", intake.config.stream);
            told = true;
        }
        if *stop.borrow() {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn place(
    intake: &Intake,
    options: &PlacerOptions,
    stop: watch::Receiver<bool>,
    thread: &StoreThread<State>,
    covered: &AtomicI64,
) -> anyhow::Result<i64> {
    let stream = intake.config.stream.clone();
    let (url, files) = (options.database_url.clone(), options.audit_files.clone());
    thread
        .run(move |state| {
            let State::Standby(lock) = std::mem::replace(state, State::Idle) else {
                anyhow::bail!("the placer is not elected");
            };
            let store = PostgresStore::connect(&url, files)?;
            let snapshot = store.placer_snapshot(&stream)?;
            let stage = NarrativeStage::resume(snapshot.as_ref().map(|s| s.snapshot.as_slice()));
            if stage.covered() > 0 {
                tracing::info!(target: "tangkal::placer", "resuming after intake sequence {}", stage.covered());
            }
            *state = State::Placing(Box::new(Placing { lock: *lock, store, stage }));
            Ok(())
        })
        .await??;
    let mut snapshotted = Instant::now();
    // Placed since the figures were last brought up to date.
    let mut unflushed = false;
    loop {
        covered.store(thread.run(|state| state.placing().map(|p| p.stage.covered())).await??, Ordering::Relaxed);
        if *stop.borrow() {
            break;
        }
        let floor = match intake.ack_floor().await {
            Ok(floor) => floor,
            Err(e) => {
                tracing::warn!(target: "tangkal::placer", "cannot read the acknowledgement floor: {e:#}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Step { changed, full, placed, flushed } =
            thread.run(move |state| step(state.placing()?, floor, unflushed)).await??;
        unflushed = placed || (unflushed && !flushed);
        request_matching(intake, &changed, &stop).await;
        if snapshotted.elapsed() >= options.snapshot_every {
            let late = thread.run(|state| place_late(state.placing()?)).await??;
            request_matching(intake, &late, &stop).await;
            snapshot(thread, &intake.config.stream).await?;
            snapshotted = Instant::now();
        }
        if !full {
            tokio::time::sleep(options.poll).await;
        }
    }
    let changed = thread
        .run(|state| {
            let placing = state.placing()?;
            placing.stage.flush(&mut placing.store)
        })
        .await??;
    request_matching(intake, &changed, &stop).await;
    snapshot(thread, &intake.config.stream).await
}

/// Items stored at or below the covered sequence and not placed: none while JetStream keeps its word (the
/// acknowledgement floor passes a message only once it is acknowledged), but NATS 2.9 restarted after a
/// kill -9 was seen to move the floor past messages no worker had acknowledged yet. They are placed now, out
/// of stream order, rather than never; returns the narratives that changed.
fn place_late(placing: &mut Placing) -> anyhow::Result<Vec<(NarrativeId, ItemId)>> {
    let Placing { store, stage, .. } = placing;
    let covered = stage.covered();
    let late = store.unplaced_intake_items(covered, STEP)?;
    if late.is_empty() {
        return Ok(Vec::new());
    }
    tracing::warn!(target: "tangkal::placer", "{} items stored below the acknowledgement floor placed late", late.len());
    stage.assign_stored(store, &late, covered)
}

/// What a step did.
struct Step {
    /// Narratives whose figures were written, each with its central copy's item.
    changed: Vec<(NarrativeId, ItemId)>,
    /// As many items as a step takes: more may be waiting.
    full: bool,
    /// Items were placed.
    placed: bool,
    /// The figures of every narrative seen in the last day were brought up to date.
    flushed: bool,
}

/// One step: the items acknowledged and not placed yet, at most [`STEP`]; when there are none and items
/// were placed since the last flush, the figures of the narratives seen in the last day are brought up to
/// date (their velocities as of the newest item, as at the end of `tangkal ingest`).
fn step(placing: &mut Placing, floor: i64, unflushed: bool) -> anyhow::Result<Step> {
    anyhow::ensure!(placing.lock.still_held(), "the placer's lock is lost (its database connection ended)");
    let Placing { store, stage, .. } = placing;
    let covered = stage.covered();
    if floor <= covered {
        let changed = if unflushed { stage.flush(store)? } else { Vec::new() };
        return Ok(Step { changed, full: false, placed: false, flushed: unflushed });
    }
    let read = store.intake_items(covered, floor, STEP)?;
    let full = read.len() as u64 == STEP;
    // Nothing else can arrive at or below the floor: a full step stops at its last item, any other at the
    // floor itself.
    let up_to = if full { read.last().map_or(floor, |(seq, _)| *seq) } else { floor };
    let placed = !read.is_empty();
    let items: Vec<NarrativeInput> = read.into_iter().map(|(_, item)| item).collect();
    let changed = stage.assign_stored(store, &items, up_to)?;
    Ok(Step { changed, full, placed, flushed: false })
}

/// Writes the index's snapshot with the position it covers; returns that position.
async fn snapshot(thread: &StoreThread<State>, stream: &str) -> anyhow::Result<i64> {
    let stream = stream.to_owned();
    thread
        .run(move |state| {
            let placing = state.placing()?;
            let mut bytes = Vec::new();
            placing.stage.write_snapshot(&mut bytes)?;
            let covered = placing.stage.covered();
            placing.store.save_placer_snapshot(&stream, covered, &bytes)?;
            tracing::debug!(target: "tangkal::placer", "snapshot at {covered} ({} bytes)", bytes.len());
            Ok(covered)
        })
        .await?
}

/// Hands narratives to the workers for claim matching, one message each; the id names the narrative and its
/// central copy, so a narrative handed again unchanged within the duplicate window is dropped. Retried until
/// NATS takes them all (the placer cannot go on without NATS anyway), except once asked to stop: a placer
/// stopping while NATS is down gives up on them rather than never stop (they are matched when they next
/// change).
async fn request_matching(intake: &Intake, changed: &[(NarrativeId, ItemId)], stop: &watch::Receiver<bool>) {
    let mut pause = Duration::from_millis(250);
    loop {
        match publish_matching(intake, changed).await {
            Ok(()) => return,
            Err(e) if *stop.borrow() => {
                tracing::warn!(target: "tangkal::placer", "stopping: {} narratives not queued for matching: {e:#}", changed.len());
                return;
            }
            Err(e) => {
                tracing::warn!(target: "tangkal::placer", "cannot queue narratives for matching, retrying: {e:#}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn publish_matching(intake: &Intake, changed: &[(NarrativeId, ItemId)]) -> anyhow::Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut acks = Vec::with_capacity(changed.len());
    for &(narrative, central) in changed {
        let message =
            Publish::build().payload(narrative.to_string().into()).message_id(format!("{narrative}.{central}"));
        acks.push(intake.jetstream.send_publish(intake.config.match_subject(), message).await?);
    }
    for ack in acks {
        ack.await.context("JetStream did not take a narrative to match")?;
    }
    Ok(())
}
