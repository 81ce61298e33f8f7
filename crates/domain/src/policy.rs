//! Handling policy: deadlines, time zone and holidays, per organisation and per project.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::announce::{Destination, Sender, check_destinations};
use crate::calendar::Calendar;
use crate::triage::policy::{TriageOverrides, TriagePolicy};

/// The effective policy for one project (the organisation's, with the project's overrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Working days to acknowledge a new report (Dapr: 3).
    pub acknowledge_working_days: u32,
    /// Hours, after acknowledgement, for two team members to discuss it (Dapr: 24).
    pub discuss_hours: u32,
    /// Calendar days from acceptance to announcement (Dapr: 30).
    pub announce_days: u32,
    /// Calendar days the reporter may stay silent after a team reply before being
    /// reminded once; as many again and the team is told (docs/clocks.md).
    #[serde(default = "default_reporter_silent_days")]
    pub reporter_silent_days: u32,
    /// IANA time zone in which working days are counted.
    pub time_zone: String,
    /// Days off besides weekends.
    pub holidays: Vec<Date>,
    /// Findings the organisation and project do not treat as vulnerabilities.
    pub known_non_issues: Vec<String>,
    /// The triage rules' data (docs/triage.md).
    #[serde(default)]
    pub triage: TriagePolicy,
    /// Where the release announcement goes (docs/process.md#step-11-announce).
    #[serde(default = "Destination::defaults")]
    pub announce_to: Vec<Destination>,
    /// Whom it comes from; `None`: the project's own address (`announce::sender`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce_from: Option<Sender>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            acknowledge_working_days: 3,
            discuss_hours: 24,
            announce_days: 30,
            reporter_silent_days: default_reporter_silent_days(),
            time_zone: "UTC".into(),
            holidays: Vec::new(),
            // The ASF's known non-issues (docs/process.md#non-issues-and-usage-questions).
            known_non_issues: vec![
                "A lack of DMARC or SPF records".into(),
                "Clickjacking".into(),
                "Directory listings".into(),
                "Disclosure of server or software versions".into(),
                "Data that is already public in the issue tracker".into(),
            ],
            triage: TriagePolicy::default(),
            announce_to: Destination::defaults(),
            announce_from: None,
        }
    }
}

/// What a project's file may override; absent fields inherit the organisation's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverrides {
    pub acknowledge_working_days: Option<u32>,
    pub discuss_hours: Option<u32>,
    pub announce_days: Option<u32>,
    pub reporter_silent_days: Option<u32>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub holidays: Vec<Date>,
    #[serde(default)]
    pub extra_non_issues: Vec<String>,
    /// `[policy.triage]`: additions to the triage rules' data.
    #[serde(default)]
    pub triage: TriageOverrides,
    /// The announcement's destinations; replaces the organisation's list, not added to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce_to: Option<Vec<Destination>>,
    /// The announcement's sender, `Name <address>` or an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce_from: Option<Sender>,
}

impl PolicyOverrides {
    /// Checks ranges and the time zone name, so a bad file is refused at import.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_range(
            "acknowledge_working_days",
            self.acknowledge_working_days,
            1,
            60,
        )?;
        check_range("discuss_hours", self.discuss_hours, 1, 24 * 30)?;
        check_range("announce_days", self.announce_days, 1, 365)?;
        check_range("reporter_silent_days", self.reporter_silent_days, 1, 180)?;
        if let Some(tz) = &self.time_zone {
            Calendar::new(tz, &[])?;
        }
        if self.holidays.len() > 1000 {
            return Err(DomainError::invalid("holidays", "at most 1000 holidays"));
        }
        for n in &self.extra_non_issues {
            crate::text::required_line("extra_non_issues", n)?;
        }
        if let Some(to) = &self.announce_to {
            check_destinations(to)?;
        }
        self.triage.validate()
    }

    pub fn apply_to(&self, base: &Policy) -> Policy {
        let mut p = base.clone();
        if let Some(v) = self.acknowledge_working_days {
            p.acknowledge_working_days = v;
        }
        if let Some(v) = self.discuss_hours {
            p.discuss_hours = v;
        }
        if let Some(v) = self.announce_days {
            p.announce_days = v;
        }
        if let Some(v) = self.reporter_silent_days {
            p.reporter_silent_days = v;
        }
        if let Some(v) = &self.time_zone {
            p.time_zone = v.clone();
        }
        p.holidays.extend(self.holidays.iter().copied());
        p.holidays.sort();
        p.holidays.dedup();
        p.known_non_issues
            .extend(self.extra_non_issues.iter().cloned());
        p.triage = self.triage.apply_to(&p.triage);
        if let Some(to) = &self.announce_to {
            p.announce_to = to.clone();
        }
        if let Some(from) = &self.announce_from {
            p.announce_from = Some(from.clone());
        }
        // The triage rules a project adds are non-issues its public page names too.
        for name in self.triage.non_issue_names() {
            if !p
                .known_non_issues
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(name))
            {
                p.known_non_issues.push(name.to_string());
            }
        }
        p
    }
}

