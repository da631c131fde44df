//! Citizen reports (*aduan*) over the API: anyone sends one and is answered on the spot when a
//! published fact-check covers it; the reporter follows it with the status token they got once;
//! analysts list, read, link and dismiss reports. The rules are `tangkal_response::report`'s; receiving
//! is `crate::intake`'s, shared with the `/lapor` form.
//!
//! Contacts are shown in one place only: a report's own detail, to those who work reports (to tell the
//! reporter the outcome). Lists never carry them, nor does anything public.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tangkal_model::NarrativeId;
use tangkal_response::claimreview::SiteConfig;
use tangkal_response::clarification::{label, Clarification, ClarificationStatus};
use tangkal_response::report::{
    CitizenReport, NewReport, PublicReportStatus, ReportAnswer, ReportChange, ReportChannel, ReportStatus,
};
use tangkal_response::Reference;
use tangkal_store::{ClarificationFilter, ReportFilter, ResponseUpdate, Store};
use utoipa::{IntoParams, ToSchema};

use super::{offset, page, Body, Ids, Params};
use crate::auth::Caller;
use crate::throttle::ClientAddr;
use crate::{AppState, Problem};

/// The largest report body accepted: a report's fields at their longest, written with JSON escapes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the reporter gets back, once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportReceipt {
    /// Quote it to follow the report up (`ADU/2026/03/000123`).
    pub reference: String,
    /// `answered` when a published fact-check answered it on the spot, else `received`.
    pub status: ReportStatus,
    /// The fact-check that answers the report, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<ReportAnswer>,
    /// The secret that shows what became of the report. It is given only this once and stored only as a
    /// hash: keep it.
    pub status_token: String,
    /// The reporter's page for the report, token included.
    pub status_url: String,
}

/// A report as those who work reports see it: everything, with the reporter's contact (until it is
/// erased after the retention period).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: CitizenReport,
    /// E-mail or phone number to tell the reporter the outcome; shown nowhere else.
    pub contact: Option<String>,
}

impl ReportDetail {
    fn of(report: CitizenReport) -> ReportDetail {
        ReportDetail { contact: report.contact.clone(), report }
    }
}

/// A report as asked for: the reporter's view with the status token, the full detail for analysts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ReportView {
    Reporter(PublicReportStatus),
    Analyst(ReportDetail),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// Reports matching the filter, across all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    /// Without contacts.
    pub reports: Vec<CitizenReport>,
}

/// The reporter's page for a report.
pub(crate) fn status_url(site: &SiteConfig, reference: &str, token: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("ref", reference)
        .append_pair("token", token)
        .finish();
    format!("{}/lapor/status?{query}", site.base_url.trim_end_matches('/'))
}

/// Send a report of something seen: its `text` and/or `url`, where it was seen, and optionally a contact
/// to be told the outcome (kept for the retention period, never published). A published fact-check that
/// the claim matcher is confident about answers it at once (`answered`); otherwise it joins triage
/// (`received`), placed in the narrative it copies and that narrative's open case when there is one.
/// A text of links only counts as its links; a text without words (only emoji or symbols) and no link,
/// and a contact that is neither an e-mail address nor a phone number, are refused (422). Budgets per
/// network and per contact answer 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", operation_id = "submit_report", request_body = NewReport,
    responses((status = 201, body = ReportReceipt), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Body(new): Body<NewReport>,
) -> Result<(StatusCode, Json<ReportReceipt>), Problem> {
    let received = crate::intake::receive(&state, client, new, ReportChannel::Api).await.map_err(Problem::from)?;
    let (report, token) = (received.report, received.token);
    let receipt = ReportReceipt {
        status_url: status_url(&state.config.response.site, &report.reference, token.as_str()),
        reference: report.reference,
        status: report.status,
        answer: report.answer,
        status_token: token.as_str().to_string(),
    };
    Ok((StatusCode::CREATED, Json(receipt)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The report's status token: the reporter's view, for `id` its reference. Without it, the full
    /// report for those who work reports.
    pub token: Option<String>,
}

/// The public view of a report (the reporter's): its status and the answer, the instant one or the
/// clarification published later for the case it joined.
pub(crate) async fn reporter_view(
    state: &AppState,
    reference: String,
    token: String,
) -> Result<Option<PublicReportStatus>, Problem> {
    let site = state.config.response.site.clone();
    state
        .pool
        .run(move |s| {
            let Some(report) = s.report_for_reporter(&reference, &token)? else { return Ok(None) };
            let mut view = report.public_status();
            if let (None, Some(case)) = (&view.answer, report.case_id) {
                view.answer = published_clarification(s, case)?.map(|c| answer_of(&c, &site));
            }
            Ok(Some(view))
        })
        .await
}

fn published_clarification(store: &dyn Store, case_id: i64) -> tangkal_store::Result<Option<Clarification>> {
    let filter = ClarificationFilter {
        case_id: Some(case_id),
        status: Some(ClarificationStatus::Published),
        ..ClarificationFilter::default()
    };
    Ok(store.list_clarifications(&filter, 1, 0)?.into_iter().next())
}

fn answer_of(c: &Clarification, site: &SiteConfig) -> ReportAnswer {
    ReportAnswer { rating: label(c.rating).to_string(), title: c.title.clone(), url: site.clarification_url(&c.slug) }
}

/// A report's id from the path: its number, or its reference (`ADU/…`, with `/` written `%2F`).
fn report_id(id: &str) -> Option<i64> {
    match id.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => id.parse::<Reference>().ok().and_then(|r| i64::try_from(r.serial).ok()),
    }
}

/// One report. With `token` (the reporter's status token) and the report's reference as `id`: what
/// became of it, for anyone holding the token; a wrong token or reference is 404 alike. Without a
/// token: the whole report with its contact, for those who work reports (`id` its number or reference).
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", operation_id = "get_report", params(("id" = String, Path,
        description = "The report's reference (`ADU/2026/03/000123`, `/` written `%2F`), or, without `token`, its number"),
        ReportQuery),
    responses((status = 200, body = ReportView), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    Ids(id): Ids<String>,
    Params(q): Params<ReportQuery>,
) -> Result<Json<ReportView>, Problem> {
    let missing = || Problem::not_found(format!("no report {id} with this token"));
    if let Some(token) = q.token {
        let found = reporter_view(&state, id.clone(), token).await?;
        return found.map(|v| Json(ReportView::Reporter(v))).ok_or_else(missing);
    }
    // The route's guard lets requests without a token through only for those who work reports.
    if caller.is_none() {
        return Err(Problem::unauthenticated());
    }
    let number = report_id(&id).ok_or_else(|| Problem::not_found(format!("no report {id}")))?;
    let found = state.pool.run(move |s| s.report(number)).await?;
    // A reference must be the report's own, not just carry its number.
    let report = found
        .filter(|r| id.parse::<i64>().is_ok() || r.reference == id.trim())
        .ok_or_else(|| Problem::not_found(format!("no report {id}")))?;
    Ok(Json(ReportView::Analyst(ReportDetail::of(report))))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<ReportStatus>,
    /// Where it was seen, as the report names it.
    pub platform: Option<String>,
    /// Received at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Narrative id.
    pub narrative: Option<i64>,
    /// Case id.
    pub case: Option<i64>,
    /// With an instant answer (`true`) or without one (`false`).
    pub answered: Option<bool>,
    /// Tied to a case (`true`) or not (`false`).
    pub linked: Option<bool>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// List reports, newest first, without the reporters' contacts.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", operation_id = "list_reports", params(ListQuery),
    responses((status = 200, body = ReportList), (status = 400, body = Problem)))]
