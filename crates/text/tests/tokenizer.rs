//! Tokenizer properties on messy posts of our own.

use tangkal_text::tokenizer::{spans, tokenize};
use tangkal_text::{Analyzer, TokenKind};

const POSTS: [&str; 6] = [
    "BREAKING!!! Vaksin yg dibagikan gratis itu BERBAHAYAAA 😱😱 cek https://bit.ly/xYz ya @dinkes_dki #hoaks",
    "anak2 pd sakit, kt Bu RT s4y4 jg ga percaya… “katanya” begitu",
    "Rp1.500.000,- utk 3,5 kg? 👨‍👩‍👧 🇮🇩🇮🇩",
    "ｆｕｌｌｗｉｄｔｈ 𝐛𝐨𝐥𝐝 ho\u{200B}aks\u{FEFF}!",
    "--- ... '' -a- a-- --b @ # https:// www. ",
    "Jum'at, 17-08-2024: kuasa-Mu!",
];

#[test]
fn offsets_slice_the_original_in_order() {
    for post in POSTS {
        let mut last_end = 0;
        for t in tokenize(post) {
            assert!(t.start >= last_end && t.start < t.end && t.end <= post.len(), "{post:?}: {t:?}");
            assert!(post.is_char_boundary(t.start) && post.is_char_boundary(t.end));
            assert!(!t.text.is_empty(), "{post:?}: {t:?}");
            last_end = t.end;
        }
    }
}

#[test]
fn lazy_spans_and_tokens_agree() {
    for post in POSTS {
        let a: Vec<_> = spans(post).map(|s| (s.kind, s.start, s.end)).collect();
        let b: Vec<_> = tokenize(post).into_iter().map(|t| (t.kind, t.start, t.end)).collect();
        assert_eq!(a, b);
    }
}

#[test]
fn messy_post_is_read_as_intended() {
    let a = Analyzer::new().analyze(POSTS[0]);
    let kinds: Vec<TokenKind> = a.tokens.iter().map(|t| t.kind).collect();
    use TokenKind::*;
    assert_eq!(kinds, [Word, Word, Word, Word, Word, Word, Word, Emoji, Emoji, Word, Url, Word, Mention, Hashtag]);
    assert_eq!(a.canonical, "breaking vaksin yang dibagikan gratis itu berbahaya cek ya");
    let b = Analyzer::new().analyze(POSTS[1]);
    assert_eq!(b.terms[..3], ["anak-anak", "pada", "sakit"]);
    assert!(b.terms.contains(&"saya".to_owned()));
}

#[test]
fn degenerate_input_does_not_panic() {
    let long_run = "a.".repeat(50_000);
    assert_eq!(tokenize(&long_run).len(), 50_000);
    let dots = "x".repeat(300) + ".com";
    assert_eq!(tokenize(&dots).len(), 2);
    for post in POSTS {
        for cut in 0..post.len() {
            if post.is_char_boundary(cut) {
                tokenize(&post[..cut]);
            }
        }
    }
}
