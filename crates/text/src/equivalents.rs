//! Words that a circulating post and a fact-check write differently for the same thing (`link` and
//! `tautan`, `wa` and `whatsapp`, `upload` and `unggah`), read as one when texts are compared with each
//! other (`data/equivalents.tsv`, applied by [`Analyzer::for_matching`](crate::Analyzer::for_matching)).
//!
//! Only matching reads them: the canonical form that fingerprints, clustering shingles and stored
//! snapshots depend on keeps the words as written.
//!
//! ```
//! use tangkal_text::equivalents::equivalent;
//! assert_eq!(equivalent("link"), Some("tautan"));
//! assert_eq!(equivalent("wa"), Some("whatsapp"));
//! assert_eq!(equivalent("tautan"), None);
//! ```

use std::sync::LazyLock;

use crate::Lexicon;

/// The table shipped with the crate, in the informal lexicon's format (`word<TAB>equivalent`).
pub const EQUIVALENTS_TSV: &str = include_str!("../data/equivalents.tsv");

static TABLE: LazyLock<Lexicon> =
    LazyLock::new(|| Lexicon::parse(EQUIVALENTS_TSV, "data/equivalents.tsv").expect("shipped equivalents parse"));

/// The form matching reads `word` (standard spelling, lower case) as, if it has another.
pub fn equivalent(word: &str) -> Option<&'static str> {
    TABLE.get(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Normalizer;

    #[test]
    fn equivalents_are_single_final_standard_words() {
        let normalizer = Normalizer::new();
        let entries = EQUIVALENTS_TSV.lines().filter(|l| !l.is_empty() && !l.starts_with('#'));
        for (word, target) in entries.map(|l| l.split_once('\t').expect("word<TAB>equivalent")) {
            // One word for one word, read once: no chains, nothing the normaliser would change again.
            assert!(word != target && !target.contains(' '), "{word} → {target}");
            assert_eq!(equivalent(target), None, "{word} → {target}");
            assert_eq!(normalizer.normalize(target), target, "{word} → {target}");
            // A word the normaliser rewrites never reaches the table.
            assert_eq!(normalizer.normalize(word), word, "{word}");
        }
    }
}
