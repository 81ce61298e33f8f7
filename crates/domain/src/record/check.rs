//! What a record must say before it can be announced and submitted:
//! [`CnaRecord::problems`], every problem at once, each naming its field. The CVE JSON 5
//! lint (in `embargo-formats`) adds its own findings on top.

use serde::Serialize;

use super::model::{CnaRecord, MAX_RECORD_DESCRIPTION};
use super::parts::{REFERENCE_TAGS, is_cwe_id};
use super::product::{AffectedProduct, versionless_purl};
use super::versions::{VersionRange, VersionStatus};
use crate::DomainError;
use crate::text::{MAX_LINE_CHARS, optional_line, required_line, required_text};

/// One thing wrong with a record: the field (or CVE JSON path) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The problems found so far, in the order the checks run.
#[derive(Default)]
struct Found(Vec<Problem>);

impl Found {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }

    /// A text check's error, as the message alone (the field is named beside it).
    fn push_err(&mut self, field: &str, e: DomainError) {
        let message = match e {
            DomainError::Invalid { message, .. } => message,
            other => other.to_string(),
        };
        self.push(field, message);
    }
}

impl CnaRecord {
    /// Every problem the domain sees, each naming its field; empty when the record can
    /// be announced and submitted (the CVE JSON 5 lint adds its own findings).
    pub fn problems(&self) -> Vec<Problem> {
        let mut found = Found::default();
        text(self, &mut found);
        products(self, &mut found);
        cwes(self, &mut found);
        timeline(self, &mut found);
        if let Some(m) = &self.mitigation
            && let Err(e) = required_text("mitigation", m, MAX_RECORD_DESCRIPTION)
        {
            found.push_err("mitigation", e);
        }
        vectors(self, &mut found);
        if let Some(w) = &self.workarounds
            && (w.trim().is_empty() || w.len() > MAX_RECORD_DESCRIPTION)
        {
            found.push(
                "workarounds",
                format!("must be non-empty and at most {MAX_RECORD_DESCRIPTION} bytes"),
            );
        }
        credits(self, &mut found);
        references(self, &mut found);
        found.0
    }
}

/// Title and description.
fn text(r: &CnaRecord, found: &mut Found) {
    match required_line("title", &r.title) {
        Err(e) => found.push_err("title", e),
        Ok(t) if t.chars().count() > MAX_TITLE_CHARS => found.push(
            "title",
            format!("is longer than {MAX_TITLE_CHARS} characters, the CVE record's limit"),
        ),
        Ok(_) => {}
    }
    if let Err(e) = required_text("description", &r.description, MAX_RECORD_DESCRIPTION) {
        found.push_err("description", e);
    }
}

/// At least one product, and each product whole (`products[i]...`).
fn products(r: &CnaRecord, found: &mut Found) {
    if r.products.is_empty() {
        found.push(
            "products",
            "name at least one affected product with its versions",
        );
    }
    if r.products.len() > MAX_PRODUCTS {
        found.push(
            "products",
            format!("at most {MAX_PRODUCTS} products; list a product's modules as products only where they have releases of their own"),
        );
    }
    for (i, p) in r.products.iter().enumerate() {
        let at = |field: &str| format!("products[{i}].{field}");
        if let Err(e) = required_line("product", &p.product) {
            found.push_err(&at("product"), e);
        }
        if let Some(v) = &p.vendor
            && let Err(e) = optional_line("", v)
        {
            found.push_err(&at("vendor"), e);
        }
        range_bounds(p, &at("versions"), found);
        range_shapes(p, &at("versions"), found);
        package(p, &at, found);
    }
}

/// CVE JSON 5's longest title.
const MAX_TITLE_CHARS: usize = 256;

/// More products than this is a list of components, not of what is affected.
const MAX_PRODUCTS: usize = 50;

