//! Writing a CSAF VEX document (see the module above for the shape).

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use embargo_domain::vex::{Component, Statement, VexStatus};
use serde_json::{Map, Value, json};

use super::{ALL_VERSIONS, FORMAT};
use crate::vex::common::{
    id_system, is_any_component, is_cve, plain_version, product_purl, some_text,
};
use crate::vex::{ExportMeta, VexError};

/// Keys in the order first seen, each with its value, found by hash.
struct Ordered<K, V> {
    index: HashMap<K, usize>,
    items: Vec<(K, V)>,
}

impl<K: Hash + Eq + Clone, V> Ordered<K, V> {
    fn new() -> Self {
        Self {
            index: HashMap::new(),
            items: Vec::new(),
        }
    }

    fn get_or_insert_with(&mut self, key: K, value: impl FnOnce() -> V) -> &mut V {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.clone(), self.items.len());
                self.items.push((key, value()));
                self.items.len() - 1
            }
        };
        &mut self.items[i].1
    }
}

/// Product ids as they are handed out, with the tree's parts.
struct Tree {
    count: usize,
    /// version label → id.
    versions: Ordered<String, String>,
    /// component → id.
    components: Ordered<Component, String>,
    /// (component id, version id) → relationship id.
    relationships: Ordered<(String, String), String>,
    /// id → product name, for the relationships' names.
    names: HashMap<String, String>,
}

impl Tree {
    fn new() -> Self {
        Self {
            count: 0,
            versions: Ordered::new(),
            components: Ordered::new(),
            relationships: Ordered::new(),
            names: HashMap::new(),
        }
    }

    /// The product id a statement's status names.
    fn product_id(&mut self, s: &Statement, meta: &ExportMeta) -> String {
        let count = &mut self.count;
        let mut next_id = || {
            *count += 1;
            format!("CSAFPID-{:04}", *count)
        };
        let label = version_label(s, meta);
        let version = self
            .versions
            .get_or_insert_with(label.clone(), &mut next_id)
            .clone();
        self.names
            .entry(version.clone())
            .or_insert_with(|| product_name(meta.project_name.trim(), &label));
        if is_any_component(&s.component) {
            return version;
        }
        let component = self
            .components
            .get_or_insert_with(s.component.clone(), &mut next_id)
            .clone();
        self.names
            .entry(component.clone())
            .or_insert_with(|| s.component.name.clone());
        self.relationships
            .get_or_insert_with((component, version), next_id)
            .clone()
    }

    fn to_json(&self, meta: &ExportMeta) -> Result<Value, String> {
        let project = meta.project_name.trim();
        let mut leaves = Vec::new();
        for (label, id) in &self.versions.items {
            let category = if plain_version(label) {
                "product_version"
            } else {
                "product_version_range"
            };
            let mut product = Map::new();
            product.insert("name".into(), json!(product_name(project, label)));
            product.insert("product_id".into(), json!(id));
            if meta.product_purl.is_some() {
                let v = (category == "product_version").then_some(label.as_str());
                let purl = product_purl(meta.product_purl.as_deref(), &meta.project_slug, v)?;
                product.insert(
                    "product_identification_helper".into(),
                    json!({ "purl": purl }),
                );
            }
            leaves.push(json!({ "category": category, "name": label, "product": product }));
        }
        let mut tree = Map::new();
        tree.insert(
            "branches".into(),
            json!([{ "category": "vendor", "name": meta.publisher.name.trim(), "branches": [
                { "category": "product_name", "name": project, "branches": leaves }
            ]}]),
        );
        if self.components.items.is_empty() {
            return Ok(Value::Object(tree));
        }
        let name = |id: &str| self.names.get(id).cloned().unwrap_or_default();
        let list: Vec<Value> = self
            .components
            .items
            .iter()
            .map(|(c, id)| match &c.purl {
                Some(p) => json!({ "name": c.name, "product_id": id, "product_identification_helper": { "purl": p } }),
                None => json!({ "name": c.name, "product_id": id }),
            })
            .collect();
        tree.insert("full_product_names".into(), Value::Array(list));
        let rels: Vec<Value> = self
            .relationships
            .items
            .iter()
            .map(|((c, v), id)| json!({
                "category": "default_component_of",
                "product_reference": c,
                "relates_to_product_reference": v,
                "full_product_name": { "name": format!("{} as a component of {}", name(c), name(v)), "product_id": id },
            }))
            .collect();
        tree.insert("relationships".into(), Value::Array(rels));
        Ok(Value::Object(tree))
    }
}

