//! Narratives on SQLite.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use tangkal_model::{ItemId, NarrativeId};

use crate::narratives::{clamp, join_platforms, order_by, split_platforms, SELECT_NARRATIVE};
use crate::{
    HourlyPosts, NarrativeAccount, NarrativeInput, NarrativeMerge, NarrativeOrder, NarrativePost, NarrativeRow,
    NarrativeStore, NarrativeUpdate, NarrativeVariant, Result, SqliteStore,
};

fn narrative_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NarrativeRow> {
    let platforms: String = r.get(5)?;
    Ok(NarrativeRow {
        id: r.get(0)?,
        first_seen: r.get(1)?,
        last_seen: r.get(2)?,
        items: r.get::<_, i64>(3)? as u64,
        accounts: r.get::<_, i64>(4)? as u64,
        platforms: split_platforms(&platforms),
        views: r.get::<_, i64>(6)? as u64,
        shares: r.get::<_, i64>(7)? as u64,
        velocity_1h: r.get(8)?,
        velocity_6h: r.get(9)?,
        velocity_24h: r.get(10)?,
        accelerating: r.get::<_, i64>(11)? != 0,
        representative_item_id: r.get::<_, Option<ItemId>>(12)?.unwrap_or_default(),
    })
}

/// Every post of `narrative_posts`, in the order of the index `items_narrative`.
pub(crate) const SELECT_POSTS: &str =
    "SELECT id, narrative_id, COALESCE(narrative_copy, 0), account_id, published_at FROM items
    WHERE narrative_id IS NOT NULL AND account_id IS NOT NULL
    ORDER BY narrative_id, published_at, platform, account_id, narrative_copy, id";

