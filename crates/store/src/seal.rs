//! Sealing report content at rest: XChaCha20-Poly1305 with the installation's data key.
//!
//! Each value gets a fresh random 24-byte nonce (XChaCha's nonce is long enough that
//! random nonces never collide in practice) and is stored as `nonce || ciphertext`.
//! The associated data names the row a value belongs to, so a ciphertext copied into
//! another row, or another column, fails to open instead of showing the wrong text.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use embargo_domain::blind::BlindKey;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretSlice};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// Key bytes on their way to the cipher: wiped when dropped, never printed.
type DataKey = SecretBox<[u8; KEY_LEN]>;

fn fresh_key() -> DataKey {
    DataKey::init_with_mut(|key| rand::thread_rng().fill_bytes(key))
}

/// Seals and opens values with the data key. Cheap to clone; `Debug` never shows the key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// Keyed hashes (blind marks), with a key derived from the data key so that the
    /// cipher's key is never used for anything else.
    blind: BlindKey,
    /// The search index's key (docs/search.md), derived apart from the blind-mark key
    /// so that search marks and duplicate marks never match.
    search: BlindKey,
    /// The key of lookup digests ([`Sealer::digest`]) and of the key check written in
    /// the database ([`Sealer::key_check`]): derived apart again, so that neither ever
    /// equals a blind mark or a search mark.
    digest: BlindKey,
}

/// What a list shows instead of a title that does not open with this data key (a row
/// sealed by a node started with another key): the row is flagged, the list stays up.
pub const UNREADABLE_TITLE: &str = "(cannot be opened: sealed with another key)";

/// Derives a 32-byte key for one `purpose` from the data key, so that the cipher's key
/// is never used for anything else.
fn derive(purpose: &[u8], key: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let mut derive = Sha256::new();
    derive.update(purpose);
    derive.update(key);
    derive.finalize().into()
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    /// A sealer for this 32-byte key.
    pub fn from_key(key: &[u8; KEY_LEN]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
            blind: BlindKey::new(&derive(b"embargo blind-mark key v1\0", key)),
            search: BlindKey::new(&derive(b"embargo search key v1\0", key)),
            digest: BlindKey::new(&derive(b"embargo digest key v1\0", key)),
        }
    }

    /// A sealer with a fresh random key (tests, throw-away stores).
    pub fn random() -> Self {
        Self::from_key(fresh_key().expose_secret())
    }

    /// A sealer for a key given as 64 hex digits, e.g. from `EMBARGO_DATA_KEY` (several
    /// nodes sharing one PostgreSQL database must share the key).
    pub fn from_hex(hex_key: &str) -> Result<Self> {
        let bytes: SecretSlice<u8> = hex::decode(hex_key.trim())
            .map_err(|_| {
                StoreError::Config("the data key must be 64 hex digits (32 bytes)".into())
            })?
            .into();
        let bytes = bytes.expose_secret();
        let key: &[u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            StoreError::Config(format!(
                "the data key must be 64 hex digits (32 bytes); this one has {} bytes",
                bytes.len()
            ))
        })?;
        Ok(Self::from_key(key))
    }

    /// Reads the key file at `path`, or creates it with a random key (mode 0600) if it
    /// does not exist. A file of the wrong length is refused rather than overwritten:
    /// replacing a key would make every sealed value unreadable.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => Self::from_file_bytes(path, bytes.into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = fresh_key();
                match create_key_file(path, key.expose_secret()) {
                    Ok(()) => Ok(Self::from_key(key.expose_secret())),
                    // Another process created it between our read and our create: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let bytes = std::fs::read(path).map_err(|e| key_file_error(path, &e))?;
                        Self::from_file_bytes(path, bytes.into())
                    }
                    Err(e) => Err(key_file_error(path, &e)),
                }
            }
            Err(e) => Err(key_file_error(path, &e)),
        }
    }

    fn from_file_bytes(path: &Path, bytes: SecretSlice<u8>) -> Result<Self> {
        let bytes = bytes.expose_secret();
        let len = bytes.len();
        let key: &[u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            StoreError::Config(format!(
                "the data key file {} holds {len} bytes; a data key is exactly {KEY_LEN} bytes \
                 (refusing to replace it: data sealed with the old key would become unreadable)",
                path.display()
            ))
        })?;
        Ok(Self::from_key(key))
    }

    /// The key of this installation's blind marks (duplicate detection, sender rules).
    pub fn blind_key(&self) -> &BlindKey {
        &self.blind
    }

    /// The key of the search index's term marks.
    pub fn search_key(&self) -> &BlindKey {
        &self.search
    }

    /// A keyed digest of `data` for `purpose`: 128 bits as 32 hex digits, to find a row
    /// by a value (a Message-ID) without holding the value in clear. Two marks of the
    /// digest key with different purposes: wide enough that a unique column of them
    /// never sees two values collide.
    pub fn digest(&self, purpose: &str, data: &[u8]) -> String {
        let first = self.digest.mark(format!("{purpose}/1").as_bytes(), data);
        let second = self.digest.mark(format!("{purpose}/2").as_bytes(), data);
        format!("{first:016x}{second:016x}")
    }

    /// The check value of this data key kept in the database (docs/confidentiality.md):
    /// a keyed digest of a fixed label, so that a node started with another key is
    /// recognised at once, while the value tells nothing about the key itself.
    pub fn key_check(&self) -> String {
        self.digest("key-check", b"embargo data key v1")
    }

    /// Seals `plaintext` for the row named by `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| StoreError::Corrupt("a value could not be sealed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a value sealed for the row named by `aad`; `Corrupt` if the key, the row
    /// or the bytes differ from when it was sealed.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Corrupt("a sealed value is truncated".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                StoreError::Corrupt(
                    "a sealed value does not open: wrong data key, or the row was tampered with"
                        .into(),
                )
            })
    }

    /// [`Sealer::seal`] for text.
    pub fn seal_str(&self, aad: &str, plaintext: &str) -> Result<Vec<u8>> {
        self.seal(aad.as_bytes(), plaintext.as_bytes())
    }

    /// [`Sealer::open`] for text.
    pub fn open_string(&self, aad: &str, sealed: &[u8]) -> Result<String> {
        String::from_utf8(self.open(aad.as_bytes(), sealed)?)
            .map_err(|_| StoreError::Corrupt("a sealed text is not UTF-8".into()))
    }
}

