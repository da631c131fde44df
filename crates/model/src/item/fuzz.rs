//! The fast item reader against serde_json: on every input, either the fast path declines (and
//! serde reads the line) or both read the same fields. Corpus: `tests/corpus/item_json`.

use proptest::prelude::*;
use proptest::sample::select;
use tangkal_fuzz::json::{number, object, quote, scalar, space, string, value};
use tangkal_fuzz::{mutated, noise, proptest, target, Outcome};

use super::{parse_json_fields, serde_fields, ItemError, Scan};

fn fast_path_agrees_with_serde(input: &[u8]) -> Outcome {
    let line = match std::str::from_utf8(input) {
        Ok(line) => line,
        Err(e) => {
            return match parse_json_fields(input) {
                Err(ItemError::InvalidUtf8(at)) if at == e.valid_up_to() => Ok(()),
                other => Err(format!("invalid UTF-8 at {} read as {other:?}", e.valid_up_to())),
            };
        }
    };
    let Some(fast) = Scan::new(line).item() else { return Ok(()) };
    let fast = format!("{fast:?}");
    match serde_fields(line) {
        Ok(slow) if format!("{slow:?}") == fast => Ok(()),
        Ok(slow) => Err(format!("the fast path read {fast}, serde {slow:?}")),
        Err(e) => Err(format!("the fast path read {fast}, serde refused the line: {e}")),
    }
}

fn string_or_null() -> impl Strategy<Value = String> {
    prop_oneof![6 => string(), 1 => Just("null".to_owned()), 1 => scalar()]
}

/// An object of `named` members (each key once or, now and then, twice) and other members.
fn members(named: impl Strategy<Value = (String, String)>, max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    let other = (
        prop_oneof![4 => string(), 1 => select(&["\"te\\u0078t\"", "\"id\" ", "\"\""]).prop_map(str::to_owned)],
        value(),
    );
    prop::collection::vec(prop_oneof![3 => named, 1 => other], 0..max)
}

fn author() -> impl Strategy<Value = String> {
    let named = (select(&["id", "handle"]).prop_map(quote), string_or_null());
    prop_oneof![
        4 => (members(named, 4), space()).prop_map(|(m, s)| object(&m, s)),
        1 => Just("null".to_owned()),
        1 => value(),
    ]
}

fn metrics() -> impl Strategy<Value = String> {
    let count = prop_oneof![4 => number(), 1 => scalar()];
    let named = (select(&["views", "shares", "likes", "replies"]).prop_map(quote), count);
    prop_oneof![
        4 => (members(named, 6), space()).prop_map(|(m, s)| object(&m, s)),
        1 => Just("null".to_owned()),
        1 => value(),
    ]
}

/// Lines shaped like items, most of them within the fast reader's reach, some truncated.
fn item_lines() -> impl Strategy<Value = Vec<u8>> {
    let plain = (select(&["id", "platform", "url", "text", "published_at"]).prop_map(quote), string_or_null());
    let named = prop_oneof![
        5 => plain,
        1 => author().prop_map(|a| (quote("author"), a)),
        1 => metrics().prop_map(|m| (quote("metrics"), m)),
    ];
    let cut = prop_oneof![9 => Just(None), 1 => any::<prop::sample::Index>().prop_map(Some)];
    (members(named, 10), space(), space(), cut).prop_map(|(m, inner, outer, cut)| {
        let mut line = format!("{outer}{}{outer}", object(&m, inner)).into_bytes();
        if let Some(cut) = cut {
            line.truncate(cut.index(line.len() + 1));
        }
        line
    })
}

const TOKENS: &[&[u8]] = &[
    b"\"id\":",
    b"\"text\":",
    b"\"author\":{",
    b"\"metrics\":{\"views\":",
    b"null",
    b"\\u",
    b"\\ud83d\\ude00",
    b"\\",
    b"\"",
    b"},",
    b"[",
    b"1e5",
    b"-0",
    b"18446744073709551616",
    b"\xed\xa0\x80",
];

#[test]
fn item_json_fast_path_agrees_with_serde() {
    let target = target!("item_json", fast_path_agrees_with_serde);
    target.run(2000, prop_oneof![6 => item_lines(), 3 => mutated(target.seeds(), TOKENS), 1 => noise()]);
}
