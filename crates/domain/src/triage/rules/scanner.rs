//! The shape of pasted scanner output (Dependency-Check, Trivy, Grype, npm audit,
//! Snyk, OSV-Scanner...): advisory ids, each on a line with a package version, tables,
//! severity columns, package coordinates. Kafka's and Dapr's pages (seeds 003, 004)
//! ask for analysis showing the project is affected; a paste of findings without it
//! is `scanner_output`. The tools' names and phrases are policy data
//! (`scanner_signatures`); the shape is recognised here.

use super::text::{Text, quote};

/// Distinct ids counted (a scan can list hundreds; a handful decide).
const MAX_IDS: usize = 64;
const MAX_LINES: usize = 4_000;

/// What the text has of scanner output.
#[derive(Debug, Default)]
pub struct Shape {
    /// Distinct advisory ids (CVE, GHSA, SNYK-, PYSEC-, GO-, RUSTSEC-, OSV-).
    pub ids: usize,
    /// The first id, as written.
    pub first_id: Option<String>,
    /// Lines naming an id and a version: findings.
    pub rows: usize,
    /// Lines of a table (three or more cell separators).
    pub table_rows: usize,
    /// Lines with a severity column or label.
    pub severity_lines: usize,
    /// Package coordinates: purls, `group:artifact:version`, `name@1.2.3`, jar names.
    pub coordinates: usize,
}

impl Shape {
    pub fn of(text: &Text) -> Self {
        let mut shape = Shape::default();
        let mut seen: Vec<&str> = Vec::new();
        for line in text.source().lines().take(MAX_LINES) {
            // Ids, versions and coordinates all have digits; prose lines often have none.
            let digits = line.bytes().any(|b| b.is_ascii_digit());
            let id_here = digits && shape.ids_of(line, &mut seen);
            let version_here = digits && shape.versions_of(line);
            let cells = cells(line);
            shape.rows += usize::from(id_here && version_here);
            shape.table_rows += usize::from(cells >= 3);
            shape.severity_lines += usize::from(has_severity(line, cells));
        }
        shape.ids = seen.len();
        shape.first_id = seen.first().map(|s| quote(s));
        shape
    }

    /// Adds the line's new advisory ids to `seen`; whether it names one.
    fn ids_of<'t>(&mut self, line: &'t str, seen: &mut Vec<&'t str>) -> bool {
        let mut any = false;
        // Ids are ASCII: split on bytes, anything else separates.
        let tokens = line
            .as_bytes()
            .split(|b| !(b.is_ascii_alphanumeric() || *b == b'-'));
        for token in tokens.filter(|t| t.len() >= 12) {
            let Some(id) = std::str::from_utf8(token)
                .ok()
                .and_then(|t| advisory_id(t.trim_matches('-')))
            else {
                continue;
            };
            any = true;
            if seen.len() < MAX_IDS && !seen.iter().any(|s| s.eq_ignore_ascii_case(id)) {
                seen.push(id);
            }
        }
        any
    }

    /// Counts the line's package coordinates; whether it has a version or coordinate.
    fn versions_of(&mut self, line: &str) -> bool {
        let mut any = false;
        let separator = |b: &u8| b.is_ascii_whitespace() || *b >= 0x80 || b"|,()\"'`".contains(b);
        for token in line.as_bytes().split(separator).filter(|t| t.len() >= 3) {
            let Ok(token) = std::str::from_utf8(token) else {
                continue;
            };
            let token = token.trim_end_matches(['.', ':']);
            if is_coordinate(token) {
                self.coordinates += 1;
                any = true;
            } else if looks_like_version(token) {
                any = true;
            }
        }
        any
    }

    /// How strongly the text looks like scanner output, from the shape alone.
    pub fn score(&self) -> u32 {
        let rows = match self.rows {
            0 => 0,
            1 => 1,
            _ => 3,
        };
        let ids = match self.ids {
            0 | 1 => 0,
            2 => 1,
            3 | 4 => 2,
            _ => 3,
        };
        rows + ids
            + u32::from(self.table_rows >= 3)
            + u32::from(self.severity_lines >= 2)
            + u32::from(self.coordinates >= 2)
    }

    /// The shape in words, for a reason.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.ids > 0 {
            let first = self.first_id.as_deref().unwrap_or("");
            parts.push(match self.ids {
                1 => format!("1 advisory id ({first})"),
                n if n >= MAX_IDS => format!("{n} or more advisory ids ({first}, …)"),
                n => format!("{n} advisory ids ({first}, …)"),
            });
        }
        if self.rows > 0 {
            parts.push(format!("{} lines of id and package version", self.rows));
        }
        if self.table_rows >= 3 {
            parts.push(format!("a table of {} rows", self.table_rows));
        }
        if self.severity_lines >= 2 {
            parts.push(format!("{} severity labels", self.severity_lines));
        }
        if self.coordinates >= 2 {
            parts.push(format!("{} package coordinates", self.coordinates));
        }
        parts.join(", ")
    }
}

