//! The CVE Services HTTP client: reserve IDs, read and list them, publish, update and reject
//! records, read the quota. One method per endpoint of the OpenAPI document
//! (`schemas/cve-services/api-docs/openapi.json`), paths relative to the `/api/` base.

use std::time::Duration;

use embargo_domain::ids::CveId;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result, ServiceErrorBody};
use crate::secret::Credentials;
use crate::types::{
    BatchType, CveIdInfo, IdFilter, IdState, OrgInfo, Quota, Rejection, Reservation,
};

/// The production service.
pub const PRODUCTION_URL: &str = "https://cveawg.mitre.org/api/";
/// The CVE Program's test service, where CNAs try things out.
pub const TEST_URL: &str = "https://cveawg-test.mitre.org/api/";

/// Pages of `GET /cve-id` are followed at most this far: the service's pages hold 500 IDs and
/// a quota is far smaller, so more means a server that keeps sending `nextPage`.
const MAX_PAGES: u32 = 1000;

/// A client of one CVE Services deployment, acting as one user of one organisation.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// Always ends with `/`, so that relative paths join below it.
    base: reqwest::Url,
    creds: Credentials,
}

/// `POST /cve-id` answers, 200 and 206 alike.
#[derive(Deserialize)]
struct ReserveBody {
    #[serde(default)]
    cve_ids: Vec<CveIdInfo>,
    #[serde(default)]
    meta: Option<ReserveMeta>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct ReserveMeta {
    remaining_quota: Option<u64>,
}

/// `GET /cve-id` pages.
#[derive(Deserialize)]
struct ListBody {
    #[serde(default)]
    cve_ids: Vec<CveIdInfo>,
    #[serde(default, rename = "nextPage")]
    next_page: Option<u32>,
}

/// `PUT /cve-id/{id}` answers.
#[derive(Deserialize)]
struct UpdatedId {
    updated: CveIdInfo,
}

impl Client {
    /// A client for the deployment at `base_url` (e.g. [`PRODUCTION_URL`]).
    ///
    /// The URL must be HTTPS, except on a loopback address (a local test server): the API key
    /// travels in a header of every request.
    pub fn new(base_url: &str, creds: Credentials) -> Result<Self> {
        let bad = |reason: &str| Error::BadUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let mut base = reqwest::Url::parse(base_url.trim()).map_err(|e| bad(&e.to_string()))?;
        let Some(host) = base.host_str() else {
            return Err(bad("it has no host"));
        };
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match base.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(bad(
                    "plain http would send the API key unencrypted; use https (http is only \
                     accepted for a local test server on a loopback address)",
                ));
            }
            _ => return Err(bad("the scheme must be https")),
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }

