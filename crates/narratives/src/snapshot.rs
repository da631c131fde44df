//! A small little-endian binary encoding for snapshots: fixed-width numbers, length-prefixed
//! sequences, and a checksum at the end so that a truncated or damaged file is refused rather than
//! half-loaded.

use std::io::{self, Read, Write};

use xxhash_rust::xxh3::Xxh3;

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read the snapshot: {0}")]
    Io(#[from] io::Error),
    #[error("not a narratives snapshot")]
    NotASnapshot,
    #[error("snapshot format version {found} is not supported (this build reads version {supported})")]
    Version { found: u32, supported: u32 },
    #[error("the snapshot is damaged: {0}")]
    Damaged(&'static str),
}

pub(crate) struct Encoder<W: Write> {
    out: W,
    hash: Xxh3,
}

impl<W: Write> Encoder<W> {
    pub(crate) fn new(out: W) -> Encoder<W> {
        Encoder { out, hash: Xxh3::new() }
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hash.update(bytes);
        self.out.write_all(bytes)
    }

    pub(crate) fn u32(&mut self, v: u32) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn i64(&mut self, v: i64) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn f32(&mut self, v: f32) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn len(&mut self, n: usize) -> io::Result<()> {
        self.u64(n as u64)
    }

    pub(crate) fn str(&mut self, s: &str) -> io::Result<()> {
        self.len(s.len())?;
        self.bytes(s.as_bytes())
    }

    pub(crate) fn u32s(&mut self, values: &[u32]) -> io::Result<()> {
        self.len(values.len())?;
        let mut buf = Vec::with_capacity(values.len() * 4);
        for v in values {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        self.bytes(&buf)
    }

    /// Writes the checksum of everything written so far.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        let sum = self.hash.digest();
        self.out.write_all(&sum.to_le_bytes())?;
        self.out.flush()
    }
}

pub(crate) struct Decoder<R: Read> {
    input: R,
    hash: Xxh3,
}

/// Sequences longer than this are taken as damage, not data.
const MAX_LEN: u64 = 1 << 34;

/// Most entries to make room for ahead of decoding them: a length is only a claim until its
/// entries have been read, and a damaged one must not allocate gigabytes up front.
const MAX_RESERVATION: usize = 1 << 14;

/// Room to reserve for `n` entries about to be decoded.
pub(crate) fn reservation(n: usize) -> usize {
    n.min(MAX_RESERVATION)
}

impl<R: Read> Decoder<R> {
    pub(crate) fn new(input: R) -> Decoder<R> {
        Decoder { input, hash: Xxh3::new() }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut buf = [0u8; N];
        self.input.read_exact(&mut buf)?;
        self.hash.update(&buf);
        Ok(buf)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, SnapshotError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn f32(&mut self) -> Result<f32, SnapshotError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    pub(crate) fn len(&mut self) -> Result<usize, SnapshotError> {
        let n = self.u64()?;
        if n > MAX_LEN {
            return Err(SnapshotError::Damaged("impossible length"));
        }
        Ok(n as usize)
    }

    fn vec_bytes(&mut self, n: usize) -> Result<Vec<u8>, SnapshotError> {
        let mut buf = Vec::new();
        (&mut self.input).take(n as u64).read_to_end(&mut buf)?;
        if buf.len() != n {
            return Err(SnapshotError::Damaged("truncated"));
        }
        self.hash.update(&buf);
        Ok(buf)
    }

    pub(crate) fn str(&mut self) -> Result<String, SnapshotError> {
        let n = self.len()?;
        String::from_utf8(self.vec_bytes(n)?).map_err(|_| SnapshotError::Damaged("text is not UTF-8"))
    }

    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>, SnapshotError> {
        let n = self.len()?;
        let bytes = self.vec_bytes(n.checked_mul(4).ok_or(SnapshotError::Damaged("impossible length"))?)?;
        Ok(bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Checks the trailing checksum.
    pub(crate) fn finish(mut self) -> Result<(), SnapshotError> {
        let expected = self.hash.digest();
        let mut buf = [0u8; 8];
        self.input.read_exact(&mut buf)?;
        if u64::from_le_bytes(buf) != expected {
            return Err(SnapshotError::Damaged("checksum mismatch"));
        }
        Ok(())
    }
}
