//! Tangkal's distributed intake on NATS JetStream, the only crate that knows NATS.
//!
//! Publishers ([`publish`]) read and validate records exactly as `tangkal ingest` does and publish the valid
//! ones to the items stream (`<prefix>.items.<platform>`), each with a message id made from the item's
//! identity and metrics, so that JetStream's duplicate window drops re-sends. Workers ([`worker`]) share a
//! durable pull consumer: they store batches in PostgreSQL (an identity is stored once, with the stream
//! sequence of the message that first carried it) and acknowledge after the commit; a record that cannot be
//! stored goes to the dead-letter stream with its reason. The placer ([`placer`]), one at a time under a
//! PostgreSQL advisory lock, places stored items in narratives in stream order, up to the workers'
//! acknowledgement floor, and hands the narratives it changed to the workers for claim matching through a
//! small work queue. [`status`] reads the figures of all of it.
//!
//! Streams (file storage), for a stream named `S` and a subject prefix `P`:
//!
//! | stream | subjects | retention | consumer |
//! |---|---|---|---|
//! | `S` | `P.items.<platform>` | work queue: a message leaves once a worker acknowledged it | `workers` |
//! | `S_DEAD` | `P.dead.items` | kept (limits) until an operator deals with them | none |
//! | `S_MATCH` | `P.match` | work queue | `matchers` |
//! | `S_ALIVE` | `P.alive.<process>` | the last message per subject, for 15 s (memory) | none: heartbeats |
//!
//! Dead letters have a stream of their own so that the items stream stays a work queue with one consumer,
//! whose acknowledgement floor is exactly "every item at or below it is committed or dead-lettered".

pub mod placer;
pub mod publish;
pub mod status;
pub mod synthetic;
pub mod worker;

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer, stream};

pub use placer::{run_placer, PlacerOptions};
pub use publish::{publish, PublishSummary};
pub use status::{status, IntakeStatus};
pub use worker::{run_worker, WorkerOptions};

/// Where the intake's streams are and what they are called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeConfig {
    /// `nats://host:port`.
    pub nats_url: String,
    /// The items stream; the dead-letter and matching streams are named after it.
    pub stream: String,
    /// The first token of every subject.
    pub subject_prefix: String,
    /// How long a worker may hold a message before JetStream gives it to another worker: a worker retrying
    /// a write that PostgreSQL refuses for the moment tells JetStream it is still at it, so this only matters
    /// for a worker that died or hangs. Set when the workers' consumer is created.
    pub ack_wait: Duration,
}

/// The stream's default name.
pub const DEFAULT_STREAM: &str = "TANGKAL_ITEMS";
/// The subjects' default first token.
pub const DEFAULT_SUBJECT_PREFIX: &str = "tangkal";
/// The items stream's consumer, shared by every worker.
pub const WORKERS: &str = "workers";
/// The matching stream's consumer, shared by every worker.
pub const MATCHERS: &str = "matchers";

/// Headers of the intake's messages.
pub mod headers {
    /// On an item message: `item` when the payload is a whole [`tangkal_model::Item`] as JSON (a CSV row or a
    /// feed entry, whose raw record is not in the item format); absent when it is an item-format line.
    pub const RECORD: &str = "Tangkal-Record";
    /// On a dead letter: why the record could not be stored.
    pub const DEAD_REASON: &str = "Tangkal-Dead-Reason";
    /// On a dead letter: how many times the message had been delivered.
    pub const DEAD_DELIVERIES: &str = "Tangkal-Dead-Deliveries";
    /// On a dead letter: the message's sequence in the items stream.
    pub const DEAD_STREAM_SEQ: &str = "Tangkal-Dead-Stream-Seq";
    /// On a dead letter: the subject the message was published to.
    pub const DEAD_SUBJECT: &str = "Tangkal-Dead-Subject";
}

impl IntakeConfig {
    /// The default stream and prefix at `nats_url`.
    pub fn new(nats_url: impl Into<String>) -> IntakeConfig {
        IntakeConfig {
            nats_url: nats_url.into(),
            stream: DEFAULT_STREAM.into(),
            subject_prefix: DEFAULT_SUBJECT_PREFIX.into(),
            ack_wait: Duration::from_secs(30),
        }
    }

