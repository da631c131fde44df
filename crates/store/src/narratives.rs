//! Narratives: each item's narrative, the figures per narrative, and the merge history.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::{Result, SqliteStore};

/// What the narrative index reads of a stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeInput {
    pub id: i64,
    pub platform: String,
    /// The platform's account id.
    pub account: Option<String>,
    pub text: String,
    pub published_at: i64,
    pub views: u64,
    pub shares: u64,
}

/// The figures of one narrative, as the tracker computed them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NarrativeRow {
    pub id: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub items: u64,
    pub accounts: u64,
    pub platforms: Vec<String>,
    pub views: u64,
    pub shares: u64,
    pub velocity_1h: f64,
    pub velocity_6h: f64,
    pub velocity_24h: f64,
    pub accelerating: bool,
    pub representative_item_id: i64,
}

/// One merge: `absorbed` is now part of `into`, proved by `item_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NarrativeMerge {
    pub absorbed: i64,
    pub into: i64,
    pub item_id: i64,
}

/// Everything one step of the narrative stage writes, atomically.
#[derive(Debug, Clone, Default)]
pub struct NarrativeUpdate {
    /// (item, narrative, copy): the narrative each item joined and the variant it copied.
    pub assignments: Vec<(i64, i64, i64)>,
    pub merges: Vec<NarrativeMerge>,
    /// Narratives whose figures changed.
    pub figures: Vec<NarrativeRow>,
}

/// How `list_narratives` orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NarrativeOrder {
    Velocity,
    Size,
    Reach,
    Recent,
}

/// A stored post as coordination detection reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NarrativePost {
    pub item_id: i64,
    pub narrative: i64,
    pub copy: i64,
    pub platform_account: i64,
    pub published_at: i64,
}

/// The copies of a narrative that count towards one variant (one representative text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NarrativeVariant {
    /// The first item of the variant: the text that started it.
    pub first_item_id: i64,
    pub posts: u64,
    pub accounts: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The variant holds the narrative's central copy.
    pub central: bool,
}

/// An account that posted a narrative, with its posts in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NarrativeAccount {
    pub account_id: i64,
    pub platform: String,
    pub external_id: String,
    pub handle: Option<String>,
    pub posts: u64,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// Posts of a narrative on one platform in one hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourlyPosts {
    /// The hour's start, UTC seconds.
    pub hour: i64,
    pub platform: String,
    pub posts: u64,
}

pub trait NarrativeStore {
    /// Items stored after `after_id`, in storage order: what the narrative stage has not seen yet.
    fn items_after(&self, after_id: i64, limit: u64) -> Result<Vec<NarrativeInput>>;
    /// Writes assignments, merges and figures in one transaction. Items of an absorbed narrative
    /// move to the narrative that absorbed it.
    fn save_narratives(&mut self, update: &NarrativeUpdate) -> Result<()>;
    /// Live narratives (not merged away).
    fn list_narratives(&self, order: NarrativeOrder, limit: u64, offset: u64) -> Result<Vec<NarrativeRow>>;
    /// A narrative by any id it ever had: merged ids resolve to the narrative that absorbed them.
    fn get_narrative(&self, id: i64) -> Result<Option<NarrativeRow>>;
    /// Narratives merged into `id`, directly or through others.
    fn narrative_merges(&self, id: i64) -> Result<Vec<NarrativeMerge>>;
    /// Ids of the items of a narrative, newest first.
    fn narrative_item_ids(&self, id: i64, limit: u64) -> Result<Vec<i64>>;
    /// Every post with a narrative and an account, for coordination detection.
    fn narrative_posts(&self) -> Result<Vec<NarrativePost>>;
    /// The largest variants of a narrative (by posts), at most `limit`.
    fn narrative_variants(&self, id: i64, limit: u64) -> Result<Vec<NarrativeVariant>>;
    /// The accounts that posted a narrative most, at most `limit`.
    fn narrative_accounts(&self, id: i64, limit: u64) -> Result<Vec<NarrativeAccount>>;
    /// Posts per hour and platform of a narrative, from `since` (UTC seconds), oldest first.
    fn narrative_spread(&self, id: i64, since: i64) -> Result<Vec<HourlyPosts>>;
    /// Changes whenever an item is stored or a narrative's figures change: results computed over every
    /// narrative (coordination flags) stay valid while it does not.
    fn narratives_revision(&self) -> Result<(i64, i64)>;
}

