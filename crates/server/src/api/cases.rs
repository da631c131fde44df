//! Cases: list, read, open, and every step of the workflow.

use axum::extract::{DefaultBodyLimit, Extension, Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tangkal_cases::{
    Case, Change, EvidenceKind, NewCase, Origin, Priority, Role, SlaState, Status, Urgency, UserRef, VerdictDraft,
};
use tangkal_store::{CaseFilter, CaseUpdate};
use utoipa::{IntoParams, ToSchema};

use super::takedowns::visible_case;
use super::{offset, page, Body, Ids, Params, Upload};
use crate::auth::Caller;
use crate::views::{zone_of, CaseList, CaseSummaryView, CaseView, PublishedView};
use crate::{evidence, AppState, Problem};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<Status>,
    /// `true`: only open cases; `false`: only closed or dismissed ones.
    pub open: Option<bool>,
    pub urgency: Option<Urgency>,
    pub priority: Option<Priority>,
    pub assignee: Option<i64>,
    pub platform: Option<String>,
    /// `on_track`, `at_risk`, `breached`, `met` or `missed`.
    pub sla: Option<SlaState>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// List cases, soonest deadline first, then by priority.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = CaseList), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(q): Params<ListQuery>,
) -> Result<Json<CaseList>, Problem> {
    let platform = match (caller.role, &caller.user.platform) {
        // Liaisons see their own platform's cases, whatever they ask for.
        (Role::PlatformLiaison, bound) => bound.clone().or(Some(String::new())),
        _ => q.platform,
    };
    let filter = CaseFilter {
        status: q.status,
        open: q.open,
        urgency: q.urgency,
        priority: q.priority,
        assignee_id: q.assignee,
        platform,
        sla: q.sla,
    };
    let (limit, offset, now) = (page(q.limit)?, offset(q.offset)?, state.clock.now());
    let (total, cases) =
        state.pool.run(move |s| Ok((s.count_cases(&filter, now)?, s.list_cases(&filter, now, limit, offset)?))).await?;
    let tz = zone_of(&caller.user);
    let cases = cases.into_iter().map(|c| CaseSummaryView::new(c, now, tz)).collect();
    Ok(Json(CaseList { total, limit, offset, cases }))
}

/// One case with its verdict, evidence and deadline.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
) -> Result<Json<CaseView>, Problem> {
    let case = visible_case(&state, &caller, id).await?;
    Ok(Json(CaseView::new(case, state.clock.now(), zone_of(&caller.user))))
}

/// Open a case by hand. Detectors call the store's `open_case` directly.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCase,
    responses((status = 201, body = CaseView), (status = 422, body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewCase>,
) -> Result<(StatusCode, Json<CaseView>), Problem> {
    let case = open_by_hand(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(CaseView::new(case, state.clock.now(), zone_of(&caller.user)))))
}

/// Opens a case as `caller` (origin `manual`), its platforms held to the configured ones: the API and
/// the desk's "open a case" both come through here.
pub(crate) async fn open_by_hand(state: &AppState, caller: &Caller, mut new: NewCase) -> Result<Case, Problem> {
    new.origin = Some(Origin::Manual);
    new.validate()?;
    if let Some(unknown) = new.platforms.iter().find(|p| !state.config.platforms.contains(p)) {
        return Err(Problem::invalid(format!(
            "platforms: {unknown:?} is not one of {}",
            state.config.platforms.join(", ")
        )));
    }
    let (actor, now) = (caller.actor().label(), state.clock.now());
    state.pool.run(move |s| s.open_case(&new, &actor, now)).await
}

/// Applies one change as `caller`: the API and the desk's forms both come through here.
pub(crate) async fn apply(state: &AppState, caller: &Caller, id: i64, change: Change) -> Result<Case, Problem> {
    let (actor, now) = (caller.actor(), state.clock.now());
    match state.pool.run(move |s| s.update_case(id, change, &actor, now)).await? {
        CaseUpdate::Done(case) => Ok(*case),
        CaseUpdate::NotFound => Err(Problem::not_found(format!("case {id}"))),
        CaseUpdate::Refused(refusal) => Err(refusal.into()),
    }
}