fn product_name(project: &str, label: &str) -> String {
    if label == ALL_VERSIONS {
        format!("{project}, all versions")
    } else {
        format!("{project} {label}")
    }
}

/// The version leaf a statement names.
fn version_label(s: &Statement, meta: &ExportMeta) -> String {
    let fixed = match s.status {
        VexStatus::Fixed => s.fixed_in.as_deref(),
        _ => None,
    };
    fixed
        .or(s.product_versions.as_deref())
        .or(meta.product_version.as_deref())
        .and_then(|v| some_text(Some(v)))
        .unwrap_or_else(|| ALL_VERSIONS.to_string())
}

/// The statements of one vulnerability by product id, and its aliases.
struct Group<'a> {
    aliases: Ordered<String, ()>,
    /// product id → (index, statement).
    statements: Ordered<String, (usize, &'a Statement)>,
}

pub(crate) fn export(statements: &[Statement], meta: &ExportMeta) -> Result<Vec<u8>, VexError> {
    if statements.is_empty() {
        return Err(VexError::invalid(
            FORMAT,
            "statements",
            "a CSAF VEX document needs at least one vulnerability (6.1.27.11)",
        ));
    }
    let mut tree = Tree::new();
    let mut groups: Ordered<String, Group> = Ordered::new();
    for (i, s) in statements.iter().enumerate() {
        let pid = tree.product_id(s, meta);
        let group = groups.get_or_insert_with(s.vulnerability.clone(), || Group {
            aliases: Ordered::new(),
            statements: Ordered::new(),
        });
        for a in s.aliases.iter().filter(|a| **a != s.vulnerability) {
            group.aliases.get_or_insert_with(a.clone(), || ());
        }
        let &mut (j, other) = group.statements.get_or_insert_with(pid, || (i, s));
        if other != s {
            return Err(VexError::invalid(
                FORMAT,
                format!("statement {}", i + 1),
                format!(
                    "says otherwise than statement {} of the same vulnerability, component and versions; CSAF gives a product one status (6.1.6)",
                    j + 1
                ),
            ));
        }
    }
    let doc = json!({
        "document": document(meta).map_err(|m| VexError::invalid(FORMAT, "meta", m))?,
        "product_tree": tree.to_json(meta).map_err(|m| VexError::invalid(FORMAT, "meta.product_purl", m))?,
        "vulnerabilities": vulnerabilities(&groups, meta),
    });
    serde_json::to_vec_pretty(&doc)
        .map_err(|e| VexError::invalid(FORMAT, "document", e.to_string()))
}

fn document(meta: &ExportMeta) -> Result<Value, String> {
    let p = &meta.publisher;
    const CATEGORIES: [&str; 6] = [
        "coordinator",
        "discoverer",
        "other",
        "translator",
        "user",
        "vendor",
    ];
    if !CATEGORIES.contains(&p.category.as_str()) {
        return Err(format!(
            "publisher category {:?} is not one of {}",
            p.category,
            CATEGORIES.join(", ")
        ));
    }
    let id = meta.document_id.trim();
    if id.is_empty() {
        return Err("document_id is empty".into());
    }
    let mut publisher =
        json!({ "category": p.category, "name": p.name.trim(), "namespace": p.namespace.trim() });
    if let Some(d) = &p.contact_details {
        publisher["contact_details"] = json!(d);
    }
    if let Some(a) = &p.issuing_authority {
        publisher["issuing_authority"] = json!(a);
    }
    let ts = meta.timestamp.to_string();
    let project = meta.project_name.trim();
    Ok(json!({
        "category": "csaf_vex",
        "csaf_version": "2.0",
        "lang": "en",
        "title": format!("{project}: vulnerabilities in its components (VEX)"),
        "publisher": publisher,
        "notes": [{ "category": "summary", "title": "About this document", "text": format!(
            "What {} says about known vulnerabilities in the components of {project}: not affected (and why), affected (and what to do), fixed, or under investigation.",
            p.name.trim()
        ) }],
        "references": [{ "category": "self", "summary": "This document", "url": meta.document_url.trim() }],
        "tracking": {
            "id": id,
            "status": "final",
            "version": "1",
            "revision_history": [{ "date": ts, "number": "1", "summary": "The statements as of this date." }],
            "initial_release_date": ts,
            "current_release_date": ts,
            "generator": { "date": ts, "engine": { "name": "Embargo", "version": env!("CARGO_PKG_VERSION") } },
        },
    }))
}

