//! The fact-check record: what a fact-checker published about one claim. It lives here rather than with
//! the matcher because the store keeps these records too, and the store must not depend on the matcher.

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

    /// The record's URL reduced to the page it names, which tells copies of one fact-check from other
    /// fact-checks: importers fold records with the same key, ids are derived from it, and the store takes
    /// an incoming record with a stored record's key for that record, whatever its id. Scheme, `www.`,
    /// query, fragment, a trailing slash and an `/amp` page are ignored and the host lower-cased:
    /// fact-checkers' articles are shared and scraped in all these forms, and their path alone names the
    /// article.
    pub fn url_key(&self) -> Option<String> {
        let url = self.url.as_deref()?.trim();
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix("/amp").unwrap_or(path);
        Some(format!("{host}/{path}"))
    }
}

fn join<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts.into_iter().flatten().filter(|s| !s.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> FactCheck {
        FactCheck { url: Some(url.into()), ..FactCheck::default() }
    }

    #[test]
    fn url_keys_ignore_what_does_not_name_another_check() {
        let key = |url| with_url(url).url_key().unwrap();
        assert_eq!(key("https://www.Cek.id/vaksin/"), "cek.id/vaksin");
        assert_eq!(key(" http://cek.id/vaksin/amp?utm=x#top "), "cek.id/vaksin");
        assert_eq!(key("cek.id"), "cek.id/");
        assert_eq!(FactCheck::default().url_key(), None);
    }
}
