//! The record form: its fields as the member typed them (lists one item per line, one
//! row of fields per affected product), read from a stored record and turned back into
//! one.
//!
//! It works without JavaScript: the page always has one empty product row to fill in
//! (an empty row is not a product), "Add a product row" posts the form back with one
//! more row and saves nothing, and a row's "Remove" box drops it on save. A product
//! row's fields are posted as `products[i].<field>`; a form of the single-product page
//! (`product`, `affected`...) reads as the first row.

use std::collections::BTreeMap;

use embargo_domain::DomainError;
use embargo_domain::record::{
    AffectedProduct, CnaRecord, Credit, Cwe, Reference, Severity, TimelineEntry, VersionRange,
    VersionStatus,
};
use serde::Deserialize;

use crate::error::AppError;

/// The record form's fields as typed: lists are one item per line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecordFields {
    pub title: String,
    pub description: String,
    pub severity: String,
    pub cwe: String,
    pub cwe_name: String,
    pub mitigation: String,
    pub credits: String,
    pub references: String,
    pub cvss_v3_1: String,
    pub cvss_v4_0: String,
    pub workarounds: String,
    pub date_public: String,
    /// CWEs after the first, one per line ("CWE-20 Improper Input Validation").
    pub further_cwes: String,
    /// One event per line ("2024-01-05 Reported to the security team").
    pub timeline: String,
    /// One row per product, in order; read from `products[i].<field>` ([`PostedRecord`]).
    #[serde(skip)]
    pub products: Vec<ProductFields>,
}

/// One product row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFields {
    pub vendor: String,
    pub product: String,
    pub collection_url: String,
    pub package_name: String,
    pub package_url: String,
    pub version_type: String,
    /// One range per line ("1.0.0 before 1.2.3").
    pub versions: String,
    /// "affected", "unaffected" or "unknown"; empty is unaffected.
    pub default_status: String,
    /// The member ticked "Remove": the row is dropped on save.
    pub remove: bool,
}

/// The most product rows a form may post (a record holds at most 50 products).
const MAX_ROWS: usize = 60;

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl ProductFields {
    fn from_product(p: &AffectedProduct) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            vendor: opt(&p.vendor),
            product: p.product.clone(),
            collection_url: opt(&p.collection_url),
            package_name: opt(&p.package_name),
            package_url: opt(&p.package_url),
            version_type: opt(&p.version_type),
            versions: p
                .versions
                .iter()
                .map(VersionRange::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            default_status: p
                .default_status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            remove: false,
        }
    }

    /// Nothing typed: the spare row, which is not a product.
    fn is_blank(&self) -> bool {
        Self {
            remove: self.remove,
            ..Self::default()
        } == *self
    }

    /// Sets the field `name` of the row as posted; false for a name it does not have.
    fn set(&mut self, name: &str, value: String) -> bool {
        let field = match name {
            "vendor" => &mut self.vendor,
            "product" => &mut self.product,
            "collection_url" => &mut self.collection_url,
            "package_name" => &mut self.package_name,
            "package_url" => &mut self.package_url,
            "version_type" => &mut self.version_type,
            // `affected`: the single-product page's name for the ranges.
            "versions" | "affected" => &mut self.versions,
            "default_status" => &mut self.default_status,
            "remove" => {
                self.remove = !value.is_empty();
                return true;
            }
            _ => return false,
        };
        *field = value;
        true
    }

    /// The package URL the coordinates give, shown where none is typed.
    pub fn purl_hint(&self) -> String {
        AffectedProduct {
            collection_url: optional(&self.collection_url),
            package_name: optional(&self.package_name),
            ..AffectedProduct::default()
        }
        .purl()
        .unwrap_or_default()
    }

    /// The product this row says; errors name the row's field (`products[1].versions`).
    fn to_product(&self, i: usize) -> Result<AffectedProduct, AppError> {
        let at = |field: &str, e: DomainError| match e {
            DomainError::Invalid { message, .. } => {
                AppError::invalid(&format!("products[{i}].{field}"), message)
            }
            other => AppError::from(other),
        };
        Ok(AffectedProduct {
            vendor: optional(&self.vendor),
            product: self.product.trim().to_string(),
            collection_url: optional(&self.collection_url),
            package_name: optional(&self.package_name),
            package_url: optional(&self.package_url),
            version_type: optional(&self.version_type),
            versions: lines(&self.versions)
                .map(VersionRange::parse_line)
                .collect::<Result<_, _>>()
                .map_err(|e| at("versions", e))?,
            default_status: optional(&self.default_status)
                .map(|s| VersionStatus::parse("default_status", &s))
                .transpose()
                .map_err(|e| at("default_status", e))?,
        })
    }
}

