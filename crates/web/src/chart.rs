//! Charts drawn on the server as inline SVG: stacked columns over a series of periods (posts per hour by
//! platform, cases per day). Each chart carries a table of the same numbers for screen readers and for
//! anyone who wants the figures; the drawing itself is hidden from assistive technology. Colours come
//! from the stylesheet (`.series-0` …) and every series is also named in a legend.

use askama::Template;

use crate::{format, Lang};

/// One named series of values, one value per period.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<u64>,
}

/// What a chart shows: a value per series and period.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// Says what the chart shows; the table's caption.
    pub title: String,
    /// The heading of the periods' column ("Jam", "Tanggal").
    pub period_heading: String,
    pub periods: Vec<String>,
    pub series: Vec<Series>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;
/// Periods labelled along the bottom, at most.
const MAX_LABELS: usize = 6;
/// Distinct series colours in the stylesheet; more series reuse them (the legend and table still tell).
const COLOURS: usize = 6;

struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    class: String,
}

struct Tick {
    at: String,
    label: String,
}

#[derive(Template)]
#[template(path = "chart.html")]
struct Drawing<'a> {
    id: &'a str,
    data: &'a ChartData,
    lang: Lang,
    bars: Vec<Bar>,
    y_ticks: Vec<Tick>,
    x_ticks: Vec<Tick>,
    row_labels: Vec<&'a str>,
    totals: Vec<String>,
    cells: Vec<Vec<String>>,
    legend: Vec<(String, &'a str)>,
    empty: bool,
}

/// The smallest of 1, 2, 5 × 10ⁿ at or above `max`: a round top for the axis.
fn axis_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

impl ChartData {
    fn total(&self, period: usize) -> u64 {
        self.series.iter().map(|s| s.values.get(period).copied().unwrap_or(0)).sum()
    }

    /// The chart as HTML: a `<figure>` with the SVG, its legend and its table. `id` must be unique on
    /// the page (it ties the caption to the figure).
    pub fn render(&self, id: &str, lang: Lang) -> Result<String, askama::Error> {
        let n = self.periods.len();
        let top = axis_top((0..n).map(|p| self.total(p)).max().unwrap_or(0));
        let (plot_w, plot_h) = (WIDTH - LEFT, HEIGHT - BOTTOM - TOP);
        let slot = plot_w / n.max(1) as f64;
        let mut bars = Vec::new();
        for period in 0..n {
            let mut base = 0u64;
            for (i, series) in self.series.iter().enumerate() {
                let value = series.values.get(period).copied().unwrap_or(0);
                if value == 0 {
                    continue;
                }
                let y0 = TOP + plot_h * (1.0 - base as f64 / top as f64);
                let y1 = TOP + plot_h * (1.0 - (base + value) as f64 / top as f64);
                bars.push(Bar {
                    x: px(LEFT + slot * period as f64 + slot * 0.1),
                    y: px(y1),
                    width: px((slot * 0.8).max(1.0)),
                    height: px(y0 - y1),
                    class: format!("series-{}", i % COLOURS),
                });
                base += value;
            }
        }
        let y_ticks = [0, top / 2, top]
            .into_iter()
            .map(|v| Tick { at: px(TOP + plot_h * (1.0 - v as f64 / top as f64)), label: format::number(v, lang) })
            .collect();
        let every = n.div_ceil(MAX_LABELS).max(1);
        let x_ticks = (0..n)
            .step_by(every)
            .map(|p| Tick { at: px(LEFT + slot * (p as f64 + 0.5)), label: self.periods[p].clone() })
            .collect();
        // Periods with nothing in them are left out of the table (the drawing shows them as gaps).
        let shown: Vec<usize> = (0..n).filter(|p| self.total(*p) > 0).collect();
        let cells = shown
            .iter()
            .map(|&p| self.series.iter().map(|s| format::number(s.values.get(p).copied().unwrap_or(0), lang)).collect())
            .collect();
        Drawing {
            id,
            data: self,
            lang,
            bars,
            y_ticks,
            x_ticks,
            row_labels: shown.iter().map(|&p| self.periods[p].as_str()).collect(),
            totals: shown.iter().map(|&p| format::number(self.total(p), lang)).collect(),
            cells,
            legend: self
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("series-{}", i % COLOURS), s.name.as_str()))
                .collect(),
            empty: n == 0 || self.series.is_empty(),
        }
        .render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> ChartData {
        ChartData {
            title: "Posts per hour <by> platform".into(),
            period_heading: "Hour".into(),
            periods: vec!["10.00".into(), "11.00".into(), "12.00".into()],
            series: vec![
                Series { name: "whatsapp".into(), values: vec![3, 0, 1200] },
                Series { name: "<script>x</script>".into(), values: vec![1, 2, 0] },
            ],
        }
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(1), 1);
        assert_eq!(axis_top(3), 5);
        assert_eq!(axis_top(7), 10);
        assert_eq!(axis_top(1201), 2000);
    }

    #[test]
    fn a_chart_draws_one_bar_per_value_and_tables_every_number_escaped() {
        let html = data().render("spread", Lang::En).unwrap();
        assert_eq!(html.matches("<rect").count(), 4, "zero values draw nothing: {html}");
        assert_eq!(html.matches("<th scope=\"row\">").count(), 3, "one row per period with posts");
        assert!(html.contains("aria-hidden=\"true\""));
        assert!(html.contains(">1,200<") && html.contains(">2,000<"), "values and the axis: {html}");
        // The first hour: whatsapp 3, the other 1, total 4.
        assert!(html.contains(
            "<th scope=\"row\">10.00</th><td class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">4</td>"
        ));
        assert!(!html.contains("<script>") && html.contains("&#60;script&#62;x"), "{html}");
        assert!(html.contains("&#60;by&#62;"));
        let empty = ChartData { periods: vec![], ..data() }.render("e", Lang::Id).unwrap();
        assert!(empty.contains(Lang::Id.t("chart.empty")));
    }
}
