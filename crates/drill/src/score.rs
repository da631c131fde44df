//! The team's score, read from the drill's store at the end: what a response desk is held to.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tangkal_cases::{Case, SlaState};
use tangkal_model::{ItemId, NarrativeId};
use tangkal_response::clarification::ClarificationStatus;
use tangkal_response::report::ReportStatus;
use tangkal_store::{CaseFilter, ClarificationFilter, ReportFilter, Store, TakedownFilter};

use crate::scenario::{clock_text, Scenario};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Drill time when the score was taken, in seconds.
    pub drill_seconds: i64,
    pub cases: CaseScore,
    pub verdicts: VerdictScore,
    pub clarifications_published: u64,
    /// Drill time from the start to the first published clarification, in seconds.
    pub first_clarification_seconds: Option<i64>,
    pub takedown_requests: u64,
    pub takedown_urls: u64,
    pub reports: ReportScore,
}

/// Cases against their 24 h / 4 h clock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseScore {
    pub opened: u64,
    /// Closed or dismissed before their deadline.
    pub met: u64,
    /// Finished after it.
    pub missed: u64,
    /// Still open past it.
    pub breached: u64,
    /// Still open, deadline ahead.
    pub open: u64,
}

/// Approved verdicts against the scenario's truth.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerdictScore {
    pub approved: u64,
    /// Approved verdicts on cases the scenario knows the truth of.
    pub judged: u64,
    pub agreeing: u64,
    /// The cases whose approved verdict disagrees with the truth, with the narrative.
    pub disagreeing: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportScore {
    pub received: u64,
    pub answered_instantly: u64,
    /// Linked to a case or dismissed by the team.
    pub handled: u64,
}

/// Reads the score from the drill's store at drill time `now` (the drill started at `started_at`).
pub fn score(
    store: &dyn Store,
    scenario: &Scenario,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> tangkal_store::Result<Score> {
    let all = CaseFilter::default();
    let mut cases = CaseScore::default();
    let mut verdicts = VerdictScore::default();
    let narratives = scenario.narrative_of_posts();
    for summary in store.list_cases(&all, now, store.count_cases(&all, now)?, 0)? {
        let Some(case) = store.case(summary.id)? else { continue };
        cases.opened += 1;
        match case.sla(now).state {
            SlaState::Met => cases.met += 1,
            SlaState::Missed => cases.missed += 1,
            SlaState::Breached => cases.breached += 1,
            SlaState::OnTrack | SlaState::AtRisk => cases.open += 1,
        }
        let Some(verdict) = case.verdict.as_ref().filter(|v| v.review.as_ref().is_some_and(|r| r.approved)) else {
            continue;
        };
        verdicts.approved += 1;
        let Some(narrative) = scenario_narrative(store, &case, &narratives)? else { continue };
        let Some(truth) = scenario.truth.get(&narrative) else { continue };
        verdicts.judged += 1;
        if truth.agrees(verdict.draft.rating) {
            verdicts.agreeing += 1;
        } else {
            verdicts.disagreeing.push((case.id, narrative));
        }
    }
    let published =
        ClarificationFilter { status: Some(ClarificationStatus::Published), ..ClarificationFilter::default() };
    let clarifications = store.list_clarifications(&published, store.count_clarifications(&published)?, 0)?;
    let first = clarifications.iter().filter_map(|c| c.published_at).min();
    let takedowns = TakedownFilter::default();
    let requests = store.list_takedowns(&takedowns, now, store.count_takedowns(&takedowns, now)?, 0)?;
    let in_status = |status| ReportFilter { status: Some(status), ..ReportFilter::default() };
    let handled = store.count_reports(&in_status(ReportStatus::Linked))?
        + store.count_reports(&in_status(ReportStatus::Dismissed))?;
    Ok(Score {
        drill_seconds: (now - started_at).num_seconds(),
        cases,
        verdicts,
        clarifications_published: clarifications.len() as u64,
        first_clarification_seconds: first.map(|at| (at - started_at).num_seconds()),
        takedown_requests: requests.len() as u64,
        takedown_urls: requests.iter().map(|r| r.urls.len() as u64).sum(),
        reports: ReportScore {
            received: store.count_reports(&ReportFilter::default())?,
            answered_instantly: store.count_reports(&in_status(ReportStatus::Answered))?,
            handled,
        },
    })
}

/// The scenario's narrative a case is about: the one most of its posts (its own and its narratives'
/// central copies) belong to.
fn scenario_narrative(
    store: &dyn Store,
    case: &Case,
    narratives: &BTreeMap<String, String>,
) -> tangkal_store::Result<Option<String>> {
    let mut items: Vec<ItemId> = case.items.clone();
    for id in case.narratives.iter().filter_map(|n| n.parse::<NarrativeId>().ok()) {
        items.extend(store.get_narrative(id)?.map(|row| row.representative_item_id));
    }
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for id in items {
        let external = store.get_item(id)?.and_then(|item| item.external_id);
        if let Some(narrative) = external.and_then(|e| narratives.get(&e)) {
            *votes.entry(narrative.as_str()).or_default() += 1;
        }
    }
    Ok(votes.into_iter().max_by_key(|(_, n)| *n).map(|(narrative, _)| narrative.to_string()))
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cases;
        let v = &self.verdicts;
        writeln!(f, "Drill score after {} of drill time", clock_text(Duration::seconds(self.drill_seconds)))?;
        writeln!(
            f,
            "  cases handled within their clock  {} of {} ({}); late {}, open past the deadline {}, open in time {}",
            c.met,
            c.opened,
            share(c.met, c.opened),
            c.missed,
            c.breached,
            c.open
        )?;
        writeln!(
            f,
            "  verdicts against the truth        {} of {} right ({}); {} approved in all",
            v.agreeing,
            v.judged,
            share(v.agreeing, v.judged),
            v.approved
        )?;
        for (case, narrative) in &v.disagreeing {
            writeln!(f, "    case {case}: the verdict disagrees with the truth of {narrative}")?;
        }
        let first = self.first_clarification_seconds.map(|s| clock_text(Duration::seconds(s)));
        writeln!(
            f,
            "  first clarification published    {} ({} published)",
            first.as_deref().unwrap_or("none"),
            self.clarifications_published
        )?;
        writeln!(f, "  takedown requests sent           {} ({} URLs)", self.takedown_requests, self.takedown_urls)?;
        write!(
            f,
            "  citizen reports                  {} received, {} answered at once, {} handled by the team",
            self.reports.received, self.reports.answered_instantly, self.reports.handled
        )
    }
}
