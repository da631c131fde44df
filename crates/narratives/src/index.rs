//! The streaming index: assigns each text to a narrative in arrival order.
//!
//! # Design
//!
//! A narrative is remembered through a few *representatives*, not through every copy. A text joins
//! the index as a representative only when nothing already indexed is close to it (its best score
//! is under [`Config::novelty`]); an exact or light copy just counts towards the representative it
//! matched. A 10,000-copy narrative therefore holds the handful of variants that actually differ,
//! and the work per text stays bounded however large a narrative grows.
//!
//! Candidates come from a bottom-k sketch: each representative is filed under its `keys` smallest
//! shingle hashes (a uniform sample of its shingles, the one-permutation form of MinHash). Two sets
//! with Jaccard `J` fail to share a key with probability about `(1 - J)^keys`, which is 0.3 % at
//! `J = 0.3` with 16 keys, so heavily edited and truncated copies are still found. A posting list
//! stops growing at `posting_cap`, so a phrase shared by thousands of unrelated posts (a chain-letter
//! closer, a hashtag block) cannot make a look-up slow. The best `verify` candidates by shared keys
//! are then compared exactly on their full shingle sets.
//!
//! The score of a pair is the larger of their Jaccard similarity and a weighted containment of the
//! smaller set in the larger one: a truncated copy, or a copy with a sentence dropped, is contained
//! in its source although their Jaccard is low; the weight keeps containment from joining templates
//! that share a long boilerplate but differ in what matters.
//!
//! When one text scores above [`Config::merge`] against two narratives, it proves them one: the
//! younger narrative is merged into the older one and the merge is recorded, so every id ever handed
//! out stays resolvable through [`NarrativeIndex::resolve`].
//!
//! Everything is deterministic: the same texts in the same order give the same assignments, and an
//! index restored from [`crate::Tracker::write_snapshot`] continues exactly as the original would.

use std::io::{Read, Write};

use crate::features::{Features, PrehashedMap};
use crate::postings::Postings;
use crate::snapshot::{reservation, Decoder, Encoder, SnapshotError};

/// Tuning of the index. The defaults are chosen from the similarity semantics described in the
/// module documentation, not fitted to one stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Consecutive terms per shingle.
    pub shingle_words: usize,
    /// Sketch keys per representative.
    pub keys: usize,
    /// Longest posting list; later representatives are not filed under a key this common.
    pub posting_cap: u32,
    /// Candidates compared exactly per text.
    pub verify: usize,
    /// Lowest score that joins a narrative.
    pub join: f32,
    /// Lowest score against a second narrative that merges it into the first.
    pub merge: f32,
    /// Texts whose best score is below this become representatives.
    pub novelty: f32,
    /// Weight of containment relative to Jaccard in the score.
    pub containment_weight: f32,
    /// Containment counts only when the smaller set has at least this many shingles.
    pub containment_min: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            shingle_words: 2,
            keys: 16,
            posting_cap: 48,
            verify: 12,
            join: 0.42,
            merge: 0.7,
            novelty: 0.7,
            containment_weight: 0.6,
            containment_min: 8,
        }
    }
}

/// A narrative's id: handed out in order of creation, starting at 1, and the index's position of it.
pub use tangkal_model::NarrativeId;

/// What [`NarrativeIndex::assign`] decided for one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The narrative the text belongs to now (after any merge it caused).
    pub narrative: NarrativeId,
    /// True when the text started this narrative.
    pub started: bool,
    /// The representative the text counts towards (the text itself when it became one).
    pub representative: u32,
    /// Best score against an earlier narrative, 0 when there was none.
    pub score: f32,
    /// Narratives this text proved to be the same as `narrative`, now merged into it.
    pub merged: Vec<NarrativeId>,
}

/// One merge: `absorbed` is now part of `into`. `at` is the arrival number of the bridging text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub absorbed: NarrativeId,
    pub into: NarrativeId,
    pub at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Representative {
    narrative: NarrativeId,
    start: u32,
    len: u32,
    /// Texts counted towards this representative, itself included.
    copies: u32,
}

