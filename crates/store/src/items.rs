//! Posts and articles: idempotent batch writes and filtered reads.

use chrono::{DateTime, TimeZone, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;
use tangkal_model::{Author, Identity, Item, ItemId, Metrics, NarrativeId};

use crate::{Result, StoreError};

/// An item on its way in, with what the pipeline derived from it.
pub struct ItemRecord<'a> {
    pub item: &'a Item,
    /// `item.identity()`, computed by the caller, off the writing thread.
    pub identity: Identity,
    /// Hash of the text's analysed form, equal for copies that differ only in case, spelling variants,
    /// emoji or links: for exact-duplicate lookups.
    pub fingerprint: u64,
}

/// Where a new item belongs, decided while its batch is written so that the row is stored complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub narrative: NarrativeId,
    /// Which variant of the narrative the item copied.
    pub copy: i64,
}

/// Where a batch came from: `kind` is `file`, `feed` or `api`; `location` a path or URL.
#[derive(Debug, Clone)]
pub struct SourceRef {
    pub kind: String,
    pub location: String,
}

/// What a write did with each record of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteCounts {
    /// Not stored before.
    pub new: u64,
    /// Stored before with other metrics, which were updated.
    pub updated: u64,
    /// Stored before exactly so: nothing changed.
    pub duplicate: u64,
}

impl WriteCounts {
    /// Counts a record whose identity is known already, with the metrics known for it: a duplicate when
    /// `metrics` are the same, else an update, and `known` takes them. Returns whether they changed.
    pub(crate) fn count_repeat(&mut self, known: &mut [i64; 4], metrics: [i64; 4]) -> bool {
        if *known == metrics {
            self.duplicate += 1;
            return false;
        }
        *known = metrics;
        self.updated += 1;
        true
    }
}

impl std::ops::AddAssign for WriteCounts {
    fn add_assign(&mut self, other: WriteCounts) {
        self.new += other.new;
        self.updated += other.updated;
        self.duplicate += other.duplicate;
    }
}

/// An item as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredItem {
    pub id: ItemId,
    pub platform: String,
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub author: Option<Author>,
    pub text: String,
    pub published_at: DateTime<Utc>,
    pub first_seen_at: DateTime<Utc>,
    pub metrics: Metrics,
    pub fingerprint: u64,
    pub raw: String,
    /// The narrative the item belongs to (the surviving one after merges); None until placed.
    pub narrative_id: Option<NarrativeId>,
}

/// Which items to read; every condition is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFilter {
    pub platform: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Case-insensitive substring of the text.
    pub text_contains: Option<String>,
}

/// Told of every record that a write stores for the first time, in batch order, with the row id it
/// gets and its position in the batch; answers where the item belongs, if anywhere.
pub type PlaceNew<'p> = dyn FnMut(ItemId, usize) -> Option<Placement> + 'p;

