//! Capability tokens: status links, API tokens, sessions and setup links.
//!
//! 256 random bits shown once to their holder; only the SHA-256 digest is stored, and
//! digests are compared in constant time. Argon2 is for passwords only: a token is
//! already high-entropy, so a fast digest is enough and every API call stays cheap.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A freshly generated secret, to be given to its holder exactly once.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(hex::encode(bytes))
    }
    /// Wraps a token presented by a client, if it is shaped like one of ours.
    pub fn from_presented(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| Self(s.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn digest(&self) -> TokenDigest {
        TokenDigest(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

/// The stored form of a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub String);

impl TokenDigest {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Constant-time equality, for the places that compare rather than look up.
    pub fn matches(&self, other: &TokenDigest) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert!(
            a.digest()
                .matches(&Token::from_presented(a.expose()).unwrap().digest())
        );
        assert!(!a.digest().matches(&b.digest()));
        assert!(!format!("{a:?}").contains(a.expose()));
        assert!(Token::from_presented("short").is_none());
        assert!(Token::from_presented(&"G".repeat(64)).is_none());
    }
}
