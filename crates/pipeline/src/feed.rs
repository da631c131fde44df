use std::borrow::Cow;
use std::cell::RefCell;

use anyhow::Context;
use chrono::Utc;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use serde_json::json;
use tangkal_model::{Fields, Metrics};
use tangkal_store::SourceRef;

use crate::http;
use crate::source::{Record, Source};
use crate::Reject;

/// The entries of one RSS, Atom or JSON Feed document, as `news` items.
pub struct FeedSource {
    url: String,
    records: std::vec::IntoIter<Record>,
}

/// Downloads and parses a feed. Network and parse failures are fatal for this source (nothing was read);
/// an entry that cannot become an item is a reject.
pub fn fetch_feed(url: &str, max_text_bytes: usize) -> anyhow::Result<FeedSource> {
    let body = http::get(&http::agent(), url, None).context("cannot fetch the feed")?;
    parse_feed(url, &body, max_text_bytes)
}

pub(crate) fn parse_feed(url: &str, body: &[u8], max_text_bytes: usize) -> anyhow::Result<FeedSource> {
    // feed-rs makes up a random id for an entry that has none; an empty one lets the entry's text
    // name it instead, so that reading the same feed again finds the same items.
    let parser = feed_rs::parser::Builder::new().id_generator(|_, _, _| String::new()).build();
    let feed = parser.parse(body).with_context(|| format!("{url}: not an RSS, Atom or JSON feed"))?;
    let feed_title = feed.title.as_ref().map(|t| plain_text(&t.content));
    let records = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let title = entry.title.as_ref().map(|t| plain_text(&t.content)).unwrap_or_default();
            let body = entry
                .summary
                .as_ref()
                .map(|s| plain_text(&s.content))
                .or_else(|| entry.content.as_ref().and_then(|c| c.body.as_deref()).map(plain_text))
                .unwrap_or_default();
            let text = [title.as_str(), body.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>();
            let text = text.join("\n\n");
            // A blank link is no link: it would name no page, and leave the entry without identity.
            let link = entry.links.first().map(|l| l.href.trim()).filter(|l| !l.is_empty()).map(str::to_owned);
            let published = entry.published.or(entry.updated).unwrap_or_else(Utc::now).to_rfc3339();
            let author = entry.authors.first().and_then(|p| p.name.clone()).or_else(|| feed_title.clone());
            let raw = json!({
                "feed": url, "id": entry.id, "title": title, "link": link, "summary": body,
                "published": published, "author": author,
            });
            // The link is the stable identity; without one, the feed's own id for the entry, else
            // one derived from the text.
            let id = match (&link, entry.id.trim()) {
                (Some(_), _) => None,
                (None, "") => Some(Cow::Owned(format!("text:{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes())))),
                (None, own) => Some(Cow::Borrowed(own)),
            };
            Fields {
                platform: Some("news".into()),
                id,
                url: link.as_deref().map(Cow::Borrowed),
                author_id: author.as_deref().map(Cow::Borrowed),
                author_handle: None,
                text: Some(Cow::Owned(text)),
                published_at: Some(Cow::Owned(published)),
                metrics: Metrics::default(),
            }
            .into_item(raw.to_string(), max_text_bytes)
            .map_err(|e| Reject::new(url, i as u64 + 1, format!("entry {}: {e}", i + 1), raw.to_string().as_bytes()))
        })
        .collect::<Vec<_>>();
    Ok(FeedSource { url: url.to_string(), records: records.into_iter() })
}

/// The text of HTML as a reader sees it: tags removed, character references decoded, white space
/// folded. Feeds carry HTML in titles and summaries; an HTML5 tokenizer keeps a `<` that opens no
/// tag ("harga < 5 juta") as text, where stripping from `<` to `>` lost the words in between.
fn plain_text(html: &str) -> String {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(TextSink::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let text = tokenizer.sink.0.into_inner();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Collects character data; every tag counts as a word break.
#[derive(Default)]
struct TextSink(RefCell<String>);

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::CharacterTokens(chars) => self.0.borrow_mut().push_str(&chars),
            Token::TagToken(_) => self.0.borrow_mut().push(' '),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl Source for FeedSource {
    fn describe(&self) -> SourceRef {
        SourceRef { kind: "feed".into(), location: self.url.clone() }
    }

    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        Ok(self.records.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Kabar Contoh</title>
<item><title>Cek Fakta: &lt;b&gt;Video&lt;/b&gt; banjir lama</title><link>https://contoh.id/a?utm_source=rss</link>
<description>&lt;p&gt;Video itu &amp;amp; fotonya dari 2019.&lt;/p&gt;</description><pubDate>Sat, 03 Feb 2024 05:12:45 GMT</pubDate></item>
<item><title></title><description></description></item>
</channel></rss>"#;

    #[test]
    fn entries_become_news_items_and_empty_entries_are_rejected() {
        let mut source = parse_feed("https://contoh.id/rss", RSS.as_bytes(), 10_000).unwrap();
        let item = source.next_record().unwrap().unwrap().unwrap();
        assert_eq!(item.platform, "news");
        assert_eq!(item.text, "Cek Fakta: Video banjir lama\n\nVideo itu & fotonya dari 2019.");
        assert_eq!(item.url.as_deref(), Some("https://contoh.id/a?utm_source=rss"));
        assert_eq!(item.external_id, None);
        assert_eq!(item.author.unwrap().id, "Kabar Contoh");
        assert_eq!(item.published_at.timestamp(), 1_706_937_165);
        let reject = source.next_record().unwrap().unwrap().unwrap_err();
        assert!(reject.to_string().contains("entry 2"), "{reject}");
        assert!(source.next_record().unwrap().is_none());
    }

    #[test]
    fn a_document_that_is_not_a_feed_is_an_error() {
        assert!(parse_feed("u", b"<html>halo</html>", 100).is_err());
    }
}
