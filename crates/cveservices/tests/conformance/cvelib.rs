//! The real client: `cvelib` (PyPI, Red Hat's CVE Services client) reserves, publishes and
//! rejects against the local server, through its Python API and its `cve` command.

use std::process::Command;

use embargo_cveservices::IdState;
use embargo_domain::ids::CveId;
use serde_json::Value;

use crate::support::{self, KEY, ORG, USER};

/// Drives `cvelib.cve_api.CveApi` through a CNA's whole routine and prints what it saw.
const SCRIPT: &str = r#"
import json, os, sys
import requests
from cvelib.cve_api import CveApi
url, year, record_path = sys.argv[1], sys.argv[2], sys.argv[3]
api = CveApi(username=os.environ["T_USER"], org=os.environ["T_ORG"],
             api_key=os.environ["T_KEY"], url=url)
out = {}
assert api.ping() is None, "health-check failed"
out["quota_before"] = api.quota()
seq = api.reserve(3, random=False, year=year)
out["sequential"] = [c["cve_id"] for c in seq["cve_ids"]]
out["remaining_quota"] = seq["meta"]["remaining_quota"]
rnd = api.reserve(2, random=True, year=year)
out["random"] = [c["cve_id"] for c in rnd["cve_ids"]]
one = api.reserve(1, random=False, year=year)
out["single"] = one["cve_ids"][0]["cve_id"]
first, second, third = out["sequential"]
out["shown"] = api.show_cve_id(first)
out["listed"] = sorted(c["cve_id"] for c in api.list_cves(year=year, state="reserved"))

# Publish a full corpus record: cvelib extracts the CNA container and validates it with
# its own copy of the schema before sending.
record = json.load(open(record_path))
created = api.publish(first, record)
out["published"] = created["created"]["cveMetadata"]
# A container without providerMetadata makes cvelib look up the org's UUID first.
minimal = {
    "descriptions": [{"lang": "en", "value": "A minimal record published by cvelib."}],
    "affected": [{"vendor": "Apache Software Foundation", "product": "Apache Example",
                  "versions": [{"version": "1.0", "status": "affected"}]}],
    "references": [{"url": "https://lists.apache.org/thread/example"}],
}
out["published_minimal"] = api.publish(third, minimal)["created"]["containers"]["cna"]["providerMetadata"]
try:
    api.publish(first, record)
    out["republish"] = "accepted"
except requests.exceptions.HTTPError as exc:
    out["republish"] = [exc.response.status_code, exc.response.json()["error"]]
record["containers"]["cna"]["title"] = "Updated by cvelib"
out["updated"] = api.update_published(first, record)["updated"]["containers"]["cna"]["title"]
out["record"] = api.show_cve_record(first)["cveMetadata"]["state"]

reject = {"rejectedReasons": [{"lang": "en", "value": "Duplicate; use the other ID."}],
          "replacedBy": [first]}
out["rejected"] = api.reject(second, reject)["created"]["cveMetadata"]["state"]
out["withdrawn"] = api.update_rejected(first, {"rejectedReasons": [
    {"lang": "en", "value": "Not a vulnerability."}]})["updated"]["cveMetadata"]["state"]
out["moved_rejected"] = api.move_to_rejected(out["random"][0])["updated"]["state"]
out["moved_reserved"] = api.move_to_reserved(out["random"][0])["updated"]["state"]
out["quota_after"] = api.quota()
out["org"] = api.show_org()["short_name"]

bad = CveApi(username=os.environ["T_USER"], org=os.environ["T_ORG"], api_key="wrong", url=url)
try:
    bad.quota()
    out["wrong_key"] = "accepted"
except requests.exceptions.HTTPError as exc:
    out["wrong_key"] = [exc.response.status_code, exc.response.json()["error"]]
print(json.dumps(out))
"#;

/// Whether `test` cannot run: without cvelib (or the corpus) it says SKIPPED, a failure
/// under `CI=true`.
#[track_caller]
fn cvelib_missing(test: &str) -> bool {
    !embargo_testkit::require_python(test, &["cvelib"]) || !support::has_corpus(test)
}

