//! Splitting social-media text into typed spans: words, numbers, links, @mentions, #hashtags, emoji.
//!
//! Offsets always point into the caller's original text; the folded form of each span (Unicode NFKC,
//! lower case, zero-width and other invisible format characters removed) is computed separately so
//! that hot paths can fold into a reused buffer.
//!
//! ```
//! use tangkal_text::tokenizer::tokenize;
//! use tangkal_text::TokenKind::*;
//! let tokens = tokenize("Cek @Budi: anak2 #HOAKS 🙏🏽 https://t.co/x!");
//! let kinds: Vec<_> = tokens.iter().map(|t| (t.kind, t.text.as_str())).collect();
//! assert_eq!(kinds, [(Word, "cek"), (Mention, "@budi"), (Word, "anak2"), (Hashtag, "#hoaks"),
//!                    (Emoji, "🙏🏽"), (Url, "https://t.co/x")]);
//! assert_eq!(&"Cek @Budi"[tokens[1].start..tokens[1].end], "@Budi");
//! ```

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::{Token, TokenKind};

/// A typed span of the original text, before folding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// Appends the folded form of this span of `text` to `out`. Emoji are kept as they are (their
    /// joiners and modifiers are part of them); everything else goes through [`fold_into`].
    pub fn fold_into(&self, text: &str, out: &mut String) {
        let raw = &text[self.start..self.end];
        if self.kind == TokenKind::Emoji {
            out.push_str(raw);
        } else {
            fold_into(raw, out);
        }
    }
}

/// Every token of `text`, folded.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for span in spans(text) {
        let mut folded = String::new();
        span.fold_into(text, &mut folded);
        out.push(Token { kind: span.kind, start: span.start, end: span.end, text: folded });
    }
    out
}

/// The spans of `text`, lazily, without allocating.
pub fn spans(text: &str) -> Spans<'_> {
    Spans { text, pos: 0 }
}

/// Appends the folded form of `span` to `out`: NFKC, lower case, invisible characters dropped.
/// ASCII input (the common case) skips normalisation entirely.
pub fn fold_into(span: &str, out: &mut String) {
    if span.is_ascii() && !span.bytes().any(|b| b.is_ascii_control()) {
        let start = out.len();
        out.push_str(span);
        out[start..].make_ascii_lowercase();
        return;
    }
    for c in span.nfkc() {
        if is_invisible(c) || c.is_control() {
            continue;
        }
        if c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
}

/// Iterator over the [`Span`]s of a text; see [`spans`].
#[derive(Debug, Clone)]
pub struct Spans<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for Spans<'_> {
    type Item = Span;

    #[inline]
    fn next(&mut self) -> Option<Span> {
        let text = self.text;
        let bytes = text.as_bytes();
        while self.pos < text.len() {
            let start = self.pos;
            let b = bytes[start];
            if b.is_ascii_whitespace() || (b.is_ascii_punctuation() && !matches!(b, b'@' | b'#')) {
                self.pos += 1;
                continue;
            }
            let rest = &text[start..];
            if matches!(b, b'h' | b'H' | b'w' | b'W') {
                if let Some(len) = schemed_url_len(rest) {
                    self.pos = start + len;
                    return Some(Span { kind: TokenKind::Url, start, end: self.pos });
                }
            }
            let c = if b.is_ascii() { b as char } else { rest.chars().next().expect("pos is on a char boundary") };
            if is_alnum(c) {
                let (len, letters) = word_len(rest);
                // `detik.com`, `bit.ly/x`: a word followed by a dot and a letter may be a bare domain.
                let dotted = bytes.get(start + len) == Some(&b'.')
                    && bytes.get(start + len + 1).is_some_and(u8::is_ascii_alphabetic);
                if let Some(url) = dotted.then(|| bare_url_len(rest)).flatten() {
                    self.pos = start + url;
                    return Some(Span { kind: TokenKind::Url, start, end: self.pos });
                }
                self.pos = start + len;
                let kind = if letters { TokenKind::Word } else { TokenKind::Number };
                return Some(Span { kind, start, end: self.pos });
            }
            if matches!(c, '@' | '#') && !preceded_by_word(text, start) {
                let body = tag_len(&rest[1..], c == '@');
                if body > 0 {
                    self.pos = start + 1 + body;
                    let kind = if c == '@' { TokenKind::Mention } else { TokenKind::Hashtag };
                    return Some(Span { kind, start, end: self.pos });
                }
            }
            if is_emoji(c) {
                self.pos = start + emoji_len(rest);
                return Some(Span { kind: TokenKind::Emoji, start, end: self.pos });
            }
            self.pos += c.len_utf8();
        }
        None
    }
}

