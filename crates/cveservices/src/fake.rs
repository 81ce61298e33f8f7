//! An in-memory CVE Services for tests: the endpoints of the OpenAPI document that a CNA uses
//! (reserve, read and list IDs, change an ID's state, publish, update and reject records, read
//! the quota and the organisation), with the service's authentication headers, quota, ID
//! states, ownership rules and error bodies. It binds a loopback port; nothing here is meant
//! to face a network.

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

/// The authenticated requester.
struct Actor {
    org: String,
    username: String,
    user_uuid: String,
    org_uuid: String,
    roles: Vec<String>,
}

impl Actor {
    fn secretariat(&self) -> bool {
        self.roles.iter().any(|r| r == "SECRETARIAT")
    }
    fn may_write(&self) -> Result<(), ApiError> {
        if self.secretariat() || self.roles.iter().any(|r| r == "CNA") {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "CNA_ONLY",
                "This function is currently only allowed to CNAs.",
            ))
        }
    }
    fn owns(&self, entry: &IdEntry) -> bool {
        self.secretariat() || entry.owner == self.org
    }
}

const AUTH_HEADERS: [&str; 3] = ["CVE-API-ORG", "CVE-API-USER", "CVE-API-KEY"];

/// The requester, `None` when no authentication header was sent at all.
fn authenticate_optional(inner: &Inner, headers: &HeaderMap) -> Result<Option<Actor>, ApiError> {
    let values: Vec<Option<&str>> = AUTH_HEADERS
        .iter()
        .map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    for (h, v) in AUTH_HEADERS.iter().zip(&values) {
        if v.is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("{h} header field required."),
            ));
        }
    }
    let (org, user, key) = (
        values[0].unwrap_or_default(),
        values[1].unwrap_or_default(),
        values[2].unwrap_or_default(),
    );
    let unauthorized = || ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized");
    let o = inner
        .config
        .orgs
        .iter()
        .find(|o| o.short_name == org)
        .ok_or_else(unauthorized)?;
    let u = o
        .users
        .iter()
        .find(|u| u.username == user)
        .ok_or_else(unauthorized)?;
    if !constant_time_eq(u.key.as_bytes(), key.as_bytes()) {
        return Err(unauthorized());
    }
    Ok(Some(Actor {
        org: o.short_name.clone(),
        username: u.username.clone(),
        user_uuid: u.uuid.clone(),
        org_uuid: o.uuid.clone(),
        roles: o.roles.clone(),
    }))
}

fn authenticate(inner: &Inner, headers: &HeaderMap) -> Result<Actor, ApiError> {
    authenticate_optional(inner, headers)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "CVE-API-ORG header field required.",
        )
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- CVE IDs ------------------------------------------------------------------------------

fn parse_id(raw: &str) -> Result<CveId, ApiError> {
    CveId::parse(raw).map_err(|_| ApiError::bad_input("id", "param", "Invalid CVE ID format"))
}

