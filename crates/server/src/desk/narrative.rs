//! The narrative page: copies by variant, the spread per hour and platform, the accounts, the
//! coordinated-sharing flags with their evidence, the matched fact-checks and why they matched, and the
//! case answering it, or a button that opens one.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tangkal_cases::{NewCase, Permission, Role, Signals, MAX_TITLE_CHARS};
use tangkal_model::NarrativeId;
use tangkal_narratives::coordination::Detection;
use tangkal_store::NarrativeRow;
use tangkal_web::chart::{ChartData, Series};
use tangkal_web::pages::narrative::{AccountRow, FlagView, MatchView, NarrativePage, Variant};
use tangkal_web::{format, Lang};

use super::queue::match_badge;
use super::{chrome, excerpt, lang_of, may, refusal_page, render, zone, DeskForm};
use crate::api::{cases, Ids};
use crate::auth::Caller;
use crate::{AppState, Problem};

const VARIANTS_SHOWN: u64 = 20;
const ACCOUNTS_SHOWN: u64 = 50;
/// The spread chart covers the narrative's last two days.
const SPREAD_HOURS: i64 = 48;

/// The last coordination detection and the store revision it was computed at. Detection reads every
/// stored post: a page waits for it when that is quick, but when it took long (seconds at a million
/// posts) a page shows the last one while the next is computed in the background.
#[derive(Default)]
pub struct CoordinationCache {
    last: Mutex<Option<Computed>>,
    /// Held while a detection runs: one at a time.
    running: Arc<tokio::sync::Mutex<()>>,
}

/// Longest detection a page waits for when the last one is out of date.
const WAIT_FOR_DETECTION: std::time::Duration = std::time::Duration::from_millis(250);

/// A detection, the store revision it read and how long it took.
#[derive(Clone)]
struct Computed {
    revision: (i64, i64),
    detection: Arc<Detection>,
    took: std::time::Duration,
}

impl CoordinationCache {
    fn last(&self) -> Option<Computed> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Detects and keeps the result; `_running` is the cache's one-at-a-time guard.
async fn detect(state: &AppState, _running: tokio::sync::OwnedMutexGuard<()>) -> Result<Arc<Detection>, Problem> {
    let started = std::time::Instant::now();
    let (revision, detection) = state
        .pool
        .run(|s| {
            // The revision first: a change landing during detection makes the next page detect again.
            let revision = s.narratives_revision()?;
            Ok((revision, tangkal_pipeline::coordination::detect_stored(s)?))
        })
        .await?;
    let detection = Arc::new(detection);
    let computed = Computed { revision, detection: detection.clone(), took: started.elapsed() };
    *state.coordination.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(computed);
    Ok(detection)
}

/// Starts a detection in the background unless one is running: at start, and when a page finds the
/// last one out of date.
pub(crate) fn refresh_coordination(state: &AppState) {
    let Ok(running) = state.coordination.running.clone().try_lock_owned() else { return };
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = detect(&state, running).await {
            tracing::warn!("coordinated-sharing detection failed: {}", e.detail.unwrap_or(e.title));
        }
    });
}

async fn coordination(state: &AppState) -> Result<Arc<Detection>, Problem> {
    let revision = state.pool.run(|s| s.narratives_revision()).await?;
    match state.coordination.last() {
        Some(last) if last.revision == revision => return Ok(last.detection),
        Some(last) if last.took > WAIT_FOR_DETECTION => {
            refresh_coordination(state);
            return Ok(last.detection);
        }
        _ => {}
    }
    // Wait for the detection running (the one at start), then run one if that is still out of date.
    let running = state.coordination.running.clone().lock_owned().await;
    match state.coordination.last() {
        Some(last) if last.revision == revision => Ok(last.detection),
        _ => detect(state, running).await,
    }
}

/// A narrative the caller may see: a liaison sees the narratives on their platform only.
async fn visible(state: &AppState, caller: &Caller, id: i64) -> Result<NarrativeRow, Problem> {
    // An id no narrative can have names nothing, like one that does not exist.
    let Ok(narrative) = NarrativeId::try_from(id) else { return Err(Problem::not_found(format!("narrative {id}"))) };
    let row = state.pool.run(move |s| s.get_narrative(narrative)).await?;
    let platform = (caller.role == Role::PlatformLiaison).then(|| caller.user.platform.clone().unwrap_or_default());
    row.filter(|n| platform.as_ref().is_none_or(|p| n.platforms.contains(p)))
        .ok_or_else(|| Problem::not_found(format!("narrative {id}")))
}

