//! Settings on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::audit::{self, Entry};
use crate::settings::{setting_of, SELECT_SETTING};
use crate::{Result, Setting, SettingStore, SqliteStore};

fn setting_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Setting> {
    let value: String = row.get(1)?;
    setting_of(row.get(0)?, &value, row.get(2)?, row.get(3)?)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))
}

impl SettingStore for SqliteStore {
    fn setting(&self, key: &str) -> Result<Option<Setting>> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT_SETTING} WHERE key = ?1"))?;
        Ok(stmt.query_row([key], setting_row).optional()?)
    }

    fn settings_under(&self, prefix: &str) -> Result<Vec<Setting>> {
        // `substr` rather than LIKE: a key may hold `_` or `%`.
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_SETTING} WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key"))?;
        let rows = stmt.query_map([prefix], setting_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_setting(
        &mut self,
        key: &str,
        value: &serde_json::Value,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Setting> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = tx.query_row(&format!("{SELECT_SETTING} WHERE key = ?1"), [key], setting_row).optional()?;
        if let Some(same) = before.as_ref().filter(|b| b.value == *value) {
            return Ok(same.clone());
        }
        let text = audit::json(value)?;
        tx.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                                             updated_by = excluded.updated_by",
            params![key, text, now.timestamp(), actor],
        )?;
        let entry = Entry {
            actor,
            entity: "setting",
            entity_id: key.to_string(),
            action: "setting.change",
            before: before.map(|b| audit::json(&b.value)).transpose()?,
            after: Some(text),
        };
        super::audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Setting { key: key.to_string(), value: value.clone(), updated_at: now, updated_by: actor.to_string() })
    }
}
