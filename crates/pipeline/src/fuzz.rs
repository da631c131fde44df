//! The intake sources under fuzzing, each against a well-kept reading of the same bytes: the JSONL
//! source's line framing against `split` on line feeds, the CSV source against the `csv` crate's
//! records, the feed source against feed-rs's entries. Every record the reference sees must come
//! out, in order, as the item it holds or as a reject at its line; nothing is lost or invented, and
//! reading a feed twice gives the same identities. Corpora: `tests/corpus/{item_jsonl,item_csv,feed}`.

use std::io::Cursor;

use proptest::prelude::*;
use proptest::sample::select;
use tangkal_fuzz::{csv_table, mutated, noise, proptest, target, Outcome};
use tangkal_model::{parse_json_item, Fields, Item, Metrics};

use crate::csv_source::{ColumnMap, CsvSource, FIELDS};
use crate::feed::parse_feed;
use crate::jsonl::JsonlSource;
use crate::source::{Record, Source};

const MAX_TEXT: usize = 2000;

fn next(source: &mut dyn Source) -> Result<Option<Record>, String> {
    source.next_record().map_err(|e| format!("fatal error where a reject was due: {e:#}"))
}

// JSONL

fn jsonl_check(input: &[u8]) -> Outcome {
    let mut ours = JsonlSource::new("in.jsonl".into(), Box::new(Cursor::new(input.to_vec())), MAX_TEXT);
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let place = n as u64 + 1;
        let record = next(&mut ours)?.ok_or_else(|| format!("line {place} went missing"))?;
        match (parse_json_item(line, MAX_TEXT), record) {
            (Ok(expected), Ok(item)) if item == expected => {}
            (Err(_), Err(reject)) if reject.line == place => {}
            (expected, record) => return Err(format!("line {place}: read {record:?}, the line holds {expected:?}")),
        }
    }
    match next(&mut ours)? {
        None => Ok(()),
        Some(record) => Err(format!("a record no line holds: {record:?}")),
    }
}

/// Item lines, good and bad, between every kind of line break and blank line.
fn jsonl_streams() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => ("[a-z]{1,6}", "\\PC{0,12}").prop_map(|(platform, text)| {
            serde_json::json!({"platform": platform, "text": text, "published_at": "2024-02-03T05:12:45Z"}).to_string()
        }),
        1 => select(&["", " ", "\t", "\r", "\u{c}", "{", "{}", "null", "\u{feff}{}"]).prop_map(str::to_owned),
    ];
    let end = select(&["\n", "\r\n", "\n\n", "\r"]);
    (prop::collection::vec((line, end), 0..8), any::<bool>()).prop_map(|(lines, last_break)| {
        let mut out = String::new();
        for (i, (line, end)) in lines.iter().enumerate() {
            out.push_str(line);
            if last_break || i + 1 < lines.len() {
                out.push_str(end);
            }
        }
        out.into_bytes()
    })
}

const JSONL_TOKENS: &[&[u8]] =
    &[b"\n", b"\r\n", b"\r", b" ", b"\xff", b"{\"platform\":\"x\",", b"\"text\":\"a\"", b"}"];

#[test]
fn item_jsonl_lines_agree_with_split() {
    let target = target!("item_jsonl", jsonl_check);
    target.run(1000, prop_oneof![5 => jsonl_streams(), 4 => mutated(target.seeds(), JSONL_TOKENS), 1 => noise()]);
}

// CSV

fn csv_check(input: &[u8]) -> Outcome {
    let ours = CsvSource::new("in.csv".into(), Box::new(Cursor::new(input.to_vec())), ColumnMap::default(), MAX_TEXT);
    let mut reference = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers: Vec<String> = match reference.byte_headers() {
        Ok(h) => h.iter().map(|h| String::from_utf8_lossy(h).trim().to_owned()).collect(),
        Err(_) => return ours.map(drop).err().map_or(Err("read a header the csv crate cannot".into()), |_| Ok(())),
    };
    let usable = ["platform", "text", "published_at"].iter().all(|f| headers.iter().any(|h| h == f));
    let mut ours = match (ours, usable) {
        (Ok(ours), true) => ours,
        (Err(_), false) => return Ok(()),
        (Ok(_), false) => return Err(format!("read rows under a header without the required columns: {headers:?}")),
        (Err(e), true) => return Err(format!("refused the header {headers:?}: {e:#}")),
    };
    let mut row = csv::ByteRecord::new();
    loop {
        let more = reference.read_byte_record(&mut row).map_err(|e| format!("the csv crate failed: {e}"))?;
        match (more, next(&mut ours)?) {
            (false, None) => return Ok(()),
            (false, Some(record)) => return Err(format!("a record the csv crate does not see: {record:?}")),
            (true, None) => return Err(format!("the row at line {} went missing", row_line(&row))),
            (true, Some(record)) => csv_row_agrees(&headers, &row, record)?,
        }
    }
}

