//! The fact-check readers under fuzzing, each against a well-kept reading of the same bytes:
//! JSONL against serde_json line by line, CSV against the `csv` crate's records, ClaimReview
//! against a walk of serde_json's tree. Every record the reference sees must come out as a record
//! or a rejection at its place, and what was read must export and read back unchanged.
//! Corpora: `tests/corpus/{factcheck_jsonl,factcheck_csv,claimreview}`.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use tangkal_fuzz::json::{object, quote, scalar, space, string, value};
use tangkal_fuzz::{csv_table, mutated, noise, proptest, target, Outcome};
use tangkal_matcher::formats::{
    parse_date, read_claimreview, read_csv, read_jsonl, validate, write_claimreview, write_csv, write_jsonl, ColumnMap,
    Parsed, FIELDS,
};
use tangkal_model::FactCheck;

/// What a reader should have made of an input, record by record, in order.
type Expected = Vec<Result<FactCheck, String>>;

fn compare(parsed: &Parsed, expected: &Expected) -> Outcome {
    let records: Vec<&FactCheck> = expected.iter().filter_map(|e| e.as_ref().ok()).collect();
    let places: Vec<&String> = expected.iter().filter_map(|e| e.as_ref().err()).collect();
    let got_places: Vec<&String> = parsed.rejected.iter().map(|r| &r.place).collect();
    if parsed.records.iter().collect::<Vec<_>>() != records {
        return Err(format!("records {:?}, expected {records:?}", parsed.records));
    }
    if got_places != places {
        return Err(format!("rejected at {got_places:?}, expected at {places:?} ({:?})", parsed.rejected));
    }
    Ok(())
}

/// Exported records read back as the same records.
fn reads_back(
    records: &[FactCheck],
    write: impl Fn(&mut Vec<u8>, &[FactCheck]) -> std::io::Result<()>,
    read: impl Fn(&[u8]) -> Result<Parsed, String>,
) -> Outcome {
    let mut out = Vec::new();
    write(&mut out, records).map_err(|e| format!("export failed: {e}"))?;
    let again = read(&out)?;
    if again.records != records || !again.rejected.is_empty() {
        return Err(format!(
            "{records:?} exported as {:?} read back as {:?}, rejected {:?}",
            String::from_utf8_lossy(&out),
            again.records,
            again.rejected
        ));
    }
    Ok(())
}

// JSONL

fn jsonl_check(input: &[u8]) -> Outcome {
    let read = |bytes: &[u8]| read_jsonl(bytes, "in.jsonl").map_err(|e| format!("the reader failed: {e}"));
    let parsed = read(input)?;
    let mut expected = Expected::new();
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let place = format!("in.jsonl:{}", n + 1);
        // JSON is UTF-8 (serde_json's byte reader lets bad bytes through in members it skips).
        let Ok(line) = std::str::from_utf8(line) else {
            expected.push(Err(place));
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str::<FactCheck>(line).map_err(|e| e.to_string()).and_then(validate);
        expected.push(record.map_err(|_| place));
    }
    compare(&parsed, &expected)?;
    if parsed.records.is_empty() {
        return Ok(());
    }
    reads_back(&parsed.records, |out, records| write_jsonl(out, records), read)
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1900i32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => select(&[
            "2020-02-29", "2021-02-29", "2021-13-01", "2021-00-10", "2021-7-1", "0000-01-01", "+10000-01-01",
            "2021-07-01T08:00:00+07:00", "2021-07-01 08:00", "2021-07-01garbage", "01/07/2021", "",
            "  2021-07-01  ", "२०२१-०७-०१",
        ])
        .prop_map(str::to_owned),
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "https?://[a-z]{1,8}\\.id/[a-z0-9/_-]{0,12}",
        1 => select(&["HTTPS://A.ID/X", "ftp://a.id/x", "https://a.id/with space", "//a.id/x", "https://", "  https://a.id/x  ", ""])
            .prop_map(str::to_owned),
    ]
}

fn jsonl_lines() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![3 => string(), 1 => Just("null".to_owned()), 1 => scalar()];
    let member = prop_oneof![
        4 => (select(&FIELDS[..]).prop_map(quote), text),
        1 => ("\"dataset\"", string()).prop_map(|(k, v)| (k.to_owned(), v)),
        1 => date().prop_map(|d| (quote("date"), quote(&d))),
        1 => url().prop_map(|u| (quote("url"), quote(&u))),
        1 => (string(), value()),
    ];
    let line = (prop::collection::vec(member, 0..8), space()).prop_map(|(m, s)| object(&m, s));
    let line = prop_oneof![8 => line, 1 => Just(String::new()), 1 => value()];
    (prop::collection::vec(line, 1..6), select(&["\n", "\r\n"])).prop_map(|(lines, end)| lines.join(end).into_bytes())
}