        let mut headers = HeaderMap::new();
        let header = |what: &'static str, v: &str| {
            HeaderValue::from_str(v).map_err(|_| Error::BadCredentials { what })
        };
        headers.insert("CVE-API-ORG", header("organisation", &creds.org)?);
        headers.insert("CVE-API-USER", header("user", &creds.user)?);
        let mut key = header("API key", creds.key.expose())?;
        // Keeps the key out of any header dump the HTTP stack might make.
        key.set_sensitive(true);
        headers.insert("CVE-API-KEY", key);

        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("embargo-cveservices/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| bad(&format!("the HTTP client could not be built: {e}")))?;
        Ok(Self { http, base, creds })
    }

    /// The organisation short name the client acts for.
    pub fn org(&self) -> &str {
        &self.creds.org
    }

    /// The base URL, ending with `/`.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Reserves `amount` IDs of `year` for our organisation (`POST /cve-id`).
    ///
    /// A 206 answer (the service's range for the year ran out part-way) is a success with
    /// [`Reservation::partial`] set: the IDs it did reserve are ours and count on the quota.
    pub async fn reserve(&self, amount: u32, year: u16, batch: BatchType) -> Result<Reservation> {
        if amount == 0 {
            return Ok(Reservation {
                ids: Vec::new(),
                remaining_quota: None,
                partial: None,
            });
        }
        let mut query = vec![
            ("amount", amount.to_string()),
            ("cve_year", year.to_string()),
            ("short_name", self.creds.org.clone()),
        ];
        // The service requires batch_type for more than one ID and ignores it for one.
        if amount > 1 {
            query.push(("batch_type", batch.as_str().to_owned()));
        }
        let what = format!("the reservation of {amount} IDs for {year}");
        let (status, body) = self
            .call(Method::POST, "cve-id", &query, None, &what, None)
            .await?;
        let body: ReserveBody = decode(&what, body)?;
        let partial = (status == StatusCode::PARTIAL_CONTENT).then(|| {
            body.message
                .unwrap_or_else(|| "the service reserved fewer IDs than asked".into())
        });
        Ok(Reservation {
            ids: body.cve_ids,
            remaining_quota: body.meta.and_then(|m| m.remaining_quota),
            partial,
        })
    }

    /// Reads one ID (`GET /cve-id/{id}`). IDs of other organisations come back redacted.
    pub async fn cve_id(&self, id: &CveId) -> Result<CveIdInfo> {
        let what = id.to_string();
        let (_, body) = self
            .call(
                Method::GET,
                &format!("cve-id/{id}"),
                &[],
                None,
                &what,
                Some(id),
            )
            .await?;
        decode(&what, body)
    }

    /// Lists our organisation's IDs (`GET /cve-id`), following the pages.
    pub async fn list_cve_ids(&self, filter: &IdFilter) -> Result<Vec<CveIdInfo>> {
        let mut base_query = Vec::new();
        if let Some(state) = filter.state {
            base_query.push(("state", state.as_str().to_owned()));
        }
        if let Some(year) = filter.year {
            base_query.push(("cve_id_year", year.to_string()));
        }
        let mut all = Vec::new();
        let mut page: Option<u32> = None;
        for _ in 0..MAX_PAGES {
            let mut query = base_query.clone();
            if let Some(p) = page {
                query.push(("page", p.to_string()));
            }
            let what = "the list of CVE IDs".to_owned();
            let (_, body) = self
                .call(Method::GET, "cve-id", &query, None, &what, None)
                .await?;
            let body: ListBody = decode(&what, body)?;
            all.extend(body.cve_ids);
            match body.next_page {
                Some(next) if Some(next) != page => page = Some(next),
                _ => return Ok(all),
            }
        }
        Err(Error::Unexpected {
            what: "the list of CVE IDs".into(),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// Moves an ID without a record between RESERVED and REJECTED (`PUT /cve-id/{id}?state=`):
    /// how a CNA gives back an ID it will not use.
    pub async fn set_id_state(&self, id: &CveId, state: IdState) -> Result<CveIdInfo> {
        let what = format!("the state change of {id}");
        let (_, body) = self
            .call(
                Method::PUT,
                &format!("cve-id/{id}"),
                &[("state", state.as_str().to_owned())],
                None,
                &what,
                Some(id),
            )
            .await?;
        Ok(decode::<UpdatedId>(&what, body)?.updated)
    }

    /// Reads the full CVE record (`GET /cve/{id}`); `None` when the ID has no record.
    pub async fn record(&self, id: &CveId) -> Result<Option<Value>> {
        let what = format!("the record of {id}");
        match self
            .call(
                Method::GET,
                &format!("cve/{id}"),
                &[],
                None,
                &what,
                Some(id),
            )
            .await
        {
            Ok((_, body)) => Ok(Some(body)),
            Err(Error::RecordMissing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Publishes a record for a RESERVED ID from its CNA container (`POST /cve/{id}/cna`).
    /// Returns the full record the service made of it.
    ///
    /// `cna_container` is the `containers.cna` object of a CVE JSON 5 record; pass a whole
    /// record through [`cna_container_of`] first. The service sets `providerMetadata` itself.
    pub async fn publish(&self, id: &CveId, cna_container: &Value) -> Result<Value> {
        self.write_container(Method::POST, id, "cna", cna_container, "created")
            .await
    }

    /// Replaces the CNA container of a published (or rejected) record (`PUT /cve/{id}/cna`).
    pub async fn update_published(&self, id: &CveId, cna_container: &Value) -> Result<Value> {
        self.write_container(Method::PUT, id, "cna", cna_container, "updated")
            .await
    }

    /// Rejects a RESERVED ID with a rejection record (`POST /cve/{id}/reject`).
    pub async fn reject(&self, id: &CveId, rejection: &Rejection) -> Result<Value> {
        let container = to_value(rejection)?;
        self.write_container(Method::POST, id, "reject", &container, "created")
            .await
    }

    /// Rejects an ID that already has a record, e.g. a published one (`PUT /cve/{id}/reject`).
    pub async fn update_rejected(&self, id: &CveId, rejection: &Rejection) -> Result<Value> {
        let container = to_value(rejection)?;
        self.write_container(Method::PUT, id, "reject", &container, "updated")
            .await
    }

    /// The organisation's ID quota (`GET /org/{shortname}/id_quota`).
    pub async fn quota(&self) -> Result<Quota> {
        let what = "the ID quota".to_owned();
        let path = format!("org/{}/id_quota", path_segment(&self.creds.org));
        let (_, body) = self
            .call(Method::GET, &path, &[], None, &what, None)
            .await?;
        decode(&what, body)
    }

    /// The organisation's entry (`GET /org/{shortname}`), for its UUID.
    pub async fn org_info(&self) -> Result<OrgInfo> {
        let what = "the organisation".to_owned();
        let path = format!("org/{}", path_segment(&self.creds.org));
        let (_, body) = self
            .call(Method::GET, &path, &[], None, &what, None)
            .await?;
        decode(&what, body)
    }

    async fn write_container(
        &self,
        method: Method,
        id: &CveId,
        kind: &str,
        container: &Value,
        answer_key: &str,
    ) -> Result<Value> {
        let what = match (kind, &method) {
            ("cna", &Method::POST) => format!("the publication of {id}"),
            ("cna", _) => format!("the update of {id}"),
            _ => format!("the rejection of {id}"),
        };
        let body = serde_json::json!({ "cnaContainer": container });
        let (_, mut answer) = self
            .call(
                method,
                &format!("cve/{id}/{kind}"),
                &[],
                Some(&body),
                &what,
                Some(id),
            )
            .await?;
        answer
            .get_mut(answer_key)
            .map(Value::take)
            .ok_or_else(|| Error::Unexpected {
                what,
                reason: format!("no {answer_key:?} record in the answer"),
            })
    }

    /// Sends one request and maps any non-2xx answer to an [`Error`].
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        what: &str,
        id: Option<&CveId>,
    ) -> Result<(StatusCode, Value)> {
        let url = self.base.join(path).map_err(|e| Error::BadUrl {
            url: self.base.to_string(),
            reason: e.to_string(),
        })?;
        let mut request = self.http.request(method.clone(), url);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        tracing::debug!(%method, path, status = status.as_u16(), "CVE Services");
        let text = response.text().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            let value = serde_json::from_str(&text).map_err(|e| Error::Unexpected {
                what: what.to_owned(),
                reason: format!("the body is not JSON ({e})"),
            })?;
            return Ok((status, value));
        }
        Err(self.service_error(status, &text, id))
    }

    fn transport(&self, e: &reqwest::Error) -> Error {
        // reqwest's message names the URL (no secret in it: the key is a header) and the
        // cause; its source chain says why the connection failed.
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason.push_str(": ");
            reason.push_str(&s.to_string());
            source = s.source();
        }
        Error::Transport {
            url: self.base.to_string(),
            reason: self.creds.key.redact(&reason),
        }
    }

    fn service_error(&self, status: StatusCode, text: &str, id: Option<&CveId>) -> Error {
        let text = self.creds.key.redact(text);
        let body: ServiceErrorBody =
            serde_json::from_str(&text).unwrap_or_else(|_| ServiceErrorBody {
                error: "-".into(),
                message: text.chars().take(200).collect(),
                details: None,
            });
        let id_text = id.map_or_else(|| "the ID".to_owned(), ToString::to_string);
        let code = body.error.clone();
        // A missing authentication header is a 400 BAD_REQUEST "... header field required."
        let missing_header = status == StatusCode::BAD_REQUEST
            && code == "BAD_REQUEST"
            && body.message.contains("header");
        if status == StatusCode::UNAUTHORIZED || missing_header {
            return Error::Unauthorized {
                org: self.creds.org.clone(),
                user: self.creds.user.clone(),
                code,
            };
        }
        match (status.as_u16(), code.as_str()) {
            (_, "EXCEEDED_ID_QUOTA") => Error::QuotaExceeded {
                message: body.message,
            },
            (_, "CVE_RECORD_EXISTS") => Error::RecordExists { id: id_text },
            (_, "CVE_RECORD_DNE") => Error::RecordMissing { id: id_text },
            (404, _) | (_, "CVE_ID_NOT_FOUND" | "CVEID_DNE" | "ORG_DNE") => Error::NotFound {
                what: id_text,
                code,
                message: body.message,
            },
            (403, _) => Error::Forbidden {
                org: self.creds.org.clone(),
                code,
                message: body.message,
            },
            (400 | 422, _) => Error::BadRequest {
                details: body.detail_lines(),
                code,
                message: body.message,
            },
            (429, _) => Error::RateLimited,
            (status, _) => Error::Server {
                status,
                code,
                message: body.message,
            },
        }
    }
}

/// The CNA container of a full CVE JSON 5 record (`dataType: CVE_RECORD`), or the value
/// itself when it is a container already (cvelib accepts both the same way).
pub fn cna_container_of(record: &Value) -> Option<&Value> {
    if record.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD") {
        record.get("containers")?.get("cna")
    } else {
        Some(record)
    }
}

/// Escapes an organisation short name for use as one path segment.
fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, body: Value) -> Result<T> {
    serde_json::from_value(body).map_err(|e| Error::Unexpected {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Unexpected {
        what: "the request".into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ApiKey;

    fn creds() -> Credentials {
        Credentials::new("apache", "sec@apache.org", ApiKey::new("k3y-value-long"))
    }

    #[test]
    fn urls_must_be_https_unless_local() {
        assert_eq!(
            Client::new("https://cveawg.mitre.org/api", creds())
                .unwrap()
                .base_url(),
            PRODUCTION_URL
        );
        Client::new("http://127.0.0.1:8080/api/", creds()).unwrap();
        Client::new("http://localhost:8080/api/", creds()).unwrap();
        let e = Client::new("http://cveawg.mitre.org/api/", creds()).unwrap_err();
        assert!(e.to_string().contains("unencrypted"), "{e}");
        assert!(Client::new("not a url", creds()).is_err());
        assert!(Client::new("ftp://x.org/", creds()).is_err());
    }

    #[test]
    fn error_bodies_map_to_actionable_errors() {
        let c = Client::new("http://127.0.0.1:1/api/", creds()).unwrap();
        let id = CveId::parse("CVE-2026-1234").unwrap();
        let e = c.service_error(
            StatusCode::UNAUTHORIZED,
            r#"{"error":"UNAUTHORIZED","message":"Unauthorized k3y-value-long"}"#,
            None,
        );
        let text = e.to_string();
        assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
        assert!(
            !text.contains("k3y-value-long") && text.contains("API key"),
            "{text}"
        );
        let e = c.service_error(
            StatusCode::BAD_REQUEST,
            r#"{"error":"BAD_REQUEST","message":"CVE-API-KEY header field required."}"#,
            None,
        );
        assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
        let e = c.service_error(
            StatusCode::FORBIDDEN,
            r#"{"error":"EXCEEDED_ID_QUOTA","message":"The amount requested would exceed"}"#,
            None,
        );
        assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
        let e = c.service_error(
            StatusCode::FORBIDDEN,
            r#"{"error":"CVE_RECORD_EXISTS","message":"exists"}"#,
            Some(&id),
        );
        assert_eq!(
            e.to_string(),
            "CVE-2026-1234 already has a CVE record at CVE Services; update it instead of creating it"
        );
        let e = c.service_error(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>", None);
        assert!(matches!(e, Error::Server { status: 502, .. }), "{e:?}");
        let e = c.service_error(
            StatusCode::FORBIDDEN,
            r#"{"error":"ORG_DOES_NOT_OWN_ID","message":"It appears that apache does not own CVE-2026-1234"}"#,
            Some(&id),
        );
        assert!(
            e.to_string()
                .contains("does not allow organisation \"apache\""),
            "{e}"
        );
    }

    #[test]
    fn whole_records_yield_their_cna_container() {
        let record =
            serde_json::json!({"dataType": "CVE_RECORD", "containers": {"cna": {"title": "t"}}});
        assert_eq!(cna_container_of(&record).unwrap()["title"], "t");
        let container = serde_json::json!({"title": "u"});
        assert_eq!(cna_container_of(&container).unwrap()["title"], "u");
    }
}
