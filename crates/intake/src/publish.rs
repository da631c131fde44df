//! Publishers: records read and validated exactly as `tangkal ingest` reads them (the pipeline's sources, the
//! same rejects), the valid ones published to the items stream. A publisher exits once JetStream has
//! acknowledged every message: from then on the items are safe, whatever happens to the publisher.

use std::collections::VecDeque;

use anyhow::Context;
use async_nats::jetstream::context::{Publish, PublishAckFuture};
use bytes::Bytes;
use serde::Serialize;
use tangkal_model::Item;
use tangkal_pipeline::{RejectWriter, Source};

use crate::{headers, Intake};

/// Messages published and not acknowledged yet, at most: enough to keep the connection busy, few enough
/// that a publisher's memory stays flat however large its files.
pub const DEFAULT_WINDOW: usize = 4_096;

/// What a publisher did. `read` = `published` + `duplicate` + `rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PublishSummary {
    pub read: u64,
    /// Stored in the stream as a new message.
    pub published: u64,
    /// Dropped by JetStream as a repeat of a message in its duplicate window (same identity and metrics).
    pub duplicate: u64,
    /// Refused by validation, as `tangkal ingest` refuses them; in the rejects file.
    pub rejected: u64,
}

/// Records read ahead of the publisher, at most.
const READ_AHEAD: usize = 4_096;

/// Reads `sources` in order on a thread of its own and publishes every valid record, at most `window`
/// unacknowledged at a time; rejects go to `rejects`. Records are handed over one by one, so a source fed
/// slowly (standard input from a live tail) is published as it comes. Fails as soon as JetStream refuses or
/// does not acknowledge a message: what was acknowledged before is safe, and a re-run publishes the rest
/// (repeats within the duplicate window are dropped, later ones are found stored by the workers).
pub async fn publish(
    intake: &Intake,
    sources: Vec<Box<dyn Source>>,
    rejects: &mut RejectWriter,
    window: usize,
) -> anyhow::Result<PublishSummary> {
    let (sender, mut records) = tokio::sync::mpsc::channel::<anyhow::Result<tangkal_pipeline::Record>>(READ_AHEAD);
    let reader = std::thread::spawn(move || {
        for mut source in sources {
            loop {
                let next = match source.next_record() {
                    Ok(Some(record)) => Ok(record),
                    Ok(None) => break,
                    Err(e) => Err(e),
                };
                let failed = next.is_err();
                if sender.blocking_send(next).is_err() || failed {
                    return;
                }
            }
        }
    });
    let mut publisher = Publisher::new(intake, window);
    let mut outcome = Ok(());
    while let Some(record) = records.recv().await {
        let written = match record {
            Ok(Ok(item)) => publisher.send(&item).await,
            Ok(Err(reject)) => {
                tracing::warn!(target: "tangkal::ingest", "rejected {reject}");
                publisher.summary.read += 1;
                publisher.summary.rejected += 1;
                rejects.write(&reject)
            }
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            outcome = Err(e);
            break;
        }
    }
    drop(records);
    reader.join().map_err(|_| anyhow::anyhow!("the reading thread panicked"))?;
    // What was published before a failure is waited for, so the summary says what is safe.
    let summary = publisher.finish().await;
    rejects.flush()?;
    outcome?;
    summary
}

/// Publishes with a bounded window of acknowledgements in flight, in order.
struct Publisher<'i> {
    intake: &'i Intake,
    window: usize,
    in_flight: VecDeque<PublishAckFuture>,
    summary: PublishSummary,
}

impl<'i> Publisher<'i> {
    fn new(intake: &'i Intake, window: usize) -> Publisher<'i> {
        Publisher { intake, window: window.max(1), in_flight: VecDeque::new(), summary: PublishSummary::default() }
    }

    async fn send(&mut self, item: &Item) -> anyhow::Result<()> {
        if self.in_flight.len() >= self.window {
            self.settle_oldest().await?;
        }
        let mut message = Publish::build().message_id(message_id(item));
        message = if item.text_in_raw {
            message.payload(Bytes::copy_from_slice(item.raw.as_bytes()))
        } else {
            message.payload(serde_json::to_vec(item)?.into()).header(headers::RECORD, "item")
        };
        let subject = self.intake.config.items_subject(&item.platform);
        let ack = self
            .intake
            .jetstream
            .send_publish(subject, message)
            .await
            .with_context(|| format!("cannot publish to {}", self.intake.config.stream))?;
        self.in_flight.push_back(ack);
        self.summary.read += 1;
        Ok(())
    }

    async fn settle_oldest(&mut self) -> anyhow::Result<()> {
        let Some(ack) = self.in_flight.pop_front() else { return Ok(()) };
        let ack = ack
            .await
            .with_context(|| format!("JetStream did not acknowledge a message to {}", self.intake.config.stream))?;
        if ack.duplicate {
            self.summary.duplicate += 1;
        } else {
            self.summary.published += 1;
        }
        Ok(())
    }

    /// Waits for every acknowledgement; the first failure is the answer.
    async fn finish(mut self) -> anyhow::Result<PublishSummary> {
        let mut outcome = Ok(());
        while !self.in_flight.is_empty() {
            if let Err(e) = self.settle_oldest().await {
                if outcome.is_ok() {
                    outcome = Err(e);
                }
            }
        }
        outcome.map(|()| self.summary)
    }
}

/// The message id: the item's identity, and its metrics, so that a re-send of a record is dropped as a
/// duplicate while a newer copy with other metrics gets through and updates them, as `tangkal ingest` does.
pub fn message_id(item: &Item) -> String {
    let identity: String = item.identity().0.iter().map(|b| format!("{b:02x}")).collect();
    let m = &item.metrics;
    format!("{identity}.{}.{}.{}.{}", m.views, m.shares, m.likes, m.replies)
}
