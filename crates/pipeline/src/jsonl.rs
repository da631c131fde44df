use std::io::BufRead;

use anyhow::Context;
use tangkal_model::parse_json_item;
use tangkal_store::SourceRef;

use crate::source::{Record, Source};
use crate::Reject;

/// JSONL: one item per line; blank lines are skipped.
pub(crate) struct JsonlSource {
    location: String,
    reader: Box<dyn BufRead + Send>,
    line: Vec<u8>,
    line_no: u64,
    max_text_bytes: usize,
    max_line_bytes: usize,
}

impl JsonlSource {
    pub(crate) fn new(location: String, reader: Box<dyn BufRead + Send>, max_text_bytes: usize) -> JsonlSource {
        // Room for the text (JSON escapes can double it) and the other fields; anything longer is refused
        // without being held in memory.
        let max_line_bytes = max_text_bytes.saturating_mul(2).saturating_add(64 * 1024);
        JsonlSource { location, reader, line: Vec::new(), line_no: 0, max_text_bytes, max_line_bytes }
    }

    /// Reads the next line into `self.line` (without its line break). Returns the line's full length,
    /// which is larger than `self.line.len()` when the line was over the cap and only its start was kept.
    fn read_line(&mut self) -> anyhow::Result<Option<usize>> {
        self.line.clear();
        let mut total = 0usize;
        loop {
            let available = self
                .reader
                .fill_buf()
                .with_context(|| format!("{}: read error after line {}", self.location, self.line_no))?;
            if available.is_empty() {
                return Ok((total > 0).then_some(total));
            }
            let (chunk, found_newline) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], true),
                None => (available, false),
            };
            let room = self.max_line_bytes.saturating_sub(self.line.len());
            self.line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            total += chunk.len();
            let consumed = chunk.len() + usize::from(found_newline);
            self.reader.consume(consumed);
            if found_newline {
                return Ok(Some(total));
            }
        }
    }
}

impl Source for JsonlSource {
    fn describe(&self) -> SourceRef {
        SourceRef { kind: "file".into(), location: self.location.clone() }
    }

    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        loop {
            let Some(length) = self.read_line()? else { return Ok(None) };
            self.line_no += 1;
            let oversized = length > self.line.len();
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if !oversized && self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if oversized {
                let reason = format!("line is {length} bytes, over the cap of {} bytes", self.max_line_bytes);
                return Ok(Some(Err(Reject::new(&self.location, self.line_no, reason, &self.line))));
            }
            let record = parse_json_item(&self.line, self.max_text_bytes)
                .map_err(|e| Reject::new(&self.location, self.line_no, e, &self.line));
            return Ok(Some(record));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &'static [u8], max_text: usize) -> Vec<Result<String, String>> {
        let mut source = JsonlSource::new("in.jsonl".into(), Box::new(input), max_text);
        let mut out = Vec::new();
        while let Some(record) = source.next_record().unwrap() {
            out.push(record.map(|item| item.text).map_err(|r| r.to_string()));
        }
        out
    }

    #[test]
    fn good_lines_survive_bad_neighbours_and_places_are_exact() {
        let input = b"{\"platform\":\"x\",\"text\":\"satu\",\"published_at\":\"2024-02-03T05:12:45Z\"}\r\n\
\n\
{broken\n\
{\"platform\":\"x\",\"text\":\"dua\",\"published_at\":\"2024-02-03T05:12:45Z\"}";
        let got = records(input, 1000);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok("satu".to_string()));
        assert!(got[1].as_ref().unwrap_err().starts_with("in.jsonl:3: not valid JSON"), "{:?}", got[1]);
        assert_eq!(got[2], Ok("dua".to_string()));
    }

    #[test]
    fn an_oversized_line_is_refused_without_holding_it() {
        let mut long = b"{\"platform\":\"x\",\"text\":\"".to_vec();
        long.extend(std::iter::repeat_n(b'a', 200_000));
        long.extend_from_slice(b"\",\"published_at\":\"2024-02-03T05:12:45Z\"}\n{\"platform\":\"x\",\"text\":\"ok\",\"published_at\":\"2024-02-03T05:12:45Z\"}\n");
        let input: &'static [u8] = Box::leak(long.into_boxed_slice());
        let got = records(input, 10);
        assert!(got[0].as_ref().unwrap_err().contains("over the cap"), "{:?}", got[0]);
        assert_eq!(got[1], Ok("ok".to_string()));
    }
}
