//! The analysts' desk: server-rendered pages (`tangkal-web` draws them) for the queue, cases,
//! narratives, citizen reports and administration, and the forms that act on them. Forms post here and reuse the API's own calls (case
//! changes, takedown requests, clarifications), so a form and an API request are refused alike; a
//! refused form comes back as its page with an error summary naming the field.
//!
//! Pages are declared in the route table with [`Access::Page`](crate::auth::Access::Page): a browser
//! without a session is sent to sign in, a refusal is a page, and every form carries the session's CSRF
//! token in its body ([`DeskForm`], [`check_form_token`]). Pages load only the embedded stylesheet and
//! script, under [`tangkal_web::PAGE_CONTENT_SECURITY_POLICY`]; all of them read without JavaScript.

pub(crate) mod admin;
pub(crate) mod case;
pub(crate) mod dashboard;
pub(crate) mod narrative;
pub(crate) mod queue;
pub(crate) mod reports;

use std::time::Duration;

use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tangkal_cases::{Permission, Priority, Rating, SlaState, Status};
use tangkal_web::pages::case::AuditRow;
use tangkal_web::pages::{ErrorPage, FormError};
use tangkal_web::{format, Badge, Chrome, Countdown, DrillBanner, Lang, NavLink, Tag};

use crate::api::{Ids, Params};
use crate::auth::{self, Caller, Credential};
use crate::{AppState, Problem};

/// The reader's language: the cookie's, else Indonesian.
pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    auth::cookie_value(headers, tangkal_web::LANG_COOKIE).and_then(|code| Lang::parse(&code)).unwrap_or_default()
}

/// A page under the page policy: the embedded stylesheet and script, nothing inline, nothing from elsewhere.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(tangkal_web::PAGE_CONTENT_SECURITY_POLICY));
    response
}

/// Renders a page, or says why it could not.
pub(crate) fn render(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(body) => html(status, body),
        Err(e) => Problem::internal(e).into_response(),
    }
}

