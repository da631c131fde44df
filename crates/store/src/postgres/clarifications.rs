//! Clarifications on PostgreSQL. A slug is free when it is written, not only when it was looked up: two
//! servers giving drafts the same title at once both try the first free slug, and the one that loses the
//! `UNIQUE` race takes the next free one (the write is retried under a savepoint, so the rest of the
//! transaction stands).

use ::postgres::error::SqlState;
use ::postgres::types::ToSql;
use ::postgres::Row;

use super::connection::{GenericClient, Transaction};
use chrono::{DateTime, Utc};
use tangkal_cases::{Actor, Rating};
use tangkal_response::clarification::{
    slug_for, Clarification, ClarificationChange, ClarificationStatus, Correction, Topic,
};
use tangkal_response::webhook::EventKind;

use super::cases::load_case;
use super::PostgresStore;
use crate::audit::Entry;
use crate::cases::{json_enum, json_name, text_enum, to_i64};
use crate::clarifications::{
    filter_sql, first_free_slug, order, published_event, publishes, slug_follows, sources_json, SELECT,
};
use crate::users::time;
use crate::{ClarificationFilter, ClarificationStore, ResponseUpdate, Result, StoreError};

type Param = Box<dyn ToSql + Sync>;

fn clarification_row(r: &Row) -> Result<Clarification> {
    let sources: String = r.get(7);
    Ok(Clarification {
        id: r.get(0),
        case_id: r.get(1),
        slug: r.get(2),
        rating: json_enum::<Rating>(r.get(3))?,
        title: r.get(4),
        claim: r.get(5),
        body_markdown: r.get(6),
        sources: serde_json::from_str(&sources)
            .map_err(|e| StoreError::Corrupt(format!("clarification {}: sources: {e}", r.get::<_, i64>(0))))?,
        status: text_enum(r.get(8), ClarificationStatus::parse)?,
        created_by: r.get(9),
        created_at: time(r.get(10)),
        updated_at: time(r.get(11)),
        published_at: r.get::<_, Option<i64>>(12).map(time),
        topic: r.get::<_, Option<String>>(13).map(|t| text_enum(t, Topic::parse)).transpose()?,
        corrections: Vec::new(),
    })
}

/// The clarifications of `rows` with their corrections, read in one query.
fn with_corrections(client: &mut impl GenericClient, rows: &[Row]) -> Result<Vec<Clarification>> {
    let mut found = rows.iter().map(clarification_row).collect::<Result<Vec<_>>>()?;
    if found.is_empty() {
        return Ok(found);
    }
    let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
    let corrections = client.query(
        "SELECT clarification_id, at, by, reason, previous_title, previous_body_markdown
         FROM clarification_corrections WHERE clarification_id = ANY($1) ORDER BY id",
        &[&ids],
    )?;
    for r in corrections {
        let of: i64 = r.get(0);
        let correction = Correction {
            at: time(r.get(1)),
            by: r.get(2),
            reason: r.get(3),
            previous_title: r.get(4),
            previous_body_markdown: r.get(5),
        };
        if let Some(c) = found.iter_mut().find(|c| c.id == of) {
            c.corrections.push(correction);
        }
    }
    Ok(found)
}

/// The clarification `clause` (with its one parameter, `$1`) picks.
fn one(client: &mut impl GenericClient, clause: &str, key: &(dyn ToSql + Sync)) -> Result<Option<Clarification>> {
    let rows = client.query(&format!("{SELECT} {clause}"), &[key])?;
    Ok(with_corrections(client, &rows)?.pop())
}

/// Runs `write` with the first slug for `title` that no other clarification has, under a savepoint: when
/// another server has taken that slug since it was looked up, `write` fails on the `UNIQUE` constraint,
/// the savepoint is rolled back and the next free slug tried. Each failure means a committed row that the
/// next lookup sees (READ COMMITTED), so this ends.
fn with_free_slug<T>(
    tx: &mut Transaction<'_>,
    title: &str,
    own_id: i64,
    mut write: impl FnMut(&mut Transaction<'_>, &str) -> Result<T, ::postgres::Error>,
) -> Result<(String, T)> {
    let base = slug_for(title);
    loop {
        let slug = first_free_slug(&base, |candidate| {
            let row = tx.query_one(
                "SELECT EXISTS (SELECT 1 FROM clarifications WHERE slug = $1 AND id <> $2)",
                &[&candidate, &own_id],
            )?;
            Ok(row.get(0))
        })?;
        let mut attempt = tx.savepoint("slug")?;
        match write(&mut attempt, &slug) {
            Ok(done) => {
                attempt.commit()?;
                return Ok((slug, done));
            }
            Err(e) if slug_taken(&e) => attempt.rollback()?,
            Err(e) => return Err(e.into()),
        }
    }
}

fn slug_taken(e: &::postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("clarifications_slug_key")
    })
}

fn save(tx: &mut Transaction<'_>, before: &Clarification, after: &Clarification) -> Result<()> {
    tx.execute(
        "UPDATE clarifications SET slug = $2, rating = $3, title = $4, claim = $5, body_markdown = $6, sources = $7,
                                   status = $8, updated_at = $9, published_at = $10, topic = $11
         WHERE id = $1",
        &[
            &after.id,
            &after.slug,
            &json_name(&after.rating),
            &after.title,
            &after.claim,
            &after.body_markdown,
            &sources_json(after)?,
            &after.status.as_str(),
            &after.updated_at.timestamp(),
            &after.published_at.map(|t| t.timestamp()),
            &after.topic.map(Topic::as_str),
        ],
    )?;
    for c in &after.corrections[before.corrections.len()..] {
        tx.execute(
            "INSERT INTO clarification_corrections (clarification_id, at, by, reason, previous_title,
                                                    previous_body_markdown)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&after.id, &c.at.timestamp(), &c.by, &c.reason, &c.previous_title, &c.previous_body_markdown],
        )?;
    }
    Ok(())
}

