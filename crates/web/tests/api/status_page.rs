//! The reporter's status page, on every backend: it shows what they sent and what comes
//! next, and their private link never travels in a query string (browser history, proxy
//! logs): not in the receipt's redirect, nor in a link, form or redirect of the page;
//! the receipt's old query address redirects to the path (docs/process.md#the-status-page).

use reqwest::StatusCode;

use crate::support::{apps, client, page_text, post_form};

/// Every `href` and `action` of a page.
fn targets(html: &str) -> Vec<String> {
    ["href=\"", "action=\""]
        .iter()
        .flat_map(|attr| {
            html.split(attr)
                .skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_link_never_goes_in_a_query_string() {
    for app in apps().await {
        let b = app.backend;
        let anon = client();
        let res = anon
            .post(app.url("/report"))
            .form(&[
                ("project", "alpha"),
                ("title", "Header injection in the mailer"),
                (
                    "description",
                    "Line one <script>alert(1)</script>\nLine two",
                ),
                ("affected_versions", "1.2 to 1.4"),
                ("reporter_email", "pat@example.net"),
            ])
            .send()
            .await
            .expect("submit");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let receipt_path = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(!receipt_path.contains('?'), "{b}: {receipt_path}");
        let token = receipt_path
            .strip_prefix("/report/received/")
            .expect("the token in the path")
            .to_string();
        let receipt = page_text(&anon, app.url(&receipt_path)).await;
        let status_url = format!("{}/status/{token}", app.base);
        assert!(receipt.contains(&format!("href=\"{status_url}\"")), "{b}");

        // A receipt opened at the old address lands on the new one.
        let res = anon
            .get(app.url(&format!("/report/received?token={token}")))
            .send()
            .await
            .expect("old receipt");
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT, "{b}");
        assert_eq!(res.headers()["location"], receipt_path.as_str(), "{b}");
        let res = anon
            .get(app.url("/report/received?token=not-a-token"))
            .send()
            .await
            .expect("bad token");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");

        // What they sent, as text, and what comes next in plain words.
        let page = page_text(&anon, &status_url).await;
        assert!(page.contains("Header injection in the mailer"), "{b}");
        let sent = page
            .split(r#"<div id="sent-description" class="body sent">"#)
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .expect("the description");
        assert!(
            sent.starts_with("Line one &")
                && sent.contains("alert(1)")
                && sent.ends_with("Line two"),
            "{b}: the description as text: {sent}"
        );
        assert!(!page.contains("<script>alert(1)"), "{b}");
        assert!(page.contains("Affected versions: 1.2 to 1.4"), "{b}");
        let next = page
            .split(r#"<p id="next-step">"#)
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .expect("the next step");
        assert!(
            next.starts_with("The team will acknowledge your report by ") && next.contains("(UTC)"),
            "{b}: {next}"
        );

        // Their reply shows, and neither the form nor its redirect puts the token in a query.
        let res = post_form(&anon, &status_url, &[("body", "Any news on my report?")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let back = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert_eq!(back, format!("/status/{token}"), "{b}");
        let page = page_text(&anon, &status_url).await;
        assert!(page.contains("Any news on my report?"), "{b}");
        for target in targets(&page).iter().chain(targets(&receipt).iter()) {
            assert!(
                !(target.contains('?') && target.contains(&token)),
                "{b}: the token in a query: {target}"
            );
        }
        assert!(
            targets(&page).contains(&format!("/status/{token}")),
            "{b}: the reply form posts to the path"
        );
    }
}
