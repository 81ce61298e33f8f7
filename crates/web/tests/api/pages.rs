//! The HTML pages walked as a person would, through the elements the browser test uses.

use reqwest::StatusCode;

use crate::support::{ADMIN, apps, client, csrf_of, date_in};
use crate::support::{page_text, post_form};

#[tokio::test(flavor = "multi_thread")]
async fn the_public_form_and_team_pages_carry_a_report_to_announcement() {
    for app in apps().await {
        let b = app.backend;
        let anon = client();
        let form = page_text(&anon, app.url("/report")).await;
        for needle in [
            r#"<form id="report-form" method="post""#,
            r#"<option value="">I don't know</option>"#,
            r#"<button id="submit-report" type="submit">"#,
        ] {
            assert!(form.contains(needle), "{b}: {needle}");
        }
        let res = anon
            .post(app.url("/report"))
            .form(&[
                ("project", "alpha"),
                ("title", "Form-filed path traversal"),
                ("description", "GET /files/..%2f..%2fetc/passwd"),
                ("affected_versions", "1.x"),
                ("reporter_name", "Pat"),
                ("reporter_email", "pat@example.net"),
                ("credit", "Pat"),
            ])
            .send()
            .await
            .expect("submit");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let receipt_path = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(receipt_path.starts_with("/report/received/"), "{b}");
        let receipt = page_text(&anon, app.url(&receipt_path)).await;
        let marker = r#"<a id="status-link" href=""#;
        let start = receipt.find(marker).expect("status link") + marker.len();
        let status_url = receipt[start..]
            .split('"')
            .next()
            .expect("href")
            .to_string();
        assert!(
            status_url.starts_with(&format!("{}/status/", app.base)),
            "{b}: {status_url}"
        );

        let status = page_text(&anon, &status_url).await;
        assert!(
            status.contains(r#"<span id="state" data-state="received">"#),
            "{b}"
        );
        assert!(
            status.contains(r#"<li class="message system">"#),
            "{b}: the receipt"
        );
        let res = post_form(&anon, &status_url, &[("body", "Any news?")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let status = page_text(&anon, &status_url).await;
        assert!(
            status.contains(r#"<li class="message reporter">"#) && status.contains("Any news?"),
            "{b}"
        );

        // The team: dashboard row, then every step through the page's forms.
        let admin = app.login(ADMIN).await;
        let dash = page_text(&admin, app.url("/dashboard")).await;
        let link = r#"<a class="report-link" href="/reports/"#;
        let start = dash.find(link).expect("a report row") + link.len();
        let id = dash[start..].split('"').next().expect("id").to_string();
        assert!(
            dash.contains(r#"<tr class="report received">"#),
            "{b}: {dash}"
        );
        let page_url = app.url(&format!("/reports/{id}"));
        let post = |fields: Vec<(&'static str, String)>, action: &'static str| {
            let admin = admin.clone();
            let url = app.url(&format!("/reports/{id}/{action}"));
            let page_url = page_url.clone();
            async move {
                let page = page_text(&admin, &page_url).await;
                let mut form = fields;
                form.push(("csrf", csrf_of(&page)));
                let res = admin.post(&url).form(&form).send().await.expect("post");
                let status = res.status();
                (status, res.text().await.expect("body"))
            }
        };
        let page = page_text(&admin, &page_url).await;
        assert!(
            page.contains(r#"data-to="acknowledged" method="post" action="/reports/"#),
            "{b}"
        );
        assert!(page.contains(r#"data-to="rejected""#), "{b}");
        assert!(
            !page.contains(r#"data-to="announced""#),
            "{b}: only the steps allowed now"
        );
        assert!(
            !page.contains(r#"id="record-form""#),
            "{b}: no record before acceptance"
        );

        let steps: Vec<(Vec<(&'static str, String)>, &'static str)> = vec![
            (
                vec![("to", "acknowledged".into()), ("message", String::new())],
                "acknowledged",
            ),
            (
                vec![
                    ("to", "accepted".into()),
                    ("disclosure_date", date_in(14)),
                    ("message", String::new()),
                ],
                "accepted",
            ),
        ];
        for (fields, expect) in steps {
            let (status, body) = post(fields, "transition").await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{b}: to {expect}: {body}");
        }
        use embargo_store::Cves;
        app.store
            .add_to_pool(
                &embargo_domain::ids::CveId::parse_range("CVE-2026-30000..CVE-2026-30001")
                    .expect("range"),
            )
            .await
            .expect("pool");
        let page = page_text(&admin, &page_url).await;
        assert!(
            page.contains(r#"placeholder="next free id from the pool""#),
            "{b}"
        );
        assert!(page.contains(r#"<form id="record-form""#), "{b}");
        let (status, _) = post(
            vec![("to", "cve_assigned".into()), ("cve", String::new())],
            "transition",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");

        // A bad range line is refused on the page, keeping what was typed.
        let mut record = vec![
            ("title", "Example Alpha: path traversal in file handler".to_string()),
            ("description", "A path traversal in the file handler of Example Alpha lets remote users read any file.".into()),
            ("product", "Example Alpha".into()),
            ("affected", "from 1 to 2".into()),
            ("severity", "critical".into()),
            ("cwe", "CWE-22".into()),
            ("cwe_name", "Path Traversal".into()),
            ("mitigation", "Upgrade to 1.9.1.".into()),
            ("credits", "Pat (finder)".into()),
            ("references", "https://alpha.example.org/security".into()),
        ];
        let (status, body) = post(record.clone(), "record").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            // Posted with the single-product page's names, read as the first product row.
            body.contains(r#"<p class="error">products[0].versions:"#)
                && body.contains("from 1 to 2"),
            "{b}"
        );
        record[3].1 = "1.0.0 before 1.9.1\n2.0 and later".into();
        let (status, body) = post(record, "record").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}: {body}");
        let page = page_text(&admin, &page_url).await;
        assert!(page.contains(r#"<pre id="announcement-preview">Subject: CVE-2026-30000: Example Alpha: path traversal in file handler"#), "{b}: {page}");
        assert!(
            page.contains("1.0.0 before 1.9.1\n2.0 and later"),
            "{b}: ranges shown as typed"
        );

        for fields in [
            vec![
                ("to", "reporter_review".to_string()),
                ("message", String::new()),
            ],
            vec![
                ("to", "fixed".into()),
                ("fix_ref", "https://git.example.org/alpha/commit/1".into()),
                ("release_ref", "1.9.1".into()),
            ],
        ] {
            let (status, body) = post(fields, "transition").await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{b}: {body}");
        }
        // Two weeks before the agreed date: the announce form names where the copies
        // go and asks for a confirmation; without it the page refuses and says why.
        let page = page_text(&admin, &page_url).await;
        assert!(page.contains(r#"id="announce-to""#), "{b}: {page}");
        assert!(page.contains(r#"name="confirm_early""#), "{b}");
        assert!(
            page.contains(r#"<tr data-destination="reporter">"#)
                && page.contains(r#"class="delivery-planned">planned"#),
            "{b}: the planned destinations"
        );
        let (status, body) = post(vec![("to", "announced".into())], "transition").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            body.contains("confirm_early: the agreed disclosure date is"),
            "{b}: {body}"
        );
        assert!(
            body.contains(r#"data-state="fixed""#),
            "{b}: nothing changed"
        );
        let (status, body) = post(
            vec![("to", "announced".into()), ("confirm_early", "true".into())],
            "transition",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}: {body}");
        let page = page_text(&admin, &page_url).await;
        assert!(page.contains(r#"data-state="announced""#), "{b}");
        // Each copy of the announcement, queued (no relay here) with its destination.
        assert!(
            page.contains(r#"<tr data-destination="security_list">"#)
                && page.contains(r#"class="delivery-queued">queued"#),
            "{b}: the copies on the page"
        );
        assert!(
            page.contains("before the agreed disclosure date") && page.contains("(confirmed)"),
            "{b}: the early announcement is audited"
        );
        assert!(page.contains(r#"<table id="audit">"#), "{b}");
        assert!(
            page.contains("fixed -&#62; announced") || page.contains("fixed -&gt; announced"),
            "{b}: the audit log"
        );
        assert!(
            page.contains(r#"<table id="outbox">"#) && page.contains("pat@example.net"),
            "{b}: the queued mails"
        );
        let public = page_text(&anon, app.url("/projects/alpha")).await;
        assert!(
            public.contains(r#"<a class="advisory" href="/advisories/CVE-2026-30000">CVE-2026-30000: Example Alpha: path traversal in file handler</a>"#),
            "{b}: {public}"
        );
    }
}
