//! The stemmer against our own fixtures (no ../shared needed).

use tangkal_text::{Dictionary, Stemmer};

#[test]
fn stems_match_the_reference_on_our_fixture() {
    let s = Stemmer::sastrawi();
    let fixture = include_str!("fixtures/stems.tsv");
    let mut checked = 0;
    for (n, line) in fixture.lines().enumerate().filter(|(_, l)| !l.starts_with('#')) {
        let (word, want) = line.split_once('\t').unwrap_or_else(|| panic!("stems.tsv:{}: no tab", n + 1));
        assert_eq!(s.stem(word), want, "stems.tsv:{}: {word}", n + 1);
        checked += 1;
    }
    assert!(checked >= 100);
}

#[test]
fn stem_text_splits_like_sastrawi() {
    let s = Stemmer::sastrawi();
    // Sastrawi reads the -tah of "membantah" as a particle: the reference says "ban", and so do we.
    assert_eq!(s.stem("Pemerintah MEMBANTAH kabar itu!!"), "perintah ban kabar itu");
    assert_eq!(s.stem("kuasa-Mu, nikmat-Ku"), "kuasa nikmat");
    assert_eq!(s.stem("  \t\n "), "");
    assert_eq!(s.stem("é"), "");
    assert_eq!(s.stem("2024"), "2024");
}

#[test]
fn reduplication() {
    let s = Stemmer::sastrawi();
    assert_eq!(s.stem_word("berbalas-balasan"), "balas");
    assert_eq!(s.stem_word("meniru-nirukan"), "tiru");
    assert_eq!(s.stem_word("malaikat-malaikat-nya"), "malaikat");
    // Different roots: the word stays whole.
    assert_eq!(s.stem_word("jakarta-bandung"), "jakarta-bandung");
    assert_eq!(s.stem_word("hati-ku"), "hati");
}

#[test]
fn short_words_and_unknown_words_are_kept() {
    let s = Stemmer::sastrawi();
    for w in ["di", "ke", "nya", "xyzzy", "covid", ""] {
        assert_eq!(s.stem_word(w), w);
    }
}

#[test]
fn the_dictionary_decides() {
    // Which root is reached depends only on the dictionary: the same word, two dictionaries.
    let with_kan = Stemmer::new(Dictionary::from_words(["makan"]));
    let without = Stemmer::new(Dictionary::from_words(["mak"]));
    assert_eq!(with_kan.stem_word("dimakan"), "makan");
    assert_eq!(without.stem_word("dimakan"), "mak");
    // Nothing reachable: the input comes back unchanged.
    assert_eq!(Stemmer::new(Dictionary::from_words(["zzz"])).stem_word("dimakan"), "dimakan");
}

#[test]
fn suffix_restoring_loop_tries_kan_as_k() {
    // -kan removed from "menaikan" leaves "menai"; the root "naik" is only reached by putting the k back.
    let s = Stemmer::new(Dictionary::from_words(["naik"]));
    assert_eq!(s.stem_word("menaikan"), "naik");
}

#[test]
fn cached_stemmer_agrees_with_the_plain_one() {
    let plain = Stemmer::sastrawi();
    let mut cached = tangkal_text::stemmer::CachedStemmer::new(plain.clone());
    for word in ["pemberitaan", "anak-anak", "pemberitaan", "xyz"] {
        assert_eq!(cached.stem_word(word), plain.stem_word(word));
    }
    assert_eq!(cached.len(), 3);
}
