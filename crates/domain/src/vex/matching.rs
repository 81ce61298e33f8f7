//! Pairing a scanner's findings with a project's statements: the answer to "Kafka is
//! vulnerable because dependency D has CVE-X" (docs/vex.md, "Scanner reports").
//!
//! This module owns the finding as the domain sees it ([`Finding`], which
//! `embargo_formats::scan` reads out of every scanner's report), the index of a
//! project's statements ([`StatementIndex`], built once), the triage of a report
//! ([`triage`], one [`TriagedFinding`] per finding, in report order) and the mail body
//! a reporter reads ([`plain_text`]). Pure: no I/O, no clock (an expired statement still
//! answers; reminding the team of `until` is the application's job).
//!
//! A statement answers a finding when it is about the finding's vulnerability (its id,
//! or an alias on either side) and about the same component (purl, Maven coordinates
//! or a jar file name, versions and case ignored: `key`), or about any component
//! ([`ANY_COMPONENT`], a statement on the project as a whole). A statement's
//! `product_versions` (the project's own versions) take no part: a scanner report does
//! not say which version of the project it scanned.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::{Justification, Statement, StoredStatement, VexStatus};

mod key;
mod mail;
#[cfg(test)]
mod tests;

pub use key::{ANY_COMPONENT, split_archive_name};
use key::{Closeness, ComponentKey, normalise_id};
pub use mail::plain_text;

/// One finding of a scanner: a vulnerability in a component, as the scanner named
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// `CVE-2022-42003`, `GHSA-jjjh-jjxp-wpff`, `MAL-2023-1035`, as reported.
    pub vulnerability: String,
    /// The other ids the report gives for the same vulnerability.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub component: FoundComponent,
}

/// The component a scanner found vulnerable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FoundComponent {
    /// The package URL, with version and qualifiers as the scanner wrote it.
    pub purl: Option<String>,
    /// The name as the scanner printed it (`avro`, `org.apache.commons:commons-compress`,
    /// `libssl1.1`).
    pub name: String,
    pub version: Option<String>,
    /// Where the scanner found it (a jar's path, a lock file).
    pub file: Option<String>,
}

impl FoundComponent {
    /// How the component is named to people: its purl where known (without qualifiers
    /// and subpath: `arch`, `distro` and `upstream` say nothing to a reader), else
    /// `name@version` (or the name alone).
    pub fn label(&self) -> String {
        match (&self.purl, &self.version) {
            (Some(purl), _) if !purl.trim().is_empty() => purl
                .trim()
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .to_string(),
            (_, Some(v)) if !v.is_empty() && !self.name.ends_with(v.as_str()) => {
                format!("{}@{v}", self.name)
            }
            _ => self.name.clone(),
        }
    }
}

/// A finding's status: a statement's, or `needs_analysis` where the project has said
/// nothing about this vulnerability in this component.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FindingStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
    NeedsAnalysis,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl From<VexStatus> for FindingStatus {
    fn from(status: VexStatus) -> Self {
        match status {
            VexStatus::NotAffected => Self::NotAffected,
            VexStatus::Affected => Self::Affected,
            VexStatus::Fixed => Self::Fixed,
            VexStatus::UnderInvestigation => Self::UnderInvestigation,
        }
    }
}

/// One finding with its answer. Serialises to exactly
/// `{"vulnerability", "component", "status", "justification", "impact", "statement"}`
/// (absent values as `null`); `action` and `fixed_in` are for the mail body only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriagedFinding {
    pub vulnerability: String,
    /// [`FoundComponent::label`].
    pub component: String,
    pub status: FindingStatus,
    pub justification: Option<Justification>,
    pub impact: Option<String>,
    /// The answering statement: its stored id ([`StatementIndex::from_stored`]) or its
    /// position in the slice ([`StatementIndex::new`]).
    pub statement: Option<i64>,
    /// The statement's action for users (`affected`).
    #[serde(skip)]
    pub action: Option<String>,
    /// The project version with the fix (`fixed`).
    #[serde(skip)]
    pub fixed_in: Option<String>,
}

