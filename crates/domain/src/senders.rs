//! Sender rules: the organisation team blocks or throttles a sender, by address
//! (`mallory@example.com`) or by domain (`@spam.example`, `spam.example`). This module
//! owns the pure part: reading a pattern, the patterns an address falls under, whether
//! a pattern matches, the bounds, and which rule decides (docs/mail.md, "Held mail and
//! sender controls").
//!
//! Addresses are compared without regard to case, local part included: a sender who
//! varies the case of their address is still the same sender. A domain pattern covers
//! its subdomains too (`spam.example` holds `x@mx.spam.example`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::text::required_line;

/// Longest pattern, as an address may be (RFC 5321).
pub const MAX_PATTERN_CHARS: usize = 254;
/// Most rules in force at once.
pub const MAX_ACTIVE_RULES: usize = 1000;
/// New reports a day a throttled sender may make unless the rule says otherwise.
pub const DEFAULT_PER_DAY: u32 = 3;
/// The largest daily limit a throttle may set (more is no throttle).
pub const MAX_PER_DAY: u32 = 1000;
/// An address is looked up under at most this many domains: its own and the parents
/// nearest the root (a sender cannot slip out from under a domain rule by nesting).
const MAX_DOMAINS: usize = 16;

/// Who a rule is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SenderPattern {
    /// One address, lower case.
    Address(String),
    /// A domain and its subdomains, lower case, without the `@`.
    Domain(String),
}

/// Whether a pattern names an address or a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PatternScope {
    Address,
    Domain,
}

impl PatternScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Domain => "domain",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "address" => Some(Self::Address),
            "domain" => Some(Self::Domain),
            _ => None,
        }
    }
}

impl SenderPattern {
    /// Reads `mallory@example.com`, `@spam.example` or `spam.example`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        let bad = |why: String| DomainError::invalid("pattern", why);
        if s.is_empty() {
            return Err(bad(
                "must not be empty: give an address (mallory@example.com) or a domain \
                 (@spam.example)"
                    .into(),
            ));
        }
        if s.chars().count() > MAX_PATTERN_CHARS {
            return Err(bad(format!(
                "is longer than {MAX_PATTERN_CHARS} characters"
            )));
        }
        let lower = s.to_lowercase();
        if let Some(domain) = lower.strip_prefix('@') {
            return valid_domain(domain)
                .map(Self::Domain)
                .ok_or_else(|| bad(format!("{s:?} is not a domain (like @spam.example)")));
        }
        match lower.rsplit_once('@') {
            Some((local, domain)) => {
                crate::ids::Email::parse(&lower).map_err(|e| match e {
                    DomainError::Invalid { message, .. } => bad(message),
                    other => other,
                })?;
                let domain = valid_domain(domain)
                    .ok_or_else(|| bad(format!("{s:?} does not have a valid domain")))?;
                Ok(Self::Address(format!("{local}@{domain}")))
            }
            None => valid_domain(&lower).map(Self::Domain).ok_or_else(|| {
                bad(format!(
                    "{s:?} is neither an address (mallory@example.com) nor a domain \
                     (spam.example, with at least one dot)"
                ))
            }),
        }
    }

    pub fn scope(&self) -> PatternScope {
        match self {
            Self::Address(_) => PatternScope::Address,
            Self::Domain(_) => PatternScope::Domain,
        }
    }

    /// What the store hashes to find the rule: the scope and the lower-case text, so
    /// that an address and a domain can never be mistaken for each other.
    pub fn key(&self) -> String {
        match self {
            Self::Address(a) => format!("address:{a}"),
            Self::Domain(d) => format!("domain:{d}"),
        }
    }

    /// Whether mail from `address` falls under this pattern.
    pub fn matches(&self, address: &str) -> bool {
        patterns_for(address).contains(self)
    }
}

/// `mallory@example.com` or `@spam.example`.
impl fmt::Display for SenderPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(a) => f.write_str(a),
            Self::Domain(d) => write!(f, "@{d}"),
        }
    }
}

/// A domain of two labels or more, lower case, without a trailing dot; `None` if it is
/// not one.
fn valid_domain(domain: &str) -> Option<String> {
    let domain = domain.strip_suffix('.').unwrap_or(domain).to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    ok.then_some(domain)
}

