//! Antrian, the desk's home: open cases by time left on their clock, and rising narratives that no case
//! answers yet.

use askama::Template;

use crate::{Choice, Chrome, Countdown, Lang, Tag};

/// The best published fact-check found for a case's or narrative's claim.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchBadge {
    pub title: String,
    /// "0,82"
    pub score: String,
    pub rating: Option<Tag>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub href: String,
    pub id: i64,
    pub title: String,
    pub status: Tag,
    pub priority: Tag,
    pub urgent: bool,
    pub countdown: Countdown,
    pub reach: String,
    pub velocity: String,
    pub best_match: Option<MatchBadge>,
    pub assignee: Option<String>,
    pub platforms: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeRow {
    pub href: String,
    pub id: i64,
    pub excerpt: String,
    pub items: String,
    pub accounts: String,
    pub platforms: String,
    pub reach: String,
    /// Posts in the last hour.
    pub velocity: String,
    pub accelerating: bool,
    pub best_match: Option<MatchBadge>,
}

/// One filter of the queue, as a `<select>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: &'static str,
    pub label: String,
    pub choices: Vec<Choice>,
}

/// The rows, rendered alone for the script's refresh and inside the whole page.
#[derive(Template)]
#[template(path = "queue_rows.html")]
pub struct QueueRows {
    pub lang: Lang,
    pub cases: Vec<CaseRow>,
    pub narratives: Vec<NarrativeRow>,
    /// "12 dari 40 kasus"
    pub shown: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// "Diperbarui 14.05 WIB"
    pub updated: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub struct QueuePage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub filters: Vec<Filter>,
    /// The rows' own address, which the script polls for new items.
    pub refresh_href: String,
    pub rows: QueueRows,
}
