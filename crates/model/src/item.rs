use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Identity;

/// Texts above this many bytes are rejected unless the caller sets another cap: a post is never a
/// megabyte, so such a record is a broken export or an attack, not content.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 1 << 20;

/// One post or article, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub platform: String,
    /// The source's own id for the post (`id` in the item format), when it has one.
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub author: Option<Author>,
    pub text: String,
    pub published_at: DateTime<Utc>,
    pub metrics: Metrics,
    /// The record exactly as received (for CSV rows and feed entries: a JSON object built from them).
    pub raw: String,
    /// Whether `raw` is a JSON object whose `text` member is exactly `text` (true for the item format),
    /// so that a store can keep the text once, inside the raw record.
    #[serde(default)]
    pub text_in_raw: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The platform's stable account id.
    pub id: String,
    /// The display handle, which accounts can change.
    pub handle: Option<String>,
}

/// Engagement counts as last seen; re-ingesting a newer copy of an item updates them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(default)]
    pub views: u64,
    #[serde(default)]
    pub shares: u64,
    #[serde(default)]
    pub likes: u64,
    #[serde(default)]
    pub replies: u64,
}

impl Metrics {
    /// Every count fits the stores' signed 64-bit integers.
    fn check(&self) -> Result<(), ItemError> {
        let counts = [
            ("metrics.views", self.views),
            ("metrics.shares", self.shares),
            ("metrics.likes", self.likes),
            ("metrics.replies", self.replies),
        ];
        match counts.into_iter().find(|&(_, count)| i64::try_from(count).is_err()) {
            Some((field, count)) => Err(ItemError::BadField {
                field,
                reason: format!("{count} is over the largest count kept, {}", i64::MAX),
            }),
            None => Ok(()),
        }
    }
}

/// Why a record was refused. The message names the field so that the reject file explains itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("not valid UTF-8 (first bad byte at offset {0})")]
    InvalidUtf8(usize),
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    #[error("field `{field}`: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("field `text` is {len} bytes, over the cap of {cap} bytes")]
    TextTooLarge { len: usize, cap: usize },
}

/// The item fields as strings, before validation. JSON, CSV and feeds all end up here.
#[derive(Debug, Default, Clone)]
pub struct Fields<'a> {
    pub platform: Option<Cow<'a, str>>,
    pub id: Option<Cow<'a, str>>,
    pub url: Option<Cow<'a, str>>,
    pub author_id: Option<Cow<'a, str>>,
    pub author_handle: Option<Cow<'a, str>>,
    pub text: Option<Cow<'a, str>>,
    pub published_at: Option<Cow<'a, str>>,
    pub metrics: Metrics,
}

/// A record's fields after validation, borrowed from its [`Fields`]: what a reader that keeps no
/// copy of the record (a one-pass evaluation, a filter) needs, without the allocations of an [`Item`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckedFields<'f> {
    pub platform: &'f str,
    pub id: Option<&'f str>,
    pub url: Option<&'f str>,
    pub author_id: Option<&'f str>,
    pub author_handle: Option<&'f str>,
    pub text: &'f str,
    pub published_at: DateTime<Utc>,
    pub metrics: Metrics,
}

