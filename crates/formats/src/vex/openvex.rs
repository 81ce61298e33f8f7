//! OpenVEX 0.2 (openvex.dev/ns/v0.2.0) as statements, and back.
//!
//! An OpenVEX statement speaks of products, each with subcomponents; the document is
//! taken to be about the importing project, so every subcomponent of every product is
//! a component (de-duplicated), and a statement without subcomponents is about the
//! product as a whole ([`ANY_COMPONENT`](super::ANY_COMPONENT)). Written, each
//! statement has the project as its one product (`meta.product_purl`, with
//! `meta.product_version`, or with `fixed_in` for a `fixed` statement, as OpenVEX says
//! "fixed in this version") and the component as its subcomponent, by purl or as
//! `pkg:generic/<name>`.
//!
//! Not carried: `product_versions` and `until` (OpenVEX has no field for them),
//! `status_notes`, timestamps and vulnerability descriptions (read, not kept).

use std::collections::HashSet;

use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::common::{
    any_component, component_from_iri, component_iri, free_text, product_purl, purl_version,
    some_text,
};
use super::{Collector, ExportMeta, Imported, VexError, VexFormat, from_value};

const FORMAT: VexFormat = VexFormat::OpenVex;
const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

const VERSION_DROPPED: &str =
    "the subcomponent's version dropped: a statement covers the component as the project ships it";

#[derive(Deserialize)]
struct Document {
    #[serde(rename = "@context")]
    context: String,
    statements: Vec<OvStatement>,
}

#[derive(Deserialize)]
struct OvStatement {
    vulnerability: Vulnerability,
    #[serde(default)]
    products: Vec<Product>,
    status: VexStatus,
    #[serde(default)]
    justification: Option<Justification>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    action_statement: Option<String>,
    #[serde(default)]
    status_notes: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct Product {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(default)]
    identifiers: Option<Identifiers>,
    #[serde(default)]
    subcomponents: Vec<Subcomponent>,
}

#[derive(Deserialize)]
struct Subcomponent {
    #[serde(rename = "@id", default)]
    id: Option<String>,
    #[serde(default)]
    identifiers: Option<Identifiers>,
}

#[derive(Deserialize)]
struct Identifiers {
    purl: Option<String>,
    cpe23: Option<String>,
    cpe22: Option<String>,
}

/// How an OpenVEX component is named: its purl, else its `@id`, else a CPE.
fn identifier(id: Option<&str>, identifiers: Option<&Identifiers>) -> Option<String> {
    let ids = identifiers;
    some_text(ids.and_then(|i| i.purl.as_deref()))
        .or_else(|| some_text(id))
        .or_else(|| some_text(ids.and_then(|i| i.cpe23.as_deref())))
        .or_else(|| some_text(ids.and_then(|i| i.cpe22.as_deref())))
}

pub(super) fn import(value: Value) -> Result<Imported, VexError> {
    let doc: Document = from_value(FORMAT, value)?;
    if doc.context.trim_end_matches('/') != CONTEXT {
        return Err(VexError::invalid(
            FORMAT,
            "@context",
            format!("{:?}: Embargo reads OpenVEX 0.2 ({CONTEXT})", doc.context),
        ));
    }
    let mut out = Collector::new(FORMAT);
    for (i, st) in doc.statements.iter().enumerate() {
        let components = components(st, i, &mut out)?;
        if some_text(st.status_notes.as_deref()).is_some() {
            out.warnings.add(
                format!("statements[{i}]"),
                "status_notes not kept (statements have no field for them)",
            );
        }
        let fixed_in = match st.status {
            VexStatus::Fixed => st
                .products
                .iter()
                .filter_map(|p| identifier(p.id.as_deref(), p.identifiers.as_ref()))
                .find_map(|p| purl_version(&p)),
            _ => None,
        };
        for (j, component) in components.into_iter().enumerate() {
            let s = Statement {
                vulnerability: st.vulnerability.name.clone(),
                aliases: st.vulnerability.aliases.clone(),
                component,
                product_versions: None,
                status: st.status,
                justification: st.justification,
                impact: free_text(st.impact_statement.as_deref()),
                action: free_text(st.action_statement.as_deref()),
                fixed_in: fixed_in.clone(),
                public: false,
                until: None,
            };
            out.push(&|| format!("statements[{i}] (component {})", j + 1), s)?;
        }
    }
    Ok(out.finish(Vec::new()))
}

