//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::identity_filter::IdentityFilter;
use crate::{Result, SqliteStore, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;
use tangkal_model::{Author, Identity, Item, Metrics};

use super::PostgresStore;
use crate::*;

impl ItemStore for PostgresStore {
    fn begin_writes(&mut self) -> Result<bool> {
        unimplemented!("ItemStore::begin_writes on PostgreSQL")
    }
    fn commit_writes(&mut self) -> Result<()> {
        unimplemented!("ItemStore::commit_writes on PostgreSQL")
    }
    fn plan_items(&mut self, source: &SourceRef, records: &[ItemRecord<'_>]) -> Result<ItemPlan> {
        unimplemented!("ItemStore::plan_items on PostgreSQL")
    }
    fn insert_planned(
        &mut self,
        plan: ItemPlan,
        records: &[ItemRecord<'_>],
        placements: &[Option<Placement>],
    ) -> Result<WriteCounts> {
        unimplemented!("ItemStore::insert_planned on PostgreSQL")
    }
    fn list_items(&self, filter: &ItemFilter, limit: u64, offset: u64) -> Result<Vec<StoredItem>> {
        unimplemented!("ItemStore::list_items on PostgreSQL")
    }
    fn count_items(&self, filter: &ItemFilter) -> Result<u64> {
        unimplemented!("ItemStore::count_items on PostgreSQL")
    }
    fn get_item(&self, id: i64) -> Result<Option<StoredItem>> {
        unimplemented!("ItemStore::get_item on PostgreSQL")
    }
}

/// Whether a transaction opened by `begin_writes` is open on this connection.
#[derive(Default)]
pub(crate) struct ItemWrites {
    pub open: bool,
}
