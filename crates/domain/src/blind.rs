//! Blind marks: keyed hashes of small pieces of sealed text (an id, a run of words),
//! so that the store can find two reports that share one without holding either in
//! clear. Without the key a mark says nothing about what it marks: a copy of the
//! database cannot be searched for a guessed CVE id or phrase.
//!
//! HMAC-SHA-256 with a key the store derives from the data key, truncated to 64 bits
//! (a collision only costs a candidate that the full comparison then drops).

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key marks are made with. `Debug` never shows it.
#[derive(Clone)]
pub struct BlindKey {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for BlindKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindKey(***)")
    }
}

impl BlindKey {
    /// A key from 32 secret bytes.
    pub fn new(secret: &[u8; 32]) -> Self {
        Self {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(secret)
                .expect("HMAC takes keys of any length"),
        }
    }

    /// The mark of `data` for `purpose` (marks of different purposes never match).
    pub fn mark(&self, purpose: &[u8], data: &[u8]) -> i64 {
        let mut mac = self.mac.clone();
        mac.update(&(purpose.len() as u64).to_be_bytes());
        mac.update(purpose);
        mac.update(data);
        let out = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&out[..8]);
        i64::from_be_bytes(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_depend_on_key_purpose_and_data() {
        let a = BlindKey::new(&[1; 32]);
        let b = BlindKey::new(&[2; 32]);
        assert_eq!(a.mark(b"id", b"CVE-2024-1"), a.mark(b"id", b"CVE-2024-1"));
        assert_ne!(a.mark(b"id", b"CVE-2024-1"), b.mark(b"id", b"CVE-2024-1"));
        assert_ne!(
            a.mark(b"id", b"CVE-2024-1"),
            a.mark(b"words", b"CVE-2024-1")
        );
        assert_ne!(a.mark(b"id", b"CVE-2024-1"), a.mark(b"id", b"CVE-2024-2"));
        // The purpose's length is bound in: ("ab", "c") is not ("a", "bc").
        assert_ne!(a.mark(b"ab", b"c"), a.mark(b"a", b"bc"));
        assert_eq!(format!("{a:?}"), "BlindKey(***)");
    }
}
