//! Fact-checks on PostgreSQL.

use super::connection::{GenericClient, Transaction};
use ::postgres::types::ToSql;
use chrono::{DateTime, Utc};
use tangkal_model::FactCheck;

use super::PostgresStore;
use crate::factchecks::{
    check, date_of, search_text, since_of, since_text, time_of, version_of, where_clause, Upsert, COLUMNS,
};
use crate::{FactCheckCounts, FactCheckFilter, FactCheckStore, FactCheckVersion, Result, StoreError, StoredFactCheck};

/// The advisory lock fact-check upserts hold until they commit. A record is the same fact-check as a
/// stored one by its id or, failing that, by its URL, and only the id is unique: two servers storing the
/// same fact-check at once (under one id, or under two ids with one URL) must take turns for one row and
/// one version history to come out, as SQLite's single writer gives. Upserts are rare (partner pulls,
/// imports) and readers do not take this lock.
const UPSERT_LOCK: i64 = super::locks::FACTCHECK_UPSERT;

/// Reads the COLUMNS starting at column `at`.
fn read_row_at(r: &::postgres::Row, at: usize) -> Result<StoredFactCheck> {
    let version: i64 = r.get(at + 12);
    Ok(StoredFactCheck {
        factcheck: FactCheck {
            id: r.get(at),
            title: r.get(at + 1),
            claim: r.get(at + 2),
            rating: r.get(at + 3),
            misinformation_type: r.get(at + 4),
            explanation: r.get(at + 5),
            conclusion: r.get(at + 6),
            url: r.get(at + 7),
            publisher: r.get(at + 8),
            date: date_of(r.get(at + 9)),
            lang: r.get(at + 10),
            provenance: r.get(at + 11),
        },
        version: stored_version(version)?,
        updated_at: time_of(r.get(at + 13)),
    })
}

fn stored_version(version: i64) -> Result<u32> {
    u32::try_from(version).map_err(|_| StoreError::Corrupt(format!("fact-check version {version}")))
}

/// The upsert of [`FactCheckStore::upsert_factchecks`], inside the caller's transaction.
fn upsert(tx: &mut Transaction<'_>, records: &[FactCheck], now: DateTime<Utc>) -> Result<FactCheckCounts> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&UPSERT_LOCK])?;
    let now = now.timestamp();
    let mut counts = FactCheckCounts::default();
    let by_id = tx.prepare(&format!("SELECT id, {COLUMNS} FROM factchecks WHERE external_id = $1"))?;
    let by_url = tx.prepare(&format!("SELECT id, {COLUMNS} FROM factchecks WHERE url_key = $1 ORDER BY id LIMIT 1"))?;
    let insert = tx.prepare(
        "INSERT INTO factchecks (external_id, version, title, claim, rating, misinformation_type,
                 explanation, conclusion, url, url_key, publisher, published_on, lang, provenance,
                 search_text, created_at, updated_at)
             VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )?;
    let update = tx.prepare(
        "UPDATE factchecks SET version = version + 1, title = $2, claim = $3, rating = $4,
                 misinformation_type = $5, explanation = $6, conclusion = $7, url = $8, url_key = $9,
                 publisher = $10, published_on = $11, lang = $12, provenance = $13, search_text = $14,
                 updated_at = $15
             WHERE id = $1",
    )?;
    let archive = tx.prepare(
        "INSERT INTO factcheck_versions (factcheck_id, version, record, replaced_at) VALUES ($1, $2, $3, $4)",
    )?;
    for record in records {
        check(record)?;
        let url_key = record.url_key();
        let mut existing = tx.query_opt(&by_id, &[&record.id])?;
        if existing.is_none() {
            if let Some(key) = &url_key {
                existing = tx.query_opt(&by_url, &[key])?;
            }
        }
        let existing = existing.map(|r| Ok::<_, StoreError>((r.get::<_, i64>(0), read_row_at(&r, 1)?))).transpose()?;
        let upsert = Upsert::of(record, existing)?;
        counts.count(&upsert);
        let row = match upsert {
            Upsert::Unchanged => continue,
            Upsert::Insert => None,
            Upsert::Update { row, version, archived } => {
                tx.execute(&archive, &[&row, &i64::from(version), &archived, &now])?;
                Some(row)
            }
        };
        // $2 to $15 of both statements; $1 names the new record (its external id) or the row to update.
        let (date, search) = (record.date.map(|d| d.to_string()), search_text(record));
        let fields: [&(dyn ToSql + Sync); 14] = [
            &record.title,
            &record.claim,
            &record.rating,
            &record.misinformation_type,
            &record.explanation,
            &record.conclusion,
            &record.url,
            &url_key,
            &record.publisher,
            &date,
            &record.lang,
            &record.provenance,
            &search,
            &now,
        ];
        match &row {
            None => tx.execute(&insert, &[&[&record.id as &(dyn ToSql + Sync)], &fields[..]].concat())?,
            Some(row) => tx.execute(&update, &[&[row as &(dyn ToSql + Sync)], &fields[..]].concat())?,
        };
    }
    Ok(counts)
}

