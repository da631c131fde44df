//! One fact-check per line as a JSON object (the corpus format).

use std::io::{BufRead, Write};

use tangkal_model::FactCheck;

use super::{validate, Parsed, Rejected};

/// Reads JSONL; `source` names the input in rejection places (`source:line`). Blank lines are
/// skipped. Fails only on I/O errors: bad lines, including lines that are not UTF-8, are rejected,
/// not fatal.
pub fn read_jsonl(mut reader: impl BufRead, source: &str) -> std::io::Result<Parsed> {
    let mut parsed = Parsed::default();
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let place = format!("{source}:{n}");
        let line = match std::str::from_utf8(bytes) {
            Ok(line) => line,
            Err(e) => {
                let reason = format!("not valid UTF-8 (first bad byte at offset {})", e.valid_up_to());
                parsed.rejected.push(Rejected { place, reason });
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<FactCheck>(line).map_err(|e| e.to_string()).and_then(validate) {
            Ok(r) => parsed.records.push(r),
            Err(reason) => parsed.rejected.push(Rejected { place, reason }),
        }
    }
    Ok(parsed)
}

pub fn write_jsonl(mut w: impl Write, records: &[FactCheck]) -> std::io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_rejected_with_their_line_and_the_rest_kept() {
        let input = concat!(
            r#"{"id":"fc-1","title":"Vaksin mengandung chip","rating":"salah","date":"2021-03-04","dataset":"a"}"#,
            "\n\n",
            r#"{"id":"fc-2","title":"  "}"#,
            "\n",
            r#"{"id":"fc-3","title":"Banjir","date":"2021-13-01"}"#,
            "\n",
            "not json\n",
            r#"{"title":"Tautan bansos palsu","url":"https://example.org/bansos"}"#,
            "\n",
        );
        let parsed = read_jsonl(input.as_bytes(), "in.jsonl").unwrap();
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records[0].rating.as_deref(), Some("SALAH"));
        assert_eq!(parsed.records[0].provenance.as_deref(), Some("a"));
        assert!(parsed.records[1].id.starts_with("fc-") && parsed.records[1].id.len() == 15);
        let places: Vec<&str> = parsed.rejected.iter().map(|r| r.place.as_str()).collect();
        assert_eq!(places, ["in.jsonl:3", "in.jsonl:4", "in.jsonl:5"]);
        assert!(parsed.rejected[0].reason.contains("title"));
        assert!(parsed.rejected[1].reason.contains("date") || parsed.rejected[1].reason.contains("input"));
    }

    #[test]
    fn written_records_read_back_equal() {
        let input = r#"{"id":"fc-1","title":"Judul","claim":"Klaim","rating":"HOAKS","url":"https://x.id/a","date":"2020-01-02","lang":"id"}"#;
        let records = read_jsonl(input.as_bytes(), "a").unwrap().records;
        let mut out = Vec::new();
        write_jsonl(&mut out, &records).unwrap();
        assert_eq!(read_jsonl(out.as_slice(), "b").unwrap().records, records);
    }
}
