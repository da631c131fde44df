//! Folding records that are the same fact-check.

use std::collections::HashMap;

use tangkal_model::FactCheck;
use tangkal_text::Analyzer;

/// A record dropped as a copy of an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Duplicate {
    pub dropped: String,
    pub kept: String,
    /// `url` or `claim`.
    pub by: &'static str,
}

/// Keeps the first of records with the same id or URL, and of records from the same publisher whose
/// claim text has the same words (order, case, punctuation and spelling variants aside): the same
/// fact-check scraped twice. Different publishers' checks of one claim are all kept: each is a
/// debunk in its own right.
pub fn dedup(records: Vec<FactCheck>, analyzer: &Analyzer) -> (Vec<FactCheck>, Vec<Duplicate>) {
    let mut by_id: HashMap<String, String> = HashMap::new();
    let mut by_url: HashMap<String, String> = HashMap::new();
    let mut by_claim: HashMap<(Option<String>, Vec<String>), String> = HashMap::new();
    let mut kept = Vec::with_capacity(records.len());
    let mut dropped = Vec::new();
    for r in records {
        if let Some(first) = by_id.get(&r.id) {
            dropped.push(Duplicate { dropped: r.id.clone(), kept: first.clone(), by: "id" });
            continue;
        }
        let url = r.url_key();
        if let Some(first) = url.as_ref().and_then(|u| by_url.get(u)) {
            dropped.push(Duplicate { dropped: r.id.clone(), kept: first.clone(), by: "url" });
            continue;
        }
        let mut words = analyzer.analyze(&r.claim_text()).terms;
        words.sort_unstable();
        words.dedup();
        let claim_key = (r.publisher.as_ref().map(|p| p.to_lowercase()), words);
        if let Some(first) = by_claim.get(&claim_key) {
            dropped.push(Duplicate { dropped: r.id.clone(), kept: first.clone(), by: "claim" });
            continue;
        }
        by_id.insert(r.id.clone(), r.id.clone());
        if let Some(u) = url {
            by_url.insert(u, r.id.clone());
        }
        if !claim_key.1.is_empty() {
            by_claim.insert(claim_key, r.id.clone());
        }
        kept.push(r);
    }
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(id: &str, title: &str, url: Option<&str>, publisher: &str) -> FactCheck {
        FactCheck {
            id: id.into(),
            title: title.into(),
            claim: None,
            rating: None,
            misinformation_type: None,
            explanation: None,
            conclusion: None,
            url: url.map(Into::into),
            publisher: Some(publisher.into()),
            date: None,
            lang: None,
            provenance: None,
        }
    }

    #[test]
    fn same_url_or_same_claim_words_from_one_publisher_fold() {
        let records = vec![
            fc("a", "Vaksin mengandung chip", Some("https://www.Cek.id/vaksin/"), "P"),
            fc("b", "Judul lain", Some("http://cek.id/vaksin?utm=x"), "P"),
            fc("c", "VAKSIN mengandung chip!!", None, "P"),
            fc("d", "Vaksin mengandung chip", None, "Q"),
            fc("e", "Vaksin tidak mengandung chip", None, "P"),
            fc("a", "Lagi", None, "Q"),
        ];
        let (kept, dropped) = dedup(records, &Analyzer::new());
        let ids: Vec<_> = kept.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "d", "e"]);
        let by: Vec<_> = dropped.iter().map(|d| (d.dropped.as_str(), d.by)).collect();
        assert_eq!(by, [("b", "url"), ("c", "claim"), ("a", "id")]);
    }
}