/// Zero-width and other invisible format characters that are dropped, also inside words
/// (`ho\u{200B}aks` is `hoaks`).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF)
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c as u32, 0x1F1E6..=0x1F1FF)
}

/// One emoji with its modifiers: skin tones, variation selectors, keycaps, tags, ZWJ sequences and
/// flag pairs.
fn emoji_len(s: &str) -> usize {
    let mut chars = s.char_indices().peekable();
    let (_, first) = chars.next().expect("called on an emoji");
    let mut end = first.len_utf8();
    let mut flag_half = is_regional_indicator(first);
    while let Some(&(i, c)) = chars.peek() {
        let joined = match c {
            '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}' => true,
            '\u{200D}' => {
                chars.next();
                match chars.peek() {
                    Some(&(j, next)) if is_emoji(next) => {
                        end = j + next.len_utf8();
                        chars.next();
                    }
                    _ => {}
                }
                continue;
            }
            c if flag_half && is_regional_indicator(c) => {
                flag_half = false;
                true
            }
            _ => false,
        };
        if !joined {
            break;
        }
        end = i + c.len_utf8();
        chars.next();
    }
    end
}

fn preceded_by_word(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// `char::is_alphanumeric` with shortcuts for the blocks social media text is full of: general
/// punctuation (quotes, ellipses), emoji, and the mathematical letters used to dodge filters.
fn is_alnum(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphanumeric(),
        0x2000..=0x206F | 0x2190..=0x2BFF | 0x1F000..=0x1FAFF => false,
        0x1D400..=0x1D7FF => true,
        _ => c.is_alphanumeric(),
    }
}

fn continues_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    is_alnum(c) || is_invisible(c) || is_combining_mark(c)
}

/// Length of a word or number at the start of `s`, and whether it holds any letter. Hyphens join
/// alphanumeric runs (`anak-anak`, `covid-19`), apostrophes join letters (`jum'at`), and `.`/`,`
/// join digits (`1.000.000`, `3,5`).
fn word_len(s: &str) -> (usize, bool) {
    // ASCII fast path; any non-ASCII byte in or right after the word takes the general path.
    let b = s.as_bytes();
    let (mut i, mut letters) = (0, false);
    loop {
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            letters |= b[i] > b'9';
            i += 1;
        }
        let Some(&c) = b.get(i) else { return (i, letters) };
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        if i == 0 || c >= 0x80 || (matches!(c, b'-' | b'\'' | b'.' | b',') && next >= 0x80) {
            return word_len_general(s);
        }
        let prev = b[i - 1];
        let joins = match c {
            b'-' => next.is_ascii_alphanumeric(),
            b'\'' => prev.is_ascii_alphabetic() && next.is_ascii_alphabetic(),
            b'.' | b',' => prev.is_ascii_digit() && next.is_ascii_digit(),
            _ => false,
        };
        if !joins {
            return (i, letters);
        }
        i += 1;
    }
}

fn word_len_general(s: &str) -> (usize, bool) {
    let mut end = 0;
    let mut letters = false;
    let mut prev = '\0';
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if continues_word(c) {
            letters |= !c.is_ascii_digit() && !c.is_numeric();
            end = i + c.len_utf8();
            if !is_invisible(c) {
                prev = c;
            }
            continue;
        }
        let next = chars.peek().map(|&(_, n)| n);
        let joins = match (c, next) {
            ('-' | '\u{2010}' | '\u{2011}', Some(n)) => prev.is_alphanumeric() && n.is_alphanumeric(),
            ('\'' | '\u{2019}', Some(n)) => prev.is_alphabetic() && n.is_alphabetic(),
            ('.' | ',', Some(n)) => prev.is_ascii_digit() && n.is_ascii_digit(),
            _ => false,
        };
        if !joins {
            break;
        }
        end = i + c.len_utf8();
        prev = c;
    }
    (end, letters)
}