/// An advisory id: `CVE-2021-44228`, `GHSA-jfh8-c2jp-5v3q`, `SNYK-JAVA-…-123`, …
fn advisory_id(t: &str) -> Option<&str> {
    let mut parts = t.split('-');
    let prefix = parts.next()?;
    let ok = if prefix.eq_ignore_ascii_case("cve") || prefix.eq_ignore_ascii_case("ghsa") {
        crate::advisory::id_at(t) == Some(t.len())
    } else if ["snyk", "pysec", "go", "rustsec", "osv"]
        .iter()
        .any(|p| prefix.eq_ignore_ascii_case(p))
    {
        // `GO-2022-0001`, `SNYK-JAVA-ORGAPACHE-123456`: a number last.
        t.rsplit('-')
            .next()
            .is_some_and(|n| n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()))
            && t.matches('-').count() >= 2
    } else {
        false
    };
    ok.then_some(t)
}

/// `pkg:maven/…`, `group:artifact:1.2.3`, `lodash@4.17.15`, `log4j-core-2.14.1.jar`.
fn is_coordinate(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() > 4 && b[..4].eq_ignore_ascii_case(b"pkg:") {
        return true;
    }
    if let Some((name, version)) = t.rsplit_once('@') {
        return !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit());
    }
    if t.matches(':').count() >= 2 {
        return t
            .rsplit(':')
            .next()
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()));
    }
    b.len() > 6
        && [".jar", ".war", ".whl", ".tgz"]
            .iter()
            .any(|e| b[b.len() - 4..].eq_ignore_ascii_case(e.as_bytes()))
        && t.bytes().any(|c| c.is_ascii_digit())
}

/// `2.14.1`, `1.1.1c-r0`, `>=1.2.6`, `<1.2.6`: digits with dots.
fn looks_like_version(t: &str) -> bool {
    let t = t.trim_start_matches(['v', 'V', '<', '>', '=', '~', '^']);
    let mut dots = 0;
    let mut digits = 0;
    for b in t.bytes() {
        match b {
            b'.' => dots += 1,
            b'0'..=b'9' => digits += 1,
            _ => {}
        }
    }
    t.starts_with(|c: char| c.is_ascii_digit()) && dots >= 1 && digits >= 2
}

/// Cell separators: box-drawing bars, pipes, commas of a CSV row (not of prose: no
/// ", "), tabs. One pass over the line.
fn cells(line: &str) -> usize {
    let (mut bars, mut tabs, mut commas, mut prose) = (0, 0, 0, false);
    let mut previous = ' ';
    for c in line.chars() {
        match c {
            '│' | '|' | '┃' => bars += 1,
            '\t' => tabs += 1,
            ',' => commas += 1,
            ' ' if previous == ',' => prose = true,
            _ => {}
        }
        previous = c;
    }
    let commas = if prose { 0 } else { commas / 2 };
    bars.max(tabs).max(commas)
}

/// A severity as scanners print it: an upper-case label, `Severity: high`,
/// `High severity vulnerability`.
fn has_severity(line: &str, cells: usize) -> bool {
    const UPPER: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "MODERATE"];
    let words = line.split(|c: char| !c.is_ascii_alphabetic());
    let mut upper = false;
    let mut title_case = false;
    let mut severity_word = false;
    for w in words.filter(|w| !w.is_empty()) {
        upper |= UPPER.contains(&w);
        title_case |= matches!(w, "Critical" | "High" | "Medium" | "Low" | "Moderate");
        severity_word |= w.eq_ignore_ascii_case("severity");
    }
    upper || (title_case && (severity_word || cells >= 3)) || (severity_word && line.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_rows() {
        let t = Text::new(
            "scan",
            "log4j-core  2.14.1  2.15.0  java-archive  GHSA-jfh8-c2jp-5v3q  Critical\n\
             log4j-core  2.14.1  2.16.0  java-archive  CVE-2021-45046  Critical\n\
             see cve-2021-45046 again, and SNYK-JAVA-ORGAPACHELOGGINGLOG4J-2314720",
        );
        let s = Shape::of(&t);
        assert_eq!((s.ids, s.rows), (3, 2));
        assert_eq!(s.first_id.as_deref(), Some("GHSA-jfh8-c2jp-5v3q"));
        assert!(s.score() >= 5, "{s:?}");
        assert!(
            s.describe()
                .starts_with("3 advisory ids (GHSA-jfh8-c2jp-5v3q, …)")
        );
    }

    #[test]
    fn a_report_naming_one_cve_is_not_shaped_like_a_scan() {
        let t = Text::new(
            "Deserialization",
            "Like CVE-2022-42889, the config loader in 3.4.0 interpolates values. Severity: high.",
        );
        let s = Shape::of(&t);
        assert!(s.score() <= 1, "{s:?}");
        assert!(advisory_id("CVE-21-1").is_none() && advisory_id("GHSA-xx").is_none());
        assert!(is_coordinate("pkg:maven/a/b@1") && is_coordinate("org.a:b:1.2"));
        assert!(is_coordinate("lodash@4.17.15") && !is_coordinate("me@example.org"));
    }
}
