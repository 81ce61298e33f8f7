//! An in-memory CVE Services for tests: the endpoints of the OpenAPI document that a CNA uses
//! (reserve, read and list IDs, change an ID's state, publish, update and reject records, read
//! the quota and the organisation), with the service's authentication headers, quota, ID
//! states, ownership rules and error bodies. It binds a loopback port; nothing here is meant
//! to face a network. Authentication is in `auth`, the ID endpoints in `ids`, records in
//! `records`, the organisation and quota in `orgs`; this module holds the state and the router.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use embargo_domain::ids::CveId;
use rand::Rng;
use serde_json::{Map, Value, json};

use crate::types::IdState;

mod auth;
mod ids;
mod orgs;
mod records;

use auth::*;
use ids::*;
use orgs::*;
pub use records::structural_check;
use records::*;

/// Which CNA container a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `POST/PUT /cve/{id}/cna`: validated against `5.1_published_cna_container.json`.
    Published,
    /// `POST/PUT /cve/{id}/reject`: validated against `5.1_rejected_cna_container.json`.
    Rejected,
}

/// Validates a request body (`{"cnaContainer": ...}`); returns one message per problem, each
/// `{"instancePath", "message"}` as the real service's ajv reports them.
pub type ContainerCheck =
    Arc<dyn Fn(ContainerKind, &Value) -> Result<(), Vec<Value>> + Send + Sync>;

/// A user account of an organisation.
#[derive(Debug, Clone)]
pub struct FakeUser {
    /// `CVE-API-USER`.
    pub username: String,
    /// `CVE-API-KEY`.
    pub key: String,
    /// The user's UUID (`requesterUserId` in records).
    pub uuid: String,
}

/// An organisation known to the service.
#[derive(Debug, Clone)]
pub struct FakeOrg {
    /// `CVE-API-ORG`, e.g. `apache`.
    pub short_name: String,
    /// Full name.
    pub name: String,
    /// UUID (`orgId`).
    pub uuid: String,
    /// How many IDs it may hold RESERVED at once.
    pub id_quota: u64,
    /// `CNA`, `SECRETARIAT`, ...
    pub roles: Vec<String>,
    /// Its users.
    pub users: Vec<FakeUser>,
}

impl FakeOrg {
    /// A CNA with one user.
    pub fn cna(short_name: &str, username: &str, key: &str, id_quota: u64) -> Self {
        Self {
            short_name: short_name.to_owned(),
            name: format!("The {short_name} organisation"),
            uuid: uuid(),
            id_quota,
            roles: vec!["CNA".into()],
            users: vec![FakeUser {
                username: username.to_owned(),
                key: key.to_owned(),
                uuid: uuid(),
            }],
        }
    }
}

/// The fake's configuration.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The organisations and their users.
    pub orgs: Vec<FakeOrg>,
    /// The first number of each year's range (the service reserves from configured ranges).
    pub first_number: u64,
    /// How many numbers each year's range holds; a reservation past the end gets a 206.
    pub range_size: u64,
    /// IDs per page of `GET /cve-id` (500 at the real service).
    pub page_size: usize,
}

impl FakeConfig {
    /// One CNA with one user, the usual test set-up.
    pub fn single(short_name: &str, username: &str, key: &str, id_quota: u64) -> Self {
        Self {
            orgs: vec![FakeOrg::cna(short_name, username, key, id_quota)],
            first_number: 1000,
            range_size: 100_000,
            page_size: 500,
        }
    }
}

/// One CVE ID and its record.
#[derive(Debug, Clone)]
struct IdEntry {
    id: CveId,
    owner: String,
    requested_by_cna: String,
    requested_by_user: String,
    requester_uuid: String,
    state: IdState,
    reserved: String,
    modified: String,
    record: Option<Value>,
}

impl IdEntry {
    fn full(&self) -> Value {
        json!({
            "cve_id": self.id.to_string(),
            "cve_year": self.id.year().to_string(),
            "owning_cna": self.owner,
            "state": self.state,
            "requested_by": {"cna": self.requested_by_cna, "user": self.requested_by_user},
            "reserved": self.reserved,
            "time": {"created": self.reserved, "modified": self.modified},
        })
    }

    /// What others see: the owner of a RESERVED ID is a secret of its CNA.
    fn partial(&self) -> Value {
        let owner = if self.state == IdState::Reserved {
            "[REDACTED]"
        } else {
            &self.owner
        };
        json!({
            "cve_id": self.id.to_string(),
            "cve_year": self.id.year().to_string(),
            "owning_cna": owner,
            "state": self.state,
        })
    }
}

