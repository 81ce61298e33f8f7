//! The noise classes' rules. Each scores its class from the policy's phrases (and, for
//! scanner output, the text's shape) and says whether the evidence of a genuine report
//! outweighs it: a vetoed candidate never becomes the suggestion, it only becomes a
//! note on a `report` suggestion ("names … but …").
//!
//! The vetoes are what keeps a genuine report from being called noise, and they are
//! deliberately generous: concrete artefacts (payloads, requests, stack traces, code
//! locations) or written analysis outweigh any phrase. The known non-issues tolerate
//! a little more (their typical reports come with a framing page or a `curl -I`),
//! scanner output tolerates versions and package names (that is what it is made of).

use super::evidence::{Evidence, Kind};
use super::scanner::Shape;
use super::text::{Text, quote};
use crate::triage::TriageClass;
use crate::triage::policy::TriagePolicy;

/// Words of security vocabulary: a message with none of them is rarely a report. Not
/// "security" itself: every mail to a security address says "security team".
const SECURITY_WORDS: &[&str] = &[
    "vulnerability",
    "vulnerabilities",
    "vulnerable",
    "exploit",
    "exploitable",
    "attacker",
    "attackers",
    "injection",
    "xss",
    "csrf",
    "ssrf",
    "xxe",
    "rce",
    "traversal",
    "deserialization",
    "deserialisation",
    "bypass",
    "overflow",
    "privilege",
    "unauthenticated",
    "unauthorized",
    "cve",
    "malicious",
    "leak",
    "hijack",
    "takeover",
    "denial of service",
    "code execution",
    "sql injection",
    "cross-site scripting",
    "path traversal",
    "privilege escalation",
    "authentication bypass",
    "take over",
    "steal",
    "impersonate",
    "credentials",
];

/// Most phrases quoted in one reason.
const MAX_QUOTES: usize = 3;

/// Everything the rules read about one message.
pub struct Signals<'a> {
    pub text: &'a Text,
    pub evidence: &'a Evidence,
    pub shape: &'a Shape,
    pub policy: &'a TriagePolicy,
    /// Distinct security words used.
    pub security_words: usize,
    /// Whether the message asks something.
    pub question: bool,
}

impl<'a> Signals<'a> {
    pub fn new(
        text: &'a Text,
        evidence: &'a Evidence,
        shape: &'a Shape,
        policy: &'a TriagePolicy,
    ) -> Self {
        Self {
            text,
            evidence,
            shape,
            policy,
            security_words: text.find_all(SECURITY_WORDS.iter().copied(), 8).len(),
            question: text.source().contains('?'),
        }
    }

    fn hits(&self, list: &'a [String], max: usize) -> Vec<&'a str> {
        self.text.find_all(list.iter().map(String::as_str), max)
    }

    fn any(&self, kinds: &[Kind]) -> bool {
        kinds.iter().any(|k| self.evidence.has(*k))
    }
}

/// A noise class the text looks like.
#[derive(Debug)]
pub struct Candidate {
    pub class: TriageClass,
    pub score: u32,
    /// Never empty: the first names what matched.
    pub reasons: Vec<String>,
    /// The evidence of a genuine report outweighs it.
    pub vetoed: bool,
}

impl Candidate {
    fn new(class: TriageClass, score: u32, reasons: Vec<String>, vetoed: bool) -> Option<Self> {
        (!reasons.is_empty()).then_some(Self {
            class,
            score,
            reasons,
            vetoed,
        })
    }

