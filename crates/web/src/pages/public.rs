//! The public site, for readers without an account: published clarifications (`/cek-fakta`, with
//! search and filters, and one page each), the transparency log (`/transparansi`) and the report form
//! (`/lapor`). They share the stylesheet, the words and the formats of the desk, but their own layout
//! (`public/layout.html`): no script at all, the public navigation, the feed in every head, and the
//! link preview tags that show a page's label and title where it is shared.

use askama::Template;

use crate::pages::FormError;
use crate::{Choice, Chrome, Lang, Tag};

/// What a link to a page shows where it is shared (WhatsApp, X, Facebook, Telegram): Open Graph and
/// Twitter-card tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    /// `website` or `article`.
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    /// Absolute, from the configured public address.
    pub url: String,
    /// RFC 3339.
    pub published: Option<String>,
    pub modified: Option<String>,
}

/// A published clarification as a list shows it: its label first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub href: String,
    pub rating: Tag,
    /// Without the label, which the tag shows.
    pub title: String,
    pub claim: String,
    pub topic: Option<String>,
    pub published: String,
    /// RFC 3339, for `<time datetime>`.
    pub published_iso: String,
}

/// The list's filter form as the reader filled it in (what could not be read is kept as typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilters {
    pub query: String,
    pub ratings: Vec<Choice>,
    pub topics: Vec<Choice>,
    /// `YYYY-MM-DD`, or what was typed.
    pub from: String,
    pub to: String,
}

/// Links to the neighbouring pages of a list, which keep its query and filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    /// "Halaman 2 dari 5".
    pub label: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// `/cek-fakta`: the latest clarifications, or those matching the search and filters.
#[derive(Template)]
#[template(path = "public/list.html")]
pub struct ListPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub preview: Option<LinkPreview>,
    pub filters: ListFilters,
    /// Filters that could not be read and were left out, naming the first one's field.
    pub error: Option<FormError>,
    /// "12 klarifikasi" or "3 hasil untuk «banjir»".
    pub count: String,
    /// A search or filter narrows the list: offer the way back to all of it.
    pub narrowed: bool,
    pub results: Vec<Summary>,
    pub paging: Paging,
}

/// An open correction: when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRow {
    pub at: String,
    pub at_iso: String,
    pub reason: String,
}

/// A source named by the clarification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLink {
    pub title: String,
    pub url: String,
}

/// `/cek-fakta/{slug}`: the label, the claim, the short answer, then the body, sources and corrections.
#[derive(Template)]
#[template(path = "public/article.html")]
pub struct ArticlePage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub preview: Option<LinkPreview>,
    pub rating: Tag,
    /// Without the label, which the tag shows.
    pub title: String,
    pub claim: String,
    /// The body's first sentences, when the body says more than them.
    pub short_answer: Option<String>,
    /// The topic's name and the list of clarifications on it.
    pub topic: Option<(String, String)>,
    pub published: String,
    pub published_iso: String,
    /// Rendered from Markdown and sanitised by the response rules.
    pub body_html: String,
    pub sources: Vec<SourceLink>,
    pub corrections: Vec<CorrectionRow>,
    /// The ClaimReview, escaped for a `<script>` data block.
    pub json_ld: String,
}

/// A table of figures with its caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    /// Columns from this one on hold numbers (aligned right).
    pub numbers_from: usize,
    pub rows: Vec<TableRow>,
    /// The heading of a last column holding each row's link, if the table has one.
    pub link_heading: Option<String>,
}

/// A row of a [`Table`]: its cells (the first names the row) and its link's label and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub cells: Vec<String>,
    pub link: Option<(String, String)>,
}

/// `/transparansi`: charts of the figures per platform, the figures, and the log of requests.
#[derive(Template)]
#[template(path = "public/transparency.html")]
pub struct TransparencyPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub preview: Option<LinkPreview>,
    /// How long requests wait before they are shown, and until when they are.
    pub intro: String,
    pub periods: Vec<Choice>,
    /// Rendered by [`crate::chart`], each with its table.
    pub charts: Vec<String>,
    /// The figures per platform and period, then the log of requests.
    pub tables: Vec<Table>,
    pub paging: Paging,
}

/// What a reporter typed, kept when something must be corrected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFields {
    pub text: String,
    pub url: String,
    pub contact: String,
}

/// `/lapor`: the report form.
#[derive(Template)]
#[template(path = "public/report_form.html")]
pub struct ReportFormPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub csrf_token: String,
    pub platforms: Vec<Choice>,
    pub fields: ReportFields,
    pub error: Option<FormError>,
}

/// A published answer to a report: its label, title and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rating: Tag,
    pub title: String,
    pub url: String,
}

/// After a report is sent: the instant answer, or the reference and the link to follow it.
#[derive(Template)]
#[template(path = "public/report_receipt.html")]
pub struct ReceiptPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub answer: Option<Answer>,
    /// None for a honeypot's thank-you.
    pub reference: Option<String>,
    pub status_link: String,
}

/// `/lapor/status`: what became of a report.
#[derive(Template)]
#[template(path = "public/report_status.html")]
pub struct ReportStatusPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub reference: String,
    pub status: Tag,
    pub received: String,
    pub updated: String,
    pub answer: Option<Answer>,
}

/// A short page that says one thing (a report not found, too many reports) and leads back to the form.
#[derive(Template)]
#[template(path = "public/message.html")]
pub struct MessagePage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
}
