//! Password hashing for team members: argon2id with the crate's default parameters.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password accepted: long enough that a passphrase beats guessing.
pub const MIN_CHARS: usize = 12;
/// Longest password accepted: bounded so hashing cost cannot be abused.
pub const MAX_CHARS: usize = 1024;

/// Why a password was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password: must be at least {MIN_CHARS} characters long")]
    TooShort,
    #[error("password: must be at most {MAX_CHARS} characters long")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes `pw` into an argon2id PHC string, after checking its length.
pub fn hash(pw: &str) -> Result<String, PasswordError> {
    let chars = pw.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// True when `pw` matches the PHC string `phc`; false for anything malformed.
pub fn verify(pw: &str, phc: &str) -> bool {
    if pw.chars().count() > MAX_CHARS {
        return false;
    }
    PasswordHash::new(phc)
        .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// Verifies against a throw-away hash, so that an unknown address costs as much time as
/// a wrong password and login timing does not reveal which addresses exist.
pub fn verify_dummy(pw: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash(&hex::encode(rand::random::<[u8; 16]>())).ok());
    if let Some(phc) = dummy {
        let _ = verify(pw, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_lengths_are_enforced() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a phc string"));
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
        assert!(matches!(
            hash(&"x".repeat(1025)),
            Err(PasswordError::TooLong)
        ));
    }
}
