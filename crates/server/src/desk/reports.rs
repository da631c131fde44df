//! Laporan: citizen reports for those who work them (the permission `GET /api/v1/reports` asks for),
//! newest first with filters and pages, and one report with its forms: link it to a case, dismiss it.
//! The forms call what the API calls (`api::reports::change`), so both are refused alike and audited
//! alike. Reporters' contacts never reach a page: the view models have no place for them.

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tangkal_cases::Permission;
use tangkal_model::NarrativeId;
use tangkal_response::report::{CitizenReport, ReportAnswer, ReportChange, ReportStatus, OTHER_PLATFORM};
use tangkal_store::{AuditFilter, CaseFilter, ReportFilter};
use tangkal_web::pages::queue::Filter;
use tangkal_web::pages::reports::{AnswerView, Link, Received, ReportActions, ReportPage, ReportRow, ReportsPage};
use tangkal_web::pages::FormError;
use tangkal_web::{format, Choice, Lang, Tag};

use super::{
    audit_rows, chrome, encode, excerpt, factcheck_rating_tag, form_error, lang_of, may, refusal_page, render, zone,
    DeskForm,
};
use crate::api::{reports, Ids, Params};
use crate::auth::Caller;
use crate::{AppState, Problem};

/// Reports a page shows.
const PAGE_SIZE: u64 = 50;
/// Audit events shown on a report's page.
const AUDIT_SHOWN: u64 = 50;
/// Open cases offered to link a report to (newest first); any other is typed by number.
const CASES_OFFERED: u64 = 100;

/// The page's inputs by the field names the rules use, for the error summary's links.
const FIELDS: &[(&str, &str)] = &[("case_id", "case-number"), ("reason", "dismiss-reason")];

/// The notices a form's redirect may ask the report page to show.
const NOTICES: &[&str] = &["linked", "dismissed"];

/// Every catalogue key these pages build at run time.
#[cfg(test)]
pub(crate) fn dynamic_keys() -> Vec<String> {
    let mut keys: Vec<String> = ReportStatus::ALL.iter().map(|s| format!("report_status.{}", s.as_str())).collect();
    keys.extend(NOTICES.iter().map(|n| format!("notice.{n}")));
    let changes = [ReportChange::LinkCase { case_id: 0 }, ReportChange::Dismiss { reason: String::new() }];
    keys.extend(changes.iter().map(|c| format!("audit.{}", c.action())));
    keys
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    platform: String,
    /// `yes`, `no`, or empty for either.
    #[serde(default)]
    answered: String,
    /// `yes`, `no`, or empty for either.
    #[serde(default)]
    linked: String,
    page: Option<u64>,
}

/// A yes-or-no filter: empty is either; anything else but `yes` and `no` names the field.
fn yes_no(field: &str, value: &str) -> Result<Option<bool>, Problem> {
    match value {
        "" => Ok(None),
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        other => Err(Problem::bad_request(format!("{field}: {other:?} is not a choice here (yes, no)"))),
    }
}

fn report_status_tag(status: ReportStatus, lang: Lang) -> Tag {
    let class = match status {
        ReportStatus::Received => "status",
        ReportStatus::Answered | ReportStatus::Linked => "approved",
        ReportStatus::Dismissed => "closed",
    };
    Tag::new(lang.t(&format!("report_status.{}", status.as_str())), class)
}

fn received(t: DateTime<Utc>, now: DateTime<Utc>, tz: Tz, lang: Lang) -> Received {
    Received { text: format::date_time(t, tz, lang), ago: format::ago(t, now, lang), iso: t.to_rfc3339() }
}

fn answer_view(answer: &ReportAnswer) -> AnswerView {
    AnswerView { rating: factcheck_rating_tag(&answer.rating), title: answer.title.clone(), href: answer.url.clone() }
}

fn narrative_link(id: Option<NarrativeId>, lang: Lang) -> Option<Link> {
    id.map(|id| Link {
        href: format!("/desk/narratives/{id}"),
        label: lang.fill("reports.narrative", &[("id", &id.to_string())]),
    })
}

fn case_link(id: Option<i64>, lang: Lang) -> Option<Link> {
    id.map(|id| Link {
        href: format!("/desk/cases/{id}"),
        label: lang.fill("reports.case", &[("id", &id.to_string())]),
    })
}

fn row(r: &CitizenReport, now: DateTime<Utc>, tz: Tz, lang: Lang) -> ReportRow {
    ReportRow {
        href: format!("/desk/laporan/{}", r.id),
        reference: r.reference.clone(),
        received: received(r.received_at, now, tz, lang),
        status: report_status_tag(r.status, lang),
        excerpt: r.text.as_deref().map(|t| excerpt(t, 160)).unwrap_or_default(),
        host: r.url.as_deref().and_then(|u| url::Url::parse(u).ok()).and_then(|u| u.host_str().map(str::to_string)),
        platform: r.platform.clone(),
        channel: channel_label(r, lang),
        answer: r.answer.as_ref().map(answer_view),
        narrative: narrative_link(r.narrative_id, lang),
        case: case_link(r.case_id, lang),
    }
}

