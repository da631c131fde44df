//! The case status machine.

use serde::{Deserialize, Serialize};

/// Where a case is in its life. Every open case moves forward one step at a time; `dismissed` (with a
/// reason) is reachable from any open state; `closed` and `dismissed` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Triage,
    Investigating,
    VerdictProposed,
    VerdictApproved,
    Responding,
    Closed,
    Dismissed,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Triage,
        Status::Investigating,
        Status::VerdictProposed,
        Status::VerdictApproved,
        Status::Responding,
        Status::Closed,
        Status::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Triage => "triage",
            Status::Investigating => "investigating",
            Status::VerdictProposed => "verdict_proposed",
            Status::VerdictApproved => "verdict_approved",
            Status::Responding => "responding",
            Status::Closed => "closed",
            Status::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Still running against its deadline.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Dismissed)
    }

    /// The statuses this one may move to.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Triage, Dismissed],
            Triage => &[Investigating, Dismissed],
            Investigating => &[VerdictProposed, Dismissed],
            // A rejected proposal goes back to investigation.
            VerdictProposed => &[VerdictApproved, Investigating, Dismissed],
            VerdictApproved => &[Responding, Dismissed],
            Responding => &[Closed, Dismissed],
            Closed | Dismissed => &[],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.next().contains(&to)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_is_walkable_and_nothing_skips_a_step() {
        let path = Status::ALL[..7].to_vec();
        for pair in path.windows(2) {
            assert!(pair[0].can_move_to(pair[1]), "{} -> {}", pair[0], pair[1]);
        }
        assert!(!Status::New.can_move_to(Status::Investigating));
        assert!(!Status::Triage.can_move_to(Status::VerdictApproved));
        assert!(!Status::Investigating.can_move_to(Status::New));
    }

    #[test]
    fn dismissal_from_every_open_state_and_final_states_are_final() {
        for s in Status::ALL {
            assert_eq!(s.can_move_to(Status::Dismissed), s.is_open(), "{s}");
            if !s.is_open() {
                assert!(s.next().is_empty());
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Status::parse("open"), None);
    }
}
