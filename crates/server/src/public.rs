//! The public pages, server-rendered in Indonesian for anyone without an account: published
//! clarifications (`/cek-fakta`, searchable, with one ClaimReview JSON-LD block each and an Atom feed)
//! and the transparency log of takedown requests (`/transparansi`). Templates are askama's, escaped at
//! compile time; nothing on a page runs script (the JSON-LD block is data, not executed). Each page
//! carries Open Graph and Twitter-card tags, so a link shared on WhatsApp shows its label and title, and
//! every page links the feed in its head.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Redirect, Response};
use serde::Deserialize;
use tangkal_response::claimreview::SiteConfig;
use tangkal_response::claimreview::{atom_feed, rating_scale, script_json};
use tangkal_response::clarification::{lead, plain_text, Clarification, ClarificationStatus};
use tangkal_response::transparency::{Period, PlatformFigures, TransparencyEntry};
use tangkal_store::ClarificationFilter;

use crate::api::clarifications::review_of;
use crate::api::takedowns::{transparency_log, wib};
use crate::api::{Ids, Params};
use crate::caching::{respond, Public};
use crate::search::{Found, Listed};
use crate::{AppState, Problem};

const HTML: &str = "text/html; charset=utf-8";
const PAGE_SIZE: u64 = 20;
/// Entries in the Atom feed.
const FEED_SIZE: u64 = 50;

/// A rendered public page with the validators of what it shows.
fn page_response(
    request: &HeaderMap,
    html: Result<String, askama::Error>,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Response, Problem> {
    Ok(respond(request, Public { content_type: HTML, body: html.map_err(Problem::internal)?, last_modified }))
}

/// Where page `page` of `total` entries starts, or 404 past the last page (page 1 always exists).
fn page_start(page: u64, total: u64) -> Result<u64, Problem> {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(Problem::not_found(format!("page {page}: there are {pages} pages")));
    }
    Ok((page - 1) * PAGE_SIZE)
}

/// Characters of a link preview's description: what WhatsApp and others show under the title.
const PREVIEW_CHARS: usize = 200;

/// What a link to a page shows where it is shared (WhatsApp, X, Facebook, Telegram): Open Graph and
/// Twitter-card tags, escaped like the rest of the page.
struct LinkPreview {
    /// `website` or `article`.
    kind: &'static str,
    title: String,
    description: String,
    /// Absolute, from the configured public address.
    url: String,
    published: Option<String>,
    modified: Option<String>,
}

impl LinkPreview {
    fn website(site: &SiteConfig, path: &str, title: &str, description: String) -> LinkPreview {
        LinkPreview {
            kind: "website",
            title: format!("{title} · {}", site.organisation),
            description,
            url: site.page_url(path),
            published: None,
            modified: None,
        }
    }

    /// A clarification: its labelled title, the first sentences of its body (or its claim when the body
    /// has no words), its address and when it was published and last corrected.
    fn article(c: &Clarification, site: &SiteConfig) -> LinkPreview {
        let body = plain_text(&c.body_markdown);
        let text = if body.is_empty() { c.claim.clone() } else { body };
        LinkPreview {
            kind: "article",
            title: c.title.clone(),
            description: lead(&text, PREVIEW_CHARS),
            url: site.clarification_url(&c.slug),
            published: c.published_at.map(|t| t.to_rfc3339()),
            modified: c.modified_at().filter(|t| Some(*t) != c.published_at).map(|t| t.to_rfc3339()),
        }
    }
}

/// A published clarification as a list shows it.
struct Summary {
    slug: String,
    title: String,
    claim: String,
    rating: &'static str,
    published_at: String,
}

impl Summary {
    fn of(c: Listed) -> Summary {
        Summary {
            rating: rating_scale(c.rating).1,
            published_at: wib(&c.published_at),
            slug: c.slug,
            title: c.title,
            claim: c.claim,
        }
    }
}

#[derive(Template)]
#[template(path = "cek_fakta_list.html")]
struct ListPage<'a> {
    organisation: &'a str,
    preview: LinkPreview,
    query: &'a str,
    results: Vec<Summary>,
    total: u64,
    page: u64,
    next: Option<String>,
    previous: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    /// From 1.
    page: Option<u64>,
}

/// Queries longer than this are cut: a search box, not a document.
const MAX_QUERY_CHARS: usize = 200;

fn page_link(query: &str, page: u64) -> String {
    let mut link = url_query(&[("q", query)]);
    if page > 1 {
        link.push_str(&format!("{}page={page}", if link.is_empty() { "?" } else { "&" }));
    }
    format!("/cek-fakta{link}")
}

