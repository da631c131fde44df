//! Fact-checks on SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, OptionalExtension, TransactionBehavior};
use tangkal_model::FactCheck;

use crate::factchecks::{
    check, date_of, search_text, since_of, since_text, time_of, version_of, where_clause, Upsert, COLUMNS,
};
use crate::{FactCheckCounts, FactCheckFilter, FactCheckStore, FactCheckVersion, Result, SqliteStore, StoredFactCheck};

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredFactCheck> {
    read_row_at(r, 0)
}

/// Reads the COLUMNS starting at column `at`.
fn read_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredFactCheck> {
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
            date: date_of(r.get(at + 9)?),
            lang: r.get(at + 10)?,
            provenance: r.get(at + 11)?,
        },
        version: r.get(at + 12)?,
        updated_at: time_of(r.get(at + 13)?),
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
        check(record)?;
        let url_key = record.url_key();
        let mut existing = by_id.query_row(params![record.id], row).optional()?;
        if existing.is_none() {
            if let Some(key) = &url_key {
                existing = by_url.query_row(params![key], row).optional()?;
            }
        }
        let upsert = Upsert::of(record, existing)?;
        counts.count(&upsert);
        let date = record.date.map(|d| d.to_string());
        match upsert {
            Upsert::Insert => {
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
            }
            Upsert::Unchanged => {}
            Upsert::Update { row, version, archived } => {
                archive.execute(params![row, version, archived, now])?;
                update.execute(params![
                    row,
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
        since_of(source, since.flatten())
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
            params![source, since_text(next_since), now.timestamp()],
        )?;
        tx.commit()?;
        Ok(counts)
    }
    fn list_factchecks(&self, filter: &FactCheckFilter, limit: u64, offset: u64) -> Result<Vec<StoredFactCheck>> {
        let (clause, mut args) = where_clause(filter, '?');
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
        let (clause, args) = where_clause(filter, '?');
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
            out.push(version_of(id, version, &record, at)?);
        }
        Ok(out)
    }
}
