use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use tangkal_cases::Clock;

/// Drill time: starts at the wall clock's `started_at` and runs `speed` times faster.
#[derive(Debug, Clone, Copy)]
pub struct DrillClock {
    started_at: DateTime<Utc>,
    started: Instant,
    speed: f64,
}

impl DrillClock {
    /// A clock that starts now. `speed` is at least 1.
    pub fn start(speed: f64) -> DrillClock {
        DrillClock { started_at: Utc::now(), started: Instant::now(), speed: speed.max(1.0) }
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Drill time since the start.
    pub fn elapsed(&self) -> Duration {
        let real = self.started.elapsed().as_secs_f64();
        Duration::microseconds((real * self.speed * 1e6) as i64)
    }

    /// Wall-clock time until the drill's clock shows `at` after its start (zero once it has).
    pub fn real_until(&self, at: Duration) -> std::time::Duration {
        let left = (at - self.elapsed()).num_microseconds().unwrap_or(i64::MAX).max(0) as f64;
        std::time::Duration::from_secs_f64(left / 1e6 / self.speed)
    }
}

impl Clock for DrillClock {
    fn now(&self) -> DateTime<Utc> {
        self.started_at + self.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drill_time_runs_at_its_speed() {
        let clock = DrillClock::start(3600.0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let elapsed = clock.elapsed();
        // 50 ms of wall time is three minutes of drill time; the sleep may overrun, never undershoot.
        assert!(elapsed >= Duration::seconds(180), "{elapsed}");
        assert!(clock.now() - clock.started_at() >= elapsed);
        assert!(clock.real_until(Duration::hours(1)) <= std::time::Duration::from_secs(1));
        assert_eq!(clock.real_until(Duration::zero()), std::time::Duration::ZERO);
    }

    #[test]
    fn a_speed_below_one_is_real_time() {
        assert_eq!(DrillClock::start(0.0).speed(), 1.0);
    }
}
