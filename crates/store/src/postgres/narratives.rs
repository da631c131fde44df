//! Narratives on PostgreSQL. An update of the narrative stage travels as arrays, a statement per kind of
//! change rather than per row, with the outcome of SQLite's row-by-row writes: the last assignment or
//! figures of a row win, the first merge of a narrative is the one recorded, and items follow a chain of
//! merges made within one update to its end. Narratives and merges are written in id order, so that two
//! writers of the same narratives wait for each other instead of deadlocking.

use std::collections::{BTreeMap, BTreeSet};
use tangkal_model::{ItemId, NarrativeId};

use ::postgres::types::ToSql;
use ::postgres::Row;

use super::connection::GenericClient;
use super::PostgresStore;
use crate::narratives::{clamp, join_platforms, order_by, split_platforms, SELECT_NARRATIVE};
use crate::{
    HourlyPosts, NarrativeAccount, NarrativeInput, NarrativeMerge, NarrativeOrder, NarrativePost, NarrativeRow,
    NarrativeStore, NarrativeUpdate, NarrativeVariant, Result, StoreError,
};

fn narrative_row(r: &Row) -> NarrativeRow {
    NarrativeRow {
        id: r.get(0),
        first_seen: r.get(1),
        last_seen: r.get(2),
        items: r.get::<_, i64>(3) as u64,
        accounts: r.get::<_, i64>(4) as u64,
        platforms: split_platforms(r.get(5)),
        views: r.get::<_, i64>(6) as u64,
        shares: r.get::<_, i64>(7) as u64,
        velocity_1h: r.get(8),
        velocity_6h: r.get(9),
        velocity_24h: r.get(10),
        accelerating: r.get(11),
        representative_item_id: r.get::<_, Option<ItemId>>(12).unwrap_or_default(),
    }
}

/// Where the items of each absorbed narrative end up once `merges` are applied in order (a merge moves
/// the items its absorbed narrative holds at that point, including those moved into it by earlier
/// merges). Walked backwards: a narrative absorbed into `into` ends where `into`'s items end after it.
fn merge_destinations(merges: &[NarrativeMerge]) -> BTreeMap<NarrativeId, NarrativeId> {
    let mut end = BTreeMap::new();
    for m in merges.iter().rev() {
        let to = end.get(&m.into).copied().unwrap_or(m.into);
        end.insert(m.absorbed, to);
    }
    end
}

/// What the narrative index reads of an item, from the columns id, platform, account, text, published_at,
/// views and shares starting at `first`.
pub(super) fn narrative_input(r: &Row, first: usize) -> Result<NarrativeInput> {
    let id: ItemId = r.get(first);
    Ok(NarrativeInput {
        id,
        platform: r.get(first + 1),
        account: r.get(first + 2),
        text: r
            .try_get(first + 3)
            .map_err(|_| StoreError::Corrupt(format!("item {id}: the raw record holds no text")))?,
        published_at: r.get(first + 4),
        views: r.get::<_, i64>(first + 5).max(0) as u64,
        shares: r.get::<_, i64>(first + 6).max(0) as u64,
    })
}

impl NarrativeStore for PostgresStore {
    fn items_after(&self, after_id: ItemId, limit: u64) -> Result<Vec<NarrativeInput>> {
        let rows = self.client().query(
            concat!("SELECT ", narrative_inputs_from_items!(), " WHERE i.id > $1 ORDER BY i.id LIMIT $2"),
            &[&after_id, &clamp(limit)],
        )?;
        rows.iter().map(|r| narrative_input(r, 0)).collect()
    }