pub trait ItemStore {
    /// Stores a batch atomically: either every record of it is written or none is. Records whose
    /// identity is already stored only update their metrics, so replaying a batch is harmless.
    fn write_items(&mut self, source: &SourceRef, records: &[ItemRecord<'_>]) -> Result<WriteCounts> {
        self.write_placed_items(source, records, &mut |_, _| None)
    }
    /// [`ItemStore::write_items`], asking `place` where each new item belongs. If the write fails,
    /// nothing of the batch is stored although `place` may have been told of its records.
    fn write_placed_items(
        &mut self,
        source: &SourceRef,
        records: &[ItemRecord<'_>],
        place: &mut PlaceNew<'_>,
    ) -> Result<WriteCounts> {
        let opened = self.begin_writes()?;
        let plan = self.plan_items(source, records)?;
        let placements: Vec<_> = plan.new.iter().map(|&(position, id)| place(ItemId(id), position)).collect();
        let counts = self.insert_planned(plan, records, &placements)?;
        if opened {
            self.commit_writes()?;
        }
        Ok(counts)
    }
    /// Opens a transaction that the following writes join until [`ItemStore::commit_writes`], for bulk
    /// imports: a commit rewrites every index page its writes touched, and identities are random, so a
    /// commit per batch would rewrite most of the identity index each time. If a write fails, everything
    /// since `begin_writes` is rolled back and the group ends. Returns whether it opened one (false: one
    /// was open already).
    fn begin_writes(&mut self) -> Result<bool>;
    /// Commits the writes since [`ItemStore::begin_writes`] (nothing to do when none is open). Every
    /// planned batch must have been inserted.
    fn commit_writes(&mut self) -> Result<()>;
    /// The first half of a write, inside [`ItemStore::begin_writes`]: finds which records are new and
    /// hands out their row ids; records already stored (or planned) have their metrics updated. Batches
    /// can be planned ahead of inserting the ones before, so that placing one batch (on another thread)
    /// overlaps writing the previous one; they must be inserted in the order they were planned.
    fn plan_items(&mut self, source: &SourceRef, records: &[ItemRecord<'_>]) -> Result<ItemPlan>;
    /// The second half: inserts the new records of `plan` (made from the same `records`), each with its
    /// placement (`placements[i]` for `plan.new[i]`). Returns what the write did: the plan's counts, unless
    /// another writer stored some of those records first (they count as repeats of what it stored).
    fn insert_planned(
        &mut self,
        plan: ItemPlan,
        records: &[ItemRecord<'_>],
        placements: &[Option<Placement>],
    ) -> Result<WriteCounts>;
    /// Newest first.
    fn list_items(&self, filter: &ItemFilter, limit: u64, offset: u64) -> Result<Vec<StoredItem>>;
    fn count_items(&self, filter: &ItemFilter) -> Result<u64>;
    fn get_item(&self, id: ItemId) -> Result<Option<StoredItem>>;
}

pub(crate) fn account_key(platform: &str, account_id: &str) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(platform.as_bytes());
    h.update(&[0]);
    h.update(account_id.as_bytes());
    h.digest128()
}

pub(crate) fn to_sql_int(value: u64, field: &'static str) -> Result<i64> {
    i64::try_from(value).map_err(|_| StoreError::invalid(field, format!("{value} is too large to store")))
}

/// Row id and metrics (views, shares, likes, replies) of items, by identity. Identities and account keys
/// are hashes already: the cheap Fx hash serves these maps, which an import consults for every record.
pub(crate) type StoredMetrics = FxHashMap<[u8; 16], (i64, [i64; 4])>;

/// The new records of a planned batch (see [`ItemStore::plan_items`]).
#[derive(Debug, Default)]
pub struct ItemPlan {
    /// Position in the batch and row id of each new record, in batch order.
    pub new: Vec<(usize, i64)>,
    /// What the write does with the batch's records.
    pub counts: WriteCounts,
    /// The account row of each new record's author.
    pub(crate) accounts: Vec<Option<i64>>,
    pub(crate) source_id: i64,
    pub(crate) now: i64,
}

/// A new record of a planned batch, as its insert takes it.
pub(crate) struct NewRecord<'r> {
    pub record: &'r ItemRecord<'r>,
    pub id: i64,
    /// The account row of its author.
    pub account: Option<i64>,
    /// The last metrics planned for its identity (a later copy in the batch may have changed them).
    pub metrics: [i64; 4],
    pub placement: Option<Placement>,
}

impl<'r> NewRecord<'r> {
    /// The text as stored beside the raw record: empty when the raw record holds it, so that it is kept
    /// once (migration 0006).
    pub(crate) fn text_copy(&self) -> &'r str {
        let item = self.record.item;
        if item.text_in_raw {
            ""
        } else {
            &item.text
        }
    }
}

impl ItemPlan {
    /// The new records of this plan (made from `records`, with `placements[i]` for `new[i]`), in order.
    /// Their metrics leave `planned`; a record planned otherwise is an error, as batches must be inserted
    /// in the order they were planned.
    pub(crate) fn take_new<'r>(
        &self,
        records: &'r [ItemRecord<'r>],
        placements: &[Option<Placement>],
        planned: &mut StoredMetrics,
    ) -> Result<Vec<NewRecord<'r>>> {
        if placements.len() != self.new.len() {
            return Err(StoreError::Internal(format!(
                "{} placements for {} new items",
                placements.len(),
                self.new.len()
            )));
        }
        let new = self.new.iter().zip(&self.accounts).zip(placements);
        new.map(|((&(position, id), &account), &placement)| {
            let record = &records[position];
            match planned.remove(&record.identity.0) {
                Some((planned_id, metrics)) if planned_id == id => {
                    Ok(NewRecord { record, id, account, metrics, placement })
                }
                _ => Err(StoreError::Internal(format!("item {id} was not planned in this order"))),
            }
        })
        .collect()
    }
}

/// Views, shares, likes and replies as stored.
fn stored_numbers(metrics: &Metrics) -> Result<[i64; 4]> {
    Ok([
        to_sql_int(metrics.views, "views")?,
        to_sql_int(metrics.shares, "shares")?,
        to_sql_int(metrics.likes, "likes")?,
        to_sql_int(metrics.replies, "replies")?,
    ])
}