async fn reserve(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let mut inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    actor.may_write()?;
    let amount: u64 = match q.get("amount") {
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "NO_AMOUNT",
                "The amount query parameter is required and needs to be above 0.",
            ));
        }
        Some(a) => a.parse().ok().filter(|&a| a > 0).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_AMOUNT",
                "The amount query parameter needs to be above 0.",
            )
        })?,
    };
    let Some(year) = q.get("cve_year") else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "NO_YEAR",
            "The cve_year query parameter is required [1999-present+1].",
        ));
    };
    let this_year = jiff::Zoned::now().year();
    let year: u16 = year
        .parse::<i16>()
        .ok()
        .filter(|y| (1999..=this_year + 1).contains(y))
        .and_then(|y| u16::try_from(y).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "CANNOT_RESERVE_FOR_YEAR",
                format!("IDR is not currently configured to reserve IDs for year {year}."),
            )
        })?;
    let Some(short_name) = q.get("short_name") else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "NO_ORG_SHORTNAME",
            "The short_name query parameter is required to reserve CVE IDs.",
        ));
    };
    let Some(owner) = inner
        .config
        .orgs
        .iter()
        .find(|o| &o.short_name == short_name)
        .cloned()
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ORG_DNE",
            format!(
                "The organization '{short_name}' designated by the shortname query parameter does not exist."
            ),
        ));
    };
    if owner.short_name != actor.org && !actor.secretariat() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ORG_CANNOT_RESERVE_FOR_OTHER",
            "The organization designated by the CVE-API-ORG header is not allowed to reserve IDs for the organization specified by the short_name query parameter.",
        ));
    }
    let sequential = match q.get("batch_type").map(String::as_str) {
        None if amount > 1 => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "NO_BATCH_TYPE",
                "The batch_type query parameter must be specified when reserving more than one CVE ID. Available values are: sequential, nonsequential, non-sequential.",
            ));
        }
        None | Some("sequential") => true,
        Some("nonsequential" | "non-sequential") => false,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_BATCH_TYPE",
                "The batch_type provided is invalid. Available values are sequential, nonsequential, non-sequential.",
            ));
        }
    };
    if !sequential && amount > 10 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "OVER_NONSEQUENTIAL_MAX_AMOUNT",
            "The amount query parameter exceeds the maximum amount allowed. Only amounts of 10 ids or less can be reserved at a time.",
        ));
    }
    let reserved_now = reserved_count(&inner, &owner.short_name);
    let available = owner.id_quota.saturating_sub(reserved_now);
    if amount > available {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "EXCEEDED_ID_QUOTA",
            "The amount requested would exceed the organization's ID quota. No more IDs can be reserved until the number of IDs in the Reserved state goes below the ID quota or the ID quota is raised.",
        )
        .with_details(json!({"id_quota": owner.id_quota, "total_reserved": reserved_now, "available": available})));
    }

    let (first, size) = (inner.config.first_number, inner.config.range_size);
    let end = first.saturating_add(size);
    let now = now();
    let mut made = Vec::new();
    for _ in 0..amount {
        let number = if sequential {
            let next = inner.next_sequential.get(&year).copied().unwrap_or(first);
            // Skip numbers taken by non-sequential reservations.
            let mut n = next;
            while n < end && inner.ids.contains_key(&CveId::new(year, n)) {
                n += 1;
            }
            (n < end).then_some(n)
        } else {
            free_random(&inner, year, first, end)
        };
        let Some(number) = number else { break };
        if sequential {
            inner.next_sequential.insert(year, number + 1);
        }
        let entry = IdEntry {
            id: CveId::new(year, number),
            owner: owner.short_name.clone(),
            requested_by_cna: actor.org.clone(),
            requested_by_user: actor.username.clone(),
            requester_uuid: actor.user_uuid.clone(),
            state: IdState::Reserved,
            reserved: now.clone(),
            modified: now.clone(),
            record: None,
        };
        made.push(entry.full());
        inner.ids.insert(entry.id.clone(), entry);
    }
    if made.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "YEAR_RANGE_FULL",
            format!(
                "IDR cannot currently reserve IDs for year {year} as the range it's allowed to reserve from is full."
            ),
        ));
    }
    let remaining = owner
        .id_quota
        .saturating_sub(reserved_count(&inner, &owner.short_name));
    if (made.len() as u64) < amount {
        let body = json!({
            "error": "RESERVED_PARTIAL_AMOUNT",
            "message": "Only a partial amount of CVE IDs were reserved because there are not enough IDs available in the configured range for IDR to reserve the full amount.",
            "details": {"amount_reserved": made.len()},
            "cve_ids": made,
        });
        return Ok((StatusCode::PARTIAL_CONTENT, Json(body)).into_response());
    }
    ok(json!({"cve_ids": made, "meta": {"remaining_quota": remaining}}))
}

fn free_random(inner: &Inner, year: u16, first: u64, end: u64) -> Option<u64> {
    let mut rng = rand::thread_rng();
    // Random probes first; a nearly full range falls back to a scan.
    for _ in 0..64 {
        let n = rng.gen_range(first..end);
        if !inner.ids.contains_key(&CveId::new(year, n)) {
            return Some(n);
        }
    }
    (first..end).find(|n| !inner.ids.contains_key(&CveId::new(year, *n)))
}

fn reserved_count(inner: &Inner, org: &str) -> u64 {
    inner
        .ids
        .values()
        .filter(|e| e.owner == org && e.state == IdState::Reserved)
        .count() as u64
}

