//! Uploaded evidence files: size-limited, type-checked by content (not by the client's claim), stored
//! under the data directory by their SHA-256 so the same file uploaded twice is kept once.
//!
//! An upload is first written to a temporary file beside its final place ([`stage`]) and moved there
//! only once the store has recorded it ([`Staged::keep`]): every refusal after the write (the case's
//! state, the form's other fields, a store error) drops the temporary file, so a refused request leaves
//! nothing behind.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tangkal_cases::audit::hex;
use tangkal_cases::EvidenceFile;

use crate::Problem;

/// Binary types accepted as evidence, as `infer` names them: screenshots and photos (phones save HEIC),
/// videos, voice notes (WhatsApp's are Ogg Opus) and documents. Anything else binary is refused;
/// SVG and HTML, which a browser would run, are only ever accepted as plain text.
pub const ACCEPTED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/heif",
    "image/avif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "audio/mpeg",
    "audio/m4a",
    "audio/ogg",
    "audio/opus",
    "application/pdf",
];

/// The type of anything else that is valid UTF-8 without NUL bytes.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

/// The content type of an upload, from its bytes: an accepted type recognised by its signature, else
/// plain text, else None (refused).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(bytes) {
        if let Some(accepted) = ACCEPTED_TYPES.iter().find(|t| **t == kind.mime_type()) {
            return Some(accepted);
        }
    }
    (!bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()).then_some(PLAIN_TEXT)
}

/// The folder holding evidence files.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

/// A stored file's path; `sha256` comes from our own database, and is checked to be hex anyway.
pub fn path_of(data_dir: &Path, sha256: &str) -> Option<PathBuf> {
    (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())).then(|| dir(data_dir).join(sha256))
}

/// Keeps the last path component, printable characters only, at most 200 of them.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(200).collect();
    if clean.trim().is_empty() {
        "evidence".to_string()
    } else {
        clean
    }
}

/// Temporary files start with this; stored files are named by their hash and never do.
const STAGING_PREFIX: &str = ".upload-";

/// A checked upload written to a temporary file, not yet in its place. Dropping it removes the file.
#[derive(Debug)]
pub struct Staged {
    pub file: EvidenceFile,
    temp: tempfile::TempPath,
    target: PathBuf,
}

impl Staged {
    /// Moves the file into its place, once the store has recorded it. A file with the same hash may
    /// be there already (the same evidence added twice): it has the same bytes, so either copy will do.
    pub fn keep(self) -> Result<(), Problem> {
        self.temp.persist(&self.target).map_err(|e| Problem::internal(format!("cannot keep evidence file: {e}")))
    }
}

/// Checks an upload (not empty, at most `max_bytes`, an accepted type) and writes it to a temporary
/// file in the evidence folder. Nothing is written when a check fails.
pub fn stage(data_dir: &Path, name: &str, bytes: &[u8], max_bytes: u64) -> Result<Staged, Problem> {
    if bytes.is_empty() {
        return Err(Problem::invalid("file: the upload is empty"));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(Problem::invalid(format!("file: larger than the {max_bytes}-byte limit")));
    }
    let content_type = sniff(bytes).ok_or_else(|| {
        Problem::for_status(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file: only images (PNG, JPEG, GIF, WebP, HEIC, AVIF), videos (MP4, MOV, WebM), \
             audio (MP3, M4A, Ogg, Opus), PDF and UTF-8 text files are accepted"
                .into(),
        )
    })?;
    let sha256 = hex(&Sha256::digest(bytes));
    let folder = dir(data_dir);
    std::fs::create_dir_all(&folder).map_err(Problem::internal)?;
    let mut temp = tempfile::Builder::new().prefix(STAGING_PREFIX).tempfile_in(&folder).map_err(Problem::internal)?;
    std::io::Write::write_all(&mut temp, bytes).map_err(Problem::internal)?;
    Ok(Staged {
        file: EvidenceFile {
            name: clean_name(name),
            content_type: content_type.to_string(),
            size: bytes.len() as u64,
            sha256: sha256.clone(),
        },
        temp: temp.into_temp_path(),
        target: folder.join(sha256),
    })
}

