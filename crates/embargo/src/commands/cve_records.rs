//! `embargo cve import` and `embargo cve export`: CVE JSON 5 records from outside
//! Embargo (the CNA's history before it) kept whole, and any record Embargo knows —
//! imported or announced here — printed as CVE JSON 5, OSV or CSAF.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use embargo_domain::ids::CveId;
use embargo_formats::cve5::container::{self, Dates};
use embargo_formats::cve5::{CveRecord, import as read_record};
use embargo_formats::{csaf, osv};
use embargo_store::{Advisories, CveImportOutcome, CveRecords};
use serde_json::Value;

use crate::cli::{DataArgs, ExportFormat};
use crate::config::Settings;
use crate::init::ensure_initialised;

/// `embargo cve import FILE.json...`: reads every file first and stores nothing if
/// one of them is not a CVE JSON 5 record; then stores each, idempotently by `cveId`.
pub async fn import(data: &DataArgs, files: &[PathBuf]) -> Result<()> {
    let mut records = Vec::with_capacity(files.len());
    for file in files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let record = read_record(&text).with_context(|| format!("{}", file.display()))?;
        // Keep the file's JSON itself, not the model's reading of it: what is exported
        // later is exactly what was imported, ADP containers and unknown fields included.
        let value: Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", file.display()))?;
        let cve = CveId::parse(&record.cve_metadata.cve_id)
            .with_context(|| format!("{}: cveMetadata.cveId", file.display()))?;
        records.push((file, cve, record, value));
    }
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    ensure_initialised(&store, &settings).await?;
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    for (file, cve, record, value) in records {
        let state = match record.cve_metadata.state {
            embargo_formats::cve5::model::RecordState::Published => "PUBLISHED",
            embargo_formats::cve5::model::RecordState::Rejected => "REJECTED",
        };
        let source = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let outcome = store
            .import_cve_record(&cve, state, &value, &source, jiff::Timestamp::now())
            .await
            .with_context(|| format!("{}: storing {cve}", file.display()))?;
        let adp = record.containers.adp.as_ref().map_or(0, Vec::len);
        let adp = if adp > 0 {
            format!(", {adp} ADP container(s) kept read-only")
        } else {
            String::new()
        };
        match outcome {
            CveImportOutcome::Added => {
                added += 1;
                println!("{cve}: added ({state}{adp})");
            }
            CveImportOutcome::Updated { version } => {
                updated += 1;
                println!(
                    "{cve}: updated to version {version} ({state}{adp}); the previous is kept"
                );
            }
            CveImportOutcome::Unchanged => {
                unchanged += 1;
                println!("{cve}: unchanged");
            }
        }
    }
    println!("{added} added, {updated} updated, {unchanged} unchanged");
    Ok(())
}

/// `embargo cve export CVE-ID [--format cve|osv|csaf]`: the imported record, or the
/// record of an advisory announced here, on standard output.
pub async fn export(data: &DataArgs, id: &str, format: ExportFormat) -> Result<()> {
    let cve = CveId::parse(id).with_context(|| format!("{id:?} is not a CVE id"))?;
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    ensure_initialised(&store, &settings).await?;
    let (record, original): (CveRecord, Option<Value>) = match store.cve_record(&cve).await? {
        Some(stored) => (
            serde_json::from_value(stored.record.clone())
                .with_context(|| format!("the stored record of {cve} no longer reads"))?,
            Some(stored.record),
        ),
        None => match store.advisory(&cve).await? {
            Some(adv) => {
                let built = container::build(
                    &cve,
                    &adv.advisory.record,
                    &settings.cna,
                    Dates::at(adv.advisory.published_at),
                )?;
                (built.record, None)
            }
            None => bail!("{cve} is neither imported nor announced here"),
        },
    };
    let doc = match format {
        ExportFormat::Cve => original.unwrap_or_else(|| embargo_formats::cve5::export(&record)),
        ExportFormat::Osv => osv::from_cve(&record, &osv::EcosystemHints::default()),
        ExportFormat::Csaf => {
            // The same publisher as the web's CSAF documents.
            let app = crate::wiring::build(&settings, store.clone(), false).await?;
            let publisher = app.settings().csaf_publisher();
            csaf::from_cve(&record, &publisher)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}
