//! Narratives' claim matches on PostgreSQL.

use super::connection::GenericClient;
use tangkal_cases::Priority;
use tangkal_model::NarrativeId;

use super::PostgresStore;
use crate::{
    FactCheckMatch, MatchStore, NarrativeClaim, NarrativeMatch, NarrativeMatches, PendingNarrative, Result, StoreError,
};

/// The earliest case linking narrative `narrative_id` or one merged into it; with `open_only`, the
/// earliest such case still open (SQLite's `crate::sqlite::matches::family_case`). One statement: PostgreSQL's
/// planner reaches each member's links by `case_links_target`.
pub(crate) fn family_case(
    client: &mut impl GenericClient,
    narrative_id: NarrativeId,
    open_only: bool,
) -> Result<Option<i64>> {
    let row = client.query_one(
        "WITH RECURSIVE family (id) AS (
             SELECT $1::bigint
             UNION SELECT m.absorbed FROM narrative_merges m JOIN family f ON m.into_id = f.id)
         SELECT MIN(l.case_id) FROM family f
         JOIN case_links l ON l.kind = 'narrative' AND l.target = f.id::text
         JOIN cases c ON c.id = l.case_id
         WHERE NOT $2 OR c.status NOT IN ('closed', 'dismissed')",
        &[&narrative_id, &open_only],
    )?;
    Ok(row.get(0))
}

fn stored_rank(rank: i64) -> Result<u32> {
    u32::try_from(rank).map_err(|_| StoreError::Corrupt(format!("narrative match rank {rank}")))
}

impl MatchStore for PostgresStore {
    fn factchecks_revision(&self) -> Result<Option<String>> {
        let row = self.client().query_one(
            "SELECT COUNT(*), COALESCE(MAX(updated_at), 0), COALESCE(SUM(version), 0)::bigint FROM factchecks",
            &[],
        )?;
        let (count, newest, versions): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
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
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client().query(
            "SELECT n.id, n.representative_item_id,
                    CASE WHEN i.text_copy = '' THEN (i.raw::json ->> 'text') ELSE i.text_copy END
             FROM narratives n
             JOIN items i ON i.id = n.representative_item_id
             LEFT JOIN narrative_claims c ON c.narrative_id = n.id
             WHERE n.merged_into IS NULL AND n.updated_at >= $3
               AND (c.narrative_id IS NULL OR c.representative_item_id <> n.representative_item_id
                    OR c.matcher_version <> $1 OR c.factchecks_revision <> $2)
             ORDER BY n.id LIMIT $4",
            &[&matcher_version, &factchecks_revision, &updated_since, &limit],
        )?;
        Ok(rows
            .iter()
            .map(|r| PendingNarrative { narrative_id: r.get(0), representative_item_id: r.get(1), text: r.get(2) })
            .collect())
    }

    fn save_narrative_matches(&mut self, batch: &[NarrativeMatches]) -> Result<()> {
        // By narrative (a stable sort: a narrative saved twice keeps its last outcome), so that two servers
        // saving overlapping batches lock the claim rows in one order and never deadlock. The upsert's row
        // lock makes a second save of a narrative wait and then replace the first one's matches whole.
        let mut batch: Vec<&NarrativeMatches> = batch.iter().collect();
        batch.sort_by_key(|m| m.claim.narrative_id);
        let mut client = self.client();
        let mut tx = client.transaction()?;
        let upsert = tx.prepare(
            "INSERT INTO narrative_claims (narrative_id, representative_item_id, matcher_version,
                 factchecks_revision, matched_at, best_score, debunked, priority, case_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (narrative_id) DO UPDATE SET
                 representative_item_id = excluded.representative_item_id,
                 matcher_version = excluded.matcher_version, factchecks_revision = excluded.factchecks_revision,
                 matched_at = excluded.matched_at, best_score = excluded.best_score,
                 debunked = excluded.debunked, priority = excluded.priority,
                 case_id = COALESCE(excluded.case_id, narrative_claims.case_id)",
        )?;
        let clear = tx.prepare("DELETE FROM narrative_matches WHERE narrative_id = $1")?;
        let insert = tx.prepare(
            "INSERT INTO narrative_matches (narrative_id, rank, factcheck_id, score, explanation)
             SELECT $1::bigint, $2::bigint, id, $4::double precision, $5::text FROM factchecks WHERE external_id = $3",
        )?;
        for NarrativeMatches { claim, matches } in batch {
            tx.execute(
                &upsert,
                &[
                    &claim.narrative_id,
                    &claim.representative_item_id,
                    &claim.matcher_version,
                    &claim.factchecks_revision,
                    &claim.matched_at,
                    &claim.best_score.map(f64::from),
                    &claim.debunked,
                    &claim.priority.map(|p| i64::from(p.level())),
                    &claim.case_id,
                ],
            )?;
            tx.execute(&clear, &[&claim.narrative_id])?;
            for (rank, m) in (1i64..).zip(matches) {
                let explanation = serde_json::to_string(&m.explanation)
                    .map_err(|e| StoreError::Internal(format!("cannot serialise an explanation: {e}")))?;
                let score = f64::from(m.score);
                if tx.execute(&insert, &[&claim.narrative_id, &rank, &m.factcheck_id, &score, &explanation])? != 1 {
                    return Err(StoreError::invalid(
                        "factcheck_id",
                        format!("{} is not a stored fact-check", m.factcheck_id),
                    ));
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn narrative_claim(&self, narrative_id: NarrativeId) -> Result<Option<NarrativeClaim>> {
        let row = self.client().query_opt(
            "SELECT narrative_id, representative_item_id, matcher_version, factchecks_revision, matched_at,
                    best_score, debunked, priority, case_id
             FROM narrative_claims WHERE narrative_id = $1",
            &[&narrative_id],
        )?;
        Ok(row.map(|r| NarrativeClaim {
            narrative_id: r.get(0),
            representative_item_id: r.get(1),
            matcher_version: r.get(2),
            factchecks_revision: r.get(3),
            matched_at: r.get(4),
            best_score: r.get::<_, Option<f64>>(5).map(|s| s as f32),
            debunked: r.get(6),
            priority: r.get::<_, Option<i64>>(7).and_then(Priority::from_level),
            case_id: r.get(8),
        }))
    }

    fn narrative_matches(&self, narrative_id: NarrativeId) -> Result<Vec<NarrativeMatch>> {
        let rows = self.client().query(
            "SELECT m.rank, f.external_id, m.score, m.explanation, f.title, f.rating, f.url
             FROM narrative_matches m JOIN factchecks f ON f.id = m.factcheck_id
             WHERE m.narrative_id = $1 ORDER BY m.rank",
            &[&narrative_id],
        )?;
        rows.iter()
            .map(|r| {
                let explanation: &str = r.get(3);
                Ok(NarrativeMatch {
                    rank: stored_rank(r.get(0))?,
                    found: FactCheckMatch {
                        factcheck_id: r.get(1),
                        score: r.get::<_, f64>(2) as f32,
                        explanation: serde_json::from_str(explanation).map_err(|e| {
                            StoreError::Corrupt(format!("the explanation of a match of narrative {narrative_id}: {e}"))
                        })?,
                    },
                    title: r.get(4),
                    rating: r.get(5),
                    url: r.get(6),
                })
            })
            .collect()
    }

    fn narrative_case(&self, narrative_id: NarrativeId) -> Result<Option<i64>> {
        family_case(&mut *self.client(), narrative_id, false)
    }
}