impl Policy {
    pub fn calendar(&self) -> Result<Calendar, DomainError> {
        Calendar::new(&self.time_zone, &self.holidays)
    }
}

fn default_reporter_silent_days() -> u32 {
    14
}

fn check_range(field: &'static str, v: Option<u32>, min: u32, max: u32) -> Result<(), DomainError> {
    match v {
        Some(v) if !(min..=max).contains(&v) => Err(DomainError::invalid(
            field,
            format!("{v} is out of range ({min} to {max})"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_and_validate() {
        let o = PolicyOverrides {
            acknowledge_working_days: Some(5),
            time_zone: Some("Europe/Amsterdam".into()),
            holidays: vec![jiff::civil::date(2026, 12, 25)],
            extra_non_issues: vec!["Self-XSS".into()],
            ..Default::default()
        };
        o.validate().unwrap();
        let p = o.apply_to(&Policy::default());
        assert_eq!(p.acknowledge_working_days, 5);
        assert_eq!(p.discuss_hours, 24);
        assert_eq!(p.time_zone, "Europe/Amsterdam");
        assert!(p.known_non_issues.iter().any(|n| n == "Self-XSS"));
        assert!(p.known_non_issues.iter().any(|n| n == "Clickjacking"));
        // Every default triage rule is one of the listed non-issues, by name.
        let d = Policy::default();
        for name in d.triage.non_issue_names() {
            assert!(d.known_non_issues.iter().any(|n| n == name), "{name}");
        }

        let bad_tz = PolicyOverrides {
            time_zone: Some("Mars/Olympus".into()),
            ..Default::default()
        };
        assert!(
            bad_tz
                .validate()
                .unwrap_err()
                .to_string()
                .contains("Mars/Olympus")
        );
        let with_rules = PolicyOverrides {
            triage: crate::triage::policy::TriageOverrides {
                non_issues: vec![
                    crate::triage::policy::NonIssueRule::new("Self-XSS", &["self-xss"]),
                    crate::triage::policy::NonIssueRule::new("clickjacking", &["framed"]),
                ],
                ..Default::default()
            },
            ..Default::default()
        };
        let p = with_rules.apply_to(&Policy::default());
        assert!(p.known_non_issues.iter().any(|n| n == "Self-XSS"));
        // A rule extending a listed non-issue does not list it twice.
        let listed = p
            .known_non_issues
            .iter()
            .filter(|n| n.eq_ignore_ascii_case("clickjacking"))
            .count();
        assert_eq!(listed, 1);

        let bad_days = PolicyOverrides {
            acknowledge_working_days: Some(0),
            ..Default::default()
        };
        assert!(bad_days.validate().is_err());
    }

    #[test]
    fn a_project_announce_list_replaces_the_organisation_one() {
        let org = PolicyOverrides {
            announce_to: Some(vec![
                Destination::SecurityList,
                Destination::parse("oss-security@lists.openwall.com").unwrap(),
            ]),
            announce_from: Some(Sender::parse("\"Example, Inc.\" <security@example.org>").unwrap()),
            ..Default::default()
        }
        .apply_to(&Policy::default());
        assert_eq!(Policy::default().announce_to, Destination::defaults());
        assert_eq!(org.announce_to.len(), 2);
        let project = PolicyOverrides {
            announce_to: Some(vec![Destination::UsersList, Destination::Reporter]),
            ..Default::default()
        };
        project.validate().unwrap();
        let p = project.apply_to(&org);
        assert_eq!(
            p.announce_to,
            vec![Destination::UsersList, Destination::Reporter]
        );
        assert_eq!(p.announce_from.unwrap().name, "Example, Inc.");
        // Stored as the projects table keeps it (JSON), and read back the same.
        let json = serde_json::to_string(&project).unwrap();
        assert_eq!(
            serde_json::from_str::<PolicyOverrides>(&json).unwrap(),
            project
        );
        let empty = PolicyOverrides {
            announce_to: Some(vec![]),
            ..Default::default()
        };
        assert!(
            empty
                .validate()
                .unwrap_err()
                .to_string()
                .contains("announce_to")
        );
    }
}
