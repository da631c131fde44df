//! Takedown requests on PostgreSQL. A request's id is drawn from its sequence before the row is written,
//! since its reference is made from it; one request per case and platform is kept by the table's `UNIQUE`
//! key, so two servers sending the same one at once store one and answer the other with it. Changes read
//! the request under its row lock (`FOR UPDATE`): answers recorded at once by two servers are neither lost
//! nor stored twice.

use std::collections::HashMap;

use super::connection::{GenericClient, Transaction};
use chrono::{DateTime, Utc};
use tangkal_cases::{Actor, Urgency};
use tangkal_response::takedown::{OutcomeCounts, TakedownChange, TakedownRequest, TakedownUrl, UrlEvent, UrlStatus};
use tangkal_response::transparency::RequestFigures;
use tangkal_response::webhook::EventKind;

use super::cases::snapshot;
use super::PostgresStore;
use crate::audit::Entry;
use crate::cases::{text_enum, to_i64};
use crate::takedowns::{attach_events, page, sent_event, urls_to_save, FiguresByRequest, UrlSave};
use crate::users::time;
use crate::{ResponseUpdate, Result, StoreError, TakedownCreate, TakedownFilter, TakedownStore};

fn load_takedown(client: &mut impl GenericClient, id: i64) -> Result<Option<TakedownRequest>> {
    let Some(r) = client.query_opt(
        "SELECT id, case_id, reference, platform, urgency, legal_basis, sent_by, sent_at, due_at
         FROM takedown_requests WHERE id = $1",
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let mut request = TakedownRequest {
        id: r.get(0),
        case_id: r.get(1),
        reference: r.get(2),
        platform: r.get(3),
        urgency: text_enum(r.get(4), Urgency::parse)?,
        legal_basis: r.get(5),
        sent_by: r.get(6),
        sent_at: time(r.get(7)),
        due_at: time(r.get(8)),
        urls: Vec::new(),
    };
    let mut ids = Vec::new();
    for r in client.query(
        "SELECT id, url, host, status, note, added_at, due_at, answered_at, complied_at
         FROM takedown_urls WHERE request_id = $1 ORDER BY id",
        &[&id],
    )? {
        ids.push(r.get::<_, i64>(0));
        request.urls.push(TakedownUrl {
            url: r.get(1),
            host: r.get(2),
            status: text_enum(r.get(3), UrlStatus::parse)?,
            note: r.get(4),
            added_at: time(r.get(5)),
            due_at: time(r.get(6)),
            answered_at: r.get::<_, Option<i64>>(7).map(time),
            complied_at: r.get::<_, Option<i64>>(8).map(time),
            history: Vec::new(),
        });
    }
    let events = client
        .query(
            "SELECT e.url_id, e.status, e.note, e.at, e.by FROM takedown_url_events e
             JOIN takedown_urls u ON u.id = e.url_id WHERE u.request_id = $1 ORDER BY e.url_id, e.id",
            &[&id],
        )?
        .iter()
        .map(|r| {
            let event = UrlEvent {
                status: text_enum(r.get(1), UrlStatus::parse)?,
                note: r.get(2),
                at: time(r.get(3)),
                by: r.get(4),
            };
            Ok((r.get(0), event))
        })
        .collect::<Result<Vec<_>>>()?;
    attach_events(&mut request, &ids, events)?;
    Ok(Some(request))
}

/// URLs to write, a vector per column, each bound as one PostgreSQL array.
#[derive(Default)]
struct UrlColumns<'a> {
    url: Vec<&'a str>,
    host: Vec<&'a str>,
    status: Vec<&'static str>,
    note: Vec<Option<&'a str>>,
    added_at: Vec<i64>,
    due_at: Vec<i64>,
    answered_at: Vec<Option<i64>>,
    complied_at: Vec<Option<i64>>,
}

impl<'a> UrlColumns<'a> {
    fn push(&mut self, u: &'a TakedownUrl) {
        self.url.push(&u.url);
        self.host.push(&u.host);
        self.status.push(u.status.as_str());
        self.note.push(u.note.as_deref());
        self.added_at.push(u.added_at.timestamp());
        self.due_at.push(u.due_at.timestamp());
        self.answered_at.push(u.answered_at.map(|t| t.timestamp()));
        self.complied_at.push(u.complied_at.map(|t| t.timestamp()));
    }
}

/// Answers to write, as [`UrlColumns`].
#[derive(Default)]
struct EventColumns<'a> {
    url_id: Vec<i64>,
    status: Vec<&'static str>,
    note: Vec<Option<&'a str>>,
    at: Vec<i64>,
    by: Vec<&'a str>,
}