/// A platform name as items carry it: a non-empty lower-case identifier (`[a-z0-9_]+`).
pub fn is_platform_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Fields<'_> {
    /// Validates the fields exactly as [`Fields::into_item`] does, without copying them.
    pub fn check(&self, max_text_bytes: usize) -> Result<CheckedFields<'_>, ItemError> {
        let platform = non_empty(&self.platform).ok_or(ItemError::MissingField("platform"))?;
        if !is_platform_name(platform) {
            return Err(ItemError::BadField {
                field: "platform",
                reason: format!("{platform:?} is not a lower-case identifier such as \"x\" or \"facebook\""),
            });
        }
        let text = self.text.as_deref().ok_or(ItemError::MissingField("text"))?;
        if text.len() > max_text_bytes {
            return Err(ItemError::TextTooLarge { len: text.len(), cap: max_text_bytes });
        }
        if text.trim().is_empty() {
            return Err(ItemError::BadField { field: "text", reason: "is empty".into() });
        }
        let published = non_empty(&self.published_at).ok_or(ItemError::MissingField("published_at"))?;
        let published_at = DateTime::parse_from_rfc3339(published)
            .map_err(|e| ItemError::BadField {
                field: "published_at",
                reason: format!("{published:?} is not an RFC 3339 timestamp ({e})"),
            })?
            .with_timezone(&Utc);
        let author_id = non_empty(&self.author_id);
        let strings = [
            ("id", self.id.as_deref()),
            ("url", self.url.as_deref()),
            ("author.id", self.author_id.as_deref()),
            ("author.handle", self.author_handle.as_deref()),
            ("text", Some(text)),
        ];
        // PostgreSQL's text cannot hold NUL; refusing it here keeps both stores' contents alike.
        if let Some((field, _)) = strings.into_iter().find(|(_, value)| value.is_some_and(|v| v.contains('\0'))) {
            return Err(ItemError::BadField { field, reason: "holds a NUL character".into() });
        }
        self.metrics.check()?;
        Ok(CheckedFields {
            platform,
            id: non_empty(&self.id),
            url: non_empty(&self.url),
            author_id,
            author_handle: author_id.and(non_empty(&self.author_handle)),
            text,
            published_at,
            metrics: self.metrics,
        })
    }

    /// Checks the fields and builds the item; `raw` is the record as received.
    pub fn into_item(self, raw: String, max_text_bytes: usize) -> Result<Item, ItemError> {
        let published_at = self.check(max_text_bytes)?.published_at;
        let owned = |value: Option<Cow<'_, str>>| value.filter(|v| !v.trim().is_empty()).map(Cow::into_owned);
        let author = owned(self.author_id).map(|id| Author { id, handle: owned(self.author_handle) });
        Ok(Item {
            platform: owned(self.platform).expect("checked"),
            external_id: owned(self.id),
            url: owned(self.url),
            author,
            text: self.text.expect("checked").into_owned(),
            published_at,
            metrics: self.metrics,
            raw,
            text_in_raw: false,
        })
    }
}

fn non_empty<'f>(value: &'f Option<Cow<'_, str>>) -> Option<&'f str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

impl Item {
    /// The key that makes re-ingesting idempotent (see [`Identity`]).
    pub fn identity(&self) -> Identity {
        Identity::of(self)
    }
}

/// The item format's fields as serde sees them. Strings are [`WireStr`] so that they borrow from the
/// line: serde borrows a `Cow<str>` field, but not one inside an `Option`.
#[derive(Deserialize)]
struct WireItem<'a> {
    #[serde(borrow, default)]
    id: Option<WireStr<'a>>,
    #[serde(borrow, default)]
    platform: Option<WireStr<'a>>,
    #[serde(borrow, default)]
    url: Option<WireStr<'a>>,
    #[serde(borrow, default)]
    author: Option<WireAuthor<'a>>,
    #[serde(borrow, default)]
    text: Option<WireStr<'a>>,
    #[serde(borrow, default)]
    published_at: Option<WireStr<'a>>,
    #[serde(default)]
    metrics: Option<Metrics>,
}

#[derive(Deserialize)]
struct WireAuthor<'a> {
    #[serde(borrow, default)]
    id: Option<WireStr<'a>>,
    #[serde(borrow, default)]
    handle: Option<WireStr<'a>>,
}

/// A JSON string, borrowed unless it holds escapes.
#[derive(Deserialize)]
struct WireStr<'a>(#[serde(borrow)] Cow<'a, str>);

/// Parses one line of the JSONL item format into its fields, borrowing them from `line` (strings
/// with escapes excepted). [`Fields::check`] validates them without copies; [`parse_json_item`]
/// builds the [`Item`] from them.
pub fn parse_json_fields(line: &[u8]) -> Result<Fields<'_>, ItemError> {
    fields_of(utf8(line)?)
}

/// Parses one line of the JSONL item format. Unknown fields are allowed and kept in [`Item::raw`].
pub fn parse_json_item(line: &[u8], max_text_bytes: usize) -> Result<Item, ItemError> {
    let line = utf8(line)?;
    let item = fields_of(line)?.into_item(line.to_owned(), max_text_bytes)?;
    Ok(Item { text_in_raw: true, ..item })
}

fn utf8(line: &[u8]) -> Result<&str, ItemError> {
    std::str::from_utf8(line).map_err(|e| ItemError::InvalidUtf8(e.valid_up_to()))
}

