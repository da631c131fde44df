//! The intake's figures, for `tangkal status` and `/metrics`: what waits in the streams, what the workers
//! hold, who is alive (heartbeats that expire), where the placer is.

use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::Intake;

/// How often workers and the placer say they are alive (well within [`crate::HEARTBEAT_TTL`]).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// The heartbeat key of the placer (one at a time).
pub(crate) const PLACER_KEY: &str = "placer";

/// What a worker or the placer last said about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub name: String,
    /// UTC seconds.
    pub at: i64,
    /// What it did since it started (a worker's totals, the placer's position).
    pub figures: serde_json::Value,
}

/// The intake at one moment (and its pace over the sample).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntakeStatus {
    pub stream: String,
    /// Messages in the items stream: published and not yet acknowledged by a worker (after NATS 2.9 was
    /// killed and restarted, also acknowledged ones it brought back; `pending` + `ack_pending` is the work
    /// left).
    pub stream_depth: u64,
    /// The items stream's last sequence.
    pub last_seq: u64,
    /// Messages no worker has fetched yet.
    pub pending: u64,
    /// Messages fetched by a worker and not acknowledged yet.
    pub ack_pending: u64,
    /// Messages delivered more than once and not acknowledged yet.
    pub redelivered: u64,
    /// Pull requests waiting at the consumer.
    pub waiting_pulls: u64,
    /// Every message at or below this sequence is acknowledged.
    pub ack_floor: u64,
    /// Messages acknowledged per second over the sample.
    pub items_per_second: f64,
    pub dead_letters: u64,
    /// Narratives waiting for claim matching.
    pub matching_depth: u64,
    pub workers: Vec<Heartbeat>,
    pub placer: Option<Heartbeat>,
}

/// Reads the figures twice, `sample` apart, for the pace.
pub async fn status(intake: &Intake, sample: Duration) -> anyhow::Result<IntakeStatus> {
    let started = std::time::Instant::now();
    let mut workers = intake.workers().await?;
    let before = workers.info().await.context("cannot read the workers' consumer")?.ack_floor.consumer_sequence;
    tokio::time::sleep(sample).await;
    let info = workers.info().await.context("cannot read the workers' consumer")?.clone();
    let elapsed = started.elapsed().as_secs_f64();
    let js = &intake.jetstream;
    let items = js.get_stream(&intake.config.stream).await?.get_info().await?;
    let dead = js.get_stream(intake.config.dead_stream()).await?.get_info().await?;
    // The work left, as the matchers' consumer counts it, not the messages in the stream: NATS 2.9 killed
    // with -9 was seen to bring back acknowledged messages, which nobody delivers again.
    let mut matchers = intake.matchers().await?;
    let matching = matchers.info().await.context("cannot read the matchers' consumer")?;
    let mut beats = heartbeats(intake).await?;
    let placer = beats.iter().position(|(key, _)| key == PLACER_KEY).map(|i| beats.remove(i).1);
    Ok(IntakeStatus {
        stream: intake.config.stream.clone(),
        stream_depth: items.state.messages,
        last_seq: items.state.last_sequence,
        pending: info.num_pending,
        ack_pending: info.num_ack_pending as u64,
        redelivered: info.num_redelivered as u64,
        waiting_pulls: info.num_waiting as u64,
        ack_floor: info.ack_floor.stream_sequence,
        items_per_second: (info.ack_floor.consumer_sequence.saturating_sub(before)) as f64 / elapsed.max(1e-3),
        dead_letters: dead.state.messages,
        matching_depth: matching.num_pending + matching.num_ack_pending as u64,
        workers: beats.into_iter().map(|(_, beat)| beat).collect(),
        placer,
    })
}

/// Every live heartbeat, by key.
async fn heartbeats(intake: &Intake) -> anyhow::Result<Vec<(String, Heartbeat)>> {
    let prefix = intake.config.heartbeat_subject("");
    let stream = intake.jetstream.get_stream(intake.config.heartbeat_stream()).await?;
    let info = stream.info_with_subjects(format!("{prefix}>")).await?;
    let subjects: Vec<String> = {
        use futures_util::StreamExt;
        info.map(|s| s.map(|(subject, _)| subject)).collect::<Vec<_>>().await.into_iter().collect::<Result<_, _>>()?
    };
    let mut beats = Vec::new();
    for subject in subjects {
        let Ok(message) = stream.get_last_raw_message_by_subject(&subject).await else { continue };
        if let Ok(beat) = serde_json::from_slice::<Heartbeat>(&message.payload) {
            beats.push((subject[prefix.len()..].to_owned(), beat));
        }
    }
    beats.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(beats)
}

/// A heartbeat key for a process name: one subject token of letters, digits and `-_=`.
pub(crate) fn key(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_=".contains(c) { c } else { '_' }).collect()
}

/// Says `name` is alive every few seconds, with what `figures` reports, until aborted.
pub(crate) async fn heartbeat(
    intake: Intake,
    key: String,
    name: String,
    figures: impl Fn() -> serde_json::Value + Send + 'static,
) {
    let subject = intake.config.heartbeat_subject(&key);
    loop {
        let beat = Heartbeat { name: name.clone(), at: chrono::Utc::now().timestamp(), figures: figures() };
        if let Ok(value) = serde_json::to_vec(&beat) {
            if let Err(e) = intake.jetstream.publish(subject.clone(), value.into()).await {
                tracing::debug!("heartbeat: {e}");
            }
        }
        tokio::time::sleep(HEARTBEAT_EVERY).await;
    }
}

/// Removes a heartbeat at a clean stop, so the process stops counting at once.
pub(crate) async fn forget(intake: &Intake, key: &str) {
    if let Ok(stream) = intake.jetstream.get_stream(intake.config.heartbeat_stream()).await {
        let _ = stream.purge().filter(intake.config.heartbeat_subject(key)).await;
    }
}
