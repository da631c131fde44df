//! Narratives: each item's narrative, the figures per narrative, and the merge history.

use serde::Serialize;
use tangkal_model::{ItemId, NarrativeId};

use crate::Result;

/// What the narrative index reads of a stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeInput {
    pub id: ItemId,
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
    pub id: NarrativeId,
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
    pub representative_item_id: ItemId,
}

/// One merge: `absorbed` is now part of `into`, proved by `item_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NarrativeMerge {
    pub absorbed: NarrativeId,
    pub into: NarrativeId,
    pub item_id: ItemId,
}

/// Everything one step of the narrative stage writes, atomically.
#[derive(Debug, Clone, Default)]
pub struct NarrativeUpdate {
    /// (item, narrative, copy): the narrative each item joined and the variant it copied.
    pub assignments: Vec<(ItemId, NarrativeId, i64)>,
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
    pub item_id: ItemId,
    pub narrative: NarrativeId,
    pub copy: i64,
    pub platform_account: i64,
    pub published_at: i64,
}

/// The copies of a narrative that count towards one variant (one representative text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NarrativeVariant {
    /// The first item of the variant: the text that started it.
    pub first_item_id: ItemId,
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
    fn items_after(&self, after_id: ItemId, limit: u64) -> Result<Vec<NarrativeInput>>;
    /// Writes assignments, merges and figures in one transaction. Items of an absorbed narrative
    /// move to the narrative that absorbed it.
    fn save_narratives(&mut self, update: &NarrativeUpdate) -> Result<()>;
    /// Live narratives (not merged away).
    fn list_narratives(&self, order: NarrativeOrder, limit: u64, offset: u64) -> Result<Vec<NarrativeRow>>;
    /// A narrative by any id it ever had: merged ids resolve to the narrative that absorbed them.
    fn get_narrative(&self, id: NarrativeId) -> Result<Option<NarrativeRow>>;
    /// Narratives merged into `id`, directly or through others.
    fn narrative_merges(&self, id: NarrativeId) -> Result<Vec<NarrativeMerge>>;
    /// Ids of the items of a narrative, newest first.
    fn narrative_item_ids(&self, id: NarrativeId, limit: u64) -> Result<Vec<ItemId>>;
    /// Every post with a narrative and an account, for coordination detection, by narrative and time
    /// (then platform, account, copy and id: the order of the index that covers the query, so no sort).
    fn narrative_posts(&self) -> Result<Vec<NarrativePost>>;
    /// The largest variants of a narrative (by posts), at most `limit`.
    fn narrative_variants(&self, id: NarrativeId, limit: u64) -> Result<Vec<NarrativeVariant>>;
    /// The accounts that posted a narrative most, at most `limit`.
    fn narrative_accounts(&self, id: NarrativeId, limit: u64) -> Result<Vec<NarrativeAccount>>;
    /// Posts per hour and platform of a narrative, from `since` (UTC seconds), oldest first.
    fn narrative_spread(&self, id: NarrativeId, since: i64) -> Result<Vec<HourlyPosts>>;
    /// Changes whenever an item is stored or a narrative's figures change: results computed over every
    /// narrative (coordination flags) stay valid while it does not.
    fn narratives_revision(&self) -> Result<(i64, i64)>;
}

pub(crate) const SELECT_NARRATIVE: &str = "SELECT id, first_seen, last_seen, items, accounts, platforms, views, shares,
        velocity_1h, velocity_6h, velocity_24h, accelerating, representative_item_id FROM narratives";

/// A narrative's platforms as stored: one text, space-separated.
pub(crate) fn join_platforms(platforms: &[String]) -> String {
    platforms.join(" ")
}

