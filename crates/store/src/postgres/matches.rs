//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::{Result, SqliteStore, StoreError};
use serde::Serialize;
use tangkal_cases::Priority;

use super::PostgresStore;
use crate::*;

impl MatchStore for PostgresStore {
    fn factchecks_revision(&self) -> Result<Option<String>> {
        unimplemented!("MatchStore::factchecks_revision on PostgreSQL")
    }
    fn narratives_to_match(
        &self,
        matcher_version: &str,
        factchecks_revision: &str,
        updated_since: i64,
        limit: u64,
    ) -> Result<Vec<PendingNarrative>> {
        unimplemented!("MatchStore::narratives_to_match on PostgreSQL")
    }
    fn save_narrative_matches(&mut self, batch: &[NarrativeMatches]) -> Result<()> {
        unimplemented!("MatchStore::save_narrative_matches on PostgreSQL")
    }
    fn narrative_claim(&self, narrative_id: i64) -> Result<Option<NarrativeClaim>> {
        unimplemented!("MatchStore::narrative_claim on PostgreSQL")
    }
    fn narrative_matches(&self, narrative_id: i64) -> Result<Vec<NarrativeMatch>> {
        unimplemented!("MatchStore::narrative_matches on PostgreSQL")
    }
    fn narrative_case(&self, narrative_id: i64) -> Result<Option<i64>> {
        unimplemented!("MatchStore::narrative_case on PostgreSQL")
    }
}
