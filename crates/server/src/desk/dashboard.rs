//! The dashboard: items monitored, narratives, cases by status, approved verdicts by rating, takedown
//! compliance by platform, the share of cases finished within their 24 h / 4 h clock, median times to a
//! verdict and to a clarification, the day's top narratives, and two trend charts over the last two
//! weeks. Every table and chart downloads as CSV (`/desk/dashboard.csv?figure=…`), in plain numbers.

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use serde::Deserialize;
use tangkal_cases::Urgency;
use tangkal_response::transparency::{figures, median, Period};
use tangkal_store::{DailyCount, ItemFilter, NarrativeOrder};
use tangkal_web::chart::{ChartData, Series};
use tangkal_web::pages::dashboard::{ChartBlock, DashboardPage, Figure, FigureTable};
use tangkal_web::pages::queue::NarrativeRow;
use tangkal_web::{format, Lang};

use super::{chrome, excerpt, lang_of, rating_tag, render, zone};
use crate::api::takedowns::inert_cell;
use crate::api::Params;
use crate::auth::Caller;
use crate::{AppState, Problem};

/// Without a chosen period, the trend charts and the period report cover this many days, today included.
const DAYS: i64 = 14;
/// The longest period a report covers.
const MAX_DAYS: i64 = 366;
const TOP_NARRATIVES: u64 = 5;

/// A table cell: shown in the reader's language, downloaded as a plain value.
enum Cell {
    Text(String),
    Count(u64),
    Share(Option<f64>),
    Seconds(Option<i64>),
}

impl Cell {
    fn shown(&self, lang: Lang) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => format::number(*n, lang),
            Cell::Share(s) => s.map(|s| format::percent(s, lang)).unwrap_or_else(|| "–".into()),
            Cell::Seconds(s) => s.map(|s| format::duration(s, lang)).unwrap_or_else(|| "–".into()),
        }
    }

    fn raw(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Share(s) => s.map(|s| format!("{s:.4}")).unwrap_or_default(),
            Cell::Seconds(s) => s.map(|s| s.to_string()).unwrap_or_default(),
        }
    }
}

struct Table {
    name: &'static str,
    caption: String,
    /// Columns from this one on hold numbers.
    numbers_from: usize,
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

struct Chart {
    name: &'static str,
    data: ChartData,
}

/// Everything the page shows, before it is written out as HTML or CSV.
struct Figures {
    period: String,
    /// The first and last day, for links.
    range: (i64, i64),
    summary: String,
    headline: Vec<Figure>,
    charts: Vec<Chart>,
    tables: Vec<Table>,
    top: Vec<NarrativeRow>,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Series per group over the given days, zeros where nothing happened.
fn per_day(counts: &[DailyCount], days: &[i64], label: impl Fn(&str) -> String) -> Vec<Series> {
    let mut groups: Vec<&str> = counts.iter().map(|c| c.group.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    groups
        .into_iter()
        .map(|group| Series {
            name: label(group),
            values: days
                .iter()
                .map(|day| counts.iter().filter(|c| c.group == group && c.day == *day).map(|c| c.count).sum())
                .collect(),
        })
        .collect()
}

/// The report's period: `from` and `to` (local dates, `YYYY-MM-DD`, both included), by default the last
/// two weeks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// Day 0: days are counted from 1970-01-01 (`NaiveDate`'s default).
fn epoch() -> NaiveDate {
    NaiveDate::default()
}

/// `2026-03-14`, as `<input type="date">` and the query string write a day.
fn date_text(day: i64) -> String {
    (epoch() + chrono::Days::new(day.max(0) as u64)).format("%Y-%m-%d").to_string()
}

fn day_number(field: &str, text: &str) -> Result<Option<i64>, Problem> {
    if text.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Problem::bad_request(format!("{field}: {text:?} is not a date (YYYY-MM-DD)")))?;
    Ok(Some((date - epoch()).num_days()))
}

impl PeriodQuery {
    /// The first and last local day (days since 1970-01-01), checked.
    fn days(&self, today: i64) -> Result<(i64, i64), Problem> {
        let last = day_number("to", &self.to)?.unwrap_or(today);
        let first = day_number("from", &self.from)?.unwrap_or(last - DAYS + 1);
        if first > last {
            return Err(Problem::bad_request("from: the period starts after it ends".to_string()));
        }
        if last - first >= MAX_DAYS {
            return Err(Problem::bad_request(format!("to: a period covers at most {MAX_DAYS} days")));
        }
        Ok((first, last))
    }

