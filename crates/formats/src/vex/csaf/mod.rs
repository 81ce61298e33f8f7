//! CSAF 2.0 VEX (profile `csaf_vex`) as statements, and back; written to pass the
//! schema and the mandatory tests of section 6.1 (checked with the BSI validator in the
//! tests).
//!
//! The product tree: the publisher as vendor, the project as product name, one
//! version leaf per version a statement speaks for (`product_versions`, for a `fixed`
//! statement its `fixed_in`, else `meta.product_version`, else `vers:all/*`); each
//! component a full product name (its name, its purl as identification helper); each
//! (component, version) a `default_component_of` relationship, whose product id the
//! statuses name. A statement about the product as a whole names the version leaf.
//!
//! A vulnerability per advisory id (6.1.23 allows a CVE once): `cve` when it is a CVE
//! (or, for another id, its first CVE alias no other vulnerability has), `ids` with
//! the id first and its aliases when there is more than a CVE; `product_status` by
//! status; `flags` with the justification labels (CSAF's are OpenVEX's); `threats` of
//! category `impact` with the impact; `remediations` with the action (`vendor_fix` for
//! fixed, `mitigation` otherwise). Not carried: `until`, and `product_versions` of a
//! `fixed` statement that has a `fixed_in`.

use std::collections::HashMap;

use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use serde::Deserialize;
use serde_json::Value;

use super::common::{any_component, component_from_purl, free_text, plain_version, some_text};
use super::{Collector, Imported, VexError, VexFormat, from_value};

mod write;

pub(super) use write::export;

const FORMAT: VexFormat = VexFormat::Csaf;

/// The version leaf of statements that name no version.
const ALL_VERSIONS: &str = "vers:all/*";

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    product_tree: Option<ProductTree>,
    #[serde(default)]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize, Default)]
struct ProductTree {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    full_product_names: Vec<FullProductName>,
    #[serde(default)]
    relationships: Vec<Relationship>,
    #[serde(default)]
    product_groups: Vec<ProductGroup>,
}

#[derive(Deserialize)]
struct Branch {
    category: String,
    name: String,
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    product: Option<FullProductName>,
}

#[derive(Deserialize)]
struct FullProductName {
    name: String,
    product_id: String,
    #[serde(default)]
    product_identification_helper: Option<Helper>,
}

#[derive(Deserialize)]
struct Helper {
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Relationship {
    product_reference: String,
    relates_to_product_reference: String,
    full_product_name: FullProductName,
}

#[derive(Deserialize)]
struct ProductGroup {
    group_id: String,
    product_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    ids: Vec<VulnerabilityId>,
    #[serde(default)]
    product_status: Option<ProductStatus>,
    #[serde(default)]
    flags: Vec<Tagged>,
    #[serde(default)]
    threats: Vec<Tagged>,
    #[serde(default)]
    remediations: Vec<Tagged>,
}

#[derive(Deserialize)]
struct VulnerabilityId {
    text: String,
}

#[derive(Deserialize, Default)]
struct ProductStatus {
    #[serde(default)]
    first_affected: Vec<String>,
    #[serde(default)]
    known_affected: Vec<String>,
    #[serde(default)]
    last_affected: Vec<String>,
    #[serde(default)]
    first_fixed: Vec<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    known_not_affected: Vec<String>,
    #[serde(default)]
    under_investigation: Vec<String>,
    #[serde(default)]
    recommended: Vec<String>,
}

/// A flag, threat or remediation: what it says and of which products.
#[derive(Deserialize)]
struct Tagged {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    group_ids: Vec<String>,
}

/// What a product id stands for.
#[derive(Clone)]
enum Product {
    /// A product in the tree (or a full product name): its version leaf name, if it
    /// is a version leaf, and its name and purl.
    Plain {
        version: Option<String>,
        name: String,
        purl: Option<String>,
    },
    /// A component of a product.
    Relationship { component: String, product: String },
}

/// Every product id of the tree.
fn products(tree: &ProductTree) -> HashMap<String, Product> {
    let mut out = HashMap::new();
    fn walk(b: &Branch, out: &mut HashMap<String, Product>) {
        if let Some(p) = &b.product {
            let version = matches!(
                b.category.as_str(),
                "product_version" | "product_version_range"
            )
            .then(|| b.name.trim().to_string());
            out.insert(p.product_id.clone(), plain(p, version));
        }
        for child in &b.branches {
            walk(child, out);
        }
    }
    for b in &tree.branches {
        walk(b, &mut out);
    }
    for p in &tree.full_product_names {
        out.insert(p.product_id.clone(), plain(p, None));
    }
    for r in &tree.relationships {
        out.insert(
            r.full_product_name.product_id.clone(),
            Product::Relationship {
                component: r.product_reference.clone(),
                product: r.relates_to_product_reference.clone(),
            },
        );
    }
    out
}

fn plain(p: &FullProductName, version: Option<String>) -> Product {
    Product::Plain {
        version,
        name: p.name.trim().to_string(),
        purl: p
            .product_identification_helper
            .as_ref()
            .and_then(|h| some_text(h.purl.as_deref())),
    }
}

pub(super) fn import(value: Value) -> Result<Imported, VexError> {
    let doc: Document = from_value(FORMAT, value)?;
    let tree = doc.product_tree.unwrap_or_default();
    let products = products(&tree);
    let groups: HashMap<&str, &[String]> = tree
        .product_groups
        .iter()
        .map(|g| (g.group_id.as_str(), g.product_ids.as_slice()))
        .collect();
    let mut out = Collector::new(FORMAT);
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        vulnerability_statements(v, i, &products, &groups, &mut out)?;
    }
    Ok(out.finish(Vec::new()))
}