pub async fn list(State(state): State<AppState>, Params(q): Params<ListQuery>) -> Result<Json<ReportList>, Problem> {
    let (limit, offset) = (page(q.limit)?, offset(q.offset)?);
    // A narrative id no narrative can have matches no report.
    let narrative_id = match q.narrative.map(NarrativeId::try_from).transpose() {
        Ok(narrative_id) => narrative_id,
        Err(_) => return Ok(Json(ReportList { total: 0, limit, offset, reports: Vec::new() })),
    };
    let filter = ReportFilter {
        status: q.status,
        platform: q.platform,
        case_id: q.case,
        narrative_id,
        since: q.since,
        answered: q.answered,
        linked: q.linked,
    };
    let (total, reports) =
        state.pool.run(move |s| Ok((s.count_reports(&filter)?, s.list_reports(&filter, limit, offset)?))).await?;
    Ok(Json(ReportList { total, limit, offset, reports }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkReport {
    pub case_id: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissReport {
    /// Why it is set aside; kept in the audit trail.
    pub reason: String,
}

/// An analyst's change to report `id`, as the API and the desk's forms make it.
pub(crate) async fn change(
    state: &AppState,
    caller: &Caller,
    id: i64,
    change: ReportChange,
) -> Result<Json<ReportDetail>, Problem> {
    let linked_case = match &change {
        ReportChange::LinkCase { case_id } => Some(*case_id),
        ReportChange::Dismiss { .. } => None,
    };
    let (actor, now) = (caller.actor(), state.clock.now());
    match state.pool.run(move |s| s.update_report(id, change, &actor, now)).await? {
        ResponseUpdate::Done(report) => Ok(Json(ReportDetail::of(*report))),
        ResponseUpdate::NotFound => Err(Problem::not_found(format!("no report {id}"))),
        // The case is named by a well-formed id that exists nowhere: like a missing report, 404.
        ResponseUpdate::Refused(tangkal_response::ResponseError::Invalid { field: "case_id", .. }) => {
            Err(Problem::not_found(format!("no case {}", linked_case.unwrap_or_default())))
        }
        ResponseUpdate::Refused(refusal) => Err(refusal.into()),
    }
}

/// Tie a report to a case (it becomes `linked`). A dismissed report is settled (409).
#[utoipa::path(post, path = "/api/v1/reports/{id}/link", tag = "reports", operation_id = "link_report", request_body = LinkReport,
    params(("id" = i64, Path, description = "Report number")),
    responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(link): Body<LinkReport>,
) -> Result<Json<ReportDetail>, Problem> {
    change(&state, &caller, id, ReportChange::LinkCase { case_id: link.case_id }).await
}

/// Set a report aside with a reason. A dismissed report is settled (409).
#[utoipa::path(post, path = "/api/v1/reports/{id}/dismiss", tag = "reports", operation_id = "dismiss_report", request_body = DismissReport,
    params(("id" = i64, Path, description = "Report number")),
    responses((status = 200, body = ReportDetail), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn dismiss(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(dismissal): Body<DismissReport>,
) -> Result<Json<ReportDetail>, Problem> {
    change(&state, &caller, id, ReportChange::Dismiss { reason: dismissal.reason }).await
}