/// The streaming index. See the module documentation for the design.
pub struct NarrativeIndex {
    config: Config,
    representatives: Vec<Representative>,
    shingles: Vec<u32>,
    /// Sketch key → representatives filed under it.
    postings: Postings,
    /// Exact-form hash → representative.
    exact: PrehashedMap<u64, u32>,
    /// Union-find over narratives; index 0 is unused so that ids start at 1.
    parent: Vec<NarrativeId>,
    merges: Vec<Merge>,
    assigned: u64,
    scratch: Scratch,
}

/// Working memory of a look-up: shared-key counts per representative and which were touched.
/// [`NarrativeIndex::place`] takes one from its caller, so the index itself stays read-only.
#[derive(Debug, Default)]
pub struct Scratch {
    shared_keys: Vec<u16>,
    touched: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl NarrativeIndex {
    pub fn new(config: Config) -> NarrativeIndex {
        NarrativeIndex {
            config,
            representatives: Vec::new(),
            shingles: Vec::new(),
            postings: Postings::default(),
            exact: PrehashedMap::default(),
            parent: vec![NarrativeId(0)],
            merges: Vec::new(),
            assigned: 0,
            scratch: Scratch::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Texts assigned so far.
    pub fn len(&self) -> u64 {
        self.assigned
    }

    pub fn is_empty(&self) -> bool {
        self.assigned == 0
    }

    /// Narratives ever started (merged ones included).
    pub fn narratives(&self) -> u32 {
        self.parent.len() as u32 - 1
    }

    pub fn representatives(&self) -> usize {
        self.representatives.len()
    }

    /// Every merge so far, oldest first.
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// The narrative an id stands for today, following merges.
    pub fn resolve(&self, id: NarrativeId) -> NarrativeId {
        let mut id = id;
        while self.parent[id.index()] != id {
            id = self.parent[id.index()];
        }
        id
    }

    /// How many texts counted towards a representative, and its narrative today.
    pub fn representative(&self, rep: u32) -> (NarrativeId, u32) {
        let r = &self.representatives[rep as usize];
        (self.resolve(r.narrative), r.copies)
    }

    /// Bytes held by the index structures (not counting allocator slack).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.representatives.capacity() * size_of::<Representative>()
            + self.shingles.capacity() * 4
            + self.postings.heap_bytes()
            + self.exact.capacity() * (8 + 4 + 1)
            + self.parent.capacity() * 4
            + self.merges.capacity() * size_of::<Merge>()
    }

    /// Assigns the next text of the stream.
    pub fn assign(&mut self, features: &Features) -> Assignment {
        let at = self.assigned;
        self.assigned += 1;
        if features.shingles.is_empty() {
            // Nothing to compare: a narrative of its own, never indexed.
            let narrative = self.start_narrative();
            let rep = self.push_representative(narrative, &[]);
            return Assignment { narrative, started: true, representative: rep, score: 0.0, merged: Vec::new() };
        }
        if let Some(&rep) = self.exact.get(&features.exact) {
            self.representatives[rep as usize].copies += 1;
            let narrative = self.resolve(self.representatives[rep as usize].narrative);
            return Assignment { narrative, started: false, representative: rep, score: 1.0, merged: Vec::new() };
        }

        let mut scratch = std::mem::take(&mut self.scratch);
        let scored = self.best_per_narrative(&features.shingles, &mut scratch);
        self.scratch = scratch;
        let best = scored.first().copied().filter(|s| s.2 >= self.config.join);
        let (narrative, started, mut representative, score) = match best {
            Some((narrative, rep, score, _)) => (narrative, false, rep, score),
            None => (self.start_narrative(), true, NONE, scored.first().map_or(0.0, |s| s.2)),
        };
        let mut merged = Vec::new();
        let mut into = narrative;
        if !started && scored[0].3 >= self.config.merge {
            for &(other, _, _, jaccard) in &scored[1..] {
                if jaccard < self.config.merge {
                    continue;
                }
                let (a, b) = (self.resolve(into), self.resolve(other));
                if a == b {
                    continue;
                }
                let (keep, absorbed) = if a < b { (a, b) } else { (b, a) };
                self.parent[absorbed.index()] = keep;
                self.merges.push(Merge { absorbed, into: keep, at });
                merged.push(absorbed);
                into = keep;
            }
        }
        let narrative = self.resolve(into);
        if started || score < self.config.novelty {
            representative = self.push_representative(narrative, &features.shingles);
            self.file_representative(representative);
        } else {
            self.representatives[representative as usize].copies += 1;
        }
        self.exact.insert(features.exact, representative);
        if started {
            merged.clear();
        }
        Assignment { narrative, started, representative, score, merged }
    }

    /// The narrative a text would join if it arrived now, and its score, without changing anything:
    /// `None` when it would start a narrative of its own. Citizen reports are placed like this, by the
    /// rule that places posts, without becoming part of the stream.
    pub fn place(&self, features: &Features, scratch: &mut Scratch) -> Option<(NarrativeId, f32)> {
        if features.shingles.is_empty() {
            return None;
        }
        if let Some(&rep) = self.exact.get(&features.exact) {
            return Some((self.resolve(self.representatives[rep as usize].narrative), 1.0));
        }
        let scored = self.best_per_narrative(&features.shingles, scratch);
        scored.first().filter(|s| s.2 >= self.config.join).map(|s| (s.0, s.2))
    }

    fn start_narrative(&mut self) -> NarrativeId {
        let id = NarrativeId(self.parent.len() as u32);
        self.parent.push(id);
        id
    }

    fn push_representative(&mut self, narrative: NarrativeId, shingles: &[u32]) -> u32 {
        let start = self.shingles.len() as u32;
        self.shingles.extend_from_slice(shingles);
        self.representatives.push(Representative { narrative, start, len: shingles.len() as u32, copies: 1 });
        self.representatives.len() as u32 - 1
    }

    /// Files a representative under its keys, except where the list is full.
    fn file_representative(&mut self, rep: u32) {
        let r = self.representatives[rep as usize];
        let keys = r.len.min(self.config.keys as u32);
        for i in 0..keys {
            let key = self.shingles[(r.start + i) as usize];
            if self.postings.get(key).len() < self.config.posting_cap as usize {
                self.postings.push(key, rep);
            }
        }
    }

    /// (narrative today, best representative, its score, best Jaccard) for the candidates, best
    /// first, one per narrative.
    fn best_per_narrative(&self, shingles: &[u32], scratch: &mut Scratch) -> Vec<(NarrativeId, u32, f32, f32)> {
        let Scratch { shared_keys, touched } = scratch;
        if shared_keys.len() < self.representatives.len() {
            shared_keys.resize(self.representatives.len(), 0);
        }
        for &key in &shingles[..shingles.len().min(self.config.keys)] {
            for &rep in self.postings.get(key) {
                if shared_keys[rep as usize] == 0 {
                    touched.push(rep);
                }
                shared_keys[rep as usize] += 1;
            }
        }
        let mut candidates: Vec<(u16, u32)> = touched.iter().map(|&rep| (shared_keys[rep as usize], rep)).collect();
        for &rep in touched.iter() {
            shared_keys[rep as usize] = 0;
        }
        touched.clear();
        let verify = self.config.verify.min(candidates.len());
        if verify < candidates.len() {
            candidates.select_nth_unstable_by(verify, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            candidates.truncate(verify);
        }
        let mut scored: Vec<(NarrativeId, u32, f32, f32)> = Vec::with_capacity(candidates.len());
        for &(_, rep) in &candidates {
            let r = self.representatives[rep as usize];
            let other = &self.shingles[r.start as usize..(r.start + r.len) as usize];
            let (score, jaccard) = self.score(shingles, other);
            let narrative = self.resolve(r.narrative);
            match scored.iter_mut().find(|s| s.0 == narrative) {
                Some(s) => {
                    if score > s.2 || (score == s.2 && rep < s.1) {
                        (s.1, s.2) = (rep, score);
                    }
                    s.3 = s.3.max(jaccard);
                }
                None => scored.push((narrative, rep, score, jaccard)),
            }
        }
        scored.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        scored
    }

    /// (score, Jaccard similarity) of two shingle sets.
    fn score(&self, a: &[u32], b: &[u32]) -> (f32, f32) {
        let shared = intersection_len(a, b) as f32;
        let (na, nb) = (a.len() as f32, b.len() as f32);
        let jaccard = shared / (na + nb - shared);
        let smaller = na.min(nb);
        if smaller < self.config.containment_min as f32 {
            return (jaccard, jaccard);
        }
        (jaccard.max(self.config.containment_weight * shared / smaller), jaccard)
    }
}

impl NarrativeIndex {
    pub(crate) fn encode<W: Write>(&self, e: &mut Encoder<W>) -> std::io::Result<()> {
        let c = &self.config;
        for v in [c.shingle_words as u32, c.keys as u32, c.posting_cap, c.verify as u32, c.containment_min] {
            e.u32(v)?;
        }
        for v in [c.join, c.merge, c.novelty, c.containment_weight] {
            e.f32(v)?;
        }
        e.len(self.representatives.len())?;
        for r in &self.representatives {
            for v in [r.narrative.get(), r.start, r.len, r.copies] {
                e.u32(v)?;
            }
        }
        e.u32s(&self.shingles)?;
        let lists = self.postings.sorted_lists();
        e.len(lists.len())?;
        for (key, reps) in lists {
            e.u32(key)?;
            e.u32s(reps)?;
        }
        let mut exact: Vec<(u64, u32)> = self.exact.iter().map(|(&k, &v)| (k, v)).collect();
        exact.sort_unstable();
        e.len(exact.len())?;
        for (k, v) in exact {
            e.u64(k)?;
            e.u32(v)?;
        }
        let parent: Vec<u32> = self.parent.iter().map(|p| p.get()).collect();
        e.u32s(&parent)?;
        e.len(self.merges.len())?;
        for m in &self.merges {
            e.u32(m.absorbed.get())?;
            e.u32(m.into.get())?;
            e.u64(m.at)?;
        }
        e.u64(self.assigned)
    }

    pub(crate) fn decode<R: Read>(d: &mut Decoder<R>) -> Result<NarrativeIndex, SnapshotError> {
        // Field order is the encoding order.
        let config = Config {
            shingle_words: d.u32()? as usize,
            keys: d.u32()? as usize,
            posting_cap: d.u32()?,
            verify: d.u32()? as usize,
            containment_min: d.u32()?,
            join: d.f32()?,
            merge: d.f32()?,
            novelty: d.f32()?,
            containment_weight: d.f32()?,
        };
        let mut index = NarrativeIndex::new(config);
        let n = d.len()?;
        index.representatives.reserve(reservation(n));
        for _ in 0..n {
            let (narrative, start, len, copies) = (NarrativeId(d.u32()?), d.u32()?, d.u32()?, d.u32()?);
            index.representatives.push(Representative { narrative, start, len, copies });
        }
        index.shingles = d.u32s()?;
        for _ in 0..d.len()? {
            let key = d.u32()?;
            for rep in d.u32s()? {
                index.postings.push(key, rep);
            }
        }
        let n = d.len()?;
        index.exact.reserve(reservation(n));
        for _ in 0..n {
            let key = d.u64()?;
            index.exact.insert(key, d.u32()?);
        }
        index.parent = d.u32s()?.into_iter().map(NarrativeId).collect();
        for _ in 0..d.len()? {
            index.merges.push(Merge { absorbed: NarrativeId(d.u32()?), into: NarrativeId(d.u32()?), at: d.u64()? });
        }
        index.assigned = d.u64()?;
        index.validate()?;
        Ok(index)
    }

    /// Refuses snapshots whose numbers point outside their tables, so that no later look-up panics.
    fn validate(&self) -> Result<(), SnapshotError> {
        let narratives = self.parent.len() as u32;
        let reps = self.representatives.len() as u32;
        let ok = narratives > 0
            && self.parent.iter().all(|&p| p.get() < narratives)
            && self
                .representatives
                .iter()
                .all(|r| r.narrative.get() < narratives && (r.start as usize + r.len as usize) <= self.shingles.len())
            && self.exact.values().all(|&r| r < reps)
            && self.postings.sorted_lists().iter().all(|(_, list)| list.iter().all(|&r| r < reps));
        if ok {
            Ok(())
        } else {
            Err(SnapshotError::Damaged("index entries out of range"))
        }
    }
}

fn intersection_len(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += (x == y) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    n
}
