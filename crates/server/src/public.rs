//! The public pages for anyone without an account: published clarifications (`/cek-fakta`, searchable
//! and filtered by rating, topic and publication date, with one ClaimReview JSON-LD block each and an
//! Atom feed) and the transparency log of takedown requests (`/transparansi`). The handlers fill the
//! view models of `tangkal_web::pages::public`, in the reader's language (the desk's `tangkal_lang`
//! cookie, Indonesian by default), which render them with the shared stylesheet and no script (the
//! JSON-LD block is data, not executed). Each page carries Open Graph and Twitter-card tags, so a link
//! shared on WhatsApp shows its label and title, and every page links the feed in its head.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use tangkal_cases::Rating;
use tangkal_response::claimreview::SiteConfig;
use tangkal_response::claimreview::{atom_feed, script_json};
use tangkal_response::clarification::{
    label, lead, plain_text, without_labels, Clarification, ClarificationStatus, Topic,
};
use tangkal_response::transparency::{Period, PlatformFigures};
use tangkal_store::{ClarificationFilter, ReaderFilter};
use tangkal_web::chart::{ChartData, Series};
use tangkal_web::pages::public::{
    ArticlePage, CorrectionRow, LinkPreview, ListFilters, ListPage, Paging, SourceLink, Summary, Table, TableRow,
    TransparencyPage,
};
use tangkal_web::pages::FormError;
use tangkal_web::{format, Choice, Chrome, Lang, NavLink};

use crate::api::clarifications::review_of;
use crate::api::takedowns::transparency_log;
use crate::api::{Ids, Params};
use crate::caching::{respond, Public};
use crate::desk::{lang_of, lang_switch, rating_tag};
use crate::search::{Found, Listed};
use crate::views::DEFAULT_TIME_ZONE;
use crate::{AppState, Problem};

const HTML: &str = "text/html; charset=utf-8";
const PAGE_SIZE: u64 = 20;
/// Entries in the Atom feed.
const FEED_SIZE: u64 = 50;

/// The public pages' policy: the embedded stylesheet and icon, nothing else; no script (the ClaimReview
/// block is data, which the policy does not govern), forms posting only here, never framed.
pub const PUBLIC_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the public policy and says that the page depends on the language cookie, so that no cache
/// hands one reader's language to another.
fn public_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PUBLIC_CONTENT_SECURITY_POLICY));
    headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
}

/// A rendered public page with the validators of what it shows (cacheable for a minute).
fn page_response(
    request: &HeaderMap,
    html: Result<String, askama::Error>,
    last_modified: Option<DateTime<Utc>>,
) -> Result<Response, Problem> {
    let mut response =
        respond(request, Public { content_type: HTML, body: html.map_err(Problem::internal)?, last_modified });
    public_headers(&mut response);
    Ok(response)
}

/// A rendered public page that is not kept (a form, a report's status).
pub(crate) fn uncached_page(status: StatusCode, html: Result<String, askama::Error>) -> Result<Response, Problem> {
    let mut response = (status, [(header::CONTENT_TYPE, HTML)], html.map_err(Problem::internal)?).into_response();
    public_headers(&mut response);
    Ok(response)
}

/// The public header: the site's three places, the current one marked, and the language switch back
/// to `here` (its path and query).
pub(crate) fn public_chrome(state: &AppState, lang: Lang, title: String, here: &str) -> Chrome {
    let mut chrome = Chrome::new(title, state.config.response.site.organisation.clone(), lang_switch(lang, here));
    chrome.drill = crate::desk::drill_banner(state, lang);
    let path = here.split('?').next().unwrap_or(here);
    chrome.nav = [
        ("/cek-fakta", "public.nav_factchecks"),
        ("/lapor", "public.nav_report"),
        ("/transparansi", "public.nav_transparency"),
    ]
    .into_iter()
    .map(|(href, key)| NavLink {
        href: href.into(),
        label: lang.t(key).into(),
        current: path == href || path.starts_with(&format!("{href}/")),
    })
    .collect();
    chrome
}

/// Where page `page` of `total` entries starts, or 404 past the last page (page 1 always exists).
fn page_start(page: u64, total: u64) -> Result<u64, Problem> {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(Problem::not_found(format!("page {page}: there are {pages} pages")));
    }
    Ok((page - 1) * PAGE_SIZE)
}

