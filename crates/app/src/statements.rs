//! Dependency statements (VEX, docs/vex.md, "Statements, publication and the API"):
//! a project's statements kept, edited, withdrawn and imported by its team; published in
//! every VEX format (public ones only at the public URLs); and a scanner report triaged
//! against them. The formats are `embargo_formats::vex` and `embargo_formats::scan`'s;
//! the matching is the domain's (`embargo_domain::vex::matching`).
//!
//! Access is decided here, for every door: the project's team and the organisation team
//! ([`Caller::Member`] who handles the project) and the installation's administrator at
//! the command line ([`Caller::Installation`]) read and write all of a project's
//! statements; everyone else reads the public ones, and learns nothing of the others: a
//! private statement's id answers `NotFound` exactly as an unknown one, and a write by
//! anyone else is `NotFound` too.

use embargo_domain::access::{Actor, Member};
use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use embargo_store::{Project, StatementAuthor, StatementRecord, StatementVersion, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::App;
use crate::error::{Error, Result};

mod exchange;
mod reminders;

pub use exchange::{Export, ImportSummary, ScanTriage};

/// Longest free text of a statement (impact, action), in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest one-line field (component, purl, versions), in characters.
pub const MAX_LINE_CHARS: usize = 1_000;

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// Anyone (the public URLs): the public statements only.
    Anyone,
    /// A signed-in member: all statements of the projects they handle (their project's
    /// team, or the organisation team), the public ones of the others.
    Member(&'a Member),
    /// The installation's administrator at the command line (`embargo vex ...`), as
    /// the other administrative commands act.
    Installation,
}

impl Caller<'_> {
    /// Whether this caller reads and writes all of `project`'s statements.
    pub fn handles(&self, project: &Project) -> bool {
        match self {
            Self::Anyone => false,
            Self::Member(m) => m.handles_project(Some(project.id)),
            Self::Installation => true,
        }
    }

    /// The statement's author, as its history shows it.
    fn author(&self) -> String {
        match self {
            Self::Member(m) => m.email.to_string(),
            Self::Anyone => "anonymous".into(),
            Self::Installation => "command line".into(),
        }
    }

    /// The audit log's name.
    fn actor(&self) -> String {
        match self {
            Self::Member(m) => Actor::Member((*m).clone()).audit_name(),
            Self::Anyone => Actor::Anonymous.audit_name(),
            Self::Installation => "command-line".into(),
        }
    }
}

/// A project's statements as a caller may see them.
#[derive(Debug, Clone)]
pub struct ProjectStatements {
    pub project: Project,
    /// In force, oldest first: all of them for the team, the public ones for others.
    pub statements: Vec<StatementRecord>,
    /// Whether the caller handles the project (sees all and may write).
    pub team: bool,
}

/// One statement, with its history for the team (empty for anyone else: earlier
/// versions may have been private).
#[derive(Debug, Clone)]
pub struct StatementView {
    pub record: StatementRecord,
    pub history: Vec<StatementVersion>,
    pub team: bool,
}

