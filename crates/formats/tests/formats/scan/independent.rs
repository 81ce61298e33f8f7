//! A second reading of each scanner format, written apart from `embargo_formats::scan`
//! and as plainly as possible (`serde_json::Value` walks; string search for XML), to
//! count the distinct (vulnerability, component) pairs a report holds.
//!
//! A pair is (id upper-cased, the component as the report identifies it: purl, else
//! name, with the version). Where a format names the component in two places, this
//! reading takes the other one where it can (Trivy's SARIF: the location's message).

use std::collections::BTreeSet;

use serde_json::Value;

/// The distinct pairs, as sorted (vulnerability, component) strings.
pub type Pairs = BTreeSet<(String, String)>;

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().trim().to_string()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn pair(vuln: &Value, component: String) -> (String, String) {
    (s(vuln).to_uppercase(), component)
}

/// `purl`, else `name version`.
fn ident(purl: &Value, name: &Value, version: &Value) -> String {
    let purl = s(purl);
    if purl.is_empty() {
        format!("{} {}", s(name), s(version))
    } else {
        purl
    }
}

pub fn trivy(doc: &Value) -> Pairs {
    let mut out = Pairs::new();
    for target in arr(&doc["Results"]) {
        for v in arr(&target["Vulnerabilities"]) {
            let c = ident(
                &v["PkgIdentifier"]["PURL"],
                &v["PkgName"],
                &v["InstalledVersion"],
            );
            out.insert(pair(&v["VulnerabilityID"], c));
        }
    }
    out
}

pub fn grype(doc: &Value) -> Pairs {
    let mut out = Pairs::new();
    for m in arr(&doc["matches"]) {
        let a = &m["artifact"];
        out.insert(pair(
            &m["vulnerability"]["id"],
            ident(&a["purl"], &a["name"], &a["version"]),
        ));
    }
    out
}

pub fn dependency_check_json(doc: &Value) -> Pairs {
    let mut out = Pairs::new();
    for d in arr(&doc["dependencies"]) {
        let purl = arr(&d["packages"])
            .iter()
            .map(|p| s(&p["id"]))
            .find(|id| id.starts_with("pkg:"));
        let c = purl.unwrap_or_else(|| s(&d["fileName"]));
        for v in arr(&d["vulnerabilities"]) {
            out.insert(pair(&v["name"], c.clone()));
        }
    }
    out
}

pub fn osv_scanner(doc: &Value) -> Pairs {
    let mut out = Pairs::new();
    for result in arr(&doc["results"]) {
        for p in arr(&result["packages"]) {
            let c = format!(
                "{} {}",
                s(&p["package"]["name"]),
                s(&p["package"]["version"])
            );
            let mut grouped = BTreeSet::new();
            for g in arr(&p["groups"]) {
                let ids = arr(&g["ids"]);
                grouped.extend(ids.iter().map(s));
                if let Some(first) = ids.first() {
                    out.insert(pair(first, c.clone()));
                }
            }
            for v in arr(&p["vulnerabilities"]) {
                if !grouped.contains(&s(&v["id"])) {
                    out.insert(pair(&v["id"], c.clone()));
                }
            }
        }
    }
    out
}

pub fn cyclonedx(doc: &Value) -> Pairs {
    let mut out = Pairs::new();
    for v in arr(&doc["vulnerabilities"]) {
        for a in arr(&v["affects"]) {
            let r = s(&a["ref"]);
            let local = r.rsplit('#').next().unwrap_or_default().to_string();
            out.insert(pair(&v["id"], local));
        }
    }
    out
}

/// Trivy's SARIF: results whose rule is a CVE, the component from the location's
/// message (`path: name@version`).
pub fn sarif(doc: &Value) -> Pairs {
    let mut out = Pairs::new();
    for run in arr(&doc["runs"]) {
        for r in arr(&run["results"]) {
            let rule = s(&r["ruleId"]);
            if !rule.contains("CVE-") && !rule.contains("GHSA-") {
                continue;
            }
            let message = s(&r["locations"][0]["message"]["text"]);
            let c = message.rsplit(": ").next().unwrap_or_default().to_string();
            out.insert(pair(&r["ruleId"], c));
        }
    }
    out
}

/// Dependency-Check's XML, by string search: within each `<dependency …>…</dependency>`
/// block, the `<vulnerability …>` elements (not `<suppressedVulnerability>`), each
/// dependency counted as its own component (`fileName` and first `<id>`).
pub fn dependency_check_xml(text: &str) -> Pairs {
    let mut out = Pairs::new();
    for block in text.split("<dependency ").skip(1) {
        let block = block.split("</dependency>").next().unwrap_or_default();
        let component = format!(
            "{} {}",
            between(block, "<fileName>", "</fileName>"),
            between(block, "<id>", "</id>")
        );
        let vulns = block.split("<vulnerabilities>").skip(1);
        for section in vulns {
            let section = section
                .split("</vulnerabilities>")
                .next()
                .unwrap_or_default();
            for v in section.split("<vulnerability ").skip(1) {
                let name = between(v, "<name>", "</name>");
                out.insert((name.to_uppercase(), component.clone()));
            }
        }
    }
    out
}

fn between<'t>(text: &'t str, open: &str, close: &str) -> &'t str {
    text.split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map(|(inside, _)| inside.trim())
        .unwrap_or_default()
}
