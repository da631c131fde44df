//! Antrian: open cases by time left on their clock, with priority, reach, velocity and the best
//! fact-check match of their narrative; and the fastest narratives that no case answers yet. The
//! script polls the rows (`?fragment=rows`) so new items appear without a reload.

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tangkal_cases::{Priority, Role, SlaState, Status, Urgency};
use tangkal_model::NarrativeId;
use tangkal_store::{CaseFilter, NarrativeMatch, NarrativeOrder};
use tangkal_web::pages::queue::{CaseRow, Filter, MatchBadge, NarrativeRow, QueuePage, QueueRows};
use tangkal_web::{format, Choice, Lang};

use super::{chrome, countdown, excerpt, factcheck_rating_tag, lang_of, priority_tag, render, status_tag, zone};
use crate::api::Params;
use crate::auth::Caller;
use crate::{AppState, Problem};

/// Cases a page shows.
const PAGE_SIZE: u64 = 50;
/// Rising narratives shown, and how many of the fastest are looked at to find them.
const RISING: usize = 10;
const RISING_LOOKED_AT: u64 = 60;
/// A narrative rises once this many posts repeat it, or when a fact-check may answer it.
const RISING_MIN_POSTS: u64 = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    sla: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    platform: String,
    page: Option<u64>,
    /// `rows`: only the rows, for the script's refresh.
    fragment: Option<String>,
}

/// An empty value is "any"; anything else must be one of `choices`, or the request names the field.
fn pick<T: Copy>(field: &str, value: &str, choices: &[T], name: impl Fn(T) -> String) -> Result<Option<T>, Problem> {
    if value.is_empty() {
        return Ok(None);
    }
    choices
        .iter()
        .copied()
        .find(|c| name(*c) == value)
        .map(Some)
        .ok_or_else(|| Problem::bad_request(format!("{field}: {value:?} is not a choice here")))
}

const PRIORITIES: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];
const SLA_STATES: [SlaState; 3] = [SlaState::OnTrack, SlaState::AtRisk, SlaState::Breached];

fn choices<T: Copy + PartialEq>(
    all: &[T],
    chosen: Option<T>,
    value: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
) -> Vec<Choice> {
    all.iter().map(|v| Choice::new(value(*v), label(*v), chosen == Some(*v))).collect()
}

pub(crate) fn match_badge(m: &NarrativeMatch, lang: Lang) -> MatchBadge {
    MatchBadge {
        title: excerpt(&m.title, 90),
        score: format::decimal(f64::from(m.found.score), 2, lang),
        rating: m.rating.as_deref().map(factcheck_rating_tag),
        url: m.url.clone(),
    }
}