/// Sorts the records of a batch being planned into `plan`. Repeats of records planned before (`planned`)
/// or stored (`stored`, as looked up for this batch) are counted, and `changed` hears of each stored item
/// whose metrics change; every other record is new and is planned under the row id that `new` gives it.
pub(crate) fn sort_records(
    plan: &mut ItemPlan,
    records: &[ItemRecord<'_>],
    planned: &mut StoredMetrics,
    stored: &mut StoredMetrics,
    mut changed: impl FnMut(i64, [i64; 4]) -> Result<()>,
    mut new: impl FnMut(&ItemRecord<'_>) -> Result<i64>,
) -> Result<()> {
    for (position, record) in records.iter().enumerate() {
        let metrics = stored_numbers(&record.item.metrics)?;
        let identity = record.identity.0;
        if let Some((_, planned_metrics)) = planned.get_mut(&identity) {
            // A repeat of a record not inserted yet: the last copy's metrics win, as they would once it is
            // stored.
            plan.counts.count_repeat(planned_metrics, metrics);
        } else if let Some((id, stored_metrics)) = stored.get_mut(&identity) {
            if plan.counts.count_repeat(stored_metrics, metrics) {
                changed(*id, metrics)?;
            }
        } else {
            let id = new(record)?;
            planned.insert(identity, (id, metrics));
            plan.new.push((position, id));
            plan.counts.new += 1;
        }
    }
    Ok(())
}

/// The hour of publication that the `item_hours` tally counts an item in.
pub(crate) fn hour_of(item: &Item) -> i64 {
    item.published_at.timestamp() / 3600
}

pub(crate) enum SqlArg {
    Int(i64),
    Text(String),
}

/// Builds a parameterised WHERE clause: user input only ever travels as bound parameters. `placeholder`
/// starts a numbered parameter (`?` for SQLite, `$` for PostgreSQL) and `text` is the SQL of the item's
/// text.
pub(crate) fn where_clause(filter: &ItemFilter, placeholder: char, text: &str) -> (String, Vec<SqlArg>) {
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    if let Some(platform) = &filter.platform {
        args.push(SqlArg::Text(platform.clone()));
        conditions.push(format!("i.platform = {placeholder}{}", args.len()));
    }
    if let Some(since) = filter.since {
        args.push(SqlArg::Int(since.timestamp()));
        conditions.push(format!("i.published_at >= {placeholder}{}", args.len()));
    }
    if let Some(until) = filter.until {
        args.push(SqlArg::Int(until.timestamp()));
        conditions.push(format!("i.published_at < {placeholder}{}", args.len()));
    }
    if let Some(needle) = &filter.text_contains {
        let escaped = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        args.push(SqlArg::Text(format!("%{escaped}%")));
        conditions.push(format!("LOWER({text}) LIKE {placeholder}{} ESCAPE '\\'", args.len()));
    }
    if conditions.is_empty() {
        (String::new(), args)
    } else {
        (format!("WHERE {}", conditions.join(" AND ")), args)
    }
}

pub(crate) fn timestamp(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::connection::GenericClient as _;
    use crate::testing::{on_both_backends, Backend};
    use crate::{AuditFiles, PostgresStore, SqliteStore, Store};
    use tangkal_model::{parse_json_item, DEFAULT_MAX_TEXT_BYTES};

    on_both_backends!(
        rewriting_counts_duplicates_and_metric_changes_without_adding_rows,
        identities_sharing_an_index_key_stay_distinct_items,
        duplicates_inside_one_batch_are_stored_once,
        an_account_keeps_the_last_handle_it_was_seen_with,
        texts_read_back_exactly_whether_kept_in_the_raw_record_or_beside_it,
        a_group_of_writes_commits_together_and_a_failure_drops_the_whole_group,
        a_batch_planned_before_the_previous_one_is_inserted_sees_its_records,
        filters_combine_and_escape_like_wildcards,
    );

    fn item(id: &str, text: &str, views: u64) -> Item {
        item_by(id, text, views, r#""budi""#)
    }

    /// An item by the account `u1`, whose handle is `handle` (JSON). Its views are set after validation, so
    /// that a count no store can keep (which validation refuses) reaches the store's own check.
    fn item_by(id: &str, text: &str, views: u64, handle: &str) -> Item {
        let line = format!(
            r#"{{"id":"{id}","platform":"x","author":{{"id":"u1","handle":{handle}}},"text":"{text}","published_at":"2024-02-0{}T05:12:45Z"}}"#,
            id.len() % 9 + 1
        );
        let mut item = parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap();
        item.metrics.views = views;
        item
    }

    fn source() -> SourceRef {
        SourceRef { kind: "file".into(), location: "test.jsonl".into() }
    }

    fn records(items: &[Item]) -> Vec<ItemRecord<'_>> {
        items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 7 }).collect()
    }

    fn write(store: &mut dyn Store, items: &[Item]) -> WriteCounts {
        store.write_items(&source(), &records(items)).unwrap()
    }

    /// A second connection to a PostgreSQL backend, for what the store's traits do not show.
    fn postgres_store(backend: &Backend) -> Option<PostgresStore> {
        let Backend::Postgres(scratch, dir) = backend else { return None };
        Some(PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap())
    }

    fn rewriting_counts_duplicates_and_metric_changes_without_adding_rows(backend: &Backend) {
        let mut store = backend.open();
        let items = [item("1", "Bansos cair", 10), item("22", "Vaksin berbahaya", 5)];
        assert_eq!(write(store.as_mut(), &items), WriteCounts { new: 2, updated: 0, duplicate: 0 });
        assert_eq!(write(store.as_mut(), &items), WriteCounts { new: 0, updated: 0, duplicate: 2 });
        let edited = [item("1", "Bansos cair (edit)", 99)];
        assert_eq!(write(store.as_mut(), &edited), WriteCounts { new: 0, updated: 1, duplicate: 0 });
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 2);
        let stored =
            store.list_items(&ItemFilter { text_contains: Some("BANSOS".into()), ..Default::default() }, 10, 0);
        let stored = stored.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].metrics.views, 99);
        assert_eq!(stored[0].text, "Bansos cair", "an edited copy updates metrics only");
        assert_eq!(stored[0].author.as_ref().unwrap().handle.as_deref(), Some("budi"));
        // Changed twice in one batch: the last copy's metrics are kept.
        let twice = [item("22", "Vaksin berbahaya", 6), item("22", "Vaksin berbahaya", 7)];
        assert_eq!(write(store.as_mut(), &twice), WriteCounts { new: 0, updated: 2, duplicate: 0 });
        let stored = store.list_items(&ItemFilter::default(), 10, 0).unwrap();
        assert_eq!(stored.iter().find(|s| s.external_id.as_deref() == Some("22")).unwrap().metrics.views, 7);
    }

    /// Identities whose first eight bytes (SQLite's indexed key) are equal, as a hash collision would make.
    fn colliding_identities() -> [Identity; 2] {
        let first = Identity([7; 16]);
        let mut second = first;
        second.0[15] = 8;
        assert_eq!(first.key(), second.key());
        [first, second]
    }

    fn identities_sharing_an_index_key_stay_distinct_items(backend: &Backend) {
        let mut store = backend.open();
        let items = [item("1", "Bansos cair", 10), item("22", "Vaksin berbahaya", 5)];
        let [first, second] = colliding_identities();
        let records = [
            ItemRecord { item: &items[0], identity: first, fingerprint: 7 },
            ItemRecord { item: &items[1], identity: second, fingerprint: 7 },
        ];
        assert_eq!(store.write_items(&source(), &records).unwrap(), WriteCounts { new: 2, updated: 0, duplicate: 0 });
        let counts = store.write_items(&source(), &records).unwrap();
        assert_eq!(counts, WriteCounts { new: 0, updated: 0, duplicate: 2 });
        let counts = store.write_items(&source(), &records[1..]).unwrap();
        assert_eq!(counts, WriteCounts { new: 0, updated: 0, duplicate: 1 });
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 2);
    }

    #[test]
    fn identities_sharing_an_index_key_stay_distinct_through_the_identity_filter() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        let items = [item("1", "Bansos cair", 10), item("22", "Vaksin berbahaya", 5)];
        let [first, second] = colliding_identities();
        let records = [
            ItemRecord { item: &items[0], identity: first, fingerprint: 7 },
            ItemRecord { item: &items[1], identity: second, fingerprint: 7 },
        ];
        assert_eq!(store.write_items(&source(), &records).unwrap().new, 2);
        // Through the identity filter, as an import looks them up.
        store.tune_for_import().unwrap();
        for _ in 0..2 {
            let counts = store.write_items(&source(), &records).unwrap();
            assert_eq!(counts, WriteCounts { new: 0, updated: 0, duplicate: 2 });
        }
        let counts = store.write_items(&source(), &records[1..]).unwrap();
        assert_eq!(counts, WriteCounts { new: 0, updated: 0, duplicate: 1 });
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 2);
    }

    fn duplicates_inside_one_batch_are_stored_once(backend: &Backend) {
        let mut store = backend.open();
        let counts = write(store.as_mut(), &[item("1", "a", 1), item("1", "a", 1), item("1", "a", 2)]);
        assert_eq!(counts, WriteCounts { new: 1, updated: 1, duplicate: 1 });
        let stored = store.list_items(&ItemFilter::default(), 10, 0).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].metrics.views, 2, "the last copy's metrics");
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 1);
    }

    fn an_account_keeps_the_last_handle_it_was_seen_with(backend: &Backend) {
        let mut store = backend.open();
        let handle = |store: &dyn Store| {
            let stored = store.list_items(&ItemFilter::default(), 10, 0).unwrap();
            let handles: Vec<_> = stored.iter().map(|s| s.author.clone().unwrap().handle).collect();
            assert!(handles.windows(2).all(|w| w[0] == w[1]), "one account: {handles:?}");
            handles[0].clone()
        };
        write(store.as_mut(), &[item_by("1", "satu", 1, r#""budi""#)]);
        write(store.as_mut(), &[item_by("22", "dua", 1, "null")]);
        assert_eq!(handle(store.as_ref()).as_deref(), Some("budi"), "an item without a handle keeps it");
        write(store.as_mut(), &[item_by("333", "tiga", 1, r#""budi_baru""#), item_by("4444", "empat", 1, "null")]);
        assert_eq!(handle(store.as_ref()).as_deref(), Some("budi_baru"));
        // From a connection that has not seen the account, and for an item stored already: only new items
        // tell their account's handle.
        let mut other = backend.open();
        write(other.as_mut(), &[item_by("1", "satu", 1, r#""lama""#)]);
        assert_eq!(handle(store.as_ref()).as_deref(), Some("budi_baru"));
        write(other.as_mut(), &[item_by("55555", "lima", 1, r#""budi_lagi""#)]);
        assert_eq!(handle(store.as_ref()).as_deref(), Some("budi_lagi"));
    }

    fn texts_read_back_exactly_whether_kept_in_the_raw_record_or_beside_it(backend: &Backend) {
        let mut store = backend.open();
        // Escapes, a surrogate pair, an unknown nested field and a key order of its own.
        let line = r#"{"lang":{"tags":["id",1]},"text":"Kata \"Pak\" RT:\nBLT cair \u00e9 \ud83d\ude4f 100%","platform":"x","id":"x:9","published_at":"2024-02-03T05:12:45Z"}"#;
        let from_json = parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap();
        assert!(from_json.text_in_raw);
        // As a CSV row or feed entry arrives: the raw record does not hold the text under `text`.
        let mut from_csv = item("csv-1", "placeholder", 1);
        from_csv.text = "Teks dari CSV, bukan dari raw".into();
        from_csv.text_in_raw = false;
        write(store.as_mut(), &[from_json.clone(), from_csv.clone()]);
        let stored = store.list_items(&ItemFilter::default(), 10, 0).unwrap();
        let text_of = |item: &Item| stored.iter().find(|s| s.external_id == item.external_id).unwrap().text.clone();
        assert_eq!(text_of(&from_json), "Kata \"Pak\" RT:\nBLT cair é 🙏 100%");
        assert_eq!(text_of(&from_csv), from_csv.text);
        let kept_once: i64 = match backend {
            Backend::Sqlite(dir) => SqliteStore::open_in(dir.path())
                .unwrap()
                .conn
                .query_row("SELECT COUNT(*) FROM items WHERE text_copy = ''", [], |r| r.get(0))
                .unwrap(),
            Backend::Postgres(..) => postgres_store(backend)
                .unwrap()
                .client()
                .query_one("SELECT COUNT(*) FROM items WHERE text_copy = ''", &[])
                .unwrap()
                .get(0),
        };
        assert_eq!(kept_once, 1, "only the JSON record's text lives in its raw record alone");
        for needle in ["pak", "DARI CSV", "É 🙏 100%"] {
            let filter = ItemFilter { text_contains: Some(needle.into()), ..Default::default() };
            assert_eq!(store.count_items(&filter).unwrap(), 1, "{needle}");
        }
    }

    fn a_group_of_writes_commits_together_and_a_failure_drops_the_whole_group(backend: &Backend) {
        let mut store = backend.open();
        store.begin_writes().unwrap();
        write(store.as_mut(), &[item("1", "satu", 1)]);
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 1, "the group sees its own writes");
        let reader = backend.open();
        assert_eq!(reader.count_items(&ItemFilter::default()).unwrap(), 0, "not visible before the commit");
        store.commit_writes().unwrap();
        assert_eq!(reader.count_items(&ItemFilter::default()).unwrap(), 1);

        store.begin_writes().unwrap();
        write(store.as_mut(), &[item("22", "dua", 1)]);
        let too_many_views = item("333", "tiga", u64::MAX);
        let record = ItemRecord { item: &too_many_views, identity: too_many_views.identity(), fingerprint: 7 };
        let error = store.write_items(&source(), &[record]).unwrap_err();
        assert!(error.to_string().contains("views"), "{error}");
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 1, "the group's first write is gone too");
        // The group has ended: the next write stands on its own.
        assert_eq!(write(store.as_mut(), &[item("22", "dua", 1)]).new, 1);
        assert_eq!(reader.count_items(&ItemFilter::default()).unwrap(), 2);
        let published = ItemFilter { since: Some(timestamp(0)), ..Default::default() };
        assert_eq!(reader.count_items(&published).unwrap(), 2, "the hourly tally agrees with the items");
    }

    #[test]
    fn a_bulk_import_finds_what_other_writers_stored_and_checks_references_again_after_commits() {
        let dir = tempfile::tempdir().unwrap();
        let mut bulk = SqliteStore::open_in(dir.path()).unwrap();
        bulk.tune_for_import().unwrap();
        let mut other = SqliteStore::open_in(dir.path()).unwrap();
        let foreign_keys =
            |store: &SqliteStore| -> i64 { store.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap() };

        bulk.begin_writes().unwrap();
        assert_eq!(write(&mut bulk, &[item("1", "satu", 1), item("22", "dua", 1)]).new, 2);
        assert_eq!(foreign_keys(&bulk), 0, "the items' references come from the same transaction");
        bulk.commit_writes().unwrap();
        assert_eq!(foreign_keys(&bulk), 1);
        // Another connection stores an item after the bulk writer's identity filter was built.
        assert_eq!(write(&mut other, &[item("333", "tiga", 1)]).new, 1);
        let again = write(&mut bulk, &[item("1", "satu", 1), item("333", "tiga", 5), item("4444", "empat", 1)]);
        assert_eq!(again, WriteCounts { new: 1, updated: 1, duplicate: 1 });
        assert_eq!(bulk.count_items(&ItemFilter::default()).unwrap(), 4);
        let broken: Vec<String> = bulk
            .conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }

    #[test]
    fn an_import_on_postgres_names_accounts_that_exist_after_a_failed_group_and_another_writer() {
        let backend = Backend::postgres();
        let Backend::Postgres(scratch, dir) = &backend else { unreachable!() };
        let location = crate::StoreLocation { data_dir: dir.path().into(), database_url: Some(scratch.url()) };
        let mut import = crate::open_for_import(&location).unwrap();
        let mut other = backend.open();
        let by = |id: &str, account: &str| -> Item {
            let line = format!(
                r#"{{"id":"{id}","platform":"x","author":{{"id":"{account}","handle":"h{account}"}},"text":"t{id}","published_at":"2024-02-01T05:12:45Z"}}"#
            );
            parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
        };
        // A group that creates account a1 and then fails: the account goes with the rollback.
        import.begin_writes().unwrap();
        write(import.as_mut(), &[by("1", "a1")]);
        let bad = item("2", "dua", u64::MAX);
        import.write_items(&source(), &records(std::slice::from_ref(&bad))).unwrap_err();
        // Meanwhile another writer creates a2, which the import has not seen.
        write(other.as_mut(), &[by("3", "a2")]);
        assert_eq!(write(import.as_mut(), &[by("1", "a1"), by("4", "a2"), by("5", "a3")]).new, 3);
        let reader = postgres_store(&backend).unwrap();
        let client = &mut *reader.client();
        let orphans: i64 = client
            .query_one(
                "SELECT count(*) FROM items i LEFT JOIN accounts a ON a.id = i.account_id WHERE a.id IS NULL",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(orphans, 0, "every item names a stored account");
        let accounts: i64 = client.query_one("SELECT count(*) FROM accounts", &[]).unwrap().get(0);
        assert_eq!(accounts, 3, "a2 is not created twice");
    }

    fn a_batch_planned_before_the_previous_one_is_inserted_sees_its_records(backend: &Backend) {
        let mut store = backend.open();
        let first = [item("1", "satu", 1), item("22", "dua", 1)];
        let second = [item("22", "dua", 7), item("333", "tiga", 1), item("1", "satu", 1)];
        store.begin_writes().unwrap();
        let plan_first = store.plan_items(&source(), &records(&first)).unwrap();
        let plan_second = store.plan_items(&source(), &records(&second)).unwrap();
        assert_eq!(plan_first.new.iter().map(|&(_, id)| id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(plan_second.new, [(1, 3)], "only `333` is new; ids continue after the planned ones");
        assert_eq!(plan_second.counts, WriteCounts { new: 1, updated: 1, duplicate: 1 });
        assert!(store.commit_writes().is_err(), "planned items must be inserted before a commit");
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 0);

        store.begin_writes().unwrap();
        let plan_first = store.plan_items(&source(), &records(&first)).unwrap();
        let plan_second = store.plan_items(&source(), &records(&second)).unwrap();
        let placed = plan_first.new[0].1;
        let placement = Some(Placement { narrative: NarrativeId(9), copy: 1 });
        assert_eq!(
            store.insert_planned(plan_first, &records(&first), &[placement, None]).unwrap(),
            WriteCounts { new: 2, updated: 0, duplicate: 0 }
        );
        store.insert_planned(plan_second, &records(&second), &[None]).unwrap();
        store.commit_writes().unwrap();
        let stored = store.list_items(&ItemFilter::default(), 10, 0).unwrap();
        assert_eq!(stored.len(), 3);
        let views_of_22 = stored.iter().find(|s| s.external_id.as_deref() == Some("22")).unwrap().metrics.views;
        assert_eq!(views_of_22, 7, "the later copy's metrics, planned before the first was inserted");
        assert_eq!(store.get_item(ItemId(placed)).unwrap().unwrap().narrative_id, Some(NarrativeId(9)));
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 3);
    }

    #[test]
    fn a_bulk_import_lets_the_log_start_over_instead_of_growing_with_the_import() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        // As during an import, without the background checkpointer: nothing else copies the log.
        store.conn.execute_batch("PRAGMA wal_autocheckpoint = 0").unwrap();
        store.measure_log().unwrap();
        store.bulk = true;
        store.log_limit = 256 << 10;
        // Creating the schema filled the log to about a megabyte already; the file never shrinks.
        let wal = dir.path().join(format!("{}-wal", crate::sqlite::DATABASE_FILE));
        let before = std::fs::metadata(&wal).unwrap().len().max(store.log_limit);
        for group in 0..30 {
            let items: Vec<Item> = (0..100).map(|i| item(&format!("{group}-{i}"), "teks", 1)).collect();
            store.begin_writes().unwrap();
            write(&mut store, &items);
            store.commit_writes().unwrap();
        }
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 3_000);
        let log = std::fs::metadata(&wal).unwrap().len();
        assert!(log < 2 * before, "the log grew from {before} to {log} bytes");
    }

    fn filters_combine_and_escape_like_wildcards(backend: &Backend) {
        let mut store = backend.open();
        write(store.as_mut(), &[item("1", "diskon 100% hari ini", 1), item("22", "diskon 100 persen", 1)]);
        let percent = ItemFilter { text_contains: Some("100%".into()), ..Default::default() };
        assert_eq!(store.count_items(&percent).unwrap(), 1);
        let escapes = ItemFilter { text_contains: Some(r"100\".into()), ..Default::default() };
        assert_eq!(store.count_items(&escapes).unwrap(), 0);
        let other_platform = ItemFilter { platform: Some("tiktok".into()), ..Default::default() };
        assert_eq!(store.count_items(&other_platform).unwrap(), 0);
        let since = ItemFilter { since: Some(timestamp(1_706_937_165)), ..Default::default() };
        assert_eq!(store.count_items(&since).unwrap(), 1);
        let until =
            ItemFilter { until: Some(timestamp(1_706_937_165)), platform: Some("x".into()), ..Default::default() };
        assert_eq!(store.list_items(&until, 10, 0).unwrap().len(), 1);
        let id = store.list_items(&percent, 1, 0).unwrap()[0].id;
        assert_eq!(store.get_item(id).unwrap().unwrap().text, "diskon 100% hari ini");
        assert_eq!(store.get_item(ItemId(id.get() + 100)).unwrap(), None);
        let newest_first: Vec<_> =
            store.list_items(&ItemFilter::default(), 10, 0).unwrap().iter().map(|s| s.id).collect();
        assert_eq!(store.list_items(&ItemFilter::default(), 1, 1).unwrap()[0].id, newest_first[1]);
    }

    #[test]
    fn text_that_postgresql_cannot_hold_is_refused_by_field() {
        let backend = Backend::postgres();
        let mut store = backend.open();
        let mut with_nul = item("1", "satu", 1);
        with_nul.text = "sa\0tu".into();
        with_nul.text_in_raw = false;
        let record = ItemRecord { item: &with_nul, identity: with_nul.identity(), fingerprint: 7 };
        let error = store.write_items(&source(), &[record]).unwrap_err();
        assert!(matches!(error, StoreError::Invalid { field: "text", .. }), "{error:?}");
        assert_eq!(write(store.as_mut(), &[item("1", "satu", 1)]).new, 1, "the failed write left nothing open");
    }

    /// Rows per identity, items per hour and platform against the tally, and accounts per key.
    fn assert_each_stored_once(backend: &Backend) {
        let store = postgres_store(backend).unwrap();
        let mut client = store.client();
        let most: Option<i64> = client
            .query_one("SELECT max(n) FROM (SELECT count(*) AS n FROM items GROUP BY identity) c", &[])
            .unwrap()
            .get(0);
        assert!(most.unwrap_or(1) == 1);
        let off: i64 = client
            .query_one(
                "SELECT count(*) FROM (SELECT published_at / 3600 AS hour, platform, count(*) AS items FROM items
                                        GROUP BY 1, 2) c
                 FULL JOIN item_hours h USING (hour, platform) WHERE c.items IS DISTINCT FROM h.items",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(off, 0, "the hourly tally counts every item once");
        let accounts: i64 = client.query_one("SELECT count(*) FROM accounts", &[]).unwrap().get(0);
        assert_eq!(accounts, 1);
        let sources: i64 = client.query_one("SELECT count(*) FROM sources", &[]).unwrap().get(0);
        assert_eq!(sources, 1);
    }

    #[test]
    fn a_writer_that_finds_its_items_stored_by_another_meanwhile_counts_them_as_repeats() {
        let backend = Backend::postgres();
        let mut first = backend.open();
        let mut second = backend.open();
        let ours: Vec<Item> = ["1", "22", "333"].iter().map(|id| item(id, "teks", 1)).collect();
        first.begin_writes().unwrap();
        assert_eq!(write(first.as_mut(), &ours).new, 3);
        // The second writer plans before the first commits: every record looks new to it, and its insert
        // waits for the first writer's.
        let theirs = vec![item("22", "teks", 1), item("333", "teks", 5), item("4444", "teks", 1)];
        let writer = std::thread::spawn(move || {
            let counts = write(second.as_mut(), &theirs);
            (counts, second)
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!writer.is_finished(), "the second writer waits for the first");
        first.commit_writes().unwrap();
        let (counts, _second) = writer.join().unwrap();
        assert_eq!(counts, WriteCounts { new: 1, updated: 1, duplicate: 1 });
        assert_eq!(first.count_items(&ItemFilter::default()).unwrap(), 4);
        let stored = first.list_items(&ItemFilter::default(), 10, 0).unwrap();
        assert_eq!(stored.iter().find(|s| s.external_id.as_deref() == Some("333")).unwrap().metrics.views, 5);
        assert_each_stored_once(&backend);
    }

    #[test]
    fn writers_of_overlapping_batches_at_once_store_each_identity_once_and_their_counts_add_up() {
        const WRITERS: usize = 4;
        const BATCHES: usize = 20;
        let backend = Backend::postgres();
        let start = std::sync::Arc::new(std::sync::Barrier::new(WRITERS));
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (mut store, start) = (backend.open(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut counts = WriteCounts::default();
                    for batch in 0..BATCHES {
                        // Each batch shares most items with the other writers' batches of the same number,
                        // in another order, with metrics of their own for some.
                        let mut items: Vec<Item> = (0..50)
                            .map(|i| item(&format!("{batch}-{i}"), "teks", if i % 10 == 0 { writer as u64 } else { 1 }))
                            .chain((0..5).map(|i| item(&format!("{batch}-w{writer}-{i}"), "teks", 1)))
                            .collect();
                        items.rotate_left(writer * 13);
                        if writer % 2 == 1 {
                            items.reverse();
                        }
                        counts += write(store.as_mut(), &items);
                    }
                    counts
                })
            })
            .collect();
        let mut total = WriteCounts::default();
        for writer in writers {
            let counts = writer.join().unwrap();
            assert_eq!(counts.new + counts.updated + counts.duplicate, (BATCHES * 55) as u64);
            total += counts;
        }
        let distinct = (BATCHES * (50 + 5 * WRITERS)) as u64;
        assert_eq!(total.new, distinct, "{total:?}");
        let store = backend.open();
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), distinct);
        let published = ItemFilter { since: Some(timestamp(0)), ..Default::default() };
        assert_eq!(store.count_items(&published).unwrap(), distinct);
        assert_each_stored_once(&backend);
    }
}
