//! A CycloneDX JSON BOM with vulnerabilities (Trivy's and Grype's `cyclonedx` output, a
//! CycloneDX VEX): one entry per `vulnerabilities[].affects[]`, the `ref` resolved to
//! the component of that `bom-ref` (nested components and `metadata.component`
//! included; a BOM-Link `urn:cdx:…#ref` by its fragment). A ref that names no component
//! is taken as a purl where it is one, else as a name. `references[].id` are aliases.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Collector, FoundComponent, ScanError, parse_json};

const FORMAT: &str = "CycloneDX JSON";

#[derive(Deserialize)]
struct Bom {
    metadata: Option<Metadata>,
    components: Option<Vec<Component>>,
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Deserialize)]
struct Metadata {
    component: Option<Component>,
}

#[derive(Deserialize)]
struct Component {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    components: Option<Vec<Component>>,
}

#[derive(Deserialize)]
struct Vulnerability {
    id: Option<String>,
    references: Option<Vec<Reference>>,
    affects: Option<Vec<Affects>>,
}

#[derive(Deserialize)]
struct Reference {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let bom: Bom = parse_json(FORMAT, text)?;
    let by_ref = components_by_ref(&bom);
    for v in bom.vulnerabilities.iter().flatten() {
        let Some(id) = v.id.as_deref() else {
            continue;
        };
        let aliases: Vec<String> = v
            .references
            .iter()
            .flatten()
            .filter_map(|r| r.id.clone())
            .collect();
        for affects in v.affects.iter().flatten() {
            let component = resolve(&affects.reference, &by_ref);
            out.push(id, aliases.iter().cloned(), component)?;
        }
    }
    Ok(())
}

/// Every component with a `bom-ref`, at any depth (walked without recursion).
fn components_by_ref(bom: &Bom) -> HashMap<&str, &Component> {
    let mut stack: Vec<&Component> = bom.components.iter().flatten().collect();
    stack.extend(bom.metadata.as_ref().and_then(|m| m.component.as_ref()));
    let mut by_ref = HashMap::new();
    while let Some(c) = stack.pop() {
        if let Some(r) = c.bom_ref.as_deref() {
            by_ref.entry(r).or_insert(c);
        }
        stack.extend(c.components.iter().flatten());
    }
    by_ref
}

fn resolve(reference: &str, by_ref: &HashMap<&str, &Component>) -> FoundComponent {
    let local = match reference.split_once('#') {
        Some((urn, fragment)) if urn.starts_with("urn:cdx:") => fragment,
        _ => reference,
    };
    if let Some(c) = by_ref.get(local) {
        let name = c.name.clone().unwrap_or_default();
        let purl = c.purl.clone().filter(|p| !p.is_empty());
        let is_maven = purl.as_deref().is_none_or(|p| p.starts_with("pkg:maven/"));
        let name = match c.group.as_deref().filter(|g| !g.is_empty()) {
            Some(g) if is_maven => format!("{g}:{name}"),
            Some(g) => format!("{g}/{name}"),
            None => name,
        };
        return FoundComponent {
            purl,
            name,
            version: c.version.clone(),
            file: None,
        };
    }
    let is_purl = local.starts_with("pkg:");
    FoundComponent {
        purl: is_purl.then(|| local.to_string()),
        name: if is_purl {
            String::new()
        } else {
            local.to_string()
        },
        version: None,
        file: None,
    }
}
