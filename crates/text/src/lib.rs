//! Indonesian text analysis: every detector reads text through this crate, so no consumer
//! re-implements tokenising, normalising or stemming. Pure: no I/O at analysis time.
//!
//! One call gives every form a consumer needs:
//!
//! ```
//! use tangkal_text::{Analyzer, TokenKind};
//! let a = Analyzer::new().analyze("BREAKING!!! Vaksin yg dibagikan gratis itu berbahayaaa 😱 https://t.co/x");
//! assert_eq!(a.terms, ["breaking", "vaksin", "yang", "dibagikan", "gratis", "itu", "berbahaya"]);
//! assert_eq!(a.stems, ["breaking", "vaksin", "yang", "bagi", "gratis", "itu", "bahaya"]);
//! assert_eq!(a.canonical, "breaking vaksin yang dibagikan gratis itu berbahaya");
//! assert_eq!(a.tokens.iter().filter(|t| t.kind == TokenKind::Url).count(), 1);
//! // Near-duplicate detection compares shingles; exact-duplicate detection the fingerprint.
//! assert_eq!(a.shingles(3).len(), 5);
//! assert_eq!(
//!     tangkal_text::fingerprint("vaksin YG dibagikan gratis itu berbahaya!!"),
//!     tangkal_text::fingerprint("Vaksin yang dibagikan gratis itu berbahaya 😱"),
//! );
//! ```
//!
//! The pieces are usable on their own: [`tokenizer`] (typed spans with byte offsets),
//! [`normalizer`] (informal spelling to standard), [`stemmer`] (Sastrawi-exact stems over a
//! [`Dictionary`]), [`stopwords`], and [`language`] (which language a short text is in).

pub mod amounts;
pub mod dictionary;
pub mod equivalents;
pub mod language;
pub mod normalizer;
pub mod stemmer;
pub mod stopwords;
pub mod tokenizer;

use std::cell::RefCell;
use std::sync::LazyLock;

pub use dictionary::Dictionary;
pub use language::{Language, LanguageGuess};
pub use normalizer::{Lexicon, Normalizer};
pub use stemmer::{StemScratch, Stemmer};

/// What kind of span a [`Token`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters, possibly with digits (`anak2`, `covid-19`); hyphenated words are one token.
    Word,
    /// Digits, with `.`/`,` between digits (`1.000.000`, `3,5`).
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
    /// Case-folded, NFKC form of the span, zero-width characters removed.
    pub text: String,
}

