//! Figures for the desk's dashboard: counts by status and rating, activity per day, and each case's
//! response times. Aggregates only: nothing here names a person.

use serde::Serialize;
use tangkal_cases::{Rating, Status, Urgency};

use crate::cases::json_name;
use crate::Result;

/// How many of something fell on one day (in the zone the caller asked for) in one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyCount {
    /// The local day's number: days since 1970-01-01 in the caller's zone.
    pub day: i64,
    /// The group: a platform, an urgency.
    pub group: String,
    pub count: u64,
}

/// When a case opened and when it reached each step of its response, UTC seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseTimes {
    pub case_id: i64,
    pub urgency: Urgency,
    pub opened_at: i64,
    pub due_at: i64,
    pub finished_at: Option<i64>,
    /// The approval of its verdict, if approved.
    pub verdict_at: Option<i64>,
    /// Its first published clarification.
    pub clarified_at: Option<i64>,
}

pub trait FigureStore {
    /// Live narratives (not merged away).
    fn count_narratives(&self) -> Result<u64>;
    /// Cases per status, every status listed.
    fn cases_by_status(&self) -> Result<Vec<(Status, u64)>>;
    /// Approved verdicts per rating.
    fn verdicts_by_rating(&self) -> Result<Vec<(Rating, u64)>>;
    /// Cases opened per local day and urgency since `since` (UTC seconds), local time being UTC plus
    /// `offset_seconds` (25,200 for WIB).
    fn cases_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>>;
    /// Items published per local day and platform since `since`.
    fn items_per_day(&self, since: i64, offset_seconds: i64) -> Result<Vec<DailyCount>>;
    /// The response times of the cases opened since `since`, in the order they opened.
    fn response_times(&self, since: i64) -> Result<Vec<ResponseTimes>>;
    /// Clarifications first published in `[since, until)` (UTC seconds).
    fn count_clarifications_published(&self, since: i64, until: i64) -> Result<u64>;
}

/// Every value of `all` with its count, 0 where `counted` has none.
pub(crate) fn every<T: PartialEq + Copy>(all: impl IntoIterator<Item = T>, counted: Vec<(T, u64)>) -> Vec<(T, u64)> {
    all.into_iter().map(|s| (s, counted.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n))).collect()
}

