//! Partners' published fact-checks over HTTP, for `tangkal factchecks pull`. A partner offers a
//! schema.org `DataFeed` of ClaimReviews (what `GET /api/v1/claimreviews` of another Tangkal serves,
//! paged with `limit` and `offset`), a plain JSON-LD document of ClaimReviews, or an Atom, RSS or JSON
//! feed whose entries link pages carrying their ClaimReview as JSON-LD (what `/cek-fakta/feed.atom`
//! serves: its entries hold the page's text, not its ClaimReview). Records come out as the fact-check
//! readers of `tangkal_matcher::formats` make them; each bad entry is rejected with its place, and the
//! good ones are kept.
//!
//! Pulls are incremental: [`Pulled::next_since`] is where the next one starts. A DataFeed is asked for
//! `?since=` (changed at or after, on the partner's clock); feed entries older than it are not fetched.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use serde_json::Value;
use tangkal_matcher::formats::{read_claimreview_value, Parsed, Rejected};
use tangkal_model::FactCheck;
use url::Url;

use crate::http;

/// ClaimReviews asked for per DataFeed page: the most another Tangkal serves at once.
const PAGE_SIZE: usize = 500;
/// At most this many DataFeed pages (500,000 ClaimReviews), against a feed that pages forever.
const MAX_PAGES: usize = 1000;

/// What the partner's address served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    DataFeed,
    JsonLd,
    /// Atom, RSS or JSON Feed.
    Syndication,
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FeedKind::DataFeed => "schema.org DataFeed",
            FeedKind::JsonLd => "JSON-LD document",
            FeedKind::Syndication => "news feed",
        })
    }
}

/// What one pull read.
#[derive(Debug)]
pub struct Pulled {
    pub kind: FeedKind,
    /// HTTP requests made: the feed's pages and its entries' pages.
    pub requests: usize,
    /// Entries read: DataFeed elements, or feed entries changed at or after `since`.
    pub entries: usize,
    /// Feed entries not fetched because they did not change since `since`.
    pub older: usize,
    /// Every entry of a news feed first appeared after `since`: a feed keeps only its latest entries, so
    /// some published in between may have left it (a DataFeed keeps them all).
    pub may_have_missed: bool,
    pub records: Vec<FactCheck>,
    pub rejected: Vec<Rejected>,
    /// `since` for the next pull of this address; see [`next_since`].
    pub next_since: Option<DateTime<Utc>>,
}

/// One entry as read: when it last changed, and what it held.
struct Entry {
    changed: Option<DateTime<Utc>>,
    parsed: Parsed,
}

/// Reads the fact-checks `url` publishes that changed at or after `since` (all of them without it).
/// `token` is sent as a bearer token to `url`'s own site only, never to the pages entries link to
/// elsewhere. Errors are what leaves nothing to read: the address, the network, a feed in no known
/// format; a bad entry is a rejection in [`Pulled::rejected`].
pub fn pull_factchecks(url: &str, token: Option<&str>, since: Option<DateTime<Utc>>) -> anyhow::Result<Pulled> {
    let feed = Url::parse(url.trim()).with_context(|| format!("{url:?} is not an absolute address"))?;
    anyhow::ensure!(matches!(feed.scheme(), "http" | "https"), "{url}: only http and https addresses are pulled");
    let agent = http::agent();
    pull_with(&feed, since, &mut |page: &Url| http::get(&agent, page.as_str(), bearer_for(page, &feed, token)))
}

/// The token is for the partner's own site: a feed's entries may link anywhere.
fn bearer_for<'t>(page: &Url, feed: &Url, token: Option<&'t str>) -> Option<&'t str> {
    token.filter(|_| page.origin() == feed.origin())
}

type Fetch<'a> = dyn FnMut(&Url) -> anyhow::Result<Vec<u8>> + 'a;