/// "Halaman 2 dari 5" with links to the neighbours, made by `link` from a page number.
fn paging(page: u64, total: u64, lang: Lang, link: impl Fn(u64) -> String) -> Paging {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    Paging {
        label: lang
            .fill("public.page_of", &[("page", &format::number(page, lang)), ("pages", &format::number(pages, lang))]),
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    }
}

/// Characters of a link preview's description: what WhatsApp and others show under the title.
const PREVIEW_CHARS: usize = 200;

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

/// A clarification's body as plain words, or its claim when the body has none.
fn plain_body(c: &Clarification) -> String {
    let body = plain_text(&c.body_markdown);
    if body.is_empty() {
        c.claim.clone()
    } else {
        body
    }
}

/// A clarification as shared: its labelled title, the first sentences of its body, its address and when
/// it was published and last corrected.
fn article(c: &Clarification, site: &SiteConfig) -> LinkPreview {
    LinkPreview {
        kind: "article",
        title: c.title.clone(),
        description: lead(&plain_body(c), PREVIEW_CHARS),
        url: site.clarification_url(&c.slug),
        published: c.published_at.map(|t| t.to_rfc3339()),
        modified: c.modified_at().filter(|t| Some(*t) != c.published_at).map(|t| t.to_rfc3339()),
    }
}

/// A rating as the filter names it: its label, words joined by `_` (`TIDAK_TERBUKTI`), as the
/// catalogues and the API's JSON name it.
fn rating_code(rating: Rating) -> String {
    label(rating).replace(' ', "_")
}

fn topic_name(topic: Topic, lang: Lang) -> String {
    lang.t(&format!("topic.{}", topic.as_str())).to_string()
}

