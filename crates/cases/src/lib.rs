//! Tangkal's case domain: the rules a misinformation case follows from detection to response, with no
//! storage or HTTP in sight so that detectors, the store, the server and the CLI all apply the same rules.
//!
//! - [`Status`]: the status machine (`new → triage → investigating → verdict_proposed →
//!   verdict_approved → responding → closed`, plus `dismissed`).
//! - [`sla()`] and [`Urgency`]: the 1×24-hour (or 4-hour urgent) response clock, read from a [`Clock`].
//! - [`Signals::priority`]: priority from risk, reach and velocity.
//! - [`Verdict`]: ratings and the two-person rule.
//! - [`Role`] and [`Permission`]: who may do what.
//! - [`Case::apply`]: one [`Change`] by one [`Actor`], checked against all of the above.
//! - [`audit`]: the hash chain behind the tamper-evident audit trail.

pub mod audit;
mod case;
mod clock;
mod priority;
mod roles;
mod sla;
mod status;
mod verdict;

pub use case::{
    is_narrative_id, Actor, Case, Change, Evidence, EvidenceFile, EvidenceKind, NewCase, Origin, UserRef, MAX_LINKS,
    MAX_NARRATIVE_ID_CHARS, MAX_ORIGIN_REF_CHARS, MAX_PLATFORM_CHARS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS,
    MAX_URL_CHARS,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use priority::{Priority, Signals, MAX_REACH, MAX_VELOCITY};
pub use roles::{Permission, Role};
pub use sla::{sla, Sla, SlaState, Urgency, AT_RISK_DIVISOR};
pub use status::Status;
pub use verdict::{MisinfoType, Rating, Review, Verdict, VerdictDraft, MAX_EXPLANATION_CHARS};

/// Why a change to a case was refused. Each message says what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    #[error("a case cannot move from {from} to {to}")]
    IllegalTransition { from: Status, to: Status },
    #[error("{to} is reached through the verdict endpoints (propose, approve), not by moving the case")]
    VerdictStep { to: Status },
    #[error("the case is {status}: finished cases do not change")]
    Finished { status: Status },
    #[error("role {role} may not do this (needs {permission:?})")]
    NotPermitted { role: Role, permission: Permission },
    #[error("the verdict must be reviewed by someone other than the person who proposed it")]
    SameReviewer,
    #[error("the verdict has already been reviewed")]
    AlreadyReviewed,
    #[error("there is no proposed verdict waiting for review")]
    NoProposal,
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
}

#[cfg(test)]
mod tests;
