//! `/lapor`: the public report form, in the reader's language, for anyone without an account or JavaScript. It
//! takes what `POST /api/v1/reports` takes and goes through the same intake; the answer page shows the
//! instant answer, or the reference and the link to follow the report (`/lapor/status`).
//!
//! Abuse: a double-submit token against cross-site posts ([`auth::form_token`]), the report budgets of
//! the intake, and a honeypot: a field people never see (the `hidden` attribute hides it without any
//! inline style, which the pages' security policy forbids) and bots fill in. A filled honeypot gets a thank-you
//! page like any other and nothing is stored.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tangkal_response::report::{NewReport, ReportAnswer, ReportChannel, ReportStatus, OTHER_PLATFORM};
use tangkal_response::ResponseError;
use tangkal_web::pages::public::{Answer, MessagePage, ReceiptPage, ReportFields, ReportFormPage, ReportStatusPage};
use tangkal_web::pages::FormError;
use tangkal_web::{format, Choice, Lang, Tag};

use crate::api::reports::{reporter_view, status_url};
use crate::api::{FormBody, Params};
use crate::desk::{factcheck_rating_tag, lang_of};
use crate::intake::NotTaken;
use crate::public::{public_chrome, uncached_page};
use crate::throttle::ClientAddr;
use crate::views::DEFAULT_TIME_ZONE;
use crate::{auth, AppState, Problem};

/// How long a browser keeps the form's token.
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// What people call a platform: brand names as they are, the rest in the reader's words.
fn platform_label(name: &str, lang: Lang) -> String {
    let known = match name {
        "x" => "X (Twitter)",
        "facebook" => "Facebook",
        "instagram" => "Instagram",
        "threads" => "Threads",
        "tiktok" => "TikTok",
        "youtube" => "YouTube",
        "telegram" => "Telegram",
        "line" => "LINE",
        "whatsapp" | "whatsapp_channel" | "web" | "news" | OTHER_PLATFORM => {
            return lang.t(&format!("lapor_platform.{name}")).to_string()
        }
        other => other,
    };
    known.to_string()
}

/// What was typed, shown again when something must be corrected.
#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    contact: String,
    /// The honeypot.
    #[serde(default)]
    website: String,
    #[serde(default)]
    csrf_token: String,
}

/// The refusal of `field` as the form says it: the field's label and what it takes, in words a reporter
/// understands, linked to its input.
fn field_error(field: &str, lang: Lang) -> FormError {
    let (id, label, hint) = match field {
        "url" => (
            "url",
            "lapor.field_url",
            lang.fill("lapor.hint_url", &[("max", &tangkal_response::MAX_URL_CHARS.to_string())]),
        ),
        "platform" => ("platform", "lapor.field_platform", lang.t("lapor.hint_platform").to_string()),
        "contact" => ("contact", "lapor.field_contact", lang.t("lapor.hint_contact").to_string()),
        _ => (
            "text",
            "lapor.field_text",
            lang.fill("lapor.hint_text", &[("max", &tangkal_response::report::MAX_TEXT_CHARS.to_string())]),
        ),
    };
    FormError {
        field: id.to_string(),
        message: lang.fill("lapor.field_error", &[("field", lang.t(label)), ("message", &hint)]),
    }
}

/// The form, with `error` to correct; `status` is the page's status code.
fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    form: &ReportForm,
    error: Option<FormError>,
    status: StatusCode,
) -> Result<Response, Problem> {
    let lang = lang_of(headers);
    let (csrf, cookie) =
        auth::form_token(headers, auth::REPORT_CSRF_COOKIE, TOKEN_LIFETIME, state.config.secure_cookies);
    let platforms = state
        .config
        .platforms
        .iter()
        .map(String::as_str)
        .chain([OTHER_PLATFORM])
        .map(|p| Choice::new(p, platform_label(p, lang), p == form.platform))
        .collect();
    let page = ReportFormPage {
        lang,
        chrome: public_chrome(state, lang, lang.t("lapor.title").to_string(), "/lapor"),
        csrf_token: csrf,
        platforms,
        fields: ReportFields { text: form.text.clone(), url: form.url.clone(), contact: form.contact.clone() },
        error,
    };
    let mut response = uncached_page(status, page.render())?;
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie.parse().map_err(Problem::internal)?);
    }
    Ok(response)
}

/// `GET /lapor`: the empty form.
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    form_page(&state, &headers, &ReportForm::default(), None, StatusCode::OK)
}

fn answer(a: ReportAnswer) -> Answer {
    Answer { rating: factcheck_rating_tag(&a.rating), title: a.title, url: a.url }
}

fn message_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    heading: &str,
    message: String,
) -> Result<Response, Problem> {
    let page = MessagePage {
        lang,
        chrome: public_chrome(state, lang, heading.to_string(), "/lapor"),
        heading: heading.to_string(),
        message,
    };
    uncached_page(status, page.render())
}