    /// Ties between classes go to the more specific one.
    pub fn priority(&self) -> u8 {
        match self.class {
            TriageClass::Spam => 7,
            TriageClass::ScannerOutput => 6,
            TriageClass::KnownNonIssue => 5,
            TriageClass::LicenseQuestion => 4,
            TriageClass::UsersListQuestion => 3,
            TriageClass::NotSecurity => 2,
            TriageClass::InsufficientDetail => 1,
            TriageClass::Report | TriageClass::Duplicate => 0,
        }
    }
}

/// `"a", "b", "c"`: the text's own words for the first few hits.
fn quotes(hits: &[&str]) -> String {
    hits.iter()
        .take(MAX_QUOTES)
        .map(|h| format!("\"{}\"", quote(h)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every rule, in priority order; `None` where a class's phrases do not match.
pub fn candidates(s: &Signals<'_>) -> Vec<Candidate> {
    [
        spam(s),
        scanner_output(s),
        known_non_issue(s),
        license_question(s),
        users_list_question(s),
        not_security(s),
        insufficient_detail(s),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Two spam markers, and nothing of a report: a spam suggestion suppresses the receipt.
fn spam(s: &Signals<'_>) -> Option<Candidate> {
    let hits = s.hits(&s.policy.spam_markers, 4);
    if hits.len() < 2 {
        return None;
    }
    let vetoed = s.evidence.is_concrete() || s.evidence.score() >= 4;
    let reason = format!("has spam markers: {}", quotes(&hits));
    Candidate::new(
        TriageClass::Spam,
        hits.len() as u32 + 1,
        vec![reason],
        vetoed,
    )
}

/// Output-shaped text (ids with versions, tables, severities) with no analysis.
fn scanner_output(s: &Signals<'_>) -> Option<Candidate> {
    let shape = s.shape.score();
    let hits = s.hits(&s.policy.scanner_signatures, 2);
    let score = shape + hits.len() as u32;
    if shape < 2 || score < 4 {
        return None;
    }
    let mut reasons = vec![format!(
        "looks like pasted scanner output: {}",
        s.shape.describe()
    )];
    if !hits.is_empty() {
        reasons.push(format!("names scanner output: {}", quotes(&hits)));
    }
    let vetoed = s.any(&[
        Kind::Analysis,
        Kind::Steps,
        Kind::StackTrace,
        Kind::HttpRequest,
        Kind::Payload,
        Kind::ProofOfConcept,
    ]);
    if !vetoed {
        reasons.push(
            "no analysis showing the project uses the vulnerable code (no steps, proof of \
             concept or verification)"
                .into(),
        );
    }
    Candidate::new(TriageClass::ScannerOutput, score, reasons, vetoed)
}

/// A listed non-issue named. Its typical report carries a framing page or a response
/// header, so only artefacts beyond those (or a lot of evidence) outweigh it.
fn known_non_issue(s: &Signals<'_>) -> Option<Candidate> {
    let mut reasons = Vec::new();
    let mut patterns = 0;
    for rule in &s.policy.non_issues {
        let hits = s.text.find_all(rule.patterns.iter().map(String::as_str), 2);
        if let Some(first) = hits.first() {
            reasons.push(format!(
                "names the known non-issue \"{}\": \"{}\"",
                rule.name,
                quote(first)
            ));
            patterns += hits.len() as u32;
        }
    }
    let vetoed = s.any(&[Kind::Payload, Kind::StackTrace, Kind::CodeLocation])
        || (s.any(&[Kind::Endpoint]) && s.any(&[Kind::Analysis]))
        || s.evidence.score() >= 9;
    Candidate::new(
        TriageClass::KnownNonIssue,
        1 + patterns.min(4),
        reasons,
        vetoed,
    )
}

/// Two licensing phrases, or one in a short question.
fn license_question(s: &Signals<'_>) -> Option<Candidate> {
    let hits = s.hits(&s.policy.license_phrases, 4);
    let short_question = s.question && s.text.source().len() < 1500;
    if hits.is_empty() || (hits.len() < 2 && !short_question) {
        return None;
    }
    let score = hits.len() as u32 + u32::from(short_question);
    let vetoed = s.evidence.is_concrete() || s.evidence.score() >= 4;
    let reason = format!("asks about licensing: {}", quotes(&hits));
    Candidate::new(TriageClass::LicenseQuestion, score, vec![reason], vetoed)
}

/// A users-list phrase, made a question by a question mark or a published CVE id.
fn users_list_question(s: &Signals<'_>) -> Option<Candidate> {
    let hits = s.hits(&s.policy.users_list_phrases, 4);
    if hits.is_empty() {
        return None;
    }
    let names_cve = (1..=2).contains(&s.shape.ids);
    let score = hits.len() as u32 + u32::from(s.question) + u32::from(names_cve);
    if score < 2 {
        return None;
    }
    let mut reasons = vec![format!("asks a users-list question: {}", quotes(&hits))];
    if let (true, Some(id)) = (names_cve, &s.shape.first_id) {
        reasons.push(format!("about a published advisory: \"{id}\""));
    }
    let vetoed = s.any(&[
        Kind::Payload,
        Kind::StackTrace,
        Kind::HttpRequest,
        Kind::CodeLocation,
        Kind::Analysis,
        Kind::Steps,
        Kind::Endpoint,
    ]) || s.evidence.score() >= 6;
    Candidate::new(TriageClass::UsersListQuestion, score, reasons, vetoed)
}

/// Two not-security phrases, or one in a message without security vocabulary.
fn not_security(s: &Signals<'_>) -> Option<Candidate> {
    let hits = s.hits(&s.policy.not_security_phrases, 4);
    let no_security = s.security_words == 0;
    if hits.is_empty() || (hits.len() < 2 && !no_security) {
        return None;
    }
    let score = hits.len() as u32 + u32::from(no_security);
    let vetoed = s.any(&[
        Kind::Payload,
        Kind::HttpRequest,
        Kind::Analysis,
        Kind::Endpoint,
    ]) || s.evidence.score() >= 7;
    let reason = format!(
        "names something that is not a security issue: {}",
        quotes(&hits)
    );
    Candidate::new(TriageClass::NotSecurity, score, vec![reason], vetoed)
}

/// Generic wording and nothing concrete: the claim cannot be checked.
fn insufficient_detail(s: &Signals<'_>) -> Option<Candidate> {
    let hits = s.hits(&s.policy.generic_phrases, 5);
    let e = s.evidence;
    // A bare claim ("I found an XSS in Kafka, what is the bounty?") says as little.
    let bare_claim = s.text.source().len() < 400 && s.security_words >= 1 && e.score() == 0;
    let score = hits.len() as u32 + u32::from(bare_claim);
    if score < 2 {
        return None;
    }
    let mut reasons = Vec::new();
    if !hits.is_empty() {
        reasons.push(format!("generic wording: {}", quotes(&hits)));
    }
    if bare_claim {
        reasons.push("a short claim without any detail".into());
    }
    reasons.push(missing(e));
    let vetoed = e.is_concrete() || e.has(Kind::Analysis) || e.score() > 4;
    Candidate::new(TriageClass::InsufficientDetail, score, reasons, vetoed)
}

/// What a checkable report would have and this one lacks.
fn missing(e: &Evidence) -> String {
    let mut gaps = Vec::new();
    if !e.has(Kind::VersionsField) && !e.has(Kind::VersionInText) {
        gaps.push("no affected version");
    }
    if !e.has(Kind::Steps) {
        gaps.push("no steps to reproduce");
    }
    if !e.has(Kind::ProofOfConcept) {
        gaps.push("no proof of concept");
    }
    gaps.push("no request, payload, code or endpoint");
    format!("gives {}", gaps.join(", "))
}
