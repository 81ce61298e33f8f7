//! The local server's answers against CVE Services' response schemas
//! (`schemas/cve-services/schemas/**`), and its records against the CVE JSON 5.1 schema.

use embargo_cveservices::cna_container_of;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{self, KEY, ORG, USER};

/// Validates each `(schema file, answer)` with the `$schema` draft the file names.
///
/// The record responses (`create-cve-record-response.json` and its kin) type
/// `containers.cna.affected` as an object, while every CVE record (the 5.1 schema, and what
/// the service really returns) has an array there: those schemas are checked with `affected`
/// read as "an array of such objects", and the full record is checked against the bundled
/// CVE JSON 5.1 schema besides, which settles what `affected` is.
const VALIDATE: &str = r#"
import json, sys
from jsonschema import validators
cases = json.load(sys.stdin)
def patch(node):
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("affected"), dict) \
                and props["affected"].get("type") == "object":
            props["affected"] = {"type": "array", "items": props["affected"]}
        for v in node.values():
            patch(v)
    elif isinstance(node, list):
        for v in node:
            patch(v)
failures = []
for case in cases:
    schema = json.load(open(case["schema"]))
    patch(schema)
    cls = validators.validator_for(schema)
    for e in cls(schema).iter_errors(case["instance"]):
        failures.append("%s: %s at %s" % (case["label"], e.message, list(e.absolute_path)))
print(json.dumps({"checked": len(cases), "failures": failures}))
"#;

struct Recorder {
    http: reqwest::Client,
    base: String,
    cases: Vec<Value>,
}

impl Recorder {
    /// Sends a request, expects `status`, and keeps the answer for checking against `schema`.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        auth: bool,
        status: u16,
        schema: &str,
    ) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if auth {
            request = request
                .header("CVE-API-ORG", ORG)
                .header("CVE-API-USER", USER)
                .header("CVE-API-KEY", KEY);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(got, status, "{method} {path}: {answer}");
        self.check(&format!("{method} {path} -> {got}"), schema, &answer);
        answer
    }

    fn check(&mut self, label: &str, schema: &str, instance: &Value) {
        self.cases.push(json!({
            "label": label,
            "schema": support::services_schema(schema).to_str().unwrap(),
            "instance": instance,
        }));
    }
}

