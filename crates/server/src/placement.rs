//! Which narrative a citizen report reads like: the rule that places posts (`NarrativeIndex::place`:
//! the same copy or a near-duplicate of one, by word shingles) over the narratives the last ingest left
//! in the data directory (its snapshot), so that a report is placed like a post without becoming part
//! of the stream. The snapshot is reloaded when an ingest replaces it.
//!
//! Nothing is added to the items table or its indexes for this: imports pay nothing for report
//! placement. The price is the index in the server's memory, and that narratives started after the
//! last ingest ended are found only once its snapshot is written.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use tangkal_model::NarrativeId;
use tangkal_narratives::index::Scratch;
use tangkal_narratives::Tracker;

pub struct Narratives {
    data_dir: PathBuf,
    loaded: RwLock<Option<Arc<Loaded>>>,
}

struct Loaded {
    tracker: Tracker,
    /// The snapshot file's modification time and size when read.
    stamp: Stamp,
    scratch: Mutex<Vec<Scratch>>,
}

type Stamp = Option<(SystemTime, u64)>;

impl Narratives {
    /// Reads the snapshot in `data_dir`, if there is one; one that cannot be read is logged and
    /// ignored (reports are then not placed), never a reason not to start.
    pub fn load(data_dir: PathBuf) -> Narratives {
        let narratives = Narratives { data_dir, loaded: RwLock::new(None) };
        if let Err(e) = narratives.refresh() {
            tracing::warn!(target: "tangkal::reports", "reports will not be placed in narratives: {e:#}");
        }
        narratives
    }

    fn stamp(&self) -> Stamp {
        let meta = std::fs::metadata(self.data_dir.join(tangkal_pipeline::NARRATIVES_SNAPSHOT_FILE)).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }

    /// Reads the snapshot again if it changed since it was read; true when it did. Blocking file I/O.
    pub fn refresh(&self) -> anyhow::Result<bool> {
        let stamp = self.stamp();
        let known = self.loaded.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|l| l.stamp);
        if known.unwrap_or(None) == stamp {
            return Ok(false);
        }
        let loaded = tangkal_pipeline::stored_tracker(&self.data_dir)?
            .map(|tracker| Arc::new(Loaded { tracker, stamp, scratch: Mutex::default() }));
        if let Some(l) = &loaded {
            let index = l.tracker.index();
            tracing::info!(target: "tangkal::reports", "placing reports among {} narratives", index.narratives());
        }
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = loaded;
        Ok(true)
    }

    /// The narrative `text` would join if it were posted now (its id as the store knows it), if any.
    pub fn place(&self, text: &str) -> Option<NarrativeId> {
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner()).clone()?;
        let features = loaded.tracker.featurizer().features(text);
        let mut scratch = loaded.scratch.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
        let placed = loaded.tracker.index().place(&features, &mut scratch);
        loaded.scratch.lock().unwrap_or_else(|e| e.into_inner()).push(scratch);
        placed.map(|(narrative, _)| narrative)
    }
}
