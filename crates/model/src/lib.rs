//! Tangkal's shared records.
//!
//! An [`Item`] is one post or article as Tangkal took it in: the fields every detector reads, plus the
//! raw record exactly as received so that nothing a source sent is ever thrown away. Sources that are not
//! JSON (CSV rows, feed entries) fill a [`Fields`] and go through the same validation as the JSONL format,
//! so every input path rejects bad records for the same reasons with the same messages.
//!
//! A [`FactCheck`] is one published fact-check, the record the matcher indexes and the store keeps.
//!
//! The JSONL item format is documented in `docs/item-format.md`, the fact-check formats in
//! `docs/factcheck-formats.md`.

mod factcheck;
mod identity;
mod ids;
mod item;

pub use factcheck::FactCheck;
pub use identity::Identity;
pub use ids::{ItemId, NarrativeId};
pub use item::{
    is_platform_name, parse_json_fields, parse_json_item, Author, CheckedFields, Fields, Item, ItemError, Metrics,
    DEFAULT_MAX_TEXT_BYTES,
};
