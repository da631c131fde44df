//! The search behind `/cek-fakta?q=`: an inverted index of the content stems of every published
//! clarification, in memory, analysed as claim matching analyses text (informal spelling normalised,
//! Sastrawi stems, stop words left out).
//!
//! The index follows the store through the audit trail: every change to a clarification is audited in
//! its own transaction, so [`SearchIndex::sync`] asks for the clarifications changed since the last event
//! it saw and re-analyses only those, whichever process wrote them. Publishing and correcting sync at
//! once; each search syncs first, which costs two reads of the audit trail's primary key when nothing
//! changed. The first sync builds the index from every published clarification.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, RwLock};

use chrono::{DateTime, Utc};
use tangkal_cases::Rating;
use tangkal_response::clarification::{Clarification, ClarificationStatus, Topic};
use tangkal_store::{ClarificationFilter, ReaderFilter, Store};
use tangkal_text::Analyzer;

use crate::{Problem, StorePool};

/// A published clarification as a result list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub claim: String,
    pub rating: Rating,
    pub topic: Option<Topic>,
    pub published_at: DateTime<Utc>,
}

impl Listed {
    pub fn of(c: &Clarification) -> Listed {
        Listed {
            id: c.id,
            slug: c.slug.clone(),
            title: c.title.clone(),
            claim: c.claim.clone(),
            rating: c.rating,
            topic: c.topic,
            published_at: c.published_at.unwrap_or(c.updated_at),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Matches across all pages.
    pub total: u64,
    pub page: Vec<Listed>,
}

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);

/// Distinct content stems of `text`.
fn content_stems(text: &str) -> HashSet<Box<str>> {
    ANALYZER.analyze(text).content_stems().into_iter().map(Box::from).collect()
}

/// A clarification ready to enter the index: analysed off the index's lock.
struct Analysed {
    listed: Listed,
    stems: Vec<Box<str>>,
}

impl Analysed {
    fn of(c: &Clarification) -> Analysed {
        let stems = content_stems(&format!("{}\n{}\n{}", c.title, c.claim, c.body_markdown));
        Analysed { listed: Listed::of(c), stems: stems.into_iter().collect() }
    }
}

/// What a sync found changed: clarifications to (re-)index, and ids no longer published.
enum Update {
    Put(Analysed),
    Remove(i64),
}

#[derive(Default)]
struct Index {
    /// The audit event the index reflects; `None` until built.
    through: Option<i64>,
    /// Documents by slot; removed ones leave a hole that the next one fills.
    docs: Vec<Option<Analysed>>,
    free: Vec<u32>,
    slot_of: HashMap<i64, u32>,
    /// Slots holding each stem.
    postings: HashMap<Box<str>, Vec<u32>>,
}

impl Index {
    fn remove(&mut self, id: i64) {
        let Some(slot) = self.slot_of.remove(&id) else { return };
        if let Some(doc) = self.docs[slot as usize].take() {
            for stem in &doc.stems {
                if let Some(slots) = self.postings.get_mut(stem) {
                    slots.retain(|s| *s != slot);
                    if slots.is_empty() {
                        self.postings.remove(stem);
                    }
                }
            }
        }
        self.free.push(slot);
    }

    fn put(&mut self, doc: Analysed) {
        self.remove(doc.listed.id);
        let slot = self.free.pop().unwrap_or_else(|| {
            self.docs.push(None);
            u32::try_from(self.docs.len() - 1).expect("fewer than 2^32 clarifications")
        });
        for stem in &doc.stems {
            self.postings.entry(stem.clone()).or_default().push(slot);
        }
        self.slot_of.insert(doc.listed.id, slot);
        self.docs[slot as usize] = Some(doc);
    }

    fn apply(&mut self, updates: Vec<Update>) {
        for update in updates {
            match update {
                Update::Put(doc) => self.put(doc),
                Update::Remove(id) => self.remove(id),
            }
        }
    }

    /// The clarifications holding at least half of the query's content stems that `reader` admits, most
    /// matched first, then newest first.
    fn search(&self, query: &str, reader: &ReaderFilter, offset: usize, limit: usize) -> Found {
        let wanted = content_stems(query);
        let needed = wanted.len().div_ceil(2);
        if needed == 0 {
            return Found { total: 0, page: Vec::new() };
        }
        let mut hits = vec![0u16; self.docs.len()];
        for slots in wanted.iter().filter_map(|stem| self.postings.get(stem)) {
            for slot in slots {
                hits[*slot as usize] += 1;
            }
        }
        let mut matched: Vec<(u16, &Listed)> = hits
            .iter()
            .enumerate()
            .filter(|(_, n)| usize::from(**n) >= needed)
            .filter_map(|(slot, n)| self.docs[slot].as_ref().map(|doc| (*n, &doc.listed)))
            .filter(|(_, listed)| reader.admits(listed.rating, listed.topic, Some(listed.published_at)))
            .collect();
        matched.sort_unstable_by_key(|(n, listed)| Reverse((*n, listed.published_at, listed.id)));
        let page = matched.iter().skip(offset).take(limit).map(|(_, listed)| (*listed).clone()).collect();
        Found { total: matched.len() as u64, page }
    }
}

/// The index, shared by every request. Cheap to search while a sync runs: the store is read and new text
/// analysed before the index is locked for writing.
#[derive(Default)]
pub struct SearchIndex {
    index: RwLock<Index>,
    /// One sync at a time, so two never apply the same changes in the wrong order.
    syncing: tokio::sync::Mutex<()>,
}

fn published(c: &Clarification) -> bool {
    c.status == ClarificationStatus::Published
}

/// Reads what changed after `through` (everything when `None`) and analyses it.
fn changes(store: &mut dyn Store, through: Option<i64>) -> tangkal_store::Result<(i64, Vec<Update>)> {
    match through {
        None => {
            // The head first: a change committed while the rest is read is seen again next time.
            let head = store.audit_head_seq()?;
            let filter =
                ClarificationFilter { status: Some(ClarificationStatus::Published), ..ClarificationFilter::default() };
            let all = store.list_clarifications(&filter, i64::MAX as u64, 0)?;
            Ok((head, all.iter().map(|c| Update::Put(Analysed::of(c))).collect()))
        }
        Some(through) => {
            let changed = store.changes_after(through, "clarification")?;
            let mut updates = Vec::with_capacity(changed.entity_ids.len());
            for id in changed.entity_ids.iter().filter_map(|id| id.parse::<i64>().ok()) {
                updates.push(match store.clarification(id)? {
                    Some(c) if published(&c) => Update::Put(Analysed::of(&c)),
                    _ => Update::Remove(id),
                });
            }
            Ok((changed.through, updates))
        }
    }
}

impl SearchIndex {
    /// Brings the index up to date with the store.
    pub async fn sync(&self, pool: &StorePool) -> Result<(), Problem> {
        let _turn = self.syncing.lock().await;
        let through = self.read().through;
        let (head, updates) = pool.run(move |s| changes(s, through)).await?;
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        index.apply(updates);
        index.through = Some(head);
        Ok(())
    }

