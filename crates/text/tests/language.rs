//! Language identification on our labelled set of short texts (fixtures/language.tsv).

use tangkal_text::language::{detect, Language};

#[test]
fn accuracy_on_short_texts() {
    let mut per_language = [(0usize, 0usize); 5];
    for (n, line) in include_str!("fixtures/language.tsv").lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (code, text) = line.split_once('\t').unwrap_or_else(|| panic!("language.tsv:{}: no tab", n + 1));
        let lang = Language::from_code(code).unwrap_or_else(|| panic!("language.tsv:{}: {code}", n + 1));
        assert!(text.split_whitespace().count() < 20, "language.tsv:{}: 20 words or more", n + 1);
        let i = Language::ALL.iter().position(|&l| l == lang).unwrap();
        per_language[i].1 += 1;
        if detect(text).map(|g| g.language) == Some(lang) {
            per_language[i].0 += 1;
        }
    }
    let (ok, all) = per_language.iter().fold((0, 0), |a, p| (a.0 + p.0, a.1 + p.1));
    assert!(all >= 75, "labelled set too small: {all}");
    assert!(ok * 100 >= all * 90, "overall accuracy {ok}/{all} below 90%");
    for (lang, (ok, all)) in Language::ALL.iter().zip(per_language) {
        assert!(ok * 100 >= all * 80, "{lang:?}: {ok}/{all} below 80%");
    }
}

#[test]
fn confidence_is_a_share() {
    for text in ["Aku ora ngerti", "the vaccine is safe", "abdi teu terang", "vaksin aman"] {
        let g = detect(text).unwrap();
        assert!(g.confidence > 0.0 && g.confidence <= 1.0, "{text}: {}", g.confidence);
    }
    // Mixed signals give a lower confidence than clean ones.
    let clean = detect("Aku ora percaya karo kabar kuwi").unwrap().confidence;
    let mixed = detect("Aku ora percaya the news is fake").unwrap().confidence;
    assert!(mixed < clean);
}

#[test]
fn no_words_no_language() {
    assert!(detect("").is_none());
    assert!(detect("😂😂 12345 https://t.co/abc").is_none());
}
