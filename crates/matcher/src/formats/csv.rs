//! CSV with a header row; a [`ColumnMap`] says which column holds which field.

use std::collections::HashMap;
use std::io::{Read, Write};

use tangkal_model::FactCheck;

use super::{parse_date, validate, Parsed, Rejected};

/// Field names, in export column order.
pub const FIELDS: [&str; 12] = [
    "id",
    "title",
    "claim",
    "rating",
    "misinformation_type",
    "explanation",
    "conclusion",
    "url",
    "publisher",
    "date",
    "lang",
    "provenance",
];

/// Field → column header. Fields not mapped are read from a column of their own name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    columns: HashMap<String, String>,
}

impl ColumnMap {
    /// Parses `field=column,field=column` (e.g. `title=judul,rating=label`).
    pub fn parse(spec: &str) -> Result<ColumnMap, String> {
        let mut columns = HashMap::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, column) =
                part.split_once('=').ok_or_else(|| format!("column map entry {part:?} is not field=column"))?;
            let field = field.trim();
            if !FIELDS.contains(&field) {
                return Err(format!("column map names unknown field {field:?} (known: {})", FIELDS.join(", ")));
            }
            columns.insert(field.to_owned(), column.trim().to_owned());
        }
        Ok(ColumnMap { columns })
    }

    fn column<'a>(&'a self, field: &'a str) -> &'a str {
        self.columns.get(field).map_or(field, String::as_str)
    }
}

/// Reads CSV; rows are rejected with `source:line` places, among them rows with more or fewer
/// fields than the header (an unquoted comma would shift every later field into the wrong column).
/// Fails on I/O errors and on a header that lacks the title column.
pub fn read_csv(reader: impl Read, source: &str, map: &ColumnMap) -> Result<Parsed, String> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
    let headers = rdr.headers().map_err(|e| format!("{source}: cannot read the header: {e}"))?.clone();
    let position: HashMap<&str, usize> =
        FIELDS.iter().filter_map(|&f| headers.iter().position(|h| h.trim() == map.column(f)).map(|i| (f, i))).collect();
    for (field, column) in &map.columns {
        if !position.contains_key(field.as_str()) {
            return Err(format!("{source}: column {column:?} (mapped to {field}) is not in the header"));
        }
    }
    if !position.contains_key("title") && !position.contains_key("claim") {
        return Err(format!("{source}: no title or claim column (map one with --map title=COLUMN)"));
    }
    let mut parsed = Parsed::default();
    for row in rdr.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                parsed.rejected.push(Rejected { place: format!("{source}:{line}"), reason: e.to_string() });
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        let place = format!("{source}:{line}");
        let get = |f: &str| position.get(f).and_then(|&i| row.get(i)).map(str::to_owned);
        let date = match get("date").filter(|d| !d.trim().is_empty()) {
            Some(d) => match parse_date(&d) {
                Ok(d) => Some(d),
                Err(e) => {
                    let reason = format!("column {:?}: {e}", map.column("date"));
                    parsed.rejected.push(Rejected { place, reason });
                    continue;
                }
            },
            None => None,
        };
        let record = FactCheck {
            id: get("id").unwrap_or_default(),
            title: get("title").unwrap_or_default(),
            claim: get("claim"),
            rating: get("rating"),
            misinformation_type: get("misinformation_type"),
            explanation: get("explanation"),
            conclusion: get("conclusion"),
            url: get("url"),
            publisher: get("publisher"),
            date,
            lang: get("lang"),
            provenance: get("provenance"),
        };
        match validate(record) {
            Ok(r) => parsed.records.push(r),
            Err(reason) => parsed.rejected.push(Rejected { place, reason }),
        }
    }
    Ok(parsed)
}

/// Writes every field as a column, headed by the field names.
pub fn write_csv(w: impl Write, records: &[FactCheck]) -> std::io::Result<()> {
    let mut wtr = csv::Writer::from_writer(w);
    wtr.write_record(FIELDS)?;
    for r in records {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        wtr.write_record([
            r.id.clone(),
            r.title.clone(),
            o(&r.claim),
            o(&r.rating),
            o(&r.misinformation_type),
            o(&r.explanation),
            o(&r.conclusion),
            o(&r.url),
            o(&r.publisher),
            r.date.map(|d| d.to_string()).unwrap_or_default(),
            o(&r.lang),
            o(&r.provenance),
        ])?;
    }
    wtr.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_columns_are_read_and_bad_rows_named_by_line() {
        let input = "judul,label,tautan,tanggal\n\
                     Foto banjir Jakarta 2020,Hoaks,https://a.id/1,2020-01-02\n\
                     ,Salah,https://a.id/2,2020-01-03\n\
                     Video lama diklaim baru,Salah,https://a.id/3,03/01/2020\n";
        let map = ColumnMap::parse("title=judul, rating=label,url=tautan,date=tanggal").unwrap();
        let parsed = read_csv(input.as_bytes(), "f.csv", &map).unwrap();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].rating.as_deref(), Some("HOAKS"));
        let places: Vec<_> = parsed.rejected.iter().map(|r| r.place.as_str()).collect();
        assert_eq!(places, ["f.csv:3", "f.csv:4"]);
        assert!(parsed.rejected[1].reason.contains("tanggal"));
    }

    #[test]
    fn unknown_fields_and_missing_columns_are_errors() {
        assert!(ColumnMap::parse("judul=title").unwrap_err().contains("unknown field"));
        let map = ColumnMap::parse("title=headline").unwrap();
        assert!(read_csv("judul\nx\n".as_bytes(), "f.csv", &map).unwrap_err().contains("headline"));
    }

    #[test]
    fn export_reads_back() {
        let map = ColumnMap::default();
        let parsed = read_csv("title,url\nKlaim satu,https://a.id/x\n".as_bytes(), "f.csv", &map).unwrap();
        let mut out = Vec::new();
        write_csv(&mut out, &parsed.records).unwrap();
        assert_eq!(read_csv(out.as_slice(), "g.csv", &map).unwrap().records, parsed.records);
    }
}
