//! The root-word dictionary the stemmer and the normaliser consult.
//!
//! The default is Sastrawi's `kata-dasar.txt` (29,932 root words from Kateglo), compiled into the
//! binary. That word list is licensed CC BY-NC-SA 3.0, unlike the code: see `data/README.md`.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

/// Sastrawi v1.2.0 `data/kata-dasar.txt`, byte for byte (CC BY-NC-SA 3.0, Kateglo via Sastrawi).
pub const KATA_DASAR: &str = include_str!("../data/kata-dasar.txt");

static DEFAULT: LazyLock<Dictionary> = LazyLock::new(|| Dictionary::from_text(KATA_DASAR));

/// A fixed-seed fast hasher: lookups happen millions of times a second, and the sets are built from
/// known lists, so flooding resistance buys nothing here.
pub(crate) type FastHash = foldhash::fast::FixedState;

pub(crate) fn fast_hash() -> FastHash {
    foldhash::fast::FixedState::with_seed(0x7a6b_6c61_6e67_6b61)
}

/// A set of root words. Cloning is cheap: the word set is shared.
#[derive(Clone, Debug)]
pub struct Dictionary {
    words: Arc<Words>,
}

/// Words of up to [`INLINE`] bytes are stored inline in the hash table, so a lookup touches one
/// table slot instead of chasing a pointer to the key's bytes (the stemmer does millions of lookups
/// a second, most of them misses). Longer words live in a plain set.
///
/// In front of the table sits a one-hash Bloom filter of 2^19 bits (64 KiB, cache-resident): for
/// the Sastrawi list it turns away about 94% of absent words without touching the table.
#[derive(Clone, Debug)]
struct Words {
    /// Unique per word set (clones of a `Dictionary` share it; edits get a new one), so caches of
    /// stems can be keyed by it.
    id: u64,
    short: HashSet<Key, FastHash>,
    long: HashSet<Box<[u8]>, FastHash>,
    filter: Box<[u64]>,
}

const FILTER_BITS: u32 = 19;

fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

const INLINE: usize = 24;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key {
    bytes: [u64; 3],
    len: u8,
}

impl Key {
    #[inline]
    fn new(word: &[u8]) -> Option<Key> {
        if word.len() > INLINE {
            return None;
        }
        let mut buf = [0u8; INLINE];
        buf[..word.len()].copy_from_slice(word);
        let lane = |i: usize| u64::from_le_bytes(buf[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        Some(Key { bytes: [lane(0), lane(1), lane(2)], len: word.len() as u8 })
    }

    /// The filter bit of this key: a folded multiply of its lanes.
    #[inline]
    fn bit(&self) -> usize {
        let a = self.bytes[0] ^ 0x243f_6a88_85a3_08d3;
        let b = self.bytes[1] ^ self.bytes[2].rotate_left(29) ^ (self.len as u64) << 56 ^ 0x1319_8a2e_0370_7344;
        let m = (a as u128).wrapping_mul(b as u128);
        let h = (m as u64) ^ ((m >> 64) as u64);
        (h >> (64 - FILTER_BITS)) as usize
    }
}

impl Words {
    fn new() -> Words {
        Words {
            id: next_id(),
            short: HashSet::with_hasher(fast_hash()),
            long: HashSet::with_hasher(fast_hash()),
            filter: vec![0u64; 1 << (FILTER_BITS - 6)].into_boxed_slice(),
        }
    }

    fn insert(&mut self, word: &[u8]) {
        match Key::new(word) {
            Some(key) => {
                let bit = key.bit();
                self.filter[bit / 64] |= 1 << (bit % 64);
                self.short.insert(key);
            }
            None => {
                self.long.insert(Box::from(word));
            }
        }
    }

    /// Removal leaves the filter bit set: the filter may only err towards "maybe".
    fn remove(&mut self, word: &[u8]) {
        match Key::new(word) {
            Some(key) => self.short.remove(&key),
            None => self.long.remove(word),
        };
    }

    #[inline]
    fn contains(&self, word: &[u8]) -> bool {
        match Key::new(word) {
            Some(key) => {
                let bit = key.bit();
                self.filter[bit / 64] & (1 << (bit % 64)) != 0 && self.short.contains(&key)
            }
            None => !self.long.is_empty() && self.long.contains(word),
        }
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
}

impl Dictionary {
    /// The compiled-in Sastrawi dictionary, built once per process and shared.
    pub fn sastrawi() -> Dictionary {
        DEFAULT.clone()
    }

    /// One word a line, as Sastrawi reads its file: lines are split on `\n` only, blank lines are
    /// skipped, and nothing else is trimmed (so a `\r` stays part of the word).
    pub fn from_text(text: &str) -> Dictionary {
        Dictionary::from_words(text.split('\n'))
    }

    /// A dictionary of exactly the given non-empty words.
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Dictionary {
        let mut set = Words::new();
        for w in words.into_iter().filter(|w| !w.is_empty()) {
            set.insert(w.as_bytes());
        }
        Dictionary { words: Arc::new(set) }
    }

    /// This dictionary plus `add` minus `remove`.
    pub fn edited<'a>(
        &self,
        add: impl IntoIterator<Item = &'a str>,
        remove: impl IntoIterator<Item = &'a str>,
    ) -> Dictionary {
        let mut words = (*self.words).clone();
        words.id = next_id();
        for w in add.into_iter().filter(|w| !w.is_empty()) {
            words.insert(w.as_bytes());
        }
        for w in remove {
            words.remove(w.as_bytes());
        }
        Dictionary { words: Arc::new(words) }
    }

    pub fn contains(&self, word: &str) -> bool {
        self.contains_bytes(word.as_bytes())
    }

    pub(crate) fn contains_bytes(&self, word: &[u8]) -> bool {
        self.words.contains(word)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Identifies this word set: equal for clones, different after [`Dictionary::edited`].
    pub(crate) fn id(&self) -> u64 {
        self.words.id
    }

    pub fn is_empty(&self) -> bool {
        self.words.len() == 0
    }
}

impl Default for Dictionary {
    fn default() -> Self {
        Dictionary::sastrawi()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dictionary_is_the_whole_shipped_list() {
        let d = Dictionary::sastrawi();
        assert_eq!(d.len(), 29_932);
        assert!(d.contains("ajar") && d.contains("bolak-balik") && d.contains("oper \"v,\""));
        assert!(!d.contains("") && !d.contains("mengajar"));
    }

    #[test]
    fn long_words_are_kept_too() {
        let long = "x".repeat(INLINE + 1);
        let exact = "y".repeat(INLINE);
        let d = Dictionary::from_words([long.as_str(), exact.as_str(), "a"]);
        assert_eq!(d.len(), 3);
        assert!(d.contains(&long) && d.contains(&exact) && d.contains("a"));
        assert!(!d.contains(&long[1..]) && !d.contains("a\0"));
        let e = d.edited([], [long.as_str()]);
        assert!(!e.contains(&long) && e.len() == 2);
    }

    #[test]
    fn blank_lines_are_skipped_and_edits_apply() {
        let d = Dictionary::from_text("a\n\nb\n");
        assert_eq!(d.len(), 2);
        let e = d.edited(["c"], ["a"]);
        assert_ne!(e.id(), d.id());
        assert_eq!(d.clone().id(), d.id());
        assert!(e.contains("b") && e.contains("c") && !e.contains("a"));
        assert!(d.contains("a"), "editing makes a copy");
    }
}
