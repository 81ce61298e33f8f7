//! The triage policy: the data the classifier's rules read (docs/triage.md#rules-and-policy).
//!
//! This module owns [`TriagePolicy`] (the effective data for one project: the
//! organisation's defaults, extended by the organisation's `[policy.triage]` and then
//! by the project's `[project.policy.triage]`), [`TriageOverrides`] (what those two
//! sections deserialize into), and their validation. Overrides only ever *add* to the
//! lists: a project cannot silence the organisation's rules, only teach them more.
//! The rules themselves are in `rules/`; the default phrases are in `rules/defaults.rs`.

use serde::{Deserialize, Serialize};

use super::TriageClass;
use super::rules::defaults;
use crate::DomainError;

/// Most entries one override may add to one phrase list: bounds the classifier's work
/// per message.
pub const MAX_LIST_ENTRIES: usize = 500;
/// Most non-issue rules one override may add.
pub const MAX_NON_ISSUE_RULES: usize = 100;
/// Most patterns one non-issue rule may have.
pub const MAX_RULE_PATTERNS: usize = 50;
/// Longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 120;
/// Most words in one pattern.
pub const MAX_PATTERN_WORDS: usize = 16;

/// A finding the organisation or project does not treat as a vulnerability, with the
/// phrases that name it. `name` is what the project's public page lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonIssueRule {
    pub name: String,
    /// Phrases matched as whole words, case-insensitively, punctuation ignored
    /// ("X-Frame-Options" matches "x frame options").
    pub patterns: Vec<String>,
}

impl NonIssueRule {
    pub fn new(name: &str, patterns: &[&str]) -> Self {
        Self {
            name: name.into(),
            patterns: patterns.iter().map(|p| (*p).into()).collect(),
        }
    }
}

/// The rules' data for one project: the organisation's, extended by the project.
/// Every phrase list is matched as whole words, case-insensitively, punctuation ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriagePolicy {
    /// Classes whose suggestion is confirmed at intake without a click (default none;
    /// never `report` or `duplicate`).
    pub automatic: Vec<TriageClass>,
    /// Known non-issues and their patterns (`known_non_issue`).
    pub non_issues: Vec<NonIssueRule>,
    /// Questions the users list answers: configuration, "does CVE-X affect me", patches.
    pub users_list_phrases: Vec<String>,
    /// Licensing questions.
    pub license_phrases: Vec<String>,
    /// Names and phrases of scanners and their output (with the output's shape, see
    /// `rules/scanner.rs`).
    pub scanner_signatures: Vec<String>,
    /// Marketing, scams and other mail that is not about the projects at all.
    pub spam_markers: Vec<String>,
    /// Generic wording of reports without substance (`insufficient_detail`).
    pub generic_phrases: Vec<String>,
    /// Feature requests, ordinary bugs, questions about the organisation's services.
    pub not_security_phrases: Vec<String>,
}

impl Default for TriagePolicy {
    fn default() -> Self {
        let list = |l: &[&str]| l.iter().map(|p| (*p).to_string()).collect();
        Self {
            automatic: vec![],
            non_issues: defaults::NON_ISSUES
                .iter()
                .map(|(name, patterns)| NonIssueRule::new(name, patterns))
                .collect(),
            users_list_phrases: list(defaults::USERS_LIST),
            license_phrases: list(defaults::LICENSE),
            scanner_signatures: list(defaults::SCANNER),
            spam_markers: list(defaults::SPAM),
            generic_phrases: list(defaults::GENERIC),
            not_security_phrases: list(defaults::NOT_SECURITY),
        }
    }
}

impl TriagePolicy {
    /// The names of its known non-issue rules, in order.
    pub fn non_issue_names(&self) -> impl Iterator<Item = &str> {
        self.non_issues.iter().map(|r| r.name.as_str())
    }
}

/// What the organisation's `[policy.triage]` and a project's `[project.policy.triage]`
/// may add or change. Lists are added to the base policy's; a non-issue rule whose
/// name is already there adds its patterns to that rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageOverrides {
    /// Replaces the base's list when present.
    pub automatic: Option<Vec<TriageClass>>,
    #[serde(default)]
    pub non_issues: Vec<NonIssueRule>,
    #[serde(default)]
    pub users_list_phrases: Vec<String>,
    #[serde(default)]
    pub license_phrases: Vec<String>,
    #[serde(default)]
    pub scanner_signatures: Vec<String>,
    #[serde(default)]
    pub spam_markers: Vec<String>,
    #[serde(default)]
    pub generic_phrases: Vec<String>,
    #[serde(default)]
    pub not_security_phrases: Vec<String>,
}

