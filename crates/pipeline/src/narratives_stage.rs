//! Narrative assignment as an ingest stage: each new item is assigned before it is written, so the row
//! is stored with its narrative; the figures of the narratives that changed follow every few seconds
//! and when the import ends.
//!
//! Items can also reach the store without the stage (`tangkal ingest --no-detect`, an import killed
//! between the item write and the figures write, another writer): on start-up and after every commit the
//! stage asks the store for the items stored after the last one it assigned and assigns them after the
//! fact. Re-ingested duplicates are never new rows, so they are never assigned twice.
//!
//! The index survives restarts as a snapshot in the data directory, written by [`NarrativeStage::finish`]
//! together with the id of the last item it covers. On start-up the snapshot is loaded and the items
//! stored after that id are replayed; assignment is deterministic, so the replay gives the same ids
//! that were written before. Without a usable snapshot the index is rebuilt from the whole store.
//!
//! The distributed intake's placer reads the store in another order (the stream's) and keeps its snapshot
//! in the database: it opens the stage with [`NarrativeStage::resume`], hands it the stored items itself
//! ([`NarrativeStage::assign_stored`]), and the position it covers is then a stream sequence.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use tangkal_model::{Item, ItemId};
use tangkal_narratives::features::{Features, Featurizer};
use tangkal_narratives::index::{Assignment, Config, NarrativeId};
use tangkal_narratives::spread::{Sighting, SpreadBook};
use tangkal_narratives::Tracker;
use tangkal_store::{NarrativeInput, NarrativeMerge, NarrativeRow, NarrativeUpdate, Placement, Store};

/// The snapshot's file name inside the data directory.
pub const SNAPSHOT_FILE: &str = "narratives.snapshot";

/// Items read from the store per step.
const STEP: u64 = 20_000;

/// How often figures are written during an import: often enough for analysts watching it, rarely
/// enough that a live narrative is not rewritten with every batch.
const FIGURES_EVERY: Duration = Duration::from_secs(2);

pub struct NarrativeStage {
    tracker: Tracker,
    /// Where the tracker is in the store's items: the id of the last one it has seen, or for a stage fed by
    /// its caller, the caller's position.
    covered: i64,
    /// The snapshot file, for a stage that keeps its snapshot in the data directory.
    snapshot: Option<PathBuf>,
    /// Narratives with items in the last 24 hours: their velocity changes as time moves on.
    hot: BTreeSet<NarrativeId>,
    /// Newest publication time seen: the reference for velocities.
    now: i64,
    /// What the items observed since the last write changed, waiting for [`NarrativeStage::write`].
    pending: NarrativeUpdate,
    touched: BTreeSet<NarrativeId>,
    written_at: Instant,
}