async fn change(state: &AppState, caller: &Caller, id: i64, change: Change) -> Result<Json<CaseView>, Problem> {
    let case = apply(state, caller, id, change).await?;
    Ok(Json(CaseView::new(case, state.clock.now(), zone_of(&caller.user))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub to: Status,
    /// Required when dismissing.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Move a case through the work steps: `triage`, `investigating`, or `dismissed` (with a reason).
#[utoipa::path(post, path = "/api/v1/cases/{id}/status", tag = "cases", request_body = Move,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn move_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(m): Body<Move>,
) -> Result<Json<CaseView>, Problem> {
    if !matches!(m.to, Status::Triage | Status::Investigating | Status::Dismissed) {
        return Err(Problem::invalid(format!(
            "to: {} is not a work step here (responding and closed: /response; verdicts: /verdict)",
            m.to
        )));
    }
    change(&state, &caller, id, Change::Move { to: m.to, reason: m.reason }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    /// `responding` once an approved verdict goes out, `closed` when the response is done.
    pub to: Status,
}

/// Run the public response: `responding`, then `closed`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/response", tag = "cases", request_body = Respond,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 409, body = Problem)))]
pub async fn respond(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(r): Body<Respond>,
) -> Result<Json<CaseView>, Problem> {
    if !matches!(r.to, Status::Responding | Status::Closed) {
        return Err(Problem::invalid(format!("to: {} is not a response step (responding, closed)", r.to)));
    }
    change(&state, &caller, id, Change::Move { to: r.to, reason: None }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// A user id, or null to unassign.
    pub assignee: Option<i64>,
}

/// Assign (or unassign) a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assign", tag = "cases", request_body = Assign,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(a): Body<Assign>,
) -> Result<Json<CaseView>, Problem> {
    let to = assignee(&state, a.assignee).await?;
    change(&state, &caller, id, Change::Assign { to }).await
}

/// The user a case is assigned to: one who exists, is enabled and may work cases.
pub(crate) async fn assignee(state: &AppState, user_id: Option<i64>) -> Result<Option<UserRef>, Problem> {
    let Some(user_id) = user_id else { return Ok(None) };
    match state.pool.run(move |s| s.user(user_id)).await? {
        Some(u) if !u.disabled && u.role.allows(tangkal_cases::Permission::WorkCases) => {
            Ok(Some(UserRef { id: u.id, name: u.username }))
        }
        Some(u) => Err(Problem::conflict(format!("assignee: {} cannot work cases", u.username))),
        None => Err(Problem::not_found(format!("assignee: user {user_id} does not exist"))),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reprioritise {
    pub priority: Priority,
    pub reason: String,
}

/// Override the computed priority, with a reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/priority", tag = "cases", request_body = Reprioritise,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reprioritise(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(r): Body<Reprioritise>,
) -> Result<Json<CaseView>, Problem> {
    change(&state, &caller, id, Change::Reprioritise { priority: r.priority, reason: r.reason }).await
}

/// Propose a verdict; the case moves to `verdict_proposed`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/verdict", tag = "verdicts", request_body = VerdictDraft,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn propose_verdict(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(draft): Body<VerdictDraft>,
) -> Result<Json<CaseView>, Problem> {
    change(&state, &caller, id, Change::ProposeVerdict(draft)).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewVerdict {
    pub approve: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// Approve or reject the proposed verdict. The reviewer must not be the proposer (two-person rule);
/// rejection sends the case back to `investigating`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/verdict/review", tag = "verdicts", request_body = ReviewVerdict,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn review_verdict(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Body(r): Body<ReviewVerdict>,
) -> Result<Json<CaseView>, Problem> {
    change(&state, &caller, id, Change::ReviewVerdict { approve: r.approve, note: r.note }).await
}

/// The multipart form of an evidence upload, for the API document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    /// `link`, `note` or `file`.
    kind: EvidenceKind,
    url: Option<String>,
    note: Option<String>,
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
}

/// The body limit on the upload route: the file limit plus room for the other fields.
pub fn upload_limit(max_file_bytes: u64) -> DefaultBodyLimit {
    DefaultBodyLimit::max(usize::try_from(max_file_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024))
}

/// Add evidence: a link, a note, or a file (an image, video, voice note, PDF or text; size-limited).
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence", tag = "cases",
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn add_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids(id): Ids<i64>,
    Upload(mut form): Upload,
) -> Result<Json<CaseView>, Problem> {
    let fields = read_evidence(&mut form, Sender::Api, &[]).await?;
    let case = store_evidence(&state, &caller, id, fields).await?;
    Ok(Json(CaseView::new(case, state.clock.now(), zone_of(&caller.user))))
}

/// The fields of an evidence form, as sent.
#[derive(Default)]
pub(crate) struct EvidenceFields {
    pub kind: Option<EvidenceKind>,
    pub url: Option<String>,
    pub note: Option<String>,
    pub file: Option<(String, axum::body::Bytes)>,
    /// Text fields named in `extra` (a form's CSRF token), by name.
    pub extra: Vec<(String, String)>,
}

/// Who sent an evidence form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sender {
    /// An API client: an empty file part is a mistake, refused whatever the kind.
    Api,
    /// A browser's form, which sends an empty file part when no file was chosen: that part is ignored.
    Browser,
}

/// Reads an evidence form: `kind`, `url`, `note`, `file`, and the text fields named in `extra`; any
/// other field is refused, naming it.
pub(crate) async fn read_evidence(
    form: &mut Multipart,
    sender: Sender,
    extra: &[&str],
) -> Result<EvidenceFields, Problem> {
    let mut fields = EvidenceFields::default();
    let refused = |e: axum::extract::multipart::MultipartError| Problem::for_status(e.status(), e.body_text());
    while let Some(field) = form.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "kind" => {
                let text = field.text().await.map_err(refused)?;
                fields.kind = Some(match text.as_str() {
                    "link" => EvidenceKind::Link,
                    "note" => EvidenceKind::Note,
                    "file" => EvidenceKind::File,
                    other => return Err(Problem::invalid(format!("kind: {other:?} is not link, note or file"))),
                });
            }
            "url" => fields.url = Some(field.text().await.map_err(refused)?),
            "note" => fields.note = Some(field.text().await.map_err(refused)?),
            "file" => {
                let file_name = field.file_name().unwrap_or("evidence").to_string();
                let bytes = field.bytes().await.map_err(refused)?;
                match (bytes.is_empty(), sender) {
                    (true, Sender::Browser) => {}
                    // Refused whatever the kind, as the API document says: an empty part is a mistake.
                    (true, Sender::Api) => return Err(Problem::invalid("file: the upload is empty")),
                    (false, _) => fields.file = Some((file_name, bytes)),
                }
            }
            other if extra.contains(&other) => {
                let text = field.text().await.map_err(refused)?;
                fields.extra.push((name, text));
            }
            other => return Err(Problem::invalid(format!("{other}: unknown form field"))),
        }
    }
    Ok(fields)
}

