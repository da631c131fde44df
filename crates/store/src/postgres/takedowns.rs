//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::cases::{text_enum, to_i64};
use crate::users::time;
use crate::{webhooks, ResponseUpdate, Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use tangkal_cases::{Actor, Urgency};
use tangkal_response::takedown::{
    OutcomeCounts, RequestState, TakedownChange, TakedownRequest, TakedownUrl, UrlEvent, UrlStatus,
};
use tangkal_response::transparency::RequestFigures;
use tangkal_response::webhook::EventKind;

use super::PostgresStore;
use crate::*;

impl TakedownStore for PostgresStore {
    fn create_takedown(&mut self, request: &TakedownRequest) -> Result<TakedownCreate> {
        unimplemented!("TakedownStore::create_takedown on PostgreSQL")
    }
    fn takedown(&self, id: i64) -> Result<Option<TakedownRequest>> {
        unimplemented!("TakedownStore::takedown on PostgreSQL")
    }
    fn list_takedowns(
        &self,
        filter: &TakedownFilter,
        now: DateTime<Utc>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TakedownRequest>> {
        unimplemented!("TakedownStore::list_takedowns on PostgreSQL")
    }
    fn count_takedowns(&self, filter: &TakedownFilter, now: DateTime<Utc>) -> Result<u64> {
        unimplemented!("TakedownStore::count_takedowns on PostgreSQL")
    }
    fn update_takedown(
        &mut self,
        id: i64,
        change: &TakedownChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<TakedownRequest>> {
        unimplemented!("TakedownStore::update_takedown on PostgreSQL")
    }
    fn public_takedowns(&self, sent_until: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<TakedownRequest>> {
        unimplemented!("TakedownStore::public_takedowns on PostgreSQL")
    }
    fn count_public_takedowns(&self, sent_until: DateTime<Utc>) -> Result<u64> {
        unimplemented!("TakedownStore::count_public_takedowns on PostgreSQL")
    }
    fn public_takedown_figures(&self, sent_until: DateTime<Utc>) -> Result<Vec<RequestFigures>> {
        unimplemented!("TakedownStore::public_takedown_figures on PostgreSQL")
    }
    fn count_complied_urls(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<u64> {
        unimplemented!("TakedownStore::count_complied_urls on PostgreSQL")
    }
}