impl NarrativeStage {
    /// Loads the snapshot from `data_dir` (or starts empty) and catches up with the store.
    pub fn open(data_dir: &Path, store: &mut dyn Store) -> anyhow::Result<NarrativeStage> {
        let snapshot = data_dir.join(SNAPSHOT_FILE);
        let loaded = match File::open(&snapshot) {
            Ok(file) => Some(read_snapshot(BufReader::with_capacity(1 << 20, file))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot open {}", snapshot.display())),
        };
        let mut stage = NarrativeStage::loaded(loaded, Some(snapshot));
        let replayed = stage.catch_up(store)?;
        if replayed > 0 {
            tracing::info!(target: "tangkal::narratives", "assigned {replayed} stored items to narratives");
        }
        Ok(stage)
    }

    /// A stage that starts from `snapshot` (as [`NarrativeStage::write_snapshot`] wrote it), or empty, and
    /// reads nothing of the store: its caller hands it the stored items ([`NarrativeStage::assign_stored`]).
    pub fn resume(snapshot: Option<&[u8]>) -> NarrativeStage {
        NarrativeStage::loaded(snapshot.map(read_snapshot), None)
    }

    /// The stage from a snapshot read (a broken one is reported and the index rebuilt), or empty.
    fn loaded(snapshot: Option<anyhow::Result<(Tracker, i64)>>, file: Option<PathBuf>) -> NarrativeStage {
        let (tracker, covered) = match snapshot {
            Some(Ok(loaded)) => loaded,
            Some(Err(e)) => {
                tracing::warn!(target: "tangkal::narratives", "rebuilding the narrative index: {e:#}");
                (new_tracker(), 0)
            }
            None => (new_tracker(), 0),
        };
        let now = tracker.spread().narratives().filter_map(|n| tracker.spread().last_seen(n)).max().unwrap_or(0);
        let hot = tracker.spread().narratives().filter(|&n| !tracker.spread().is_quiet(n, now)).collect();
        NarrativeStage {
            tracker,
            covered,
            snapshot: file,
            hot,
            now,
            pending: NarrativeUpdate::default(),
            touched: BTreeSet::new(),
            written_at: Instant::now(),
        }
    }

    /// The position the tracker has covered (see [`NarrativeStage::assign_stored`]).
    pub fn covered(&self) -> i64 {
        self.covered
    }

    /// Assigns every stored item the tracker has not seen (stored while it was not running); returns
    /// how many.
    pub fn catch_up(&mut self, store: &mut dyn Store) -> anyhow::Result<u64> {
        let mut assigned = 0;
        loop {
            let items = store.items_after(ItemId(self.covered), STEP)?;
            let Some(last) = items.last() else { return Ok(assigned) };
            let last = last.id.get();
            assigned += items.len() as u64;
            self.assign_stored(store, &items, last)?;
        }
    }

    /// Assigns stored items, in the order given, and writes what that changed; the stage has then covered
    /// `covered`, its caller's position after them (an item id, a stream sequence). Returns the narratives
    /// whose figures were written, each with its central copy's item.
    pub fn assign_stored(
        &mut self,
        store: &mut dyn Store,
        items: &[NarrativeInput],
        covered: i64,
    ) -> anyhow::Result<Vec<(NarrativeId, ItemId)>> {
        if items.is_empty() {
            self.covered = covered;
            return Ok(Vec::new());
        }
        for item in items {
            let sighting = Sighting {
                item: item.id,
                platform: &item.platform,
                account: item.account.as_deref(),
                published_at: item.published_at,
                views: item.views,
                shares: item.shares,
            };
            self.now = self.now.max(item.published_at);
            let observation = self.tracker.observe(&item.text, &sighting);
            let placement = self.record(item.id, &observation.assignment);
            self.pending.assignments.push((item.id, placement.narrative, placement.copy));
        }
        self.covered = covered;
        self.write(store)
    }

    /// Notes what one assignment changed.
    fn record(&mut self, item: ItemId, a: &Assignment) -> Placement {
        for &absorbed in &a.merged {
            self.pending.merges.push(NarrativeMerge { absorbed, into: a.narrative, item_id: item });
            self.touched.remove(&absorbed);
            self.hot.remove(&absorbed);
        }
        self.touched.insert(a.narrative);
        Placement { narrative: a.narrative, copy: a.representative as i64 }
    }

    /// Writes what is pending: merges, assignments made after the fact, and the figures of the
    /// narratives that changed or that just left the last 24 hours (their velocities fell to zero). Returns
    /// the narratives whose figures it wrote, each with its central copy's item.
    fn write(&mut self, store: &mut dyn Store) -> anyhow::Result<Vec<(NarrativeId, ItemId)>> {
        let now = self.now;
        let spread = self.tracker.spread();
        let cooled: Vec<NarrativeId> = self.hot.iter().copied().filter(|&n| spread.is_quiet(n, now)).collect();
        for n in &cooled {
            self.hot.remove(n);
        }
        self.hot.extend(self.touched.iter().copied());
        let mut update = std::mem::take(&mut self.pending);
        update.figures = self.touched.iter().chain(&cooled).filter_map(|&n| figures_row(spread, n, now)).collect();
        self.touched.clear();
        store.save_narratives(&update)?;
        self.written_at = Instant::now();
        Ok(update.figures.iter().map(|n| (n.id, n.representative_item_id)).collect())
    }

    /// Writes the figures of every narrative seen in the last 24 hours, so that velocities are as of the
    /// newest item.
    pub fn flush(&mut self, store: &mut dyn Store) -> anyhow::Result<Vec<(NarrativeId, ItemId)>> {
        self.touched.extend(self.hot.iter().copied());
        self.write(store)
    }

    /// [`NarrativeStage::flush`], then [`NarrativeStage::save_snapshot`].
    pub fn finish(&mut self, store: &mut dyn Store) -> anyhow::Result<()> {
        self.flush(store)?;
        self.save_snapshot()
    }

    /// Writes the snapshot (the tracker and the newest item it covers) into the data directory, so that the
    /// next opening starts from here; through a temporary file, so a crash leaves the old one intact.
    pub fn save_snapshot(&self) -> anyhow::Result<()> {
        let snapshot = self.snapshot.as_ref().context("this narrative stage keeps no snapshot file")?;
        let tmp = snapshot.with_extension("snapshot.tmp");
        let write = || -> std::io::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
            self.write_snapshot(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        };
        write().with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, snapshot).with_context(|| format!("cannot replace {}", snapshot.display()))
    }