fn pull_with(feed: &Url, since: Option<DateTime<Utc>>, fetch: &mut Fetch<'_>) -> anyhow::Result<Pulled> {
    let first = fetch(&page_url(feed, since, 0))?;
    let mut requests = 1;
    let looks_like_json = first.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'['));
    let json: Option<Value> = if looks_like_json {
        Some(serde_json::from_slice(&first).with_context(|| format!("{feed}: not valid JSON"))?)
    } else {
        None
    };
    let (kind, entries, older, may_have_missed) = match json {
        Some(doc) if doc.get("dataFeedElement").is_some() => {
            (FeedKind::DataFeed, data_feed(feed, since, doc, fetch, &mut requests)?, 0, false)
        }
        // A document holds no dates to resume from: it is read whole each time.
        Some(doc) if !is_json_feed(&doc) => {
            let whole = Entry { changed: None, parsed: read_claimreview_value(&doc, feed.as_str()) };
            (FeedKind::JsonLd, vec![whole], 0, false)
        }
        _ => {
            let (entries, older, may_have_missed) = syndication(feed, since, &first, fetch, &mut requests)?;
            (FeedKind::Syndication, entries, older, may_have_missed)
        }
    };
    let next_since = next_since(&entries, since);
    let mut pulled = Pulled {
        kind,
        requests,
        entries: entries.len(),
        older,
        may_have_missed,
        records: Vec::new(),
        rejected: Vec::new(),
        next_since,
    };
    for entry in entries {
        pulled.records.extend(entry.parsed.records);
        pulled.rejected.extend(entry.parsed.rejected);
    }
    Ok(pulled)
}

/// Where the next pull starts: the newest change read, but never past a rejected entry, so that it is
/// read again (its publisher may fix it; its page may answer next time). A rejected entry without a date
/// keeps the start of this pull. The partner's `since` includes its instant, so the newest entries are
/// read again and found unchanged rather than missed when two share a second.
fn next_since(entries: &[Entry], since: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let newest = entries.iter().filter_map(|e| e.changed).max().max(since);
    entries.iter().filter(|e| !e.parsed.rejected.is_empty()).map(|e| e.changed.or(since)).fold(newest, Option::min)
}

/// `feed` asking for what changed at or after `since`, [`PAGE_SIZE`] at a time from `offset`; the
/// address's other parameters are kept. Feeds that page otherwise, or not at all, ignore these.
fn page_url(feed: &Url, since: Option<DateTime<Utc>>, offset: usize) -> Url {
    let own: Vec<(String, String)> = feed
        .query_pairs()
        .filter(|(key, _)| !matches!(key.as_ref(), "since" | "limit" | "offset"))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut url = feed.clone();
    {
        let mut query = url.query_pairs_mut();
        query.clear().extend_pairs(own);
        if let Some(since) = since {
            query.append_pair("since", &since.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
        query.append_pair("limit", &PAGE_SIZE.to_string());
        if offset > 0 {
            query.append_pair("offset", &offset.to_string());
        }
    }
    url
}

/// The elements of a DataFeed, page after page until one comes back short or brings nothing new (a
/// feed that ignores `offset` serves its first page again).
fn data_feed(
    feed: &Url,
    since: Option<DateTime<Utc>>,
    mut page: Value,
    fetch: &mut Fetch<'_>,
    requests: &mut usize,
) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut offset = 0;
    loop {
        let Some(Value::Array(elements)) = page.get("dataFeedElement") else {
            anyhow::bail!("{feed}: \"dataFeedElement\" at offset {offset} is not a list");
        };
        let mut fresh = 0;
        for (i, element) in elements.iter().enumerate() {
            if seen.insert(element.to_string()) {
                fresh += 1;
                entries.push(data_feed_entry(element, offset + i));
            }
        }
        offset += elements.len();
        if elements.len() < PAGE_SIZE || fresh == 0 || *requests >= MAX_PAGES {
            return Ok(entries);
        }
        let next = page_url(feed, since, offset);
        page = serde_json::from_slice(&fetch(&next)?).with_context(|| format!("{next}: not valid JSON"))?;
        *requests += 1;
    }
}

/// One `DataFeedItem`: its ClaimReview (`item`, or the element itself), named by its position and
/// address, changed when the element or the review says.
fn data_feed_entry(element: &Value, index: usize) -> Entry {
    let review = element.get("item").unwrap_or(element);
    let place = match first_node(review).get("url").and_then(Value::as_str) {
        Some(url) => format!("dataFeedElement[{index}] <{url}>"),
        None => format!("dataFeedElement[{index}]"),
    };
    Entry {
        changed: changed_at(element).or_else(|| changed_at(review)),
        parsed: read_claimreview_value(review, &place),
    }
}

/// A node, or the first of a list of nodes.
fn first_node(value: &Value) -> &Value {
    match value {
        Value::Array(nodes) => nodes.first().unwrap_or(&Value::Null),
        node => node,
    }
}

/// When a schema.org node last changed, from the first of its dates that reads as one.
fn changed_at(node: &Value) -> Option<DateTime<Utc>> {
    let node = first_node(node);
    ["dateModified", "dateCreated", "datePublished"].iter().find_map(|key| node.get(key)?.as_str().and_then(instant))
}

/// A schema.org `DateTime` (RFC 3339) or `Date` (its first instant, UTC).
fn instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|day| day.and_time(NaiveTime::MIN).and_utc()))
}

