//! Laporan: citizen reports, newest first, with their instant answer and where they were placed; and one
//! report with the forms that link it to a case or dismiss it. Reporters' contacts are never on a page.

use askama::Template;

use super::case::AuditRow;
use super::queue::Filter;
use super::FormError;
use crate::{Choice, Chrome, Lang, Tag};

/// A link to another page of the desk or the public site.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub href: String,
    pub label: String,
}

/// The published fact-check that answered a report on the spot.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerView {
    pub rating: Tag,
    pub title: String,
    /// Its public page.
    pub href: String,
}

/// When a report came: "3 Des, 14.05" and "12 mnt lalu", with the instant for `<time datetime>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub text: String,
    pub ago: String,
    pub iso: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub href: String,
    pub reference: String,
    pub received: Received,
    pub status: Tag,
    /// The first words of what the reporter sent.
    pub excerpt: String,
    pub host: Option<String>,
    pub platform: String,
    /// How the report came in: the form, the API or a tipline.
    pub channel: String,
    pub answer: Option<AnswerView>,
    pub narrative: Option<Link>,
    pub case: Option<Link>,
}

#[derive(Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub filters: Vec<Filter>,
    pub rows: Vec<ReportRow>,
    /// "12 dari 40 laporan"
    pub shown: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The forms a report still open to change offers.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportActions {
    /// Open cases to link the report to, newest first.
    pub cases: Vec<Choice>,
    /// A case number typed instead of chosen, kept after a refusal.
    pub case_number: String,
    /// Kept after a refusal.
    pub reason: String,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub error: Option<FormError>,
    pub id: i64,
    pub reference: String,
    pub status: Tag,
    pub received: Received,
    pub text: Option<String>,
    pub url: Option<String>,
    pub platform: String,
    pub channel: String,
    pub answer: Option<AnswerView>,
    pub narrative: Option<Link>,
    pub case: Option<Link>,
    pub dismiss_reason: Option<String>,
    pub updated: String,
    /// None once the report is settled (dismissed).
    pub actions: Option<ReportActions>,
    /// The report's audit trail (links and dismissals), for the roles that may read it.
    pub audit: Option<Vec<AuditRow>>,
}
