use xxhash_rust::xxh3::Xxh3;

use crate::Item;

/// What makes two records the same item, as a 128-bit key.
///
/// In order of preference: the platform with the source's own post id; else the normalised URL (so the
/// same article shared with tracking parameters is one item); else author, text and publication time
/// together. Re-ingesting any copy of a record therefore maps to the same key, which is what makes imports
/// idempotent and crash-safe: a batch that is replayed after a crash finds its items already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity(pub [u8; 16]);

impl Identity {
    pub fn of(item: &Item) -> Identity {
        let mut h = Xxh3::new();
        if let Some(id) = &item.external_id {
            feed(&mut h, &[b"id", item.platform.as_bytes(), id.as_bytes()]);
        } else if let Some(url) = &item.url {
            feed(&mut h, &[b"url", item_url_key(url).as_bytes()]);
        } else {
            let author = item.author.as_ref().map_or("", |a| a.id.as_str());
            let time = item.published_at.timestamp().to_le_bytes();
            feed(&mut h, &[b"content", item.platform.as_bytes(), author.as_bytes(), item.text.as_bytes(), &time]);
        }
        Identity(h.digest128().to_le_bytes())
    }

    /// The first 64 bits, which the store indexes: smaller and faster to compare than the whole identity,
    /// at the price of rare collisions, which lookups settle by comparing whole identities.
    pub fn key(&self) -> i64 {
        i64::from_le_bytes(self.0[..8].try_into().expect("8 bytes"))
    }
}

/// Length-prefixed parts, so that ("ab", "c") and ("a", "bc") never collide.
fn feed(h: &mut Xxh3, parts: &[&[u8]]) {
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
}

/// Query parameters that only track who clicked, never which page it is.
const TRACKING_PARAMS: &[&str] = &["fbclid", "gclid", "igshid", "igsh", "si", "ref", "ref_src", "s", "mibextid"];

/// Reduces an item's URL to the page it names, for its [`Identity`]: no scheme difference, no `www.`, no
/// fragment, no tracking parameters, remaining parameters sorted, no trailing slash. Unlike a fact-check's
/// [`crate::FactCheck::url_key`] it keeps the other query parameters, because on the platforms posts come
/// from they may name the post (YouTube's `?v=`, Facebook's `story_fbid=`). Unparseable URLs are only trimmed.
fn item_url_key(raw: &str) -> String {
    let Ok(url) = url::Url::parse(raw.trim()) else {
        return raw.trim().to_string();
    };
    let host = url.host_str().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let mut out = String::with_capacity(raw.len());
    out.push_str(host);
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path().trim_end_matches('/'));
    for (i, (k, v)) in params.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_json_item, DEFAULT_MAX_TEXT_BYTES};

    fn item(json: &str) -> Item {
        parse_json_item(json.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
    }

    #[test]
    fn url_normalisation_drops_what_does_not_name_the_page() {
        assert_eq!(
            item_url_key("https://www.Kompas.com/read/2024/01/hoaks/?utm_source=wa&id=7&fbclid=abc#top"),
            "kompas.com/read/2024/01/hoaks?id=7"
        );
        assert_eq!(item_url_key("http://kompas.com/read/2024/01/hoaks"), "kompas.com/read/2024/01/hoaks");
        assert_eq!(item_url_key("bukan url"), "bukan url");
    }

    #[test]
    fn identity_prefers_id_then_url_then_content() {
        let a = item(
            r#"{"id":"1","platform":"x","url":"https://x.com/1","text":"a","published_at":"2024-02-03T05:12:45Z"}"#,
        );
        let same_id = item(
            r#"{"id":"1","platform":"x","url":"https://x.com/other","text":"b","published_at":"2024-02-04T05:12:45Z"}"#,
        );
        let other_platform =
            item(r#"{"id":"1","platform":"facebook","text":"a","published_at":"2024-02-03T05:12:45Z"}"#);
        assert_eq!(a.identity(), same_id.identity());
        assert_ne!(a.identity(), other_platform.identity());

        let by_url = item(
            r#"{"platform":"news","url":"https://www.kompas.com/a?utm_medium=x","text":"a","published_at":"2024-02-03T05:12:45Z"}"#,
        );
        let by_url_again = item(
            r#"{"platform":"news","url":"http://kompas.com/a/","text":"edited","published_at":"2024-02-03T06:00:00Z"}"#,
        );
        assert_eq!(by_url.identity(), by_url_again.identity());

        let wa =
            r#"{"platform":"whatsapp","author":{"id":"u1"},"text":"Info A1","published_at":"2024-02-03T05:12:45Z"}"#;
        let wa_later =
            r#"{"platform":"whatsapp","author":{"id":"u1"},"text":"Info A1","published_at":"2024-02-03T05:12:46Z"}"#;
        assert_eq!(item(wa).identity(), item(wa).identity());
        assert_ne!(item(wa).identity(), item(wa_later).identity());
    }
}