/// A statement as a form gives it: every field text, empty for none.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatementForm {
    #[serde(default)]
    pub vulnerability: String,
    /// Other ids, separated by commas, spaces or lines.
    #[serde(default)]
    pub aliases: String,
    #[serde(default)]
    pub component: String,
    #[serde(default)]
    pub purl: String,
    #[serde(default)]
    pub product_versions: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub justification: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub fixed_in: String,
    /// `on` (a checked box) or `true`.
    #[serde(default)]
    pub public: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub until: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl StatementForm {
    /// The statement the form describes; a field that does not parse is named.
    pub fn statement(&self) -> Result<Statement> {
        let justification = match self.justification.trim() {
            "" => None,
            j => Some(Justification::parse(j)?),
        };
        let until = match self.until.trim() {
            "" => None,
            d => Some(d.parse::<Date>().map_err(|_| {
                Error::invalid("until", format!("{d:?} is not a date (YYYY-MM-DD)"))
            })?),
        };
        Ok(Statement {
            vulnerability: self.vulnerability.trim().to_string(),
            aliases: self
                .aliases
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
            component: Component {
                purl: some(&self.purl),
                name: self.component.trim().to_string(),
            },
            product_versions: some(&self.product_versions),
            status: VexStatus::parse(&self.status)?,
            justification,
            impact: some(&self.impact),
            action: some(&self.action),
            fixed_in: some(&self.fixed_in),
            public: matches!(self.public.trim(), "on" | "true" | "1" | "yes"),
            until,
        })
    }

    /// The form filled with a statement (to edit it).
    pub fn of(s: &Statement) -> Self {
        Self {
            vulnerability: s.vulnerability.clone(),
            aliases: s.aliases.join(", "),
            component: s.component.name.clone(),
            purl: s.component.purl.clone().unwrap_or_default(),
            product_versions: s.product_versions.clone().unwrap_or_default(),
            status: s.status.as_str().into(),
            justification: s
                .justification
                .map(|j| j.as_str().into())
                .unwrap_or_default(),
            impact: s.impact.clone().unwrap_or_default(),
            action: s.action.clone().unwrap_or_default(),
            fixed_in: s.fixed_in.clone().unwrap_or_default(),
            public: if s.public { "on".into() } else { String::new() },
            until: s.until.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// Checks a statement as every door must (the domain's rules, and sizes); returns it
/// normalised.
pub fn checked(statement: Statement) -> Result<Statement> {
    let s = statement.validate()?;
    for (field, value) in [("impact", &s.impact), ("action", &s.action)] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(Error::invalid(
                field,
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
    let lines = [
        ("component", Some(&s.component.name)),
        ("purl", s.component.purl.as_ref()),
        ("product_versions", s.product_versions.as_ref()),
        ("fixed_in", s.fixed_in.as_ref()),
    ];
    for (field, value) in lines {
        if value.is_some_and(|v| v.chars().count() > MAX_LINE_CHARS) {
            return Err(Error::invalid(
                field,
                format!("at most {MAX_LINE_CHARS} characters"),
            ));
        }
    }
    if s.aliases.iter().any(|a| a.chars().count() > 100) {
        return Err(Error::invalid("aliases", "each at most 100 characters"));
    }
    Ok(s)
}

/// A change refused because the statement moved on or was withdrawn, in the caller's
/// words.
fn stored_error(e: StoreError, id: i64) -> Error {
    match e {
        StoreError::Stale => Error::Conflict(format!(
            "statement #{id} was changed meanwhile; reload it and edit the current version"
        )),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

impl App {
    /// The project a slug names and whether `caller` handles it; `NotFound` for an
    /// unknown one.
    async fn statements_project(&self, caller: &Caller<'_>, slug: &str) -> Result<(Project, bool)> {
        let project = self.project(slug).await?;
        let team = caller.handles(&project);
        Ok((project, team))
    }

    /// The project, if `caller` may write its statements; `NotFound` otherwise (a
    /// project's statements are its team's business).
    async fn writable_project(&self, caller: &Caller<'_>, slug: &str) -> Result<Project> {
        match self.statements_project(caller, slug).await? {
            (project, true) => Ok(project),
            (_, false) => Err(Error::NotFound),
        }
    }

    /// A project's statements in force: all for its team, the public ones for others.
    pub async fn project_statements(
        &self,
        caller: &Caller<'_>,
        slug: &str,
    ) -> Result<ProjectStatements> {
        let (project, team) = self.statements_project(caller, slug).await?;
        let statements = self.store().statements(project.id, !team).await?;
        Ok(ProjectStatements {
            project,
            statements,
            team,
        })
    }

    /// One statement and, for the team, its history (withdrawn ones too). Anyone else
    /// gets a public statement in force, without history; `NotFound` for the rest.
    pub async fn project_statement(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        id: i64,
    ) -> Result<StatementView> {
        let (project, team) = self.statements_project(caller, slug).await?;
        let (record, history) = self
            .store()
            .statement(project.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        if team {
            return Ok(StatementView {
                record,
                history,
                team,
            });
        }
        if record.withdrawn_at.is_some() || !record.stored.statement.public {
            return Err(Error::NotFound);
        }
        Ok(StatementView {
            record,
            history: Vec::new(),
            team,
        })
    }

    /// Adds a statement (checked; audited).
    pub async fn add_statement(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        statement: Statement,
    ) -> Result<StatementRecord> {
        let project = self.writable_project(caller, slug).await?;
        let statement = checked(statement)?;
        let (author, actor) = (caller.author(), caller.actor());
        let by = author_of(&project, &author, &actor);
        Ok(self.store().add_statement(&by, &statement).await?)
    }

    /// Replaces statement `id` if it is still at `version` (else `Conflict`); the
    /// earlier version is kept.
    pub async fn update_statement(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        id: i64,
        version: i64,
        statement: Statement,
    ) -> Result<StatementRecord> {
        let project = self.writable_project(caller, slug).await?;
        let statement = checked(statement)?;
        let (author, actor) = (caller.author(), caller.actor());
        let by = author_of(&project, &author, &actor);
        self.store()
            .update_statement(&by, id, version, &statement)
            .await
            .map_err(|e| stored_error(e, id))
    }

    /// Withdraws statement `id` (at `version` when given): it leaves the lists, the
    /// exports and the triage; its history is kept.
    pub async fn withdraw_statement(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        id: i64,
        version: Option<i64>,
    ) -> Result<StatementRecord> {
        let project = self.writable_project(caller, slug).await?;
        let (author, actor) = (caller.author(), caller.actor());
        let by = author_of(&project, &author, &actor);
        self.store()
            .withdraw_statement(&by, id, version)
            .await
            .map_err(|e| stored_error(e, id))
    }
}

fn author_of<'a>(project: &'a Project, author: &'a str, actor: &'a str) -> StatementAuthor<'a> {
    StatementAuthor {
        project: project.id,
        slug: project.slug.as_str(),
        author,
        actor,
        at: Timestamp::now(),
    }
}

/// Statements whose `until` is before `today + days` (and not before today: those
/// are [`expired`]).
pub fn expiring(statement: &Statement, today: Date, days: i64) -> bool {
    statement.until.is_some_and(|until| {
        until >= today
            && today
                .checked_add(jiff::Span::new().days(days))
                .is_ok_and(|limit| until < limit)
    })
}

/// Whether a statement's `until` has passed.
pub fn expired(statement: &Statement, today: Date) -> bool {
    statement.until.is_some_and(|until| until < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> StatementForm {
        StatementForm {
            vulnerability: " CVE-2022-42003 ".into(),
            aliases: "GHSA-jjjh-jjxp-wpff, GHSA-x\nOSV-1".into(),
            component: "com.fasterxml.jackson.core:jackson-databind".into(),
            purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind".into(),
            status: "not_affected".into(),
            justification: "vulnerable_code_not_in_execute_path".into(),
            public: "on".into(),
            until: "2027-01-31".into(),
            ..StatementForm::default()
        }
    }

    #[test]
    fn a_form_becomes_a_statement_and_back() {
        let s = checked(form().statement().unwrap()).unwrap();
        assert_eq!(s.vulnerability, "CVE-2022-42003");
        assert_eq!(s.aliases, ["GHSA-jjjh-jjxp-wpff", "GHSA-x", "OSV-1"]);
        assert!(s.public);
        assert_eq!(s.until, Some(jiff::civil::date(2027, 1, 31)));
        assert_eq!(s.impact, None, "empty fields are none");
        let again = StatementForm::of(&s).statement().unwrap();
        assert_eq!(checked(again).unwrap(), s);
    }

    #[test]
    fn a_bad_field_is_named() {
        for (f, field) in [
            (
                StatementForm {
                    status: "fine".into(),
                    ..form()
                },
                "status",
            ),
            (
                StatementForm {
                    justification: "because".into(),
                    ..form()
                },
                "justification",
            ),
            (
                StatementForm {
                    until: "soon".into(),
                    ..form()
                },
                "until",
            ),
        ] {
            let e = f.statement().unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field: x, .. } if x == field),
                "{e}"
            );
        }
        let long = StatementForm {
            impact: "x".repeat(MAX_TEXT_CHARS + 1),
            ..form()
        };
        let e = checked(long.statement().unwrap()).unwrap_err();
        assert!(
            matches!(&e, Error::Invalid { field, .. } if field == "impact"),
            "{e}"
        );
    }

    #[test]
    fn expiry_is_told_apart_from_soon_expiring() {
        let today = jiff::civil::date(2027, 1, 1);
        let mut s = form().statement().unwrap();
        s.until = Some(jiff::civil::date(2026, 12, 31));
        assert!(expired(&s, today) && !expiring(&s, today, 30));
        s.until = Some(today);
        assert!(!expired(&s, today) && expiring(&s, today, 30));
        s.until = Some(jiff::civil::date(2027, 1, 31));
        assert!(
            !expiring(&s, today, 30),
            "30 days ahead is not within 30 days"
        );
        s.until = None;
        assert!(!expired(&s, today) && !expiring(&s, today, 30));
    }
}