/// `/desk`: the queue.
pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Params(q): Params<QueueQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let status = pick("status", &q.status, &Status::ALL, |s| s.as_str().to_string())?;
    let priority = pick("priority", &q.priority, &PRIORITIES, |p| format!("P{}", p.level()))?;
    let urgency = pick("urgency", &q.urgency, &[Urgency::Normal, Urgency::Urgent], |u| u.as_str().to_string())?;
    let sla = pick("sla", &q.sla, &SLA_STATES, |s| s.as_str().to_string())?;
    let mine = match q.assignee.as_str() {
        "" => false,
        "me" => true,
        other => return Err(Problem::bad_request(format!("assignee: {other:?} is not a choice here (me)"))),
    };
    let platform_choice = pick(
        "platform",
        &q.platform,
        &state.config.platforms.iter().map(String::as_str).collect::<Vec<_>>(),
        str::to_string,
    )?;
    // Liaisons see their own platform's cases, whatever they ask for.
    let platform = match caller.role {
        Role::PlatformLiaison => Some(caller.user.platform.clone().unwrap_or_default()),
        _ => platform_choice.map(str::to_string),
    };
    let filter = CaseFilter {
        status,
        open: status.is_none().then_some(true),
        urgency,
        priority,
        assignee_id: mine.then_some(caller.user.id),
        platform: platform.clone(),
        sla,
    };
    let page = q.page.unwrap_or(1).clamp(1, u64::MAX / PAGE_SIZE);
    let (now, offset) = (state.clock.now(), (page - 1) * PAGE_SIZE);
    let (total, cases, matches, rising) = state
        .pool
        .run(move |s| {
            let total = s.count_cases(&filter, now)?;
            let cases = s.list_cases(&filter, now, PAGE_SIZE, offset)?;
            let first_narratives: Vec<NarrativeId> =
                cases.iter().filter_map(|c| first_narrative(&c.narratives)).collect();
            let matches = s.best_matches(&first_narratives)?;
            let mut rising = Vec::new();
            for n in s.list_narratives(NarrativeOrder::Velocity, RISING_LOOKED_AT, 0)? {
                let visible = platform.as_ref().is_none_or(|p| n.platforms.contains(p));
                if rising.len() == RISING || !visible || s.narrative_case(n.id)?.is_some() {
                    continue;
                }
                let best = s.narrative_matches(n.id)?.into_iter().next();
                if n.items < RISING_MIN_POSTS && best.is_none() {
                    continue;
                }
                let text = s.get_item(n.representative_item_id)?.map(|i| i.text).unwrap_or_default();
                rising.push((n, text, best));
            }
            Ok((total, cases, matches, rising))
        })
        .await?;
    let tz = zone(&caller);
    let case_rows = cases
        .iter()
        .map(|c| {
            let narrative = first_narrative(&c.narratives);
            let best =
                narrative.and_then(|n| matches.iter().find(|(id, _)| *id == n)).map(|(_, m)| match_badge(m, lang));
            CaseRow {
                href: format!("/desk/cases/{}", c.id),
                id: c.id,
                title: c.title.clone(),
                status: status_tag(c.status, lang),
                priority: priority_tag(c.priority),
                urgent: c.urgency == Urgency::Urgent,
                countdown: countdown(c.opened_at, c.due_at, c.finished_at, now, tz, lang),
                reach: c.signals.reach.map(|r| format::number(r, lang)).unwrap_or_else(|| "–".into()),
                velocity: c.signals.velocity.map(|v| format::decimal(v, 1, lang)).unwrap_or_else(|| "–".into()),
                best_match: best,
                assignee: c.assignee.as_ref().map(|a| a.name.clone()),
                platforms: c.platforms.join(", "),
            }
        })
        .collect();
    let narratives = rising
        .iter()
        .map(|(n, text, best)| NarrativeRow {
            href: format!("/desk/narratives/{}", n.id),
            id: n.id.into(),
            excerpt: excerpt(text, 140),
            items: format::number(n.items, lang),
            accounts: format::number(n.accounts, lang),
            platforms: n.platforms.join(", "),
            reach: format::number(n.views.saturating_add(n.shares), lang),
            velocity: format::decimal(n.velocity_1h, 0, lang),
            accelerating: n.accelerating,
            best_match: best.as_ref().map(|m| match_badge(m, lang)),
        })
        .collect();
    let link = |page: u64| {
        let mut pairs: Vec<(&str, String)> = vec![
            ("status", q.status.clone()),
            ("priority", q.priority.clone()),
            ("urgency", q.urgency.clone()),
            ("sla", q.sla.clone()),
            ("assignee", q.assignee.clone()),
            ("platform", q.platform.clone()),
        ];
        pairs.retain(|(_, v)| !v.is_empty());
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", super::encode(v))).collect();
        if query.is_empty() {
            "/desk".to_string()
        } else {
            format!("/desk?{}", query.join("&"))
        }
    };
    let shown = cases.len() as u64;
    let rows = QueueRows {
        lang,
        cases: case_rows,
        narratives,
        shown: lang
            .fill("queue.shown", &[("shown", &format::number(shown, lang)), ("total", &format::number(total, lang))]),
        previous: (page > 1).then(|| link(page - 1)),
        next: (offset + shown < total).then(|| link(page + 1)),
        updated: lang.fill("queue.updated", &[("time", &format::short_date_time(now, tz, lang))]),
    };
    if q.fragment.as_deref() == Some("rows") {
        return Ok(render(StatusCode::OK, rows.render()));
    }
    let here = link(page);
    let refresh_href = format!("{here}{}fragment=rows", if here.contains('?') { "&" } else { "?" });
    let any = || Choice::new("", lang.t("filter.any"), false);
    let mut status_choices = vec![Choice::new("", lang.t("filter.open"), status.is_none())];
    status_choices.extend(choices(
        &Status::ALL,
        status,
        |s| s.as_str().into(),
        |s| lang.t(&format!("status.{}", s.as_str())).into(),
    ));
    let mut filters = vec![Filter { name: "status", label: lang.t("filter.status").into(), choices: status_choices }];
    for (name, label, mut list) in [
        (
            "priority",
            "filter.priority",
            choices(&PRIORITIES, priority, |p| format!("P{}", p.level()), |p| format!("P{}", p.level())),
        ),
        (
            "urgency",
            "filter.urgency",
            choices(
                &[Urgency::Normal, Urgency::Urgent],
                urgency,
                |u| u.as_str().into(),
                |u| lang.t(&format!("urgency.{}", u.as_str())).into(),
            ),
        ),
        (
            "sla",
            "filter.sla",
            choices(&SLA_STATES, sla, |s| s.as_str().into(), |s| lang.t(&format!("sla.{}", s.as_str())).into()),
        ),
        ("assignee", "filter.assignee", vec![Choice::new("me", lang.t("filter.mine"), mine)]),
    ] {
        list.insert(0, any());
        filters.push(Filter { name, label: lang.t(label).into(), choices: list });
    }
    if caller.role != Role::PlatformLiaison {
        let mut list = vec![any()];
        list.extend(
            state
                .config
                .platforms
                .iter()
                .map(|p| Choice::new(p.clone(), p.clone(), platform_choice == Some(p.as_str()))),
        );
        filters.push(Filter { name: "platform", label: lang.t("filter.platform").into(), choices: list });
    }
    let page = QueuePage {
        lang,
        chrome: chrome(&state, Some(&caller), lang, lang.t("title.queue").into(), &here),
        filters,
        refresh_href,
        rows,
    };
    Ok(render(StatusCode::OK, page.render()))
}

/// The first of a case's narratives that is a number, when a narrative can have it.
fn first_narrative(narratives: &[String]) -> Option<NarrativeId> {
    narratives.iter().find_map(|n| n.parse::<i64>().ok()).and_then(|n| NarrativeId::try_from(n).ok())
}