impl TriageOverrides {
    /// Refuses what the classifier must never do or could not do quickly: an automatic
    /// `report` or `duplicate`, oversized lists, empty or overlong patterns.
    pub fn validate(&self) -> Result<(), DomainError> {
        if let Some(auto) = &self.automatic {
            validate_automatic(auto)?;
        }
        validate_rules(&self.non_issues)?;
        for (field, list) in self.lists() {
            if list.len() > MAX_LIST_ENTRIES {
                return Err(DomainError::invalid(
                    field,
                    format!(
                        "has {} entries; at most {MAX_LIST_ENTRIES} are allowed",
                        list.len()
                    ),
                ));
            }
            for (i, p) in list.iter().enumerate() {
                validate_pattern(field, i, p)?;
            }
        }
        Ok(())
    }

    /// The base policy with these additions.
    pub fn apply_to(&self, base: &TriagePolicy) -> TriagePolicy {
        let mut p = base.clone();
        if let Some(a) = &self.automatic {
            p.automatic = a.clone();
        }
        for rule in &self.non_issues {
            let name = rule.name.trim();
            let existing = p
                .non_issues
                .iter()
                .position(|r| r.name.trim().eq_ignore_ascii_case(name));
            let i = existing.unwrap_or_else(|| {
                p.non_issues.push(NonIssueRule {
                    name: name.to_string(),
                    patterns: Vec::new(),
                });
                p.non_issues.len() - 1
            });
            extend_unique(&mut p.non_issues[i].patterns, &rule.patterns);
        }
        extend_unique(&mut p.users_list_phrases, &self.users_list_phrases);
        extend_unique(&mut p.license_phrases, &self.license_phrases);
        extend_unique(&mut p.scanner_signatures, &self.scanner_signatures);
        extend_unique(&mut p.spam_markers, &self.spam_markers);
        extend_unique(&mut p.generic_phrases, &self.generic_phrases);
        extend_unique(&mut p.not_security_phrases, &self.not_security_phrases);
        p
    }

    /// The names of the non-issue rules these overrides add or extend.
    pub fn non_issue_names(&self) -> impl Iterator<Item = &str> {
        self.non_issues.iter().map(|r| r.name.trim())
    }

    /// The phrase lists with the field names errors give.
    fn lists(&self) -> [(&'static str, &[String]); 6] {
        [
            ("triage.users_list_phrases", &self.users_list_phrases),
            ("triage.license_phrases", &self.license_phrases),
            ("triage.scanner_signatures", &self.scanner_signatures),
            ("triage.spam_markers", &self.spam_markers),
            ("triage.generic_phrases", &self.generic_phrases),
            ("triage.not_security_phrases", &self.not_security_phrases),
        ]
    }
}

/// A genuine report must be read by a person, and a duplicate is only a guess from
/// other reports' text: neither may ever be closed without a click.
fn validate_automatic(auto: &[TriageClass]) -> Result<(), DomainError> {
    for class in auto {
        let why = match class {
            TriageClass::Report => {
                "`report` can never be automatic: a report that looks genuine is always read \
                 by a person"
            }
            TriageClass::Duplicate => {
                "`duplicate` can never be automatic: a suspected duplicate is confirmed by a \
                 person who compared both reports"
            }
            _ => continue,
        };
        return Err(DomainError::invalid("triage.automatic", why));
    }
    Ok(())
}

fn validate_rules(rules: &[NonIssueRule]) -> Result<(), DomainError> {
    const FIELD: &str = "triage.non_issues";
    if rules.len() > MAX_NON_ISSUE_RULES {
        return Err(DomainError::invalid(
            FIELD,
            format!(
                "has {} rules; at most {MAX_NON_ISSUE_RULES} are allowed",
                rules.len()
            ),
        ));
    }
    for rule in rules {
        crate::text::required_line(FIELD, &rule.name).map_err(|e| {
            DomainError::invalid(FIELD, format!("a rule's name: {}", message_of(&e)))
        })?;
        if rule.patterns.is_empty() || rule.patterns.len() > MAX_RULE_PATTERNS {
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "rule {:?} has {} patterns; it needs 1 to {MAX_RULE_PATTERNS}",
                    rule.name,
                    rule.patterns.len()
                ),
            ));
        }
        for (i, p) in rule.patterns.iter().enumerate() {
            validate_pattern(FIELD, i, p).map_err(|e| {
                DomainError::invalid(FIELD, format!("rule {:?}: {}", rule.name, message_of(&e)))
            })?;
        }
    }
    Ok(())
}

