//! What the API returns: stored records plus what the caller needs to read them (deadline state, times
//! in the caller's zone). Times are always also given in UTC.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tangkal_cases::{Case, Origin, Priority, Role, Sla, Status, Urgency, UserRef};
use tangkal_store::{ApiToken, CaseSummary, User};
use utoipa::ToSchema;

/// The zone a user sees times in when theirs is unset or unknown.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Jakarta;

pub fn zone_of(user: &User) -> Tz {
    user.time_zone.parse().unwrap_or(DEFAULT_TIME_ZONE)
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

/// The deadline as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deadline {
    #[serde(flatten)]
    pub sla: Sla,
    /// `due_at` in the caller's zone, e.g. `2026-03-01T09:00:00+07:00`.
    pub due_at_local: String,
    pub time_zone: String,
}

impl Deadline {
    fn new(sla: Sla, due_at: DateTime<Utc>, tz: Tz) -> Deadline {
        Deadline { sla, due_at_local: local(due_at, tz), time_zone: tz.name().to_string() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    pub deadline: Deadline,
}

impl CaseView {
    pub fn new(case: Case, now: DateTime<Utc>, tz: Tz) -> CaseView {
        let deadline = Deadline::new(case.sla(now), case.due_at, tz);
        CaseView { case, deadline }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummaryView {
    pub id: i64,
    pub title: String,
    pub origin: Origin,
    pub status: Status,
    pub urgency: Urgency,
    pub priority: Priority,
    pub assignee: Option<UserRef>,
    pub platforms: Vec<String>,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub deadline: Deadline,
}

impl CaseSummaryView {
    pub fn new(c: CaseSummary, now: DateTime<Utc>, tz: Tz) -> CaseSummaryView {
        let sla = tangkal_cases::sla(c.opened_at, c.due_at, c.finished_at, now);
        CaseSummaryView {
            deadline: Deadline::new(sla, c.due_at, tz),
            id: c.id,
            title: c.title,
            origin: c.origin,
            status: c.status,
            urgency: c.urgency,
            priority: c.priority,
            assignee: c.assignee,
            platforms: c.platforms,
            opened_at: c.opened_at,
            due_at: c.due_at,
            finished_at: c.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    /// Cases matching the filter, across all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub cases: Vec<CaseSummaryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub platform: Option<String>,
    pub organisation: String,
    pub time_zone: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            platform: u.platform,
            organisation: u.organisation,
            time_zone: u.time_zone,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    /// The role in effect: a token's role, or the user's for a session.
    pub role: Role,
    /// For session callers: echo it in the `X-CSRF-Token` header of unsafe requests.
    pub csrf_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            user_id: t.user_id,
            username: t.username,
            name: t.name,
            role: t.role,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token with its secret, which is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    #[serde(flatten)]
    pub token: TokenView,
    pub secret: String,
}

/// An approved verdict as partners read it: no internal notes, reviewers or evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedView {
    pub case_id: i64,
    pub title: String,
    pub rating: tangkal_cases::Rating,
    pub misinfo_type: Option<tangkal_cases::MisinfoType>,
    pub explanation: String,
    pub platforms: Vec<String>,
    pub approved_at: DateTime<Utc>,
}

impl PublishedView {
    /// None unless the case carries an approved verdict.
    pub fn of(case: Case) -> Option<PublishedView> {
        let verdict = case.verdict?;
        let review = verdict.review.filter(|r| r.approved)?;
        Some(PublishedView {
            case_id: case.id,
            title: case.title,
            rating: verdict.draft.rating,
            misinfo_type: verdict.draft.misinfo_type,
            explanation: verdict.draft.explanation,
            platforms: case.platforms,
            approved_at: review.at,
        })
    }
}
