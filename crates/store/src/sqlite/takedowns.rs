//! Takedown requests on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tangkal_cases::{Actor, Urgency};
use tangkal_response::takedown::{OutcomeCounts, TakedownChange, TakedownRequest, TakedownUrl, UrlEvent, UrlStatus};
use tangkal_response::transparency::RequestFigures;

use tangkal_response::webhook::EventKind;

use crate::audit::Entry;
use crate::cases::{text_enum, to_i64};
use crate::takedowns::{attach_events, page, sent_event, urls_to_save, FiguresByRequest, UrlSave};
use crate::users::time;
use crate::{ResponseUpdate, Result, SqliteStore, TakedownCreate, TakedownFilter, TakedownStore};

fn status(text: String) -> rusqlite::Result<UrlStatus> {
    text_enum(text, UrlStatus::parse)
}

fn load_takedown(conn: &Connection, id: i64) -> Result<Option<TakedownRequest>> {
    let request = conn
        .prepare_cached(
            "SELECT id, case_id, reference, platform, urgency, legal_basis, sent_by, sent_at, due_at
             FROM takedown_requests WHERE id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(TakedownRequest {
                id: r.get(0)?,
                case_id: r.get(1)?,
                reference: r.get(2)?,
                platform: r.get(3)?,
                urgency: text_enum(r.get(4)?, Urgency::parse)?,
                legal_basis: r.get(5)?,
                sent_by: r.get(6)?,
                sent_at: time(r.get(7)?),
                due_at: time(r.get(8)?),
                urls: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut request) = request else { return Ok(None) };
    let mut ids = Vec::new();
    // `+id`: by the request's index, then sorted; ordered by the row id, the planner would walk every URL.
    let mut urls = conn.prepare_cached(
        "SELECT id, url, host, status, note, added_at, due_at, answered_at, complied_at
         FROM takedown_urls WHERE request_id = ?1 ORDER BY +id",
    )?;
    for row in urls.query_map(params![id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            TakedownUrl {
                url: r.get(1)?,
                host: r.get(2)?,
                status: status(r.get(3)?)?,
                note: r.get(4)?,
                added_at: time(r.get(5)?),
                due_at: time(r.get(6)?),
                answered_at: r.get::<_, Option<i64>>(7)?.map(time),
                complied_at: r.get::<_, Option<i64>>(8)?.map(time),
                history: Vec::new(),
            },
        ))
    })? {
        let (url_id, url) = row?;
        ids.push(url_id);
        request.urls.push(url);
    }
    let mut events = conn.prepare_cached(
        "SELECT e.url_id, e.status, e.note, e.at, e.by FROM takedown_url_events e
         WHERE e.url_id IN (SELECT id FROM takedown_urls WHERE request_id = ?1) ORDER BY e.url_id, e.id",
    )?;
    let events = events
        .query_map(params![id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                UrlEvent { status: status(r.get(1)?)?, note: r.get(2)?, at: time(r.get(3)?), by: r.get(4)? },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    attach_events(&mut request, &ids, events)?;
    Ok(Some(request))
}

/// Writes the URLs of `after` that are new or changed since `before` (absent for a new request), with
/// their new answers.
fn save_urls(conn: &Connection, before: Option<&TakedownRequest>, after: &TakedownRequest) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO takedown_urls (request_id, url, host, status, note, added_at, due_at, answered_at, complied_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut update = conn.prepare_cached(
        "UPDATE takedown_urls SET status = ?3, note = ?4, answered_at = ?5, complied_at = ?6
         WHERE request_id = ?1 AND url = ?2",
    )?;
    let mut event = conn.prepare_cached(
        "INSERT INTO takedown_url_events (url_id, status, note, at, by)
         VALUES ((SELECT id FROM takedown_urls WHERE request_id = ?1 AND url = ?2), ?3, ?4, ?5, ?6)",
    )?;
    for UrlSave { url, new, events } in urls_to_save(before, after) {
        if new {
            insert.execute(params![
                after.id,
                url.url,
                url.host,
                url.status.as_str(),
                url.note,
                url.added_at.timestamp(),
                url.due_at.timestamp(),
                url.answered_at.map(|t| t.timestamp()),
                url.complied_at.map(|t| t.timestamp())
            ])?;
        } else {
            update.execute(params![
                after.id,
                url.url,
                url.status.as_str(),
                url.note,
                url.answered_at.map(|t| t.timestamp()),
                url.complied_at.map(|t| t.timestamp())
            ])?;
        }
        for e in events {
            event.execute(params![after.id, url.url, e.status.as_str(), e.note, e.at.timestamp(), e.by])?;
        }
    }
    Ok(())
}

/// The ids of matching requests, newest first. The state is derived per request by the domain's own
/// rule from its outcome counts, not restated in SQL.
fn matching_ids(conn: &Connection, filter: &TakedownFilter, now: DateTime<Utc>) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id,
                SUM(u.status = 'pending'), SUM(u.status = 'removed'), SUM(u.status = 'restricted'),
                SUM(u.status = 'rejected'), SUM(u.status = 'not_found'),
                MIN(CASE WHEN u.status = 'pending' THEN u.due_at END)
         FROM takedown_requests r JOIN takedown_urls u ON u.request_id = r.id
         WHERE (?1 IS NULL OR r.platform = ?1) AND (?2 IS NULL OR r.case_id = ?2)
         GROUP BY r.id ORDER BY r.sent_at DESC, r.id DESC",
    )?;
    let rows = stmt.query_map(params![filter.platform_key(), filter.case_id], |r| {
        let n = |i| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let counts =
            OutcomeCounts { pending: n(1)?, removed: n(2)?, restricted: n(3)?, rejected: n(4)?, not_found: n(5)? };
        Ok((r.get::<_, i64>(0)?, filter.admits(&counts, r.get(6)?, now)))
    })?;
    let mut ids = Vec::new();
    for row in rows {
        let (id, admitted) = row?;
        if admitted {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn load_all(conn: &Connection, ids: impl IntoIterator<Item = i64>) -> Result<Vec<TakedownRequest>> {
    ids.into_iter().filter_map(|id| load_takedown(conn, id).transpose()).collect()
}

impl TakedownStore for SqliteStore {
    fn create_takedown(&mut self, request: &TakedownRequest) -> Result<TakedownCreate> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, reference FROM takedown_requests WHERE case_id = ?1 AND platform = ?2",
                params![request.case_id, request.platform],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, reference)) = existing {
            return Ok(TakedownCreate::Duplicate { id, reference });
        }
        // Writers take turns (immediate transactions), so the next id is free.
        let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM takedown_requests", [], |r| r.get(0))?;
        let mut stored = request.clone();
        stored.assign_reference(id);
        tx.prepare_cached(
            "INSERT INTO takedown_requests (id, case_id, platform, reference, urgency, legal_basis, sent_by, sent_at, due_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id,
            stored.case_id,
            stored.platform,
            stored.reference,
            stored.urgency.as_str(),
            stored.legal_basis,
            stored.sent_by,
            stored.sent_at.timestamp(),
            stored.due_at.timestamp()
        ])?;
        save_urls(&tx, None, &stored)?;
        super::audit::append(
            &tx,
            &self.audit,
            Entry::created(&stored.sent_by, "takedown", id, "takedown.send", &stored)?,
            stored.sent_at,
        )?;
        super::webhooks::emit(
            &tx,
            EventKind::TakedownSent,
            ("takedown", id),
            None,
            sent_event(&stored),
            stored.sent_at,
        )?;
        tx.commit()?;
        Ok(TakedownCreate::Created(Box::new(stored)))
    }

    fn takedown(&self, id: i64) -> Result<Option<TakedownRequest>> {
        load_takedown(&self.conn, id)
    }

    fn list_takedowns(
        &self,
        filter: &TakedownFilter,
        now: DateTime<Utc>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TakedownRequest>> {
        let (limit, offset) = page(limit, offset);
        load_all(&self.conn, matching_ids(&self.conn, filter, now)?.into_iter().skip(offset).take(limit))
    }

    fn count_takedowns(&self, filter: &TakedownFilter, now: DateTime<Utc>) -> Result<u64> {
        Ok(matching_ids(&self.conn, filter, now)?.len() as u64)
    }

    fn update_takedown(
        &mut self,
        id: i64,
        change: &TakedownChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<TakedownRequest>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(before) = load_takedown(&tx, id)? else { return Ok(ResponseUpdate::NotFound) };
        if !before.visible_to(actor) {
            return Ok(ResponseUpdate::NotFound);
        }
        let mut after = before.clone();
        if let Err(refusal) = after.apply(change, actor, now) {
            return Ok(ResponseUpdate::Refused(refusal));
        }
        save_urls(&tx, Some(&before), &after)?;
        // The change itself, not two copies of a request that may list a thousand URLs.
        super::audit::append(
            &tx,
            &self.audit,
            Entry::created(&actor.label(), "takedown", id, change.action(), change)?,
            now,
        )?;
        tx.commit()?;
        Ok(ResponseUpdate::Done(Box::new(after)))
    }

    fn public_takedowns(&self, sent_until: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<TakedownRequest>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM takedown_requests WHERE sent_at <= ?1 ORDER BY sent_at DESC, id DESC LIMIT ?2 OFFSET ?3",
            )?
            .query_map(params![sent_until.timestamp(), to_i64(limit, "limit")?, to_i64(offset, "offset")?], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        load_all(&self.conn, ids)
    }

    fn count_public_takedowns(&self, sent_until: DateTime<Utc>) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM takedown_requests WHERE sent_at <= ?1")?
            .query_row(params![sent_until.timestamp()], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn count_complied_urls(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM takedown_urls
                 WHERE status IN ('removed', 'restricted') AND complied_at >= ?1 AND complied_at < ?2",
            )?
            .query_row(params![since.timestamp(), until.timestamp()], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn public_takedown_figures(&self, sent_until: DateTime<Utc>) -> Result<Vec<RequestFigures>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.platform, r.sent_at, u.complied_at - u.added_at
             FROM takedown_requests r INDEXED BY takedown_requests_figures
             JOIN takedown_urls u INDEXED BY takedown_urls_times ON u.request_id = r.id
             WHERE r.sent_at <= ?1 ORDER BY r.sent_at, r.id",
        )?;
        let mut rows = stmt.query(params![sent_until.timestamp()])?;
        let mut figures = FiguresByRequest::default();
        while let Some(row) = rows.next()? {
            figures.add(row.get(0)?, || Ok((row.get(1)?, row.get(2)?)), row.get(3)?)?;
        }
        Ok(figures.finish())
    }
}
