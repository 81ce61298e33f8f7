//! Statements in and out: a VEX document imported (format detected, every statement
//! checked, all or nothing), the statements exported in a VEX format (the public ones
//! only for anyone but the team), and a scanner report triaged against them.

use embargo_domain::vex::matching::{StatementIndex, Triage, plain_text, triage};
use embargo_domain::vex::{Statement, StoredStatement};
use embargo_formats::scan;
use embargo_formats::vex::{self, CycloneDxVersion, ExportMeta, VexFormat};
use embargo_store::{ImportedRules, Project};
use jiff::Timestamp;
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

/// The format a door names (`openvex`, `cyclonedx`, `cyclonedx-1.7`, `csaf`,
/// `dependency-check`): CycloneDX is written as 1.6 unless 1.7 is asked for.
pub fn export_format(name: &str) -> Result<(VexFormat, CycloneDxVersion)> {
    match name.trim() {
        "" => Err(Error::invalid(
            "format",
            "required: one of openvex, cyclonedx, cyclonedx-1.7, csaf, dependency-check",
        )),
        "cyclonedx-1.7" => Ok((VexFormat::CycloneDx, CycloneDxVersion::V1_7)),
        other => VexFormat::parse(other)
            .map(|f| (f, CycloneDxVersion::V1_6))
            .map_err(|e| Error::invalid("format", e.to_string())),
    }
}

/// The media type of a format's documents.
pub fn content_type(format: VexFormat) -> &'static str {
    match format {
        VexFormat::DependencyCheck => "application/xml",
        VexFormat::CycloneDx => "application/vnd.cyclonedx+json",
        VexFormat::OpenVex | VexFormat::Csaf => "application/json",
    }
}

/// The file name of a format's document at the public URLs (`/projects/{slug}/vex/…`).
pub fn file_name(format: VexFormat) -> &'static str {
    match format {
        VexFormat::DependencyCheck => "dependency-check.xml",
        VexFormat::OpenVex => "openvex.json",
        VexFormat::CycloneDx => "cyclonedx.json",
        VexFormat::Csaf => "csaf.json",
    }
}

/// The last part of a path, as the rules of a suppression file are kept by.
fn base_name(source: &str) -> &str {
    source
        .rsplit(['/', '\\'])
        .find(|s| !s.is_empty())
        .unwrap_or(source)
}

impl App {
    /// What documents of `project` say besides the statements; `at` dates them.
    fn export_meta(&self, project: &Project, format: VexFormat, at: Timestamp) -> ExportMeta {
        let base = self.settings().base_url.trim_end_matches('/');
        ExportMeta {
            project_name: project.name.clone(),
            project_slug: project.slug.to_string(),
            product_purl: None,
            product_version: None,
            publisher: self.settings().csaf_publisher(),
            document_id: format!("{}-VEX", project.slug.as_str().to_ascii_uppercase()),
            document_url: format!("{base}/projects/{}/vex/{}", project.slug, file_name(format)),
            timestamp: at,
            dependency_check_extra: Vec::new(),
        }
    }

