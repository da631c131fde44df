//! The public pages, server-rendered in Indonesian for anyone without an account: published
//! clarifications (`/cek-fakta`, searchable, with one ClaimReview JSON-LD block each and an Atom feed)
//! and the transparency log of takedown requests (`/transparansi`). Templates are askama's, escaped at
//! compile time; nothing on a page runs script (the JSON-LD block is data, not executed).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tangkal_response::claimreview::{atom_feed, rating_scale, script_json};
use tangkal_response::clarification::{Clarification, ClarificationStatus};
use tangkal_response::transparency::{Period, PlatformFigures, TransparencyEntry};
use tangkal_store::ClarificationFilter;
use tangkal_text::Analyzer;

use crate::api::clarifications::review_of;
use crate::api::takedowns::{transparency_log, wib};
use crate::api::{Ids, Params};
use crate::{AppState, Problem};

/// Public pages may be cached briefly by browsers and proxies; a correction shows within a minute.
const PUBLIC_CACHE: &str = "public, max-age=60";
const PAGE_SIZE: u64 = 20;
/// Entries in the Atom feed.
const FEED_SIZE: u64 = 50;

fn page_response(html: Result<String, askama::Error>) -> Result<Response, Problem> {
    let html = html.map_err(Problem::internal)?;
    Ok(([(header::CACHE_CONTROL, PUBLIC_CACHE)], Html(html)).into_response())
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
    fn of(c: &Clarification) -> Summary {
        Summary {
            slug: c.slug.clone(),
            title: c.title.clone(),
            claim: c.claim.clone(),
            rating: rating_scale(c.rating).1,
            published_at: c.published_at.as_ref().map(wib).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "cek_fakta_list.html")]
struct ListPage<'a> {
    organisation: &'a str,
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

/// `/cek-fakta`: published clarifications, newest first, or with `?q=` those that match the query by
/// the analysis the matcher uses (informal spelling normalised, Sastrawi stems, stop words left out).
pub async fn list(State(state): State<AppState>, Params(q): Params<ListQuery>) -> Result<Response, Problem> {
    let query: String = q.q.unwrap_or_default().trim().chars().take(MAX_QUERY_CHARS).collect();
    let page = q.page.unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(PAGE_SIZE);
    let published =
        ClarificationFilter { status: Some(ClarificationStatus::Published), ..ClarificationFilter::default() };
    let (total, results) = if query.is_empty() {
        state
            .pool
            .run(move |s| {
                Ok((s.count_clarifications(&published)?, s.list_clarifications(&published, PAGE_SIZE, offset)?))
            })
            .await?
    } else {
        let all = state.pool.run(move |s| s.list_clarifications(&published, i64::MAX as u64, 0)).await?;
        let found = state.search.search(&query, all);
        let total = found.len() as u64;
        (total, found.into_iter().skip(offset as usize).take(PAGE_SIZE as usize).collect())
    };
    let more = offset + (results.len() as u64) < total;
    let html = ListPage {
        organisation: &state.config.response.site.organisation,
        query: &query,
        results: results.iter().map(Summary::of).collect(),
        total,
        page,
        next: more.then(|| page_link(&query, page + 1)),
        previous: (page > 1).then(|| page_link(&query, page - 1)),
    }
    .render();
    page_response(html)
}

/// Content stems of published clarifications, kept while their text is unchanged, so a search analyses
/// only the query and what changed since the last one.
#[derive(Default)]
pub struct SearchIndex {
    stems: Mutex<HashMap<i64, Analysed>>,
}

/// A clarification's content stems as of its last change.
struct Analysed {
    updated_at: DateTime<Utc>,
    stems: Arc<HashSet<String>>,
}

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);

fn content_stems(text: &str) -> HashSet<String> {
    ANALYZER.analyze(text).content_stems().into_iter().map(str::to_string).collect()
}

