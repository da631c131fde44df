//! Indonesian stemming that gives exactly the stems of Sastrawi v1.2.0 (PySastrawi 1.2.1).
//!
//! The algorithm is Nazief–Adriani with the "enhanced confix stripping" (ECS) and "confix stripping"
//! (CS) improvements, as Sastrawi implements them:
//!
//! 1. A word found in the dictionary is its own stem; words of three bytes or fewer only get the first
//!    suffix and prefix step (Sastrawi stops its visitor loops early for them).
//! 2. Suffixes come off first: an inflectional particle (`-lah -kah -tah -pun`), then a possessive
//!    pronoun (`-ku -mu -nya`), then a derivational suffix (`-i -kan -an -is -isme -isasi`).
//! 3. Then up to three prefixes: plain `di- ke- se-`, or one of the 40-odd disambiguation rules for
//!    `be- te- me- pe-`, the infixes `-el- -em- -er- -in-` and `ku- kau-`. For words shaped like
//!    `be…lah`, `be…an`, `me…i`, `di…i`, `pe…i`, `ter…i` prefixes are tried before suffixes first.
//! 4. If nothing reaches the dictionary, the suffixes are put back one at a time (ECS "loop
//!    pengembalian akhiran", with `-kan` also tried as `-k`) and prefix removal is retried.
//! 5. The stem is the first dictionary word reached, else the input unchanged.
//!
//! Every step, including the quirks that make Sastrawi's output what it is (the last rule of a rule
//! group wins when no candidate is a root word; a visitor that removed something ends the prefix
//! pass), is reproduced because consumers compare stems with stems computed elsewhere.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use crate::dictionary::{fast_hash, Dictionary, FastHash};

static DEFAULT: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::new(Dictionary::sastrawi()));

/// A Sastrawi-exact stemmer over a root-word dictionary. Cheap to clone (the dictionary is shared).
///
/// ```
/// use tangkal_text::Stemmer;
/// let s = Stemmer::sastrawi();
/// assert_eq!(s.stem_word("mempermainkan"), "main");
/// assert_eq!(s.stem_word("anak-anak"), "anak");
/// assert_eq!(s.stem("Perekonomian Indonesia, kuasa-Mu!"), "ekonomi indonesia kuasa");
/// ```
#[derive(Clone, Debug)]
pub struct Stemmer {
    dict: Dictionary,
}

/// Reusable working memory for [`Stemmer::stem_word_into`]: stemming with one allocates nothing once
/// its buffers have grown to the longest word seen.
#[derive(Default, Debug)]
pub struct StemScratch {
    cur: Vec<u8>,
    tmp: Vec<u8>,
    arena: Vec<u8>,
    removals: Vec<Removal>,
}

thread_local! {
    static SCRATCH: RefCell<StemScratch> = RefCell::new(StemScratch::default());
}

impl Stemmer {
    pub fn new(dict: Dictionary) -> Stemmer {
        Stemmer { dict }
    }

