//! Evidence that a report is genuine: what a person who found a real vulnerability
//! writes and a generic or copied message lacks. Affected versions, steps, a proof of
//! concept, commands and code, an HTTP request, a crafted payload, a stack trace, a
//! named class, file or endpoint, an analysis of the cause.
//!
//! Each kind is found at most once (its first occurrence is quoted in the reasons)
//! and has a weight; the weights add up to the evidence score the noise rules are
//! weighed against. The *concrete* kinds are artefacts a generic text does not
//! invent: their presence alone keeps most noise classes away.

use super::evidence_lists::{
    ANALYSIS, COMMANDS, HTTP_METHODS, NOT_FILES, PAYLOADS, PROOF, SOURCE_EXTENSIONS, STACK_PHRASES,
    STEPS,
};
use super::text::{Text, quote};

/// One kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    VersionsField,
    VersionInText,
    Steps,
    ProofOfConcept,
    Code,
    HttpRequest,
    Payload,
    StackTrace,
    CodeLocation,
    Endpoint,
    Analysis,
    Weakness,
}

impl Kind {
    const ALL: [Kind; 12] = [
        Kind::VersionsField,
        Kind::VersionInText,
        Kind::Steps,
        Kind::ProofOfConcept,
        Kind::Code,
        Kind::HttpRequest,
        Kind::Payload,
        Kind::StackTrace,
        Kind::CodeLocation,
        Kind::Endpoint,
        Kind::Analysis,
        Kind::Weakness,
    ];

    pub fn weight(self) -> u32 {
        match self {
            Kind::VersionInText | Kind::ProofOfConcept | Kind::Weakness => 1,
            Kind::VersionsField
            | Kind::Steps
            | Kind::Code
            | Kind::CodeLocation
            | Kind::Endpoint
            | Kind::Analysis => 2,
            Kind::HttpRequest | Kind::Payload | Kind::StackTrace => 3,
        }
    }

    /// Artefacts a generic text does not invent.
    pub fn is_concrete(self) -> bool {
        matches!(
            self,
            Kind::Code
                | Kind::HttpRequest
                | Kind::Payload
                | Kind::StackTrace
                | Kind::CodeLocation
                | Kind::Endpoint
        )
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::VersionsField => "gives affected versions",
            Kind::VersionInText => "names a version",
            Kind::Steps => "has steps to reproduce",
            Kind::ProofOfConcept => "mentions a proof of concept",
            Kind::Code => "includes a command or code",
            Kind::HttpRequest => "includes an HTTP request",
            Kind::Payload => "includes a crafted payload",
            Kind::StackTrace => "includes a stack trace",
            Kind::CodeLocation => "names a code location",
            Kind::Endpoint => "names a path or endpoint",
            Kind::Analysis => "explains what it verified or why",
            Kind::Weakness => "names a weakness",
        }
    }
}

/// Per byte value, the needles (bit `j` for `PAYLOADS[j]`) whose byte at `pos` it is.
const fn byte_masks(needles: &[&str], pos: usize) -> [u128; 256] {
    let mut table = [0u128; 256];
    let mut j = 0;
    while j < needles.len() {
        let b = needles[j].as_bytes();
        assert!(
            b.len() >= 2 && j < 128,
            "payload needles: 2+ bytes, at most 128"
        );
        table[b[pos] as usize] |= 1u128 << j;
        j += 1;
    }
    table
}
const PAYLOAD_FIRST: [u128; 256] = byte_masks(PAYLOADS, 0);
const PAYLOAD_SECOND: [u128; 256] = byte_masks(PAYLOADS, 1);

/// Bounds on the line and token passes.
const MAX_LINES: usize = 4_000;
const MAX_TOKENS: usize = 20_000;

/// The evidence found in one report.
#[derive(Debug, Default)]
pub struct Evidence {
    found: [Option<String>; Kind::ALL.len()],
}

