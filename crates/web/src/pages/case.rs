//! A case on one screen: where it stands, its verdict and evidence, the actions the caller's role may
//! take in its state, its takedown requests and clarifications, and its audit trail. Each action is a
//! plain form that posts back to the desk and returns here.

use askama::Template;

use super::FormError;
use crate::{Choice, Chrome, Countdown, Lang, Tag};

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub href: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub by: String,
    pub at: String,
    pub outcome: Tag,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerdictView {
    pub rating: Tag,
    pub misinfo_type: Option<String>,
    pub explanation: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub review: Option<Review>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceView {
    pub kind: String,
    pub url: Option<String>,
    pub note: Option<String>,
    /// The file's name and where to download it.
    pub file: Option<Link>,
    pub added_by: String,
    pub added_at: String,
}

/// A button that moves the case to another status.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub to: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UrlRow {
    pub url: String,
    pub host: String,
    pub status: Tag,
    pub note: Option<String>,
    pub due: String,
    pub answered: Option<String>,
    /// Answers the caller may record for this URL; empty when none may follow or the role may not.
    pub outcomes: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TakedownView {
    pub id: i64,
    pub reference: String,
    pub platform: String,
    pub state: Tag,
    pub sent: String,
    pub due: String,
    pub letter_href: String,
    pub table_href: String,
    pub urls: Vec<UrlRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClarificationRow {
    pub id: i64,
    pub title: String,
    pub status: Tag,
    pub updated: String,
    /// The public page, once published.
    pub public_href: Option<String>,
    /// The caller may publish this draft.
    pub publishable: bool,
}

/// The clarification editor's fields (a new draft, or the draft being edited) and its preview.
#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    /// The draft edited; none for a new one.
    pub draft_id: Option<i64>,
    pub title: String,
    pub claim: String,
    pub body_markdown: String,
    /// One source a line: `title | https://…`.
    pub sources: String,
    /// The topics to choose from, the draft's selected.
    pub topics: Vec<Choice>,
    /// The preview section's content, rendered by [`PreviewFragment`].
    pub preview_html: String,
}

/// The preview alone: inside the case page, and what the script asks for as the text is typed.
#[derive(Template)]
#[template(path = "preview.html")]
pub struct PreviewFragment {
    pub lang: Lang,
    pub preview: Option<Preview>,
}

/// What the public page would show: the label, title, claim and body, and its ClaimReview.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub rating: Tag,
    pub title: String,
    pub claim: String,
    /// Rendered from Markdown and sanitised by the response rules (no raw HTML survives).
    pub body_html: String,
    pub claim_review_json: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
}

/// What the caller may do now; each `None` or empty list hides a form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actions {
    /// People who may work cases, for the assignment form.
    pub assignees: Vec<Choice>,
    pub steps: Vec<Step>,
    pub dismiss: bool,
    pub propose: Option<ProposeForm>,
    pub review: bool,
    /// Why the caller may not review the proposal (the two-person rule).
    pub review_blocked: Option<String>,
    pub respond: Vec<Step>,
    pub evidence: bool,
    /// Platforms a takedown request may still go to.
    pub takedown_platforms: Vec<Choice>,
    pub editor: Option<Editor>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProposeForm {
    pub ratings: Vec<Choice>,
    pub misinfo_types: Vec<Choice>,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub error: Option<FormError>,
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub status: Tag,
    pub priority: Tag,
    pub priority_reason: Option<String>,
    pub urgent: bool,
    pub countdown: Countdown,
    pub opened: String,
    pub opened_by: String,
    pub assignee: Option<String>,
    pub platforms: String,
    pub narratives: Vec<Link>,
    pub items: String,
    pub reach: String,
    pub velocity: String,
    pub risk: String,
    pub dismiss_reason: Option<String>,
    pub verdict: Option<VerdictView>,
    pub evidence: Vec<EvidenceView>,
    pub takedowns: Vec<TakedownView>,
    pub clarifications: Vec<ClarificationRow>,
    /// The case's audit trail, for the roles that may read it.
    pub audit: Option<Vec<AuditRow>>,
    pub actions: Actions,
}
