use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;

use anyhow::{bail, Context};
use tangkal_model::{Fields, Metrics};
use tangkal_store::SourceRef;

use crate::source::{Record, Source};
use crate::Reject;

/// The item fields a CSV column can fill, in the item format's names.
pub(crate) const FIELDS: &[&str] = &[
    "id",
    "platform",
    "url",
    "author_id",
    "author_handle",
    "text",
    "published_at",
    "views",
    "shares",
    "likes",
    "replies",
];

/// Which CSV column holds which item field. By default a column named like the field.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    overrides: BTreeMap<String, String>,
}

impl ColumnMap {
    /// Parses `field=column` pairs such as `text=message`.
    pub fn parse(pairs: &[String]) -> anyhow::Result<ColumnMap> {
        let mut overrides = BTreeMap::new();
        for pair in pairs {
            let Some((field, column)) = pair.split_once('=') else {
                bail!("--map {pair:?}: expected FIELD=COLUMN, e.g. text=message");
            };
            if !FIELDS.contains(&field) {
                bail!("--map {pair:?}: unknown field {field:?}; fields are {}", FIELDS.join(", "));
            }
            overrides.insert(field.to_string(), column.to_string());
        }
        Ok(ColumnMap { overrides })
    }

    fn column_for<'a>(&'a self, field: &'a str) -> &'a str {
        self.overrides.get(field).map_or(field, String::as_str)
    }
}

/// CSV with a header row. Each row's raw record is a JSON object of header → value.
pub(crate) struct CsvSource {
    location: String,
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    headers: Vec<String>,
    /// The headers made unique, as the keys of the raw record: a repeated column's cells are kept.
    raw_keys: Vec<String>,
    /// For each entry of `FIELDS`, the column index holding it.
    columns: Vec<Option<usize>>,
    row: csv::ByteRecord,
    max_text_bytes: usize,
}

impl CsvSource {
    pub(crate) fn new(
        location: String,
        reader: Box<dyn BufRead + Send>,
        map: ColumnMap,
        max_text_bytes: usize,
    ) -> anyhow::Result<CsvSource> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
        let headers: Vec<String> = reader
            .byte_headers()
            .with_context(|| format!("{location}:1: cannot read the header row"))?
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        let columns: Vec<Option<usize>> =
            FIELDS.iter().map(|field| headers.iter().position(|h| h == map.column_for(field))).collect();
        for required in ["platform", "text", "published_at"] {
            let i = FIELDS.iter().position(|f| *f == required).expect("known field");
            if columns[i].is_none() {
                bail!(
                    "{location}:1: no column {:?} for the required field `{required}` (use --map {required}=COLUMN)",
                    map.column_for(required)
                );
            }
        }
        let raw_keys = unique_keys(&headers);
        Ok(CsvSource { location, reader, headers, raw_keys, columns, row: csv::ByteRecord::new(), max_text_bytes })
    }

    fn field(&self, name: &str) -> Result<Option<Cow<'_, str>>, String> {
        let i = FIELDS.iter().position(|f| *f == name).expect("known field");
        let Some(column) = self.columns[i] else { return Ok(None) };
        let bytes = self.row.get(column).unwrap_or_default();
        std::str::from_utf8(bytes).map(|s| Some(Cow::Borrowed(s))).map_err(|e| {
            format!("column {:?}: not valid UTF-8 (first bad byte at offset {})", self.headers[column], e.valid_up_to())
        })
    }

    fn metric(&self, name: &'static str) -> Result<u64, String> {
        match self.field(name)? {
            None => Ok(0),
            Some(v) if v.trim().is_empty() => Ok(0),
            Some(v) => v.trim().parse().map_err(|_| format!("field `{name}`: {v:?} is not a whole number")),
        }
    }

    fn record(&self) -> Result<tangkal_model::Item, String> {
        let metrics = Metrics {
            views: self.metric("views")?,
            shares: self.metric("shares")?,
            likes: self.metric("likes")?,
            replies: self.metric("replies")?,
        };
        let fields = Fields {
            platform: self.field("platform")?,
            id: self.field("id")?,
            url: self.field("url")?,
            author_id: self.field("author_id")?,
            author_handle: self.field("author_handle")?,
            text: self.field("text")?,
            published_at: self.field("published_at")?,
            metrics,
        };
        let raw: serde_json::Map<String, serde_json::Value> = self
            .raw_keys
            .iter()
            .zip(self.row.iter())
            .map(|(h, v)| (h.clone(), String::from_utf8_lossy(v).into_owned().into()))
            .collect();
        let raw = serde_json::Value::Object(raw).to_string();
        fields.into_item(raw, self.max_text_bytes).map_err(|e| e.to_string())
    }
}