/// How many findings have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub not_affected: usize,
    pub affected: usize,
    pub fixed: usize,
    pub under_investigation: usize,
    pub needs_analysis: usize,
    pub total: usize,
}

impl Summary {
    fn count(&mut self, status: FindingStatus) {
        self.total += 1;
        *match status {
            FindingStatus::NotAffected => &mut self.not_affected,
            FindingStatus::Affected => &mut self.affected,
            FindingStatus::Fixed => &mut self.fixed,
            FindingStatus::UnderInvestigation => &mut self.under_investigation,
            FindingStatus::NeedsAnalysis => &mut self.needs_analysis,
        } += 1;
    }

    /// Findings the project's statements already answer.
    pub fn answered(&self) -> usize {
        self.total - self.needs_analysis
    }
}

/// A triaged report: its findings in report order, and the counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Triage {
    pub findings: Vec<TriagedFinding>,
    pub summary: Summary,
}

/// A statement as the index holds it.
struct Entry<'a> {
    statement: &'a Statement,
    id: i64,
    key: ComponentKey,
}

/// A statement listed under a vulnerability id, and whether that id is one of its
/// aliases.
#[derive(Clone, Copy)]
struct Candidate {
    entry: u32,
    alias: bool,
}

/// How far a statement is from a finding (the smallest wins): about any component,
/// aliases used, closeness of the components, position.
type Rank = (bool, u8, Closeness, u32);

/// A project's statements, indexed once by normalised vulnerability id (aliases
/// included), each with its component's keys computed up front. The candidates of all
/// ids are in one list, each id's in statement order: few allocations, for 100,000
/// statements.
pub struct StatementIndex<'a> {
    entries: Vec<Entry<'a>>,
    /// Normalised id → its slot in `ranges`.
    slots: HashMap<Box<str>, u32>,
    /// Per slot, its candidates' range in `candidates`.
    ranges: Vec<(u32, u32)>,
    candidates: Vec<Candidate>,
}

impl<'a> StatementIndex<'a> {
    /// The index of `statements`; a match names the statement by its position.
    pub fn new(statements: &'a [Statement]) -> Self {
        Self::build(statements.iter().enumerate().map(|(i, s)| (s, i as i64)))
    }

    /// The index of stored statements; a match names the statement by its id.
    pub fn from_stored(stored: &'a [StoredStatement]) -> Self {
        Self::build(stored.iter().map(|s| (&s.statement, s.id)))
    }

