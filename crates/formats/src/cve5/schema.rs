//! The CVE Program's own schema, checked on every record the editor saves when the
//! installation points at it (`[cna] record_schema`): the structural half of
//! validation, beside the semantic findings of [`super::lint`].
//!
//! The schema is read at start-up from a file the site provides (the CVE Program's
//! `CVE_Record_Format_bundled.json`, which `cvelib` also ships), so a schema update
//! needs no new Embargo release.

use std::path::Path;

use serde_json::Value;

use super::container::Finding;
use crate::FormatError;

/// A compiled Draft-07 validator for full CVE records.
pub struct OfficialSchema {
    /// One validator per record state ("published", "rejected"): the schema's root is a
    /// `oneOf` of the two, and validating a branch directly turns one useless "not valid
    /// under any of oneOf" into findings that name the field.
    branches: Vec<(String, jsonschema::Validator)>,
    /// The schema's own title and version, for the page and the logs.
    pub name: String,
}

impl std::fmt::Debug for OfficialSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficialSchema")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl OfficialSchema {
    /// Reads and compiles the schema; refuses a file that is not a CVE record schema.
    pub fn load(path: &Path) -> Result<Self, FormatError> {
        let invalid = |message: String| FormatError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read the schema: {e}")))?;
        let schema: Value = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("the schema is not JSON: {e}")))?;
        Self::from_value(&schema).map_err(|e| match e {
            FormatError::Invalid { message, .. } => invalid(message),
            other => other,
        })
    }

    pub fn from_value(schema: &Value) -> Result<Self, FormatError> {
        let invalid = |message: String| FormatError::Invalid {
            path: "schema".into(),
            message,
        };
        let names_cve = schema
            .get("properties")
            .and_then(|p| p.get("dataType"))
            .is_some()
            || schema.get("oneOf").is_some() && schema.to_string().contains("CVE_RECORD");
        if !names_cve {
            return Err(invalid(
                "this is not the CVE JSON 5 record schema (no CVE_RECORD dataType)".into(),
            ));
        }
        let compile = |schema: &Value| {
            jsonschema::draft7::new(schema)
                .map_err(|e| invalid(format!("the schema does not compile: {e}")))
        };
        let branches = match schema.get("oneOf").and_then(Value::as_array) {
            Some(alternatives) => alternatives
                .iter()
                .map(|alt| {
                    let mut branch = alt.clone();
                    if let (Some(b), Some(root)) = (branch.as_object_mut(), schema.as_object()) {
                        for key in ["$schema", "definitions"] {
                            if let Some(v) = root.get(key) {
                                b.insert(key.into(), v.clone());
                            }
                        }
                    }
                    let title = alt
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_lowercase();
                    Ok((title, compile(&branch)?))
                })
                .collect::<Result<Vec<_>, FormatError>>()?,
            None => vec![(String::new(), compile(schema)?)],
        };
        let name = [schema.get("title"), schema.get("$id")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self { branches, name })
    }

    /// Every way `record` (a full CVE record) breaks the schema, as editor findings
    /// (level "error"), paths as JSON pointers into the record.
    pub fn check(&self, record: &Value) -> Vec<Finding> {
        let state = record
            .pointer("/cveMetadata/state")
            .and_then(Value::as_str)
            .unwrap_or("PUBLISHED")
            .to_lowercase();
        let Some((_, validator)) = self
            .branches
            .iter()
            .find(|(title, _)| *title == state)
            .or_else(|| self.branches.first())
        else {
            return Vec::new();
        };
        let mut findings: Vec<Finding> = validator
            .iter_errors(record)
            .map(|e| Finding {
                level: "error",
                path: match e.instance_path().to_string() {
                    p if p.is_empty() => "(record)".into(),
                    p => p,
                },
                message: format!("official schema: {e}"),
            })
            .collect();
        // The schema's oneOf reports each alternative; one line per place is enough.
        findings.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then(a.message.len().cmp(&b.message.len()))
        });
        findings.dedup_by(|a, b| a.path == b.path);
        findings
    }
}
