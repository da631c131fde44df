//! The inverted index: stems of every fact-check, with BM25F impacts precomputed per posting so a
//! query is one pass over its terms' posting lists.

use std::collections::HashMap;

use tangkal_model::FactCheck;
use tangkal_text::{Analysis, Analyzer};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// BM25F parameters. The claim fields (headline and claim) weigh more than the fact-checker's
/// explanation: a circulating post repeats the claim, not the debunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    pub k1: f32,
    pub claim_weight: f32,
    pub claim_b: f32,
    pub body_weight: f32,
    pub body_b: f32,
    /// Postings kept per record for words found only in its explanation: the most weighty ones.
    /// Explanations are long and few; pruning them keeps posting lists short (static index pruning)
    /// and the rest still counts in nothing but this record's own, rarely decisive, body score.
    pub body_terms: usize,
}

impl Default for FieldWeights {
    fn default() -> Self {
        FieldWeights { k1: 2.0, claim_weight: 8.0, claim_b: 0.5, body_weight: 1.0, body_b: 0.75, body_terms: 32 }
    }
}

/// Immutable once built; cheap to query from many threads.
pub struct Index {
    records: Vec<FactCheck>,
    /// Stem → term id.
    vocab: FastMap<String, u32>,
    /// Every word (standard spelling) seen in the records → its stem's term id, so a query only
    /// stems words the records never used.
    words: FastMap<String, u32>,
    idf: Vec<f32>,
    /// Records plus the background table's: the denominator of every IDF.
    with_prior: f32,
    /// Posting list of term `t` is `postings[post_start[t]..post_start[t + 1]]`, by record.
    post_start: Vec<u64>,
    postings: Vec<Posting>,
    /// Sorted distinct term ids of each record's claim text (CSR like the postings).
    claim_start: Vec<u32>,
    claim_terms: Vec<u32>,
    /// Sorted distinct adjacent-term pairs of each record's claim text.
    pair_start: Vec<u32>,
    claim_pairs: Vec<u64>,
    /// Sum of the IDF of each record's distinct claim terms.
    claim_mass: Vec<f32>,
    /// What each record offers a reader beyond its headline; see [`Completeness`].
    completeness: Vec<Completeness>,
    /// Sorted distinct character trigrams of each record's claim text in standard spelling (see
    /// [`for_each_trigram`]): evidence from words the stems miss (typos, numbers, unknown names).
    trigram_start: Vec<u32>,
    claim_trigrams: Vec<u16>,
    /// Records by the character 4-grams of their claim text ([`for_each_quadgram`]): records holding
    /// 4-gram slot `g` are `quadgram_docs[quadgram_start[g]..quadgram_start[g + 1]]`. A second way
    /// to candidates for texts whose words differ from the headline's in spelling or word breaks
    /// (see `Matcher::retrieve`); 4-grams rather than trigrams because their posting lists are
    /// far shorter.
    quadgram_start: Vec<u32>,
    quadgram_docs: Vec<u32>,
    /// Squared IDF of each 4-gram slot, and each record's inverse norm of its 4-grams' IDF vector:
    /// a text's 4-gram score for a record is a cosine up to the text's own norm.
    quadgram_weight: Vec<f32>,
    quadgram_inv_norm: Vec<f32>,
}

/// Calls `f` with every byte `n`-gram (n ≤ 8, packed big-endian) of the words of `canonical`
/// (repeats included), each word padded with a space on both sides.
fn for_each_gram(canonical: &str, n: usize, mut f: impl FnMut(u64)) {
    for word in canonical.split(' ').filter(|w| !w.is_empty()) {
        let bytes = word.as_bytes();
        let at = |i: usize| if i == 0 || i > bytes.len() { b' ' } else { bytes[i - 1] };
        for i in 0..(bytes.len() + 3).saturating_sub(n) {
            f((i..i + n).fold(0u64, |key, j| key << 8 | u64::from(at(j))));
        }
    }
}

/// Calls `f` with the [`hash16`] of every byte trigram of the words of `canonical` (repeats
/// included), each word padded with a space on both sides.
pub(crate) fn for_each_trigram(canonical: &str, mut f: impl FnMut(u16)) {
    for_each_gram(canonical, 3, |key| f(hash16(key)));
}

