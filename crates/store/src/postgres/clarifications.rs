//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::cases::{json_enum, json_name, load_case, text_enum, to_i64};
use crate::users::time;
use crate::{tiplines, webhooks, ResponseUpdate, Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use tangkal_cases::{Actor, Rating};
use tangkal_response::clarification::{
    numbered_slug, slug_for, Clarification, ClarificationChange, ClarificationStatus, Correction, Topic,
};
use tangkal_response::webhook::EventKind;

use super::PostgresStore;
use crate::*;

impl ClarificationStore for PostgresStore {
    fn create_clarification(&mut self, draft: &Clarification) -> Result<Clarification> {
        unimplemented!("ClarificationStore::create_clarification on PostgreSQL")
    }
    fn clarification(&self, id: i64) -> Result<Option<Clarification>> {
        unimplemented!("ClarificationStore::clarification on PostgreSQL")
    }
    fn clarification_by_slug(&self, slug: &str) -> Result<Option<Clarification>> {
        unimplemented!("ClarificationStore::clarification_by_slug on PostgreSQL")
    }
    fn list_clarifications(&self, filter: &ClarificationFilter, limit: u64, offset: u64) -> Result<Vec<Clarification>> {
        unimplemented!("ClarificationStore::list_clarifications on PostgreSQL")
    }
    fn count_clarifications(&self, filter: &ClarificationFilter) -> Result<u64> {
        unimplemented!("ClarificationStore::count_clarifications on PostgreSQL")
    }
    fn last_published_change(&self) -> Result<Option<DateTime<Utc>>> {
        unimplemented!("ClarificationStore::last_published_change on PostgreSQL")
    }
    fn update_clarification(
        &mut self,
        id: i64,
        change: ClarificationChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<Clarification>> {
        unimplemented!("ClarificationStore::update_clarification on PostgreSQL")
    }
}
