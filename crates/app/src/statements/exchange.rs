//! Statements in and out: a VEX document imported (format detected, every statement
//! checked, all or nothing), the statements exported in a VEX format (the public ones
//! only for anyone but the team), and a scanner report triaged against them.

use embargo_domain::vex::matching::{StatementIndex, Triage, plain_text, triage};
use embargo_domain::vex::StoredStatement;
use embargo_formats::{scan, vex};
use embargo_store::ImportedStatement;
use serde::Serialize;

use super::{Caller, author_of, checked};
use crate::App;
use crate::error::{Error, Result};

/// What an import did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// The document's format as detected (`openvex`, `cyclonedx`, `csaf`,
    /// `dependency-check`).
    pub format: String,
    /// Statement ids added, replaced by a new version, and left as they were.
    pub added: Vec<i64>,
    pub updated: Vec<i64>,
    pub unchanged: Vec<i64>,
    /// What the format could not carry over, for the person who imported it.
    pub warnings: Vec<String>,
}

/// A VEX document of a project's statements.
#[derive(Debug, Clone)]
pub struct Export {
    pub bytes: Vec<u8>,
    /// `application/json` or `application/xml`.
    pub content_type: &'static str,
    /// `<slug>.openvex.json`, `<slug>.dependency-check.xml`, ...
    pub file_name: String,
}

/// A scanner report triaged: each finding with its answer, and the mail body.
#[derive(Debug, Clone)]
pub struct ScanTriage {
    pub triage: Triage,
    /// The plain-text answer a reporter can read.
    pub plain_text: String,
    /// The report's format, as detected.
    pub format: &'static str,
    /// Whether the project's team's view (all statements) answered, or only the public
    /// statements.
    pub team: bool,
}

/// The formats, by the names the doors use.
pub fn export_format(name: &str) -> Result<vex::VexFormat> {
    vex::VexFormat::parse(name.trim()).ok_or_else(|| {
        Error::invalid(
            "format",
            format!(
                "{name:?} is not a VEX format (one of: openvex, cyclonedx, csaf, \
                 dependency-check)"
            ),
        )
    })
}

impl App {
    /// Imports a VEX document into a project's statements (the team): the format is
    /// detected; a document that does not read, or a statement that is not valid, is
    /// refused naming `source` and the position, and nothing is stored. `public`
    /// publishes every imported statement.
    pub async fn import_statements(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        source: &str,
        bytes: &[u8],
        public: bool,
    ) -> Result<ImportSummary> {
        let project = self.writable_project(caller, slug).await?;
        let imported =
            vex::import(bytes).map_err(|e| Error::invalid(source, e.to_string()))?;
        let mut statements = Vec::with_capacity(imported.statements.len());
        for (n, entry) in imported.statements.into_iter().enumerate() {
            let mut statement = entry.statement;
            statement.public |= public;
            let statement = checked(statement).map_err(|e| {
                Error::invalid(source, format!("statement {} of the document: {e}", n + 1))
            })?;
            statements.push(ImportedStatement {
                statement,
                extra: entry.extra,
            });
        }
        let (author, actor) = (caller.author(), caller.actor());
        let by = author_of(&project, &author, &actor);
        let outcome = self
            .store()
            .replace_from_import(&by, &statements, source)
            .await?;
        Ok(ImportSummary {
            format: imported.format.name().to_string(),
            added: outcome.added,
            updated: outcome.updated,
            unchanged: outcome.unchanged,
            warnings: imported.warnings,
        })
    }

    /// A project's statements in force as a VEX document of `format`: all of them for
    /// its team, the public ones for anyone else.
    pub async fn export_statements(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        format: &str,
    ) -> Result<Export> {
        let format = export_format(format)?;
        let list = self.project_statements(caller, slug).await?;
        let meta = vex::ExportMeta {
            project: list.project.name.clone(),
            slug: list.project.slug.to_string(),
            publisher: self.settings().organisation.name.clone(),
            base_url: self.settings().base_url.clone(),
        };
        let entries: Vec<vex::Entry> = list
            .statements
            .into_iter()
            .map(|r| vex::Entry {
                statement: r.stored.statement,
                extra: r.extra,
            })
            .collect();
        let bytes = vex::export(format, &entries, &meta).map_err(Error::internal)?;
        Ok(Export {
            bytes,
            content_type: format.content_type(),
            file_name: format!("{}.{}", list.project.slug, format.file_name()),
        })
    }

    /// Triages a scanner report against a project's statements: the team's against all
    /// of them, anyone else's against the public ones. A report that does not read is
    /// refused with the reader's message (format and position).
    pub async fn triage_scan(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        bytes: &[u8],
    ) -> Result<ScanTriage> {
        let format = scan::detect(bytes).map_err(|e| Error::invalid("report", e.to_string()))?;
        let findings =
            scan::read_as(format, bytes).map_err(|e| Error::invalid("report", e.to_string()))?;
        let list = self.project_statements(caller, slug).await?;
        let stored: Vec<StoredStatement> =
            list.statements.into_iter().map(|r| r.stored).collect();
        let index = StatementIndex::from_stored(&stored);
        let triaged = triage(&findings, &index);
        let text = plain_text(&triaged, &list.project.name);
        Ok(ScanTriage {
            triage: triaged,
            plain_text: text,
            format: format.name(),
            team: list.team,
        })
    }
}