    /// The snapshot: the covered position, then the tracker.
    pub fn write_snapshot(&self, mut out: impl Write) -> std::io::Result<()> {
        out.write_all(&self.covered.to_le_bytes())?;
        self.tracker.write_snapshot(out)
    }

    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }
}

fn figures_row(spread: &SpreadBook, narrative: NarrativeId, now: i64) -> Option<NarrativeRow> {
    let f = spread.figures(narrative, now)?;
    Some(NarrativeRow {
        id: f.narrative,
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        items: f.items,
        accounts: f.accounts,
        platforms: f.platforms,
        views: f.views,
        shares: f.shares,
        velocity_1h: f.velocity_1h,
        velocity_6h: f.velocity_6h,
        velocity_24h: f.velocity_24h,
        accelerating: f.accelerating,
        representative_item_id: f.representative_item,
    })
}

impl crate::Stage for NarrativeStage {
    fn featurizer(&self) -> Option<Featurizer> {
        Some(self.tracker.featurizer())
    }

    /// Items arriving through ingest are assigned here, before they are written, so that each row is
    /// stored with its narrative.
    fn place(&mut self, id: ItemId, item: &Item, features: &Features) -> Option<Placement> {
        let sighting = Sighting {
            item: id,
            platform: &item.platform,
            account: item.author.as_ref().map(|a| a.id.as_str()),
            published_at: item.published_at.timestamp(),
            views: item.metrics.views,
            shares: item.metrics.shares,
        };
        self.now = self.now.max(sighting.published_at);
        let observation = self.tracker.observe_features(features, &sighting);
        self.covered = id.get();
        Some(self.record(id, &observation.assignment))
    }

    fn after_commit(&mut self, store: &mut dyn Store) -> anyhow::Result<()> {
        self.catch_up(store)?;
        if self.written_at.elapsed() >= FIGURES_EVERY {
            self.write(store)?;
        }
        Ok(())
    }
}

fn new_tracker() -> Tracker {
    Tracker::new(tangkal_text::Analyzer::new(), Config::default())
}

