//! `/lapor`: the public report form, in Indonesian, for anyone without an account or JavaScript. It
//! takes what `POST /api/v1/reports` takes and goes through the same intake; the answer page shows the
//! instant answer, or the reference and the link to follow the report (`/lapor/status`).
//!
//! Abuse: a double-submit token against cross-site posts ([`auth::form_token`]), the report budgets of
//! the intake, and a honeypot: a field people never see (the `hidden` attribute hides it without any
//! style, which the pages' security policy forbids) and bots fill in. A filled honeypot gets a thank-you
//! page like any other and nothing is stored.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tangkal_response::report::{
    NewReport, PublicReportStatus, ReportAnswer, ReportChannel, ReportStatus, OTHER_PLATFORM,
};
use tangkal_response::ResponseError;

use crate::api::reports::{reporter_view, status_url};
use crate::api::takedowns::wib;
use crate::api::{FormBody, Params};
use crate::intake::NotTaken;
use crate::throttle::ClientAddr;
use crate::{auth, AppState, Problem};

/// How long a browser keeps the form's token.
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A platform as the form offers it: its name and what people call it.
struct Choice {
    value: String,
    label: String,
}

fn platform_label(name: &str) -> String {
    let known = match name {
        "x" => "X (Twitter)",
        "facebook" => "Facebook",
        "instagram" => "Instagram",
        "threads" => "Threads",
        "tiktok" => "TikTok",
        "youtube" => "YouTube",
        "telegram" => "Telegram",
        "whatsapp" => "WhatsApp (pesan atau grup)",
        "whatsapp_channel" => "Saluran WhatsApp",
        "line" => "LINE",
        "web" => "Situs web",
        "news" => "Media berita",
        OTHER_PLATFORM => "Lainnya (SMS, poster, dari mulut ke mulut)",
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

#[derive(Template)]
#[template(path = "lapor.html")]
struct FormPage<'a> {
    organisation: &'a str,
    csrf: &'a str,
    platforms: Vec<Choice>,
    form: &'a ReportForm,
    /// Which field to correct (its label), and what it takes.
    error: Option<(&'static str, String)>,
}

/// The field's label on the form, and what it takes, in words a reporter understands.
fn field_hint(field: &str) -> (&'static str, String) {
    match field {
        "url" => (
            "Tautan",
            format!(
                "Tautan harus diawali http:// atau https:// dan paling panjang {} karakter.",
                tangkal_response::MAX_URL_CHARS
            ),
        ),
        "platform" => ("Dilihat di", "Pilih tempat Anda melihat kabar ini dari daftar.".to_string()),
        "contact" => ("Kontak", "Kontak harus berupa alamat e-mail atau nomor telepon, atau dikosongkan.".to_string()),
        _ => (
            "Isi pesan",
            format!(
            "Tuliskan isi pesan yang Anda terima (paling panjang {} karakter) atau cantumkan tautannya. Pesan yang \
             hanya berisi emoji atau simbol tidak dapat diperiksa.",
            tangkal_response::report::MAX_TEXT_CHARS
        ),
        ),
    }
}

fn render(page: impl Template) -> Result<String, Problem> {
    page.render().map_err(Problem::internal)
}

/// The form, with `error` to correct; `status` is the page's status code.
fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    form: &ReportForm,
    error: Option<(&'static str, String)>,
    status: StatusCode,
) -> Result<Response, Problem> {
    let (csrf, cookie) =
        auth::form_token(headers, auth::REPORT_CSRF_COOKIE, TOKEN_LIFETIME, state.config.secure_cookies);
    let platforms = state
        .config
        .platforms
        .iter()
        .map(String::as_str)
        .chain([OTHER_PLATFORM])
        .map(|p| Choice { value: p.to_string(), label: platform_label(p) })
        .collect();
    let html = render(FormPage {
        organisation: &state.config.response.site.organisation,
        csrf: &csrf,
        platforms,
        form,
        error,
    })?;
    let mut response = (status, Html(html)).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie.parse().map_err(Problem::internal)?);
    }
    Ok(response)
}

/// `GET /lapor`: the empty form.
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    form_page(&state, &headers, &ReportForm::default(), None, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "lapor_diterima.html")]
struct ReceiptPage<'a> {
    organisation: &'a str,
    /// None for a honeypot's thank-you.
    reference: Option<String>,
    answer: Option<ReportAnswer>,
    status_link: String,
}

