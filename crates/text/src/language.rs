//! Which language a short text is in: Indonesian, English, Malay, Javanese or Sundanese.
//!
//! No single well-kept crate covers these five: `whatlang` knows Indonesian, Javanese and English
//! but not Malay or Sundanese, and `lingua` knows Indonesian, Malay and English but not Javanese or
//! Sundanese (the crate README reports both measured on our labelled set). So the detector combines:
//!
//! - marker words (`data/language-markers.txt`): words that belong to one of the five languages and
//!   not the others in everyday use (`ora`, `teu`, `kerana`, `banget`, `the`); each hit is one point;
//! - Sundanese spelling: the `eu` vowel (`teu`, `deui`, `leutik`) is rare elsewhere, half a point a
//!   word;
//! - `whatlang`'s trigram model restricted to Indonesian, Javanese and English, weighted by its own
//!   confidence (at most 1.5 points). An Indonesian verdict counts for Malay too, since the trigram
//!   model cannot tell them apart; with no marker either way, Indonesian wins the tie.
//!
//! The confidence is the winner's share of all points, so it is low when signals conflict.
//!
//! ```
//! use tangkal_text::language::{detect, Language};
//! let g = detect("Aku ora percaya karo kabar kuwi").unwrap();
//! assert_eq!(g.language, Language::Javanese);
//! assert!(g.confidence > 0.5);
//! assert_eq!(detect("Abdi teu acan tuang").unwrap().language, Language::Sundanese);
//! assert_eq!(detect("Kerajaan menafikan kenyataan itu").unwrap().language, Language::Malay);
//! assert_eq!(detect("Vaksin itu aman, jangan percaya hoaks").unwrap().language, Language::Indonesian);
//! assert!(detect("🙏 123").is_none());
//! ```

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::dictionary::{fast_hash, FastHash};
use crate::tokenizer;
use crate::TokenKind;

/// The languages told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Indonesian,
    English,
    Malay,
    Javanese,
    Sundanese,
}

impl Language {
    /// In tie-break order.
    pub const ALL: [Language; 5] =
        [Language::Indonesian, Language::Malay, Language::Javanese, Language::Sundanese, Language::English];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Indonesian => "id",
            Language::English => "en",
            Language::Malay => "ms",
            Language::Javanese => "jv",
            Language::Sundanese => "su",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    fn index(self) -> usize {
        Language::ALL.iter().position(|&l| l == self).expect("listed")
    }
}

/// A detected language and how sure the detector is (0–1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanguageGuess {
    pub language: Language,
    pub confidence: f64,
}

pub const MARKERS: &str = include_str!("../data/language-markers.txt");

/// Marker word → bit set of languages (bit = index in [`Language::ALL`]).
static MARKER_SETS: LazyLock<HashMap<&'static str, u8, FastHash>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, u8, FastHash> = HashMap::with_hasher(fast_hash());
    let mut current = None;
    for (i, line) in MARKERS.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(code) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let lang = Language::from_code(code);
            assert!(lang.is_some(), "data/language-markers.txt:{}: unknown language {code:?}", i + 1);
            current = lang;
            continue;
        }
        let lang = current.unwrap_or_else(|| panic!("data/language-markers.txt:{}: words before a [xx] line", i + 1));
        for word in line.split_whitespace() {
            *map.entry(word).or_default() |= 1 << lang.index();
        }
    }
    map
});

/// Points per language, in [`Language::ALL`] order.
pub fn scores(text: &str) -> [f64; 5] {
    let mut points = [0.0; 5];
    let mut word = String::new();
    // The words alone, for the trigram model: links, mentions and emoji are no language evidence.
    let mut words = String::with_capacity(text.len());
    for span in tokenizer::spans(text) {
        if span.kind != TokenKind::Word {
            continue;
        }
        word.clear();
        span.fold_into(text, &mut word);
        words.push_str(&word);
        words.push(' ');
        strip_accents(&mut word);
        if let Some(&set) = MARKER_SETS.get(word.as_str()) {
            let shares = set.count_ones() as f64;
            for (i, p) in points.iter_mut().enumerate() {
                if set & (1 << i) != 0 {
                    *p += 1.0 / shares;
                }
            }
        }
        if word.contains("eu") {
            points[Language::Sundanese.index()] += 0.5;
        }
    }
    let options =
        whatlang::Detector::with_allowlist(vec![whatlang::Lang::Ind, whatlang::Lang::Jav, whatlang::Lang::Eng]);
    if let Some(info) = options.detect(&words) {
        let weight = 1.5 * info.confidence();
        match info.lang() {
            whatlang::Lang::Eng => points[Language::English.index()] += weight,
            whatlang::Lang::Jav => points[Language::Javanese.index()] += weight,
            _ => {
                points[Language::Indonesian.index()] += weight;
                points[Language::Malay.index()] += weight;
            }
        }
    }
    points
}

/// The most likely language of `text`, or `None` when nothing in it is language evidence
/// (emoji, numbers, links only).
pub fn detect(text: &str) -> Option<LanguageGuess> {
    let points = scores(text);
    let total: f64 = points.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut best = 0;
    for i in 1..points.len() {
        if points[i] > points[best] {
            best = i;
        }
    }
    Some(LanguageGuess { language: Language::ALL[best], confidence: points[best] / total })
}

fn strip_accents(word: &mut String) {
    if word.is_ascii() {
        return;
    }
    *word = word
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'á' | 'à' | 'â' => 'a',
            'í' | 'ì' | 'î' => 'i',
            'ó' | 'ò' | 'ô' => 'o',
            'ú' | 'ù' | 'û' => 'u',
            c => c,
        })
        .collect();
}
