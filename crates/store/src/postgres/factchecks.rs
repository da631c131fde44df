//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::{Result, SqliteStore, StoreError};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::Serialize;
use tangkal_model::FactCheck;

use super::PostgresStore;
use crate::*;

impl FactCheckStore for PostgresStore {
    fn upsert_factchecks(&mut self, records: &[FactCheck]) -> Result<FactCheckCounts> {
        unimplemented!("FactCheckStore::upsert_factchecks on PostgreSQL")
    }
    fn pull_since(&self, source: &str) -> Result<Option<DateTime<Utc>>> {
        unimplemented!("FactCheckStore::pull_since on PostgreSQL")
    }
    fn upsert_pulled_factchecks(
        &mut self,
        source: &str,
        records: &[FactCheck],
        next_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<FactCheckCounts> {
        unimplemented!("FactCheckStore::upsert_pulled_factchecks on PostgreSQL")
    }
    fn list_factchecks(&self, filter: &FactCheckFilter, limit: u64, offset: u64) -> Result<Vec<StoredFactCheck>> {
        unimplemented!("FactCheckStore::list_factchecks on PostgreSQL")
    }
    fn count_factchecks(&self, filter: &FactCheckFilter) -> Result<u64> {
        unimplemented!("FactCheckStore::count_factchecks on PostgreSQL")
    }
    fn get_factcheck(&self, id: &str) -> Result<Option<StoredFactCheck>> {
        unimplemented!("FactCheckStore::get_factcheck on PostgreSQL")
    }
    fn factcheck_versions(&self, id: &str) -> Result<Vec<FactCheckVersion>> {
        unimplemented!("FactCheckStore::factcheck_versions on PostgreSQL")
    }
}
