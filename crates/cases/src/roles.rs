//! Who may do what. Routes and commands ask for a [`Permission`]; only this table says which roles
//! hold it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Analyst,
    Reviewer,
    /// Publishes clarifications and runs the response.
    Communicator,
    /// Works with one platform's trust and safety team; sees only cases on that platform.
    PlatformLiaison,
    /// An outside organisation reading published fact-checks through the API.
    Partner,
    /// A monitoring system (a Prometheus scraper): reads the operational metrics and nothing else, so
    /// its token, kept in a scraper's configuration, opens no case or account.
    Monitor,
    /// A collector (a crawler, a partner's monitoring feed) pushing posts and articles into the monitoring
    /// stream and nothing else: its token, kept on a crawler's machine, reads no case, fact-check or figure.
    Collector,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum Permission {
    /// Read cases, their verdicts and evidence.
    ReadCases,
    /// Open cases, triage, investigate, assign, reprioritise, add evidence, dismiss.
    WorkCases,
    ProposeVerdict,
    /// Approve or reject someone else's proposed verdict.
    ReviewVerdict,
    /// Start and close the public response once a verdict is approved: clarifications among it.
    Respond,
    /// Send takedown requests to platforms and add URLs to them.
    RequestTakedown,
    /// Record what a platform did with the URLs of a takedown request.
    RecordTakedownOutcome,
    /// Read, link and dismiss citizen reports.
    WorkReports,
    /// Read approved, published fact-checks.
    ReadPublished,
    ManageUsers,
    /// Register and remove webhook endpoints and read their delivery logs: an endpoint receives the
    /// desk's events, so choosing where they go is an administrator's decision.
    ManageWebhooks,
    /// Change what the desk keeps as settings: the claim matcher's thresholds (they decide which hoaxes
    /// open cases and what the public is told) and each platform's takedown addressee.
    ManageSettings,
    ReadAudit,
    /// Read `/metrics`: request figures and the case load, which are not for the public.
    ReadMetrics,
    /// Read the desk's dashboard: figures over every case and platform, so not a liaison's.
    ReadFigures,
    /// Push posts and articles into the monitoring stream (`POST /api/v1/items`).
    SubmitItems,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Analyst,
        Role::Reviewer,
        Role::Communicator,
        Role::PlatformLiaison,
        Role::Partner,
        Role::Monitor,
        Role::Collector,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Reviewer => "reviewer",
            Role::Communicator => "communicator",
            Role::PlatformLiaison => "platform_liaison",
            Role::Partner => "partner",
            Role::Monitor => "monitor",
            Role::Collector => "collector",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ReadCases => matches!(self, Admin | Analyst | Reviewer | Communicator | PlatformLiaison),
            WorkCases | ProposeVerdict => matches!(self, Admin | Analyst),
            // Deliberately not admin: approval is the second pair of eyes, kept to the people trained for it.
            ReviewVerdict => self == Reviewer,
            Respond => matches!(self, Admin | Communicator),
            RequestTakedown => matches!(self, Admin | Analyst | Communicator),
            // Liaisons report their platform's answers; communicators record answers that came by letter.
            RecordTakedownOutcome => matches!(self, Admin | Communicator | PlatformLiaison),
            WorkReports => matches!(self, Admin | Analyst),
            ReadPublished => !matches!(self, Monitor | Collector),
            ManageUsers | ManageWebhooks | ManageSettings => self == Admin,
            ReadAudit => matches!(self, Admin | Reviewer),
            ReadMetrics => matches!(self, Admin | Monitor),
            ReadFigures => matches!(self, Admin | Analyst | Reviewer | Communicator),
            SubmitItems => matches!(self, Admin | Analyst | Collector),
        }
    }

    /// Whether a user of this role may hold an API token acting as `scope`. A token narrows its owner,
    /// never widens them: `scope` is the owner's own role, or a role whose every permission the owner
    /// holds and that is not bound to a platform (a token carries no platform of its own). So an
    /// administrator may issue analyst, communicator, partner, monitor and collector tokens, but not reviewer tokens:
    /// approving verdicts is deliberately not an administrator's permission.
    pub fn may_issue_token_for(self, scope: Role) -> bool {
        self == scope
            || (!scope.needs_platform() && Permission::ALL.into_iter().all(|p| !scope.allows(p) || self.allows(p)))
    }

    /// The roles a user of this role may hold tokens for, in [`Role::ALL`] order, for error messages.
    pub fn token_scopes(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|scope| self.may_issue_token_for(*scope)).collect()
    }

    /// Platform liaisons must be bound to exactly one platform; nobody else is.
    pub fn needs_platform(self) -> bool {
        self == Role::PlatformLiaison
    }
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 16] = [
        Permission::ReadCases,
        Permission::WorkCases,
        Permission::ProposeVerdict,
        Permission::ReviewVerdict,
        Permission::Respond,
        Permission::RequestTakedown,
        Permission::RecordTakedownOutcome,
        Permission::WorkReports,
        Permission::ReadPublished,
        Permission::ManageUsers,
        Permission::ManageWebhooks,
        Permission::ManageSettings,
        Permission::ReadAudit,
        Permission::ReadMetrics,
        Permission::ReadFigures,
        Permission::SubmitItems,
    ];

    /// The roles holding this permission, in [`Role::ALL`] order.
    pub fn roles(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| r.allows(self)).collect()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_by(role: Role) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| role.allows(*p)).collect()
    }

    #[test]
    fn partners_only_read_what_is_published() {
        assert_eq!(held_by(Role::Partner), [Permission::ReadPublished]);
    }

    #[test]
    fn monitors_only_read_metrics_and_metrics_are_for_operators() {
        assert_eq!(held_by(Role::Monitor), [Permission::ReadMetrics]);
        assert_eq!(Permission::ReadMetrics.roles(), vec![Role::Admin, Role::Monitor]);
    }

    #[test]
    fn collectors_only_push_items() {
        assert_eq!(held_by(Role::Collector), [Permission::SubmitItems]);
        assert_eq!(Permission::SubmitItems.roles(), vec![Role::Admin, Role::Analyst, Role::Collector]);
    }

    #[test]
    fn only_reviewers_review_and_only_admins_manage_users() {
        assert_eq!(Permission::ReviewVerdict.roles(), vec![Role::Reviewer]);
        assert_eq!(Permission::ManageUsers.roles(), vec![Role::Admin]);
        assert_eq!(Permission::ManageWebhooks.roles(), vec![Role::Admin]);
        assert_eq!(Permission::ManageSettings.roles(), vec![Role::Admin]);
        assert_eq!(Permission::Respond.roles(), vec![Role::Admin, Role::Communicator]);
    }

    #[test]
    fn every_permission_is_listed() {
        use strum::IntoEnumIterator;
        assert_eq!(Permission::ALL.to_vec(), Permission::iter().collect::<Vec<_>>());
    }

    #[test]
    fn token_scopes_narrow_and_never_widen() {
        use Role::*;
        let expected = [
            (Admin, vec![Admin, Analyst, Communicator, Partner, Monitor, Collector]),
            (Analyst, vec![Analyst, Partner, Collector]),
            (Reviewer, vec![Reviewer, Partner]),
            (Communicator, vec![Communicator, Partner]),
            (PlatformLiaison, vec![PlatformLiaison, Partner]),
            (Partner, vec![Partner]),
            (Monitor, vec![Monitor]),
            (Collector, vec![Collector]),
        ];
        for (owner, scopes) in expected {
            assert_eq!(owner.token_scopes(), scopes, "{owner}");
        }
        // The definition itself: whatever a token may do, its owner may do.
        for owner in Role::ALL {
            for scope in owner.token_scopes() {
                for p in Permission::ALL {
                    assert!(!scope.allows(p) || owner.allows(p), "{owner} -> {scope} widens {p:?}");
                }
            }
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
