//! A full CVE record mapped onto the thin [`RecordDraft`] the team edits, so an
//! imported record can be announced with the same template as one written here.
//!
//! The draft is thinner than the record; what it cannot hold is dropped on purpose:
//! only the first product's name, only `affected` ranges, the first CWE. An inclusive
//! upper bound (`lessThanOrEqual`) has no place in [`AffectedRange`] (whose bound is the
//! first *fixed* version), so such a range becomes "from this version on", which
//! over-states rather than under-states what is affected.

use embargo_domain::record::{AffectedRange, Credit, CreditKind, RecordDraft, Severity};

use super::model::{CveRecord, Status, is_english};

/// The record's content as a [`RecordDraft`] (title, English description, first
/// product, affected ranges, textual severity, first CWE, solutions, credits, references).
pub fn to_record_draft(record: &CveRecord) -> RecordDraft {
    let c = record.cna();
    let description = c
        .english_description()
        .map(|d| d.value.clone())
        .unwrap_or_default();
    let first = c.products().first();
    let product = first
        .and_then(|p| p.product.clone().or_else(|| p.package_name.clone()))
        .unwrap_or_default();
    let affected = first
        .into_iter()
        .flat_map(|p| p.versions.iter().flatten())
        .filter(|v| v.status == Status::Affected)
        .map(|v| {
            let fixed = match (&v.less_than, &v.less_than_or_equal) {
                (Some(lt), _) if lt.trim() != "*" => Some(lt.trim().to_string()),
                _ => None,
            };
            AffectedRange {
                introduced: v.version.trim().to_string(),
                fixed,
            }
        })
        .collect();
    let title = c
        .title
        .clone()
        .unwrap_or_else(|| description.lines().next().unwrap_or_default().to_string());
    let (cwe, cwe_name) = c
        .problem_types
        .iter()
        .flatten()
        .flat_map(|p| &p.descriptions)
        .find_map(|d| {
            let id = d.cwe_id.clone()?;
            let name = d
                .description
                .trim()
                .strip_prefix(id.as_str())
                .unwrap_or(&d.description);
            let name = name.trim_start_matches([':', ' ']).trim().to_string();
            Some((Some(id), (!name.is_empty()).then_some(name)))
        })
        .unwrap_or((None, None));
    let mitigation = [&c.solutions, &c.workarounds]
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| is_english(&d.lang))
        .map(|d| d.value.trim().to_string())
        .reduce(|a, b| format!("{a}\n\n{b}"));
    let credits = c
        .credits
        .iter()
        .flatten()
        .filter(|cr| !cr.value.trim().is_empty())
        .map(|cr| Credit {
            name: cr.value.trim().to_string(),
            // "remediation verifier", "tool", "sponsor" have no kind in the draft.
            kind: cr
                .kind
                .as_deref()
                .and_then(|k| CreditKind::parse(k).ok())
                .unwrap_or(CreditKind::Other),
        })
        .collect();
    let cve_page = super::cve_org_url_str(&record.cve_metadata.cve_id);
    let references = c
        .reference_list()
        .iter()
        .map(|r| r.url.trim().to_string())
        // The announcement adds the cve.org page itself.
        .filter(|u| *u != cve_page)
        .collect();
    RecordDraft {
        title,
        description,
        product,
        affected,
        severity: c.textual_severity().and_then(|s| Severity::parse(s).ok()),
        cwe,
        cwe_name,
        mitigation,
        credits,
        references,
    }
}