/// Removes temporary files that a killed process left behind. Only old ones: another server on the
/// same data directory may be writing a new one right now.
pub fn remove_stale_uploads(data_dir: &Path, older_than: Duration) {
    let Ok(entries) = std::fs::read_dir(dir(data_dir)) else { return };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX)
            && entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > older_than));
        if stale {
            if let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove an unfinished upload");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn types_come_from_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff("tangkapan layar: hoaks".as_bytes()), Some(PLAIN_TEXT));
        assert_eq!(sniff(b"MZ\x90\x00\x03"), None);
        assert_eq!(sniff(b"\xff\xfe\x00bad"), None);
    }

    #[test]
    fn iso_media_files_are_told_apart_by_their_brand() {
        let ftyp = |brand: &[u8], compatible: &[u8]| {
            let mut b = vec![0, 0, 0, 0x18];
            b.extend_from_slice(b"ftyp");
            b.extend_from_slice(brand);
            b.extend_from_slice(&[0, 0, 0, 0]);
            b.extend_from_slice(compatible);
            b.extend_from_slice(&[0; 16]);
            b
        };
        assert_eq!(sniff(&ftyp(b"heic", b"mif1heic")), Some("image/heif"));
        assert_eq!(sniff(&ftyp(b"mif1", b"mif1heic")), Some("image/heif"));
        assert_eq!(sniff(&ftyp(b"avif", b"avifmif1")), Some("image/avif"));
        assert_eq!(sniff(&ftyp(b"qt  ", b"qt  ")), Some("video/quicktime"));
        assert_eq!(sniff(&ftyp(b"isom", b"isomiso2")), Some("video/mp4"));
        // A brand nobody registered is not an MP4 just because it is an ISO media box.
        assert_eq!(sniff(&ftyp(b"zzzz", b"zzzz")), None);
    }

    #[test]
    fn names_lose_their_paths_and_uploads_their_excess() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\bukti.png"), "bukti.png");
        assert_eq!(clean_name(""), "evidence");
        let dir = tempfile::tempdir().unwrap();
        assert!(stage(dir.path(), "a.txt", b"12345", 4).is_err());
        let staged = stage(dir.path(), "a.txt", b"1234", 4).unwrap();
        let sha256 = staged.file.sha256.clone();
        staged.keep().unwrap();
        assert_eq!(std::fs::read(path_of(dir.path(), &sha256).unwrap()).unwrap(), b"1234");
        assert!(path_of(dir.path(), "../x").is_none());
    }

    #[test]
    fn a_staged_file_dropped_unkept_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let staged = stage(dir.path(), "a.txt", b"bukti", 100).unwrap();
        assert_eq!(std::fs::read_dir(super::dir(dir.path())).unwrap().count(), 1);
        drop(staged);
        assert_eq!(std::fs::read_dir(super::dir(dir.path())).unwrap().count(), 0);
    }

    #[test]
    fn only_old_unfinished_uploads_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let kept = stage(dir.path(), "a.txt", b"disimpan", 100).unwrap();
        let sha256 = kept.file.sha256.clone();
        kept.keep().unwrap();
        let unfinished = stage(dir.path(), "b.txt", b"belum selesai", 100).unwrap();
        let leftover = unfinished.temp.keep().unwrap();
        remove_stale_uploads(dir.path(), Duration::from_secs(3600));
        assert!(leftover.exists(), "a recent upload may still be in progress");
        remove_stale_uploads(dir.path(), Duration::ZERO);
        assert!(!leftover.exists());
        assert!(path_of(dir.path(), &sha256).unwrap().exists(), "stored files stay");
    }

    /// Samples of each accepted type: its signature followed by arbitrary bytes.
    fn accepted_sample() -> impl Strategy<Value = (&'static str, Vec<u8>)> {
        let iso = |brand: &'static [u8; 4], compatible: &'static [u8; 4]| {
            let mut head = vec![0, 0, 0, 0x18];
            head.extend_from_slice(b"ftyp");
            head.extend_from_slice(brand);
            head.extend_from_slice(&[0, 0, 0, 0]);
            head.extend_from_slice(compatible);
            head.extend_from_slice(brand);
            head
        };
        let signatures: Vec<(&'static str, Vec<u8>)> = vec![
            ("image/png", b"\x89PNG\r\n\x1a\n".to_vec()),
            ("image/jpeg", b"\xff\xd8\xff\xe0".to_vec()),
            ("image/gif", b"GIF89a".to_vec()),
            ("image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ".to_vec()),
            ("image/heif", iso(b"heic", b"mif1")),
            ("image/avif", iso(b"avif", b"mif1")),
            ("video/mp4", iso(b"isom", b"iso2")),
            ("video/mp4", iso(b"mp42", b"isom")),
            ("video/quicktime", iso(b"qt  ", b"qt  ")),
            ("audio/m4a", iso(b"M4A ", b"isom")),
            ("audio/mpeg", b"ID3\x04\x00".to_vec()),
            ("application/pdf", b"%PDF-1.7\n".to_vec()),
        ];
        (proptest::sample::select(signatures), proptest::collection::vec(any::<u8>(), 16..512)).prop_map(
            |((mime, mut bytes), tail)| {
                bytes.extend(tail);
                (mime, bytes)
            },
        )
    }

    proptest! {
        #[test]
        fn the_sniffer_never_panics_and_answers_only_from_the_allow_list(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            match sniff(&bytes) {
                None => {}
                Some(PLAIN_TEXT) => prop_assert!(std::str::from_utf8(&bytes).is_ok() && !bytes.contains(&0)),
                Some(t) => {
                    prop_assert!(ACCEPTED_TYPES.contains(&t));
                    prop_assert_eq!(infer::get(&bytes).map(|k| k.mime_type()), Some(t));
                }
            }
        }

        #[test]
        fn samples_of_each_accepted_type_are_recognised_as_infer_names_them((mime, bytes) in accepted_sample()) {
            prop_assert_eq!(infer::get(&bytes).map(|k| k.mime_type()), Some(mime));
            prop_assert_eq!(sniff(&bytes), Some(mime));
        }
    }
}