pub(crate) fn split_platforms(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

/// The `ORDER BY` of `list_narratives` before the final tie-breaker, the id.
pub(crate) fn order_by(order: NarrativeOrder) -> &'static str {
    match order {
        NarrativeOrder::Velocity => "velocity_1h DESC, velocity_6h DESC, velocity_24h DESC, items DESC",
        NarrativeOrder::Size => "items DESC, last_seen DESC",
        NarrativeOrder::Reach => "views + shares DESC, items DESC",
        NarrativeOrder::Recent => "last_seen DESC",
    }
}

/// A count or limit for SQL: past `i64::MAX` it is as good as unbounded.
pub(crate) fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A narrative of one item on `x`, for the tests of stores that refer to narratives.
#[cfg(test)]
pub(crate) fn one_item_narrative(id: NarrativeId, representative_item_id: ItemId) -> NarrativeRow {
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
    use crate::sqlite::narratives::SELECT_POSTS;
    use crate::testing::{on_both_backends, Backend};
    use crate::{ItemRecord, SourceRef, SqliteStore, Store};
    use tangkal_model::{parse_json_item, Item, DEFAULT_MAX_TEXT_BYTES};

    on_both_backends!(
        an_empty_store_has_no_narratives,
        assignments_figures_and_merges_round_trip,
        variants_accounts_and_hourly_spread_are_counted_per_narrative,
        every_order_breaks_ties_by_id_and_pages,
        an_update_writes_as_its_rows_one_by_one_would,
        merges_made_in_one_update_move_items_along_the_chain,
        the_revision_moves_with_items_and_figures,
        posts_and_spread_come_in_a_fixed_order,
        a_text_kept_apart_from_the_raw_record_is_read,
    );

    /// When the fixture's first item is posted: 2024-02-03T05:12:40Z.
    const T0: i64 = 1_706_937_160;

    /// The item `{platform}:{n}` by `author`, posted `after` seconds after [`T0`], with `n` views.
    fn item(n: usize, platform: &str, author: &str, after: i64) -> Item {
        let at = chrono::DateTime::from_timestamp(T0 + after, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
        let line = format!(
            r#"{{"id":"{platform}:{n}","platform":"{platform}","author":{{"id":"{author}"}},"text":"teks {n}","published_at":"{at}","metrics":{{"views":{n}}}}}"#
        );
        parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
    }

    /// Stores `items`; returns the ids of all stored items in storage order.
    fn store_all(store: &mut dyn Store, items: &[Item]) -> Vec<ItemId> {
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
        store.write_items(&SourceRef { kind: "file".into(), location: "t.jsonl".into() }, &records).unwrap();
        store.items_after(ItemId(0), 1000).unwrap().iter().map(|p| p.id).collect()
    }

    /// Items `x:0` to `x:{n-1}` by accounts `u0`.. on `x`, a second apart; returns the ids of all stored
    /// items in storage order.
    fn store_items(store: &mut dyn Store, n: usize) -> Vec<ItemId> {
        let items: Vec<_> = (0..n).map(|i| item(i, "x", &format!("u{i}"), i as i64)).collect();
        store_all(store, &items)
    }

    fn row(id: u32, items: u64, velocity: f64, representative: ItemId) -> NarrativeRow {
        NarrativeRow {
            id: NarrativeId(id),
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

    fn ids_of(rows: &[NarrativeRow]) -> Vec<u32> {
        rows.iter().map(|n| n.id.get()).collect()
    }

    fn an_empty_store_has_no_narratives(backend: &Backend) {
        let mut store = backend.open();
        assert!(store.items_after(ItemId(0), 10).unwrap().is_empty());
        assert_eq!(store.narratives_revision().unwrap(), (0, 0));
        store.save_narratives(&NarrativeUpdate::default()).unwrap();
        assert!(store.list_narratives(NarrativeOrder::Velocity, 10, 0).unwrap().is_empty());
        assert!(store.get_narrative(NarrativeId(1)).unwrap().is_none());
        assert!(store.narrative_merges(NarrativeId(1)).unwrap().is_empty());
        assert!(store.narrative_item_ids(NarrativeId(1), 10).unwrap().is_empty());
        assert!(store.narrative_posts().unwrap().is_empty());
        assert!(store.narrative_variants(NarrativeId(1), 10).unwrap().is_empty());
        assert!(store.narrative_accounts(NarrativeId(1), 10).unwrap().is_empty());
        assert!(store.narrative_spread(NarrativeId(1), 0).unwrap().is_empty());
    }

    fn assignments_figures_and_merges_round_trip(backend: &Backend) {
        let mut store = backend.open();
        store_items(&mut *store, 4);
        let pending = store.items_after(ItemId(0), 10).unwrap();
        assert_eq!(pending.len(), 4);
        assert_eq!(pending[1].account.as_deref(), Some("u1"));
        assert_eq!((pending[1].platform.as_str(), pending[1].text.as_str()), ("x", "teks 1"));
        assert_eq!((pending[3].views, pending[3].shares), (3, 0));
        let ids: Vec<ItemId> = pending.iter().map(|p| p.id).collect();
        assert_eq!(store.items_after(ids[2], 10).unwrap().len(), 1);
        assert_eq!(store.items_after(ItemId(0), 2).unwrap().iter().map(|p| p.id).collect::<Vec<_>>(), ids[..2]);

        let update = NarrativeUpdate {
            assignments: vec![(ids[0], NarrativeId(1), 0), (ids[1], NarrativeId(1), 0), (ids[2], NarrativeId(2), 1)],
            merges: vec![],
            figures: vec![row(1, 2, 0.5, ids[0]), row(2, 1, 3.0, ids[2])],
        };
        store.save_narratives(&update).unwrap();
        let by_velocity = store.list_narratives(NarrativeOrder::Velocity, 10, 0).unwrap();
        assert_eq!(ids_of(&by_velocity), vec![2, 1]);
        assert_eq!(by_velocity[0].platforms, vec!["x", "facebook"]);
        assert_eq!(by_velocity[1], row(1, 2, 0.5, ids[0]), "figures round trip");
        let by_size = store.list_narratives(NarrativeOrder::Size, 10, 0).unwrap();
        assert_eq!(by_size[0].id, NarrativeId(1));

        let merge = NarrativeUpdate {
            assignments: vec![(ids[3], NarrativeId(1), 0)],
            merges: vec![
                NarrativeMerge { absorbed: NarrativeId(2), into: NarrativeId(1), item_id: ids[3] },
                NarrativeMerge { absorbed: NarrativeId(3), into: NarrativeId(1), item_id: ids[3] },
            ],
            figures: vec![row(1, 4, 1.0, ids[0])],
        };
        store.save_narratives(&merge).unwrap();
        assert_eq!(store.get_narrative(NarrativeId(2)).unwrap().unwrap().id, NarrativeId(1), "a merged id resolves");
        assert_eq!(
            store.get_narrative(NarrativeId(3)).unwrap().unwrap().id,
            NarrativeId(1),
            "so does one that never had figures"
        );
        assert_eq!(store.narrative_merges(NarrativeId(1)).unwrap(), merge.merges);
        assert_eq!(
            store.narrative_item_ids(NarrativeId(1), 10).unwrap(),
            ids.iter().rev().copied().collect::<Vec<_>>()
        );
        assert_eq!(store.narrative_item_ids(NarrativeId(1), 2).unwrap(), vec![ids[3], ids[2]], "newest first");
        assert_eq!(store.list_narratives(NarrativeOrder::Recent, 10, 0).unwrap().len(), 1);
        let posts = store.narrative_posts().unwrap();
        assert_eq!(
            posts.iter().map(|p| (p.item_id, p.narrative)).collect::<Vec<_>>(),
            ids.iter().map(|&i| (i, NarrativeId(1))).collect::<Vec<_>>()
        );
        assert_eq!(posts.iter().map(|p| p.copy).collect::<Vec<_>>(), vec![0, 0, 1, 0]);
        assert!(store.get_narrative(NarrativeId(99)).unwrap().is_none());
    }

    fn variants_accounts_and_hourly_spread_are_counted_per_narrative(backend: &Backend) {
        let mut store = backend.open();
        let ids = store_items(&mut *store, 4);
        // Three copies of variant 7 (the central one) and one of variant 8; item 3 is another narrative's.
        let update = NarrativeUpdate {
            assignments: vec![
                (ids[0], NarrativeId(1), 7),
                (ids[1], NarrativeId(1), 7),
                (ids[2], NarrativeId(1), 8),
                (ids[3], NarrativeId(2), 0),
            ],
            merges: vec![],
            figures: vec![row(1, 3, 1.0, ids[1]), row(2, 1, 1.0, ids[3])],
        };
        store.save_narratives(&update).unwrap();
        let variants = store.narrative_variants(NarrativeId(1), 10).unwrap();
        assert_eq!(variants.len(), 2);
        assert_eq!((variants[0].first_item_id, variants[0].posts, variants[0].central), (ids[0], 2, true));
        assert_eq!((variants[1].first_item_id, variants[1].posts, variants[1].central), (ids[2], 1, false));
        assert_eq!((variants[0].accounts, variants[0].last_seen - variants[0].first_seen), (2, 1));
        assert_eq!(store.narrative_variants(NarrativeId(1), 1).unwrap().len(), 1);

        let accounts = store.narrative_accounts(NarrativeId(1), 10).unwrap();
        assert_eq!(accounts.len(), 3, "one account per item in the fixture");
        assert!(accounts.iter().all(|a| a.posts == 1 && a.platform == "x"));
        assert_eq!(
            accounts.iter().map(|a| a.external_id.as_str()).collect::<Vec<_>>(),
            vec!["u0", "u1", "u2"],
            "ties: the earliest poster first"
        );
        assert_eq!(store.narrative_accounts(NarrativeId(1), 1).unwrap().len(), 1);

        // All fixture items are posted within one minute: one hour, one platform.
        let hour = store.narrative_spread(NarrativeId(1), 0).unwrap();
        assert_eq!(hour.len(), 1);
        assert_eq!((hour[0].platform.as_str(), hour[0].posts, hour[0].hour % 3600), ("x", 3, 0));
        assert!(store.narrative_spread(NarrativeId(1), hour[0].hour + 3600).unwrap().is_empty());
    }

    fn every_order_breaks_ties_by_id_and_pages(backend: &Backend) {
        let mut store = backend.open();
        let ids = store_items(&mut *store, 1);
        let figures = |id: u32, velocity: [f64; 3], items: u64, reach: (u64, u64), last_seen: i64| NarrativeRow {
            velocity_1h: velocity[0],
            velocity_6h: velocity[1],
            velocity_24h: velocity[2],
            views: reach.0,
            shares: reach.1,
            last_seen,
            ..row(id, items, 0.0, ids[0])
        };
        // Written in no particular order; the pairs (5, 6), (3, 4) and (1, 7) tie in some orders.
        let update = NarrativeUpdate {
            figures: vec![
                figures(7, [1.0, 2.0, 3.0], 4, (10, 0), 30),
                figures(4, [2.0, 1.0, 1.0], 2, (3, 3), 50),
                figures(6, [1.0, 2.0, 4.0], 4, (9, 1), 40),
                figures(1, [1.0, 2.0, 3.0], 4, (5, 5), 30),
                figures(5, [1.0, 2.0, 4.0], 5, (6, 4), 40),
                figures(3, [2.0, 1.0, 1.0], 2, (2, 4), 50),
            ],
            ..Default::default()
        };
        store.save_narratives(&update).unwrap();
        let list = |order, limit, offset| ids_of(&store.list_narratives(order, limit, offset).unwrap());
        assert_eq!(list(NarrativeOrder::Velocity, 10, 0), vec![3, 4, 5, 6, 1, 7]);
        assert_eq!(list(NarrativeOrder::Size, 10, 0), vec![5, 6, 1, 7, 3, 4]);
        assert_eq!(list(NarrativeOrder::Reach, 10, 0), vec![5, 1, 6, 7, 3, 4]);
        assert_eq!(list(NarrativeOrder::Recent, 10, 0), vec![3, 4, 5, 6, 1, 7]);
        assert_eq!(list(NarrativeOrder::Reach, 2, 2), vec![6, 7]);
        assert_eq!(list(NarrativeOrder::Reach, 2, 5), vec![4]);
        assert!(list(NarrativeOrder::Reach, 2, 6).is_empty());
        assert_eq!(list(NarrativeOrder::Size, u64::MAX, 1).len(), 5, "no limit");
    }

    fn an_update_writes_as_its_rows_one_by_one_would(backend: &Backend) {
        let mut store = backend.open();
        let ids = store_items(&mut *store, 3);
        // An item assigned twice, and a narrative's figures given twice: the last wins.
        let update = NarrativeUpdate {
            assignments: vec![(ids[0], NarrativeId(1), 0), (ids[1], NarrativeId(1), 0), (ids[0], NarrativeId(2), 5)],
            merges: vec![],
            figures: vec![row(1, 9, 0.0, ids[0]), row(2, 1, 0.0, ids[0]), row(1, 1, 0.0, ids[1])],
        };
        store.save_narratives(&update).unwrap();
        assert_eq!(store.narrative_item_ids(NarrativeId(1), 10).unwrap(), vec![ids[1]]);
        assert_eq!(store.narrative_item_ids(NarrativeId(2), 10).unwrap(), vec![ids[0]]);
        assert_eq!(store.get_narrative(NarrativeId(1)).unwrap().unwrap(), row(1, 1, 0.0, ids[1]));

        // New figures replace the old ones, the central copy too, and other narratives stay.
        let moved = NarrativeRow { platforms: vec!["tiktok".into()], accelerating: true, ..row(1, 2, 4.5, ids[2]) };
        store
            .save_narratives(&NarrativeUpdate {
                assignments: vec![(ids[2], NarrativeId(1), 3)],
                figures: vec![moved.clone()],
                ..Default::default()
            })
            .unwrap();
        assert_eq!(store.get_narrative(NarrativeId(1)).unwrap().unwrap(), moved);
        assert_eq!(store.get_narrative(NarrativeId(2)).unwrap().unwrap(), row(2, 1, 0.0, ids[0]));
        let variants = store.narrative_variants(NarrativeId(1), 10).unwrap();
        assert_eq!(
            variants.iter().map(|v| (v.first_item_id, v.central)).collect::<Vec<_>>(),
            vec![(ids[1], false), (ids[2], true)]
        );
    }

    fn merges_made_in_one_update_move_items_along_the_chain(backend: &Backend) {
        let mut store = backend.open();
        let ids = store_items(&mut *store, 5);
        store
            .save_narratives(&NarrativeUpdate {
                assignments: vec![
                    (ids[0], NarrativeId(1), 0),
                    (ids[1], NarrativeId(2), 0),
                    (ids[2], NarrativeId(3), 0),
                    (ids[3], NarrativeId(4), 0),
                ],
                figures: (1..=4).map(|n| row(n, 1, n as f64, ids[n as usize - 1])).collect(),
                ..Default::default()
            })
            .unwrap();
        // 3 into 2, then 2 into 1: what 3 held, with the item assigned to it in this very update, ends in 1.
        // 4 is absorbed twice: its first merge is the one recorded, and moved its items.
        let merges = vec![
            NarrativeMerge { absorbed: NarrativeId(3), into: NarrativeId(2), item_id: ids[4] },
            NarrativeMerge { absorbed: NarrativeId(2), into: NarrativeId(1), item_id: ids[4] },
            NarrativeMerge { absorbed: NarrativeId(4), into: NarrativeId(1), item_id: ids[3] },
            NarrativeMerge { absorbed: NarrativeId(4), into: NarrativeId(2), item_id: ids[4] },
        ];
        store
            .save_narratives(&NarrativeUpdate {
                assignments: vec![(ids[4], NarrativeId(3), 0)],
                merges: merges.clone(),
                figures: vec![row(1, 5, 9.0, ids[0])],
            })
            .unwrap();
        let mut in_one = store.narrative_item_ids(NarrativeId(1), 10).unwrap();
        in_one.sort();
        assert_eq!(in_one, ids, "the item assigned to 3 in the same update followed too");
        for absorbed in [2, 3, 4].map(NarrativeId) {
            assert_eq!(store.get_narrative(absorbed).unwrap().unwrap().id, NarrativeId(1), "{absorbed} resolves to 1");
            assert!(store.narrative_item_ids(absorbed, 10).unwrap().is_empty());
        }
        assert_eq!(
            store.narrative_merges(NarrativeId(1)).unwrap(),
            vec![merges[1], merges[0], merges[2]],
            "by absorbed id; the first merge of 4 is the one recorded"
        );
        assert_eq!(store.narrative_merges(NarrativeId(2)).unwrap(), merges[..1]);
        assert_eq!(ids_of(&store.list_narratives(NarrativeOrder::Velocity, 10, 0).unwrap()), vec![1]);
        assert!(store.narrative_posts().unwrap().iter().all(|p| p.narrative == NarrativeId(1)));

        // A narrative that never had figures, absorbed into another such one, both in one update.
        store
            .save_narratives(&NarrativeUpdate {
                merges: vec![NarrativeMerge { absorbed: NarrativeId(9), into: NarrativeId(8), item_id: ids[0] }],
                ..Default::default()
            })
            .unwrap();
        let empty = store.get_narrative(NarrativeId(9)).unwrap().unwrap();
        assert_eq!(
            (empty.id, empty.items, empty.representative_item_id, empty.platforms.len()),
            (NarrativeId(8), 0, ItemId(0), 0)
        );
        assert_eq!(ids_of(&store.list_narratives(NarrativeOrder::Velocity, 10, 0).unwrap()), vec![1, 8]);
    }

    fn the_revision_moves_with_items_and_figures(backend: &Backend) {
        let mut store = backend.open();
        let ids = store_items(&mut *store, 4);
        let before = store.narratives_revision().unwrap();
        assert_eq!(before, (ids[3].get(), 0));
        store_items(&mut *store, 5);
        let after_item = store.narratives_revision().unwrap();
        assert_ne!(after_item, before, "a new item moves the revision");
        store
            .save_narratives(&NarrativeUpdate { figures: vec![row(1, 1, 1.0, ids[0])], ..Default::default() })
            .unwrap();
        let (items, updated) = store.narratives_revision().unwrap();
        assert_eq!(items, after_item.0);
        assert!(updated > 0, "figures written move it");
        store_items(&mut *store, 5);
        assert_eq!(store.narratives_revision().unwrap(), (items, updated), "a stored item seen again does not");
    }

    fn posts_and_spread_come_in_a_fixed_order(backend: &Backend) {
        let mut store = backend.open();
        let ids = store_all(
            &mut *store,
            &[
                item(0, "x", "u1", 3605),
                item(1, "x", "u0", 3605),
                item(2, "facebook", "u2", 3605),
                item(3, "x", "u0", 3),
                item(4, "x", "u0", 1),
                item(5, "x", "u0", 7300),
            ],
        );
        store
            .save_narratives(&NarrativeUpdate {
                assignments: vec![
                    (ids[0], NarrativeId(2), 1),
                    (ids[1], NarrativeId(2), 2),
                    (ids[2], NarrativeId(2), 1),
                    (ids[3], NarrativeId(2), 0),
                    (ids[4], NarrativeId(1), 0),
                ],
                ..Default::default()
            })
            .unwrap();
        let posts = store.narrative_posts().unwrap();
        // By narrative, then time, then platform (facebook before x), then account.
        let order = vec![ids[4], ids[3], ids[2]];
        assert_eq!(posts[..3].iter().map(|p| p.item_id).collect::<Vec<_>>(), order, "{posts:?}");
        let mut same_time: Vec<_> = posts[3..].iter().map(|p| p.item_id).collect();
        same_time.sort();
        assert_eq!(same_time, vec![ids[0], ids[1]]);
        assert!(posts[3].platform_account < posts[4].platform_account);
        assert_eq!(posts[4].published_at, T0 + 3605);

        let spread = store.narrative_spread(NarrativeId(2), 0).unwrap();
        let hour = |h: i64| (T0 + h * 3600) / 3600 * 3600;
        let by_hour: Vec<_> = spread.iter().map(|h| (h.hour, h.platform.as_str(), h.posts)).collect();
        assert_eq!(by_hour, vec![(hour(0), "x", 1), (hour(1), "facebook", 1), (hour(1), "x", 2)]);
        assert_eq!(store.narrative_spread(NarrativeId(2), T0 + 3605).unwrap().len(), 2, "from `since` on");
        assert!(store.narrative_spread(NarrativeId(1), T0 + 2).unwrap().is_empty());
        assert!(store.narrative_spread(NarrativeId(3), 0).unwrap().is_empty(), "no items: no hours");
    }

    fn a_text_kept_apart_from_the_raw_record_is_read(backend: &Backend) {
        let mut store = backend.open();
        let mut apart = item(0, "x", "u0", 0);
        apart.text = "teks lain".into();
        apart.text_in_raw = false;
        store_all(&mut *store, &[apart, item(1, "x", "u0", 0)]);
        let texts: Vec<_> = store.items_after(ItemId(0), 10).unwrap().into_iter().map(|p| p.text).collect();
        assert_eq!(texts, vec!["teks lain", "teks 1"]);
    }

    #[test]
    fn posts_are_read_in_index_order_without_a_sort_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {SELECT_POSTS}")).unwrap();
        let plan: Vec<String> = stmt.query_map([], |r| r.get(3)).unwrap().map(Result::unwrap).collect();
        assert_eq!(plan, vec!["SEARCH items USING COVERING INDEX items_narrative (narrative_id>?)"], "{plan:?}");
    }

    /// Two servers save the figures of the same narratives at once, one listing them in the opposite
    /// order: both succeed (rows are locked in id order, whatever the update's order).
    #[test]
    fn writers_of_the_same_narratives_at_once_both_succeed_on_postgres() {
        let backend = Backend::postgres();
        let ids = store_items(&mut *backend.open(), 2);
        let writers: Vec<_> = [false, true]
            .into_iter()
            .map(|reversed| {
                let mut store = backend.open();
                let ids = ids.clone();
                std::thread::spawn(move || {
                    for round in 0..30 {
                        let mut update = NarrativeUpdate {
                            assignments: vec![(ids[round % 2], NarrativeId(1), 0)],
                            merges: vec![NarrativeMerge {
                                absorbed: NarrativeId(52),
                                into: NarrativeId(51),
                                item_id: ids[0],
                            }],
                            figures: (1..=50).map(|n| row(n, 3, round as f64, ids[1])).collect(),
                        };
                        if reversed {
                            update.figures.reverse();
                        }
                        store.save_narratives(&update)?;
                    }
                    Ok::<_, crate::StoreError>(())
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap().unwrap();
        }
        let store = backend.open();
        assert_eq!(store.list_narratives(NarrativeOrder::Size, 100, 0).unwrap().len(), 51, "1 to 51; 52 merged");
        assert_eq!(store.narrative_merges(NarrativeId(51)).unwrap().len(), 1);
        assert_eq!(store.narrative_item_ids(NarrativeId(1), 10).unwrap().len(), 2);
    }
}