async fn list_ids(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    let state = match q.get("state").map(|s| s.to_ascii_uppercase()) {
        None => None,
        Some(s) => Some(
            serde_json::from_value::<IdState>(Value::String(s))
                .map_err(|_| ApiError::bad_input("state", "query", "Invalid value"))?,
        ),
    };
    let year = match q.get("cve_id_year") {
        None => None,
        Some(y) => Some(
            y.parse::<u16>()
                .map_err(|_| ApiError::bad_input("cve_id_year", "query", "Invalid value"))?,
        ),
    };
    let page = match q.get("page") {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|&p| p >= 1)
            .ok_or_else(|| ApiError::bad_input("page", "query", "Invalid value"))?,
    };
    let matching: Vec<&IdEntry> = inner
        .ids
        .values()
        .filter(|e| actor.owns(e))
        .filter(|e| state.is_none_or(|s| e.state == s))
        .filter(|e| year.is_none_or(|y| e.id.year() == y))
        .collect();
    let size = inner.config.page_size.max(1);
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|e| e.full())
        .collect();
    let mut body = Map::new();
    body.insert("cve_ids".into(), Value::Array(items));
    // Like the service, pagination fields only when the result spans several pages; the
    // schema types prevPage/nextPage as integers, so absent ends are left out, not null.
    if matching.len() > size {
        let pages = matching.len().div_ceil(size);
        body.insert("totalCount".into(), json!(matching.len()));
        body.insert("itemsPerPage".into(), json!(size));
        body.insert("pageCount".into(), json!(pages));
        body.insert("currentPage".into(), json!(page));
        if page > 1 {
            body.insert("prevPage".into(), json!(page - 1));
        }
        if page < pages {
            body.insert("nextPage".into(), json!(page + 1));
        }
    }
    ok(Value::Object(body))
}

async fn get_id(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let actor = authenticate_optional(&inner, &headers)?;
    let id = parse_id(&raw)?;
    let entry = inner.ids.get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVE_ID_NOT_FOUND",
            format!("{id} not found"),
        )
    })?;
    match actor {
        Some(a) if a.owns(entry) => ok(entry.full()),
        _ => ok(entry.partial()),
    }
}

async fn put_id(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let mut inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    actor.may_write()?;
    let id = parse_id(&raw)?;
    let (owner, has_record) = {
        let entry = inner.ids.get(&id).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "CVE_ID_NOT_FOUND",
                format!("{id} not found"),
            )
        })?;
        if !actor.owns(entry) {
            return Err(ApiError::not_own(&actor.org, &id));
        }
        (entry.owner.clone(), entry.record.is_some())
    };
    let Some(raw_state) = q.get("state") else {
        return Err(ApiError::bad_input("state", "query", "Invalid value"));
    };
    if has_record {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "CANNOT_CHANGE_CVE_ID_WITH_RECORD",
            format!(
                "A record was found for {id}. A CVE ID cannot be changed once a record exists for it. Instead, it changes according to the record."
            ),
        ));
    }
    let state = match raw_state.to_ascii_uppercase().as_str() {
        "REJECTED" => IdState::Rejected,
        "RESERVED" => {
            let quota = inner
                .config
                .orgs
                .iter()
                .find(|o| o.short_name == owner)
                .map_or(0, |o| o.id_quota);
            let current = inner.ids.get(&id).map(|e| e.state);
            if current != Some(IdState::Reserved) && reserved_count(&inner, &owner) >= quota {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "TRANSITION_STATE_RESERVED_NO_QUOTA",
                    "A CVE ID state cannot be changed to RESERVED if the owning organization has no remaining quota.",
                ));
            }
            IdState::Reserved
        }
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_STATE",
                format!("State '{other}' is invalid."),
            ));
        }
    };
    let now = now();
    let entry = inner.ids.get_mut(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVE_ID_NOT_FOUND",
            format!("{id} not found"),
        )
    })?;
    entry.state = state;
    entry.modified = now;
    ok(json!({"message": format!("{id} was successfully updated."), "updated": entry.full()}))
}

// ---- records ------------------------------------------------------------------------------

async fn get_record(State(svc): State<FakeCveServices>, Path(raw): Path<String>) -> Answer {
    let inner = svc.lock();
    let id = parse_id(&raw)?;
    match inner.ids.get(&id).and_then(|e| e.record.clone()) {
        Some(record) => ok(record),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "CVE_RECORD_DNE",
            "The cve record for the cve id does not exist.",
        )),
    }
}

async fn create_cna(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Published, false).await
}

async fn update_cna(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Published, true).await
}

async fn create_reject(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Rejected, false).await
}

async fn update_reject(
    svc: State<FakeCveServices>,
    h: HeaderMap,
    id: Path<String>,
    body: Json<Value>,
) -> Answer {
    write_record(svc.0, h, id.0, body.0, ContainerKind::Rejected, true).await
}