fn is_json_feed(doc: &Value) -> bool {
    doc.get("version").and_then(Value::as_str).is_some_and(|v| v.starts_with("https://jsonfeed.org/"))
}

/// The ClaimReviews on the pages a feed's entries link, for entries changed at or after `since`
/// (an entry without a date is always read); returns them, the number of older entries, and
/// [`Pulled::may_have_missed`].
fn syndication(
    feed: &Url,
    since: Option<DateTime<Utc>>,
    body: &[u8],
    fetch: &mut Fetch<'_>,
    requests: &mut usize,
) -> anyhow::Result<(Vec<Entry>, usize, bool)> {
    let parsed = feed_rs::parser::parse(body).with_context(|| {
        format!("{feed}: neither a DataFeed or JSON-LD document of ClaimReviews nor an Atom, RSS or JSON feed")
    })?;
    // An entry that first appeared at or before `since` shows the feed reaches back to the last pull.
    let may_have_missed = since.is_some_and(|since| {
        let after = |e: &feed_rs::model::Entry| e.published.or(e.updated).is_some_and(|first| first > since);
        !parsed.entries.is_empty() && parsed.entries.iter().all(after)
    });
    let mut entries = Vec::new();
    let mut older = 0;
    for (i, entry) in parsed.entries.iter().enumerate() {
        let changed = entry.updated.or(entry.published);
        if since.zip(changed).is_some_and(|(since, changed)| changed < since) {
            older += 1;
            continue;
        }
        let number = i + 1;
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"))
            .or(entry.links.first())
            .map(|l| l.href.trim());
        let parsed = match link.map(|href| (href, feed.join(href))) {
            None => rejection(format!("entry {number}"), "links no page".into()),
            Some((href, Err(e))) => rejection(format!("entry {number}"), format!("link {href:?}: {e}")),
            Some((_, Ok(page))) => {
                *requests += 1;
                let place = format!("entry {number} <{page}>");
                match fetch(&page) {
                    Ok(html) => page_claim_reviews(&String::from_utf8_lossy(&html), &place),
                    Err(e) => rejection(place, format!("{e:#}")),
                }
            }
        };
        entries.push(Entry { changed, parsed });
    }
    Ok((entries, older, may_have_missed))
}

fn rejection(place: String, reason: String) -> Parsed {
    Parsed { records: Vec::new(), rejected: vec![Rejected { place, reason }] }
}

