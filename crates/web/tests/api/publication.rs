//! Publication in every format: nothing before the announcement, everything after it,
//! each document valid against its official schema, feeds and security.txt by the rules.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::records::rich_record;
use crate::schemas::{assert_valid, check, schema_tools_or_skip};
use crate::support::{TestApp, apps};

const CVE: &str = "CVE-2026-20100";

async fn get_raw(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let res = app.http.get(app.url(path)).send().await.expect("get");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ct, res.text().await.expect("body"))
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) {
    let (status, view) = app.transition(token, id, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{}: {body}: {view}", app.backend);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_announced_advisory_appears_in_every_format_and_not_before() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app
            .submit("Deserialization in the REST API", Some("alpha"))
            .await;
        app.walk_to(&id, "cve_assigned", CVE).await;
        let (status, view) = app
            .send_json(
                Method::PUT,
                &format!("/api/v1/reports/{id}/record"),
                Some(&app.member_a),
                &rich_record(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        for (token, to) in [(&app.member_a, "review"), (&app.admin, "ready")] {
            let (status, view) = app
                .post_json(
                    &format!("/api/v1/reports/{id}/record/transitions"),
                    Some(token),
                    &json!({"to": to}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{b}: {to}: {view}");
        }
        step(&app, &app.member_a, &id, json!({"to": "reporter_review"})).await;
        step(&app, &app.member_a, &id, json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/pull/42", "release_ref": "3.7.1"})).await;

        // Before the announcement: nothing, anywhere.
        let csaf_path = format!("/.well-known/csaf/white/2026/{}.json", CVE.to_lowercase());
        let per_advisory = [
            format!("/advisories/{CVE}"),
            format!("/advisories/{CVE}.json"),
            format!("/advisories/{CVE}.osv.json"),
            format!("/advisories/{CVE}.csaf.json"),
            csaf_path.clone(),
            "/.well-known/csaf/white/2026/".to_string(),
        ];
        for path in &per_advisory {
            let (status, _, body) = get_raw(&app, path).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{b}: {path} before the announcement: {body}"
            );
        }
        for path in [
            "/advisories.atom",
            "/projects/alpha/advisories.atom",
            "/.well-known/csaf/white/index.txt",
            "/.well-known/csaf/white/changes.csv",
            "/.well-known/csaf/white/",
            "/.well-known/csaf/provider-metadata.json",
            "/advisories",
            "/projects/alpha",
        ] {
            let (status, _, body) = get_raw(&app, path).await;
            assert_eq!(status, StatusCode::OK, "{b}: {path}");
            assert!(
                !body.to_lowercase().contains(&CVE.to_lowercase()) && !body.contains("REST API"),
                "{b}: {path} reveals the embargoed advisory: {body}"
            );
        }

        step(
            &app,
            &app.member_a,
            &id,
            json!({"to": "announced", "confirm_early": true}),
        )
        .await;

        // Every format, each valid.
        let corpus = schema_tools_or_skip("publication schemas");
        let (status, ct, body) = get_raw(&app, &format!("/advisories/{CVE}.json")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(ct.starts_with("application/json"), "{b}: {ct}");
        let cve: Value = serde_json::from_str(&body).expect("CVE JSON");
        assert_eq!(cve["cveMetadata"]["cveId"], CVE);
        let cna = &cve["containers"]["cna"];
        let versions = &cna["affected"][0]["versions"];
        assert_eq!(versions[1]["lessThanOrEqual"], "4.0.1", "{b}: {cna}");
        assert_eq!(versions[0]["versionType"], "maven", "{b}");
        assert_eq!(
            cna["affected"][0]["packageName"],
            "org.example.alpha:alpha-core"
        );
        assert_eq!(
            cna["metrics"][0]["cvssV4_0"]["baseScore"], 9.3,
            "{b}: {cna}"
        );
        assert_eq!(cna["metrics"][1]["cvssV3_1"]["baseScore"], 9.8, "{b}");
        assert_eq!(
            cna["metrics"][2]["other"]["content"]["text"], "critical",
            "{b}"
        );
        assert_eq!(
            cna["references"][0]["tags"],
            json!(["vendor-advisory"]),
            "{b}"
        );
        assert_eq!(
            cna["workarounds"][0]["value"],
            "Disable the REST API until you can upgrade."
        );
        assert_eq!(cna["credits"][1]["type"], "remediation developer");
        assert_eq!(cna["datePublic"], "2026-02-03T00:00:00.000Z");
        let (status, _, osv) = get_raw(&app, &format!("/advisories/{CVE}.osv.json")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let osv: Value = serde_json::from_str(&osv).expect("OSV");
        assert_eq!(osv["id"], CVE, "{b}");
        assert_eq!(
            osv["affected"][0]["package"]["ecosystem"], "Maven",
            "{b}: {osv}"
        );
        let (status, _, csaf_text) = get_raw(&app, &csaf_path).await;
        assert_eq!(status, StatusCode::OK, "{b}: {csaf_path}");
        let csaf: Value = serde_json::from_str(&csaf_text).expect("CSAF");
        let (_, _, same) = get_raw(&app, &format!("/advisories/{CVE}.csaf.json")).await;
        assert_eq!(
            serde_json::from_str::<Value>(&same).expect("CSAF"),
            csaf,
            "{b}"
        );
        assert_eq!(csaf["document"]["tracking"]["id"], CVE);
        let self_ref = csaf["document"]["references"][0]["url"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            self_ref,
            app.url(&csaf_path),
            "{b}: the document's self reference is where it is served"
        );
        let (_, _, meta) = get_raw(&app, "/.well-known/csaf/provider-metadata.json").await;
        let meta: Value = serde_json::from_str(&meta).expect("provider metadata");
        assert_eq!(
            meta["canonical_url"],
            app.url("/.well-known/csaf/provider-metadata.json")
        );
        assert_eq!(
            meta["distributions"][0]["directory_url"],
            app.url("/.well-known/csaf/white/")
        );
        if let Some(corpus) = &corpus {
            assert_valid("cve", corpus, &cve, "/advisories/{cve}.json");
            assert_valid("osv", corpus, &osv, "/advisories/{cve}.osv.json");
            assert_valid("csaf", corpus, &csaf, &csaf_path);
            assert_valid("provider", corpus, &meta, "provider-metadata.json");
        }

        // The distribution directory (CSAF 2.0 sections 7.1.11-7.1.14).
        let file = format!("2026/{}.json", CVE.to_lowercase());
        let (_, ct, index) = get_raw(&app, "/.well-known/csaf/white/index.txt").await;
        assert_eq!(index, format!("{file}\n"), "{b}");
        assert!(ct.starts_with("text/plain"), "{b}");
        let (_, ct, changes) = get_raw(&app, "/.well-known/csaf/white/changes.csv").await;
        assert!(ct.starts_with("text/csv"), "{b}: {ct}");
        let line = changes.lines().next().unwrap_or_default();
        let (path, date) = line.split_once(',').expect("two columns");
        assert_eq!(path, format!("\"{file}\""), "{b}");
        let date: jiff::Timestamp = date.trim_matches('"').parse().expect("an RFC 3339 date");
        assert!(date <= jiff::Timestamp::now(), "{b}");
        let (_, _, listing) = get_raw(&app, "/.well-known/csaf/white/").await;
        assert!(
            listing.contains(r#"href="2026/""#) && listing.contains(r#"href="index.txt""#),
            "{b}: {listing}"
        );
        let (_, _, listing) = get_raw(&app, "/.well-known/csaf/white/2026/").await;
        assert!(
            listing.contains(&format!(r#"href="{}.json""#, CVE.to_lowercase())),
            "{b}: {listing}"
        );

        // The feeds: valid Atom, the entry in the organisation's and alpha's, not beta's.
        for (path, listed) in [
            ("/advisories.atom", true),
            ("/projects/alpha/advisories.atom", true),
            ("/projects/beta/advisories.atom", false),
        ] {
            let (status, ct, feed) = get_raw(&app, path).await;
            assert_eq!(status, StatusCode::OK, "{b}: {path}");
            assert!(ct.starts_with("application/atom+xml"), "{b}: {ct}");
            assert_eq!(
                feed.contains(&format!(
                    "<id>{}</id>",
                    app.url(&format!("/advisories/{CVE}"))
                )),
                listed,
                "{b}: {path}: {feed}"
            );
            assert!(
                feed.contains(&format!("<id>{}</id>", app.url(path))),
                "{b}: {feed}"
            );
            if let Some(corpus) = &corpus {
                let (ok, report) = check("atom", corpus, &feed);
                assert!(ok, "{b}: {path}: {report}\n{feed}");
            }
        }
        let (status, page) = app.get(&format!("/advisories/{CVE}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(
            page.contains("9.3 CRITICAL")
                && page.contains("pkg:maven/org.example.alpha/alpha-core"),
            "{b}: {page}"
        );
        assert!(
            page.contains("- Example Alpha 4.0.0 through 4.0.1"),
            "{b}: the announcement says through"
        );

        // After the announcement the organisation team publishes the record.
        let (status, err) = app
            .post_json(
                &format!("/api/v1/reports/{id}/record/transitions"),
                Some(&app.member_a),
                &json!({"to": "published"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {err}");
        let (status, view) = app
            .post_json(
                &format!("/api/v1/reports/{id}/record/transitions"),
                Some(&app.admin),
                &json!({"to": "published"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["record_state"], "published");
    }
}

/// The field names RFC 9116 section 2.5 defines, read from the RFC itself.
fn rfc9116_fields() -> Vec<String> {
    let rfc = embargo_testkit::corpus()
        .and_then(|dir| std::fs::read_to_string(dir.join("security-txt/rfc9116.txt")).ok());
    let Some(rfc) = rfc else {
        embargo_testkit::skip_or_fail(
            "the RFC 9116 field list from the corpus",
            "no corpus/security-txt/rfc9116.txt; using the known list",
        );
        return [
            "Acknowledgments",
            "Canonical",
            "Contact",
            "Encryption",
            "Expires",
            "Hiring",
            "Policy",
            "Preferred-Languages",
        ]
        .map(String::from)
        .to_vec();
    };
    rfc.lines()
        .filter_map(|l| l.strip_prefix("2.5."))
        .filter_map(|l| l.split_once(".  ").map(|(_, name)| name.trim().to_string()))
        .filter(|n| !n.is_empty() && !n.contains(' '))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn security_txt_follows_rfc_9116() {
    let known = rfc9116_fields();
    assert!(
        known.contains(&"Expires".to_string()) && known.len() >= 8,
        "{known:?}"
    );
    for app in apps().await {
        let b = app.backend;
        for (path, contact, policy) in [
            (
                "/.well-known/security.txt",
                "mailto:security@example.org",
                app.url("/"),
            ),
            (
                "/projects/alpha/security.txt",
                "mailto:security@alpha.example.org",
                app.url("/projects/alpha"),
            ),
            // beta has no security list of its own: the organisation's.
            (
                "/projects/beta/security.txt",
                "mailto:security@example.org",
                app.url("/projects/beta"),
            ),
        ] {
            let (status, ct, body) = get_raw(&app, path).await;
            assert_eq!(status, StatusCode::OK, "{b}: {path}");
            assert_eq!(ct, "text/plain; charset=utf-8", "{b}: section 3");
            let mut fields: Vec<(String, String)> = Vec::new();
            for line in body.lines() {
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                let (name, value) = line
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{b}: not a field line: {line:?}"));
                assert!(
                    known.iter().any(|k| k.eq_ignore_ascii_case(name)),
                    "{b}: {name} is not an RFC 9116 field"
                );
                fields.push((name.to_string(), value.to_string()));
            }
            let all = |n: &str| {
                fields
                    .iter()
                    .filter(|(k, _)| k == n)
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
            };
            assert_eq!(all("Contact"), [contact], "{b}: {path}");
            assert_eq!(all("Policy"), [policy.as_str()], "{b}: {path}");
            assert_eq!(
                all("Canonical"),
                [app.url(path).as_str()],
                "{b}: Canonical is where the file is"
            );
            assert_eq!(all("Preferred-Languages"), ["en"], "{b}");
            // Expires: exactly once, RFC 3339, in the future and less than a year ahead (2.5.5).
            let expires = all("Expires");
            assert_eq!(expires.len(), 1, "{b}: {body}");
            let t: jiff::Timestamp = expires[0].parse().expect("an RFC 3339 Expires");
            let now = jiff::Timestamp::now();
            assert!(
                t > now && t < now + jiff::SignedDuration::from_hours(24 * 365),
                "{b}: {t}"
            );
        }
        let (status, _, _) = get_raw(&app, "/projects/nope/security.txt").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    }
}

/// Timeline, several CWEs, a default status, an unaffected range and a fix inside a
/// range, written through the API, come out in the CVE record, OSV, CSAF and the
/// announcement once the report is announced.
#[tokio::test(flavor = "multi_thread")]
async fn timeline_cwes_statuses_and_changes_reach_every_format() {
    const DEEP: &str = "CVE-2026-20102";
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app
            .submit("Cross-site scripting in the UI", Some("alpha"))
            .await;
        app.walk_to(&id, "cve_assigned", DEEP).await;
        let mut record = rich_record();
        record["affected"] = json!([
            {"introduced": "3.0.0", "fixed": "4.0.0", "changes": [{"at": "3.7.1", "status": "unaffected"}]},
            {"introduced": "4.0.0", "last_affected": "4.0.1"},
            {"introduced": "5.0.0", "status": "unaffected"}
        ]);
        record["default_status"] = json!("unknown");
        record["further_cwes"] = json!([{"id": "CWE-20", "name": "Improper Input Validation"}]);
        record["timeline"] = json!([
            {"time": "2026-01-05T00:00:00.000Z", "value": "Reported to the security team"},
            {"time": "2026-02-03T09:00:00Z", "value": "Fix released"}
        ]);
        let (status, view) = app
            .send_json(
                Method::PUT,
                &format!("/api/v1/reports/{id}/record"),
                Some(&app.member_a),
                &record,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let saved = view.to_string();
        assert!(
            saved.contains("Reported to the security team") && saved.contains("CWE-20"),
            "{b}: the record reads back: {view}"
        );
        step(&app, &app.member_a, &id, json!({"to": "reporter_review"})).await;
        step(&app, &app.member_a, &id, json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/pull/43", "release_ref": "3.7.1"})).await;
        step(
            &app,
            &app.member_a,
            &id,
            json!({"to": "announced", "confirm_early": true}),
        )
        .await;

        let (status, _, body) = get_raw(&app, &format!("/advisories/{DEEP}.json")).await;
        assert_eq!(status, StatusCode::OK, "{b}: {body}");
        let cve: Value = serde_json::from_str(&body).expect("CVE JSON");
        let cna = &cve["containers"]["cna"];
        let product = &cna["affected"][0];
        assert_eq!(product["defaultStatus"], "unknown", "{b}: {cna}");
        assert_eq!(
            product["versions"][0]["changes"],
            json!([{"at": "3.7.1", "status": "unaffected"}]),
            "{b}"
        );
        assert_eq!(product["versions"][2]["status"], "unaffected", "{b}");
        assert_eq!(
            cna["problemTypes"][1]["descriptions"][0]["description"],
            "CWE-20 Improper Input Validation",
            "{b}"
        );
        assert_eq!(
            cna["timeline"],
            json!([
                {"time": "2026-01-05T00:00:00.000Z", "lang": "en", "value": "Reported to the security team"},
                {"time": "2026-02-03T09:00:00Z", "lang": "en", "value": "Fix released"}
            ]),
            "{b}"
        );
        let (status, _, osv) = get_raw(&app, &format!("/advisories/{DEEP}.osv.json")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let osv: Value = serde_json::from_str(&osv).expect("OSV");
        assert_eq!(
            osv["database_specific"]["cwe_ids"],
            json!(["CWE-502", "CWE-20"]),
            "{b}: {osv}"
        );
        assert!(
            osv["affected"][0]["ranges"]
                .to_string()
                .contains(r#"{"fixed":"3.7.1"}"#),
            "{b}: the fix inside the range is an OSV fix: {osv}"
        );
        let (status, _, csaf) = get_raw(&app, &format!("/advisories/{DEEP}.csaf.json")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let csaf: Value = serde_json::from_str(&csaf).expect("CSAF");
        assert!(
            csaf["vulnerabilities"][0]["product_status"]
                .get("known_not_affected")
                .is_some(),
            "{b}: the unaffected range is known_not_affected: {csaf}"
        );
        if let Some(corpus) = schema_tools_or_skip("deeper record schemas") {
            assert_valid("cve", &corpus, &cve, "/advisories/{cve}.json");
            assert_valid("osv", &corpus, &osv, "/advisories/{cve}.osv.json");
            assert_valid("csaf", &corpus, &csaf, "/advisories/{cve}.csaf.json");
        }
        let (status, page) = app.get(&format!("/advisories/{DEEP}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(
            page.contains("- Example Alpha 3.0.0 before 4.0.0, fixed in 3.7.1")
                && page.contains("Unaffected versions:"),
            "{b}: the announcement: {page}"
        );
    }
}
