//! Informal Indonesian to standard spelling, one word at a time.
//!
//! Chat Indonesian shortens words (`yg`, `tdk`, `udh`), writes reduplication with a digit (`anak2`),
//! stretches letters (`bangeeet`) and swaps letters for digits (`s4y4`). The normaliser undoes these,
//! and only these: a word is changed when it is an entry of the informal lexicon, ends in the
//! reduplication digit `2`, has three or more identical letters in a row, or mixes letters and digits
//! in a way that reads as a known word. Standard Indonesian and English words have none of these
//! shapes (the lexicon leaves out informal forms that are also standard words, such as `kayak`), so
//! correct text passes through unchanged.
//!
//! ```
//! use tangkal_text::normalizer::Normalizer;
//! let n = Normalizer::new();
//! assert_eq!(n.normalize("yg"), "yang");
//! assert_eq!(n.normalize("anak2"), "anak-anak");
//! assert_eq!(n.normalize("bangeeet"), "banget");
//! assert_eq!(n.normalize("s4y4"), "saya");
//! assert_eq!(n.normalize("gpp"), "tidak apa-apa");
//! assert_eq!(n.normalize("covid19"), "covid19"); // not a word in disguise: left alone
//! assert_eq!(n.normalize("vaccine"), "vaccine");
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::dictionary::{fast_hash, FastHash};
use crate::stemmer::Stemmer;
use crate::stopwords;

/// The informal lexicon shipped with the crate (`data/informal.tsv`).
pub const INFORMAL_TSV: &str = include_str!("../data/informal.tsv");

static BUILTIN: LazyLock<Arc<Lexicon>> =
    LazyLock::new(|| Arc::new(Lexicon::parse(INFORMAL_TSV, "data/informal.tsv").expect("shipped lexicon parses")));

static DEFAULT: LazyLock<Normalizer> =
    LazyLock::new(|| Normalizer { lexicon: BUILTIN.clone(), stemmer: Stemmer::sastrawi() });

/// Informal forms and their standard spelling.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    entries: HashMap<Box<str>, Box<str>, FastHash>,
    /// One bit per (first byte, second byte, last byte, length) class, hashed into 2^16 bits: a word
    /// whose class no entry has is ruled out without hashing (most words are).
    filter: Vec<u64>,
}

/// A malformed lexicon line, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconError {
    pub source: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LexiconError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.message)
    }
}

impl std::error::Error for LexiconError {}

impl Lexicon {
    /// The lexicon shipped with the crate.
    pub fn builtin() -> Lexicon {
        (**BUILTIN).clone()
    }

    /// Reads `informal<TAB>standard` lines; blank lines and lines starting with `#` are skipped.
    /// Both sides are lower-cased. Every malformed line is reported with `source` and its line number;
    /// the first one is returned.
    pub fn parse(text: &str, source: &str) -> Result<Lexicon, LexiconError> {
        let mut entries = HashMap::with_hasher(fast_hash());
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: &str| LexiconError { source: source.to_owned(), line: i + 1, message: message.into() };
            let Some((informal, standard)) = line.split_once('\t') else {
                return Err(err("expected `informal<TAB>standard`"));
            };
            let (informal, standard) = (informal.trim().to_lowercase(), standard.trim().to_lowercase());
            if informal.is_empty() || standard.is_empty() {
                return Err(err("empty informal or standard form"));
            }
            if informal.contains(char::is_whitespace) {
                return Err(err("the informal form must be one word"));
            }
            if standard.contains('\t') {
                return Err(err("more than two tab-separated fields"));
            }
            let standard = standard.split_whitespace().collect::<Vec<_>>().join(" ");
            entries.insert(informal.into_boxed_str(), standard.into_boxed_str());
        }
        Ok(Lexicon::from_entries(entries))
    }

    fn from_entries(entries: HashMap<Box<str>, Box<str>, FastHash>) -> Lexicon {
        let mut filter = vec![0u64; 1 << 10];
        for key in entries.keys() {
            let bit = filter_bit(key.as_bytes());
            filter[bit / 64] |= 1 << (bit % 64);
        }
        Lexicon { entries, filter }
    }

    /// Adds `other`'s entries, replacing entries for the same informal form.
    pub fn extend(&mut self, other: Lexicon) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.extend(other.entries);
        *self = Lexicon::from_entries(entries);
    }

    pub fn get(&self, informal: &str) -> Option<&str> {
        let bit = filter_bit(informal.as_bytes());
        if self.filter.get(bit / 64).is_none_or(|w| w & (1 << (bit % 64)) == 0) {
            return None;
        }
        self.entries.get(informal).map(|s| &**s)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn is_standard_form(&self, word: &str) -> bool {
        self.entries.values().any(|s| &**s == word)
    }
}

