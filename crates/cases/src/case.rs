//! A case: one claim or narrative worked from detection to a reviewed verdict and a public response.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tangkal_model::ItemId;

use crate::{sla, CaseError, Permission, Priority, Role, Signals, Sla, Status, Urgency, Verdict, VerdictDraft};

/// A user as other records name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

/// Who is acting, in which role (a token's role, not necessarily the owner's), on which platform if
/// bound to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: UserRef,
    /// The role acted in: a token's scope, or the user's own role for a signed-in person.
    pub role: Role,
    /// The user's own role. A token can only narrow it, so a permission needs both.
    pub user_role: Role,
    pub platform: Option<String>,
}

impl Actor {
    /// A person acting in their own role.
    pub fn new(user: UserRef, role: Role, platform: Option<String>) -> Actor {
        Actor { user, role, user_role: role, platform }
    }

    /// Refuses unless both the role acted in and the user's own role hold `permission`: a token issued
    /// before its owner's role changed (or by a mistake) cannot lend its owner a permission they lack.
    pub fn require(&self, permission: Permission) -> Result<(), CaseError> {
        for role in [self.role, self.user_role] {
            if !role.allows(permission) {
                return Err(CaseError::NotPermitted { role, permission });
            }
        }
        Ok(())
    }

    /// The audit trail's name for this actor.
    pub fn label(&self) -> String {
        format!("{}#{} ({})", self.user.name, self.user.id, self.role)
    }
}

/// How a case came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A detector (claim matching, narrative clustering, coordination) opened it.
    Detector,
    /// A member of the public reported it.
    Report,
    /// Someone on the team opened it by hand.
    Manual,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Detector => "detector",
            Origin::Report => "report",
            Origin::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        [Origin::Detector, Origin::Report, Origin::Manual].into_iter().find(|o| o.as_str() == s)
    }
}

/// Everything needed to open a case. Detectors fill this and call the store's `open_case`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Filled by the caller's identity for API requests.
    #[serde(skip)]
    pub origin: Option<Origin>,
    /// Detector name or report id.
    #[serde(default)]
    pub origin_ref: Option<String>,
    /// Narrative (cluster) identifiers.
    #[serde(default)]
    pub narratives: Vec<String>,
    /// Stored item ids.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<i64>))]
    pub items: Vec<ItemId>,
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub signals: Signals,
    #[serde(default)]
    pub urgency: Urgency,
}

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 10_000;
pub const MAX_LINKS: usize = 10_000;
/// `origin_ref` and narrative ids are copied into the audit trail with every change of the case.
pub const MAX_ORIGIN_REF_CHARS: usize = 200;
pub const MAX_NARRATIVE_ID_CHARS: usize = 64;
pub const MAX_PLATFORM_CHARS: usize = 64;
pub const MAX_URL_CHARS: usize = 2_048;

fn check_text(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), CaseError> {
    if required && value.trim().is_empty() {
        return Err(CaseError::Invalid { field, reason: "must not be empty".into() });
    }
    if value.chars().count() > max {
        return Err(CaseError::Invalid { field, reason: format!("is longer than {max} characters") });
    }
    Ok(())
}

/// A text shown on one line (a title, a reference): [`check_text`], and no control characters.
fn check_line(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), CaseError> {
    check_text(field, value, max, required)?;
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(CaseError::Invalid { field, reason: format!("contains the control character {c:?}") }),
        None => Ok(()),
    }
}