/// Writes the URLs of `after` that are new or changed since `before` (absent for a new request), with
/// their new answers: three statements however many URLs a request lists.
fn save_urls(tx: &mut Transaction<'_>, before: Option<&TakedownRequest>, after: &TakedownRequest) -> Result<()> {
    let saves: Vec<UrlSave> = urls_to_save(before, after).collect();
    let (mut new, mut changed) = (UrlColumns::default(), UrlColumns::default());
    for save in &saves {
        if save.new { &mut new } else { &mut changed }.push(save.url);
    }
    // The id of each URL written, by its address.
    let mut ids: HashMap<String, i64> = HashMap::new();
    if !new.url.is_empty() {
        let rows = tx.query(
            "INSERT INTO takedown_urls (request_id, url, host, status, note, added_at, due_at, answered_at, complied_at)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
                                      $8::bigint[], $9::bigint[])
             RETURNING url, id",
            &[
                &after.id,
                &new.url,
                &new.host,
                &new.status,
                &new.note,
                &new.added_at,
                &new.due_at,
                &new.answered_at,
                &new.complied_at,
            ],
        )?;
        ids.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
    }
    if !changed.url.is_empty() {
        let rows = tx.query(
            "UPDATE takedown_urls t SET status = c.status, note = c.note, answered_at = c.answered_at,
                                        complied_at = c.complied_at
             FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
                  AS c (url, status, note, answered_at, complied_at)
             WHERE t.request_id = $1 AND t.url = c.url
             RETURNING t.url, t.id",
            &[&after.id, &changed.url, &changed.status, &changed.note, &changed.answered_at, &changed.complied_at],
        )?;
        ids.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
    }
    let mut events = EventColumns::default();
    for save in &saves {
        let url_id = *ids
            .get(&save.url.url)
            .ok_or_else(|| StoreError::Internal(format!("takedown {}: URL not written", after.id)))?;
        for e in save.events {
            events.url_id.push(url_id);
            events.status.push(e.status.as_str());
            events.note.push(e.note.as_deref());
            events.at.push(e.at.timestamp());
            events.by.push(&e.by);
        }
    }
    if !events.url_id.is_empty() {
        // In the order given, so that the events' ids keep each URL's history in order.
        tx.execute(
            "INSERT INTO takedown_url_events (url_id, status, note, at, by)
             SELECT e.url_id, e.status, e.note, e.at, e.by
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[])
                  WITH ORDINALITY AS e (url_id, status, note, at, by, n)
             ORDER BY e.n",
            &[&events.url_id, &events.status, &events.note, &events.at, &events.by],
        )?;
    }
    Ok(())
}

/// The ids of matching requests, newest first. The state is derived per request by the domain's own
/// rule from its outcome counts, not restated in SQL.
fn matching_ids(client: &mut impl GenericClient, filter: &TakedownFilter, now: DateTime<Utc>) -> Result<Vec<i64>> {
    let rows = client.query(
        "SELECT r.id,
                COUNT(*) FILTER (WHERE u.status = 'pending'), COUNT(*) FILTER (WHERE u.status = 'removed'),
                COUNT(*) FILTER (WHERE u.status = 'restricted'), COUNT(*) FILTER (WHERE u.status = 'rejected'),
                COUNT(*) FILTER (WHERE u.status = 'not_found'),
                MIN(u.due_at) FILTER (WHERE u.status = 'pending')
         FROM takedown_requests r JOIN takedown_urls u ON u.request_id = r.id
         WHERE ($1::text IS NULL OR r.platform = $1) AND ($2::bigint IS NULL OR r.case_id = $2)
         GROUP BY r.id ORDER BY r.sent_at DESC, r.id DESC",
        &[&filter.platform_key(), &filter.case_id],
    )?;
    Ok(rows
        .iter()
        .filter(|r| {
            let n = |i| r.get::<_, i64>(i).max(0) as u64;
            let counts =
                OutcomeCounts { pending: n(1), removed: n(2), restricted: n(3), rejected: n(4), not_found: n(5) };
            filter.admits(&counts, r.get(6), now)
        })
        .map(|r| r.get(0))
        .collect())
}

fn load_all(client: &mut impl GenericClient, ids: impl IntoIterator<Item = i64>) -> Result<Vec<TakedownRequest>> {
    ids.into_iter().filter_map(|id| load_takedown(client, id).transpose()).collect()
}

