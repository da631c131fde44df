//! Settings an administrator changes on the desk (the claim matcher's thresholds, each platform's
//! takedown addressee), kept in the store so that every process reading it sees the same value and the
//! audit trail shows who changed what. The store keeps JSON under a key; the callers own the meaning.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::audit::{self, Entry};
use crate::{Result, SqliteStore};

/// A stored setting and who set it last.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

pub trait SettingStore {
    /// The setting under `key`, if an administrator ever set it.
    fn setting(&self, key: &str) -> Result<Option<Setting>>;
    /// Every setting whose key starts with `prefix`, by key.
    fn settings_under(&self, prefix: &str) -> Result<Vec<Setting>>;
    /// Sets `key` to `value` and records the change (before and after) on the audit trail; setting the
    /// value it already has changes and records nothing.
    fn put_setting(&mut self, key: &str, value: &serde_json::Value, actor: &str, now: DateTime<Utc>)
        -> Result<Setting>;
}

const SELECT_SETTING: &str = "SELECT key, value, updated_at, updated_by FROM settings";

fn setting_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Setting> {
    let value: String = row.get(1)?;
    Ok(Setting {
        key: row.get(0)?,
        value: serde_json::from_str(&value)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?,
        updated_at: DateTime::from_timestamp(row.get(2)?, 0).unwrap_or_default(),
        updated_by: row.get(3)?,
    })
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
        audit::append(&tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Setting { key: key.to_string(), value: value.clone(), updated_at: now, updated_by: actor.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::{AuditFilter, AuditStore};

    #[test]
    fn settings_are_kept_by_key_and_every_change_is_audited_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        assert_eq!(store.setting("matcher.thresholds").unwrap(), None);

        store.put_setting("matcher.thresholds", &json!({"auto_answer": 0.5}), "admin", at).unwrap();
        let later = at + chrono::Duration::minutes(5);
        store.put_setting("matcher.thresholds", &json!({"auto_answer": 0.6}), "rina", later).unwrap();
        // The same value again is no change.
        store.put_setting("matcher.thresholds", &json!({"auto_answer": 0.6}), "rina", later).unwrap();
        store.put_setting("platform.tiktok", &json!({"addressee": "TikTok"}), "admin", at).unwrap();
        store.put_setting("platform_x", &json!(1), "admin", at).unwrap();

        let stored = store.setting("matcher.thresholds").unwrap().unwrap();
        assert_eq!(
            (stored.value, stored.updated_by, stored.updated_at),
            (json!({"auto_answer": 0.6}), "rina".into(), later)
        );
        let platforms: Vec<String> = store.settings_under("platform.").unwrap().into_iter().map(|s| s.key).collect();
        assert_eq!(platforms, ["platform.tiktok"]);

        let events = store
            .audit_events(&AuditFilter { entity: Some("setting".into()), ..AuditFilter::default() }, 10, 0)
            .unwrap();
        let thresholds: Vec<_> = events.iter().filter(|e| e.entity_id == "matcher.thresholds").collect();
        assert_eq!(thresholds.len(), 2);
        assert!(thresholds.iter().any(|e| e.before.as_deref() == Some(r#"{"auto_answer":0.5}"#)
            && e.after.as_deref() == Some(r#"{"auto_answer":0.6}"#)
            && e.actor == "rina"));
    }
}
