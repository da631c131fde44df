//! "Was this debunked before?": matching texts against published fact-checks.
//!
//! Build an [`Index`] from [`FactCheck`](tangkal_model::FactCheck) records, wrap it in a [`Matcher`],
//! and ask [`Matcher::best`] for the fact-checks of a post, narrative or report. Scores are calibrated
//! probabilities (0..=1) that the fact-check is about the text's claim, so the [`Thresholds`]
//! (auto-answer, suggest) mean the same for every text.
//!
//! Ranking is two-stage: BM25F over Indonesian stems (claim fields weighted above the explanation)
//! picks candidates, then a learned ranker (a weighted sum plus boosted regression trees) over
//! evidence about each pair (share of the claim's words and character trigrams the text covers,
//! shared adjacent word pairs, score relative to the best candidate, how complete the record is ...)
//! orders them, and a logistic calibration scores them. A semantic scorer joins as one more
//! [`Signal`] with its own model weight.
//!
//! [`formats`] reads and writes the fact-check exchange formats (JSONL, schema.org ClaimReview,
//! CSV with a column map).

mod background;
mod calibrate;
pub mod formats;
mod index;
mod model;
mod rank;

pub use calibrate::{
    fit_calibration, fit_forest, fit_ranker, linear_value, logistic, Calibration, Forest, ForestParams, Model,
    QUERY_FEATURES, QUERY_FEATURE_NAMES,
};
pub use index::{FieldWeights, Index};
pub use rank::{
    Answer, Explanation, Features, Match, Matcher, Options, Ranked, Signal, Thresholds, FEATURES, FEATURE_NAMES,
};

/// Bumped whenever the text analysis that indexes and queries go through changes in a way the shipped
/// model and background table do not show (they are hashed into [`revision`] already).
const ANALYSIS_REVISION: u32 = 3;

/// Everything besides the fact-checks that a match depends on: this crate's version, the analysis,
/// the shipped model and the background table. Stored matches carry it, so a change to any of them
/// means matching again.
pub fn revision() -> &'static str {
    static REVISION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    REVISION.get_or_init(|| {
        let shipped = xxhash_rust::xxh3::xxh3_64(
            [include_str!("model.json"), include_str!("background.tsv")].concat().as_bytes(),
        );
        format!("{} analysis {ANALYSIS_REVISION} model {shipped:016x}", env!("CARGO_PKG_VERSION"))
    })
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the model has {found} weights where the matcher has {expected} inputs")]
    Model { expected: usize, found: usize },
}