fn fields_of(line: &str) -> Result<Fields<'_>, ItemError> {
    match Scan::new(line).item() {
        Some(fields) => Ok(fields),
        None => serde_fields(line),
    }
}

fn serde_fields(line: &str) -> Result<Fields<'_>, ItemError> {
    let wire: WireItem<'_> = serde_json::from_str(line).map_err(|e| ItemError::NotJson(e.to_string()))?;
    let (author_id, author_handle) = match wire.author {
        Some(a) => (a.id, a.handle),
        None => (None, None),
    };
    Ok(Fields {
        platform: WireStr::cow(wire.platform),
        id: WireStr::cow(wire.id),
        url: WireStr::cow(wire.url),
        author_id: WireStr::cow(author_id),
        author_handle: WireStr::cow(author_handle),
        text: WireStr::cow(wire.text),
        published_at: WireStr::cow(wire.published_at),
        metrics: wire.metrics.unwrap_or_default(),
    })
}

impl<'a> WireStr<'a> {
    fn cow(value: Option<WireStr<'a>>) -> Option<Cow<'a, str>> {
        value.map(|s| s.0)
    }
}

/// A reader for the usual shape of an item line, several times faster than serde's: one object
/// whose item fields are strings, nulls or the `author` and `metrics` objects, and whose other
/// fields are strings, numbers, booleans or nulls. Anything else (nested unknown values, repeated
/// fields, escaped keys, metrics that are not plain integers, bad syntax) gives `None` and serde
/// reads the line, so the two readers never disagree and errors keep serde's messages.
struct Scan<'a> {
    line: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn new(line: &'a str) -> Scan<'a> {
        Scan { line, bytes: line.as_bytes(), at: 0 }
    }

    fn item(mut self) -> Option<Fields<'a>> {
        let mut fields = Fields::default();
        let mut seen = 0u8;
        self.object(|scan, key| {
            let field =
                ["id", "platform", "url", "author", "text", "published_at", "metrics"].iter().position(|&k| k == key);
            if let Some(i) = field {
                first_time(&mut seen, 1 << i)?;
            }
            match key {
                "id" => fields.id = scan.string_or_null()?,
                "platform" => fields.platform = scan.string_or_null()?,
                "url" => fields.url = scan.string_or_null()?,
                "text" => fields.text = scan.string_or_null()?,
                "published_at" => fields.published_at = scan.string_or_null()?,
                "author" if !scan.null() => {
                    let mut seen = 0u8;
                    scan.object(|scan, key| {
                        let (bit, value) = match key {
                            "id" => (1, &mut fields.author_id),
                            "handle" => (2, &mut fields.author_handle),
                            _ => return scan.scalar(),
                        };
                        first_time(&mut seen, bit)?;
                        *value = scan.string_or_null()?;
                        Some(())
                    })?
                }
                "metrics" if !scan.null() => {
                    let mut seen = 0u8;
                    let m = &mut fields.metrics;
                    scan.object(|scan, key| {
                        let (bit, value) = match key {
                            "views" => (1, &mut m.views),
                            "shares" => (2, &mut m.shares),
                            "likes" => (4, &mut m.likes),
                            "replies" => (8, &mut m.replies),
                            _ => return scan.scalar(),
                        };
                        first_time(&mut seen, bit)?;
                        *value = scan.count()?;
                        Some(())
                    })?
                }
                "author" | "metrics" => {}
                _ => scan.scalar()?,
            }
            Some(())
        })?;
        self.skip_space();
        (self.at == self.bytes.len()).then_some(fields)
    }

