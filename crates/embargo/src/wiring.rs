//! The composition root: the one place that turns the configuration into the
//! application (its settings and ports) that every command and door calls.

use std::sync::Arc;

use anyhow::{Context, Result};
use embargo_app::{App, Ports};
use embargo_store::{Organisations, SqlStore, Store};

use crate::config::Settings;
use crate::init::ensure_initialised;

/// Opens an existing installation's database (refusing, creating nothing, when there
/// is none: `crate::init`) and builds the application on it. `with_schema`: load the
/// official CVE record schema when configured (`serve` checks every record save against
/// it; commands that never save records skip it).
pub async fn open_app(settings: &Settings, with_schema: bool) -> Result<App> {
    let store = settings.open_store().await?;
    ensure_initialised(&store, settings).await?;
    build(settings, store, with_schema).await
}

/// The application on an open, initialised store.
pub async fn build(settings: &Settings, store: SqlStore, with_schema: bool) -> Result<App> {
    let organisation = store
        .organisation()
        .await?
        .context("the organisation is missing after initialisation")?;
    let record_schema = match (&settings.record_schema, with_schema) {
        (Some(path), true) => {
            let schema = embargo_formats::cve5::schema::OfficialSchema::load(path)
                .context("EMBARGO_CVE_SCHEMA / [cna] record_schema")?;
            tracing::info!(schema = %schema.name, "records are checked against the official CVE schema");
            Some(Arc::new(schema))
        }
        _ => None,
    };
    let app_settings = embargo_app::Settings {
        base_url: settings.base_url.clone(),
        organisation,
        default_policy: settings.default_policy.clone(),
        cna: settings.cna.clone(),
        record_schema,
    };
    let ports = Ports {
        cve_program: crate::commands::cve_services::client_from_env()?
            .map(|c| Arc::new(c) as Arc<dyn embargo_app::CveProgram>),
        mail_reader: Some(Arc::new(embargo_mail::Reader)),
    };
    let store: Arc<dyn Store> = Arc::new(store);
    Ok(App::new(store, app_settings, ports))
}

/// The mail limits of the configuration.
pub fn mail_limits(settings: &Settings) -> embargo_mail::MailLimits {
    embargo_mail::MailLimits {
        max_message_bytes: settings.mail.max_message_bytes,
        max_attachment_bytes: settings.mail.max_attachment_bytes,
    }
}