/// A local path to come back to: absolute, on this site, without control characters.
pub(crate) fn local_path(path: &str) -> Option<&str> {
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 2048
        && !path.chars().any(|c| c.is_control() || c == '\\');
    safe.then_some(path)
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The link that switches a page at `here` (its path and query) to the other language and comes back.
pub(crate) fn lang_switch(lang: Lang, here: &str) -> String {
    format!("/lang/{}?next={}", lang.other().code(), encode(here))
}

/// The banner every page of a drill carries, with the drill's clock for the countdowns.
pub(crate) fn drill_banner(state: &AppState, lang: Lang) -> Option<DrillBanner> {
    state.config.drill.map(|drill| DrillBanner {
        text: lang.fill("layout.drill", &[("speed", &format::decimal(drill.speed, 0, lang))]),
        started_epoch: drill.started_at.timestamp(),
        speed: drill.speed.to_string(),
    })
}

/// The header, navigation and language switch of a page at `here` (its path and query).
pub(crate) fn chrome(state: &AppState, caller: Option<&Caller>, lang: Lang, title: String, here: &str) -> Chrome {
    let mut chrome = Chrome::new(title, state.config.response.site.organisation.clone(), lang_switch(lang, here));
    chrome.drill = drill_banner(state, lang);
    if let Some(caller) = caller {
        chrome.user = Some(Badge {
            name: caller.user.display_name.clone(),
            role: lang.t(&format!("role.{}", caller.role.as_str())).to_string(),
        });
        if caller.actor().require(Permission::ReadCases).is_ok() {
            let path = here.split('?').next().unwrap_or(here);
            chrome.nav.push(NavLink {
                href: "/desk".into(),
                label: lang.t("nav.queue").into(),
                current: path == "/desk" || path.starts_with("/desk/cases") || path.starts_with("/desk/narratives"),
            });
        }
        if caller.actor().require(Permission::WorkReports).is_ok() {
            chrome.nav.push(NavLink {
                href: "/desk/laporan".into(),
                label: lang.t("nav.reports").into(),
                current: here.starts_with("/desk/laporan"),
            });
        }
        if caller.actor().require(Permission::ReadFigures).is_ok() {
            chrome.nav.push(NavLink {
                href: "/desk/dashboard".into(),
                label: lang.t("nav.dashboard").into(),
                current: here.starts_with("/desk/dashboard"),
            });
        }
        let admin = match (may(caller, Permission::ManageUsers), may(caller, Permission::ManageWebhooks)) {
            (true, _) => Some("/desk/admin"),
            (false, true) => Some("/desk/admin/webhooks"),
            (false, false) => None,
        };
        if let Some(href) = admin {
            chrome.nav.push(NavLink {
                href: href.into(),
                label: lang.t("nav.admin").into(),
                current: here.starts_with("/desk/admin"),
            });
        }
        if let Credential::Session { csrf_token, .. } = &caller.credential {
            chrome.csrf_token = csrf_token.clone();
        }
    }
    chrome
}

/// Where a browser without a session goes: the sign-in page, then back here (for a page it was reading).
pub(crate) fn sign_in_first(request: &Request) -> Response {
    let here = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/desk");
    let location = match request.method() {
        &axum::http::Method::GET => format!("/login?next={}", encode(here)),
        _ => "/login".to_string(),
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A refusal said as a page: the heading from its kind, its detail, and a way back.
pub(crate) fn refusal_page(state: &AppState, caller: &Caller, headers: &HeaderMap, problem: Problem) -> Response {
    let lang = lang_of(headers);
    let (heading, detail) = match problem.status() {
        StatusCode::NOT_FOUND => (lang.t("error.not_found"), lang.t("error.not_found_detail").to_string()),
        StatusCode::FORBIDDEN if problem.kind == "/problems/csrf" => {
            (lang.t("error.forbidden"), lang.t("error.csrf").into())
        }
        StatusCode::FORBIDDEN => (lang.t("error.forbidden"), lang.t("error.forbidden_detail").into()),
        StatusCode::CONFLICT => (lang.t("error.conflict"), problem.detail.clone().unwrap_or_default()),
        status if status.is_server_error() => (lang.t("title.error"), lang.t("error.internal").into()),
        _ => (lang.t("form.error_heading"), problem.detail.clone().unwrap_or_default()),
    };
    let page = ErrorPage {
        lang,
        chrome: chrome(state, Some(caller), lang, heading.to_string(), "/desk"),
        heading: heading.to_string(),
        detail,
    };
    let mut response = render(problem.status(), askama::Template::render(&page));
    if let Some(seconds) = problem.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The session's CSRF token must come back in every form; API tokens are not sent by browsers on
/// their own, so their requests need none.
pub(crate) fn check_form_token(caller: &Caller, sent: &str) -> Result<(), Problem> {
    match &caller.credential {
        Credential::Session { csrf_token, .. } if !auth::constant_time_eq(sent, csrf_token) => Err(Problem::csrf()),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
struct WithToken<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    form: T,
}

/// A desk form (`application/x-www-form-urlencoded`) whose `csrf_token` has been checked against the
/// caller's session. Its fields are text: flattened forms cannot read numbers, handlers parse them.
pub(crate) struct DeskForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for DeskForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let caller = req.extensions().get::<Caller>().cloned();
        let headers = req.headers().clone();
        let Some(caller) = caller else { return Err(Problem::unauthenticated().into_response()) };
        let form = match axum::Form::<WithToken<T>>::from_request(req, state).await {
            Ok(axum::Form(form)) => form,
            Err(rejection) => {
                let problem = Problem::for_status(rejection.status(), rejection.body_text());
                return Err(refusal_page(state, &caller, &headers, problem));
            }
        };
        match check_form_token(&caller, &form.csrf_token) {
            Ok(()) => Ok(DeskForm(form.form)),
            Err(problem) => Err(refusal_page(state, &caller, &headers, problem)),
        }
    }
}

/// A form with nothing but its CSRF token: a button that does one thing.
#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// The form field a refusal names, as the id of its input on the page ("explanation must not be
/// empty" names `explanation`), so the error summary can link to it.
pub(crate) fn form_error(problem: &Problem, lang: Lang, fields: &[(&str, &str)]) -> FormError {
    let detail = problem.detail.clone().unwrap_or_else(|| problem.title.clone());
    let first = detail.split([':', ' ']).next().unwrap_or_default();
    let field = fields.iter().find(|(name, _)| *name == first).map(|(_, id)| id.to_string()).unwrap_or_default();
    let heading = match problem.status() {
        StatusCode::CONFLICT => lang.t("error.conflict"),
        StatusCode::FORBIDDEN if problem.kind == "/problems/csrf" => lang.t("error.csrf"),
        StatusCode::FORBIDDEN => lang.t("error.forbidden"),
        StatusCode::NOT_FOUND => lang.t("error.not_found"),
        _ => lang.t("form.error_heading"),
    };
    FormError { field, message: format!("{heading}: {detail}") }
}

/// Where a case stands against its clock, for the queue and the case page.
pub(crate) fn countdown(
    opened_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: Tz,
    lang: Lang,
) -> Countdown {
    let sla = tangkal_cases::sla(opened_at, due_at, finished_at, now);
    let window = (due_at - opened_at).num_seconds();
    Countdown {
        text: match finished_at {
            Some(_) => lang.t("time.stopped").to_string(),
            None => format::time_left(sla.seconds_left, lang),
        },
        state: sla_tag(sla.state, lang),
        due_epoch: finished_at.is_none().then_some(due_at.timestamp()),
        at_risk_epoch: due_at.timestamp() - window / i64::from(tangkal_cases::AT_RISK_DIVISOR),
        due_text: format::date_time(due_at, tz, lang),
        due_iso: due_at.to_rfc3339(),
    }
}

pub(crate) fn sla_tag(state: SlaState, lang: Lang) -> Tag {
    Tag::new(lang.t(&format!("sla.{}", state.as_str())), state.as_str().replace('_', "-"))
}

pub(crate) fn status_tag(status: Status, lang: Lang) -> Tag {
    let class = match status {
        Status::Closed | Status::Dismissed => "closed",
        Status::VerdictApproved | Status::Responding => "approved",
        _ => "status",
    };
    Tag::new(lang.t(&format!("status.{}", status.as_str())), class)
}

pub(crate) fn priority_tag(priority: Priority) -> Tag {
    Tag::new(format!("P{}", priority.level()), format!("p{}", priority.level()))
}

/// A verdict's rating with its colour family (red for false, orange for misleading, green for true,
/// grey for unproven).
pub(crate) fn rating_tag(rating: Rating, lang: Lang) -> Tag {
    let code = tangkal_response::clarification::label(rating);
    let class = match rating {
        Rating::Hoaks | Rating::Disinformasi => "false",
        Rating::Misinformasi | Rating::Menyesatkan => "misleading",
        Rating::Benar => "true",
        Rating::TidakTerbukti => "unproven",
    };
    Tag::new(lang.t(&format!("rating.{}", code.replace(' ', "_"))), class)
}

/// A fact-check's own rating (free text from its publisher) in the same colour families.
pub(crate) fn factcheck_rating_tag(rating: &str) -> Tag {
    let upper = rating.to_uppercase();
    let class =
        if ["SALAH", "HOAKS", "HOAX", "DISINFORMASI", "FALSE", "PALSU", "FITNAH"].iter().any(|w| upper.contains(w)) {
            "false"
        } else if ["MENYESATKAN", "MISINFORMASI", "MISLEADING", "SEBAGIAN"].iter().any(|w| upper.contains(w)) {
            "misleading"
        } else if ["BENAR", "TRUE", "FAKTA"].iter().any(|w| upper.contains(w)) {
            "true"
        } else {
            "unproven"
        };
    Tag::new(rating, class)
}

/// The first `max` characters of a text, on one line, with an ellipsis when cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// An entity's audit trail as a page lists it: newest first, each action in the reader's words when the
/// catalogue has them.
pub(crate) fn audit_rows(events: &[tangkal_cases::audit::AuditEvent], tz: Tz, lang: Lang) -> Vec<AuditRow> {
    events
        .iter()
        .rev()
        .map(|e| {
            let key = format!("audit.{}", e.action);
            AuditRow {
                at: DateTime::from_timestamp_millis(e.at_ms)
                    .map(|t| format::short_date_time(t, tz, lang))
                    .unwrap_or_default(),
                actor: e.actor.clone(),
                action: if lang.has(&key) { lang.t(&key).to_string() } else { e.action.clone() },
            }
        })
        .collect()
}

/// The zone a caller reads times in.
pub(crate) fn zone(caller: &Caller) -> Tz {
    crate::views::zone_of(&caller.user)
}

/// Whether `caller` may do what `permission` allows, in their role and their token's.
pub(crate) fn may(caller: &Caller, permission: Permission) -> bool {
    caller.actor().require(permission).is_ok()
}

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// `/lang/{code}?next=/path`: remembers the reader's language for a year and goes back to the page.
pub async fn switch_language(
    State(state): State<AppState>,
    Ids(code): Ids<String>,
    Params(q): Params<LangQuery>,
) -> Result<Response, Problem> {
    let lang = Lang::parse(&code).ok_or_else(|| Problem::not_found(format!("no language {code:?} (id, en)")))?;
    let next = q.next.as_deref().and_then(local_path).unwrap_or("/desk").to_string();
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let year = Duration::from_secs(365 * 24 * 3600).as_secs();
    let cookie =
        format!("{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={year}{secure}", tangkal_web::LANG_COOKIE, lang.code());
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, next), (header::SET_COOKIE, cookie)]).into_response())
}