impl TakedownStore for PostgresStore {
    fn create_takedown(&mut self, request: &TakedownRequest) -> Result<TakedownCreate> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let existing = |tx: &mut Transaction<'_>| -> Result<Option<TakedownCreate>> {
            let row = tx.query_opt(
                "SELECT id, reference FROM takedown_requests WHERE case_id = $1 AND platform = $2",
                &[&request.case_id, &request.platform],
            )?;
            Ok(row.map(|r| TakedownCreate::Duplicate { id: r.get(0), reference: r.get(1) }))
        };
        // Looked up first, so that sending a request again draws no id (references stay consecutive).
        if let Some(duplicate) = existing(&mut tx)? {
            return Ok(duplicate);
        }
        let id: i64 = tx.query_one("SELECT nextval(pg_get_serial_sequence('takedown_requests', 'id'))", &[])?.get(0);
        let mut stored = request.clone();
        stored.assign_reference(id);
        let inserted = tx.execute(
            "INSERT INTO takedown_requests (id, case_id, platform, reference, urgency, legal_basis, sent_by, sent_at,
                                            due_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (case_id, platform) DO NOTHING",
            &[
                &id,
                &stored.case_id,
                &stored.platform,
                &stored.reference,
                &stored.urgency.as_str(),
                &stored.legal_basis,
                &stored.sent_by,
                &stored.sent_at.timestamp(),
                &stored.due_at.timestamp(),
            ],
        )?;
        if inserted == 0 {
            // Another server stored this request since the look-up; this statement sees it committed.
            return existing(&mut tx)?
                .ok_or_else(|| StoreError::Internal("a conflicting takedown request vanished".into()));
        }
        save_urls(&mut tx, None, &stored)?;
        let entry = Entry::created(&stored.sent_by, "takedown", id, "takedown.send", &stored)?;
        super::audit::append(&mut tx, &self.audit, entry, stored.sent_at)?;
        let data = sent_event(&stored);
        super::webhooks::emit(&mut tx, EventKind::TakedownSent, ("takedown", id), None, data, stored.sent_at)?;
        tx.commit()?;
        Ok(TakedownCreate::Created(Box::new(stored)))
    }

    fn takedown(&self, id: i64) -> Result<Option<TakedownRequest>> {
        snapshot(self, |tx| load_takedown(tx, id))
    }

    fn list_takedowns(
        &self,
        filter: &TakedownFilter,
        now: DateTime<Utc>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TakedownRequest>> {
        let (limit, offset) = page(limit, offset);
        snapshot(self, |tx| {
            let ids = matching_ids(tx, filter, now)?;
            load_all(tx, ids.into_iter().skip(offset).take(limit))
        })
    }

    fn count_takedowns(&self, filter: &TakedownFilter, now: DateTime<Utc>) -> Result<u64> {
        Ok(matching_ids(&mut *self.client(), filter, now)?.len() as u64)
    }

    fn update_takedown(
        &mut self,
        id: i64,
        change: &TakedownChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<TakedownRequest>> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        // A server changing this request meanwhile holds the lock until it commits; the reads below then see
        // what it wrote.
        if tx.query_opt("SELECT 1 FROM takedown_requests WHERE id = $1 FOR UPDATE", &[&id])?.is_none() {
            return Ok(ResponseUpdate::NotFound);
        }
        let Some(before) = load_takedown(&mut tx, id)? else { return Ok(ResponseUpdate::NotFound) };
        if !before.visible_to(actor) {
            return Ok(ResponseUpdate::NotFound);
        }
        let mut after = before.clone();
        if let Err(refusal) = after.apply(change, actor, now) {
            return Ok(ResponseUpdate::Refused(refusal));
        }
        save_urls(&mut tx, Some(&before), &after)?;
        // The change itself, not two copies of a request that may list a thousand URLs.
        let label = actor.label();
        let entry = Entry::created(&label, "takedown", id, change.action(), change)?;
        super::audit::append(&mut tx, &self.audit, entry, now)?;
        tx.commit()?;
        Ok(ResponseUpdate::Done(Box::new(after)))
    }

    fn public_takedowns(&self, sent_until: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<TakedownRequest>> {
        let (limit, offset) = (to_i64(limit, "limit")?, to_i64(offset, "offset")?);
        snapshot(self, |tx| {
            let ids: Vec<i64> = tx
                .query(
                    "SELECT id FROM takedown_requests WHERE sent_at <= $1 ORDER BY sent_at DESC, id DESC
                     LIMIT $2 OFFSET $3",
                    &[&sent_until.timestamp(), &limit, &offset],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            load_all(tx, ids)
        })
    }

    fn count_public_takedowns(&self, sent_until: DateTime<Utc>) -> Result<u64> {
        let n: i64 = self
            .client()
            .query_one("SELECT COUNT(*) FROM takedown_requests WHERE sent_at <= $1", &[&sent_until.timestamp()])?
            .get(0);
        Ok(n as u64)
    }

    fn public_takedown_figures(&self, sent_until: DateTime<Utc>) -> Result<Vec<RequestFigures>> {
        let rows = self.client().query(
            "SELECT r.id, r.platform, r.sent_at, u.complied_at - u.added_at
             FROM takedown_requests r JOIN takedown_urls u ON u.request_id = r.id
             WHERE r.sent_at <= $1 ORDER BY r.sent_at, r.id, u.id",
            &[&sent_until.timestamp()],
        )?;
        let mut figures = FiguresByRequest::default();
        for row in &rows {
            figures.add(row.get(0), || Ok((row.get(1), row.get(2))), row.get(3))?;
        }
        Ok(figures.finish())
    }

    fn count_complied_urls(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<u64> {
        let n: i64 = self
            .client()
            .query_one(
                "SELECT COUNT(*) FROM takedown_urls
                 WHERE status IN ('removed', 'restricted') AND complied_at >= $1 AND complied_at < $2",
                &[&since.timestamp(), &until.timestamp()],
            )?
            .get(0);
        Ok(n as u64)
    }
}