impl Evidence {
    pub fn of(text: &Text, affected_versions: Option<&str>) -> Self {
        let mut e = Self::default();
        if let Some(v) = affected_versions.map(str::trim)
            && v.bytes().any(|b| b.is_ascii_digit())
        {
            e.add(Kind::VersionsField, v);
        }
        if let Some(h) = STEPS.iter().find_map(|p| text.find(p)) {
            e.add(Kind::Steps, h);
        }
        if let Some(h) = PROOF.iter().find_map(|p| text.find(p)) {
            e.add(Kind::ProofOfConcept, h);
        }
        if let Some(h) = ANALYSIS.iter().find_map(|p| text.find(p)) {
            e.add(Kind::Analysis, h);
        }
        if let Some(h) = STACK_PHRASES.iter().find_map(|p| text.find(p)) {
            e.add(Kind::StackTrace, h);
        }
        e.payloads(text);
        e.lines(text);
        e.tokens(text);
        e
    }

    fn add(&mut self, kind: Kind, q: &str) {
        let slot = &mut self.found[kind as usize];
        if slot.is_none() {
            *slot = Some(quote(q));
        }
    }

    pub fn has(&self, kind: Kind) -> bool {
        self.found[kind as usize].is_some()
    }

    /// The sum of the weights of the kinds found.
    pub fn score(&self) -> u32 {
        self.kinds().map(Kind::weight).sum()
    }

    /// Whether any concrete artefact was found.
    pub fn is_concrete(&self) -> bool {
        self.kinds().any(Kind::is_concrete)
    }

    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        Kind::ALL.into_iter().filter(|k| self.has(*k))
    }

    /// One reason per kind found, strongest first.
    pub fn reasons(&self) -> Vec<String> {
        let mut kinds: Vec<Kind> = self.kinds().collect();
        kinds.sort_by_key(|k| std::cmp::Reverse(k.weight()));
        kinds
            .into_iter()
            .filter_map(|k| {
                let q = self.found[k as usize].as_deref()?;
                Some(format!("{}: \"{q}\"", k.describe()))
            })
            .collect()
    }

    /// The first crafted input in the text. One pass: a needle is only compared where
    /// the text's two bytes are its first two (two table lookups per byte), instead of
    /// one search of the whole text per needle.
    fn payloads(&mut self, text: &Text) {
        let b = text.lower().as_bytes();
        for i in 0..b.len().saturating_sub(1) {
            let mut m = PAYLOAD_FIRST[usize::from(b[i])] & PAYLOAD_SECOND[usize::from(b[i + 1])];
            while m != 0 {
                let j = m.trailing_zeros() as usize;
                m &= m - 1;
                let needle = PAYLOADS[j].as_bytes();
                if b[i..].starts_with(needle) {
                    // ASCII needle: `i..i + len` are character boundaries of the source too.
                    self.add(Kind::Payload, &text.source()[i..i + needle.len()]);
                    return;
                }
            }
        }
    }

    /// Line shapes: fenced code, commands, code statements, HTTP request lines, stack
    /// frames, numbered steps.
    fn lines(&mut self, text: &Text) {
        let mut numbered = 0;
        let mut in_fence = false;
        for (line, lower) in text
            .source()
            .lines()
            .zip(text.lower().lines())
            .take(MAX_LINES)
        {
            let (line, lower) = (line.trim(), lower.trim());
            if lower.starts_with("```") || lower.starts_with("~~~") {
                in_fence = !in_fence;
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if in_fence || is_command(line) || is_code(lower) {
                self.add(Kind::Code, line);
            }
            if is_request_line(lower) {
                self.add(Kind::HttpRequest, line);
            }
            if is_stack_frame(lower) {
                self.add(Kind::StackTrace, line);
            }
            // A numbered list of advisories is a scan's findings, not steps.
            if is_numbered(lower) && !lower.contains("cve-") && !lower.contains("ghsa-") {
                numbered += 1;
                if numbered == 3 {
                    self.add(Kind::Steps, "three or more numbered steps");
                }
            }
        }
    }

    /// Token shapes: source files, class and method names, endpoints, versions, CWEs.
    fn tokens(&mut self, text: &Text) {
        for raw in text.source().split_ascii_whitespace().take(MAX_TOKENS) {
            // Every shape below has one of these; plain words (most tokens) have none.
            if !raw
                .bytes()
                .any(|b| matches!(b, b'.' | b'/' | b':' | b'#' | b'(' | b'-'))
            {
                continue;
            }
            let front = raw.trim_start_matches(is_edge_punctuation);
            // A call is a name followed by parentheses: `Bar.baz()`, not `(see x)`.
            let (name, call) = match front.split_once('(') {
                Some((name, _)) => (name, !name.is_empty()),
                None => (front, false),
            };
            let name = name.trim_end_matches(is_edge_punctuation);
            if name.len() < 3 {
                continue;
            }
            if is_code_location(name, call) {
                self.add(Kind::CodeLocation, name);
            } else if is_endpoint(name) || is_target_url(name) {
                self.add(Kind::Endpoint, name);
            } else if is_version(name) {
                self.add(Kind::VersionInText, name);
            } else if is_cwe(name) {
                self.add(Kind::Weakness, name);
            }
        }
    }
}

