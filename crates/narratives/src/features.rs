//! From text to the set of word shingles the index compares.
//!
//! Every word goes through [`tangkal_text::Analyzer`], so informal spellings, case, letter repeats,
//! emoji, links, mentions and hashtags are handled once, for all detectors, in the text crate. The
//! analyser is too thorough to run on every post of a fast stream, so [`Featurizer`] runs it once
//! per distinct whitespace-separated chunk and remembers the resulting term hashes: a stream repeats
//! its vocabulary, so after warm-up nearly every chunk is a cache hit and a post costs a split, a
//! few hash look-ups and the shingling.
//!
//! Features depend only on the text (term hashes are hashes of the term strings, not ids handed out
//! in arrival order), so an index rebuilt from a snapshot sees exactly what the original saw.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tangkal_text::Analyzer;
use xxhash_rust::xxh3::xxh3_64;

/// What the index needs of one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// Hash of the term sequence: equal for copies that differ only in what the analyser discards.
    pub exact: u64,
    /// Hashes of the word shingles, sorted and without repeats; empty when the text has no word.
    pub shingles: Vec<u32>,
}

/// Turns texts into [`Features`]; keep one per thread and reuse it (its cache is the speed).
pub struct Featurizer {
    analyzer: Analyzer,
    shingle_words: usize,
    /// Chunk hash → range of its term hashes in `arena`.
    cache: HashMap<u64, (u32, u32), BuildHasherDefault<PrehashedKey>>,
    arena: Vec<u64>,
    cache_limit: usize,
    terms: Vec<u64>,
}

/// At most this many chunks are remembered; past it the cache starts over, which bounds memory on
/// streams with endless unique chunks (typos, links) without changing any result.
const DEFAULT_CACHE_LIMIT: usize = 1 << 20;

/// The default analyser and the index's default shingle length.
impl Default for Featurizer {
    fn default() -> Featurizer {
        Featurizer::new(Analyzer::new(), crate::index::Config::default().shingle_words)
    }
}

impl Featurizer {
    /// `shingle_words` is the number of consecutive terms per shingle (at least 1).
    pub fn new(analyzer: Analyzer, shingle_words: usize) -> Featurizer {
        Featurizer {
            analyzer,
            shingle_words: shingle_words.max(1),
            cache: HashMap::default(),
            arena: Vec::new(),
            cache_limit: DEFAULT_CACHE_LIMIT,
            terms: Vec::new(),
        }
    }

    /// A featurizer with the same analyser and shingle length, and an empty cache.
    pub fn fresh(&self) -> Featurizer {
        Featurizer::new(self.analyzer.clone(), self.shingle_words)
    }

    pub fn features(&mut self, text: &str) -> Features {
        let mut out = Features::default();
        self.features_into(text, &mut out);
        out
    }

    /// [`Features::exact`] alone, for a reader that keeps the fingerprint and compares nothing.
    pub fn fingerprint(&mut self, text: &str) -> u64 {
        self.analyze_terms(text);
        xxh3_64(words_as_bytes(&self.terms))
    }

    /// Like [`Featurizer::features`], reusing `out`'s allocation.
    pub fn features_into(&mut self, text: &str, out: &mut Features) {
        out.exact = self.fingerprint(text);
        out.shingles.clear();
        let k = self.shingle_words;
        if self.terms.is_empty() {
            return;
        }
        if self.terms.len() <= k {
            out.shingles.push(shingle_hash(&self.terms));
        } else {
            out.shingles.extend(self.terms.windows(k).map(shingle_hash));
        }
        out.shingles.sort_unstable();
        out.shingles.dedup();
    }

    /// The term hashes of `text` into `self.terms`.
    fn analyze_terms(&mut self, text: &str) {
        self.terms.clear();
        for chunk in text.split(|c: char| c.is_whitespace()).filter(|c| !c.is_empty()) {
            self.push_chunk_terms(chunk);
        }
    }

    fn push_chunk_terms(&mut self, chunk: &str) {
        let key = xxh3_64(chunk.as_bytes());
        if let Some(&(start, len)) = self.cache.get(&key) {
            self.terms.extend_from_slice(&self.arena[start as usize..(start + len) as usize]);
            return;
        }
        let analysis = self.analyzer.analyze(chunk);
        let hashes = analysis.terms.iter().map(|t| xxh3_64(t.as_bytes()));
        if self.cache.len() >= self.cache_limit || self.arena.len() > u32::MAX as usize / 2 {
            self.cache.clear();
            self.arena.clear();
        }
        let start = self.arena.len();
        self.arena.extend(hashes);
        self.terms.extend_from_slice(&self.arena[start..]);
        self.cache.insert(key, (start as u32, (self.arena.len() - start) as u32));
    }
}

fn words_as_bytes(words: &[u64]) -> &[u8] {
    // SAFETY: u64 has no padding and any byte pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), std::mem::size_of_val(words)) }
}

fn shingle_hash(words: &[u64]) -> u32 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for &w in words {
        h = (h ^ w).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(31);
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    (h >> 32) as u32
}

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
pub(crate) struct PrehashedKey(u64);

impl Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub(crate) type PrehashedMap<K, V> = HashMap<K, V, BuildHasherDefault<PrehashedKey>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn featurizer() -> Featurizer {
        Featurizer::new(Analyzer::new(), 2)
    }

    #[test]
    fn the_fingerprint_alone_is_the_features_exact_hash() {
        let mut f = featurizer();
        for text in ["Vaksin itu berbahaya, jangan mau!", "BLT cair 🙏 https://t.co/x", "!!!"] {
            let exact = f.features(text).exact;
            assert_eq!(f.fingerprint(text), exact, "{text}");
            assert_eq!(featurizer().fingerprint(text), exact, "{text}, cold cache");
        }
    }

    #[test]
    fn case_spacing_and_punctuation_do_not_change_features() {
        let mut f = featurizer();
        let a = f.features("Vaksin itu berbahaya, jangan mau!");
        let b = f.features("  VAKSIN itu\n berbahaya jangan   mau ");
        assert_eq!(a, b);
        assert_eq!(a.shingles.len(), 4);
    }

    #[test]
    fn cached_and_fresh_chunks_give_the_same_features() {
        let mut warm = featurizer();
        warm.features("berbahaya itu vaksin");
        let text = "vaksin itu berbahaya";
        assert_eq!(warm.features(text), featurizer().features(text));
    }

    #[test]
    fn word_order_matters_and_short_texts_get_one_shingle() {
        let mut f = featurizer();
        assert_ne!(f.features("a b c").shingles, f.features("c b a").shingles);
        assert_eq!(f.features("hoaks").shingles.len(), 1);
        assert!(f.features("!!! 🙏").shingles.is_empty());
    }
}
