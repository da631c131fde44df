//! Settings on PostgreSQL.

use super::connection::GenericClient;
use chrono::{DateTime, Utc};

use super::PostgresStore;
use crate::audit::{self, Entry};
use crate::settings::{setting_of, SELECT_SETTING};
use crate::{Result, Setting, SettingStore, StoreError};

fn read(client: &mut impl GenericClient, sql: &str, key: &str) -> Result<Vec<Setting>> {
    let rows = client.query(sql, &[&key])?;
    rows.iter()
        .map(|r| {
            setting_of(r.get(0), r.get(1), r.get(2), r.get(3))
                .map_err(|e| StoreError::Corrupt(format!("the setting {}: {e}", r.get::<_, &str>(0))))
        })
        .collect()
}

impl SettingStore for PostgresStore {
    fn setting(&self, key: &str) -> Result<Option<Setting>> {
        Ok(read(&mut *self.client(), &format!("{SELECT_SETTING} WHERE key = $1"), key)?.pop())
    }

    fn settings_under(&self, prefix: &str) -> Result<Vec<Setting>> {
        // `starts_with` rather than LIKE: a key may hold `_` or `%`. Keys in byte order, as on SQLite.
        read(
            &mut *self.client(),
            &format!("{SELECT_SETTING} WHERE starts_with(key, $1) ORDER BY key COLLATE \"C\""),
            prefix,
        )
    }

    fn put_setting(
        &mut self,
        key: &str,
        value: &serde_json::Value,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Setting> {
        let text = audit::json(value)?;
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // The row locked while it changes, so that of two administrators changing a setting at once the
        // second sees the first's value (as its `before`, or as no change at all). A first setting has no
        // row to lock: whoever inserts second finds the first's row and goes round again.
        let before = loop {
            let before = read(&mut tx, &format!("{SELECT_SETTING} WHERE key = $1 FOR UPDATE"), key)?.pop();
            if let Some(same) = before.as_ref().filter(|b| b.value == *value) {
                return Ok(same.clone());
            }
            let written = if before.is_some() {
                tx.execute(
                    "UPDATE settings SET value = $2, updated_at = $3, updated_by = $4 WHERE key = $1",
                    &[&key, &text, &now.timestamp(), &actor],
                )?
            } else {
                tx.execute(
                    "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (key) DO NOTHING",
                    &[&key, &text, &now.timestamp(), &actor],
                )?
            };
            if written == 1 {
                break before;
            }
        };
        let entry = Entry {
            actor,
            entity: "setting",
            entity_id: key.to_string(),
            action: "setting.change",
            before: before.map(|b| audit::json(&b.value)).transpose()?,
            after: Some(text),
        };
        super::audit::append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(Setting { key: key.to_string(), value: value.clone(), updated_at: now, updated_by: actor.to_string() })
    }
}