/// Quotes, brackets and sentence punctuation around a token.
fn is_edge_punctuation(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '`'
            | '('
            | ')'
            | '['
            | ']'
            | '<'
            | '>'
            | ','
            | ';'
            | '!'
            | '?'
            | '*'
            | '.'
            | ':'
    )
}

/// Commands are typed in lower case: "Docker image exposes…" is prose.
fn is_command(line: &str) -> bool {
    COMMANDS.iter().any(|c| line.starts_with(c))
}

/// A statement or declaration in a common language, or markup.
fn is_code(l: &str) -> bool {
    let statement = (l.ends_with(';') && (l.contains('(') || l.contains(" = ")))
        || (l.ends_with('{') && (l.contains('(') || l.contains("class ")));
    let python = l.starts_with("def ") && l.ends_with(':');
    let markup = l.starts_with("<?xml")
        || (l.starts_with('<')
            && l.ends_with('>')
            && l[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '!'));
    statement || python || markup
}

fn is_request_line(l: &str) -> bool {
    HTTP_METHODS.iter().any(|m| {
        l.strip_prefix(m)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with("http"))
    })
}

/// A frame or header line of a Java, Python or Go trace (Rust's "panicked at" and
/// Java's "Exception in thread" are found as phrases, see `STACK_PHRASES`).
fn is_stack_frame(l: &str) -> bool {
    let java = l.starts_with("at ") && l.ends_with(')') && l.contains('(') && l.contains('.');
    java || l.starts_with("caused by: ")
        || l.starts_with("traceback (most recent call last)")
        || (l.starts_with("goroutine ") && l.ends_with("[running]:"))
}

fn is_numbered(l: &str) -> bool {
    let digits = l.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits)
        && matches!(l.as_bytes().get(digits), Some(b'.' | b')'))
        && l.as_bytes().get(digits + 1) == Some(&b' ')
}

/// `Foo.java:123`, `org.apache.foo.Bar`, `Bar.baz()`, `Foo::bar`, `Bar#baz`; `call`
/// says the token had parentheses.
fn is_code_location(t: &str, call: bool) -> bool {
    is_source_file(t) || is_qualified_name(t, call) || is_path_name(t)
}

fn is_source_file(t: &str) -> bool {
    let file = t.split(':').next().unwrap_or(t).as_bytes();
    SOURCE_EXTENSIONS.iter().any(|e| {
        file.len() > e.len() + 1 && file[file.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes())
    }) && !NOT_FILES
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(file))
        && !t.contains("://")
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// `org.apache.foo.Bar` (a lower-case package and a class), `Bar.baz()`, `Bar#baz`.
fn is_qualified_name(t: &str, call: bool) -> bool {
    let (mut n, mut identifiers, mut package, mut class) = (0, true, false, false);
    for (i, s) in t.split(['.', '#']).enumerate() {
        n += 1;
        identifiers &= is_identifier(s);
        if i == 0 {
            package = s.bytes().all(|b| b.is_ascii_lowercase());
        } else if s.starts_with(|c: char| c.is_ascii_uppercase()) {
            class = true;
        }
    }
    identifiers && ((n >= 3 && package && class) || (n >= 2 && (call || t.contains('#'))))
}

/// `Foo::bar`, `std::fs::read`.
fn is_path_name(t: &str) -> bool {
    t.contains("::") && t.split("::").all(is_identifier)
}

/// A path of two or more segments: `/api/v1/upload`, `/admin/config/{id}`,
/// `/opt/app/conf`.
fn is_endpoint(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('/') else {
        return false;
    };
    rest.split('/').filter(|s| !s.is_empty()).count() >= 2
        && rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '{' || c == '$' || c == '_')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.{}/:%=?&~$+".contains(c))
}