/// Records evidence on a case: a file is staged first and kept only once the case has recorded it.
pub(crate) async fn store_evidence(
    state: &AppState,
    caller: &Caller,
    id: i64,
    fields: EvidenceFields,
) -> Result<Case, Problem> {
    let kind = fields.kind.ok_or_else(|| Problem::invalid("kind: required (link, note or file)"))?;
    // Check the case exists and is visible before writing anything to disk.
    visible_case(state, caller, id).await?;
    let staged = match (kind, fields.file) {
        (EvidenceKind::File, Some((name, bytes))) => {
            let (dir, max) = (state.config.store.data_dir.clone(), state.config.max_upload_bytes);
            Some(
                tokio::task::spawn_blocking(move || evidence::stage(&dir, &name, &bytes, max))
                    .await
                    .map_err(Problem::internal)??,
            )
        }
        _ => None,
    };
    let file = staged.as_ref().map(|s| s.file.clone());
    let change = Change::AddEvidence { kind, url: fields.url, note: fields.note, file };
    // A refusal returns here and drops the staged file; it is kept only once the store has it.
    let case = apply(state, caller, id, change).await?;
    if let Some(staged) = staged {
        tokio::task::spawn_blocking(move || staged.keep()).await.map_err(Problem::internal)??;
    }
    Ok(case)
}

/// Download an evidence file.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{evidence_id}/file", tag = "cases",
    params(("id" = i64, Path, description = "Case id"), ("evidence_id" = i64, Path, description = "Evidence id")),
    responses((status = 200, description = "The file, as an attachment"), (status = 404, body = Problem)))]
pub async fn evidence_file(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Ids((id, evidence_id)): Ids<(i64, i64)>,
) -> Result<Response, Problem> {
    let case = visible_case(&state, &caller, id).await?;
    let missing = || Problem::not_found(format!("file of evidence {evidence_id} in case {id}"));
    let file =
        case.evidence.into_iter().find(|e| e.id == Some(evidence_id)).and_then(|e| e.file).ok_or_else(missing)?;
    let path = evidence::path_of(&state.config.store.data_dir, &file.sha256).ok_or_else(missing)?;
    let bytes = tokio::fs::read(path).await.map_err(|_| missing())?;
    let disposition =
        format!("attachment; filename=\"{}\"", file.name.replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_"));
    Ok(([(header::CONTENT_TYPE, file.content_type), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Published fact-checks: approved verdicts whose response has gone out. For partners and the team.
#[utoipa::path(get, path = "/api/v1/published", tag = "verdicts", params(PageQuery),
    responses((status = 200, body = Vec<PublishedView>)))]
pub async fn published(
    State(state): State<AppState>,
    Params(q): Params<PageQuery>,
) -> Result<Json<Vec<PublishedView>>, Problem> {
    let (limit, offset) = (page(q.limit)?, offset(q.offset)?);
    let cases = state.pool.run(move |s| s.published_cases(limit, offset)).await?;
    Ok(Json(cases.into_iter().filter_map(PublishedView::of).collect()))
}
