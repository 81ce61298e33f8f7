//! The CVE Services API key, kept out of logs, `Debug` output and error messages.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A CVE Services API key (`CVE-API-KEY`).
///
/// The key is the only secret of a CNA's account: whoever holds it can reserve, publish and
/// reject in the organisation's name. It is a [`SecretString`] (wiped when dropped, no
/// `Debug` of its text); `Debug` and `Display` print `***`; the only way to the text is
/// [`ApiKey::expose`], which the client calls when it builds the request header.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key as read from configuration; surrounding whitespace (a pasted newline) is
    /// trimmed because the service compares the header byte for byte.
    pub fn new(key: impl Into<String>) -> Self {
        let key = SecretString::from(key.into());
        Self(key.expose_secret().trim().into())
    }

    /// The key itself, for the request header and nothing else.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the key is empty (not configured).
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Replaces every occurrence of the key in `text` by `***`, so that a server that echoes
    /// request headers in an error body cannot leak it into our messages.
    pub fn redact(&self, text: &str) -> String {
        // A very short key would match ordinary words; real keys are long random strings.
        let key = self.expose();
        if key.len() < 4 {
            return text.to_owned();
        }
        text.replace(key, "***")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Who the client acts as: the three authentication headers of every CVE Services request.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The organisation's short name (`CVE-API-ORG`), e.g. `apache`.
    pub org: String,
    /// The user name (`CVE-API-USER`), usually an e-mail address.
    pub user: String,
    /// The user's API key (`CVE-API-KEY`).
    pub key: ApiKey,
}

impl Credentials {
    /// Credentials for `user` of organisation `org`.
    pub fn new(org: impl Into<String>, user: impl Into<String>, key: ApiKey) -> Self {
        Self {
            org: org.into().trim().to_owned(),
            user: user.into().trim().to_owned(),
            key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows() {
        let creds = Credentials::new(
            "apache",
            "sec@apache.org",
            ApiKey::new("s3cr3t-key-value\n"),
        );
        let debug = format!("{creds:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("***"));
        assert_eq!(creds.key.to_string(), "***");
        assert_eq!(creds.key.expose(), "s3cr3t-key-value");
        assert_eq!(
            creds.key.redact("bad key s3cr3t-key-value!"),
            "bad key ***!"
        );
    }
}