/// The filter's arguments as statement parameters.
fn params(args: &[String]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl FactCheckStore for PostgresStore {
    fn upsert_factchecks(&mut self, records: &[FactCheck]) -> Result<FactCheckCounts> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let counts = upsert(&mut tx, records, Utc::now())?;
        tx.commit()?;
        Ok(counts)
    }

    fn pull_since(&self, source: &str) -> Result<Option<DateTime<Utc>>> {
        let since = self.client().query_opt("SELECT since FROM factcheck_sources WHERE url = $1", &[&source])?;
        since_of(source, since.and_then(|r| r.get(0)))
    }

    fn upsert_pulled_factchecks(
        &mut self,
        source: &str,
        records: &[FactCheck],
        next_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<FactCheckCounts> {
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let counts = upsert(&mut tx, records, now)?;
        tx.execute(
            "INSERT INTO factcheck_sources (url, since, pulled_at) VALUES ($1, $2, $3)
             ON CONFLICT (url) DO UPDATE SET since = excluded.since, pulled_at = excluded.pulled_at",
            &[&source, &since_text(next_since), &now.timestamp()],
        )?;
        tx.commit()?;
        Ok(counts)
    }

    fn list_factchecks(&self, filter: &FactCheckFilter, limit: u64, offset: u64) -> Result<Vec<StoredFactCheck>> {
        let (limit, offset) = (i64::try_from(limit).unwrap_or(i64::MAX), i64::try_from(offset).unwrap_or(i64::MAX));
        let (clause, args) = where_clause(filter, '$');
        let mut params = params(&args);
        params.extend([&limit as &(dyn ToSql + Sync), &offset]);
        // SQLite's order: NULL dates last when descending, text compared by bytes.
        let sql = format!(
            "SELECT {COLUMNS} FROM factchecks {clause}
             ORDER BY published_on COLLATE \"C\" DESC NULLS LAST, external_id COLLATE \"C\"
             LIMIT ${} OFFSET ${}",
            params.len() - 1,
            params.len()
        );
        self.client().query(&sql, &params)?.iter().map(|r| read_row_at(r, 0)).collect()
    }

    fn count_factchecks(&self, filter: &FactCheckFilter) -> Result<u64> {
        let (clause, args) = where_clause(filter, '$');
        let n: i64 =
            self.client().query_one(&format!("SELECT COUNT(*) FROM factchecks {clause}"), &params(&args))?.get(0);
        Ok(n as u64)
    }

    fn get_factcheck(&self, id: &str) -> Result<Option<StoredFactCheck>> {
        let sql = format!("SELECT {COLUMNS} FROM factchecks WHERE external_id = $1");
        self.client().query_opt(&sql, &[&id])?.map(|r| read_row_at(&r, 0)).transpose()
    }

    fn factcheck_versions(&self, id: &str) -> Result<Vec<FactCheckVersion>> {
        let rows = self.client().query(
            "SELECT v.version, v.record, v.replaced_at FROM factcheck_versions v
             JOIN factchecks f ON f.id = v.factcheck_id WHERE f.external_id = $1 ORDER BY v.version",
            &[&id],
        )?;
        rows.iter().map(|r| version_of(id, stored_version(r.get(0))?, r.get(1), r.get(2))).collect()
    }
}