const JSON_TOKENS: &[&[u8]] = &[
    b"\"title\":",
    b"\"claim\":",
    b"\"date\":\"2021-02-29\"",
    b"\"url\":",
    b"null",
    b"\n",
    b"\r\n",
    b"\xff",
    b"\\u0000",
    b"\"@type\":\"ClaimReview\",",
    b"\"@graph\":[",
    b"{\"name\":",
    b"]",
    b"}",
];

#[test]
fn factcheck_jsonl_agrees_with_serde_line_by_line() {
    let target = target!("factcheck_jsonl", jsonl_check);
    target.run(1000, prop_oneof![5 => jsonl_lines(), 4 => mutated(target.seeds(), JSON_TOKENS), 1 => noise()]);
}

// CSV

/// The `csv` crate's strict reading: a row of another width than the header is refused.
fn csv_expected(input: &[u8]) -> Result<Expected, ()> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().map_err(drop)?.clone();
    let column = |field: &str| headers.iter().position(|h| h.trim() == field);
    if column("title").is_none() && column("claim").is_none() {
        return Err(());
    }
    let mut expected = Expected::new();
    let mut row = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut row) {
            Ok(false) => return Ok(expected),
            Ok(true) => {}
            Err(_) => return Err(()),
        }
        let place = format!("in.csv:{}", row.position().expect("position").line());
        let Ok(row) = csv::StringRecord::from_byte_record(row.clone()) else {
            expected.push(Err(place));
            continue;
        };
        if row.len() != headers.len() {
            expected.push(Err(place));
            continue;
        }
        let get = |field: &str| column(field).map(|i| row[i].to_owned());
        let date = match get("date").filter(|d| !d.trim().is_empty()).map(|d| parse_date(&d)) {
            Some(Err(_)) => {
                expected.push(Err(place));
                continue;
            }
            Some(Ok(date)) => Some(date),
            None => None,
        };
        // The row as a JSON object of its fields, read by serde like a JSONL line; the date apart,
        // since CSV also takes date-times.
        let object = FIELDS.iter().filter(|&&f| f != "date").filter_map(|&f| Some((f.to_owned(), get(f)?.into())));
        let mut record: FactCheck = serde_json::from_value(Value::Object(object.collect())).expect("text fields");
        record.date = date;
        expected.push(validate(record).map_err(|_| place));
    }
}

fn csv_check(input: &[u8]) -> Outcome {
    let read = |bytes: &[u8]| read_csv(bytes, "in.csv", &ColumnMap::default());
    let parsed = read(input);
    let parsed = match (parsed, csv_expected(input)) {
        (Ok(parsed), Ok(expected)) => {
            compare(&parsed, &expected)?;
            parsed
        }
        (Err(_), Err(())) => return Ok(()),
        (Ok(parsed), Err(())) => return Err(format!("read {parsed:?} where the csv crate finds no usable header")),
        (Err(e), Ok(_)) => return Err(format!("refused ({e}) where the csv crate reads the rows")),
    };
    if parsed.records.is_empty() {
        return Ok(());
    }
    reads_back(&parsed.records, |out, records| write_csv(out, records), read)
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9 ]{0,12}",
        2 => "\\PC{0,8}",
        1 => select(&["", " ", ",", "\"", "\"\"", "a,b", "a\"b", "a\nb", "a\r\nb", "\r", "\u{feff}x", "#", "'"]).prop_map(str::to_owned),
        1 => date(),
        1 => url(),
    ]
}

/// Tables of any cells under a header of field names (some absent, some repeated, some padded).
fn csv_tables() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        6 => select(&FIELDS[..]).prop_map(str::to_owned),
        1 => select(&[" title ", "Title", "judul", ""]).prop_map(str::to_owned),
    ];
    csv_table(prop::collection::vec(name, 1..8), cell())
}

const CSV_TOKENS: &[&[u8]] =
    &[b",", b"\"", b"\n", b"\r\n", b"\xef\xbb\xbf", b"title,", b",date", b"2021-02-29", b"\xff", b"\"\""];

#[test]
fn factcheck_csv_agrees_with_the_csv_crate() {
    let target = target!("factcheck_csv", csv_check);
    target.run(1000, prop_oneof![5 => csv_tables(), 4 => mutated(target.seeds(), CSV_TOKENS), 1 => noise()]);
}

// ClaimReview

