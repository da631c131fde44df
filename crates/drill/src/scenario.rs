//! A drill's scenario: a JSON Lines file, one object per line, each of one kind:
//!
//! ```text
//! {"drill": {"name": "Gelombang hoaks pemilu", "hours": 24}}      (optional, first: name and length)
//! {"factcheck": {...}}                                            (known at the start; claims format)
//! {"at": "02:15", "post": {...}, "narrative": "blt-link"}         (an item, item format)
//! {"at": "05:40", "report": {"platform": "whatsapp", "text": "..."}, "narrative": "blt-link"}
//! {"narrative": "blt-link", "truth": "false"}                     (what a right verdict says)
//! ```
//!
//! `at` is drill time since the start (`HH:MM` or `HH:MM:SS`). A post's `published_at` is set when it is
//! sent (the drill's start plus `at`), so the stream is as fresh as the drill. `narrative` ties posts and
//! reports to the truth: `false` for a hoax (a right verdict rates it false or misleading), `true` for
//! content that is correct (a right verdict says BENAR).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

/// A refused scenario line: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub source: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.source, self.line, self.message)
    }
}

impl std::error::Error for ScenarioError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// A hoax: a right verdict rates it false or misleading.
    False,
    /// Correct content: a right verdict says BENAR.
    True,
}

impl Truth {
    fn parse(text: &str) -> Option<Truth> {
        match text {
            "false" => Some(Truth::False),
            "true" => Some(Truth::True),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Truth::False => "false",
            Truth::True => "true",
        }
    }

