//! The case page and its forms. Every form posts to a handler here that calls what the API handler
//! calls (`api::cases::apply`, `api::takedowns::send`, `api::clarifications::update`, …), then goes back
//! to the case page (`303`, with a notice) or shows it again with the refusal in an error summary and
//! what was typed kept in the form.

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tangkal_cases::{Case, Change, EvidenceKind, MisinfoType, Permission, Rating, Status, VerdictDraft};
use tangkal_response::claimreview::claim_review;
use tangkal_response::clarification::{
    slug_for, Clarification, ClarificationChange, ClarificationStatus, NewClarification, Source, Topic,
};
use tangkal_response::takedown::{takedown_allowed, NewTakedown, Outcome, TakedownChange, UrlStatus};
use tangkal_store::{AuditFilter, ClarificationFilter, TakedownFilter};
use tangkal_web::pages::case::{
    Actions, CasePage, ClarificationRow, Editor, EvidenceView, Link, Preview, PreviewFragment, ProposeForm, Review,
    Step, TakedownView, UrlRow, VerdictView,
};
use tangkal_web::pages::FormError;
use tangkal_web::{format, Choice, Lang, Tag};

use super::{
    audit_rows, check_form_token, chrome, countdown, form_error, lang_of, may, priority_tag, rating_tag, refusal_page,
    render, status_tag, zone, DeskForm, EmptyForm,
};
use crate::api::{cases, clarifications, takedowns, Ids, Upload};
use crate::auth::Caller;
use crate::{AppState, Problem};

/// Audit events shown on a case page (the newest).
const AUDIT_SHOWN: u64 = 200;

/// The page's inputs by the field names the rules use, for the error summary's links.
const FIELDS: &[(&str, &str)] = &[
    ("assignee", "assignee"),
    ("reason", "reason"),
    ("rating", "rating"),
    ("misinfo_type", "misinfo_type"),
    ("explanation", "explanation"),
    ("kind", "url"),
    ("url", "url"),
    ("note", "note"),
    ("file", "file"),
    ("platform", "takedown-platform"),
    ("urls", "takedown-urls"),
    ("title", "clarification-title"),
    ("claim", "clarification-claim"),
    ("body_markdown", "clarification-body"),
    ("sources", "clarification-sources"),
];