const SELECT_NARRATIVE: &str = "SELECT id, first_seen, last_seen, items, accounts, platforms, views, shares,
        velocity_1h, velocity_6h, velocity_24h, accelerating, representative_item_id FROM narratives";

fn narrative_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NarrativeRow> {
    let platforms: String = r.get(5)?;
    Ok(NarrativeRow {
        id: r.get(0)?,
        first_seen: r.get(1)?,
        last_seen: r.get(2)?,
        items: r.get::<_, i64>(3)? as u64,
        accounts: r.get::<_, i64>(4)? as u64,
        platforms: platforms.split_whitespace().map(str::to_owned).collect(),
        views: r.get::<_, i64>(6)? as u64,
        shares: r.get::<_, i64>(7)? as u64,
        velocity_1h: r.get(8)?,
        velocity_6h: r.get(9)?,
        velocity_24h: r.get(10)?,
        accelerating: r.get::<_, i64>(11)? != 0,
        representative_item_id: r.get::<_, Option<i64>>(12)?.unwrap_or_default(),
    })
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl NarrativeStore for SqliteStore {
    fn items_after(&self, after_id: i64, limit: u64) -> Result<Vec<NarrativeInput>> {
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
                let platforms = n.platforms.join(" ");
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
        let order_by = match order {
            NarrativeOrder::Velocity => "velocity_1h DESC, velocity_6h DESC, velocity_24h DESC, items DESC",
            NarrativeOrder::Size => "items DESC, last_seen DESC",
            NarrativeOrder::Reach => "views + shares DESC, items DESC",
            NarrativeOrder::Recent => "last_seen DESC",
        };
        let sql = format!("{SELECT_NARRATIVE} WHERE merged_into IS NULL ORDER BY {order_by}, id LIMIT ?1 OFFSET ?2");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![clamp(limit), clamp(offset)], narrative_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn get_narrative(&self, id: i64) -> Result<Option<NarrativeRow>> {
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

    fn narrative_merges(&self, id: i64) -> Result<Vec<NarrativeMerge>> {
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
                item_id: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_item_ids(&self, id: i64, limit: u64) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE narrative_id = ?1 ORDER BY published_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, clamp(limit)], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_variants(&self, id: i64, limit: u64) -> Result<Vec<NarrativeVariant>> {
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

    fn narrative_accounts(&self, id: i64, limit: u64) -> Result<Vec<NarrativeAccount>> {
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

    fn narrative_spread(&self, id: i64, since: i64) -> Result<Vec<HourlyPosts>> {
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
        let mut stmt = self.conn.prepare(
            "SELECT id, narrative_id, COALESCE(narrative_copy, 0), account_id, published_at FROM items
             WHERE narrative_id IS NOT NULL AND account_id IS NOT NULL",
        )?;
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

/// A narrative of one item on `x`, for the tests of stores that refer to narratives.
#[cfg(test)]
pub(crate) fn one_item_narrative(id: i64, representative_item_id: i64) -> NarrativeRow {
    NarrativeRow {
        id,
        first_seen: 1,
        last_seen: 2,
        items: 1,
        accounts: 1,
        platforms: vec!["x".into()],
        views: 0,
        shares: 0,
        velocity_1h: 0.0,
        velocity_6h: 0.0,
        velocity_24h: 0.0,
        accelerating: false,
        representative_item_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ItemRecord, ItemStore, SourceRef};
    use tangkal_model::{parse_json_item, DEFAULT_MAX_TEXT_BYTES};

    fn store_items(store: &mut SqliteStore, n: usize) {
        let items: Vec<_> = (0..n)
            .map(|i| {
                let line = format!(
                    r#"{{"id":"x:{i}","platform":"x","author":{{"id":"u{i}"}},"text":"teks {i}","published_at":"2024-02-03T05:12:4{i}Z","metrics":{{"views":{i}}}}}"#
                );
                parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
            })
            .collect();
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
        store.write_items(&SourceRef { kind: "file".into(), location: "t.jsonl".into() }, &records).unwrap();
    }

    fn row(id: i64, items: u64, velocity: f64, representative: i64) -> NarrativeRow {
        NarrativeRow {
            id,
            first_seen: 10,
            last_seen: 20,
            items,
            accounts: items,
            platforms: vec!["x".into(), "facebook".into()],
            views: 5,
            shares: 1,
            velocity_1h: velocity,
            velocity_6h: velocity,
            velocity_24h: velocity,
            accelerating: velocity > 1.0,
            representative_item_id: representative,
        }
    }

    #[test]
    fn assignments_figures_and_merges_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        store_items(&mut store, 4);
        let pending = store.items_after(0, 10).unwrap();
        assert_eq!(pending.len(), 4);
        assert_eq!(pending[1].account.as_deref(), Some("u1"));
        let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
        assert_eq!(store.items_after(ids[2], 10).unwrap().len(), 1);

        let update = NarrativeUpdate {
            assignments: vec![(ids[0], 1, 0), (ids[1], 1, 0), (ids[2], 2, 1)],
            merges: vec![],
            figures: vec![row(1, 2, 0.5, ids[0]), row(2, 1, 3.0, ids[2])],
        };
        store.save_narratives(&update).unwrap();
        let by_velocity = store.list_narratives(NarrativeOrder::Velocity, 10, 0).unwrap();
        assert_eq!(by_velocity.iter().map(|n| n.id).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(by_velocity[0].platforms, vec!["x", "facebook"]);
        let by_size = store.list_narratives(NarrativeOrder::Size, 10, 0).unwrap();
        assert_eq!(by_size[0].id, 1);

        let merge = NarrativeUpdate {
            assignments: vec![(ids[3], 1, 0)],
            merges: vec![
                NarrativeMerge { absorbed: 2, into: 1, item_id: ids[3] },
                NarrativeMerge { absorbed: 3, into: 1, item_id: ids[3] },
            ],
            figures: vec![row(1, 4, 1.0, ids[0])],
        };
        store.save_narratives(&merge).unwrap();
        assert_eq!(store.get_narrative(2).unwrap().unwrap().id, 1, "a merged id resolves");
        assert_eq!(store.get_narrative(3).unwrap().unwrap().id, 1, "so does one that never had figures");
        assert_eq!(store.narrative_merges(1).unwrap(), merge.merges);
        assert_eq!(store.narrative_item_ids(1, 10).unwrap().len(), 4);
        assert_eq!(store.list_narratives(NarrativeOrder::Recent, 10, 0).unwrap().len(), 1);
        assert_eq!(store.narrative_posts().unwrap().len(), 4);
        assert!(store.get_narrative(99).unwrap().is_none());
    }

    #[test]
    fn variants_accounts_and_hourly_spread_are_counted_per_narrative() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        store_items(&mut store, 4);
        let ids: Vec<i64> = store.items_after(0, 10).unwrap().iter().map(|p| p.id).collect();
        // Three copies of variant 7 (the central one) and one of variant 8; item 3 is another narrative's.
        let update = NarrativeUpdate {
            assignments: vec![(ids[0], 1, 7), (ids[1], 1, 7), (ids[2], 1, 8), (ids[3], 2, 0)],
            merges: vec![],
            figures: vec![row(1, 3, 1.0, ids[1]), row(2, 1, 1.0, ids[3])],
        };
        store.save_narratives(&update).unwrap();
        let variants = store.narrative_variants(1, 10).unwrap();
        assert_eq!(variants.len(), 2);
        assert_eq!((variants[0].first_item_id, variants[0].posts, variants[0].central), (ids[0], 2, true));
        assert_eq!((variants[1].first_item_id, variants[1].posts, variants[1].central), (ids[2], 1, false));
        assert_eq!(store.narrative_variants(1, 1).unwrap().len(), 1);

        let accounts = store.narrative_accounts(1, 10).unwrap();
        assert_eq!(accounts.len(), 3, "one account per item in the fixture");
        assert!(accounts.iter().all(|a| a.posts == 1 && a.platform == "x"));
        assert_eq!(accounts[0].external_id, "u0", "ties: the earliest poster first");

        // All fixture items are posted within one minute: one hour, one platform.
        let hour = store.narrative_spread(1, 0).unwrap();
        assert_eq!(hour.len(), 1);
        assert_eq!((hour[0].platform.as_str(), hour[0].posts, hour[0].hour % 3600), ("x", 3, 0));
        assert!(store.narrative_spread(1, hour[0].hour + 3600).unwrap().is_empty());

        let before = store.narratives_revision().unwrap();
        store_items(&mut store, 5);
        assert_ne!(store.narratives_revision().unwrap(), before, "a new item moves the revision");
    }
}
