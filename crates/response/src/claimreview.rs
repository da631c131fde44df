//! What search engines and partners read of a published clarification: schema.org `ClaimReview` JSON-LD
//! following Google's fact-check markup rules, a schema.org `DataFeed` of them, and an Atom feed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tangkal_cases::Rating;

use crate::clarification::{Clarification, ClarificationStatus};
use crate::ResponseError;

/// Who publishes, and where the public pages live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// The public address of this Tangkal, without a trailing slash: pages are `{base_url}/cek-fakta/…`.
    pub base_url: String,
    /// The organisation named as the fact-check's author.
    pub organisation: String,
    pub organisation_url: String,
}

impl Default for SiteConfig {
    fn default() -> SiteConfig {
        SiteConfig {
            base_url: "http://localhost:8080".into(),
            organisation: "Tangkal".into(),
            organisation_url: "http://localhost:8080".into(),
        }
    }
}

impl SiteConfig {
    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// The public address of a page of this site; `path` starts with `/`.
    pub fn page_url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The public page of a clarification.
    pub fn clarification_url(&self, slug: &str) -> String {
        self.page_url(&format!("/cek-fakta/{slug}"))
    }

    pub fn feed_url(&self) -> String {
        self.page_url("/cek-fakta/feed.atom")
    }
}

/// Where the claim was seen: the case's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appearance {
    pub url: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// The rating on a 1 (false) to 5 (true) scale, with the name people read.
