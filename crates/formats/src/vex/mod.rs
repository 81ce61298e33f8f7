//! A project's dependency statements (`embargo_domain::vex::Statement`) read from and
//! written to the four formats scanners and customers use (docs/vex.md, "Formats"):
//! OWASP Dependency-Check suppression XML (schema 1.3; 1.0–1.2 and the legacy
//! namespace read), OpenVEX 0.2, CycloneDX VEX (1.4–1.7 read; 1.6 written, 1.7 on
//! request) and CSAF 2.0 VEX (`csaf_vex`).
//!
//! This module owns the public surface: format detection, [`import`] (all or nothing
//! per document, every statement passing `Statement::validate`), [`export`], the
//! limits, the error and warning types. Each format has its own file; what they share
//! (components out of package URLs, advisory ids) is in `common`. Pure: bytes in,
//! statements out, and back; the caller supplies every date.
//!
//! What a format cannot carry is reported on import as a [`Warning`], never dropped in
//! silence; Dependency-Check rules that name no (vulnerability, component) pair are kept
//! whole in [`Imported::dependency_check_extra`] and written back by the next export
//! through [`ExportMeta::dependency_check_extra`], so a suppression file round-trips.

use std::collections::BTreeMap;
use std::fmt;

use embargo_domain::vex::Statement;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::csaf::Publisher;
pub use common::{ANY_COMPONENT, any_component, component_from_purl, is_any_component};
pub use dependency_check::{DcElement, DcRule, DcValue};

mod common;
mod csaf;
mod cyclonedx;
mod dependency_check;
mod openvex;

/// The largest document read (20 MB).
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;
/// The most statements one document may hold, read or written.
pub const MAX_STATEMENTS: usize = 100_000;

/// The formats read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VexFormat {
    /// OWASP Dependency-Check suppression XML (`dependency-check`).
    DependencyCheck,
    /// OpenVEX 0.2 JSON (`openvex`).
    OpenVex,
    /// CycloneDX JSON with `vulnerabilities` (`cyclonedx`).
    CycloneDx,
    /// CSAF 2.0 JSON of category `csaf_vex` (`csaf`).
    Csaf,
}

impl VexFormat {
    pub const ALL: [VexFormat; 4] = [
        Self::DependencyCheck,
        Self::OpenVex,
        Self::CycloneDx,
        Self::Csaf,
    ];

    /// The name on the command line and in the API: `dependency-check`, `openvex`,
    /// `cyclonedx`, `csaf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DependencyCheck => "dependency-check",
            Self::OpenVex => "openvex",
            Self::CycloneDx => "cyclonedx",
            Self::Csaf => "csaf",
        }
    }

    /// The format's name for people, as error messages start.
    pub fn title(self) -> &'static str {
        match self {
            Self::DependencyCheck => "Dependency-Check suppressions",
            Self::OpenVex => "OpenVEX",
            Self::CycloneDx => "CycloneDX",
            Self::Csaf => "CSAF VEX",
        }
    }

    /// The format named `s` (see [`as_str`](Self::as_str)).
    pub fn parse(s: &str) -> Result<Self, VexError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                VexError::UnknownFormat(format!(
                    "{s:?} is not a VEX format (one of: {})",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }
}

impl fmt::Display for VexFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for VexFormat {
    type Err = VexError;
    fn from_str(s: &str) -> Result<Self, VexError> {
        Self::parse(s)
    }
}

/// The CycloneDX specification versions written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CycloneDxVersion {
    #[default]
    V1_6,
    V1_7,
}

impl CycloneDxVersion {
    /// `1.6` or `1.7`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_6 => "1.6",
            Self::V1_7 => "1.7",
        }
    }

    pub fn parse(s: &str) -> Result<Self, VexError> {
        match s.trim() {
            "1.6" => Ok(Self::V1_6),
            "1.7" => Ok(Self::V1_7),
            other => Err(VexError::UnknownFormat(format!(
                "CycloneDX {other:?} is not written (1.6 or 1.7)"
            ))),
        }
    }
}

