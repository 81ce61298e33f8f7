//! `spawn_app()`: a fresh store per backend, an organisation with two projects and
//! three users, and the router served on 127.0.0.1:0.

use std::sync::{Arc, OnceLock};

use embargo_app::{App, Ports, Settings};
use embargo_domain::ids::{CveId, Email, ProjectSlug, UserId};
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_domain::token::Token;
use embargo_formats::cve5::Cna;
use embargo_store::test_support::{TestDb, fresh_store};
use embargo_store::{
    CredentialKind, Cves, NewCredential, NewUser, Organisation, Organisations, ProjectInput,
    Projects, SqlStore, Users,
};
use embargo_web::limit::RateLimits;
use embargo_web::{AppState, WebConfig, router};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const PASSWORD: &str = "a long enough test password";
pub const ADMIN: &str = "admin@example.org";
pub const MEMBER_A: &str = "alice@alpha.example.org";
pub const MEMBER_B: &str = "bob@beta.example.org";

/// One running application on one backend.
pub struct TestApp {
    pub backend: &'static str,
    pub base: String,
    pub store: Arc<SqlStore>,
    /// API tokens of the organisation team admin, a member of alpha, a member of beta.
    pub admin: String,
    pub member_a: String,
    pub member_b: String,
    pub http: reqwest::Client,
    /// The database, for a second node on it.
    pub db: TestDb,
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| embargo_app::password::hash(PASSWORD).expect("hash"))
}

pub fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

/// A fresh app on every backend available here.
pub async fn apps() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for (backend, store, db) in fresh_store().await {
        apps.push(spawn_app(backend, store, db).await);
    }
    apps
}

pub async fn spawn_app(backend: &'static str, store: SqlStore, db: TestDb) -> TestApp {
    spawn_app_with(backend, store, db, RateLimits::default()).await
}

/// `spawn_app` with chosen rate limits.
pub async fn spawn_app_with(
    backend: &'static str,
    store: SqlStore,
    db: TestDb,
    rate_limits: RateLimits,
) -> TestApp {
    spawn_app_full(backend, store, db, rate_limits, None).await
}

/// `spawn_app` with chosen rate limits and a CVE Services client.
pub async fn spawn_app_full(
    backend: &'static str,
    store: SqlStore,
    db: TestDb,
    rate_limits: RateLimits,
    cve_services: Option<Arc<embargo_cveservices::Client>>,
) -> TestApp {
    let store = Arc::new(store);
    let org = Organisation {
        name: "Example Software Foundation".into(),
        security_email: email("security@example.org"),
    };
    store
        .init_organisation(&org)
        .await
        .expect("init organisation");
    for (slug, name, sec, member) in [
        (
            "alpha",
            "Example Alpha",
            Some("security@alpha.example.org"),
            MEMBER_A,
        ),
        ("beta", "Example Beta", None, MEMBER_B),
    ] {
        store
            .upsert_project(&ProjectInput {
                slug: ProjectSlug::parse(slug).expect("slug"),
                name: name.into(),
                security_email: sec.map(email),
                users_list: Some(email(&format!("users@{slug}.example.org"))),
                security_model_url: Some(format!("https://{slug}.example.org/security-model")),
                team: vec![email(member)],
                policy: PolicyOverrides::default(),
                trusted: false,
            })
            .await
            .expect("upsert project");
    }
    let admin_id = store
        .create_user(&NewUser {
            email: email(ADMIN),
            name: "Ada Admin".into(),
            org_team: true,
            password_hash: Some(password_hash().into()),
        })
        .await
        .expect("create admin");
    let mut ids = vec![admin_id];
    for m in [MEMBER_A, MEMBER_B] {
        let user = store
            .user_by_email(&email(m))
            .await
            .expect("user")
            .expect("team member created by import");
        store
            .set_password(user.id, password_hash())
            .await
            .expect("set password");
        ids.push(user.id);
    }
    let mut tokens = Vec::new();
    for id in ids {
        tokens.push(api_token(&store, id).await);
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let settings = Settings {
        base_url: base.clone(),
        organisation: org,
        default_policy: Policy::default(),
        cna: Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "example".into(),
            vendor: "Example Software Foundation".into(),
        },
        // Every test app checks records against the official schema when the corpus
        // has it, so the structural check runs under every record test.
        record_schema: official_schema(),
    };
    let ports = Ports {
        cve_program: cve_services.map(|c| c as Arc<dyn embargo_app::CveProgram>),
        mail_reader: Some(Arc::new(embargo_mail::Reader)),
    };
    let app = router(AppState {
        app: App::new(store.clone(), settings, ports),
        config: WebConfig {
            rate_limits,
            ..WebConfig::default()
        },
    });
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    TestApp {
        backend,
        base,
        store,
        admin: tokens[0].clone(),
        member_a: tokens[1].clone(),
        member_b: tokens[2].clone(),
        http: client(),
        db,
    }
}

pub async fn api_token(store: &SqlStore, user: UserId) -> String {
    let token = Token::generate();
    store
        .insert_credential(&NewCredential {
            digest: token.digest(),
            user,
            kind: CredentialKind::ApiToken,
            csrf: None,
            expires_at: None,
            label: Some("test".into()),
        })
        .await
        .expect("api token");
    token.expose().to_string()
}