fn row_line(row: &csv::ByteRecord) -> u64 {
    row.position().map_or(0, |p| p.line())
}

/// The item a row should give, by the item format's rules, or `None` when it should be rejected.
fn csv_expected(headers: &[String], row: &csv::ByteRecord) -> Option<Item> {
    if row.len() != headers.len() {
        return None;
    }
    let cell = |name: &str| -> Option<Result<&str, ()>> {
        let i = headers.iter().position(|h| h == name)?;
        Some(std::str::from_utf8(&row[i]).map_err(drop))
    };
    let text = |name: &str| cell(name).transpose().map(|v| v.map(Into::into));
    let count = |name: &str| match cell(name).transpose().ok()?.map(str::trim) {
        None | Some("") => Some(0),
        Some(v) => v.parse::<u64>().ok(),
    };
    let metrics = Metrics {
        views: count("views")?,
        shares: count("shares")?,
        likes: count("likes")?,
        replies: count("replies")?,
    };
    let fields = Fields {
        platform: text("platform").ok()?,
        id: text("id").ok()?,
        url: text("url").ok()?,
        author_id: text("author_id").ok()?,
        author_handle: text("author_handle").ok()?,
        text: text("text").ok()?,
        published_at: text("published_at").ok()?,
        metrics,
    };
    fields.into_item(String::new(), MAX_TEXT).ok()
}

fn csv_row_agrees(headers: &[String], row: &csv::ByteRecord, record: Record) -> Outcome {
    let line = row_line(row);
    match (csv_expected(headers, row), record) {
        (None, Err(reject)) if reject.line == line => Ok(()),
        (Some(expected), Ok(item)) => {
            if (Item { raw: String::new(), ..item.clone() }) != expected {
                return Err(format!("line {line}: read {item:?}, the cells say {expected:?}"));
            }
            // The raw record keeps every cell, the first column of each name under that name.
            let raw: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&item.raw).map_err(|e| format!("line {line}: raw is not a JSON object: {e}"))?;
            let mut kept: Vec<&str> = raw.values().filter_map(|v| v.as_str()).collect();
            let mut cells: Vec<String> = row.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            kept.sort_unstable();
            cells.sort_unstable();
            if kept != cells {
                return Err(format!("line {line}: raw {raw:?} does not keep the cells {cells:?}"));
            }
            for (i, (header, value)) in headers.iter().zip(row.iter()).enumerate() {
                let value = String::from_utf8_lossy(value);
                let first = headers.iter().position(|h| h == header) == Some(i);
                if first && raw.get(header).and_then(|v| v.as_str()) != Some(value.as_ref()) {
                    return Err(format!("line {line}: raw {raw:?} lacks column {header:?} = {value:?}"));
                }
            }
            Ok(())
        }
        (expected, record) => Err(format!("line {line}: read {record:?}, expected {expected:?}")),
    }
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9 ]{0,12}",
        2 => "\\PC{0,8}",
        2 => select(&["x", "facebook", "X Corp", "", " "]).prop_map(str::to_owned),
        2 => select(&["2024-02-03T05:12:45Z", "2024-02-03T12:12:45+07:00", "2024-02-03", "kemarin", ""]).prop_map(str::to_owned),
        2 => select(&["0", "12", " 7 ", "-1", "+5", "1.5", "18446744073709551616", "banyak", ""]).prop_map(str::to_owned),
        1 => select(&[",", "\"", "a,b", "a\"b", "a\nb", "a\r\nb", "\r", "\u{feff}x", "#"]).prop_map(str::to_owned),
    ]
}

/// Tables under headers of item fields (some absent, repeated or padded).
fn csv_tables() -> impl Strategy<Value = Vec<u8>> {
    let names = select(FIELDS.iter().copied().chain(["lang", " text ", "Platform", ""]).collect::<Vec<_>>());
    let header = prop::collection::vec(names, 1..10).prop_map(|mut header| {
        // Mostly a usable header: the required columns, somewhere.
        for (i, required) in ["platform", "text", "published_at"].into_iter().enumerate() {
            if header.len() > i && !header.contains(&required) {
                header[i] = required;
            }
        }
        header.into_iter().map(str::to_owned).collect()
    });
    csv_table(header, cell())
}

