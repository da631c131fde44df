//! Request budgets on SQLite.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::budgets::{charged, EXPIRED_REMOVED};
use crate::{BudgetCharge, BudgetStore, Result, SqliteStore};

impl BudgetStore for SqliteStore {
    fn charge_budgets(&mut self, charges: &[BudgetCharge], now: DateTime<Utc>) -> Result<Option<Duration>> {
        let now_ms = now.timestamp_millis();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = {
            let mut find = tx.prepare_cached("SELECT tat FROM request_budgets WHERE key = ?1")?;
            charges
                .iter()
                .map(|c| find.query_row([&c.key[..]], |r| r.get::<_, i64>(0)).optional())
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let next = match charged(charges, &stored, now_ms) {
            Ok(next) => next,
            Err(wait) => return Ok(Some(wait)),
        };
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO request_budgets (key, tat) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET tat = ?2",
            )?;
            for (charge, tat) in charges.iter().zip(next) {
                put.execute(params![&charge.key[..], tat])?;
            }
            tx.prepare_cached(
                "DELETE FROM request_budgets WHERE key IN
                    (SELECT key FROM request_budgets WHERE tat < ?1 ORDER BY tat LIMIT ?2)",
            )?
            .execute(params![now_ms, EXPIRED_REMOVED])?;
        }
        tx.commit()?;
        Ok(None)
    }

    fn restore_budget(&mut self, key: &[u8; 16]) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM request_budgets WHERE key = ?1")?.execute([&key[..]])?;
        Ok(())
    }
}
