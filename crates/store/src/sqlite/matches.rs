//! Narratives' claim matches on SQLite.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use tangkal_cases::Priority;
use tangkal_model::NarrativeId;

use crate::{
    FactCheckMatch, MatchStore, NarrativeClaim, NarrativeMatch, NarrativeMatches, PendingNarrative, Result,
    SqliteStore, StoreError,
};

impl MatchStore for SqliteStore {
    fn factchecks_revision(&self) -> Result<Option<String>> {
        let (count, newest, versions): (i64, i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(MAX(updated_at), 0), COALESCE(SUM(version), 0) FROM factchecks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        // An update bumps a version; an insert adds a row.
        Ok((count > 0).then(|| format!("{count}.{versions}.{newest}")))
    }

    fn narratives_to_match(
        &self,
        matcher_version: &str,
        factchecks_revision: &str,
        updated_since: i64,
        limit: u64,
    ) -> Result<Vec<PendingNarrative>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT n.id, n.representative_item_id, ",
            item_text!("i"),
            "
             FROM narratives n
             JOIN items i ON i.id = n.representative_item_id
             LEFT JOIN narrative_claims c ON c.narrative_id = n.id
             WHERE n.merged_into IS NULL AND n.updated_at >= ?3
               AND (c.narrative_id IS NULL OR c.representative_item_id <> n.representative_item_id
                    OR c.matcher_version <> ?1 OR c.factchecks_revision <> ?2)
             ORDER BY n.id LIMIT ?4"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![matcher_version, factchecks_revision, updated_since, limit], |r| {
            Ok(PendingNarrative { narrative_id: r.get(0)?, representative_item_id: r.get(1)?, text: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn save_narrative_matches(&mut self, batch: &[NarrativeMatches]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO narrative_claims (narrative_id, representative_item_id, matcher_version,
                     factchecks_revision, matched_at, best_score, debunked, priority, case_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (narrative_id) DO UPDATE SET
                     representative_item_id = excluded.representative_item_id,
                     matcher_version = excluded.matcher_version, factchecks_revision = excluded.factchecks_revision,
                     matched_at = excluded.matched_at, best_score = excluded.best_score,
                     debunked = excluded.debunked, priority = excluded.priority,
                     case_id = COALESCE(excluded.case_id, narrative_claims.case_id)",
            )?;
            let mut clear = tx.prepare_cached("DELETE FROM narrative_matches WHERE narrative_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO narrative_matches (narrative_id, rank, factcheck_id, score, explanation)
                 SELECT ?1, ?2, id, ?4, ?5 FROM factchecks WHERE external_id = ?3",
            )?;
            for NarrativeMatches { claim, matches } in batch {
                upsert.execute(params![
                    claim.narrative_id,
                    claim.representative_item_id,
                    claim.matcher_version,
                    claim.factchecks_revision,
                    claim.matched_at,
                    claim.best_score,
                    claim.debunked as i64,
                    claim.priority.map(Priority::level),
                    claim.case_id,
                ])?;
                clear.execute(params![claim.narrative_id])?;
                for (rank, m) in (1i64..).zip(matches) {
                    let explanation = serde_json::to_string(&m.explanation)
                        .map_err(|e| StoreError::Internal(format!("cannot serialise an explanation: {e}")))?;
                    if insert.execute(params![claim.narrative_id, rank, m.factcheck_id, m.score, explanation])? != 1 {
                        return Err(StoreError::invalid(
                            "factcheck_id",
                            format!("{} is not a stored fact-check", m.factcheck_id),
                        ));
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn narrative_claim(&self, narrative_id: NarrativeId) -> Result<Option<NarrativeClaim>> {
        let claim = self
            .conn
            .prepare_cached(
                "SELECT narrative_id, representative_item_id, matcher_version, factchecks_revision, matched_at,
                        best_score, debunked, priority, case_id
                 FROM narrative_claims WHERE narrative_id = ?1",
            )?
            .query_row(params![narrative_id], |r| {
                Ok(NarrativeClaim {
                    narrative_id: r.get(0)?,
                    representative_item_id: r.get(1)?,
                    matcher_version: r.get(2)?,
                    factchecks_revision: r.get(3)?,
                    matched_at: r.get(4)?,
                    best_score: r.get(5)?,
                    debunked: r.get::<_, i64>(6)? != 0,
                    priority: r.get::<_, Option<i64>>(7)?.and_then(Priority::from_level),
                    case_id: r.get(8)?,
                })
            })
            .optional()?;
        Ok(claim)
    }

    fn narrative_matches(&self, narrative_id: NarrativeId) -> Result<Vec<NarrativeMatch>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.rank, f.external_id, m.score, m.explanation, f.title, f.rating, f.url
             FROM narrative_matches m JOIN factchecks f ON f.id = m.factcheck_id
             WHERE m.narrative_id = ?1 ORDER BY m.rank",
        )?;
        let rows = stmt.query_map(params![narrative_id], |r| {
            let explanation: String = r.get(3)?;
            Ok(NarrativeMatch {
                rank: r.get(0)?,
                found: FactCheckMatch {
                    factcheck_id: r.get(1)?,
                    score: r.get(2)?,
                    explanation: serde_json::from_str(&explanation).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
                    })?,
                },
                title: r.get(4)?,
                rating: r.get(5)?,
                url: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn narrative_case(&self, narrative_id: NarrativeId) -> Result<Option<i64>> {
        family_case(&self.conn, narrative_id, false)
    }
}

/// The earliest case linking narrative `narrative_id` or one merged into it; with `open_only`, the
/// earliest such case still open.
pub(crate) fn family_case(
    conn: &rusqlite::Connection,
    narrative_id: NarrativeId,
    open_only: bool,
) -> Result<Option<i64>> {
    let family: Vec<i64> = conn
        .prepare_cached(
            "WITH RECURSIVE family (id) AS (
                 SELECT CAST(?1 AS BIGINT)
                 UNION SELECT m.absorbed FROM narrative_merges m JOIN family f ON m.into_id = f.id)
             SELECT id FROM family",
        )?
        .query_map(params![narrative_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // One lookup per member by the links' target index: joined in one statement, the planner may scan
    // every narrative link instead.
    let mut earliest: Option<i64> = None;
    let mut lookup = conn.prepare_cached(
        "SELECT MIN(l.case_id) FROM case_links l INDEXED BY case_links_target JOIN cases c ON c.id = l.case_id
         WHERE l.kind = 'narrative' AND l.target = ?1 AND (NOT ?2 OR c.status NOT IN ('closed', 'dismissed'))",
    )?;
    for id in family {
        let case: Option<i64> = lookup.query_row(params![id.to_string(), open_only], |r| r.get(0))?;
        earliest = match (earliest, case) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(earliest)
}
