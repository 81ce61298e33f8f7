//! CycloneDX VEX (a BOM with `vulnerabilities` and their `analysis`; specification
//! 1.4 to 1.7 read, 1.6 or 1.7 written) as statements, and back.
//!
//! One statement per (vulnerability, `affects[].ref`): a ref to the BOM's own subject
//! (`metadata.component`) is the product as a whole
//! ([`ANY_COMPONENT`](super::ANY_COMPONENT)); a ref to a component gives its purl
//! (version dropped) or its name; a BOM-Link or a bare purl is read the same way.
//! `references[].id` are the aliases. States map as `not_affected`/`false_positive` →
//! not_affected, `exploitable` → affected, `resolved`(`_with_pedigree`) → fixed,
//! `in_triage` (or no analysis) → under_investigation; `detail` is the impact,
//! `recommendation` (else `workaround`, else for `exploitable` the detail) the action.
//! The justifications are CycloneDX's nine, mapped onto the five (see [`justification`]).
//!
//! What CycloneDX has no field for (`product_versions`, `fixed_in`, `until`) travels
//! in vulnerability `properties` named `embargo:…`, the extension point the
//! specification gives. Not kept: `response`, ratings, `affects[].versions` (a
//! statement is about the component as shipped), descriptions and advisories.

use std::collections::{HashMap, HashSet};

use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use packageurl::PackageUrl;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};

use super::common::{
    advisory_source, any_component, component_from_purl, free_text, is_any_component, product_purl,
    some_text,
};
use super::{Collector, CycloneDxVersion, ExportMeta, Imported, VexError, VexFormat, from_value};

const FORMAT: VexFormat = VexFormat::CycloneDx;

/// The `properties` that carry what CycloneDX has no field for.
const PRODUCT_VERSIONS: &str = "embargo:product_versions";
const FIXED_IN: &str = "embargo:fixed_in";
const UNTIL: &str = "embargo:until";

/// The impact of a `false_positive` analysis without detail.
const FALSE_POSITIVE: &str = "A false positive (CycloneDX analysis state false_positive).";

