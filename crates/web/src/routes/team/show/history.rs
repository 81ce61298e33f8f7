//! The record's history on the report page: every saved version, and the changes
//! that made the chosen one (the newest unless `?diff=N`).

use embargo_app::model::RecordVersion;
use embargo_domain::record::CnaRecord;

use crate::diff::Line;

/// The title of the diff shown and its lines: the changes from the version before
/// `chosen` (or the newest) to it; nothing before a record is saved.
pub fn diff(versions: &[RecordVersion], diff_version: Option<i64>) -> (String, Vec<Line>) {
    let chosen = diff_version
        .and_then(|n| versions.iter().position(|v| v.version == n))
        .unwrap_or(versions.len().saturating_sub(1));
    match versions.get(chosen) {
        Some(v) => {
            let pretty = |r: &CnaRecord| serde_json::to_string_pretty(r).unwrap_or_default();
            let before = chosen
                .checked_sub(1)
                .and_then(|i| versions.get(i))
                .map(|p| (p.version, pretty(&p.record)));
            let title = match &before {
                Some((n, _)) => format!("Changes from version {n} to version {}", v.version),
                None => format!("Version {} (the first)", v.version),
            };
            let old = before.map(|(_, t)| t).unwrap_or_default();
            (title, crate::diff::lines(&old, &pretty(&v.record)))
        }
        None => (String::new(), vec![]),
    }
}
