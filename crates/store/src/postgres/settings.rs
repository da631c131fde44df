//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::{Result, SqliteStore};
use chrono::{DateTime, Utc};

use super::PostgresStore;
use crate::*;

impl SettingStore for PostgresStore {
    fn setting(&self, key: &str) -> Result<Option<Setting>> {
        unimplemented!("SettingStore::setting on PostgreSQL")
    }
    fn settings_under(&self, prefix: &str) -> Result<Vec<Setting>> {
        unimplemented!("SettingStore::settings_under on PostgreSQL")
    }
    fn put_setting(
        &mut self,
        key: &str,
        value: &serde_json::Value,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Setting> {
        unimplemented!("SettingStore::put_setting on PostgreSQL")
    }
}