impl SearchIndex {
    fn stems_of(&self, c: &Clarification) -> Arc<HashSet<String>> {
        let mut cache = self.stems.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = cache.get(&c.id).filter(|known| known.updated_at == c.updated_at) {
            return known.stems.clone();
        }
        let stems = Arc::new(content_stems(&format!("{}\n{}\n{}", c.title, c.claim, c.body_markdown)));
        cache.insert(c.id, Analysed { updated_at: c.updated_at, stems: stems.clone() });
        stems
    }

    /// The clarifications holding at least half of the query's content stems, most matched first
    /// (then newest first, the order they come in).
    pub fn search(&self, query: &str, clarifications: Vec<Clarification>) -> Vec<Clarification> {
        let wanted = content_stems(query);
        if wanted.is_empty() {
            return Vec::new();
        }
        let needed = wanted.len().div_ceil(2);
        let mut scored: Vec<(usize, Clarification)> = clarifications
            .into_iter()
            .filter_map(|c| {
                let stems = self.stems_of(&c);
                let hits = wanted.iter().filter(|w| stems.contains(*w)).count();
                (hits >= needed).then_some((hits, c))
            })
            .collect();
        // Stable: equal scores keep the store's newest-first order.
        scored.sort_by_key(|(hits, _)| std::cmp::Reverse(*hits));
        scored.into_iter().map(|(_, c)| c).collect()
    }
}

#[derive(Template)]
#[template(path = "cek_fakta.html")]
struct ClarificationPage<'a> {
    organisation: &'a str,
    c: &'a Clarification,
    rating: &'static str,
    published_at: String,
    body_html: String,
    corrections: Vec<(String, &'a str)>,
    /// The ClaimReview, escaped for a `<script>` data block.
    json_ld: String,
}

/// `/cek-fakta/{slug}`: a published clarification with its open corrections and its ClaimReview.
pub async fn clarification(State(state): State<AppState>, Ids(slug): Ids<String>) -> Result<Response, Problem> {
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
            Ok(Some((c, review)))
        })
        .await?;
    let (c, review) = found.ok_or_else(|| Problem::not_found(format!("no published clarification at {slug}")))?;
    let html = ClarificationPage {
        organisation: &state.config.response.site.organisation,
        rating: rating_scale(c.rating).1,
        published_at: c.published_at.as_ref().map(wib).unwrap_or_default(),
        body_html: c.body_html(),
        corrections: c.corrections.iter().map(|k| (wib(&k.at), k.reason.as_str())).collect(),
        json_ld: script_json(&review),
        c: &c,
    }
    .render();
    page_response(html)
}

/// `/cek-fakta/feed.atom`: the latest published clarifications, newest first.
pub async fn feed(State(state): State<AppState>) -> Result<Response, Problem> {
    let published =
        ClarificationFilter { status: Some(ClarificationStatus::Published), ..ClarificationFilter::default() };
    let latest = state.pool.run(move |s| s.list_clarifications(&published, FEED_SIZE, 0)).await?;
    let xml = atom_feed(&latest, &state.config.response.site, state.clock.now());
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"), (header::CACHE_CONTROL, PUBLIC_CACHE)], xml)
        .into_response())
}

#[derive(Template)]
#[template(path = "transparansi.html")]
struct TransparencyPage<'a> {
    organisation: &'a str,
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
    Params(q): Params<TransparencyQuery>,
) -> Result<Response, Problem> {
    let page = q.page.unwrap_or(1).max(1);
    let log =
        transparency_log(&state, q.period.unwrap_or_default(), PAGE_SIZE, (page - 1).saturating_mul(PAGE_SIZE)).await?;
    let more = log.entries.len() as u64 == PAGE_SIZE;
    let link = |p: u64| format!("/transparansi?page={p}");
    let html = TransparencyPage {
        organisation: &state.config.response.site.organisation,
        delay_days: log.delay_days,
        shown_until: wib(&log.shown_until),
        figures: log.figures,
        entries: log.entries.into_iter().map(|e| (wib(&e.sent_at), e)).collect(),
        next: more.then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
    }
    .render();
    page_response(html)
}