    pub fn items_subject(&self, platform: &str) -> String {
        format!("{}.items.{platform}", self.subject_prefix)
    }

    pub fn dead_subject(&self) -> String {
        format!("{}.dead.items", self.subject_prefix)
    }

    pub fn match_subject(&self) -> String {
        format!("{}.match", self.subject_prefix)
    }

    pub fn dead_stream(&self) -> String {
        format!("{}_DEAD", self.stream)
    }

    pub fn match_stream(&self) -> String {
        format!("{}_MATCH", self.stream)
    }

    /// Where workers and the placer say they are alive: the last message on each subject, kept for
    /// [`HEARTBEAT_TTL`] (a key-value bucket without the bucket: NATS 2.9's answer to creating one is not
    /// one the client reads).
    pub fn heartbeat_stream(&self) -> String {
        format!("{}_ALIVE", self.stream)
    }

    pub fn heartbeat_subject(&self, key: &str) -> String {
        format!("{}.alive.{key}", self.subject_prefix)
    }
}

/// A connection to NATS with the intake's streams and consumers in place.
#[derive(Clone)]
pub struct Intake {
    pub config: IntakeConfig,
    pub client: async_nats::Client,
    pub jetstream: jetstream::Context,
}

/// Messages the workers together may hold unacknowledged: each fetches at most a batch while it stores
/// another, so this only stops a runaway number of workers from taking the whole stream into memory.
const MAX_ACK_PENDING: i64 = 50_000;

/// How long heartbeats live: a worker or placer not heard from for this long is taken for dead.
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(15);

impl Intake {
    /// Connects and creates whatever of the streams and consumers is missing, so that a
    /// publisher may start before any worker (the items stream keeps messages until a worker takes them).
    pub async fn connect(config: &IntakeConfig) -> anyhow::Result<Intake> {
        let client = async_nats::ConnectOptions::new()
            .name("tangkal")
            .connection_timeout(Duration::from_secs(10))
            .connect(config.nats_url.as_str())
            .await
            .with_context(|| format!("cannot connect to NATS at {}", config.nats_url))?;
        let jetstream = jetstream::new(client.clone());
        let intake = Intake { config: config.clone(), client, jetstream };
        intake.ensure().await?;
        Ok(intake)
    }