    /// Whether a verdict's rating agrees.
    pub fn agrees(self, rating: tangkal_cases::Rating) -> bool {
        match self {
            Truth::False => rating.is_false(),
            Truth::True => rating == tangkal_cases::Rating::Benar,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// An item in the item format, without its `published_at`.
    Post(Map<String, Value>),
    /// A citizen report as `POST /api/v1/reports` takes it.
    Report(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Drill time since the start.
    pub at: Duration,
    pub narrative: Option<String>,
    pub action: Action,
}

impl Event {
    /// The body to send: a post with its `published_at` as of the drill that started at `started_at`.
    pub fn body(&self, started_at: DateTime<Utc>) -> Value {
        match &self.action {
            Action::Post(item) => {
                let mut item = item.clone();
                let published = (started_at + self.at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                item.insert("published_at".into(), Value::String(published));
                Value::Object(item)
            }
            Action::Report(report) => Value::Object(report.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// How long the drill runs, in drill time.
    pub length: Duration,
    /// The fact-checks known at the start, in the claims format.
    pub factchecks: Vec<Map<String, Value>>,
    /// In the order they happen.
    pub events: Vec<Event>,
    pub truth: BTreeMap<String, Truth>,
}

/// The bundled outbreak is the sample data's five days, compressed this many times.
const BUNDLED_COMPRESSION: i32 = 6;

const SAMPLE_ITEMS: &str = include_str!("../../../data/sample/items.jsonl");
const SAMPLE_ITEMS_TRUTH: &str = include_str!("../../../data/sample/items.truth.jsonl");
const SAMPLE_FACTCHECKS: &str = include_str!("../../../data/sample/factchecks.jsonl");
const SAMPLE_REPORTS: &str = include_str!("../../../data/sample/reports.jsonl");
const SAMPLE_REPORTS_TRUTH: &str = include_str!("../../../data/sample/reports.truth.jsonl");
/// The sample's one narrative that is true: a news article re-shared with comments.
const SAMPLE_TRUE_NARRATIVE: &str = "berita-bmkg-tidak-ada-prediksi-gempa";

impl Scenario {
    /// The bundled outbreak, from the sample data (`data/sample`): five days of an election week's posts
    /// compressed into the first 20 hours of a 24-hour drill: twenty hoax waves among everyday posts and
    /// news, three coordinated pushes (networks of accounts posting the same text seconds apart, twice),
    /// twenty citizen reports, and forty fact-checks known at the start, which cover sixteen of the
    /// waves; four waves are new and must be found in the queue.
    pub fn bundled() -> Scenario {
        let objects = |text: &'static str| -> Vec<Map<String, Value>> {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("the sample data is valid JSON Lines"))
                .collect()
        };
        let narrative_of = |truth: Vec<Map<String, Value>>| -> BTreeMap<String, String> {
            truth
                .into_iter()
                .filter_map(|t| Some((t["id"].as_str()?.to_string(), t["narrative"].as_str()?.to_string())))
                .collect()
        };
        let item_narratives = narrative_of(objects(SAMPLE_ITEMS_TRUTH));
        let report_narratives = narrative_of(objects(SAMPLE_REPORTS_TRUTH));
        let time = |record: &Map<String, Value>, field: &str| -> DateTime<Utc> {
            record[field].as_str().and_then(|t| t.parse().ok()).expect("the sample's times are RFC 3339")
        };
        let items = objects(SAMPLE_ITEMS);
        let first = items.iter().map(|i| time(i, "published_at")).min().expect("the sample has items");
        let at = |t: DateTime<Utc>| Duration::seconds((t - first).num_seconds() / i64::from(BUNDLED_COMPRESSION));
        let mut events = Vec::new();
        for mut item in items {
            let at = at(time(&item, "published_at"));
            item.remove("published_at");
            let narrative = item["id"].as_str().and_then(|id| item_narratives.get(id)).cloned();
            events.push(Event { at, narrative, action: Action::Post(item) });
        }
        for report in objects(SAMPLE_REPORTS) {
            let platform = if report["channel"] == "whatsapp" { "whatsapp" } else { "web" };
            let body = Map::from_iter([
                ("platform".to_string(), Value::from(platform)),
                ("text".to_string(), report["text"].clone()),
            ]);
            let narrative = report["id"].as_str().and_then(|id| report_narratives.get(id)).cloned();
            events.push(Event { at: at(time(&report, "received_at")), narrative, action: Action::Report(body) });
        }
        events.sort_by_key(|e| e.at);
        let truth = item_narratives
            .values()
            .chain(report_narratives.values())
            .map(|n| (n.clone(), if n == SAMPLE_TRUE_NARRATIVE { Truth::True } else { Truth::False }))
            .collect();
        Scenario {
            name: "Gelombang hoaks pekan pemilu / Election-week hoax waves".into(),
            length: Duration::hours(24),
            factchecks: objects(SAMPLE_FACTCHECKS),
            events,
            truth,
        }
    }

    /// Reads a scenario file's text; `source` names it in errors. Every line is checked, and the first
    /// error is returned with its line.
    pub fn parse(text: &str, source: &str) -> Result<Scenario, ScenarioError> {
        let mut scenario = Scenario {
            name: source.to_string(),
            length: Duration::hours(24),
            factchecks: Vec::new(),
            events: Vec::new(),
            truth: BTreeMap::new(),
        };
        for (index, line) in text.lines().enumerate() {
            let fail = |message: String| ScenarioError { source: source.to_string(), line: index + 1, message };
            if line.trim().is_empty() {
                continue;
            }
            let mut object: Map<String, Value> = match serde_json::from_str(line) {
                Ok(Value::Object(object)) => object,
                Ok(_) => return Err(fail("expected a JSON object".into())),
                Err(e) => return Err(fail(format!("not JSON: {e}"))),
            };
            scenario.read_line(&mut object, index == 0).map_err(fail)?;
        }
        scenario.events.sort_by_key(|e| e.at);
        if let Some(late) = scenario.events.iter().find(|e| e.at > scenario.length) {
            return Err(ScenarioError {
                source: source.to_string(),
                line: 0,
                message: format!(
                    "an event at {} is after the drill's end ({})",
                    clock_text(late.at),
                    clock_text(scenario.length)
                ),
            });
        }
        Ok(scenario)
    }

    fn read_line(&mut self, object: &mut Map<String, Value>, first: bool) -> Result<(), String> {
        let kinds = ["drill", "factcheck", "post", "report", "truth"];
        let present: Vec<&str> = kinds.into_iter().filter(|k| object.contains_key(*k)).collect();
        let kind = match present.as_slice() {
            [one] => *one,
            [] => return Err(format!("a line needs one of: {}", kinds.join(", "))),
            _ => return Err(format!("a line has one kind, not {}", present.join(" and "))),
        };
        let allowed: &[&str] = match kind {
            "drill" | "factcheck" => &[],
            "post" | "report" => &["at", "narrative"],
            _ => &["narrative"],
        };
        if let Some(other) = object.keys().find(|k| k.as_str() != kind && !allowed.contains(&k.as_str())) {
            return Err(format!("{other}: not a field of a {kind} line"));
        }
        let value = object.remove(kind).expect("present");
        match kind {
            "drill" => {
                if !first {
                    return Err("drill: only on the first line".into());
                }
                let header = value.as_object().ok_or("drill: expected an object")?;
                if let Some(name) = header.get("name") {
                    self.name = name.as_str().ok_or("drill.name: expected text")?.to_string();
                }
                if let Some(hours) = header.get("hours") {
                    let hours = hours.as_f64().filter(|h| *h > 0.0 && *h <= 24.0 * 14.0);
                    let hours = hours.ok_or("drill.hours: expected a number of hours above 0, at most 336")?;
                    self.length = Duration::seconds((hours * 3600.0) as i64);
                }
            }
            "factcheck" => {
                let record = value.as_object().ok_or("factcheck: expected an object in the claims format")?;
                let parsed = tangkal_matcher::formats::read_jsonl(value.to_string().as_bytes(), "factcheck")
                    .map_err(|e| format!("factcheck: {e}"))?;
                if let Some(rejected) = parsed.rejected.first() {
                    return Err(format!("factcheck: {}", rejected.reason));
                }
                self.factchecks.push(record.clone());
            }
            "truth" => {
                let truth = value.as_str().and_then(Truth::parse).ok_or("truth: expected \"false\" or \"true\"")?;
                let narrative = narrative(object)?.ok_or("narrative: a truth line names its narrative")?;
                self.truth.insert(narrative, truth);
            }
            _ => {
                let at = object.get("at").ok_or("at: missing (drill time, HH:MM)")?;
                let at = at.as_str().and_then(parse_clock).ok_or("at: expected drill time as HH:MM or HH:MM:SS")?;
                let narrative = narrative(object)?;
                let Value::Object(mut body) = value else { return Err(format!("{kind}: expected an object")) };
                let action = if kind == "post" {
                    for field in ["id", "platform", "text"] {
                        if !body.get(field).is_some_and(Value::is_string) {
                            return Err(format!("post.{field}: expected text"));
                        }
                    }
                    body.remove("published_at");
                    Action::Post(body)
                } else {
                    Action::Report(body)
                };
                self.events.push(Event { at, narrative, action });
            }
        }
        Ok(())
    }

    /// The scenario as a file [`Scenario::parse`] reads back, to start a scenario of one's own from.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        let mut line = |value: Value| {
            out.push_str(&value.to_string());
            out.push('\n');
        };
        line(serde_json::json!({"drill": {"name": self.name, "hours": self.length.num_seconds() as f64 / 3600.0}}));
        for factcheck in &self.factchecks {
            line(serde_json::json!({ "factcheck": factcheck }));
        }
        for event in &self.events {
            let (kind, body) = match &event.action {
                Action::Post(item) => ("post", item),
                Action::Report(report) => ("report", report),
            };
            let mut object = Map::from_iter([
                ("at".to_string(), Value::from(clock_text(event.at))),
                (kind.to_string(), Value::Object(body.clone())),
            ]);
            if let Some(narrative) = &event.narrative {
                object.insert("narrative".into(), Value::from(narrative.as_str()));
            }
            line(Value::Object(object));
        }
        for (narrative, truth) in &self.truth {
            line(serde_json::json!({"narrative": narrative, "truth": truth.as_str()}));
        }
        out
    }

    /// The scenario's narrative of each post, by item id.
    pub fn narrative_of_posts(&self) -> BTreeMap<String, String> {
        self.events
            .iter()
            .filter_map(|e| match (&e.action, &e.narrative) {
                (Action::Post(item), Some(narrative)) => Some((item["id"].as_str()?.to_string(), narrative.clone())),
                _ => None,
            })
            .collect()
    }
}

fn narrative(object: &Map<String, Value>) -> Result<Option<String>, String> {
    match object.get("narrative") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) if !name.trim().is_empty() => Ok(Some(name.clone())),
        Some(_) => Err("narrative: expected a name".into()),
    }
}

/// `HH:MM` or `HH:MM:SS`, hours unbounded.
fn parse_clock(text: &str) -> Option<Duration> {
    let parts: Vec<&str> = text.split(':').collect();
    let number = |p: &str| p.parse::<i64>().ok().filter(|n| *n >= 0 && !p.starts_with('+'));
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m] => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    (minutes < 60 && seconds < 60).then(|| Duration::seconds(hours * 3600 + minutes * 60 + seconds))
}

/// Drill time as `HH:MM:SS`.
pub fn clock_text(at: Duration) -> String {
    let s = at.num_seconds().max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_outbreak_has_waves_pushes_reports_and_truth() {
        let s = Scenario::bundled();
        let posts = s.events.iter().filter(|e| matches!(e.action, Action::Post(_))).count();
        let reports = s.events.iter().filter(|e| matches!(e.action, Action::Report(_))).count();
        assert_eq!((posts, reports, s.factchecks.len()), (375, 20, 40));
        assert_eq!(s.truth.values().filter(|t| **t == Truth::True).count(), 1);
        assert!(s.truth.len() >= 21);
        assert!(s.events.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(s.events.last().unwrap().at <= Duration::hours(20));
        assert_eq!(s.events[0].at, Duration::zero());
    }

    #[test]
    fn a_scenario_reads_back_what_it_writes() {
        let bundled = Scenario::bundled();
        let again = Scenario::parse(&bundled.to_jsonl(), "bundled").unwrap();
        assert_eq!(again, bundled);
    }

    #[test]
    fn a_post_is_sent_with_the_drill_time_it_happens_at() {
        let text = "{\"at\": \"01:30\", \"post\": {\"id\": \"x:1\", \"platform\": \"x\", \"text\": \"Hoaks\", \
                    \"published_at\": \"2020-01-01T00:00:00Z\"}}";
        let s = Scenario::parse(text, "s.jsonl").unwrap();
        let start: DateTime<Utc> = "2026-12-03T10:00:00Z".parse().unwrap();
        assert_eq!(s.events[0].body(start)["published_at"], "2026-12-03T11:30:00Z");
    }

    #[test]
    fn bad_lines_are_named_with_their_place() {
        let cases = [
            ("[1]", "line 1: expected a JSON object"),
            ("{\"at\": \"1:75\", \"post\": {}}", "line 1: at: expected drill time"),
            (
                "{\"at\": \"1:05\", \"post\": {\"id\": \"x:1\", \"text\": \"t\"}}",
                "line 1: post.platform: expected text",
            ),
            ("{\"truth\": \"maybe\", \"narrative\": \"n\"}", "line 1: truth: expected"),
            ("{\"truth\": \"false\"}", "line 1: narrative: a truth line names its narrative"),
            ("{\"factcheck\": {}, \"post\": {}}", "line 1: a line has one kind, not factcheck and post"),
            ("{\"truth\": \"true\", \"narrative\": \"n\"}\n{\"drill\": {}}", "line 2: drill: only on the first line"),
            ("{\"factcheck\": {}, \"at\": \"00:01\"}", "line 1: at: not a field of a factcheck line"),
            ("{\"drill\": {\"hours\": 1}}\n{\"at\": \"02:00\", \"report\": {}}", "after the drill's end (01:00:00)"),
            ("{\"nothing\": 1}", "line 1: a line needs one of"),
            ("{\"factcheck\": {\"id\": \"fc-1\"}}", "line 1: factcheck: "),
        ];
        for (text, expected) in cases {
            let error = Scenario::parse(text, "s.jsonl").unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.starts_with("s.jsonl line"), "{error}");
        }
    }
}
