//! Shared set-up: the corpus, the Python tools, and a local server with a known CNA.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use embargo_cveservices::fake::{
    ContainerCheck, ContainerKind, FakeConfig, FakeCveServices, RunningFake,
};
use embargo_cveservices::{ApiKey, Client, Credentials};
use serde_json::Value;

pub const ORG: &str = "apache";
pub const USER: &str = "security@apache.org";
pub const KEY: &str = "b3bKvqZ2-secret-api-key-7Yt0";

/// Whether the corpus is here; when it is not, `test` says it is SKIPPED (a failure
/// under `CI=true`). Tests that read the corpus ask this first.
#[track_caller]
pub fn has_corpus(test: &str) -> bool {
    embargo_testkit::corpus_or_skip(test).is_some()
}

/// The corpus (see `embargo_testkit::corpus`), which the test checked with
/// [`has_corpus`].
pub fn corpus() -> PathBuf {
    embargo_testkit::corpus().expect("the corpus, checked with has_corpus first")
}

pub fn services_schema(rel: &str) -> PathBuf {
    corpus().join("schemas/cve-services").join(rel)
}

/// Runs a Python script with `input` on stdin; returns stdout, or panics with stderr.
pub fn run_python(script: &str, args: &[&str], input: &str, envs: &[(&str, &str)]) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Validates a CVE Services request body with the service's own schemas
/// (`validator-schemas/5.1_*_cna_container.json`, Draft-07, as its ajv middleware does).
const CONTAINER_CHECK: &str = r#"
import json, sys
from jsonschema import Draft7Validator
schema = json.load(open(sys.argv[1]))
body = json.load(sys.stdin)
errors = [
    {"instancePath": "/" + "/".join(str(p) for p in e.absolute_path), "message": e.message}
    for e in sorted(Draft7Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
]
print(json.dumps(errors))
"#;

/// A container check that runs the official schemas through Python `jsonschema`.
pub fn schema_check() -> ContainerCheck {
    let published = services_schema("validator-schemas/5.1_published_cna_container.json");
    let rejected = services_schema("validator-schemas/5.1_rejected_cna_container.json");
    Arc::new(move |kind, body: &Value| {
        let schema = match kind {
            ContainerKind::Published => &published,
            ContainerKind::Rejected => &rejected,
        };
        let out = run_python(
            CONTAINER_CHECK,
            &[schema.to_str().unwrap()],
            &body.to_string(),
            &[],
        );
        let errors: Vec<Value> = serde_json::from_str(&out).unwrap();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    })
}

/// A local server with one CNA (`apache`, quota `quota`), checking containers with the
/// official schema when the corpus and Python `jsonschema` are there.
pub async fn spawn(config: FakeConfig) -> RunningFake {
    let mut fake = FakeCveServices::new(config);
    if embargo_testkit::corpus().is_some() && embargo_testkit::python_has(&["jsonschema"]) {
        fake = fake.with_container_check(schema_check());
    } else {
        embargo_testkit::skip_or_fail(
            "container validation with the official schema",
            "needs the corpus and python3 -m pip install jsonschema; the built-in structural check is used",
        );
    }
    fake.spawn().await.unwrap()
}

pub fn config(quota: u64) -> FakeConfig {
    FakeConfig::single(ORG, USER, KEY, quota)
}

pub fn client(fake: &RunningFake) -> Client {
    Client::new(&fake.url, Credentials::new(ORG, USER, ApiKey::new(KEY))).unwrap()
}

/// Every record of the corpus, by file name.
pub fn corpus_records() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus().join("cve-records"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

pub fn corpus_record(name: &str) -> Value {
    corpus_records()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in the corpus"))
        .1
}

pub fn this_year() -> u16 {
    u16::try_from(jiff::Zoned::now().year()).unwrap()
}
