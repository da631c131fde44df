//! Clarifications on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use tangkal_cases::{Actor, Rating};
use tangkal_response::clarification::{
    slug_for, Clarification, ClarificationChange, ClarificationStatus, Correction, Topic,
};

use tangkal_response::webhook::EventKind;

use super::cases::load_case;
use crate::audit::Entry;
use crate::cases::{json_enum, json_name, text_enum, to_i64};
use crate::clarifications::{
    filter_sql, first_free_slug, order, published_event, publishes, slug_follows, sources_json, SELECT,
};
use crate::users::time;
use crate::{ClarificationFilter, ClarificationStore, ResponseUpdate, Result, SqliteStore, StoreError};

fn clarification_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Clarification> {
    let sources: String = r.get(7)?;
    Ok(Clarification {
        id: r.get(0)?,
        case_id: r.get(1)?,
        slug: r.get(2)?,
        rating: json_enum::<Rating>(r.get(3)?)?,
        title: r.get(4)?,
        claim: r.get(5)?,
        body_markdown: r.get(6)?,
        sources: serde_json::from_str(&sources)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e)))?,
        status: text_enum(r.get(8)?, ClarificationStatus::parse)?,
        created_by: r.get(9)?,
        created_at: time(r.get(10)?),
        updated_at: time(r.get(11)?),
        published_at: r.get::<_, Option<i64>>(12)?.map(time),
        topic: r.get::<_, Option<String>>(13)?.map(|t| text_enum(t, Topic::parse)).transpose()?,
        corrections: Vec::new(),
    })
}