/// At least one range, and each range's bounds single lines that do not meet.
fn range_bounds(p: &AffectedProduct, field: &str, found: &mut Found) {
    if p.versions.is_empty() {
        found.push(field, "name at least one affected version range");
    }
    for (i, range) in p.versions.iter().enumerate() {
        if let Err(e) = bounds_are_lines(range) {
            found.push_err(&format!("{field}[{i}]"), e);
        }
    }
}

fn bounds_are_lines(r: &VersionRange) -> Result<(), DomainError> {
    optional_line("affected", &r.introduced)?;
    if let Some(f) = &r.fixed {
        required_line("affected", f)?;
        if f.trim() == r.introduced.trim() {
            return Err(DomainError::invalid(
                "affected",
                format!("the range {} before {f} is empty", r.introduced),
            ));
        }
    }
    Ok(())
}

/// The first CWE, then the further ones.
fn cwes(r: &CnaRecord, found: &mut Found) {
    if let Some(cwe) = &r.cwe
        && !is_cwe_id(cwe)
    {
        found.push("cwe", format!("{cwe:?} is not a CWE id like CWE-79"));
    }
    if let Some(n) = &r.cwe_name
        && let Err(e) = optional_line("", n)
    {
        found.push_err("cwe_name", e);
    }
    if !r.further_cwes.is_empty() && r.cwe.is_none() {
        found.push("cwe", "give the first CWE before further ones");
    }
    for (i, c) in r.further_cwes.iter().enumerate() {
        if !is_cwe_id(&c.id) {
            found.push(
                &format!("further_cwes[{i}]"),
                format!("{:?} is not a CWE id like CWE-79", c.id),
            );
        }
        if let Some(n) = &c.name
            && let Err(e) = optional_line("", n)
        {
            found.push_err(&format!("further_cwes[{i}]"), e);
        }
    }
    if r.further_cwes.len() > 20 {
        found.push("further_cwes", "at most 20 further CWEs");
    }
}

fn timeline(r: &CnaRecord, found: &mut Found) {
    if r.timeline.len() > 50 {
        found.push("timeline", "at most 50 timeline entries");
    }
    for (i, t) in r.timeline.iter().enumerate() {
        if let Err(e) = super::parts::TimelineEntry::parse_line(&t.describe()) {
            found.push_err(&format!("timeline[{i}]"), e);
        }
    }
}

/// How many ranges, their statuses, the changes inside them, inclusive bounds.
fn range_shapes(p: &AffectedProduct, field: &str, found: &mut Found) {
    if p.versions.len() > 50 {
        found.push(field, "at most 50 ranges");
    }
    if p.versions
        .iter()
        .all(|x| x.status != VersionStatus::Affected)
        && !p.versions.is_empty()
        && p.default_status != Some(VersionStatus::Affected)
    {
        found.push(
            field,
            "every range says unaffected or unknown; name the affected versions too, or make other versions affected by default",
        );
    }
    for (i, range) in p.versions.iter().enumerate() {
        let field = format!("{field}[{i}]");
        if range.changes.len() > 20 {
            found.push(&field, "at most 20 changes in a range");
        }
        for c in &range.changes {
            if c.at.trim().is_empty() || optional_line("", &c.at).is_err() {
                found.push(&field, format!("{:?} is not a version for a change", c.at));
            }
        }
        if let Some(last) = &range.last_affected {
            if range.fixed.is_some() {
                found.push(
                    &field,
                    "give either the first fixed version (\"before\") or the last affected one (\"through\"), not both",
                );
            }
            if let Err(e) = optional_line("affected", last) {
                found.push(&field, e.to_string());
            }
        }
    }
}