/// Creates (`update == false`) or replaces a record from a CNA container.
async fn write_record(
    svc: FakeCveServices,
    headers: HeaderMap,
    raw: String,
    body: Value,
    kind: ContainerKind,
    update: bool,
) -> Answer {
    // Everything that needs no schema check first, under the lock.
    let id = {
        let inner = svc.lock();
        let actor = authenticate(&inner, &headers)?;
        actor.may_write()?;
        let id = parse_id(&raw)?;
        precheck(&inner, &actor, &id, kind, update)?;
        id
    };
    if !body.get("cnaContainer").is_some_and(Value::is_object) {
        return Err(ApiError::bad_input(
            "cnaContainer",
            "body",
            "cnaContainer must be an object",
        ));
    }
    // The check may run an external validator: off the async workers, outside the lock.
    let check = svc.check.clone();
    let checked_body = body.clone();
    let verdict = tokio::task::spawn_blocking(move || check(kind, &checked_body))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Internal Server Error",
            )
        })?;
    if let Err(errors) = verdict {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_JSON_SCHEMA",
            "CVE JSON schema validation FAILED.",
        )
        .with_details(json!({"errors": errors})));
    }

    let mut inner = svc.lock();
    let actor = authenticate(&inner, &headers)?;
    // Checked again: another request may have changed the ID while the schema ran.
    precheck(&inner, &actor, &id, kind, update)?;
    let org_uuid = inner
        .config
        .orgs
        .iter()
        .find(|o| Some(&o.short_name) == inner.ids.get(&id).map(|e| &e.owner))
        .map_or_else(|| actor.org_uuid.clone(), |o| o.uuid.clone());
    let entry = inner.ids.get_mut(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVEID_DNE",
            "The cve id does not exist.",
        )
    })?;
    let now = now();
    let mut container = body
        .get("cnaContainer")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // providerMetadata is the service's to set (OpenAPI: "If provided, it will be overwritten").
    container.insert(
        "providerMetadata".into(),
        json!({"orgId": org_uuid, "shortName": entry.owner, "dateUpdated": now}),
    );
    let previous_published = entry
        .record
        .as_ref()
        .and_then(|r| r.pointer("/cveMetadata/datePublished"))
        .cloned();
    let mut meta = json!({
        "cveId": id.to_string(),
        "assignerOrgId": org_uuid,
        "assignerShortName": entry.owner,
        "requesterUserId": entry.requester_uuid,
        "dateReserved": entry.reserved,
        "dateUpdated": now,
    });
    let (state, container) = match kind {
        ContainerKind::Published => {
            meta["state"] = json!("PUBLISHED");
            meta["datePublished"] = previous_published.unwrap_or_else(|| json!(now));
            (IdState::Published, container)
        }
        ContainerKind::Rejected => {
            meta["state"] = json!("REJECTED");
            meta["dateRejected"] = json!(now);
            // The 5.1 schema's cveMetadataRejected has no requesterUserId.
            if let Some(m) = meta.as_object_mut() {
                m.remove("requesterUserId");
            }
            if let Some(p) = previous_published {
                meta["datePublished"] = p;
            }
            (IdState::Rejected, container)
        }
    };
    let record = json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": meta,
        "containers": {"cna": container},
    });
    entry.state = state;
    entry.modified = now;
    entry.record = Some(record.clone());
    let (key, verb) = if update {
        ("updated", "updated")
    } else {
        ("created", "created")
    };
    ok(json!({"message": format!("{id} record was successfully {verb}."), key: record}))
}

/// The rules of record creation and update that do not depend on the container.
fn precheck(
    inner: &Inner,
    actor: &Actor,
    id: &CveId,
    kind: ContainerKind,
    update: bool,
) -> Result<(), ApiError> {
    let entry = inner.ids.get(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "CVEID_DNE",
            "The cve id does not exist.",
        )
    })?;
    if !actor.owns(entry) {
        return Err(ApiError::not_own(&actor.org, id));
    }
    let exists = entry.record.is_some();
    match (update, exists) {
        (false, true) => {
            // cvelib relies on these statuses to fall back from create to update.
            let status = match kind {
                ContainerKind::Published => StatusCode::FORBIDDEN,
                ContainerKind::Rejected => StatusCode::BAD_REQUEST,
            };
            Err(ApiError::new(
                status,
                "CVE_RECORD_EXISTS",
                "The cve record for the cve id already exists.",
            ))
        }
        (true, false) => Err(ApiError::record_dne()),
        (false, false) if kind == ContainerKind::Rejected && entry.state != IdState::Reserved => {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "CVE_UNSUPPORTED_RECORD_STATE",
                format!(
                    "Cannot create cve record in state {}.",
                    entry.state.as_str()
                ),
            ))
        }
        _ => Ok(()),
    }
}

