//! Citizen reports on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use tangkal_cases::Actor;
use tangkal_model::NarrativeId;
use tangkal_response::report::{token_matches, CitizenReport, ReportAnswer, ReportChange, ReportChannel, ReportStatus};

use tangkal_response::webhook::EventKind;

use super::matches::family_case;
use crate::audit::Entry;
use crate::cases::{text_enum, to_i64};
use crate::reports::{answer_json, erasure_entry, no_such_case, received_event, recorded_change, Matching, SELECT};
use crate::users::time;
use crate::{ReportFilter, ReportStore, ResponseUpdate, Result, SqliteStore};

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
        channel: text_enum(r.get(14)?, ReportChannel::parse)?,
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

/// Parameters: `?1` status, `?2` platform, `?3` case, `?4` narrative, `?5` received since (UTC seconds),
/// `?6` answered or not, `?7` linked to a case or not.
const MATCHING: &str =
    "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR platform = ?2) AND (?3 IS NULL OR case_id = ?3)
       AND (?4 IS NULL OR narrative_id = ?4) AND (?5 IS NULL OR received_at >= ?5)
       AND (?6 IS NULL OR (answer IS NOT NULL) = ?6) AND (?7 IS NULL OR (case_id IS NOT NULL) = ?7)";

/// A filter's parameters, in [`MATCHING`]'s order.
fn matching_params(filter: &ReportFilter) -> Vec<Value> {
    let m = Matching::of(filter);
    let text = |t: Option<String>| t.map_or(Value::Null, Value::Text);
    let int = |n: Option<i64>| n.map_or(Value::Null, Value::Integer);
    vec![
        text(m.status.map(str::to_string)),
        text(m.platform),
        int(m.case_id),
        int(m.narrative_id.map(i64::from)),
        int(m.since),
        int(m.answered.map(i64::from)),
        int(m.linked.map(i64::from)),
    ]
}

/// Stores a report with its `report.received` event, inside the caller's (immediate) transaction.
pub(crate) fn insert(tx: &Connection, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport> {
    // Writers take turns (immediate transactions), so the next id is free.
    let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM citizen_reports", [], |r| r.get(0))?;
    let mut stored = report.clone();
    stored.assign_reference(id);
    tx.prepare_cached(
        "INSERT INTO citizen_reports (id, reference, token_hash, text, url, platform, channel, contact, status,
                                      answer, narrative_id, case_id, received_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        id,
        stored.reference,
        &token_hash[..],
        stored.text,
        stored.url,
        stored.platform,
        stored.channel.as_str(),
        stored.contact,
        stored.status.as_str(),
        answer_json(&stored)?,
        stored.narrative_id,
        stored.case_id,
        stored.received_at.timestamp(),
        stored.updated_at.timestamp()
    ])?;
    super::webhooks::emit(
        tx,
        EventKind::ReportReceived,
        ("report", id),
        None,
        received_event(&stored),
        stored.received_at,
    )?;
    Ok(stored)
}

impl ReportStore for SqliteStore {
    fn add_report(&mut self, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = insert(&tx, report, token_hash)?;
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
        let sql = format!("{SELECT} {MATCHING} ORDER BY received_at DESC, id DESC LIMIT ?8 OFFSET ?9");
        let mut values = matching_params(filter);
        values.extend([Value::Integer(to_i64(limit, "limit")?), Value::Integer(to_i64(offset, "offset")?)]);
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(values), report_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn count_reports(&self, filter: &ReportFilter) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM citizen_reports {MATCHING}");
        let n: i64 =
            self.conn.prepare_cached(&sql)?.query_row(params_from_iter(matching_params(filter)), |r| r.get(0))?;
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
                return Ok(no_such_case(case_id));
            }
        }
        let action = change.action();
        let recorded = recorded_change(&change);
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
        super::audit::append(&tx, &self.audit, Entry::created(&actor.label(), "report", id, action, &recorded)?, now)?;
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
                super::audit::append(&tx, &self.audit, erasure_entry(received_before, n)?, now)?;
            }
            tx.commit()?;
            Ok(n)
        })();
        self.conn.execute_batch("PRAGMA secure_delete = OFF")?;
        erased
    }

    fn triage_of(&self, narrative_id: NarrativeId) -> Result<Option<(NarrativeId, Option<i64>)>> {
        let Some(narrative) = crate::NarrativeStore::get_narrative(self, narrative_id)? else { return Ok(None) };
        Ok(Some((narrative.id, family_case(&self.conn, narrative.id, true)?)))
    }
}