    /// Imports a VEX document into a project's statements (the team): the format is
    /// detected; a document that does not read, or a statement that is not valid, is
    /// refused naming `source` and the position, and nothing is stored. `public`
    /// publishes every imported statement (and a suppression file's other rules).
    pub async fn import_statements(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        source: &str,
        bytes: &[u8],
        public: bool,
    ) -> Result<ImportSummary> {
        let project = self.writable_project(caller, slug).await?;
        let imported = vex::import(bytes).map_err(|e| Error::invalid(source, e.to_string()))?;
        let mut statements = Vec::with_capacity(imported.statements.len());
        for (n, mut statement) in imported.statements.into_iter().enumerate() {
            statement.public |= public;
            statements.push(checked(statement).map_err(|e| {
                Error::invalid(source, format!("statement {} of the document: {e}", n + 1))
            })?);
        }
        // A suppression file's other rules, kept as a suppression document of their own.
        let rules_document = match imported.format {
            VexFormat::DependencyCheck if !imported.dependency_check_extra.is_empty() => {
                let mut meta = self.export_meta(&project, imported.format, Timestamp::UNIX_EPOCH);
                meta.dependency_check_extra = imported.dependency_check_extra;
                Some(
                    vex::export(VexFormat::DependencyCheck, &[], &meta).map_err(|e| {
                        Error::invalid(source, format!("its other rules do not write back: {e}"))
                    })?,
                )
            }
            _ => None,
        };
        let rules = (imported.format == VexFormat::DependencyCheck).then_some(ImportedRules {
            public,
            document: rules_document.as_deref(),
        });
        let (author, actor) = (caller.author(), caller.actor());
        let by = author_of(&project, &author, &actor);
        let outcome = self
            .store()
            .replace_from_import(&by, &statements, rules, base_name(source))
            .await?;
        Ok(ImportSummary {
            format: imported.format.as_str().to_string(),
            added: outcome.added,
            updated: outcome.updated,
            unchanged: outcome.unchanged,
            warnings: imported.warnings.iter().map(ToString::to_string).collect(),
        })
    }

    /// A project's statements in force as a VEX document of `format`: all of them for
    /// its team, the public ones for anyone else. Dated by the last change it shows, so
    /// that it is the same document until the statements change. A format that cannot
    /// be empty (OpenVEX, CSAF) has no document without statements: `NotFound` for
    /// anyone, `Conflict` saying so for the team.
    pub async fn export_statements(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        format: &str,
    ) -> Result<Export> {
        let (format, cyclonedx) = export_format(format)?;
        let list = self.project_statements(caller, slug).await?;
        let (project, public_only) = (&list.project, !list.team);
        let at = self
            .store()
            .statements_changed_at(project.id, public_only)
            .await?
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut meta = self.export_meta(project, format, at);
        if format == VexFormat::DependencyCheck {
            for rules in self
                .store()
                .statement_rules(project.id, public_only)
                .await?
            {
                let kept = vex::import(&rules.document).map_err(|e| {
                    Error::internal(format!("stored rules of {}: {e}", rules.source))
                })?;
                meta.dependency_check_extra
                    .extend(kept.dependency_check_extra);
            }
        }
        let statements: Vec<Statement> = list
            .statements
            .into_iter()
            .map(|r| r.stored.statement)
            .collect();
        let written = match format {
            VexFormat::CycloneDx => vex::export_cyclonedx(cyclonedx, &statements, &meta),
            other => vex::export(other, &statements, &meta),
        };
        let bytes = match written {
            Ok(bytes) => bytes,
            // OpenVEX and CSAF VEX cannot say "nothing": no document until there is a
            // statement to put in it (for anyone else, as for a page that is not there).
            Err(e) if statements.is_empty() && list.team => {
                return Err(Error::Conflict(format!(
                    "{} has no statements in force to export: {e}",
                    project.slug
                )));
            }
            Err(_) if statements.is_empty() => return Err(Error::NotFound),
            Err(e) => return Err(Error::internal(e)),
        };
        Ok(Export {
            bytes,
            content_type: content_type(format),
            file_name: format!("{}.{}", project.slug, file_name(format)),
        })
    }

    /// Triages a scanner report against a project's statements: the team's against all
    /// of them, anyone else's against the public ones. A report that does not read is
    /// refused naming `source` (the file, or the request's field) and the reader's
    /// message (format and position).
    pub async fn triage_scan(
        &self,
        caller: &Caller<'_>,
        slug: &str,
        source: &str,
        bytes: &[u8],
    ) -> Result<ScanTriage> {
        let list = self.project_statements(caller, slug).await?;
        let unread = |e: scan::ScanError| Error::invalid(source, e.to_string());
        let format = scan::detect(bytes).map_err(unread)?;
        let findings = scan::read_as(format, bytes).map_err(unread)?;
        let stored: Vec<StoredStatement> = list.statements.into_iter().map(|r| r.stored).collect();
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
