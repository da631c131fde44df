//! The response clock: 1×24 hours for a normal case, 4 hours for an urgent one.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 24 hours from opening.
    #[default]
    Normal,
    /// 4 hours from opening.
    Urgent,
}

impl Urgency {
    pub fn window(self) -> Duration {
        match self {
            Urgency::Normal => Duration::hours(24),
            Urgency::Urgent => Duration::hours(4),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        [Urgency::Normal, Urgency::Urgent].into_iter().find(|u| u.as_str() == s)
    }
}

/// The last quarter of the window is "at risk": 6 hours of a normal case, 1 hour of an urgent one.
pub const AT_RISK_DIVISOR: i32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Open, more than a quarter of the window left.
    OnTrack,
    /// Open, in the last quarter of the window (the deadline instant itself included).
    AtRisk,
    /// Open past the deadline.
    Breached,
    /// Finished by the deadline.
    Met,
    /// Finished after the deadline.
    Missed,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::OnTrack => "on_track",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::Met => "met",
            SlaState::Missed => "missed",
        }
    }
}

/// Where a case stands against its deadline at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sla {
    pub state: SlaState,
    /// Seconds until the deadline: negative once it has passed. For a finished case, measured at the
    /// moment it finished.
    pub seconds_left: i64,
}

/// `finished_at` is when the case was closed or dismissed, if it was.
pub fn sla(
    opened_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Sla {
    let at = finished_at.unwrap_or(now);
    let left = due_at - at;
    let state = match finished_at {
        Some(_) if left >= Duration::zero() => SlaState::Met,
        Some(_) => SlaState::Missed,
        None if left < Duration::zero() => SlaState::Breached,
        None if left <= (due_at - opened_at) / AT_RISK_DIVISOR => SlaState::AtRisk,
        None => SlaState::OnTrack,
    };
    Sla { state, seconds_left: left.num_seconds() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap()
    }

    #[test]
    fn a_normal_case_turns_at_risk_at_18h_and_breaches_just_after_24h() {
        let due = t0() + Urgency::Normal.window();
        let at = |d: Duration| sla(t0(), due, None, t0() + d);
        assert_eq!(at(Duration::hours(17) + Duration::minutes(59)).state, SlaState::OnTrack);
        assert_eq!(at(Duration::hours(18)).state, SlaState::AtRisk);
        assert_eq!(at(Duration::hours(24)).state, SlaState::AtRisk);
        assert_eq!(at(Duration::hours(24)).seconds_left, 0);
        let late = at(Duration::hours(24) + Duration::minutes(1));
        assert_eq!((late.state, late.seconds_left), (SlaState::Breached, -60));
    }

    #[test]
    fn an_urgent_case_has_four_hours() {
        let due = t0() + Urgency::Urgent.window();
        assert_eq!(sla(t0(), due, None, t0() + Duration::minutes(179)).state, SlaState::OnTrack);
        assert_eq!(sla(t0(), due, None, t0() + Duration::minutes(181)).state, SlaState::AtRisk);
        assert_eq!(sla(t0(), due, None, t0() + Duration::minutes(241)).state, SlaState::Breached);
    }

    #[test]
    fn finished_cases_are_judged_at_the_moment_they_finished() {
        let due = t0() + Urgency::Urgent.window();
        let later = t0() + Duration::days(3);
        assert_eq!(sla(t0(), due, Some(t0() + Duration::hours(1)), later).state, SlaState::Met);
        assert_eq!(sla(t0(), due, Some(t0() + Duration::hours(5)), later).state, SlaState::Missed);
    }
}
