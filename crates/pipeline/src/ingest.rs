use std::sync::mpsc;

use serde::Serialize;
use tangkal_model::{Identity, Item};
use tangkal_narratives::features::{Features, Featurizer};
use tangkal_store::{ItemRecord, Placement, Store};

use crate::source::Source;
use crate::{Reject, RejectWriter};

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Records per transaction.
    pub batch_size: usize,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions { batch_size: 5_000 }
    }
}

/// What an import did. `read` = `new` + `updated` + `duplicate` + `rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    pub read: u64,
    pub new: u64,
    pub updated: u64,
    pub duplicate: u64,
    pub rejected: u64,
}

/// Told after every committed batch, e.g. to move a progress bar.
pub trait Progress {
    fn batch_committed(&self, so_far: &IngestSummary);
}

impl Progress for () {
    fn batch_committed(&self, _: &IngestSummary) {}
}

/// Work that goes with writing: placing each new item (in a narrative) as its batch is written, and
/// whatever follows every committed batch on the writing thread.
pub trait Stage {
    /// The featurizer whose features [`Stage::place`] expects, for a stage that places items.
    fn featurizer(&self) -> Option<Featurizer> {
        None
    }
    /// Told of each item the store does not have yet, in order, with the row id it will get.
    fn place(&mut self, _id: i64, _item: &Item, _features: &Features) -> Option<Placement> {
        None
    }
    fn after_batch(&mut self, store: &mut dyn Store) -> anyhow::Result<()>;
}

/// Items with what the worker derived from them: identity and text features (whose exact-form hash
/// is the stored fingerprint).
struct Batch {
    items: Vec<(Item, Identity, Features)>,
    rejects: Vec<Reject>,
}

/// Reads every source in turn into the store. Parsing and analysis run on a second thread while this one
/// writes, one transaction per batch; a fatal error (unreadable file, store failure) stops the run after
/// the batches already committed, which a re-run will recognise as duplicates.
pub fn ingest(
    store: &mut dyn Store,
    sources: Vec<Box<dyn Source>>,
    rejects: &mut RejectWriter,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> anyhow::Result<IngestSummary> {
    ingest_with_stages(store, sources, rejects, options, progress, &mut [])
}

/// [`ingest`], running `stages` after every committed batch.
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
    let featurizer = stages.iter().find_map(|stage| stage.featurizer()).unwrap_or_default();
    for mut source in sources {
        let described = source.describe();
        let mut featurizer = featurizer.fresh();
        std::thread::scope(|scope| -> anyhow::Result<()> {
            // One batch waiting while one is written and one is read keeps both threads busy.
            let (sender, receiver) = mpsc::sync_channel::<anyhow::Result<Batch>>(1);
            scope.spawn(move || read_batches(source.as_mut(), &mut featurizer, batch_size, sender));
            for batch in receiver {
                let batch = batch?;
                let records: Vec<ItemRecord<'_>> = batch
                    .items
                    .iter()
                    .map(|(item, identity, features)| ItemRecord {
                        item,
                        identity: *identity,
                        fingerprint: features.exact,
                    })
                    .collect();
                let counts = store.write_placed_items(&described, &records, &mut |id, position| {
                    let (item, _, features) = &batch.items[position];
                    let mut placement = None;
                    for stage in stages.iter_mut() {
                        placement = placement.or(stage.place(id, item, features));
                    }
                    placement
                })?;
                for stage in stages.iter_mut() {
                    stage.after_batch(store)?;
                }
                for reject in &batch.rejects {
                    tracing::warn!(target: "tangkal::ingest", "rejected {reject}");
                    rejects.write(reject)?;
                }
                rejects.flush()?;
                summary.read += (batch.items.len() + batch.rejects.len()) as u64;
                summary.new += counts.new;
                summary.updated += counts.updated;
                summary.duplicate += counts.duplicate;
                summary.rejected += batch.rejects.len() as u64;
                progress.batch_committed(&summary);
            }
            Ok(())
        })?;
    }
    Ok(summary)
}

/// The worker side: parse and analyse records into batches. Stops early if the writer has gone.
fn read_batches(
    source: &mut dyn Source,
    featurizer: &mut Featurizer,
    batch_size: usize,
    sender: mpsc::SyncSender<anyhow::Result<Batch>>,
) {
    let new_batch = || Batch { items: Vec::with_capacity(batch_size), rejects: Vec::new() };
    let mut batch = new_batch();
    loop {
        match source.next_record() {
            Ok(Some(Ok(item))) => {
                let features = featurizer.features(&item.text);
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
        if batch.items.len() + batch.rejects.len() >= batch_size
            && sender.send(Ok(std::mem::replace(&mut batch, new_batch()))).is_err()
        {
            return;
        }
    }
}
