use std::sync::{mpsc, Arc, Mutex};

use anyhow::Context;

use serde::Serialize;
use tangkal_model::{Identity, Item, ItemId};
use tangkal_narratives::features::{Features, Featurizer};
use tangkal_store::{ItemPlan, ItemRecord, Placement, Store};

use crate::source::Source;
use crate::{Reject, RejectWriter};

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Records per transaction: larger is faster (each commit rewrites the index pages it touched),
    /// smaller loses less work to a crash.
    pub batch_size: usize,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions { batch_size: 100_000 }
    }
}

/// Records handed from the parsing thread to the writing thread at a time: small, so that memory stays
/// flat however large a transaction is.
const HANDOFF: usize = 2_048;

/// What an import did. `read` = `new` + `updated` + `duplicate` + `rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    pub read: u64,
    pub new: u64,
    pub updated: u64,
    pub duplicate: u64,
    pub rejected: u64,
}

impl std::ops::AddAssign for IngestSummary {
    fn add_assign(&mut self, other: IngestSummary) {
        self.read += other.read;
        self.new += other.new;
        self.updated += other.updated;
        self.duplicate += other.duplicate;
        self.rejected += other.rejected;
    }
}

/// Told after every commit, e.g. to move a progress bar.
pub trait Progress {
    fn batch_committed(&self, so_far: &IngestSummary);
}

impl Progress for () {
    fn batch_committed(&self, _: &IngestSummary) {}
}

/// Work that goes with writing: placing each new item (in a narrative) before it is written, on a
/// thread of its own, and whatever follows every commit, on the writing thread.
pub trait Stage: Send {
    /// The featurizer whose features [`Stage::place`] expects, for a stage that places items.
    fn featurizer(&self) -> Option<Featurizer> {
        None
    }
    /// Told of each item the store does not have yet, in order, with the row id it will get.
    fn place(&mut self, _id: ItemId, _item: &Item, _features: &Features) -> Option<Placement> {
        None
    }
    fn after_commit(&mut self, store: &mut dyn Store) -> anyhow::Result<()>;
}

/// Items with what the worker derived from them: identity and text features (whose exact-form hash
/// is the stored fingerprint).
struct Batch {
    items: Vec<(Item, Identity, Features)>,
    rejects: Vec<Reject>,
}

/// Reads every source in turn into the store, one transaction per `batch_size` records. Three threads
/// overlap: one parses and analyses records, one places new items (the stages' [`Stage::place`]), and
/// this one writes: it plans a hand-off (which records are new, their row ids), passes it on to be
/// placed, and meanwhile inserts the hand-off placed before. A fatal error (unreadable file, store
/// failure) stops the run after the transactions already committed, which a re-run will recognise as
/// duplicates.
pub fn ingest(
    store: &mut dyn Store,
    sources: Vec<Box<dyn Source>>,
    rejects: &mut RejectWriter,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> anyhow::Result<IngestSummary> {
    ingest_with_stages(store, sources, rejects, options, progress, &mut [])
}

/// [`ingest`], with `stages` placing new items and running after every commit.
pub fn ingest_with_stages(
    store: &mut dyn Store,
    sources: Vec<Box<dyn Source>>,
    rejects: &mut RejectWriter,
    options: &IngestOptions,
    progress: &dyn Progress,
    stages: &mut [&mut dyn Stage],
) -> anyhow::Result<IngestSummary> {
    let mut summary = IngestSummary::default();
    let batch_size = options.batch_size.max(1);
    let placing_featurizer = stages.iter().find_map(|stage| stage.featurizer());
    // Without a stage that places items, only the stored fingerprint is needed of the text features.
    let fingerprint_only = placing_featurizer.is_none();
    let featurizer = placing_featurizer.unwrap_or_default();
    let stages = Mutex::new(stages);
    for mut source in sources {
        let described = source.describe();
        let mut featurizer = featurizer.fresh();
        std::thread::scope(|scope| -> anyhow::Result<()> {
            // One hand-off waiting while one is written and one is read keeps the threads busy.
            let (sender, receiver) = mpsc::sync_channel::<anyhow::Result<Batch>>(1);
            // Written batches go back to be emptied there: the memory is freed by the thread that
            // allocated it, off the writing thread, and the vectors are reused.
            let (recycle, recycled) = mpsc::channel::<Batch>();
            let handoff = HANDOFF.min(batch_size);
            scope.spawn(move || {
                let mut analyse = |text: &str| {
                    if fingerprint_only {
                        Features { exact: featurizer.fingerprint(text), shingles: Vec::new() }
                    } else {
                        featurizer.features(text)
                    }
                };
                read_batches(source.as_mut(), &mut analyse, handoff, sender, recycled)
            });
            let (to_place, placing) = mpsc::sync_channel::<(Arc<Batch>, Vec<(usize, i64)>)>(1);
            let (placed, placements) = mpsc::sync_channel::<Vec<Option<Placement>>>(1);
            let stages = &stages;
            scope.spawn(move || {
                for (batch, new) in placing {
                    let placements = place(&mut stages.lock().expect("no stage panicked"), &batch, &new);
                    drop(batch);
                    if placed.send(placements).is_err() {
                        return;
                    }
                }
            });
            // The planned hand-off waiting for its placements, and what the open transaction holds.
            let mut waiting: Option<(Arc<Batch>, ItemPlan)> = None;
            // Counts what the insert did: the plan's counts, unless another writer stored some of its
            // records meanwhile (then they are repeats of that writer's rows).
            let insert_waiting =
                |store: &mut dyn Store, waiting: &mut Option<(Arc<Batch>, ItemPlan)>, open: &mut IngestSummary| {
                    let Some((batch, plan)) = waiting.take() else { return Ok(()) };
                    let placements = placements.recv().context("the placing thread stopped")?;
                    let planned = plan.counts;
                    let done = store.insert_planned(plan, &records(&batch), &placements)?;
                    open.new = open.new - planned.new + done.new;
                    open.updated = open.updated - planned.updated + done.updated;
                    open.duplicate = open.duplicate - planned.duplicate + done.duplicate;
                    if let Ok(batch) = Arc::try_unwrap(batch) {
                        let _ = recycle.send(batch);
                    }
                    anyhow::Ok(())
                };
            let mut open = IngestSummary::default();
            let mut receiver = receiver.into_iter().peekable();
            while let Some(batch) = receiver.next() {
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(e) => {
                        // Keep what was read well before the source failed.
                        insert_waiting(store, &mut waiting, &mut open)?;
                        commit(store, stages, rejects, &mut open, &mut summary, progress)?;
                        return Err(e);
                    }
                };
                if open.read == 0 {
                    store.begin_writes()?;
                }
                let plan = store.plan_items(&described, &records(&batch))?;
                let batch = Arc::new(batch);
                to_place.send((batch.clone(), plan.new.clone())).context("the placing thread stopped")?;
                insert_waiting(store, &mut waiting, &mut open)?;
                for reject in &batch.rejects {
                    tracing::warn!(target: "tangkal::ingest", "rejected {reject}");
                    rejects.write(reject)?;
                }
                let rejected = batch.rejects.len() as u64;
                open += IngestSummary {
                    read: batch.items.len() as u64 + rejected,
                    new: plan.counts.new,
                    updated: plan.counts.updated,
                    duplicate: plan.counts.duplicate,
                    rejected,
                };
                waiting = Some((batch, plan));
                if open.read >= batch_size as u64 || receiver.peek().is_none() {
                    insert_waiting(store, &mut waiting, &mut open)?;
                    commit(store, stages, rejects, &mut open, &mut summary, progress)?;
                }
            }
            Ok(())
        })?;
    }
    Ok(summary)
}