/// A URL with a path on a host that looks like an installation under test (an IP
/// address, a port, localhost, an internal or example domain), not a page of
/// documentation: `http://127.0.0.1:9000/internal/reindex`.
fn is_target_url(t: &str) -> bool {
    let Some((scheme, rest)) = t.split_once("://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let target = host.contains(':')
        || name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || name == "localhost"
        || [
            ".internal",
            ".local",
            ".example",
            "example.com",
            "example.org",
        ]
        .iter()
        .any(|s| name.ends_with(s));
    matches!(scheme, "http" | "https" | "ws" | "wss") && target && !path.is_empty()
}

/// `3.5.1`, `v2.14`, `2.8.0-rc1`, `3.x`; not an IPv4 address.
fn is_version(t: &str) -> bool {
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let core = t.split(['-', '+']).next().unwrap_or(t);
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let (mut n, mut all_numeric, mut ok) = (0, true, true);
    for (i, p) in core.split('.').enumerate() {
        n += 1;
        all_numeric &= numeric(p);
        ok &= numeric(p) || (i > 0 && p == "x");
    }
    ok && (2..=4).contains(&n) && !(n == 4 && all_numeric)
}

fn is_cwe(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() > 4 && b[..4].eq_ignore_ascii_case(b"cwe-") && b[4..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(title: &str, body: &str, versions: Option<&str>) -> Vec<Kind> {
        Evidence::of(&Text::new(title, body), versions)
            .kinds()
            .collect()
    }

    #[test]
    fn artefacts_are_recognised() {
        let k = kinds(
            "Path traversal",
            "Steps to reproduce:\nPOST /api/v1/upload HTTP/1.1\nfilename=../../etc/cron.d/x\n\
             The name is passed to FileStore.save() in UploadResource.java:88.\n",
            Some("2.1.0 to 2.3.4"),
        );
        for kind in [
            Kind::VersionsField,
            Kind::Steps,
            Kind::HttpRequest,
            Kind::Payload,
            Kind::CodeLocation,
            Kind::Endpoint,
            Kind::Analysis,
        ] {
            assert!(k.contains(&kind), "{kind:?} in {k:?}");
        }
        let trace = kinds(
            "NPE",
            "Exception in thread \"main\" java.lang.NullPointerException\n\tat org.apache.foo.Bar.baz(Bar.java:12)",
            None,
        );
        assert!(trace.contains(&Kind::StackTrace));
    }

    #[test]
    fn generic_prose_has_no_concrete_evidence() {
        let e = Evidence::of(
            &Text::new(
                "Critical vulnerability",
                "I have identified a critical security vulnerability in your platform that may \
                 allow attackers to compromise sensitive data. Node.js and version 1.2.3.4 are \
                 not evidence. Please contact me for details.",
            ),
            Some("latest"),
        );
        assert!(!e.is_concrete(), "{:?}", e.reasons());
        assert_eq!(e.score(), 0, "{:?}", e.reasons());
    }

    #[test]
    fn shapes() {
        assert!(is_version("3.5.1") && is_version("v2.14") && is_version("2.8.0-rc1"));
        assert!(!is_version("10.0.0.1") && !is_version("abc") && !is_version("3"));
        assert!(is_endpoint("/api/v1/connectors") && !is_endpoint("/login"));
        assert!(!is_endpoint("//cdn/x"));
        assert!(is_target_url("http://127.0.0.1:9000/internal/reindex"));
        assert!(!is_target_url(
            "https://owasp.org/www-community/attacks/xss/"
        ));
        assert!(!is_target_url("https://quarry.example"));
        assert!(is_code_location("org.apache.kafka.common.Foo", false));
        assert!(is_code_location("ObjectInputStream.readObject", true));
        assert!(is_code_location("Foo.java:123", false));
        assert!(is_code_location("Foo::bar", false) && !is_code_location("::1", false));
        assert!(!is_code_location("www.apache.org", false));
        assert!(!is_code_location("Node.js", false));
        assert!(is_numbered("1. open") && !is_numbered("2024. x"));
        assert!(is_cwe("CWE-22") && !is_cwe("CWE-") && !is_cwe("Tomás"));
    }
}
