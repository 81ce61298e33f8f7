//! The CVE Program as the application sees it: a port with two calls, publish a
//! record's CNA container and reject an id, implemented over CVE Services
//! (`embargo-cveservices`). Use cases never talk HTTP; tests can plug in the local
//! CVE Services implementation behind the same client.

use async_trait::async_trait;
use embargo_cveservices::{Client, Rejection};
use embargo_domain::ids::CveId;
use serde_json::Value;

/// Where records go when they are published or rejected.
#[async_trait]
pub trait CveProgram: Send + Sync {
    /// Publishes the CNA container of `record` (a CVE JSON 5 record); a record the service has already (an
    /// earlier attempt that was not marked here) is updated instead. The error is the
    /// service's message, for the person who asked.
    async fn publish(&self, cve: &CveId, record: &Value) -> Result<(), String>;
    /// Rejects a reserved id, or a published one (whose record then says REJECTED).
    async fn reject(&self, cve: &CveId, reason: &str) -> Result<(), String>;
    /// Where it is, for the note on the report ("… through CVE Services (URL)").
    fn describe(&self) -> String;
}

#[async_trait]
impl CveProgram for Client {
    async fn publish(&self, cve: &CveId, record: &Value) -> Result<(), String> {
        let container = embargo_cveservices::cna_container_of(record)
            .ok_or_else(|| "the built record has no CNA container".to_string())?;
        match Client::publish(self, cve, container).await {
            Ok(_) => Ok(()),
            Err(embargo_cveservices::Error::RecordExists { .. }) => self
                .update_published(cve, container)
                .await
                .map(|_| ())
                .map_err(|e| format!("CVE Services did not update the record of {cve}: {e}")),
            Err(e) => Err(format!("CVE Services did not publish {cve}: {e}")),
        }
    }

    async fn reject(&self, cve: &CveId, reason: &str) -> Result<(), String> {
        let rejection = Rejection::english(reason);
        match Client::reject(self, cve, &rejection).await {
            Ok(_) => Ok(()),
            Err(embargo_cveservices::Error::RecordExists { .. }) => self
                .update_rejected(cve, &rejection)
                .await
                .map(|_| ())
                .map_err(|e| format!("CVE Services did not reject {cve}: {e}")),
            Err(e) => Err(format!("CVE Services did not reject {cve}: {e}")),
        }
    }

    fn describe(&self) -> String {
        format!("CVE Services ({})", self.base_url())
    }
}
