//! Case priority from what a detector knows about the spread: risk, reach and velocity.

use serde::{Deserialize, Serialize};

use crate::CaseError;

/// P1 is the most pressing. Ordered so that sorting ascending puts P1 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Priority {
    P1 = 1,
    P2 = 2,
    P3 = 3,
    P4 = 4,
}

impl Priority {
    pub fn level(self) -> u8 {
        self as u8
    }

    pub fn from_level(level: i64) -> Option<Priority> {
        [Priority::P1, Priority::P2, Priority::P3, Priority::P4].into_iter().find(|p| i64::from(p.level()) == level)
    }
}

/// What is known about a narrative's spread when a case opens; any part may be unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signals {
    /// Harm potential in [0, 1] (health, elections, ethnic or religious incitement score high).
    pub risk: Option<f64>,
    /// People reached so far (views, or followers of the sharing accounts).
    pub reach: Option<u64>,
    /// Shares per hour over the recent window.
    pub velocity: Option<f64>,
}

/// The largest velocity taken: far beyond any real spread, so a larger one is a mistake.
pub const MAX_VELOCITY: f64 = 1e9;
/// The largest reach the store holds.
pub const MAX_REACH: u64 = i64::MAX as u64;

// Weights: harm matters most; reach and velocity are log-scaled so a viral post does not drown risk.
const RISK_WEIGHT: f64 = 0.5;
const REACH_WEIGHT: f64 = 0.3;
const VELOCITY_WEIGHT: f64 = 0.2;
/// 10 million people reached scores 1.
const REACH_SATURATION_LOG10: f64 = 7.0;
/// 10 000 shares an hour scores 1.
const VELOCITY_SATURATION_LOG10: f64 = 4.0;

impl Signals {
    /// A score in [0, 1] over the known signals (unknown ones drop out and the rest are re-weighted),
    /// or `None` when nothing is known.
    pub fn score(&self) -> Option<f64> {
        let log_scaled = |v: f64, sat: f64| ((v.max(0.0) + 1.0).log10() / sat).clamp(0.0, 1.0);
        let parts = [
            self.risk.filter(|r| r.is_finite()).map(|r| (r.clamp(0.0, 1.0), RISK_WEIGHT)),
            self.reach.map(|r| (log_scaled(r as f64, REACH_SATURATION_LOG10), REACH_WEIGHT)),
            self.velocity
                .filter(|v| v.is_finite())
                .map(|v| (log_scaled(v, VELOCITY_SATURATION_LOG10), VELOCITY_WEIGHT)),
        ];
        let (sum, weight) = parts.iter().flatten().fold((0.0, 0.0), |(s, w), (v, wt)| (s + v * wt, w + wt));
        (weight > 0.0).then(|| sum / weight)
    }

    /// Refuses signals outside their documented ranges, naming the field: `risk` in [0, 1], `velocity`
    /// in [0, [`MAX_VELOCITY`]], `reach` at most [`MAX_REACH`].
    pub fn validate(&self) -> Result<(), CaseError> {
        let invalid = |field, reason: String| Err(CaseError::Invalid { field, reason });
        if let Some(risk) = self.risk.filter(|r| !(0.0..=1.0).contains(r)) {
            return invalid("risk", format!("{risk} is outside 0 to 1"));
        }
        if let Some(velocity) = self.velocity.filter(|v| !(0.0..=MAX_VELOCITY).contains(v)) {
            return invalid("velocity", format!("{velocity} is outside 0 to {MAX_VELOCITY} shares an hour"));
        }
        if let Some(reach) = self.reach.filter(|r| *r > MAX_REACH) {
            return invalid("reach", format!("{reach} is larger than {MAX_REACH}"));
        }
        Ok(())
    }

    /// P3 when nothing is known: worth a look, not ahead of known threats.
    pub fn priority(&self) -> Priority {
        match self.score() {
            None => Priority::P3,
            Some(s) if s >= 0.75 => Priority::P1,
            Some(s) if s >= 0.5 => Priority::P2,
            Some(s) if s >= 0.25 => Priority::P3,
            Some(_) => Priority::P4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_signals_give_the_default() {
        assert_eq!(Signals::default().score(), None);
        assert_eq!(Signals::default().priority(), Priority::P3);
    }

    #[test]
    fn high_risk_viral_content_is_p1_and_harmless_quiet_content_is_p4() {
        let viral = Signals { risk: Some(0.9), reach: Some(2_000_000), velocity: Some(3_000.0) };
        assert_eq!(viral.priority(), Priority::P1);
        let quiet = Signals { risk: Some(0.1), reach: Some(40), velocity: Some(0.5) };
        assert_eq!(quiet.priority(), Priority::P4);
    }

    #[test]
    fn more_of_any_signal_never_lowers_the_priority() {
        let base = Signals { risk: Some(0.4), reach: Some(10_000), velocity: Some(10.0) };
        let s = base.score().unwrap();
        assert!(Signals { risk: Some(0.8), ..base }.score().unwrap() > s);
        assert!(Signals { reach: Some(1_000_000), ..base }.score().unwrap() > s);
        assert!(Signals { velocity: Some(500.0), ..base }.score().unwrap() > s);
    }

    #[test]
    fn out_of_range_input_is_clamped_not_trusted() {
        let s = Signals { risk: Some(7.0), reach: None, velocity: Some(f64::NAN) };
        assert_eq!(s.score(), Some(1.0));
        assert!(Priority::P1 < Priority::P4);
        assert_eq!(Priority::from_level(2), Some(Priority::P2));
        assert_eq!(Priority::from_level(0), None);
    }
}