const CSV_TOKENS: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"text,",
    b",published_at",
    b"2024-02-03T05:12:45Z",
    b"\xff",
    b"\"\"",
];

#[test]
fn item_csv_agrees_with_the_csv_crate() {
    let target = target!("item_csv", csv_check);
    target.run(1000, prop_oneof![5 => csv_tables(), 4 => mutated(target.seeds(), CSV_TOKENS), 1 => noise()]);
}

// Feeds

const FEED_URL: &str = "https://contoh.id/feed";

/// What a reader sees of text that holds nothing HTML would read as markup (no `&`, no `<` that
/// could open a tag): the text itself without NUL characters (which HTML drops), white space
/// folded. `None` when it may hold markup.
fn plain_reading(text: &str) -> Option<String> {
    let opens_tag = |(i, _): (usize, char)| {
        text[i + 1..].chars().next().is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'))
    };
    if text.contains('&') || text.char_indices().filter(|&(_, c)| c == '<').any(opens_tag) {
        return None;
    }
    Some(text.replace('\0', "").split_whitespace().collect::<Vec<_>>().join(" "))
}

fn feed_check(input: &[u8]) -> Outcome {
    let reference = feed_rs::parser::Builder::new().id_generator(|_, _, _| String::new()).build().parse(input);
    let (mut ours, feed) = match (parse_feed(FEED_URL, input, MAX_TEXT), reference) {
        (Ok(ours), Ok(feed)) => (ours, feed),
        (Err(_), Err(_)) => return Ok(()),
        (Ok(_), Err(e)) => return Err(format!("read a feed where feed-rs finds none ({e})")),
        (Err(e), Ok(_)) => return Err(format!("refused a feed feed-rs reads: {e:#}")),
    };
    let mut again = parse_feed(FEED_URL, input, MAX_TEXT).map_err(|e| format!("a second reading failed: {e:#}"))?;
    for (n, entry) in feed.entries.iter().enumerate() {
        let place = format!("entry {}", n + 1);
        let record = next(&mut ours)?.ok_or_else(|| format!("{place} went missing"))?;
        let second = next(&mut again)?.ok_or_else(|| format!("{place} went missing the second time"))?;
        let link = entry.links.first().map(|l| l.href.trim()).filter(|l| !l.is_empty());
        let title = entry.title.as_ref().map_or(Some(String::new()), |t| plain_reading(&t.content));
        let body = match (&entry.summary, entry.content.as_ref().and_then(|c| c.body.as_deref())) {
            (Some(summary), _) => plain_reading(&summary.content),
            (None, Some(body)) => plain_reading(body),
            (None, None) => Some(String::new()),
        };
        let text = title.zip(body).map(|(title, body)| {
            [title, body].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join("\n\n")
        });
        let item = match record {
            Ok(item) => item,
            Err(reject) => match text {
                Some(text) if text.is_empty() || text.len() > MAX_TEXT => continue,
                None => continue,
                Some(text) => return Err(format!("{place} ({text:?}) rejected: {reject}")),
            },
        };
        let second = second.map_err(|reject| format!("{place}: rejected the second time: {reject}"))?;
        if item.identity() != second.identity() {
            return Err(format!("{place}: another identity on a second reading: {item:?} vs {second:?}"));
        }
        if item.platform != "news" || item.url.as_deref() != link {
            return Err(format!("{place}: read {item:?}, the entry links to {link:?}"));
        }
        if let Some(text) = text.filter(|t| *t != item.text) {
            return Err(format!("{place}: text {:?}, the entry reads {text:?}", item.text));
        }
        if let Some(time) = entry.published.or(entry.updated).filter(|t| *t != item.published_at) {
            return Err(format!("{place}: published {}, the entry says {time}", item.published_at));
        }
    }
    match next(&mut ours)? {
        None => Ok(()),
        Some(record) => Err(format!("a record feed-rs does not see: {record:?}")),
    }
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Words of news text, with the characters HTML and XML treat specially.
fn words() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        6 => "[a-zA-Z0-9]{1,8}",
        1 => "\\PC{1,3}",
        2 => select(&[
            "<", ">", "< 5", "<5%", "x>y", "a<b", "&", "&amp;", "AT&T", "&lt;b&gt;", "🙏", "\"", "'", "<b>tebal</b>",
            "<p>", "</p>", "<br/>", "<!-- x -->", "<a href=\"https://a.id\">tautan</a>", "&#39;", "&nbsp;",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(word, 0..8).prop_map(|words| words.join(" "))
}

fn date() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => (0i64..2_000_000_000).prop_map(|t| Some(chrono::DateTime::from_timestamp(t, 0).expect("in range").to_rfc2822())),
        1 => select(&["kemarin", "Sat, 03 Feb 2024 05:12:45 WIB", "2024-02-03T05:12:45Z", ""]).prop_map(|d| Some(d.to_owned())),
        1 => Just(None),
    ]
}