    /// The stemmer over the compiled-in Sastrawi dictionary, built once per process.
    pub fn sastrawi() -> Stemmer {
        DEFAULT.clone()
    }

    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }

    /// Sastrawi's `stem(text)`: lower-cases ASCII letters, turns every byte outside `[a-z0-9 -]` into a
    /// separator, stems each space-separated token and joins the stems with single spaces.
    pub fn stem(&self, text: &str) -> String {
        let lowered = text.to_ascii_lowercase();
        let mut out = String::with_capacity(text.len());
        let tokens = lowered.split(|c: char| !matches!(c, 'a'..='z' | '0'..='9' | '-')).filter(|t| !t.is_empty());
        SCRATCH.with(|s| {
            let scratch = &mut s.borrow_mut();
            for (i, token) in tokens.enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                self.stem_word_into(token, scratch, &mut out);
            }
        });
        out
    }

    /// Sastrawi's `stem_word`: the stem of one lower-case word (reduplications like `anak-anak` and
    /// `berbalas-balasan` included).
    pub fn stem_word(&self, word: &str) -> String {
        let mut out = String::with_capacity(word.len());
        SCRATCH.with(|s| self.stem_word_into(word, &mut s.borrow_mut(), &mut out));
        out
    }

    /// [`Stemmer::stem_word`] appending to `out`, with caller-owned working memory: the entry point
    /// for hot loops.
    pub fn stem_word_into(&self, word: &str, scratch: &mut StemScratch, out: &mut String) {
        if is_plural(word) {
            self.stem_plural(word, scratch, out);
        } else {
            out.push_str(self.stem_singular(word, scratch));
        }
    }

    /// Sastrawi's `stem_singular_word`: the stem of a word without reduplication handling.
    pub fn stem_singular_word(&self, word: &str) -> String {
        SCRATCH.with(|s| self.stem_singular(word, &mut s.borrow_mut()).to_owned())
    }

    /// Sastrawi's `stem_plural_word`: both halves of a reduplication must reach the same stem, else
    /// the word is kept whole.
    pub fn stem_plural_word(&self, word: &str) -> String {
        let mut out = String::with_capacity(word.len());
        SCRATCH.with(|s| self.stem_plural(word, &mut s.borrow_mut(), &mut out));
        out
    }

    fn stem_singular<'a>(&self, word: &'a str, scratch: &'a mut StemScratch) -> &'a str {
        if Context::new(&self.dict, word.as_bytes(), scratch).run() {
            // The current word is a dictionary entry, and every entry came from a `&str`.
            std::str::from_utf8(&scratch.cur).expect("dictionary words are UTF-8")
        } else {
            word
        }
    }

    fn stem_plural(&self, word: &str, scratch: &mut StemScratch, out: &mut String) {
        // Split at the last hyphen, as Sastrawi's greedy `^(.*)-(.*)$` does.
        let Some(cut) = word.rfind('-') else {
            out.push_str(word);
            return;
        };
        let (mut first, suffix) = (&word[..cut], &word[cut + 1..]);
        let second_owned;
        let mut second = suffix;
        // malaikat-malaikat-nya: the particle belongs to the second half.
        if PARTICLES.contains(&suffix) {
            if let Some(cut2) = first.rfind('-') {
                second_owned = format!("{}-{}", &first[cut2 + 1..], suffix);
                second = &second_owned;
                first = &first[..cut2];
            }
        }
        let root1 = self.stem_singular(first, scratch).to_owned();
        let mut root2 = self.stem_singular(second, scratch).to_owned();
        // meniru-nirukan: a second half that is no word on its own is read with me- in front.
        if !self.dict.contains(second) && root2 == second {
            root2 = self.stem_singular(&format!("me{second}"), scratch).to_owned();
        }
        out.push_str(if root1 == root2 { &root1 } else { word });
    }
}

impl Default for Stemmer {
    fn default() -> Self {
        Stemmer::sastrawi()
    }
}

/// A [`Stemmer`] that remembers every word it has stemmed: running text repeats words, so most
/// lookups skip the rules. Memory grows with the number of distinct words; use one per batch or job.
///
/// ```
/// use tangkal_text::stemmer::CachedStemmer;
/// let mut s = CachedStemmer::new(tangkal_text::Stemmer::sastrawi());
/// assert_eq!(s.stem_word("berlari"), "lari");
/// assert_eq!(s.stem_word("berlari"), "lari");
/// assert_eq!(s.len(), 1);
/// ```
#[derive(Debug)]
pub struct CachedStemmer {
    stemmer: Stemmer,
    scratch: StemScratch,
    cache: HashMap<Box<str>, Box<str>, FastHash>,
}

impl CachedStemmer {
    pub fn new(stemmer: Stemmer) -> CachedStemmer {
        CachedStemmer { stemmer, scratch: StemScratch::default(), cache: HashMap::with_hasher(fast_hash()) }
    }

    /// [`Stemmer::stem_word`], remembered.
    pub fn stem_word(&mut self, word: &str) -> &str {
        if !self.cache.contains_key(word) {
            let mut out = String::with_capacity(word.len());
            self.stemmer.stem_word_into(word, &mut self.scratch, &mut out);
            self.cache.insert(word.into(), out.into());
        }
        &self.cache[word]
    }