/// A product's package coordinates, its package URL and its version type.
fn package(p: &AffectedProduct, at: &dyn Fn(&str) -> String, found: &mut Found) {
    for (field, v) in [
        ("collection_url", &p.collection_url),
        ("package_name", &p.package_name),
        ("version_type", &p.version_type),
    ] {
        if let Some(v) = v
            && let Err(e) = optional_line("", v)
        {
            found.push_err(&at(field), e);
        }
    }
    if let Some(u) = &p.collection_url
        && !is_web_url(u)
    {
        found.push(
            &at("collection_url"),
            format!("{u:?} is not an http(s) URL like https://repo.maven.apache.org/maven2"),
        );
    }
    if p.collection_url.is_some() != p.package_name.is_some() {
        found.push(
            &at("package_name"),
            "give the package repository (collection URL) and the package name together, or neither",
        );
    }
    if let Some(purl) = &p.package_url
        && let Err(message) = versionless_purl(purl)
    {
        found.push(&at("package_url"), message);
    }
}

/// The CVSS vectors' form (their scores are computed in `embargo-formats`).
fn vectors(r: &CnaRecord, found: &mut Found) {
    for (field, prefix, v) in [
        ("cvss_v3_1", "CVSS:3.1/", &r.cvss_v3_1),
        ("cvss_v4_0", "CVSS:4.0/", &r.cvss_v4_0),
    ] {
        if let Some(v) = v
            && (!v.starts_with(prefix)
                || v.len() > MAX_LINE_CHARS
                || v.contains(char::is_whitespace))
        {
            found.push(
                field,
                format!("{v:?} is not a vector; it starts with {prefix:?}, e.g. {prefix}AV:N/..."),
            );
        }
    }
}

fn credits(r: &CnaRecord, found: &mut Found) {
    if r.credits.len() > 50 {
        found.push("credits", "at most 50 credits");
    }
    for (i, c) in r.credits.iter().enumerate() {
        if c.name.trim().is_empty() {
            found.push(&format!("credits[{i}]"), "name the person or organisation");
        }
    }
}

fn references(r: &CnaRecord, found: &mut Found) {
    if r.references.len() > 50 {
        found.push("references", "at most 50 references");
    }
    for (i, reference) in r.references.iter().enumerate() {
        if !is_web_url(&reference.url) || reference.url.len() > 2048 {
            found.push(
                &format!("references[{i}]"),
                format!("{:?} is not an http(s) URL", reference.url),
            );
        }
        for t in &reference.tags {
            if !REFERENCE_TAGS.contains(&t.as_str()) && !t.starts_with("x_") {
                found.push(
                    &format!("references[{i}].tags"),
                    format!(
                        "{t:?} is not a CVE reference tag (e.g. patch, vendor-advisory, mailing-list, issue-tracking)"
                    ),
                );
            }
        }
    }
}

