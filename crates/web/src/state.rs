//! What every handler shares: the store and the installation's configuration.

use std::sync::Arc;

use embargo_domain::lifecycle::Contacts;
use embargo_domain::policy::Policy;
use embargo_formats::cve5::Cna;
use embargo_store::{Organisation, Project, Store};

/// The web front end's configuration, fixed at start.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where people reach this installation, e.g. `http://127.0.0.1:8080`, without a
    /// trailing slash. Status links are built on it, cross-origin POSTs are measured
    /// against it, and cookies are `Secure` when it starts with `https`.
    pub base_url: String,
    pub organisation: Organisation,
    /// The organisation's policy; each project's overrides apply on top.
    pub default_policy: Policy,
    /// The CNA named in exported CVE records.
    pub cna: Cna,
    /// The CVE Program's record schema, checked on every record save when configured.
    pub record_schema: Option<Arc<embargo_formats::cve5::schema::OfficialSchema>>,
    /// Rate limits per client address on intake and sign-in.
    pub rate_limits: crate::limit::RateLimits,
    /// The CVE Program's API with the organisation's credentials, when configured:
    /// publishing and rejecting a record then go there first. `None`: records are
    /// marked PUBLISHED or REJECTED here only.
    pub cve_services: Option<Arc<embargo_cveservices::Client>>,
}

impl WebConfig {
    /// `scheme://host[:port]` of `base_url`, as browsers send it in `Origin`.
    pub fn origin(&self) -> &str {
        let base = self.base_url.trim_end_matches('/');
        let authority = base.find("://").map_or(0, |i| i + 3);
        match base[authority..].find('/') {
            Some(i) => &base[..authority + i],
            None => base,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The reporter's private status link for a token.
    pub fn status_url(&self, token: &str) -> String {
        format!("{}/status/{token}", self.base_url.trim_end_matches('/'))
    }

    /// The effective policy of a report's project (the organisation's when unrouted).
    pub fn policy(&self, project: Option<&Project>) -> Policy {
        project.map_or_else(
            || self.default_policy.clone(),
            |p| p.policy.apply_to(&self.default_policy),
        )
    }

    /// The addresses a domain decision writes to.
    pub fn contacts(&self, project: Option<&Project>, status_url: Option<String>) -> Contacts {
        Contacts {
            org_name: self.organisation.name.clone(),
            org_security: self.organisation.security_email.clone(),
            team: project
                .and_then(|p| p.security_email.clone())
                .unwrap_or_else(|| self.organisation.security_email.clone()),
            status_url,
        }
    }
}

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<WebConfig>,
}
