//! Ingest with detection: items stored, placed in narratives, and the narratives they changed matched
//! against the fact-checks (opening cases for debunked ones). One step that `tangkal ingest`, the demo,
//! the server's push intake and a drill share.

use std::path::Path;
use std::sync::Arc;

use tangkal_cases::Clock;
use tangkal_store::Store;

use crate::{
    ingest_with_stages, IngestOptions, IngestSummary, MatchingStage, MatchingTotals, NarrativeStage, Progress,
    RejectWriter, Source,
};

pub struct Detection {
    narratives: NarrativeStage,
    matching: MatchingStage,
}

impl Detection {
    /// Loads the narratives' snapshot from `data_dir` and catches both stages up with the store; cases are
    /// opened at the times `clock` gives.
    pub fn open(data_dir: &Path, store: &mut dyn Store, clock: Arc<dyn Clock>) -> anyhow::Result<Detection> {
        let narratives = NarrativeStage::open(data_dir, store)?;
        let matching = MatchingStage::open_with_clock(store, clock)?;
        Ok(Detection { narratives, matching })
    }

    /// Reads `sources` into the store through both stages, under the data directory's import lock
    /// (`tangkal_store::open_for_import` or `ImportLock`); afterwards the figures of the narratives seen
    /// in the last 24 hours are current and every changed narrative is matched.
    pub fn ingest(
        &mut self,
        store: &mut dyn Store,
        sources: Vec<Box<dyn Source>>,
        rejects: &mut RejectWriter,
        options: &IngestOptions,
        progress: &dyn Progress,
    ) -> anyhow::Result<IngestSummary> {
        // Another writer may have stored items since the stages last looked (a kept `Detection` between
        // imports): placing follows the store's order, so the stages replay those first.
        self.narratives.catch_up(store)?;
        let summary = ingest_with_stages(
            store,
            sources,
            rejects,
            options,
            progress,
            &mut [&mut self.narratives, &mut self.matching],
        )?;
        self.narratives.flush(store)?;
        // The figures just written may change a narrative's central copy: match what they changed.
        self.matching.catch_up(store)?;
        Ok(summary)
    }

    /// Writes the narratives' snapshot, so that the next opening starts from here rather than replaying
    /// the store, and citizen reports are placed among the narratives seen so far.
    pub fn save_snapshot(&self) -> anyhow::Result<()> {
        self.narratives.save_snapshot()
    }

    /// What matching did since the stages were opened.
    pub fn totals(&self) -> MatchingTotals {
        self.matching.totals()
    }
}
