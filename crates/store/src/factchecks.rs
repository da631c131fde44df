//! Published fact-checks: upserts that keep every earlier version, filtered reads and text search.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::Serialize;
use tangkal_model::FactCheck;

use crate::{Result, StoreError};

/// What an upsert did with each record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FactCheckCounts {
    pub new: u64,
    /// Stored before with other content: the old content became a version.
    pub updated: u64,
    pub unchanged: u64,
}

/// A fact-check as stored, with its version number (1 for never updated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFactCheck {
    pub factcheck: FactCheck,
    pub version: u32,
    pub updated_at: DateTime<Utc>,
}

/// An earlier version of a fact-check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactCheckVersion {
    pub version: u32,
    pub factcheck: FactCheck,
    pub replaced_at: DateTime<Utc>,
}

/// Which fact-checks to read; conditions combine with AND.
#[derive(Debug, Clone, Default)]
pub struct FactCheckFilter {
    /// Case-insensitive substring of the title, claim or conclusion.
    pub search: Option<String>,
    pub publisher: Option<String>,
    /// Upper-case verdict, e.g. `SALAH`.
    pub rating: Option<String>,
}

pub trait FactCheckStore {
    /// Stores a batch atomically. A record is the same fact-check as a stored one with its id, else
    /// with its [`FactCheck::url_key`]; changed content bumps the version and keeps the old one.
    fn upsert_factchecks(&mut self, records: &[FactCheck]) -> Result<FactCheckCounts>;
    /// Where the next pull of a partner's feed starts (`None`: from the start).
    fn pull_since(&self, source: &str) -> Result<Option<DateTime<Utc>>>;
    /// Stores what a pull of `source` read, as [`FactCheckStore::upsert_factchecks`] does, and where its
    /// next pull starts, in one transaction: a pull is recorded whole or not at all.
    fn upsert_pulled_factchecks(
        &mut self,
        source: &str,
        records: &[FactCheck],
        next_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<FactCheckCounts>;
    /// Newest first (by publication date, then id).
    fn list_factchecks(&self, filter: &FactCheckFilter, limit: u64, offset: u64) -> Result<Vec<StoredFactCheck>>;
    fn count_factchecks(&self, filter: &FactCheckFilter) -> Result<u64>;
    fn get_factcheck(&self, id: &str) -> Result<Option<StoredFactCheck>>;
    /// Earlier versions, oldest first.
    fn factcheck_versions(&self, id: &str) -> Result<Vec<FactCheckVersion>>;
}

pub(crate) const COLUMNS: &str = "external_id, title, claim, rating, misinformation_type, explanation, conclusion,
    url, publisher, published_on, lang, provenance, version, updated_at";

pub(crate) fn search_text(r: &FactCheck) -> String {
    [Some(r.title.as_str()), r.claim.as_deref(), r.conclusion.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

/// A stored publication date (`YYYY-MM-DD`) as the record's date; unreadable reads as none.
pub(crate) fn date_of(text: Option<String>) -> Option<chrono::NaiveDate> {
    text.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

/// A stored time (UTC seconds).
pub(crate) fn time_of(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// Refuses a record that cannot be stored.
pub(crate) fn check(record: &FactCheck) -> Result<()> {
    if record.id.is_empty() {
        return Err(StoreError::invalid("id", format!("of the fact-check {:?} must not be empty", record.title)));
    }
    if record.title.is_empty() {
        return Err(StoreError::invalid("title", format!("of the fact-check {:?} must not be empty", record.id)));
    }
    Ok(())
}

/// What an upsert does with one record.
pub(crate) enum Upsert {
    Insert,
    Unchanged,
    /// The stored row `row`, at `version`, takes the record's content but keeps its id; `archived` (JSON)
    /// keeps the content it had.
    Update {
        row: i64,
        version: u32,
        archived: String,
    },
}

impl Upsert {
    /// Decides for `record`, given the stored fact-check it is the same as (by id, else by URL) and its
    /// row id.
    pub(crate) fn of(record: &FactCheck, existing: Option<(i64, StoredFactCheck)>) -> Result<Upsert> {
        let Some((row, stored)) = existing else { return Ok(Upsert::Insert) };
        // The stored id wins: a record found by URL keeps the id others refer to.
        let incoming = FactCheck { id: stored.factcheck.id.clone(), ..record.clone() };
        if incoming == stored.factcheck {
            return Ok(Upsert::Unchanged);
        }
        let archived = serde_json::to_string(&stored.factcheck)
            .map_err(|e| StoreError::Internal(format!("cannot serialise a fact-check: {e}")))?;
        Ok(Upsert::Update { row, version: stored.version, archived })
    }
}

impl FactCheckCounts {
    pub(crate) fn count(&mut self, upsert: &Upsert) {
        match upsert {
            Upsert::Insert => self.new += 1,
            Upsert::Unchanged => self.unchanged += 1,
            Upsert::Update { .. } => self.updated += 1,
        }
    }
}

/// A partner feed's stored `since` mark.
pub(crate) fn since_of(source: &str, since: Option<String>) -> Result<Option<DateTime<Utc>>> {
    since
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|t| t.to_utc())
                .map_err(|e| StoreError::Corrupt(format!("factcheck_sources.since of {source}: {text:?}: {e}")))
        })
        .transpose()
}

/// How a feed's `since` mark is stored: RFC 3339, to the fraction of a second the partner gave.
pub(crate) fn since_text(since: Option<DateTime<Utc>>) -> Option<String> {
    since.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// An earlier version as stored (`record` is its JSON).
pub(crate) fn version_of(id: &str, version: u32, record: &str, replaced_at: i64) -> Result<FactCheckVersion> {
    let factcheck = serde_json::from_str(record)
        .map_err(|e| StoreError::Corrupt(format!("stored version {version} of {id} is unreadable: {e}")))?;
    Ok(FactCheckVersion { version, factcheck, replaced_at: time_of(replaced_at) })
}

/// Builds a parameterised WHERE clause: user input only ever travels as bound parameters, numbered after
/// `mark` (`?` on SQLite, `$` on PostgreSQL). The search is a substring of `search_text`, both sides
/// lower-cased in Rust: SQLite's LIKE (blind to ASCII case) and PostgreSQL's (case-sensitive) agree.
pub(crate) fn where_clause(filter: &FactCheckFilter, mark: char) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    if let Some(needle) = &filter.search {
        let escaped = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        args.push(format!("%{escaped}%"));
        conditions.push(format!("search_text LIKE {mark}{} ESCAPE '\\'", args.len()));
    }
    if let Some(publisher) = &filter.publisher {
        args.push(publisher.clone());
        conditions.push(format!("publisher = {mark}{}", args.len()));
    }
    if let Some(rating) = &filter.rating {
        args.push(rating.to_uppercase());
        conditions.push(format!("rating = {mark}{}", args.len()));
    }
    if conditions.is_empty() {
        (String::new(), args)
    } else {
        (format!("WHERE {}", conditions.join(" AND ")), args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{on_both_backends, Backend};

    on_both_backends!(
        updates_are_versioned_and_urls_identify_copies,
        search_escapes_wildcards_and_filters_combine,
        search_folds_case_beyond_ascii_and_lists_newest_first,
        a_pull_stores_its_records_and_next_start_together_or_not_at_all,
        servers_storing_the_same_factchecks_at_once_make_one_row_and_one_history,
    );

    fn fc(id: &str, title: &str, url: Option<&str>) -> FactCheck {
        FactCheck {
            id: id.into(),
            title: title.into(),
            rating: Some("SALAH".into()),
            conclusion: Some("Faktanya 100% keliru".into()),
            url: url.map(Into::into),
            publisher: Some("Cek".into()),
            date: chrono::NaiveDate::from_ymd_opt(2024, 5, 1),
            lang: Some("id".into()),
            ..FactCheck::default()
        }
    }

    fn updates_are_versioned_and_urls_identify_copies(backend: &Backend) {
        let mut store = backend.open();
        let a = fc("fc-a", "Vaksin mengandung chip", Some("https://cek.id/vaksin"));
        let b = fc("fc-b", "Bansos 2024 cair", None);
        let counts = store.upsert_factchecks(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(counts, FactCheckCounts { new: 2, updated: 0, unchanged: 0 });
        assert_eq!(store.upsert_factchecks(std::slice::from_ref(&a)).unwrap().unchanged, 1);

        let edited = FactCheck { id: "fc-other".into(), url: Some("http://www.cek.id/vaksin/".into()), ..a.clone() };
        let edited = FactCheck { rating: Some("HOAKS".into()), ..edited };
        assert_eq!(store.upsert_factchecks(&[edited]).unwrap().updated, 1);
        let now = store.get_factcheck("fc-a").unwrap().unwrap();
        assert_eq!((now.version, now.factcheck.rating.as_deref()), (2, Some("HOAKS")));
        let versions = store.factcheck_versions("fc-a").unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].factcheck, a);
        assert_eq!(store.get_factcheck("fc-other").unwrap(), None);
        assert_eq!(store.count_factchecks(&FactCheckFilter::default()).unwrap(), 2);
    }

    fn search_escapes_wildcards_and_filters_combine(backend: &Backend) {
        let mut store = backend.open();
        store.upsert_factchecks(&[fc("fc-a", "Vaksin chip", None), fc("fc-b", "Bansos_cair", None)]).unwrap();
        let search = |s: &str| FactCheckFilter { search: Some(s.into()), ..Default::default() };
        assert_eq!(store.count_factchecks(&search("VAKSIN")).unwrap(), 1);
        assert_eq!(store.count_factchecks(&search("s_c")).unwrap(), 1);
        assert_eq!(store.count_factchecks(&search("100%")).unwrap(), 2);
        assert_eq!(store.count_factchecks(&search("n%c")).unwrap(), 0);
        assert_eq!(store.count_factchecks(&search(r"chip\")).unwrap(), 0, "a backslash is a character too");
        let hoaks = FactCheckFilter { rating: Some("hoaks".into()), ..Default::default() };
        assert_eq!(store.count_factchecks(&hoaks).unwrap(), 0);
        let salah_at_cek = FactCheckFilter {
            search: Some("chip".into()),
            publisher: Some("Cek".into()),
            rating: Some("salah".into()),
        };
        let found = store.list_factchecks(&salah_at_cek, 10, 0).unwrap();
        assert_eq!(found.iter().map(|f| f.factcheck.id.as_str()).collect::<Vec<_>>(), ["fc-a"]);
        assert_eq!(store.list_factchecks(&FactCheckFilter::default(), 1, 1).unwrap().len(), 1);
    }

    fn search_folds_case_beyond_ascii_and_lists_newest_first(backend: &Backend) {
        let mut store = backend.open();
        let undated = FactCheck { date: None, ..fc("fc-c", "ÉLECTION Ünterwegs", None) };
        let newer = FactCheck { date: chrono::NaiveDate::from_ymd_opt(2024, 6, 1), ..fc("fc-b", "Banjir", None) };
        let upper = fc("fc-B", "Gempa", None);
        store.upsert_factchecks(&[undated, fc("fc-a", "Vaksin", None), newer, upper]).unwrap();
        let search = |s: &str| FactCheckFilter { search: Some(s.into()), ..Default::default() };
        assert_eq!(store.count_factchecks(&search("élection ünter")).unwrap(), 1);
        assert_eq!(store.count_factchecks(&search("ÉLECTION")).unwrap(), 1);
        assert_eq!(store.count_factchecks(&search("é_ection")).unwrap(), 0, "a wildcard stays a character");
        let all = store.list_factchecks(&FactCheckFilter::default(), 10, 0).unwrap();
        // Newest first, ids in byte order within a day ("fc-B" before "fc-a"), undated last.
        let order: Vec<&str> = all.iter().map(|f| f.factcheck.id.as_str()).collect();
        assert_eq!(order, ["fc-b", "fc-B", "fc-a", "fc-c"]);
        let page: Vec<String> = store
            .list_factchecks(&FactCheckFilter::default(), 2, 1)
            .unwrap()
            .into_iter()
            .map(|f| f.factcheck.id)
            .collect();
        assert_eq!(page, ["fc-B", "fc-a"]);
    }

    fn a_pull_stores_its_records_and_next_start_together_or_not_at_all(backend: &Backend) {
        let mut store = backend.open();
        let feed = "https://mitra.example/api/v1/claimreviews";
        assert_eq!(store.pull_since(feed).unwrap(), None);
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let (mark, now) = (t("2026-12-03T08:00:00.25Z"), t("2026-12-03T09:00:00Z"));
        let counts = store.upsert_pulled_factchecks(feed, &[fc("fc-a", "Vaksin chip", None)], Some(mark), now).unwrap();
        assert_eq!(counts.new, 1);
        assert_eq!(store.pull_since(feed).unwrap(), Some(mark), "kept to the fraction of a second");
        assert_eq!(store.pull_since("https://lain.example/feed.atom").unwrap(), None);

        let bad = [fc("fc-b", "Bansos cair", None), fc("", "Tanpa id", None)];
        let refused = store.upsert_pulled_factchecks(feed, &bad, Some(now), now);
        assert!(matches!(refused, Err(StoreError::Invalid { field: "id", .. })), "{refused:?}");
        assert_eq!(store.pull_since(feed).unwrap(), Some(mark), "the mark did not move");
        assert_eq!(store.get_factcheck("fc-b").unwrap(), None, "nor was any record stored");

        store.upsert_pulled_factchecks(feed, &[], None, now).unwrap();
        assert_eq!(store.pull_since(feed).unwrap(), None, "a pull may start over");
    }

    /// Two servers store the same fact-checks at once, one by id with other content, one as copies under
    /// other ids with the same URLs: each fact-check ends as one row whose versions account for every
    /// change.
    fn servers_storing_the_same_factchecks_at_once_make_one_row_and_one_history(backend: &Backend) {
        const N: usize = 40;
        let url = |i: usize| format!("https://cek.id/{i}");
        let batch = |prefix: &str, rating: &str| -> Vec<FactCheck> {
            (0..N)
                .map(|i| FactCheck {
                    rating: Some(rating.into()),
                    ..fc(&format!("{prefix}-{i}"), &format!("Hoaks {i}"), Some(&url(i)))
                })
                .collect()
        };
        let writers = [batch("fc", "SALAH"), batch("fc", "HOAKS"), batch("copy", "KELIRU")];
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(writers.len()));
        let threads: Vec<_> = writers
            .into_iter()
            .map(|records| {
                let (mut store, barrier) = (backend.open(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    // One record per transaction, to interleave as much as possible.
                    records.iter().map(|r| store.upsert_factchecks(std::slice::from_ref(r)).unwrap()).fold(
                        FactCheckCounts::default(),
                        |sum, c| FactCheckCounts {
                            new: sum.new + c.new,
                            updated: sum.updated + c.updated,
                            unchanged: sum.unchanged + c.unchanged,
                        },
                    )
                })
            })
            .collect();
        let counts: Vec<FactCheckCounts> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let store = backend.open();
        assert_eq!(store.count_factchecks(&FactCheckFilter::default()).unwrap(), N as u64);
        assert_eq!(counts.iter().map(|c| c.new).sum::<u64>(), N as u64, "{counts:?}");
        assert_eq!(counts.iter().map(|c| c.updated).sum::<u64>(), 2 * N as u64, "{counts:?}");
        for stored in store.list_factchecks(&FactCheckFilter::default(), N as u64, 0).unwrap() {
            let versions = store.factcheck_versions(&stored.factcheck.id).unwrap();
            assert_eq!(stored.version, 3);
            assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
            let mut ratings: Vec<_> = versions
                .iter()
                .map(|v| &v.factcheck)
                .chain([&stored.factcheck])
                .map(|f| f.rating.clone().unwrap())
                .collect();
            ratings.sort();
            assert_eq!(ratings, ["HOAKS", "KELIRU", "SALAH"], "each writer's content is one version");
        }
    }
}
