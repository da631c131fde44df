//! Indonesian text analysis: every detector reads text through this crate, so no consumer
//! re-implements tokenising, normalising or stemming.
//!
//! PROVISIONAL: the public API below is the contract other crates build on; the analysis itself is a
//! placeholder (lower-case alphanumeric words, no stemming) until the full analyser lands.

pub mod dictionary;
pub mod stemmer;

pub use dictionary::Dictionary;
pub use stemmer::{StemScratch, Stemmer};

/// What kind of span a [`Token`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Word,
    Number,
    Url,
    Mention,
    Hashtag,
    Emoji,
}

/// A span of the original text with its kind; `start..end` are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// Case-folded, NFKC form of the span.
    pub text: String,
}

/// One text in every form a consumer needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Typed tokens of the original text, in order.
    pub tokens: Vec<Token>,
    /// Word tokens in standard spelling (informal forms, letter repeats and leetspeak resolved), in order.
    pub terms: Vec<String>,
    /// Sastrawi stems of `terms`, position for position.
    pub stems: Vec<String>,
    /// `terms` joined by single spaces: equal canonical forms mean the same words in the same order.
    pub canonical: String,
}

impl Analysis {
    /// Hashes of every run of `k` consecutive terms (all terms once if there are fewer than `k`).
    pub fn shingles(&self, k: usize) -> Vec<u64> {
        let k = k.max(1);
        if self.terms.len() <= k {
            return vec![hash_words(&self.terms)];
        }
        self.terms.windows(k).map(hash_words).collect()
    }
}

fn hash_words(words: &[String]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for w in words {
        h.update(w.as_bytes());
        h.update(&[0]);
    }
    h.digest()
}

/// Turns texts into [`Analysis`] values. Build one and share it: construction loads the lexicons.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {}

impl Analyzer {
    pub fn new() -> Analyzer {
        Analyzer {}
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        let mut tokens = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    let word = text[s..i].to_lowercase();
                    let kind =
                        if word.chars().all(|c| c.is_ascii_digit()) { TokenKind::Number } else { TokenKind::Word };
                    tokens.push(Token { kind, start: s, end: i, text: word });
                    start = None;
                }
                _ => {}
            }
        }
        let terms: Vec<String> = tokens.iter().filter(|t| t.kind == TokenKind::Word).map(|t| t.text.clone()).collect();
        Analysis { canonical: terms.join(" "), stems: terms.clone(), terms, tokens }
    }
}

/// A 64-bit hash of the canonical form: equal for copies that differ only in case, spacing,
/// punctuation, emoji, links and informal spelling. Cheap enough to run on every ingested item.
pub fn fingerprint(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(Analyzer::new().analyze(text).canonical.as_bytes())
}
