//! Accuracy of language identification on a labelled set of short texts, for our detector and for
//! the crates considered (`whatlang`, `lingua`), each restricted to the languages it supports.
//!
//! usage: cargo run --release -p tangkal-text --example language_eval -- [LABELLED.tsv]
//! LABELLED.tsv: `lang<TAB>text` lines (id, en, ms, jv, su), `#` comments; defaults to
//! crates/text/tests/fixtures/language.tsv. Only texts under 20 words are scored.
use lingua::{LanguageDetector, LanguageDetectorBuilder};
use tangkal_text::language::detect;

fn whatlang_code(text: &str) -> Option<&'static str> {
    let d = whatlang::Detector::with_allowlist(vec![whatlang::Lang::Ind, whatlang::Lang::Jav, whatlang::Lang::Eng]);
    d.detect_lang(text).map(|l| match l {
        whatlang::Lang::Ind => "id",
        whatlang::Lang::Jav => "jv",
        _ => "en",
    })
}

fn lingua_code(d: &LanguageDetector, text: &str) -> Option<&'static str> {
    d.detect_language_of(text).map(|l| match l {
        lingua::Language::Indonesian => "id",
        lingua::Language::Malay => "ms",
        _ => "en",
    })
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "crates/text/tests/fixtures/language.tsv".into());
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lingua = LanguageDetectorBuilder::from_languages(&[
        lingua::Language::Indonesian,
        lingua::Language::Malay,
        lingua::Language::English,
    ])
    .build();
    let codes = ["id", "en", "ms", "jv", "su"];
    // per detector: [correct, total] per language
    let mut tally = [[[0usize; 2]; 5]; 3];
    for (n, line) in data.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (lang, text) = line.split_once('\t').unwrap_or_else(|| panic!("{path}:{}: expected lang<TAB>text", n + 1));
        let li = codes
            .iter()
            .position(|c| *c == lang)
            .unwrap_or_else(|| panic!("{path}:{}: unknown language {lang}", n + 1));
        if text.split_whitespace().count() >= 20 {
            continue;
        }
        let ours = detect(text).map(|g| g.language.code());
        let answers = [ours, whatlang_code(text), lingua_code(&lingua, text)];
        for (d, answer) in answers.iter().enumerate() {
            tally[d][li][1] += 1;
            if *answer == Some(lang) {
                tally[d][li][0] += 1;
            } else if d == 0 {
                let guess = detect(text);
                println!(
                    "{path}:{}: {lang} read as {:?}: {text}",
                    n + 1,
                    guess.map(|g| (g.language.code(), (g.confidence * 100.0).round() / 100.0))
                );
            }
        }
    }
    let names = ["tangkal-text", "whatlang 0.16 (id/jv/en only)", "lingua 1.7 (id/ms/en only)"];
    for (d, name) in names.iter().enumerate() {
        let (ok, all): (usize, usize) = tally[d].iter().fold((0, 0), |a, t| (a.0 + t[0], a.1 + t[1]));
        let per: Vec<String> = codes.iter().zip(&tally[d]).map(|(c, t)| format!("{c} {}/{}", t[0], t[1])).collect();
        println!("{name}: {ok}/{all} = {:.1}% ({})", 100.0 * ok as f64 / all as f64, per.join(", "));
    }
}
