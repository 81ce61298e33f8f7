//! Session-authenticated forms need the session's CSRF token and our own origin.

use reqwest::StatusCode;

use crate::support::{MEMBER_A, apps, csrf_of};
use crate::support::{page_text, post_form};

#[tokio::test(flavor = "multi_thread")]
async fn session_posts_without_the_csrf_token_are_refused_and_change_nothing() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("CSRF target", Some("alpha")).await;
        let alice = app.login(MEMBER_A).await;
        let page = page_text(&alice, app.url(&format!("/reports/{id}"))).await;
        let csrf = csrf_of(&page);
        assert_eq!(csrf.len(), 64, "{b}");
        let url = app.url(&format!("/reports/{id}/note"));
        let transition = app.url(&format!("/reports/{id}/transition"));

        for form in [
            vec![("body", "forged note")],
            vec![("body", "forged note"), ("csrf", "0000")],
        ] {
            let res = alice.post(&url).form(&form).send().await.expect("post");
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}: {form:?}");
        }
        let res = post_form(
            &alice,
            &transition,
            &[("to", "acknowledged"), ("csrf", "wrong")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}");
        // The right token, but sent from another site.
        let res = alice
            .post(&url)
            .header("origin", "https://evil.example")
            .form(&[("body", "forged note"), ("csrf", csrf.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}: cross-origin");

        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(view["state"], "received", "{b}");
        assert!(
            !view.to_string().contains("forged note"),
            "{b}: nothing changed"
        );

        // With the token, from our own origin, the same forms work.
        let res = alice
            .post(&url)
            .header("origin", app.base.as_str())
            .form(&[("body", "real note"), ("csrf", csrf.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        assert_eq!(res.headers()["location"], format!("/reports/{id}").as_str());
        let res = alice
            .post(&transition)
            .form(&[
                ("to", "acknowledged"),
                ("csrf", csrf.as_str()),
                ("message", ""),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(view["state"], "acknowledged", "{b}");
        assert!(view.to_string().contains("real note"), "{b}");

        // A refused step shows the page again with the reason.
        let res = post_form(
            &alice,
            &transition,
            &[("to", "rejected"), ("csrf", csrf.as_str()), ("reason", "")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let page = res.text().await.expect("body");
        assert!(
            page.contains(r#"<p class="error">reason: is required to move to rejected</p>"#),
            "{b}: {page}"
        );

        // Logging out needs the token too, then the session is gone.
        let res = post_form(&alice, app.url("/logout"), &[("csrf", "nope")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}");
        let res = post_form(&alice, app.url("/logout"), &[("csrf", csrf.as_str())]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let res = alice.get(app.url("/dashboard")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}: signed out");
    }
}