#[tokio::test]
async fn cvelib_api_reserves_publishes_and_rejects() {
    if cvelib_missing("cvelib conformance (API)") {
        return;
    }
    let fake = support::spawn(support::config(20)).await;
    let year = support::this_year().to_string();
    let record = support::corpus().join("cve-records/CVE-2024-45216.json");
    let url = fake.url.clone();
    let record_arg = record.to_str().unwrap().to_owned();
    // cvelib is synchronous: run it off the runtime that serves the fake.
    let out = tokio::task::spawn_blocking(move || {
        support::run_python(
            SCRIPT,
            &[&url, &year, &record_arg],
            "",
            &[
                ("T_USER", USER),
                ("T_ORG", ORG),
                ("T_KEY", KEY),
                ("CVE_GENERATOR", "embargo-test"),
            ],
        )
    })
    .await
    .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));

    assert_eq!(
        out["quota_before"],
        serde_json::json!({"id_quota": 20, "total_reserved": 0, "available": 20})
    );
    assert_eq!(out["sequential"].as_array().unwrap().len(), 3);
    assert_eq!(out["remaining_quota"], 17);
    assert_eq!(out["random"].as_array().unwrap().len(), 2);
    assert_eq!(out["shown"]["state"], "RESERVED");
    assert_eq!(out["shown"]["owning_cna"], ORG);
    assert_eq!(out["listed"].as_array().unwrap().len(), 6);
    assert_eq!(out["published"]["state"], "PUBLISHED");
    assert_eq!(
        out["published_minimal"]["orgId"],
        fake.service.org_uuid(ORG).unwrap()
    );
    assert_eq!(
        out["republish"],
        serde_json::json!([403, "CVE_RECORD_EXISTS"])
    );
    assert_eq!(out["updated"], "Updated by cvelib");
    assert_eq!(out["record"], "PUBLISHED");
    assert_eq!(out["rejected"], "REJECTED");
    assert_eq!(out["withdrawn"], "REJECTED");
    assert_eq!(
        (
            out["moved_rejected"].as_str(),
            out["moved_reserved"].as_str()
        ),
        (Some("REJECTED"), Some("RESERVED"))
    );
    // Of six IDs, the first two sequential ones are rejected and the third published; the two
    // random ones (one there and back) and the single one stay RESERVED.
    assert_eq!(out["quota_after"]["total_reserved"], 3);
    assert_eq!(out["org"], ORG);
    assert_eq!(out["wrong_key"], serde_json::json!([401, "UNAUTHORIZED"]));

    let id = |v: &Value| CveId::parse(v.as_str().unwrap()).unwrap();
    let seq = out["sequential"].as_array().unwrap();
    assert_eq!(fake.service.id_state(&id(&seq[0])), Some(IdState::Rejected));
    assert_eq!(fake.service.id_state(&id(&seq[1])), Some(IdState::Rejected));
    assert_eq!(
        fake.service.id_state(&id(&seq[2])),
        Some(IdState::Published)
    );
    let stored = fake.service.record(&id(&seq[2])).unwrap();
    assert_eq!(
        stored["containers"]["cna"]["x_generator"]["engine"],
        "embargo-test"
    );
}

#[tokio::test]
async fn cve_command_reserves_publishes_and_rejects() {
    if cvelib_missing("cvelib conformance (cve command)") {
        return;
    }
    let fake = support::spawn(support::config(5)).await;
    let url = fake.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let container = dir.path().join("cna.json");
    let record = support::corpus_record("CVE-2023-46589.json");
    std::fs::write(&container, record["containers"]["cna"].to_string()).unwrap();
    let year = support::this_year().to_string();
    let container_arg = container.to_str().unwrap().to_owned();

    let run = move |args: Vec<String>| {
        // `python3 -m cvelib.cli` is the `cve` entry point, found whatever the PATH.
        let out = Command::new("python3")
            .args(["-c", "from cvelib.cli import cli; cli()"])
            .args(&args)
            .env("CVE_API_URL", &url)
            .env("CVE_ORG", ORG)
            .env("CVE_USER", USER)
            .env("CVE_API_KEY", KEY)
            .env_remove("CVE_ENVIRONMENT")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "cve {args:?} failed:\n{text}");
        assert!(!text.contains(KEY), "the key was printed: {text}");
        text
    };
    let (reserved, published, rejected, shown, quota) = tokio::task::spawn_blocking(move || {
        let reserved = run(vec![
            "reserve".into(),
            "--raw".into(),
            "--year".into(),
            year,
            "2".into(),
        ]);
        let ids: Value = serde_json::from_str(&reserved).unwrap();
        let ids: Vec<String> = ids["cve_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cve_id"].as_str().unwrap().to_owned())
            .collect();
        let published = run(vec![
            "publish".into(),
            ids[0].clone(),
            "-f".into(),
            container_arg,
        ]);
        let rejected = run(vec![
            "reject".into(),
            ids[1].clone(),
            "-j".into(),
            r#"{"rejectedReasons": [{"lang": "en", "value": "Withdrawn by the CNA."}]}"#.into(),
        ]);
        let shown = run(vec!["show".into(), ids[0].clone(), "--show-record".into()]);
        let quota = run(vec!["quota".into()]);
        (ids, published, rejected, shown, quota)
    })
    .await
    .unwrap();
    assert!(
        published.contains("Published the following CVE") && published.contains("PUBLISHED"),
        "{published}"
    );
    assert!(
        rejected.contains("Rejected the following CVE") && rejected.contains("REJECTED"),
        "{rejected}"
    );
    assert!(shown.contains(&reserved[0]), "{shown}");
    assert!(quota.contains("Available:\t5"), "{quota}");
    assert_eq!(
        fake.service.id_state(&CveId::parse(&reserved[0]).unwrap()),
        Some(IdState::Published)
    );
    assert_eq!(
        fake.service.id_state(&CveId::parse(&reserved[1]).unwrap()),
        Some(IdState::Rejected)
    );
}