/// `/assets/{file}`: the embedded stylesheet and script under their content-hashed names, cached for good.
pub async fn asset(Ids(file): Ids<String>) -> Result<Response, Problem> {
    let path = format!("{}{file}", tangkal_web::assets::ASSET_PREFIX);
    let asset = tangkal_web::assets::find(&path).ok_or_else(|| Problem::not_found(format!("no asset {path}")))?;
    Ok((
        [(header::CONTENT_TYPE, asset.content_type), (header::CACHE_CONTROL, tangkal_web::assets::IMMUTABLE)],
        asset.body,
    )
        .into_response())
}

/// The label of every role, status, state and rating a page may show, for the catalogue test.
#[cfg(test)]
pub(crate) fn dynamic_keys() -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    keys.extend(tangkal_cases::Role::ALL.iter().map(|r| format!("role.{}", r.as_str())));
    keys.extend(Status::ALL.iter().map(|s| format!("status.{}", s.as_str())));
    keys.extend(
        [SlaState::OnTrack, SlaState::AtRisk, SlaState::Breached, SlaState::Met, SlaState::Missed]
            .iter()
            .map(|s| format!("sla.{}", s.as_str())),
    );
    keys.extend(
        Rating::ALL.iter().map(|r| format!("rating.{}", tangkal_response::clarification::label(*r).replace(' ', "_"))),
    );
    keys.extend(case::dynamic_keys());
    keys.extend(reports::dynamic_keys());
    keys.extend(admin::dynamic_keys());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_and_text_the_desk_uses_is_in_both_catalogues() {
        for key in dynamic_keys() {
            for lang in Lang::ALL {
                assert!(lang.has(&key), "{key} missing in {}", lang.code());
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for file in [
            "desk/mod.rs",
            "desk/queue.rs",
            "desk/case.rs",
            "desk/narrative.rs",
            "desk/dashboard.rs",
            "desk/reports.rs",
            "desk/admin.rs",
            "login.rs",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert_eq!(tangkal_web::unknown_keys(&text), Vec::<String>::new(), "{file}");
        }
    }

    #[test]
    fn only_local_paths_are_followed_back() {
        assert_eq!(local_path("/desk/cases/3?x=1"), Some("/desk/cases/3?x=1"));
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "desk", "/a\nb", ""] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn excerpts_cut_on_characters_and_join_lines() {
        assert_eq!(excerpt("satu\n dua  tiga", 100), "satu dua tiga");
        assert_eq!(excerpt("ééééé", 3), "ééé…");
    }
}