fn is_web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() > "https://".len()
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::super::model::samples::{activemq, airflow, kafka, product};
    use super::super::parts::{Cwe, Reference, TimelineEntry};
    use super::*;
    use crate::ids::CveId;

    fn fields(r: &CnaRecord) -> Vec<String> {
        r.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn problems_name_every_field() {
        assert_eq!(kafka().problems(), vec![]);
        let mut r = kafka();
        r.cwe = Some("79".into());
        r.products[0].versions.push(VersionRange {
            introduced: "1".into(),
            fixed: Some("1".into()),
            ..VersionRange::default()
        });
        r.references.push(Reference {
            url: "https://x.example".into(),
            tags: vec!["bogus".into()],
        });
        r.cvss_v3_1 = Some("AV:N".into());
        r.products[0].package_name = None;
        assert_eq!(
            fields(&r),
            [
                "products[0].versions[2]",
                "products[0].package_name",
                "cwe",
                "cvss_v3_1",
                "references[1].tags"
            ],
            "{:?}",
            r.problems()
        );
        let mut long = kafka();
        long.title = "Apache Kafka: ".repeat(20);
        assert_eq!(
            long.problems()[0].to_string(),
            "title: is longer than 256 characters, the CVE record's limit"
        );
        let empty = CnaRecord::default().problems();
        assert!(empty.iter().any(|p| p.field == "title"), "{empty:?}");
        assert!(empty.iter().any(|p| p.field == "products"), "{empty:?}");
    }

    /// Each product is checked on its own, and a problem names the product by its
    /// place in the list.
    #[test]
    fn every_product_is_checked_and_named_by_its_place() {
        assert_eq!(activemq().problems(), vec![]);
        let mut r = activemq();
        r.products[1].product = " ".into();
        r.products[1].versions.clear();
        r.products[0].package_url =
            Some("pkg:maven/org.apache.activemq/activemq-client@5.18.2".into());
        r.products[0].vendor = Some("Apache\nSoftware Foundation".into());
        r.products.push(product(
            "Apache ActiveMQ Artemis",
            &["unaffected: 2.0 and later"],
        ));
        assert_eq!(
            fields(&r),
            [
                "products[0].vendor",
                "products[0].package_url",
                "products[1].product",
                "products[1].versions",
                "products[2].versions"
            ],
            "{:?}",
            r.problems()
        );
        let purl = &r.problems()[1];
        assert!(purl.message.contains("names version 5.18.2"), "{purl}");
        r.products[0].package_url = Some("pkg:maven/org.apache.activemq/activemq-client".into());
        r.products[0].vendor = Some("Apache Software Foundation".into());
        r.products.truncate(1);
        assert_eq!(r.problems(), vec![]);
    }

    #[test]
    fn the_first_records_rules_name_the_field() {
        assert_eq!(airflow().problems(), vec![]);
        let mut r = airflow();
        r.products[0].versions.clear();
        assert_eq!(fields(&r), ["products[0].versions"]);
        let mut r = airflow();
        r.products.clear();
        assert_eq!(fields(&r), ["products"]);
        let mut r = airflow();
        r.cwe = Some("79".into());
        assert_eq!(fields(&r), ["cwe"]);
        let mut r = airflow();
        r.references
            .push(Reference::parse_line("javascript:alert(1)").unwrap());
        assert_eq!(fields(&r), ["references[1]"]);
        let mut r = airflow();
        r.products[0].versions[0] = VersionRange::parse_line("1.0 before 1.0").unwrap();
        assert_eq!(
            r.problems()[0].to_string(),
            "products[0].versions[0]: the range 1.0 before 1.0 is empty"
        );
    }

    #[test]
    fn unaffected_ranges_and_further_cwes_in_problems_and_announcement() {
        let mut r = kafka();
        let ranges = &mut r.products[0].versions;
        ranges.push(VersionRange::parse_line("unaffected: 3.9.0 and later").unwrap());
        ranges[0] = VersionRange::parse_line("2.3.0 before 3.7.1, fixed in 3.6.9").unwrap();
        r.further_cwes = vec![Cwe::parse_line("CWE-20 Improper Input Validation").unwrap()];
        r.timeline = vec![TimelineEntry::parse_line("2024-01-05 Reported").unwrap()];
        assert_eq!(r.problems(), vec![]);
        let a = r.announcement(&CveId::parse("CVE-2026-10000").unwrap());
        assert!(
            a.body.contains(
                "- Apache Kafka 2.3.0 before 3.7.1, fixed in 3.6.9\n- Apache Kafka 3.8.0 through 3.8.2\n\nUnaffected versions:\n\n- Apache Kafka 3.9.0 and later\n"
            ),
            "{}",
            a.body
        );
        r.further_cwes.push(Cwe {
            id: "79".into(),
            name: None,
        });
        r.products[0]
            .versions
            .retain(|x| x.status != VersionStatus::Affected);
        assert_eq!(
            fields(&r),
            ["products[0].versions", "further_cwes[1]"],
            "{:?}",
            r.problems()
        );
        r.products[0].default_status = Some(VersionStatus::Affected);
        r.further_cwes.pop();
        assert_eq!(r.problems(), vec![]);
    }
}
