use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// A record that was refused, with its place and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// File path, `-` for standard input, or feed URL.
    pub source: String,
    /// 1-based line (CSV: the line where the record starts).
    pub line: u64,
    pub reason: String,
    /// The record as received, lossily decoded if it was not valid UTF-8, cut to 64 KiB.
    pub raw: String,
}

const MAX_RAW_IN_REJECT: usize = 64 * 1024;

impl Reject {
    pub fn new(source: &str, line: u64, reason: impl ToString, raw: &[u8]) -> Reject {
        let mut raw = String::from_utf8_lossy(&raw[..raw.len().min(MAX_RAW_IN_REJECT)]).into_owned();
        if raw.ends_with('\u{FFFD}') && raw.len() >= MAX_RAW_IN_REJECT {
            raw.pop();
        }
        Reject { source: source.to_string(), line, reason: reason.to_string(), raw }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.reason)
    }
}

/// The dead-letter file: one JSON object per rejected record. Created on the first reject only.
pub struct RejectWriter {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    /// The first rejects, for a caller that answers with them (the push API), besides the file.
    kept: Vec<Reject>,
    keep: usize,
}

impl RejectWriter {
    pub fn new(path: PathBuf) -> RejectWriter {
        RejectWriter::keeping(path, 0)
    }

    /// Also keeps the first `keep` rejects in memory ([`RejectWriter::kept`]).
    pub fn keeping(path: PathBuf, keep: usize) -> RejectWriter {
        RejectWriter { path, file: None, kept: Vec::new(), keep }
    }

    pub fn kept(&self) -> &[Reject] {
        &self.kept
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, reject: &Reject) -> anyhow::Result<()> {
        if self.file.is_none() {
            if let Some(parent) = self.path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .with_context(|| format!("cannot open reject file {}", self.path.display()))?;
            self.file = Some(BufWriter::new(file));
        }
        let file = self.file.as_mut().expect("opened above");
        serde_json::to_writer(&mut *file, reject)?;
        file.write_all(b"\n")?;
        if self.kept.len() < self.keep {
            self.kept.push(reject.clone());
        }
        Ok(())
    }

    /// Called after each commit, so the reject file never lags behind the store.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(file) = self.file.as_mut() {
            file.flush().with_context(|| format!("cannot write reject file {}", self.path.display()))?;
        }
        Ok(())
    }
}
