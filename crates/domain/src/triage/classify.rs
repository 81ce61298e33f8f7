//! The rule-based classifier (docs/triage.md#rules-and-policy): a triage suggestion
//! for a new report, from its text alone, with reasons a person can check.
//!
//! This module owns the decision; the rules are in `rules/`. The one principle: a
//! genuine report must never be suggested as noise. So every noise rule has a veto
//! (concrete evidence of a real vulnerability outweighs it), the suggestion is `report`
//! whenever no rule is sure, and a `report` suggestion says what made it look genuine
//! and which noise it was not taken for. Pure: no I/O, no clock, no randomness; the
//! work is bounded by the text's first 64 KB.

use super::policy::TriagePolicy;
use super::rules::evidence::Evidence;
use super::rules::noise::{Candidate, Signals, candidates};
use super::rules::scanner::Shape;
use super::rules::text::Text;
use super::{Incoming, Suggestion, TriageClass};

/// Most evidence reasons on a `report` suggestion.
const MAX_EVIDENCE_REASONS: usize = 4;

/// Classifies a new report by the policy's rules.
pub fn classify(incoming: &Incoming<'_>, policy: &TriagePolicy) -> Suggestion {
    let text = Text::new(incoming.title, incoming.description);
    let evidence = Evidence::of(&text, incoming.affected_versions);
    let shape = Shape::of(&text);
    let signals = Signals::new(&text, &evidence, &shape, policy);
    decide(candidates(&signals), &evidence)
}