/// A pattern is one line of at most [`MAX_PATTERN_CHARS`] characters with 1 to
/// [`MAX_PATTERN_WORDS`] words (letters or digits; punctuation alone matches nothing).
fn validate_pattern(field: &'static str, index: usize, p: &str) -> Result<(), DomainError> {
    let bad =
        |why: &str| DomainError::invalid(field, format!("pattern {} ({p:?}) {why}", index + 1));
    if p.chars().count() > MAX_PATTERN_CHARS {
        return Err(bad(&format!(
            "is longer than {MAX_PATTERN_CHARS} characters"
        )));
    }
    if p.chars().any(char::is_control) {
        return Err(bad("must be one line without control characters"));
    }
    let words = p
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    if words == 0 {
        return Err(bad(
            "has no letters or digits; patterns match words, punctuation is ignored",
        ));
    }
    if words > MAX_PATTERN_WORDS {
        return Err(bad(&format!("has more than {MAX_PATTERN_WORDS} words")));
    }
    Ok(())
}

fn message_of(e: &DomainError) -> String {
    match e {
        DomainError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Appends the entries of `add` that `list` does not hold yet (ignoring case and
/// surrounding spaces), so a repeated phrase never gives a reason twice.
fn extend_unique(list: &mut Vec<String>, add: &[String]) {
    for a in add {
        let a = a.trim();
        if !a.is_empty() && !list.iter().any(|p| p.trim().eq_ignore_ascii_case(a)) {
            list.push(a.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, patterns: &[&str]) -> NonIssueRule {
        NonIssueRule::new(name, patterns)
    }

    #[test]
    fn overrides_add_to_every_list_and_never_replace() {
        let base = TriagePolicy::default();
        let o = TriageOverrides {
            non_issues: vec![
                rule("Self-XSS", &["self-xss", "self xss"]),
                rule("clickjacking", &["framing the login page"]),
            ],
            users_list_phrases: vec!["how do I tune the broker".into()],
            spam_markers: vec!["crypto giveaway".into(), "SEO".into()],
            ..Default::default()
        };
        o.validate().unwrap();
        let p = o.apply_to(&base);
        assert_eq!(p.automatic, base.automatic);
        // A new rule is added; a rule of the same name (any case) gains the patterns.
        assert_eq!(p.non_issues.len(), base.non_issues.len() + 1);
        let self_xss = p.non_issues.iter().find(|r| r.name == "Self-XSS").unwrap();
        assert_eq!(self_xss.patterns, ["self-xss", "self xss"]);
        let click = p
            .non_issues
            .iter()
            .find(|r| r.name == "Clickjacking")
            .unwrap();
        assert!(click.patterns.iter().any(|p| p == "framing the login page"));
        assert!(click.patterns.len() > 1, "the default patterns stay");
        // Lists keep the defaults and gain the new phrases, without repeats.
        assert!(p.users_list_phrases.starts_with(&base.users_list_phrases));
        assert!(
            p.users_list_phrases
                .iter()
                .any(|x| x == "how do I tune the broker")
        );
        assert!(p.spam_markers.iter().any(|x| x == "crypto giveaway"));
        let seo = p
            .spam_markers
            .iter()
            .filter(|x| x.eq_ignore_ascii_case("seo"))
            .count();
        assert_eq!(seo, 1);
        // A project on top of the organisation's additions extends them again.
        let project = TriageOverrides {
            non_issues: vec![rule("Self-XSS", &["xss in my own profile"])],
            automatic: Some(vec![TriageClass::Spam]),
            ..Default::default()
        };
        let q = project.apply_to(&p);
        assert_eq!(q.automatic, [TriageClass::Spam]);
        let self_xss = q.non_issues.iter().find(|r| r.name == "Self-XSS").unwrap();
        assert_eq!(self_xss.patterns.len(), 3);
    }

    #[test]
    fn report_and_duplicate_are_never_automatic() {
        for class in [TriageClass::Report, TriageClass::Duplicate] {
            let o = TriageOverrides {
                automatic: Some(vec![TriageClass::Spam, class]),
                ..Default::default()
            };
            let err = o.validate().unwrap_err().to_string();
            assert!(err.starts_with("triage.automatic: "), "{err}");
            assert!(err.contains(class.as_str()), "{err}");
            assert!(err.contains("never be automatic"), "{err}");
        }
        let ok = TriageOverrides {
            automatic: Some(vec![TriageClass::Spam, TriageClass::ScannerOutput]),
            ..Default::default()
        };
        ok.validate().unwrap();
    }

    #[test]
    fn validation_errors_name_the_field_and_the_entry() {
        let err = |o: TriageOverrides| o.validate().unwrap_err().to_string();
        let long = TriageOverrides {
            license_phrases: vec!["ok".into(), "x".repeat(121)],
            ..Default::default()
        };
        let e = err(long);
        assert!(e.starts_with("triage.license_phrases: pattern 2"), "{e}");
        assert!(e.contains("longer than 120 characters"), "{e}");

        let many = TriageOverrides {
            spam_markers: vec!["spam".into(); MAX_LIST_ENTRIES + 1],
            ..Default::default()
        };
        let e = err(many);
        assert!(e.starts_with("triage.spam_markers: has 501 entries"), "{e}");

        let punct = TriageOverrides {
            generic_phrases: vec!["--->".into()],
            ..Default::default()
        };
        assert!(err(punct).contains("has no letters or digits"));

        let words = TriageOverrides {
            not_security_phrases: vec!["a ".repeat(17)],
            ..Default::default()
        };
        assert!(err(words).contains("more than 16 words"));

        let newline = TriageOverrides {
            scanner_signatures: vec!["trivy\nscan".into()],
            ..Default::default()
        };
        assert!(err(newline).starts_with("triage.scanner_signatures: pattern 1"));

        let no_patterns = TriageOverrides {
            non_issues: vec![rule("Self-XSS", &[])],
            ..Default::default()
        };
        let e = err(no_patterns);
        assert!(
            e.starts_with("triage.non_issues: rule \"Self-XSS\" has 0 patterns"),
            "{e}"
        );
        let no_name = TriageOverrides {
            non_issues: vec![rule("  ", &["x"])],
            ..Default::default()
        };
        assert!(err(no_name).contains("a rule's name: must not be empty"));
        let bad_pattern = TriageOverrides {
            users_list_phrases: vec![],
            non_issues: vec![rule("Rate limits", &["rate limit", "..."])],
            ..Default::default()
        };
        let e = err(bad_pattern);
        assert!(e.contains("rule \"Rate limits\": pattern 2"), "{e}");
    }

    #[test]
    fn the_default_data_passes_its_own_validation() {
        let d = TriagePolicy::default();
        let as_overrides = TriageOverrides {
            automatic: Some(d.automatic.clone()),
            non_issues: d.non_issues.clone(),
            users_list_phrases: d.users_list_phrases.clone(),
            license_phrases: d.license_phrases.clone(),
            scanner_signatures: d.scanner_signatures.clone(),
            spam_markers: d.spam_markers.clone(),
            generic_phrases: d.generic_phrases.clone(),
            not_security_phrases: d.not_security_phrases.clone(),
        };
        as_overrides.validate().unwrap();
        assert!(d.automatic.is_empty());
    }

    #[test]
    fn the_toml_shape_deserializes() {
        let o: TriageOverrides = serde_json::from_value(serde_json::json!({
            "automatic": ["spam"],
            "spam_markers": ["crypto giveaway"],
            "non_issues": [{"name": "Self-XSS", "patterns": ["self-xss"]}],
        }))
        .unwrap();
        assert_eq!(o.automatic, Some(vec![TriageClass::Spam]));
        assert_eq!(o.non_issues[0].name, "Self-XSS");
        // Unknown fields are refused, so a typo is not silently ignored.
        let typo = serde_json::from_value::<TriageOverrides>(serde_json::json!({
            "spam_marker": ["x"],
        }));
        assert!(typo.is_err());
        // A stored policy from before these fields still reads.
        let old: TriagePolicy =
            serde_json::from_value(serde_json::json!({"automatic": []})).unwrap();
        assert_eq!(old.automatic, []);
    }
}
