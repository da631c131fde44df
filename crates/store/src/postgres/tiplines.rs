//! PostgreSQL implementation (to be written).

#![allow(unused_variables, unused_imports)]

use crate::audit::{self, Entry};
use crate::audit_anchor::AuditAnchor;
use crate::cases::text_enum;
use crate::users::time;
use crate::{reports, Result, SqliteStore, StoreError};
use chrono::{DateTime, Utc};
use tangkal_response::report::CitizenReport;
use tangkal_tiplines::conversation::{words, Outgoing, Reply};
use tangkal_tiplines::{Channel, Forwarded, Language};

use super::PostgresStore;
use crate::*;

impl TiplineStore for PostgresStore {
    fn take_tip(&mut self, tip: &NewTip<'_>) -> Result<TipTaken> {
        unimplemented!("TiplineStore::take_tip on PostgreSQL")
    }
    fn due_tipline_messages(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueMessage>> {
        unimplemented!("TiplineStore::due_tipline_messages on PostgreSQL")
    }
    fn record_tipline_sends(&mut self, results: &[(i64, SendResult)]) -> Result<()> {
        unimplemented!("TiplineStore::record_tipline_sends on PostgreSQL")
    }
    fn erase_expired_tipline_contacts(
        &mut self,
        last_inbound_before: DateTime<Utc>,
        seen_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        unimplemented!("TiplineStore::erase_expired_tipline_contacts on PostgreSQL")
    }
    fn pending_tipline_messages(&self) -> Result<u64> {
        unimplemented!("TiplineStore::pending_tipline_messages on PostgreSQL")
    }
}