#[tokio::test]
async fn answers_match_the_response_schemas() {
    if !embargo_testkit::require_python("response schema conformance", &["jsonschema"])
        || !support::has_corpus("response schema conformance")
    {
        return;
    }
    let mut config = support::config(10);
    config.page_size = 2;
    config.range_size = 6;
    let fake = support::spawn(config).await;
    let mut r = Recorder {
        http: reqwest::Client::new(),
        base: fake.url.clone(),
        cases: Vec::new(),
    };
    let year = support::this_year();
    let record = support::corpus_record("CVE-2024-27309.json");
    let container = cna_container_of(&record).unwrap().clone();
    let reason = json!({"rejectedReasons": [{"lang": "en", "value": "Duplicate of another ID."}]});

    let made = r
        .call(
            Method::POST,
            &format!("cve-id?amount=4&cve_year={year}&short_name={ORG}&batch_type=sequential"),
            None,
            true,
            200,
            "schemas/cve-id/create-cve-ids-response.json",
        )
        .await;
    let ids: Vec<String> = made["cve_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["cve_id"].as_str().unwrap().to_owned())
        .collect();
    r.call(
        Method::POST,
        &format!("cve-id?amount=1&cve_year={year}&short_name={ORG}"),
        None,
        true,
        200,
        "schemas/cve-id/create-cve-ids-response.json",
    )
    .await;
    // The range holds six numbers and five are gone: three more give a 206.
    let partial = r
        .call(
            Method::POST,
            &format!("cve-id?amount=3&cve_year={year}&short_name={ORG}&batch_type=sequential"),
            None,
            true,
            206,
            "schemas/cve-id/create-cve-ids-partial-response.json",
        )
        .await;
    assert_eq!(partial["details"]["amount_reserved"], 1);
    r.call(
        Method::GET,
        &format!("cve-id/{}", ids[0]),
        None,
        true,
        200,
        "schemas/cve-id/get-cve-id-response.json",
    )
    .await;
    r.call(
        Method::GET,
        &format!("cve-id/{}", ids[0]),
        None,
        false,
        200,
        "schemas/cve-id/get-cve-id-response.json",
    )
    .await;
    let page = r
        .call(
            Method::GET,
            "cve-id?page=2",
            None,
            true,
            200,
            "schemas/cve-id/list-cve-ids-response.json",
        )
        .await;
    assert_eq!(
        (page["currentPage"].clone(), page["nextPage"].clone()),
        (json!(2), json!(3))
    );
    r.call(
        Method::GET,
        "cve-id?state=RESERVED",
        None,
        true,
        200,
        "schemas/cve-id/list-cve-ids-response.json",
    )
    .await;
    r.call(
        Method::PUT,
        &format!("cve-id/{}?state=REJECTED", ids[3]),
        None,
        true,
        200,
        "schemas/cve-id/update-cve-id-response.json",
    )
    .await;

    let created = r
        .call(
            Method::POST,
            &format!("cve/{}/cna", ids[0]),
            Some(json!({"cnaContainer": container})),
            true,
            200,
            "schemas/cve/create-cve-record-response.json",
        )
        .await;
    r.check(
        "created record",
        "validator-schemas/CVE_JSON_5.1_bundled.json",
        &created["created"],
    );
    let mut changed = container.clone();
    changed["title"] = json!("A new title");
    let updated = r
        .call(
            Method::PUT,
            &format!("cve/{}/cna", ids[0]),
            Some(json!({"cnaContainer": changed})),
            true,
            200,
            "schemas/cve/update-full-cve-record-response.json",
        )
        .await;
    r.check(
        "updated record",
        "validator-schemas/CVE_JSON_5.1_bundled.json",
        &updated["updated"],
    );
    let fetched = r
        .call(
            Method::GET,
            &format!("cve/{}", ids[0]),
            None,
            false,
            200,
            "schemas/cve/get-cve-record-response.json",
        )
        .await;
    r.check(
        "fetched record",
        "validator-schemas/CVE_JSON_5.1_bundled.json",
        &fetched,
    );
    let rejected = r
        .call(
            Method::POST,
            &format!("cve/{}/reject", ids[1]),
            Some(json!({"cnaContainer": reason.clone()})),
            true,
            200,
            "schemas/cve/create-cve-record-rejection-response.json",
        )
        .await;
    r.check(
        "rejected record",
        "validator-schemas/CVE_JSON_5.1_bundled.json",
        &rejected["created"],
    );
    let withdrawn = r
        .call(
            Method::PUT,
            &format!("cve/{}/reject", ids[0]),
            Some(json!({"cnaContainer": reason})),
            true,
            200,
            "schemas/cve/update-cve-record-rejection-response.json",
        )
        .await;
    r.check(
        "withdrawn record",
        "validator-schemas/CVE_JSON_5.1_bundled.json",
        &withdrawn["updated"],
    );
    r.call(
        Method::GET,
        &format!("org/{ORG}/id_quota"),
        None,
        true,
        200,
        "schemas/org/get-org-quota-response.json",
    )
    .await;
    r.call(
        Method::GET,
        &format!("org/{ORG}"),
        None,
        true,
        200,
        "schemas/org/get-org-response.json",
    )
    .await;

    // Error answers.
    r.call(
        Method::GET,
        &format!("org/{ORG}/id_quota"),
        None,
        false,
        400,
        "schemas/errors/generic.json",
    )
    .await;
    let mut bad = reqwest::Client::new()
        .get(format!("{}org/{ORG}/id_quota", fake.url))
        .header("CVE-API-ORG", ORG)
        .header("CVE-API-USER", USER)
        .header("CVE-API-KEY", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    let body: Value = bad.json().await.unwrap();
    r.check("wrong key -> 401", "schemas/errors/generic.json", &body);
    bad = reqwest::Client::new()
        .get(format!("{}cve/{}", fake.url, ids[2]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 404);
    let body: Value = bad.json().await.unwrap();
    r.check("no record -> 404", "schemas/errors/generic.json", &body);
    r.call(
        Method::GET,
        "cve-id/CVE-20-1",
        None,
        true,
        400,
        "schemas/errors/bad-request.json",
    )
    .await;
    r.call(
        Method::POST,
        &format!("cve-id?amount=2&cve_year={year}&short_name={ORG}"),
        None,
        true,
        400,
        "schemas/errors/generic.json",
    )
    .await;
    r.call(
        Method::POST,
        &format!("cve-id?amount=1&cve_year={year}&short_name=other"),
        None,
        true,
        404,
        "schemas/errors/generic.json",
    )
    .await;
    r.call(
        Method::POST,
        &format!("cve/{}/cna", ids[0]),
        Some(json!({"cnaContainer": container})),
        true,
        403,
        "schemas/errors/generic.json",
    )
    .await;
    r.call(
        Method::POST,
        &format!("cve/{}/cna", ids[2]),
        Some(json!({"cnaContainer": {"title": "x"}})),
        true,
        400,
        "schemas/errors/generic.json",
    )
    .await;

    let out = support::run_python(
        VALIDATE,
        &[],
        &serde_json::to_string(&r.cases).unwrap(),
        &[],
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["checked"], r.cases.len());
    assert_eq!(report["failures"], json!([]), "{out}");
    eprintln!(
        "checked {} answers against the CVE Services schemas",
        r.cases.len()
    );
}
