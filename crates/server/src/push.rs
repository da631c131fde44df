//! The push intake: posts and articles that collectors send to `POST /api/v1/items` (a scraper, a
//! partner's monitoring feed, a drill) go the way `tangkal ingest` takes them: stored once by their
//! identity, placed in narratives, the narratives they changed matched against the fact-checks, and cases
//! opened for debunked ones. One thread writes, taking the data directory's import lock for each batch,
//! so that pushes and command-line imports take turns as imports always do; requests queue for it.

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tangkal_cases::Clock;
use tangkal_pipeline::{ColumnMap, Detection, Format, IngestOptions, RejectWriter};
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
    pub summary: tangkal_pipeline::IngestSummary,
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
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

struct Job {
    /// One item per line, in the item format.
    lines: Vec<u8>,
    done: oneshot::Sender<anyhow::Result<Pushed>>,
}

pub struct PushIntake {
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

impl PushIntake {
    pub fn start(store: StoreLocation, audit_files: AuditFiles, clock: Arc<dyn Clock>, max_text_bytes: usize) -> Self {
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let writer = Writer { store, audit_files, clock, max_text_bytes };
        let handle = std::thread::Builder::new()
            .name("push-intake".into())
            .spawn(move || writer.run(queue))
            .expect("a thread can be started");
        PushIntake { jobs: Mutex::new(Some(jobs)), writer: Mutex::new(Some(handle)) }
    }

    /// Stores `lines` (JSON Lines in the item format) and answers once they are committed.
    pub async fn push(&self, lines: Vec<u8>) -> Result<Pushed, PushError> {
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
    pub fn stop(&self) {
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
        let source = tangkal_pipeline::open_reader(
            "request".into(),
            Box::new(std::io::Cursor::new(lines)),
            Format::Jsonl,
            &ColumnMap::default(),
            self.max_text_bytes,
        )?;
        let stamp = self.clock.now().format("%Y%m%d");
        let path = self.store.data_dir.join("rejects").join(format!("push-{stamp}.jsonl"));
        let mut rejects = RejectWriter::keeping(path, REJECTS_SHOWN);
        let before = detection.totals().cases_opened;
        let options = IngestOptions { batch_size: usize::MAX };
        let summary = detection.ingest(store.as_mut(), vec![source], &mut rejects, &options, &())?;
        rejects.flush()?;
        Ok(Pushed {
            summary,
            cases_opened: detection.totals().cases_opened - before,
            rejects: rejects.kept().iter().map(|r| (r.line, r.reason.clone())).collect(),
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
