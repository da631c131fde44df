//! A narrative: its copies grouped by variant, how fast it spreads on each platform, the accounts that
//! post it, coordinated-sharing flags with their evidence, the fact-checks it matched and why, and the
//! case that answers it (or a button to open one).

use askama::Template;

use super::queue::MatchBadge;
use crate::{Chrome, Lang};

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub text: String,
    pub posts: String,
    pub accounts: String,
    pub first: String,
    pub last: String,
    /// The narrative's central copy.
    pub central: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountRow {
    pub platform: String,
    pub name: String,
    pub posts: String,
    pub first: String,
    pub last: String,
    /// Seen in a coordinated burst of this narrative.
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlagView {
    /// "3 Des, 14.05 – 14.09"
    pub window: String,
    pub accounts: Vec<String>,
    pub posts: String,
    /// Posts per hour next to the window, the narrative's own rate.
    pub rate: String,
    /// How many bursts this unusual chance would give at that rate.
    pub expected: String,
    pub repeat_accounts: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchView {
    pub rank: u32,
    pub badge: MatchBadge,
    pub phrases: Vec<String>,
    pub words: Vec<String>,
}

#[derive(Template)]
#[template(path = "narrative.html")]
pub struct NarrativePage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub id: i64,
    /// "Narasi #12 (menyerap #15)" when reached by an absorbed id.
    pub heading: String,
    pub central_text: String,
    pub items: String,
    pub accounts: String,
    pub platforms: String,
    pub reach: String,
    pub velocity: String,
    pub accelerating: bool,
    pub first_seen: String,
    pub last_seen: String,
    pub outcome: Option<String>,
    pub variants: Vec<Variant>,
    /// The spread chart, already rendered (see [`crate::chart`]).
    pub spread_chart: String,
    pub account_rows: Vec<AccountRow>,
    pub flags: Vec<FlagView>,
    pub matches: Vec<MatchView>,
    /// The case answering the narrative.
    pub case_href: Option<String>,
    /// The caller may open a case for it.
    pub can_open_case: bool,
}
