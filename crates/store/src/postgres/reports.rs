//! Citizen reports on PostgreSQL. A report's reference is made from its id, so the id is drawn from the
//! table's sequence before the row is written (servers never pick the same one).
//!
//! Erasing a contact: SQLite is told to overwrite freed bytes (`PRAGMA secure_delete`). PostgreSQL has no
//! such setting. The erasing `UPDATE` writes a new version of the row without the contact, and from its
//! commit no query returns the contact; the old version stays in the table's file as a dead row until
//! `VACUUM` (autovacuum, or a scheduled one) removes it and makes its space free for reuse, and its bytes
//! stay until that space is written again (`VACUUM FULL` rewrites the table into a new file). Copies in
//! the write-ahead log, its archive and backups last as long as those are kept.

use ::postgres::Row;
use tangkal_model::NarrativeId;

use super::connection::{GenericClient, Transaction};
use chrono::{DateTime, Utc};
use tangkal_cases::Actor;
use tangkal_response::report::{token_matches, CitizenReport, ReportAnswer, ReportChange, ReportChannel, ReportStatus};
use tangkal_response::webhook::EventKind;

use super::matches::family_case;
use super::PostgresStore;
use crate::audit::Entry;
use crate::cases::{text_enum, to_i64};
use crate::reports::{answer_json, erasure_entry, no_such_case, received_event, recorded_change, Matching, SELECT};
use crate::users::time;
use crate::{ReportFilter, ReportStore, ResponseUpdate, Result, StoreError};

fn report_row(r: &Row) -> Result<CitizenReport> {
    let answer = r
        .get::<_, Option<String>>(8)
        .map(|a| serde_json::from_str::<ReportAnswer>(&a))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("report {}: answer: {e}", r.get::<_, i64>(0))))?;
    Ok(CitizenReport {
        id: r.get(0),
        reference: r.get(1),
        text: r.get(2),
        url: r.get(3),
        platform: r.get(4),
        channel: text_enum(r.get(14), ReportChannel::parse)?,
        contact: r.get(5),
        contact_erased: r.get(6),
        status: text_enum(r.get(7), ReportStatus::parse)?,
        answer,
        narrative_id: r.get(9),
        case_id: r.get(10),
        dismiss_reason: r.get(11),
        received_at: time(r.get(12)),
        updated_at: time(r.get(13)),
    })
}

fn load(client: &mut impl GenericClient, clause: &str, id: i64) -> Result<Option<CitizenReport>> {
    client.query_opt(&format!("{SELECT} {clause}"), &[&id])?.as_ref().map(report_row).transpose()
}

/// `crate::reports::MATCHING` with PostgreSQL's placeholders, typed where nothing else says the type.
const MATCHING: &str = "WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR platform = $2)
       AND ($3::bigint IS NULL OR case_id = $3) AND ($4::bigint IS NULL OR narrative_id = $4)
       AND ($5::bigint IS NULL OR received_at >= $5)
       AND ($6::boolean IS NULL OR (answer IS NOT NULL) = $6) AND ($7::boolean IS NULL OR (case_id IS NOT NULL) = $7)";

/// Stores a report with its `report.received` event, inside the caller's transaction.
pub(crate) fn insert(tx: &mut Transaction<'_>, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport> {
    let id: i64 = tx.query_one("SELECT nextval(pg_get_serial_sequence('citizen_reports', 'id'))", &[])?.get(0);
    let mut stored = report.clone();
    stored.assign_reference(id);
    tx.execute(
        "INSERT INTO citizen_reports (id, reference, token_hash, text, url, platform, channel, contact, status,
                                      answer, narrative_id, case_id, received_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &id,
            &stored.reference,
            &&token_hash[..],
            &stored.text,
            &stored.url,
            &stored.platform,
            &stored.channel.as_str(),
            &stored.contact,
            &stored.status.as_str(),
            &answer_json(&stored)?,
            &stored.narrative_id,
            &stored.case_id,
            &stored.received_at.timestamp(),
            &stored.updated_at.timestamp(),
        ],
    )?;
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

