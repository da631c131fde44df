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
    words: Arc<HashSet<Box<[u8]>, FastHash>>,
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
        let mut set = HashSet::with_hasher(fast_hash());
        set.extend(words.into_iter().filter(|w| !w.is_empty()).map(|w| Box::from(w.as_bytes())));
        Dictionary { words: Arc::new(set) }
    }

    /// This dictionary plus `add` minus `remove`.
    pub fn edited<'a>(
        &self,
        add: impl IntoIterator<Item = &'a str>,
        remove: impl IntoIterator<Item = &'a str>,
    ) -> Dictionary {
        let mut words = (*self.words).clone();
        words.extend(add.into_iter().filter(|w| !w.is_empty()).map(|w| Box::from(w.as_bytes())));
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

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
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
    fn blank_lines_are_skipped_and_edits_apply() {
        let d = Dictionary::from_text("a\n\nb\n");
        assert_eq!(d.len(), 2);
        let e = d.edited(["c"], ["a"]);
        assert!(e.contains("b") && e.contains("c") && !e.contains("a"));
        assert!(d.contains("a"), "editing makes a copy");
    }
}
