//! Cases with their links, verdicts and evidence. Every change goes through `tangkal_cases::Case::apply`
//! and is written together with its audit event in one transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tangkal_cases::{
    Actor, Case, CaseError, Change, NewCase, Origin, Priority, Signals, SlaState, Status, Urgency, UserRef,
    AT_RISK_DIVISOR,
};

use tangkal_model::{ItemId, NarrativeId};

use crate::users::time;
use crate::{Result, StoreError};

/// Which cases to list; every condition optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<Status>,
    /// Only open (true) or only finished (false) cases.
    pub open: Option<bool>,
    pub urgency: Option<Urgency>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<i64>,
    pub platform: Option<String>,
    /// Where the case stands against its deadline at the `now` given to the query.
    pub sla: Option<SlaState>,
}

/// A case as lists show it: without item links, verdict and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    pub id: i64,
    pub title: String,
    pub origin: Origin,
    pub status: Status,
    pub urgency: Urgency,
    pub priority: Priority,
    pub assignee: Option<UserRef>,
    pub platforms: Vec<String>,
    /// The narratives the case answers, as linked.
    pub narratives: Vec<String>,
    pub signals: Signals,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The outcome of [`CaseStore::update_case`] when storage itself worked.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseUpdate {
    Done(Box<Case>),
    NotFound,
    /// The rules refused the change; nothing was written.
    Refused(CaseError),
}

pub trait CaseStore {
    /// Opens a case (status `new`, due 24 h or 4 h from `now`), recording who opened it: a detector
    /// passes e.g. `detector:claims`. Invalid input is refused with the field named.
    fn open_case(&mut self, new: &NewCase, opened_by: &str, now: DateTime<Utc>) -> Result<Case>;
    fn case(&self, id: i64) -> Result<Option<Case>>;
    /// Sorted by due time, then priority (P1 first), then id.
    fn list_cases(&self, filter: &CaseFilter, now: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<CaseSummary>>;
    fn count_cases(&self, filter: &CaseFilter, now: DateTime<Utc>) -> Result<u64>;
    fn update_case(&mut self, id: i64, change: Change, actor: &Actor, now: DateTime<Utc>) -> Result<CaseUpdate>;
    /// Cases whose approved verdict has gone public (status `responding` or `closed`), newest first.
    fn published_cases(&self, limit: u64, offset: u64) -> Result<Vec<Case>>;
    /// The oldest open case opened for `origin_ref` (e.g. `factcheck:ID`): where more of the same belongs.
    fn open_case_for_origin(&self, origin_ref: &str) -> Result<Option<i64>>;
    /// Takes this connection's turn to decide whether a detected narrative opens a case or joins one (looked up
    /// by [`CaseStore::open_case_for_origin`] and [`MatchStore::narrative_case`](crate::MatchStore::narrative_case)),
    /// until [`CaseStore::end_case_turn`]: processes matching at once (the distributed intake's workers) then
    /// open one case per claim. Nothing to do where writers of items already take turns (SQLite's import lock).
    fn begin_case_turn(&mut self) -> Result<()> {
        Ok(())
    }
    fn end_case_turn(&mut self) -> Result<()> {
        Ok(())
    }
    /// Adds a narrative and its central item to a case, audited as `case.link`; false when the case
    /// already had the narrative.
    fn link_narrative(
        &mut self,
        case_id: i64,
        narrative: NarrativeId,
        item: ItemId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

/// The columns of a [`CaseSummary`], in the order both backends read them; a WHERE clause may follow.
pub(crate) const SELECT_SUMMARY: &str =
    "SELECT c.id, c.title, c.origin, c.status, c.urgency, c.priority, c.assignee_id, u.username, c.opened_at,
            c.due_at, c.finished_at, c.risk, c.reach, c.velocity
     FROM cases c LEFT JOIN users u ON u.id = c.assignee_id";

pub(crate) fn text_enum<T>(text: String, parse: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown value {text}").into(),
        )
    })
}