#[inline]
fn filter_bit(w: &[u8]) -> usize {
    let (Some(&first), Some(&last)) = (w.first(), w.last()) else { return 0 };
    let second = w.get(1).copied().unwrap_or(0);
    let class = (first as u32) | (second as u32) << 8 | (last as u32) << 16 | (w.len().min(255) as u32) << 24;
    (class.wrapping_mul(0x9e37_79b1) >> 16) as usize
}

/// What the normaliser did to a word, for display and debugging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// An informal-lexicon entry replaced the word.
    Lexicon,
    /// `kata2` became `kata-kata`.
    Reduplication,
    /// Digits standing for letters were read as letters (`s4y4`).
    Leetspeak,
    /// Stretched letters were squeezed (`bangeeet`).
    Squeezed,
}

/// Turns folded (lower-case, NFKC) words into standard spelling. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Normalizer {
    lexicon: Arc<Lexicon>,
    stemmer: Stemmer,
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer::new()
    }
}

impl Normalizer {
    /// The shipped lexicon and the Sastrawi dictionary, shared with every other default instance.
    pub fn new() -> Normalizer {
        DEFAULT.clone()
    }

    /// A normaliser over another lexicon (e.g. [`Lexicon::builtin`] extended from configuration) and
    /// stemmer (whose dictionary decides which words are known).
    pub fn with(lexicon: Lexicon, stemmer: Stemmer) -> Normalizer {
        Normalizer { lexicon: Arc::new(lexicon), stemmer }
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    pub fn stemmer(&self) -> &Stemmer {
        &self.stemmer
    }

    /// The standard form of one folded word; several words when a lexicon entry expands
    /// (`dll` → `dan lain-lain`).
    pub fn normalize(&self, word: &str) -> String {
        let mut out = String::new();
        self.normalize_into(word, &mut out);
        out
    }

    /// [`Normalizer::normalize`] appending to `out`, allocation-free for the common cases.
    pub fn normalize_into(&self, word: &str, out: &mut String) {
        self.normalize_with(word, out, &mut |_| {});
    }

    /// [`Normalizer::normalize`] and the changes made, in order.
    pub fn explain(&self, word: &str) -> (String, Vec<Change>) {
        let mut out = String::new();
        let mut changes = Vec::new();
        self.normalize_with(word, &mut out, &mut |c| changes.push(c));
        (out, changes)
    }

    fn normalize_with(&self, word: &str, out: &mut String, log: &mut dyn FnMut(Change)) {
        if let Some(standard) = self.lexicon.get(word) {
            log(Change::Lexicon);
            out.push_str(standard);
            return;
        }
        let bytes = word.as_bytes();
        let has_digit = bytes.iter().any(u8::is_ascii_digit);
        if !has_digit && !has_letter_run(bytes) {
            out.push_str(word);
            return;
        }
        if has_digit {
            if let Some((base, suffix)) = reduplication(word) {
                let base = match self.lexicon.get(base) {
                    Some(standard) if !standard.contains(' ') => standard,
                    Some(_) => base,
                    None if base.len() >= 3 => base,
                    None => {
                        out.push_str(word);
                        return;
                    }
                };
                log(Change::Reduplication);
                out.push_str(base);
                out.push('-');
                out.push_str(base);
                out.push_str(suffix);
                return;
            }
            if let Some(read) = leet(word).filter(|w| self.is_known(w)) {
                log(Change::Leetspeak);
                return self.finish(read, out, log);
            }
            out.push_str(word);
            return;
        }
        let squeezed = self.squeeze(word);
        log(Change::Squeezed);
        self.finish(squeezed, out, log);
    }

    /// After a repair, the repaired word may itself be an informal form (`gaaak` → `gak` → `tidak`).
    fn finish(&self, word: String, out: &mut String, log: &mut dyn FnMut(Change)) {
        match self.lexicon.get(&word) {
            Some(standard) => {
                log(Change::Lexicon);
                out.push_str(standard);
            }
            None => out.push_str(&word),
        }
    }

    /// A word the dictionary, the lexicon, the stop-word lists or the stemmer recognises.
    pub fn is_known(&self, word: &str) -> bool {
        self.stemmer.dictionary().contains(word)
            || self.lexicon.get(word).is_some()
            || stopwords::is_stop_word(word)
            || self.lexicon.is_standard_form(word)
            || self.stemmer.stem_word(word) != word
    }

    /// Runs of three or more identical letters shortened to two or one: the first combination that
    /// is a known word (trying one letter per run first), else one letter per run.
    fn squeeze(&self, word: &str) -> String {
        let mut runs: Vec<(char, usize)> = Vec::new();
        for c in word.chars() {
            match runs.last_mut() {
                Some((last, n)) if *last == c => *n += 1,
                _ => runs.push((c, 1)),
            }
        }
        let long: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].1 >= 3 && runs[i].0.is_alphabetic()).collect();
        let build = |mask: u32| {
            let mut s = String::with_capacity(word.len());
            let mut k = 0;
            for (i, &(c, n)) in runs.iter().enumerate() {
                let keep = if long.get(k) == Some(&i) {
                    k += 1;
                    if mask & (1 << (k - 1)) != 0 {
                        2
                    } else {
                        1
                    }
                } else {
                    n
                };
                s.extend(std::iter::repeat_n(c, keep));
            }
            s
        };
        // At most 2^4 candidates; words with more stretched runs just get one letter per run.
        if long.len() <= 4 {
            for mask in 0..(1u32 << long.len()) {
                let candidate = build(mask);
                if self.is_known(&candidate) {
                    return candidate;
                }
            }
        }
        build(0)
    }
}

