//! Fact-check exchange formats: the JSONL corpus format, schema.org ClaimReview JSON-LD and CSV with
//! a column map. Readers keep every good record and report each bad one with its place and reason;
//! [`dedup`] then folds records that are the same fact-check. See docs/factcheck-formats.md.

mod claimreview;
mod csv;
mod dedup;
mod jsonl;

use std::fmt;

use chrono::NaiveDate;
use tangkal_model::FactCheck;

pub use self::claimreview::{read_claimreview, read_claimreview_value, write_claimreview};
pub use self::csv::{read_csv, write_csv, ColumnMap, FIELDS};
pub use self::dedup::{dedup, Duplicate};
pub use self::jsonl::{read_jsonl, write_jsonl};

/// A record that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    /// File and line, or file and JSON path.
    pub place: String,
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

/// What a reader made of one input.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<FactCheck>,
    pub rejected: Vec<Rejected>,
}

/// The fact-check file formats, each with its reader in this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    ClaimReview,
    Csv,
}

impl Format {
    /// Guesses from the file name: `.jsonl`/`.ndjson`, `.json`/`.jsonld`, `.csv`.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "json" | "jsonld" => Some(Format::ClaimReview),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Checks and normalises one record: required fields present, the date a calendar date, the URL
/// absolute http(s), the rating upper-case, blank strings treated as absent. A missing id is
/// derived from the URL (else the title) so re-imports keep the same id.
pub fn validate(mut r: FactCheck) -> Result<FactCheck, String> {
    for field in [
        &mut r.claim,
        &mut r.rating,
        &mut r.misinformation_type,
        &mut r.explanation,
        &mut r.conclusion,
        &mut r.url,
        &mut r.publisher,
        &mut r.lang,
        &mut r.provenance,
    ] {
        if field.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *field = None;
        }
        if let Some(s) = field {
            *s = s.trim().to_owned();
        }
    }
    r.title = r.title.trim().to_owned();
    if r.title.is_empty() {
        match r.claim.clone() {
            Some(claim) => r.title = claim,
            None => return Err("field \"title\": missing or empty (and no \"claim\" to use instead)".into()),
        }
    }
    if let Some(url) = &r.url {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.contains(char::is_whitespace) {
            return Err(format!("field \"url\": {url:?} is not an absolute http(s) URL"));
        }
    }
    if let Some(rating) = &mut r.rating {
        *rating = rating.to_uppercase();
    }
    r.id = r.id.trim().to_owned();
    if r.id.is_empty() {
        r.id = derived_id(&r);
    }
    Ok(r)
}

/// `fc-` and 12 hex digits of a hash of the URL's [`FactCheck::url_key`], else of the title.
pub fn derived_id(r: &FactCheck) -> String {
    let key = r.url_key().unwrap_or_else(|| r.title.to_lowercase());
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("fc-{:012x}", h & 0xffff_ffff_ffff)
}

/// Accepts `YYYY-MM-DD` and ISO 8601 date-times (the date part is kept).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a YYYY-MM-DD date"))
}