#[derive(Deserialize)]
struct Bom {
    #[serde(rename = "specVersion")]
    spec_version: String,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<CdxComponent>,
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    component: Option<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxComponent {
    #[serde(rename = "bom-ref", default)]
    bom_ref: Option<String>,
    name: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    #[serde(default)]
    analysis: Option<Analysis>,
    #[serde(default)]
    recommendation: Option<String>,
    #[serde(default)]
    workaround: Option<String>,
    #[serde(default)]
    affects: Vec<Affects>,
    #[serde(default)]
    properties: Vec<Property>,
}

#[derive(Deserialize)]
struct Reference {
    id: String,
}

#[derive(Deserialize)]
struct Analysis {
    #[serde(default)]
    state: Option<State>,
    #[serde(default)]
    justification: Option<CdxJustification>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    response: Vec<IgnoredAny>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum State {
    Resolved,
    ResolvedWithPedigree,
    Exploitable,
    InTriage,
    FalsePositive,
    NotAffected,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum CdxJustification {
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

#[derive(Deserialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default)]
    versions: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// CycloneDX's justification for one of the five, and back: each of the five has one
/// CycloneDX name it is written as; the nine are read as the closest of the five.
fn justification(j: CdxJustification) -> Justification {
    use CdxJustification as C;
    match j {
        C::CodeNotPresent => Justification::VulnerableCodeNotPresent,
        C::CodeNotReachable => Justification::VulnerableCodeNotInExecutePath,
        C::RequiresConfiguration | C::RequiresEnvironment => {
            Justification::VulnerableCodeCannotBeControlledByAdversary
        }
        C::RequiresDependency => Justification::ComponentNotPresent,
        C::ProtectedByCompiler
        | C::ProtectedAtRuntime
        | C::ProtectedAtPerimeter
        | C::ProtectedByMitigatingControl => Justification::InlineMitigationsAlreadyExist,
    }
}

fn cdx_justification(j: Justification) -> &'static str {
    match j {
        Justification::ComponentNotPresent => "requires_dependency",
        Justification::VulnerableCodeNotPresent => "code_not_present",
        Justification::VulnerableCodeNotInExecutePath => "code_not_reachable",
        Justification::VulnerableCodeCannotBeControlledByAdversary => "requires_environment",
        Justification::InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
    }
}

fn cdx_state(s: VexStatus) -> &'static str {
    match s {
        VexStatus::NotAffected => "not_affected",
        VexStatus::Affected => "exploitable",
        VexStatus::Fixed => "resolved",
        VexStatus::UnderInvestigation => "in_triage",
    }
}

pub(super) fn import(value: Value) -> Result<Imported, VexError> {
    let bom: Bom = from_value(FORMAT, value)?;
    if !["1.4", "1.5", "1.6", "1.7"].contains(&bom.spec_version.trim()) {
        return Err(VexError::invalid(
            FORMAT,
            "specVersion",
            format!("{:?}: Embargo reads CycloneDX 1.4 to 1.7", bom.spec_version),
        ));
    }
    let subject = bom
        .metadata
        .as_ref()
        .and_then(|m| m.component.as_ref())
        .and_then(|c| c.bom_ref.as_deref());
    let mut index = HashMap::new();
    for c in &bom.components {
        add_to_index(c, &mut index);
    }
    let mut out = Collector::new(FORMAT);
    for (i, v) in bom.vulnerabilities.iter().enumerate() {
        vulnerability_statements(v, i, subject, &index, &mut out)?;
    }
    Ok(out.finish(Vec::new()))
}

fn add_to_index<'a>(c: &'a CdxComponent, index: &mut HashMap<&'a str, &'a CdxComponent>) {
    if let Some(r) = &c.bom_ref {
        index.entry(r.as_str()).or_insert(c);
    }
    for child in &c.components {
        add_to_index(child, index);
    }
}

/// The statements of one vulnerability, one per component it affects.
fn vulnerability_statements(
    v: &Vulnerability,
    i: usize,
    subject: Option<&str>,
    index: &HashMap<&str, &CdxComponent>,
    out: &mut Collector,
) -> Result<(), VexError> {
    let at = format!("vulnerabilities[{i}]");
    let template = statement(v, &at, out)?;
    let mut components: Vec<Component> = Vec::new();
    let mut seen = HashSet::new();
    if v.analysis.as_ref().is_some_and(|a| !a.response.is_empty()) {
        out.warnings.add(
            &at,
            "analysis.response not kept (statements have an action instead)",
        );
    }
    for (j, a) in v.affects.iter().enumerate() {
        if !a.versions.is_empty() {
            out.warnings.add(
                format!("{at}.affects[{j}]"),
                "affects versions not kept: a statement covers the component as the project ships it",
            );
        }
        let c = resolve(
            &a.reference,
            subject,
            index,
            out,
            &format!("{at}.affects[{j}]"),
        )?;
        if seen.insert(c.clone()) {
            components.push(c);
        }
    }
    if components.is_empty() {
        components.push(any_component());
    }
    for (j, component) in components.into_iter().enumerate() {
        let s = Statement {
            component,
            ..template.clone()
        };
        out.push(&|| format!("{at}.affects[{j}]"), s)?;
    }
    Ok(())
}

/// What a vulnerability says of each component it affects (the component left to
/// the caller).
fn statement(v: &Vulnerability, at: &str, out: &mut Collector) -> Result<Statement, VexError> {
    let id = some_text(v.id.as_deref()).ok_or_else(|| {
        VexError::invalid(FORMAT, format!("{at}.id"), "a vulnerability needs an id")
    })?;
    let mut aliases: Vec<String> = Vec::new();
    for r in &v.references {
        let r = r.id.trim().to_string();
        if !r.is_empty() && r != id && !aliases.contains(&r) {
            aliases.push(r);
        }
    }
    let analysis = v.analysis.as_ref();
    let detail = free_text(analysis.and_then(|a| a.detail.as_deref()));
    let status = match analysis.and_then(|a| a.state) {
        Some(State::NotAffected) => VexStatus::NotAffected,
        Some(State::FalsePositive) => {
            out.warnings
                .add(at, "analysis state false_positive read as not_affected");
            VexStatus::NotAffected
        }
        Some(State::Exploitable) => VexStatus::Affected,
        Some(State::Resolved | State::ResolvedWithPedigree) => VexStatus::Fixed,
        Some(State::InTriage) => VexStatus::UnderInvestigation,
        None => {
            out.warnings
                .add(at, "no analysis state: read as under_investigation");
            VexStatus::UnderInvestigation
        }
    };
    let false_positive = matches!(analysis.and_then(|a| a.state), Some(State::FalsePositive));
    let impact = detail
        .clone()
        .or_else(|| false_positive.then(|| FALSE_POSITIVE.to_string()));
    let action = free_text(v.recommendation.as_deref())
        .or_else(|| free_text(v.workaround.as_deref()))
        .or_else(|| detail.filter(|_| status == VexStatus::Affected));
    let property = |name: &str| {
        v.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| free_text(p.value.as_deref()))
    };
    let until = match property(UNTIL) {
        Some(u) => Some(u.trim().parse::<jiff::civil::Date>().map_err(|e| {
            VexError::invalid(
                FORMAT,
                format!("{at}.properties"),
                format!("{UNTIL} {u:?}: {e}"),
            )
        })?),
        None => None,
    };
    Ok(Statement {
        vulnerability: id,
        aliases,
        component: any_component(),
        product_versions: property(PRODUCT_VERSIONS),
        status,
        justification: analysis.and_then(|a| a.justification).map(justification),
        impact,
        action,
        fixed_in: property(FIXED_IN),
        public: false,
        until,
    })
}

