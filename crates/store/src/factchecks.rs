//! Published fact-checks: upserts that keep every earlier version, filtered reads and text search.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::{params, params_from_iter, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use tangkal_model::FactCheck;

use crate::{Result, SqliteStore, StoreError};

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

const COLUMNS: &str = "external_id, title, claim, rating, misinformation_type, explanation, conclusion, url,
    publisher, published_on, lang, provenance, version, updated_at";

fn search_text(r: &FactCheck) -> String {
    [Some(r.title.as_str()), r.claim.as_deref(), r.conclusion.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredFactCheck> {
    read_row_at(r, 0)
}

/// Reads the COLUMNS starting at column `at`.
fn read_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredFactCheck> {
    let date: Option<String> = r.get(at + 9)?;
    Ok(StoredFactCheck {
        factcheck: FactCheck {
            id: r.get(at)?,
            title: r.get(at + 1)?,
            claim: r.get(at + 2)?,
            rating: r.get(at + 3)?,
            misinformation_type: r.get(at + 4)?,
            explanation: r.get(at + 5)?,
            conclusion: r.get(at + 6)?,
            url: r.get(at + 7)?,
            publisher: r.get(at + 8)?,
            date: date.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            lang: r.get(at + 10)?,
            provenance: r.get(at + 11)?,
        },
        version: r.get(at + 12)?,
        updated_at: Utc.timestamp_opt(r.get(at + 13)?, 0).single().unwrap_or_default(),
    })
}

/// The upsert of [`FactCheckStore::upsert_factchecks`], inside the caller's transaction.
fn upsert(tx: &rusqlite::Transaction<'_>, records: &[FactCheck], now: DateTime<Utc>) -> Result<FactCheckCounts> {
    let now = now.timestamp();
    let mut counts = FactCheckCounts::default();
    let mut by_id = tx.prepare_cached(&format!("SELECT id, {COLUMNS} FROM factchecks WHERE external_id = ?1"))?;
    let mut by_url = tx.prepare_cached(&format!("SELECT id, {COLUMNS} FROM factchecks WHERE url_key = ?1 LIMIT 1"))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO factchecks (external_id, version, title, claim, rating, misinformation_type,
                 explanation, conclusion, url, url_key, publisher, published_on, lang, provenance,
                 search_text, created_at, updated_at)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE factchecks SET version = version + 1, title = ?2, claim = ?3, rating = ?4,
                 misinformation_type = ?5, explanation = ?6, conclusion = ?7, url = ?8, url_key = ?9,
                 publisher = ?10, published_on = ?11, lang = ?12, provenance = ?13, search_text = ?14,
                 updated_at = ?15
             WHERE id = ?1",
    )?;
    let mut archive = tx.prepare_cached(
        "INSERT INTO factcheck_versions (factcheck_id, version, record, replaced_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let row = |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(0)?, read_row_at(r, 1)?));
    for record in records {
        if record.id.is_empty() {
            return Err(StoreError::invalid("id", format!("of the fact-check {:?} must not be empty", record.title)));
        }
        if record.title.is_empty() {
            return Err(StoreError::invalid("title", format!("of the fact-check {:?} must not be empty", record.id)));
        }
        let url_key = record.url_key();
        let mut existing = by_id.query_row(params![record.id], row).optional()?;
        if existing.is_none() {
            if let Some(key) = &url_key {
                existing = by_url.query_row(params![key], row).optional()?;
            }
        }
        let date = record.date.map(|d| d.to_string());
        match existing {
            None => {
                insert.execute(params![
                    record.id,
                    record.title,
                    record.claim,
                    record.rating,
                    record.misinformation_type,
                    record.explanation,
                    record.conclusion,
                    record.url,
                    url_key,
                    record.publisher,
                    date,
                    record.lang,
                    record.provenance,
                    search_text(record),
                    now,
                ])?;
                counts.new += 1;
            }
            Some((rowid, stored)) => {
                // The stored id wins: a record found by URL keeps the id others refer to.
                let incoming = FactCheck { id: stored.factcheck.id.clone(), ..record.clone() };
                if incoming == stored.factcheck {
                    counts.unchanged += 1;
                    continue;
                }
                let old = serde_json::to_string(&stored.factcheck)
                    .map_err(|e| StoreError::Internal(format!("cannot serialise a fact-check: {e}")))?;
                archive.execute(params![rowid, stored.version, old, now])?;
                update.execute(params![
                    rowid,
                    incoming.title,
                    incoming.claim,
                    incoming.rating,
                    incoming.misinformation_type,
                    incoming.explanation,
                    incoming.conclusion,
                    incoming.url,
                    url_key,
                    incoming.publisher,
                    date,
                    incoming.lang,
                    incoming.provenance,
                    search_text(&incoming),
                    now,
                ])?;
                counts.updated += 1;
            }
        }
    }
    Ok(counts)
}

impl FactCheckStore for SqliteStore {
    fn upsert_factchecks(&mut self, records: &[FactCheck]) -> Result<FactCheckCounts> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let counts = upsert(&tx, records, Utc::now())?;
        tx.commit()?;
        Ok(counts)
    }

    fn pull_since(&self, source: &str) -> Result<Option<DateTime<Utc>>> {
        let since: Option<Option<String>> = self
            .conn
            .query_row("SELECT since FROM factcheck_sources WHERE url = ?1", params![source], |r| r.get(0))
            .optional()?;
        since
            .flatten()
            .map(|text| {
                DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.to_utc())
                    .map_err(|e| StoreError::Corrupt(format!("factcheck_sources.since of {source}: {text:?}: {e}")))
            })
            .transpose()
    }

    fn upsert_pulled_factchecks(
        &mut self,
        source: &str,
        records: &[FactCheck],
        next_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<FactCheckCounts> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let counts = upsert(&tx, records, now)?;
        tx.execute(
            "INSERT INTO factcheck_sources (url, since, pulled_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (url) DO UPDATE SET since = excluded.since, pulled_at = excluded.pulled_at",
            params![source, next_since.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)), now.timestamp()],
        )?;
        tx.commit()?;
        Ok(counts)
    }
    fn list_factchecks(&self, filter: &FactCheckFilter, limit: u64, offset: u64) -> Result<Vec<StoredFactCheck>> {
        let (clause, mut args) = where_clause(filter);
        args.push(i64::try_from(limit).unwrap_or(i64::MAX).to_string());
        args.push(i64::try_from(offset).unwrap_or(i64::MAX).to_string());
        let sql = format!(
            "SELECT {COLUMNS} FROM factchecks {clause}
             ORDER BY published_on DESC, external_id LIMIT CAST(?{} AS INTEGER) OFFSET CAST(?{} AS INTEGER)",
            args.len() - 1,
            args.len()
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), read_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn count_factchecks(&self, filter: &FactCheckFilter) -> Result<u64> {
        let (clause, args) = where_clause(filter);
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM factchecks {clause}"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn get_factcheck(&self, id: &str) -> Result<Option<StoredFactCheck>> {
        let sql = format!("SELECT {COLUMNS} FROM factchecks WHERE external_id = ?1");
        Ok(self.conn.query_row(&sql, params![id], read_row).optional()?)
    }

    fn factcheck_versions(&self, id: &str) -> Result<Vec<FactCheckVersion>> {
        let mut stmt = self.conn.prepare(
            "SELECT v.version, v.record, v.replaced_at FROM factcheck_versions v
             JOIN factchecks f ON f.id = v.factcheck_id WHERE f.external_id = ?1 ORDER BY v.version",
        )?;
        let rows =
            stmt.query_map(params![id], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (version, record, at) = row?;
            let factcheck = serde_json::from_str(&record)
                .map_err(|e| StoreError::Corrupt(format!("stored version {version} of {id} is unreadable: {e}")))?;
            out.push(FactCheckVersion {
                version,
                factcheck,
                replaced_at: Utc.timestamp_opt(at, 0).single().unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

/// Builds a parameterised WHERE clause: user input only ever travels as bound parameters.
fn where_clause(filter: &FactCheckFilter) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    if let Some(needle) = &filter.search {
        let escaped = needle.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        args.push(format!("%{escaped}%"));
        conditions.push(format!("search_text LIKE ?{} ESCAPE '\\'", args.len()));
    }
    if let Some(publisher) = &filter.publisher {
        args.push(publisher.clone());
        conditions.push(format!("publisher = ?{}", args.len()));
    }
    if let Some(rating) = &filter.rating {
        args.push(rating.to_uppercase());
        conditions.push(format!("rating = ?{}", args.len()));
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

    #[test]
    fn updates_are_versioned_and_urls_identify_copies() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
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

    #[test]
    fn search_escapes_wildcards_and_filters_combine() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
        store.upsert_factchecks(&[fc("fc-a", "Vaksin chip", None), fc("fc-b", "Bansos_cair", None)]).unwrap();
        let search = |s: &str| FactCheckFilter { search: Some(s.into()), ..Default::default() };
        assert_eq!(store.count_factchecks(&search("VAKSIN")).unwrap(), 1);
        assert_eq!(store.count_factchecks(&search("s_c")).unwrap(), 1);
        assert_eq!(store.count_factchecks(&search("100%")).unwrap(), 2);
        assert_eq!(store.count_factchecks(&search("n%c")).unwrap(), 0);
        let hoaks = FactCheckFilter { rating: Some("hoaks".into()), ..Default::default() };
        assert_eq!(store.count_factchecks(&hoaks).unwrap(), 0);
        assert_eq!(store.list_factchecks(&FactCheckFilter::default(), 1, 1).unwrap().len(), 1);
    }

    #[test]
    fn a_pull_stores_its_records_and_next_start_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open_in(dir.path()).unwrap();
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
}
