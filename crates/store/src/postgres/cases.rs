//! Cases on PostgreSQL. A change reads its case under the case row's lock (`FOR UPDATE`): two servers
//! changing one case at once take turns, and the second applies its change to what the first wrote, so
//! a stale transition is refused by the rules as it is on SQLite, never written over the first.

use ::postgres::types::ToSql;
use ::postgres::Row;
use tangkal_model::{ItemId, NarrativeId};

use super::connection::{GenericClient, Transaction};
use chrono::{DateTime, Utc};
use tangkal_cases::{
    Actor, Case, Change, Evidence, EvidenceFile, EvidenceKind, MisinfoType, NewCase, Origin, Rating, Review, Signals,
    Status, Urgency, UserRef, Verdict, VerdictDraft,
};
use tangkal_response::webhook::EventKind;

use super::PostgresStore;
use crate::audit::Entry;
use crate::cases::{
    approved_event, attach, json_enum, json_name, opened_event, opening, priority_of, text_enum, to_i64, user_ref,
    where_clause, Arg, Dialect, OPEN, SELECT_SUMMARY,
};
use crate::users::time;
use crate::{CaseFilter, CaseStore, CaseSummary, CaseUpdate, Result, StoreError};

/// Runs the reads of `read` in one snapshot, so that a record another server is changing is seen wholly
/// before or wholly after the change.
pub(crate) fn snapshot<T>(store: &PostgresStore, read: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
    let mut client = store.client();
    let mut tx = client.snapshot()?;
    let found = read(&mut tx)?;
    tx.commit()?;
    Ok(found)
}