    /// One page of the published clarifications matching `query` that `reader` admits (the same filters
    /// the store's lists apply in SQL), after a sync.
    pub async fn search(
        &self,
        pool: &StorePool,
        query: &str,
        reader: &ReaderFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Found, Problem> {
        self.sync(pool).await?;
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(self.read().search(query, reader, offset, usize::try_from(limit).unwrap_or(usize::MAX)))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn doc(id: i64, title: &str, body: &str, day: u32) -> Analysed {
        let listed = Listed {
            id,
            slug: format!("c-{id}"),
            title: title.into(),
            claim: title.into(),
            rating: if id % 2 == 0 { Rating::Benar } else { Rating::Hoaks },
            topic: (id == 3).then_some(Topic::Pemilu),
            published_at: Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).unwrap(),
        };
        Analysed { stems: content_stems(&format!("{title}\n{body}")).into_iter().collect(), listed }
    }

    impl Index {
        fn search_all(&self, query: &str, offset: usize, limit: usize) -> Found {
            self.search(query, &ReaderFilter::default(), offset, limit)
        }
    }

    fn ids(found: &Found) -> Vec<i64> {
        found.page.iter().map(|l| l.id).collect()
    }

    #[test]
    fn results_need_half_the_query_and_rank_by_hits_then_date() {
        let mut index = Index::default();
        index.put(doc(1, "Surat suara tercoblos di gudang", "Foto lama", 1));
        index.put(doc(2, "Vaksin berbahaya bagi anak", "Tidak benar", 2));
        index.put(doc(3, "Surat suara palsu", "Beredar di grup", 3));
        let found = index.search_all("surat suaranya yg dicoblos", 0, 10);
        assert_eq!((found.total, ids(&found)), (2, vec![1, 3]), "three stems matched beat two");
        assert_eq!(ids(&index.search_all("surat vaksin", 0, 10)), [3, 2, 1], "one of two stems each: newest first");
        assert_eq!(index.search_all("yang dan di", 0, 10).total, 0, "stop words only");
        let second = index.search_all("surat suara", 1, 1);
        assert_eq!((second.total, ids(&second)), (2, vec![1]));
    }

    #[test]
    fn results_pass_the_readers_filters_before_paging() {
        let mut index = Index::default();
        index.put(doc(1, "Surat suara tercoblos di gudang", "", 1));
        index.put(doc(2, "Surat suara dan vaksin", "", 2));
        index.put(doc(3, "Surat suara palsu", "", 3));
        let search = |reader: ReaderFilter| {
            let found = index.search("surat suara", &reader, 0, 1);
            (found.total, ids(&found))
        };
        assert_eq!(search(ReaderFilter::default()), (3, vec![3]));
        assert_eq!(search(ReaderFilter { rating: Some(Rating::Benar), ..Default::default() }), (1, vec![2]));
        assert_eq!(search(ReaderFilter { topic: Some(Topic::Pemilu), ..Default::default() }), (1, vec![3]));
        let day = |d| Some(Utc.with_ymd_and_hms(2026, 3, d, 0, 0, 0).unwrap());
        let range = ReaderFilter { published_from: day(1), published_before: day(3), ..Default::default() };
        assert_eq!(search(range), (2, vec![2]), "the end is excluded, the total counts every page");
        let none = ReaderFilter { rating: Some(Rating::Hoaks), topic: Some(Topic::Kesehatan), ..Default::default() };
        assert_eq!(search(none), (0, vec![]));
    }

    #[test]
    fn replacing_and_removing_keep_postings_exact() {
        let mut index = Index::default();
        index.put(doc(1, "Surat suara tercoblos", "", 1));
        index.put(doc(2, "Banjir bandang di Bogor", "", 2));
        index.put(doc(1, "Gempa di Cianjur", "", 1));
        assert_eq!(index.search_all("surat suara", 0, 10).total, 0, "the old text is gone");
        assert_eq!(ids(&index.search_all("gempa cianjur", 0, 10)), [1]);
        index.remove(2);
        assert_eq!(index.search_all("banjir", 0, 10).total, 0);
        assert!(!index.postings.contains_key("banjir"), "empty postings are dropped");
        index.put(doc(3, "Banjir rob Jakarta", "", 3));
        assert_eq!(index.docs.len(), 2, "the freed slot is reused");
        assert_eq!(ids(&index.search_all("banjir", 0, 10)), [3]);
    }
}