/// `kata2`, `kata2nya`: the base word and the suffix after the digit.
fn reduplication(word: &str) -> Option<(&str, &str)> {
    let at = word.rfind('2')?;
    let (base, suffix) = (&word[..at], &word[at + 1..]);
    let suffix_ok = matches!(suffix, "" | "nya" | "ku" | "mu" | "an" | "lah" | "pun");
    let base_ok = base.len() >= 2 && base.bytes().all(|b| b.is_ascii_lowercase());
    (suffix_ok && base_ok).then_some((base, suffix))
}

/// The letters a word spelled with digits stands for, if it looks like one: ASCII letters and digits
/// only, at least two letters, and not starting with a number (`17an`, `4g`).
fn leet(word: &str) -> Option<String> {
    let b = word.as_bytes();
    let letters = b.iter().filter(|c| c.is_ascii_lowercase()).count();
    if letters < 2 || !b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return None;
    }
    if b.len() >= 2 && b[0].is_ascii_digit() && !b[1].is_ascii_lowercase() {
        return None;
    }
    b.iter()
        .map(|&c| match c {
            b'0' => Some('o'),
            b'1' => Some('i'),
            b'3' => Some('e'),
            b'4' => Some('a'),
            b'5' => Some('s'),
            b'6' => Some('g'),
            b'7' => Some('t'),
            b'8' => Some('b'),
            b'9' => Some('g'),
            c if c.is_ascii_lowercase() => Some(c as char),
            _ => None,
        })
        .collect()
}

/// Whether the word has three identical letters in a row.
fn has_letter_run(b: &[u8]) -> bool {
    if b.is_ascii() {
        return b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2] && w[0].is_ascii_alphabetic());
    }
    let s = std::str::from_utf8(b).expect("normaliser input is a str");
    let mut chars = s.chars();
    let (mut a, mut c) = (chars.next(), chars.next());
    for d in chars {
        if a == c && c == Some(d) && d.is_alphabetic() {
            return true;
        }
        (a, c) = (c, Some(d));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_errors_name_the_line() {
        let err = Lexicon::parse("# c\nyg\tyang\nrusak\n", "extra.tsv").unwrap_err();
        assert_eq!(err.to_string(), "extra.tsv:3: expected `informal<TAB>standard`");
        let err = Lexicon::parse("a b\tc\n", "x").unwrap_err();
        assert_eq!(err.line, 1);
        let ok = Lexicon::parse("Yg\t Yang \r\n\nxx\tsatu  dua\n", "x").unwrap();
        assert_eq!(ok.get("yg"), Some("yang"));
        assert_eq!(ok.get("xx"), Some("satu dua"));
    }

    #[test]
    fn user_entries_extend_and_override() {
        let mut lex = Lexicon::builtin();
        lex.extend(Lexicon::parse("yg\tyg\nmager\tmalas gerak\n", "user").unwrap());
        let n = Normalizer::with(lex, Stemmer::sastrawi());
        assert_eq!(n.normalize("mager"), "malas gerak");
        assert_eq!(n.normalize("yg"), "yg");
        assert_eq!(n.normalize("udh"), "sudah");
    }

    #[test]
    fn explain_lists_the_changes() {
        let n = Normalizer::new();
        assert_eq!(n.explain("gaaak"), ("tidak".into(), vec![Change::Squeezed, Change::Lexicon]));
        assert_eq!(n.explain("org2"), ("orang-orang".into(), vec![Change::Reduplication]));
        assert_eq!(n.explain("rumah"), ("rumah".into(), vec![]));
    }
}
