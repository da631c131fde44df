//! JSON text at the edges of the grammar, as JSON readers meet it: every kind of escape, lone and
//! paired surrogates, numbers just inside and outside the integer types, words that are almost
//! literals, white space JSON does and does not allow, deep nesting. Parts are rendered as text so
//! that generated documents may be slightly wrong on purpose.

use proptest::prelude::*;
use proptest::sample::select;

/// A string literal (with its quotes): nine in ten valid, the others broken somewhere inside.
pub fn string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![9 => string_piece(), 1 => broken_piece()];
    prop_oneof![
        9 => prop::collection::vec(string_piece(), 0..6),
        1 => prop::collection::vec(piece, 1..6),
    ]
    .prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

/// A string literal whose content is `text`, escaped minimally.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn string_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 :_./-]{0,8}",
        2 => any::<char>().prop_map(|c| quote(&c.to_string()).trim_matches('"').to_owned()),
        2 => any::<char>().prop_map(|c| {
            let mut units = [0u16; 2];
            c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04X}")).collect()
        }),
        1 => select(&["\\n", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t", "é", "🙏", "\u{2028}", "\u{feff}"])
            .prop_map(str::to_owned),
    ]
}

fn broken_piece() -> impl Strategy<Value = String> {
    select(&[
        "\\ud83d",
        "\\ude00",
        "\\ud83d\\u0041",
        "\\ud83d\\ud83d",
        "\\uDBFF\\uDFFF",
        "\\ud83d\\",
        "\\x",
        "\\u12",
        "\\uZZZZ",
        "\\u+123",
        "\u{1}",
        "\t",
        "\u{7f}",
        "\\u0000",
        "\\",
        "\\'",
    ])
    .prop_map(str::to_owned)
}

/// A number, or something a reader might take for one.
pub fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(&[
            "0", "-0", "1", "-1", "1.0", "0.0", "1e5", "1E+2", "1e-2", "-0.5e-2", "18446744073709551615",
            "18446744073709551616", "9223372036854775807", "9223372036854775808", "99999999999999999999999",
            "1e400", "-1e400",
        ])
        .prop_map(str::to_owned),
        1 => select(&["01", "00", "1.", "1e", "1e+", "-", ".5", "+1", "0x10", "NaN", "Infinity", "1_000"])
            .prop_map(str::to_owned),
        2 => any::<u64>().prop_map(|n| n.to_string()),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        2 => any::<f64>().prop_map(|n| n.to_string()),
    ]
}

/// A string, number, literal or near-literal.
pub fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => string(),
        8 => number(),
        4 => select(&["null", "true", "false"]).prop_map(str::to_owned),
        1 => select(&["nul", "True", "nullx", "truefalse"]).prop_map(str::to_owned),
    ]
}

/// Any value: scalars, arrays and objects nested a few levels, and now and then a very deep array.
pub fn value() -> impl Strategy<Value = String> {
    let nested = scalar().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((string(), inner), 0..4).prop_map(|members| object(&members, " ")),
        ]
    });
    prop_oneof![
        20 => nested,
        1 => (1usize..300).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth))),
    ]
}

/// White space between tokens, including characters JSON does not count as white space.
pub fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        20 => select(&["", "", "", " ", "  ", "\t", "\n", "\r\n", "\r"]),
        1 => select(&["\u{c}", "\u{a0}", "\u{b}"]),
    ]
}

/// `{"k": v, …}` from rendered keys and values, with `space` around every token.
pub fn object(members: &[(String, String)], space: &str) -> String {
    let members: Vec<String> = members.iter().map(|(k, v)| format!("{space}{k}{space}:{space}{v}{space}")).collect();
    format!("{{{}}}", members.join(","))
}