/// The headers with each repeat of a name numbered (`text`, `text (2)`), skipping numbers that are
/// names of other columns.
fn unique_keys(headers: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(headers.len());
    for header in headers {
        let mut key = header.clone();
        let mut n = 1;
        while keys.contains(&key) || (n > 1 && headers.contains(&key)) {
            n += 1;
            key = format!("{header} ({n})");
        }
        keys.push(key);
    }
    keys
}

impl Source for CsvSource {
    fn describe(&self) -> SourceRef {
        SourceRef { kind: "file".into(), location: self.location.clone() }
    }

    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        match self.reader.read_byte_record(&mut self.row) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.row.position().map_or(0, |p| p.line());
                let record = self.record().map_err(|reason| {
                    let raw = self.row.iter().collect::<Vec<_>>().join(&b',');
                    Reject::new(&self.location, line, reason, &raw)
                });
                Ok(Some(record))
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths { pos, .. } => {
                    let line = pos.as_ref().map_or(0, |p| p.line());
                    Ok(Some(Err(Reject::new(&self.location, line, format!("malformed row: {e}"), b""))))
                }
                _ => Err(anyhow::anyhow!("{}: {e}", self.location)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &'static str, map: &[&str]) -> anyhow::Result<Vec<Result<String, String>>> {
        let map = ColumnMap::parse(&map.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        let mut source = CsvSource::new("in.csv".into(), Box::new(input.as_bytes()), map, 1000)?;
        let mut out = Vec::new();
        while let Some(record) = source.next_record()? {
            out.push(
                record
                    .map(|item| format!("{} {} {}", item.platform, item.text, item.metrics.views))
                    .map_err(|r| r.to_string()),
            );
        }
        Ok(out)
    }

    #[test]
    fn mapped_columns_fill_item_fields_and_bad_rows_name_their_line() {
        let input = "network,message,time,views\n\
x,\"Hoaks, katanya\",2024-02-03T05:12:45Z,12\n\
x,tanpa waktu,kemarin,1\n\
x,\"dua\nbaris\",2024-02-03T05:12:45Z,banyak\n\
x,terakhir,2024-02-03T05:12:45Z,\n";
        let got = read_all(input, &["platform=network", "text=message", "published_at=time"]).unwrap();
        assert_eq!(got[0], Ok("x Hoaks, katanya 12".to_string()));
        assert!(got[1].as_ref().unwrap_err().starts_with("in.csv:3: field `published_at`"), "{:?}", got[1]);
        assert!(got[2].as_ref().unwrap_err().starts_with("in.csv:4: field `views`"), "{:?}", got[2]);
        assert_eq!(got[3], Ok("x terakhir 0".to_string()));
    }

    #[test]
    fn a_missing_required_column_is_a_fatal_error_naming_the_option() {
        let err = read_all("platform,body,published_at\n", &[]).err().unwrap().to_string();
        assert!(err.contains("--map text=COLUMN"), "{err}");
        assert!(ColumnMap::parse(&["colour=x".to_string()]).is_err());
    }

    #[test]
    fn a_row_with_the_wrong_number_of_columns_is_rejected_and_reading_goes_on() {
        let input = "platform,text,published_at\nx,a\nx,b,2024-02-03T05:12:45Z\n";
        let got = read_all(input, &[]).unwrap();
        assert!(got[0].as_ref().unwrap_err().starts_with("in.csv:2: malformed row"), "{:?}", got[0]);
        assert_eq!(got[1], Ok("x b 0".to_string()));
    }
}
