//! Cases on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use tangkal_cases::{
    Actor, Case, Change, Evidence, EvidenceFile, EvidenceKind, MisinfoType, NewCase, Origin, Rating, Review, Signals,
    Status, Urgency, UserRef, Verdict, VerdictDraft,
};
use tangkal_model::{ItemId, NarrativeId};

use tangkal_response::webhook::EventKind;

use crate::audit::Entry;
use crate::cases::{
    approved_event, attach, json_enum, json_name, opened_event, opening, priority_of, text_enum, to_i64, user_ref,
    where_clause, Arg, Dialect, OPEN, SELECT_SUMMARY,
};
use crate::users::time;
use crate::{CaseFilter, CaseStore, CaseSummary, CaseUpdate, Result, SqliteStore, StoreError};

pub(crate) fn load_case(conn: &Connection, id: i64) -> Result<Option<Case>> {
    let row = conn
        .prepare_cached(
            "SELECT c.id, c.title, c.summary, c.origin, c.origin_ref, c.status, c.urgency, c.priority,
                    c.computed_priority, c.priority_reason, c.risk, c.reach, c.velocity, c.assignee_id, u.username,
                    c.opened_by, c.opened_at, c.due_at, c.finished_at, c.dismiss_reason, c.updated_at
             FROM cases c LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(Case {
                id: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                origin: text_enum(r.get(3)?, Origin::parse)?,
                origin_ref: r.get(4)?,
                status: text_enum(r.get(5)?, Status::parse)?,
                urgency: text_enum(r.get(6)?, Urgency::parse)?,
                priority: priority_of(r.get(7)?)?,
                computed_priority: priority_of(r.get(8)?)?,
                priority_reason: r.get(9)?,
                signals: Signals {
                    risk: r.get(10)?,
                    reach: r.get::<_, Option<i64>>(11)?.map(|v| v.max(0) as u64),
                    velocity: r.get(12)?,
                },
                assignee: user_ref(r.get(13)?, r.get(14)?),
                opened_by: r.get(15)?,
                opened_at: time(r.get(16)?),
                due_at: time(r.get(17)?),
                finished_at: r.get::<_, Option<i64>>(18)?.map(time),
                dismiss_reason: r.get(19)?,
                platforms: Vec::new(),
                narratives: Vec::new(),
                items: Vec::new(),
                verdict: None,
                evidence: Vec::new(),
                updated_at: time(r.get(20)?),
            })
        })
        .optional()?;
    let Some(mut case) = row else { return Ok(None) };
    case.platforms = conn
        .prepare_cached("SELECT platform FROM case_platforms WHERE case_id = ?1 ORDER BY platform")?
        .query_map(params![id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut links =
        conn.prepare_cached("SELECT kind, target FROM case_links WHERE case_id = ?1 ORDER BY kind, rowid")?;
    for link in links.query_map(params![id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (kind, target) = link?;
        match kind.as_str() {
            "narrative" => case.narratives.push(target),
            "item" => case
                .items
                .push(target.parse().map_err(|_| StoreError::Corrupt(format!("case {id}: item link {target:?}")))?),
            other => return Err(StoreError::Corrupt(format!("case {id}: unknown link kind {other:?}"))),
        }
    }
    case.verdict = conn
        .prepare_cached(
            "SELECT v.id, v.rating, v.misinfo_type, v.explanation, v.proposed_by, p.username, v.proposed_at,
                    v.reviewed_by, r.username, v.reviewed_at, v.approved, v.review_note
             FROM verdicts v JOIN users p ON p.id = v.proposed_by LEFT JOIN users r ON r.id = v.reviewed_by
             WHERE v.case_id = ?1 ORDER BY v.id DESC LIMIT 1",
        )?
        .query_row(params![id], |r| {
            let review = match (user_ref(r.get(7)?, r.get(8)?), r.get::<_, Option<i64>>(9)?) {
                (Some(by), Some(at)) => Some(Review {
                    by,
                    at: time(at),
                    approved: r.get::<_, Option<bool>>(10)?.unwrap_or(false),
                    note: r.get(11)?,
                }),
                _ => None,
            };
            Ok(Verdict {
                id: Some(r.get(0)?),
                draft: VerdictDraft {
                    rating: json_enum::<Rating>(r.get(1)?)?,
                    misinfo_type: r.get::<_, Option<String>>(2)?.map(json_enum::<MisinfoType>).transpose()?,
                    explanation: r.get(3)?,
                },
                proposed_by: UserRef { id: r.get(4)?, name: r.get(5)? },
                proposed_at: time(r.get(6)?),
                review,
            })
        })
        .optional()?;
    case.evidence = conn
        .prepare_cached(
            "SELECT e.id, e.kind, e.url, e.note, e.file_name, e.content_type, e.size, e.sha256, e.added_by, u.username,
                    e.added_at
             FROM evidence e JOIN users u ON u.id = e.added_by WHERE e.case_id = ?1 ORDER BY e.id",
        )?
        .query_map(params![id], |r| {
            let file = match (r.get::<_, Option<String>>(4)?, r.get::<_, Option<String>>(7)?) {
                (Some(name), Some(sha256)) => Some(EvidenceFile {
                    name,
                    content_type: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    size: r.get::<_, Option<i64>>(6)?.unwrap_or(0).max(0) as u64,
                    sha256,
                }),
                _ => None,
            };
            Ok(Evidence {
                id: Some(r.get(0)?),
                kind: json_enum::<EvidenceKind>(r.get(1)?)?,
                url: r.get(2)?,
                note: r.get(3)?,
                file,
                added_by: UserRef { id: r.get(8)?, name: r.get(9)? },
                added_at: time(r.get(10)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(case))
}

/// Writes what `apply` changed: the case row, a new or reviewed verdict, new evidence.
fn save_case(conn: &Connection, case: &Case) -> Result<()> {
    conn.prepare_cached(
        "UPDATE cases SET status = ?2, priority = ?3, priority_reason = ?4, assignee_id = ?5, finished_at = ?6,
                          dismiss_reason = ?7, updated_at = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        case.id,
        case.status.as_str(),
        case.priority.level(),
        case.priority_reason,
        case.assignee.as_ref().map(|a| a.id),
        case.finished_at.map(|t| t.timestamp()),
        case.dismiss_reason,
        case.updated_at.timestamp()
    ])?;
    if let Some(v) = &case.verdict {
        let review = v.review.as_ref();
        match v.id {
            None => {
                conn.prepare_cached(
                    "INSERT INTO verdicts (case_id, rating, misinfo_type, explanation, proposed_by, proposed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    case.id,
                    json_name(&v.draft.rating),
                    v.draft.misinfo_type.as_ref().map(json_name),
                    v.draft.explanation,
                    v.proposed_by.id,
                    v.proposed_at.timestamp()
                ])?;
            }
            Some(id) => {
                conn.prepare_cached(
                    "UPDATE verdicts SET reviewed_by = ?2, reviewed_at = ?3, approved = ?4, review_note = ?5
                     WHERE id = ?1 AND reviewed_by IS NULL",
                )?
                .execute(params![
                    id,
                    review.map(|r| r.by.id),
                    review.map(|r| r.at.timestamp()),
                    review.map(|r| r.approved),
                    review.and_then(|r| r.note.clone())
                ])?;
            }
        }
    }
    for e in case.evidence.iter().filter(|e| e.id.is_none()) {
        let file = e.file.as_ref();
        conn.prepare_cached(
            "INSERT INTO evidence (case_id, kind, url, note, file_name, content_type, size, sha256, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            case.id,
            json_name(&e.kind),
            e.url,
            e.note,
            file.map(|f| f.name.clone()),
            file.map(|f| f.content_type.clone()),
            file.map(|f| f.size as i64),
            file.map(|f| f.sha256.clone()),
            e.added_by.id,
            e.added_at.timestamp()
        ])?;
    }
    Ok(())
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Arg::Int(v) => v.to_sql(),
            Arg::Text(v) => v.to_sql(),
        }
    }
}

impl CaseStore for SqliteStore {
    fn open_case(&mut self, new: &NewCase, opened_by: &str, now: DateTime<Utc>) -> Result<Case> {
        let mut case = opening(new, opened_by, now)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO cases (title, summary, origin, origin_ref, status, urgency, priority, computed_priority,
                                risk, reach, velocity, opened_by, opened_at, due_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13)",
        )?
        .execute(params![
            case.title,
            case.summary,
            case.origin.as_str(),
            case.origin_ref,
            case.status.as_str(),
            case.urgency.as_str(),
            case.priority.level(),
            case.computed_priority.level(),
            case.signals.risk,
            case.signals.reach.map(|r| to_i64(r, "reach")).transpose()?,
            case.signals.velocity,
            case.opened_by,
            case.opened_at.timestamp(),
            case.due_at.timestamp()
        ])?;
        case.id = tx.last_insert_rowid();
        {
            let mut platform = tx.prepare_cached("INSERT INTO case_platforms (case_id, platform) VALUES (?1, ?2)")?;
            for p in &case.platforms {
                platform.execute(params![case.id, p])?;
            }
            let mut link = tx.prepare_cached(
                "INSERT INTO case_links (case_id, kind, target) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )?;
            for n in &case.narratives {
                link.execute(params![case.id, "narrative", n])?;
            }
            for i in &case.items {
                link.execute(params![case.id, "item", i.to_string()])?;
            }
        }
        super::audit::append(&tx, &self.audit, Entry::created(opened_by, "case", case.id, "case.open", &case)?, now)?;
        super::webhooks::emit(
            &tx,
            EventKind::CaseOpened,
            ("case", case.id),
            None,
            opened_event(&case, opened_by),
            now,
        )?;
        tx.commit()?;
        Ok(case)
    }

    fn case(&self, id: i64) -> Result<Option<Case>> {
        load_case(&self.conn, id)
    }

    fn list_cases(&self, filter: &CaseFilter, now: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<CaseSummary>> {
        let (clause, mut args) = where_clause(filter, now, Dialect::Sqlite);
        args.push(Arg::Int(to_i64(limit, "limit")?));
        args.push(Arg::Int(to_i64(offset, "offset")?));
        let sql = format!(
            "{SELECT_SUMMARY} {clause} ORDER BY c.due_at, c.priority, c.id LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut cases: Vec<CaseSummary> = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok(CaseSummary {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    origin: text_enum(r.get(2)?, Origin::parse)?,
                    status: text_enum(r.get(3)?, Status::parse)?,
                    urgency: text_enum(r.get(4)?, Urgency::parse)?,
                    priority: priority_of(r.get(5)?)?,
                    assignee: user_ref(r.get(6)?, r.get(7)?),
                    platforms: Vec::new(),
                    narratives: Vec::new(),
                    signals: Signals {
                        risk: r.get(11)?,
                        reach: r.get::<_, Option<i64>>(12)?.map(|v| v.max(0) as u64),
                        velocity: r.get(13)?,
                    },
                    opened_at: time(r.get(8)?),
                    due_at: time(r.get(9)?),
                    finished_at: r.get::<_, Option<i64>>(10)?.map(time),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        if !cases.is_empty() {
            let marks = vec!["?"; cases.len()].join(", ");
            let sql =
                format!("SELECT case_id, platform FROM case_platforms WHERE case_id IN ({marks}) ORDER BY platform");
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(cases.iter().map(|c| c.id)), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            attach(&mut cases, rows.collect::<rusqlite::Result<Vec<_>>>()?, |c| &mut c.platforms);
            let sql = format!(
                "SELECT case_id, target FROM case_links WHERE kind = 'narrative' AND case_id IN ({marks}) ORDER BY rowid"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(cases.iter().map(|c| c.id)), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            attach(&mut cases, rows.collect::<rusqlite::Result<Vec<_>>>()?, |c| &mut c.narratives);
        }
        Ok(cases)
    }

    fn count_cases(&self, filter: &CaseFilter, now: DateTime<Utc>) -> Result<u64> {
        let (clause, args) = where_clause(filter, now, Dialect::Sqlite);
        let sql = format!("SELECT COUNT(*) FROM cases c {clause}");
        let n: i64 = self.conn.prepare_cached(&sql)?.query_row(params_from_iter(args.iter()), |r| r.get(0))?;
        Ok(n as u64)
    }

    fn update_case(&mut self, id: i64, change: Change, actor: &Actor, now: DateTime<Utc>) -> Result<CaseUpdate> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(before) = load_case(&tx, id)? else { return Ok(CaseUpdate::NotFound) };
        if !before.visible_to(actor) {
            return Ok(CaseUpdate::NotFound);
        }
        let action = change.action();
        let mut after = before.clone();
        if let Err(refusal) = after.apply(change, actor, now) {
            return Ok(CaseUpdate::Refused(refusal));
        }
        save_case(&tx, &after)?;
        super::audit::append(
            &tx,
            &self.audit,
            Entry::changed(&actor.label(), "case", id, action, &before, &after)?,
            now,
        )?;
        // Read back so new verdict and evidence rows carry their ids.
        let stored =
            load_case(&tx, id)?.ok_or_else(|| StoreError::Internal(format!("case {id} vanished while saved")))?;
        if let Some(data) = approved_event(&before, &stored) {
            super::webhooks::emit(&tx, EventKind::VerdictApproved, ("case", id), None, data, now)?;
        }
        tx.commit()?;
        Ok(CaseUpdate::Done(Box::new(stored)))
    }

    fn published_cases(&self, limit: u64, offset: u64) -> Result<Vec<Case>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT c.id FROM cases c
                 WHERE c.status IN ('responding', 'closed')
                   AND EXISTS (SELECT 1 FROM verdicts v WHERE v.case_id = c.id AND v.approved = 1)
                 ORDER BY c.id DESC LIMIT ?1 OFFSET ?2",
            )?
            .query_map(params![to_i64(limit, "limit")?, to_i64(offset, "offset")?], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().filter_map(|id| load_case(&self.conn, id).transpose()).collect()
    }

    fn open_case_for_origin(&self, origin_ref: &str) -> Result<Option<i64>> {
        let sql = format!("SELECT MIN(c.id) FROM cases c WHERE c.origin_ref = ?1 AND {OPEN}");
        Ok(self.conn.query_row(&sql, params![origin_ref], |r| r.get(0))?)
    }

    fn link_narrative(
        &mut self,
        case_id: i64,
        narrative: NarrativeId,
        item: ItemId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut link = tx.prepare_cached(
            "INSERT INTO case_links (case_id, kind, target) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?;
        if link.execute(params![case_id, "narrative", narrative.to_string()])? == 0 {
            return Ok(false);
        }
        link.execute(params![case_id, "item", item.to_string()])?;
        drop(link);
        tx.execute("UPDATE cases SET updated_at = ?2 WHERE id = ?1", params![case_id, now.timestamp()])?;
        let linked = serde_json::json!({ "narrative": narrative, "item": item });
        super::audit::append(&tx, &self.audit, Entry::created(actor, "case", case_id, "case.link", &linked)?, now)?;
        tx.commit()?;
        Ok(true)
    }
}
