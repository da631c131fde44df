//! Money amounts and other counted quantities written the many ways Indonesian posts write them
//! (`Rp 600.000`, `Rp600.000`, `600 ribu`, `600rb`, `600k`, `Rp 8,5 juta`, `1,2 jt`), read to one
//! term: the integer value in plain digits (`600000`), so that a post and a fact-check about the
//! same sum share a word.
//!
//! Works on terms in standard spelling (after the informal lexicon: `rb` is already `ribu`, `jt`
//! already `juta`). Indonesian writes `.` between thousands and `,` before decimals; a number whose
//! dots do not group thousands (`1.5 juta`) is read as a decimal, as English writes it.
//!
//! ```
//! use tangkal_text::amounts::read_amounts;
//! let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
//! let (terms, _) = read_amounts(words("blt rp 600 ribu"), vec![(); 4]);
//! assert_eq!(terms, ["blt", "rp", "600000"]);
//! let (terms, _) = read_amounts(words("blt rp600.000"), vec![(); 2]);
//! assert_eq!(terms, ["blt", "rp", "600000"]);
//! ```

/// Multipliers written as a word after the number or glued to it.
const UNITS: [(&str, u64); 9] = [
    ("ribu", 1_000),
    ("rb", 1_000),
    ("k", 1_000),
    ("juta", 1_000_000),
    ("jt", 1_000_000),
    ("miliar", 1_000_000_000),
    ("milyar", 1_000_000_000),
    ("triliun", 1_000_000_000_000),
    ("t", 1_000_000_000_000),
];

/// Unit words that may stand apart from their number. Abbreviations count only glued to it
/// (`600k`, `600rb`): apart, the lexicon has already spelled out `rb` and `jt`, and a lone `k` or `t`
/// usually abbreviates something else.
fn separate_unit(word: &str) -> Option<u64> {
    UNITS.iter().find(|(name, _)| name.len() > 2 && *name == word).map(|&(_, m)| m)
}

/// Rewrites every amount among `terms` to its integer value. `origins` holds one value per term
/// (e.g. the token a term came from) and is rewritten alongside: a term that absorbs the unit word
/// after it keeps its own origin, and `rp` split off a glued `rp600.000` shares the amount's.
pub fn read_amounts<T: Copy>(terms: Vec<String>, origins: Vec<T>) -> (Vec<String>, Vec<T>) {
    debug_assert_eq!(terms.len(), origins.len());
    if !terms.iter().any(|t| t.bytes().any(|b| b.is_ascii_digit())) {
        return (terms, origins);
    }
    let mut out_terms = Vec::with_capacity(terms.len());
    let mut out_origins = Vec::with_capacity(origins.len());
    let mut i = 0;
    while i < terms.len() {
        let (term, origin) = (&terms[i], origins[i]);
        let (prefixed, body) = match term.strip_prefix("rp") {
            Some(body) if body.starts_with(|c: char| c.is_ascii_digit()) => (true, body),
            _ => (false, term.as_str()),
        };
        let next_unit = terms.get(i + 1).and_then(|w| separate_unit(w));
        match read(body, next_unit) {
            Some((value, used_next)) => {
                if prefixed {
                    out_terms.push("rp".to_owned());
                    out_origins.push(origin);
                }
                out_terms.push(value.to_string());
                out_origins.push(origin);
                i += 1 + usize::from(used_next);
            }
            None => {
                out_terms.push(term.clone());
                out_origins.push(origin);
                i += 1;
            }
        }
    }
    (out_terms, out_origins)
}

