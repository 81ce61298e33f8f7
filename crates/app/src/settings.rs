//! The installation's settings every use case reads: the public URL, the organisation,
//! its default policy, the CNA named in records and the official record schema. The one
//! place that derives a report's policy, the addresses a decision writes to, status
//! links and the CSAF publisher, so that no door builds them itself.

use std::sync::Arc;

use embargo_domain::lifecycle::Contacts;
use embargo_domain::policy::Policy;
use embargo_formats::csaf;
use embargo_formats::cve5::Cna;
use embargo_formats::cve5::schema::OfficialSchema;
use embargo_store::{Organisation, Project};

/// Fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where people reach this installation, e.g. `https://security.example.org`,
    /// without a trailing slash: status links and published URLs are built on it.
    pub base_url: String,
    pub organisation: Organisation,
    /// The organisation's policy; each project's overrides apply on top.
    pub default_policy: Policy,
    /// The CNA named in exported CVE records.
    pub cna: Cna,
    /// The CVE Program's record schema, checked on every record save when configured.
    pub record_schema: Option<Arc<OfficialSchema>>,
}

impl Settings {
    /// The effective policy of a report's project (the organisation's when unrouted).
    pub fn policy(&self, project: Option<&Project>) -> Policy {
        project.map_or_else(
            || self.default_policy.clone(),
            |p| p.policy.apply_to(&self.default_policy),
        )
    }

    /// The addresses a domain decision writes to: the project's security list, else
    /// the organisation's address. `status_url` only on a new report's receipt: later
    /// mails do not repeat it (only its digest is stored).
    pub fn contacts(&self, project: Option<&Project>, status_url: Option<String>) -> Contacts {
        Contacts {
            org_name: self.organisation.name.clone(),
            org_security: self.organisation.security_email.clone(),
            team: project
                .and_then(|p| p.security_email.clone())
                .unwrap_or_else(|| self.organisation.security_email.clone()),
            users_list: project.and_then(|p| p.users_list.clone()),
            status_url,
            base_url: Some(self.base_url.trim_end_matches('/').to_string()),
            owner: None,
        }
    }

    /// The reporter's private status link for a token.
    pub fn status_url(&self, token: &str) -> String {
        format!("{}/status/{token}", self.base_url.trim_end_matches('/'))
    }

    /// Who publishes the CSAF documents: the organisation, as the vendor of its projects.
    pub fn csaf_publisher(&self) -> csaf::Publisher {
        let base = self.base_url.trim_end_matches('/');
        csaf::Publisher {
            category: "vendor".into(),
            name: self.organisation.name.clone(),
            namespace: format!("{base}/"),
            contact_details: Some(format!("mailto:{}", self.organisation.security_email)),
            issuing_authority: Some(format!(
                "{} security team, a CVE Numbering Authority",
                self.organisation.name
            )),
            advisories_url: Some(format!("{base}/.well-known/csaf/white/")),
        }
    }
}
