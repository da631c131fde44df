//! The normaliser on our own fixtures: informal forms it must repair, and words it must not damage.

use tangkal_text::{Analyzer, Dictionary, Normalizer};

fn fixture_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty()).map(|(i, l)| (i + 1, l))
}

#[test]
fn informal_forms_become_standard() {
    let n = Normalizer::new();
    for (line, row) in fixture_lines(include_str!("fixtures/informal.tsv")) {
        let (input, want) = row.split_once('\t').unwrap_or_else(|| panic!("informal.tsv:{line}: no tab"));
        assert_eq!(n.normalize(input), want, "informal.tsv:{line}: {input}");
    }
}

#[test]
fn correct_words_are_not_damaged() {
    let n = Normalizer::new();
    for (line, word) in fixture_lines(include_str!("fixtures/must-not-damage.txt")) {
        assert_eq!(n.normalize(word), word, "must-not-damage.txt:{line}");
    }
}

#[test]
fn no_dictionary_word_is_changed_unless_the_lexicon_lists_it() {
    let n = Normalizer::new();
    let dict = tangkal_text::dictionary::KATA_DASAR;
    let mut changed = Vec::new();
    for word in dict.lines() {
        if n.lexicon().get(word).is_none() && n.normalize(word) != word {
            changed.push(word);
        }
    }
    assert!(changed.is_empty(), "dictionary words changed: {changed:?}");
    assert_eq!(Dictionary::sastrawi().len(), dict.lines().count());
}

#[test]
fn standard_forms_of_the_lexicon_are_stable() {
    // Normalising twice changes nothing: every standard form is itself left alone.
    let n = Normalizer::new();
    for (line, row) in fixture_lines(tangkal_text::normalizer::INFORMAL_TSV) {
        let standard = row.split_once('\t').map(|(_, s)| s).unwrap_or_else(|| panic!("informal.tsv:{line}"));
        for word in standard.split(' ') {
            assert_eq!(n.normalize(word), word, "data/informal.tsv:{line}: {word}");
        }
    }
}

#[test]
fn english_sentences_pass_through_the_analyzer_unchanged() {
    let text = "Good morning, the committee will see you tomorrow at the coffee shop.";
    let a = Analyzer::new().analyze(text);
    assert_eq!(a.canonical, "good morning the committee will see you tomorrow at the coffee shop");
}
