//! Verdicts and the two-person rule: the person who proposes a verdict never approves it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{CaseError, UserRef};

/// The published rating, named as Indonesian fact-checkers publish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rating {
    /// Hoax: false.
    Hoaks,
    /// False and spread on purpose.
    Disinformasi,
    /// False, spread without intent to deceive.
    Misinformasi,
    /// Misleading.
    Menyesatkan,
    /// True.
    Benar,
    /// Unproven.
    TidakTerbukti,
}

/// The kind of misinformation (First Draft's seven types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MisinfoType {
    Fabricated,
    Manipulated,
    Imposter,
    FalseContext,
    Misleading,
    FalseConnection,
    Satire,
}

impl MisinfoType {
    pub const ALL: [MisinfoType; 7] = [
        MisinfoType::Fabricated,
        MisinfoType::Manipulated,
        MisinfoType::Imposter,
        MisinfoType::FalseContext,
        MisinfoType::Misleading,
        MisinfoType::FalseConnection,
        MisinfoType::Satire,
    ];
}

impl Rating {
    pub const ALL: [Rating; 6] = [
        Rating::Hoaks,
        Rating::Disinformasi,
        Rating::Misinformasi,
        Rating::Menyesatkan,
        Rating::Benar,
        Rating::TidakTerbukti,
    ];

    /// Ratings that say the content is wrong, and so must say how.
    pub fn is_false(self) -> bool {
        matches!(self, Rating::Hoaks | Rating::Disinformasi | Rating::Misinformasi | Rating::Menyesatkan)
    }
}

/// What a proposer submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictDraft {
    pub rating: Rating,
    /// Required for false or misleading ratings, refused for `BENAR`.
    pub misinfo_type: Option<MisinfoType>,
    /// The public explanation, published with the rating.
    pub explanation: String,
}

pub const MAX_EXPLANATION_CHARS: usize = 20_000;

impl VerdictDraft {
    pub fn validate(&self) -> Result<(), CaseError> {
        let invalid = |field, reason: &str| Err(CaseError::Invalid { field, reason: reason.to_string() });
        if self.explanation.trim().is_empty() {
            return invalid("explanation", "must not be empty: it is what the public reads");
        }
        if self.explanation.chars().count() > MAX_EXPLANATION_CHARS {
            return invalid("explanation", "is longer than 20000 characters");
        }
        match (self.rating.is_false(), self.misinfo_type) {
            (true, None) => invalid("misinfo_type", "is required for a false or misleading rating"),
            (false, Some(_)) if self.rating == Rating::Benar => invalid("misinfo_type", "must be empty for BENAR"),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub by: UserRef,
    pub at: DateTime<Utc>,
    pub approved: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// None until stored.
    pub id: Option<i64>,
    #[serde(flatten)]
    pub draft: VerdictDraft,
    pub proposed_by: UserRef,
    pub proposed_at: DateTime<Utc>,
    pub review: Option<Review>,
}

impl Verdict {
    /// Records the review; refuses a second review and a review by the proposer.
    pub fn review(
        &mut self,
        by: &UserRef,
        approved: bool,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), CaseError> {
        if self.review.is_some() {
            return Err(CaseError::AlreadyReviewed);
        }
        if by.id == self.proposed_by.id {
            return Err(CaseError::SameReviewer);
        }
        self.review = Some(Review { by: by.clone(), at: now, approved, note });
        Ok(())
    }

    pub fn is_approved(&self) -> bool {
        self.review.as_ref().is_some_and(|r| r.approved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> UserRef {
        UserRef { id, name: format!("u{id}") }
    }

    fn proposed() -> Verdict {
        Verdict {
            id: None,
            draft: VerdictDraft {
                rating: Rating::Hoaks,
                misinfo_type: Some(MisinfoType::Fabricated),
                explanation: "Foto itu hasil suntingan.".into(),
            },
            proposed_by: user(1),
            proposed_at: Utc::now(),
            review: None,
        }
    }

    #[test]
    fn the_proposer_cannot_approve_their_own_verdict() {
        let mut v = proposed();
        assert!(matches!(v.review(&user(1), true, None, Utc::now()), Err(CaseError::SameReviewer)));
        assert!(!v.is_approved());
        v.review(&user(2), true, None, Utc::now()).unwrap();
        assert!(v.is_approved());
        assert!(matches!(v.review(&user(3), false, None, Utc::now()), Err(CaseError::AlreadyReviewed)));
    }

    #[test]
    fn drafts_are_checked() {
        let mut d = proposed().draft;
        assert!(d.validate().is_ok());
        d.misinfo_type = None;
        assert!(matches!(d.validate(), Err(CaseError::Invalid { field: "misinfo_type", .. })));
        d.rating = Rating::Benar;
        assert!(d.validate().is_ok());
        d.misinfo_type = Some(MisinfoType::Satire);
        assert!(d.validate().is_err());
        d = proposed().draft;
        d.explanation = "  ".into();
        assert!(matches!(d.validate(), Err(CaseError::Invalid { field: "explanation", .. })));
    }

    #[test]
    fn ratings_serialise_as_published() {
        assert_eq!(serde_json::to_string(&Rating::TidakTerbukti).unwrap(), "\"TIDAK_TERBUKTI\"");
        assert_eq!(serde_json::to_string(&MisinfoType::FalseContext).unwrap(), "\"false_context\"");
    }
}