/// A client that does not follow redirects (tests look at the 303s) and keeps cookies.
/// (to, cc, subject) of every mail queued with report `id`, oldest first.
pub async fn queued_mails(app: &TestApp, id: &str) -> Vec<(Vec<String>, Vec<String>, String)> {
    embargo_store::Reports::outbox_for_report(
        app.store.as_ref(),
        &embargo_domain::ids::ReportId::parse(id).expect("id"),
    )
    .await
    .expect("outbox")
    .into_iter()
    .map(|m| {
        (
            m.to.iter().map(ToString::to_string).collect(),
            m.cc.iter().map(ToString::to_string).collect(),
            m.subject,
        )
    })
    .collect()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Today plus `days`, as the API's dates are written.
pub fn date_in(days: i64) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .expect("date")
        .to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        (res.status(), res.text().await.expect("body"))
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (status, body) = self.get(path, token).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    /// Submits a report through the API; returns its id and status URL.
    pub async fn submit(&self, title: &str, project: Option<&str>) -> (String, String) {
        let (status, body) = self
            .post_json(
                "/api/v1/reports",
                None,
                &json!({
                    "project": project,
                    "title": title,
                    "description": "Steps to reproduce:\n1. send a crafted request\n2. observe the leak",
                    "affected_versions": "1.0 to 1.4",
                    "reporter_name": "Rita Reporter",
                    "reporter_email": "rita@research.example.net",
                    "credit": "Rita Reporter of Example Research",
                }),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}: submit: {body}",
            self.backend
        );
        assert_eq!(body["state"], "received");
        (
            body["id"].as_str().expect("id").into(),
            body["status_url"].as_str().expect("status_url").into(),
        )
    }

    pub async fn transition(&self, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(
            &format!("/api/v1/reports/{id}/transitions"),
            Some(token),
            &body,
        )
        .await
    }

    /// Moves a report along the lifecycle, as the organisation admin, until `target`.
    pub async fn walk_to(&self, id: &str, target: &str, cve: &str) {
        let steps: Vec<(&str, Value)> = vec![
            (
                "acknowledged",
                json!({"to": "acknowledged", "message": "Thanks, we are looking."}),
            ),
            (
                "accepted",
                json!({"to": "accepted", "disclosure_date": date_in(30)}),
            ),
            (
                "cve_requested",
                json!({"to": "cve_requested", "summary": "Leak in the request handler"}),
            ),
            ("cve_assigned", json!({"to": "cve_assigned", "cve": cve})),
            ("record", Value::Null),
            ("reporter_review", json!({"to": "reporter_review"})),
            (
                "fixed",
                json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/commit/abc123", "release_ref": "1.4.1"}),
            ),
            (
                "announced",
                json!({"to": "announced", "confirm_early": true}),
            ),
        ];
        for (name, body) in steps {
            if name == "record" {
                let (status, view) = self
                    .send_json(
                        reqwest::Method::PUT,
                        &format!("/api/v1/reports/{id}/record"),
                        Some(&self.admin),
                        &record_json(),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{}: record: {view}", self.backend);
                continue;
            }
            if name == "cve_assigned" {
                let cve = CveId::parse(cve).expect("cve");
                self.store.add_to_pool(&[cve]).await.expect("pool");
            }
            let (status, view) = self.transition(&self.admin, id, body).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}: to {name}: {view}",
                self.backend
            );
            assert_eq!(view["state"], name);
            if name == target {
                return;
            }
        }
    }

    /// Signs in through the login form with a fresh cookie jar; returns that client.
    pub async fn login(&self, who: &str) -> reqwest::Client {
        let c = client();
        let res = c
            .post(self.url("/login"))
            .form(&[("email", who), ("password", PASSWORD)])
            .send()
            .await
            .expect("login");
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{}: login as {who}",
            self.backend
        );
        assert_eq!(res.headers()["location"], "/dashboard");
        c
    }
}

pub fn record_json() -> Value {
    json!({
        "title": "Example Alpha: request handler leaks session data",
        "description": "The request handler of Example Alpha returns other users' session data for crafted requests.",
        "product": "Example Alpha",
        "affected": [{"introduced": "1.0", "fixed": "1.4.1"}],
        "severity": "important",
        "cwe": "CWE-200",
        "cwe_name": "Exposure of Sensitive Information to an Unauthorized Actor",
        "mitigation": "Upgrade to 1.4.1.",
        "credits": [{"name": "Rita Reporter of Example Research", "type": "finder"}],
        "references": ["https://alpha.example.org/security"]
    })
}

/// The value of the first hidden `csrf` input of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf input") + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("csrf value")
        .to_string()
}

/// The status token at the end of a status URL.
pub fn token_of(status_url: &str) -> &str {
    status_url.rsplit('/').next().expect("token")
}

/// The CVE Program's record schema from the corpus, compiled once per test binary.
pub fn official_schema() -> Option<Arc<embargo_formats::cve5::schema::OfficialSchema>> {
    static SCHEMA: OnceLock<Option<Arc<embargo_formats::cve5::schema::OfficialSchema>>> =
        OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let path = embargo_testkit::corpus_path()
                .join("schemas/cve/CVE_Record_Format_bundled_5.1.1.json");
            path.is_file().then(|| {
                Arc::new(
                    embargo_formats::cve5::schema::OfficialSchema::load(&path)
                        .expect("the official schema compiles"),
                )
            })
        })
        .clone()
}

/// The body of a page fetched with `client` (its cookies, no redirects followed).
pub async fn page_text(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body")
}

/// A form posted as a browser would, with `client`'s cookies.
pub async fn post_form<T: serde::Serialize + ?Sized>(
    client: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    form: &T,
) -> reqwest::Response {
    client.post(url).form(form).send().await.expect("post")
}