/// The ClaimReviews in a page's JSON-LD blocks. Paths name the block: `$[1]` is the second.
fn page_claim_reviews(html: &str, place: &str) -> Parsed {
    let blocks = json_ld_blocks(html);
    if blocks.is_empty() {
        return rejection(place.to_owned(), "the page has no JSON-LD (<script type=\"application/ld+json\">)".into());
    }
    let mut invalid = Vec::new();
    let documents: Vec<Value> = blocks
        .iter()
        .enumerate()
        .map(|(k, block)| {
            serde_json::from_str(block).unwrap_or_else(|e| {
                invalid.push(Rejected { place: format!("{place}: $[{k}]"), reason: format!("not valid JSON: {e}") });
                Value::Null
            })
        })
        .collect();
    let mut parsed = if documents.iter().all(Value::is_null) {
        Parsed::default()
    } else {
        read_claimreview_value(&Value::Array(documents), place)
    };
    parsed.rejected.splice(0..0, invalid);
    parsed
}

/// The text of each `<script type="application/ld+json">` element of an HTML page, as written (script
/// text holds no markup and no character references).
fn json_ld_blocks(html: &str) -> Vec<String> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(ScriptSink::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.blocks.into_inner()
}

/// Collects JSON-LD script text. The tokenizer alone does not know script elements hold raw text: the
/// sink tells it at each `<script>`, as a tree builder would.
#[derive(Default)]
struct ScriptSink {
    blocks: RefCell<Vec<String>>,
    /// The JSON-LD element being read, if inside one.
    current: RefCell<Option<String>>,
}

