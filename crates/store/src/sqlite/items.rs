//! Posts and articles on SQLite.

use chrono::Utc;
use rusqlite::{params, params_from_iter, OptionalExtension};
use rustc_hash::FxHashMap;
use tangkal_model::{Author, Identity, Item, ItemId, Metrics};

use super::identity_filter::IdentityFilter;
use crate::items::{account_key, hour_of, sort_records, timestamp, to_sql_int, where_clause, SqlArg, StoredMetrics};
use crate::{
    ItemFilter, ItemPlan, ItemRecord, ItemStore, Placement, Result, SourceRef, SqliteStore, StoreError, StoredItem,
    WriteCounts,
};

/// Identities looked up per statement when checking which records of a batch are already stored.
const LOOKUP_CHUNK: usize = 256;

impl SqliteStore {
    /// Which of these identities are stored, with their row id and metrics. The index holds their keys, so
    /// stored items of other identities with the same key may come along: true all the same.
    fn stored_metrics(tx: &rusqlite::Connection, identities: &[Identity]) -> Result<StoredMetrics> {
        let mut stored = StoredMetrics::default();
        for chunk in identities.chunks(LOOKUP_CHUNK) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT identity, id, views, shares, likes, replies FROM items WHERE identity_key IN ({placeholders})"
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(chunk.iter().map(Identity::key)))?;
            while let Some(row) = rows.next()? {
                let identity: [u8; 16] = row.get(0)?;
                stored.insert(identity, (row.get(1)?, [row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?]));
            }
        }
        Ok(stored)
    }

    /// The account row for an item's author, from the cache or upserted.
    fn account_id(
        accounts: &mut FxHashMap<u128, (i64, Option<String>)>,
        tx: &rusqlite::Connection,
        item: &Item,
        now: i64,
    ) -> Result<Option<i64>> {
        let Some(author) = &item.author else { return Ok(None) };
        let key = account_key(&item.platform, &author.id);
        if let Some((id, handle)) = accounts.get(&key) {
            if author.handle.is_none() || *handle == author.handle {
                return Ok(Some(*id));
            }
        }
        // A plain insert, then the row id it made: much cheaper than an upsert with RETURNING, and an
        // existing account (a cache miss after a restart) costs one more lookup.
        let inserted = tx
            .prepare_cached(
                "INSERT INTO accounts (platform, external_id, handle, first_seen_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (platform, external_id) DO NOTHING",
            )?
            .execute(params![item.platform, author.id, author.handle, now])?;
        let id: i64 = if inserted == 1 {
            tx.last_insert_rowid()
        } else {
            let mut find = tx.prepare_cached(
                "UPDATE accounts SET handle = COALESCE(?3, handle) WHERE platform = ?1 AND external_id = ?2
                 RETURNING id",
            )?;
            find.query_row(params![item.platform, author.id, author.handle], |r| r.get(0))?
        };
        accounts.insert(key, (id, author.handle.clone()));
        Ok(Some(id))
    }

    fn plan_in_transaction(&mut self, source: &SourceRef, records: &[ItemRecord<'_>]) -> Result<ItemPlan> {
        if !self.writes_open {
            return Err(StoreError::Internal("items planned outside begin_writes".into()));
        }
        let now = Utc::now().timestamp();
        let tx = &self.conn;
        let source_id: i64 = tx.query_row(
            "INSERT INTO sources (kind, location, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (kind, location) DO UPDATE SET last_seen_at = excluded.last_seen_at
             RETURNING id",
            params![source.kind, source.location, now],
            |r| r.get(0),
        )?;
        if self.bulk && !self.identity_filter.as_ref().map(|filter| filter.is_current(tx)).transpose()?.unwrap_or(false)
        {
            self.identity_filter = Some(IdentityFilter::build(tx)?);
        }
        let maybe_stored: Vec<Identity> = records
            .iter()
            .map(|record| record.identity)
            .filter(|identity| !self.planned.contains_key(&identity.0))
            .filter(|identity| self.identity_filter.as_ref().is_none_or(|filter| filter.may_contain(identity.key())))
            .collect();
        let mut stored = Self::stored_metrics(tx, &maybe_stored)?;
        // Ids are handed out here rather than by the insert, so that placing knows them; this transaction
        // is the only writer, so after the planned ones they are the ids SQLite would have chosen.
        let max_id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) FROM items", [], |r| r.get(0))?;
        let mut next_id = self.planned.values().map(|&(id, _)| id).max().unwrap_or(max_id).max(max_id) + 1;
        let mut plan = ItemPlan { source_id, now, ..ItemPlan::default() };
        let mut update =
            tx.prepare_cached("UPDATE items SET views = ?2, shares = ?3, likes = ?4, replies = ?5 WHERE id = ?1")?;
        let (cache, filter) = (&mut self.accounts, &mut self.identity_filter);
        let mut accounts = Vec::new();
        sort_records(
            &mut plan,
            records,
            &mut self.planned,
            &mut stored,
            |id, metrics| {
                update.execute(params![id, metrics[0], metrics[1], metrics[2], metrics[3]])?;
                Ok(())
            },
            |record| {
                accounts.push(Self::account_id(cache, tx, record.item, now)?);
                if let Some(filter) = filter {
                    filter.insert(record.identity.key());
                }
                next_id += 1;
                Ok(next_id - 1)
            },
        )?;
        plan.accounts = accounts;
        Ok(plan)
    }

    /// One row per statement: a statement that writes several rows needs a statement journal (a copy of
    /// every page it changes) in case it fails half-way, which costs more than the extra executions.
    fn insert_in_transaction(
        &mut self,
        plan: &ItemPlan,
        records: &[ItemRecord<'_>],
        placements: &[Option<Placement>],
    ) -> Result<()> {
        let new = plan.take_new(records, placements, &mut self.planned)?;
        let mut insert = self.conn.prepare_cached(
            "INSERT OR ROLLBACK INTO items (id, identity, identity_key, platform, external_id, url, account_id,
                                text_copy, published_at, first_seen_at, views, shares, likes, replies,
                                fingerprint, source_id, raw, narrative_id, narrative_copy)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        )?;
        // The dashboard's tally of items per hour and platform (migration 0016), in the same transaction.
        let mut hours: FxHashMap<(i64, &str), i64> = FxHashMap::default();
        for new in &new {
            let (record, item, metrics) = (new.record, new.record.item, new.metrics);
            *hours.entry((hour_of(item), item.platform.as_str())).or_default() += 1;
            insert.execute(params![
                new.id,
                record.identity.0,
                record.identity.key(),
                item.platform,
                item.external_id,
                item.url,
                new.account,
                new.text_copy(),
                item.published_at.timestamp(),
                plan.now,
                metrics[0],
                metrics[1],
                metrics[2],
                metrics[3],
                record.fingerprint as i64,
                plan.source_id,
                item.raw,
                new.placement.map(|p| p.narrative),
                new.placement.map(|p| p.copy),
            ])?;
        }
        let mut tally = self.conn.prepare_cached(
            "INSERT INTO item_hours (hour, platform, items) VALUES (?1, ?2, ?3)
             ON CONFLICT (hour, platform) DO UPDATE SET items = items + excluded.items",
        )?;
        for ((hour, platform), items) in hours {
            tally.execute(params![hour, platform, items])?;
        }
        Ok(())
    }

    /// The background checkpointer copies the log into the database while the writer goes on, but the log
    /// only starts over when it has been copied completely at the moment a transaction begins, which a
    /// busy import never waits for: the log would grow to the size of the import. Past a limit, the
    /// writer copies the rest itself (most of it is copied already) so that the next transaction starts it
    /// over.
    fn keep_log_small(&mut self) -> Result<()> {
        if self.log_used.load(std::sync::atomic::Ordering::Relaxed) > self.log_limit {
            self.conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// Ends the open transaction without keeping it: after a failed write, or a failed commit (a
    /// deferred constraint leaves the transaction open).
    fn abandon_writes(&mut self) {
        self.writes_open = false;
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
        // The account cache may name rows that the rollback removed.
        self.accounts.clear();
        self.planned.clear();
    }
}

impl ItemStore for SqliteStore {
    fn begin_writes(&mut self) -> Result<bool> {
        if self.writes_open {
            return Ok(false);
        }
        if self.bulk {
            // See `SqliteStore::tune_for_import`; `PRAGMA foreign_keys` only works outside a transaction.
            self.conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.writes_open = true;
        Ok(true)
    }

    fn commit_writes(&mut self) -> Result<()> {
        if !self.writes_open {
            return Ok(());
        }
        if !self.planned.is_empty() {
            self.abandon_writes();
            return Err(StoreError::Internal("commit with planned items not inserted".into()));
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            self.abandon_writes();
            return Err(e.into());
        }
        self.writes_open = false;
        self.conn.execute_batch("PRAGMA foreign_keys = ON")?;
        if self.bulk {
            self.keep_log_small()?;
        }
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
        self.insert_in_transaction(&plan, records, placements).inspect_err(|_| self.abandon_writes())?;
        Ok(plan.counts)
    }

    fn list_items(&self, filter: &ItemFilter, limit: u64, offset: u64) -> Result<Vec<StoredItem>> {
        let (clause, mut args) = where_clause(filter, '?', item_text!("i"));
        args.push(SqlArg::Int(to_sql_int(limit, "limit")?));
        args.push(SqlArg::Int(to_sql_int(offset, "offset")?));
        let sql = format!(
            "{SELECT_ITEM} {clause} ORDER BY i.published_at DESC, i.id DESC LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), stored_item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn count_items(&self, filter: &ItemFilter) -> Result<u64> {
        if *filter == ItemFilter::default() {
            // The tally holds every item once: a few thousand rows to add instead of a million to count.
            let n: i64 = self.conn.query_row("SELECT COALESCE(SUM(items), 0) FROM item_hours", [], |r| r.get(0))?;
            return Ok(n as u64);
        }
        let (clause, args) = where_clause(filter, '?', item_text!("i"));
        let sql = format!("SELECT COUNT(*) FROM items i {clause}");
        let n: i64 = self.conn.query_row(&sql, params_from_iter(args.iter()), |r| r.get(0))?;
        Ok(n as u64)
    }

    fn get_item(&self, id: ItemId) -> Result<Option<StoredItem>> {
        let sql = format!("{SELECT_ITEM} WHERE i.id = ?1");
        Ok(self.conn.query_row(&sql, params![id], stored_item).optional()?)
    }
}

const SELECT_ITEM: &str = concat!(
    "SELECT i.id, i.platform, i.external_id, i.url, a.external_id, a.handle, ",
    item_text!("i"),
    ", i.published_at, i.first_seen_at, i.views, i.shares, i.likes, i.replies, i.fingerprint, i.raw,
    i.narrative_id FROM items i LEFT JOIN accounts a ON a.id = i.account_id"
);

impl rusqlite::ToSql for SqlArg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            SqlArg::Int(v) => v.to_sql(),
            SqlArg::Text(v) => v.to_sql(),
        }
    }
}

fn stored_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredItem> {
    let author = r.get::<_, Option<String>>(4)?.map(|id| Author { id, handle: r.get(5).ok().flatten() });
    Ok(StoredItem {
        id: r.get(0)?,
        platform: r.get(1)?,
        external_id: r.get(2)?,
        url: r.get(3)?,
        author,
        text: r.get(6)?,
        published_at: timestamp(r.get(7)?),
        first_seen_at: timestamp(r.get(8)?),
        metrics: Metrics {
            views: r.get::<_, i64>(9)? as u64,
            shares: r.get::<_, i64>(10)? as u64,
            likes: r.get::<_, i64>(11)? as u64,
            replies: r.get::<_, i64>(12)? as u64,
        },
        fingerprint: r.get::<_, i64>(13)? as u64,
        raw: r.get(14)?,
        narrative_id: r.get(15)?,
    })
}
