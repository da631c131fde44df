//! Instant answers to citizen reports: a claim matcher over the stored fact-checks (imported ones and
//! published clarifications), held by the server and kept up to date without rebuilding it on the
//! request path.
//!
//! Two matchers answer together: the *base*, built from the whole fact-check database when the server
//! starts and rebuilt in the background when the database changes, and the *recent* one, built from
//! the fact-checks added since the base was read (a clarification just published). Adding one rebuilds
//! only the recent matcher (a few records), so the very next report can be answered by it. A record in
//! the recent matcher supersedes the base's record with the same id (a correction).
//!
//! Scores from the two are comparable: a match's score depends on the text and the record, not on the
//! size of the database the record sits in (word weights come from a shipped background table; see
//! `crates/matcher/src/background.rs`), so the best of both is the best match.
//!
//! Answers are kept for the texts asked about lately (a bounded cache keyed by a hash of the text in
//! lower case, emptied whenever either matcher changes): a hoax forwarded a thousand times in a minute
//! is matched once, and copies arriving while it is being matched wait for that one match.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use hashlink::LruCache;
use prometheus_client::metrics::counter::Counter;

use tangkal_matcher::{Answer, Matcher, Ranked, Thresholds};
use tangkal_model::FactCheck;
use tangkal_response::report::ReportAnswer;
use tangkal_store::{FactCheckFilter, Store};

/// Candidates looked at per matcher: enough to step past a best match that cannot answer the public
/// (no link or no rating) to the next one that is also confident.
const CANDIDATES: usize = 5;

/// Additions past which the base is rebuilt at once rather than at the next upkeep: each addition
/// rebuilds the recent matcher over all of them (some 25 µs a record), so a burst of publications (an
/// import of a partner's clarifications through the API) must not keep growing it.
const RECENT_LIMIT: usize = 200;

/// Texts whose answers are kept: a few hundred bytes each, whatever the texts' length.
const CACHED_ANSWERS: usize = 10_000;

/// An answer being found or found, shared by everyone asking about the same text meanwhile.
type CachedAnswer = Arc<OnceLock<Option<ReportAnswer>>>;

pub struct InstantAnswers {
    base: RwLock<Arc<Base>>,
    recent: RwLock<Arc<Recent>>,
    /// Fact-checks added since the base was read, numbered in order of addition.
    added: Mutex<Added>,
    /// Told when the additions pass [`RECENT_LIMIT`]; the server's upkeep then rebuilds the base.
    pub rebuild_soon: tokio::sync::Notify,
    /// Keyed by the xxh3 hash of the text in lower case.
    cache: Mutex<LruCache<u128, CachedAnswer>>,
    /// Texts the matchers were asked about (the cache's misses), for `/metrics`.
    pub matcher_calls: Counter,
}

struct Base {
    matcher: Matcher,
    /// The store's fact-check revision when the base was read; `None` for an empty database.
    revision: Option<String>,
    /// The thresholds in force when the base was read (the administrator's or the shipped ones).
    thresholds: Thresholds,
}

#[derive(Default)]
struct Recent {
    matcher: Option<Matcher>,
    /// Ids of the records in `matcher`: the base's records with these ids are out of date.
    ids: HashSet<String>,
}

#[derive(Default)]
struct Added {
    records: Vec<(u64, FactCheck)>,
    next: u64,
}

/// What a rebuild of the base read: the fact-checks and their revision, and how many additions they
/// already include.
pub struct Snapshot {
    records: Vec<FactCheck>,
    revision: Option<String>,
    thresholds: Thresholds,
    covers: u64,
}

impl InstantAnswers {
    /// Builds the base from the store's fact-checks.
    pub fn load(store: &dyn Store) -> tangkal_store::Result<InstantAnswers> {
        let answers = InstantAnswers {
            base: RwLock::new(Arc::new(Base {
                matcher: Matcher::build(Vec::new()),
                revision: None,
                thresholds: Thresholds::default(),
            })),
            recent: RwLock::default(),
            added: Mutex::default(),
            rebuild_soon: tokio::sync::Notify::new(),
            cache: Mutex::new(LruCache::new(CACHED_ANSWERS)),
            matcher_calls: Counter::default(),
        };
        let snapshot = answers.read(store)?;
        answers.install(snapshot);
        Ok(answers)
    }

    /// Whether the store's fact-checks or the thresholds in force changed since the base was read.
    pub fn outdated(&self, store: &dyn Store) -> tangkal_store::Result<bool> {
        let base = read(&self.base);
        Ok(store.factchecks_revision()? != base.revision
            || tangkal_pipeline::thresholds_in_force(store)? != base.thresholds)
    }

    /// Reads what a new base needs. Additions made before this call are committed, so the records read
    /// include them; later ones stay in the recent matcher until the next rebuild.
    pub fn read(&self, store: &dyn Store) -> tangkal_store::Result<Snapshot> {
        let covers = self.added.lock().unwrap_or_else(|e| e.into_inner()).next;
        // The revision first: a change landing between the two reads makes the next check rebuild again.
        let revision = store.factchecks_revision()?;
        let thresholds = tangkal_pipeline::thresholds_in_force(store)?;
        let records =
            store.list_factchecks(&FactCheckFilter::default(), u64::MAX >> 1, 0)?.into_iter().map(|s| s.factcheck);
        Ok(Snapshot { records: records.collect(), revision, thresholds, covers })
    }

