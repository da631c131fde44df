//! Uploaded evidence files: size-limited, type-checked by content (not by the client's claim), stored
//! under the data directory by their SHA-256 so the same file uploaded twice is kept once.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tangkal_cases::audit::hex;
use tangkal_cases::EvidenceFile;

use crate::Problem;

/// Recognised types, by their first bytes. Plain text is anything else that is valid UTF-8 without
/// NUL bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
    ];
    if let Some((_, t)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return Some(t);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some("video/mp4");
    }
    (!bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()).then_some("text/plain; charset=utf-8")
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

/// Checks and writes an upload (to a temporary file, then renamed, so a crash leaves no half file).
pub fn store(data_dir: &Path, name: &str, bytes: &[u8], max_bytes: u64) -> Result<EvidenceFile, Problem> {
    if bytes.is_empty() {
        return Err(Problem::invalid("file: the upload is empty"));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(Problem::invalid(format!("file: larger than the {max_bytes}-byte limit")));
    }
    let content_type = sniff(bytes).ok_or_else(|| {
        Problem::invalid("file: only PNG, JPEG, GIF, WebP, MP4, PDF and UTF-8 text files are accepted")
    })?;
    let sha256 = hex(&Sha256::digest(bytes));
    let folder = dir(data_dir);
    std::fs::create_dir_all(&folder).map_err(Problem::internal)?;
    let target = folder.join(&sha256);
    if !target.exists() {
        let tmp = folder.join(format!(".{sha256}.part"));
        std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &target)).map_err(Problem::internal)?;
    }
    Ok(EvidenceFile {
        name: clean_name(name),
        content_type: content_type.to_string(),
        size: bytes.len() as u64,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff("tangkapan layar: hoaks".as_bytes()), Some("text/plain; charset=utf-8"));
        assert_eq!(sniff(b"MZ\x90\x00\x03"), None);
        assert_eq!(sniff(b"\xff\xfe\x00bad"), None);
    }

    #[test]
    fn names_lose_their_paths_and_uploads_their_excess() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\bukti.png"), "bukti.png");
        assert_eq!(clean_name(""), "evidence");
        let dir = tempfile::tempdir().unwrap();
        assert!(store(dir.path(), "a.txt", b"12345", 4).is_err());
        let f = store(dir.path(), "a.txt", b"1234", 4).unwrap();
        assert_eq!(std::fs::read(path_of(dir.path(), &f.sha256).unwrap()).unwrap(), b"1234");
        assert!(path_of(dir.path(), "../x").is_none());
    }
}
