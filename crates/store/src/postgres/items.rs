//! Items on PostgreSQL, written by several writers at once: an identity is stored once (`UNIQUE`, and
//! inserts `ON CONFLICT DO NOTHING`), row ids come from the table's sequence, and a batch travels as arrays
//! in a few statements rather than a statement per record.
//!
//! Rows that every writer changes (an account's handle, a stored item's metrics) are locked in id order,
//! and the shared tallies (`item_hours`, a source's `last_seen_at`) only at the commit, so that writers of
//! single batches never wait on each other in a cycle and an open group of writes holds no row that
//! unrelated writers need.

use std::collections::BTreeMap;

use ::postgres::types::ToSql;
use ::postgres::Row;

use super::connection::{Client, GenericClient};
use chrono::Utc;
use rustc_hash::FxHashMap;
use tangkal_model::{Author, Item, ItemId, Metrics, NarrativeId};

use super::PostgresStore;
use crate::items::{
    account_key, hour_of, sort_records, timestamp, to_sql_int, where_clause, NewRecord, SqlArg, StoredMetrics,
};
use crate::*;

const SELECT_ITEM: &str = concat!(
    "SELECT i.id, i.platform, i.external_id, i.url, a.external_id, a.handle, ",
    pg_item_text!("i"),
    ", i.published_at, i.first_seen_at, i.views, i.shares, i.likes, i.replies, i.fingerprint, i.raw,
    i.narrative_id FROM items i LEFT JOIN accounts a ON a.id = i.account_id"
);

/// The state of item writes on this connection between [`ItemStore::begin_writes`] and the commit.
#[derive(Default)]
pub(crate) struct ItemWrites {
    /// A transaction opened by `begin_writes` is open.
    pub open: bool,
    /// Items planned and not inserted yet: row id and metrics.
    planned: StoredMetrics,
    /// Items the open transaction inserted, per hour and platform: added to `item_hours` at its commit, as
    /// the tally's rows are locked by every writer that updates them.
    hours: BTreeMap<(i64, String), i64>,
    /// When the open transaction last wrote from each source (by id), kept at its commit for the same
    /// reason: every push shares one source row.
    sources_seen: BTreeMap<i64, i64>,
}

impl ItemWrites {
    /// Ends the group of writes, forgetting what it held.
    fn end(&mut self) {
        *self = ItemWrites::default();
    }
}

