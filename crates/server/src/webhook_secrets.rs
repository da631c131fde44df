//! Webhook signing secrets at rest. The server needs each secret to sign, so it cannot keep only a hash as
//! it does for API tokens; it keeps them sealed (XChaCha20-Poly1305) under a key in a file of its own,
//! so that the database alone (a copy, a backup, an SQL console) does not let anyone sign as this server.
//! Like the audit key, the file is best kept off the database's volume.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};

/// The file's name in the data directory, unless `webhooks.key_file` names another.
pub const KEY_FILE: &str = "webhooks.key";

/// Marks a sealed secret, and the scheme, in the database.
const SEALED_PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 24;

pub struct SecretSeal {
    path: PathBuf,
    key: OnceLock<Key>,
}

struct Key {
    bytes: [u8; 32],
    cipher: XChaCha20Poly1305,
}

impl SecretSeal {
    pub fn new(path: PathBuf) -> SecretSeal {
        SecretSeal { path, key: OnceLock::new() }
    }

    /// Seals a new secret, creating the key file (mode 0600) on first use.
    pub fn seal(&self, secret: &str) -> Result<String, String> {
        let key = &self.key(true)?.cipher;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = key.encrypt(XNonce::from_slice(&nonce), secret.as_bytes()).map_err(|e| e.to_string())?;
        let mut stored = nonce.to_vec();
        stored.extend(sealed);
        Ok(format!("{SEALED_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(stored)))
    }

    /// The secret, or why it cannot be had (no key file, another key, altered text).
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .filter(|bytes| bytes.len() > NONCE_LEN)
            .ok_or("the stored secret is not sealed")?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let secret = self.key(false)?.cipher.decrypt(XNonce::from_slice(nonce), sealed).map_err(|_| {
            format!("the stored secret does not open with the key in {} (another key, or altered)", self.path.display())
        })?;
        String::from_utf8(secret).map_err(|_| "the stored secret is not text".to_string())
    }

    /// A key for `purpose` derived from the sealing key (HMAC-SHA256 of the purpose), creating the key
    /// file on first use: for keyed hashes that must stay the same across restarts, without a file of
    /// their own, and that the database alone cannot recompute.
    pub fn derive(&self, purpose: &str) -> Result<[u8; 32], String> {
        use hmac::Mac;
        let key = self.key(true)?;
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&key.bytes).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        Ok(mac.finalize().into_bytes().into())
    }

    fn key(&self, create: bool) -> Result<&Key, String> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let bytes = match read_key(&self.path)? {
            Some(bytes) => bytes,
            None if create => create_key(&self.path)?,
            None => return Err(format!("the webhook key file {} is missing", self.path.display())),
        };
        Ok(self.key.get_or_init(|| Key { bytes, cipher: XChaCha20Poly1305::new(&bytes.into()) }))
    }
}

fn key_error(path: &Path, problem: impl std::fmt::Display) -> String {
    format!("webhook key file {}: {problem}", path.display())
}

fn read_key(path: &Path) -> Result<Option<[u8; 32]>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(key_error(path, e)),
    };
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok();
    let key = bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(|| key_error(path, "not a key"))?;
    Ok(Some(key))
}

/// Written whole to a private temporary file, then linked into place only if no key is there: no reader
/// sees half a key, and a key that seals stored secrets is never replaced.
fn create_key(path: &Path) -> Result<[u8; 32], String> {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| key_error(path, e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| key_error(path, e))?;
    writeln!(file, "{}", base64::engine::general_purpose::STANDARD.encode(key))
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| key_error(path, e))?;
    match file.persist_noclobber(path) {
        Ok(_) => Ok(key),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key(path)?.ok_or_else(|| key_error(path, "vanished while being created"))
        }
        Err(e) => Err(key_error(path, e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_open_only_with_their_key_and_unaltered() {
        let dir = tempfile::tempdir().unwrap();
        let seal = SecretSeal::new(dir.path().join(KEY_FILE));
        assert!(seal.open("sealed:v1:AAAA").is_err());
        let sealed = seal.seal("whsec_rahasia").unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX) && !sealed.contains("rahasia"));
        assert_ne!(seal.seal("whsec_rahasia").unwrap(), sealed, "a fresh nonce each time");
        assert_eq!(seal.open(&sealed).unwrap(), "whsec_rahasia");
        // Another process reads the same key file; the key is never replaced.
        assert_eq!(SecretSeal::new(dir.path().join(KEY_FILE)).open(&sealed).unwrap(), "whsec_rahasia");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let mut altered = base64::engine::general_purpose::STANDARD.decode(&sealed[SEALED_PREFIX.len()..]).unwrap();
        *altered.last_mut().unwrap() ^= 1;
        let altered = format!("{SEALED_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(altered));
        assert!(seal.open(&altered).is_err());
        let elsewhere = tempfile::tempdir().unwrap();
        let other = SecretSeal::new(elsewhere.path().join(KEY_FILE));
        other.seal("x").unwrap();
        assert!(other.open(&sealed).unwrap_err().contains("does not open"));
        let missing = SecretSeal::new(elsewhere.path().join("nothing.key"));
        assert!(missing.open(&sealed).unwrap_err().contains("missing"));
        assert!(!elsewhere.path().join("nothing.key").exists(), "opening never makes a key");
        let derived = seal.derive("tiplines").unwrap();
        assert_eq!(SecretSeal::new(dir.path().join(KEY_FILE)).derive("tiplines").unwrap(), derived);
        assert_ne!(seal.derive("other").unwrap(), derived);
        assert_ne!(other.derive("tiplines").unwrap(), derived);
    }
}
