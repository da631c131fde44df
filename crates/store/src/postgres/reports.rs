//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::cases::{text_enum, to_i64};
use crate::matches::family_case;
use crate::users::time;
use crate::{webhooks, ResponseUpdate, Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use tangkal_cases::Actor;
use tangkal_response::report::{token_matches, CitizenReport, ReportAnswer, ReportChange, ReportChannel, ReportStatus};
use tangkal_response::webhook::EventKind;
use tangkal_response::ResponseError;

use super::PostgresStore;
use crate::*;

impl ReportStore for PostgresStore {
    fn add_report(&mut self, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport> {
        unimplemented!("ReportStore::add_report on PostgreSQL")
    }
    fn report(&self, id: i64) -> Result<Option<CitizenReport>> {
        unimplemented!("ReportStore::report on PostgreSQL")
    }
    fn report_for_reporter(&self, reference: &str, token: &str) -> Result<Option<CitizenReport>> {
        unimplemented!("ReportStore::report_for_reporter on PostgreSQL")
    }
    fn list_reports(&self, filter: &ReportFilter, limit: u64, offset: u64) -> Result<Vec<CitizenReport>> {
        unimplemented!("ReportStore::list_reports on PostgreSQL")
    }
    fn count_reports(&self, filter: &ReportFilter) -> Result<u64> {
        unimplemented!("ReportStore::count_reports on PostgreSQL")
    }
    fn update_report(
        &mut self,
        id: i64,
        change: ReportChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<CitizenReport>> {
        unimplemented!("ReportStore::update_report on PostgreSQL")
    }
    fn erase_expired_contacts(&mut self, received_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        unimplemented!("ReportStore::erase_expired_contacts on PostgreSQL")
    }
    fn triage_of(&self, narrative_id: i64) -> Result<Option<(i64, Option<i64>)>> {
        unimplemented!("ReportStore::triage_of on PostgreSQL")
    }
}