impl TokenSink for ScriptSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) if &*tag.name == "script" => match tag.kind {
                TagKind::StartTag => {
                    let json_ld = tag.attrs.iter().any(|a| {
                        &*a.name.local == "type" && a.value.trim().eq_ignore_ascii_case("application/ld+json")
                    });
                    *self.current.borrow_mut() = json_ld.then(String::new);
                    if !tag.self_closing {
                        return TokenSinkResult::RawData(RawKind::ScriptData);
                    }
                }
                TagKind::EndTag => {
                    if let Some(text) = self.current.borrow_mut().take() {
                        self.blocks.borrow_mut().push(text);
                    }
                }
            },
            Token::CharacterTokens(text) => {
                if let Some(current) = self.current.borrow_mut().as_mut() {
                    current.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, hour, 0, 0).unwrap()
    }

    fn review(n: usize, date: &str) -> Value {
        json!({
            "@context": "https://schema.org", "@type": "ClaimReview",
            "@id": format!("https://mitra.example/cek-fakta/{n}#claimreview"),
            "url": format!("https://mitra.example/cek-fakta/{n}"),
            "headline": format!("[HOAKS] Klaim nomor {n}"), "claimReviewed": format!("Klaim nomor {n}"),
            "datePublished": date,
            "author": {"@type": "Organization", "name": "Mitra"},
            "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1, "alternateName": "Hoaks"},
        })
    }

    fn element(review: Value, modified: &str) -> Value {
        json!({"@type": "DataFeedItem", "dateModified": modified, "item": [review]})
    }

    /// Serves `pages` by address and records what was asked.
    struct Partner {
        pages: HashMap<String, Vec<u8>>,
        asked: Vec<String>,
    }

    impl Partner {
        fn new(pages: impl IntoIterator<Item = (String, String)>) -> Partner {
            Partner {
                pages: pages.into_iter().map(|(url, body)| (url, body.into_bytes())).collect(),
                asked: Vec::new(),
            }
        }

        fn pull(&mut self, feed: &str, since: Option<DateTime<Utc>>) -> anyhow::Result<Pulled> {
            pull_with(&Url::parse(feed).unwrap(), since, &mut |url: &Url| {
                self.asked.push(url.to_string());
                self.pages.get(url.as_str()).cloned().with_context(|| format!("{url} answered 404 Not Found"))
            })
        }
    }

    const FEED: &str = "https://mitra.example/api/v1/claimreviews";

    #[test]
    fn a_data_feed_is_paged_until_a_short_page_and_asked_since_the_mark() {
        let full: Vec<Value> =
            (0..PAGE_SIZE).map(|n| element(review(n, "2026-12-03T07:00:00Z"), "2026-12-03T07:00:00Z")).collect();
        let last = vec![element(review(PAGE_SIZE, "2026-12-03T06:00:00Z"), "2026-12-03T09:30:00+07:00")];
        let since = "since=2026-12-03T01%3A00%3A00Z";
        let mut partner = Partner::new([
            (format!("{FEED}?{since}&limit=500"), json!({"@type": "DataFeed", "dataFeedElement": full}).to_string()),
            (format!("{FEED}?{since}&limit=500&offset=500"), json!({"dataFeedElement": last}).to_string()),
        ]);
        let pulled = partner.pull(FEED, Some(at(1))).unwrap();
        assert_eq!((pulled.kind, pulled.requests, pulled.entries), (FeedKind::DataFeed, 2, PAGE_SIZE + 1));
        assert_eq!(pulled.records.len(), PAGE_SIZE + 1);
        assert!(pulled.rejected.is_empty(), "{:?}", pulled.rejected);
        let r = &pulled.records[PAGE_SIZE];
        assert_eq!(r.id, "https://mitra.example/cek-fakta/500#claimreview");
        assert_eq!((r.rating.as_deref(), r.publisher.as_deref()), (Some("HOAKS"), Some("Mitra")));
        assert_eq!(r.claim.as_deref(), Some("Klaim nomor 500"));
        assert_eq!(pulled.next_since, Some(at(7)), "the newest change, 09:30 WIB");
    }

    #[test]
    fn a_feed_that_ignores_offset_is_read_once() {
        let full: Vec<Value> =
            (0..PAGE_SIZE).map(|n| element(review(n, "2026-12-03"), "2026-12-03T07:00:00Z")).collect();
        let page = json!({"dataFeedElement": full}).to_string();
        let mut partner =
            Partner::new([(format!("{FEED}?limit=500"), page.clone()), (format!("{FEED}?limit=500&offset=500"), page)]);
        let pulled = partner.pull(FEED, None).unwrap();
        assert_eq!((pulled.requests, pulled.entries, pulled.records.len()), (2, PAGE_SIZE, PAGE_SIZE));
    }

    #[test]
    fn bad_elements_are_named_by_position_address_and_field_and_hold_the_mark() {
        let mut broken = review(2, "kemarin");
        broken["url"] = json!("https://mitra.example/cek-fakta/2");
        let elements = vec![
            element(review(1, "2026-12-03"), "2026-12-03T05:00:00Z"),
            element(broken, "2026-12-03T04:00:00Z"),
            json!({"@type": "DataFeedItem", "item": {"@type": "WebPage"}}),
            element(review(3, "2026-12-03"), "2026-12-03T08:00:00Z"),
        ];
        let mut partner =
            Partner::new([(format!("{FEED}?limit=500"), json!({"dataFeedElement": elements}).to_string())]);
        let pulled = partner.pull(FEED, None).unwrap();
        assert_eq!(pulled.records.len(), 2, "the good ones are kept");
        let places: Vec<String> = pulled.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(places.len(), 2, "{places:?}");
        assert!(
            places[0]
                .starts_with("dataFeedElement[1] <https://mitra.example/cek-fakta/2>: $[0]: field \"datePublished\""),
            "{places:?}"
        );
        assert_eq!(places[1], "dataFeedElement[2]: no ClaimReview node found");
        assert_eq!(pulled.next_since, None, "an undated bad element: the next pull starts where this one did");
    }

    #[test]
    fn the_mark_stops_at_the_oldest_rejected_entry() {
        let entry = |hour, good: bool| Entry {
            changed: Some(at(hour)),
            parsed: if good { Parsed::default() } else { rejection("x".into(), "bad".into()) },
        };
        assert_eq!(next_since(&[entry(5, true), entry(7, true)], Some(at(1))), Some(at(7)));
        assert_eq!(next_since(&[entry(5, false), entry(7, true), entry(6, false)], Some(at(1))), Some(at(5)));
        assert_eq!(next_since(&[], Some(at(1))), Some(at(1)), "nothing new: the mark stays");
        let undated = Entry { changed: None, parsed: rejection("x".into(), "bad".into()) };
        assert_eq!(next_since(&[entry(7, true), undated], Some(at(1))), Some(at(1)));
    }

    const ATOM: &str = "https://mitra.example/cek-fakta/feed.atom";

    fn atom(entries: &[(&str, &str)]) -> String {
        let entries: String = entries
            .iter()
            .map(|(link, updated)| {
                format!(
                    "<entry><id>{link}</id><title>t</title><updated>{updated}</updated>\
                     <link href=\"{link}\" rel=\"alternate\"/><summary>s</summary></entry>"
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>{ATOM}</id><title>Cek</title>\
             <updated>2026-12-03T08:00:00Z</updated>{entries}</feed>"
        )
    }

    fn page(scripts: &str) -> String {
        format!(
            "<!doctype html><html lang=\"id\"><head><title>x</title>{scripts}</head><body><p>teks</p></body></html>"
        )
    }

    fn ld(value: &Value) -> String {
        format!("<script type=\"application/ld+json\">{value}</script>")
    }

    #[test]
    fn feed_entries_are_read_from_their_pages_and_older_ones_skipped() {
        let pages = [
            ("https://mitra.example/cek-fakta/1", "2026-12-03T08:00:00Z", page(&ld(&review(1, "2026-12-03")))),
            ("/cek-fakta/2", "2026-12-03T07:00:00Z", page("<script>var x = '</p>';</script>")),
            (
                "https://lain.example/3",
                "2026-12-03T06:00:00Z",
                page("<script type=\"application/ld+json\">{\"@type\": </script>"),
            ),
            ("https://mitra.example/cek-fakta/4", "2026-12-03T05:00:00Z", String::new()),
            ("https://mitra.example/cek-fakta/5", "2026-12-03T01:00:00Z", page(&ld(&review(5, "2026-12-01")))),
        ];
        let feed: Vec<(&str, &str)> = pages.iter().map(|(link, updated, _)| (*link, *updated)).collect();
        let mut served = vec![(format!("{ATOM}?since=2026-12-03T02%3A00%3A00Z&limit=500"), atom(&feed))];
        for (link, _, html) in &pages[..3] {
            served.push((Url::parse(ATOM).unwrap().join(link).unwrap().to_string(), html.clone()));
        }
        let mut partner = Partner::new(served);
        let pulled = partner.pull(ATOM, Some(at(2))).unwrap();
        assert_eq!((pulled.kind, pulled.entries, pulled.older, pulled.requests), (FeedKind::Syndication, 4, 1, 5));
        assert!(!partner.asked.iter().any(|u| u.ends_with("/5")), "the entry older than the mark is not fetched");
        assert_eq!(pulled.records.len(), 1);
        assert_eq!(pulled.records[0].url.as_deref(), Some("https://mitra.example/cek-fakta/1"));
        let places: Vec<String> = pulled.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(places.len(), 3, "{places:?}");
        assert!(places[0].starts_with("entry 2 <https://mitra.example/cek-fakta/2>: the page has no JSON-LD"));
        assert!(places[1].starts_with("entry 3 <https://lain.example/3>: $[0]: not valid JSON"), "{places:?}");
        assert!(places[2].starts_with("entry 4 <https://mitra.example/cek-fakta/4>: ") && places[2].contains("404"));
        assert_eq!(pulled.next_since, Some(at(5)), "held at the oldest rejected entry");
        assert!(!pulled.may_have_missed, "an entry older than the mark shows the feed reaches back to it");
        let corrected = atom(&[("https://mitra.example/cek-fakta/1", "2026-12-03T08:00:00Z")])
            .replace("<updated>2026", "<published>2026-12-03T01:00:00Z</published><updated>2026");
        let mut partner = Partner::new([
            (format!("{ATOM}?since=2026-12-03T02%3A00%3A00Z&limit=500"), corrected),
            ("https://mitra.example/cek-fakta/1".into(), page(&ld(&review(1, "2026-12-03")))),
        ]);
        let pulled = partner.pull(ATOM, Some(at(2))).unwrap();
        assert_eq!((pulled.records.len(), pulled.may_have_missed), (1, false), "a correction of an entry seen before");
    }

    #[test]
    fn a_feed_whose_every_entry_appeared_after_the_mark_may_have_lost_some() {
        let feed = atom(&[
            ("https://mitra.example/1", "2026-12-03T08:00:00Z"),
            ("https://mitra.example/2", "2026-12-03T07:00:00Z"),
        ]);
        let page = page(&ld(&review(1, "2026-12-03")));
        let mut partner = Partner::new([
            (format!("{ATOM}?since=2026-12-03T06%3A00%3A00Z&limit=500"), feed.clone()),
            (format!("{ATOM}?since=2026-12-03T07%3A00%3A00Z&limit=500"), feed.clone()),
            (format!("{ATOM}?limit=500"), feed),
            ("https://mitra.example/1".into(), page.clone()),
            ("https://mitra.example/2".into(), page),
        ]);
        assert!(partner.pull(ATOM, Some(at(6))).unwrap().may_have_missed);
        assert!(!partner.pull(ATOM, Some(at(7))).unwrap().may_have_missed, "the entry at the mark was seen before");
        assert!(!partner.pull(ATOM, None).unwrap().may_have_missed, "a first pull reads what there is");
    }

    #[test]
    fn the_token_goes_to_the_partners_site_only() {
        let feed = Url::parse(ATOM).unwrap();
        let own = Url::parse("https://mitra.example/cek-fakta/1").unwrap();
        let elsewhere = Url::parse("https://lain.example/cek-fakta/1").unwrap();
        let plain = Url::parse("http://mitra.example/cek-fakta/1").unwrap();
        assert_eq!(bearer_for(&own, &feed, Some("tkl_x")), Some("tkl_x"));
        assert_eq!(bearer_for(&elsewhere, &feed, Some("tkl_x")), None);
        assert_eq!(bearer_for(&plain, &feed, Some("tkl_x")), None, "nor over another scheme");
    }

    #[test]
    fn only_json_ld_script_text_is_taken_as_written() {
        let html = "<html><head><SCRIPT Type=' Application/LD+JSON '>{\"a\": \"<b>&amp;</b>\"}</SCRIPT>\
                    <script>var x = \"<script type='application/ld+json'>no</script>\";</script>\
                    <script type=\"application/ld+json\">[1]</script></head><body>\
                    <p>{\"not\": \"this\"}</p></body></html>";
        assert_eq!(json_ld_blocks(html), ["{\"a\": \"<b>&amp;</b>\"}", "[1]"]);
        let other = page(&format!("{}{}", ld(&json!({"@type": "Organization"})), ld(&review(1, "2026-12-03"))));
        let parsed = page_claim_reviews(&other, "entry 1");
        assert_eq!((parsed.records.len(), parsed.rejected.len()), (1, 0), "other JSON-LD nodes are no error");
    }

    #[test]
    fn plain_json_ld_documents_and_unknown_formats() {
        let doc = json!([review(1, "2026-12-03"), review(2, "2026-12-03")]).to_string();
        let mut partner =
            Partner::new([(format!("{FEED}?limit=500"), doc), (format!("{ATOM}?limit=500"), "hai".into())]);
        let pulled = partner.pull(FEED, None).unwrap();
        assert_eq!((pulled.kind, pulled.records.len(), pulled.next_since), (FeedKind::JsonLd, 2, None));
        let err = partner.pull(ATOM, None).unwrap_err();
        assert!(format!("{err:#}").contains("neither a DataFeed"), "{err:#}");
        let err = partner.pull("https://mitra.example/x", None).unwrap_err();
        assert!(format!("{err:#}").contains("404"), "{err:#}");
    }
}