fn vulnerabilities(groups: &Ordered<String, Group>, meta: &ExportMeta) -> Vec<Value> {
    let mut used: HashSet<&str> = groups
        .items
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| is_cve(id))
        .collect();
    groups
        .items
        .iter()
        .map(|(id, g)| {
            let mut v = Map::new();
            let aliases: Vec<&String> = g.aliases.items.iter().map(|(a, _)| a).collect();
            // 6.1.23: a CVE names one vulnerability; another id takes a free CVE alias.
            let cve = if is_cve(id) {
                Some(id.as_str())
            } else {
                aliases
                    .iter()
                    .map(|a| a.as_str())
                    .find(|a| is_cve(a) && !used.contains(a))
            };
            if let Some(c) = cve {
                used.insert(c);
                v.insert("cve".into(), json!(c));
            }
            if !aliases.is_empty() || !is_cve(id) {
                let ids: Vec<Value> = std::iter::once(id)
                    .chain(aliases)
                    .map(|id| json!({ "system_name": id_system(id), "text": id }))
                    .collect();
                v.insert("ids".into(), Value::Array(ids));
            }
            v.insert("notes".into(), json!([{ "category": "description", "title": "Statements", "text": format!(
                "What {} says about {id} in the components of {}.", meta.publisher.name.trim(), meta.project_name.trim()
            ) }]));
            statuses(g, &mut v);
            Value::Object(v)
        })
        .collect()
}

/// `product_status`, `flags`, `threats` and `remediations` of a vulnerability.
fn statuses(g: &Group, v: &mut Map<String, Value>) {
    let mut status: Ordered<&str, Vec<&str>> = Ordered::new();
    let mut flags: Ordered<&str, Vec<&str>> = Ordered::new();
    let mut threats: Ordered<&str, Vec<&str>> = Ordered::new();
    let mut remediations: Ordered<(&str, &str), Vec<&str>> = Ordered::new();
    for (pid, (_, s)) in &g.statements.items {
        let key = match s.status {
            VexStatus::NotAffected => "known_not_affected",
            VexStatus::Affected => "known_affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        };
        status.get_or_insert_with(key, Vec::new).push(pid);
        if let Some(j) = s.justification {
            flags.get_or_insert_with(j.as_str(), Vec::new).push(pid);
        }
        if let Some(i) = &s.impact {
            threats.get_or_insert_with(i, Vec::new).push(pid);
        }
        if let Some(a) = &s.action {
            let category = if s.status == VexStatus::Fixed {
                "vendor_fix"
            } else {
                "mitigation"
            };
            remediations
                .get_or_insert_with((category, a), Vec::new)
                .push(pid);
        }
    }
    let status: Map<String, Value> = status
        .items
        .into_iter()
        .map(|(key, ids)| (key.to_string(), json!(ids)))
        .collect();
    v.insert("product_status".into(), Value::Object(status));
    let lists = [
        ("flags", flags.items.into_iter().map(|(label, ids)| json!({ "label": label, "product_ids": ids })).collect::<Vec<_>>()),
        ("threats", threats.items.into_iter().map(|(details, ids)| json!({ "category": "impact", "details": details, "product_ids": ids })).collect()),
        ("remediations", remediations.items.into_iter().map(|((category, details), ids)| json!({ "category": category, "details": details, "product_ids": ids })).collect()),
    ];
    for (key, list) in lists {
        if !list.is_empty() {
            v.insert(key.into(), Value::Array(list));
        }
    }
}
