//! Where the release announcement goes and whom it comes from (docs/process.md#step-11-announce,
//! the ASF committer process's step 16): the destinations a project configures
//! (`announce_to`, else the organisation's), resolved for one report into addresses,
//! and the address it is sent from (`announce_from`, else the project's own).
//!
//! Each destination gets a copy of its own: a public list never sees the reporter's
//! address, and each copy's delivery is recorded apart (docs/mail.md#announcements).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::ids::Email;
use crate::lifecycle::Contacts;
use crate::report::Report;

/// Most destinations one announcement may have: a handful of lists is what a project
/// has; hundreds would be a mistake in the file, not a policy.
pub const MAX_DESTINATIONS: usize = 20;

/// One place the announcement goes: a role resolved for each report, or a fixed
/// address (a public list such as oss-security).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Destination {
    /// The project's users list (`users_list` in the projects file).
    UsersList,
    /// The handling team's list: the project's security list, else the organisation's.
    SecurityList,
    /// The reporter, when they gave an address.
    Reporter,
    /// The organisation security team (the CNA).
    Organisation,
    /// A fixed address, e.g. `oss-security@lists.openwall.com`.
    Address(Email),
}

impl Destination {
    /// The spellings of the roles, as the projects file and the configuration write them.
    pub const ROLES: [&'static str; 4] =
        ["users_list", "security_list", "reporter", "organisation"];

    /// A role's name or an address.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Ok(match s {
            "users_list" => Self::UsersList,
            "security_list" => Self::SecurityList,
            "reporter" => Self::Reporter,
            "organisation" => Self::Organisation,
            _ if s.contains('@') => Self::Address(Email::parse(s).map_err(|e| {
                DomainError::invalid("announce_to", format!("{s:?} is not an address: {e}"))
            })?),
            _ => {
                return Err(DomainError::invalid(
                    "announce_to",
                    format!(
                        "{s:?} is not a destination: one of {} or an e-mail address",
                        Self::ROLES.join(", ")
                    ),
                ));
            }
        })
    }

    /// What a copy of the database may show of the destination: its role, or
    /// `address` for a fixed address (the address itself is sealed).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UsersList => "users_list",
            Self::SecurityList => "security_list",
            Self::Reporter => "reporter",
            Self::Organisation => "organisation",
            Self::Address(_) => "address",
        }
    }

    /// How the report page names it.
    pub fn label(&self) -> String {
        match self {
            Self::UsersList => "users list".into(),
            Self::SecurityList => "security list".into(),
            Self::Reporter => "reporter".into(),
            Self::Organisation => "organisation security team".into(),
            Self::Address(e) => e.to_string(),
        }
    }

    /// The organisation's destinations when nothing is configured: the handling team,
    /// the reporter and the organisation team, as before destinations existed.
    pub fn defaults() -> Vec<Destination> {
        vec![Self::SecurityList, Self::Reporter, Self::Organisation]
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(e) => f.write_str(e.as_str()),
            other => f.write_str(other.kind()),
        }
    }
}

impl TryFrom<String> for Destination {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Destination> for String {
    fn from(d: Destination) -> Self {
        d.to_string()
    }
}

/// Checks a configured list: not empty, no destination twice, at most
/// [`MAX_DESTINATIONS`].
pub fn check_destinations(list: &[Destination]) -> Result<(), DomainError> {
    if list.is_empty() {
        return Err(DomainError::invalid(
            "announce_to",
            "must name at least one destination (leave it out to use the organisation's)",
        ));
    }
    if list.len() > MAX_DESTINATIONS {
        return Err(DomainError::invalid(
            "announce_to",
            format!("at most {MAX_DESTINATIONS} destinations"),
        ));
    }
    for (i, d) in list.iter().enumerate() {
        if list[..i].contains(d) {
            return Err(DomainError::invalid(
                "announce_to",
                format!("{d} is named twice"),
            ));
        }
    }
    Ok(())
}

/// Who a human-approved mail comes from: a display name (any text on one line; the
/// mail crate quotes it as RFC 5322 needs) and an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sender {
    pub name: String,
    pub address: Email,
}

impl Sender {
    /// `Name <address>` (the name may be in double quotes) or a bare address, which
    /// then goes out without a display name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let bad = |why: String| DomainError::invalid("announce_from", why);
        let Some((name, rest)) = s.rsplit_once('<') else {
            let address = Email::parse(s).map_err(|e| bad(e.to_string()))?;
            return Ok(Self {
                name: String::new(),
                address,
            });
        };
        let address = rest
            .strip_suffix('>')
            .ok_or_else(|| bad(format!("{s:?}: the address must end with '>'")))?;
        let address = Email::parse(address).map_err(|e| bad(e.to_string()))?;
        let name = name.trim();
        let name = name
            .strip_prefix('"')
            .and_then(|n| n.strip_suffix('"'))
            .unwrap_or(name)
            .trim();
        Self::new(name, address)
    }

    /// A sender with this display name; the name is one line without `<`, `>` or `"`
    /// (commas, parentheses and any letters are fine).
    pub fn new(name: &str, address: Email) -> Result<Self, DomainError> {
        let name = name.trim();
        if name
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | '"'))
            || name.chars().count() > crate::text::MAX_LINE_CHARS
        {
            return Err(DomainError::invalid(
                "announce_from",
                format!(
                    "{name:?}: a display name is one line of at most {} characters, without <, > or \"",
                    crate::text::MAX_LINE_CHARS
                ),
            ));
        }
        Ok(Self {
            name: name.to_string(),
            address,
        })
    }
}

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(self.address.as_str())
        } else {
            write!(f, "{} <{}>", self.name, self.address)
        }
    }
}