fn channel_label(r: &CitizenReport, lang: Lang) -> String {
    lang.t(&format!("report_channel.{}", r.channel.as_str())).to_string()
}

/// `/desk/laporan`: the reports, newest first.
pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Params(q): Params<ReportsQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let status = match q.status.as_str() {
        "" => None,
        s => Some(
            ReportStatus::parse(s)
                .ok_or_else(|| Problem::bad_request(format!("status: {s:?} is not a choice here")))?,
        ),
    };
    let mut platforms: Vec<String> = state.config.platforms.clone();
    platforms.push(OTHER_PLATFORM.to_string());
    let platform = match q.platform.as_str() {
        "" => None,
        p if platforms.iter().any(|known| known == p) => Some(p.to_string()),
        p => return Err(Problem::bad_request(format!("platform: {p:?} is not a choice here"))),
    };
    let (answered, linked) = (yes_no("answered", &q.answered)?, yes_no("linked", &q.linked)?);
    let filter = ReportFilter { status, platform, answered, linked, ..ReportFilter::default() };
    let page = q.page.unwrap_or(1).clamp(1, u64::MAX / PAGE_SIZE);
    let offset = (page - 1) * PAGE_SIZE;
    let (total, found) =
        state.pool.run(move |s| Ok((s.count_reports(&filter)?, s.list_reports(&filter, PAGE_SIZE, offset)?))).await?;
    let (now, tz) = (state.clock.now(), zone(&caller));
    let link = |page: u64| {
        let mut pairs: Vec<(&str, String)> = vec![
            ("status", q.status.clone()),
            ("platform", q.platform.clone()),
            ("answered", q.answered.clone()),
            ("linked", q.linked.clone()),
        ];
        pairs.retain(|(_, v)| !v.is_empty());
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        match query.is_empty() {
            true => "/desk/laporan".to_string(),
            false => format!("/desk/laporan?{}", query.join("&")),
        }
    };
    let any = || Choice::new("", lang.t("filter.any"), false);
    let mut status_choices = vec![any()];
    status_choices.extend(
        ReportStatus::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), lang.t(&format!("report_status.{}", s.as_str())), status == Some(*s))),
    );
    let mut platform_choices = vec![any()];
    platform_choices.extend(platforms.iter().map(|p| Choice::new(p.clone(), p.clone(), q.platform == *p)));
    let yes_no_choices = |chosen: Option<bool>| {
        vec![
            any(),
            Choice::new("yes", lang.t("reports.yes"), chosen == Some(true)),
            Choice::new("no", lang.t("reports.no"), chosen == Some(false)),
        ]
    };
    let filters = vec![
        Filter { name: "status", label: lang.t("filter.status").into(), choices: status_choices },
        Filter { name: "platform", label: lang.t("filter.platform").into(), choices: platform_choices },
        Filter { name: "answered", label: lang.t("reports.answered").into(), choices: yes_no_choices(answered) },
        Filter { name: "linked", label: lang.t("reports.linked").into(), choices: yes_no_choices(linked) },
    ];
    let shown = found.len() as u64;
    let here = link(page);
    let html = ReportsPage {
        lang,
        chrome: chrome(&state, Some(&caller), lang, lang.t("title.reports").into(), &here),
        filters,
        rows: found.iter().map(|r| row(r, now, tz, lang)).collect(),
        shown: lang
            .fill("reports.shown", &[("shown", &format::number(shown, lang)), ("total", &format::number(total, lang))]),
        previous: (page > 1).then(|| link(page - 1)),
        next: (offset + shown < total).then(|| link(page + 1)),
    }
    .render();
    Ok(render(StatusCode::OK, html))
}

/// The link form: a case chosen among the open ones, or any case by number.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LinkForm {
    /// An open case chosen from the list.
    #[serde(default)]
    case: String,
    /// A case number typed; wins over the choice.
    #[serde(default)]
    case_number: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    reason: String,
}

/// What a refused form had in it, shown again so nothing typed is lost.
#[derive(Debug, Default)]
struct Kept {
    link: LinkForm,
    dismiss: DismissForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// The notice to show: what the previous form did.
    done: Option<String>,
}

/// `/desk/laporan/{id}`.
pub async fn report(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    Params(q): Params<ReportQuery>,
) -> Response {
    let lang = lang_of(&headers);
    let notice = q.done.filter(|d| NOTICES.contains(&d.as_str())).map(|d| lang.t(&format!("notice.{d}")).to_string());
    show(&state, &caller, &headers, id, StatusCode::OK, None, Kept::default(), notice).await
}

#[allow(clippy::too_many_arguments)]
async fn show(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: i64,
    status: StatusCode,
    error: Option<FormError>,
    kept: Kept,
    notice: Option<String>,
) -> Response {
    match build(state, caller, lang_of(headers), id, error, kept, notice).await {
        Ok(page) => render(status, page.render()),
        Err(problem) => refusal_page(state, caller, headers, problem),
    }
}