    async fn ensure(&self) -> anyhow::Result<()> {
        let config = &self.config;
        let items = self
            .jetstream
            .get_or_create_stream(stream::Config {
                name: config.stream.clone(),
                subjects: vec![format!("{}.items.>", config.subject_prefix)],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot create or open the stream {}", config.stream))?;
        items
            .get_or_create_consumer(WORKERS, workers_consumer(config))
            .await
            .context("cannot create the workers' consumer")?;
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: config.dead_stream(),
                subjects: vec![config.dead_subject()],
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot create or open the stream {}", config.dead_stream()))?;
        let matching = self
            .jetstream
            .get_or_create_stream(stream::Config {
                name: config.match_stream(),
                subjects: vec![config.match_subject()],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot create or open the stream {}", config.match_stream()))?;
        matching
            .get_or_create_consumer(
                MATCHERS,
                consumer::pull::Config {
                    durable_name: Some(MATCHERS.into()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(120),
                    max_ack_pending: MAX_ACK_PENDING,
                    ..Default::default()
                },
            )
            .await
            .context("cannot create the matchers' consumer")?;
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: config.heartbeat_stream(),
                subjects: vec![format!("{}.alive.>", config.subject_prefix)],
                max_messages_per_subject: 1,
                max_age: HEARTBEAT_TTL,
                storage: stream::StorageType::Memory,
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot create or open the stream {}", config.heartbeat_stream()))?;
        Ok(())
    }

    /// The workers' consumer.
    pub async fn workers(&self) -> anyhow::Result<consumer::PullConsumer> {
        let stream = self.jetstream.get_stream(&self.config.stream).await?;
        stream.get_consumer(WORKERS).await.map_err(|e| anyhow::anyhow!("cannot open the workers' consumer: {e}"))
    }

    /// The matchers' consumer: workers taking the narratives the placer hands over.
    pub async fn matchers(&self) -> anyhow::Result<consumer::PullConsumer> {
        let stream = self.jetstream.get_stream(self.config.match_stream()).await?;
        stream.get_consumer(MATCHERS).await.map_err(|e| anyhow::anyhow!("cannot open the matchers' consumer: {e}"))
    }

    /// The workers' acknowledgement floor: the stream sequence at and below which every message was
    /// acknowledged (stored, repeated or dead-lettered). The consumer's own floor can lag: NATS 2.9 killed
    /// with -9 was seen to come back with a floor older than acknowledgements that had already removed their
    /// messages, and with nothing left to deliver it never moves again. The items stream is a work queue, so a
    /// message leaves it once acknowledged, and everything below its first remaining message was; the floor
    /// is the higher of the two. (A purged message leaves too, but was never stored: nothing to place.)
    pub async fn ack_floor(&self) -> anyhow::Result<i64> {
        let mut stream = self.jetstream.get_stream(&self.config.stream).await?;
        let mut workers: consumer::PullConsumer = stream
            .get_consumer(WORKERS)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the workers' consumer: {e}"))?;
        let consumer_floor =
            workers.info().await.context("cannot read the workers' consumer")?.ack_floor.stream_sequence;
        let first_left = stream.info().await.context("cannot read the items stream")?.state.first_sequence;
        Ok(consumer_floor.max(first_left.saturating_sub(1)) as i64)
    }

    /// Removes the streams with everything in them (tests use a stream each).
    pub async fn delete(&self) -> anyhow::Result<()> {
        let config = &self.config;
        for stream in [config.stream.clone(), config.dead_stream(), config.match_stream(), config.heartbeat_stream()] {
            self.jetstream.delete_stream(&stream).await.with_context(|| format!("cannot delete {stream}"))?;
        }
        Ok(())
    }
}

/// The workers' consumer as [`Intake::connect`] creates it.
fn workers_consumer(config: &IntakeConfig) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(WORKERS.into()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: config.ack_wait,
        // Workers count deliveries themselves and dead-letter a message on its last one (see
        // `WorkerOptions::max_deliver`): a message JetStream gave up on would stay below the acknowledgement
        // floor for good, and the placer with it.
        max_deliver: -1,
        max_ack_pending: MAX_ACK_PENDING,
        ..Default::default()
    }
}

/// A runtime for the synchronous callers (the CLI): the intake's own work is asynchronous, the store's
/// calls run on blocking threads.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// A thread of its own for synchronous store work. The `postgres` client drives a runtime of its own, which
/// must not be started (nor a client dropped) on the threads of the asynchronous runtime; the state lives and
/// dies on this thread, and jobs reach it in order.
pub(crate) struct StoreThread<S> {
    jobs: std::sync::mpsc::Sender<Job<S>>,
}

type Job<S> = Box<dyn FnOnce(&mut S) + Send>;

impl<S: Send + 'static> StoreThread<S> {
    pub(crate) fn start(name: &str, mut state: S) -> StoreThread<S> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job<S>>();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                for job in queue {
                    job(&mut state);
                }
            })
            .expect("a thread for the store");
        StoreThread { jobs }
    }

    /// Queues `job`; its answer arrives on the receiver.
    pub(crate) fn submit<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut S) -> R + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<R> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = Box::new(move |state: &mut S| {
            let _ = answer.send(job(state));
        });
        // A thread that ended (its job panicked) drops the job, and the receiver reports it.
        let _ = self.jobs.send(job);
        answered
    }

    pub(crate) async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut S) -> R + Send + 'static,
    ) -> anyhow::Result<R> {
        self.submit(job).await.map_err(|_| anyhow::anyhow!("the store thread stopped (a panic)"))
    }
}