/// The patterns mail from `address` falls under, most specific first: the address
/// itself, its domain and each parent domain of two labels or more. Empty when
/// `address` is not an address.
pub fn patterns_for(address: &str) -> Vec<SenderPattern> {
    let lower = address.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return Vec::new();
    };
    let Some(domain) = valid_domain(domain) else {
        return Vec::new();
    };
    if local.is_empty() {
        return Vec::new();
    }
    let mut domains = Vec::new();
    let mut rest = domain.as_str();
    while rest.contains('.') {
        domains.push(rest.to_string());
        rest = rest.split_once('.').map_or("", |(_, parent)| parent);
    }
    if domains.len() > MAX_DOMAINS {
        domains.drain(1..=domains.len() - MAX_DOMAINS);
    }
    let mut out = vec![SenderPattern::Address(format!("{local}@{domain}"))];
    out.extend(domains.into_iter().map(SenderPattern::Domain));
    out
}

/// What a rule does to mail from its senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum SenderAction {
    /// Every message is held; none becomes a report or is answered.
    Block,
    /// At most `per_day` new reports in any 24 hours; the rest are held.
    Throttle { per_day: u32 },
}

impl SenderAction {
    /// `block` or `throttle`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Throttle { .. } => "throttle",
        }
    }

    /// The action from its name and, for a throttle, its daily limit
    /// ([`DEFAULT_PER_DAY`] when left out).
    pub fn parse(action: &str, per_day: Option<u32>) -> Result<Self, DomainError> {
        match action.trim() {
            "block" => match per_day {
                None => Ok(Self::Block),
                Some(_) => Err(DomainError::invalid(
                    "per_day",
                    "is for throttles only; a block holds every message",
                )),
            },
            "throttle" => {
                let n = per_day.unwrap_or(DEFAULT_PER_DAY);
                if (1..=MAX_PER_DAY).contains(&n) {
                    Ok(Self::Throttle { per_day: n })
                } else {
                    Err(DomainError::invalid(
                        "per_day",
                        format!("must be between 1 and {MAX_PER_DAY} (reports a day)"),
                    ))
                }
            }
            other => Err(DomainError::invalid(
                "action",
                format!("{other:?} is not \"block\" or \"throttle\""),
            )),
        }
    }
}

/// Why a rule is added or lifted: required, one line, bounded. Kept sealed with the
/// rule, since a reason may name people.
pub fn reason(value: &str) -> Result<String, DomainError> {
    required_line("reason", value)
}

/// A rule in force that matched a sender, with the reports it let through in the last
/// 24 hours (throttles only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedRule {
    pub id: i64,
    pub scope: PatternScope,
    pub action: SenderAction,
    pub recent: u32,
}

/// What the rules say about a message that would start a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screening {
    /// No rule applies.
    Open,
    /// Held: this block rule (an address rule before a domain rule).
    Blocked(i64),
    /// Held: this throttle is at its daily limit.
    Throttled(i64),
    /// Let through, and counted against each of these throttles.
    Admitted(Vec<i64>),
}

