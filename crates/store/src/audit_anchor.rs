//! What anchors the audit trail outside the database: the key its events are signed with, and the
//! append-only file of signed checkpoints of its head. Someone who can rewrite the database but not these
//! cannot rewrite, re-chain, truncate or wipe the trail unnoticed.

use std::cell::{Cell, OnceCell};
use std::io::{BufRead, Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tangkal_cases::audit::{AuditKey, AuditProblem, ChainHead, ChainKey, Checkpoint, SourcedCheckpoint, GENESIS_HASH};

use crate::{Result, StoreError};

/// Where the audit trail's key and checkpoints live. Both default to the data directory; deployments that
/// can should keep them on another host or volume than the database (see the README).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFiles {
    /// The secret key (created with mode 0600 when the first event is written).
    pub key: PathBuf,
    /// One signed checkpoint per line, appended to.
    pub checkpoints: PathBuf,
}

impl AuditFiles {
    pub const KEY_FILE: &'static str = "audit.key";
    pub const CHECKPOINT_FILE: &'static str = "audit.checkpoints";

    pub fn in_data_dir(data_dir: &Path) -> AuditFiles {
        AuditFiles { key: data_dir.join(Self::KEY_FILE), checkpoints: data_dir.join(Self::CHECKPOINT_FILE) }
    }
}

/// A checkpoint is written before appending every this many events, as well as on a timer by the server,
/// when a connection that appended closes, and on demand: a line each time is cheap, and the events after
/// the newest checkpoint are the ones whose deletion would not show.
pub(crate) const CHECKPOINT_EVERY: i64 = 100;

/// The key file: the key and the first event it signed, so that the point where a store from before keyed
/// trails started carrying MACs cannot be moved by someone without the key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileContent {
    key: String,
    keyed_from: i64,
    created: DateTime<Utc>,
}

#[derive(Debug)]
pub(crate) struct TrailKey {
    pub key: AuditKey,
    pub keyed_from: i64,
}

impl TrailKey {
    pub fn chain_key(&self) -> ChainKey<'_> {
        ChainKey { key: &self.key, keyed_from: self.keyed_from }
    }
}

/// Checkpoints read from the file: those that parse, and a problem for each line that does not.
#[derive(Default)]
pub(crate) struct CheckpointFile {
    pub checkpoints: Vec<SourcedCheckpoint>,
    pub unreadable: Vec<AuditProblem>,
}

/// One connection's view of the anchor: the key is read once and kept.
pub(crate) struct AuditAnchor {
    pub files: AuditFiles,
    key: OnceCell<TrailKey>,
    /// This connection appended events since it last wrote a checkpoint.
    pub unanchored: Cell<bool>,
}

impl AuditAnchor {
    pub fn new(files: AuditFiles) -> AuditAnchor {
        AuditAnchor { files, key: OnceCell::new(), unanchored: Cell::new(false) }
    }

    fn key_error(&self, problem: impl std::fmt::Display) -> StoreError {
        StoreError::AuditKey { path: self.files.key.clone(), problem: problem.to_string() }
    }

    fn checkpoint_error(&self, source: std::io::Error) -> StoreError {
        StoreError::AuditCheckpoints { path: self.files.checkpoints.clone(), source }
    }

