//! Ranking: BM25F retrieval of candidates, then a calibrated rescoring of the best of them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use tangkal_model::FactCheck;
use tangkal_text::{Analyzer, StemScratch};

use crate::calibrate::{linear_value, Model, QUERY_FEATURES};
use crate::index::{for_each_quadgram, for_each_trigram, hash16, pair, Index, QUADGRAM_BITS};

/// Number of built-in features (the length of [`Features::values`]).
pub const FEATURES: usize = 22;

/// Names of the built-in features, in the order of [`Features::values`].
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "bm25_share",
    "bm25_vs_best",
    "claim_covered",
    "query_in_claim",
    "pairs_covered",
    "claim_cov_x_query",
    "claim_mass_log",
    "query_mass_log",
    "claim_covered_sq",
    "claim_missing_mass",
    "shared_mass",
    "bm25_rank_inv",
    "has_url",
    "has_date",
    "has_explanation",
    "claim_terms_log",
    "claim_terms_covered",
    "query_terms_log",
    "bm25_log",
    "claim_trigrams_covered",
    "query_trigrams_in_claim",
    "quadgram_cosine",
];

/// Evidence about one (text, fact-check) pair: mostly shares and ratios, so a value reads the same
/// for every text, plus a few sizes and record flags for the ranker's trees to condition on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub values: [f32; FEATURES],
}

/// A further similarity between a text and fact-checks, e.g. an embedding model's cosine, added to
/// the built-in lexical evidence. Its scores become one more feature of the calibrated model, so a
/// [`Model`] for a matcher with signals has `FEATURES + signals` weights.
pub trait Signal: Send + Sync {
    fn name(&self) -> &str;
    /// Scores `candidates` (record positions in the index) against `text`, writing one value in
    /// 0..=1 per candidate into `out`. Called once per query so remote models can batch.
    fn score(&self, text: &str, candidates: &[u32], out: &mut [f32]);
}

/// One ranked fact-check: its position in the index and its calibrated score (0..=1, the estimated
/// probability that it checks the text's claim).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub doc: u32,
    pub score: f32,
}

/// A ranked fact-check with the evidence for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    pub factcheck: &'a FactCheck,
    pub score: f32,
    pub explanation: Explanation,
}

/// Why a fact-check matched: which words of the text it shares, and where.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Explanation {
    /// Words of the text (standard spelling) found in the fact-check's headline or claim.
    pub claim_words: Vec<String>,
    /// Further words of the text found only in the fact-checker's explanation.
    pub body_words: Vec<String>,
    /// Runs of two or more consecutive words the text shares with the headline or claim.
    pub phrases: Vec<String>,
    /// Feature values that produced the score, by name.
    pub evidence: Vec<(String, f32)>,
}

/// Score levels with a documented meaning; see docs/factcheck-formats.md ("Scores and thresholds").
/// An administrator may move them (the desk's admin page); [`Thresholds::checked`] keeps them in order.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// At or above: answer the public automatically with this fact-check.
    pub auto_answer: f32,
    /// At or above: show the fact-check to analysts as a likely match.
    pub suggest: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { auto_answer: 0.48, suggest: 0.12 }
    }
}

impl Thresholds {
    /// Thresholds that mean what their names say: scores are in [0, 1] and a match answered to the public
    /// is also one shown to analysts. The refusal names the field at fault.
    pub fn checked(auto_answer: f32, suggest: f32) -> Result<Thresholds, (&'static str, String)> {
        for (field, value) in [("auto_answer", auto_answer), ("suggest", suggest)] {
            if !(0.0..=1.0).contains(&value) {
                return Err((field, format!("must be between 0 and 1 (got {value})")));
            }
        }
        if suggest > auto_answer {
            return Err(("suggest", format!("must not exceed auto_answer ({auto_answer}); got {suggest}")));
        }
        Ok(Thresholds { auto_answer, suggest })
    }

    /// What to do with a text whose best match scores `best` (`None`: no candidate at all).
    pub fn answer(&self, best: Option<f32>) -> Answer {
        match best {
            Some(score) if score >= self.auto_answer => Answer::Auto,
            Some(score) if score >= self.suggest => Answer::Suggest,
            _ => Answer::None,
        }
    }
}

/// The decision the [`Thresholds`] make for a text's best match, so callers need not compare scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// Answer the public with the fact-check without waiting for an analyst.
    Auto,
    /// Show the fact-check to an analyst as a likely match.
    Suggest,
    /// Nothing worth showing.
    None,
}