/// Bits of a 4-gram slot: a quarter of a million slots, so the tables stay small enough for the
/// caches; the few 4-grams that share a slot only add noise.
pub(crate) const QUADGRAM_BITS: u32 = 18;

/// Calls `f` with the slot of every 4-gram of the words of `canonical` (repeats included), padded
/// like [`for_each_trigram`]; words of one letter have none.
pub(crate) fn for_each_quadgram(canonical: &str, mut f: impl FnMut(u32)) {
    for_each_gram(canonical, 4, |key| f((key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - QUADGRAM_BITS)) as u32));
}

/// A 16-bit hash: trigrams and word pairs are kept and compared as these, in records and in a
/// text's bitmap alike. Two trigrams of one headline with the same hash merge, noise far below what the
/// features built on them measure.
pub(crate) fn hash16(key: u64) -> u16 {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 48) as u16
}

/// Which of the parts a reader needs to follow up a fact-check a record has: a link to send, a
/// date to judge it by, the fact-checker's explanation to quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Completeness {
    pub url: bool,
    pub date: bool,
    pub explanation: bool,
}

impl Completeness {
    fn of(record: &FactCheck) -> Completeness {
        let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        Completeness {
            url: present(&record.url),
            date: record.date.is_some(),
            explanation: present(&record.explanation),
        }
    }
}

/// One record containing a term, with the term's precomputed BM25F contribution to its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Posting {
    pub doc: u32,
    pub impact: f32,
}

/// A key for two adjacent terms.
pub(crate) fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

struct Doc {
    claim: Vec<u32>,
    body_tf: Vec<(u32, u32)>,
    claim_len: u32,
    body_len: u32,
}

impl Index {
    /// Analyses every record's claim and body text and builds the postings. Texts are read as
    /// [`crate::Matcher`] reads them ([`Analyzer::for_matching`]): amounts to their value (`Rp 600 ribu`
    /// and `Rp 600.000` are one term), words as their equivalents (`link` is `tautan`).
    pub fn build(records: Vec<FactCheck>, analyzer: &Analyzer, weights: FieldWeights) -> Index {
        let analyzer = &analyzer.clone().for_matching();
        let mut vocab: FastMap<String, u32> = FastMap::default();
        let mut words: FastMap<String, u32> = FastMap::default();
        let mut intern = |a: Analysis| -> Vec<u32> {
            a.terms
                .into_iter()
                .zip(a.stems)
                .map(|(word, stem)| {
                    if let Some(&id) = words.get(&word) {
                        return id;
                    }
                    let next = vocab.len() as u32;
                    let id = *vocab.entry(stem).or_insert(next);
                    words.insert(word, id);
                    id
                })
                .collect()
        };
        let mut docs = Vec::with_capacity(records.len());
        let mut trigram_start = vec![0u32];
        let mut claim_trigrams = Vec::new();
        let mut quadgrams: Vec<Vec<u32>> = Vec::with_capacity(records.len());
        for record in &records {
            let claim_analysis = analyzer.analyze(&record.claim_text());
            let start = claim_trigrams.len();
            for_each_trigram(&claim_analysis.canonical, |t| claim_trigrams.push(t));
            claim_trigrams[start..].sort_unstable();
            let distinct = dedup_from(&mut claim_trigrams[start..]);
            claim_trigrams.truncate(start + distinct);
            trigram_start.push(claim_trigrams.len() as u32);
            let mut grams = Vec::new();
            for_each_quadgram(&claim_analysis.canonical, |g| grams.push(g));
            grams.sort_unstable();
            grams.dedup();
            quadgrams.push(grams);
            let claim = intern(claim_analysis);
            let body = intern(analyzer.analyze(&record.body_text()));
            let (claim_len, body_len) = (claim.len() as u32, body.len() as u32);
            docs.push(Doc { claim, body_tf: term_counts(body), claim_len, body_len });
        }
        let mut index = Index::from_docs(records, vocab, words, docs, weights);
        index.trigram_start = trigram_start;
        index.claim_trigrams = claim_trigrams;
        index.invert_quadgrams(&quadgrams);
        index
    }

