//! The CVE record: depth (inclusive ranges, package coordinates, CVSS with computed
//! scores, tagged references, workarounds), validation with paths, the ASF gate
//! (project submits, organisation marks READY and publishes after the announcement),
//! and the kept versions with their diff.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, apps, csrf_of};
use crate::support::{page_text, post_form};

pub const CVSS4: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
pub const CVSS3: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

/// A full record as the API takes it.
pub fn rich_record() -> Value {
    json!({
        "title": "Example Alpha: deserialization in the REST API",
        "description": "Deserialization of Untrusted Data vulnerability in the REST API of Example Alpha.\n\nA crafted request body lets an unauthenticated attacker run code on the server.",
        "product": "Example Alpha",
        "collection_url": "https://repo.maven.apache.org/maven2",
        "package_name": "org.example.alpha:alpha-core",
        "version_type": "maven",
        "affected": [
            {"introduced": "3.0.0", "fixed": "3.7.1"},
            {"introduced": "4.0.0", "last_affected": "4.0.1"}
        ],
        "severity": "critical",
        "cvss_v4_0": CVSS4,
        "cvss_v3_1": CVSS3,
        "cwe": "CWE-502",
        "cwe_name": "Deserialization of Untrusted Data",
        "mitigation": "Users are recommended to upgrade to version 3.7.1 or 4.0.2, which fix the issue.",
        "workarounds": "Disable the REST API until you can upgrade.",
        "credits": [
            {"name": "Rita Reporter of Example Research", "type": "finder"},
            {"name": "Fixer Fred", "type": "remediation developer"}
        ],
        "references": [
            {"url": "https://alpha.example.org/security", "tags": ["vendor-advisory"]},
            "https://git.example.org/alpha/pull/42"
        ],
        "date_public": "2026-02-03"
    })
}

async fn put_record(app: &TestApp, token: &str, id: &str, record: &Value) -> (StatusCode, Value) {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/reports/{id}/record"),
        Some(token),
        record,
    )
    .await
}