fn summary(c: Listed, lang: Lang) -> Summary {
    Summary {
        href: format!("/cek-fakta/{}", c.slug),
        rating: rating_tag(c.rating, lang),
        title: without_labels(&c.title).to_string(),
        claim: c.claim,
        topic: c.topic.map(|t| topic_name(t, lang)),
        published: format::medium_date_time(c.published_at, DEFAULT_TIME_ZONE, lang),
        published_iso: c.published_at.to_rfc3339(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    /// From 1.
    page: Option<u64>,
    /// A rating's label, words joined by `_`: `HOAKS`, `TIDAK_TERBUKTI`.
    rating: Option<String>,
    /// `pemilu`, `kesehatan`, …
    topic: Option<String>,
    /// Published on or after this day (`YYYY-MM-DD`, in Western Indonesian Time).
    from: Option<String>,
    /// Published on or before this day.
    to: Option<String>,
}

/// Queries longer than this are cut: a search box, not a document.
const MAX_QUERY_CHARS: usize = 200;

/// The filters as read. A value that cannot be read is left out and named in `unread` (the field's id on
/// the form and its label key, with what was sent), so the page still lists, says what it ignored, and
/// keeps the value in the form to be corrected: a reader's typo is no reason for an error page.
#[derive(Debug, Default)]
struct Filters {
    query: String,
    reader: ReaderFilter,
    /// The values in force, as the links to other pages carry them.
    kept: Vec<(&'static str, String)>,
    unread: Vec<(&'static str, &'static str, String)>,
    /// From and to were both read, but from falls after to: the range is left out.
    reversed: bool,
}

/// The start of `day` in Western Indonesian Time, where the public site's dates are read.
fn day_start(day: NaiveDate) -> Option<DateTime<Utc>> {
    DEFAULT_TIME_ZONE.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).single().map(|t| t.with_timezone(&Utc))
}

fn read_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

impl Filters {
    fn read(q: &ListQuery) -> Filters {
        let mut f = Filters {
            query: q.q.as_deref().unwrap_or_default().trim().chars().take(MAX_QUERY_CHARS).collect(),
            ..Filters::default()
        };
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        if let Some(raw) = given(&q.rating) {
            match Rating::ALL.into_iter().find(|r| rating_code(*r) == raw) {
                Some(rating) => {
                    f.reader.rating = Some(rating);
                    f.kept.push(("rating", raw));
                }
                None => f.unread.push(("filter-rating", "public.rating", raw)),
            }
        }
        if let Some(raw) = given(&q.topic) {
            match Topic::parse(&raw) {
                Some(topic) => {
                    f.reader.topic = Some(topic);
                    f.kept.push(("topic", raw));
                }
                None => f.unread.push(("filter-topic", "public.topic", raw)),
            }
        }
        let from = given(&q.from).map(|raw| (read_day(&raw).and_then(day_start), raw));
        let to = given(&q.to).map(|raw| (read_day(&raw).and_then(|d| d.succ_opt()).and_then(day_start), raw));
        for (value, field, key) in [(&from, "filter-from", "public.from"), (&to, "filter-to", "public.to")] {
            if let Some((None, raw)) = value {
                f.unread.push((field, key, raw.clone()));
            }
        }
        let (from, to) = (from.and_then(|(t, raw)| Some((t?, raw))), to.and_then(|(t, raw)| Some((t?, raw))));
        if let (Some((start, _)), Some((end, _))) = (&from, &to) {
            if start >= end {
                f.reversed = true;
                return f;
            }
        }
        if let Some((start, raw)) = from {
            f.reader.published_from = Some(start);
            f.kept.push(("from", raw));
        }
        if let Some((end, raw)) = to {
            f.reader.published_before = Some(end);
            f.kept.push(("to", raw));
        }
        f
    }

    /// `/cek-fakta` with the query, the filters in force and the page.
    fn link(&self, page: u64) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("q", self.query.clone())];
        pairs.extend(self.kept.iter().cloned());
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let encoded: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
            .collect();
        match encoded.is_empty() {
            true => "/cek-fakta".to_string(),
            false => format!("/cek-fakta?{}", encoded.join("&")),
        }
    }

    /// What the form says was left out, linking to the first field concerned.
    fn error(&self, lang: Lang) -> Option<FormError> {
        let mut sentences = Vec::new();
        if !self.unread.is_empty() {
            let fields: Vec<String> = self
                .unread
                .iter()
                .map(|(_, key, raw)| lang.fill("public.invalid_value", &[("field", lang.t(key)), ("value", raw)]))
                .collect();
            sentences.push(lang.fill("public.invalid_filters", &[("fields", &fields.join(", "))]));
        }
        if self.reversed {
            let labels = [("from_label", lang.t("public.from")), ("to_label", lang.t("public.to"))];
            sentences.push(lang.fill("public.dates_reversed", &labels));
        }
        let field = self.unread.first().map_or("filter-from", |(field, ..)| field);
        (!sentences.is_empty()).then(|| FormError { field: field.to_string(), message: sentences.join(" ") })
    }

    fn narrowed(&self) -> bool {
        !self.query.is_empty() || !self.reader.is_empty() || !self.unread.is_empty() || self.reversed
    }

    /// The form as the reader filled it in: choices marked, unread dates kept as typed.
    fn form(&self, q: &ListQuery, lang: Lang) -> ListFilters {
        let sent = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_string();
        ListFilters {
            query: self.query.clone(),
            ratings: Rating::ALL
                .into_iter()
                .map(|r| {
                    let code = rating_code(r);
                    Choice::new(code.clone(), lang.t(&format!("rating.{code}")), self.reader.rating == Some(r))
                })
                .collect(),
            topics: Topic::ALL
                .into_iter()
                .map(|t| Choice::new(t.as_str(), topic_name(t, lang), self.reader.topic == Some(t)))
                .collect(),
            from: sent(&q.from),
            to: sent(&q.to),
        }
    }
}

/// `/`: the public site's front page is the list of clarifications with its search box.
pub async fn home() -> Redirect {
    Redirect::to("/cek-fakta")
}