    /// Builds the 4-gram postings, weights and norms from each record's distinct 4-gram slots.
    fn invert_quadgrams(&mut self, quadgrams: &[Vec<u32>]) {
        let slots = 1usize << QUADGRAM_BITS;
        let mut df = vec![0u32; slots];
        for &g in quadgrams.iter().flatten() {
            df[g as usize] += 1;
        }
        let mut start = vec![0u32; slots + 1];
        for g in 0..slots {
            start[g + 1] = start[g] + df[g];
        }
        let mut fill = start[..slots].to_vec();
        let mut docs = vec![0u32; start[slots] as usize];
        let n_docs = self.records.len().max(1) as f32;
        let weight: Vec<f32> = df
            .iter()
            .map(|&n| {
                let idf = (1.0 + n_docs / (1.0 + n as f32)).ln();
                idf * idf
            })
            .collect();
        let mut inv_norm = Vec::with_capacity(quadgrams.len());
        for (doc, grams) in quadgrams.iter().enumerate() {
            let mut squares = 0f32;
            for &g in grams {
                let slot = &mut fill[g as usize];
                docs[*slot as usize] = doc as u32;
                *slot += 1;
                squares += weight[g as usize];
            }
            inv_norm.push(if squares > 0.0 { 1.0 / squares.sqrt() } else { 0.0 });
        }
        self.quadgram_start = start;
        self.quadgram_docs = docs;
        self.quadgram_weight = weight;
        self.quadgram_inv_norm = inv_norm;
    }

