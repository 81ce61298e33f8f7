//! The official checkers the VEX exports answer to: the OpenVEX and CycloneDX JSON
//! schemas and the CSAF schema (Python `jsonschema`), the Dependency-Check 1.3 XSD
//! (`xmllint`), the BSI validator's CSAF mandatory tests (node). Each first checks a
//! broken document and must reject it, so that a pass means something. A missing tool
//! skips (and fails under CI=true) through the testkit.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python modules the schema checks need.
const PYTHON_MODULES: &[&str] = &["jsonschema", "referencing"];
/// The BSI's CSAF validator, from npm.
const BSI: &str = "@secvisogram/csaf-validator-lib";

/// OpenVEX (2020-12) and CycloneDX (Draft-07, with the schemas the BOM schemas import
/// by relative name registered under their `$id`) beside the testkit's modes.
const VALIDATE_PY: &str = r#"
def vex_validator(mode, corpus):
    if mode == "openvex":
        return Draft202012Validator(load(corpus / "schemas/openvex/openvex_json_schema.json"))
    if mode.startswith("cyclonedx-"):
        d = corpus / "schemas/cyclonedx"
        res = []
        for name in ("spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json"):
            s = load(d / name)
            res.append((s["$id"], Resource.from_contents(s, default_specification=DRAFT7)))
        schema = load(d / ("bom-%s.schema.json" % mode.split("-")[1]))
        return Draft7Validator(schema, registry=Registry().with_resources(res))
    return validator(mode, corpus)
mode, corpus, files = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
v = vex_validator(mode, corpus)
bad = 0
for f in files:
    errs = sorted(v.iter_errors(load(f)), key=lambda e: [str(p) for p in e.absolute_path])
    for e in errs[:5]:
        print("%s: /%s: %s" % (pathlib.Path(f).name, "/".join(map(str, e.absolute_path)), e.message[:300]))
    bad += bool(errs)
print("%s: %d documents, %d invalid" % (mode, len(files), bad))
sys.exit(1 if bad else 0)
"#;

/// Writes `docs` into a temporary directory: (directory, paths).
fn write_all(docs: &[(String, Vec<u8>)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = docs
        .iter()
        .map(|(name, bytes)| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    (dir, paths)
}

fn output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run_python(mode: &str, corpus: &Path, docs: &[(String, Vec<u8>)]) -> (bool, String) {
    let (dir, paths) = write_all(docs);
    let script = dir.path().join("validate_vex.py");
    std::fs::write(
        &script,
        format!("{}{VALIDATE_PY}", embargo_testkit::SCHEMA_VALIDATOR_PY),
    )
    .unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(mode)
        .arg(corpus)
        .args(&paths)
        .output()
        .unwrap();
    (out.status.success(), output(&out))
}

/// Validates JSON documents against the official schema of `mode` (`openvex`,
/// `cyclonedx-1.6`, `cyclonedx-1.7`, `csaf`); false when Python is missing (skipped).
pub fn json_schema(mode: &str, corpus: &Path, docs: &[(String, Vec<u8>)]) -> bool {
    assert!(!docs.is_empty());
    if !embargo_testkit::require_python(&format!("{mode} schema validation"), PYTHON_MODULES) {
        return false;
    }
    let mut broken: serde_json::Value = serde_json::from_slice(&docs[0].1).unwrap();
    let key = match mode {
        "openvex" => "statements",
        "csaf" => "document",
        _ => "vulnerabilities",
    };
    broken[key] = serde_json::json!(42);
    let broken = serde_json::to_vec(&broken).unwrap();
    assert!(
        !run_python(mode, corpus, &[("broken.json".into(), broken)]).0,
        "{mode}: the validator accepted a broken document"
    );
    let (ok, report) = run_python(mode, corpus, docs);
    eprintln!("{report}");
    assert!(ok, "{mode} schema validation failed:\n{report}");
    true
}

/// Validates suppression files against `dependency-suppression.1.3.xsd`.
pub fn dependency_check_xsd(corpus: &Path, docs: &[(String, Vec<u8>)]) -> bool {
    let Some(xmllint) =
        embargo_testkit::require_program("Dependency-Check XSD validation", &["xmllint"])
    else {
        return false;
    };
    let xsd = corpus.join("suppressions/schema/dependency-suppression.1.3.xsd");
    let run = |docs: &[(String, Vec<u8>)]| {
        let (_dir, paths) = write_all(docs);
        let out = Command::new(&xmllint)
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .args(&paths)
            .output()
            .unwrap();
        (out.status.success(), output(&out))
    };
    let broken = String::from_utf8(docs[0].1.clone()).unwrap().replace(
        "</suppressions>",
        "<suppress><cve>nope</cve></suppress></suppressions>",
    );
    assert!(
        !run(&[("broken.xml".into(), broken.into_bytes())]).0,
        "xmllint accepted a broken suppression file"
    );
    let (ok, report) = run(docs);
    assert!(ok, "XSD validation failed:\n{report}");
    true
}

const BSI_JS: &str = r#"
import { readFileSync } from 'node:fs'
const [lib, ...files] = process.argv.slice(2)
const { default: validate } = await import(`file://${lib}/validate.js`)
const mandatory = await import(`file://${lib}/mandatoryTests.js`)
const tests = Object.entries(mandatory).filter(([k, f]) => k.startsWith('mandatoryTest') && typeof f === 'function').map(([, f]) => f)
let bad = 0
for (const f of files) {
  const result = await validate(tests, JSON.parse(readFileSync(f, 'utf8')))
  if (!result.isValid) {
    bad++
    for (const t of result.tests.filter((t) => !t.isValid)) {
      for (const e of t.errors) console.log(`${f.split('/').pop()}: ${t.name}: ${e.instancePath}: ${e.message}`)
    }
  }
}
console.log(`BSI mandatory tests (${tests.length}): ${files.length} documents, ${bad} invalid`)
process.exit(bad ? 1 : 0)
"#;

/// Runs the BSI validator's mandatory tests (CSAF 2.0 section 6.1, the `csaf_vex`
/// profile's 6.1.27.x among them) over CSAF documents.
pub fn bsi_mandatory_tests(docs: &[(String, Vec<u8>)]) -> bool {
    let Some(lib) = embargo_testkit::require_npm_package("BSI CSAF validator", BSI) else {
        return false;
    };
    let run = |docs: &[(String, Vec<u8>)]| {
        let (dir, paths) = write_all(docs);
        let script = dir.path().join("bsi.mjs");
        std::fs::write(&script, BSI_JS).unwrap();
        let out = Command::new("node")
            .arg(&script)
            .arg(&lib)
            .args(&paths)
            .output()
            .unwrap();
        (out.status.success(), output(&out))
    };
    // A known_not_affected product without an impact statement breaks 6.1.27.9.
    let mut broken: serde_json::Value = serde_json::from_slice(&docs[0].1).unwrap();
    for v in broken["vulnerabilities"].as_array_mut().unwrap() {
        v.as_object_mut().unwrap().remove("threats");
        v.as_object_mut().unwrap().remove("flags");
        v["product_status"] = serde_json::json!({ "known_not_affected": ["CSAFPID-0001"] });
    }
    let (ok, report) = run(&[("broken.json".into(), serde_json::to_vec(&broken).unwrap())]);
    assert!(
        !ok,
        "the BSI validator accepted a broken document: {report}"
    );
    let (ok, report) = run(docs);
    eprintln!("{report}");
    assert!(ok, "BSI mandatory tests failed:\n{report}");
    assert!(report.contains(&format!("{} documents, 0 invalid", docs.len())));
    true
}