pub(crate) fn priority_of(level: i64) -> rusqlite::Result<Priority> {
    Priority::from_level(level).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, format!("priority {level}").into())
    })
}

pub(crate) fn json_enum<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.clone())).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown value {text}").into(),
        )
    })
}

pub(crate) fn json_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => unreachable!("unit enum variants serialise as strings"),
    }
}

pub(crate) fn user_ref(id: Option<i64>, name: Option<String>) -> Option<UserRef> {
    Some(UserRef { id: id?, name: name.unwrap_or_default() })
}

/// A value of the case filter, bound by either backend.
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

pub(crate) const OPEN: &str = "c.status NOT IN ('closed', 'dismissed')";
/// Times are stored in whole seconds; the SLA filter compares them with `now` in nanoseconds.
const NANOS: i64 = 1_000_000_000;

/// Where the backends' SQL for the case filter differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The `n`-th parameter, from 1.
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// Widens a difference of nanoseconds before it is multiplied: PostgreSQL refuses a BIGINT overflow
    /// (an instant decades from a deadline) where SQLite goes on in REAL.
    fn widen(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "::numeric",
        }
    }
}

/// A parameterised WHERE clause: filter values only travel as bound parameters.
pub(crate) fn where_clause(filter: &CaseFilter, now: DateTime<Utc>, dialect: Dialect) -> (String, Vec<Arg>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut args = Vec::new();
    let bind = |arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        dialect.placeholder(args.len())
    };
    if let Some(s) = filter.status {
        conditions.push(format!("c.status = {}", bind(Arg::Text(s.as_str().into()), &mut args)));
    }
    match filter.open {
        Some(true) => conditions.push(OPEN.into()),
        Some(false) => conditions.push(format!("NOT ({OPEN})")),
        None => {}
    }
    if let Some(u) = filter.urgency {
        conditions.push(format!("c.urgency = {}", bind(Arg::Text(u.as_str().into()), &mut args)));
    }
    if let Some(p) = filter.priority {
        conditions.push(format!("c.priority = {}", bind(Arg::Int(p.level().into()), &mut args)));
    }
    if let Some(a) = filter.assignee_id {
        conditions.push(format!("c.assignee_id = {}", bind(Arg::Int(a), &mut args)));
    }
    if let Some(p) = &filter.platform {
        let p = bind(Arg::Text(p.trim().to_lowercase()), &mut args);
        conditions
            .push(format!("EXISTS (SELECT 1 FROM case_platforms cp WHERE cp.case_id = c.id AND cp.platform = {p})"));
    }
    if let Some(state) = filter.sla {
        // Mirrors tangkal_cases::sla, which compares instants to the nanosecond: a case is finished once it
        // has a finish time, and at risk within the last 1/AT_RISK_DIVISOR of its window. `now` is bound
        // only by the states that read it (an unused parameter is an error).
        let (d, wide) = (AT_RISK_DIVISOR, dialect.widen());
        let mut now_ns = || bind(Arg::Int(now.timestamp_nanos_opt().unwrap_or(i64::MAX)), &mut args);
        let due_ns = format!("(c.due_at * {NANOS})");
        let window_ns = format!("((c.due_at - c.opened_at) * {NANOS})");
        conditions.push(match state {
            // due_at·10⁹ < now_ns ⇔ due_at < ⌈now_ns / 10⁹⌉ (due_at is whole seconds): a bare column
            // comparison, which the deadline index answers.
            SlaState::Breached => {
                let now_ns = now.timestamp_nanos_opt().unwrap_or(i64::MAX);
                let ceiling = now_ns.div_euclid(NANOS) + i64::from(now_ns.rem_euclid(NANOS) > 0);
                format!("c.finished_at IS NULL AND c.due_at < {}", bind(Arg::Int(ceiling), &mut args))
            }
            SlaState::AtRisk => {
                let now = now_ns();
                format!("c.finished_at IS NULL AND {due_ns} >= {now} AND ({due_ns} - {now}){wide} * {d} <= {window_ns}")
            }
            SlaState::OnTrack => {
                format!("c.finished_at IS NULL AND ({due_ns} - {}){wide} * {d} > {window_ns}", now_ns())
            }
            SlaState::Met => "c.finished_at IS NOT NULL AND c.finished_at <= c.due_at".into(),
            SlaState::Missed => "c.finished_at IS NOT NULL AND c.finished_at > c.due_at".into(),
        });
    }
    let clause = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    (clause, args)
}