/// Why a document could not be read or written. Positions are line and column for XML
/// and a JSON path (`statements[3].status`) for JSON; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VexError {
    /// Not XML or JSON at all, or cut short: where the parser stopped.
    #[error("{format}: not well-formed {syntax} at line {line}, column {column}: {message}")]
    Syntax {
        format: &'static str,
        syntax: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but something is wrong at `at`.
    #[error("{format}: {at}: {message}")]
    Invalid {
        format: &'static str,
        at: String,
        message: String,
    },
    /// None of the four formats (or an unknown format name).
    #[error("not a VEX document Embargo reads: {0}")]
    UnknownFormat(String),
    /// Over a limit ([`MAX_INPUT_BYTES`], [`MAX_STATEMENTS`]).
    #[error("{what}: {found} is over the limit of {limit}")]
    TooLarge {
        what: &'static str,
        found: usize,
        limit: usize,
    },
}

impl VexError {
    pub(crate) fn invalid(
        format: VexFormat,
        at: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            format: format.title(),
            at: at.into(),
            message: message.into(),
        }
    }
}

/// Something the document said that did not become a statement, or became one only in
/// part; `at` says where (positions of every occurrence, the first few named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub at: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// What an import read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub format: VexFormat,
    /// Each passed `Statement::validate` (and is its normalised form).
    pub statements: Vec<Statement>,
    pub warnings: Vec<Warning>,
    /// Dependency-Check rules that are no (vulnerability, component) statement (by
    /// `cpe`, `sha1`, a file path or a wide regex, `cwe`, `cvssBelow`, `base` rules),
    /// kept whole so that an export writes them back ([`ExportMeta::dependency_check_extra`]).
    pub dependency_check_extra: Vec<DcRule>,
}

/// What documents say besides the statements. No clock is read: `timestamp` is the
/// caller's.
#[derive(Debug, Clone)]
pub struct ExportMeta {
    /// e.g. `Apache Kafka`.
    pub project_name: String,
    /// e.g. `kafka`.
    pub project_slug: String,
    /// The project's own package URL without a version
    /// (`pkg:maven/org.apache.kafka/kafka-clients`); `pkg:generic/<slug>` when `None`.
    pub product_purl: Option<String>,
    /// The project release the document speaks for (`3.7.1`); `None`: the versions
    /// each statement names.
    pub product_version: Option<String>,
    /// The organisation: OpenVEX `author`, CycloneDX `manufacturer`, CSAF `publisher`.
    pub publisher: Publisher,
    /// The CSAF `tracking.id` (`KAFKA-VEX`).
    pub document_id: String,
    /// Where this document is served: OpenVEX `@id`, the CSAF `self` reference.
    pub document_url: String,
    /// When the document is issued.
    pub timestamp: Timestamp,
    /// Dependency-Check rules to write back after the statements (from
    /// [`Imported::dependency_check_extra`]); the other formats ignore them.
    pub dependency_check_extra: Vec<DcRule>,
}

/// Which format `bytes` are in: Dependency-Check XML by its root element and namespace,
/// OpenVEX by `@context`, CycloneDX by `bomFormat` with `vulnerabilities`, CSAF by
/// `document.category` `csaf_vex`.
pub fn detect(bytes: &[u8]) -> Result<VexFormat, VexError> {
    match parse(bytes)? {
        Parsed::Xml(text) => {
            dependency_check::sniff(text)?;
            Ok(VexFormat::DependencyCheck)
        }
        Parsed::Json(value) => detect_json(&value),
    }
}

