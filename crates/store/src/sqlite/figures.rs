//! The dashboard's figures on SQLite.

use rusqlite::params;
use tangkal_cases::{Rating, Status, Urgency};

use crate::cases::text_enum;
use crate::figures::{every, rating_of};
use crate::{DailyCount, FigureStore, ResponseTimes, Result, SqliteStore};

fn daily(conn: &rusqlite::Connection, sql: &str, since: i64, offset: i64) -> Result<Vec<DailyCount>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![since, offset], |r| {
        Ok(DailyCount { day: r.get(0)?, group: r.get(1)?, count: r.get::<_, i64>(2)? as u64 })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl FigureStore for SqliteStore {
    fn count_narratives(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM narratives INDEXED BY narratives_velocity WHERE merged_into IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn cases_by_status(&self) -> Result<Vec<(Status, u64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT status, COUNT(*) FROM cases GROUP BY status")?;
        let counted = stmt
            .query_map([], |r| Ok((text_enum(r.get(0)?, Status::parse)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(every(Status::ALL, counted))
    }

    fn verdicts_by_rating(&self) -> Result<Vec<(Rating, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rating, COUNT(*) FROM verdicts INDEXED BY verdicts_rating WHERE approved = 1 GROUP BY rating",
        )?;
        let counted = stmt
            .query_map([], |r| Ok((text_enum(r.get(0)?, rating_of)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(every(Rating::ALL, counted))
    }

    fn cases_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>> {
        daily(
            &self.conn,
            "SELECT (opened_at + ?2) / 86400, urgency, COUNT(*) FROM cases INDEXED BY cases_opened
             WHERE opened_at >= ?1 GROUP BY 1, 2 ORDER BY 1, 2",
            since,
            offset_seconds,
        )
    }

    fn items_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>> {
        daily(
            &self.conn,
            "SELECT (hour * 3600 + ?2) / 86400, platform, SUM(items) FROM item_hours WHERE hour * 3600 >= ?1
             GROUP BY 1, 2 ORDER BY 1, 2",
            since,
            offset_seconds,
        )
    }

    fn response_times(&self, since: i64) -> Result<Vec<ResponseTimes>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.urgency, c.opened_at, c.due_at, c.finished_at,
                    (SELECT MIN(v.reviewed_at) FROM verdicts v INDEXED BY verdicts_approved
                     WHERE v.case_id = c.id AND v.approved = 1),
                    (SELECT MIN(k.published_at) FROM clarifications k INDEXED BY clarifications_first
                     WHERE k.case_id = c.id AND k.status = 'published')
             FROM cases c INDEXED BY cases_opened WHERE c.opened_at >= ?1 ORDER BY c.opened_at, c.id",
        )?;
        let rows = stmt.query_map(params![since], |r| {
            Ok(ResponseTimes {
                case_id: r.get(0)?,
                urgency: text_enum(r.get(1)?, Urgency::parse)?,
                opened_at: r.get(2)?,
                due_at: r.get(3)?,
                finished_at: r.get(4)?,
                verdict_at: r.get(5)?,
                clarified_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn count_clarifications_published(&self, since: i64, until: i64) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM clarifications INDEXED BY clarifications_published
             WHERE status = 'published' AND published_at >= ?1 AND published_at < ?2",
            params![since, until],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }
}