    /// Builds the base from `snapshot` (the slow part: about a second for 17,000 fact-checks) and puts it
    /// in place, dropping the additions it includes.
    pub fn install(&self, snapshot: Snapshot) {
        let started = std::time::Instant::now();
        let count = snapshot.records.len();
        let base = Arc::new(Base {
            matcher: Matcher::build(snapshot.records),
            revision: snapshot.revision,
            thresholds: snapshot.thresholds,
        });
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        *self.base.write().unwrap_or_else(|e| e.into_inner()) = base;
        added.records.retain(|(n, _)| *n >= snapshot.covers);
        self.rebuild_recent(&added);
        tracing::info!(target: "tangkal::reports", "instant answers: indexed {count} fact-checks in {:.2?}", started.elapsed());
    }

    /// Adds a fact-check stored a moment ago (a published or corrected clarification): the next answer
    /// can be it.
    pub fn add(&self, factcheck: FactCheck) {
        let mut added = self.added.lock().unwrap_or_else(|e| e.into_inner());
        added.records.retain(|(_, f)| f.id != factcheck.id);
        let n = added.next;
        added.next += 1;
        added.records.push((n, factcheck));
        self.rebuild_recent(&added);
        if added.records.len() >= RECENT_LIMIT {
            self.rebuild_soon.notify_one();
        }
    }

    fn rebuild_recent(&self, added: &Added) {
        let records: Vec<FactCheck> = added.records.iter().map(|(_, f)| f.clone()).collect();
        let recent = Recent {
            ids: records.iter().map(|f| f.id.clone()).collect(),
            matcher: (!records.is_empty()).then(|| Matcher::build(records)),
        };
        *self.recent.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(recent);
        // Both installing a base and adding a record come here: what was answered may answer otherwise now.
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The answer for a report's words: the best match the matcher answers `auto` for that gives the
    /// public a rating and a link. CPU work (a fraction of a millisecond): call it off the async
    /// executor. Answered from the cache when the same text was asked about since the fact-checks last
    /// changed.
    pub fn answer(&self, text: &str) -> Option<ReportAnswer> {
        let key = xxhash_rust::xxh3::xxh3_128(text.to_lowercase().as_bytes());
        let cached = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(&key) {
                Some(found) => found.clone(),
                None => {
                    let slot = CachedAnswer::default();
                    cache.insert(key, slot.clone());
                    slot
                }
            }
        };
        cached
            .get_or_init(|| {
                self.matcher_calls.inc();
                self.matched(text)
            })
            .clone()
    }

    fn matched(&self, text: &str) -> Option<ReportAnswer> {
        let (base, recent) = (read(&self.base), read(&self.recent));
        let mut found: Vec<(Ranked, &FactCheck)> = base
            .matcher
            .rank(text, CANDIDATES)
            .into_iter()
            .map(|r| (r, base.matcher.index().record(r.doc)))
            .filter(|(_, f)| !recent.ids.contains(&f.id))
            .collect();
        if let Some(matcher) = &recent.matcher {
            found.extend(matcher.rank(text, CANDIDATES).into_iter().map(|r| (r, matcher.index().record(r.doc))));
        }
        found.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        let thresholds = base.thresholds;
        found
            .into_iter()
            .take_while(|(r, _)| thresholds.answer(Some(r.score)) == Answer::Auto)
            .find_map(|(_, f)| answer_of(f))
    }
}

