//! The triage as a mail body a reporter can read: what the project has already said
//! about each finding, then what the security team still has to look at.
//!
//! Names of vulnerabilities and components come from the reporter's scanner: control
//! characters in them are replaced, so that a report cannot shape the mail.

use std::fmt::Write;

use super::{FindingStatus, Triage, TriagedFinding};

/// Width the free text (the project's impact statements) is wrapped to.
const WIDTH: usize = 72;

/// The order in which answered findings are listed.
const ANSWERED: [FindingStatus; 4] = [
    FindingStatus::NotAffected,
    FindingStatus::Fixed,
    FindingStatus::Affected,
    FindingStatus::UnderInvestigation,
];

/// A plain-text mail body for the reporter of a scanner report triaged against
/// `project`'s statements: the counts, the findings already answered (grouped by
/// status, each with the project's statement), then those that need analysis.
pub fn plain_text(triage: &Triage, project: &str) -> String {
    let project = one_line(project);
    let s = &triage.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Your scanner report lists {} finding{} (one per vulnerability and component).",
        s.total,
        plural(s.total)
    );
    let _ = writeln!(
        out,
        "{} {} already answered by {project}'s statements; {} need{} analysis by the\nsecurity team.",
        s.answered(),
        if s.answered() == 1 { "is" } else { "are" },
        s.needs_analysis,
        if s.needs_analysis == 1 { "s" } else { "" },
    );
    if s.answered() > 0 {
        let _ = write!(out, "\n\nAlready answered by {project}\n");
        for status in ANSWERED {
            let group: Vec<&TriagedFinding> = of_status(triage, status).collect();
            if group.is_empty() {
                continue;
            }
            let _ = write!(out, "\n{} ({}):\n", heading(status), group.len());
            for f in group {
                answered(&mut out, f, &project);
            }
        }
    }
    if s.needs_analysis > 0 {
        let _ = write!(out, "\n\nNeeds analysis by the security team\n\n");
        wrap(
            &mut out,
            &format!(
                "{project} has made no statement yet about these vulnerabilities in these \
                 components. The security team will analyse them; you do not need to \
                 report them again."
            ),
            "",
        );
        out.push('\n');
        for f in of_status(triage, FindingStatus::NeedsAnalysis) {
            let _ = writeln!(out, "  - {}", finding_line(f));
        }
    }
    out
}

fn of_status(triage: &Triage, status: FindingStatus) -> impl Iterator<Item = &TriagedFinding> {
    triage.findings.iter().filter(move |f| f.status == status)
}

fn heading(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::NotAffected => "Not affected",
        FindingStatus::Affected => "Affected",
        FindingStatus::Fixed => "Fixed",
        FindingStatus::UnderInvestigation => "Under investigation",
        FindingStatus::NeedsAnalysis => "Needs analysis",
    }
}

/// One answered finding: its line, then the statement's justification, impact, action
/// or fix, indented.
fn answered(out: &mut String, f: &TriagedFinding, project: &str) {
    let _ = writeln!(out, "\n  - {}", finding_line(f));
    if let Some(j) = f.justification {
        let _ = writeln!(out, "    Justification: {}", j.as_str().replace('_', " "));
    }
    if let Some(v) = &f.fixed_in {
        let _ = writeln!(out, "    Fixed in {project} {}", one_line(v));
    }
    if let Some(impact) = &f.impact {
        wrap(out, impact, "    ");
    }
    if let Some(action) = &f.action {
        wrap(out, &format!("What to do: {action}"), "    ");
    }
}

fn finding_line(f: &TriagedFinding) -> String {
    format!(
        "{} in {}",
        one_line(&f.vulnerability),
        one_line(&f.component)
    )
}

/// `s` on one line: control characters (line breaks included) replaced.
fn one_line(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// `text` wrapped at [`WIDTH`] with every line indented by `indent`; paragraphs (blank
/// lines) are kept, other line breaks and control characters become spaces.
fn wrap(out: &mut String, text: &str, indent: &str) {
    let normalised = text.replace("\r\n", "\n");
    for (i, paragraph) in normalised.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        let words = paragraph
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty());
        for word in words {
            if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > WIDTH {
                let _ = writeln!(out, "{indent}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