fn create_key_file(path: &Path, key: &[u8; KEY_LEN]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Only the service's user may read the key.
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key)?;
    file.sync_all()
}

fn key_file_error(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Config(format!("the data key file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_fresh_nonces() {
        let s = Sealer::random();
        let a = s.seal(b"report:EMB-1", b"secret title").unwrap();
        let b = s.seal(b"report:EMB-1", b"secret title").unwrap();
        assert_ne!(a, b, "each value gets its own nonce");
        assert_eq!(s.open(b"report:EMB-1", &a).unwrap(), b"secret title");
        assert_eq!(s.open_string("report:EMB-1", &b).unwrap(), "secret title");
    }

    #[test]
    fn wrong_row_tampering_and_wrong_key_fail() {
        let s = Sealer::random();
        let sealed = s.seal(b"report:EMB-1", b"secret").unwrap();
        assert!(matches!(
            s.open(b"report:EMB-2", &sealed),
            Err(StoreError::Corrupt(_))
        ));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(matches!(
            s.open(b"report:EMB-1", &tampered),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            s.open(b"report:EMB-1", &sealed[..10]),
            Err(StoreError::Corrupt(_))
        ));
        let other = Sealer::random();
        assert!(matches!(
            other.open(b"report:EMB-1", &sealed),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn digests_and_key_checks_depend_on_the_key_only() {
        let a = Sealer::from_key(&[1; 32]);
        let b = Sealer::from_key(&[2; 32]);
        assert_eq!(a.key_check(), Sealer::from_key(&[1; 32]).key_check());
        assert_ne!(a.key_check(), b.key_check());
        assert_eq!(a.key_check().len(), 32);
        let id = b"abc@mail.example.org";
        assert_eq!(a.digest("held", id), a.digest("held", id));
        assert_ne!(a.digest("held", id), a.digest("other", id));
        assert_ne!(a.digest("held", id), b.digest("held", id));
        assert!(!a.digest("held", id).contains("example"));
    }

    #[test]
    fn hex_keys() {
        let key = [7u8; 32];
        let a = Sealer::from_key(&key);
        let b = Sealer::from_hex(&hex::encode(key)).unwrap();
        assert_eq!(b.open(b"x", &a.seal(b"x", b"v").unwrap()).unwrap(), b"v");
        assert!(
            Sealer::from_hex("abcd")
                .unwrap_err()
                .to_string()
                .contains("2 bytes")
        );
        assert!(Sealer::from_hex("not hex").is_err());
        assert_eq!(format!("{a:?}"), "Sealer(***)");
    }

    #[test]
    fn key_files_are_created_private_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/data.key");
        let a = Sealer::load_or_create(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = Sealer::load_or_create(&path).unwrap();
        assert_eq!(b.open(b"x", &a.seal(b"x", b"v").unwrap()).unwrap(), b"v");

        let bad = dir.path().join("short.key");
        std::fs::write(&bad, b"too short").unwrap();
        let err = Sealer::load_or_create(&bad).unwrap_err().to_string();
        assert!(
            err.contains("9 bytes") && err.contains("exactly 32"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&bad).unwrap(),
            b"too short",
            "never overwritten"
        );
    }
}
