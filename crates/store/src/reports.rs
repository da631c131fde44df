//! Citizen reports. Only the hash of a report's status token is stored, and contacts are erased after the
//! retention period. Reports are not in the audit trail when they arrive (the trail is permanent and
//! would keep what the reporter wrote); analysts' changes are, without the report's text or contact.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tangkal_cases::Actor;
use tangkal_response::report::{token_matches, CitizenReport, ReportAnswer, ReportChange, ReportStatus};
use tangkal_response::ResponseError;

use crate::audit::{self, Entry};
use crate::cases::{text_enum, to_i64};
use crate::users::time;
use crate::{ResponseUpdate, Result, SqliteStore, StoreError};

/// Which reports to list; every condition optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub status: Option<ReportStatus>,
    pub platform: Option<String>,
    pub case_id: Option<i64>,
}

pub trait ReportStore {
    /// Stores a report from `CitizenReport::received` with the hash of its status token, giving it its id
    /// and reference.
    fn add_report(&mut self, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport>;
    fn report(&self, id: i64) -> Result<Option<CitizenReport>>;
    /// The report with this reference, if `token` is its status token; an unknown reference and a wrong
    /// token look the same.
    fn report_for_reporter(&self, reference: &str, token: &str) -> Result<Option<CitizenReport>>;
    /// Newest first.
    fn list_reports(&self, filter: &ReportFilter, limit: u64, offset: u64) -> Result<Vec<CitizenReport>>;
    fn count_reports(&self, filter: &ReportFilter) -> Result<u64>;
    fn update_report(
        &mut self,
        id: i64,
        change: ReportChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<CitizenReport>>;
    /// Erases the contact of every report received before `received_before` (the retention job);
    /// returns how many were erased.
    fn erase_expired_contacts(&mut self, received_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64>;
}

const SELECT: &str = "SELECT id, reference, text, url, platform, contact, contact_erased, status, answer, narrative_id,
                             case_id, dismiss_reason, received_at, updated_at FROM citizen_reports";

fn report_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CitizenReport> {
    let answer = r
        .get::<_, Option<String>>(8)?
        .map(|a| serde_json::from_str::<ReportAnswer>(&a))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(CitizenReport {
        id: r.get(0)?,
        reference: r.get(1)?,
        text: r.get(2)?,
        url: r.get(3)?,
        platform: r.get(4)?,
        contact: r.get(5)?,
        contact_erased: r.get(6)?,
        status: text_enum(r.get(7)?, ReportStatus::parse)?,
        answer,
        narrative_id: r.get(9)?,
        case_id: r.get(10)?,
        dismiss_reason: r.get(11)?,
        received_at: time(r.get(12)?),
        updated_at: time(r.get(13)?),
    })
}

fn load(conn: &Connection, id: i64) -> Result<Option<CitizenReport>> {
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?.query_row(params![id], report_row).optional()?)
}

/// Parameters: `?1` status, `?2` platform, `?3` case.
const MATCHING: &str =
    "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR platform = ?2) AND (?3 IS NULL OR case_id = ?3)";

fn answer_json(report: &CitizenReport) -> Result<Option<String>> {
    report
        .answer
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("report answer: {e}")))
}

impl ReportStore for SqliteStore {
    fn add_report(&mut self, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Writers take turns (immediate transactions), so the next id is free.
        let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM citizen_reports", [], |r| r.get(0))?;
        let mut stored = report.clone();
        stored.assign_reference(id);
        tx.prepare_cached(
            "INSERT INTO citizen_reports (id, reference, token_hash, text, url, platform, contact, status, answer,
                                          narrative_id, case_id, received_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            id,
            stored.reference,
            &token_hash[..],
            stored.text,
            stored.url,
            stored.platform,
            stored.contact,
            stored.status.as_str(),
            answer_json(&stored)?,
            stored.narrative_id,
            stored.case_id,
            stored.received_at.timestamp(),
            stored.updated_at.timestamp()
        ])?;
        tx.commit()?;
        Ok(stored)
    }

    fn report(&self, id: i64) -> Result<Option<CitizenReport>> {
        load(&self.conn, id)
    }

    fn report_for_reporter(&self, reference: &str, token: &str) -> Result<Option<CitizenReport>> {
        let found = self
            .conn
            .prepare_cached("SELECT id, token_hash FROM citizen_reports WHERE reference = ?1")?
            .query_row(params![reference.trim()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .optional()?;
        match found {
            Some((id, hash)) if token_matches(token, &hash) => load(&self.conn, id),
            _ => Ok(None),
        }
    }

    fn list_reports(&self, filter: &ReportFilter, limit: u64, offset: u64) -> Result<Vec<CitizenReport>> {
        let sql = format!("{SELECT} {MATCHING} ORDER BY received_at DESC, id DESC LIMIT ?4 OFFSET ?5");
        let platform = filter.platform.as_deref().map(|p| p.trim().to_lowercase());
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(
                params![
                    filter.status.map(ReportStatus::as_str),
                    platform,
                    filter.case_id,
                    to_i64(limit, "limit")?,
                    to_i64(offset, "offset")?
                ],
                report_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn count_reports(&self, filter: &ReportFilter) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM citizen_reports {MATCHING}");
        let platform = filter.platform.as_deref().map(|p| p.trim().to_lowercase());
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![filter.status.map(ReportStatus::as_str), platform, filter.case_id], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn update_report(
        &mut self,
        id: i64,
        change: ReportChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<CitizenReport>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut report) = load(&tx, id)? else { return Ok(ResponseUpdate::NotFound) };
        if let ReportChange::LinkCase { case_id } = change {
            let exists: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)", [case_id], |r| r.get(0))?;
            if !exists {
                return Ok(ResponseUpdate::Refused(ResponseError::Invalid {
                    field: "case_id",
                    reason: format!("names no case ({case_id})"),
                }));
            }
        }
        let action = change.action();
        let recorded = match &change {
            ReportChange::LinkCase { case_id } => serde_json::json!({ "case_id": case_id }),
            ReportChange::Dismiss { reason } => serde_json::json!({ "reason": reason }),
        };
        if let Err(refusal) = report.apply(change, actor, now) {
            return Ok(ResponseUpdate::Refused(refusal));
        }
        tx.prepare_cached(
            "UPDATE citizen_reports SET status = ?2, case_id = ?3, dismiss_reason = ?4, updated_at = ?5 WHERE id = ?1",
        )?
        .execute(params![
            id,
            report.status.as_str(),
            report.case_id,
            report.dismiss_reason,
            now.timestamp()
        ])?;
        audit::append(&tx, Entry::created(&actor.label(), "report", id, action, &recorded)?, now)?;
        tx.commit()?;
        Ok(ResponseUpdate::Done(Box::new(report)))
    }

    fn erase_expired_contacts(&mut self, received_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        // Overwrite the freed bytes too, so the contact does not linger in the file's free space.
        self.conn.execute_batch("PRAGMA secure_delete = ON")?;
        let erased = (|| -> Result<u64> {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE citizen_reports SET contact = NULL, contact_erased = 1, updated_at = ?2
                 WHERE contact IS NOT NULL AND received_at < ?1",
                params![received_before.timestamp(), now.timestamp()],
            )? as u64;
            if n > 0 {
                let what = serde_json::json!({ "received_before": received_before, "erased": n });
                audit::append(
                    &tx,
                    Entry::created("system:retention", "report", 0, "report.erase_contacts", &what)?,
                    now,
                )?;
            }
            tx.commit()?;
            Ok(n)
        })();
        self.conn.execute_batch("PRAGMA secure_delete = OFF")?;
        erased
    }
}
