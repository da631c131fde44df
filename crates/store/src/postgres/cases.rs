//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::users::time;
use crate::{webhooks, Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tangkal_cases::{
    Actor, Case, CaseError, Change, Evidence, EvidenceFile, EvidenceKind, MisinfoType, NewCase, Origin, Priority,
    Rating, Review, Signals, SlaState, Status, Urgency, UserRef, Verdict, VerdictDraft, AT_RISK_DIVISOR,
};
use tangkal_response::webhook::EventKind;

use super::PostgresStore;
use crate::*;

impl CaseStore for PostgresStore {
    fn open_case(&mut self, new: &NewCase, opened_by: &str, now: DateTime<Utc>) -> Result<Case> {
        unimplemented!("CaseStore::open_case on PostgreSQL")
    }
    fn case(&self, id: i64) -> Result<Option<Case>> {
        unimplemented!("CaseStore::case on PostgreSQL")
    }
    fn list_cases(&self, filter: &CaseFilter, now: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<CaseSummary>> {
        unimplemented!("CaseStore::list_cases on PostgreSQL")
    }
    fn count_cases(&self, filter: &CaseFilter, now: DateTime<Utc>) -> Result<u64> {
        unimplemented!("CaseStore::count_cases on PostgreSQL")
    }
    fn update_case(&mut self, id: i64, change: Change, actor: &Actor, now: DateTime<Utc>) -> Result<CaseUpdate> {
        unimplemented!("CaseStore::update_case on PostgreSQL")
    }
    fn published_cases(&self, limit: u64, offset: u64) -> Result<Vec<Case>> {
        unimplemented!("CaseStore::published_cases on PostgreSQL")
    }
    fn open_case_for_origin(&self, origin_ref: &str) -> Result<Option<i64>> {
        unimplemented!("CaseStore::open_case_for_origin on PostgreSQL")
    }
    fn link_narrative(
        &mut self,
        case_id: i64,
        narrative: i64,
        item: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        unimplemented!("CaseStore::link_narrative on PostgreSQL")
    }
}