/// What a refused form had in it, shown again so nothing typed is lost.
#[derive(Debug, Default)]
pub(crate) struct Kept {
    propose: Option<ProposeInput>,
    editor: Option<EditorInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProposeInput {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    misinfo_type: String,
    #[serde(default)]
    explanation: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EditorInput {
    #[serde(default)]
    draft_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    claim: String,
    #[serde(default)]
    body_markdown: String,
    #[serde(default)]
    sources: String,
    /// A topic's name (`pemilu`, …); empty, or a value the select does not offer, is none.
    #[serde(default)]
    topic: String,
    /// `preview` or `save`.
    #[serde(default)]
    action: String,
    /// `1`: only the preview, for the script.
    #[serde(default)]
    fragment: String,
}

/// Every catalogue key this page builds at run time.
#[cfg(test)]
pub(crate) fn dynamic_keys() -> Vec<String> {
    let mut keys = Vec::new();
    keys.extend(MisinfoType::ALL.iter().map(|t| format!("misinfo.{}", misinfo_code(*t))));
    keys.extend(UrlStatus::ALL.iter().map(|s| format!("url_status.{}", s.as_str())));
    keys.extend(tangkal_response::takedown::RequestState::ALL.iter().map(|s| format!("request_state.{}", s.as_str())));
    keys.extend(["draft", "published"].iter().map(|s| format!("clarification_status.{s}")));
    keys.extend(["link", "note", "file"].iter().map(|k| format!("evidence.{k}")));
    keys.extend(NOTICES.iter().map(|n| format!("notice.{n}")));
    keys.extend(["triage", "investigating", "responding", "closed"].iter().map(|s| format!("step.{s}")));
    keys.extend(["normal", "urgent"].iter().map(|u| format!("urgency.{u}")));
    keys
}

/// The notices a form's redirect may ask the case page to show.
const NOTICES: &[&str] = &[
    "assigned",
    "moved",
    "proposed",
    "reviewed",
    "evidence",
    "takedown",
    "outcome",
    "saved",
    "published",
    "case_opened",
];

fn misinfo_code(t: MisinfoType) -> String {
    serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn rating_code(r: Rating) -> String {
    serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
pub struct CaseQuery {
    /// The notice to show: what the previous form did.
    done: Option<String>,
}

/// `/desk/cases/{id}`.
pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    crate::api::Params(q): crate::api::Params<CaseQuery>,
) -> Response {
    let lang = lang_of(&headers);
    let notice = q.done.filter(|d| NOTICES.contains(&d.as_str())).map(|d| lang.t(&format!("notice.{d}")).to_string());
    show(&state, &caller, &headers, id, StatusCode::OK, None, Kept::default(), notice).await
}

/// The case page, with a refusal's error summary (and the status it answers) when there is one.
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
) -> Result<CasePage, Problem> {
    let case = takedowns::visible_case(state, caller, id).await?;
    let (now, tz) = (state.clock.now(), zone(caller));
    let liaison_platform =
        (caller.role == tangkal_cases::Role::PlatformLiaison).then(|| caller.user.platform.clone().unwrap_or_default());
    let (read_audit, respond) = (may(caller, Permission::ReadAudit), may(caller, Permission::Respond));
    let (requests, clarification_list, audit, users) = state
        .pool
        .run(move |s| {
            let filter = TakedownFilter { case_id: Some(id), platform: liaison_platform, state: None };
            let requests = s.list_takedowns(&filter, now, 100, 0)?;
            let mut full = Vec::new();
            for r in requests {
                full.extend(s.takedown(r.id)?);
            }
            let clarifications =
                s.list_clarifications(&ClarificationFilter { case_id: Some(id), ..Default::default() }, 50, 0)?;
            let audit = match read_audit {
                true => {
                    let filter = AuditFilter { entity: Some("case".into()), entity_id: Some(id.to_string()) };
                    Some(s.audit_events(&filter, AUDIT_SHOWN, 0)?)
                }
                false => None,
            };
            Ok((full, clarifications, audit, s.list_users()?))
        })
        .await?;
    let when = |t: chrono::DateTime<chrono::Utc>| format::short_date_time(t, tz, lang);
    let open = case.status.is_open();
    let mut actions = Actions::default();
    if open && may(caller, Permission::WorkCases) {
        let mut assignees = vec![Choice::new("", lang.t("case.unassigned"), case.assignee.is_none())];
        assignees.extend(users.iter().filter(|u| !u.disabled && u.role.allows(Permission::WorkCases)).map(|u| {
            let chosen = case.assignee.as_ref().is_some_and(|a| a.id == u.id);
            Choice::new(u.id.to_string(), format!("{} ({})", u.display_name, u.username), chosen)
        }));
        actions.assignees = assignees;
        actions.steps = step_buttons(&case, &[Status::Triage, Status::Investigating], lang);
        actions.dismiss = case.status.can_move_to(Status::Dismissed);
        actions.evidence = true;
    }
    if case.status == Status::Investigating && may(caller, Permission::ProposeVerdict) {
        let input = kept.propose.clone().unwrap_or_default();
        let mut misinfo = vec![Choice::new("", lang.t("verdict.misinfo_none"), input.misinfo_type.is_empty())];
        misinfo.extend(MisinfoType::ALL.iter().map(|t| {
            let code = misinfo_code(*t);
            Choice::new(code.clone(), lang.t(&format!("misinfo.{code}")), input.misinfo_type == code)
        }));
        actions.propose = Some(ProposeForm {
            ratings: Rating::ALL
                .iter()
                .map(|r| Choice::new(rating_code(*r), rating_tag(*r, lang).text, input.rating == rating_code(*r)))
                .collect(),
            misinfo_types: misinfo,
            explanation: input.explanation,
        });
    }
    if case.status == Status::VerdictProposed && may(caller, Permission::ReviewVerdict) {
        let own = case.verdict.as_ref().is_some_and(|v| v.proposed_by.id == caller.user.id);
        actions.review = !own;
        actions.review_blocked = own.then(|| lang.t("verdict.two_person").to_string());
    }
    if may(caller, Permission::Respond) {
        actions.respond = step_buttons(&case, &[Status::Responding, Status::Closed], lang);
    }
    if may(caller, Permission::RequestTakedown) && takedown_allowed(&case).is_ok() {
        actions.takedown_platforms = state
            .config
            .response
            .takedown
            .platforms
            .iter()
            .filter(|p| !requests.iter().any(|r| &r.platform == *p))
            .map(|p| Choice::new(p.clone(), p.clone(), false))
            .collect();
    }
    let drafts: Vec<&Clarification> =
        clarification_list.iter().filter(|c| c.status == ClarificationStatus::Draft).collect();
    // One clarification a case: once published it changes by correction, not by a second article.
    let published = clarification_list.iter().any(|c| c.status == ClarificationStatus::Published);
    if respond && tangkal_response::approved_rating(&case).is_ok() && (!published || !drafts.is_empty()) {
        let draft = drafts.first();
        let input = kept.editor.clone().unwrap_or_else(|| EditorInput {
            draft_id: draft.map(|d| d.id.to_string()).unwrap_or_default(),
            title: draft.map(|d| without_label(&d.title)).unwrap_or_default(),
            claim: draft.map(|d| d.claim.clone()).unwrap_or_default(),
            body_markdown: draft.map(|d| d.body_markdown.clone()).unwrap_or_default(),
            sources: draft.map(|d| sources_text(&d.sources)).unwrap_or_default(),
            topic: draft.and_then(|d| d.topic).map(|t| t.as_str().to_string()).unwrap_or_default(),
            ..EditorInput::default()
        });
        let preview =
            (input.action == "preview").then(|| preview(state, caller, &case, &input, lang)).and_then(Result::ok);
        actions.editor = Some(Editor {
            draft_id: input.draft_id.parse().ok(),
            preview_html: PreviewFragment { lang, preview }.render().map_err(Problem::internal)?,
            title: input.title,
            claim: input.claim,
            body_markdown: input.body_markdown,
            sources: input.sources,
            topics: Topic::ALL
                .into_iter()
                .map(|t| Choice::new(t.as_str(), lang.t(&format!("topic.{}", t.as_str())), t.as_str() == input.topic))
                .collect(),
        });
    }
    let record = may(caller, Permission::RecordTakedownOutcome);
    let takedown_views = requests
        .iter()
        .map(|r| TakedownView {
            id: r.id,
            reference: r.reference.clone(),
            platform: r.platform.clone(),
            state: {
                let s = r.state(now);
                Tag::new(lang.t(&format!("request_state.{}", s.as_str())), s.as_str())
            },
            sent: when(r.sent_at),
            due: when(r.due_at),
            letter_href: format!("/api/v1/takedowns/{}/letter", r.id),
            table_href: format!("/api/v1/takedowns/{}/letter?format=csv", r.id),
            urls: r
                .urls
                .iter()
                .map(|u| UrlRow {
                    url: u.url.clone(),
                    host: u.host.clone(),
                    status: Tag::new(
                        lang.t(&format!("url_status.{}", u.status.as_str())),
                        u.status.as_str().replace('_', "-"),
                    ),
                    note: u.note.clone(),
                    due: when(u.due_at),
                    answered: u.answered_at.map(when),
                    outcomes: if record {
                        UrlStatus::ALL
                            .iter()
                            .filter(|to| u.status.can_move_to(**to))
                            .map(|to| Choice::new(to.as_str(), lang.t(&format!("url_status.{}", to.as_str())), false))
                            .collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
        })
        .collect();
    let clarification_rows = clarification_list
        .iter()
        .filter(|c| respond || c.status == ClarificationStatus::Published)
        .map(|c| ClarificationRow {
            id: c.id,
            title: c.title.clone(),
            status: Tag::new(lang.t(&format!("clarification_status.{}", c.status.as_str())), c.status.as_str()),
            updated: when(c.published_at.unwrap_or(c.updated_at)),
            public_href: (c.status == ClarificationStatus::Published).then(|| format!("/cek-fakta/{}", c.slug)),
            publishable: respond && c.status == ClarificationStatus::Draft,
        })
        .collect();
    let verdict = case.verdict.as_ref().map(|v| VerdictView {
        rating: rating_tag(v.draft.rating, lang),
        misinfo_type: v.draft.misinfo_type.map(|t| lang.t(&format!("misinfo.{}", misinfo_code(t))).to_string()),
        explanation: v.draft.explanation.clone(),
        proposed_by: v.proposed_by.name.clone(),
        proposed_at: when(v.proposed_at),
        review: v.review.as_ref().map(|r| Review {
            by: r.by.name.clone(),
            at: when(r.at),
            outcome: if r.approved {
                Tag::new(lang.t("verdict.approved"), "approved")
            } else {
                Tag::new(lang.t("verdict.rejected"), "rejected")
            },
            note: r.note.clone(),
        }),
    });
    let evidence = case
        .evidence
        .iter()
        .map(|e| {
            let kind = match e.kind {
                EvidenceKind::Link => "evidence.link",
                EvidenceKind::Note => "evidence.note",
                EvidenceKind::File => "evidence.file",
            };
            EvidenceView {
                kind: lang.t(kind).into(),
                url: e.url.clone(),
                note: e.note.clone(),
                file: e.file.as_ref().zip(e.id).map(|(f, eid)| Link {
                    href: format!("/api/v1/cases/{}/evidence/{eid}/file", case.id),
                    label: f.name.clone(),
                }),
                added_by: e.added_by.name.clone(),
                added_at: when(e.added_at),
            }
        })
        .collect();
    let audit = audit.map(|events| audit_rows(&events, tz, lang));
    let unknown = || lang.t("case.unknown").to_string();
    let mut chrome = chrome(
        state,
        Some(caller),
        lang,
        lang.fill("title.case", &[("id", &id.to_string())]),
        &format!("/desk/cases/{id}"),
    );
    chrome.notice = notice;
    Ok(CasePage {
        lang,
        chrome,
        error,
        id,
        title: case.title.clone(),
        summary: case.summary.clone(),
        status: status_tag(case.status, lang),
        priority: priority_tag(case.priority),
        priority_reason: case.priority_reason.clone(),
        urgent: case.urgency == tangkal_cases::Urgency::Urgent,
        countdown: countdown(case.opened_at, case.due_at, case.finished_at, now, tz, lang),
        opened: format::date_time(case.opened_at, tz, lang),
        opened_by: case.opened_by.clone(),
        assignee: case.assignee.as_ref().map(|a| a.name.clone()),
        platforms: case.platforms.join(", "),
        narratives: case
            .narratives
            .iter()
            .map(|n| Link { href: format!("/desk/narratives/{}", super::encode(n)), label: format!("#{n}") })
            .collect(),
        items: format::number(case.items.len() as u64, lang),
        reach: case.signals.reach.map(|r| format::number(r, lang)).unwrap_or_else(unknown),
        velocity: case
            .signals
            .velocity
            .map(|v| lang.fill("case.per_hour", &[("n", &format::decimal(v, 1, lang))]))
            .unwrap_or_else(unknown),
        risk: case.signals.risk.map(|r| format::percent(r, lang)).unwrap_or_else(unknown),
        dismiss_reason: case.dismiss_reason.clone(),
        verdict,
        evidence,
        takedowns: takedown_views,
        clarifications: clarification_rows,
        audit,
        actions,
    })
}

fn step_buttons(case: &Case, steps: &[Status], lang: Lang) -> Vec<Step> {
    steps
        .iter()
        .filter(|to| case.status.can_move_to(**to))
        .map(|to| Step { to: to.as_str().into(), label: lang.t(&format!("step.{}", to.as_str())).into() })
        .collect()
}

/// A stored title is labelled (`[HOAKS] …`); the editor shows it without, as it was typed.
fn without_label(title: &str) -> String {
    match title.strip_prefix('[').and_then(|rest| rest.split_once("] ")) {
        Some((_, rest)) => rest.to_string(),
        None => title.to_string(),
    }
}

fn sources_text(sources: &[Source]) -> String {
    sources.iter().map(|s| format!("{} | {}", s.title, s.url)).collect::<Vec<_>>().join("\n")
}

/// One source a line, `title | url`; a line with only an address is its own title.
fn parse_sources(text: &str) -> Vec<Source> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.rsplit_once('|') {
            Some((title, url)) => Source { title: title.trim().to_string(), url: url.trim().to_string() },
            None => Source { title: line.to_string(), url: line.to_string() },
        })
        .collect()
}

fn new_clarification(input: &EditorInput) -> NewClarification {
    NewClarification {
        title: input.title.clone(),
        body_markdown: input.body_markdown.clone(),
        sources: parse_sources(&input.sources),
        claim: Some(input.claim.trim().to_string()).filter(|c| !c.is_empty()),
        topic: Topic::parse(input.topic.trim()),
    }
}

/// What the public page would show if the draft were published now: the same rules and rendering.
fn preview(
    state: &AppState,
    caller: &Caller,
    case: &Case,
    input: &EditorInput,
    lang: Lang,
) -> Result<Preview, Problem> {
    let now = state.clock.now();
    let mut draft = Clarification::draft(case, &new_clarification(input), &caller.actor(), now)?;
    draft.status = ClarificationStatus::Published;
    draft.published_at = Some(now);
    draft.slug = slug_for(&draft.title);
    let review = claim_review(&draft, &[], &state.config.response.site)?;
    Ok(Preview {
        rating: rating_tag(draft.rating, lang),
        title: draft.title.clone(),
        claim: draft.claim.clone(),
        body_html: draft.body_html(),
        claim_review_json: serde_json::to_string_pretty(&review).map_err(Problem::internal)?,
    })
}

/// After a form: back to the case with a notice, or the case page again with the refusal.
async fn after(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    case_id: i64,
    outcome: Result<&str, Problem>,
    kept: Kept,
) -> Response {
    match outcome {
        Ok(notice) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/desk/cases/{case_id}?done={notice}"))])
            .into_response(),
        // A case the caller may not see is refused by `show` itself, as a page.
        Err(problem) => {
            let error = form_error(&problem, lang_of(headers), FIELDS);
            show(state, caller, headers, case_id, problem.status(), Some(error), kept, None).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<AssignForm>,
) -> Response {
    let outcome = async {
        let user = match f.assignee.trim() {
            "" => None,
            text => {
                Some(text.parse::<i64>().map_err(|_| Problem::invalid(format!("assignee: {text:?} is not a user")))?)
            }
        };
        let to = cases::assignee(&state, user).await?;
        cases::apply(&state, &caller, id, Change::Assign { to }).await.map(|_| "assigned")
    }
    .await;
    after(&state, &caller, &headers, id, outcome, Kept::default()).await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

/// Work steps (triage, investigating, dismissed) and response steps (responding, closed) are one form
/// each; the rules decide who may take which.
async fn move_case(
    state: &AppState,
    caller: &Caller,
    id: i64,
    f: MoveForm,
    allowed: &[Status],
) -> Result<&'static str, Problem> {
    let to = Status::parse(&f.to)
        .filter(|s| allowed.contains(s))
        .ok_or_else(|| Problem::invalid(format!("to: {:?} is not a step here", f.to)))?;
    let reason = Some(f.reason).filter(|r| !r.trim().is_empty());
    cases::apply(state, caller, id, Change::Move { to, reason }).await.map(|_| "moved")
}

pub async fn move_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<MoveForm>,
) -> Response {
    let outcome = move_case(&state, &caller, id, f, &[Status::Triage, Status::Investigating, Status::Dismissed]).await;
    after(&state, &caller, &headers, id, outcome, Kept::default()).await
}

pub async fn respond(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<MoveForm>,
) -> Response {
    let outcome = move_case(&state, &caller, id, f, &[Status::Responding, Status::Closed]).await;
    after(&state, &caller, &headers, id, outcome, Kept::default()).await
}

pub async fn propose_verdict(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<ProposeInput>,
) -> Response {
    let outcome = async {
        let rating = Rating::ALL
            .into_iter()
            .find(|r| rating_code(*r) == f.rating)
            .ok_or_else(|| Problem::invalid(format!("rating: {:?} is not a rating", f.rating)))?;
        let misinfo_type = match f.misinfo_type.as_str() {
            "" => None,
            code => Some(
                MisinfoType::ALL
                    .into_iter()
                    .find(|t| misinfo_code(*t) == code)
                    .ok_or_else(|| Problem::invalid(format!("misinfo_type: {code:?} is not a kind")))?,
            ),
        };
        let draft = VerdictDraft { rating, misinfo_type, explanation: f.explanation.clone() };
        cases::apply(&state, &caller, id, Change::ProposeVerdict(draft)).await.map(|_| "proposed")
    }
    .await;
    after(&state, &caller, &headers, id, outcome, Kept { propose: Some(f), editor: None }).await
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn review_verdict(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<ReviewForm>,
) -> Response {
    let outcome = async {
        let approve = match f.decision.as_str() {
            "approve" => true,
            "reject" => false,
            other => return Err(Problem::invalid(format!("decision: {other:?} is not approve or reject"))),
        };
        let note = Some(f.note).filter(|n| !n.trim().is_empty());
        cases::apply(&state, &caller, id, Change::ReviewVerdict { approve, note }).await.map(|_| "reviewed")
    }
    .await;
    after(&state, &caller, &headers, id, outcome, Kept::default()).await
}

pub async fn add_evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    Upload(mut form): Upload,
) -> Response {
    let mut fields = match cases::read_evidence(&mut form, cases::Sender::Browser, &["csrf_token"]).await {
        Ok(fields) => fields,
        Err(problem) => return after(&state, &caller, &headers, id, Err(problem), Kept::default()).await,
    };
    let token = fields.extra.iter().find(|(name, _)| name == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(problem) = check_form_token(&caller, token) {
        return refusal_page(&state, &caller, &headers, problem);
    }
    // The form sends every field; only the chosen kind's counts.
    match fields.kind {
        Some(EvidenceKind::Link) => (fields.note, fields.file) = (None, None),
        Some(EvidenceKind::Note) => (fields.url, fields.file) = (None, None),
        Some(EvidenceKind::File) => (fields.url, fields.note) = (None, None),
        None => {}
    }
    fields.url = fields.url.filter(|u| !u.trim().is_empty());
    fields.note = fields.note.filter(|n| !n.trim().is_empty());
    let outcome = cases::store_evidence(&state, &caller, id, fields).await.map(|_| "evidence");
    after(&state, &caller, &headers, id, outcome, Kept::default()).await
}

#[derive(Debug, Deserialize)]
pub struct TakedownForm {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    urls: String,
}

pub async fn request_takedown(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<TakedownForm>,
) -> Response {
    let urls: Vec<String> = f.urls.lines().map(str::trim).filter(|u| !u.is_empty()).map(str::to_string).collect();
    let new = NewTakedown { platform: f.platform, urls: (!urls.is_empty()).then_some(urls), ..NewTakedown::default() };
    let outcome = takedowns::send(&state, &caller, id, new).await.map(|_| "takedown");
    after(&state, &caller, &headers, id, outcome, Kept::default()).await
}

#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

pub async fn record_outcome(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<OutcomeForm>,
) -> Response {
    let request = state.pool.run(move |s| s.takedown(id)).await;
    let case_id = match request {
        Ok(Some(r)) if r.visible_to(&caller.actor()) => r.case_id,
        Ok(_) => return refusal_page(&state, &caller, &headers, Problem::not_found(format!("takedown {id}"))),
        Err(problem) => return refusal_page(&state, &caller, &headers, problem),
    };
    let outcome = async {
        let status = UrlStatus::parse(&f.status)
            .ok_or_else(|| Problem::invalid(format!("status: {:?} is not an answer", f.status)))?;
        let note = Some(f.note).filter(|n| !n.trim().is_empty());
        let change = TakedownChange::RecordOutcomes(vec![Outcome { url: f.url, status, note }]);
        takedowns::update(&state, &caller, id, change).await.map(|_| "outcome")
    }
    .await;
    after(&state, &caller, &headers, case_id, outcome, Kept::default()).await
}

/// The editor's one form: `action=preview` shows the public page as it would be (with `fragment=1`,
/// only the preview, for the script), `action=save` stores the draft.
pub async fn clarification(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(f): DeskForm<EditorInput>,
) -> Response {
    let lang = lang_of(&headers);
    if f.action == "preview" {
        let case = match takedowns::visible_case(&state, &caller, id).await {
            Ok(case) => case,
            Err(problem) => return refusal_page(&state, &caller, &headers, problem),
        };
        let preview = preview(&state, &caller, &case, &f, lang);
        if f.fragment == "1" {
            let status = preview.as_ref().map_or_else(Problem::status, |_| StatusCode::OK);
            return render(status, PreviewFragment { lang, preview: preview.ok() }.render());
        }
        return match preview {
            Ok(_) => {
                show(&state, &caller, &headers, id, StatusCode::OK, None, Kept { propose: None, editor: Some(f) }, None)
                    .await
            }
            Err(problem) => {
                after(&state, &caller, &headers, id, Err(problem), Kept { propose: None, editor: Some(f) }).await
            }
        };
    }
    let new = new_clarification(&f);
    let outcome = match f.draft_id.parse::<i64>() {
        Ok(draft) => edit_draft(&state, &caller, id, draft, new).await,
        Err(_) => clarifications::write_draft(&state, &caller, id, &new).await.map(|_| "saved"),
    };
    after(&state, &caller, &headers, id, outcome, Kept { propose: None, editor: Some(f) }).await
}

/// Edits a draft of this case (another case's draft is not found here).
async fn edit_draft(
    state: &AppState,
    caller: &Caller,
    case_id: i64,
    draft: i64,
    new: NewClarification,
) -> Result<&'static str, Problem> {
    let found = state.pool.run(move |s| s.clarification(draft)).await?;
    if found.is_none_or(|c| c.case_id != case_id) {
        return Err(Problem::not_found(format!("draft {draft} of case {case_id}")));
    }
    clarifications::update(state, caller, draft, ClarificationChange::Edit(new)).await.map(|_| "saved")
}

pub async fn publish(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(_): DeskForm<EmptyForm>,
) -> Response {
    let case_id = match state.pool.run(move |s| s.clarification(id)).await {
        Ok(Some(c)) => c.case_id,
        Ok(None) => return refusal_page(&state, &caller, &headers, Problem::not_found(format!("clarification {id}"))),
        Err(problem) => return refusal_page(&state, &caller, &headers, problem),
    };
    let outcome = clarifications::update(&state, &caller, id, ClarificationChange::Publish).await.map(|_| "published");
    after(&state, &caller, &headers, case_id, outcome, Kept::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_read_one_a_line_and_titles_lose_their_label() {
        let sources = parse_sources("Kemenkes | https://kemkes.go.id/a\n\n https://b.example/x \n");
        assert_eq!(sources.len(), 2);
        assert_eq!((sources[0].title.as_str(), sources[0].url.as_str()), ("Kemenkes", "https://kemkes.go.id/a"));
        assert_eq!(sources[1].title, "https://b.example/x");
        assert_eq!(parse_sources(&sources_text(&sources)), sources);
        assert_eq!(without_label("[HOAKS] Vaksin berbahaya"), "Vaksin berbahaya");
        assert_eq!(without_label("Tanpa label"), "Tanpa label");
    }
}