/// `?q=…` with the value percent-encoded, or nothing for an empty value.
fn url_query(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

fn published() -> ClarificationFilter {
    ClarificationFilter { status: Some(ClarificationStatus::Published), ..ClarificationFilter::default() }
}

/// `/cek-fakta`: published clarifications, newest first, a page at a time from the store's index; with
/// `?q=` those that match the query by the analysis the matcher uses, from the search index.
/// `/`: the public site's front page is the list of clarifications with its search box.
pub async fn home() -> Redirect {
    Redirect::to("/cek-fakta")
}

pub async fn list(
    State(state): State<AppState>,
    request: HeaderMap,
    Params(q): Params<ListQuery>,
) -> Result<Response, Problem> {
    let query: String = q.q.unwrap_or_default().trim().chars().take(MAX_QUERY_CHARS).collect();
    let page = q.page.unwrap_or(1).max(1);
    let (found, last_modified) = if query.is_empty() {
        state
            .pool
            .run(move |s| {
                let total = s.count_clarifications(&published())?;
                let Ok(offset) = page_start(page, total) else {
                    return Ok((Found { total, page: Vec::new() }, None));
                };
                let listed = s.list_clarifications(&published(), PAGE_SIZE, offset)?.iter().map(Listed::of).collect();
                Ok((Found { total, page: listed }, s.last_published_change()?))
            })
            .await?
    } else {
        let offset = (page - 1).saturating_mul(PAGE_SIZE);
        let found = state.search.search(&state.pool, &query, offset, PAGE_SIZE).await?;
        (found, state.pool.run(|s| s.last_published_change()).await?)
    };
    let offset = page_start(page, found.total)?;
    let more = offset + (found.page.len() as u64) < found.total;
    let site = &state.config.response.site;
    let description =
        format!("Klarifikasi resmi {} atas hoaks yang beredar, lengkap dengan sumbernya.", site.organisation);
    let html = ListPage {
        organisation: &site.organisation,
        preview: LinkPreview::website(site, "/cek-fakta", "Cek fakta", description),
        query: &query,
        results: found.page.into_iter().map(Summary::of).collect(),
        total: found.total,
        page,
        next: more.then(|| page_link(&query, page + 1)),
        previous: (page > 1).then(|| page_link(&query, page - 1)),
    }
    .render();
    page_response(&request, html, last_modified)
}

#[derive(Template)]
#[template(path = "cek_fakta.html")]
struct ClarificationPage<'a> {
    organisation: &'a str,
    preview: LinkPreview,
    c: &'a Clarification,
    rating: &'static str,
    published_at: String,
    body_html: String,
    corrections: Vec<(String, &'a str)>,
    /// The ClaimReview, escaped for a `<script>` data block.
    json_ld: String,
}

/// `/cek-fakta/{slug}`: a published clarification with its open corrections and its ClaimReview.
pub async fn clarification(
    State(state): State<AppState>,
    request: HeaderMap,
    Ids(slug): Ids<String>,
) -> Result<Response, Problem> {
    let site = state.config.response.site.clone();
    let lookup = slug.clone();
    let found = state
        .pool
        .run(move |s| {
            let Some(c) = s.clarification_by_slug(&lookup)?.filter(|c| c.status == ClarificationStatus::Published)
            else {
                return Ok(None);
            };
            let review = review_of(s, &c, &site)?;
            // The page shows the case's items as the claim's appearances.
            let case_changed = s.case(c.case_id)?.map(|case| case.updated_at);
            Ok(Some((c, review, case_changed)))
        })
        .await?;
    let (c, review, case_changed) =
        found.ok_or_else(|| Problem::not_found(format!("no published clarification at {slug}")))?;
    let html = ClarificationPage {
        organisation: &state.config.response.site.organisation,
        preview: LinkPreview::article(&c, &state.config.response.site),
        rating: rating_scale(c.rating).1,
        published_at: c.published_at.as_ref().map(wib).unwrap_or_default(),
        body_html: c.body_html(),
        corrections: c.corrections.iter().map(|k| (wib(&k.at), k.reason.as_str())).collect(),
        json_ld: script_json(&review),
        c: &c,
    }
    .render();
    page_response(&request, html, case_changed.max(Some(c.updated_at)))
}

/// `/cek-fakta/feed.atom`: the latest published clarifications, newest first.
pub async fn feed(State(state): State<AppState>, request: HeaderMap) -> Result<Response, Problem> {
    let (latest, last_modified) = state
        .pool
        .run(move |s| Ok((s.list_clarifications(&published(), FEED_SIZE, 0)?, s.last_published_change()?)))
        .await?;
    let body = atom_feed(&latest, &state.config.response.site, state.clock.now());
    Ok(respond(&request, Public { content_type: "application/atom+xml; charset=utf-8", body, last_modified }))
}

#[derive(Template)]
#[template(path = "transparansi.html")]
struct TransparencyPage<'a> {
    organisation: &'a str,
    preview: LinkPreview,
    delay_days: u32,
    shown_until: String,
    figures: Vec<PlatformFigures>,
    entries: Vec<(String, TransparencyEntry)>,
    next: Option<String>,
    previous: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TransparencyQuery {
    period: Option<Period>,
    /// From 1.
    page: Option<u64>,
}

pub(crate) fn median_text(seconds: &Option<i64>) -> String {
    match seconds {
        None => "–".to_string(),
        Some(s) if *s < 3600 => format!("{} menit", s / 60),
        Some(s) => format!("{:.1} jam", *s as f64 / 3600.0),
    }
}

/// `/transparansi`: the public log of takedown requests and the figures per platform and period.
pub async fn transparency(
    State(state): State<AppState>,
    request: HeaderMap,
    Params(q): Params<TransparencyQuery>,
) -> Result<Response, Problem> {
    let page = q.page.unwrap_or(1).max(1);
    let period = q.period.unwrap_or_default();
    let log = transparency_log(&state, period, PAGE_SIZE, (page - 1).saturating_mul(PAGE_SIZE)).await?;
    page_start(page, log.total)?;
    let more = page.saturating_mul(PAGE_SIZE) < log.total;
    let link = |p: u64| match period {
        Period::Month => format!("/transparansi?page={p}"),
        other => format!("/transparansi?period={}&page={p}", other.as_str()),
    };
    let site = &state.config.response.site;
    let description = "Log publik permohonan pemutusan akses kepada platform dan tindak lanjutnya, per platform dan \
                       periode."
        .to_string();
    let html = TransparencyPage {
        organisation: &site.organisation,
        preview: LinkPreview::website(site, "/transparansi", "Transparansi pemutusan akses", description),
        delay_days: log.delay_days,
        shown_until: wib(&log.shown_until),
        figures: log.figures,
        entries: log.entries.into_iter().map(|e| (wib(&e.sent_at), e)).collect(),
        next: more.then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
    }
    .render();
    page_response(&request, html, None)
}
