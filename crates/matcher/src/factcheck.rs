//! The fact-check record: what a fact-checker published about one claim.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One published fact-check. Only `id` and `title` are required; everything else is kept when the
/// source states it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactCheck {
    /// Stable identifier, unique in a collection (derived from the URL or title when absent).
    #[serde(default)]
    pub id: String,
    /// The headline, without its verdict tag.
    #[serde(default)]
    pub title: String,
    /// The checked claim, when the source states it apart from the headline.
    #[serde(default)]
    pub claim: Option<String>,
    /// The verdict as published, upper-case (`SALAH`, `HOAKS`, `BENAR`, ...).
    #[serde(default)]
    pub rating: Option<String>,
    /// Kind of misinformation (fabricated content, misleading content, false context, scam ...).
    #[serde(default)]
    pub misinformation_type: Option<String>,
    #[serde(default)]
    pub explanation: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub publisher: Option<String>,
    /// Publication date.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// ISO 639-1 language of the fact-check.
    #[serde(default)]
    pub lang: Option<String>,
    /// Where the record came from (source collections, `+`-joined when several).
    #[serde(default, alias = "dataset")]
    pub provenance: Option<String>,
}

impl FactCheck {
    /// The text the claim itself is stated in: headline plus the separately stated claim.
    pub fn claim_text(&self) -> String {
        join([Some(self.title.as_str()), self.claim.as_deref()])
    }

    /// The fact-checker's own reasoning: explanation plus conclusion.
    pub fn body_text(&self) -> String {
        join([self.explanation.as_deref(), self.conclusion.as_deref()])
    }
}

fn join<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts.into_iter().flatten().filter(|s| !s.trim().is_empty()).collect::<Vec<_>>().join("\n")
}
