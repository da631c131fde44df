//! Tangkal's web pages, rendering only: askama templates (escaped at compile time), the desk's layout
//! (header, navigation by role, language switch, footer) and the public site's (`pages::public`: no
//! script, the feed and link previews in the head), the words of every page in Bahasa Indonesia
//! and English ([`Lang`]), Indonesian dates and numbers ([`format`]), SVG charts with their data tables
//! ([`chart`]) and the embedded stylesheet and script ([`assets`]).
//!
//! Pages take plain view models: the server reads the store, decides what the caller may do, and fills
//! them in; this crate knows nothing of the store or the rules. Every page reads without JavaScript; the
//! script only keeps countdowns running, refreshes the queue and previews a clarification as it is typed.

pub mod assets;
pub mod chart;
pub mod format;
mod i18n;
pub mod pages;

pub use i18n::{unknown_keys, Lang, LANG_COOKIE};

/// The policy of pages that load the embedded stylesheet and script: those two from this server and
/// nothing else, no inline script or style, forms posting only here, never framed. `connect-src` lets
/// the script fetch fragments of the same pages.
pub const PAGE_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A link in the header's navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

/// Who is signed in, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub name: String,
    pub role: String,
}

/// What the shared layout needs besides the page itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chrome {
    /// The page's own title, before the site's name.
    pub title: String,
    pub organisation: String,
    pub user: Option<Badge>,
    pub nav: Vec<NavLink>,
    /// The session's CSRF token, for the sign-out form (and the page's own forms).
    pub csrf_token: String,
    /// Switches to the other language and comes back to this page.
    pub lang_switch: String,
    pub stylesheet: &'static str,
    pub script: &'static str,
    pub icon: &'static str,
    /// A short confirmation of what the previous request did ("Kasus ditugaskan").
    pub notice: Option<String>,
    /// Set while the server runs a training drill.
    pub drill: Option<DrillBanner>,
}

/// What every page of a drill shows, and the drill's clock for the script's countdowns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillBanner {
    /// "Latihan simulasi · waktu ×60 · data latihan, terpisah dari data nyata".
    pub text: String,
    /// When the drill's clock started, in UTC seconds (its time and the wall clock agreed then).
    pub started_epoch: i64,
    /// How many times faster than the wall clock, as the script reads numbers ("60", "1.5").
    pub speed: String,
}

impl Chrome {
    pub fn new(title: String, organisation: String, lang_switch: String) -> Chrome {
        Chrome {
            title,
            organisation,
            user: None,
            nav: Vec::new(),
            csrf_token: String::new(),
            lang_switch,
            stylesheet: &assets::stylesheet().path,
            script: &assets::script().path,
            icon: &assets::icon().path,
            notice: None,
            drill: None,
        }
    }
}

/// A choice in a `<select>` or a group of radio buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Choice {
        Choice { value: value.into(), label: label.into(), selected }
    }
}

/// A label with its look: `class` gives colour, and the text always says the same (never colour alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub text: String,
    pub class: String,
}

impl Tag {
    pub fn new(text: impl Into<String>, class: impl Into<String>) -> Tag {
        Tag { text: text.into(), class: class.into() }
    }
}

/// Time left on a clock: the text as of rendering, and what the script needs to keep it running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countdown {
    /// "5 jam 12 mnt lagi", "lewat 2 jam".
    pub text: String,
    /// On track, at risk, breached, met, missed.
    pub state: Tag,
    /// The deadline in UTC seconds; absent once the clock has stopped.
    pub due_epoch: Option<i64>,
    /// When the last quarter of the window begins, in UTC seconds.
    pub at_risk_epoch: i64,
    /// The deadline written out: "3 Desember 2026, 14.05 WIB".
    pub due_text: String,
    /// The deadline for machines (RFC 3339), for `<time datetime>`.
    pub due_iso: String,
}