async fn build(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    id: i64,
    error: Option<FormError>,
    kept: Kept,
    notice: Option<String>,
) -> Result<ReportPage, Problem> {
    let now = state.clock.now();
    let read_audit = may(caller, Permission::ReadAudit);
    let (found, open_cases, audit) = state
        .pool
        .run(move |s| {
            let filter = CaseFilter { open: Some(true), ..CaseFilter::default() };
            let audit = match read_audit {
                true => {
                    let trail = AuditFilter { entity: Some("report".into()), entity_id: Some(id.to_string()) };
                    Some(s.audit_events(&trail, AUDIT_SHOWN, 0)?)
                }
                false => None,
            };
            Ok((s.report(id)?, s.list_cases(&filter, now, CASES_OFFERED, 0)?, audit))
        })
        .await?;
    let r = found.ok_or_else(|| Problem::not_found(format!("report {id}")))?;
    let tz = zone(caller);
    let actions = (r.status != ReportStatus::Dismissed).then(|| {
        let current = kept.link.case.parse::<i64>().ok().or(r.case_id);
        let mut cases = vec![Choice::new("", lang.t("report.choose_case"), current.is_none())];
        cases.extend(open_cases.iter().map(|c| {
            Choice::new(c.id.to_string(), format!("#{} {}", c.id, excerpt(&c.title, 80)), current == Some(c.id))
        }));
        ReportActions { cases, case_number: kept.link.case_number, reason: kept.dismiss.reason }
    });
    let mut chrome = chrome(
        state,
        Some(caller),
        lang,
        lang.fill("title.report", &[("reference", &r.reference)]),
        &format!("/desk/laporan/{id}"),
    );
    chrome.notice = notice;
    Ok(ReportPage {
        lang,
        chrome,
        error,
        id,
        status: report_status_tag(r.status, lang),
        received: received(r.received_at, now, tz, lang),
        text: r.text.clone(),
        url: r.url.clone(),
        platform: r.platform.clone(),
        channel: channel_label(&r, lang),
        answer: r.answer.as_ref().map(answer_view),
        narrative: narrative_link(r.narrative_id, lang),
        case: case_link(r.case_id, lang),
        dismiss_reason: r.dismiss_reason.clone(),
        updated: format::date_time(r.updated_at, tz, lang),
        reference: r.reference,
        actions,
        audit: audit.map(|events| audit_rows(&events, tz, lang)),
    })
}

/// After a form: back to the report with a notice, or the report page again with the refusal.
async fn after(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: i64,
    outcome: Result<&str, Problem>,
    kept: Kept,
) -> Response {
    match outcome {
        Ok(notice) => {
            (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/desk/laporan/{id}?done={notice}"))]).into_response()
        }
        Err(problem) => {
            let error = form_error(&problem, lang_of(headers), FIELDS);
            show(state, caller, headers, id, problem.status(), Some(error), kept, None).await
        }
    }
}

/// The case a link form names: the number typed, else the case chosen.
fn chosen_case(f: &LinkForm) -> Result<i64, Problem> {
    let typed = f.case_number.trim().trim_start_matches('#');
    let value = if typed.is_empty() { f.case.trim() } else { typed };
    if value.is_empty() {
        return Err(Problem::invalid("case_id: choose an open case or type a case number"));
    }
    value.parse().map_err(|_| Problem::invalid(format!("case_id: {value:?} is not a case number")))
}

pub async fn link(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<LinkForm>,
) -> Response {
    let outcome = async {
        let case_id = chosen_case(&f)?;
        match reports::change(&state, &caller, id, ReportChange::LinkCase { case_id }).await {
            Ok(_) => Ok("linked"),
            // The report exists (the page shows it again below); what is missing is the case.
            Err(problem) if problem.detail.as_deref().is_some_and(|d| d.starts_with("no case")) => {
                Err(Problem::not_found(format!("case_id: no case {case_id}")))
            }
            Err(problem) => Err(problem),
        }
    }
    .await;
    after(&state, &caller, &headers, id, outcome, Kept { link: f, dismiss: DismissForm::default() }).await
}

pub async fn dismiss(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<DismissForm>,
) -> Response {
    let change = ReportChange::Dismiss { reason: f.reason.clone() };
    let outcome = reports::change(&state, &caller, id, change).await.map(|_| "dismissed");
    after(&state, &caller, &headers, id, outcome, Kept { link: LinkForm::default(), dismiss: f }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_case_number_wins_over_the_choice_and_bad_ones_name_the_field() {
        let form = |case: &str, typed: &str| LinkForm { case: case.into(), case_number: typed.into() };
        assert_eq!(chosen_case(&form("3", "")).unwrap(), 3);
        assert_eq!(chosen_case(&form("3", " #42 ")).unwrap(), 42);
        for bad in [form("", ""), form("", "empat")] {
            let detail = chosen_case(&bad).unwrap_err().detail.unwrap_or_default();
            assert!(detail.starts_with("case_id:"), "{detail}");
        }
        assert_eq!(yes_no("linked", "yes").unwrap(), Some(true));
        assert!(yes_no("linked", "ya").is_err());
    }
}
