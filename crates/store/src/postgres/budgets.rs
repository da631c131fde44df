//! Request budgets on PostgreSQL: the rows of a charge are created if missing and locked in key order, so
//! that servers charging the same budgets at once take turns (and never deadlock) and each sees the
//! other's charge.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::connection::GenericClient;
use super::PostgresStore;
use crate::budgets::{charged, BudgetCharge, EXPIRED_REMOVED};
use crate::{BudgetStore, Result};

impl BudgetStore for PostgresStore {
    fn charge_budgets(&mut self, charges: &[BudgetCharge], now: DateTime<Utc>) -> Result<Option<Duration>> {
        let now_ms = now.timestamp_millis();
        let keys: Vec<&[u8]> = charges.iter().map(|c| &c.key[..]).collect();
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // A new key's row starts in the past: at a full budget.
        tx.execute(
            "INSERT INTO request_budgets (key, tat) SELECT k, 0 FROM unnest($1::bytea[]) AS k ORDER BY k
             ON CONFLICT (key) DO NOTHING",
            &[&keys],
        )?;
        let rows =
            tx.query("SELECT key, tat FROM request_budgets WHERE key = ANY($1) ORDER BY key FOR UPDATE", &[&keys])?;
        let stored: Vec<Option<i64>> =
            keys.iter().map(|key| rows.iter().find(|r| r.get::<_, &[u8]>(0) == *key).map(|r| r.get(1))).collect();
        let next = match charged(charges, &stored, now_ms) {
            Ok(next) => next,
            Err(wait) => {
                tx.commit()?;
                return Ok(Some(wait));
            }
        };
        tx.execute(
            "UPDATE request_budgets SET tat = u.tat FROM unnest($1::bytea[], $2::bigint[]) AS u(key, tat)
             WHERE request_budgets.key = u.key",
            &[&keys, &next],
        )?;
        // Rows another charge holds are left for a later one.
        tx.execute(
            "DELETE FROM request_budgets WHERE key IN
                (SELECT key FROM request_budgets WHERE tat < $1 ORDER BY tat LIMIT $2 FOR UPDATE SKIP LOCKED)",
            &[&now_ms, &EXPIRED_REMOVED],
        )?;
        tx.commit()?;
        Ok(None)
    }

    fn restore_budget(&mut self, key: &[u8; 16]) -> Result<()> {
        self.client().execute("DELETE FROM request_budgets WHERE key = $1", &[&&key[..]])?;
        Ok(())
    }
}