pub(crate) fn to_i64(value: u64, field: &'static str) -> Result<i64> {
    i64::try_from(value).map_err(|_| StoreError::invalid(field, format!("{value} is too large")))
}

/// Adds `(case id, value)` rows, in their order, to the list `field` of the listed case they name.
pub(crate) fn attach(
    cases: &mut [CaseSummary],
    rows: impl IntoIterator<Item = (i64, String)>,
    field: fn(&mut CaseSummary) -> &mut Vec<String>,
) {
    for (id, value) in rows {
        if let Some(c) = cases.iter_mut().find(|c| c.id == id) {
            field(c).push(value);
        }
    }
}

/// The case `new` opens, before it has an id. Invalid input is refused with the field named.
pub(crate) fn opening(new: &NewCase, opened_by: &str, now: DateTime<Utc>) -> Result<Case> {
    Case::open(new, opened_by, now).map_err(|e| match e {
        CaseError::Invalid { field, reason } => StoreError::Invalid { field, reason },
        // Opening only validates the new case: any other refusal is a change to `Case::open`.
        other => StoreError::Internal(format!("cannot open a case: {other}")),
    })
}

/// The data of the `case.opened` webhook event.
pub(crate) fn opened_event(case: &Case, opened_by: &str) -> serde_json::Value {
    serde_json::json!({
        "case_id": case.id, "title": case.title, "urgency": case.urgency.as_str(), "priority": case.priority,
        "platforms": case.platforms, "opened_by": opened_by, "due_at": time(case.due_at.timestamp()),
    })
}