/// Reads a document in any of the four formats (see [`detect`]): its statements, what
/// could not be represented as warnings, and Dependency-Check's other rules. Anything
/// malformed fails the whole document, with its position.
pub fn import(bytes: &[u8]) -> Result<Imported, VexError> {
    match parse(bytes)? {
        Parsed::Xml(text) => {
            dependency_check::sniff(text)?;
            dependency_check::import(text)
        }
        Parsed::Json(value) => match detect_json(&value)? {
            VexFormat::OpenVex => openvex::import(value),
            VexFormat::CycloneDx => cyclonedx::import(value),
            VexFormat::Csaf => csaf::import(value),
            VexFormat::DependencyCheck => Err(VexError::UnknownFormat(
                "JSON taken for Dependency-Check XML".into(),
            )),
        },
    }
}

/// Writes `statements` as a document in `format` (CycloneDX: 1.6).
pub fn export(
    format: VexFormat,
    statements: &[Statement],
    meta: &ExportMeta,
) -> Result<Vec<u8>, VexError> {
    let statements = checked_for_export(format, statements)?;
    match format {
        VexFormat::DependencyCheck => dependency_check::export(&statements, meta),
        VexFormat::OpenVex => openvex::export(&statements, meta),
        VexFormat::CycloneDx => cyclonedx::export(CycloneDxVersion::default(), &statements, meta),
        VexFormat::Csaf => csaf::export(&statements, meta),
    }
}

/// Writes `statements` as a CycloneDX VEX BOM of `version`.
pub fn export_cyclonedx(
    version: CycloneDxVersion,
    statements: &[Statement],
    meta: &ExportMeta,
) -> Result<Vec<u8>, VexError> {
    let statements = checked_for_export(VexFormat::CycloneDx, statements)?;
    cyclonedx::export(version, &statements, meta)
}

// ---------------------------------------------------------------------------------------
// Shared by the formats
// ---------------------------------------------------------------------------------------

/// A document as its first character says: XML (the bytes, without a BOM) or a JSON
/// object (parsed).
enum Parsed<'a> {
    Xml(&'a [u8]),
    Json(Value),
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, VexError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(VexError::TooLarge {
            what: "document size in bytes",
            found: bytes.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => {
            xml_characters(text)?;
            Ok(Parsed::Xml(text))
        }
        Some(b'{') => Ok(Parsed::Json(parse_json("VEX document", text)?)),
        Some(_) => Err(VexError::UnknownFormat(
            "neither XML nor a JSON object".into(),
        )),
        None => Err(VexError::UnknownFormat("the document is empty".into())),
    }
}

/// Refuses the control characters XML 1.0 does not allow (all but tab and line ends):
/// the XML reader passes them through, and a statement carrying one would be written
/// back changed (found by tests/fuzz.rs).
fn xml_characters(text: &[u8]) -> Result<(), VexError> {
    let Some(at) = text
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    else {
        return Ok(());
    };
    let before = &text[..at];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    Err(VexError::Syntax {
        format: VexFormat::DependencyCheck.title(),
        syntax: "XML",
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        column: at - line_start + 1,
        message: format!(
            "control character U+{:04X}, which XML does not allow",
            text[at]
        ),
    })
}

/// Parses JSON, naming line and column of a syntax error.
fn parse_json(format: &'static str, text: &[u8]) -> Result<Value, VexError> {
    serde_json::from_slice(text).map_err(|e| VexError::Syntax {
        format,
        syntax: "JSON",
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

fn detect_json(v: &Value) -> Result<VexFormat, VexError> {
    let str_at = |path: &[&str]| {
        path.iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_str)
    };
    if let Some(ctx) = str_at(&["@context"]) {
        if ctx.starts_with("https://openvex.dev/ns") {
            return Ok(VexFormat::OpenVex);
        }
        return Err(VexError::UnknownFormat(format!(
            "JSON-LD with @context {ctx:?}, not OpenVEX (https://openvex.dev/ns/v0.2.0)"
        )));
    }
    if str_at(&["bomFormat"]) == Some("CycloneDX") {
        if v.get("vulnerabilities").is_some_and(Value::is_array) {
            return Ok(VexFormat::CycloneDx);
        }
        return Err(VexError::UnknownFormat(
            "a CycloneDX BOM without vulnerabilities (a VEX BOM lists them)".into(),
        ));
    }
    match str_at(&["document", "category"]) {
        Some("csaf_vex") => Ok(VexFormat::Csaf),
        Some(other) => Err(VexError::UnknownFormat(format!(
            "a CSAF document of category {other:?}; Embargo reads csaf_vex"
        ))),
        None => Err(VexError::UnknownFormat(
            "JSON, but no OpenVEX @context, CycloneDX bomFormat or CSAF document.category".into(),
        )),
    }
}

/// Deserialises a JSON value into `T`, naming the JSON path of a wrong shape.
fn from_value<T: DeserializeOwned>(format: VexFormat, value: Value) -> Result<T, VexError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        VexError::invalid(format, path, e.into_inner().to_string())
    })
}