impl PostgresStore {
    fn plan_in_transaction(&mut self, source: &SourceRef, records: &[ItemRecord<'_>]) -> Result<ItemPlan> {
        let writes = &mut self.item_writes;
        if !writes.open {
            return Err(StoreError::Internal("items planned outside begin_writes".into()));
        }
        let now = Utc::now().timestamp();
        let client = &mut *self.client.borrow_mut();
        let source_id = source_id(client, source, now)?;
        let seen = writes.sources_seen.entry(source_id).or_default();
        *seen = now.max(*seen);

        let maybe_stored: Vec<&[u8]> = records
            .iter()
            .map(|record| &record.identity.0)
            .filter(|identity| !writes.planned.contains_key(*identity))
            .map(|identity| &identity[..])
            .collect();
        let mut stored = stored_metrics(client, &maybe_stored)?;
        let mut plan = ItemPlan { source_id, now, ..ItemPlan::default() };
        let mut changed = FxHashMap::default();
        sort_records(
            &mut plan,
            records,
            &mut writes.planned,
            &mut stored,
            |id, metrics| {
                // Once per item, with its last metrics: one statement updates them all.
                changed.insert(id, metrics);
                Ok(())
            },
            |record| {
                storable(record.item)?;
                // The row id comes below, once the number of new records is known.
                Ok(0)
            },
        )?;
        if self.import_lock.is_some() && !self.accounts.complete {
            self.accounts.load_all(client)?;
        }
        let authors = plan.new.iter().map(|&(position, _)| records[position].item);
        plan.accounts = account_ids(client, &mut self.accounts, authors, now)?;
        update_metrics(client, changed)?;
        let ids = reserve_ids(client, plan.new.len())?;
        for ((position, id), reserved) in plan.new.iter_mut().zip(ids) {
            *id = reserved;
            writes.planned.get_mut(&records[*position].identity.0).expect("planned above").0 = reserved;
        }
        Ok(plan)
    }

    /// Inserts the new records of `plan`; `intake_seqs`, when the records came from the intake stream, holds
    /// each record's message sequence (by position in `records`).
    fn insert_in_transaction(
        &mut self,
        plan: &ItemPlan,
        records: &[ItemRecord<'_>],
        placements: &[Option<Placement>],
        intake_seqs: Option<&[i64]>,
    ) -> Result<WriteCounts> {
        let new = plan.take_new(records, placements, &mut self.item_writes.planned)?;
        let mut rows = NewRows::with_capacity(new.len());
        for (new, &(position, _)) in new.iter().zip(&plan.new) {
            rows.push(new, intake_seqs.map(|seqs| seqs[position]));
        }
        let mut counts = plan.counts;
        if rows.id.is_empty() {
            return Ok(counts);
        }
        let client = &mut *self.client.borrow_mut();
        let inserted = match self.import_lock {
            Some(_) => rows.copy(client, plan)?,
            None => rows.insert(client, plan)?,
        };
        let writes = &mut self.item_writes;
        let mut lost = vec![false; rows.id.len()];
        if inserted < rows.id.len() as u64 {
            settle_lost(client, &rows, &mut counts, &mut lost)?;
        }
        let mut hours: FxHashMap<(i64, &str), i64> = FxHashMap::default();
        for (new, lost) in new.iter().zip(lost) {
            if !lost {
                let item = new.record.item;
                *hours.entry((hour_of(item), item.platform.as_str())).or_default() += 1;
            }
        }
        for ((hour, platform), items) in hours {
            *writes.hours.entry((hour, platform.to_owned())).or_default() += items;
        }
        Ok(counts)
    }

    /// Adds the group's tallies and commits it.
    fn commit_in_transaction(&mut self) -> Result<()> {
        let writes = &self.item_writes;
        let client = &mut *self.client.borrow_mut();
        if !writes.hours.is_empty() {
            let (hours, platforms, items): (Vec<i64>, Vec<&str>, Vec<i64>) =
                writes.hours.iter().map(|((hour, platform), items)| (*hour, platform.as_str(), *items)).collect();
            client.execute(
                "INSERT INTO item_hours (hour, platform, items)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) ORDER BY 1, 2
                 ON CONFLICT (hour, platform) DO UPDATE SET items = item_hours.items + EXCLUDED.items",
                &[&hours, &platforms, &items],
            )?;
        }
        for (id, seen) in &writes.sources_seen {
            client
                .execute("UPDATE sources SET last_seen_at = GREATEST(last_seen_at, $2) WHERE id = $1", &[id, seen])?;
        }
        client.batch_execute("COMMIT")?;
        Ok(())
    }

    /// Stores items that arrived as messages of the intake stream (`crates/intake`), in one transaction of
    /// its own, each new one with its message's stream sequence (`seqs[i]` for `records[i]`). Several workers
    /// write at once: an identity is stored once, and keeps the lowest sequence of the messages that carried
    /// it. Lowering is safe for placement: the placer reads only up to the workers' acknowledgement floor, and
    /// the message doing the lowering is not acknowledged yet, so neither sequence has been placed.
    pub fn write_intake(
        &mut self,
        source: &SourceRef,
        records: &[ItemRecord<'_>],
        seqs: &[i64],
    ) -> Result<WriteCounts> {
        if seqs.len() != records.len() {
            return Err(StoreError::Internal(format!("{} sequences for {} records", seqs.len(), records.len())));
        }
        if !self.begin_writes()? {
            return Err(StoreError::Internal("intake writes are a transaction of their own".into()));
        }
        let counts = self.write_intake_in_transaction(source, records, seqs).inspect_err(|_| self.abandon_writes())?;
        self.item_writes.end();
        Ok(counts)
    }

    fn write_intake_in_transaction(
        &mut self,
        source: &SourceRef,
        records: &[ItemRecord<'_>],
        seqs: &[i64],
    ) -> Result<WriteCounts> {
        let plan = self.plan_in_transaction(source, records)?;
        let placements = vec![None; plan.new.len()];
        let counts = self.insert_in_transaction(&plan, records, &placements, Some(seqs))?;
        // Repeats may carry a lower sequence than the one stored: those planned as repeats, and, when another
        // writer stored some of this batch's new records first, every new one.
        let mut repeat = vec![true; records.len()];
        if counts.new == plan.counts.new {
            for &(position, _) in &plan.new {
                repeat[position] = false;
            }
        }
        let (identities, lower): (Vec<&[u8]>, Vec<i64>) = records
            .iter()
            .zip(seqs)
            .zip(repeat)
            .filter(|(_, repeat)| *repeat)
            .map(|((record, &seq), _)| (&record.identity.0[..], seq))
            .unzip();
        if !identities.is_empty() {
            let client = &mut *self.client.borrow_mut();
            // Locked in id order first, as metric updates lock them: writers never wait on each other in a cycle.
            client.execute(
                "SELECT i.id FROM items i JOIN unnest($1::bytea[], $2::bigint[]) AS u(identity, seq)
                   ON i.identity = u.identity WHERE i.intake_seq > u.seq ORDER BY i.id FOR UPDATE OF i",
                &[&identities, &lower],
            )?;
            client.execute(
                "UPDATE items SET intake_seq = l.seq
                   FROM (SELECT identity, MIN(seq) AS seq FROM unnest($1::bytea[], $2::bigint[]) AS u(identity, seq)
                         GROUP BY identity) AS l
                  WHERE items.identity = l.identity AND items.intake_seq > l.seq",
                &[&identities, &lower],
            )?;
        }
        self.commit_in_transaction()?;
        Ok(counts)
    }

    /// Ends the open transaction without keeping it: after a failed write or a failed commit.
    fn abandon_writes(&mut self) {
        self.item_writes.end();
        // It may hold accounts that the rollback removes.
        self.accounts = KnownAccounts::default();
        // Outside a transaction, ROLLBACK only warns.
        let _ = self.client().batch_execute("ROLLBACK");
    }
}

impl ItemStore for PostgresStore {
    fn begin_writes(&mut self) -> Result<bool> {
        if self.item_writes.open {
            return Ok(false);
        }
        self.client().batch_execute("BEGIN")?;
        self.item_writes.open = true;
        Ok(true)
    }

    fn commit_writes(&mut self) -> Result<()> {
        if !self.item_writes.open {
            return Ok(());
        }
        if !self.item_writes.planned.is_empty() {
            self.abandon_writes();
            return Err(StoreError::Internal("commit with planned items not inserted".into()));
        }
        self.commit_in_transaction().inspect_err(|_| self.abandon_writes())?;
        self.item_writes.end();
        Ok(())
    }

    fn plan_items(&mut self, source: &SourceRef, records: &[ItemRecord<'_>]) -> Result<ItemPlan> {
        self.plan_in_transaction(source, records).inspect_err(|_| self.abandon_writes())
    }

    fn insert_planned(
        &mut self,
        plan: ItemPlan,
        records: &[ItemRecord<'_>],
        placements: &[Option<Placement>],
    ) -> Result<WriteCounts> {
        self.insert_in_transaction(&plan, records, placements, None).inspect_err(|_| self.abandon_writes())
    }

    fn list_items(&self, filter: &ItemFilter, limit: u64, offset: u64) -> Result<Vec<StoredItem>> {
        let (clause, mut args) = where_clause(filter, '$', pg_item_text!("i"));
        args.push(SqlArg::Int(to_sql_int(limit, "limit")?));
        args.push(SqlArg::Int(to_sql_int(offset, "offset")?));
        let sql = format!(
            "{SELECT_ITEM} {clause} ORDER BY i.published_at DESC, i.id DESC LIMIT ${} OFFSET ${}",
            args.len() - 1,
            args.len()
        );
        let rows = self.client().query(&sql, &parameters(&args))?;
        Ok(rows.iter().map(stored_item).collect())
    }

    fn count_items(&self, filter: &ItemFilter) -> Result<u64> {
        if *filter == ItemFilter::default() {
            // The tally holds every item once: a few thousand rows to add instead of a million to count. An
            // open group's items join it at its commit, but its own reads count them already.
            let row = self.client().query_one("SELECT COALESCE(SUM(items), 0)::bigint FROM item_hours", &[])?;
            let pending: i64 = self.item_writes.hours.values().sum();
            return Ok((row.get::<_, i64>(0) + pending) as u64);
        }
        let (clause, args) = where_clause(filter, '$', pg_item_text!("i"));
        let sql = format!("SELECT COUNT(*) FROM items i {clause}");
        let n: i64 = self.client().query_one(&sql, &parameters(&args))?.get(0);
        Ok(n as u64)
    }

    fn get_item(&self, id: ItemId) -> Result<Option<StoredItem>> {
        let sql = format!("{SELECT_ITEM} WHERE i.id = $1");
        Ok(self.client().query_opt(&sql, &[&id])?.map(|row| stored_item(&row)))
    }
}

fn parameters(args: &[SqlArg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter()
        .map(|arg| match arg {
            SqlArg::Int(v) => v as &(dyn ToSql + Sync),
            SqlArg::Text(v) => v as &(dyn ToSql + Sync),
        })
        .collect()
}

/// Refuses what PostgreSQL's text cannot hold (SQLite's can): a NUL character, in a column or in the text
/// read back from the raw record.
fn storable(item: &Item) -> Result<()> {
    let author = item.author.as_ref();
    let fields = [
        ("platform", Some(item.platform.as_str())),
        ("id", item.external_id.as_deref()),
        ("url", item.url.as_deref()),
        ("author.id", author.map(|a| a.id.as_str())),
        ("author.handle", author.and_then(|a| a.handle.as_deref())),
        ("text", Some(item.text.as_str())),
        ("raw", Some(item.raw.as_str())),
    ];
    match fields.into_iter().find(|(_, value)| value.is_some_and(|v| v.contains('\0'))) {
        Some((field, _)) => Err(StoreError::invalid(field, "holds a NUL character, which the store cannot keep")),
        None => Ok(()),
    }
}

/// The source's row id. Found without a lock when it exists, so that writers from one source (every push
/// shares one) do not queue on its row; created once when it does not.
fn source_id(client: &mut Client, source: &SourceRef, now: i64) -> Result<i64> {
    for _ in 0..2 {
        let found = client
            .query_opt("SELECT id FROM sources WHERE kind = $1 AND location = $2", &[&source.kind, &source.location])?;
        if let Some(row) = found {
            return Ok(row.get(0));
        }
        let created = client.query_opt(
            "INSERT INTO sources (kind, location, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (kind, location) DO NOTHING RETURNING id",
            &[&source.kind, &source.location, &now],
        )?;
        if let Some(row) = created {
            return Ok(row.get(0));
        }
        // Another writer created it since the lookup: the next one finds it.
    }
    Err(StoreError::Internal(format!("the source {} {} is neither stored nor storable", source.kind, source.location)))
}

/// Which of these identities are stored, with their row id and metrics.
fn stored_metrics(client: &mut Client, identities: &[&[u8]]) -> Result<StoredMetrics> {
    let mut stored = StoredMetrics::default();
    if identities.is_empty() {
        return Ok(stored);
    }
    let rows = client.query(
        "SELECT identity, id, views, shares, likes, replies FROM items WHERE identity = ANY($1)",
        &[&identities],
    )?;
    for row in rows {
        stored.insert(identity_of(&row, 0)?, (row.get(1), [row.get(2), row.get(3), row.get(4), row.get(5)]));
    }
    Ok(stored)
}

fn identity_of(row: &Row, column: usize) -> Result<[u8; 16]> {
    row.get::<_, &[u8]>(column).try_into().map_err(|_| StoreError::Corrupt("an item identity is not 16 bytes".into()))
}

/// Sets stored items' metrics (row id → views, shares, likes, replies).
fn update_metrics(client: &mut Client, changed: FxHashMap<i64, [i64; 4]>) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut changed: Vec<_> = changed.into_iter().collect();
    changed.sort_unstable_by_key(|&(id, _)| id);
    let ids: Vec<i64> = changed.iter().map(|&(id, _)| id).collect();
    let metric = |i: usize| changed.iter().map(|(_, metrics)| metrics[i]).collect::<Vec<i64>>();
    // Locked in id order first: writers updating the same items in another order would deadlock.
    client.execute("SELECT id FROM items WHERE id = ANY($1) ORDER BY id FOR UPDATE", &[&ids])?;
    client.execute(
        "UPDATE items SET views = u.views, shares = u.shares, likes = u.likes, replies = u.replies
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
              AS u(id, views, shares, likes, replies)
         WHERE items.id = u.id",
        &[&ids, &metric(0), &metric(1), &metric(2), &metric(3)],
    )?;
    Ok(())
}

/// `count` row ids from the items' sequence, ascending.
fn reserve_ids(client: &mut Client, count: usize) -> Result<Vec<i64>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let rows = client.query(
        // The sequence is looked up once, not for every id.
        "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence('items', 'id')::regclass AS sequence)
         SELECT nextval(s.sequence) FROM s, generate_series(1, $1::bigint)",
        &[&(count as i64)],
    )?;
    let mut ids: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Accounts this connection has read or written, by [`account_key`]: row id and handle. An account's row id
/// never changes, so the cache stays true while other writers work; a handle another writer changed since is
/// rewritten only when this connection's items name yet another.
#[derive(Default)]
pub(crate) struct KnownAccounts {
    by_key: FxHashMap<u128, (i64, Option<String>)>,
    /// Loaded whole under the import lock: an account missing here is new (if another writer created it
    /// meanwhile, the insert finds out).
    complete: bool,
}

/// Accounts an import loads whole, at most; past it, it looks up the ones its items name.
const ACCOUNTS_LOADED_WHOLE: i64 = 2_000_000;
/// Accounts kept at most: the cache starts again past it.
const ACCOUNTS_KEPT: usize = 4_000_000;

impl KnownAccounts {
    fn load_all(&mut self, client: &mut Client) -> Result<()> {
        let stored: i64 = client.query_one("SELECT count(*) FROM accounts", &[])?.get(0);
        if stored > ACCOUNTS_LOADED_WHOLE {
            return Ok(());
        }
        self.by_key.clear();
        for row in client.query("SELECT id, platform, external_id, handle FROM accounts", &[])? {
            self.by_key.insert(account_key(row.get(1), row.get(2)), (row.get(0), row.get(3)));
        }
        self.complete = true;
        Ok(())
    }

    fn remember(&mut self, key: u128, id: i64, handle: Option<String>) {
        if self.by_key.len() >= ACCOUNTS_KEPT && !self.by_key.contains_key(&key) {
            *self = KnownAccounts::default();
        }
        self.by_key.insert(key, (id, handle));
    }
}

/// The account row of each item's author (None for an item without one), as SQLite's writer leaves them:
/// inserted when new, and keeping the last handle an account was seen with.
fn account_ids<'i>(
    client: &mut Client,
    known: &mut KnownAccounts,
    items: impl Iterator<Item = &'i Item>,
    now: i64,
) -> Result<Vec<Option<i64>>> {
    // The distinct accounts, each with the last handle it comes with, and which one each item names.
    let mut accounts: Vec<((&str, &str), Option<&str>)> = Vec::new();
    let mut index: FxHashMap<(&str, &str), usize> = FxHashMap::default();
    let mut of_item = Vec::new();
    for item in items {
        let Some(author) = &item.author else {
            of_item.push(None);
            continue;
        };
        let key = (item.platform.as_str(), author.id.as_str());
        let i = *index.entry(key).or_insert_with(|| {
            accounts.push((key, None));
            accounts.len() - 1
        });
        accounts[i].1 = author.handle.as_deref().or(accounts[i].1);
        of_item.push(Some(i));
    }
    let mut found: Vec<Option<(i64, Option<String>)>> = vec![None; accounts.len()];
    // Keeps the id and handle of each account row (id, platform, external id, handle).
    let remember = |found: &mut Vec<Option<(i64, Option<String>)>>, rows: Vec<Row>| {
        for row in rows {
            if let Some(&i) = index.get(&(row.get::<_, &str>(1), row.get::<_, &str>(2))) {
                found[i] = Some((row.get(0), row.get(3)));
            }
        }
    };
    let keys: Vec<u128> =
        accounts.iter().map(|((platform, external_id), _)| account_key(platform, external_id)).collect();
    for (found, key) in found.iter_mut().zip(&keys) {
        *found = known.by_key.get(key).cloned();
    }
    let mut missing: Vec<usize> = (0..accounts.len()).filter(|&i| found[i].is_none()).collect();
    if !known.complete && !missing.is_empty() {
        remember(&mut found, find_accounts(client, &accounts, &missing)?);
        missing.retain(|&i| found[i].is_none());
    }
    if !missing.is_empty() {
        let platforms: Vec<&str> = missing.iter().map(|&i| accounts[i].0 .0).collect();
        let external_ids: Vec<&str> = missing.iter().map(|&i| accounts[i].0 .1).collect();
        let handles: Vec<Option<&str>> = missing.iter().map(|&i| accounts[i].1).collect();
        // Ids in the order the accounts were first seen, as SQLite numbers them (the numbers show in
        // coordinated-sharing evidence, and both backends must tell the same story); rows inserted in key
        // order, so writers creating the same accounts wait for each other instead of deadlocking.
        let ids: Vec<i64> = client
            .query(
                "SELECT nextval(pg_get_serial_sequence('accounts', 'id')) FROM generate_series(1, $1::bigint)",
                &[&(missing.len() as i64)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let created = client.query(
            "INSERT INTO accounts (id, platform, external_id, handle, first_seen_at)
             SELECT id, platform, external_id, handle, $5::bigint
               FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, platform, external_id, handle)
              ORDER BY platform, external_id
             ON CONFLICT (platform, external_id) DO NOTHING
             RETURNING id, platform, external_id, handle",
            &[&ids, &platforms, &external_ids, &handles, &now],
        )?;
        remember(&mut found, created);
        // Created by another writer since the lookup (its commit ended the insert's wait on them).
        let created_elsewhere: Vec<usize> = missing.into_iter().filter(|&i| found[i].is_none()).collect();
        if !created_elsewhere.is_empty() {
            remember(&mut found, find_accounts(client, &accounts, &created_elsewhere)?);
        }
    }
    let mut ids = Vec::with_capacity(accounts.len());
    let mut renamed: Vec<(i64, &str)> = Vec::new();
    for ((((platform, external_id), handle), found), key) in accounts.iter().zip(found).zip(keys) {
        let Some((id, stored_handle)) = found else {
            return Err(StoreError::Internal(format!("the account {platform} {external_id} was not stored")));
        };
        if let Some(handle) = handle.filter(|&handle| stored_handle.as_deref() != Some(handle)) {
            renamed.push((id, handle));
        }
        known.remember(key, id, handle.map(str::to_owned).or(stored_handle));
        ids.push(id);
    }
    if !renamed.is_empty() {
        renamed.sort_unstable();
        let (renamed_ids, handles): (Vec<i64>, Vec<&str>) = renamed.into_iter().unzip();
        // Locked in id order first: writers renaming the same accounts in another order would deadlock.
        client.execute("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", &[&renamed_ids])?;
        client.execute(
            "UPDATE accounts SET handle = u.handle FROM unnest($1::bigint[], $2::text[]) AS u(id, handle)
             WHERE accounts.id = u.id",
            &[&renamed_ids, &handles],
        )?;
    }
    Ok(of_item.into_iter().map(|i| i.map(|i| ids[i])).collect())
}

/// The rows (id, platform, external id, handle) of the `accounts` at indexes `which` that are stored.
fn find_accounts(client: &mut Client, accounts: &[((&str, &str), Option<&str>)], which: &[usize]) -> Result<Vec<Row>> {
    let platforms: Vec<&str> = which.iter().map(|&i| accounts[i].0 .0).collect();
    let external_ids: Vec<&str> = which.iter().map(|&i| accounts[i].0 .1).collect();
    Ok(client.query(
        "SELECT a.id, a.platform, a.external_id, a.handle
           FROM accounts a
           JOIN unnest($1::text[], $2::text[]) AS u(platform, external_id)
             ON a.platform = u.platform AND a.external_id = u.external_id",
        &[&platforms, &external_ids],
    )?)
}

/// The new records of a batch as columns, in plan order.
struct NewRows<'r> {
    id: Vec<i64>,
    identity: Vec<&'r [u8]>,
    platform: Vec<&'r str>,
    external_id: Vec<Option<&'r str>>,
    url: Vec<Option<&'r str>>,
    account_id: Vec<Option<i64>>,
    text_copy: Vec<&'r str>,
    published_at: Vec<i64>,
    metrics: [Vec<i64>; 4],
    fingerprint: Vec<i64>,
    raw: Vec<&'r str>,
    narrative_id: Vec<Option<NarrativeId>>,
    narrative_copy: Vec<Option<i64>>,
    intake_seq: Vec<Option<i64>>,
}

impl<'r> NewRows<'r> {
    fn with_capacity(n: usize) -> NewRows<'r> {
        NewRows {
            id: Vec::with_capacity(n),
            identity: Vec::with_capacity(n),
            platform: Vec::with_capacity(n),
            external_id: Vec::with_capacity(n),
            url: Vec::with_capacity(n),
            account_id: Vec::with_capacity(n),
            text_copy: Vec::with_capacity(n),
            published_at: Vec::with_capacity(n),
            metrics: std::array::from_fn(|_| Vec::with_capacity(n)),
            fingerprint: Vec::with_capacity(n),
            raw: Vec::with_capacity(n),
            narrative_id: Vec::with_capacity(n),
            narrative_copy: Vec::with_capacity(n),
            intake_seq: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, new: &NewRecord<'r>, intake_seq: Option<i64>) {
        let (record, item) = (new.record, new.record.item);
        self.id.push(new.id);
        self.identity.push(&record.identity.0);
        self.platform.push(&item.platform);
        self.external_id.push(item.external_id.as_deref());
        self.url.push(item.url.as_deref());
        self.account_id.push(new.account);
        self.text_copy.push(new.text_copy());
        self.published_at.push(item.published_at.timestamp());
        for (column, value) in self.metrics.iter_mut().zip(new.metrics) {
            column.push(value);
        }
        self.fingerprint.push(record.fingerprint as i64);
        self.raw.push(&item.raw);
        self.narrative_id.push(new.placement.map(|p| p.narrative));
        self.narrative_copy.push(new.placement.map(|p| p.copy));
        self.intake_seq.push(intake_seq);
    }

    /// Inserts the rows whose identity is not stored yet, in identity order (writers inserting the same
    /// identities wait for each other rather than deadlock); returns how many it inserted.
    fn insert(&self, client: &mut Client, plan: &ItemPlan) -> Result<u64> {
        let [views, shares, likes, replies] = &self.metrics;
        Ok(client.execute(
            "INSERT INTO items (id, identity, platform, external_id, url, account_id, text_copy, published_at,
                                first_seen_at, views, shares, likes, replies, fingerprint, source_id, raw,
                                narrative_id, narrative_copy, intake_seq)
             SELECT id, identity, platform, external_id, url, account_id, text_copy, published_at, $17::bigint,
                    views, shares, likes, replies, fingerprint, $18::bigint, raw, narrative_id, narrative_copy,
                    intake_seq
               FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                           $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[],
                           $13::bigint[], $14::text[], $15::bigint[], $16::bigint[], $19::bigint[])
                    AS u(id, identity, platform, external_id, url, account_id, text_copy, published_at, views,
                         shares, likes, replies, fingerprint, raw, narrative_id, narrative_copy, intake_seq)
              ORDER BY identity
             ON CONFLICT (identity) DO NOTHING",
            &[
                &self.id,
                &self.identity,
                &self.platform,
                &self.external_id,
                &self.url,
                &self.account_id,
                &self.text_copy,
                &self.published_at,
                views,
                shares,
                likes,
                replies,
                &self.fingerprint,
                &self.raw,
                &self.narrative_id,
                &self.narrative_copy,
                &plan.now,
                &plan.source_id,
                &self.intake_seq,
            ],
        )?)
    }
}

impl NewRows<'_> {
    /// For an import: it holds the import lock, under which no other writer stores items, and has just
    /// looked up which identities are stored, so its new rows go in by binary `COPY`, PostgreSQL's fastest
    /// way in. (A writer that stored items without the lock would make the copy fail on the unique
    /// identity, and the batch with it, rather than store anything twice.) Returns how many it copied.
    fn copy(&self, client: &mut Client, plan: &ItemPlan) -> Result<u64> {
        use ::postgres::types::Type;
        let sink = client.copy_in(
            "COPY items (id, identity, platform, external_id, url, account_id, text_copy, published_at,
                         first_seen_at, views, shares, likes, replies, fingerprint, source_id, raw,
                         narrative_id, narrative_copy, intake_seq) FROM STDIN (FORMAT binary)",
        )?;
        let (int, text) = (Type::INT8, Type::TEXT);
        let types = [
            int.clone(),
            Type::BYTEA,
            text.clone(),
            text.clone(),
            text.clone(),
            int.clone(),
            text.clone(),
            int.clone(),
            int.clone(),
            int.clone(),
            int.clone(),
            int.clone(),
            int.clone(),
            int.clone(),
            int.clone(),
            text,
            int.clone(),
            int.clone(),
            int,
        ];
        let mut writer = ::postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        let [views, shares, likes, replies] = &self.metrics;
        for i in 0..self.id.len() {
            writer.write(&[
                &self.id[i],
                &self.identity[i],
                &self.platform[i],
                &self.external_id[i],
                &self.url[i],
                &self.account_id[i],
                &self.text_copy[i],
                &self.published_at[i],
                &plan.now,
                &views[i],
                &shares[i],
                &likes[i],
                &replies[i],
                &self.fingerprint[i],
                &plan.source_id,
                &self.raw[i],
                &self.narrative_id[i],
                &self.narrative_copy[i],
                &self.intake_seq[i],
            ])?;
        }
        Ok(writer.finish()?)
    }
}

/// After an insert that skipped some rows: another writer stored those identities first (the insert
/// waited for its commit), so each of ours is a repeat of its row, a duplicate or an update of its metrics
/// as if ours had come second. Marks the skipped rows in `lost`.
fn settle_lost(client: &mut Client, rows: &NewRows<'_>, counts: &mut WriteCounts, lost: &mut [bool]) -> Result<()> {
    let winners = client.query(
        "SELECT i.identity, i.id, i.views, i.shares, i.likes, i.replies
           FROM items i JOIN unnest($1::bytea[], $2::bigint[]) AS u(identity, id) ON i.identity = u.identity
          WHERE i.id <> u.id",
        &[&rows.identity, &rows.id],
    )?;
    let position: FxHashMap<&[u8], usize> =
        rows.identity.iter().enumerate().map(|(i, &identity)| (identity, i)).collect();
    let mut changed = FxHashMap::default();
    for winner in winners {
        let identity = identity_of(&winner, 0)?;
        let i = position[&identity[..]];
        let mut stored = [winner.get(2), winner.get(3), winner.get(4), winner.get(5)];
        let ours = std::array::from_fn(|m| rows.metrics[m][i]);
        counts.new -= 1;
        if counts.count_repeat(&mut stored, ours) {
            changed.insert(winner.get(1), ours);
        }
        lost[i] = true;
    }
    update_metrics(client, changed)
}

fn stored_item(r: &Row) -> StoredItem {
    let author = r.get::<_, Option<String>>(4).map(|id| Author { id, handle: r.get(5) });
    StoredItem {
        id: r.get(0),
        platform: r.get(1),
        external_id: r.get(2),
        url: r.get(3),
        author,
        text: r.get(6),
        published_at: timestamp(r.get(7)),
        first_seen_at: timestamp(r.get(8)),
        metrics: Metrics {
            views: r.get::<_, i64>(9) as u64,
            shares: r.get::<_, i64>(10) as u64,
            likes: r.get::<_, i64>(11) as u64,
            replies: r.get::<_, i64>(12) as u64,
        },
        fingerprint: r.get::<_, i64>(13) as u64,
        raw: r.get(14),
        narrative_id: r.get(15),
    }
}
