//! Indonesian and English stop words (own lists, `data/stopwords-*.txt`). Nothing in the crate drops
//! them on its own: callers that want content words ask, e.g. with
//! [`Analysis::content_stems`](crate::Analysis::content_stems).
//!
//! ```
//! use tangkal_text::stopwords::{is_indonesian_stop_word, is_stop_word};
//! assert!(is_indonesian_stop_word("yang") && is_stop_word("the"));
//! assert!(!is_stop_word("vaksin"));
//! ```

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::dictionary::{fast_hash, FastHash};

pub const INDONESIAN: &str = include_str!("../data/stopwords-id.txt");
pub const ENGLISH: &str = include_str!("../data/stopwords-en.txt");

static ID: LazyLock<HashSet<&'static str, FastHash>> = LazyLock::new(|| parse(INDONESIAN));
static EN: LazyLock<HashSet<&'static str, FastHash>> = LazyLock::new(|| parse(ENGLISH));

fn parse(list: &'static str) -> HashSet<&'static str, FastHash> {
    let mut set = HashSet::with_hasher(fast_hash());
    set.extend(list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')));
    set
}

pub fn is_indonesian_stop_word(word: &str) -> bool {
    ID.contains(word)
}

pub fn is_english_stop_word(word: &str) -> bool {
    EN.contains(word)
}

/// A stop word in either language.
pub fn is_stop_word(word: &str) -> bool {
    is_indonesian_stop_word(word) || is_english_stop_word(word)
}