impl ReportStore for PostgresStore {
    fn add_report(&mut self, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let stored = insert(&mut tx, report, token_hash)?;
        tx.commit()?;
        Ok(stored)
    }

    fn report(&self, id: i64) -> Result<Option<CitizenReport>> {
        load(&mut *self.client(), "WHERE id = $1", id)
    }

    fn report_for_reporter(&self, reference: &str, token: &str) -> Result<Option<CitizenReport>> {
        let mut client = self.client();
        let found = client
            .query_opt("SELECT id, token_hash FROM citizen_reports WHERE reference = $1", &[&reference.trim()])?;
        match found.map(|r| (r.get::<_, i64>(0), r.get::<_, Vec<u8>>(1))) {
            Some((id, hash)) if token_matches(token, &hash) => load(&mut *client, "WHERE id = $1", id),
            _ => Ok(None),
        }
    }

    fn list_reports(&self, filter: &ReportFilter, limit: u64, offset: u64) -> Result<Vec<CitizenReport>> {
        let m = Matching::of(filter);
        let (limit, offset) = (to_i64(limit, "limit")?, to_i64(offset, "offset")?);
        let rows = self.client().query(
            &format!("{SELECT} {MATCHING} ORDER BY received_at DESC, id DESC LIMIT $8 OFFSET $9"),
            &[&m.status, &m.platform, &m.case_id, &m.narrative_id, &m.since, &m.answered, &m.linked, &limit, &offset],
        )?;
        rows.iter().map(report_row).collect()
    }

    fn count_reports(&self, filter: &ReportFilter) -> Result<u64> {
        let m = Matching::of(filter);
        let n: i64 = self
            .client()
            .query_one(
                &format!("SELECT COUNT(*) FROM citizen_reports {MATCHING}"),
                &[&m.status, &m.platform, &m.case_id, &m.narrative_id, &m.since, &m.answered, &m.linked],
            )?
            .get(0);
        Ok(n as u64)
    }

    fn update_report(
        &mut self,
        id: i64,
        change: ReportChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<CitizenReport>> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Locked: a second server changing the same report waits, then sees this change.
        let Some(mut report) = load(&mut tx, "WHERE id = $1 FOR UPDATE", id)? else {
            return Ok(ResponseUpdate::NotFound);
        };
        if let ReportChange::LinkCase { case_id } = change {
            let exists: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)", &[&case_id])?.get(0);
            if !exists {
                return Ok(no_such_case(case_id));
            }
        }
        let action = change.action();
        let recorded = recorded_change(&change);
        if let Err(refusal) = report.apply(change, actor, now) {
            return Ok(ResponseUpdate::Refused(refusal));
        }
        tx.execute(
            "UPDATE citizen_reports SET status = $2, case_id = $3, dismiss_reason = $4, updated_at = $5 WHERE id = $1",
            &[&id, &report.status.as_str(), &report.case_id, &report.dismiss_reason, &now.timestamp()],
        )?;
        let label = actor.label();
        let entry = Entry::created(&label, "report", id, action, &recorded)?;
        super::audit::append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(ResponseUpdate::Done(Box::new(report)))
    }

    /// See the module's documentation for what erasing guarantees on PostgreSQL. Two servers running this
    /// at once erase each contact once: the second waits on the rows the first changes, then finds them
    /// without a contact.
    fn erase_expired_contacts(&mut self, received_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let n = tx.execute(
            "UPDATE citizen_reports SET contact = NULL, contact_erased = TRUE, updated_at = $2
             WHERE contact IS NOT NULL AND received_at < $1",
            &[&received_before.timestamp(), &now.timestamp()],
        )?;
        if n > 0 {
            super::audit::append(&mut tx, &self.audit, erasure_entry(received_before, n)?, now)?;
        }
        tx.commit()?;
        Ok(n)
    }

    fn triage_of(&self, narrative_id: NarrativeId) -> Result<Option<(NarrativeId, Option<i64>)>> {
        let Some(narrative) = crate::NarrativeStore::get_narrative(self, narrative_id)? else { return Ok(None) };
        Ok(Some((narrative.id, family_case(&mut *self.client(), narrative.id, true)?)))
    }
}