    fn save_narratives(&mut self, update: &NarrativeUpdate) -> Result<()> {
        let now = chrono::Utc::now().timestamp();
        let mut client = self.client();
        let mut tx = client.transaction()?;

        let assignments: BTreeMap<ItemId, (NarrativeId, i64)> =
            update.assignments.iter().map(|&(item, narrative, copy)| (item, (narrative, copy))).collect();
        if !assignments.is_empty() {
            let items: Vec<ItemId> = assignments.keys().copied().collect();
            let (narratives, copies): (Vec<NarrativeId>, Vec<i64>) = assignments.values().copied().unzip();
            tx.execute(
                "UPDATE items SET narrative_id = v.narrative, narrative_copy = v.copy
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS v (id, narrative, copy)
                 WHERE items.id = v.id",
                &[&items, &narratives, &copies],
            )?;
        }

        let figures: BTreeMap<NarrativeId, &NarrativeRow> = update.figures.iter().map(|n| (n.id, n)).collect();
        if !figures.is_empty() {
            let column = |f: fn(&NarrativeRow) -> i64| figures.values().map(|&n| f(n)).collect::<Vec<i64>>();
            let velocity = |f: fn(&NarrativeRow) -> f64| figures.values().map(|&n| f(n)).collect::<Vec<f64>>();
            let platforms: Vec<String> = figures.values().map(|n| join_platforms(&n.platforms)).collect();
            let accelerating: Vec<bool> = figures.values().map(|n| n.accelerating).collect();
            tx.execute(
                "INSERT INTO narratives (id, first_seen, last_seen, items, accounts, platforms, views, shares,
                     velocity_1h, velocity_6h, velocity_24h, accelerating, representative_item_id, updated_at)
                 SELECT *, $14::bigint FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
                     $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::float8[], $10::float8[],
                     $11::float8[], $12::boolean[], $13::bigint[])
                 ON CONFLICT (id) DO UPDATE SET first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
                     items = EXCLUDED.items, accounts = EXCLUDED.accounts, platforms = EXCLUDED.platforms,
                     views = EXCLUDED.views, shares = EXCLUDED.shares, velocity_1h = EXCLUDED.velocity_1h,
                     velocity_6h = EXCLUDED.velocity_6h, velocity_24h = EXCLUDED.velocity_24h,
                     accelerating = EXCLUDED.accelerating, representative_item_id = EXCLUDED.representative_item_id,
                     updated_at = EXCLUDED.updated_at",
                &[
                    &column(|n| i64::from(n.id)) as &(dyn ToSql + Sync),
                    &column(|n| n.first_seen),
                    &column(|n| n.last_seen),
                    &column(|n| clamp(n.items)),
                    &column(|n| clamp(n.accounts)),
                    &platforms,
                    &column(|n| clamp(n.views)),
                    &column(|n| clamp(n.shares)),
                    &velocity(|n| n.velocity_1h),
                    &velocity(|n| n.velocity_6h),
                    &velocity(|n| n.velocity_24h),
                    &accelerating,
                    &column(|n| n.representative_item_id.get()),
                    &now,
                ],
            )?;
        }

        if !update.merges.is_empty() {
            // A narrative can start and be absorbed within one update, before it ever had figures.
            let named: BTreeSet<NarrativeId> = update.merges.iter().flat_map(|m| [m.absorbed, m.into]).collect();
            let named: Vec<NarrativeId> = named.into_iter().collect();
            tx.execute(
                "INSERT INTO narratives (id, first_seen, last_seen, items, accounts, platforms, views, shares,
                     velocity_1h, velocity_6h, velocity_24h, accelerating, updated_at)
                 SELECT id, 0, 0, 0, 0, '', 0, 0, 0, 0, 0, false, $2 FROM UNNEST($1::bigint[]) AS n (id)
                 ON CONFLICT (id) DO NOTHING",
                &[&named, &now],
            )?;
            // The first merge of a narrative is the one recorded, here as in an earlier update.
            let mut recorded = BTreeMap::new();
            for m in &update.merges {
                recorded.entry(m.absorbed).or_insert((m.into, m.item_id));
            }
            let absorbed: Vec<NarrativeId> = recorded.keys().copied().collect();
            let (into, bridges): (Vec<NarrativeId>, Vec<ItemId>) = recorded.into_values().unzip();
            tx.execute(
                "INSERT INTO narrative_merges (absorbed, into_id, item_id, merged_at)
                 SELECT *, $4::bigint FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[])
                 ON CONFLICT (absorbed) DO NOTHING",
                &[&absorbed, &into, &bridges, &now],
            )?;
            // The last merge of a narrative names where it went, as when merges are written one by one.
            let retired: BTreeMap<NarrativeId, NarrativeId> =
                update.merges.iter().map(|m| (m.absorbed, m.into)).collect();
            let (absorbed, into): (Vec<NarrativeId>, Vec<NarrativeId>) = retired.into_iter().unzip();
            tx.execute(
                "UPDATE narratives SET merged_into = m.into_id, items = 0, velocity_1h = 0, velocity_6h = 0,
                     velocity_24h = 0, updated_at = $3
                 FROM UNNEST($1::bigint[], $2::bigint[]) AS m (absorbed, into_id)
                 WHERE narratives.id = m.absorbed",
                &[&absorbed, &into, &now],
            )?;
            let (from, to): (Vec<NarrativeId>, Vec<NarrativeId>) =
                merge_destinations(&update.merges).into_iter().unzip();
            tx.execute(
                "UPDATE items SET narrative_id = m.to_id
                 FROM UNNEST($1::bigint[], $2::bigint[]) AS m (from_id, to_id)
                 WHERE items.narrative_id = m.from_id",
                &[&from, &to],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn list_narratives(&self, order: NarrativeOrder, limit: u64, offset: u64) -> Result<Vec<NarrativeRow>> {
        let sql =
            format!("{SELECT_NARRATIVE} WHERE merged_into IS NULL ORDER BY {}, id LIMIT $1 OFFSET $2", order_by(order));
        let rows = self.client().query(&sql, &[&clamp(limit), &clamp(offset)])?;
        Ok(rows.iter().map(narrative_row).collect())
    }

    fn get_narrative(&self, id: NarrativeId) -> Result<Option<NarrativeRow>> {
        // Merges always point to an older id, so this walk ends.
        let sql = format!(
            "WITH RECURSIVE walk (id, depth) AS (
                 SELECT $1::bigint, 0
                 UNION ALL SELECT m.into_id, w.depth + 1 FROM narrative_merges m JOIN walk w ON m.absorbed = w.id)
             {SELECT_NARRATIVE} WHERE id = (SELECT id FROM walk ORDER BY depth DESC LIMIT 1)"
        );
        let row = self.client().query_opt(&sql, &[&id])?;
        Ok(row.as_ref().map(narrative_row))
    }

    fn narrative_merges(&self, id: NarrativeId) -> Result<Vec<NarrativeMerge>> {
        let rows = self.client().query(
            "WITH RECURSIVE absorbed (id) AS (
                 SELECT absorbed FROM narrative_merges WHERE into_id = $1
                 UNION SELECT m.absorbed FROM narrative_merges m JOIN absorbed a ON m.into_id = a.id)
             SELECT m.absorbed, m.into_id, m.item_id FROM narrative_merges m JOIN absorbed a ON m.absorbed = a.id
             ORDER BY m.absorbed",
            &[&id],
        )?;
        Ok(rows
            .iter()
            .map(|r| NarrativeMerge {
                absorbed: r.get(0),
                into: r.get(1),
                item_id: r.get::<_, Option<ItemId>>(2).unwrap_or_default(),
            })
            .collect())
    }

    fn narrative_item_ids(&self, id: NarrativeId, limit: u64) -> Result<Vec<ItemId>> {
        let rows = self.client().query(
            "SELECT id FROM items WHERE narrative_id = $1 ORDER BY published_at DESC, id DESC LIMIT $2",
            &[&id, &clamp(limit)],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn narrative_posts(&self) -> Result<Vec<NarrativePost>> {
        // `platform` in bytes order, as SQLite compares text.
        let rows = self.client().query(
            "SELECT id, narrative_id, COALESCE(narrative_copy, 0), account_id, published_at FROM items
             WHERE narrative_id IS NOT NULL AND account_id IS NOT NULL
             ORDER BY narrative_id, published_at, platform COLLATE \"C\", account_id, narrative_copy NULLS FIRST, id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| NarrativePost {
                item_id: r.get(0),
                narrative: r.get(1),
                copy: r.get(2),
                platform_account: r.get(3),
                published_at: r.get(4),
            })
            .collect())
    }

    fn narrative_variants(&self, id: NarrativeId, limit: u64) -> Result<Vec<NarrativeVariant>> {
        let rows = self.client().query(
            "SELECT MIN(i.id), COUNT(*), COUNT(DISTINCT i.account_id), MIN(i.published_at), MAX(i.published_at),
                    bool_or(i.id = n.representative_item_id)
             FROM items i JOIN narratives n ON n.id = i.narrative_id
             WHERE i.narrative_id = $1
             GROUP BY i.narrative_copy ORDER BY COUNT(*) DESC, MIN(i.id) LIMIT $2",
            &[&id, &clamp(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|r| NarrativeVariant {
                first_item_id: r.get(0),
                posts: r.get::<_, i64>(1) as u64,
                accounts: r.get::<_, i64>(2) as u64,
                first_seen: r.get(3),
                last_seen: r.get(4),
                central: r.get::<_, Option<bool>>(5).unwrap_or(false),
            })
            .collect())
    }

    fn narrative_accounts(&self, id: NarrativeId, limit: u64) -> Result<Vec<NarrativeAccount>> {
        let rows = self.client().query(
            "SELECT a.id, a.platform, a.external_id, a.handle, COUNT(*), MIN(i.published_at), MAX(i.published_at)
             FROM items i JOIN accounts a ON a.id = i.account_id
             WHERE i.narrative_id = $1
             GROUP BY a.id ORDER BY COUNT(*) DESC, MIN(i.published_at), a.id LIMIT $2",
            &[&id, &clamp(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|r| NarrativeAccount {
                account_id: r.get(0),
                platform: r.get(1),
                external_id: r.get(2),
                handle: r.get(3),
                posts: r.get::<_, i64>(4) as u64,
                first_seen: r.get(5),
                last_seen: r.get(6),
            })
            .collect())
    }

    fn narrative_spread(&self, id: NarrativeId, since: i64) -> Result<Vec<HourlyPosts>> {
        // `platform` in bytes order, as SQLite compares text.
        let rows = self.client().query(
            "SELECT i.published_at - i.published_at % 3600, i.platform, COUNT(*)
             FROM items i WHERE i.narrative_id = $1 AND i.published_at >= $2
             GROUP BY 1, 2 ORDER BY 1, i.platform COLLATE \"C\"",
            &[&id, &since],
        )?;
        Ok(rows
            .iter()
            .map(|r| HourlyPosts { hour: r.get(0), platform: r.get(1), posts: r.get::<_, i64>(2) as u64 })
            .collect())
    }

    fn narratives_revision(&self) -> Result<(i64, i64)> {
        let row = self.client().query_one(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM items), (SELECT COALESCE(MAX(updated_at), 0) FROM narratives)",
            &[],
        )?;
        Ok((row.get(0), row.get(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(absorbed: u32, into: u32) -> NarrativeMerge {
        NarrativeMerge { absorbed: NarrativeId(absorbed), into: NarrativeId(into), item_id: ItemId(0) }
    }

    /// Where each absorbed narrative's items end, as bare numbers.
    fn destinations(merges: &[NarrativeMerge]) -> BTreeMap<u32, u32> {
        merge_destinations(merges).into_iter().map(|(absorbed, into)| (absorbed.get(), into.get())).collect()
    }

    #[test]
    fn items_follow_merges_in_the_order_they_were_made() {
        // 3 into 2, then 2 into 1: what 3 held is in 1 at the end.
        assert_eq!(destinations(&[merge(3, 2), merge(2, 1)]), BTreeMap::from([(2, 1), (3, 1)]));
        // 2 into 1 first: what 3 held moves into 2 afterwards and stays there.
        assert_eq!(destinations(&[merge(2, 1), merge(3, 2)]), BTreeMap::from([(2, 1), (3, 2)]));
        // A second merge of 3 finds it empty.
        assert_eq!(destinations(&[merge(3, 2), merge(3, 1)]), BTreeMap::from([(3, 2)]));
        assert!(merge_destinations(&[]).is_empty());
    }
}
