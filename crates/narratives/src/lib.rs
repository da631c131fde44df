//! Narratives: many edited copies of one message, seen as one thing.
//!
//! A hoax travels as thousands of edited copies. This crate turns a stream of posts into
//! *narratives* and says how each one spreads and whether accounts push it in concert:
//!
//! * [`features`]: text → shingle set, through the shared Indonesian analyser;
//! * [`index`]: the streaming clustering, with merges and their history;
//! * [`spread`]: per-narrative figures (reach, accounts, platforms, velocity, central copy);
//! * [`coordination`]: CooRnet-style detection of coordinated sharing;
//! * [`Tracker`]: the three kept in step, the entry point for ingest;
//! * [`clustering`]: one pass over a stream without a store, for evaluation.
//!
//! The crate is pure: it reads and writes nothing but the snapshot streams a caller hands it.

pub mod clustering;
pub mod coordination;
pub mod features;
pub mod index;
mod postings;
mod snapshot;

pub mod spread;
mod tracker;

pub use snapshot::SnapshotError;
pub use tracker::{Observation, Tracker, SNAPSHOT_VERSION};
