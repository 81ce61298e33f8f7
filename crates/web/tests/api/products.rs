//! A record of several affected products (a product and its module), through every
//! door: the API's `products` (and the single-product body of earlier clients), the
//! report page's product rows without JavaScript, the draft the reporter reads, and
//! the published CVE JSON 5.2.0 (`affected[]` with `packageURL`), OSV and CSAF, each
//! valid against its official schema.

use embargo_domain::ids::ReportId;
use embargo_store::Reports;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::records::rich_record;
use crate::schemas::{assert_valid, schema_tools_or_skip};
use crate::support::{TestApp, apps, csrf_of, page_text, post_form};

/// The broker and its module, as a record of Example Alpha lists them.
fn two_products() -> Value {
    let mut record = rich_record();
    let o = record.as_object_mut().expect("object");
    for single in [
        "product",
        "collection_url",
        "package_name",
        "version_type",
        "affected",
    ] {
        o.remove(single);
    }
    record["products"] = json!([
        {
            "product": "Example Alpha",
            "collection_url": "https://repo.maven.apache.org/maven2",
            "package_name": "org.example.alpha:alpha-core",
            "version_type": "maven",
            "versions": [
                {"introduced": "3.0.0", "fixed": "3.7.1"},
                {"introduced": "4.0.0", "last_affected": "4.0.1"}
            ]
        },
        {
            "vendor": "Example Module Makers",
            "product": "Example Alpha REST Module",
            "package_url": "pkg:maven/org.example.alpha/alpha-rest",
            "version_type": "maven",
            "versions": [{"introduced": "0", "fixed": "3.7.1"}]
        }
    ]);
    record
}

async fn put_record(app: &TestApp, id: &str, record: &Value) -> (StatusCode, Value) {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/reports/{id}/record"),
        Some(&app.member_a),
        record,
    )
    .await
}