/// One text in every form a consumer needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Typed tokens of the original text, in order.
    pub tokens: Vec<Token>,
    /// Word and number tokens in standard spelling (informal forms, letter repeats and leetspeak
    /// resolved), in order. A lexicon entry can expand to several terms (`dll` → `dan lain-lain`).
    pub terms: Vec<String>,
    /// Sastrawi stems of `terms`, position for position.
    pub stems: Vec<String>,
    /// `terms` joined by single spaces: equal canonical forms mean the same words in the same order.
    pub canonical: String,
    /// For each term, the index in `tokens` it came from.
    pub term_tokens: Vec<usize>,
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

    /// Stems of the terms that are not Indonesian or English stop words, in order.
    pub fn content_stems(&self) -> Vec<&str> {
        self.terms
            .iter()
            .zip(&self.stems)
            .filter(|(t, _)| !stopwords::is_stop_word(t))
            .map(|(_, s)| s.as_str())
            .collect()
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

static DEFAULT: LazyLock<Analyzer> =
    LazyLock::new(|| Analyzer { normalizer: Normalizer::new(), amounts: false, equivalents: false });

/// Most words a thread's stem memo holds before it starts over.
const STEM_MEMO_WORDS: usize = 100_000;

#[derive(Default)]
struct StemMemo {
    dict_id: u64,
    stems: std::collections::HashMap<Box<str>, Box<str>, dictionary::FastHash>,
    scratch: StemScratch,
}

thread_local! {
    static STEM_MEMO: RefCell<StemMemo> = RefCell::default();
    /// Buffers for [`fingerprint`]: the folded token and the canonical form.
    static BUFFERS: RefCell<(String, String)> = RefCell::default();
}

/// Turns texts into [`Analysis`] values.
///
/// `Analyzer::new()` is cheap: every default analyzer shares one dictionary, lexicon and stemmer,
/// built on first use. Build a custom one with [`Analyzer::with`].
#[derive(Debug, Clone)]
pub struct Analyzer {
    normalizer: Normalizer,
    /// Whether amounts are read to their value; see [`Analyzer::reading_amounts`].
    amounts: bool,
    /// Whether words are read as their matching [`equivalents`]; see [`Analyzer::for_matching`].
    equivalents: bool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    /// The shared default: Sastrawi dictionary, shipped informal lexicon.
    pub fn new() -> Analyzer {
        DEFAULT.clone()
    }

    /// An analyzer over another dictionary and lexicon (e.g. user-supplied ones).
    ///
    /// ```
    /// use tangkal_text::{Analyzer, Dictionary, Lexicon, Normalizer, Stemmer};
    /// let mut lexicon = Lexicon::builtin();
    /// lexicon.extend(Lexicon::parse("mager\tmalas gerak\n", "my-lexicon.tsv").unwrap());
    /// let dict = Dictionary::sastrawi().edited(["mager"], []);
    /// let a = Analyzer::with(Normalizer::with(lexicon, Stemmer::new(dict)));
    /// assert_eq!(a.analyze("lagi mager").terms, ["lagi", "malas", "gerak"]);
    /// ```
    pub fn with(normalizer: Normalizer) -> Analyzer {
        Analyzer { normalizer, amounts: false, equivalents: false }
    }

    /// This analyzer, reading money amounts and other counts to their integer value (see
    /// [`amounts`]): `Rp 600 ribu` and `Rp600.000` both give the terms `rp 600000`. Opt-in, for
    /// matching a text against another; the default keeps the words as written, so canonical forms
    /// and fingerprints already stored stay valid.
    ///
    /// ```
    /// use tangkal_text::Analyzer;
    /// let a = Analyzer::new().reading_amounts();
    /// assert_eq!(a.analyze("BLT Rp 600 Ribu").terms, a.analyze("BLT Rp600.000").terms);
    /// assert_eq!(a.analyze("BLT Rp 600 Ribu").canonical, "blt rp 600000");
    /// assert_eq!(Analyzer::new().analyze("BLT Rp 600 Ribu").canonical, "blt rp 600 ribu");
    /// ```
    pub fn reading_amounts(mut self) -> Analyzer {
        self.amounts = true;
        self
    }

    /// This analyzer as claim matching reads a text to compare it with another: amounts read to their
    /// value ([`Analyzer::reading_amounts`]) and words read as their [`equivalents`] (`link` as
    /// `tautan`, `wa` as `whatsapp`), so that a post and a fact-check about the same thing share words
    /// however each writes them. The default keeps words as written, so canonical forms and
    /// fingerprints already stored stay valid.
    ///
    /// ```
    /// use tangkal_text::Analyzer;
    /// let a = Analyzer::new().for_matching();
    /// assert_eq!(a.analyze("klik link WA ini").terms, a.analyze("klik tautan WhatsApp ini").terms);
    /// assert_eq!(a.analyze("klik link WA ini").canonical, "klik tautan whatsapp ini");
    /// assert_eq!(Analyzer::new().analyze("klik link WA ini").canonical, "klik link wa ini");
    /// ```
    pub fn for_matching(self) -> Analyzer {
        Analyzer { equivalents: true, ..self.reading_amounts() }
    }

    /// `word`'s matching equivalent when this analyzer reads them, else `word` itself.
    fn equivalent<'w>(&self, word: &'w str) -> &'w str {
        match self.equivalents.then(|| equivalents::equivalent(word)).flatten() {
            Some(equivalent) => equivalent,
            None => word,
        }
    }

    /// The language of `text`; see [`language::detect`].
    pub fn language(&self, text: &str) -> Option<LanguageGuess> {
        language::detect(text)
    }

    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    pub fn stemmer(&self) -> &Stemmer {
        self.normalizer.stemmer()
    }

    pub fn analyze(&self, text: &str) -> Analysis {
        let mut a = Analysis::default();
        let mut normal = String::new();
        for (index, span) in tokenizer::spans(text).enumerate() {
            let mut folded = String::new();
            span.fold_into(text, &mut folded);
            if is_term(span.kind) {
                normal.clear();
                self.normalizer.normalize_into(&folded, &mut normal);
                for term in normal.split(' ').filter(|t| !t.is_empty()) {
                    a.terms.push(self.equivalent(term).to_owned());
                    a.term_tokens.push(index);
                }
            }
            a.tokens.push(Token { kind: span.kind, start: span.start, end: span.end, text: folded });
        }
        if self.amounts {
            (a.terms, a.term_tokens) = amounts::read_amounts(a.terms, a.term_tokens);
        }
        let dict_id = self.stemmer().dictionary().id();
        a.stems = a.terms.iter().map(|term| self.cached_stem(dict_id, term)).collect();
        a.canonical = a.terms.join(" ");
        a
    }

    /// Stems through a per-thread memo: running text repeats words, and a stem depends only on the
    /// word and the dictionary. Bounded: cleared when it reaches [`STEM_MEMO_WORDS`] words.
    fn cached_stem(&self, dict_id: u64, term: &str) -> String {
        STEM_MEMO.with(|m| {
            let memo = &mut *m.borrow_mut();
            if memo.dict_id != dict_id || memo.stems.len() >= STEM_MEMO_WORDS {
                memo.stems.clear();
                memo.dict_id = dict_id;
            }
            if let Some(stem) = memo.stems.get(term) {
                return stem.to_string();
            }
            let mut stem = String::with_capacity(term.len());
            self.stemmer().stem_word_into(term, &mut memo.scratch, &mut stem);
            memo.stems.insert(term.into(), stem.as_str().into());
            stem
        })
    }

    /// Appends the canonical form of `text` (see [`Analysis::canonical`]) to `out` without building
    /// tokens or stems: the entry point for hot loops. `folded` is working memory.
    pub fn canonical_into(&self, text: &str, folded: &mut String, out: &mut String) {
        let start = out.len();
        let mut buf = [0u8; 48];
        for span in tokenizer::spans(text) {
            if !is_term(span.kind) {
                continue;
            }
            let mark = out.len();
            if mark > start {
                out.push(' ');
            }
            let word_start = out.len();
            // Fast path: an ASCII word without digits or stretched letters is folded straight into
            // `out`, and kept unless it is a lexicon entry.
            let raw = &text[span.start..span.end];
            if let Some(lower) = plain_ascii_lower(raw, &mut buf) {
                if self.normalizer.lexicon().get(lower).is_none() {
                    out.push_str(self.equivalent(lower));
                    continue;
                }
                out.push_str(lower);
            } else {
                span.fold_into(text, out);
            }
            folded.clear();
            folded.push_str(&out[word_start..]);
            out.truncate(word_start);
            self.normalizer.normalize_into(folded, out);
            if self.equivalents {
                self.replace_equivalents(out, word_start);
            }
            if out.len() == word_start {
                out.truncate(mark);
            }
        }
        if self.amounts && out[start..].bytes().any(|b| b.is_ascii_digit()) {
            let words: Vec<String> = out[start..].split(' ').map(str::to_owned).collect();
            let origins = vec![(); words.len()];
            let (words, _) = amounts::read_amounts(words, origins);
            out.truncate(start);
            out.push_str(&words.join(" "));
        }
    }

    /// Rewrites the words of `out[from..]` (one token's standard form) to their matching equivalents.
    fn replace_equivalents(&self, out: &mut String, from: usize) {
        if out[from..].split(' ').all(|word| equivalents::equivalent(word).is_none()) {
            return;
        }
        let replaced = out[from..].split(' ').map(|word| self.equivalent(word)).collect::<Vec<_>>().join(" ");
        out.truncate(from);
        out.push_str(&replaced);
    }

    /// 64-bit hash of the canonical form; see [`fingerprint`].
    pub fn fingerprint(&self, text: &str) -> u64 {
        BUFFERS.with(|b| {
            let (folded, canonical) = &mut *b.borrow_mut();
            canonical.clear();
            self.canonical_into(text, folded, canonical);
            xxhash_rust::xxh3::xxh3_64(canonical.as_bytes())
        })
    }
}