/// A case as stored, read with the caller's connection or inside its transaction: what
/// `crate::sqlite::cases::load_case` reads on SQLite.
pub(crate) fn load_case(client: &mut impl GenericClient, id: i64) -> Result<Option<Case>> {
    let Some(r) = client.query_opt(
        "SELECT c.id, c.title, c.summary, c.origin, c.origin_ref, c.status, c.urgency, c.priority,
                c.computed_priority, c.priority_reason, c.risk, c.reach, c.velocity, c.assignee_id, u.username,
                c.opened_by, c.opened_at, c.due_at, c.finished_at, c.dismiss_reason, c.updated_at
         FROM cases c LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = $1",
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let mut case = Case {
        id: r.get(0),
        title: r.get(1),
        summary: r.get(2),
        origin: text_enum(r.get(3), Origin::parse)?,
        origin_ref: r.get(4),
        status: text_enum(r.get(5), Status::parse)?,
        urgency: text_enum(r.get(6), Urgency::parse)?,
        priority: priority_of(r.get(7))?,
        computed_priority: priority_of(r.get(8))?,
        priority_reason: r.get(9),
        signals: signals(&r, 10),
        assignee: user_ref(r.get(13), r.get(14)),
        opened_by: r.get(15),
        opened_at: time(r.get(16)),
        due_at: time(r.get(17)),
        finished_at: r.get::<_, Option<i64>>(18).map(time),
        dismiss_reason: r.get(19),
        platforms: Vec::new(),
        narratives: Vec::new(),
        items: Vec::new(),
        verdict: None,
        evidence: Vec::new(),
        updated_at: time(r.get(20)),
    };
    // Byte order, as SQLite's BINARY collation sorts, whatever the database's collation.
    case.platforms = client
        .query("SELECT platform FROM case_platforms WHERE case_id = $1 ORDER BY platform COLLATE \"C\"", &[&id])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for link in client.query("SELECT kind, target FROM case_links WHERE case_id = $1 ORDER BY kind, id", &[&id])? {
        let (kind, target): (String, String) = (link.get(0), link.get(1));
        match kind.as_str() {
            "narrative" => case.narratives.push(target),
            "item" => case
                .items
                .push(target.parse().map_err(|_| StoreError::Corrupt(format!("case {id}: item link {target:?}")))?),
            other => return Err(StoreError::Corrupt(format!("case {id}: unknown link kind {other:?}"))),
        }
    }
    if let Some(r) = client.query_opt(
        "SELECT v.id, v.rating, v.misinfo_type, v.explanation, v.proposed_by, p.username, v.proposed_at,
                v.reviewed_by, r.username, v.reviewed_at, v.approved, v.review_note
         FROM verdicts v JOIN users p ON p.id = v.proposed_by LEFT JOIN users r ON r.id = v.reviewed_by
         WHERE v.case_id = $1 ORDER BY v.id DESC LIMIT 1",
        &[&id],
    )? {
        let review = match (user_ref(r.get(7), r.get(8)), r.get::<_, Option<i64>>(9)) {
            (Some(by), Some(at)) => Some(Review {
                by,
                at: time(at),
                approved: r.get::<_, Option<bool>>(10).unwrap_or(false),
                note: r.get(11),
            }),
            _ => None,
        };
        case.verdict = Some(Verdict {
            id: Some(r.get(0)),
            draft: VerdictDraft {
                rating: json_enum::<Rating>(r.get(1))?,
                misinfo_type: r.get::<_, Option<String>>(2).map(json_enum::<MisinfoType>).transpose()?,
                explanation: r.get(3),
            },
            proposed_by: UserRef { id: r.get(4), name: r.get(5) },
            proposed_at: time(r.get(6)),
            review,
        });
    }
    for r in client.query(
        "SELECT e.id, e.kind, e.url, e.note, e.file_name, e.content_type, e.size, e.sha256, e.added_by, u.username,
                e.added_at
         FROM evidence e JOIN users u ON u.id = e.added_by WHERE e.case_id = $1 ORDER BY e.id",
        &[&id],
    )? {
        let file = match (r.get::<_, Option<String>>(4), r.get::<_, Option<String>>(7)) {
            (Some(name), Some(sha256)) => Some(EvidenceFile {
                name,
                content_type: r.get::<_, Option<String>>(5).unwrap_or_default(),
                size: r.get::<_, Option<i64>>(6).unwrap_or(0).max(0) as u64,
                sha256,
            }),
            _ => None,
        };
        case.evidence.push(Evidence {
            id: Some(r.get(0)),
            kind: json_enum::<EvidenceKind>(r.get(1))?,
            url: r.get(2),
            note: r.get(3),
            file,
            added_by: UserRef { id: r.get(8), name: r.get(9) },
            added_at: time(r.get(10)),
        });
    }
    Ok(Some(case))
}

/// The signals in columns `first..first + 3` (risk, reach, velocity).
fn signals(r: &Row, first: usize) -> Signals {
    Signals {
        risk: r.get(first),
        reach: r.get::<_, Option<i64>>(first + 1).map(|v| v.max(0) as u64),
        velocity: r.get(first + 2),
    }
}

/// Writes what `apply` changed: the case row, a new or reviewed verdict, new evidence.
fn save_case(tx: &mut Transaction<'_>, case: &Case) -> Result<()> {
    tx.execute(
        "UPDATE cases SET status = $2, priority = $3, priority_reason = $4, assignee_id = $5, finished_at = $6,
                          dismiss_reason = $7, updated_at = $8
         WHERE id = $1",
        &[
            &case.id,
            &case.status.as_str(),
            &i64::from(case.priority.level()),
            &case.priority_reason,
            &case.assignee.as_ref().map(|a| a.id),
            &case.finished_at.map(|t| t.timestamp()),
            &case.dismiss_reason,
            &case.updated_at.timestamp(),
        ],
    )?;
    if let Some(v) = &case.verdict {
        let review = v.review.as_ref();
        match v.id {
            None => {
                tx.execute(
                    "INSERT INTO verdicts (case_id, rating, misinfo_type, explanation, proposed_by, proposed_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &case.id,
                        &json_name(&v.draft.rating),
                        &v.draft.misinfo_type.as_ref().map(json_name),
                        &v.draft.explanation,
                        &v.proposed_by.id,
                        &v.proposed_at.timestamp(),
                    ],
                )?;
            }
            Some(id) => {
                tx.execute(
                    "UPDATE verdicts SET reviewed_by = $2, reviewed_at = $3, approved = $4, review_note = $5
                     WHERE id = $1 AND reviewed_by IS NULL",
                    &[
                        &id,
                        &review.map(|r| r.by.id),
                        &review.map(|r| r.at.timestamp()),
                        &review.map(|r| r.approved),
                        &review.and_then(|r| r.note.clone()),
                    ],
                )?;
            }
        }
    }
    let new_evidence: Vec<&Evidence> = case.evidence.iter().filter(|e| e.id.is_none()).collect();
    if !new_evidence.is_empty() {
        let insert = tx.prepare(
            "INSERT INTO evidence (case_id, kind, url, note, file_name, content_type, size, sha256, added_by, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )?;
        for e in new_evidence {
            let file = e.file.as_ref();
            tx.execute(
                &insert,
                &[
                    &case.id,
                    &json_name(&e.kind),
                    &e.url,
                    &e.note,
                    &file.map(|f| f.name.clone()),
                    &file.map(|f| f.content_type.clone()),
                    &file.map(|f| to_i64(f.size, "size")).transpose()?,
                    &file.map(|f| f.sha256.clone()),
                    &e.added_by.id,
                    &e.added_at.timestamp(),
                ],
            )?;
        }
    }
    Ok(())
}

/// The filter's values as PostgreSQL parameters.
fn params(args: &[Arg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter()
        .map(|a| match a {
            Arg::Int(v) => v as &(dyn ToSql + Sync),
            Arg::Text(v) => v,
        })
        .collect()
}

impl CaseStore for PostgresStore {
    fn open_case(&mut self, new: &NewCase, opened_by: &str, now: DateTime<Utc>) -> Result<Case> {
        let mut case = opening(new, opened_by, now)?;
        let mut client = self.client();
        let mut tx = client.transaction()?;
        case.id = tx
            .query_one(
                "INSERT INTO cases (title, summary, origin, origin_ref, status, urgency, priority, computed_priority,
                                    risk, reach, velocity, opened_by, opened_at, due_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13)
                 RETURNING id",
                &[
                    &case.title,
                    &case.summary,
                    &case.origin.as_str(),
                    &case.origin_ref,
                    &case.status.as_str(),
                    &case.urgency.as_str(),
                    &i64::from(case.priority.level()),
                    &i64::from(case.computed_priority.level()),
                    &case.signals.risk,
                    &case.signals.reach.map(|r| to_i64(r, "reach")).transpose()?,
                    &case.signals.velocity,
                    &case.opened_by,
                    &case.opened_at.timestamp(),
                    &case.due_at.timestamp(),
                ],
            )?
            .get(0);
        tx.execute(
            "INSERT INTO case_platforms (case_id, platform) SELECT $1, unnest($2::text[])",
            &[&case.id, &case.platforms],
        )?;
        // One at a time, so that the links' ids keep the order they are listed in.
        let link =
            tx.prepare("INSERT INTO case_links (case_id, kind, target) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")?;
        for n in &case.narratives {
            tx.execute(&link, &[&case.id, &"narrative", n])?;
        }
        for i in &case.items {
            tx.execute(&link, &[&case.id, &"item", &i.to_string()])?;
        }
        super::audit::append(
            &mut tx,
            &self.audit,
            Entry::created(opened_by, "case", case.id, "case.open", &case)?,
            now,
        )?;
        let data = opened_event(&case, opened_by);
        super::webhooks::emit(&mut tx, EventKind::CaseOpened, ("case", case.id), None, data, now)?;
        tx.commit()?;
        Ok(case)
    }

    fn case(&self, id: i64) -> Result<Option<Case>> {
        snapshot(self, |tx| load_case(tx, id))
    }

    fn list_cases(&self, filter: &CaseFilter, now: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<CaseSummary>> {
        let (clause, mut args) = where_clause(filter, now, Dialect::Postgres);
        args.push(Arg::Int(to_i64(limit, "limit")?));
        args.push(Arg::Int(to_i64(offset, "offset")?));
        let sql = format!(
            "{SELECT_SUMMARY} {clause} ORDER BY c.due_at, c.priority, c.id LIMIT ${} OFFSET ${}",
            args.len() - 1,
            args.len()
        );
        snapshot(self, |tx| {
            let mut cases = tx
                .query(&sql, &params(&args))?
                .iter()
                .map(|r| {
                    Ok(CaseSummary {
                        id: r.get(0),
                        title: r.get(1),
                        origin: text_enum(r.get(2), Origin::parse)?,
                        status: text_enum(r.get(3), Status::parse)?,
                        urgency: text_enum(r.get(4), Urgency::parse)?,
                        priority: priority_of(r.get(5))?,
                        assignee: user_ref(r.get(6), r.get(7)),
                        platforms: Vec::new(),
                        narratives: Vec::new(),
                        signals: signals(r, 11),
                        opened_at: time(r.get(8)),
                        due_at: time(r.get(9)),
                        finished_at: r.get::<_, Option<i64>>(10).map(time),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if cases.is_empty() {
                return Ok(cases);
            }
            let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
            let pairs = |rows: Vec<Row>| rows.iter().map(|r| (r.get(0), r.get(1))).collect::<Vec<_>>();
            let platforms = tx.query(
                "SELECT case_id, platform FROM case_platforms WHERE case_id = ANY($1) ORDER BY platform COLLATE \"C\"",
                &[&ids],
            )?;
            attach(&mut cases, pairs(platforms), |c| &mut c.platforms);
            let narratives = tx.query(
                "SELECT case_id, target FROM case_links WHERE kind = 'narrative' AND case_id = ANY($1) ORDER BY id",
                &[&ids],
            )?;
            attach(&mut cases, pairs(narratives), |c| &mut c.narratives);
            Ok(cases)
        })
    }

    fn count_cases(&self, filter: &CaseFilter, now: DateTime<Utc>) -> Result<u64> {
        let (clause, args) = where_clause(filter, now, Dialect::Postgres);
        let sql = format!("SELECT COUNT(*) FROM cases c {clause}");
        let n: i64 = self.client().query_one(&sql, &params(&args))?.get(0);
        Ok(n as u64)
    }

    fn update_case(&mut self, id: i64, change: Change, actor: &Actor, now: DateTime<Utc>) -> Result<CaseUpdate> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // A server changing this case meanwhile holds the lock until it commits; the reads below then see
        // what it wrote (each statement reads what is committed when it starts).
        if tx.query_opt("SELECT 1 FROM cases WHERE id = $1 FOR UPDATE", &[&id])?.is_none() {
            return Ok(CaseUpdate::NotFound);
        }
        let Some(before) = load_case(&mut tx, id)? else { return Ok(CaseUpdate::NotFound) };
        if !before.visible_to(actor) {
            return Ok(CaseUpdate::NotFound);
        }
        let action = change.action();
        let mut after = before.clone();
        if let Err(refusal) = after.apply(change, actor, now) {
            return Ok(CaseUpdate::Refused(refusal));
        }
        save_case(&mut tx, &after)?;
        let label = actor.label();
        super::audit::append(&mut tx, &self.audit, Entry::changed(&label, "case", id, action, &before, &after)?, now)?;
        // Read back so new verdict and evidence rows carry their ids.
        let stored =
            load_case(&mut tx, id)?.ok_or_else(|| StoreError::Internal(format!("case {id} vanished while saved")))?;
        if let Some(data) = approved_event(&before, &stored) {
            super::webhooks::emit(&mut tx, EventKind::VerdictApproved, ("case", id), None, data, now)?;
        }
        tx.commit()?;
        Ok(CaseUpdate::Done(Box::new(stored)))
    }

    fn published_cases(&self, limit: u64, offset: u64) -> Result<Vec<Case>> {
        let (limit, offset) = (to_i64(limit, "limit")?, to_i64(offset, "offset")?);
        snapshot(self, |tx| {
            let ids: Vec<i64> = tx
                .query(
                    "SELECT c.id FROM cases c
                     WHERE c.status IN ('responding', 'closed')
                       AND EXISTS (SELECT 1 FROM verdicts v WHERE v.case_id = c.id AND v.approved)
                     ORDER BY c.id DESC LIMIT $1 OFFSET $2",
                    &[&limit, &offset],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            ids.into_iter().filter_map(|id| load_case(tx, id).transpose()).collect()
        })
    }

    fn begin_case_turn(&mut self) -> Result<()> {
        self.client().execute("SELECT pg_advisory_lock($1)", &[&super::locks::CASE_TURN])?;
        Ok(())
    }

    fn end_case_turn(&mut self) -> Result<()> {
        self.client().execute("SELECT pg_advisory_unlock($1)", &[&super::locks::CASE_TURN])?;
        Ok(())
    }

    fn open_case_for_origin(&self, origin_ref: &str) -> Result<Option<i64>> {
        let sql = format!("SELECT MIN(c.id) FROM cases c WHERE c.origin_ref = $1 AND {OPEN}");
        Ok(self.client().query_one(&sql, &[&origin_ref])?.get(0))
    }

    fn link_narrative(
        &mut self,
        case_id: i64,
        narrative: NarrativeId,
        item: ItemId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Taken before the links, as a change of the case takes it: the two wait for each other rather than
        // deadlock. A case that does not exist fails below on its foreign key, as on SQLite.
        tx.execute("SELECT 1 FROM cases WHERE id = $1 FOR UPDATE", &[&case_id])?;
        let link =
            tx.prepare("INSERT INTO case_links (case_id, kind, target) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")?;
        if tx.execute(&link, &[&case_id, &"narrative", &narrative.to_string()])? == 0 {
            return Ok(false);
        }
        tx.execute(&link, &[&case_id, &"item", &item.to_string()])?;
        tx.execute("UPDATE cases SET updated_at = $2 WHERE id = $1", &[&case_id, &now.timestamp()])?;
        let linked = serde_json::json!({ "narrative": narrative, "item": item });
        super::audit::append(&mut tx, &self.audit, Entry::created(actor, "case", case_id, "case.link", &linked)?, now)?;
        tx.commit()?;
        Ok(true)
    }
}
