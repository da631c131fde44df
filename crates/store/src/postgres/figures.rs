//! The dashboard's figures on PostgreSQL, computed as SQLite computes them: local days by integer
//! division of shifted UTC seconds, groups ordered bytewise (`COLLATE "C"`, SQLite's `BINARY`), whatever
//! the database's collation.

use tangkal_cases::{Rating, Status, Urgency};

use super::connection::GenericClient;
use super::users::stored_enum;
use super::PostgresStore;
use crate::figures::{every, rating_of};
use crate::{DailyCount, FigureStore, ResponseTimes, Result};

impl PostgresStore {
    fn daily(&self, sql: &str, since: i64, offset: i64) -> Result<Vec<DailyCount>> {
        let rows = self.client().query(sql, &[&since, &offset])?;
        Ok(rows
            .iter()
            .map(|r| DailyCount { day: r.get(0), group: r.get(1), count: r.get::<_, i64>(2) as u64 })
            .collect())
    }

    fn counted<T>(&self, sql: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<(T, u64)>> {
        let rows = self.client().query(sql, &[])?;
        rows.iter().map(|r| Ok((stored_enum(r.get(0), &parse)?, r.get::<_, i64>(1) as u64))).collect()
    }
}

impl FigureStore for PostgresStore {
    fn count_narratives(&self) -> Result<u64> {
        let row = self.client().query_one("SELECT COUNT(*) FROM narratives WHERE merged_into IS NULL", &[])?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn cases_by_status(&self) -> Result<Vec<(Status, u64)>> {
        Ok(every(Status::ALL, self.counted("SELECT status, COUNT(*) FROM cases GROUP BY status", Status::parse)?))
    }

    fn verdicts_by_rating(&self) -> Result<Vec<(Rating, u64)>> {
        let sql = "SELECT rating, COUNT(*) FROM verdicts WHERE approved GROUP BY rating";
        Ok(every(Rating::ALL, self.counted(sql, rating_of)?))
    }

    fn cases_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>> {
        self.daily(
            "SELECT (opened_at + $2) / 86400, urgency, COUNT(*) FROM cases WHERE opened_at >= $1
             GROUP BY 1, 2 ORDER BY 1, urgency COLLATE \"C\"",
            since,
            offset_seconds,
        )
    }

    fn items_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>> {
        // SUM of BIGINT is NUMERIC on PostgreSQL: cast back, as SQLite's SUM of integers is an integer.
        self.daily(
            "SELECT (hour * 3600 + $2) / 86400, platform, SUM(items)::BIGINT FROM item_hours WHERE hour * 3600 >= $1
             GROUP BY 1, 2 ORDER BY 1, platform COLLATE \"C\"",
            since,
            offset_seconds,
        )
    }

    fn response_times(&self, since: i64) -> Result<Vec<ResponseTimes>> {
        let rows = self.client().query(
            "SELECT c.id, c.urgency, c.opened_at, c.due_at, c.finished_at,
                    (SELECT MIN(v.reviewed_at) FROM verdicts v WHERE v.case_id = c.id AND v.approved),
                    (SELECT MIN(k.published_at) FROM clarifications k WHERE k.case_id = c.id AND k.status = 'published')
             FROM cases c WHERE c.opened_at >= $1 ORDER BY c.opened_at, c.id",
            &[&since],
        )?;
        rows.iter()
            .map(|r| {
                Ok(ResponseTimes {
                    case_id: r.get(0),
                    urgency: stored_enum(r.get(1), Urgency::parse)?,
                    opened_at: r.get(2),
                    due_at: r.get(3),
                    finished_at: r.get(4),
                    verdict_at: r.get(5),
                    clarified_at: r.get(6),
                })
            })
            .collect()
    }

    fn count_clarifications_published(&self, since: i64, until: i64) -> Result<u64> {
        let row = self.client().query_one(
            "SELECT COUNT(*) FROM clarifications WHERE status = 'published' AND published_at >= $1 AND published_at < $2",
            &[&since, &until],
        )?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}