#[derive(Debug)]
struct Inner {
    config: FakeConfig,
    ids: BTreeMap<CveId, IdEntry>,
    next_sequential: HashMap<u16, u64>,
}

/// The in-memory service. Clones share state.
#[derive(Clone)]
pub struct FakeCveServices {
    inner: Arc<Mutex<Inner>>,
    check: ContainerCheck,
}

impl std::fmt::Debug for FakeCveServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeCveServices")
    }
}

/// A running fake, serving until dropped.
#[derive(Debug)]
pub struct RunningFake {
    /// The base URL, `http://127.0.0.1:PORT/api/`.
    pub url: String,
    /// The service, to inspect or change its state.
    pub service: FakeCveServices,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeCveServices {
    /// A service with `config` and the built-in structural container check.
    pub fn new(config: FakeConfig) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                config,
                ids: BTreeMap::new(),
                next_sequential: HashMap::new(),
            })),
            check: Arc::new(structural_check),
        }
    }

    /// Replaces the container check, e.g. by one that runs the official JSON schema.
    pub fn with_container_check(mut self, check: ContainerCheck) -> Self {
        self.check = check;
        self
    }

    /// The routes, under `/api` as at the real deployments.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/health-check", get(health))
            .route("/cve-id", post(reserve).get(list_ids))
            .route("/cve-id/{id}", get(get_id).put(put_id))
            .route("/cve/{id}", get(get_record))
            .route("/cve/{id}/cna", post(create_cna).put(update_cna))
            .route("/cve/{id}/reject", post(create_reject).put(update_reject))
            .route("/org/{shortname}", get(get_org))
            .route("/org/{shortname}/id_quota", get(get_quota))
            .fallback(not_found)
            .with_state(self.clone());
        Router::new().nest("/api", api).fallback(not_found)
    }

    /// Serves on `127.0.0.1` on a free port.
    pub async fn spawn(self) -> std::io::Result<RunningFake> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "fake CVE Services stopped");
            }
        });
        Ok(RunningFake {
            url: format!("http://{addr}/api/"),
            service: self,
            task,
        })
    }

    /// The state of an ID, if the service knows it.
    pub fn id_state(&self, id: &CveId) -> Option<IdState> {
        self.lock().ids.get(id).map(|e| e.state)
    }

    /// The record of an ID, if it has one.
    pub fn record(&self, id: &CveId) -> Option<Value> {
        self.lock().ids.get(id).and_then(|e| e.record.clone())
    }

    /// The UUID of an organisation.
    pub fn org_uuid(&self, short_name: &str) -> Option<String> {
        self.lock()
            .config
            .orgs
            .iter()
            .find(|o| o.short_name == short_name)
            .map(|o| o.uuid.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking handler must not take the whole fake down with it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ---- errors -------------------------------------------------------------------------------

/// An error answer: `{"error", "message"[, "details"]}` with its status.
struct ApiError(StatusCode, Value);

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self(status, json!({"error": code, "message": message.into()}))
    }
    fn with_details(mut self, details: Value) -> Self {
        if let Some(o) = self.1.as_object_mut() {
            o.insert("details".into(), details);
        }
        self
    }
    fn bad_input(param: &str, location: &str, msg: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BAD_INPUT",
            "Parameters were invalid",
        )
        .with_details(json!([{"msg": msg, "param": param, "location": location}]))
    }
    fn not_own(org: &str, id: &CveId) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ORG_DOES_NOT_OWN_ID",
            format!("It appears that {org} does not own {id}"),
        )
    }
    fn record_dne() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "CVE_RECORD_DNE",
            "The cve record for the cve id does not exist.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

type Answer = Result<Response, ApiError>;

fn ok(body: Value) -> Answer {
    Ok((StatusCode::OK, Json(body)).into_response())
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "404: resource not found",
    )
}

async fn health() -> StatusCode {
    StatusCode::OK
}

// ---- authentication -------------------------------------------------------------------------

fn parse_id(raw: &str) -> Result<CveId, ApiError> {
    CveId::parse(raw).map_err(|_| ApiError::bad_input("id", "param", "Invalid CVE ID format"))
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn uuid() -> String {
    let mut b: [u8; 16] = rand::thread_rng().r#gen();
    // RFC 9562 version 4, variant 10.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