    /// Reads the key file afresh; None when there is none.
    pub fn read_key(&self) -> Result<Option<TrailKey>> {
        let text = match std::fs::read_to_string(&self.files.key) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.key_error(e)),
        };
        warn_if_others_can_read(&self.files.key);
        // Only where it is wrong: serde's messages may quote the (secret) text.
        let content: KeyFileContent = serde_json::from_str(&text)
            .map_err(|e| self.key_error(format!("not a key file (line {}, column {})", e.line(), e.column())))?;
        let key = AuditKey::from_hex(&content.key).map_err(|e| self.key_error(format!("field `key`: {e}")))?;
        if content.keyed_from < 1 {
            return Err(self.key_error("field `keyed_from` must be 1 or more"));
        }
        Ok(Some(TrailKey { key, keyed_from: content.keyed_from }))
    }

    /// The key this connection signs with, read once.
    pub fn key(&self) -> Result<Option<&TrailKey>> {
        if self.key.get().is_none() {
            if let Some(key) = self.read_key()? {
                let _ = self.key.set(key);
            }
        }
        Ok(self.key.get())
    }

    /// The key, created for a new trail or for one from before keyed trails (which it seals: events up to
    /// the head keep their plain hashes, later ones carry MACs, and a first checkpoint records the head).
    /// A trail whose head carries a MAC already had a key: that key is lost, and making a new one would
    /// only hide it, so this fails. Call inside an immediate transaction, with the head read in it.
    pub fn key_or_create(
        &self,
        head: Option<&ChainHead>,
        head_is_unkeyed: bool,
        now: DateTime<Utc>,
    ) -> Result<&TrailKey> {
        if self.key()?.is_none() {
            let last = head.map_or(0, |h| h.seq);
            if !head_is_unkeyed {
                return Err(self.key_error(format!(
                    "missing, but the audit trail's newest event ({last}) was signed with a key (or altered): \
                     restore the key file from its backup; a new key is not made for an existing keyed trail"
                )));
            }
            let trail_key = self.create_key(last + 1, now)?;
            if last > 0 {
                tracing::warn!(
                    key_file = %self.files.key.display(),
                    "the audit trail had no key: events 1 to {last} keep their plain hashes, from event {} on they \
                     are signed; back up the new key file and keep it off the database host",
                    last + 1
                );
            }
            // (Unless another process made the key first, for another trail: then it is not this seal.)
            if trail_key.keyed_from == last + 1 {
                let head_hash = head.map_or(GENESIS_HASH, |h| h.hash.as_str());
                self.append_checkpoint(&Checkpoint::sign(&trail_key.key, last + 1, last, head_hash, now))?;
            }
            let _ = self.key.set(trail_key);
        }
        Ok(self.key.get().expect("set above"))
    }

    fn create_key(&self, keyed_from: i64, now: DateTime<Utc>) -> Result<TrailKey> {
        let mut bytes = [0u8; AuditKey::LEN];
        getrandom::getrandom(&mut bytes).map_err(|e| self.key_error(format!("no randomness for a new key: {e}")))?;
        let key = AuditKey::from_bytes(bytes);
        let content = KeyFileContent { key: key.to_hex(), keyed_from, created: now };
        let dir = self.files.key.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.key_error(e))?;
        // Written whole to a private (0600) temporary file, then linked into place only if no key is there,
        // so no reader ever sees half a key and an existing key is never replaced.
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.key_error(e))?;
        serde_json::to_writer(&mut file, &content).map_err(|e| self.key_error(e))?;
        file.write_all(b"\n").and_then(|()| file.as_file().sync_all()).map_err(|e| self.key_error(e))?;
        match file.persist_noclobber(&self.files.key) {
            Ok(_) => Ok(TrailKey { key, keyed_from }),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                self.read_key()?.ok_or_else(|| self.key_error("vanished while being created"))
            }
            Err(e) => Err(self.key_error(e.error)),
        }
    }

    pub fn append_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.files.checkpoints)
            .map_err(|e| self.checkpoint_error(e))?;
        // One write per line: appends from several processes do not interleave. Not synced: the database
        // does not sync every commit either (WAL, synchronous = NORMAL), and a checkpoint that outlived the
        // events it records in a power cut would name them as deleted.
        file.write_all(format!("{checkpoint}\n").as_bytes()).map_err(|e| self.checkpoint_error(e))?;
        self.unanchored.set(false);
        Ok(())
    }

    fn source(&self, line: usize) -> String {
        let name = self.files.checkpoints.file_name().unwrap_or_default().to_string_lossy();
        format!("{name}:{line}")
    }

    /// Every checkpoint in the file; unreadable lines become problems and do not hide the others.
    pub fn read_checkpoints(&self) -> Result<CheckpointFile> {
        let file = match std::fs::File::open(&self.files.checkpoints) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CheckpointFile::default()),
            Err(e) => return Err(self.checkpoint_error(e)),
        };
        let mut read = CheckpointFile::default();
        for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
            let line = line.map_err(|e| self.checkpoint_error(e))?;
            let source = self.source(i + 1);
            match std::str::from_utf8(&line).map_err(|e| e.to_string()).and_then(str::parse::<Checkpoint>) {
                Ok(checkpoint) => read.checkpoints.push(SourcedCheckpoint { source, checkpoint }),
                Err(_) if line.iter().all(u8::is_ascii_whitespace) => {}
                Err(error) => read.unreadable.push(AuditProblem::CheckpointUnreadable { checkpoint: source, error }),
            }
        }
        Ok(read)
    }

    /// The file's last checkpoint, reading only its end.
    pub fn newest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        let mut file = match std::fs::File::open(&self.files.checkpoints) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.checkpoint_error(e)),
        };
        let len = file.metadata().map_err(|e| self.checkpoint_error(e))?.len();
        file.seek(std::io::SeekFrom::Start(len.saturating_sub(1024))).map_err(|e| self.checkpoint_error(e))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(|e| self.checkpoint_error(e))?;
        let tail = String::from_utf8_lossy(&tail);
        Ok(tail.lines().rev().find(|l| !l.trim().is_empty()).and_then(|l| l.parse().ok()))
    }
}

fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            tracing::warn!(key_file = %path.display(), "the audit key file can be read by other users: chmod 600 it");
        }
    }
}