/// Whether `id` is a narrative id as detectors write them: ASCII letters, digits and `.`, `_`, `:`, `-`,
/// starting with a letter or digit, at most [`MAX_NARRATIVE_ID_CHARS`] long.
pub fn is_narrative_id(id: &str) -> bool {
    id.len() <= MAX_NARRATIVE_ID_CHARS
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

impl NewCase {
    pub fn validate(&self) -> Result<(), CaseError> {
        check_line("title", &self.title, MAX_TITLE_CHARS, true)?;
        check_text("summary", &self.summary, MAX_SUMMARY_CHARS, false)?;
        if let Some(origin_ref) = &self.origin_ref {
            check_line("origin_ref", origin_ref, MAX_ORIGIN_REF_CHARS, true)?;
        }
        for (field, links) in
            [("narratives", self.narratives.len()), ("items", self.items.len()), ("platforms", self.platforms.len())]
        {
            if links > MAX_LINKS {
                return Err(CaseError::Invalid { field, reason: format!("more than {MAX_LINKS} entries") });
            }
        }
        if let Some(bad) = self.narratives.iter().find(|n| !is_narrative_id(n)) {
            let shown: String = bad.chars().take(MAX_NARRATIVE_ID_CHARS).collect();
            return Err(CaseError::Invalid {
                field: "narratives",
                reason: format!(
                    "{shown:?}: a narrative id is 1 to {MAX_NARRATIVE_ID_CHARS} ASCII letters, digits, '.', '_', ':' \
                     or '-', starting with a letter or digit"
                ),
            });
        }
        if let Some(bad) = self.items.iter().find(|i| i.get() < 1) {
            return Err(CaseError::Invalid { field: "items", reason: format!("{bad}: item ids are positive") });
        }
        for platform in &self.platforms {
            check_line("platforms", platform, MAX_PLATFORM_CHARS, true)?;
        }
        self.signals.validate()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Link,
    Note,
    File,
}

/// An uploaded file's metadata; the bytes live in the data directory under their SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceFile {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// None until stored.
    pub id: Option<i64>,
    pub kind: EvidenceKind,
    pub url: Option<String>,
    pub note: Option<String>,
    pub file: Option<EvidenceFile>,
    pub added_by: UserRef,
    pub added_at: DateTime<Utc>,
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub origin: Origin,
    pub origin_ref: Option<String>,
    pub status: Status,
    pub urgency: Urgency,
    pub priority: Priority,
    /// What the signals gave; differs from `priority` after an override.
    pub computed_priority: Priority,
    /// Why the priority was overridden.
    pub priority_reason: Option<String>,
    pub signals: Signals,
    pub assignee: Option<UserRef>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// When it was closed or dismissed.
    pub finished_at: Option<DateTime<Utc>>,
    pub dismiss_reason: Option<String>,
    pub platforms: Vec<String>,
    pub narratives: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<i64>))]
    pub items: Vec<ItemId>,
    /// The latest verdict proposal, reviewed or not.
    pub verdict: Option<Verdict>,
    pub evidence: Vec<Evidence>,
    pub updated_at: DateTime<Utc>,
}

/// One change to a case, as requested by an [`Actor`].
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Work steps (`triage`, `investigating`, `dismissed`) and response steps (`responding`, `closed`).
    /// Verdict steps go through [`Change::ProposeVerdict`] and [`Change::ReviewVerdict`].
    Move {
        to: Status,
        reason: Option<String>,
    },
    Assign {
        to: Option<UserRef>,
    },
    Reprioritise {
        priority: Priority,
        reason: String,
    },
    ProposeVerdict(VerdictDraft),
    ReviewVerdict {
        approve: bool,
        note: Option<String>,
    },
    AddEvidence {
        kind: EvidenceKind,
        url: Option<String>,
        note: Option<String>,
        file: Option<EvidenceFile>,
    },
}

impl Change {
    /// The audit trail's name for this change.
    pub fn action(&self) -> &'static str {
        match self {
            Change::Move { .. } => "case.move",
            Change::Assign { .. } => "case.assign",
            Change::Reprioritise { .. } => "case.reprioritise",
            Change::ProposeVerdict(_) => "verdict.propose",
            Change::ReviewVerdict { approve: true, .. } => "verdict.approve",
            Change::ReviewVerdict { approve: false, .. } => "verdict.reject",
            Change::AddEvidence { .. } => "case.evidence",
        }
    }
}

impl Case {
    /// The case a [`NewCase`] becomes at `now`, before the store gives it an id.
    pub fn open(new: &NewCase, opened_by: &str, now: DateTime<Utc>) -> Result<Case, CaseError> {
        new.validate()?;
        let computed = new.signals.priority();
        let mut platforms = new.platforms.iter().map(|p| p.trim().to_lowercase()).collect::<Vec<_>>();
        platforms.sort();
        platforms.dedup();
        Ok(Case {
            id: 0,
            title: new.title.trim().to_string(),
            summary: new.summary.trim().to_string(),
            origin: new.origin.unwrap_or(Origin::Manual),
            origin_ref: new.origin_ref.clone(),
            status: Status::New,
            urgency: new.urgency,
            priority: computed,
            computed_priority: computed,
            priority_reason: None,
            signals: new.signals,
            assignee: None,
            opened_by: opened_by.to_string(),
            opened_at: now,
            due_at: now + new.urgency.window(),
            finished_at: None,
            dismiss_reason: None,
            platforms,
            narratives: new.narratives.clone(),
            items: new.items.clone(),
            verdict: None,
            evidence: Vec::new(),
            updated_at: now,
        })
    }

    pub fn sla(&self, now: DateTime<Utc>) -> Sla {
        sla::sla(self.opened_at, self.due_at, self.finished_at, now)
    }