/// The component `r` refers to.
fn resolve(
    r: &str,
    subject: Option<&str>,
    index: &HashMap<&str, &CdxComponent>,
    out: &mut Collector,
    at: &str,
) -> Result<Component, VexError> {
    let bad = |m: String| VexError::invalid(FORMAT, format!("{at}.ref"), m);
    if Some(r) == subject {
        return Ok(any_component());
    }
    if let Some(c) = index.get(r) {
        return match some_text(c.purl.as_deref()) {
            Some(p) => component_from_purl(&p).map(|(c, _)| c).map_err(bad),
            None => Ok(Component {
                purl: None,
                name: match some_text(c.group.as_deref()) {
                    Some(g) => format!("{g}:{}", c.name.trim()),
                    None => c.name.trim().to_string(),
                },
            }),
        };
    }
    // A BOM-Link names an element of another BOM: its fragment is that element's ref.
    let target = match r.strip_prefix("urn:cdx:") {
        Some(link) => match link.split_once('#') {
            Some((_, fragment)) => fragment,
            None => return Ok(any_component()),
        },
        None => r,
    };
    if target.starts_with("pkg:") {
        return component_from_purl(target).map(|(c, _)| c).map_err(bad);
    }
    out.warnings.add(
        at,
        format!("ref {r:?} names no component of this BOM: taken as a component name"),
    );
    Ok(Component {
        purl: None,
        name: target.to_string(),
    })
}

