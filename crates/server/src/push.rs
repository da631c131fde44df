//! The push intake: posts and articles that collectors send to `POST /api/v1/items` (a scraper, a
//! partner's monitoring feed, a drill) go the way `tangkal ingest` takes them.
//!
//! - On its own ([`LocalIntake`]) the server stores them once by their identity, places them in narratives,
//!   matches the narratives they changed against the fact-checks and opens cases for debunked ones. One
//!   thread writes, taking the data directory's import lock for each batch, so that pushes and command-line
//!   imports take turns as imports always do; requests queue for it.
//! - With the distributed intake configured ([`DistributedIntake`]) it validates them as `tangkal ingest
//!   --to` does and publishes them to the items stream; the answer comes once JetStream has them, and the
//!   workers and the placer do the rest.

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tangkal_cases::Clock;
use tangkal_intake::{Intake, IntakeConfig};
use tangkal_pipeline::{ColumnMap, Detection, Format, IngestOptions, IngestSummary, RejectWriter, Source};
use tangkal_store::{AuditFiles, Store, StoreLocation};
use tokio::sync::oneshot;

/// Batches waiting for the writer beyond the one it is writing: more are refused (503) rather than
/// held in memory.
const QUEUE: usize = 8;
/// The narratives' snapshot (read by command-line imports and by report placement) is written at most
/// this often while pushes arrive, and when the server stops.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(60);
/// Rejects named in an answer; every one is in the reject file.
pub const REJECTS_SHOWN: usize = 100;

