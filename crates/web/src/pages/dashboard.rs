//! The dashboard: the desk's figures at a glance, trend charts, and every table downloadable as CSV.
//! It prints as a period report.

use askama::Template;

use super::queue::NarrativeRow;
use crate::{Chrome, Lang};

/// One headline figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub note: Option<String>,
}

/// A table of figures, with its CSV download.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureTable {
    pub caption: String,
    pub columns: Vec<String>,
    /// Columns from this one on hold numbers (aligned right).
    pub numbers_from: usize,
    pub rows: Vec<Vec<String>>,
    pub csv_href: String,
}

/// A rendered chart (see [`crate::chart`]) with its CSV download.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartBlock {
    pub html: String,
    pub csv_href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub lang: Lang,
    pub chrome: Chrome,
    /// The period's first and last day, `YYYY-MM-DD`, for the period form.
    pub from: String,
    pub to: String,
    /// "1 Maret – 14 Maret 2026"
    pub period: String,
    /// "N konten diturunkan, M klarifikasi, median waktu respons …"
    pub summary: String,
    pub figures: Vec<Figure>,
    pub charts: Vec<ChartBlock>,
    pub tables: Vec<FigureTable>,
    pub top: Vec<NarrativeRow>,
}