async fn move_record(app: &TestApp, token: &str, id: &str, to: &str) -> (StatusCode, Value) {
    app.post_json(
        &format!("/api/v1/reports/{id}/record/transitions"),
        Some(token),
        &json!({"to": to}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_is_written_checked_reviewed_and_kept_in_versions() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app
            .submit("Deserialization in the REST API", Some("alpha"))
            .await;
        app.walk_to(&id, "cve_assigned", "CVE-2026-20000").await;
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(view["record_state"], "reserved", "{b}: {view}");

        // A first version with mistakes: the findings name the field and say what to do.
        let mut bad = rich_record();
        bad["cwe"] = json!("502");
        bad["cvss_v3_1"] = json!("CVSS:3.1/AV:X");
        bad["references"][0]["tags"] = json!(["advisory"]);
        let (status, view) = put_record(&app, &app.member_a, &id, &bad).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["record_state"], "draft", "{b}");
        let findings = view["record_findings"].as_array().expect("findings");
        for path in ["cwe", "cvss_v3_1", "references[0].tags"] {
            assert!(
                findings
                    .iter()
                    .any(|f| f["path"] == path && f["level"] == "error"),
                "{b}: no error at {path}: {findings:?}"
            );
        }
        assert!(view["record_problem"].is_string(), "{b}");
        // The v4.0 vector still scores.
        assert!(
            view["cvss"]
                .as_array()
                .expect("cvss")
                .iter()
                .any(|s| s["key"] == "cvssV4_0"
                    && s["score"] == 9.3
                    && s["severity"] == "CRITICAL"),
            "{b}: {}",
            view["cvss"]
        );
        // A record with errors cannot leave DRAFT.
        let (status, err) = move_record(&app, &app.member_a, &id, "review").await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .expect("message")
                .contains("cannot leave DRAFT"),
            "{b}: {err}"
        );

        // Fixed: no errors, both scores, the purl.
        let (status, view) = put_record(&app, &app.member_a, &id, &rich_record()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let errors: Vec<&Value> = view["record_findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["level"] == "error")
            .collect();
        assert!(errors.is_empty(), "{b}: {errors:?}");
        assert!(view["record_problem"].is_null(), "{b}: {view}");
        let scores: Vec<(String, f64)> = view["cvss"]
            .as_array()
            .expect("cvss")
            .iter()
            .map(|s| {
                (
                    s["key"].as_str().unwrap_or("").to_string(),
                    s["score"].as_f64().unwrap_or(0.0),
                )
            })
            .collect();
        assert_eq!(
            scores,
            [("cvssV4_0".to_string(), 9.3), ("cvssV3_1".to_string(), 9.8)],
            "{b}"
        );
        // The single-product body reads as one product, and is answered in today's shape.
        assert_eq!(
            view["record"]["products"][0]["versions"][1]["last_affected"], "4.0.1",
            "{b}"
        );

        // The ASF gate: the project submits; only the organisation team marks READY;
        // nothing is published before the announcement.
        let (status, view) = move_record(&app, &app.member_a, &id, "review").await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["record_state"], "review");
        let (status, err) = move_record(&app, &app.member_a, &id, "ready").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {err}");
        let (status, view) = move_record(&app, &app.admin, &id, "ready").await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["record_state"], "ready");
        let (status, err) = move_record(&app, &app.admin, &id, "published").await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("announced"),
            "{b}: {err}"
        );
        // Another project's member sees nothing.
        let (status, _) = move_record(&app, &app.member_b, &id, "review").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");

        // Every version is kept: two saves, then the two moves.
        let (status, v) = app
            .get_json(
                &format!("/api/v1/reports/{id}/record/versions"),
                Some(&app.member_a),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
        let states: Vec<&str> = v["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .filter_map(|x| x["state"].as_str())
            .collect();
        assert_eq!(states, ["draft", "draft", "review", "ready"], "{b}: {v}");
        assert_eq!(v["versions"][0]["record"]["cwe"], "502", "{b}");

        // The page: state, scores, purl, findings, and the diff of version 2.
        let member = app.login(crate::support::MEMBER_A).await;
        let page = page_text(&member, app.url(&format!("/reports/{id}?diff=2"))).await;
        assert!(
            page.contains(r#"id="record-state" data-state="ready""#),
            "{b}: {page}"
        );
        assert!(page.contains(r#"data-key="cvssV4_0">9.3 CRITICAL"#), "{b}");
        assert!(
            page.contains("pkg:maven/org.example.alpha/alpha-core"),
            "{b}"
        );
        assert!(page.contains("Changes from version 1 to version 2"), "{b}");
        assert!(
            page.contains(r#"<span class="removed">-   &#34;cwe&#34;: &#34;502&#34;,</span>"#)
                && page.contains(
                    r#"<span class="added">+   &#34;cwe&#34;: &#34;CWE-502&#34;,</span>"#
                ),
            "{b}: the diff shows the CWE change: {page}"
        );
        // A member of the project cannot mark READY: the page does not offer it.
        assert!(!page.contains(r#"data-to="ready""#), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_no_script_form_takes_the_new_fields_and_shows_what_is_wrong() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Form record", Some("alpha")).await;
        app.walk_to(&id, "cve_assigned", "CVE-2026-20001").await;
        let member = app.login(crate::support::MEMBER_A).await;
        let page_url = app.url(&format!("/reports/{id}"));
        let page = page_text(&member, &page_url).await;
        let csrf = csrf_of(&page);
        let mut fields = vec![
            ("csrf", csrf.clone()),
            ("title", "Example Alpha: form record".to_string()),
            ("description", "A description written in the form.".into()),
            ("products[0].product", "Example Alpha".into()),
            ("products[0].collection_url", "https://pypi.org".into()),
            ("products[0].package_name", "example-alpha".into()),
            ("products[0].versions", "3.0.0 through 3.7.0\r\nbefore 2.9.9".into()),
            ("severity", "moderate".into()),
            ("cvss_v4_0", "cvss:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into()),
            ("cvss_v3_1", String::new()),
            ("cwe", "CWE-79".into()),
            ("cwe_name", String::new()),
            ("mitigation", "Upgrade to 3.7.1.".into()),
            ("workarounds", String::new()),
            ("credits", "Ann Researcher (finder)\nTool Bot (tool)".into()),
            ("references", "https://alpha.example.org/a [vendor-advisory, patch]\nhttps://alpha.example.org/b [nonsense]".into()),
            ("date_public", String::new()),
            ("products[0].version_type", String::new()),
            ("products[0].default_status", "unknown".into()),
            ("further_cwes", "CWE-20 Improper Input Validation\r\nCWE-116".into()),
            ("timeline", "2026-01-05 Reported to the security team".into()),
        ];
        let res = post_form(&member, app.url(&format!("/reports/{id}/record")), &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let page = page_text(&member, &page_url).await;
        assert!(
            page.contains(r#"id="record-problem""#),
            "{b}: a bad tag is flagged: {page}"
        );
        assert!(page.contains(r#"data-path="references[1].tags""#), "{b}");
        assert!(page.contains("pkg:pypi/example-alpha"), "{b}");
        assert!(page.contains("9.3 CRITICAL"), "{b}: the score is shown");
        assert!(
            page.contains("3.0.0 through 3.7.0\nbefore 2.9.9</textarea>"),
            "{b}: ranges shown as typed"
        );
        assert!(
            page.contains(r#"<option value="unknown" selected>"#)
                && page.contains("CWE-20 Improper Input Validation\nCWE-116</textarea>")
                && page.contains("2026-01-05 Reported to the security team</textarea>"),
            "{b}: default status, further CWEs and timeline shown as typed"
        );
        assert!(
            page.contains("https://alpha.example.org/a [vendor-advisory, patch]"),
            "{b}"
        );
        // Submitting for review is offered, and refused with the reason on the page.
        assert!(
            page.contains(r#"class="record-transition" data-to="review""#),
            "{b}"
        );
        let res = post_form(
            &member,
            app.url(&format!("/reports/{id}/record/transition")),
            &[("csrf", csrf.as_str()), ("to", "review")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{b}");
        let body = res.text().await.expect("body");
        assert!(
            body.contains(r#"<p class="error">the record cannot leave DRAFT"#)
                && body.contains("nonsense"),
            "{b}: {body}"
        );
        // A malformed range is refused with the typed values kept.
        fields[6].1 = "3.0 till 3.7".into();
        let res = post_form(&member, app.url(&format!("/reports/{id}/record")), &fields).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let body = res.text().await.expect("body");
        assert!(
            body.contains(r#"<p class="error">products[0].versions:"#)
                && body.contains("3.0 till 3.7</textarea>"),
            "{b}: {body}"
        );
        // So is a timeline line without a date, named in the message.
        fields[6].1 = "3.0.0 through 3.7.0, fixed in 3.6.9".into();
        fields[20].1 = "soon Reported".into();
        let res = post_form(&member, app.url(&format!("/reports/{id}/record")), &fields).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let body = res.text().await.expect("body");
        assert!(
            body.contains(r#"<p class="error">timeline:"#) && body.contains("soon Reported"),
            "{b}: {body}"
        );
        fields[20].1 = "2026-01-05 Reported to the security team".into();
        // Fixed, it goes to review.
        fields[6].1 = "3.0.0 through 3.7.0".into();
        fields[15].1 = "https://alpha.example.org/a [vendor-advisory, patch]".into();
        let res = post_form(&member, app.url(&format!("/reports/{id}/record")), &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let res = post_form(
            &member,
            app.url(&format!("/reports/{id}/record/transition")),
            &[("csrf", csrf.as_str()), ("to", "review")],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{b}: {}",
            res.text().await.unwrap_or_default()
        );
        let page = page_text(&member, &page_url).await;
        assert!(
            page.contains(r#"data-state="review""#) && !page.contains(r#"id="record-problem""#),
            "{b}"
        );
        assert!(
            page.contains("- Example Alpha 3.0.0 through 3.7.0\n"),
            "{b}: the preview says through: {page}"
        );
    }
}

/// A credit longer than the CVE record's 4096 characters: the domain and the lint let it
/// through, the CVE Program's own schema does not.
fn record_only_the_schema_refuses() -> Value {
    let mut long = rich_record();
    long["credits"][0]["name"] = json!("Rita Reporter of Example Research ".repeat(130));
    assert!(long["credits"][0]["name"].as_str().expect("name").len() > 4096);
    long
}

/// The structural half of validation: what the domain and the lint let through but the
/// CVE Program's own schema refuses (a credit over its 4096 characters) is a finding at
/// the record's JSON path and keeps the record in DRAFT.
#[tokio::test(flavor = "multi_thread")]
async fn the_official_schema_is_checked_on_every_save() {
    if crate::support::official_schema().is_none() {
        return embargo_testkit::skip_or_fail(
            "official schema check",
            "no CVE record schema in the corpus; set EMBARGO_CORPUS",
        );
    }
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Schema check", Some("alpha")).await;
        app.walk_to(&id, "cve_assigned", "CVE-2026-20001").await;
        let long = record_only_the_schema_refuses();
        let (status, view) = put_record(&app, &app.member_a, &id, &long).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let findings = view["record_findings"].as_array().expect("findings");
        let schema_error = findings
            .iter()
            .find(|f| f["path"] == "/containers/cna/credits/0/value")
            .unwrap_or_else(|| panic!("{b}: no schema finding at the credit: {findings:?}"));
        assert_eq!(schema_error["level"], "error");
        assert!(
            schema_error["message"]
                .as_str()
                .expect("message")
                .starts_with("official schema: "),
            "{b}"
        );
        assert!(
            findings
                .iter()
                .filter(|f| f["level"] == "error")
                .all(|f| f["path"].as_str().is_some_and(|p| p.starts_with('/'))),
            "{b}: only the schema finds it: {findings:?}"
        );
        let (status, err) = move_record(&app, &app.member_a, &id, "review").await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {err}");

        let (_, view) = put_record(&app, &app.member_a, &id, &rich_record()).await;
        assert!(
            !view["record_findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| f["level"] == "error"),
            "{b}: {view}"
        );
        let (status, _) = move_record(&app, &app.member_a, &id, "review").await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
}

/// The draft goes to the reporter only with a record that validates: a range the CVE
/// JSON 5 lint finds empty, or a field the CVE Program's schema refuses, keeps it back
/// with the field named and nothing changed (no state, no message, no mail); fixed,
/// it goes.
#[tokio::test(flavor = "multi_thread")]
async fn the_draft_waits_for_a_record_that_validates() {
    if crate::support::official_schema().is_none() {
        return embargo_testkit::skip_or_fail(
            "the draft and the official schema",
            "no CVE record schema in the corpus; set EMBARGO_CORPUS",
        );
    }
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Draft check", Some("alpha")).await;
        app.walk_to(&id, "cve_assigned", "CVE-2026-20002").await;
        let report = embargo_domain::ids::ReportId::parse(&id).expect("id");
        let outbox = embargo_store::Reports::outbox_for_report(app.store.as_ref(), &report)
            .await
            .expect("outbox")
            .len();
        let messages = embargo_store::Reports::messages(app.store.as_ref(), &report)
            .await
            .expect("messages")
            .len();

        let mut empty_range = rich_record();
        empty_range["affected"][0] = json!({"introduced": "3.8.0", "fixed": "3.7.1"});
        for (record, field) in [
            (empty_range, "affected[0].versions[0].lessThan"),
            (
                record_only_the_schema_refuses(),
                "/containers/cna/credits/0/value",
            ),
        ] {
            let (status, view) = put_record(&app, &app.member_a, &id, &record).await;
            assert_eq!(status, StatusCode::OK, "{b}: {view}");
            let (status, err) = app
                .transition(&app.member_a, &id, json!({"to": "reporter_review"}))
                .await;
            assert_eq!(status, StatusCode::CONFLICT, "{b}: {err}");
            let message = err["error"]["message"].as_str().expect("message");
            assert!(
                message.starts_with(&format!(
                    "the draft cannot go to the reporter until the record is valid: {field}: "
                )),
                "{b}: {message}"
            );
            let (_, view) = app
                .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
                .await;
            assert_eq!(view["state"], "cve_assigned", "{b}");
        }
        let after = |what: &str| format!("{b}: nothing was {what}");
        assert_eq!(
            embargo_store::Reports::outbox_for_report(app.store.as_ref(), &report)
                .await
                .expect("outbox")
                .len(),
            outbox,
            "{}",
            after("mailed")
        );
        assert_eq!(
            embargo_store::Reports::messages(app.store.as_ref(), &report)
                .await
                .expect("messages")
                .len(),
            messages,
            "{}",
            after("said to the reporter")
        );

        let (status, view) = put_record(&app, &app.member_a, &id, &rich_record()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let (status, view) = app
            .transition(&app.member_a, &id, json!({"to": "reporter_review"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["state"], "reporter_review", "{b}");
    }
}