/// Tuning of the candidate stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// BM25F candidates rescored per query.
    pub candidates: usize,
    /// Further candidates by character 4-gram similarity to the headline and claim, for texts
    /// whose words the stems do not match (typos, spellings, names written together or apart).
    pub quadgram_candidates: usize,
    /// Further candidates from BM25F's next best (down to [`Options::depth`]): those whose headline
    /// and claim the text covers best (share of their IDF mass), which BM25F ranks low when a long
    /// explanation or a long text outweighs a short headline.
    pub coverage_candidates: usize,
    /// BM25F rank down to which coverage candidates are picked.
    pub depth: usize,
    /// Candidates the ranker fully orders: the best this many (or as many as are asked for, if
    /// more) by its weighted sum and its first [`Options::screening_trees`] trees. The trees cost
    /// more than the rest of a candidate's scoring.
    pub reranked: usize,
    /// Trees of the ranker that screen every candidate.
    pub screening_trees: usize,
    /// The 4-gram candidates are looked for only when the best BM25F candidate's headline and
    /// claim have less than this share of their IDF mass in the text: when the words already
    /// match, spelling variants add nothing, and the 4-gram pass is the costliest part of retrieval.
    pub quadgram_below: f32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            candidates: 30,
            quadgram_candidates: 5,
            coverage_candidates: 15,
            depth: 100,
            reranked: 20,
            screening_trees: 6,
            quadgram_below: 0.5,
        }
    }
}

/// Matches texts against an [`Index`]. Shareable across threads.
pub struct Matcher {
    index: Index,
    analyzer: Analyzer,
    model: Model,
    signals: Vec<Box<dyn Signal>>,
    options: Options,
    thresholds: Thresholds,
    scratch: Mutex<Vec<Scratch>>,
}

/// Per-query working memory, reused so a query allocates nothing proportional to the index.
#[derive(Default)]
struct Scratch {
    acc: Vec<f32>,
    touched: Vec<u32>,
    /// (record, BM25F) of the touched records; the best `Options::candidates` after retrieval.
    hits: Vec<(u32, f32)>,
    /// The best hits during selection, worst on top.
    heap: BinaryHeap<Reverse<u64>>,
    /// The selected hits as [`rank_key`]s, best first.
    keys: Vec<u64>,
    /// 4-gram scores of the records touched by the 4-gram pass, like `acc` and `touched`.
    quadgram_acc: Vec<f32>,
    quadgram_touched: Vec<u32>,
    /// The text's 4-gram slots.
    quadgrams: SlotSet,
    /// IDF-weighted cosine of the 4-grams of each of `hits` with the text's (over the 4-grams the
    /// pass uses).
    hit_quadgram: Vec<f32>,
    folded: String,
    canonical: String,
    stem: String,
    stem_scratch: StemScratch,
    /// Distinct stems of the text that no record has but the background table lists.
    unindexed: Vec<String>,
    marks: QueryMarks,
}

/// Candidate records with their feature rows (built-in features, then signals), in BM25F order.
struct Candidates {
    docs: Vec<u32>,
    width: usize,
    values: Vec<f32>,
}

impl Candidates {
    fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

/// What candidate retrieval found about one record: its BM25F rank and score, the best BM25F
/// score, and its 4-gram cosine with the text.
struct Evidence {
    rank: usize,
    bm25: f32,
    best: f32,
    quadgram: f32,
}

/// A text prepared for matching.
struct Query {
    /// Sorted distinct known term ids.
    terms: Vec<u32>,
    /// Sum of IDF over `terms` and the stems no record has (see [`Index::unindexed_idf`]).
    mass: f32,
    /// `ln(1 + mass)` and `ln(1 + terms.len())`, features of every candidate.
    mass_log: f32,
    terms_log: f32,
    /// Number of distinct character trigrams of the words, known to the index or not.
    trigrams: usize,
}

/// A set of hash slots ([`hash16`] values unless made wider) as a bitmap: one bit test per
/// lookup. A typical post's few hundred keys fill about 0.5% of 16 bits, so that share of absent
/// keys passes: noise far below what the features built on it measure.
struct SlotSet {
    bits: Vec<u64>,
    members: Vec<u32>,
}

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet { bits: vec![0; (1 << 16) / 64], members: Vec::new() }
    }
}

impl SlotSet {
    /// Makes room for slots of `width` bits.
    fn widen(&mut self, width: u32) {
        let words = (1usize << width) / 64;
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
    }

    fn clear(&mut self) {
        for &s in &self.members {
            self.bits[s as usize / 64] &= !(1 << (s % 64));
        }
        self.members.clear();
    }

    /// Adds `slot`; false if it was already there.
    fn insert(&mut self, slot: u32) -> bool {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        if self.bits[word] & bit != 0 {
            return false;
        }
        self.bits[word] |= bit;
        self.members.push(slot);
        true
    }

    fn contains(&self, slot: u32) -> bool {
        self.bits[slot as usize / 64] & (1 << (slot % 64)) != 0
    }
}

/// The current text's terms, adjacent term pairs and character trigrams, for constant-time lookups
/// from each candidate's claim.
#[derive(Default)]
struct QueryMarks {
    /// IDF of each term of the text, 0 for every other term of the vocabulary.
    term_idf: Vec<f32>,
    /// The pairs' hashes screen a claim's pairs; `pair_keys` (sorted) confirms the few that pass, so
    /// the count is exact: pair keys are term ids, which depend on the order records were indexed in.
    pairs: SlotSet,
    pair_keys: Vec<u64>,
    trigrams: SlotSet,
}