    fn build(statements: impl ExactSizeIterator<Item = (&'a Statement, i64)>) -> Self {
        let mut entries = Vec::with_capacity(statements.len());
        let mut slots: HashMap<Box<str>, u32> = HashMap::with_capacity(statements.len());
        let mut listed: Vec<(u32, Candidate)> = Vec::with_capacity(statements.len() * 2);
        let mut buf = String::new();
        for (statement, id) in statements {
            let entry = to_u32(entries.len());
            let ids = std::iter::once((&statement.vulnerability, false))
                .chain(statement.aliases.iter().map(|a| (a, true)));
            for (vuln, alias) in ids {
                let norm = normalise_id(vuln, &mut buf);
                if norm.is_empty() {
                    continue;
                }
                let slot = match slots.get(norm) {
                    Some(&slot) => slot,
                    None => {
                        let slot = to_u32(slots.len());
                        slots.insert(norm.into(), slot);
                        slot
                    }
                };
                listed.push((slot, Candidate { entry, alias }));
            }
            let key = ComponentKey::of(
                statement.component.purl.as_deref(),
                &statement.component.name,
            );
            entries.push(Entry { statement, id, key });
        }
        let (ranges, candidates) = group_by_slot(slots.len(), listed);
        Self {
            entries,
            slots,
            ranges,
            candidates,
        }
    }

    /// The statements listed under a normalised id.
    fn candidates(&self, id: &str) -> &[Candidate] {
        let Some(&slot) = self.slots.get(id) else {
            return &[];
        };
        let (start, end) = self.ranges[slot as usize];
        &self.candidates[start as usize..end as usize]
    }

    /// How many statements the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The statement that answers `finding`, with its id, if any. Of several, the
    /// closest: one about the component before one about [`ANY_COMPONENT`]; then an id
    /// that is the finding's own and the statement's own before an alias; then the same
    /// purl or coordinates before the same bare name; then the first.
    pub fn answer(&self, finding: &Finding) -> Option<(i64, &'a Statement)> {
        let key = ComponentKey::of(finding.component.purl.as_deref(), &finding.component.name);
        let ids = std::iter::once((&finding.vulnerability, false))
            .chain(finding.aliases.iter().map(|a| (a, true)));
        let mut buf = String::new();
        let mut best: Option<(Rank, &Entry<'a>)> = None;
        for (vuln, finding_alias) in ids {
            for c in self.candidates(normalise_id(vuln, &mut buf)) {
                let entry = &self.entries[c.entry as usize];
                let Some(closeness) = entry.key.closeness(&key) else {
                    continue;
                };
                let rank = (
                    closeness == Closeness::Any,
                    u8::from(finding_alias) + u8::from(c.alias),
                    closeness,
                    c.entry,
                );
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, entry));
                }
            }
        }
        best.map(|(_, e)| (e.id, e.statement))
    }

    /// An estimate of the bytes the index holds on the heap (its tables and keys, not
    /// the statements it borrows).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let entries = self.entries.capacity() * size_of::<Entry<'_>>()
            + self
                .entries
                .iter()
                .map(|e| e.key.heap_bytes())
                .sum::<usize>();
        // hashbrown: one control byte and one slot per bucket, ~8/7 buckets per item.
        let buckets = self.slots.capacity() * 8 / 7;
        let table = buckets * (size_of::<(Box<str>, u32)>() + 1);
        let lists = self.slots.keys().map(|k| k.len()).sum::<usize>()
            + self.ranges.capacity() * size_of::<(u32, u32)>()
            + self.candidates.capacity() * size_of::<Candidate>();
        entries + table + lists
    }
}

/// `(slot, candidate)` pairs grouped by slot (a stable counting sort): each slot's
/// `(start, end)` in the returned list.
fn group_by_slot(slots: usize, listed: Vec<(u32, Candidate)>) -> (Vec<(u32, u32)>, Vec<Candidate>) {
    let mut starts = vec![0u32; slots + 1];
    for (slot, _) in &listed {
        starts[*slot as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let mut candidates = vec![
        Candidate {
            entry: 0,
            alias: false
        };
        listed.len()
    ];
    for (slot, candidate) in listed {
        let at = &mut next[slot as usize];
        candidates[*at as usize] = candidate;
        *at += 1;
    }
    let ranges = starts.windows(2).map(|w| (w[0], w[1])).collect();
    (ranges, candidates)
}

/// A count as an index of the index (more than 4 billion statements is not a project).
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Each finding with its answer, in the findings' order, and the counts per status.
pub fn triage(findings: &[Finding], index: &StatementIndex<'_>) -> Triage {
    let mut summary = Summary::default();
    let findings = findings
        .iter()
        .map(|finding| {
            let triaged = triage_one(finding, index);
            summary.count(triaged.status);
            triaged
        })
        .collect();
    Triage { findings, summary }
}

fn triage_one(finding: &Finding, index: &StatementIndex<'_>) -> TriagedFinding {
    let answer = index.answer(finding);
    TriagedFinding {
        vulnerability: finding.vulnerability.clone(),
        component: finding.component.label(),
        status: answer.map_or(FindingStatus::NeedsAnalysis, |(_, s)| s.status.into()),
        justification: answer.and_then(|(_, s)| s.justification),
        impact: answer.and_then(|(_, s)| s.impact.clone()),
        statement: answer.map(|(id, _)| id),
        action: answer.and_then(|(_, s)| s.action.clone()),
        fixed_in: answer.and_then(|(_, s)| s.fixed_in.clone()),
    }
}