pub(super) fn export(
    version: CycloneDxVersion,
    statements: &[Statement],
    meta: &ExportMeta,
) -> Result<Vec<u8>, VexError> {
    let subject_ref = format!("product:{}", meta.project_slug.trim());
    let mut subject = Map::new();
    subject.insert("type".into(), json!("application"));
    subject.insert("bom-ref".into(), json!(subject_ref));
    subject.insert("name".into(), json!(meta.project_name));
    if let Some(v) = &meta.product_version {
        subject.insert("version".into(), json!(v));
    }
    if meta.product_purl.is_some() {
        let purl = product_purl(
            meta.product_purl.as_deref(),
            &meta.project_slug,
            meta.product_version.as_deref(),
        )
        .map_err(|m| VexError::invalid(FORMAT, "meta.product_purl", m))?;
        subject.insert("purl".into(), json!(purl));
    }
    let mut components: Vec<Value> = Vec::new();
    let mut refs: HashMap<Component, String> = HashMap::new();
    let mut vulnerabilities = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in statements.iter().enumerate() {
        let r = if is_any_component(&s.component) {
            subject_ref.clone()
        } else if let Some(r) = refs.get(&s.component) {
            r.clone()
        } else {
            let (r, c) = component(&s.component)
                .map_err(|m| VexError::invalid(FORMAT, format!("statement {}", i + 1), m))?;
            components.push(c);
            refs.insert(s.component.clone(), r.clone());
            r
        };
        let v = vulnerability(s, &r);
        // `vulnerabilities` has uniqueItems: a repeated statement is said once.
        if seen.insert(v.to_string()) {
            vulnerabilities.push(v);
        }
    }
    let doc = json!({
        "$schema": format!("http://cyclonedx.org/schema/bom-{}.schema.json", version.as_str()),
        "bomFormat": "CycloneDX",
        "specVersion": version.as_str(),
        "version": 1,
        "metadata": {
            "timestamp": meta.timestamp.to_string(),
            "tools": { "components": [{ "type": "application", "name": "Embargo", "version": env!("CARGO_PKG_VERSION") }] },
            "manufacturer": { "name": meta.publisher.name, "url": [meta.publisher.namespace] },
            "component": subject,
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    });
    serde_json::to_vec_pretty(&doc)
        .map_err(|e| VexError::invalid(FORMAT, "document", e.to_string()))
}

/// A component's bom-ref and entry: its purl (name and group out of it), or its name.
fn component(c: &Component) -> Result<(String, Value), String> {
    let Some(purl) = &c.purl else {
        let r = format!("component:{}", c.name);
        return Ok((
            r.clone(),
            json!({ "type": "library", "bom-ref": r, "name": c.name }),
        ));
    };
    let p: PackageUrl = purl
        .parse()
        .map_err(|e| format!("{purl:?} is not a package URL: {e}"))?;
    let mut entry = Map::new();
    entry.insert("type".into(), json!("library"));
    entry.insert("bom-ref".into(), json!(purl));
    if let Some(ns) = p.namespace() {
        entry.insert("group".into(), json!(ns));
    }
    entry.insert("name".into(), json!(p.name()));
    entry.insert("purl".into(), json!(purl));
    Ok((purl.clone(), Value::Object(entry)))
}

fn vulnerability(s: &Statement, r: &str) -> Value {
    let source = |id: &str| {
        let (name, url) = advisory_source(id);
        json!({ "name": name, "url": url })
    };
    let mut v = Map::new();
    v.insert("id".into(), json!(s.vulnerability));
    v.insert("source".into(), source(&s.vulnerability));
    let mut aliases: Vec<&String> = Vec::new();
    for a in &s.aliases {
        if *a != s.vulnerability && !aliases.contains(&a) {
            aliases.push(a);
        }
    }
    if !aliases.is_empty() {
        let refs: Vec<Value> = aliases
            .iter()
            .map(|a| json!({ "id": a, "source": source(a) }))
            .collect();
        v.insert("references".into(), Value::Array(refs));
    }
    if let Some(a) = &s.action {
        v.insert("recommendation".into(), json!(a));
    }
    let mut analysis = Map::new();
    analysis.insert("state".into(), json!(cdx_state(s.status)));
    if let Some(j) = s.justification {
        analysis.insert("justification".into(), json!(cdx_justification(j)));
    }
    if let Some(i) = &s.impact {
        analysis.insert("detail".into(), json!(i));
    }
    v.insert("analysis".into(), Value::Object(analysis));
    v.insert("affects".into(), json!([{ "ref": r }]));
    let properties: Vec<Value> = [
        (PRODUCT_VERSIONS, s.product_versions.clone()),
        (FIXED_IN, s.fixed_in.clone()),
        (UNTIL, s.until.map(|d| d.to_string())),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| json!({ "name": name, "value": value })))
    .collect();
    if !properties.is_empty() {
        v.insert("properties".into(), Value::Array(properties));
    }
    Value::Object(v)
}