#[derive(Debug, Clone)]
struct Entry {
    title: Option<String>,
    summary: Option<String>,
    link: Option<String>,
    guid: Option<String>,
    date: Option<String>,
}

fn entry() -> impl Strategy<Value = Entry> {
    let link = prop_oneof![
        3 => "https://contoh\\.id/[a-z0-9]{1,8}".prop_map(Some),
        1 => select(&["/relatif", "bukan tautan", " "]).prop_map(|l| Some(l.to_owned())),
        2 => Just(None),
    ];
    let guid = prop_oneof![1 => "[a-z0-9:-]{1,12}".prop_map(Some), 1 => Just(None)];
    (prop::option::weighted(0.9, words()), prop::option::weighted(0.7, words()), link, guid, date())
        .prop_map(|(title, summary, link, guid, date)| Entry { title, summary, link, guid, date })
}

fn rss(entries: &[Entry]) -> String {
    let tag = |name: &str, value: &Option<String>| {
        value.as_ref().map_or(String::new(), |v| format!("<{name}>{}</{name}>", escape_xml(v)))
    };
    let items: String = entries
        .iter()
        .map(|e| {
            let guid = e
                .guid
                .as_ref()
                .map_or(String::new(), |g| format!("<guid isPermaLink=\"false\">{}</guid>", escape_xml(g)));
            format!(
                "<item>{}{}{guid}{}{}</item>",
                tag("title", &e.title),
                tag("link", &e.link),
                tag("description", &e.summary),
                tag("pubDate", &e.date)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Kabar &amp; Cek</title>{items}</channel></rss>"
    )
}

fn atom(entries: &[Entry]) -> String {
    let items: String = entries
        .iter()
        .map(|e| {
            let title =
                e.title.as_ref().map_or(String::new(), |t| format!("<title type=\"html\">{}</title>", escape_xml(t)));
            let link = e.link.as_ref().map_or(String::new(), |l| format!("<link href=\"{}\"/>", escape_xml(l)));
            let id = e.guid.as_ref().map_or(String::new(), |g| format!("<id>{}</id>", escape_xml(g)));
            let summary = e
                .summary
                .as_ref()
                .map_or(String::new(), |s| format!("<summary type=\"html\">{}</summary>", escape_xml(s)));
            let date = e.date.as_ref().map_or(String::new(), |d| format!("<updated>{}</updated>", escape_xml(d)));
            format!("<entry>{title}{link}{id}{summary}{date}</entry>")
        })
        .collect();
    format!("<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Kabar</title>{items}</feed>")
}

fn json_feed(entries: &[Entry]) -> String {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.guid, "url": e.link, "title": e.title, "content_html": e.summary, "date_published": e.date,
            })
        })
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "Kabar", "items": items}).to_string()
}

/// RSS, Atom and JSON feeds of generated entries.
fn feeds() -> impl Strategy<Value = Vec<u8>> {
    (0..3usize, prop::collection::vec(entry(), 0..5))
        .prop_map(|(kind, entries)| [rss, atom, json_feed][kind](&entries).into_bytes())
}

const FEED_TOKENS: &[&[u8]] = &[
    b"<item>",
    b"</item>",
    b"<title>",
    b"&lt;",
    b"&amp;",
    b"<![CDATA[",
    b"]]>",
    b"<link>",
    b"<entry>",
    b"\"items\":[",
    b"<pubDate>",
    b"\xff",
];

#[test]
fn feed_agrees_with_feed_rs() {
    let target = target!("feed", feed_check);
    target.run(1000, prop_oneof![5 => feeds(), 4 => mutated(target.seeds(), FEED_TOKENS), 1 => noise()]);
}
