//! The index, its features and the spread figures kept in step: what ingest runs per item.

use std::io::{Read, Write};

use tangkal_text::Analyzer;

use crate::features::{Features, Featurizer};
use crate::index::{Assignment, Config, NarrativeIndex};
use crate::snapshot::{Decoder, Encoder, SnapshotError};
use crate::spread::{Sighting, SpreadBook};

const MAGIC: &[u8; 8] = b"TKNARRAT";

/// Version of the snapshot format written by [`Tracker::write_snapshot`].
pub const SNAPSHOT_VERSION: u32 = 2;

/// What observing one item gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub assignment: Assignment,
    /// Exact-form hash of the text, for coordination detection.
    pub exact: u64,
}

/// Streaming narratives for one stream of items.
pub struct Tracker {
    featurizer: Featurizer,
    index: NarrativeIndex,
    spread: SpreadBook,
    features: Features,
}

impl Tracker {
    pub fn new(analyzer: Analyzer, config: Config) -> Tracker {
        Tracker {
            featurizer: Featurizer::new(analyzer, config.shingle_words),
            index: NarrativeIndex::new(config),
            spread: SpreadBook::default(),
            features: Features::default(),
        }
    }

    /// Assigns the next item of the stream and updates the figures of its narrative.
    pub fn observe(&mut self, text: &str, sighting: &Sighting<'_>) -> Observation {
        let mut features = std::mem::take(&mut self.features);
        self.featurizer.features_into(text, &mut features);
        let observation = self.observe_features(&features, sighting);
        self.features = features;
        observation
    }

    /// [`Tracker::observe`] for features computed elsewhere, e.g. on another thread, by a
    /// [`Featurizer`] made with [`Tracker::featurizer`].
    pub fn observe_features(&mut self, features: &Features, sighting: &Sighting<'_>) -> Observation {
        let assignment = self.index.assign(features);
        for &absorbed in &assignment.merged {
            self.spread.merge(absorbed, assignment.narrative);
        }
        let (_, copies) = self.index.representative(assignment.representative);
        self.spread.record(assignment.narrative, assignment.representative, copies, sighting);
        Observation { assignment, exact: features.exact }
    }

    /// A featurizer that computes exactly the features this tracker's index expects.
    pub fn featurizer(&self) -> Featurizer {
        self.featurizer.fresh()
    }

    pub fn index(&self) -> &NarrativeIndex {
        &self.index
    }

    pub fn spread(&self) -> &SpreadBook {
        &self.spread
    }

    /// Writes the whole state, so that [`Tracker::read_snapshot`] continues exactly where this left.
    pub fn write_snapshot<W: Write>(&self, out: W) -> std::io::Result<()> {
        let mut e = Encoder::new(out);
        e.bytes(MAGIC)?;
        e.u32(SNAPSHOT_VERSION)?;
        self.index.encode(&mut e)?;
        self.spread.encode(&mut e)?;
        e.finish()
    }

    pub fn read_snapshot<R: Read>(analyzer: Analyzer, input: R) -> Result<Tracker, SnapshotError> {
        let mut d = Decoder::new(input);
        let mut magic = [0u8; 8];
        for b in &mut magic {
            *b = d.u8()?;
        }
        if &magic != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        let version = d.u32()?;
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version { found: version, supported: SNAPSHOT_VERSION });
        }
        let index = NarrativeIndex::decode(&mut d)?;
        let spread = SpreadBook::decode(&mut d)?;
        d.finish()?;
        Ok(Tracker {
            featurizer: Featurizer::new(analyzer, index.config().shingle_words),
            index,
            spread,
            features: Features::default(),
        })
    }
}