    /// The period in a link: `&from=…&to=…` with the days chosen.
    fn link(first: i64, last: i64) -> String {
        format!("from={}&to={}", date_text(first), date_text(last))
    }
}

async fn gather(state: &AppState, caller: &Caller, lang: Lang, period: &PeriodQuery) -> Result<Figures, Problem> {
    let (now, tz) = (state.clock.now(), zone(caller));
    let offset = i64::from(tz.offset_from_utc_datetime(&now.naive_utc()).fix().local_minus_utc());
    let today = (now.timestamp() + offset).div_euclid(86_400);
    let (first, last) = period.days(today)?;
    let days: Vec<i64> = (first..=last).collect();
    let since = first * 86_400 - offset;
    // The first instant after the period.
    let until = (last + 1) * 86_400 - offset;
    // Two reads on two connections at once: the cases' response times are the longest part, and the page
    // answers in the time of the longer read rather than both. (Each read is consistent in itself; the two
    // may be a write apart, which a dashboard may be.)
    let clocks = state.pool.run(move |s| s.response_times(since));
    let counts = state.pool.run(move |s| {
        let mut top = Vec::new();
        for n in s.list_narratives(NarrativeOrder::Velocity, TOP_NARRATIVES, 0)? {
            let text = s.get_item(n.representative_item_id)?.map(|i| i.text).unwrap_or_default();
            top.push((n, text));
        }
        Ok((
            s.count_items(&ItemFilter::default())?,
            s.count_narratives()?,
            s.cases_by_status()?,
            s.verdicts_by_rating()?,
            s.cases_per_day(since, offset)?,
            s.items_per_day(since, offset)?,
            s.public_takedown_figures(now)?,
            s.count_complied_urls(
                DateTime::from_timestamp(since, 0).unwrap_or_default(),
                DateTime::from_timestamp(until, 0).unwrap_or_default(),
            )?,
            s.count_clarifications_published(since, until)?,
            top,
        ))
    });
    let (
        times,
        (items, narratives, by_status, by_rating, cases_daily, items_daily, takedowns, taken_down, clarified, top),
    ) = tokio::try_join!(clocks, counts)?;
    let times: Vec<_> = times.into_iter().filter(|t| t.opened_at < until).collect();
    let open: u64 = by_status.iter().filter(|(s, _)| s.is_open()).map(|(_, n)| n).sum();
    let finished: Vec<_> = times.iter().filter(|t| t.finished_at.is_some()).collect();
    let met =
        |list: &[&tangkal_store::ResponseTimes]| list.iter().filter(|t| t.finished_at <= Some(t.due_at)).count() as u64;
    let to_verdict = median(times.iter().filter_map(|t| Some(t.verdict_at? - t.opened_at)).collect());
    let to_clarification = median(times.iter().filter_map(|t| Some(t.clarified_at? - t.opened_at)).collect());
    let day_start = |day: i64| Utc.timestamp_opt(day * 86_400 - offset, 0).single().unwrap_or(now);
    let day_label = |day: i64| format::date(day_start(day), tz, lang);
    let period = lang.fill("dashboard.period", &[("from", &day_label(first)), ("to", &day_label(last))]);
    let none = lang.t("dashboard.none").to_string();
    let summary = lang.fill(
        "dashboard.summary",
        &[
            ("takedowns", &format::number(taken_down, lang)),
            ("clarifications", &format::number(clarified, lang)),
            ("verdict", &to_verdict.map(|s| format::duration(s, lang)).unwrap_or(none.clone())),
        ],
    );
    let headline = vec![
        Figure { label: lang.t("dashboard.items").into(), value: format::number(items, lang), note: None },
        Figure { label: lang.t("dashboard.narratives").into(), value: format::number(narratives, lang), note: None },
        Figure { label: lang.t("dashboard.open").into(), value: format::number(open, lang), note: None },
        Figure {
            label: lang.t("dashboard.within").into(),
            value: Cell::Share(share(met(&finished), finished.len() as u64)).shown(lang),
            note: Some(lang.fill(
                "dashboard.within_note",
                &[
                    ("met", &format::number(met(&finished), lang)),
                    ("finished", &format::number(finished.len() as u64, lang)),
                ],
            )),
        },
        Figure {
            label: lang.t("dashboard.median_verdict").into(),
            value: Cell::Seconds(to_verdict).shown(lang),
            note: None,
        },
        Figure {
            label: lang.t("dashboard.median_clarification").into(),
            value: Cell::Seconds(to_clarification).shown(lang),
            note: None,
        },
    ];
    let period_labels: Vec<String> = days.iter().map(|d| format::day_month(day_start(*d), tz, lang)).collect();
    let charts = vec![
        Chart {
            name: "cases_per_day",
            data: ChartData {
                title: lang.t("dashboard.cases_per_day").into(),
                period_heading: lang.t("dashboard.day").into(),
                periods: period_labels.clone(),
                series: per_day(&cases_daily, &days, |u| lang.t(&format!("urgency.{u}")).to_string()),
            },
        },
        Chart {
            name: "items_per_day",
            data: ChartData {
                title: lang.t("dashboard.items_per_day").into(),
                period_heading: lang.t("dashboard.day").into(),
                periods: period_labels,
                series: per_day(&items_daily, &days, str::to_string),
            },
        },
    ];
    let sla_rows = [Urgency::Normal, Urgency::Urgent]
        .into_iter()
        .map(|u| {
            let of: Vec<_> = finished.iter().copied().filter(|t| t.urgency == u).collect();
            vec![
                Cell::Text(lang.t(&format!("urgency.{}", u.as_str())).into()),
                Cell::Count(of.len() as u64),
                Cell::Count(met(&of)),
                Cell::Share(share(met(&of), of.len() as u64)),
            ]
        })
        .collect();
    let tables = vec![
        Table {
            name: "cases_by_status",
            caption: lang.t("dashboard.by_status").into(),
            numbers_from: 1,
            columns: vec![lang.t("dashboard.col_status").into(), lang.t("dashboard.col_count").into()],
            rows: by_status
                .iter()
                .map(|(s, n)| vec![Cell::Text(lang.t(&format!("status.{}", s.as_str())).into()), Cell::Count(*n)])
                .collect(),
        },
        Table {
            name: "verdicts_by_rating",
            caption: lang.t("dashboard.by_rating").into(),
            numbers_from: 1,
            columns: vec![lang.t("dashboard.col_rating").into(), lang.t("dashboard.col_count").into()],
            rows: by_rating.iter().map(|(r, n)| vec![Cell::Text(rating_tag(*r, lang).text), Cell::Count(*n)]).collect(),
        },
        Table {
            name: "sla",
            caption: lang.t("dashboard.sla_by_urgency").into(),
            numbers_from: 1,
            columns: vec![
                lang.t("dashboard.col_urgency").into(),
                lang.t("dashboard.col_cases").into(),
                lang.t("dashboard.col_met").into(),
                lang.t("dashboard.col_share_met").into(),
            ],
            rows: sla_rows,
        },
        Table {
            name: "takedown_compliance",
            caption: lang.t("dashboard.compliance").into(),
            numbers_from: 2,
            columns: [
                "dashboard.col_year",
                "dashboard.col_platform",
                "dashboard.col_requests",
                "dashboard.col_urls",
                "dashboard.col_complied",
                "dashboard.col_share",
                "dashboard.col_median",
            ]
            .iter()
            .map(|k| lang.t(k).to_string())
            .collect(),
            rows: figures(&takedowns, Period::Year)
                .into_iter()
                .map(|f| {
                    vec![
                        Cell::Text(f.period),
                        Cell::Text(f.platform),
                        Cell::Count(f.requests),
                        Cell::Count(f.requested),
                        Cell::Count(f.complied),
                        Cell::Share(share(f.complied, f.requested)),
                        Cell::Seconds(f.median_seconds_to_comply),
                    ]
                })
                .collect(),
        },
    ];
    let top = top
        .iter()
        .map(|(n, text)| NarrativeRow {
            href: format!("/desk/narratives/{}", n.id),
            id: n.id.into(),
            excerpt: excerpt(text, 120),
            items: format::number(n.items, lang),
            accounts: format::number(n.accounts, lang),
            platforms: n.platforms.join(", "),
            reach: format::number(n.views.saturating_add(n.shares), lang),
            velocity: format::decimal(n.velocity_1h, 0, lang),
            accelerating: n.accelerating,
            best_match: None,
        })
        .collect();
    Ok(Figures { period, range: (first, last), summary, headline, charts, tables, top })
}

fn csv_href(name: &str, (first, last): (i64, i64)) -> String {
    format!("/desk/dashboard.csv?figure={name}&{}", PeriodQuery::link(first, last))
}

/// `/desk/dashboard`.
pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Params(q): Params<PeriodQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let f = gather(&state, &caller, lang, &q).await?;
    let mut charts = Vec::new();
    for chart in &f.charts {
        let html = chart.data.render(chart.name, lang).map_err(Problem::internal)?;
        charts.push(ChartBlock { html, csv_href: csv_href(chart.name, f.range) });
    }
    let here = format!("/desk/dashboard?{}", PeriodQuery::link(f.range.0, f.range.1));
    let (from, to) = (date_text(f.range.0), date_text(f.range.1));
    let page = DashboardPage {
        lang,
        chrome: chrome(&state, Some(&caller), lang, lang.t("title.dashboard").into(), &here),
        from,
        to,
        period: f.period,
        summary: f.summary,
        figures: f.headline,
        charts,
        tables: f
            .tables
            .iter()
            .map(|t| FigureTable {
                caption: t.caption.clone(),
                columns: t.columns.clone(),
                numbers_from: t.numbers_from,
                rows: t.rows.iter().map(|row| row.iter().map(|c| c.shown(lang)).collect()).collect(),
                csv_href: csv_href(t.name, f.range),
            })
            .collect(),
        top: f.top,
    };
    Ok(render(StatusCode::OK, page.render()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvQuery {
    figure: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// `/desk/dashboard.csv?figure=NAME`: one table or chart of the dashboard, in plain numbers.
pub async fn csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Params(q): Params<CsvQuery>,
) -> Result<Response, Problem> {
    let lang = lang_of(&headers);
    let period = PeriodQuery { from: q.from, to: q.to };
    let f = gather(&state, &caller, lang, &period).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, row: Vec<String>| {
        out.write_record(row.iter().map(|cell| inert_cell(cell))).map_err(Problem::internal)
    };
    if let Some(t) = f.tables.iter().find(|t| t.name == q.figure) {
        write(&mut out, t.columns.clone())?;
        for row in &t.rows {
            write(&mut out, row.iter().map(Cell::raw).collect())?;
        }
    } else if let Some(c) = f.charts.iter().find(|c| c.name == q.figure) {
        let mut heading = vec![c.data.period_heading.clone()];
        heading.extend(c.data.series.iter().map(|s| s.name.clone()));
        write(&mut out, heading)?;
        for (i, period) in c.data.periods.iter().enumerate() {
            let mut row = vec![period.clone()];
            row.extend(c.data.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0).to_string()));
            write(&mut out, row)?;
        }
    } else {
        let known: Vec<&str> = f.tables.iter().map(|t| t.name).chain(f.charts.iter().map(|c| c.name)).collect();
        return Err(Problem::bad_request(format!("figure: {:?} is not one of {}", q.figure, known.join(", "))));
    }
    let body = String::from_utf8(out.into_inner().map_err(Problem::internal)?).map_err(Problem::internal)?;
    let file = format!("tangkal-{}-{}.csv", q.figure, state.clock.now().format("%Y-%m-%d"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        body,
    )
        .into_response())
}