impl RecordFields {
    pub fn from_record(r: &CnaRecord) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            title: r.title.clone(),
            description: r.description.clone(),
            severity: r
                .severity
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            cwe: opt(&r.cwe),
            cwe_name: opt(&r.cwe_name),
            mitigation: opt(&r.mitigation),
            credits: r
                .credits
                .iter()
                .map(|c| format!("{} ({})", c.name, c.kind.cve_name()))
                .collect::<Vec<_>>()
                .join("\n"),
            references: r
                .references
                .iter()
                .map(Reference::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            cvss_v3_1: opt(&r.cvss_v3_1),
            cvss_v4_0: opt(&r.cvss_v4_0),
            workarounds: opt(&r.workarounds),
            date_public: r.date_public.map(|d| d.to_string()).unwrap_or_default(),
            further_cwes: r
                .further_cwes
                .iter()
                .map(Cwe::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            timeline: r
                .timeline
                .iter()
                .map(TimelineEntry::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            products: r.products.iter().map(ProductFields::from_product).collect(),
        }
        .with_spare_row()
    }

    /// The rows with one empty row at the end, where a product is added.
    pub fn with_spare_row(mut self) -> Self {
        if self.products.last().is_none_or(|p| !p.is_blank()) {
            self.products.push(ProductFields::default());
        }
        self
    }

    /// The rows with one more empty row ("Add a product row").
    fn with_another_row(mut self) -> Self {
        self.products.push(ProductFields::default());
        self
    }

    /// The record these lines describe; each line is parsed by the domain's own reader.
    /// Empty rows and rows marked "Remove" are no products.
    pub fn to_record(&self) -> Result<CnaRecord, AppError> {
        let text = |s: &str| optional(s).map(|m| m.replace("\r\n", "\n"));
        Ok(CnaRecord {
            title: self.title.trim().to_string(),
            description: self.description.trim().replace("\r\n", "\n"),
            products: self
                .products
                .iter()
                .filter(|p| !p.remove && !p.is_blank())
                .enumerate()
                .map(|(i, p)| p.to_product(i))
                .collect::<Result<_, _>>()?,
            severity: optional(&self.severity)
                .map(|s| Severity::parse(&s))
                .transpose()?,
            cwe: optional(&self.cwe),
            cwe_name: optional(&self.cwe_name),
            mitigation: text(&self.mitigation),
            credits: lines(&self.credits)
                .map(Credit::parse_line)
                .collect::<Result<_, _>>()?,
            references: lines(&self.references)
                .map(Reference::parse_line)
                .collect::<Result<_, _>>()?,
            // Vectors are often pasted with a trailing space or a lower-case prefix.
            cvss_v3_1: optional(&self.cvss_v3_1).map(|v| normalise_vector(&v)),
            cvss_v4_0: optional(&self.cvss_v4_0).map(|v| normalise_vector(&v)),
            workarounds: text(&self.workarounds),
            date_public: optional(&self.date_public)
                .map(|d| {
                    d.parse::<jiff::civil::Date>().map_err(|_| {
                        AppError::invalid(
                            "date_public",
                            format!("{d:?} is not a date (YYYY-MM-DD)"),
                        )
                    })
                })
                .transpose()?,
            further_cwes: lines(&self.further_cwes)
                .map(Cwe::parse_line)
                .collect::<Result<_, _>>()?,
            timeline: lines(&self.timeline)
                .map(TimelineEntry::parse_line)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The record form as a browser posts it: the record's own fields, each product row's
/// fields as `products[i].<field>`, and the "Add a product row" button.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostedRecord {
    #[serde(flatten)]
    fields: RecordFields,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// What the member asked for with the form.
pub enum RecordAction {
    /// "Save record".
    Save(RecordFields),
    /// "Add a product row": the form again with one more row, nothing saved.
    AddRow(RecordFields),
}

impl PostedRecord {
    /// The form's fields with their product rows, in row order, and what to do with
    /// them. Refuses a row index past `MAX_ROWS` and a field a row does not have.
    pub fn read(self) -> Result<RecordAction, AppError> {
        let mut rows: BTreeMap<usize, ProductFields> = BTreeMap::new();
        let mut add = false;
        for (key, value) in self.rest {
            if key == "add_product" {
                add = true;
                continue;
            }
            let Some((i, field)) = row_field(&key) else {
                // The single-product page's fields are the first row.
                rows.entry(0).or_default().set(&key, value);
                continue;
            };
            if i >= MAX_ROWS {
                return Err(AppError::invalid(
                    &key,
                    format!("a record lists at most {MAX_ROWS} product rows"),
                ));
            }
            if !rows.entry(i).or_default().set(field, value) {
                return Err(AppError::invalid(&key, "a product row has no such field"));
            }
        }
        let fields = RecordFields {
            products: rows.into_values().collect(),
            ..self.fields
        };
        Ok(if add {
            RecordAction::AddRow(fields.with_another_row())
        } else {
            RecordAction::Save(fields)
        })
    }
}

/// `products[3].versions` → (3, "versions").
fn row_field(key: &str) -> Option<(usize, &str)> {
    let (index, field) = key.strip_prefix("products[")?.split_once("].")?;
    Some((index.parse().ok()?, field))
}

fn normalise_vector(v: &str) -> String {
    match v.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("cvss:") => format!("CVSS:{}", &v[5..]),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> RecordAction {
        let body = serde_urlencoded::to_string(pairs).unwrap();
        let form: PostedRecord = serde_urlencoded::from_str(&body).unwrap();
        form.read().unwrap()
    }

    fn saved(pairs: &[(&str, &str)]) -> CnaRecord {
        match posted(pairs) {
            RecordAction::Save(f) => f.to_record().unwrap(),
            RecordAction::AddRow(_) => panic!("not a save"),
        }
    }

    /// Rows come in index order whatever the order posted; empty and removed rows are
    /// no products; the single-product names are the first row.
    #[test]
    fn product_rows_are_read_in_order_and_empty_ones_dropped() {
        let r = saved(&[
            ("title", "t"),
            (
                "products[1].product",
                "Apache ActiveMQ Legacy OpenWire Module",
            ),
            ("products[1].versions", "5.8.0 before 5.15.16"),
            ("products[0].product", "Apache ActiveMQ"),
            (
                "products[0].versions",
                "5.18.0 before 5.18.3\r\nbefore 5.15.16",
            ),
            (
                "products[0].package_url",
                "pkg:maven/org.apache.activemq/activemq-client",
            ),
            ("products[2].product", "Dropped"),
            ("products[2].remove", "1"),
            ("products[3].product", ""),
            ("products[3].versions", ""),
        ]);
        let names: Vec<&str> = r.products.iter().map(|p| p.product.as_str()).collect();
        assert_eq!(
            names,
            ["Apache ActiveMQ", "Apache ActiveMQ Legacy OpenWire Module"]
        );
        assert_eq!(r.products[0].versions.len(), 2);
        let old = saved(&[("product", "Apache Kafka"), ("affected", "before 3.7.1")]);
        assert_eq!(old.products[0].product, "Apache Kafka");
        assert_eq!(old.products[0].versions[0].describe(), "before 3.7.1");
    }

    #[test]
    fn add_a_row_saves_nothing_and_bad_rows_are_named() {
        let RecordAction::AddRow(f) = posted(&[
            ("products[0].product", "Apache Kafka"),
            ("add_product", "1"),
        ]) else {
            panic!("not an added row")
        };
        assert_eq!(f.products.len(), 2);
        assert!(f.products[1].is_blank());
        let bad = posted(&[
            ("products[0].product", "P"),
            ("products[0].versions", "from 1 to 2"),
        ]);
        let RecordAction::Save(f) = bad else { panic!() };
        let e = f.to_record().unwrap_err().to_string();
        assert!(e.starts_with("products[0].versions: "), "{e}");
        let body = "products%5B99%5D.product=x";
        let e = serde_urlencoded::from_str::<PostedRecord>(body)
            .unwrap()
            .read()
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("at most 60 product rows"), "{e}");
        let body = "products%5B0%5D.colour=x";
        let e = serde_urlencoded::from_str::<PostedRecord>(body)
            .unwrap()
            .read()
            .err()
            .unwrap()
            .to_string();
        assert_eq!(e, "products[0].colour: a product row has no such field");
    }

    #[test]
    fn a_stored_record_shows_its_products_and_a_spare_row() {
        let r = saved(&[
            ("products[0].product", "Apache Kafka"),
            (
                "products[0].collection_url",
                "https://repo.maven.apache.org/maven2",
            ),
            ("products[0].package_name", "org.apache.kafka:kafka-clients"),
            ("products[0].versions", "3.0.0 before 3.7.1"),
        ]);
        let f = RecordFields::from_record(&r);
        assert_eq!(f.products.len(), 2);
        assert_eq!(f.products[0].versions, "3.0.0 before 3.7.1");
        assert_eq!(
            f.products[0].purl_hint(),
            "pkg:maven/org.apache.kafka/kafka-clients"
        );
        assert!(f.products[1].is_blank());
        assert_eq!(RecordFields::default().with_spare_row().products.len(), 1);
    }
}