/// The strongest candidate the evidence does not outweigh, else `report`.
fn decide(candidates: Vec<Candidate>, evidence: &Evidence) -> Suggestion {
    let (vetoed, standing): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| c.vetoed);
    if let Some(best) = standing.into_iter().max_by_key(|c| (c.score, c.priority())) {
        return Suggestion {
            class: best.class,
            reasons: best.reasons,
        };
    }
    let mut reasons: Vec<String> = evidence
        .reasons()
        .into_iter()
        .take(MAX_EVIDENCE_REASONS)
        .collect();
    reasons.extend(vetoed.into_iter().filter_map(|c| {
        let first = c.reasons.into_iter().next()?;
        Some(format!(
            "{first}, but the report is specific enough to read"
        ))
    }));
    Suggestion {
        class: TriageClass::Report,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Channel;

    fn classify_text(title: &str, description: &str, versions: Option<&str>) -> Suggestion {
        let incoming = Incoming {
            title,
            description,
            affected_versions: versions,
            channel: Channel::Web,
            reporter_email: None,
        };
        classify(&incoming, &TriagePolicy::default())
    }

    #[test]
    fn a_named_non_issue_quotes_the_phrase() {
        let s = classify_text(
            "Clickjacking on the project website",
            "Your website does not set the X-Frame-Options header, so it can be framed.",
            None,
        );
        assert_eq!(s.class, TriageClass::KnownNonIssue);
        assert_eq!(
            s.reasons[0],
            "names the known non-issue \"Clickjacking\": \"Clickjacking\""
        );
    }

    #[test]
    fn evidence_outweighs_a_non_issue_and_says_so() {
        let s = classify_text(
            "Server header leads to RCE",
            "The Server header discloses the version, and that version's admin servlet \
             accepts POST /admin/deploy with a WAR: AdminServlet.java:120 never checks the \
             session. curl -F war=@shell.war http://host/admin/deploy then GET /shell/cmd?c=whoami",
            Some("4.1.0 to 4.2.3"),
        );
        assert_eq!(s.class, TriageClass::Report, "{:?}", s.reasons);
        assert!(
            s.reasons
                .iter()
                .any(|r| r.starts_with("names the known non-issue")
                    && r.ends_with("but the report is specific enough to read"))
        );
        assert!(
            s.reasons
                .iter()
                .any(|r| r.starts_with("gives affected versions: \"4.1.0"))
        );
    }

    #[test]
    fn nothing_to_go_on_is_a_report() {
        let s = classify_text("hello", "please see attached", None);
        assert_eq!(s.class, TriageClass::Report);
    }

    #[test]
    fn generic_wording_without_evidence_is_insufficient() {
        let s = classify_text(
            "Critical Security Vulnerability Report",
            "Dear Security Team, I hope this message finds you well. I have identified a \
             critical security vulnerability in your platform that may allow attackers to \
             compromise the integrity of your systems. Details are available upon request.",
            None,
        );
        assert_eq!(s.class, TriageClass::InsufficientDetail, "{:?}", s.reasons);
        assert!(
            s.reasons[0].starts_with("generic wording: \"Critical Security Vulnerability\""),
            "{:?}",
            s.reasons
        );
        assert!(s.reasons.last().unwrap().contains("no affected version"));
    }

    #[test]
    fn project_phrases_extend_the_rules() {
        let incoming = Incoming {
            title: "Self-XSS in the query editor",
            description: "Typing <b>x</b> in my own query editor renders it bold for me.",
            affected_versions: None,
            channel: Channel::Web,
            reporter_email: None,
        };
        let base = TriagePolicy::default();
        assert_eq!(classify(&incoming, &base).class, TriageClass::Report);
        let project = crate::triage::policy::TriageOverrides {
            non_issues: vec![crate::triage::policy::NonIssueRule::new(
                "Self-XSS",
                &["self-xss", "in my own"],
            )],
            ..Default::default()
        };
        let s = classify(&incoming, &project.apply_to(&base));
        assert_eq!(s.class, TriageClass::KnownNonIssue);
        assert_eq!(
            s.reasons,
            ["names the known non-issue \"Self-XSS\": \"Self-XSS\""]
        );
    }

    /// Pieces that reach every rule's edge cases: ids, tables, paths, payload starts,
    /// multi-byte characters next to ASCII patterns, parentheses, numbering.
    const PIECES: &[&str] = &[
        "CVE-2021-44228",
        "GHSA-jfh8-c2jp-5v3q",
        "│",
        "|",
        ",",
        "\n",
        " ",
        "\t",
        "1. ",
        "../",
        "é",
        "Tomás",
        "(",
        ")",
        "::",
        "#",
        ".java:",
        "Foo.bar()",
        "/api/v1/x",
        "http://10.0.0.1:8/a/b",
        "GET /a HTTP/1.1",
        "at a.B.c(B.java:1)",
        "```",
        "x-frame-options",
        "seo",
        "backlinks",
        "license",
        "?",
        "cwe-",
        "pkg:",
        "@1",
        "v1.2",
        "1.2.3.4",
        "${jndi:",
        "HIGH",
        "Severity:",
        "I have identified a critical",
        "steps to reproduce",
        "日本語",
        "\u{1F600}",
    ];

    proptest::proptest! {
        #[test]
        fn any_text_gets_a_suggestion_and_noise_always_has_reasons(
            title in "\\PC{0,40}",
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..80),
            tail in "\\PC{0,200}",
            versions in proptest::option::of("\\PC{0,12}"),
        ) {
            let body = pieces.concat() + &tail;
            let s = classify_text(&title, &body, versions.as_deref());
            proptest::prop_assert_ne!(s.class, TriageClass::Duplicate);
            if s.class.is_noise() {
                proptest::prop_assert!(!s.reasons.is_empty());
            }
            // Pure: the same input, the same answer.
            proptest::prop_assert_eq!(classify_text(&title, &body, versions.as_deref()), s);
        }
    }

    #[test]
    fn large_inputs_are_bounded() {
        let big: String = (10_000..30_000)
            .map(|n| format!("CVE-2021-{n} │ log4j-core │ 2.14.1 │ HIGH\n"))
            .collect();
        let s = classify_text("scan", &big, None);
        assert_eq!(s.class, TriageClass::ScannerOutput);
    }
}