fn is_claim_review(node: &serde_json::Map<String, Value>) -> bool {
    let is = |t: &Value| t.as_str().is_some_and(|s| s == "ClaimReview" || s.ends_with("/ClaimReview"));
    match node.get("@type") {
        Some(Value::Array(types)) => types.iter().any(is),
        Some(t) => is(t),
        None => false,
    }
}

/// ClaimReview nodes anywhere in the document, not counting any nested inside another.
fn claim_reviews(value: &Value) -> usize {
    match value {
        Value::Object(node) if is_claim_review(node) => 1,
        Value::Object(node) => node.values().map(claim_reviews).sum(),
        Value::Array(items) => items.iter().map(claim_reviews).sum(),
        _ => 0,
    }
}

fn claimreview_check(input: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(input) else { return Ok(()) };
    let parsed = read_claimreview(text, "in.json");
    let found = parsed.records.len() + parsed.rejected.len();
    match serde_json::from_str::<Value>(text) {
        Err(e) => {
            let place = format!("in.json:{}", e.line());
            if !parsed.records.is_empty() || parsed.rejected.len() != 1 || parsed.rejected[0].place != place {
                return Err(format!("invalid JSON ({e}) read as {parsed:?}"));
            }
        }
        Ok(doc) => match claim_reviews(&doc) {
            0 if parsed.records.is_empty() && parsed.rejected.len() == 1 => {}
            n if n == found && n > 0 => {}
            n => {
                return Err(format!(
                    "{n} ClaimReview nodes read as {} records and {:?}",
                    parsed.records.len(),
                    parsed.rejected
                ))
            }
        },
    }
    if parsed.records.is_empty() {
        return Ok(());
    }
    let read = |bytes: &[u8]| Ok(read_claimreview(std::str::from_utf8(bytes).map_err(|e| e.to_string())?, "out.json"));
    reads_back(&parsed.records, |out, records| write_claimreview(out, records), read)
}

/// A ClaimReview node's property values in the shapes pages use: text, `{"name": …}`, lists.
fn property() -> impl Strategy<Value = String> {
    let text = prop_oneof![4 => string(), 1 => date().prop_map(|d| quote(&d)), 1 => url().prop_map(|u| quote(&u))];
    text.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|name| format!("{{\"@type\":\"Thing\",\"name\":{name}}}")),
            prop::collection::vec(inner, 0..3).prop_map(|items| format!("[{}]", items.join(","))),
        ]
    })
}

fn claim_review_node() -> impl Strategy<Value = String> {
    let keys = select(&[
        "identifier",
        "@id",
        "headline",
        "name",
        "claimReviewed",
        "itemReviewed",
        "reviewRating",
        "reviewBody",
        "description",
        "url",
        "author",
        "publisher",
        "datePublished",
        "inLanguage",
    ]);
    let rating_keys = select(&["alternateName", "name", "ratingValue", "ratingExplanation", "bestRating"]);
    let rating = prop::collection::vec((rating_keys.prop_map(quote), property()), 0..4).prop_map(|m| object(&m, ""));
    let member = prop_oneof![
        6 => (keys.prop_map(quote), property()),
        1 => rating.prop_map(|r| (quote("reviewRating"), r)),
        1 => (string(), value()),
    ];
    let kind = select(&[
        "\"ClaimReview\"",
        "[\"ClaimReview\",\"Review\"]",
        "\"http://schema.org/ClaimReview\"",
        "\"Claimreview\"",
    ]);
    (kind, prop::collection::vec(member, 0..8)).prop_map(|(kind, mut members)| {
        members.insert(0, (quote("@type"), kind.to_owned()));
        object(&members, "")
    })
}

/// Pages' JSON-LD: one node, a list, a `@graph`, nodes nested in other nodes' properties.
fn claimreview_documents() -> impl Strategy<Value = Vec<u8>> {
    let other =
        select(&["{\"@type\":\"WebPage\",\"name\":\"Cek Fakta\"}", "{\"@type\":\"Organization\"}", "{}", "[]", "null"])
            .prop_map(str::to_owned);
    let node = prop_oneof![3 => claim_review_node(), 1 => other];
    node.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("{{\"@context\":\"https://schema.org\",\"@graph\":[{}]}}", items.join(","))),
            (select(&["mainEntity", "review", "hasPart", "about"]), inner)
                .prop_map(|(key, node)| format!("{{\"@type\":\"WebPage\",{}:{node}}}", quote(key))),
        ]
    })
    .prop_map(String::into_bytes)
}

#[test]
fn claimreview_finds_every_node_serde_json_sees() {
    let target = target!("claimreview", claimreview_check);
    target
        .run(1000, prop_oneof![5 => claimreview_documents(), 4 => mutated(target.seeds(), JSON_TOKENS), 1 => noise()]);
}