/// The narratives as the last ingest left them in `data_dir` (its snapshot), for readers that place texts
/// without taking part in the stream (citizen reports); `None` before the first ingest.
pub fn stored_tracker(data_dir: &Path) -> anyhow::Result<Option<Tracker>> {
    let path = data_dir.join(SNAPSHOT_FILE);
    match File::open(&path) {
        Ok(file) => Ok(Some(read_snapshot(BufReader::with_capacity(1 << 20, file))?.0)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
    }
}

fn read_snapshot(mut input: impl Read) -> anyhow::Result<(Tracker, i64)> {
    let mut covered = [0u8; 8];
    input.read_exact(&mut covered)?;
    let tracker = Tracker::read_snapshot(tangkal_text::Analyzer::new(), input)?;
    Ok((tracker, i64::from_le_bytes(covered)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tangkal_model::{parse_json_item, DEFAULT_MAX_TEXT_BYTES};
    use tangkal_store::{ItemRecord, NarrativeOrder, SourceRef};

    const TEXTS: [&str; 3] = [
        "Beredar kabar pemerintah membagikan bantuan sosial dua juta rupiah kepada semua warga yang mendaftar lewat tautan ini sebelum akhir bulan",
        "Vaksin di puskesmas mengandung bahan berbahaya yang merusak kesehatan anak dalam jangka panjang kata seorang dokter",
        "Harga beras premium di pasar tradisional naik tipis pekan ini setelah pasokan dari daerah sentra produksi berkurang",
    ];

    fn line(i: usize) -> String {
        let text = format!("{} {}", ["Sebarkan!", "Info", "Copas"][i % 3], TEXTS[i % 3]);
        format!(
            r#"{{"id":"x:{i}","platform":"x","author":{{"id":"u{}"}},"text":"{text}","published_at":"2024-02-03T05:{:02}:00Z"}}"#,
            i % 5,
            i % 60
        )
    }

    fn write(store: &mut dyn Store, from: usize, to: usize) {
        let items: Vec<_> =
            (from..to).map(|i| parse_json_item(line(i).as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()).collect();
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 0 }).collect();
        store.write_items(&SourceRef { kind: "file".into(), location: "t.jsonl".into() }, &records).unwrap();
    }

    fn assignments(store: &dyn Store) -> Vec<(ItemId, NarrativeId)> {
        store.items_after(ItemId(0), 1000).unwrap().iter().map(|i| (i.id, store_narrative(store, i.id))).collect()
    }

    fn store_narrative(store: &dyn Store, item: ItemId) -> NarrativeId {
        store
            .list_narratives(NarrativeOrder::Size, 100, 0)
            .unwrap()
            .into_iter()
            .find(|n| store.narrative_item_ids(n.id, 1000).unwrap().contains(&item))
            .map_or(NarrativeId(0), |n| n.id)
    }

    #[test]
    fn items_keep_their_narratives_across_restarts_and_rebuilds() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
        write(store.as_mut(), 0, 12);
        let mut stage = NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        stage.finish(store.as_mut()).unwrap();
        let narratives = store.list_narratives(NarrativeOrder::Size, 10, 0).unwrap();
        assert_eq!(narratives.len(), 3);
        assert!(narratives.iter().all(|n| n.items == 4 && n.accounts >= 1));

        // New items while the stage is down, and one re-ingested duplicate.
        write(store.as_mut(), 11, 20);
        let mut stage = NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        assert_eq!(stage.catch_up(store.as_mut()).unwrap(), 0);
        stage.finish(store.as_mut()).unwrap();
        let after_restart = assignments(store.as_ref());
        assert_eq!(after_restart.len(), 20);
        assert!(after_restart.iter().all(|&(_, n)| n.get() > 0));

        // Without the snapshot the index is rebuilt from the store, with the same result.
        std::fs::remove_file(dir.path().join(SNAPSHOT_FILE)).unwrap();
        NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        assert_eq!(assignments(store.as_ref()), after_restart);
    }

    #[test]
    fn items_placed_while_ingesting_get_the_narratives_a_rebuild_gives() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
        let mut stage = NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        // Two sources, the second repeating part of the first: repeats are not placed again.
        let sources = [(0, 12), (6, 20)].map(|(from, to)| {
            let lines: String = (from..to).map(|i| line(i) + "\n").collect();
            crate::open_reader(
                "t.jsonl".into(),
                Box::new(std::io::Cursor::new(lines)),
                crate::Format::Jsonl,
                &Default::default(),
                DEFAULT_MAX_TEXT_BYTES,
            )
            .unwrap()
        });
        let mut rejects = crate::RejectWriter::new(dir.path().join("rejects.jsonl"));
        let options = crate::IngestOptions { batch_size: 5 };
        let summary =
            crate::ingest_with_stages(store.as_mut(), sources.into(), &mut rejects, &options, &(), &mut [&mut stage])
                .unwrap();
        assert_eq!((summary.new, summary.duplicate), (20, 6));
        stage.finish(store.as_mut()).unwrap();
        let placed = assignments(store.as_ref());
        assert_eq!(placed.len(), 20);
        assert!(placed.iter().all(|&(_, n)| n.get() > 0));
        let narratives = store.list_narratives(NarrativeOrder::Size, 10, 0).unwrap();
        assert_eq!(narratives.iter().map(|n| n.items).sum::<u64>(), 20, "figures count every placed item once");

        let rebuilt_dir = tempfile::tempdir().unwrap();
        let mut rebuilt = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(rebuilt_dir.path())).unwrap();
        write(rebuilt.as_mut(), 0, 20);
        NarrativeStage::open(rebuilt_dir.path(), rebuilt.as_mut()).unwrap();
        assert_eq!(assignments(rebuilt.as_ref()), placed);
    }
}
