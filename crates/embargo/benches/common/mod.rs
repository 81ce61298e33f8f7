//! What the benchmarks share: a served Embargo on a fresh store with one project and
//! an organisation-team member holding an API token, and the latency summary.

#![allow(dead_code)]

pub mod node;
pub mod smtp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use embargo_domain::ids::Email;
use embargo_domain::policy::Policy;
use embargo_domain::token::Token;
use embargo_formats::cve5::Cna;
use embargo_store::{
    CredentialKind, NewCredential, NewUser, Organisation, Organisations, ProjectInput, Projects,
    Store, Users,
};
use embargo_web::{AppState, WebConfig};

pub const PASSWORD: &str = "bench-password-long-enough";

/// The API body of the benchmarks' new reports (about 2 KB; the same each time but
/// for its title).
pub fn report_body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "project": "kafka",
        "title": format!("Bench report {i}: deserialization in the REST API"),
        "description": "Steps to reproduce:\n".to_string() + &"A realistic paragraph of analysis. ".repeat(60),
        "affected_versions": "3.0 - 3.7",
        "reporter_name": "Bench Researcher",
        "reporter_email": "researcher@bench.example",
        "credit": "Bench Researcher"
    })
}

pub struct App {
    pub base: String,
    pub token: String,
    pub store: Arc<dyn Store>,
}

pub async fn start(store: embargo_store::SqlStore) -> App {
    let org = Organisation {
        name: "Bench Org".into(),
        security_email: Email::parse("security@bench.example").unwrap(),
    };
    store.init_organisation(&org).await.unwrap();
    store
        .upsert_project(&ProjectInput {
            slug: embargo_domain::ids::ProjectSlug::parse("kafka").unwrap(),
            name: "Apache Kafka".into(),
            security_email: Some(Email::parse("security@kafka.bench.example").unwrap()),
            users_list: None,
            security_model_url: None,
            team: vec![],
            policy: Default::default(),
            trusted: false,
        })
        .await
        .unwrap();
    let admin = store
        .create_user(&NewUser {
            email: Email::parse("admin@bench.example").unwrap(),
            name: "Admin".into(),
            org_team: true,
            password_hash: Some(embargo_app::password::hash(PASSWORD).unwrap()),
        })
        .await
        .unwrap();
    let token = Token::generate();
    store
        .insert_credential(&NewCredential {
            digest: token.digest(),
            user: admin,
            kind: CredentialKind::ApiToken,
            csrf: None,
            expires_at: None,
            label: None,
        })
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings = embargo_app::Settings {
        base_url: base.clone(),
        organisation: org,
        default_policy: Policy::default(),
        cna: Cna {
            org_id: "00000000-0000-4000-8000-000000000000".into(),
            short_name: "bench".into(),
            vendor: "Bench".into(),
        },
        record_schema: None,
    };
    let state = AppState {
        app: embargo_app::App::new(store.clone(), settings, embargo_app::Ports::default()),
        config: WebConfig {
            // One client address sends everything here: measure the server, not the limiter.
            rate_limits: embargo_web::limit::RateLimits::unlimited(),
            ..WebConfig::default()
        },
    };
    tokio::spawn(async move {
        axum::serve(
            listener,
            embargo_web::router(state)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    App {
        base,
        token: token.expose().to_string(),
        store,
    }
}

pub fn summary(label: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    println!(
        "{label}: {} requests in {:.2} s = {:.0} req/s; latency p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
}

pub async fn list(app: &App, label: &str, path: &str, rounds: usize) {
    let client = reqwest::Client::new();
    let mut lat = Vec::new();
    let started = Instant::now();
    for _ in 0..rounds {
        let t = Instant::now();
        let r = client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let _ = r.bytes().await.unwrap();
        lat.push(t.elapsed());
    }
    summary(label, lat, started.elapsed());
}