/// The lower-case form of a word of ASCII letters (with hyphens/apostrophes) and no letter three
/// times in a row, written into `buf`: such a word folds to it and only a lexicon entry can change
/// it. `None` for anything else, and for words longer than `buf`.
fn plain_ascii_lower<'b>(raw: &str, buf: &'b mut [u8; 48]) -> Option<&'b str> {
    let bytes = raw.as_bytes();
    if bytes.len() > buf.len() {
        return None;
    }
    let (mut a, mut b) = (0u8, 1u8);
    for (slot, &c) in buf.iter_mut().zip(bytes) {
        let lower = if c.is_ascii_uppercase() { c | 0x20 } else { c };
        if !(lower.is_ascii_lowercase() || c == b'-' || c == b'\'') || (lower == a && lower == b) {
            return None;
        }
        *slot = lower;
        (a, b) = (b, lower);
    }
    std::str::from_utf8(&buf[..bytes.len()]).ok()
}

fn is_term(kind: TokenKind) -> bool {
    matches!(kind, TokenKind::Word | TokenKind::Number)
}

/// A 64-bit hash of the canonical form: equal for copies that differ only in case, spacing,
/// punctuation, emoji, links, mentions, hashtags and informal spelling. Runs on every ingested item:
/// it reuses per-thread buffers and the shared default [`Analyzer`], and allocates nothing once warm.
pub fn fingerprint(text: &str) -> u64 {
    DEFAULT.fingerprint(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_the_hash_of_the_canonical_form() {
        let a = Analyzer::new();
        for text in ["", "!!!", "Yg dll 👍 anak2 s4y4 bangeeet", "https://x.id only", "Rp 1.000 - 2.000 org"] {
            let canonical = a.analyze(text).canonical;
            assert_eq!(fingerprint(text), xxhash_rust::xxh3::xxh3_64(canonical.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn terms_stems_and_their_tokens_line_up() {
        let a = Analyzer::new().analyze("Gpp, @budi: pemerintah dll #hoaks");
        assert_eq!(a.terms, ["tidak", "apa-apa", "pemerintah", "dan", "lain-lain"]);
        assert_eq!(a.stems, ["tidak", "apa", "perintah", "dan", "lain"]);
        assert_eq!(a.term_tokens, [0, 0, 2, 3, 3]);
        assert_eq!(a.content_stems(), ["apa", "perintah", "lain"]);
    }

    #[test]
    fn file_names_and_handles_give_their_words() {
        let a = Analyzer::new();
        assert_eq!(a.analyze("file Lihat_Foto_Paket.apk").terms, ["file", "lihat", "foto", "paket", "apk"]);
        assert_eq!(a.analyze("Undangan-Pernikahan.pdf.apk").terms, ["undangan-pernikahan", "pdf", "apk"]);
        assert_eq!(a.analyze("cek_bansos_2024").terms, ["cek", "bansos", "2024"]);
    }

    #[test]
    fn amounts_read_the_same_in_both_entry_points() {
        let a = Analyzer::new().reading_amounts();
        for text in ["BLT Rp 600 Ribu", "BLT Rp600.000!", "dapat 1,2 jt dan Rp 8,5 juta", "600rb x 2", "tahun 2024"] {
            let (mut folded, mut canonical) = (String::new(), String::from("x"));
            a.canonical_into(text, &mut folded, &mut canonical);
            assert_eq!(canonical, format!("x{}", a.analyze(text).canonical), "{text:?}");
        }
        assert_eq!(a.analyze("dapat 1,2 jt dan Rp 8,5 juta").canonical, "dapat 1200000 dan rp 8500000");
        assert_eq!(a.analyze("Rp600.000").term_tokens, [0, 0]);
    }

    #[test]
    fn equivalents_read_the_same_in_both_entry_points_and_only_when_matching() {
        let a = Analyzer::new().for_matching();
        // Plain ASCII words, a full-width one (NFKC, the general path), a stretched one.
        for text in ["Klik LINK ini, hubungi WA", "hubungi ＷＡ kak", "vidiooo viral, info A1", "BLT Rp 600rb"] {
            let (mut folded, mut canonical) = (String::new(), String::from("x"));
            a.canonical_into(text, &mut folded, &mut canonical);
            assert_eq!(canonical, format!("x{}", a.analyze(text).canonical), "{text:?}");
        }
        assert_eq!(a.analyze("hubungi ＷＡ kak").canonical, "hubungi whatsapp kakak");
        assert_eq!(a.analyze("vidiooo viral, info A1").canonical, "video viral informasi a1");
        assert_eq!(a.analyze("BLT Rp 600rb").canonical, "blt rp 600000");
        // Fingerprints and canonical forms outside matching keep the words as written.
        assert_eq!(Analyzer::new().analyze("hubungi ＷＡ kak").canonical, "hubungi wa kak");
        assert_ne!(fingerprint("klik link"), fingerprint("klik tautan"));
    }

    #[test]
    fn stem_memo_is_per_dictionary() {
        let custom =
            Analyzer::with(Normalizer::with(Lexicon::builtin(), Stemmer::new(Dictionary::from_words(["mak"]))));
        assert_eq!(Analyzer::new().analyze("dimakan").stems, ["makan"]);
        assert_eq!(custom.analyze("dimakan").stems, ["mak"]);
        assert_eq!(Analyzer::new().analyze("dimakan").stems, ["makan"]);
    }

    #[test]
    fn shingles_cover_every_window() {
        let a = Analyzer::new().analyze("satu dua tiga empat");
        let s = a.shingles(2);
        assert_eq!(s.len(), 3);
        assert_ne!(s[0], s[1]);
        assert_eq!(a.shingles(10).len(), 1);
        assert_eq!(Analyzer::new().analyze("dua tiga").shingles(2)[0], s[1]);
    }
}
