//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::{Result, SqliteStore};
use serde::Serialize;

use super::PostgresStore;
use crate::*;

impl NarrativeStore for PostgresStore {
    fn items_after(&self, after_id: i64, limit: u64) -> Result<Vec<NarrativeInput>> {
        unimplemented!("NarrativeStore::items_after on PostgreSQL")
    }
    fn save_narratives(&mut self, update: &NarrativeUpdate) -> Result<()> {
        unimplemented!("NarrativeStore::save_narratives on PostgreSQL")
    }
    fn list_narratives(&self, order: NarrativeOrder, limit: u64, offset: u64) -> Result<Vec<NarrativeRow>> {
        unimplemented!("NarrativeStore::list_narratives on PostgreSQL")
    }
    fn get_narrative(&self, id: i64) -> Result<Option<NarrativeRow>> {
        unimplemented!("NarrativeStore::get_narrative on PostgreSQL")
    }
    fn narrative_merges(&self, id: i64) -> Result<Vec<NarrativeMerge>> {
        unimplemented!("NarrativeStore::narrative_merges on PostgreSQL")
    }
    fn narrative_item_ids(&self, id: i64, limit: u64) -> Result<Vec<i64>> {
        unimplemented!("NarrativeStore::narrative_item_ids on PostgreSQL")
    }
    fn narrative_posts(&self) -> Result<Vec<NarrativePost>> {
        unimplemented!("NarrativeStore::narrative_posts on PostgreSQL")
    }
    fn narrative_variants(&self, id: i64, limit: u64) -> Result<Vec<NarrativeVariant>> {
        unimplemented!("NarrativeStore::narrative_variants on PostgreSQL")
    }
    fn narrative_accounts(&self, id: i64, limit: u64) -> Result<Vec<NarrativeAccount>> {
        unimplemented!("NarrativeStore::narrative_accounts on PostgreSQL")
    }
    fn narrative_spread(&self, id: i64, since: i64) -> Result<Vec<HourlyPosts>> {
        unimplemented!("NarrativeStore::narrative_spread on PostgreSQL")
    }
    fn narratives_revision(&self) -> Result<(i64, i64)> {
        unimplemented!("NarrativeStore::narratives_revision on PostgreSQL")
    }
}
