//! `embargo vex import|export|triage`: a project's dependency statements from the
//! command line, as deployment scripts use them (docs/vex.md). Each is one call to the
//! application layer's `statements` use cases, as the installation's administrator
//! (`Caller::Installation`), like the other administrative commands. Results go to
//! standard output (JSON, or the document); errors to standard error, naming the file,
//! with a non-zero exit.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use embargo_app::App;
use embargo_app::statements::Caller;

use crate::cli::{DataArgs, VexCommand};
use crate::config::Settings;

/// The largest file read: a scanner report or VEX document of more is refused.
const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

async fn open(data: &DataArgs) -> Result<App> {
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    crate::init::ensure_initialised(&store, &settings).await?;
    crate::wiring::build(&settings, store, false).await
}

/// The file's bytes, refused (with its name) past [`MAX_FILE_BYTES`].
fn read(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!(
            "{}: larger than {} MiB",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        );
    }
    Ok(bytes)
}

pub async fn run(data: &DataArgs, command: VexCommand) -> Result<()> {
    let app = open(data).await?;
    match command {
        VexCommand::Import {
            project,
            public,
            files,
        } => import(&app, &project, public, &files).await,
        VexCommand::Export { project, format } => {
            let doc = app
                .export_statements(&Caller::Installation, &project, format.name())
                .await
                .map_err(|e| not_found(e, &project))?;
            let mut out = std::io::stdout().lock();
            out.write_all(&doc.bytes)?;
            if !doc.bytes.ends_with(b"\n") {
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        VexCommand::Triage {
            project,
            report,
            text,
        } => {
            let bytes = read(&report)?;
            let name = report.display().to_string();
            let result = app
                .triage_scan(&Caller::Installation, &project, &name, &bytes)
                .await
                .map_err(|e| not_found(e, &project))?;
            if text {
                print!("{}", result.plain_text);
            } else {
                println!("{}", serde_json::to_string_pretty(&result.triage)?);
            }
            Ok(())
        }
    }
}

/// Imports each file in its own transaction (all or nothing per file), going on past a
/// refused file so that every error is reported at once.
async fn import(app: &App, project: &str, public: bool, files: &[PathBuf]) -> Result<()> {
    let mut refused = 0;
    for file in files {
        let name = file.display().to_string();
        let outcome = match read(file) {
            Ok(bytes) => app
                .import_statements(&Caller::Installation, project, &name, &bytes, public)
                .await
                .map_err(|e| not_found(e, project)),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(s) => {
                println!(
                    "{name}: {}: {} added, {} updated, {} unchanged",
                    s.format,
                    s.added.len(),
                    s.updated.len(),
                    s.unchanged.len()
                );
                for w in &s.warnings {
                    eprintln!("{name}: warning: {w}");
                }
            }
            Err(e) => {
                refused += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    if refused > 0 {
        bail!(
            "{refused} of {} file(s) refused; nothing of those was stored",
            files.len()
        );
    }
    Ok(())
}

/// The application's `NotFound` names the project at the command line.
fn not_found(e: embargo_app::Error, project: &str) -> anyhow::Error {
    match e {
        embargo_app::Error::NotFound => {
            anyhow::anyhow!("no project {project:?}; `embargo projects list` shows them")
        }
        other => other.into(),
    }
}