    /// `{ "key": value, … }`, each value read by `value`.
    fn object(&mut self, mut value: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let Cow::Borrowed(key) = self.string()? else { return None };
            self.expect(b':')?;
            value(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &str) -> bool {
        self.skip_space();
        let found = self.bytes[self.at..].starts_with(word.as_bytes());
        if found {
            self.at += word.len();
        }
        found
    }

    fn null(&mut self) -> bool {
        self.literal("null")
    }

    fn string_or_null(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A string, borrowed from the line unless it holds escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.at;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            let at = special_byte(self.bytes, self.at)?;
            match self.bytes[at] {
                b'"' => {
                    self.at = at + 1;
                    let tail = &self.line[run..at];
                    return Some(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    // Decoding never lengthens the rest of the line: one allocation.
                    let text = owned.get_or_insert_with(|| String::with_capacity(self.bytes.len() - start));
                    text.push_str(&self.line[run..at]);
                    self.at = at + 1;
                    self.escape(text)?;
                    run = self.at;
                }
                _ => return None,
            }
        }
    }

    /// The escape after a backslash, appended to `text`.
    fn escape(&mut self, text: &mut String) -> Option<()> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        let c = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        if !self.bytes[self.at..].starts_with(b"\\u") {
                            return None;
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return None;
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return None,
                    _ => unit,
                };
                char::from_u32(code)?
            }
            _ => return None,
        };
        text.push(c);
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.line.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// A metric: a plain non-negative integer that fits a u64.
    fn count(&mut self) -> Option<u64> {
        self.skip_space();
        let digits = self.digits();
        let text = &self.line[self.at - digits..self.at];
        if digits == 0 || (digits > 1 && text.starts_with('0')) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.at) {
            return None;
        }
        text.parse().ok()
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    /// Skips a string, number, boolean or null.
    fn scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.number(),
            _ => (self.literal("true") || self.literal("false") || self.null()).then_some(()),
        }
    }

    /// Skips a number of the JSON grammar.
    fn number(&mut self) -> Option<()> {
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        let start = self.at;
        let digits = self.digits();
        if digits == 0 || (digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }
}

/// The position of the first `"`, `\` or control character at or after `from`, eight bytes at a
/// time.
/// Marks `bit` as read; `None` when it was already, so a repeated key sends the line to serde, which
/// decides what a repeat means.
fn first_time(seen: &mut u8, bit: u8) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