// ---- organisations ------------------------------------------------------------------------

fn visible_org(inner: &Inner, headers: &HeaderMap, short_name: &str) -> Result<FakeOrg, ApiError> {
    let actor = authenticate(inner, headers)?;
    let org = inner
        .config
        .orgs
        .iter()
        .find(|o| o.short_name == short_name || o.uuid == short_name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ORG_DNE",
                format!("The organization '{short_name}' designated by the shortname query parameter does not exist."),
            )
        })?;
    if org.short_name != actor.org && !actor.secretariat() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "NOT_SAME_ORG_OR_SECRETARIAT",
            "This information can only be viewed by the users of the same organization or the Secretariat.",
        ));
    }
    Ok(org.clone())
}

async fn get_quota(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(short_name): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let org = visible_org(&inner, &headers, &short_name)?;
    let reserved = reserved_count(&inner, &org.short_name);
    ok(json!({
        "id_quota": org.id_quota,
        "total_reserved": reserved,
        "available": org.id_quota.saturating_sub(reserved),
    }))
}

async fn get_org(
    State(svc): State<FakeCveServices>,
    headers: HeaderMap,
    Path(short_name): Path<String>,
) -> Answer {
    let inner = svc.lock();
    let org = visible_org(&inner, &headers, &short_name)?;
    let created = "2022-01-01T00:00:00.000Z";
    ok(json!({
        "short_name": org.short_name,
        "name": org.name,
        "UUID": org.uuid,
        "authority": {"active_roles": org.roles},
        "policies": {"id_quota": org.id_quota},
        "time": {"created": created, "modified": created},
    }))
}

// ---- helpers ------------------------------------------------------------------------------

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

/// The built-in check: the required parts of the two container schemas, enough to turn away
/// what the real service would; tests install the full JSON schema through
/// [`FakeCveServices::with_container_check`].
pub fn structural_check(kind: ContainerKind, body: &Value) -> Result<(), Vec<Value>> {
    let mut errors = Vec::new();
    let mut err =
        |path: &str, message: &str| errors.push(json!({"instancePath": path, "message": message}));
    if let Some(o) = body.as_object() {
        for k in o.keys().filter(|k| k.as_str() != "cnaContainer") {
            err("", &format!("must NOT have additional properties ({k})"));
        }
    }
    let c = body.get("cnaContainer").cloned().unwrap_or(Value::Null);
    let non_empty = |k: &str| {
        c.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    let english = |k: &str| {
        c.get(k).and_then(Value::as_array).is_some_and(|a| {
            a.iter().any(|d| {
                d.get("lang")
                    .and_then(Value::as_str)
                    .is_some_and(|l| l.starts_with("en"))
                    && d.get("value")
                        .and_then(Value::as_str)
                        .is_some_and(|v| !v.is_empty())
            })
        })
    };
    match kind {
        ContainerKind::Published => {
            for k in ["descriptions", "affected", "references"] {
                if !non_empty(k) {
                    err(
                        "/cnaContainer",
                        &format!("must have required property '{k}' (a non-empty array)"),
                    );
                }
            }
            if non_empty("descriptions") && !english("descriptions") {
                err(
                    "/cnaContainer/descriptions",
                    "must contain an English description",
                );
            }
            if c.get("rejectedReasons").is_some() {
                err(
                    "/cnaContainer",
                    "must NOT have additional properties (rejectedReasons)",
                );
            }
        }
        ContainerKind::Rejected => {
            if !non_empty("rejectedReasons") {
                err(
                    "/cnaContainer",
                    "must have required property 'rejectedReasons' (a non-empty array)",
                );
            } else if !english("rejectedReasons") {
                err(
                    "/cnaContainer/rejectedReasons",
                    "must contain an English reason",
                );
            }
            if let Some(o) = c.as_object() {
                for k in o.keys() {
                    if !matches!(
                        k.as_str(),
                        "providerMetadata" | "rejectedReasons" | "replacedBy"
                    ) && !k.starts_with("x_")
                    {
                        err(
                            "/cnaContainer",
                            &format!("must NOT have additional properties ({k})"),
                        );
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