impl NarrativeStore for SqliteStore {
    fn items_after(&self, after_id: ItemId, limit: u64) -> Result<Vec<NarrativeInput>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT i.id, i.platform, a.external_id, ",
            item_text!("i"),
            ", i.published_at, i.views, i.shares
             FROM items i LEFT JOIN accounts a ON a.id = i.account_id
             WHERE i.id > ?1 ORDER BY i.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after_id, clamp(limit)], |r| {
            Ok(NarrativeInput {
                id: r.get(0)?,
                platform: r.get(1)?,
                account: r.get(2)?,
                text: r.get(3)?,
                published_at: r.get(4)?,
                views: r.get::<_, i64>(5)?.max(0) as u64,
                shares: r.get::<_, i64>(6)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn save_narratives(&mut self, update: &NarrativeUpdate) -> Result<()> {
        let now = chrono::Utc::now().timestamp();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut assign =
                tx.prepare_cached("UPDATE items SET narrative_id = ?2, narrative_copy = ?3 WHERE id = ?1")?;
            for &(item, narrative, copy) in &update.assignments {
                assign.execute(params![item, narrative, copy])?;
            }
            // An update of the figures, then an insert when there was no row: unlike an upsert, neither
            // statement needs a statement journal (a copy of every page it touches), and the rare
            // change of the central copy, a foreign key, is a statement of its own.
            let mut figures = tx.prepare_cached(
                "UPDATE narratives SET first_seen = ?2, last_seen = ?3, items = ?4, accounts = ?5, platforms = ?6,
                     views = ?7, shares = ?8, velocity_1h = ?9, velocity_6h = ?10, velocity_24h = ?11,
                     accelerating = ?12, updated_at = ?13
                 WHERE id = ?1",
            )?;
            let mut recentre = tx.prepare_cached(
                "UPDATE narratives SET representative_item_id = ?2 WHERE id = ?1 AND representative_item_id IS NOT ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO narratives (id, first_seen, last_seen, items, accounts, platforms, views, shares,
                     velocity_1h, velocity_6h, velocity_24h, accelerating, updated_at, representative_item_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for n in &update.figures {
                let platforms = join_platforms(&n.platforms);
                let values = params![
                    n.id,
                    n.first_seen,
                    n.last_seen,
                    clamp(n.items),
                    clamp(n.accounts),
                    platforms,
                    clamp(n.views),
                    clamp(n.shares),
                    n.velocity_1h,
                    n.velocity_6h,
                    n.velocity_24h,
                    n.accelerating as i64,
                    now,
                    n.representative_item_id,
                ];
                if figures.execute(&values[..13])? == 1 {
                    recentre.execute(params![n.id, n.representative_item_id])?;
                } else {
                    insert.execute(values)?;
                }
            }
            let mut record = tx.prepare_cached(
                "INSERT INTO narrative_merges (absorbed, into_id, item_id, merged_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (absorbed) DO NOTHING",
            )?;
            let mut retire = tx.prepare_cached(
                "UPDATE narratives SET merged_into = ?2, items = 0, velocity_1h = 0, velocity_6h = 0,
                     velocity_24h = 0, updated_at = ?3 WHERE id = ?1",
            )?;
            let mut move_items = tx.prepare_cached("UPDATE items SET narrative_id = ?2 WHERE narrative_id = ?1")?;
            // A narrative can start and be absorbed within one update, before it ever had figures.
            let mut ensure = tx.prepare_cached(
                "INSERT INTO narratives (id, first_seen, last_seen, items, accounts, platforms, views, shares,
                     velocity_1h, velocity_6h, velocity_24h, accelerating, updated_at)
                 VALUES (?1, 0, 0, 0, 0, '', 0, 0, 0, 0, 0, 0, ?2) ON CONFLICT (id) DO NOTHING",
            )?;
            for m in &update.merges {
                ensure.execute(params![m.absorbed, now])?;
                ensure.execute(params![m.into, now])?;
                record.execute(params![m.absorbed, m.into, m.item_id, now])?;
                retire.execute(params![m.absorbed, m.into, now])?;
                move_items.execute(params![m.absorbed, m.into])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn list_narratives(&self, order: NarrativeOrder, limit: u64, offset: u64) -> Result<Vec<NarrativeRow>> {
        let sql =
            format!("{SELECT_NARRATIVE} WHERE merged_into IS NULL ORDER BY {}, id LIMIT ?1 OFFSET ?2", order_by(order));
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![clamp(limit), clamp(offset)], narrative_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn get_narrative(&self, id: NarrativeId) -> Result<Option<NarrativeRow>> {
        let mut id = id;
        // Merges always point to an older id, so this walk ends.
        while let Some(into) = self
            .conn
            .query_row("SELECT into_id FROM narrative_merges WHERE absorbed = ?1", params![id], |r| r.get(0))
            .optional()?
        {
            id = into;
        }
        let sql = format!("{SELECT_NARRATIVE} WHERE id = ?1");
        Ok(self.conn.query_row(&sql, params![id], narrative_row).optional()?)
    }

    fn narrative_merges(&self, id: NarrativeId) -> Result<Vec<NarrativeMerge>> {
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE absorbed (id) AS (
                 SELECT absorbed FROM narrative_merges WHERE into_id = ?1
                 UNION SELECT m.absorbed FROM narrative_merges m JOIN absorbed a ON m.into_id = a.id)
             SELECT m.absorbed, m.into_id, m.item_id FROM narrative_merges m JOIN absorbed a ON m.absorbed = a.id
             ORDER BY m.absorbed",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            Ok(NarrativeMerge {
                absorbed: r.get(0)?,
                into: r.get(1)?,
                item_id: r.get::<_, Option<ItemId>>(2)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_item_ids(&self, id: NarrativeId, limit: u64) -> Result<Vec<ItemId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE narrative_id = ?1 ORDER BY published_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, clamp(limit)], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_variants(&self, id: NarrativeId, limit: u64) -> Result<Vec<NarrativeVariant>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT MIN(i.id), COUNT(*), COUNT(DISTINCT i.account_id), MIN(i.published_at), MAX(i.published_at),
                    MAX(i.id = n.representative_item_id)
             FROM items i JOIN narratives n ON n.id = i.narrative_id
             WHERE i.narrative_id = ?1
             GROUP BY i.narrative_copy ORDER BY COUNT(*) DESC, MIN(i.id) LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, clamp(limit)], |r| {
            Ok(NarrativeVariant {
                first_item_id: r.get(0)?,
                posts: r.get::<_, i64>(1)? as u64,
                accounts: r.get::<_, i64>(2)? as u64,
                first_seen: r.get(3)?,
                last_seen: r.get(4)?,
                central: r.get::<_, Option<i64>>(5)?.unwrap_or(0) != 0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_accounts(&self, id: NarrativeId, limit: u64) -> Result<Vec<NarrativeAccount>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.platform, a.external_id, a.handle, COUNT(*), MIN(i.published_at), MAX(i.published_at)
             FROM items i JOIN accounts a ON a.id = i.account_id
             WHERE i.narrative_id = ?1
             GROUP BY a.id ORDER BY COUNT(*) DESC, MIN(i.published_at), a.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, clamp(limit)], |r| {
            Ok(NarrativeAccount {
                account_id: r.get(0)?,
                platform: r.get(1)?,
                external_id: r.get(2)?,
                handle: r.get(3)?,
                posts: r.get::<_, i64>(4)? as u64,
                first_seen: r.get(5)?,
                last_seen: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_spread(&self, id: NarrativeId, since: i64) -> Result<Vec<HourlyPosts>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.published_at - i.published_at % 3600, i.platform, COUNT(*)
             FROM items i WHERE i.narrative_id = ?1 AND i.published_at >= ?2
             GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let rows = stmt.query_map(params![id, since], |r| {
            Ok(HourlyPosts { hour: r.get(0)?, platform: r.get(1)?, posts: r.get::<_, i64>(2)? as u64 })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narratives_revision(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM items), (SELECT COALESCE(MAX(updated_at), 0) FROM narratives)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    fn narrative_posts(&self) -> Result<Vec<NarrativePost>> {
        let mut stmt = self.conn.prepare(SELECT_POSTS)?;
        let rows = stmt.query_map([], |r| {
            Ok(NarrativePost {
                item_id: r.get(0)?,
                narrative: r.get(1)?,
                copy: r.get(2)?,
                platform_account: r.get(3)?,
                published_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
