//! Validation of published documents with the official schemas, through Python's
//! `jsonschema` (the same invocation as `embargo-formats`' corpus tests), and of Atom
//! feeds with Python's XML parser. Missing Python or corpus: SKIPPED, and a failure
//! under `CI=true`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The corpus directory when it and python3 with `jsonschema` and `referencing` are
/// here, or `None` after `test` said it is SKIPPED (a failure under `CI=true`).
#[track_caller]
pub fn schema_tools_or_skip(test: &str) -> Option<PathBuf> {
    let corpus = embargo_testkit::corpus_or_skip(test)?;
    embargo_testkit::require_python(test, &["jsonschema", "referencing"]).then_some(corpus)
}

/// One document, or an Atom feed; the schema validators come from the testkit.
const VALIDATE_PY: &str = r#"
import xml.etree.ElementTree as ET
mode, corpus, f = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
if mode == "atom":
    A = "{http://www.w3.org/2005/Atom}"
    root = ET.parse(f).getroot()
    problems = []
    if root.tag != A + "feed": problems.append("root is %s" % root.tag)
    for need in ("id", "title", "updated", "author"):
        if root.find(A + need) is None: problems.append("feed has no " + need)
    for e in root.findall(A + "entry"):
        for need in ("id", "title", "updated", "link", "summary"):
            if e.find(A + need) is None: problems.append("entry has no " + need)
    print("\n".join(problems) or "atom: ok")
    sys.exit(1 if problems else 0)
v = validator(mode, corpus)
errs = sorted(v.iter_errors(load(f)), key=lambda e: [str(p) for p in e.absolute_path])
for e in errs[:10]:
    print("/%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))
print("%s: %s" % (mode, "invalid" if errs else "valid"))
sys.exit(1 if errs else 0)
"#;

/// (valid, validator output) of `text` in `mode`: cve, osv, csaf, provider, atom.
pub fn check(mode: &str, corpus: &std::path::Path, text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("validate.py");
    std::fs::write(
        &script,
        format!("{}{VALIDATE_PY}", embargo_testkit::SCHEMA_VALIDATOR_PY),
    )
    .expect("script");
    let doc = dir.path().join("doc");
    std::fs::write(&doc, text).expect("doc");
    let out = Command::new("python3")
        .arg(&script)
        .arg(mode)
        .arg(corpus)
        .arg(&doc)
        .output()
        .expect("python3");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Asserts `doc` is valid in `mode`, and that a broken copy is not (so a pass means something).
pub fn assert_valid(mode: &str, corpus: &std::path::Path, doc: &Value, what: &str) {
    let mut broken = doc.clone();
    broken[match mode {
        "cve" => "dataType",
        "osv" => "id",
        "csaf" => "document",
        _ => "role",
    }] = serde_json::json!(42);
    assert!(
        !check(mode, corpus, &broken.to_string()).0,
        "{mode}: the validator accepted a broken document"
    );
    let (ok, report) = check(mode, corpus, &doc.to_string());
    assert!(ok, "{what} is not valid {mode}:\n{report}\n{doc:#}");
}