/// Decides among the rules that matched: a block wins, the most specific first; then
/// any throttle at its limit holds; else the message counts against every throttle.
pub fn screen(matched: &[MatchedRule]) -> Screening {
    let block = matched
        .iter()
        .filter(|r| r.action == SenderAction::Block)
        .min_by_key(|r| (r.scope != PatternScope::Address, r.id));
    if let Some(rule) = block {
        return Screening::Blocked(rule.id);
    }
    let mut throttles = Vec::new();
    for rule in matched {
        if let SenderAction::Throttle { per_day } = rule.action {
            if rule.recent >= per_day {
                return Screening::Throttled(rule.id);
            }
            throttles.push(rule.id);
        }
    }
    if throttles.is_empty() {
        Screening::Open
    } else {
        Screening::Admitted(throttles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SenderPattern {
        SenderPattern::parse(s).unwrap()
    }

    #[test]
    fn patterns_are_read_in_every_spelling() {
        assert_eq!(
            p(" Mallory@Example.COM "),
            SenderPattern::Address("mallory@example.com".into())
        );
        assert_eq!(
            p("@Spam.Example"),
            SenderPattern::Domain("spam.example".into())
        );
        assert_eq!(
            p("spam.example."),
            SenderPattern::Domain("spam.example".into())
        );
        assert_eq!(p("@spam.example").to_string(), "@spam.example");
        assert_eq!(p("m@spam.example").key(), "address:m@spam.example");
        assert_eq!(p("spam.example").key(), "domain:spam.example");
        for bad in [
            "",
            "  ",
            "example",
            "@example",
            "@",
            "a@",
            "@-x.example",
            "a b@example.com",
            "x@@example.com",
            "<x@example.com>",
        ] {
            let err = SenderPattern::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("pattern: "), "{bad:?}: {err}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(
            SenderPattern::parse(&long)
                .unwrap_err()
                .to_string()
                .contains("longer than 254")
        );
    }

    #[test]
    fn an_address_falls_under_itself_its_domain_and_its_parents() {
        assert_eq!(
            patterns_for("Eve@MX.Spam.Example"),
            vec![
                SenderPattern::Address("eve@mx.spam.example".into()),
                SenderPattern::Domain("mx.spam.example".into()),
                SenderPattern::Domain("spam.example".into()),
            ]
        );
        assert!(patterns_for("no address").is_empty());
        assert!(patterns_for("@spam.example").is_empty());
        assert!(patterns_for("x@localhost").is_empty());
        let deep = format!("x@{}spam.example", "a.".repeat(30));
        let found = patterns_for(&deep);
        assert_eq!(found.len(), 1 + MAX_DOMAINS);
        assert!(
            found.contains(&p("@spam.example")),
            "the parents nearest the root"
        );
        assert!(p("@spam.example").matches(&deep));

        assert!(p("@spam.example").matches("a@spam.example"));
        assert!(p("spam.example").matches("a@b.spam.example"));
        assert!(!p("spam.example").matches("a@notspam.example"));
        assert!(!p("spam.example").matches("a@spam.example.org"));
        assert!(p("Mallory@example.com").matches("MALLORY@example.com"));
        assert!(!p("mallory@example.com").matches("mallory2@example.com"));
    }

    #[test]
    fn actions_and_reasons_are_bounded() {
        assert_eq!(SenderAction::parse("block", None), Ok(SenderAction::Block));
        assert_eq!(
            SenderAction::parse("throttle", None),
            Ok(SenderAction::Throttle { per_day: 3 })
        );
        assert_eq!(
            SenderAction::parse("throttle", Some(10)),
            Ok(SenderAction::Throttle { per_day: 10 })
        );
        for (action, n, field) in [
            ("throttle", Some(0), "per_day"),
            ("throttle", Some(MAX_PER_DAY + 1), "per_day"),
            ("block", Some(2), "per_day"),
            ("ban", None, "action"),
        ] {
            let err = SenderAction::parse(action, n).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{field}: ")), "{err}");
        }
        assert!(reason("  ").is_err());
        assert!(reason(&"x".repeat(301)).is_err());
        assert_eq!(reason(" floods us ").unwrap(), "floods us");
    }

    #[test]
    fn a_block_wins_then_a_full_throttle() {
        let rule = |id, scope, action, recent| MatchedRule {
            id,
            scope,
            action,
            recent,
        };
        let t = |n| SenderAction::Throttle { per_day: n };
        use PatternScope::{Address, Domain};
        assert_eq!(screen(&[]), Screening::Open);
        assert_eq!(
            screen(&[
                rule(1, Domain, SenderAction::Block, 0),
                rule(2, Address, SenderAction::Block, 0),
                rule(3, Address, t(3), 9),
            ]),
            Screening::Blocked(2)
        );
        assert_eq!(
            screen(&[rule(1, Domain, t(5), 1), rule(2, Address, t(2), 2)]),
            Screening::Throttled(2)
        );
        assert_eq!(
            screen(&[rule(1, Domain, t(5), 1), rule(2, Address, t(2), 1)]),
            Screening::Admitted(vec![1, 2])
        );
    }
}