fn read<T>(lock: &RwLock<Arc<T>>) -> Arc<T> {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// What the public is told about a fact-check: its verdict, headline and where to read it (a web link:
/// imported records may hold anything).
fn answer_of(f: &FactCheck) -> Option<ReportAnswer> {
    let present = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let url = present(&f.url).filter(|u| u.starts_with("https://") || u.starts_with("http://"))?;
    Some(ReportAnswer { rating: present(&f.rating)?, title: f.title.clone(), url })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<FactCheck> {
        let text = include_str!("../../../data/sample/factchecks.jsonl");
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn store_with(records: &[FactCheck]) -> (tempfile::TempDir, Box<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
        store.upsert_factchecks(records).unwrap();
        (dir, store)
    }

    /// A reader's text for a fact-check: its headline, as a forwarded message would repeat it.
    fn text_of(f: &FactCheck) -> String {
        format!("Tolong dicek: {}", f.claim.as_deref().unwrap_or(&f.title))
    }

    #[test]
    fn a_fact_check_added_after_the_base_answers_at_once_and_scores_as_it_would_in_the_base() {
        let all = sample();
        let (held_out, rest) = all.split_last().unwrap();
        let (_dir, store) = store_with(rest);
        let answers = InstantAnswers::load(store.as_ref()).unwrap();
        let text = text_of(held_out);
        assert_eq!(answers.answer(&text), None, "not in the database yet");

        answers.add(held_out.clone());
        let answer = answers.answer(&text).expect("answered by the addition");
        assert_eq!(answer.url, held_out.url.clone().unwrap());
        // The same record inside a base of all forty scores alike.
        let full = Matcher::build(all.clone());
        let in_full = full.rank(&text, 1)[0];
        let recent = read(&answers.recent);
        let alone = recent.matcher.as_ref().unwrap().rank(&text, 1)[0];
        assert_eq!(full.index().record(in_full.doc).id, held_out.id);
        assert!((in_full.score - alone.score).abs() < 0.1, "{} vs {}", in_full.score, alone.score);
    }

    #[test]
    fn a_rebuild_takes_in_the_additions_it_read_and_keeps_the_later_ones() {
        let all = sample();
        let (_dir, mut store) = store_with(&all[..38]);
        let answers = InstantAnswers::load(store.as_ref()).unwrap();
        assert!(!answers.outdated(store.as_ref()).unwrap());
        store.upsert_factchecks(&all[38..39]).unwrap();
        answers.add(all[38].clone());
        assert!(answers.outdated(store.as_ref()).unwrap());
        let snapshot = answers.read(store.as_ref()).unwrap();
        // Published while the rebuild runs: not in what it read.
        store.upsert_factchecks(&all[39..]).unwrap();
        answers.add(all[39].clone());
        answers.install(snapshot);
        let recent = read(&answers.recent);
        assert_eq!(recent.ids, HashSet::from([all[39].id.clone()]));
        for f in &all[38..] {
            assert_eq!(answers.answer(&text_of(f)).map(|a| a.url), f.url.clone(), "{}", f.id);
        }
        assert!(answers.outdated(store.as_ref()).unwrap(), "the second addition came later");
    }

    #[test]
    fn thresholds_an_administrator_sets_take_effect_at_the_next_rebuild() {
        let all = sample();
        let (_dir, mut store) = store_with(&all);
        let answers = InstantAnswers::load(store.as_ref()).unwrap();
        let text = text_of(&all[0]);
        assert!(answers.answer(&text).is_some());
        // Nothing is confident enough for the public any more.
        let strict = serde_json::to_value(Thresholds { auto_answer: 1.0, suggest: 0.12 }).unwrap();
        store.put_setting(tangkal_pipeline::THRESHOLDS_SETTING, &strict, "admin", chrono::Utc::now()).unwrap();
        assert!(answers.outdated(store.as_ref()).unwrap());
        answers.install(answers.read(store.as_ref()).unwrap());
        assert!(!answers.outdated(store.as_ref()).unwrap());
        assert_eq!(answers.answer(&text), None);
    }

    #[test]
    fn a_correction_replaces_the_record_it_corrects_and_unanswerable_records_are_passed_over() {
        let all = sample();
        let (_dir, store) = store_with(&all);
        let answers = InstantAnswers::load(store.as_ref()).unwrap();
        let target = &all[0];
        let text = text_of(target);
        assert_eq!(answers.answer(&text).unwrap().url, target.url.clone().unwrap());
        let corrected = FactCheck { url: Some("https://example.org/cek-fakta/koreksi".into()), ..target.clone() };
        answers.add(corrected);
        assert_eq!(answers.answer(&text).unwrap().url, "https://example.org/cek-fakta/koreksi");
        // Without a link the public cannot follow it: no answer from that record.
        answers.add(FactCheck { url: None, ..target.clone() });
        assert_ne!(answers.answer(&text).map(|a| a.url), target.url.clone());
        assert_eq!(answers.answer("Harga cabai di pasar induk turun pekan ini"), None);
    }

    #[test]
    fn the_same_text_is_matched_once_until_the_fact_checks_change() {
        let all = sample();
        let (_dir, store) = store_with(&all[1..]);
        let answers = InstantAnswers::load(store.as_ref()).unwrap();
        let text = text_of(&all[1]);
        let first = answers.answer(&text);
        assert!(first.is_some());
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| assert_eq!(answers.answer(&text.to_uppercase()), first));
            }
        });
        assert_eq!(answers.matcher_calls.get(), 1);
        answers.add(all[0].clone());
        assert_eq!(answers.answer(&text), first);
        assert_eq!(answers.matcher_calls.get(), 2, "asked again once the records changed");
    }

    #[tokio::test]
    async fn a_burst_of_additions_asks_for_the_base_to_be_rebuilt_at_once() {
        let (_dir, store) = store_with(&[]);
        let answers = InstantAnswers::load(store.as_ref()).unwrap();
        let record =
            |n: usize| FactCheck { id: format!("fc-{n}"), title: format!("Klaim nomor {n}"), ..FactCheck::default() };
        let asked = || tokio::time::timeout(std::time::Duration::from_millis(20), answers.rebuild_soon.notified());
        for n in 1..RECENT_LIMIT {
            answers.add(record(n));
        }
        assert!(asked().await.is_err(), "not yet");
        answers.add(record(RECENT_LIMIT));
        assert!(asked().await.is_ok());
    }
}