/// `/cek-fakta`: published clarifications, newest first, a page at a time from the store's indexes; with
/// `?q=` those that match the query by the analysis the matcher uses, from the search index. Both apply
/// the reader's filters (rating, topic, publication dates) before paging.
pub async fn list(
    State(state): State<AppState>,
    request: HeaderMap,
    Params(q): Params<ListQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&request);
    let filters = Filters::read(&q);
    let page = q.page.unwrap_or(1).max(1);
    let reader = filters.reader;
    let (found, last_modified) = if filters.query.is_empty() {
        let filter = ClarificationFilter { status: Some(ClarificationStatus::Published), reader, ..Default::default() };
        state
            .pool
            .run(move |s| {
                let total = s.count_clarifications(&filter)?;
                let Ok(offset) = page_start(page, total) else {
                    return Ok((Found { total, page: Vec::new() }, None));
                };
                let listed = s.list_clarifications(&filter, PAGE_SIZE, offset)?.iter().map(Listed::of).collect();
                Ok((Found { total, page: listed }, s.last_published_change()?))
            })
            .await?
    } else {
        let offset = (page - 1).saturating_mul(PAGE_SIZE);
        let found = state.search.search(&state.pool, &filters.query, &reader, offset, PAGE_SIZE).await?;
        (found, state.pool.run(|s| s.last_published_change()).await?)
    };
    page_start(page, found.total)?;
    let site = &state.config.response.site;
    let n = format::number(found.total, lang);
    let count = if !filters.query.is_empty() {
        lang.fill("public.count_found", &[("n", &n), ("query", &filters.query)])
    } else if filters.reader.is_empty() {
        lang.fill("public.count_all", &[("n", &n)])
    } else {
        lang.fill("public.count_filtered", &[("n", &n)])
    };
    let here = filters.link(page);
    let description = lang.fill("public.list_description", &[("organisation", &site.organisation)]);
    let html = ListPage {
        lang,
        chrome: public_chrome(&state, lang, lang.t("public.list_title").to_string(), &here),
        preview: Some(website(site, "/cek-fakta", lang.t("public.list_title"), description)),
        filters: filters.form(&q, lang),
        error: filters.error(lang),
        count,
        narrowed: filters.narrowed(),
        results: found.page.into_iter().map(|c| summary(c, lang)).collect(),
        paging: paging(page, found.total, lang, |p| filters.link(p)),
    }
    .render();
    page_response(&request, html, last_modified)
}

/// `/cek-fakta/{slug}`: a published clarification, its label first, with its open corrections and its
/// ClaimReview.
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
    let lang = lang_of(&request);
    let site = &state.config.response.site;
    let when = |t: DateTime<Utc>| format::medium_date_time(t, DEFAULT_TIME_ZONE, lang);
    let body = plain_body(&c);
    let short = lead(&body, PREVIEW_CHARS);
    let published = c.published_at.unwrap_or(c.updated_at);
    let html = ArticlePage {
        lang,
        chrome: public_chrome(&state, lang, c.title.clone(), &format!("/cek-fakta/{}", c.slug)),
        preview: Some(article(&c, site)),
        rating: rating_tag(c.rating, lang),
        title: without_labels(&c.title).to_string(),
        claim: c.claim.clone(),
        short_answer: (short.len() < body.len()).then_some(short),
        topic: c.topic.map(|t| (topic_name(t, lang), format!("/cek-fakta?topic={}", t.as_str()))),
        published: when(published),
        published_iso: published.to_rfc3339(),
        body_html: c.body_html(),
        sources: c.sources.iter().map(|s| SourceLink { title: s.title.clone(), url: s.url.clone() }).collect(),
        corrections: c
            .corrections
            .iter()
            .map(|k| CorrectionRow { at: when(k.at), at_iso: k.at.to_rfc3339(), reason: k.reason.clone() })
            .collect(),
        json_ld: script_json(&review),
    }
    .render();
    page_response(&request, html, case_changed.max(Some(c.updated_at)))
}

/// `/cek-fakta/feed.atom`: the latest published clarifications, newest first.
pub async fn feed(State(state): State<AppState>, request: HeaderMap) -> Result<Response, Problem> {
    let (latest, last_modified) = state
        .pool
        .run(move |s| {
            let published = ClarificationFilter { status: Some(ClarificationStatus::Published), ..Default::default() };
            Ok((s.list_clarifications(&published, FEED_SIZE, 0)?, s.last_published_change()?))
        })
        .await?;
    let body = atom_feed(&latest, &state.config.response.site, state.clock.now());
    Ok(respond(&request, Public { content_type: "application/atom+xml; charset=utf-8", body, last_modified }))
}

#[derive(Debug, Default, Deserialize)]
pub struct TransparencyQuery {
    period: Option<Period>,
    /// From 1.
    page: Option<u64>,
}

/// "2 jam 0 mnt", or a dash when nothing was complied with.
fn median_text(seconds: Option<i64>, lang: Lang) -> String {
    seconds.map_or_else(|| "–".to_string(), |s| format::duration(s, lang))
}