/// Exports check what imports check: every statement valid, within the limits.
fn checked_for_export(
    format: VexFormat,
    statements: &[Statement],
) -> Result<Vec<Statement>, VexError> {
    if statements.len() > MAX_STATEMENTS {
        return Err(VexError::TooLarge {
            what: "statements",
            found: statements.len(),
            limit: MAX_STATEMENTS,
        });
    }
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // Blank text is no text in any format: a `not_affected` statement whose
            // only reason is blank has none.
            let mut s = s.clone();
            for text in [
                &mut s.impact,
                &mut s.action,
                &mut s.product_versions,
                &mut s.fixed_in,
            ] {
                *text = common::free_text(text.as_deref());
            }
            s.validate().map_err(|e| {
                VexError::invalid(format, format!("statement {}", i + 1), e.to_string())
            })
        })
        .collect()
}

/// Statements as they are read: validated, de-duplicated, counted against the limit.
struct Collector {
    format: VexFormat,
    statements: Vec<Statement>,
    warnings: Warnings,
}

impl Collector {
    fn new(format: VexFormat) -> Self {
        Self {
            format,
            statements: Vec::new(),
            warnings: Warnings::default(),
        }
    }

    /// Adds `s` after `Statement::validate`; a failure names `at`.
    fn push(&mut self, at: &dyn Fn() -> String, s: Statement) -> Result<(), VexError> {
        let s = s
            .validate()
            .map_err(|e| VexError::invalid(self.format, at(), e.to_string()))?;
        self.push_valid(s)
    }

    fn push_valid(&mut self, s: Statement) -> Result<(), VexError> {
        if self.statements.len() >= MAX_STATEMENTS {
            return Err(VexError::TooLarge {
                what: "statements",
                found: self.statements.len() + 1,
                limit: MAX_STATEMENTS,
            });
        }
        self.statements.push(s);
        Ok(())
    }

    fn finish(self, dependency_check_extra: Vec<DcRule>) -> Imported {
        Imported {
            format: self.format,
            statements: self.statements,
            warnings: self.warnings.into_list(),
            dependency_check_extra,
        }
    }
}

/// Warnings grouped by message, each with the places it applies to.
#[derive(Default)]
struct Warnings(BTreeMap<String, (usize, Vec<String>)>);

impl Warnings {
    /// How many places a warning names before "and N more".
    const NAMED: usize = 5;

    fn add(&mut self, at: impl Into<String>, message: impl Into<String>) {
        let n = self.0.len();
        let entry = self.0.entry(message.into()).or_insert((n, Vec::new()));
        entry.1.push(at.into());
    }

    fn into_list(self) -> Vec<Warning> {
        let mut list: Vec<(usize, Warning)> = self
            .0
            .into_iter()
            .map(|(message, (order, places))| {
                let mut at = places
                    .iter()
                    .take(Self::NAMED)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ");
                if places.len() > Self::NAMED {
                    at.push_str(&format!(" and {} more", places.len() - Self::NAMED));
                }
                (order, Warning { at, message })
            })
            .collect();
        list.sort_by_key(|(order, _)| *order);
        list.into_iter().map(|(_, w)| w).collect()
    }
}
