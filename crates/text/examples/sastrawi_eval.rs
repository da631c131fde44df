//! Agreement of [`tangkal_text::Stemmer`] with the Sastrawi reference (PySastrawi 1.2.1 = PHP v1.2.0).
//!
//! usage: cargo run --release -p tangkal-text --example sastrawi_eval -- [DATA_DIR]
//! DATA_DIR defaults to ../shared/data/sastrawi. Prints every disagreement, then the counts; exits 1
//! if any row disagrees.
use std::collections::HashMap;
use std::process::ExitCode;

use tangkal_text::{Dictionary, Stemmer};

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => panic!("unknown escape \\{other} in {field:?}"),
            None => panic!("trailing backslash in {field:?}"),
        }
    }
    out
}

/// The dictionary a `dict` column names.
fn dictionary(spec: &str, dir: &str, full: &Dictionary, cache: &mut HashMap<String, Dictionary>) -> Dictionary {
    if let Some(d) = cache.get(spec) {
        return d.clone();
    }
    let d = if spec == "full" {
        full.clone()
    } else if let Some(add) = spec.strip_prefix("full+") {
        full.edited(add.split(','), [])
    } else if let Some(remove) = spec.strip_prefix("full-") {
        full.edited([], remove.split(','))
    } else if let Some(name) = spec.strip_prefix("fixture:") {
        Dictionary::from_text(&read(&format!("{dir}/fixtures/{name}.txt")))
    } else if let Some(words) = spec.strip_prefix("inline:") {
        Dictionary::from_words(words.split(','))
    } else {
        panic!("unknown dictionary {spec:?}")
    };
    cache.insert(spec.to_owned(), d.clone());
    d
}

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "../shared/data/sastrawi".into());
    let full = Dictionary::sastrawi();
    let stemmer = Stemmer::new(full.clone());

    let (mut agree, mut total) = (0usize, 0usize);
    for (n, line) in read(&format!("{dir}/reference_stems.tsv")).lines().enumerate() {
        let (word, want) = line.split_once('\t').unwrap_or_else(|| panic!("reference_stems.tsv:{}: no tab", n + 1));
        total += 1;
        let got = stemmer.stem(word);
        if got == want {
            agree += 1;
        } else {
            println!("reference_stems.tsv:{}: {word}: want {want}, got {got}", n + 1);
        }
    }
    println!("reference_stems.tsv: {agree}/{total} words agree with PySastrawi 1.2.1");
    let words_ok = agree == total;

    let mut cache = HashMap::new();
    let (mut agree, mut total, mut plain_agree, mut plain_total) = (0usize, 0usize, 0usize, 0usize);
    let cases = read(&format!("{dir}/sastrawi_cases.tsv"));
    for (n, line) in cases.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [word, _expected, _suite, dict, status, ref_stem, _] = f[..] else {
            panic!("sastrawi_cases.tsv:{}: expected 7 columns, found {}", n + 1, f.len());
        };
        if !status.starts_with("active") {
            continue;
        }
        let (word, want) = (unescape(word), unescape(ref_stem));
        let s = Stemmer::new(dictionary(dict, &dir, &full, &mut cache));
        let got = match status {
            "active(stem_singular_word)" | "active(Context.execute)" => s.stem_singular_word(&word),
            "active(stem_plural_word)" => s.stem_plural_word(&word),
            "active(stem_word)" => s.stem_word(&word),
            _ => s.stem(&word),
        };
        total += 1;
        let plain = status == "active";
        plain_total += plain as usize;
        if got == want {
            agree += 1;
            plain_agree += plain as usize;
        } else {
            println!("sastrawi_cases.tsv:{}: {word:?} [{dict}, {status}]: want {want:?}, got {got:?}", n + 1);
        }
    }
    println!("sastrawi_cases.tsv: {agree}/{total} active* rows agree with ref_stem ({plain_agree}/{plain_total} with status exactly 'active')");
    if words_ok && agree == total {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