/// The two charts of the figures, summed over the periods shown, one column per platform: requests,
/// and URLs complied with stacked on those not (yet) complied with, which together are those requested.
fn charts(figures: &[PlatformFigures], lang: Lang) -> Result<Vec<String>, Problem> {
    let mut platforms: Vec<&str> = figures.iter().map(|f| f.platform.as_str()).collect();
    platforms.sort_unstable();
    platforms.dedup();
    let sum = |platform: &str, value: fn(&PlatformFigures) -> u64| -> u64 {
        figures.iter().filter(|f| f.platform == platform).map(value).sum()
    };
    let values = |value: fn(&PlatformFigures) -> u64| platforms.iter().map(|p| sum(p, value)).collect();
    let chart = |title: &str, series: Vec<Series>| ChartData {
        title: lang.t(title).to_string(),
        period_heading: lang.t("public.col_platform").to_string(),
        periods: platforms.iter().map(|p| p.to_string()).collect(),
        series,
    };
    let requests = chart(
        "public.chart_requests",
        vec![Series { name: lang.t("public.series_requests").into(), values: values(|f| f.requests) }],
    );
    let urls = chart(
        "public.chart_urls",
        vec![
            Series { name: lang.t("public.series_complied").into(), values: values(|f| f.complied) },
            Series {
                name: lang.t("public.series_not_complied").into(),
                values: values(|f| f.requested.saturating_sub(f.complied)),
            },
        ],
    );
    [requests.render("chart-requests", lang), urls.render("chart-urls", lang)]
        .into_iter()
        .map(|html| html.map_err(Problem::internal))
        .collect()
}

fn columns(lang: Lang, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| lang.t(&format!("public.col_{k}")).to_string()).collect()
}

/// `/transparansi`: the public log of takedown requests and the figures per platform and period, drawn
/// and tabled.
pub async fn transparency(
    State(state): State<AppState>,
    request: HeaderMap,
    Params(q): Params<TransparencyQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&request);
    let page = q.page.unwrap_or(1).max(1);
    let period = q.period.unwrap_or_default();
    let log = transparency_log(&state, period, PAGE_SIZE, (page - 1).saturating_mul(PAGE_SIZE)).await?;
    page_start(page, log.total)?;
    let link = |p: u64| match (period, p) {
        (Period::Month, 1) => "/transparansi".to_string(),
        (Period::Month, p) => format!("/transparansi?page={p}"),
        (other, p) => format!("/transparansi?period={}&page={p}", other.as_str()),
    };
    let number = |n: u64| format::number(n, lang);
    let figures = Table {
        caption: lang.t("public.figures_caption").into(),
        columns: columns(lang, &["period", "platform", "requests", "requested", "complied", "median"]),
        numbers_from: 2,
        rows: log
            .figures
            .iter()
            .map(|f| TableRow {
                cells: vec![
                    f.period.clone(),
                    f.platform.clone(),
                    number(f.requests),
                    number(f.requested),
                    number(f.complied),
                    median_text(f.median_seconds_to_comply, lang),
                ],
                link: None,
            })
            .collect(),
        link_heading: None,
    };
    let entries = Table {
        caption: lang.t("public.entries_caption").into(),
        columns: columns(
            lang,
            &[
                "reference",
                "platform",
                "sent",
                "legal_basis",
                "urls",
                "removed",
                "restricted",
                "rejected",
                "not_found",
                "pending",
                "hosts",
            ],
        ),
        numbers_from: 4,
        rows: log
            .entries
            .iter()
            .map(|e| TableRow {
                cells: vec![
                    e.reference.clone(),
                    e.platform.clone(),
                    format::medium_date_time(e.sent_at, DEFAULT_TIME_ZONE, lang),
                    e.legal_basis.clone(),
                    number(e.url_count),
                    number(e.outcomes.removed),
                    number(e.outcomes.restricted),
                    number(e.outcomes.rejected),
                    number(e.outcomes.not_found),
                    number(e.outcomes.pending),
                    e.hosts.join(", "),
                ],
                link: e.clarification_url.clone().map(|url| (lang.t("public.clarification_link").to_string(), url)),
            })
            .collect(),
        link_heading: Some(lang.t("public.col_clarification").into()),
    };
    let site = &state.config.response.site;
    let title = lang.t("public.transparency_title");
    let intro = lang.fill(
        "public.transparency_intro",
        &[
            ("days", &log.delay_days.to_string()),
            ("until", &format::medium_date_time(log.shown_until, DEFAULT_TIME_ZONE, lang)),
        ],
    );
    let html = TransparencyPage {
        lang,
        chrome: public_chrome(&state, lang, title.to_string(), &link(page)),
        preview: Some(website(site, "/transparansi", title, lang.t("public.transparency_description").into())),
        intro,
        periods: [Period::Month, Period::Quarter, Period::Year]
            .into_iter()
            .map(|p| Choice::new(p.as_str(), lang.t(&format!("public.period_{}", p.as_str())), p == period))
            .collect(),
        charts: charts(&log.figures, lang)?,
        tables: vec![figures, entries],
        paging: paging(page, log.total, lang, link),
    }
    .render();
    page_response(&request, html, None)
}

