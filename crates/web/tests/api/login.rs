//! Sign-in: one answer for unknown users and wrong passwords; setup links work once.

use embargo_domain::token::Token;
use embargo_store::{CredentialKind, NewCredential, NewUser, Users};
use reqwest::StatusCode;

use crate::support::post_form;
use crate::support::{MEMBER_A, PASSWORD, TestApp, apps, client, csrf_of, email};

async fn login_page(app: &TestApp, who: &str, password: &str) -> (StatusCode, String) {
    let res = client()
        .post(app.url("/login"))
        .form(&[("email", who), ("password", password)])
        .send()
        .await
        .expect("login");
    (res.status(), res.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    for app in apps().await {
        let b = app.backend;
        let (s1, wrong) = login_page(&app, MEMBER_A, "not the right password").await;
        let (s2, unknown) = login_page(&app, "nobody@example.org", PASSWORD).await;
        assert_eq!(s1, StatusCode::UNAUTHORIZED, "{b}");
        assert_eq!(s1, s2, "{b}");
        assert!(
            wrong.contains(r#"<p class="error">Unknown e-mail address or wrong password.</p>"#),
            "{b}: {wrong}"
        );
        // The pages differ only in the address typed back into the form.
        assert_eq!(
            wrong.replace(MEMBER_A, "X"),
            unknown.replace("nobody@example.org", "X"),
            "{b}"
        );

        // A good login sets a hardened session cookie; logout deletes it server-side.
        let res = client()
            .post(app.url("/login"))
            .form(&[("email", MEMBER_A), ("password", PASSWORD)])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let cookie = res.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_string();
        assert!(cookie.starts_with("embargo_session="), "{b}: {cookie}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
            assert!(cookie.contains(attr), "{b}: {cookie} lacks {attr}");
        }
        assert!(!cookie.contains("Secure"), "{b}: plain http in tests");
        let pair = cookie.split(';').next().expect("pair").to_string();
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let res = plain
            .get(app.url("/dashboard"))
            .header("cookie", &pair)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        let csrf = csrf_of(&res.text().await.expect("body"));
        let res = plain
            .post(app.url("/logout"))
            .header("cookie", &pair)
            .form(&[("csrf", csrf)])
            .send()
            .await
            .expect("logout");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let res = plain
            .get(app.url("/dashboard"))
            .header("cookie", &pair)
            .send()
            .await
            .expect("get");
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{b}: the old cookie no longer signs in"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_setup_link_sets_a_password_once() {
    for app in apps().await {
        let b = app.backend;
        let who = "newcomer@alpha.example.org";
        let id = app
            .store
            .create_user(&NewUser {
                email: email(who),
                name: "New Comer".into(),
                org_team: false,
                password_hash: None,
            })
            .await
            .expect("user");
        let link = Token::generate();
        app.store
            .insert_credential(&NewCredential {
                digest: link.digest(),
                user: id,
                kind: CredentialKind::SetupLink,
                csrf: None,
                expires_at: Some(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)),
                label: None,
            })
            .await
            .expect("link");
        let path = format!("/setup/{}", link.expose());
        let (status, page) = app.get(&path, None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("New Comer"), "{b}");
        let (status, _) = login_page(&app, who, "a brand new password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}: no password yet");

        let c = client();
        let res = post_form(
            &c,
            app.url(&path),
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        assert!(
            res.text()
                .await
                .expect("body")
                .contains("at least 12 characters"),
            "{b}"
        );
        let res = c
            .post(app.url(&path))
            .form(&[
                ("password", "a brand new password"),
                ("password_confirm", "a different password"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let res = c
            .post(app.url(&path))
            .form(&[
                ("password", "a brand new password"),
                ("password_confirm", "a brand new password"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        assert_eq!(res.headers()["location"], "/login");

        let (status, _) = login_page(&app, who, "a brand new password").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}: the new password works");
        let (status, _) = app.get(&path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}: the link is used up");
        let res = c
            .post(app.url(&path))
            .form(&[
                ("password", "an attacker password"),
                ("password_confirm", "an attacker password"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        let (status, _) = login_page(&app, who, "an attacker password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
    }
}
