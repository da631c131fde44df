//! Tangkal's response domain: what happens once a case has an approved verdict, with no storage or HTTP in
//! sight so that the store, the server and the CLI apply the same rules.
//!
//! - [`takedown`]: requests to platforms to take content down, their 1×24-hour (4-hour urgent) deadline,
//!   per-URL outcomes and the state a request is in.
//! - [`clarification`]: the public clarification of a verdict, its label, slug, sanitised Markdown and
//!   open corrections.
//! - [`claimreview`]: schema.org `ClaimReview` JSON-LD, the `DataFeed` for partners and the Atom feed.
//! - [`transparency`]: the public log of takedown requests (hosts only) and its figures.
//! - [`report`]: citizen reports: validation, status tokens.
//!
//! Reference numbers shared by requests and reports live in [`Reference`].

pub mod claimreview;
pub mod clarification;
mod reference;
pub mod report;
pub mod takedown;
mod text;
pub mod transparency;

#[cfg(test)]
mod fixtures;

pub use reference::{Reference, ReferenceKind};
pub use text::MAX_URL_CHARS;

/// Why a response step was refused. Each message names the field or says what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResponseError {
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{0}")]
    NotAllowed(String),
    #[error("{what} cannot move from {from} to {to}")]
    IllegalTransition { what: &'static str, from: &'static str, to: &'static str },
    #[error(transparent)]
    Case(#[from] tangkal_cases::CaseError),
}

impl ResponseError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> ResponseError {
        ResponseError::Invalid { field, reason: reason.into() }
    }
}

/// The rating of the case's approved verdict: every public response starts from one.
pub fn approved_rating(case: &tangkal_cases::Case) -> Result<tangkal_cases::Rating, ResponseError> {
    match &case.verdict {
        Some(v) if v.is_approved() && case.status != tangkal_cases::Status::Dismissed => Ok(v.draft.rating),
        _ => Err(ResponseError::NotAllowed(format!("case {} has no approved verdict", case.id))),
    }
}