    /// Platform liaisons see only the cases on their platform.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match (actor.role, &actor.platform) {
            (Role::PlatformLiaison, Some(p)) => self.platforms.iter().any(|c| c == p),
            (Role::PlatformLiaison, None) => false,
            _ => true,
        }
    }

    /// Applies `change` if the rules allow it; on refusal the case is left untouched.
    pub fn apply(&mut self, change: Change, actor: &Actor, now: DateTime<Utc>) -> Result<(), CaseError> {
        if !self.status.is_open() {
            return Err(CaseError::Finished { status: self.status });
        }
        match change {
            Change::Move { to, reason } => {
                let permission = match to {
                    Status::Triage | Status::Investigating | Status::Dismissed => Permission::WorkCases,
                    Status::Responding | Status::Closed => Permission::Respond,
                    Status::New | Status::VerdictProposed | Status::VerdictApproved => {
                        return Err(CaseError::VerdictStep { to })
                    }
                };
                actor.require(permission)?;
                let dismiss_reason = match (to, reason) {
                    (Status::Dismissed, Some(reason)) if !reason.trim().is_empty() => {
                        check_text("reason", &reason, MAX_SUMMARY_CHARS, true)?;
                        Some(reason)
                    }
                    (Status::Dismissed, _) => {
                        return Err(CaseError::Invalid { field: "reason", reason: "a dismissal needs a reason".into() })
                    }
                    _ => None,
                };
                self.move_to(to)?;
                if dismiss_reason.is_some() {
                    self.dismiss_reason = dismiss_reason;
                }
                if !to.is_open() {
                    self.finished_at = Some(now);
                }
            }
            Change::Assign { to } => {
                actor.require(Permission::WorkCases)?;
                self.assignee = to;
            }
            Change::Reprioritise { priority, reason } => {
                actor.require(Permission::WorkCases)?;
                check_text("reason", &reason, MAX_SUMMARY_CHARS, true)?;
                self.priority = priority;
                self.priority_reason = Some(reason);
            }
            Change::ProposeVerdict(draft) => {
                actor.require(Permission::ProposeVerdict)?;
                draft.validate()?;
                self.move_to(Status::VerdictProposed)?;
                self.verdict =
                    Some(Verdict { id: None, draft, proposed_by: actor.user.clone(), proposed_at: now, review: None });
            }
            Change::ReviewVerdict { approve, note } => {
                actor.require(Permission::ReviewVerdict)?;
                let verdict = match (&mut self.verdict, self.status) {
                    (Some(v), Status::VerdictProposed) => v,
                    _ => return Err(CaseError::NoProposal),
                };
                verdict.review(&actor.user, approve, note, now)?;
                self.status = if approve { Status::VerdictApproved } else { Status::Investigating };
            }
            Change::AddEvidence { kind, url, note, file } => {
                actor.require(Permission::WorkCases)?;
                let present = match kind {
                    EvidenceKind::Link => {
                        url.as_deref().is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
                    }
                    EvidenceKind::Note => note.as_deref().is_some_and(|n| !n.trim().is_empty()),
                    EvidenceKind::File => file.is_some(),
                };
                if !present {
                    let field = match kind {
                        EvidenceKind::Link => "url",
                        EvidenceKind::Note => "note",
                        EvidenceKind::File => "file",
                    };
                    return Err(CaseError::Invalid {
                        field,
                        reason: format!("a {kind:?} needs a valid {field}").to_lowercase(),
                    });
                }
                if let Some(n) = &note {
                    check_text("note", n, MAX_SUMMARY_CHARS, false)?;
                }
                if let Some(u) = &url {
                    check_line("url", u, MAX_URL_CHARS, true)?;
                    let web = u.starts_with("https://") || u.starts_with("http://");
                    if !web || !u.chars().all(|c| c.is_ascii_graphic()) {
                        return Err(CaseError::Invalid {
                            field: "url",
                            reason: "must be an http(s) address in printable ASCII (percent-encode the rest)".into(),
                        });
                    }
                }
                self.evidence.push(Evidence {
                    id: None,
                    kind,
                    url,
                    note,
                    file,
                    added_by: actor.user.clone(),
                    added_at: now,
                });
            }
        }
        self.updated_at = now;
        Ok(())
    }

    fn move_to(&mut self, to: Status) -> Result<(), CaseError> {
        if !self.status.can_move_to(to) {
            return Err(CaseError::IllegalTransition { from: self.status, to });
        }
        self.status = to;
        Ok(())
    }
}