/// Length of a mention or hashtag body (after `@`/`#`); mentions may contain inner dots.
fn tag_len(s: &str, mention: bool) -> usize {
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if continues_word(c) || c == '_' || (mention && c == '.') {
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    s[..end].trim_end_matches('.').len()
}

/// Top-level domains recognised on bare links without a scheme or `www.` (`bit.ly/abc`, `detik.com`).
const BARE_TLDS: [&str; 14] =
    ["com", "id", "net", "org", "co", "ly", "io", "me", "info", "news", "tv", "gl", "gd", "link"];

/// Length of a link with a scheme or `www.` at the start of `s`.
fn schemed_url_len(s: &str) -> Option<usize> {
    let starts = |p: &str| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    let min = if starts("http://") || starts("https://") {
        9
    } else if starts("www.") {
        5
    } else {
        return None;
    };
    let len = link_end(s);
    (len >= min).then_some(len)
}

/// Length of a bare link at the start of `s` (`detik.com`, `bit.ly/abc`), recognised by a known
/// top-level domain: ASCII labels joined by dots (at most 253 bytes, so scanning stays linear).
fn bare_url_len(s: &str) -> Option<usize> {
    let host_len = s.bytes().take(254).take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')).count();
    if host_len > 253 {
        return None;
    }
    let host = s[..host_len].trim_end_matches(['.', '-']);
    let (name, tld) = host.rsplit_once('.')?;
    let tld_ok = BARE_TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld));
    if !tld_ok || name.is_empty() || name.ends_with('.') || !name.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    match s[host.len()..].chars().next() {
        Some('/') => Some(link_end(s)),
        Some(c) if c.is_alphanumeric() || c == '@' || c == '_' => None,
        _ => Some(host.len()),
    }
}

/// End of a link: the next whitespace or quote, without trailing punctuation.
fn link_end(s: &str) -> usize {
    let run = s.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(s.len());
    s[..run].trim_end_matches(|c: char| ".,;:!?)]}'\u{2019}\u{201D}".contains(c)).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenKind::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String)> {
        tokenize(text).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    fn k(kind: TokenKind, s: &str) -> (TokenKind, String) {
        (kind, s.to_owned())
    }

    #[test]
    fn words_numbers_and_reduplication() {
        assert_eq!(
            kinds("Anak-anak main, anak2 jg! Harga Rp1.500.000 naik 3,5% di 2024."),
            [
                k(Word, "anak-anak"),
                k(Word, "main"),
                k(Word, "anak2"),
                k(Word, "jg"),
                k(Word, "harga"),
                k(Word, "rp1.500.000"),
                k(Word, "naik"),
                k(Number, "3,5"),
                k(Word, "di"),
                k(Number, "2024"),
            ]
        );
        assert_eq!(kinds("jum'at -- covid-19 - ok"), [k(Word, "jum'at"), k(Word, "covid-19"), k(Word, "ok")]);
    }

    #[test]
    fn links_mentions_hashtags() {
        assert_eq!(
            kinds("Lihat https://example.com/a?b=1. dan www.kompas.com, bit.ly/3xYz atau detik.com!"),
            [
                k(Word, "lihat"),
                k(Url, "https://example.com/a?b=1"),
                k(Word, "dan"),
                k(Url, "www.kompas.com"),
                k(Url, "bit.ly/3xyz"),
                k(Word, "atau"),
                k(Url, "detik.com"),
            ]
        );
        assert_eq!(
            kinds("@budi_s. #Vaksin_Aman email a@b.id #"),
            [k(Mention, "@budi_s"), k(Hashtag, "#vaksin_aman"), k(Word, "email"), k(Word, "a"), k(Url, "b.id")]
        );
        // A sentence end is not a domain.
        assert_eq!(kinds("selesai.Besok"), [k(Word, "selesai"), k(Word, "besok")]);
    }

    #[test]
    fn emoji_clusters() {
        assert_eq!(
            kinds("ok👍🏽👨\u{200D}👩\u{200D}👧🇮🇩❤️"),
            [k(Word, "ok"), k(Emoji, "👍🏽"), k(Emoji, "👨\u{200D}👩\u{200D}👧"), k(Emoji, "🇮🇩"), k(Emoji, "❤\u{FE0F}")]
        );
    }

    #[test]
    fn unicode_folding_and_invisible_characters() {
        // Fullwidth and mathematical letters (used to dodge filters) fold to plain ASCII.
        assert_eq!(kinds("ＨＯＡＫＳ 𝐯𝐚𝐤𝐬𝐢𝐧"), [k(Word, "hoaks"), k(Word, "vaksin")]);
        assert_eq!(kinds("ho\u{200B}aks\u{0007}x"), [k(Word, "hoaks"), k(Word, "x")]);
        assert_eq!(kinds("Kafe\u{0301} É"), [k(Word, "kafé"), k(Word, "é")]);
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "  Ｂerita👍 @X";
        for t in tokenize(text) {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        }
        let t = tokenize(text);
        assert_eq!(&text[t[0].start..t[0].end], "Ｂerita");
        assert_eq!(&text[t[1].start..t[1].end], "👍");
        assert_eq!(&text[t[2].start..t[2].end], "@X");
    }

    #[test]
    fn empty_and_symbol_only_text() {
        assert!(tokenize("").is_empty());
        assert!(tokenize(" ... !!! ").is_empty());
    }
}