async fn get_json_doc(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.get(path, None).await;
    assert_eq!(status, StatusCode::OK, "{}: {path}: {body}", app.backend);
    serde_json::from_str(&body).expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_of_two_products_reaches_every_format_and_the_reporter() {
    const CVE: &str = "CVE-2026-20110";
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("RCE in the REST module", Some("alpha")).await;
        app.walk_to(&id, "cve_assigned", CVE).await;

        // Both shapes at once are refused, naming what to do; nothing is saved.
        let mut both = two_products();
        both["product"] = json!("Example Alpha");
        let (status, err) = put_record(&app, &id, &both).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        assert!(err.to_string().contains("not both"), "{b}: {err}");
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(view["record_state"], "reserved", "{b}: {view}");

        // A package URL with a version is a finding at its product's field.
        let mut versioned = two_products();
        versioned["products"][1]["package_url"] =
            json!("pkg:maven/org.example.alpha/alpha-rest@3.7.0");
        let (status, view) = put_record(&app, &id, &versioned).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert!(
            view["record_findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| f["path"] == "products[1].package_url" && f["level"] == "error"),
            "{b}: {view}"
        );

        let (status, view) = put_record(&app, &id, &two_products()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let errors: Vec<&Value> = view["record_findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["level"] == "error")
            .collect();
        assert!(errors.is_empty(), "{b}: {errors:?}");
        let products = view["record"]["products"].as_array().expect("products");
        assert_eq!(products.len(), 2, "{b}: {view}");
        assert_eq!(products[1]["vendor"], "Example Module Makers", "{b}");
        assert!(view["record"].get("product").is_none(), "{b}: {view}");

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
        for body in [
            json!({"to": "reporter_review"}),
            json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/pull/44", "release_ref": "3.7.1"}),
            json!({"to": "announced", "confirm_early": true}),
        ] {
            let (status, view) = app.transition(&app.member_a, &id, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{b}: {body}: {view}");
        }

        // The reporter's draft lists each product's versions, the product first.
        let messages = app
            .store
            .messages(&ReportId::parse(&id).expect("id"))
            .await
            .expect("messages");
        let draft = messages
            .iter()
            .find(|m| m.body.contains("--- Draft announcement ---"))
            .expect("the draft");
        assert!(
            draft.body.contains(
                "Affected versions:\n\n\
                 - Example Alpha 3.0.0 before 3.7.1\n\
                 - Example Alpha 4.0.0 through 4.0.1\n\
                 - Example Alpha REST Module before 3.7.1\n"
            ),
            "{b}: {}",
            draft.body
        );
        let (status, page) = app.get(&format!("/advisories/{CVE}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(
            page.contains("- Example Alpha REST Module before 3.7.1"),
            "{b}: {page}"
        );
        assert!(
            page.contains("pkg:maven/org.example.alpha/alpha-core")
                && page.contains("pkg:maven/org.example.alpha/alpha-rest"),
            "{b}: both packages on the advisory page"
        );

        // CVE JSON 5.2.0: one affected[] entry per product, each with its packageURL.
        let cve = get_json_doc(&app, &format!("/advisories/{CVE}.json")).await;
        assert_eq!(cve["dataVersion"], "5.2.0", "{b}");
        let affected = cve["containers"]["cna"]["affected"]
            .as_array()
            .expect("affected");
        assert_eq!(affected.len(), 2, "{b}: {affected:?}");
        assert_eq!(affected[0]["vendor"], "Example Software Foundation", "{b}");
        assert_eq!(
            affected[0]["packageURL"],
            "pkg:maven/org.example.alpha/alpha-core"
        );
        assert_eq!(affected[1]["vendor"], "Example Module Makers", "{b}");
        assert_eq!(affected[1]["product"], "Example Alpha REST Module");
        assert_eq!(
            affected[1]["packageURL"],
            "pkg:maven/org.example.alpha/alpha-rest"
        );

        // OSV: each product a package of its own, with its purl.
        let osv = get_json_doc(&app, &format!("/advisories/{CVE}.osv.json")).await;
        assert!(
            osv["schema_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("1.7.")),
            "{b}: {osv}"
        );
        let packages: Vec<&Value> = osv["affected"]
            .as_array()
            .expect("affected")
            .iter()
            .map(|a| &a["package"])
            .collect();
        assert_eq!(
            packages,
            [
                &json!({"ecosystem": "Maven", "name": "org.example.alpha:alpha-core", "purl": "pkg:maven/org.example.alpha/alpha-core"}),
                &json!({"ecosystem": "Maven", "name": "org.example.alpha:alpha-rest", "purl": "pkg:maven/org.example.alpha/alpha-rest"})
            ],
            "{b}: {osv}"
        );

        // CSAF: both products in the tree, each under its vendor, and in product_status.
        let csaf = get_json_doc(&app, &format!("/advisories/{CVE}.csaf.json")).await;
        let tree = csaf["product_tree"]["branches"].to_string();
        for name in [
            "Example Software Foundation",
            "Example Module Makers",
            "Example Alpha REST Module before 3.7.1",
            "Example Alpha 4.0.0 through 4.0.1",
        ] {
            assert!(tree.contains(name), "{b}: {name} not in {tree}");
        }
        let affected_ids = csaf["vulnerabilities"][0]["product_status"]["known_affected"]
            .as_array()
            .expect("known_affected")
            .len();
        assert_eq!(affected_ids, 3, "{b}: one per affected range: {csaf}");

        if let Some(corpus) = schema_tools_or_skip("several products' schemas") {
            assert_valid("cve", &corpus, &cve, "/advisories/{cve}.json");
            assert_valid("osv", &corpus, &osv, "/advisories/{cve}.osv.json");
            assert_valid("csaf", &corpus, &csaf, "/advisories/{cve}.csaf.json");
        }
    }
}

/// The report page without JavaScript: a stored record shows a row per product and one
/// empty row; "Add a product row" gives another empty row and saves nothing; a second
/// row filled in and saved is a second product; "Remove" drops one.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_adds_and_removes_products_without_javascript() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Products on the page", Some("alpha")).await;
        app.walk_to(&id, "cve_assigned", "CVE-2026-20111").await;
        let (status, view) = put_record(&app, &id, &rich_record()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");

        let member = app.login(crate::support::MEMBER_A).await;
        let page_url = app.url(&format!("/reports/{id}"));
        let page = page_text(&member, &page_url).await;
        assert!(page.contains(r#"id="record-product-0""#), "{b}");
        assert!(
            page.contains(r#"id="record-product-1""#) && !page.contains(r#"id="record-product-2""#),
            "{b}: one product and one empty row"
        );
        assert!(
            page.contains(r#"name="products[0].product" value="Example Alpha""#),
            "{b}"
        );
        let csrf = csrf_of(&page);
        let record_url = app.url(&format!("/reports/{id}/record"));
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), csrf),
            (
                "title".into(),
                "Example Alpha: RCE in the REST module".into(),
            ),
            (
                "description".into(),
                "Deserialization of Untrusted Data in the REST module of Example Alpha.".into(),
            ),
            ("cwe".into(), "CWE-502".into()),
            ("mitigation".into(), "Upgrade to 3.7.1.".into()),
            ("credits".into(), "Rita Reporter (finder)".into()),
            (
                "references".into(),
                "https://alpha.example.org/security".into(),
            ),
            ("products[0].product".into(), "Example Alpha".into()),
            ("products[0].versions".into(), "3.0.0 before 3.7.1".into()),
            ("products[1].product".into(), String::new()),
            ("products[1].versions".into(), String::new()),
        ];

        // "Add a product row": the form again with a third row, nothing saved.
        let mut add = fields.clone();
        add.push(("add_product".into(), "1".into()));
        let res = post_form(&member, &record_url, &add).await;
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        let page = res.text().await.expect("page");
        assert!(page.contains(r#"id="record-product-2""#), "{b}: {page}");
        assert!(
            page.contains(r#"value="Example Alpha: RCE in the REST module""#),
            "{b}: what was typed is kept"
        );
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(
            view["record"]["title"],
            rich_record()["title"],
            "{b}: nothing saved"
        );

        // The second row filled in, then saved: two products.
        fields[9].1 = "Example Alpha REST Module".into();
        fields[10].1 = "before 3.7.1".into();
        fields.push((
            "products[1].package_url".into(),
            "pkg:maven/org.example.alpha/alpha-rest".into(),
        ));
        let res = post_form(&member, &record_url, &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        let names: Vec<&str> = view["record"]["products"]
            .as_array()
            .expect("products")
            .iter()
            .filter_map(|p| p["product"].as_str())
            .collect();
        assert_eq!(names, ["Example Alpha", "Example Alpha REST Module"], "{b}");
        let page = page_text(&member, &page_url).await;
        assert!(
            page.contains(r#"id="record-product-2""#) && !page.contains(r#"id="record-product-3""#),
            "{b}: two products and one empty row"
        );
        assert!(
            page.contains("- Example Alpha REST Module before 3.7.1"),
            "{b}: the preview lists both"
        );

        // A bad range in the second row is refused at that row's field, as typed.
        let mut bad = fields.clone();
        bad[10].1 = "from 1 to 2".into();
        let res = post_form(&member, &record_url, &bad).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let page = res.text().await.expect("page");
        assert!(
            page.contains(r#"<p class="error">products[1].versions:"#)
                && page.contains("from 1 to 2"),
            "{b}: {page}"
        );

        // "Remove" drops the first product.
        fields.push(("products[0].remove".into(), "1".into()));
        let res = post_form(&member, &record_url, &fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        let products = view["record"]["products"].as_array().expect("products");
        assert_eq!(products.len(), 1, "{b}: {view}");
        assert_eq!(products[0]["product"], "Example Alpha REST Module", "{b}");
    }
}
