//! Intake: turning what a reporter typed (web form, API, later e-mail) into a report.

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::ids::{Email, ProjectSlug};
use crate::text::{MAX_DESCRIPTION_BYTES, optional_line, required_line, required_text};

/// A submission as it arrives, every field still untrusted text.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submission {
    /// A project slug, or empty / "unknown" when the reporter does not know.
    #[serde(default)]
    pub project: Option<String>,
    /// One line, at most 300 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub title: String,
    /// Plain text, at most 256 KiB.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub description: String,
    #[serde(default)]
    pub affected_versions: Option<String>,
    #[serde(default)]
    pub reporter_name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Email))]
    pub reporter_email: Option<String>,
    /// How to be credited; empty means "do not credit me".
    #[serde(default)]
    pub credit: Option<String>,
}

/// A submission that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReport {
    pub project: Option<ProjectSlug>,
    pub title: String,
    pub description: String,
    pub affected_versions: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<Email>,
    pub credit: Option<String>,
}

impl Submission {
    pub fn parse(&self) -> Result<NewReport, DomainError> {
        let project = match self.project.as_deref().map(str::trim) {
            None | Some("" | "unknown") => None,
            Some(s) => Some(ProjectSlug::parse(s)?),
        };
        let opt = |field, v: &Option<String>| match v {
            Some(v) => optional_line(field, v),
            None => Ok(None),
        };
        Ok(NewReport {
            project,
            title: required_line("title", &self.title)?,
            description: required_text("description", &self.description, MAX_DESCRIPTION_BYTES)?,
            affected_versions: opt("affected_versions", &self.affected_versions)?,
            reporter_name: opt("reporter_name", &self.reporter_name)?,
            reporter_email: match self.reporter_email.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(e) => Some(Email::parse(e).map_err(|e| match e {
                    DomainError::Invalid { message, .. } => {
                        DomainError::invalid("reporter_email", message)
                    }
                    other => other,
                })?),
            },
            credit: opt("credit", &self.credit)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub() -> Submission {
        Submission {
            project: Some("kafka".into()),
            title: "Deserialization in Connect REST API".into(),
            description: "Steps:\r\n1. POST ...\r\n".into(),
            affected_versions: Some("3.0 - 3.7".into()),
            reporter_name: Some("Ann Researcher".into()),
            reporter_email: Some("ann@example.net".into()),
            credit: Some("Ann Researcher of Example Labs".into()),
        }
    }

    #[test]
    fn a_good_submission_parses() {
        let r = sub().parse().unwrap();
        assert_eq!(r.project.unwrap().as_str(), "kafka");
        assert_eq!(r.description, "Steps:\n1. POST ...");
    }

    #[test]
    fn unknown_project_is_routed_to_the_organisation() {
        for p in [None, Some(""), Some("unknown")] {
            let mut s = sub();
            s.project = p.map(Into::into);
            assert_eq!(s.parse().unwrap().project, None);
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        #[expect(
            clippy::type_complexity,
            reason = "a table of (mutation, expected field) pairs"
        )]
        let cases: Vec<(fn(&mut Submission), &str)> = vec![
            (|s| s.title = "".into(), "title:"),
            (|s| s.description = " ".into(), "description:"),
            (
                |s| s.description = "x".repeat(MAX_DESCRIPTION_BYTES + 1),
                "description:",
            ),
            (
                |s| s.reporter_email = Some("nope".into()),
                "reporter_email:",
            ),
            (|s| s.project = Some("../etc".into()), "project:"),
            (|s| s.title = "<script>\nalert(1)".into(), "title:"),
        ];
        for (mutate, prefix) in cases {
            let mut s = sub();
            mutate(&mut s);
            let err = s.parse().unwrap_err().to_string();
            assert!(err.starts_with(prefix), "{err} should start with {prefix}");
        }
    }

    #[test]
    fn largest_allowed_description_is_accepted() {
        let mut s = sub();
        s.description = "x".repeat(MAX_DESCRIPTION_BYTES);
        assert!(s.parse().is_ok());
    }
}