/// Keys the public pages build at run time, for the catalogue test.
#[cfg(test)]
pub(crate) fn dynamic_keys() -> Vec<String> {
    let mut keys: Vec<String> = Topic::ALL.iter().map(|t| format!("topic.{}", t.as_str())).collect();
    keys.extend(crate::lapor::dynamic_keys());
    keys.extend(Rating::ALL.iter().map(|r| format!("rating.{}", rating_code(*r))));
    keys.extend(["month", "quarter", "year"].iter().map(|p| format!("public.period_{p}")));
    keys.extend(
        [
            "period",
            "platform",
            "requests",
            "requested",
            "complied",
            "median",
            "reference",
            "sent",
            "legal_basis",
            "urls",
            "removed",
            "restricted",
            "rejected",
            "not_found",
            "pending",
            "hosts",
            "clarification",
        ]
        .iter()
        .map(|c| format!("public.col_{c}")),
    );
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        let mut q = ListQuery::default();
        for (name, value) in pairs {
            let value = Some(value.to_string());
            match *name {
                "q" => q.q = value,
                "rating" => q.rating = value,
                "topic" => q.topic = value,
                "from" => q.from = value,
                "to" => q.to = value,
                other => panic!("{other}"),
            }
        }
        q
    }

    #[test]
    fn filters_are_read_kept_in_links_and_unreadable_ones_named() {
        let f = Filters::read(&query(&[
            ("q", " surat suara "),
            ("rating", "TIDAK_TERBUKTI"),
            ("topic", "pemilu"),
            ("from", "2026-03-01"),
            ("to", "2026-03-31"),
        ]));
        assert_eq!(f.reader.rating, Some(Rating::TidakTerbukti));
        assert_eq!(f.reader.topic, Some(Topic::Pemilu));
        // Days are Western Indonesian Time: 1 March starts at 17.00 UTC the day before; `to` takes its whole day.
        assert_eq!(f.reader.published_from.unwrap().to_rfc3339(), "2026-02-28T17:00:00+00:00");
        assert_eq!(f.reader.published_before.unwrap().to_rfc3339(), "2026-03-31T17:00:00+00:00");
        assert_eq!(
            f.link(2),
            "/cek-fakta?q=surat+suara&rating=TIDAK_TERBUKTI&topic=pemilu&from=2026-03-01&to=2026-03-31&page=2"
        );
        assert!(f.error(Lang::Id).is_none() && f.narrowed());

        let bad = Filters::read(&query(&[("rating", "<b>"), ("topic", "cuaca"), ("from", "2026-02-30"), ("to", "")]));
        assert!(bad.reader.is_empty());
        assert_eq!(bad.link(1), "/cek-fakta");
        let error = bad.error(Lang::En).unwrap();
        assert_eq!(error.field, "filter-rating");
        assert!(error.message.contains("Rating «<b>»") && error.message.contains("Topic «cuaca»"), "{error:?}");
        assert!(error.message.contains("Published from «2026-02-30»"), "{error:?}");
        assert_eq!(bad.form(&query(&[("from", "2026-02-30")]), Lang::Id).from, "2026-02-30", "kept as typed");

        let reversed = Filters::read(&query(&[("from", "2026-03-02"), ("to", "2026-03-01")]));
        assert!(reversed.reversed && reversed.reader.is_empty());
        assert!(reversed.error(Lang::Id).unwrap().message.contains("jatuh setelah"));
        let one_day = Filters::read(&query(&[("from", "2026-03-01"), ("to", "2026-03-01")]));
        assert!(!one_day.reversed && one_day.reader.published_from < one_day.reader.published_before);
        assert!(!Filters::read(&ListQuery::default()).narrowed());
    }

    #[test]
    fn every_key_the_public_pages_use_is_in_both_catalogues() {
        for key in dynamic_keys() {
            for lang in Lang::ALL {
                assert!(lang.has(&key), "{key} missing in {}", lang.code());
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for file in ["public.rs", "lapor.rs"] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert_eq!(tangkal_web::unknown_keys(&text), Vec::<String>::new(), "{file}");
        }
    }
}
