//! One module per page: its view model and its template. Each page renders into the shared layout.

pub mod admin;
pub mod case;
pub mod dashboard;
pub mod narrative;
pub mod public;
pub mod queue;
pub mod reports;

use askama::Template;

use crate::{Chrome, Lang};

/// The sign-in form. The CSRF token also travels in a cookie (double submit): another site can make a
/// browser post the form but cannot read or set our cookie.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub csrf_token: String,
    /// Where to go once signed in (a path on this site).
    pub next: String,
    /// Kept after a refusal, so only the password is typed again.
    pub username: String,
    pub error: Option<String>,
}

/// A refusal or a missing page, said to a person: what happened and where to go.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub lang: Lang,
    pub chrome: Chrome,
    pub heading: String,
    pub detail: String,
}

/// An error found in a submitted form, shown in a summary at the top of the page that links to the
/// field (the GOV.UK pattern).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// The `id` of the field at fault, for the summary's link; empty when no single field is.
    pub field: String,
    pub message: String,
}