/// The data of the `verdict.approved` webhook event when the update approved the case's verdict.
pub(crate) fn approved_event(before: &Case, stored: &Case) -> Option<serde_json::Value> {
    if before.status == Status::VerdictApproved || stored.status != Status::VerdictApproved {
        return None;
    }
    let verdict = stored.verdict.as_ref();
    Some(serde_json::json!({
        "case_id": stored.id, "verdict_id": verdict.and_then(|v| v.id), "rating": verdict.map(|v| v.draft.rating),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use chrono::{Duration, TimeZone};
    use rusqlite::params;
    use tangkal_cases::{Rating, Role, VerdictDraft};

    use super::*;
    use crate::postgres::connection::GenericClient as _;
    use crate::response_fixtures::sql;
    use crate::testing::{on_both_backends, Backend};
    use crate::{AuditFiles, NewUser, PostgresStore, SqliteStore, Store};

    on_both_backends!(
        cases_round_trip_and_list_by_deadline_and_sla,
        every_sla_filter_agrees_with_the_sla_rule,
        more_narratives_of_a_claim_join_its_open_case,
        the_database_refuses_a_self_approved_verdict_even_past_the_rules,
        every_change_is_audited_and_tampering_is_found,
        one_of_several_servers_reviewing_a_verdict_at_once_wins,
        one_narrative_linked_by_several_servers_at_once_is_linked_once,
    );

    fn store_with_users(backend: &Backend) -> (Box<dyn Store>, Actor, Actor) {
        let mut store = backend.open();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut actor = |name: &str, role: Role| {
            let user = NewUser {
                username: name,
                display_name: name,
                role,
                platform: None,
                organisation: "Tangkal",
                password_hash: "x",
                time_zone: "Asia/Jakarta",
            };
            let u = store.add_user(&user, "test", t0).unwrap();
            Actor::new(UserRef { id: u.id, name: u.username }, role, None)
        };
        let (analyst, reviewer) = (actor("ana", Role::Analyst), actor("rina", Role::Reviewer));
        (store, analyst, reviewer)
    }

    fn new_case(title: &str, urgency: Urgency) -> NewCase {
        NewCase {
            title: title.into(),
            platforms: vec!["TikTok".into()],
            items: vec![ItemId(3), ItemId(4)],
            narratives: vec!["n-1".into()],
            urgency,
            ..NewCase::default()
        }
    }

    fn cases_round_trip_and_list_by_deadline_and_sla(backend: &Backend) {
        let (mut store, analyst, reviewer) = store_with_users(backend);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        let normal = store.open_case(&new_case("normal", Urgency::Normal), "detector:claims", t0).unwrap();
        let urgent = store.open_case(&new_case("urgent", Urgency::Urgent), "manual", t0).unwrap();
        let loaded = store.case(normal.id).unwrap().unwrap();
        assert_eq!(loaded, normal);
        assert_eq!(
            (loaded.items.clone(), loaded.platforms.clone()),
            (vec![ItemId(3), ItemId(4)], vec!["tiktok".to_string()])
        );

        let ids =
            |f: &CaseFilter, now| store.list_cases(f, now, 10, 0).unwrap().iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(&CaseFilter::default(), t0), vec![urgent.id, normal.id]);
        let sla = |s| CaseFilter { sla: Some(s), ..CaseFilter::default() };
        let at = |h| t0 + Duration::hours(h);
        assert_eq!(ids(&sla(SlaState::AtRisk), at(3)), vec![urgent.id]);
        assert_eq!(ids(&sla(SlaState::Breached), at(4) + Duration::seconds(1)), vec![urgent.id]);
        assert_eq!(ids(&sla(SlaState::OnTrack), at(5)), vec![normal.id]);
        assert_eq!(store.count_cases(&sla(SlaState::Breached), at(25)).unwrap(), 2);
        let platform = CaseFilter { platform: Some("tiktok".into()), ..CaseFilter::default() };
        assert_eq!(store.count_cases(&platform, t0).unwrap(), 2);

        for to in [Status::Triage, Status::Investigating] {
            store.update_case(normal.id, Change::Move { to, reason: None }, &analyst, t0).unwrap();
        }
        let draft = VerdictDraft { rating: Rating::Benar, misinfo_type: None, explanation: "Sesuai data BPS.".into() };
        store.update_case(normal.id, Change::ProposeVerdict(draft), &analyst, t0).unwrap();
        let refused = store.update_case(normal.id, Change::ReviewVerdict { approve: true, note: None }, &analyst, t0);
        assert!(matches!(refused.unwrap(), CaseUpdate::Refused(CaseError::NotPermitted { .. })));
        let CaseUpdate::Done(done) = store
            .update_case(normal.id, Change::ReviewVerdict { approve: true, note: None }, &reviewer, at(1))
            .unwrap()
        else {
            panic!("review refused")
        };
        assert_eq!(done.status, Status::VerdictApproved);
        let verdict = done.verdict.unwrap();
        assert_eq!((verdict.proposed_by.id, verdict.review.unwrap().by.id), (analyst.user.id, reviewer.user.id));
        assert_eq!(store.case(normal.id).unwrap().unwrap().status, Status::VerdictApproved);
        assert_eq!(store.update_case(999, Change::Assign { to: None }, &analyst, t0).unwrap(), CaseUpdate::NotFound);
    }

    /// What the SQL filter must agree with: the case rules applied to each stored case.
    fn rule_matches(filter: &CaseFilter, case: &Case, now: DateTime<Utc>) -> bool {
        filter.status.is_none_or(|s| case.status == s)
            && filter.open.is_none_or(|o| case.status.is_open() == o)
            && filter.urgency.is_none_or(|u| case.urgency == u)
            && filter.priority.is_none_or(|p| case.priority == p)
            && filter.assignee_id.is_none_or(|a| case.assignee.as_ref().is_some_and(|u| u.id == a))
            && filter.platform.as_ref().is_none_or(|p| case.platforms.contains(p))
            && filter.sla.is_none_or(|s| case.sla(now).state == s)
    }

    fn every_sla_filter_agrees_with_the_sla_rule(backend: &Backend) {
        let (mut store, analyst, _) = store_with_users(backend);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        // Cases opened an hour apart, half urgent, some dismissed early or late, so that
        // at each moment below every SLA state is held by some case.
        let mut ids = Vec::new();
        for n in 0..12 {
            let urgency = if n % 2 == 0 { Urgency::Urgent } else { Urgency::Normal };
            let opened = t0 + Duration::hours(n) + Duration::milliseconds(250 * (n % 4));
            let case = store.open_case(&new_case(&format!("case {n}"), urgency), "manual", opened).unwrap();
            let finish_after = match n % 3 {
                0 => None,
                1 => Some(Duration::hours(2)),
                _ => Some(Duration::hours(30)),
            };
            if let Some(after) = finish_after {
                let dismiss = Change::Move { to: Status::Dismissed, reason: Some("duplicate".into()) };
                store.update_case(case.id, dismiss, &analyst, opened + after).unwrap();
            }
            ids.push(case.id);
        }
        let cases: Vec<Case> = ids.iter().map(|id| store.case(*id).unwrap().unwrap()).collect();
        let boundaries = cases.iter().flat_map(|c| {
            let window = c.due_at - c.opened_at;
            [c.due_at, c.due_at - window / AT_RISK_DIVISOR]
        });
        // Exactly at each boundary, and a moment either side of it.
        let moments: Vec<DateTime<Utc>> = boundaries
            .flat_map(|b| [b - Duration::milliseconds(1), b, b + Duration::nanoseconds(1), b + Duration::seconds(1)])
            .chain([t0, t0 + Duration::days(5)])
            .collect();
        let states = [SlaState::OnTrack, SlaState::AtRisk, SlaState::Breached, SlaState::Met, SlaState::Missed];
        // Each SLA state alone and with each other condition.
        let others = [
            CaseFilter::default(),
            CaseFilter { open: Some(true), ..CaseFilter::default() },
            CaseFilter { open: Some(false), ..CaseFilter::default() },
            CaseFilter { urgency: Some(Urgency::Urgent), ..CaseFilter::default() },
            CaseFilter { status: Some(Status::New), ..CaseFilter::default() },
            CaseFilter { status: Some(Status::Dismissed), platform: Some("tiktok".into()), ..CaseFilter::default() },
        ];
        let mut seen = std::collections::BTreeSet::new();
        for now in moments {
            for sla in states.map(Some).into_iter().chain([None]) {
                for other in &others {
                    let filter = CaseFilter { sla, ..other.clone() };
                    let expected: Vec<i64> =
                        cases.iter().filter(|c| rule_matches(&filter, c, now)).map(|c| c.id).collect();
                    let mut listed: Vec<i64> =
                        store.list_cases(&filter, now, 100, 0).unwrap().iter().map(|c| c.id).collect();
                    listed.sort();
                    assert_eq!(listed, expected, "{filter:?} at {now}");
                    assert_eq!(store.count_cases(&filter, now).unwrap(), expected.len() as u64, "{filter:?}");
                    if !expected.is_empty() {
                        seen.extend(sla.map(|s| s.as_str()));
                    }
                }
            }
        }
        assert_eq!(seen.len(), states.len(), "every state was met by some case: {seen:?}");
    }

    fn more_narratives_of_a_claim_join_its_open_case(backend: &Backend) {
        let (mut store, analyst, _) = store_with_users(backend);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        let claim = NewCase { origin_ref: Some("factcheck:fc-1".into()), ..new_case("hoax", Urgency::Normal) };
        assert_eq!(store.open_case_for_origin("factcheck:fc-1").unwrap(), None);
        let case = store.open_case(&claim, "detector:claims", t0).unwrap();
        assert_eq!(store.open_case_for_origin("factcheck:fc-1").unwrap(), Some(case.id));
        assert_eq!(store.open_case_for_origin("factcheck:fc-2").unwrap(), None);

        assert!(store.link_narrative(case.id, NarrativeId(7), ItemId(70), "detector:claims", t0).unwrap());
        assert!(
            !store.link_narrative(case.id, NarrativeId(7), ItemId(70), "detector:claims", t0).unwrap(),
            "linked once"
        );
        let linked = store.case(case.id).unwrap().unwrap();
        assert_eq!(linked.narratives, vec!["n-1".to_string(), "7".to_string()]);
        assert!(linked.items.contains(&ItemId(70)));
        let filter = crate::AuditFilter { entity: Some("case".into()), entity_id: Some(case.id.to_string()) };
        let actions: Vec<_> = store.audit_events(&filter, 10, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "case.link").count(), 1, "{actions:?}");

        // A finished case no longer gathers narratives.
        let dismiss = Change::Move { to: Status::Dismissed, reason: Some("duplicate".into()) };
        store.update_case(case.id, dismiss, &analyst, t0).unwrap();
        assert_eq!(store.open_case_for_origin("factcheck:fc-1").unwrap(), None);
    }

    fn the_database_refuses_a_self_approved_verdict_even_past_the_rules(backend: &Backend) {
        let (mut store, analyst, _) = store_with_users(backend);
        let case = store.open_case(&new_case("x", Urgency::Normal), "manual", Utc::now()).unwrap();
        let sql = "INSERT INTO verdicts (case_id, rating, explanation, proposed_by, proposed_at, reviewed_by,
                                         reviewed_at, approved)
                   VALUES ($1, 'BENAR', 'x', $2, 0, $2, 0, TRUE)";
        let refused = match backend {
            Backend::Sqlite(dir) => {
                let store = SqliteStore::open_in(dir.path()).unwrap();
                store.conn.execute(&sql.replace('$', "?"), params![case.id, analyst.user.id]).is_err()
            }
            Backend::Postgres(scratch, dir) => {
                let store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
                let refused = store.client().execute(sql, &[&case.id, &analyst.user.id]).is_err();
                refused
            }
        };
        assert!(refused);
    }

    fn every_change_is_audited_and_tampering_is_found(backend: &Backend) {
        let (mut store, analyst, _) = store_with_users(backend);
        let case = store.open_case(&new_case("x", Urgency::Normal), "manual", Utc::now()).unwrap();
        store.update_case(case.id, Change::Move { to: Status::Triage, reason: None }, &analyst, Utc::now()).unwrap();
        let report = store.verify_audit().unwrap();
        // Two users, one case opened, one move.
        assert_eq!((report.events_checked, report.is_intact()), (4, true));
        let events =
            store.audit_events(&crate::AuditFilter { entity: Some("case".into()), entity_id: None }, 10, 0).unwrap();
        assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["case.open", "case.move"]);
        assert!(events[1].before.as_deref().unwrap().contains("\"status\":\"new\""));

        sql(backend, "UPDATE audit_events SET actor = 'someone' WHERE seq = 3");
        sql(backend, "DELETE FROM audit_events WHERE seq = 4");
        let problems = store.verify_audit().unwrap().problems;
        assert_eq!(
            problems,
            vec![
                tangkal_cases::audit::AuditProblem::Edited { seq: 3 },
                tangkal_cases::audit::AuditProblem::Missing { from: 4, to: 4 }
            ]
        );
    }

    /// Several servers, each with its own connection, approve one verdict at the same moment: one approval
    /// is stored, the others are refused as a second review is, and the audit trail stays one chain.
    fn one_of_several_servers_reviewing_a_verdict_at_once_wins(backend: &Backend) {
        let (mut store, analyst, reviewer) = store_with_users(backend);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        let case = store.open_case(&new_case("x", Urgency::Normal), "manual", t0).unwrap();
        for to in [Status::Triage, Status::Investigating] {
            store.update_case(case.id, Change::Move { to, reason: None }, &analyst, t0).unwrap();
        }
        let draft = VerdictDraft { rating: Rating::Benar, misinfo_type: None, explanation: "Sesuai data BPS.".into() };
        let proposed = store.update_case(case.id, Change::ProposeVerdict(draft), &analyst, t0).unwrap();
        assert!(matches!(proposed, CaseUpdate::Done(_)), "{proposed:?}");

        const SERVERS: usize = 6;
        let start = Barrier::new(SERVERS);
        let review = || Change::ReviewVerdict { approve: true, note: None };
        let outcomes: Vec<CaseUpdate> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..SERVERS)
                .map(|_| {
                    s.spawn(|| {
                        let mut server = backend.open();
                        start.wait();
                        server.update_case(case.id, review(), &reviewer, t0 + Duration::hours(1)).unwrap()
                    })
                })
                .collect();
            servers.into_iter().map(|s| s.join().unwrap()).collect()
        });

        let stored = store.case(case.id).unwrap().unwrap();
        assert_eq!(stored.status, Status::VerdictApproved);
        let winners: Vec<&CaseUpdate> = outcomes.iter().filter(|o| matches!(o, CaseUpdate::Done(_))).collect();
        assert_eq!(winners, [&CaseUpdate::Done(Box::new(stored.clone()))], "{outcomes:?}");
        let second_review = stored.clone().apply(review(), &reviewer, t0).unwrap_err();
        let refused = outcomes.iter().filter(|o| **o == CaseUpdate::Refused(second_review.clone())).count();
        assert_eq!(refused, SERVERS - 1, "{outcomes:?}");

        let filter = crate::AuditFilter { entity: Some("case".into()), entity_id: Some(case.id.to_string()) };
        let actions: Vec<String> = store.audit_events(&filter, 100, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions.iter().filter(|a| a.as_str() == review().action()).count(), 1, "{actions:?}");
        assert!(store.verify_audit().unwrap().is_intact());
        let approved = sql(backend, "SELECT COUNT(*) FROM webhook_events WHERE kind = 'verdict.approved'");
        assert_eq!(approved, Some(1), "one verdict.approved event");
    }

    fn one_narrative_linked_by_several_servers_at_once_is_linked_once(backend: &Backend) {
        let (mut store, _, _) = store_with_users(backend);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        let case = store.open_case(&new_case("x", Urgency::Normal), "detector:claims", t0).unwrap();
        const SERVERS: usize = 4;
        let start = Barrier::new(SERVERS);
        let linked: Vec<bool> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..SERVERS)
                .map(|_| {
                    s.spawn(|| {
                        let mut server = backend.open();
                        start.wait();
                        server.link_narrative(case.id, NarrativeId(7), ItemId(70), "detector:claims", t0).unwrap()
                    })
                })
                .collect();
            servers.into_iter().map(|s| s.join().unwrap()).collect()
        });
        assert_eq!(linked.iter().filter(|l| **l).count(), 1, "{linked:?}");
        assert_eq!(store.case(case.id).unwrap().unwrap().narratives, ["n-1", "7"]);
        let filter = crate::AuditFilter { entity: Some("case".into()), entity_id: Some(case.id.to_string()) };
        let links =
            store.audit_events(&filter, 100, 0).unwrap().into_iter().filter(|e| e.action == "case.link").count();
        assert_eq!(links, 1);
        assert!(store.verify_audit().unwrap().is_intact());
    }
}