fn time(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// `/desk/narratives/{id}`; an id merged away shows the narrative that absorbed it.
pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
) -> Response {
    match build(&state, &caller, lang_of(&headers), id).await {
        Ok(page) => render(StatusCode::OK, page.render()),
        Err(problem) => refusal_page(&state, &caller, &headers, problem),
    }
}

async fn build(state: &AppState, caller: &Caller, lang: Lang, asked: i64) -> Result<NarrativePage, Problem> {
    let n = visible(state, caller, asked).await?;
    let id = n.id;
    let since = n.last_seen - n.last_seen % 3600 - (SPREAD_HOURS - 1) * 3600;
    let representative = n.representative_item_id;
    let (central, variants, accounts, spread, claim, matches, case) = state
        .pool
        .run(move |s| {
            let central = s.get_item(representative)?.map(|i| i.text).unwrap_or_default();
            let mut variants = Vec::new();
            for v in s.narrative_variants(id, VARIANTS_SHOWN)? {
                let text = s.get_item(v.first_item_id)?.map(|i| i.text).unwrap_or_default();
                variants.push((v, text));
            }
            Ok((
                central,
                variants,
                s.narrative_accounts(id, ACCOUNTS_SHOWN)?,
                s.narrative_spread(id, since)?,
                s.narrative_claim(id)?,
                s.narrative_matches(id)?,
                s.narrative_case(id)?,
            ))
        })
        .await?;
    let detection = coordination(state).await?;
    let flags: Vec<_> = detection.flags.iter().filter(|f| f.narrative == id).collect();
    let flagged: HashSet<i64> = flags.iter().flat_map(|f| f.accounts.iter().map(|a| i64::from(*a))).collect();
    let tz = zone(caller);
    let when = |secs: i64| format::short_date_time(time(secs), tz, lang);
    let name_of = |account: i64| {
        accounts
            .iter()
            .find(|a| a.account_id == account)
            .map(|a| a.handle.clone().unwrap_or_else(|| a.external_id.clone()))
            .unwrap_or_else(|| format!("#{account}"))
    };
    // Periods are every hour of the window, empty ones included, so the chart keeps its time axis.
    let mut per_platform: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let hours: Vec<i64> = (0..SPREAD_HOURS).map(|h| since + h * 3600).filter(|h| *h <= n.last_seen).collect();
    for row in &spread {
        let slot = ((row.hour - since) / 3600) as usize;
        let values = per_platform.entry(row.platform.as_str()).or_insert_with(|| vec![0; hours.len()]);
        if let Some(v) = values.get_mut(slot) {
            *v += row.posts;
        }
    }
    let chart = ChartData {
        title: lang.t("narrative.spread_title").into(),
        period_heading: lang.t("narrative.hour").into(),
        periods: hours.iter().map(|h| format::short_date_time(time(*h), tz, lang)).collect(),
        series: per_platform.into_iter().map(|(name, values)| Series { name: name.to_string(), values }).collect(),
    };
    let outcome = claim.map(|c| {
        let score = c.best_score.map(|s| format::decimal(f64::from(s), 2, lang)).unwrap_or_default();
        match (c.debunked, c.best_score) {
            (true, _) => lang.fill("narrative.outcome_debunked", &[("score", &score)]),
            (false, Some(_)) => lang.fill("narrative.outcome_suggested", &[("score", &score)]),
            (false, None) => lang.t("narrative.outcome_none").to_string(),
        }
    });
    let words = |m: &tangkal_store::NarrativeMatch, key: &str| -> Vec<String> {
        m.found.explanation[key]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    Ok(NarrativePage {
        lang,
        chrome: chrome(
            state,
            Some(caller),
            lang,
            lang.fill("title.narrative", &[("id", &id.to_string())]),
            &format!("/desk/narratives/{asked}"),
        ),
        id: id.into(),
        heading: if i64::from(id) == asked {
            lang.fill("title.narrative", &[("id", &id.to_string())])
        } else {
            lang.fill("narrative.absorbed", &[("id", &id.to_string()), ("asked", &asked.to_string())])
        },
        central_text: central,
        items: format::number(n.items, lang),
        accounts: format::number(n.accounts, lang),
        platforms: n.platforms.join(", "),
        reach: format::number(n.views.saturating_add(n.shares), lang),
        velocity: format::decimal(n.velocity_1h, 0, lang),
        accelerating: n.accelerating,
        first_seen: format::date_time(time(n.first_seen), tz, lang),
        last_seen: format::date_time(time(n.last_seen), tz, lang),
        outcome,
        variants: variants
            .iter()
            .map(|(v, text)| Variant {
                text: excerpt(text, 400),
                posts: format::number(v.posts, lang),
                accounts: format::number(v.accounts, lang),
                first: when(v.first_seen),
                last: when(v.last_seen),
                central: v.central,
            })
            .collect(),
        spread_chart: chart.render("spread", lang).map_err(Problem::internal)?,
        account_rows: accounts
            .iter()
            .map(|a| AccountRow {
                platform: a.platform.clone(),
                name: a.handle.clone().unwrap_or_else(|| a.external_id.clone()),
                posts: format::number(a.posts, lang),
                first: when(a.first_seen),
                last: when(a.last_seen),
                flagged: flagged.contains(&a.account_id),
            })
            .collect(),
        flags: flags
            .iter()
            .map(|f| FlagView {
                window: format!("{} – {}", when(f.window_start), when(f.window_end)),
                accounts: f.accounts.iter().map(|a| name_of(i64::from(*a))).collect(),
                posts: format::number(f.items.len() as u64, lang),
                rate: lang.fill("case.per_hour", &[("n", &format::decimal(f.rate_per_hour, 1, lang))]),
                expected: format::decimal(f.expected_by_chance, 4, lang),
                repeat_accounts: format::number(f.repeat_accounts.len() as u64, lang),
                reason: f.reason.clone(),
            })
            .collect(),
        matches: matches
            .iter()
            .map(|m| MatchView {
                rank: m.rank,
                badge: match_badge(m, lang),
                phrases: words(m, "phrases"),
                words: words(m, "claim_words"),
            })
            .collect(),
        case_href: case.map(|c| format!("/desk/cases/{c}")),
        can_open_case: may(caller, Permission::WorkCases),
    })
}

/// `POST /desk/narratives/{id}/case`: opens a case for the narrative (or goes to the one it has), with
/// its central copy as title and its spread as signals.
pub async fn open_case(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Ids(id): Ids<i64>,
    DeskForm(_): DeskForm<super::EmptyForm>,
) -> Response {
    let opened = async {
        let n = visible(&state, &caller, id).await?;
        let (narrative, representative) = (n.id, n.representative_item_id);
        let (existing, text) = state
            .pool
            .run(move |s| Ok((s.narrative_case(narrative)?, s.get_item(representative)?.map(|i| i.text))))
            .await?;
        if let Some(case) = existing {
            return Ok((case, "case_opened"));
        }
        let new = NewCase {
            title: excerpt(&text.unwrap_or_else(|| format!("#{narrative}")), MAX_TITLE_CHARS - 1),
            origin_ref: Some(format!("narrative:{narrative}")),
            narratives: vec![narrative.to_string()],
            items: vec![representative],
            platforms: n.platforms.iter().filter(|p| state.config.platforms.contains(p)).cloned().collect(),
            signals: Signals {
                risk: None,
                reach: Some(n.views.saturating_add(n.shares)),
                velocity: Some(n.velocity_1h.min(tangkal_cases::MAX_VELOCITY)),
            },
            ..NewCase::default()
        };
        cases::open_by_hand(&state, &caller, new).await.map(|case| (case.id, "case_opened"))
    }
    .await;
    match opened {
        Ok((case, notice)) => {
            (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/desk/cases/{case}?done={notice}"))]).into_response()
        }
        Err(problem) => refusal_page(&state, &caller, &headers, problem),
    }
}