/// The id and aliases of a vulnerability: `ids` in order (the first is the id), with
/// `cve` an alias if it is not among them; or `cve` alone.
fn vulnerability_ids(v: &Vulnerability, at: &str) -> Result<(String, Vec<String>), VexError> {
    let mut ids: Vec<String> = v
        .ids
        .iter()
        .filter_map(|i| some_text(Some(&i.text)))
        .collect();
    if let Some(cve) = some_text(v.cve.as_deref())
        && !ids.contains(&cve)
    {
        ids.push(cve);
    }
    if ids.is_empty() {
        return Err(VexError::invalid(
            FORMAT,
            at,
            "a vulnerability needs a cve or ids",
        ));
    }
    let id = ids.remove(0);
    Ok((id, ids))
}

fn vulnerability_statements(
    v: &Vulnerability,
    i: usize,
    products: &HashMap<String, Product>,
    groups: &HashMap<&str, &[String]>,
    out: &mut Collector,
) -> Result<(), VexError> {
    let at = format!("vulnerabilities[{i}]");
    let (id, aliases) = vulnerability_ids(v, &at)?;
    let said = said(v, groups);
    let none = Said::default();
    let status = v.product_status.as_ref();
    if status.is_some_and(|s| !s.recommended.is_empty()) {
        out.warnings.add(
            format!("{at}.product_status.recommended"),
            "recommended products not kept (no statement status says it)",
        );
    }
    let lists = status.map(|s| {
        [
            (
                "known_not_affected",
                VexStatus::NotAffected,
                &s.known_not_affected,
            ),
            ("first_affected", VexStatus::Affected, &s.first_affected),
            ("known_affected", VexStatus::Affected, &s.known_affected),
            ("last_affected", VexStatus::Affected, &s.last_affected),
            ("first_fixed", VexStatus::Fixed, &s.first_fixed),
            ("fixed", VexStatus::Fixed, &s.fixed),
            (
                "under_investigation",
                VexStatus::UnderInvestigation,
                &s.under_investigation,
            ),
        ]
    });
    for (key, status, ids) in lists.into_iter().flatten() {
        for (j, pid) in ids.iter().enumerate() {
            let here = format!("{at}.product_status.{key}[{j}]");
            let (component, version) = product_component(pid, products)
                .map_err(|m| VexError::invalid(FORMAT, &here, m))?;
            // A fixed product's version is the one the fix is in, when it is one.
            let (product_versions, fixed_in) = match (status, version) {
                (VexStatus::Fixed, Some(v)) if plain_version(&v) => (None, Some(v)),
                (_, version) => (version, None),
            };
            let said = said.get(pid.as_str()).unwrap_or(&none);
            let s = Statement {
                vulnerability: id.clone(),
                aliases: aliases.clone(),
                component,
                product_versions,
                status,
                justification: said.justification,
                impact: Some(said.impact.join("\n\n")).filter(|t| !t.is_empty()),
                action: Some(said.action.join("\n\n")).filter(|t| !t.is_empty()),
                fixed_in,
                public: false,
                until: None,
            };
            out.push(&|| here.clone(), s)?;
        }
    }
    Ok(())
}

/// What a vulnerability's flags, threats of category impact and remediations say of
/// one product.
#[derive(Default)]
struct Said {
    justification: Option<Justification>,
    impact: Vec<String>,
    action: Vec<String>,
}

/// [`Said`] of every product a vulnerability's flags, threats and remediations name
/// (directly or through a product group), read in one pass.
fn said<'a>(v: &'a Vulnerability, groups: &HashMap<&str, &'a [String]>) -> HashMap<&'a str, Said> {
    let mut out: HashMap<&str, Said> = HashMap::new();
    let products = |t: &'a Tagged| {
        t.product_ids.iter().chain(
            t.group_ids
                .iter()
                .flat_map(|g| groups.get(g.as_str()).copied().unwrap_or_default()),
        )
    };
    for f in &v.flags {
        let j = f
            .label
            .as_deref()
            .and_then(|l| Justification::parse(l).ok());
        for pid in products(f) {
            let said = out.entry(pid).or_default();
            said.justification = said.justification.or(j);
        }
    }
    let details = |t: &Tagged| free_text(t.details.as_deref());
    for t in v
        .threats
        .iter()
        .filter(|t| t.category.as_deref() == Some("impact"))
    {
        if let Some(d) = details(t) {
            products(t).for_each(|pid| out.entry(pid).or_default().impact.push(d.clone()));
        }
    }
    for r in &v.remediations {
        if let Some(d) = details(r) {
            products(r).for_each(|pid| out.entry(pid).or_default().action.push(d.clone()));
        }
    }
    out
}

/// The component a product id speaks of, and the project version: a relationship's
/// component in its product's version; a product alone is the product as a whole.
fn product_component(
    pid: &str,
    products: &HashMap<String, Product>,
) -> Result<(Component, Option<String>), String> {
    let version_of = |id: &str| match products.get(id) {
        Some(Product::Plain { version, .. }) => version.clone().filter(|v| v != ALL_VERSIONS),
        _ => None,
    };
    match products.get(pid) {
        None => Err(format!(
            "product id {pid:?} is not defined in the product tree"
        )),
        Some(Product::Plain { .. }) => Ok((any_component(), version_of(pid))),
        Some(Product::Relationship { component, product }) => {
            let c = match products.get(component) {
                Some(Product::Plain {
                    purl: Some(p),
                    name,
                    ..
                }) => {
                    let (mut c, _) = component_from_purl(p)?;
                    c.name = name.clone();
                    c
                }
                Some(Product::Plain { name, .. }) => Component {
                    purl: None,
                    name: name.clone(),
                },
                _ => return Err(format!("relationship {pid:?} names no component product")),
            };
            Ok((c, version_of(product)))
        }
    }
}