/// The components of a statement: every subcomponent, once; or the product as a whole.
fn components(st: &OvStatement, i: usize, out: &mut Collector) -> Result<Vec<Component>, VexError> {
    let mut list: Vec<Component> = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |c: Component| {
        if seen.insert(c.clone()) {
            list.push(c);
        }
    };
    if st.products.iter().all(|p| p.subcomponents.is_empty()) {
        add(any_component());
    }
    for (p, product) in st.products.iter().enumerate() {
        for (s, sub) in product.subcomponents.iter().enumerate() {
            let at = format!("statements[{i}].products[{p}].subcomponents[{s}]");
            let id = identifier(sub.id.as_deref(), sub.identifiers.as_ref()).ok_or_else(|| {
                VexError::invalid(FORMAT, &at, "a subcomponent needs an @id or identifiers")
            })?;
            if id.starts_with("pkg:") && purl_version(&id).is_some() {
                out.warnings.add(at.clone(), VERSION_DROPPED);
            }
            add(component_from_iri(&id).map_err(|m| VexError::invalid(FORMAT, &at, m))?);
        }
    }
    Ok(list)
}

pub(super) fn export(statements: &[Statement], meta: &ExportMeta) -> Result<Vec<u8>, VexError> {
    if statements.is_empty() {
        return Err(VexError::invalid(
            FORMAT,
            "statements",
            "an OpenVEX document needs at least one statement",
        ));
    }
    let mut list = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in statements.iter().enumerate() {
        let st = statement(s, meta)
            .map_err(|m| VexError::invalid(FORMAT, format!("statement {}", i + 1), m))?;
        // `statements` has uniqueItems: a repeated statement is said once.
        if seen.insert(st.to_string()) {
            list.push(st);
        }
    }
    let doc = json!({
        "@context": CONTEXT,
        "@id": meta.document_url,
        "author": meta.publisher.name,
        "role": meta.publisher.category,
        "timestamp": meta.timestamp.to_string(),
        "version": 1,
        "tooling": format!("Embargo {}", env!("CARGO_PKG_VERSION")),
        "statements": list,
    });
    serde_json::to_vec_pretty(&doc)
        .map_err(|e| VexError::invalid(FORMAT, "document", e.to_string()))
}

fn statement(s: &Statement, meta: &ExportMeta) -> Result<Value, String> {
    let version = match (s.status, &s.fixed_in) {
        (VexStatus::Fixed, Some(v)) => Some(v.as_str()),
        _ => meta.product_version.as_deref(),
    };
    let product_id = product_purl(meta.product_purl.as_deref(), &meta.project_slug, version)?;
    let mut product = Map::new();
    product.insert("@id".into(), json!(product_id));
    if !super::is_any_component(&s.component) {
        product.insert(
            "subcomponents".into(),
            json!([{ "@id": component_iri(&s.component)? }]),
        );
    }
    let mut vulnerability = Map::new();
    vulnerability.insert("name".into(), json!(s.vulnerability));
    let mut aliases: Vec<&String> = Vec::new();
    for a in &s.aliases {
        if !aliases.contains(&a) && *a != s.vulnerability {
            aliases.push(a);
        }
    }
    if !aliases.is_empty() {
        vulnerability.insert("aliases".into(), json!(aliases));
    }
    let mut out = Map::new();
    out.insert("vulnerability".into(), Value::Object(vulnerability));
    out.insert("products".into(), json!([product]));
    out.insert("status".into(), json!(s.status.as_str()));
    if let Some(j) = s.justification {
        out.insert("justification".into(), json!(j.as_str()));
    }
    if let Some(i) = &s.impact {
        out.insert("impact_statement".into(), json!(i));
    }
    if let Some(a) = &s.action {
        out.insert("action_statement".into(), json!(a));
    }
    Ok(Value::Object(out))
}
