//! Tangkal's intake: sources → analysis → the store.
//!
//! A [`Source`] yields raw records with their place (file and line); [`ingest`] parses and analyses them on
//! a worker thread, places new items in narratives on another (the stages), and writes them to the store on
//! the calling thread, one transaction per `batch_size` records. Every record ends up counted exactly once:
//! new, updated, duplicate or rejected. Rejected records go to a dead-letter JSONL file with their place and
//! reason, and the run goes on. Because a transaction is atomic and every item has a stable identity,
//! killing an import at any moment and running it again stores exactly the distinct items of the input.

pub mod coordination;
mod csv_source;
mod detection;
mod factcheck_pull;
mod feed;
mod http;
mod ingest;
mod jsonl;
mod matching_stage;
mod narratives_stage;
mod rejects;
mod source;

#[cfg(test)]
mod fuzz;

pub use csv_source::ColumnMap;
pub use detection::Detection;
pub use factcheck_pull::{pull_factchecks, FeedKind, Pulled};
pub use feed::{fetch_feed, FeedSource};
pub use ingest::{ingest, ingest_with_stages, IngestOptions, IngestSummary, Progress, Stage};
pub use matching_stage::{
    thresholds_in_force, MatchingStage, MatchingTotals, DETECTOR as CLAIMS_DETECTOR, THRESHOLDS_SETTING,
};
pub use narratives_stage::{stored_tracker, NarrativeStage, SNAPSHOT_FILE as NARRATIVES_SNAPSHOT_FILE};
pub use rejects::{Reject, RejectWriter};
pub use source::{open_file, open_reader, Format, Record, Source};
