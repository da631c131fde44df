//! Request budgets kept in the store, so that every server sharing it draws from one budget: several
//! servers behind a load balancer must not multiply the sign-in attempts a guesser gets. Each budget is
//! a generic cell rate (GCRA): a burst, then one more request per refill period, kept as one time per key.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::Result;

/// One unit to charge to the budget under `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetCharge {
    /// Names the budget and whose it is (a hash: the store keeps no usernames or addresses for this).
    pub key: [u8; 16],
    pub burst: u32,
    pub refill: Duration,
}

pub trait BudgetStore {
    /// Charges each of `charges` at `now`, all or none: `None` when they were charged, or how long until
    /// all of them would have room (nothing charged).
    fn charge_budgets(&mut self, charges: &[BudgetCharge], now: DateTime<Utc>) -> Result<Option<Duration>>;
    /// Puts the budget under `key` back at its full burst.
    fn restore_budget(&mut self, key: &[u8; 16]) -> Result<()>;
}

/// Rows whose time has passed (back at a full budget) removed per charge, at most: enough to keep up
/// with the rows charges add.
pub(crate) const EXPIRED_REMOVED: i64 = 16;

/// The GCRA step: the key's next theoretical arrival time (ms) if `charge` fits at `now_ms` given the
/// stored one, or how long until it would.
pub(crate) fn next_arrival(stored: Option<i64>, charge: &BudgetCharge, now_ms: i64) -> Result<i64, Duration> {
    let period = i64::try_from(charge.refill.as_millis()).unwrap_or(i64::MAX).max(1);
    let next = stored.unwrap_or(now_ms).max(now_ms).saturating_add(period);
    let over = next - now_ms - period.saturating_mul(i64::from(charge.burst.max(1)));
    if over > 0 {
        Err(Duration::from_millis(over as u64))
    } else {
        Ok(next)
    }
}

/// The arrival times for `charges` given the stored ones (in the same order), or the longest wait.
pub(crate) fn charged(charges: &[BudgetCharge], stored: &[Option<i64>], now_ms: i64) -> Result<Vec<i64>, Duration> {
    let mut next = Vec::with_capacity(charges.len());
    let mut wait = None::<Duration>;
    for (charge, stored) in charges.iter().zip(stored) {
        match next_arrival(*stored, charge, now_ms) {
            Ok(at) => next.push(at),
            Err(w) => wait = Some(wait.map_or(w, |longest| longest.max(w))),
        }
    }
    wait.map_or(Ok(next), Err)
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use chrono::TimeZone;

    use super::*;
    use crate::testing::{on_both_backends, Backend};

    fn charge(key: u8, burst: u32, refill_secs: u64) -> BudgetCharge {
        BudgetCharge { key: [key; 16], burst, refill: Duration::from_secs(refill_secs) }
    }

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
    }

    on_both_backends!(a_burst_then_one_per_refill, charges_are_all_or_none, every_connection_draws_from_one_budget);

    fn a_burst_then_one_per_refill(backend: &Backend) {
        let mut store = backend.open();
        let budget = [charge(1, 3, 60)];
        for _ in 0..3 {
            assert_eq!(store.charge_budgets(&budget, t(0)).unwrap(), None);
        }
        assert_eq!(store.charge_budgets(&budget, t(0)).unwrap(), Some(Duration::from_secs(60)));
        assert_eq!(store.charge_budgets(&budget, t(45)).unwrap(), Some(Duration::from_secs(15)));
        assert_eq!(store.charge_budgets(&budget, t(60)).unwrap(), None, "one more after a refill period");
        assert!(store.charge_budgets(&budget, t(61)).unwrap().is_some());
        // Back at a full burst once three periods have passed.
        for _ in 0..3 {
            assert_eq!(store.charge_budgets(&budget, t(600)).unwrap(), None);
        }
        assert!(store.charge_budgets(&budget, t(600)).unwrap().is_some());
        store.restore_budget(&budget[0].key).unwrap();
        assert_eq!(store.charge_budgets(&budget, t(600)).unwrap(), None, "restored");
    }

    fn charges_are_all_or_none(backend: &Backend) {
        let mut store = backend.open();
        let (roomy, tight) = (charge(1, 10, 60), charge(2, 1, 60));
        assert_eq!(store.charge_budgets(&[roomy, tight], t(0)).unwrap(), None);
        for _ in 0..5 {
            assert!(store.charge_budgets(&[roomy, tight], t(1)).unwrap().is_some());
        }
        // The refusals took nothing from the roomy budget: it has nine left.
        for n in 0..9 {
            assert_eq!(store.charge_budgets(&[roomy], t(2)).unwrap(), None, "charge {n}");
        }
        assert!(store.charge_budgets(&[roomy], t(2)).unwrap().is_some());
    }

    fn every_connection_draws_from_one_budget(backend: &Backend) {
        const CONNECTIONS: usize = 4;
        let start = Barrier::new(CONNECTIONS);
        let admitted: usize = std::thread::scope(|s| {
            let threads: Vec<_> = (0..CONNECTIONS)
                .map(|_| {
                    let mut store = backend.open();
                    let start = &start;
                    s.spawn(move || {
                        start.wait();
                        (0..10)
                            .filter(|_| loop {
                                match store.charge_budgets(&[charge(7, 12, 300)], t(0)) {
                                    Ok(refused) => break refused.is_none(),
                                    // SQLite's writers wait at most the busy timeout; try again.
                                    Err(crate::StoreError::Unavailable(_)) => continue,
                                    Err(e) => panic!("{e}"),
                                }
                            })
                            .count()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).sum()
        });
        assert_eq!(admitted, 12, "the burst, once, across {CONNECTIONS} connections");
    }
}
