use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tangkal_model::Item;
use tangkal_store::SourceRef;

use crate::csv_source::{ColumnMap, CsvSource};
use crate::jsonl::JsonlSource;
use crate::Reject;

/// How a file's records are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON item per line (the item format, `docs/item-format.md`).
    Jsonl,
    /// A header row, then one item per row.
    Csv,
}

impl Format {
    /// Guesses from the name, looking through `.gz` and `.zst`: `.csv` is CSV, anything else JSONL.
    pub fn from_path(path: &Path) -> Format {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        let name = name.trim_end_matches(".gz").trim_end_matches(".zst");
        if name.ends_with(".csv") {
            Format::Csv
        } else {
            Format::Jsonl
        }
    }
}

/// One record read from a source: an item, or the reason it was refused.
pub type Record = Result<Item, Reject>;

/// Something that yields records in order. Reading errors (a vanished file, a corrupt archive) are fatal
/// and end the run; a bad record is not, it becomes a [`Reject`].
pub trait Source: Send {
    fn describe(&self) -> SourceRef;
    fn next_record(&mut self) -> anyhow::Result<Option<Record>>;
}

/// Counts the bytes pulled from the underlying file, so progress reflects the compressed size.
pub(crate) struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file (or `-` for standard input), decompressing `.gz` and `.zst`. `bytes_read` counts the raw
/// bytes consumed, for a progress bar.
pub fn open_file(
    path: &Path,
    format: Format,
    column_map: &ColumnMap,
    max_text_bytes: usize,
    bytes_read: Arc<AtomicU64>,
) -> anyhow::Result<Box<dyn Source>> {
    let location = path.display().to_string();
    let raw: Box<dyn Read + Send> = if location == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {location}"))?)
    };
    let counted = CountingReader { inner: raw, count: bytes_read };
    let decoded: Box<dyn Read + Send> = match path.extension().and_then(|e| e.to_str()) {
        Some("gz") => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, counted))),
        Some("zst") => Box::new(zstd::Decoder::new(counted).with_context(|| format!("{location}: not zstd"))?),
        _ => Box::new(counted),
    };
    let reader: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 20, decoded));
    open_reader(location, reader, format, column_map, max_text_bytes)
}

/// A source over any reader, e.g. data embedded in the binary or received over HTTP.
pub fn open_reader(
    location: String,
    reader: Box<dyn BufRead + Send>,
    format: Format,
    column_map: &ColumnMap,
    max_text_bytes: usize,
) -> anyhow::Result<Box<dyn Source>> {
    Ok(match format {
        Format::Jsonl => Box::new(JsonlSource::new(location, reader, max_text_bytes)),
        Format::Csv => Box::new(CsvSource::new(location, reader, column_map.clone(), max_text_bytes)?),
    })
}