/// `POST /lapor`: receives the report and shows what became of it, or the form again with what to fix.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    FormBody(form): FormBody<ReportForm>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let receipt = |reference: Option<String>, found: Option<ReportAnswer>, status_link: String| ReceiptPage {
        lang,
        chrome: public_chrome(&state, lang, lang.t("lapor.title_received").to_string(), "/lapor"),
        answer: found.map(answer),
        reference,
        status_link,
    };
    if !auth::form_token_matches(&headers, auth::REPORT_CSRF_COOKIE, &form.csrf_token) {
        let expired = FormError { field: String::new(), message: lang.t("lapor.expired").to_string() };
        return form_page(&state, &headers, &form, Some(expired), StatusCode::FORBIDDEN);
    }
    if !form.website.is_empty() {
        if let Err(problem) = state.reports.admit(client) {
            return refused(&state, lang, problem);
        }
        tracing::debug!(target: "tangkal::reports", "a report form with its honeypot filled was dropped");
        return uncached_page(StatusCode::OK, receipt(None, None, String::new()).render());
    }
    let optional = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let new = NewReport {
        // Browsers send a textarea's line breaks as CRLF but count them as one character.
        text: optional(&form.text).map(|_| form.text.replace("\r\n", "\n")),
        url: optional(&form.url),
        platform: form.platform.clone(),
        contact: optional(&form.contact),
    };
    match crate::intake::receive(&state, client, new, ReportChannel::Web).await {
        Ok(received) => {
            let report = received.report;
            let link = status_url(&state.config.response.site, &report.reference, received.token.as_str());
            uncached_page(StatusCode::OK, receipt(Some(report.reference), report.answer, link).render())
        }
        Err(NotTaken::Invalid(ResponseError::Invalid { field, .. })) => {
            form_page(&state, &headers, &form, Some(field_error(field, lang)), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(NotTaken::Invalid(other)) => Err(other.into()),
        Err(NotTaken::Refused(problem)) => refused(&state, lang, problem),
    }
}

/// A budget's refusal as a page with its `Retry-After`; any other problem as a problem document.
fn refused(state: &AppState, lang: Lang, problem: Problem) -> Result<Response, Problem> {
    let (StatusCode::TOO_MANY_REQUESTS, Some(seconds)) = (problem.status(), problem.retry_after) else {
        return Err(problem);
    };
    let minutes = format::number(seconds.div_ceil(60), lang);
    let message = lang.fill("lapor.too_many", &[("minutes", &minutes)]);
    let heading = lang.t("lapor.too_many_heading");
    let mut page = message_page(state, lang, StatusCode::TOO_MANY_REQUESTS, heading, message)?;
    page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    Ok(page)
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusQuery {
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    token: String,
}

/// Where a report stands, in words and colour: answered green, dismissed grey, the rest under way.
fn status_tag(status: ReportStatus, lang: Lang) -> Tag {
    let class = match status {
        ReportStatus::Answered => "complied",
        ReportStatus::Dismissed => "closed",
        ReportStatus::Received | ReportStatus::Linked => "status",
    };
    Tag::new(lang.t(&format!("lapor_status.{}", status.as_str())), class)
}

/// `GET /lapor/status?ref=…&token=…`: what became of a report, for whoever holds its token. A wrong
/// reference or token is 404 alike.
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(q): Params<StatusQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let found = match q.token.is_empty() {
        true => None,
        false => reporter_view(&state, q.reference, q.token).await?,
    };
    let Some(report) = found else {
        let heading = lang.t("lapor.not_found_heading");
        return message_page(&state, lang, StatusCode::NOT_FOUND, heading, lang.t("lapor.not_found").to_string());
    };
    let when = |t| format::medium_date_time(t, DEFAULT_TIME_ZONE, lang);
    let page = ReportStatusPage {
        lang,
        chrome: public_chrome(&state, lang, format!("{} {}", lang.t("lapor.report"), report.reference), "/lapor"),
        status: status_tag(report.status, lang),
        received: when(report.received_at),
        updated: when(report.updated_at),
        answer: report.answer.map(answer),
        reference: report.reference,
    };
    uncached_page(StatusCode::OK, page.render())
}

/// Keys the report pages build at run time, for the catalogue test.
#[cfg(test)]
pub(crate) fn dynamic_keys() -> Vec<String> {
    let mut keys: Vec<String> = ReportStatus::ALL.iter().map(|s| format!("lapor_status.{}", s.as_str())).collect();
    keys.extend(
        ["whatsapp", "whatsapp_channel", "web", "news", OTHER_PLATFORM].iter().map(|p| format!("lapor_platform.{p}")),
    );
    keys.extend(["text", "url", "platform", "contact"].iter().map(|f| format!("lapor.field_{f}")));
    keys
}