/// What one push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Stored here: what the store made of the items. Published: only `read`, `duplicate` (a re-send
    /// JetStream dropped) and `rejected` are known.
    pub summary: IngestSummary,
    /// Taken by the distributed intake's stream, to be stored by its workers.
    pub queued: u64,
    /// Cases opened for narratives this push made debunked.
    pub cases_opened: u64,
    /// The first [`REJECTS_SHOWN`] refused records: position (1-based) and reason.
    pub rejects: Vec<(u64, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the intake is busy: {QUEUE} batches are waiting")]
    Busy,
    #[error("the intake has stopped")]
    Stopped,
    /// The distributed intake's NATS cannot be reached or did not take the items.
    #[error("the intake's stream does not answer: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

struct Job {
    /// One item per line, in the item format.
    lines: Vec<u8>,
    done: oneshot::Sender<anyhow::Result<Pushed>>,
}

/// Where pushed items go.
pub enum PushIntake {
    Local(LocalIntake),
    Distributed(Box<DistributedIntake>),
}

impl PushIntake {
    /// Publishes to `distributed` when it is set, else stores in `store`.
    pub fn start(
        store: StoreLocation,
        audit_files: AuditFiles,
        clock: Arc<dyn Clock>,
        max_text_bytes: usize,
        distributed: Option<IntakeConfig>,
    ) -> PushIntake {
        match distributed {
            Some(config) => {
                PushIntake::Distributed(Box::new(DistributedIntake::new(config, store, clock, max_text_bytes)))
            }
            None => PushIntake::Local(LocalIntake::start(store, audit_files, clock, max_text_bytes)),
        }
    }

    /// Takes `lines` (JSON Lines in the item format) and answers once they are committed (stored here, or
    /// acknowledged by JetStream).
    pub async fn push(&self, lines: Vec<u8>) -> Result<Pushed, PushError> {
        match self {
            PushIntake::Local(local) => local.push(lines).await,
            PushIntake::Distributed(distributed) => distributed.push(lines).await,
        }
    }

    /// The distributed intake, when pushes go there.
    pub fn distributed(&self) -> Option<&DistributedIntake> {
        match self {
            PushIntake::Local(_) => None,
            PushIntake::Distributed(distributed) => Some(distributed),
        }
    }

    pub fn stop(&self) {
        if let PushIntake::Local(local) = self {
            local.stop();
        }
    }
}

pub struct LocalIntake {
    jobs: Mutex<Option<mpsc::SyncSender<Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What the writer thread needs; its store and stages are opened with the first push.
struct Writer {
    store: StoreLocation,
    audit_files: AuditFiles,
    clock: Arc<dyn Clock>,
    max_text_bytes: usize,
}

impl LocalIntake {
    fn start(store: StoreLocation, audit_files: AuditFiles, clock: Arc<dyn Clock>, max_text_bytes: usize) -> Self {
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let writer = Writer { store, audit_files, clock, max_text_bytes };
        let handle = std::thread::Builder::new()
            .name("push-intake".into())
            .spawn(move || writer.run(queue))
            .expect("a thread can be started");
        LocalIntake { jobs: Mutex::new(Some(jobs)), writer: Mutex::new(Some(handle)) }
    }

    /// Stores `lines` (JSON Lines in the item format) and answers once they are committed.
    async fn push(&self, lines: Vec<u8>) -> Result<Pushed, PushError> {
        let (done, answer) = oneshot::channel();
        {
            let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            let jobs = jobs.as_ref().ok_or(PushError::Stopped)?;
            jobs.try_send(Job { lines, done }).map_err(|e| match e {
                mpsc::TrySendError::Full(_) => PushError::Busy,
                mpsc::TrySendError::Disconnected(_) => PushError::Stopped,
            })?;
        }
        Ok(answer.await.map_err(|_| PushError::Stopped)??)
    }

    /// Lets the writer finish the batches it has and write the narratives' snapshot.
    fn stop(&self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

impl Writer {
    fn run(self, queue: mpsc::Receiver<Job>) {
        let mut open: Option<(Box<dyn Store>, Detection)> = None;
        let mut snapshot_due = false;
        let mut saved_at = Instant::now();
        for job in queue {
            let result = self.write(&mut open, job.lines);
            if result.is_err() {
                // Reopened from the store on the next push: a failed batch leaves nothing half-known.
                open = None;
            } else {
                snapshot_due = true;
            }
            if snapshot_due && saved_at.elapsed() >= SNAPSHOT_EVERY {
                self.save_snapshot(&open);
                (snapshot_due, saved_at) = (false, Instant::now());
            }
            let _ = job.done.send(result);
        }
        if snapshot_due {
            self.save_snapshot(&open);
        }
    }

    fn write(&self, open: &mut Option<(Box<dyn Store>, Detection)>, lines: Vec<u8>) -> anyhow::Result<Pushed> {
        let _turn = tangkal_store::ImportLock::acquire(&self.store)?;
        if open.is_none() {
            let mut store = crate::pool::open_store(&self.store, &self.audit_files)?;
            let detection = Detection::open(&self.store.data_dir, store.as_mut(), self.clock.clone())?;
            *open = Some((store, detection));
        }
        let (store, detection) = open.as_mut().expect("opened above");
        let source = request_source(lines, self.max_text_bytes)?;
        let mut rejects = reject_writer(&self.store, self.clock.as_ref());
        let before = detection.totals().cases_opened;
        let options = IngestOptions { batch_size: usize::MAX };
        let summary = detection.ingest(store.as_mut(), vec![source], &mut rejects, &options, &())?;
        rejects.flush()?;
        Ok(Pushed {
            summary,
            queued: 0,
            cases_opened: detection.totals().cases_opened - before,
            rejects: kept_rejects(&rejects),
        })
    }

    fn save_snapshot(&self, open: &Option<(Box<dyn Store>, Detection)>) {
        let Some((_, detection)) = open else { return };
        let saved = tangkal_store::ImportLock::acquire(&self.store)
            .map_err(anyhow::Error::from)
            .and_then(|_turn| detection.save_snapshot());
        if let Err(e) = saved {
            tracing::warn!(target: "tangkal::push", "cannot write the narratives' snapshot: {e:#}");
        }
    }
}

/// A push's lines as a source, read as `tangkal ingest` reads a JSON Lines file.
fn request_source(lines: Vec<u8>, max_text_bytes: usize) -> anyhow::Result<Box<dyn Source>> {
    tangkal_pipeline::open_reader(
        "request".into(),
        Box::new(std::io::Cursor::new(lines)),
        Format::Jsonl,
        &ColumnMap::default(),
        max_text_bytes,
    )
}

/// Refused pushed items go to one reject file a day in the data directory.
fn reject_writer(store: &StoreLocation, clock: &dyn Clock) -> RejectWriter {
    let stamp = clock.now().format("%Y%m%d");
    RejectWriter::keeping(store.data_dir.join("rejects").join(format!("push-{stamp}.jsonl")), REJECTS_SHOWN)
}

fn kept_rejects(rejects: &RejectWriter) -> Vec<(u64, String)> {
    rejects.kept().iter().map(|r| (r.line, r.reason.clone())).collect()
}

/// Pushes published to the distributed intake's stream. NATS is reached on the first push (and again after
/// it was lost), so the server starts whether or not NATS is up; at most [`QUEUE`] pushes are published at
/// once, more are refused as busy.
pub struct DistributedIntake {
    config: IntakeConfig,
    intake: tokio::sync::OnceCell<Intake>,
    turns: tokio::sync::Semaphore,
    store: StoreLocation,
    clock: Arc<dyn Clock>,
    max_text_bytes: usize,
}

impl DistributedIntake {
    fn new(config: IntakeConfig, store: StoreLocation, clock: Arc<dyn Clock>, max_text_bytes: usize) -> Self {
        DistributedIntake {
            config,
            intake: tokio::sync::OnceCell::new(),
            turns: tokio::sync::Semaphore::new(QUEUE),
            store,
            clock,
            max_text_bytes,
        }
    }

    /// The connection to the intake, made on first use.
    pub async fn intake(&self) -> anyhow::Result<&Intake> {
        let connect = || async {
            tokio::time::timeout(CONNECT_WAIT, Intake::connect(&self.config)).await.map_err(|_| {
                anyhow::anyhow!("no answer from NATS at {} within {CONNECT_WAIT:?}", self.config.nats_url)
            })?
        };
        self.intake.get_or_try_init(connect).await
    }

    async fn push(&self, lines: Vec<u8>) -> Result<Pushed, PushError> {
        let _turn = self.turns.try_acquire().map_err(|_| PushError::Busy)?;
        let intake = self.intake().await.map_err(|e| PushError::Unavailable(format!("{e:#}")))?;
        let source = request_source(lines, self.max_text_bytes)?;
        let mut rejects = reject_writer(&self.store, self.clock.as_ref());
        let published =
            tangkal_intake::publish(intake, vec![source], &mut rejects, tangkal_intake::publish::DEFAULT_WINDOW)
                .await
                .map_err(|e| PushError::Unavailable(format!("{e:#}")))?;
        Ok(Pushed {
            summary: IngestSummary {
                read: published.read,
                duplicate: published.duplicate,
                rejected: published.rejected,
                ..IngestSummary::default()
            },
            queued: published.published,
            cases_opened: 0,
            rejects: kept_rejects(&rejects),
        })
    }
}

/// How long a push waits for NATS to answer a connection.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
