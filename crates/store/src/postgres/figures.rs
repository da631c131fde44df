//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::cases::{json_name, text_enum};
use crate::{Result, SqliteStore};
use serde::Serialize;
use tangkal_cases::{Rating, Status, Urgency};

use super::PostgresStore;
use crate::*;

impl FigureStore for PostgresStore {
    fn count_narratives(&self) -> Result<u64> {
        unimplemented!("FigureStore::count_narratives on PostgreSQL")
    }
    fn cases_by_status(&self) -> Result<Vec<(Status, u64)>> {
        unimplemented!("FigureStore::cases_by_status on PostgreSQL")
    }
    fn verdicts_by_rating(&self) -> Result<Vec<(Rating, u64)>> {
        unimplemented!("FigureStore::verdicts_by_rating on PostgreSQL")
    }
    fn cases_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>> {
        unimplemented!("FigureStore::cases_per_day on PostgreSQL")
    }
    fn items_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>> {
        unimplemented!("FigureStore::items_per_day on PostgreSQL")
    }
    fn response_times(&self, since: i64) -> Result<Vec<ResponseTimes>> {
        unimplemented!("FigureStore::response_times on PostgreSQL")
    }
    fn count_clarifications_published(&self, since: i64, until: i64) -> Result<u64> {
        unimplemented!("FigureStore::count_clarifications_published on PostgreSQL")
    }
}
