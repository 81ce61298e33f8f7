//! Writing a suppression file (schema 1.3): the `not_affected` statements, one
//! `<suppress>` per run of statements that differ only in their vulnerability, then the
//! kept rules. Other statuses have no suppression: a suppression hides a finding, which
//! only `not_affected` allows.

use embargo_domain::vex::{Component, Statement, VexStatus};

use super::read::{NAMESPACES, check_value, is_cve_type, is_xs_date};
use super::{DcElement, DcRule, DcValue, FORMAT, Notes};
use crate::vex::common::is_any_component;
use crate::vex::{ExportMeta, VexError};

/// The file-path pattern of a component known by name alone: a file whose name starts
/// with the name (`.*[/\\]netty-handler[^/\\]*$` matches `…/netty-handler-4.1.jar`).
pub(super) const FILE_PREFIX: &str = r".*[/\\]";
pub(super) const FILE_SUFFIX: &str = r"[^/\\]*";

/// The suppression file of `statements` and `meta.dependency_check_extra`.
pub(crate) fn export(statements: &[Statement], meta: &ExportMeta) -> Result<Vec<u8>, VexError> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<!-- {} ({}): not_affected statements, written by Embargo at {} -->\n",
        comment_text(&meta.project_name),
        comment_text(&meta.project_slug),
        meta.timestamp
    ));
    out.push_str(&format!("<suppressions xmlns=\"{}\">\n", NAMESPACES[0]));
    let not_affected: Vec<&Statement> = statements
        .iter()
        .filter(|s| s.status == VexStatus::NotAffected)
        .collect();
    let mut i = 0;
    while i < not_affected.len() {
        let first = not_affected[i];
        let mut group = vec![first];
        while let Some(next) = not_affected.get(i + group.len())
            && first.aliases.is_empty()
            && same_rule(first, next)
        {
            group.push(next);
        }
        i += group.len();
        write_rule(&mut out, &statement_rule(&group), true);
    }
    for (n, rule) in meta.dependency_check_extra.iter().enumerate() {
        check_rule(rule)
            .map_err(|m| VexError::invalid(FORMAT, format!("dependency_check_extra[{n}]"), m))?;
        write_rule(&mut out, rule, false);
    }
    out.push_str("</suppressions>\n");
    Ok(out.into_bytes())
}

/// Whether `b` goes into the `<suppress>` of `a`: everything but the vulnerability
/// equal, and no aliases (a statement's aliases are ids of its rule).
fn same_rule(a: &Statement, b: &Statement) -> bool {
    b.aliases.is_empty()
        && a.component == b.component
        && a.product_versions == b.product_versions
        && a.justification == b.justification
        && a.impact == b.impact
        && a.until == b.until
}

/// The rule of a run of statements.
fn statement_rule(group: &[&Statement]) -> DcRule {
    let first = group[0];
    let ids = group
        .iter()
        .flat_map(|s| std::iter::once(&s.vulnerability).chain(&s.aliases))
        .map(|id| DcValue {
            element: if is_cve_type(id) {
                DcElement::Cve
            } else {
                DcElement::VulnerabilityName
            },
            value: id.clone(),
            regex: false,
            case_sensitive: false,
        })
        .collect();
    let notes = Notes::write(first);
    DcRule {
        base: false,
        until: first.until.map(|d| d.to_string()),
        notes: Some(indent(&notes)),
        selector: selector(&first.component),
        matches: ids,
    }
}

/// The filePath, gav or packageUrl that names `c` (none for any component).
fn selector(c: &Component) -> Option<DcValue> {
    if is_any_component(c) {
        return None;
    }
    let regex = |element, value| {
        Some(DcValue {
            element,
            value,
            regex: true,
            case_sensitive: false,
        })
    };
    if let Some(purl) = &c.purl {
        return regex(
            DcElement::PackageUrl,
            format!("^{}@.*$", escape_regex(purl)),
        );
    }
    let name = c.name.trim();
    match name.split(':').collect::<Vec<_>>()[..] {
        [g, a] if !g.is_empty() && !a.is_empty() && !name.contains([' ', '/']) => {
            regex(DcElement::Gav, format!("^{}:.*$", escape_regex(name)))
        }
        _ => regex(
            DcElement::FilePath,
            format!("{FILE_PREFIX}{}{FILE_SUFFIX}$", escape_regex(name)),
        ),
    }
}

/// `s` as a Java regex matching only itself (`.` and `-` escaped, as Dependency-Check
/// writes them).
fn escape_regex(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if r"\.^$|?*+()[]{}-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Notes indented under `<notes>`, as Dependency-Check's own files are.
fn indent(text: &str) -> String {
    let body: Vec<String> = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("      {l}")
            }
        })
        .collect();
    format!("\n{}\n    ", body.join("\n"))
}

/// What the schema requires of a kept rule (it may come from storage, not from `read`).
fn check_rule(rule: &DcRule) -> Result<(), String> {
    if rule.matches.is_empty() {
        return Err(
            "a rule needs at least one of cpe, cve, vulnerabilityName, cwe, cvssBelow".into(),
        );
    }
    if let Some(u) = &rule.until
        && !is_xs_date(u)
    {
        return Err(format!("until {u:?} is not a date"));
    }
    if rule
        .selector
        .as_ref()
        .is_some_and(|s| !s.element.is_selector())
        || rule.matches.iter().any(|m| m.element.is_selector())
    {
        return Err("filePath, sha1, gav or packageUrl only as the selector, once".into());
    }
    for v in rule.selector.iter().chain(&rule.matches) {
        let checked = check_value(v.element, &v.value)?;
        if checked != v.value {
            return Err(format!(
                "<{}> {:?} has surrounding spaces",
                v.element.tag(),
                v.value
            ));
        }
    }
    Ok(())
}

/// Appends one `<suppress>`; statement notes are written in CDATA where they can be.
fn write_rule(out: &mut String, rule: &DcRule, cdata: bool) {
    out.push_str("  <suppress");
    if rule.base {
        out.push_str(" base=\"true\"");
    }
    if let Some(u) = &rule.until {
        out.push_str(&format!(" until=\"{}\"", escape(u, true)));
    }
    out.push_str(">\n");
    if let Some(notes) = &rule.notes {
        let notes = xml_chars(notes);
        if (cdata || notes.contains(['<', '&'])) && !notes.contains("]]>") {
            out.push_str(&format!("    <notes><![CDATA[{notes}]]></notes>\n"));
        } else {
            out.push_str(&format!("    <notes>{}</notes>\n", escape(&notes, false)));
        }
    }
    for v in rule.selector.iter().chain(&rule.matches) {
        let tag = v.element.tag();
        out.push_str(&format!("    <{tag}"));
        if v.regex {
            out.push_str(" regex=\"true\"");
        }
        if v.case_sensitive {
            out.push_str(" caseSensitive=\"true\"");
        }
        out.push_str(&format!(
            ">{}</{tag}>\n",
            escape(&xml_chars(&v.value), false)
        ));
    }
    out.push_str("  </suppress>\n");
}

/// `s` with what XML 1.0 cannot hold (control characters other than tab, LF and CR)
/// replaced by U+FFFD.
fn xml_chars(s: &str) -> String {
    s.chars()
        .map(|c| {
            if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
            {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text a comment can hold (no `--`, no trailing `-`).
fn comment_text(s: &str) -> String {
    let mut t = xml_chars(s).replace("--", "- -");
    if t.ends_with('-') {
        t.push(' ');
    }
    t
}