impl QueryMarks {
    fn has_pair(&self, key: u64) -> bool {
        self.pairs.contains(u32::from(hash16(key))) && self.pair_keys.binary_search(&key).is_ok()
    }
}

/// Terms in more than this share of the records are left out of BM25 (their posting lists are the
/// longest, their weight the smallest, and leaving them out measured no worse); they still count in
/// the coverage features.
const COMMON_SHARE: f32 = 0.05;

/// Terms in at most this share of the records open candidates; see [`Matcher::retrieve`].
const RARE_SHARE: f32 = 0.01;

/// At most this many of a text's rarest terms open candidates: a long text's claim is still found
/// through its most specific words, and its cost stays bounded.
const MAX_OPENING: usize = 32;

/// At most this many of a text's rarest terms count in BM25 at all (all of them still count in the
/// coverage features).
const MAX_SCORING: usize = 96;

/// 4-grams in more than this share of the records' claim texts are left out of the 4-gram pass:
/// their posting lists are the longest and their weight the smallest.
const QUADGRAM_COMMON_SHARE: f32 = 0.003;

impl Matcher {
    /// A matcher over `records` with the default analyzer, field weights and model: what callers
    /// matching narratives or reports need.
    pub fn build(records: Vec<FactCheck>) -> Matcher {
        let analyzer = Analyzer::new();
        Matcher::new(Index::build(records, &analyzer, crate::FieldWeights::default()), analyzer)
    }