fn special_byte(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // The lowest flagged byte of each test is exact, so the lowest of all three is too.
        let found = has_zero_byte(w ^ (ONES * b'"' as u64))
            | has_zero_byte(w ^ (ONES * b'\\' as u64))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if found != 0 {
            return Some(from + n * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let tail = from + rest.len() / 8 * 8;
    chunks.remainder().iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|i| tail + i)
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"x:1","platform":"x","url":"https://x.com/a/status/1","author":{"id":"u1","handle":"budi"},"text":"Sebarkan! Bansos cair hari ini","published_at":"2024-02-03T05:12:45Z","metrics":{"views":812,"shares":3,"likes":40,"replies":2},"lang":"id"}"#;

    #[test]
    fn parses_every_field_and_keeps_unknown_ones_in_raw() {
        let item = parse_json_item(GOOD.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap();
        assert_eq!(item.platform, "x");
        assert_eq!(item.external_id.as_deref(), Some("x:1"));
        assert_eq!(item.author.as_ref().unwrap().handle.as_deref(), Some("budi"));
        assert_eq!(item.metrics, Metrics { views: 812, shares: 3, likes: 40, replies: 2 });
        assert_eq!(item.published_at.timestamp(), 1_706_937_165);
        assert!(item.raw.contains(r#""lang":"id""#));
    }

    #[test]
    fn fields_borrow_from_the_line_and_check_like_the_item() {
        let fields = parse_json_fields(GOOD.as_bytes()).unwrap();
        assert!(matches!(fields.text, Some(Cow::Borrowed(_))));
        let checked = fields.check(DEFAULT_MAX_TEXT_BYTES).unwrap();
        let item = parse_json_item(GOOD.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap();
        assert_eq!(checked.platform, item.platform);
        assert_eq!(checked.id, item.external_id.as_deref());
        assert_eq!(checked.author_id, item.author.as_ref().map(|a| a.id.as_str()));
        assert_eq!(checked.author_handle, Some("budi"));
        assert_eq!(checked.text, item.text);
        assert_eq!(checked.published_at, item.published_at);
        let escaped = parse_json_fields(br#"{"text":"a \"b\""}"#).unwrap();
        assert_eq!(escaped.text.as_deref(), Some(r#"a "b""#));
    }

    #[test]
    fn the_fast_reader_reads_what_serde_reads_or_leaves_the_line_to_it() {
        let lines = [
            GOOD,
            r#" { "platform" : "x" , "text":"a\n\"b\"\\ \/ \t \u00e9 \ud83d\ude00 é 🙏", "published_at":"2024-02-03T05:12:45Z" } "#,
            r#"{"id":null,"author":null,"metrics":null,"url":"u","text":"t"}"#,
            r#"{"author":{"handle":null,"id":"u","x":1},"metrics":{"views":0,"other":-1.5e+3},"z":true}"#,
            r#"{"extra":[1],"author":{"x":{"y":1}}}"#,
            r#"{"metrics":{"views":1.0}}"#,
            r#"{"metrics":{"views":-1}}"#,
            r#"{"metrics":{"views":18446744073709551616}}"#,
            r#"{"metrics":{"views":01}}"#,
            r#"{"metrics":{"views":null}}"#,
            r#"{"metrics":{"views":1,"views":2}}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"lang":"a","lang":"b","n":-0.5E-2,"f":false}"#,
            r#"{"te\u0078t":"a"}"#,
            r#"{"text":"\ud83d"}"#,
            r#"{"text":"\ude00"}"#,
            r#"{"text":"\x"}"#,
            r#"{"text":"a"} x"#,
            r#"{"text":"a",}"#,
            r#"{"text":1}"#,
            r#"{"n":01}"#,
            r#"{"n":1.}"#,
            "{\"text\":\"a\tb\"}",
            "{}",
            "[]",
            r#"{"text":"abc"#,
            "",
        ];
        for line in lines {
            let fast = Scan::new(line).item().map(|f| format!("{f:?}"));
            let slow = serde_fields(line).map(|f| format!("{f:?}"));
            if let Some(fast) = fast {
                assert_eq!(Ok(fast), slow, "{line}");
            }
        }
        // The usual shapes take the fast path.
        assert!(lines[..4].iter().all(|line| Scan::new(line).item().is_some()));
    }

    #[test]
    fn optional_fields_may_be_null_or_absent() {
        let line = r#"{"platform":"whatsapp","url":null,"text":"Info A1","published_at":"2024-02-03T05:12:45+07:00"}"#;
        let item = parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap();
        assert_eq!(item.url, None);
        assert_eq!(item.author, None);
        assert_eq!(item.metrics, Metrics::default());
        assert_eq!(item.published_at.to_rfc3339(), "2024-02-02T22:12:45+00:00");
    }

    #[test]
    fn each_kind_of_bad_record_says_why() {
        let cases: [(&[u8], &str); 9] = [
            (b"{not json", "not valid JSON"),
            (br#"{"text":"a","published_at":"2024-02-03T05:12:45Z"}"#, "missing required field `platform`"),
            (br#"{"platform":"x","published_at":"2024-02-03T05:12:45Z"}"#, "missing required field `text`"),
            (br#"{"platform":"x","text":"a","published_at":"kemarin"}"#, "field `published_at`"),
            (br#"{"platform":"X Corp","text":"a","published_at":"2024-02-03T05:12:45Z"}"#, "field `platform`"),
            (b"{\"platform\":\"x\",\"text\":\"\xff\"}", "not valid UTF-8"),
            (br#"{"platform":"x","text":"a \u0000 b","published_at":"2024-02-03T05:12:45Z"}"#, "field `text`: holds a NUL"),
            (
                br#"{"platform":"x","author":{"id":"u\u0000"},"text":"a","published_at":"2024-02-03T05:12:45Z"}"#,
                "field `author.id`: holds a NUL",
            ),
            (
                br#"{"platform":"x","text":"a","published_at":"2024-02-03T05:12:45Z","metrics":{"likes":9223372036854775808}}"#,
                "field `metrics.likes`: 9223372036854775808 is over",
            ),
        ];
        for (line, want) in cases {
            let err = parse_json_item(line, DEFAULT_MAX_TEXT_BYTES).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
    }

    #[test]
    fn text_over_the_cap_is_refused() {
        let err = parse_json_item(GOOD.as_bytes(), 10).unwrap_err();
        assert!(matches!(err, ItemError::TextTooLarge { cap: 10, .. }));
    }

    #[test]
    fn wrong_metric_types_are_refused() {
        let line = r#"{"platform":"x","text":"a","published_at":"2024-02-03T05:12:45Z","metrics":{"views":"banyak"}}"#;
        assert!(matches!(parse_json_item(line.as_bytes(), 100), Err(ItemError::NotJson(_))));
    }
}