impl TryFrom<String> for Sender {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Sender> for String {
    fn from(s: Sender) -> Self {
        s.to_string()
    }
}

/// One destination of one report's announcement, and the address it has for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub destination: Destination,
    pub target: Target,
}

/// Where a destination's copy goes for this report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A copy goes to this address.
    Address(Email),
    /// No address for it (a project without a users list, a reporter who gave none).
    NoAddress,
    /// An earlier destination has the same address: it gets one copy, not two.
    SameAs(Destination),
}

/// The destinations `to` for `report`, in their order: an address for each, or why
/// none. Addresses compare without case.
pub fn resolve(to: &[Destination], report: &Report, contacts: &Contacts) -> Vec<Resolved> {
    let mut taken: Vec<(Email, Destination)> = Vec::new();
    to.iter()
        .map(|d| {
            let address = match d {
                Destination::UsersList => contacts.users_list.clone(),
                Destination::SecurityList => Some(contacts.team.clone()),
                Destination::Reporter => report.reporter.email.clone(),
                Destination::Organisation => Some(contacts.org_security.clone()),
                Destination::Address(e) => Some(e.clone()),
            };
            let target = match address {
                None => Target::NoAddress,
                Some(a) => match taken
                    .iter()
                    .find(|(t, _)| t.as_str().eq_ignore_ascii_case(a.as_str()))
                {
                    Some((_, first)) => Target::SameAs(first.clone()),
                    None => {
                        taken.push((a.clone(), d.clone()));
                        Target::Address(a)
                    }
                },
            };
            Resolved {
                destination: d.clone(),
                target,
            }
        })
        .collect()
}

/// Whom the announcement comes from: the configured sender, else the project's own
/// address (its security list) named after the project, else the organisation's.
pub fn sender(configured: Option<&Sender>, report: &Report, contacts: &Contacts) -> Sender {
    if let Some(s) = configured {
        return s.clone();
    }
    let own_list = !contacts
        .team
        .as_str()
        .eq_ignore_ascii_case(contacts.org_security.as_str());
    let name = match &report.project {
        Some(p) if own_list => format!("{} Security", p.name),
        _ => format!("{} Security", contacts.org_name),
    };
    Sender {
        // The names come from the configuration, checked when it was read; one that
        // is not a valid display name is sent without one rather than not at all.
        name: Sender::new(&name, contacts.team.clone())
            .map(|s| s.name)
            .unwrap_or_default(),
        address: contacts.team.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn destinations_parse_roles_and_addresses_and_say_what_is_wrong() {
        assert_eq!(
            Destination::parse(" users_list ").unwrap(),
            Destination::UsersList
        );
        assert_eq!(
            Destination::parse("oss-security@Lists.Openwall.com").unwrap(),
            Destination::Address(email("oss-security@lists.openwall.com"))
        );
        let err = Destination::parse("users").unwrap_err().to_string();
        assert!(
            err.contains("announce_to") && err.contains("users_list, security_list"),
            "{err}"
        );
        let err = Destination::parse("a b@example.org")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an address"), "{err}");
        for d in Destination::defaults() {
            assert_eq!(Destination::parse(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn lists_are_checked() {
        assert!(check_destinations(&[]).is_err());
        let twice = [Destination::Reporter, Destination::Reporter];
        assert!(
            check_destinations(&twice)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        assert!(check_destinations(&Destination::defaults()).is_ok());
    }

    #[test]
    fn senders_keep_commas_and_parentheses_in_their_names() {
        let s = Sender::parse("\"Example, Inc.\" <security@example.org>").unwrap();
        assert_eq!(s.name, "Example, Inc.");
        assert_eq!(s.address.as_str(), "security@example.org");
        let s = Sender::parse("Foo (Security) <sec@foo.example>").unwrap();
        assert_eq!(s.name, "Foo (Security)");
        assert_eq!(Sender::parse(&s.to_string()).unwrap(), s);
        let bare = Sender::parse("sec@foo.example").unwrap();
        assert_eq!(
            (bare.name.as_str(), bare.to_string()),
            ("", "sec@foo.example".into())
        );
        assert!(Sender::parse("Eve <eve@x.example").is_err());
        assert!(Sender::parse("Say \"hi\" <a@x.example>").is_err());
    }
}