    /// Texts are read as the index read its records: amounts to their value, words as their
    /// equivalents (see [`Index::build`]).
    pub fn new(index: Index, analyzer: Analyzer) -> Matcher {
        Matcher {
            index,
            analyzer: analyzer.for_matching(),
            model: crate::model::default_model(),
            signals: Vec::new(),
            options: Options::default(),
            thresholds: Thresholds::default(),
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// Adds a signal; `model` must then carry one weight per built-in feature and per signal.
    pub fn with_signal(mut self, signal: Box<dyn Signal>, model: Model) -> Result<Matcher, crate::Error> {
        self.signals.push(signal);
        self.with_model(model)
    }

    pub fn with_model(mut self, model: Model) -> Result<Matcher, crate::Error> {
        let want = FEATURES + self.signals.len();
        if model.rank.len() != want {
            return Err(crate::Error::Model { expected: want, found: model.rank.len() });
        }
        let widest = model.forest.features.iter().map(|&f| usize::from(f) + 1).max().unwrap_or(0);
        if widest > want.min(crate::Forest::MAX_FEATURES) {
            return Err(crate::Error::Model { expected: want, found: widest });
        }
        if model.calibration.query.len() != QUERY_FEATURES {
            return Err(crate::Error::Model { expected: QUERY_FEATURES, found: model.calibration.query.len() });
        }
        self.model = model;
        Ok(self)
    }

    pub fn with_options(mut self, options: Options) -> Matcher {
        self.options = options;
        self
    }

    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Matcher {
        self.thresholds = thresholds;
        self
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The `top` best fact-checks for `text`, best first, without explanations (the fast path).
    pub fn rank(&self, text: &str, top: usize) -> Vec<Ranked> {
        let (_, scored) = self.scored(text, top);
        scored.into_iter().map(|(_, r)| r).collect()
    }

    /// The `top` best fact-checks for `text` with their explanations, best first.
    pub fn best(&self, text: &str, top: usize) -> Vec<Match<'_>> {
        let (candidates, scored) = self.scored(text, top);
        let analysis = self.analyzer.analyze(text);
        let seq: Vec<Option<u32>> = analysis.stems.iter().map(|s| self.index.term(s)).collect();
        scored
            .into_iter()
            .map(|(row, r)| Match {
                factcheck: self.index.record(r.doc),
                score: r.score,
                explanation: self.explain(&analysis.terms, &seq, r.doc, candidates.row(row)),
            })
            .collect()
    }

    /// Candidates with their feature vectors (built-in features, then signals), in BM25F order.
    /// Exposed for fitting a [`Model`], which needs exactly what ranking sees.
    pub fn candidate_features(&self, text: &str) -> Vec<(u32, Vec<f32>)> {
        let c = self.candidates(text);
        c.docs.iter().enumerate().map(|(i, &d)| (d, c.row(i).to_vec())).collect()
    }

    /// The candidates [`Matcher::rank`] orders, best first, with the text-level calibration
    /// inputs: what `examples/calibrate.rs` fits the calibration on.
    pub fn judged_candidates(&self, text: &str) -> (Vec<(u32, Vec<f32>)>, Vec<f32>) {
        let (c, order, query) = self.ranked(text, 0);
        (order.iter().map(|&(_, i)| (c.docs[i], c.row(i).to_vec())).collect(), query)
    }

    /// Candidates and the ranker's order (value, row), best first, of the best
    /// `max(top, options.reranked)` of them by the screening value, with the text-level
    /// calibration inputs.
    fn ranked(&self, text: &str, top: usize) -> (Candidates, Vec<(f64, usize)>, Vec<f32>) {
        let c = self.candidates(text);
        // Higher value first, then the lower record position.
        let by_value = |&(value, i): &(f64, usize)| Reverse((ordered_bits(value), Reverse(c.docs[i])));
        let forest = &self.model.forest;
        let screening = self.options.screening_trees.min(forest.len());
        let mut order: Vec<(f64, usize)> = (0..c.docs.len())
            .map(|i| (linear_value(&self.model.rank, c.row(i)) + forest.value_of(c.row(i), 0..screening), i))
            .collect();
        let keep = top.max(self.options.reranked);
        if order.len() > keep {
            order.select_nth_unstable_by_key(keep, by_value);
            order.truncate(keep);
        }
        for entry in &mut order {
            entry.0 += forest.value_of(c.row(entry.1), screening..forest.len());
        }
        order.sort_unstable_by_key(by_value);
        let query = match order.first() {
            Some(&(_, i)) => text_level(c.row(i)),
            None => vec![0.0; QUERY_FEATURES],
        };
        (c, order, query)
    }

    /// The `top` best candidates' rows and calibrated scores, best first.
    fn scored(&self, text: &str, top: usize) -> (Candidates, Vec<(usize, Ranked)>) {
        let (c, mut order, query) = self.ranked(text, top);
        order.truncate(top);
        let calibration = &self.model.calibration;
        let offset = calibration.text_offset(&query);
        let scored = order
            .into_iter()
            .map(|(value, i)| (i, Ranked { doc: c.docs[i], score: calibration.probability(value, offset) }))
            .collect();
        (c, scored)
    }

    fn candidates(&self, text: &str) -> Candidates {
        let mut s = self.take_scratch();
        let query = self.prepare(text, &mut s);
        self.retrieve(&query, &mut s);
        let width = FEATURES + self.signals.len();
        let mut c = Candidates {
            docs: Vec::with_capacity(s.hits.len()),
            width,
            values: Vec::with_capacity(s.hits.len() * width),
        };
        let best = s.hits.first().map_or(0.0, |h| h.1).max(f32::MIN_POSITIVE);
        for (rank, (&(doc, bm25), &quadgram)) in s.hits.iter().zip(&s.hit_quadgram).enumerate() {
            c.docs.push(doc);
            let evidence = Evidence { rank, bm25, best, quadgram };
            c.values.extend_from_slice(&self.features(&query, &s.marks, doc, evidence).values);
            c.values.resize(c.values.len() + self.signals.len(), 0.0);
        }
        for &t in &query.terms {
            s.marks.term_idf[t as usize] = 0.0;
        }
        self.return_scratch(s);
        if !self.signals.is_empty() && !c.docs.is_empty() {
            let mut scores = vec![0f32; c.docs.len()];
            for (k, signal) in self.signals.iter().enumerate() {
                signal.score(text, &c.docs, &mut scores);
                for (i, &v) in scores.iter().enumerate() {
                    c.values[i * width + FEATURES + k] = v;
                }
            }
        }
        c
    }

    fn take_scratch(&self) -> Scratch {
        self.scratch.lock().ok().and_then(|mut pool| pool.pop()).unwrap_or_default()
    }

    fn return_scratch(&self, scratch: Scratch) {
        if let Ok(mut pool) = self.scratch.lock() {
            pool.push(scratch);
        }
    }

    /// Words in standard spelling via the analyzer's allocation-free canonical form; only words the
    /// records never used are stemmed here (the index knows the stem of every other word). The
    /// result equals looking up `Analyzer::analyze(text).stems`.
    fn prepare(&self, text: &str, s: &mut Scratch) -> Query {
        s.canonical.clear();
        self.analyzer.canonical_into(text, &mut s.folded, &mut s.canonical);
        let mut seq = Vec::new();
        // Stems no record has still weigh in the text's own mass, as they would against a larger
        // database: the text-side features then do not depend on the database's vocabulary.
        let mut unindexed_mass = 0.0;
        s.unindexed.clear();
        for word in s.canonical.split(' ').filter(|w| !w.is_empty()) {
            let id = self.index.word(word).or_else(|| {
                s.stem.clear();
                self.analyzer.stemmer().stem_word_into(word, &mut s.stem_scratch, &mut s.stem);
                let id = self.index.term(&s.stem);
                if id.is_none() && !s.unindexed.contains(&s.stem) {
                    if let Some(idf) = self.index.unindexed_idf(&s.stem) {
                        unindexed_mass += idf;
                        s.unindexed.push(s.stem.clone());
                    }
                }
                id
            });
            seq.push(id);
        }
        let mut terms: Vec<u32> = seq.iter().flatten().copied().collect();
        terms.sort_unstable();
        terms.dedup();
        let marks = &mut s.marks;
        marks.term_idf.resize(self.index.vocabulary_len(), 0.0);
        let mut mass = unindexed_mass;
        for &t in &terms {
            let idf = self.index.idf(t);
            marks.term_idf[t as usize] = idf;
            mass += idf;
        }
        marks.pairs.clear();
        marks.pair_keys.clear();
        for w in seq.windows(2) {
            if let (Some(a), Some(b)) = (w[0], w[1]) {
                marks.pairs.insert(u32::from(hash16(pair(a, b))));
                marks.pair_keys.push(pair(a, b));
            }
        }
        marks.pair_keys.sort_unstable();
        marks.pair_keys.dedup();
        marks.trigrams.clear();
        let mut trigrams = 0;
        for_each_trigram(&s.canonical, |t| trigrams += usize::from(marks.trigrams.insert(u32::from(t))));
        let terms_log = (1.0 + (terms.len() + s.unindexed.len()) as f32).ln();
        Query { terms, mass, mass_log: (1.0 + mass).ln(), terms_log, trigrams }
    }

    /// BM25F over the query's distinct selective terms: leaves the best `options.candidates`
    /// (record, score) in `scratch.hits`, best first.
    fn retrieve(&self, query: &Query, scratch: &mut Scratch) {
        let n = self.index.len() as f32;
        let common_df = ((n * COMMON_SHARE) as usize).max(64);
        let rare_df = ((n * RARE_SHARE) as usize).max(64);
        let mut terms: Vec<(usize, u32)> =
            query.terms.iter().map(|&t| (self.index.df(t), t)).filter(|&(df, _)| df <= common_df).collect();
        if terms.is_empty() {
            // A text of common words only still gets candidates.
            terms = query.terms.iter().map(|&t| (self.index.df(t), t)).collect();
        }
        // Rarest first: they open candidates; mid-frequency terms (and rare ones beyond
        // MAX_OPENING) only add to opened ones, which keeps the candidate set, and its selection,
        // small. A text without rare terms lets every term open.
        terms.sort_unstable();
        terms.truncate(MAX_SCORING);
        let opens_all = terms.first().is_none_or(|&(df, _)| df > rare_df);
        if scratch.acc.len() != self.index.len() {
            scratch.acc = vec![0.0; self.index.len()];
        }
        let Scratch {
            acc,
            touched,
            hits,
            heap,
            keys,
            quadgram_acc,
            quadgram_touched,
            quadgrams,
            hit_quadgram,
            marks,
            canonical,
            ..
        } = scratch;
        for (i, &(df, t)) in terms.iter().enumerate() {
            let postings = self.index.postings(t);
            if i < MAX_OPENING && (opens_all || df <= rare_df) {
                for p in postings {
                    let slot = &mut acc[p.doc as usize];
                    if *slot == 0.0 {
                        touched.push(p.doc);
                    }
                    *slot += p.impact;
                }
            } else {
                for p in postings {
                    let slot = &mut acc[p.doc as usize];
                    if *slot != 0.0 {
                        *slot += p.impact;
                    }
                }
            }
        }
        let first = self.options.candidates;
        top_by_score(touched.iter().map(|&d| (d, acc[d as usize])), self.options.depth.max(first), heap);
        keys.clear();
        keys.extend(heap.drain().map(|Reverse(key)| key));
        keys.sort_unstable_by(|a, b| b.cmp(a));
        let top_covered = keys.first().map_or(0.0, |&key| self.claim_covered(marks, unrank_key(key).0));
        hits.clear();
        hits.extend(keys.iter().take(first).map(|&key| unrank_key(key)));
        if keys.len() > first {
            // The rest by how much of their headline's IDF mass the text has, then back to BM25F.
            let next = &mut keys[first..];
            for key in next.iter_mut() {
                let doc = unrank_key(*key).0;
                *key = rank_key(doc, self.claim_covered(marks, doc));
            }
            let keep = self.options.coverage_candidates.min(next.len());
            if keep < next.len() {
                next.select_nth_unstable_by(keep, |a, b| b.cmp(a));
            }
            hits.extend(next[..keep].iter().map(|&key| {
                let doc = unrank_key(key).0;
                (doc, acc[doc as usize])
            }));
        }
        if quadgram_acc.len() != self.index.len() {
            *quadgram_acc = vec![0.0; self.index.len()];
        }
        let quadgram_norm = if top_covered >= self.options.quadgram_below {
            heap.clear();
            0.0
        } else {
            quadgrams.widen(QUADGRAM_BITS);
            quadgrams.clear();
            for_each_quadgram(canonical, |g| {
                quadgrams.insert(g);
            });
            self.quadgram_candidates(&quadgrams.members, quadgram_acc, quadgram_touched, heap)
        };
        for Reverse(key) in heap.drain() {
            let (doc, _) = unrank_key(key);
            if !hits.iter().any(|h| h.0 == doc) {
                // Its BM25F as far as the pass above summed it (0 if no opening term reached it).
                hits.push((doc, acc[doc as usize]));
            }
        }
        for &d in touched.iter() {
            acc[d as usize] = 0.0;
        }
        touched.clear();
        hits.sort_unstable_by_key(|&(doc, bm25)| Reverse(rank_key(doc, bm25)));
        hit_quadgram.clear();
        let inv_query_norm = if quadgram_norm > 0.0 { 1.0 / quadgram_norm } else { 0.0 };
        hit_quadgram.extend(
            hits.iter().map(|&(d, _)| quadgram_acc[d as usize] * self.index.quadgram_inv_norm(d) * inv_query_norm),
        );
        for &d in quadgram_touched.iter() {
            quadgram_acc[d as usize] = 0.0;
        }
        quadgram_touched.clear();
    }

    /// The records most similar to the text by the IDF-weighted cosine of their claim 4-grams with
    /// the text's (`quadgrams`, distinct slots), left in `heap` as [`rank_key`]s; their sums stay in
    /// `acc` (records in `touched`) for the caller to read and clear. Returns the norm of the
    /// text's 4-gram vector over the 4-grams used.
    fn quadgram_candidates(
        &self,
        quadgrams: &[u32],
        acc: &mut [f32],
        touched: &mut Vec<u32>,
        heap: &mut BinaryHeap<Reverse<u64>>,
    ) -> f32 {
        heap.clear();
        if self.options.quadgram_candidates == 0 {
            return 0.0;
        }
        let common = ((self.index.len() as f32 * QUADGRAM_COMMON_SHARE) as usize).max(16);
        let mut squares = 0f32;
        for &g in quadgrams {
            let docs = self.index.quadgram_docs(g);
            if docs.len() > common {
                continue;
            }
            let weight = self.index.quadgram_weight(g);
            squares += weight;
            for &d in docs {
                let slot = &mut acc[d as usize];
                if *slot == 0.0 {
                    touched.push(d);
                }
                *slot += weight;
            }
        }
        let score = |d: u32| acc[d as usize] * self.index.quadgram_inv_norm(d);
        top_by_score(touched.iter().map(|&d| (d, score(d))), self.options.quadgram_candidates, heap);
        squares.sqrt()
    }

    /// Share of the IDF mass of `doc`'s headline and claim terms that the text has.
    fn claim_covered(&self, marks: &QueryMarks, doc: u32) -> f32 {
        let shared: f32 = self.index.claim_terms(doc).iter().map(|&t| marks.term_idf[t as usize]).sum();
        shared / self.index.claim_mass(doc).max(f32::MIN_POSITIVE)
    }

    fn features(&self, query: &Query, marks: &QueryMarks, doc: u32, retrieved: Evidence) -> Features {
        let Evidence { rank, bm25, best, quadgram } = retrieved;
        let qmass = query.mass.max(f32::MIN_POSITIVE);
        let claim = self.index.claim_terms(doc);
        let (mut shared, mut shared_terms) = (0f32, 0usize);
        for &t in claim {
            let idf = marks.term_idf[t as usize];
            shared += idf;
            shared_terms += usize::from(idf > 0.0);
        }
        let complete = self.index.completeness(doc);
        let claim_trigrams = self.index.claim_trigrams(doc);
        let shared_trigrams = claim_trigrams.iter().filter(|&&t| marks.trigrams.contains(u32::from(t))).count() as f32;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let claim_mass = self.index.claim_mass(doc).max(f32::MIN_POSITIVE);
        let pairs = self.index.claim_pairs(doc);
        let shared_pairs = pairs.iter().filter(|&&p| marks.has_pair(p)).count() as f32;
        let claim_covered = shared / claim_mass;
        let query_in_claim = shared / qmass;
        Features {
            values: [
                bm25 / qmass,
                bm25 / best,
                claim_covered,
                query_in_claim,
                if pairs.is_empty() { claim_covered } else { shared_pairs / pairs.len() as f32 },
                claim_covered * query_in_claim,
                (1.0 + claim_mass).ln(),
                query.mass_log,
                claim_covered * claim_covered,
                (claim_mass - shared).max(0.0) / 10.0,
                shared / 10.0,
                1.0 / (1.0 + rank as f32),
                flag(complete.url),
                flag(complete.date),
                flag(complete.explanation),
                (1.0 + claim.len() as f32).ln(),
                shared_terms as f32 / claim.len().max(1) as f32,
                query.terms_log,
                bm25.ln_1p(),
                shared_trigrams / claim_trigrams.len().max(1) as f32,
                shared_trigrams / query.trigrams.max(1) as f32,
                quadgram,
            ],
        }
    }

    fn explain(&self, words: &[String], seq: &[Option<u32>], doc: u32, values: &[f32]) -> Explanation {
        let claim = self.index.claim_terms(doc);
        let pairs = self.index.claim_pairs(doc);
        let mut out = Explanation::default();
        let mut run: Vec<&str> = Vec::new();
        for (i, t) in seq.iter().enumerate() {
            let in_claim = t.is_some_and(|t| claim.binary_search(&t).is_ok());
            let in_body =
                !in_claim && t.is_some_and(|t| self.index.postings(t).binary_search_by_key(&doc, |p| p.doc).is_ok());
            let word = words[i].as_str();
            if in_claim && !out.claim_words.iter().any(|w| w == word) {
                out.claim_words.push(word.to_owned());
            } else if in_body && !out.body_words.iter().any(|w| w == word) {
                out.body_words.push(word.to_owned());
            }
            let continues =
                i > 0 && matches!((seq[i - 1], *t), (Some(a), Some(b)) if pairs.binary_search(&pair(a, b)).is_ok());
            if continues {
                if run.is_empty() {
                    run.push(words[i - 1].as_str());
                }
                run.push(word);
            } else {
                flush_phrase(&mut run, &mut out.phrases);
            }
        }
        flush_phrase(&mut run, &mut out.phrases);
        let names = FEATURE_NAMES.iter().map(|n| n.to_string()).chain(self.signals.iter().map(|s| s.name().to_owned()));
        out.evidence = names.zip(values.iter().copied()).collect();
        out
    }
}

fn flush_phrase(run: &mut Vec<&str>, phrases: &mut Vec<String>) {
    if run.len() >= 2 {
        let phrase = run.join(" ");
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    run.clear();
}

/// Text-level calibration inputs from the best candidate's features. Nothing about the runner-up:
/// how close the next fact-check comes says more about the size of the database than about the
/// match (a desk with a few hundred fact-checks has no close runner-up to any text).
///
/// Besides the shares, the IDF mass the text and the headline share (`shared_mass`): a long post
/// that carries most of a headline's rare words covers only a small share of itself, as a long news
/// text sharing a topic does, but shares far more specific vocabulary. With IDF weighed against the
/// background table, that mass is a property of the pair, not of the database's size.
fn text_level(best: &[f32]) -> Vec<f32> {
    vec![best[2], best[3], best[4], best[7], best[0], best[16], best[19], best[20], best[17], best[10]]
}

/// Keeps the `k` best (doc, score) pairs in `heap` (as [`rank_key`]s, worst on top): one compare
/// per hit once the heap is full. Ties go to the lower record position so output is deterministic.
fn top_by_score(hits: impl Iterator<Item = (u32, f32)>, k: usize, heap: &mut BinaryHeap<Reverse<u64>>) {
    heap.clear();
    if k == 0 {
        return;
    }
    for (doc, score) in hits {
        let key = rank_key(doc, score);
        if heap.len() < k {
            heap.push(Reverse(key));
        } else if let Some(mut worst) = heap.peek_mut() {
            if key > worst.0 {
                *worst = Reverse(key);
            }
        }
    }
}

/// A key that orders (doc, score) pairs by score, then by lower record position; scores are
/// non-negative, so their bits order like the values.
fn rank_key(doc: u32, score: f32) -> u64 {
    (u64::from(score.max(0.0).to_bits()) << 32) | u64::from(u32::MAX - doc)
}

/// The bits of `value` as an integer that orders like the value (total order).
fn ordered_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn unrank_key(key: u64) -> (u32, f32) {
    (u32::MAX - key as u32, f32::from_bits((key >> 32) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldWeights, Index};

    fn fc(id: &str, title: &str, explanation: Option<&str>) -> FactCheck {
        FactCheck {
            id: id.into(),
            title: title.into(),
            claim: None,
            rating: Some("SALAH".into()),
            misinformation_type: None,
            explanation: explanation.map(Into::into),
            conclusion: None,
            url: None,
            publisher: None,
            date: None,
            lang: Some("id".into()),
            provenance: None,
        }
    }

    fn matcher() -> Matcher {
        matcher_over(records())
    }

    fn matcher_over(records: Vec<FactCheck>) -> Matcher {
        let analyzer = Analyzer::new();
        Matcher::new(Index::build(records, &analyzer, FieldWeights::default()), analyzer)
    }

    fn records() -> Vec<FactCheck> {
        vec![
            fc("vaksin", "Vaksin Covid-19 mengandung microchip untuk melacak warga", None),
            fc("bansos", "Pendaftaran bantuan sosial tunai Rp 600 ribu lewat tautan WhatsApp", None),
            fc("banjir", "Video banjir bandang di Jakarta tahun ini", Some("Video itu rekaman banjir di Brasil 2019.")),
            fc("loker", "Lowongan kerja PT Kereta Api Indonesia tanpa tes", None),
            fc("gempa", "Prediksi gempa besar mengguncang Jawa minggu depan", None),
            fc("listrik", "Subsidi listrik gratis untuk semua pelanggan PLN", None),
        ]
    }

    #[test]
    fn scores_do_not_depend_on_the_order_records_were_indexed_in() {
        let text = "Vaksin covid mengandung microchip untuk melacak warga, banjir bandang di Jakarta";
        let scores = |m: &Matcher| -> Vec<(String, f32)> {
            m.rank(text, 6).iter().map(|r| (m.index().record(r.doc).id.clone(), r.score)).collect()
        };
        let mut reversed = records();
        reversed.reverse();
        let (forward, backward) = (scores(&matcher()), scores(&matcher_over(reversed)));
        assert_eq!(forward.len(), backward.len());
        // Equal up to the order of float additions.
        for (a, b) in forward.iter().zip(&backward) {
            assert!(a.0 == b.0 && (a.1 - b.1).abs() < 1e-6, "{forward:?} vs {backward:?}");
        }
    }

    #[test]
    fn a_post_repeating_a_claim_finds_its_fact_check_first_with_evidence() {
        let m = matcher();
        let best = m.best("AWAS!!! vaksin covid itu ada microchip nya buat melacak warga, sebarkan!", 3);
        assert_eq!(best[0].factcheck.id, "vaksin");
        assert!(best.windows(2).all(|w| w[0].score >= w[1].score));
        let e = &best[0].explanation;
        assert!(e.claim_words.iter().any(|w| w == "microchip"), "{e:?}");
        assert!(e.phrases.iter().any(|p| p.contains("melacak warga")), "{e:?}");
        assert_eq!(e.evidence.len(), FEATURES);
    }

    #[test]
    fn an_amount_matches_however_it_is_written() {
        let m = matcher();
        for text in ["Bantuan sosial tunai Rp600.000 cair, daftar lewat WhatsApp", "bansos tunai 600rb cair"] {
            let best = m.best(text, 1);
            assert_eq!(best[0].factcheck.id, "bansos");
            let e = &best[0].explanation;
            assert!(e.claim_words.iter().any(|w| w == "600000"), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn a_post_writing_link_and_wa_meets_a_headline_writing_tautan_and_whatsapp() {
        let m = matcher();
        let score = |text: &str| {
            let best = m.best(text, 1);
            assert_eq!(best[0].factcheck.id, "bansos", "{text:?}");
            let e = &best[0].explanation;
            assert!(["tautan", "whatsapp"].iter().all(|w| e.claim_words.iter().any(|c| c == w)), "{text:?}: {e:?}");
            best[0].score
        };
        assert_eq!(
            score("Daftar bansos tunai lewat link WA ini"),
            score("Daftar bansos tunai lewat tautan WhatsApp ini")
        );
    }

    #[test]
    fn related_texts_outscore_unrelated_ones() {
        let m = matcher();
        let hit = m.rank("Daftar bantuan sosial tunai 600 ribu lewat link WhatsApp ini", 1);
        assert_eq!(m.index().record(hit[0].doc).id, "bansos");
        let unrelated = m.rank("Resep rendang daging sapi empuk dan bumbu meresap", 1);
        assert!(unrelated.first().is_none_or(|r| r.score < hit[0].score));
        assert!(m.rank("", 5).is_empty());
    }

    #[test]
    fn a_match_scores_alike_against_a_small_and_a_larger_database() {
        let text = "Daftar bantuan sosial tunai 600 ribu lewat link WhatsApp ini";
        let score = |m: &Matcher| {
            let best = m.rank(text, 1)[0];
            assert_eq!(m.index().record(best.doc).id, "bansos");
            best.score
        };
        let mut larger = records();
        let topics = ["harga beras", "jalan tol", "banjir rob", "kartu prakerja", "pajak kendaraan", "tiket kereta"];
        for (i, topic) in topics.iter().cycle().take(120).enumerate() {
            let title = format!("Kabar {topic} nomor {i} di kota {} tidak benar", i % 17);
            larger.push(fc(&format!("other-{i}"), &title, Some("Penjelasan resmi dari instansi terkait.")));
        }
        let (small, large) = (score(&matcher()), score(&matcher_over(larger)));
        assert!((small - large).abs() < 0.05, "{small} against 6 fact-checks, {large} against 126");
    }

    #[test]
    fn thresholds_answer_for_the_best_match() {
        let t = Thresholds { auto_answer: 0.5, suggest: 0.1 };
        assert_eq!(t.answer(Some(0.5)), Answer::Auto);
        assert_eq!(t.answer(Some(0.3)), Answer::Suggest);
        assert_eq!(t.answer(Some(0.05)), Answer::None);
        assert_eq!(t.answer(None), Answer::None);
        assert_eq!(serde_json::to_string(&Answer::Suggest).unwrap(), "\"suggest\"");
    }

    #[test]
    fn thresholds_are_checked_for_range_and_order() {
        assert_eq!(Thresholds::checked(0.5, 0.1), Ok(Thresholds { auto_answer: 0.5, suggest: 0.1 }));
        assert_eq!(Thresholds::checked(0.3, 0.3).map(|t| t.suggest), Ok(0.3));
        assert_eq!(Thresholds::checked(1.2, 0.1).unwrap_err().0, "auto_answer");
        assert_eq!(Thresholds::checked(0.5, -0.1).unwrap_err().0, "suggest");
        assert_eq!(Thresholds::checked(0.5, f32::NAN).unwrap_err().0, "suggest");
        assert_eq!(Thresholds::checked(0.2, 0.4).unwrap_err().0, "suggest");
    }

    struct Constant;

    impl Signal for Constant {
        fn name(&self) -> &str {
            "constant"
        }
        fn score(&self, _text: &str, _candidates: &[u32], out: &mut [f32]) {
            out.fill(0.5);
        }
    }

    #[test]
    fn a_signal_needs_a_model_with_its_weight() {
        let model = crate::model::default_model();
        assert!(matcher().with_signal(Box::new(Constant), model.clone()).is_err());
        let mut wider = model;
        wider.rank.push(1.0);
        let m = matcher().with_signal(Box::new(Constant), wider).unwrap();
        let best = m.best("vaksin covid microchip melacak warga", 1);
        assert_eq!(best[0].explanation.evidence.last().unwrap(), &("constant".to_owned(), 0.5));
    }
}