    fn from_docs(
        records: Vec<FactCheck>,
        vocab: FastMap<String, u32>,
        words: FastMap<String, u32>,
        docs: Vec<Doc>,
        w: FieldWeights,
    ) -> Index {
        let n_docs = docs.len().max(1) as f32;
        let n_terms = vocab.len();
        let avg = |f: fn(&Doc) -> u32| (docs.iter().map(|d| f(d) as f64).sum::<f64>() / n_docs as f64).max(1.0) as f32;
        let (claim_avg, body_avg) = (avg(|d| d.claim_len), avg(|d| d.body_len));

        // Per document: merged (term, claim tf, body tf), which gives document frequencies.
        let mut df = vec![0u32; n_terms];
        let merged: Vec<Vec<(u32, u32, u32)>> = docs
            .iter()
            .map(|d| {
                let claim_tf = term_counts(d.claim.clone());
                // A field of weight 0 is left out entirely, so every posting has a positive impact.
                let body: &[(u32, u32)] = if w.body_weight > 0.0 { &d.body_tf } else { &[] };
                let m = merge_counts(&claim_tf, body);
                for &(t, _, _) in &m {
                    df[t as usize] += 1;
                }
                m
            })
            .collect();
        // BM25's IDF over the records and the background table together (see background.rs).
        let background = crate::background::background();
        let mut prior = vec![0f32; n_terms];
        for (stem, &t) in &vocab {
            prior[t as usize] = background.df(stem);
        }
        let with_prior = n_docs + background.documents();
        let idf: Vec<f32> = df.iter().zip(&prior).map(|(&n, &p)| smoothed_idf(with_prior, n as f32 + p)).collect();

        // Static pruning: per record, body-only terms beyond the `body_terms` weightiest are dropped.
        let merged: Vec<Vec<(u32, u32, u32)>> = merged
            .into_iter()
            .map(|mut terms| {
                let mut body_only: Vec<(f32, u32)> = terms
                    .iter()
                    .filter(|&&(_, c, _)| c == 0)
                    .map(|&(t, _, b)| (idf[t as usize] * (b as f32).sqrt(), t))
                    .collect();
                if body_only.len() > w.body_terms {
                    body_only.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                    let mut dropped: Vec<u32> = body_only[w.body_terms..].iter().map(|x| x.1).collect();
                    dropped.sort_unstable();
                    terms.retain(|&(t, c, _)| c > 0 || dropped.binary_search(&t).is_err());
                }
                terms
            })
            .collect();
        let mut posted = vec![0u32; n_terms];
        for terms in &merged {
            for &(t, _, _) in terms {
                posted[t as usize] += 1;
            }
        }
        let mut post_start = vec![0u64; n_terms + 1];
        for (t, &n) in posted.iter().enumerate() {
            post_start[t + 1] = post_start[t] + u64::from(n);
        }
        let total = post_start[n_terms] as usize;
        let mut fill: Vec<u64> = post_start[..n_terms].to_vec();
        let mut postings = vec![Posting { doc: 0, impact: 0.0 }; total];
        for (doc, (d, terms)) in docs.iter().zip(&merged).enumerate() {
            let claim_norm = w.claim_weight / (1.0 - w.claim_b + w.claim_b * d.claim_len as f32 / claim_avg);
            let body_norm = w.body_weight / (1.0 - w.body_b + w.body_b * d.body_len as f32 / body_avg);
            for &(t, claim_tf, body_tf) in terms {
                let tf = claim_tf as f32 * claim_norm + body_tf as f32 * body_norm;
                let slot = fill[t as usize] as usize;
                fill[t as usize] += 1;
                postings[slot] = Posting { doc: doc as u32, impact: idf[t as usize] * tf * (w.k1 + 1.0) / (tf + w.k1) };
            }
        }

        let mut claim_start = vec![0u32];
        let mut claim_terms = Vec::new();
        let mut pair_start = vec![0u32];
        let mut claim_pairs = Vec::new();
        let mut claim_mass = Vec::with_capacity(docs.len());
        for d in &docs {
            let mut pairs: Vec<u64> = d.claim.windows(2).map(|p| pair(p[0], p[1])).collect();
            pairs.sort_unstable();
            pairs.dedup();
            claim_pairs.extend_from_slice(&pairs);
            pair_start.push(claim_pairs.len() as u32);
            let mut terms = d.claim.clone();
            terms.sort_unstable();
            terms.dedup();
            claim_mass.push(terms.iter().map(|&t| idf[t as usize]).sum());
            claim_terms.extend_from_slice(&terms);
            claim_start.push(claim_terms.len() as u32);
        }
        let completeness = records.iter().map(Completeness::of).collect();
        Index {
            trigram_start: Vec::new(),
            claim_trigrams: Vec::new(),
            quadgram_start: Vec::new(),
            quadgram_docs: Vec::new(),
            quadgram_weight: Vec::new(),
            quadgram_inv_norm: Vec::new(),
            completeness,
            records,
            vocab,
            words,
            idf,
            with_prior,
            post_start,
            postings,
            claim_start,
            claim_terms,
            pair_start,
            claim_pairs,
            claim_mass,
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn records(&self) -> &[FactCheck] {
        &self.records
    }

    pub fn record(&self, doc: u32) -> &FactCheck {
        &self.records[doc as usize]
    }

    /// Number of distinct stems.
    pub fn vocabulary_len(&self) -> usize {
        self.vocab.len()
    }

    /// Bytes held by the index structures (postings, vocabulary, per-record term sets), not counting
    /// the records' own text.
    pub fn index_bytes(&self) -> usize {
        let vocab: usize = self.vocab.keys().chain(self.words.keys()).map(|k| k.capacity() + 24 + 4 + 8).sum();
        vocab
            + self.idf.len() * 4
            + self.post_start.len() * 8
            + self.postings.len() * std::mem::size_of::<Posting>()
            + (self.claim_start.len() + self.claim_terms.len() + self.pair_start.len()) * 4
            + self.claim_pairs.len() * 8
            + self.claim_mass.len() * 4
            + self.completeness.len() * std::mem::size_of::<Completeness>()
            + self.trigram_start.len() * 4
            + self.claim_trigrams.len() * 2
            + (self.quadgram_start.len() + self.quadgram_docs.len() + self.quadgram_weight.len()) * 4
            + self.quadgram_inv_norm.len() * 4
    }

    pub(crate) fn term(&self, stem: &str) -> Option<u32> {
        self.vocab.get(stem).copied()
    }

    /// Term id of a word in standard spelling, if the records used that word.
    pub(crate) fn word(&self, word: &str) -> Option<u32> {
        self.words.get(word).copied()
    }

    /// Number of records containing the term.
    pub(crate) fn df(&self, term: u32) -> usize {
        (self.post_start[term as usize + 1] - self.post_start[term as usize]) as usize
    }

    pub(crate) fn idf(&self, term: u32) -> f32 {
        self.idf[term as usize]
    }

    /// IDF of a stem no record has, if the background table knows it (see background.rs): what
    /// the stem weighs in a text, as it would in a larger database that has it.
    pub(crate) fn unindexed_idf(&self, stem: &str) -> Option<f32> {
        let background = crate::background::background();
        background.lists(stem).then(|| smoothed_idf(self.with_prior, background.df(stem)))
    }

    pub(crate) fn postings(&self, term: u32) -> &[Posting] {
        &self.postings[self.post_start[term as usize] as usize..self.post_start[term as usize + 1] as usize]
    }

    pub(crate) fn claim_terms(&self, doc: u32) -> &[u32] {
        &self.claim_terms[self.claim_start[doc as usize] as usize..self.claim_start[doc as usize + 1] as usize]
    }

    pub(crate) fn claim_pairs(&self, doc: u32) -> &[u64] {
        &self.claim_pairs[self.pair_start[doc as usize] as usize..self.pair_start[doc as usize + 1] as usize]
    }

    pub(crate) fn claim_mass(&self, doc: u32) -> f32 {
        self.claim_mass[doc as usize]
    }

    /// Sorted distinct trigram [`hash16`]s of a record's claim text.
    pub(crate) fn claim_trigrams(&self, doc: u32) -> &[u16] {
        &self.claim_trigrams[self.trigram_start[doc as usize] as usize..self.trigram_start[doc as usize + 1] as usize]
    }

    /// Records whose claim text has a 4-gram of slot `g`, by record.
    pub(crate) fn quadgram_docs(&self, g: u32) -> &[u32] {
        let g = g as usize;
        &self.quadgram_docs[self.quadgram_start[g] as usize..self.quadgram_start[g + 1] as usize]
    }

    /// Squared IDF of 4-gram slot `g` among the records' claim texts.
    pub(crate) fn quadgram_weight(&self, g: u32) -> f32 {
        self.quadgram_weight[g as usize]
    }

    /// One over the norm of a record's 4-gram IDF vector (0 for a record without 4-grams).
    pub(crate) fn quadgram_inv_norm(&self, doc: u32) -> f32 {
        self.quadgram_inv_norm[doc as usize]
    }

    pub(crate) fn completeness(&self, doc: u32) -> Completeness {
        self.completeness[doc as usize]
    }
}

/// BM25's IDF of a stem in `df` of `documents` records.
fn smoothed_idf(documents: f32, df: f32) -> f32 {
    (1.0 + (documents - df + 0.5) / (df + 0.5)).ln()
}

/// Moves the distinct values of sorted `values` to its front; returns how many there are.
fn dedup_from(values: &mut [u16]) -> usize {
    let mut kept = 0;
    for i in 0..values.len() {
        if kept == 0 || values[i] != values[kept - 1] {
            values[kept] = values[i];
            kept += 1;
        }
    }
    kept
}

/// Sorted (term, count) pairs.
fn term_counts(mut terms: Vec<u32>) -> Vec<(u32, u32)> {
    terms.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for t in terms {
        match out.last_mut() {
            Some((last, n)) if *last == t => *n += 1,
            _ => out.push((t, 1)),
        }
    }
    out
}

fn merge_counts(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32, u32)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&(ta, na)), Some(&(tb, nb))) if ta == tb => {
                out.push((ta, na, nb));
                i += 1;
                j += 1;
            }
            (Some(&(ta, na)), Some(&(tb, _))) if ta < tb => {
                out.push((ta, na, 0));
                i += 1;
            }
            (Some(&(ta, na)), None) => {
                out.push((ta, na, 0));
                i += 1;
            }
            (_, Some(&(tb, nb))) => {
                out.push((tb, 0, nb));
                j += 1;
            }
            (None, None) => unreachable!(),
        }
    }
    out
}