#[derive(Template)]
#[template(path = "lapor_pesan.html")]
struct MessagePage<'a> {
    organisation: &'a str,
    title: &'a str,
    message: String,
}

fn message_page(state: &AppState, status: StatusCode, title: &str, message: String) -> Result<Response, Problem> {
    let html = render(MessagePage { organisation: &state.config.response.site.organisation, title, message })?;
    Ok((status, Html(html)).into_response())
}

/// `POST /lapor`: receives the report and shows what became of it, or the form again with what to fix.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    FormBody(form): FormBody<ReportForm>,
) -> Result<Response, Problem> {
    let organisation = &state.config.response.site.organisation;
    if !auth::form_token_matches(&headers, auth::REPORT_CSRF_COOKIE, &form.csrf_token) {
        let expired = "Formulir ini sudah kedaluwarsa atau dibuka di peramban lain. Periksa isinya, lalu kirim lagi.";
        return form_page(&state, &headers, &form, Some(("Kirim laporan", expired.to_string())), StatusCode::FORBIDDEN);
    }
    if !form.website.is_empty() {
        if let Err(problem) = state.reports.admit(client) {
            return refused(&state, problem);
        }
        tracing::debug!(target: "tangkal::reports", "a report form with its honeypot filled was dropped");
        let html = render(ReceiptPage { organisation, reference: None, answer: None, status_link: String::new() })?;
        return Ok(Html(html).into_response());
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
            let html = render(ReceiptPage {
                organisation,
                status_link: status_url(&state.config.response.site, &report.reference, received.token.as_str()),
                reference: Some(report.reference),
                answer: report.answer,
            })?;
            Ok(Html(html).into_response())
        }
        Err(NotTaken::Invalid(ResponseError::Invalid { field, .. })) => {
            form_page(&state, &headers, &form, Some(field_hint(field)), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(NotTaken::Invalid(other)) => Err(other.into()),
        Err(NotTaken::Refused(problem)) => refused(&state, problem),
    }
}

/// A budget's refusal as a page with its `Retry-After`; any other problem as a problem document.
fn refused(state: &AppState, problem: Problem) -> Result<Response, Problem> {
    let (StatusCode::TOO_MANY_REQUESTS, Some(seconds)) = (problem.status(), problem.retry_after) else {
        return Err(problem);
    };
    let minutes = seconds.div_ceil(60);
    let message = format!("Terlalu banyak laporan dalam waktu singkat. Silakan coba lagi dalam {minutes} menit.");
    let mut page = message_page(state, StatusCode::TOO_MANY_REQUESTS, "Coba lagi nanti", message)?;
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

#[derive(Template)]
#[template(path = "lapor_status.html")]
struct StatusPage<'a> {
    organisation: &'a str,
    report: PublicReportStatus,
    status: &'static str,
    received_at: String,
    updated_at: String,
}

fn status_text(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Received => "Diterima, menunggu pemeriksaan tim",
        ReportStatus::Answered => "Sudah dijawab dengan hasil cek fakta",
        ReportStatus::Linked => "Sedang ditangani tim dalam sebuah kasus",
        ReportStatus::Dismissed => "Ditutup tanpa tindak lanjut",
    }
}

/// `GET /lapor/status?ref=…&token=…`: what became of a report, for whoever holds its token. A wrong
/// reference or token is 404 alike.
pub async fn status(State(state): State<AppState>, Params(q): Params<StatusQuery>) -> Result<Response, Problem> {
    let found = match q.token.is_empty() {
        true => None,
        false => reporter_view(&state, q.reference, q.token).await?,
    };
    let Some(report) = found else {
        let message = "Nomor laporan atau tautannya tidak cocok. Gunakan tautan lengkap yang Anda terima saat melapor.";
        return message_page(&state, StatusCode::NOT_FOUND, "Laporan tidak ditemukan", message.to_string());
    };
    let html = render(StatusPage {
        organisation: &state.config.response.site.organisation,
        status: status_text(report.status),
        received_at: wib(&report.received_at),
        updated_at: wib(&report.updated_at),
        report,
    })?;
    Ok(Html(html).into_response())
}