/// [`filter_sql`] for PostgreSQL.
fn matching(filter: &ClarificationFilter) -> (String, Vec<Param>) {
    filter_sql(filter, |n| format!("${n}"), |i| Box::new(i) as Param, |t| Box::new(t) as Param)
}

fn refs(values: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v.as_ref()).collect()
}

impl ClarificationStore for PostgresStore {
    fn create_clarification(&mut self, draft: &Clarification) -> Result<Clarification> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let mut stored = draft.clone();
        let (rating, sources) = (json_name(&stored.rating), sources_json(&stored)?);
        let (created_at, updated_at) = (stored.created_at.timestamp(), stored.updated_at.timestamp());
        let published_at = stored.published_at.map(|t| t.timestamp());
        let (slug, id) = with_free_slug(&mut tx, &stored.title, 0, |tx, slug| {
            let row = tx.query_one(
                "INSERT INTO clarifications (case_id, slug, rating, title, claim, body_markdown, sources, status,
                                             created_by, created_at, updated_at, published_at, topic)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                &[
                    &stored.case_id,
                    &slug,
                    &rating,
                    &stored.title,
                    &stored.claim,
                    &stored.body_markdown,
                    &sources,
                    &stored.status.as_str(),
                    &stored.created_by,
                    &created_at,
                    &updated_at,
                    &published_at,
                    &stored.topic.map(Topic::as_str),
                ],
            )?;
            Ok(row.get::<_, i64>(0))
        })?;
        (stored.slug, stored.id) = (slug, id);
        let entry = Entry::created(&stored.created_by, "clarification", stored.id, "clarification.draft", &stored)?;
        super::audit::append(&mut tx, &self.audit, entry, stored.created_at)?;
        tx.commit()?;
        Ok(stored)
    }

    fn clarification(&self, id: i64) -> Result<Option<Clarification>> {
        one(&mut *self.client(), "WHERE id = $1", &id)
    }

    fn clarification_by_slug(&self, slug: &str) -> Result<Option<Clarification>> {
        one(&mut *self.client(), "WHERE slug = $1", &slug)
    }

    fn list_clarifications(&self, filter: &ClarificationFilter, limit: u64, offset: u64) -> Result<Vec<Clarification>> {
        let (clause, mut values) = matching(filter);
        let n = values.len();
        values.push(Box::new(to_i64(limit, "limit")?));
        values.push(Box::new(to_i64(offset, "offset")?));
        let sql = format!("{SELECT} {clause} ORDER BY {} LIMIT ${} OFFSET ${}", order(filter), n + 1, n + 2);
        let mut client = self.client();
        let rows = client.query(&sql, &refs(&values))?;
        with_corrections(&mut *client, &rows)
    }

    fn count_clarifications(&self, filter: &ClarificationFilter) -> Result<u64> {
        let (clause, values) = matching(filter);
        let sql = format!("SELECT COUNT(*) FROM clarifications {clause}");
        let n: i64 = self.client().query_one(&sql, &refs(&values))?.get(0);
        Ok(n as u64)
    }

    fn last_published_change(&self) -> Result<Option<DateTime<Utc>>> {
        let newest: Option<i64> = self
            .client()
            .query_one("SELECT MAX(updated_at) FROM clarifications WHERE status = 'published'", &[])?
            .get(0);
        Ok(newest.map(time))
    }

    fn update_clarification(
        &mut self,
        id: i64,
        change: ClarificationChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<Clarification>> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // Locked: a second server changing the same clarification waits, then sees this change.
        let Some(before) = one(&mut tx, "WHERE id = $1 FOR UPDATE", &id)? else { return Ok(ResponseUpdate::NotFound) };
        // The case stays as read (a verdict revised meanwhile waits for this commit, or is seen).
        tx.execute("SELECT 1 FROM cases WHERE id = $1 FOR SHARE", &[&before.case_id])?;
        let case = load_case(&mut tx, before.case_id)?
            .ok_or_else(|| StoreError::Corrupt(format!("clarification {id}: case {} is missing", before.case_id)))?;
        let action = change.action();
        let mut after = before.clone();
        if let Err(refusal) = after.apply(change, &case, actor, now) {
            return Ok(ResponseUpdate::Refused(refusal));
        }
        if slug_follows(&before, &after) {
            let (slug, _) = with_free_slug(&mut tx, &after.title, id, |tx, slug| {
                tx.execute("UPDATE clarifications SET slug = $2 WHERE id = $1", &[&id, &slug])
            })?;
            after.slug = slug;
        }
        save(&mut tx, &before, &after)?;
        if publishes(&before, &after) {
            let data = published_event(&after);
            super::webhooks::emit(&mut tx, EventKind::ClarificationPublished, ("clarification", id), None, data, now)?;
            let rating = tangkal_response::clarification::label(after.rating);
            super::tiplines::enqueue_followups(&mut tx, after.case_id, rating, &after.title, &after.slug, now)?;
        }
        let label = actor.label();
        let entry = Entry::changed(&label, "clarification", id, action, &before, &after)?;
        super::audit::append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(ResponseUpdate::Done(Box::new(after)))
    }
}