/// The integer value of `word` (digits with separators, maybe a glued unit), times `next_unit` if
/// the word has no unit of its own, and whether `next_unit` was used. `None` when `word` is not a
/// number, or is a plain number written without separators or unit (nothing to rewrite), or the
/// value is not a whole number.
fn read(word: &str, next_unit: Option<u64>) -> Option<(u64, bool)> {
    let digits_end = word.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).unwrap_or(word.len());
    let (number, suffix) = word.split_at(digits_end);
    let glued_unit = match suffix {
        "" => None,
        unit => Some(UNITS.iter().find(|(name, _)| *name == unit)?.1),
    };
    let (mantissa, decimals) = parse_number(number)?;
    let (multiplier, used_next) = match (glued_unit, next_unit) {
        (Some(m), _) => (m, false),
        (None, Some(m)) => (m, true),
        // Without a unit only thousands separators are rewritten (`600.000`), never decimals.
        (None, None) if decimals == 0 && number.contains('.') => (1, false),
        (None, None) => return None,
    };
    let scale = 10u64.checked_pow(decimals)?;
    let scaled = mantissa.checked_mul(multiplier)?;
    (scaled % scale == 0).then_some((scaled / scale, used_next))
}

/// Digits with Indonesian separators as a mantissa and its number of decimal places:
/// `600.000` → (600000, 0), `8,5` → (85, 1), `1.250,5` → (12505, 1), `1.5` → (15, 1).
fn parse_number(number: &str) -> Option<(u64, u32)> {
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (whole, fraction) = match number.split_once(',') {
        Some((whole, fraction)) if !fraction.contains([',', '.']) => (whole, fraction),
        Some(_) => return None,
        None => match number.split_once('.') {
            // One dot before anything but a group of three: a decimal point (`1.5 juta`).
            Some((whole, fraction)) if !fraction.contains('.') && fraction.len() != 3 => (whole, fraction),
            _ => (number, ""),
        },
    };
    let mut groups = whole.split('.');
    let first = groups.next()?;
    if first.is_empty() || (whole.contains('.') && first.len() > 3) {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut push = |digits: &str| -> Option<()> {
        for d in digits.bytes() {
            mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        Some(())
    };
    push(first)?;
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        push(group)?;
    }
    push(fraction)?;
    Some((mantissa, u32::try_from(fraction.len()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Vec<String> {
        let terms: Vec<String> = text.split(' ').map(str::to_owned).collect();
        let n = terms.len();
        read_amounts(terms, vec![(); n]).0
    }

    #[test]
    fn every_way_of_writing_six_hundred_thousand_reads_the_same() {
        for text in ["600.000", "600 ribu", "600rb", "600ribu", "600k"] {
            assert_eq!(read_text(text), ["600000"], "{text:?}");
        }
        for text in ["rp 600.000", "rp600.000", "rp600rb", "rp 600 ribu", "rp600k"] {
            assert_eq!(read_text(text), ["rp", "600000"], "{text:?}");
        }
    }

    #[test]
    fn decimals_with_a_unit_become_whole_amounts() {
        assert_eq!(read_text("rp 8,5 juta"), read_text("rp 8.500.000"));
        assert_eq!(read_text("rp 8,5 juta"), ["rp", "8500000"]);
        assert_eq!(read_text("1,2 juta warga"), ["1200000", "warga"]);
        assert_eq!(read_text("1,2jt"), ["1200000"]);
        assert_eq!(read_text("1.5 juta"), ["1500000"]);
        assert_eq!(read_text("rp 1.250,5 miliar"), ["rp", "1250500000000"]);
        assert_eq!(read_text("2 triliun"), ["2000000000000"]);
    }

    #[test]
    fn other_numbers_and_words_are_left_alone() {
        for text in [
            "tahun 2024",
            "naik 3,5 persen",
            "0812345678 wa",
            "covid-19",
            "rp",
            "rpx",
            "ribu orang",
            "anak2",
            "1,2345678 juta",
            "1.0000",
            "3,50",
            "12.34.56",
            "600x",
            "5 k",
            "99999999999999999999 ribu",
        ] {
            assert_eq!(read_text(text), text.split(' ').collect::<Vec<_>>(), "{text:?}");
        }
    }

    #[test]
    fn origins_follow_the_terms() {
        let terms = ["harga", "rp600.000", "dan", "2", "juta", "lagi"].map(str::to_owned).to_vec();
        let (terms, origins) = read_amounts(terms, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(terms, ["harga", "rp", "600000", "dan", "2000000", "lagi"]);
        assert_eq!(origins, [0, 1, 1, 2, 3, 5]);
    }
}