fn with_corrections(conn: &Connection, c: Option<Clarification>) -> Result<Option<Clarification>> {
    let Some(mut c) = c else { return Ok(None) };
    c.corrections = conn
        .prepare_cached(
            "SELECT at, by, reason, previous_title, previous_body_markdown FROM clarification_corrections
             WHERE clarification_id = ?1 ORDER BY id",
        )?
        .query_map(params![c.id], |r| {
            Ok(Correction {
                at: time(r.get(0)?),
                by: r.get(1)?,
                reason: r.get(2)?,
                previous_title: r.get(3)?,
                previous_body_markdown: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(c))
}

fn load(conn: &Connection, id: i64) -> Result<Option<Clarification>> {
    let c = conn
        .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row(params![id], clarification_row)
        .optional()?;
    with_corrections(conn, c)
}

/// The first of `slug`, `slug-2`, `slug-3`, … that no other clarification has.
fn free_slug(conn: &Connection, title: &str, own_id: i64) -> Result<String> {
    let mut taken = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM clarifications WHERE slug = ?1 AND id <> ?2)")?;
    first_free_slug(&slug_for(title), |candidate| Ok(taken.query_row(params![candidate, own_id], |r| r.get(0))?))
}

fn save(conn: &Connection, before: &Clarification, after: &Clarification) -> Result<()> {
    conn.prepare_cached(
        "UPDATE clarifications SET slug = ?2, rating = ?3, title = ?4, claim = ?5, body_markdown = ?6, sources = ?7,
                                   status = ?8, updated_at = ?9, published_at = ?10, topic = ?11
         WHERE id = ?1",
    )?
    .execute(params![
        after.id,
        after.slug,
        json_name(&after.rating),
        after.title,
        after.claim,
        after.body_markdown,
        sources_json(after)?,
        after.status.as_str(),
        after.updated_at.timestamp(),
        after.published_at.map(|t| t.timestamp()),
        after.topic.map(Topic::as_str)
    ])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO clarification_corrections (clarification_id, at, by, reason, previous_title, previous_body_markdown)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for c in &after.corrections[before.corrections.len()..] {
        insert.execute(params![
            after.id,
            c.at.timestamp(),
            c.by,
            c.reason,
            c.previous_title,
            c.previous_body_markdown
        ])?;
    }
    Ok(())
}

/// [`filter_sql`] for SQLite.
pub(crate) fn matching(filter: &ClarificationFilter) -> (String, Vec<Value>) {
    filter_sql(filter, |_| "?".into(), Value::Integer, Value::Text)
}

impl ClarificationStore for SqliteStore {
    fn create_clarification(&mut self, draft: &Clarification) -> Result<Clarification> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stored = draft.clone();
        stored.slug = free_slug(&tx, &stored.title, 0)?;
        tx.prepare_cached(
            "INSERT INTO clarifications (case_id, slug, rating, title, claim, body_markdown, sources, status, created_by,
                                         created_at, updated_at, published_at, topic)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            stored.case_id,
            stored.slug,
            json_name(&stored.rating),
            stored.title,
            stored.claim,
            stored.body_markdown,
            sources_json(&stored)?,
            stored.status.as_str(),
            stored.created_by,
            stored.created_at.timestamp(),
            stored.updated_at.timestamp(),
            stored.published_at.map(|t| t.timestamp()),
            stored.topic.map(Topic::as_str)
        ])?;
        stored.id = tx.last_insert_rowid();
        let entry = Entry::created(&stored.created_by, "clarification", stored.id, "clarification.draft", &stored)?;
        super::audit::append(&tx, &self.audit, entry, stored.created_at)?;
        tx.commit()?;
        Ok(stored)
    }

    fn clarification(&self, id: i64) -> Result<Option<Clarification>> {
        load(&self.conn, id)
    }

    fn clarification_by_slug(&self, slug: &str) -> Result<Option<Clarification>> {
        let c = self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE slug = ?1"))?
            .query_row(params![slug], clarification_row)
            .optional()?;
        with_corrections(&self.conn, c)
    }

    fn list_clarifications(&self, filter: &ClarificationFilter, limit: u64, offset: u64) -> Result<Vec<Clarification>> {
        // Ids first, then each row: the sort handles ids, not whole bodies.
        let (clause, mut values) = matching(filter);
        values.extend([Value::Integer(to_i64(limit, "limit")?), Value::Integer(to_i64(offset, "offset")?)]);
        let sql = format!("SELECT id FROM clarifications {clause} ORDER BY {} LIMIT ? OFFSET ?", order(filter));
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(values), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().filter_map(|id| load(&self.conn, id).transpose()).collect()
    }

    fn count_clarifications(&self, filter: &ClarificationFilter) -> Result<u64> {
        let (clause, values) = matching(filter);
        let sql = format!("SELECT COUNT(*) FROM clarifications {clause}");
        let n: i64 = self.conn.prepare_cached(&sql)?.query_row(params_from_iter(values), |r| r.get(0))?;
        Ok(n as u64)
    }

    fn last_published_change(&self) -> Result<Option<DateTime<Utc>>> {
        let newest: Option<i64> = self
            .conn
            .prepare_cached("SELECT MAX(updated_at) FROM clarifications WHERE status = 'published'")?
            .query_row([], |r| r.get(0))?;
        Ok(newest.map(time))
    }

    fn update_clarification(
        &mut self,
        id: i64,
        change: ClarificationChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<Clarification>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(before) = load(&tx, id)? else { return Ok(ResponseUpdate::NotFound) };
        let case = load_case(&tx, before.case_id)?
            .ok_or_else(|| StoreError::Corrupt(format!("clarification {id}: case {} is missing", before.case_id)))?;
        let action = change.action();
        let mut after = before.clone();
        if let Err(refusal) = after.apply(change, &case, actor, now) {
            return Ok(ResponseUpdate::Refused(refusal));
        }
        if slug_follows(&before, &after) {
            after.slug = free_slug(&tx, &after.title, id)?;
        }
        save(&tx, &before, &after)?;
        if publishes(&before, &after) {
            let data = published_event(&after);
            super::webhooks::emit(&tx, EventKind::ClarificationPublished, ("clarification", id), None, data, now)?;
            let rating = tangkal_response::clarification::label(after.rating);
            super::tiplines::enqueue_followups(&tx, after.case_id, rating, &after.title, &after.slug, now)?;
        }
        super::audit::append(
            &tx,
            &self.audit,
            Entry::changed(&actor.label(), "clarification", id, action, &before, &after)?,
            now,
        )?;
        tx.commit()?;
        Ok(ResponseUpdate::Done(Box::new(after)))
    }
}