/// The records of a batch as the store takes them.
fn records(batch: &Batch) -> Vec<ItemRecord<'_>> {
    batch
        .items
        .iter()
        .map(|(item, identity, features)| ItemRecord { item, identity: *identity, fingerprint: features.exact })
        .collect()
}

/// Where the stages place the new items (`new`: position in the batch and row id) of a batch.
fn place(stages: &mut [&mut dyn Stage], batch: &Batch, new: &[(usize, i64)]) -> Vec<Option<Placement>> {
    new.iter()
        .map(|&(position, id)| {
            let (item, _, features) = &batch.items[position];
            let mut placement = None;
            for stage in stages.iter_mut() {
                placement = placement.or(stage.place(ItemId(id), item, features));
            }
            placement
        })
        .collect()
}

/// Commits the open transaction, then runs what follows a commit; `open` (what the transaction held)
/// moves into `summary`.
fn commit(
    store: &mut dyn Store,
    stages: &Mutex<&mut [&mut dyn Stage]>,
    rejects: &mut RejectWriter,
    open: &mut IngestSummary,
    summary: &mut IngestSummary,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    store.commit_writes()?;
    rejects.flush()?;
    for stage in stages.lock().expect("no stage panicked").iter_mut() {
        stage.after_commit(store)?;
    }
    *summary += std::mem::take(open);
    progress.batch_committed(summary);
    Ok(())
}

/// The worker side: parse and analyse records into hand-offs of `handoff` records. Stops early if the
/// writer has gone.
fn read_batches(
    source: &mut dyn Source,
    analyse: &mut dyn FnMut(&str) -> Features,
    handoff: usize,
    sender: mpsc::SyncSender<anyhow::Result<Batch>>,
    recycled: mpsc::Receiver<Batch>,
) {
    let new_batch = || match recycled.try_recv() {
        Ok(mut batch) => {
            batch.items.clear();
            batch.rejects.clear();
            batch
        }
        Err(_) => Batch { items: Vec::with_capacity(handoff), rejects: Vec::new() },
    };
    let mut batch = new_batch();
    loop {
        match source.next_record() {
            Ok(Some(Ok(item))) => {
                let features = analyse(&item.text);
                let identity = item.identity();
                batch.items.push((item, identity, features));
            }
            Ok(Some(Err(reject))) => batch.rejects.push(reject),
            Ok(None) => {
                let _ = sender.send(Ok(batch));
                return;
            }
            Err(e) => {
                let _ = sender.send(Ok(batch));
                let _ = sender.send(Err(e));
                return;
            }
        }
        if batch.items.len() + batch.rejects.len() >= handoff
            && sender.send(Ok(std::mem::replace(&mut batch, new_batch()))).is_err()
        {
            return;
        }
    }
}
