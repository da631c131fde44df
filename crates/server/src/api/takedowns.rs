//! Takedown requests to platforms: sending, listing, the platforms' answers, the printable letter and
//! the public transparency log. The rules (who may send, deadlines, which answers may follow which)
//! are `tangkal_response::takedown`'s; this module only speaks HTTP.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tangkal_cases::{Actor, Case, Role};
use tangkal_response::takedown::{
    NewTakedown, Outcome, OutcomeCounts, PlatformContact, RequestState, TakedownChange, TakedownConfig, TakedownRequest,
};
use tangkal_response::transparency::{figures, Period, PlatformFigures, TransparencyEntry};
use tangkal_response::ResponseError;
use tangkal_store::{ClarificationFilter, ResponseUpdate, Store, StoredItem, TakedownCreate, TakedownFilter};
use utoipa::{IntoParams, ToSchema};

use super::{offset, page, Body, Ids, Params};
use crate::auth::Caller;
use crate::{AppState, Problem};

/// A request with where it stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakedownView {
    #[serde(flatten)]
    pub request: TakedownRequest,
    pub state: RequestState,
    pub counts: OutcomeCounts,
}

impl TakedownView {
    pub fn new(request: TakedownRequest, now: DateTime<Utc>) -> TakedownView {
        TakedownView { state: request.state(now), counts: request.counts(), request }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TakedownList {
    /// Requests matching the filter, across all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub takedowns: Vec<TakedownView>,
}

/// Item platforms are written with `_` (`whatsapp_channel`), takedown platforms with `-`.
fn same_platform(item_platform: &str, platform: &str) -> bool {
    item_platform.replace('_', "-").eq_ignore_ascii_case(platform)
}

/// The case's items that are still stored.
pub(crate) fn case_items(store: &dyn Store, case: &Case) -> tangkal_store::Result<Vec<StoredItem>> {
    case.items.iter().filter_map(|&id| store.get_item(id).transpose()).collect()
}

/// The case's item URLs on `platform`, what a request without `urls` lists.
fn case_urls(store: &dyn Store, case: &Case, platform: &str) -> tangkal_store::Result<Vec<String>> {
    let items = case_items(store, case)?;
    Ok(items.into_iter().filter(|item| same_platform(&item.platform, platform)).filter_map(|item| item.url).collect())
}

/// Prepares a request for `case` by the response rules and stores it; a request without `urls` lists the
/// case's item URLs on the platform. The API, the desk's form and `tangkal demo` send through here.
pub fn store_request(
    store: &mut dyn Store,
    case: &Case,
    new: &NewTakedown,
    config: &TakedownConfig,
    actor: &Actor,
    now: DateTime<Utc>,
) -> tangkal_store::Result<Result<TakedownCreate, ResponseError>> {
    let platform = config.platform(&new.platform).unwrap_or_default();
    let urls = case_urls(store, case, &platform)?;
    Ok(match TakedownRequest::prepare(case, new, &urls, config, actor, now) {
        Ok(request) => Ok(store.create_takedown(&request)?),
        Err(refusal) => Err(refusal),
    })
}

/// A case the caller may see, or 404.
pub(crate) async fn visible_case(state: &AppState, caller: &Caller, id: i64) -> Result<Case, Problem> {
    let case = state.pool.run(move |s| s.case(id)).await?;
    case.filter(|c| c.visible_to(&caller.actor())).ok_or_else(|| Problem::not_found(format!("case {id}")))
}

/// Send a takedown request for a case with an approved verdict that is not `BENAR`. Without `urls`,
/// the request lists the case's items on the platform. One request per platform per case: a second is
/// 409 naming the first (add URLs to it instead).
#[utoipa::path(post, path = "/api/v1/cases/{id}/takedowns", tag = "takedowns", request_body = NewTakedown,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 201, body = TakedownView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(new): Body<NewTakedown>,
) -> Result<(StatusCode, Json<TakedownView>), Problem> {
    let request = send(&state, &caller, id, new).await?;
    Ok((StatusCode::CREATED, Json(TakedownView::new(request, state.clock.now()))))
}

/// Sends a takedown request for case `id` as `caller`: the API and the desk's form both come through here.
pub(crate) async fn send(
    state: &AppState,
    caller: &Caller,
    id: i64,
    new: NewTakedown,
) -> Result<TakedownRequest, Problem> {
    let case = visible_case(state, caller, id).await?;
    let (actor, now, config) = (caller.actor(), state.clock.now(), state.config.response.takedown.clone());
    let created = state.pool.run(move |s| store_request(s, &case, &new, &config, &actor, now)).await??;
    match created {
        TakedownCreate::Created(request) => Ok(*request),
        TakedownCreate::Duplicate { id: existing, reference } => Err(Problem::new(
            StatusCode::CONFLICT,
            "duplicate",
            "Already requested / Sudah diminta",
            format!(
                "case {id} already has request {reference} (id {existing}) to this platform: add URLs with \
                 POST /api/v1/takedowns/{existing}/urls"
            ),
        )),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One of the configured takedown platforms. A platform liaison always sees only their own.
    pub platform: Option<String>,
    pub state: Option<RequestState>,
    /// Case id.
    pub case: Option<i64>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// List takedown requests, newest first.
#[utoipa::path(get, path = "/api/v1/takedowns", tag = "takedowns", params(ListQuery),
    responses((status = 200, body = TakedownList), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(q): Params<ListQuery>,
) -> Result<Json<TakedownList>, Problem> {
    let platform = match caller.role {
        // An unbound liaison matches no platform.
        Role::PlatformLiaison => Some(caller.user.platform.clone().unwrap_or_default()),
        _ => q
            .platform
            .map(|p| state.config.response.takedown.platform(&p))
            .transpose()
            .map_err(|e| Problem::bad_request(e.to_string()))?,
    };
    let filter = TakedownFilter { platform, case_id: q.case, state: q.state };
    let (limit, offset, now) = (page(q.limit)?, offset(q.offset)?, state.clock.now());
    let (total, requests) = state
        .pool
        .run(move |s| Ok((s.count_takedowns(&filter, now)?, s.list_takedowns(&filter, now, limit, offset)?)))
        .await?;
    let takedowns = requests.into_iter().map(|r| TakedownView::new(r, now)).collect();
    Ok(Json(TakedownList { total, limit, offset, takedowns }))
}

/// A request the caller may see: another platform's request does not exist for a liaison.
async fn visible(state: &AppState, caller: &Caller, id: i64) -> Result<TakedownRequest, Problem> {
    let request = state.pool.run(move |s| s.takedown(id)).await?;
    request.filter(|r| r.visible_to(&caller.actor())).ok_or_else(|| Problem::not_found(format!("takedown {id}")))
}

/// One request with every URL's outcome and history.
#[utoipa::path(get, path = "/api/v1/takedowns/{id}", tag = "takedowns",
    params(("id" = i64, Path, description = "Takedown request id")),
    responses((status = 200, body = TakedownView), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<Json<TakedownView>, Problem> {
    let request = visible(&state, &caller, id).await?;
    Ok(Json(TakedownView::new(request, state.clock.now())))
}

/// Applies one change to request `id` as `caller`: the API and the desk's forms both come through here.
pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    change: TakedownChange,
) -> Result<TakedownRequest, Problem> {
    let (actor, now) = (caller.actor(), state.clock.now());
    match state.pool.run(move |s| s.update_takedown(id, &change, &actor, now)).await? {
        ResponseUpdate::Done(request) => Ok(*request),
        ResponseUpdate::NotFound => Err(Problem::not_found(format!("takedown {id}"))),
        ResponseUpdate::Refused(refusal) => Err(refusal.into()),
    }
}

async fn change(
    state: &AppState,
    caller: &Caller,
    id: i64,
    change: TakedownChange,
) -> Result<Json<TakedownView>, Problem> {
    let request = update(state, caller, id, change).await?;
    Ok(Json(TakedownView::new(request, state.clock.now())))
}

/// Record the platform's answers: all or none (one bad entry refuses the lot, naming it). A rejection
/// needs the platform's reason in `note`.
#[utoipa::path(post, path = "/api/v1/takedowns/{id}/outcomes", tag = "takedowns", request_body = Vec<Outcome>,
    params(("id" = i64, Path, description = "Takedown request id")),
    responses((status = 200, body = TakedownView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn outcomes(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(outcomes): Body<Vec<Outcome>>,
) -> Result<Json<TakedownView>, Problem> {
    change(&state, &caller, id, TakedownChange::RecordOutcomes(outcomes)).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddUrls {
    pub urls: Vec<String>,
}

/// Add URLs to a sent request; each new one gets its own full window from now. URLs already in the
/// request are left as they are.
#[utoipa::path(post, path = "/api/v1/takedowns/{id}/urls", tag = "takedowns", request_body = AddUrls,
    params(("id" = i64, Path, description = "Takedown request id")),
    responses((status = 200, body = TakedownView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_urls(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(add): Body<AddUrls>,
) -> Result<Json<TakedownView>, Problem> {
    change(&state, &caller, id, TakedownChange::AddUrls(add.urls)).await
}

#[derive(Debug, Default, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LetterFormat {
    #[default]
    Html,
    Csv,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LetterQuery {
    /// `html` (default): the printable letter; `csv`: the table of URLs.
    #[param(inline)]
    pub format: Option<LetterFormat>,
}

#[derive(Template)]
#[template(path = "letter.html")]
struct Letter<'a> {
    request: &'a TakedownRequest,
    organisation: &'a str,
    /// Where the administrators said this platform's letters go (the admin page); `None` addresses the
    /// platform by its name.
    contact: Option<PlatformContact>,
}

/// Printed in `Asia/Jakarta` time: the letters go to Indonesian offices.
pub(crate) fn wib(t: &DateTime<Utc>) -> String {
    t.with_timezone(&crate::views::DEFAULT_TIME_ZONE).format("%d-%m-%Y %H:%M WIB").to_string()
}

/// A spreadsheet must not read a cell as a formula: cells starting with `=`, `+`, `-`, `@` or a
/// control character get a leading apostrophe (OWASP's advice on CSV injection).
pub(crate) fn inert_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

fn url_table(request: &TakedownRequest) -> Result<String, Problem> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = ["reference", "url", "host", "status", "note", "added_at", "due_at", "answered_at", "complied_at"];
    out.write_record(header).map_err(Problem::internal)?;
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for u in &request.urls {
        let row = [
            request.reference.clone(),
            u.url.clone(),
            u.host.clone(),
            u.status.as_str().to_string(),
            u.note.clone().unwrap_or_default(),
            time(Some(u.added_at)),
            time(Some(u.due_at)),
            time(u.answered_at),
            time(u.complied_at),
        ];
        out.write_record(row.iter().map(|cell| inert_cell(cell))).map_err(Problem::internal)?;
    }
    String::from_utf8(out.into_inner().map_err(Problem::internal)?).map_err(Problem::internal)
}

/// The request as a printable letter (reference, platform, legal basis, URLs, deadline), or with
/// `?format=csv` its table of URLs.
#[utoipa::path(get, path = "/api/v1/takedowns/{id}/letter", tag = "takedowns",
    params(("id" = i64, Path, description = "Takedown request id"), LetterQuery),
    responses(
        (status = 200, description = "The letter (HTML) or the URL table (CSV)",
            content((String = "text/html"), (String = "text/csv"))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn letter(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Params(q): Params<LetterQuery>,
) -> Result<Response, Problem> {
    let request = visible(&state, &caller, id).await?;
    let file = request.reference.replace('/', "-");
    match q.format.unwrap_or_default() {
        LetterFormat::Html => {
            let key = PlatformContact::key(&request.platform);
            let stored = state.pool.run(move |s| s.setting(&key)).await?;
            let contact = stored.and_then(|s| serde_json::from_value(s.value).ok());
            let letter = Letter { request: &request, organisation: &state.config.response.site.organisation, contact };
            let html = letter.render().map_err(Problem::internal)?;
            Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
        }
        LetterFormat::Csv => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.csv\"")),
            ],
            url_table(&request)?,
        )
            .into_response()),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransparencyQuery {
    /// How figures are grouped: `month` (default), `quarter` or `year`.
    #[param(inline)]
    pub period: Option<Period>,
    /// Entries per page: 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The public transparency log.
#[derive(Debug, Serialize, ToSchema)]
pub struct Transparency {
    /// Requests appear this many days after they were sent.
    pub delay_days: u32,
    /// Requests sent at or before this instant are shown.
    pub shown_until: DateTime<Utc>,
    /// Requests shown, across all pages.
    pub total: u64,
    /// Per platform and period, over every request shown.
    pub figures: Vec<PlatformFigures>,
    /// Requests shown, newest first (this page).
    pub entries: Vec<TransparencyEntry>,
    pub limit: u64,
    pub offset: u64,
}

/// The figures of the transparency log per grouping, with what they were computed from: they change only
/// when a takedown request does (every change is audited) or when another request becomes public.
#[derive(Default)]
pub struct FiguresCache {
    computed: Mutex<HashMap<Period, (FiguresOf, Vec<PlatformFigures>)>>,
}

/// The audit trail's head and the number of public requests when figures were computed.
type FiguresOf = (i64, u64);

impl FiguresCache {
    fn get(&self, period: Period, of: FiguresOf) -> Option<Vec<PlatformFigures>> {
        let computed = self.computed.lock().unwrap_or_else(|e| e.into_inner());
        computed.get(&period).filter(|(at, _)| *at == of).map(|(_, figures)| figures.clone())
    }

    fn put(&self, period: Period, of: FiguresOf, figures: Vec<PlatformFigures>) {
        self.computed.lock().unwrap_or_else(|e| e.into_inner()).insert(period, (of, figures));
    }
}

/// The log as the public sees it: figures over every public request, and one page of entries.
pub(crate) async fn transparency_log(
    state: &AppState,
    period: Period,
    limit: u64,
    offset: u64,
) -> Result<Transparency, Problem> {
    let config = state.config.response.transparency;
    let site = state.config.response.site.clone();
    let shown_until = config.public_until(state.clock.now());
    let (of, entries) = state
        .pool
        .run(move |s| {
            // The head first: figures computed later may be newer than it, never older.
            let of = (s.audit_head_seq()?, s.count_public_takedowns(shown_until)?);
            let mut entries = Vec::new();
            let page = if offset < of.1 { s.public_takedowns(shown_until, limit, offset)? } else { Vec::new() };
            for request in page {
                let published = ClarificationFilter {
                    case_id: Some(request.case_id),
                    status: Some(tangkal_response::clarification::ClarificationStatus::Published),
                    ..ClarificationFilter::default()
                };
                let link = s.list_clarifications(&published, 1, 0)?.first().map(|c| site.clarification_url(&c.slug));
                entries.push(TransparencyEntry::of(&request, link));
            }
            Ok((of, entries))
        })
        .await?;
    let figures = match state.transparency_figures.get(period, of) {
        Some(figures) => figures,
        None => {
            let requests = state.pool.run(move |s| s.public_takedown_figures(shown_until)).await?;
            let computed = figures(&requests, period);
            state.transparency_figures.put(period, of, computed.clone());
            computed
        }
    };
    Ok(Transparency { delay_days: config.delay_days, shown_until, total: of.1, figures, entries, limit, offset })
}

/// The transparency log of takedown requests, public: every request after the configured delay, with
/// hosts and outcome counts but never URLs, notes or people; figures per platform and period.
#[utoipa::path(get, path = "/api/v1/transparency", tag = "takedowns", params(TransparencyQuery),
    responses((status = 200, body = Transparency), (status = 400, body = Problem)))]
pub async fn transparency(
    State(state): State<AppState>,
    request: axum::http::HeaderMap,
    Params(q): Params<TransparencyQuery>,
) -> Result<Response, Problem> {
    let log = transparency_log(&state, q.period.unwrap_or_default(), page(q.limit)?, offset(q.offset)?).await?;
    let body = serde_json::to_string(&log).map_err(Problem::internal)?;
    Ok(crate::caching::respond(
        &request,
        crate::caching::Public { content_type: "application/json", body, last_modified: None },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_formulas_are_written_as_text() {
        assert_eq!(inert_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert_cell("https://x.com/a"), "https://x.com/a");
    }

    #[test]
    fn item_platforms_match_takedown_platforms() {
        assert!(same_platform("whatsapp_channel", "whatsapp-channel"));
        assert!(same_platform("TikTok", "tiktok"));
        assert!(!same_platform("x", "youtube"));
    }
}