/// A rating as verdicts store it (its JSON name).
pub(crate) fn rating_of(text: &str) -> Option<Rating> {
    Rating::ALL.into_iter().find(|r| json_name(r) == text)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use tangkal_cases::{Actor, Change, NewCase, Role, UserRef, VerdictDraft};

    use super::*;
    use crate::audit::raw::{self, Value};
    use crate::testing::{on_both_backends, Backend};
    use crate::{ItemFilter, ItemRecord, NewUser, SourceRef, Store};

    on_both_backends!(
        items_per_day_add_up_from_the_hourly_tally_and_rewrites_add_nothing,
        figures_count_cases_verdicts_and_days_in_local_time,
        figures_read_the_same_stored_rows_alike,
    );

    fn add_users(store: &mut dyn Store) -> Vec<Actor> {
        let mut actors = Vec::new();
        for (name, role) in [("ana", Role::Analyst), ("rina", Role::Reviewer)] {
            let user = NewUser {
                username: name,
                display_name: name,
                role,
                platform: None,
                organisation: "Tangkal",
                password_hash: "x",
                time_zone: "Asia/Jakarta",
            };
            let id = store.add_user(&user, "test", Utc::now()).unwrap().id;
            actors.push(Actor::new(UserRef { id, name: name.into() }, role, None));
        }
        actors
    }

    fn items_per_day_add_up_from_the_hourly_tally_and_rewrites_add_nothing(backend: &Backend) {
        let mut store = backend.open();
        // 17:30 UTC on 1 March is already 2 March in Jakarta (UTC+7); 17:59 is too, 16:00 is not.
        let posts = [
            ("a", "x", "2026-03-01T17:30:00Z"),
            ("b", "x", "2026-03-01T17:59:00Z"),
            ("c", "tiktok", "2026-03-01T16:00:00Z"),
        ];
        let items: Vec<_> = posts
            .iter()
            .map(|(id, platform, at)| {
                let line =
                    format!(r#"{{"id":"{id}","platform":"{platform}","text":"teks {id}","published_at":"{at}"}}"#);
                tangkal_model::parse_json_item(line.as_bytes(), tangkal_model::DEFAULT_MAX_TEXT_BYTES).unwrap()
            })
            .collect();
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
        let source = SourceRef { kind: "file".into(), location: "t.jsonl".into() };
        store.write_items(&source, &records).unwrap();
        store.write_items(&source, &records).unwrap();
        let first_of_march = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap().timestamp() / 86400;
        assert_eq!(
            store.items_per_day(0, 7 * 3600).unwrap(),
            vec![
                DailyCount { day: first_of_march, group: "tiktok".into(), count: 1 },
                DailyCount { day: first_of_march + 1, group: "x".into(), count: 2 },
            ]
        );
        assert_eq!(store.items_per_day(first_of_march * 86400 + 17 * 3600, 7 * 3600).unwrap().len(), 1);
        assert_eq!(store.count_items(&ItemFilter::default()).unwrap(), 3);
        assert_eq!(store.count_items(&ItemFilter { platform: Some("x".into()), ..ItemFilter::default() }).unwrap(), 2);
    }

    fn figures_count_cases_verdicts_and_days_in_local_time(backend: &Backend) {
        let mut store = backend.open();
        let actors = add_users(store.as_mut());
        // 16:59 UTC and 17:00 UTC on 1 March: the second is already 2 March in Jakarta (UTC+7).
        let (before, after) =
            (Utc.with_ymd_and_hms(2026, 3, 1, 16, 59, 0).unwrap(), Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).unwrap());
        let open = |store: &mut dyn Store, at, urgency| {
            let new = NewCase { title: "t".into(), urgency, ..NewCase::default() };
            store.open_case(&new, "test", at).unwrap().id
        };
        let first = open(store.as_mut(), before, Urgency::Normal);
        open(store.as_mut(), after, Urgency::Urgent);
        open(store.as_mut(), after, Urgency::Urgent);
        let steps = [
            (Change::Move { to: Status::Triage, reason: None }, 0),
            (Change::Move { to: Status::Investigating, reason: None }, 0),
            (
                Change::ProposeVerdict(VerdictDraft {
                    rating: Rating::Benar,
                    misinfo_type: None,
                    explanation: "Benar.".into(),
                }),
                0,
            ),
            (Change::ReviewVerdict { approve: true, note: None }, 1),
        ];
        for (i, (change, actor)) in steps.into_iter().enumerate() {
            store.update_case(first, change, &actors[actor], before + chrono::Duration::minutes(i as i64 + 1)).unwrap();
        }

        let by_status = store.cases_by_status().unwrap();
        assert_eq!(by_status.len(), Status::ALL.len());
        assert!(by_status.contains(&(Status::New, 2)) && by_status.contains(&(Status::VerdictApproved, 1)));
        assert!(store.verdicts_by_rating().unwrap().contains(&(Rating::Benar, 1)));
        let days = store.cases_per_day(0, 7 * 3600).unwrap();
        let day = |d: chrono::DateTime<Utc>| (d.timestamp() + 7 * 3600) / 86400;
        assert_eq!(
            days,
            vec![
                DailyCount { day: day(before), group: "normal".into(), count: 1 },
                DailyCount { day: day(before) + 1, group: "urgent".into(), count: 2 },
            ]
        );
        let times = store.response_times(0).unwrap();
        assert_eq!(times[0].verdict_at, Some((before + chrono::Duration::minutes(4)).timestamp()));
        assert_eq!((times[1].verdict_at, times[1].clarified_at), (None, None));
        assert_eq!(store.response_times(after.timestamp() + 1).unwrap().len(), 0);
        assert_eq!(store.count_narratives().unwrap(), 0);
        assert_eq!(store.count_clarifications_published(0, after.timestamp()).unwrap(), 0);
    }

    /// Every figure from rows laid directly, so that both backends are held to the same numbers: local
    /// days cut at the zone's midnight, groups in bytewise order, the earliest approval and publication of
    /// each case, ties between cases opened together broken by id.
    fn figures_read_the_same_stored_rows_alike(backend: &Backend) {
        let mut store = backend.open();
        let actors = add_users(store.as_mut());
        let (ana, rina) = (actors[0].user.id, actors[1].user.id);
        let midnight = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap().timestamp() - 7 * 3600;
        let cases = [
            (3, "urgent", "closed", midnight - 1, Some(midnight + 7200)),
            (1, "normal", "new", midnight, None),
            (2, "urgent", "responding", midnight, None),
            (4, "normal", "dismissed", midnight + 86_399, Some(midnight + 90_000)),
        ];
        for (id, urgency, status, opened_at, finished_at) in cases {
            let due = opened_at + 86_400;
            raw::execute(
                backend,
                "INSERT INTO cases (id, title, summary, origin, status, urgency, priority, computed_priority,
                                    opened_by, opened_at, due_at, finished_at, updated_at)
                 VALUES ($1, 't', '', 'manual', $2, $3, 3, 3, 'test', $4, $5, NULLIF($6, CAST(0 AS BIGINT)), $4)",
                &[
                    Value::Int(id),
                    Value::Text(status),
                    Value::Text(urgency),
                    Value::Int(opened_at),
                    Value::Int(due),
                    Value::Int(finished_at.unwrap_or(0)),
                ],
            );
        }
        let verdicts = [
            (2, "HOAKS", Some((midnight + 600, true))),
            (2, "HOAKS", Some((midnight + 300, true))),
            (3, "BENAR", Some((midnight + 100, false))),
            (3, "MENYESATKAN", Some((midnight + 200, true))),
            (1, "HOAKS", None),
        ];
        for (case, rating, review) in verdicts {
            let proposed = [Value::Int(case), Value::Text(rating), Value::Int(ana), Value::Int(midnight)];
            match review {
                Some((at, approved)) => raw::execute(
                    backend,
                    "INSERT INTO verdicts (case_id, rating, explanation, proposed_by, proposed_at, reviewed_by,
                                           reviewed_at, approved)
                     VALUES ($1, $2, 'e', $3, $4, $5, $6, $7)",
                    &[&proposed[..], &[Value::Int(rina), Value::Int(at), Value::Bool(approved)]].concat(),
                ),
                None => raw::execute(
                    backend,
                    "INSERT INTO verdicts (case_id, rating, explanation, proposed_by, proposed_at)
                     VALUES ($1, $2, 'e', $3, $4)",
                    &proposed,
                ),
            }
        }
        let clarifications = [
            (2, "b", "published", midnight + 5000),
            (2, "a", "published", midnight + 4000),
            (3, "c", "draft", midnight + 1000),
            (4, "d", "published", midnight + 86_400),
        ];
        for (case, slug, status, at) in clarifications {
            raw::execute(
                backend,
                "INSERT INTO clarifications (case_id, slug, rating, title, claim, body_markdown, sources, status,
                                             created_by, created_at, updated_at, published_at)
                 VALUES ($1, $2, 'HOAKS', 't', 'c', 'b', '[]', $3, 'test', $4, $4, NULLIF($5, CAST(0 AS BIGINT)))",
                &[
                    Value::Int(case),
                    Value::Text(slug),
                    Value::Text(status),
                    Value::Int(at),
                    Value::Int(if status == "published" { at } else { 0 }),
                ],
            );
        }
        for (id, merged_into) in [(1, None), (2, Some(1)), (3, None)] {
            raw::execute(
                backend,
                "INSERT INTO narratives (id, merged_into, first_seen, last_seen, items, accounts, platforms, views,
                                         shares, velocity_1h, velocity_6h, velocity_24h, accelerating, updated_at)
                 VALUES ($1, NULLIF($2, CAST(0 AS BIGINT)), 0, 0, 1, 1, 'x', 0, 0, 0, 0, 0, FALSE, 0)",
                &[Value::Int(id), Value::Int(merged_into.unwrap_or(0))],
            );
        }
        let hour = midnight / 3600;
        for (hour, platform, items) in [
            (hour - 1, "tiktok", 4),
            (hour, "tiktok", 2),
            (hour, "X", 1),
            (hour, "_web", 5),
            (hour + 23, "Facebook", 3),
        ] {
            raw::execute(
                backend,
                "INSERT INTO item_hours (hour, platform, items) VALUES ($1, $2, $3)",
                &[Value::Int(hour), Value::Text(platform), Value::Int(items)],
            );
        }

        let day = (midnight + 7 * 3600) / 86400;
        let count = |day, group: &str, count| DailyCount { day, group: group.into(), count };
        let by_status = store.cases_by_status().unwrap();
        assert_eq!(by_status.iter().map(|(s, _)| *s).collect::<Vec<_>>(), Status::ALL);
        assert_eq!(by_status.iter().filter(|(_, n)| *n == 1).count(), 4);
        let by_rating = store.verdicts_by_rating().unwrap();
        assert_eq!(by_rating.iter().map(|(r, _)| *r).collect::<Vec<_>>(), Rating::ALL);
        assert!(by_rating.contains(&(Rating::Hoaks, 2)) && by_rating.contains(&(Rating::Menyesatkan, 1)));
        assert!(by_rating.contains(&(Rating::Benar, 0)));
        assert_eq!(
            store.cases_per_day(0, 7 * 3600).unwrap(),
            [count(day - 1, "urgent", 1), count(day, "normal", 2), count(day, "urgent", 1)]
        );
        assert_eq!(store.cases_per_day(midnight, 0).unwrap().len(), 3);
        assert_eq!(
            store.items_per_day(0, 7 * 3600).unwrap(),
            [
                count(day - 1, "tiktok", 4),
                count(day, "Facebook", 3),
                count(day, "X", 1),
                count(day, "_web", 5),
                count(day, "tiktok", 2)
            ]
        );
        assert_eq!(
            store.items_per_day(midnight, 0).unwrap(),
            [count(day - 1, "X", 1), count(day - 1, "_web", 5), count(day - 1, "tiktok", 2), count(day, "Facebook", 3)]
        );
        let times = store.response_times(0).unwrap();
        let summary: Vec<_> = times.iter().map(|t| (t.case_id, t.finished_at, t.verdict_at, t.clarified_at)).collect();
        assert_eq!(
            summary,
            [
                (3, Some(midnight + 7200), Some(midnight + 200), None),
                (1, None, None, None),
                (2, None, Some(midnight + 300), Some(midnight + 4000)),
                (4, Some(midnight + 90_000), None, Some(midnight + 86_400)),
            ]
        );
        assert_eq!(
            (times[0].urgency, times[0].opened_at, times[0].due_at),
            (Urgency::Urgent, midnight - 1, midnight + 86_399)
        );
        assert_eq!(store.response_times(midnight).unwrap().len(), 3);
        assert_eq!(store.count_narratives().unwrap(), 2);
        assert_eq!(store.count_clarifications_published(midnight + 4000, midnight + 86_400).unwrap(), 2);
        assert_eq!(store.count_clarifications_published(midnight + 4001, midnight + 86_401).unwrap(), 2);

        raw::batch(backend, "UPDATE cases SET status = 'lost' WHERE id = 1");
        assert!(matches!(store.cases_by_status(), Err(crate::StoreError::Corrupt(_))));
    }
}