    /// Number of distinct words remembered.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

const PARTICLES: [&str; 7] = ["ku", "mu", "nya", "lah", "kah", "tah", "pun"];

/// Sastrawi's `is_plural`: a hyphen other than one before a particle (`hati-ku` is singular).
fn is_plural(word: &str) -> bool {
    if let Some(cut) = word.bytes().rposition(|b| b == b'-') {
        if PARTICLES.contains(&&word[cut + 1..]) {
            return word[..cut].contains('-');
        }
        return true;
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Affix {
    /// Derivational prefix (Sastrawi "DP").
    Prefix,
    /// Any suffix: derivational, possessive or particle ("DS", "PP", "P").
    Suffix,
}

/// One step taken: `span` holds the word before the removal, in [`StemScratch::arena`].
#[derive(Clone, Copy, Debug)]
struct Removal {
    affix: Affix,
    removed_kan: bool,
    span: (u32, u32),
}

#[derive(Clone, Copy)]
enum Visitor {
    ShortWord,
    Particle,
    Possessive,
    Derivational,
    PlainPrefix,
    Rules(&'static [Rule]),
}

/// A disambiguation rule: writes its candidate into `out` and returns whether it matched.
type Rule = fn(&[u8], &mut Vec<u8>) -> bool;

const SUFFIX_VISITORS: [Visitor; 3] = [Visitor::Particle, Visitor::Possessive, Visitor::Derivational];

const PREFIX_VISITORS: [(u8, Visitor); 41] = [
    (lead::PLAIN, Visitor::PlainPrefix),
    (lead::BE, Visitor::Rules(&[rules::r1a, rules::r1b])),
    (lead::BE, Visitor::Rules(&[rules::r2])),
    (lead::BE, Visitor::Rules(&[rules::r3])),
    (lead::BE, Visitor::Rules(&[rules::r4])),
    (lead::BE, Visitor::Rules(&[rules::r5])),
    (lead::TE, Visitor::Rules(&[rules::r6a, rules::r6b])),
    (lead::TE, Visitor::Rules(&[rules::r7])),
    (lead::TE, Visitor::Rules(&[rules::r8])),
    (lead::TE, Visitor::Rules(&[rules::r9])),
    (lead::ME, Visitor::Rules(&[rules::r10])),
    (lead::ME, Visitor::Rules(&[rules::r11])),
    (lead::ME, Visitor::Rules(&[rules::r12])),
    (lead::ME, Visitor::Rules(&[rules::r13a, rules::r13b])),
    (lead::ME, Visitor::Rules(&[rules::r14])),
    (lead::ME, Visitor::Rules(&[rules::r15a, rules::r15b])),
    (lead::ME, Visitor::Rules(&[rules::r16])),
    (lead::ME, Visitor::Rules(&[rules::r17a, rules::r17b, rules::r17c, rules::r17d])),
    (lead::ME, Visitor::Rules(&[rules::r18a, rules::r18b])),
    (lead::ME, Visitor::Rules(&[rules::r19])),
    (lead::PE, Visitor::Rules(&[rules::r20])),
    (lead::PE, Visitor::Rules(&[rules::r21a, rules::r21b])),
    (lead::PE, Visitor::Rules(&[rules::r23])),
    (lead::PE, Visitor::Rules(&[rules::r24])),
    (lead::PE, Visitor::Rules(&[rules::r25])),
    (lead::PE, Visitor::Rules(&[rules::r26a, rules::r26b])),
    (lead::PE, Visitor::Rules(&[rules::r27])),
    (lead::PE, Visitor::Rules(&[rules::r28a, rules::r28b])),
    (lead::PE, Visitor::Rules(&[rules::r29])),
    (lead::PE, Visitor::Rules(&[rules::r30a, rules::r30b, rules::r30c])),
    (lead::PE, Visitor::Rules(&[rules::r31a, rules::r31b])),
    (lead::PE, Visitor::Rules(&[rules::r32])),
    (lead::PE, Visitor::Rules(&[rules::r34])),
    (lead::TE, Visitor::Rules(&[rules::r35])),
    (lead::PE, Visitor::Rules(&[rules::r36])),
    (lead::INFIX, Visitor::Rules(&[rules::r37a, rules::r37b])),
    (lead::INFIX, Visitor::Rules(&[rules::r38a, rules::r38b])),
    (lead::INFIX, Visitor::Rules(&[rules::r39a, rules::r39b])),
    (lead::INFIX, Visitor::Rules(&[rules::r40a, rules::r40b])),
    (lead::KU, Visitor::Rules(&[rules::r41])),
    (lead::KA, Visitor::Rules(&[rules::r42])),
];

/// What a word starts with, as bits: a prefix visitor can only change words whose bits it shares, so
/// a pass skips the others without running their rules.
mod lead {
    pub const PLAIN: u8 = 1;
    pub const BE: u8 = 2;
    pub const TE: u8 = 4;
    pub const ME: u8 = 8;
    pub const PE: u8 = 16;
    pub const INFIX: u8 = 32;
    pub const KU: u8 = 64;
    pub const KA: u8 = 128;

    pub fn of(w: &[u8]) -> u8 {
        let (Some(&a), Some(&b)) = (w.first(), w.get(1)) else { return 0 };
        let mut bits = match (a, b) {
            (b'd', b'i') | (b'k', b'e') | (b's', b'e') => PLAIN,
            (b'b', b'e') => BE,
            (b't', b'e') => TE,
            (b'm', b'e') => ME,
            (b'p', b'e') => PE,
            (b'k', b'u') => KU,
            (b'k', b'a') => KA,
            _ => 0,
        };
        if a.is_ascii_lowercase() && !matches!(a, b'a' | b'i' | b'u' | b'e' | b'o') && matches!(b, b'e' | b'i') {
            bits |= INFIX;
        }
        bits
    }
}

/// The state of stemming one word (Sastrawi's `Context`).
struct Context<'a> {
    dict: &'a Dictionary,
    original: &'a [u8],
    s: &'a mut StemScratch,
    stopped: bool,
    /// Whether `s.cur` is a root word, valid unless `dirty`: most visitors leave the word alone, so
    /// this saves most dictionary lookups.
    hit: bool,
    dirty: bool,
}

impl<'a> Context<'a> {
    fn new(dict: &'a Dictionary, original: &'a [u8], s: &'a mut StemScratch) -> Self {
        s.cur.clear();
        s.cur.extend_from_slice(original);
        s.arena.clear();
        s.removals.clear();
        Context { dict, original, s, stopped: false, hit: false, dirty: true }
    }

    fn found(&mut self) -> bool {
        if self.dirty {
            self.hit = self.dict.contains_bytes(&self.s.cur);
            self.dirty = false;
        }
        self.hit
    }

    fn set_word(&mut self, start: usize, end: usize) {
        let StemScratch { cur, arena, .. } = &mut *self.s;
        cur.clear();
        cur.extend_from_slice(&arena[start..end]);
        self.dirty = true;
    }

    /// Runs every step; true when the current word ended in the dictionary.
    fn run(&mut self) -> bool {
        self.steps();
        self.found()
    }

    fn steps(&mut self) {
        if self.found() {
            return;
        }
        self.accept_all(&[Visitor::ShortWord]);
        if self.found() {
            return;
        }
        if precedence_adjustment(self.original) {
            self.remove_prefixes();
            if self.found() {
                return;
            }
            self.accept_all(&SUFFIX_VISITORS);
            if self.found() {
                return;
            }
            self.s.cur.clear();
            self.s.cur.extend_from_slice(self.original);
            self.dirty = true;
            self.s.removals.clear();
        }
        self.accept_all(&SUFFIX_VISITORS);
        if self.found() {
            return;
        }
        self.remove_prefixes();
        if self.found() {
            return;
        }
        self.restore_suffixes();
    }

    fn accept_all(&mut self, visitors: &[Visitor]) {
        for &v in visitors {
            self.accept(v);
            if self.found() || self.stopped {
                return;
            }
        }
    }

    /// One prefix pass: ends at the first visitor that removed something. Returns whether one did.
    fn accept_prefix_pass(&mut self) -> bool {
        let before = self.s.removals.len();
        let bits = lead::of(&self.s.cur);
        for &(lead, v) in &PREFIX_VISITORS {
            if lead & bits == 0 {
                continue;
            }
            self.accept(v);
            if self.found() || self.stopped || self.s.removals.len() > before {
                break;
            }
        }
        self.s.removals.len() > before
    }

    /// Up to three prefix passes. A pass that removed nothing leaves the state as it was, so the
    /// passes Sastrawi would repeat after it are skipped: they cannot change anything.
    fn remove_prefixes(&mut self) {
        for _ in 0..3 {
            let removed = self.accept_prefix_pass();
            if self.found() || !removed {
                return;
            }
        }
    }

    /// ECS "loop pengembalian akhiran": put the prefixes back, then retry prefix removal on the word
    /// with each suffix restored in turn, latest removal first.
    fn restore_suffixes(&mut self) {
        if let Some(first_prefix) = self.s.removals.iter().find(|r| r.affix == Affix::Prefix) {
            let (start, end) = first_prefix.span;
            self.set_word(start as usize, end as usize);
        }
        let restored_start = self.s.arena.len();
        self.s.arena.extend_from_slice(&self.s.cur);
        let restored_end = self.s.arena.len();
        let count = self.s.removals.len();
        for i in (0..count).rev() {
            let removal = self.s.removals[i];
            if removal.affix != Affix::Suffix {
                continue;
            }
            let (start, end) = (removal.span.0 as usize, removal.span.1 as usize);
            if removal.removed_kan {
                // -kan may have swallowed a root's final k: try the word with only that k back.
                self.set_word(start, end - 2);
                self.remove_prefixes();
                if self.found() {
                    return;
                }
            }
            self.set_word(start, end);
            self.remove_prefixes();
            if self.found() {
                return;
            }
            self.s.removals.truncate(count);
            self.set_word(restored_start, restored_end);
        }
    }

    fn record(&mut self, affix: Affix, removed_kan: bool, kept: &[u8]) {
        let start = self.s.arena.len();
        self.s.arena.extend_from_slice(kept);
        let span = (start as u32, self.s.arena.len() as u32);
        self.s.removals.push(Removal { affix, removed_kan, span });
    }

    fn accept(&mut self, visitor: Visitor) {
        let word = &self.s.cur;
        match visitor {
            Visitor::ShortWord => {
                if word.len() <= 3 {
                    self.stopped = true;
                }
            }
            Visitor::Particle => self.remove_suffix(strip_particle(word), false),
            Visitor::Possessive => self.remove_suffix(strip_possessive(word), false),
            Visitor::Derivational => {
                let keep = strip_derivational(word);
                let kan = word.len() - keep == 3 && ends(word, b"kan");
                self.remove_suffix(keep, kan);
            }
            Visitor::PlainPrefix => {
                if starts(word, b"di") || starts(word, b"ke") || starts(word, b"se") {
                    let subject = std::mem::take(&mut self.s.cur);
                    self.record(Affix::Prefix, false, &subject);
                    self.s.cur = subject;
                    self.s.cur.drain(..2);
                    self.dirty = true;
                }
            }
            Visitor::Rules(rules) => self.disambiguate(rules),
        }
    }

    /// Keeps the first `keep` bytes of the current word, recording the removal if it removed anything.
    fn remove_suffix(&mut self, keep: usize, removed_kan: bool) {
        if keep < self.s.cur.len() {
            let subject = std::mem::take(&mut self.s.cur);
            self.record(Affix::Suffix, removed_kan, &subject);
            self.s.cur = subject;
            self.s.cur.truncate(keep);
            self.dirty = true;
        }
    }

    /// Runs a rule group: the first candidate that is a root word wins, else the last rule's candidate
    /// (if the last rule did not match, nothing is removed even when an earlier one did).
    fn disambiguate(&mut self, rules: &[Rule]) {
        let (mut matched, mut hit) = (false, false);
        for rule in rules {
            self.s.tmp.clear();
            matched = rule(&self.s.cur, &mut self.s.tmp);
            hit = matched && self.dict.contains_bytes(&self.s.tmp);
            if hit {
                break;
            }
        }
        if matched {
            (self.hit, self.dirty) = (hit, false);
            let subject = std::mem::take(&mut self.s.cur);
            self.record(Affix::Prefix, false, &subject);
            self.s.cur = subject;
            std::mem::swap(&mut self.s.cur, &mut self.s.tmp);
        }
    }
}

/// Fixed-length comparisons compile to a few register compares instead of `memcmp` calls.
#[inline(always)]
fn starts<const N: usize>(w: &[u8], prefix: &[u8; N]) -> bool {
    w.first_chunk::<N>() == Some(prefix)
}

#[inline(always)]
fn ends<const N: usize>(w: &[u8], suffix: &[u8; N]) -> bool {
    w.last_chunk::<N>() == Some(suffix)
}

/// CS: words of these shapes try prefix removal before suffix removal.
fn precedence_adjustment(w: &[u8]) -> bool {
    (starts(w, b"be") && ((w.len() >= 5 && ends(w, b"lah")) || (w.len() >= 4 && ends(w, b"an"))))
        || (w.len() >= 3 && (starts(w, b"me") || starts(w, b"di") || starts(w, b"pe")) && ends(w, b"i"))
        || (w.len() >= 4 && starts(w, b"ter") && ends(w, b"i"))
}

/// Length kept after removing a `suffix_len`-byte suffix and the hyphens before it (`-*suffix$`).
fn strip_with_hyphens(w: &[u8], suffix_len: usize) -> usize {
    let mut keep = w.len() - suffix_len;
    while keep > 0 && w[keep - 1] == b'-' {
        keep -= 1;
    }
    keep
}

fn strip_particle(w: &[u8]) -> usize {
    if ends(w, b"lah") || ends(w, b"kah") || ends(w, b"tah") || ends(w, b"pun") {
        strip_with_hyphens(w, 3)
    } else {
        w.len()
    }
}

fn strip_possessive(w: &[u8]) -> usize {
    if ends(w, b"ku") || ends(w, b"mu") {
        strip_with_hyphens(w, 2)
    } else if ends(w, b"nya") {
        strip_with_hyphens(w, 3)
    } else {
        w.len()
    }
}

/// The longest of Sastrawi's derivational suffixes (`-i -kan -an -is -isme -isasi`) the word ends with.
fn strip_derivational(w: &[u8]) -> usize {
    let len = if ends(w, b"isasi") {
        5
    } else if ends(w, b"isme") {
        4
    } else if ends(w, b"kan") {
        3
    } else if ends(w, b"is") || ends(w, b"an") {
        2
    } else if ends(w, b"i") {
        1
    } else {
        0
    };
    w.len() - len
}

/// The prefix disambiguation rules, numbered as in Sastrawi (after Asian et al. and Arifin et al.).
/// Letter classes: `V` vowels, `C` consonants; several rules exclude some consonants.
mod rules {
    fn vowel(c: u8) -> bool {
        matches!(c, b'a' | b'i' | b'u' | b'e' | b'o')
    }
    fn consonant(c: u8) -> bool {
        c.is_ascii_lowercase() && !vowel(c)
    }
    /// Consonants other than `r`.
    fn cons_not_r(c: u8) -> bool {
        consonant(c) && c != b'r'
    }
    /// Consonants other than `r` and `l`.
    fn cons_not_rl(c: u8) -> bool {
        cons_not_r(c) && c != b'l'
    }
    /// Consonants other than `r w y l m n` (the `pe-` rules 34–36).
    fn cons_pe(c: u8) -> bool {
        consonant(c) && !matches!(c, b'r' | b'w' | b'y' | b'l' | b'm' | b'n')
    }
    use super::starts;

    fn at(w: &[u8], i: usize, f: fn(u8) -> bool) -> bool {
        w.get(i).is_some_and(|&c| f(c))
    }
    fn lower(c: u8) -> bool {
        c.is_ascii_lowercase()
    }
    fn emit(out: &mut Vec<u8>, head: &[u8], rest: &[u8]) -> bool {
        out.extend_from_slice(head);
        out.extend_from_slice(rest);
        true
    }

    /// berV → ber-V
    pub fn r1a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ber") && at(w, 3, vowel) && emit(o, b"", &w[3..])
    }
    /// berV → be-rV
    pub fn r1b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ber") && at(w, 3, vowel) && emit(o, b"r", &w[3..])
    }
    /// berCAP → ber-CAP, C ≠ r, P ≠ er…
    pub fn r2(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ber") && at(w, 3, cons_not_r) && at(w, 4, lower) && !starts(&w[5..], b"er") && emit(o, b"", &w[3..])
    }
    /// berCAerV → ber-CAerV, C ≠ r
    pub fn r3(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ber")
            && at(w, 3, cons_not_r)
            && at(w, 4, lower)
            && starts(&w[5..], b"er")
            && at(w, 7, vowel)
            && emit(o, b"", &w[3..])
    }
    /// belajar → bel-ajar
    pub fn r4(w: &[u8], o: &mut Vec<u8>) -> bool {
        w == b"belajar" && emit(o, b"ajar", b"")
    }
    /// beC1erC2 → be-C1erC2, C1 ∉ {r, l}
    pub fn r5(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"be")
            && at(w, 2, cons_not_rl)
            && starts(&w[3..], b"er")
            && at(w, 5, consonant)
            && emit(o, b"", &w[2..])
    }
    /// terV → ter-V
    pub fn r6a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ter") && at(w, 3, vowel) && emit(o, b"", &w[3..])
    }
    /// terV → te-rV
    pub fn r6b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ter") && at(w, 3, vowel) && emit(o, b"r", &w[3..])
    }
    /// terCerV → ter-CerV, C ≠ r
    pub fn r7(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ter") && at(w, 3, cons_not_r) && starts(&w[4..], b"er") && at(w, 6, vowel) && emit(o, b"", &w[3..])
    }
    /// terCP → ter-CP, C ≠ r, P ≠ er…
    pub fn r8(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ter") && at(w, 3, cons_not_r) && !starts(&w[4..], b"er") && emit(o, b"", &w[3..])
    }
    /// teC1erC2 → te-C1erC2, C1 ≠ r
    pub fn r9(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"te")
            && at(w, 2, cons_not_r)
            && starts(&w[3..], b"er")
            && at(w, 5, consonant)
            && emit(o, b"", &w[2..])
    }
    /// me{l,r,w,y}V → me-{l,r,w,y}V
    pub fn r10(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"me")
            && at(w, 2, |c| matches!(c, b'l' | b'r' | b'w' | b'y'))
            && at(w, 3, vowel)
            && emit(o, b"", &w[2..])
    }
    /// mem{b,f,v} → mem-{b,f,v}
    pub fn r11(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"mem") && at(w, 3, |c| matches!(c, b'b' | b'f' | b'v')) && emit(o, b"", &w[3..])
    }
    /// mempe → mem-pe
    pub fn r12(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"mempe") && emit(o, b"", &w[3..])
    }
    /// memV → me-mV
    pub fn r13a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"mem") && at(w, 3, vowel) && emit(o, b"m", &w[3..])
    }
    /// memV → me-pV
    pub fn r13b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"mem") && at(w, 3, vowel) && emit(o, b"p", &w[3..])
    }
    /// men{c,d,j,s,t,z} → men-{c,d,j,s,t,z}
    pub fn r14(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"men") && at(w, 3, |c| matches!(c, b'c' | b'd' | b'j' | b's' | b't' | b'z')) && emit(o, b"", &w[3..])
    }
    /// menV → me-nV
    pub fn r15a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"men") && at(w, 3, vowel) && emit(o, b"n", &w[3..])
    }
    /// menV → me-tV
    pub fn r15b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"men") && at(w, 3, vowel) && emit(o, b"t", &w[3..])
    }
    /// meng{g,h,q,k} → meng-{g,h,q,k}
    pub fn r16(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"meng") && at(w, 4, |c| matches!(c, b'g' | b'h' | b'q' | b'k')) && emit(o, b"", &w[4..])
    }
    /// mengV → meng-V
    pub fn r17a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"meng") && at(w, 4, vowel) && emit(o, b"", &w[4..])
    }
    /// mengV → meng-kV
    pub fn r17b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"meng") && at(w, 4, vowel) && emit(o, b"k", &w[4..])
    }
    /// menge… → menge-… (monosyllabic roots)
    pub fn r17c(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"menge") && emit(o, b"", &w[5..])
    }
    /// mengV → me-ngV
    pub fn r17d(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"meng") && at(w, 4, vowel) && emit(o, b"ng", &w[4..])
    }
    /// menyV → me-nyV
    pub fn r18a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"meny") && at(w, 4, vowel) && emit(o, b"ny", &w[4..])
    }
    /// menyV → meny-sV
    pub fn r18b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"meny") && at(w, 4, vowel) && emit(o, b"s", &w[4..])
    }
    /// mempA → mem-pA, A ≠ e
    pub fn r19(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"memp") && at(w, 4, |c| lower(c) && c != b'e') && emit(o, b"", &w[3..])
    }
    /// pe{w,y}V → pe-{w,y}V
    pub fn r20(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pe") && at(w, 2, |c| matches!(c, b'w' | b'y')) && at(w, 3, vowel) && emit(o, b"", &w[2..])
    }
    /// perV → per-V
    pub fn r21a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"per") && at(w, 3, vowel) && emit(o, b"", &w[3..])
    }
    /// perV → pe-rV
    pub fn r21b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"per") && at(w, 3, vowel) && emit(o, b"r", &w[3..])
    }
    /// perCAP → per-CAP, C ≠ r, P ≠ er…
    pub fn r23(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"per") && at(w, 3, cons_not_r) && at(w, 4, lower) && !starts(&w[5..], b"er") && emit(o, b"", &w[3..])
    }
    /// perCAerV → per-CAerV, C ≠ r
    pub fn r24(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"per")
            && at(w, 3, cons_not_r)
            && at(w, 4, lower)
            && starts(&w[5..], b"er")
            && at(w, 7, vowel)
            && emit(o, b"", &w[3..])
    }
    /// pem{b,f,v} → pem-{b,f,v}
    pub fn r25(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pem") && at(w, 3, |c| matches!(c, b'b' | b'f' | b'v')) && emit(o, b"", &w[3..])
    }
    /// pemV → pe-mV
    pub fn r26a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pem") && at(w, 3, vowel) && emit(o, b"m", &w[3..])
    }
    /// pemV → pe-pV
    pub fn r26b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pem") && at(w, 3, vowel) && emit(o, b"p", &w[3..])
    }
    /// pen{c,d,j,s,t,z} → pen-{c,d,j,s,t,z}
    pub fn r27(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pen") && at(w, 3, |c| matches!(c, b'c' | b'd' | b'j' | b's' | b't' | b'z')) && emit(o, b"", &w[3..])
    }
    /// penV → pe-nV
    pub fn r28a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pen") && at(w, 3, vowel) && emit(o, b"n", &w[3..])
    }
    /// penV → pe-tV
    pub fn r28b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pen") && at(w, 3, vowel) && emit(o, b"t", &w[3..])
    }
    /// pengC → peng-C
    pub fn r29(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"peng") && at(w, 4, consonant) && emit(o, b"", &w[4..])
    }
    /// pengV → peng-V
    pub fn r30a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"peng") && at(w, 4, vowel) && emit(o, b"", &w[4..])
    }
    /// pengV → peng-kV
    pub fn r30b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"peng") && at(w, 4, vowel) && emit(o, b"k", &w[4..])
    }
    /// penge… → penge-… (monosyllabic roots)
    pub fn r30c(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"penge") && emit(o, b"", &w[5..])
    }
    /// penyV → pe-nyV
    pub fn r31a(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"peny") && at(w, 4, vowel) && emit(o, b"ny", &w[4..])
    }
    /// penyV → peny-sV
    pub fn r31b(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"peny") && at(w, 4, vowel) && emit(o, b"s", &w[4..])
    }
    /// pelV → pe-lV, except pelajar → ajar
    pub fn r32(w: &[u8], o: &mut Vec<u8>) -> bool {
        if w == b"pelajar" {
            return emit(o, b"ajar", b"");
        }
        starts(w, b"pel") && at(w, 3, vowel) && emit(o, b"", &w[2..])
    }
    /// peCP → pe-CP, C ∉ {r, w, y, l, m, n}, P ≠ er…
    pub fn r34(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pe") && at(w, 2, cons_pe) && !starts(&w[3..], b"er") && emit(o, b"", &w[2..])
    }
    /// terC1erC2 → ter-C1erC2, C1 ∉ {r, w, y, l, m, n}
    pub fn r35(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ter") && at(w, 3, cons_pe) && starts(&w[4..], b"er") && at(w, 6, consonant) && emit(o, b"", &w[3..])
    }
    /// peC1erC2 → pe-C1erC2, C1 ∉ {r, w, y, l, m, n}
    pub fn r36(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"pe") && at(w, 2, cons_pe) && starts(&w[3..], b"er") && at(w, 5, consonant) && emit(o, b"", &w[2..])
    }
    /// C + infix + V: the word kept whole (`a`) or without the infix (`b`).
    fn infix(w: &[u8], o: &mut Vec<u8>, infix: &[u8; 2], drop: bool) -> bool {
        if !(at(w, 0, consonant) && starts(&w[1..], infix) && at(w, 3, vowel)) {
            return false;
        }
        if drop {
            emit(o, &w[..1], &w[3..])
        } else {
            emit(o, w, b"")
        }
    }
    /// CerV → CerV
    pub fn r37a(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"er", false)
    }
    /// CerV → CV
    pub fn r37b(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"er", true)
    }
    /// CelV → CelV
    pub fn r38a(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"el", false)
    }
    /// CelV → CV
    pub fn r38b(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"el", true)
    }
    /// CemV → CemV
    pub fn r39a(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"em", false)
    }
    /// CemV → CV
    pub fn r39b(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"em", true)
    }
    /// CinV → CinV
    pub fn r40a(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"in", false)
    }
    /// CinV → CV
    pub fn r40b(w: &[u8], o: &mut Vec<u8>) -> bool {
        infix(w, o, b"in", true)
    }
    /// ku… → ku-…
    pub fn r41(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"ku") && emit(o, b"", &w[2..])
    }
    /// kau… → kau-…
    pub fn r42(w: &[u8], o: &mut Vec<u8>) -> bool {
        starts(w, b"kau") && emit(o, b"", &w[3..])
    }
}