pub fn rating_scale(rating: Rating) -> (u8, &'static str) {
    match rating {
        Rating::Hoaks => (1, "Hoaks"),
        Rating::Disinformasi => (1, "Disinformasi"),
        Rating::Misinformasi => (1, "Misinformasi"),
        Rating::Menyesatkan => (2, "Menyesatkan"),
        Rating::TidakTerbukti => (3, "Tidak terbukti"),
        Rating::Benar => (5, "Benar"),
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn creative_work(a: &Appearance) -> Value {
    let mut work = json!({ "@type": "CreativeWork", "url": a.url });
    if let Some(at) = a.published_at {
        work["datePublished"] = json!(iso(at));
    }
    work
}

/// The `ClaimReview` of a published clarification. `appearances` are the case's items; the earliest
/// dated one (else the first) is the claim's `firstAppearance`. Links that are not web links are left out.
pub fn claim_review(
    clarification: &Clarification,
    appearances: &[Appearance],
    site: &SiteConfig,
) -> Result<Value, ResponseError> {
    let published = match (clarification.status, clarification.published_at) {
        (ClarificationStatus::Published, Some(at)) => at,
        _ => return Err(ResponseError::NotAllowed("only a published clarification has a ClaimReview".into())),
    };
    let url = site.clarification_url(&clarification.slug);
    let (value, name) = rating_scale(clarification.rating);
    let appearances: Vec<&Appearance> = appearances
        .iter()
        .filter(|a| url::Url::parse(&a.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .collect();
    let mut claim = json!({ "@type": "Claim" });
    if !appearances.is_empty() {
        claim["appearance"] = appearances.iter().map(|a| creative_work(a)).collect();
        let first = appearances.iter().filter(|a| a.published_at.is_some()).min_by_key(|a| a.published_at);
        claim["firstAppearance"] = creative_work(first.unwrap_or(&appearances[0]));
    }
    let mut review = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "@id": format!("{url}#claimreview"),
        "url": url,
        "headline": clarification.title,
        "claimReviewed": clarification.claim,
        "inLanguage": "id",
        "datePublished": iso(published),
        "author": { "@type": "Organization", "name": site.organisation, "url": site.organisation_url },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": name,
        },
        "itemReviewed": claim,
    });
    if let Some(modified) = clarification.modified_at().filter(|m| *m != published) {
        review["dateModified"] = json!(iso(modified));
    }
    Ok(review)
}

/// JSON safe inside an HTML `<script>` element: `<`, `>` and `&` (and the JavaScript line separators)
/// are written as `\u` escapes, so no text in it can close the element or open a comment.
pub fn script_json(value: &Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The `<script type="application/ld+json">` element a page embeds.
pub fn json_ld_script(value: &Value) -> String {
    format!("<script type=\"application/ld+json\">{}</script>", script_json(value))
}

/// A schema.org `DataFeed` of ClaimReviews, as Google's fact-check tools and partners read it: one
/// `DataFeedItem` per review, with its creation and modification dates.
pub fn data_feed(reviews: &[(Clarification, Value)], site: &SiteConfig, now: DateTime<Utc>) -> Value {
    let elements: Vec<Value> = reviews
        .iter()
        .map(|(c, review)| {
            let mut item = json!({ "@type": "DataFeedItem", "item": [review] });
            if let Some(published) = c.published_at {
                item["dateCreated"] = json!(iso(published));
            }
            if let Some(modified) = c.modified_at() {
                item["dateModified"] = json!(iso(modified));
            }
            item
        })
        .collect();
    let modified = reviews.iter().filter_map(|(c, _)| c.modified_at()).max().unwrap_or(now);
    json!({
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "name": format!("Cek fakta {}", site.organisation),
        "url": format!("{}/cek-fakta", site.base()),
        "dateModified": iso(modified),
        "dataFeedElement": elements,
    })
}

/// The Atom feed of published clarifications, newest first.
pub fn atom_feed(clarifications: &[Clarification], site: &SiteConfig, now: DateTime<Utc>) -> String {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let mut published: Vec<&Clarification> =
        clarifications.iter().filter(|c| c.status == ClarificationStatus::Published).collect();
    published.sort_by_key(|c| std::cmp::Reverse((c.published_at, c.id)));
    let entries = published
        .iter()
        .map(|c| {
            let url = site.clarification_url(&c.slug);
            Entry {
                id: url.clone(),
                title: Text::plain(c.title.clone()),
                updated: c.modified_at().unwrap_or(c.updated_at).fixed_offset(),
                published: c.published_at.map(|t| t.fixed_offset()),
                links: vec![Link { href: url, rel: "alternate".into(), ..Default::default() }],
                summary: Some(Text::plain(c.claim.clone())),
                content: Some(Content {
                    value: Some(c.body_html()),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        id: format!("{}/cek-fakta", site.base()),
        title: Text::plain(format!("Cek fakta {}", site.organisation)),
        updated: published.iter().filter_map(|c| c.modified_at()).max().unwrap_or(now).fixed_offset(),
        authors: vec![Person {
            name: site.organisation.clone(),
            uri: Some(site.organisation_url.clone()),
            ..Default::default()
        }],
        links: vec![Link { href: site.feed_url(), rel: "self".into(), ..Default::default() }],
        lang: Some("id".into()),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use tangkal_cases::Role;

    use super::*;
    use crate::clarification::{ClarificationChange, CorrectionInput, NewClarification, Source};
    use crate::fixtures::{actor, case_rated, t0};

    const SCRIPT: &str = "<script>alert(1)</script>";

    fn published(title: &str, body: &str, at: DateTime<Utc>) -> Clarification {
        let case = case_rated(Rating::Hoaks);
        let communicator = actor(3, Role::Communicator, None);
        let new = NewClarification {
            title: title.into(),
            body_markdown: body.into(),
            sources: vec![Source { title: SCRIPT.into(), url: "https://kpu.go.id/".into() }],
            claim: Some(format!("Surat suara {SCRIPT}")),
            topic: None,
        };
        let mut c = Clarification::draft(&case, &new, &communicator, at).unwrap();
        c.slug = "surat-suara".into();
        c.apply(ClarificationChange::Publish, &case, &communicator, at).unwrap();
        c
    }

    fn site() -> SiteConfig {
        SiteConfig {
            base_url: "https://tangkal.go.id/".into(),
            organisation: "Kominfo".into(),
            ..SiteConfig::default()
        }
    }

    #[test]
    fn the_claim_review_follows_the_fact_check_markup_rules() {
        let c = published("Surat suara", "Teks", t0());
        let appearances = [
            Appearance { url: "https://x.com/a/status/2".into(), published_at: Some(t0() - Duration::hours(1)) },
            Appearance { url: "https://x.com/b/status/1".into(), published_at: Some(t0() - Duration::hours(5)) },
            Appearance { url: "javascript:alert(1)".into(), published_at: None },
        ];
        let r = claim_review(&c, &appearances, &site()).unwrap();
        assert_eq!(r["@type"], "ClaimReview");
        assert_eq!(r["url"], "https://tangkal.go.id/cek-fakta/surat-suara");
        let claim = r["claimReviewed"].as_str().unwrap();
        assert!(claim.chars().count() < 75 && !claim.to_lowercase().contains("hoaks"), "{claim}");
        assert_eq!(r["reviewRating"]["alternateName"], "Hoaks");
        assert_eq!(
            (r["reviewRating"]["ratingValue"].as_u64(), r["reviewRating"]["bestRating"].as_u64()),
            (Some(1), Some(5))
        );
        assert_eq!(r["reviewRating"]["worstRating"], 1);
        assert_eq!(r["author"]["@type"], "Organization");
        assert_eq!(r["author"]["name"], "Kominfo");
        assert_eq!(r["datePublished"], "2026-12-03T08:00:00Z");
        assert!(r.get("dateModified").is_none());
        assert_eq!(r["itemReviewed"]["@type"], "Claim");
        assert_eq!(r["itemReviewed"]["appearance"].as_array().unwrap().len(), 2, "the javascript: link is left out");
        assert_eq!(r["itemReviewed"]["firstAppearance"]["url"], "https://x.com/b/status/1");

        let mut draft = c.clone();
        draft.status = ClarificationStatus::Draft;
        assert!(claim_review(&draft, &appearances, &site()).is_err());
        let none = claim_review(&c, &[], &site()).unwrap();
        assert!(none["itemReviewed"].get("appearance").is_none());
    }

    #[test]
    fn corrections_show_as_date_modified() {
        let mut c = published("Surat suara", "Teks", t0());
        let later = t0() + Duration::days(1);
        let fix = CorrectionInput { reason: "ejaan".into(), body_markdown: Some("Teks.".into()), ..Default::default() };
        c.apply(
            ClarificationChange::Correct(fix),
            &case_rated(Rating::Hoaks),
            &actor(3, Role::Communicator, None),
            later,
        )
        .unwrap();
        let r = claim_review(&c, &[], &site()).unwrap();
        assert_eq!(r["dateModified"], "2026-12-04T08:00:00Z");
    }

    #[test]
    fn script_in_every_field_stays_inert_in_json_ld_and_feeds() {
        let c = published(&format!("Judul {SCRIPT}"), &format!("Isi {SCRIPT} <img src=x onerror=alert(1)>"), t0());
        let appearances = [Appearance { url: format!("https://x.com/a?q={SCRIPT}"), published_at: None }];
        let odd_site = SiteConfig { organisation: SCRIPT.into(), ..site() };
        let review = claim_review(&c, &appearances, &odd_site).unwrap();
        let script = json_ld_script(&review);
        let inner =
            script.strip_prefix("<script type=\"application/ld+json\">").unwrap().strip_suffix("</script>").unwrap();
        assert!(!inner.contains('<') && !inner.contains('>'), "{inner}");
        let parsed: Value = serde_json::from_str(inner).unwrap();
        assert_eq!(parsed, review, "escaping keeps the JSON as it was");
        assert!(parsed["headline"].as_str().unwrap().contains(SCRIPT));

        let feed = data_feed(&[(c.clone(), review)], &odd_site, t0());
        assert!(!script_json(&feed).contains('<'));

        let atom = atom_feed(&[c], &odd_site, t0());
        assert!(!atom.contains("<script"), "{atom}");
        assert!(!atom.contains("<img"), "{atom}");
        let parsed = atom_syndication::Feed::read_from(atom.as_bytes()).unwrap();
        assert!(parsed.entries[0].title.value.contains(SCRIPT), "the title reads back as text");
        let content = parsed.entries[0].content.as_ref().unwrap().value.as_deref().unwrap();
        assert!(!content.contains("<script") && !content.contains("<img"), "{content}");
    }

    #[test]
    fn feeds_list_published_clarifications_newest_first() {
        let older = published("Lama", "a", t0());
        let mut newer = published("Baru", "b", t0() + Duration::hours(3));
        newer.slug = "baru".into();
        newer.id = 2;
        let mut draft = newer.clone();
        draft.status = ClarificationStatus::Draft;
        draft.slug = "draft".into();
        let atom = atom_syndication::Feed::read_from(
            atom_feed(&[older.clone(), newer.clone(), draft], &site(), t0()).as_bytes(),
        )
        .unwrap();
        let ids: Vec<&str> = atom.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["https://tangkal.go.id/cek-fakta/baru", "https://tangkal.go.id/cek-fakta/surat-suara"]);
        assert_eq!(atom.updated, (t0() + Duration::hours(3)).fixed_offset());

        let reviews: Vec<_> = [newer, older]
            .into_iter()
            .map(|c| {
                let r = claim_review(&c, &[], &site()).unwrap();
                (c, r)
            })
            .collect();
        let feed = data_feed(&reviews, &site(), t0());
        assert_eq!(feed["@type"], "DataFeed");
        let elements = feed["dataFeedElement"].as_array().unwrap();
        assert_eq!(elements.len(), 2);
        assert_eq!(elements[0]["@type"], "DataFeedItem");
        assert_eq!(elements[0]["item"][0]["@type"], "ClaimReview");
        assert_eq!(feed["dateModified"], "2026-12-03T11:00:00Z");
    }
}
