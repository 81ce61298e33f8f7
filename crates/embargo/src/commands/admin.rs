//! The administrative subcommands: projects, users, tokens and the CVE pool, each one
//! call to the application layer's `admin` use cases.

use anyhow::{Context, Result, bail};
use embargo_app::App;
use embargo_app::model::UpsertOutcome;

use crate::cli::{CveCommand, DataArgs, PoolCommand, ProjectsCommand, TokenCommand, UserCommand};
use crate::config::Settings;
use crate::projects_file;

/// Opens an existing installation's store (refusing, creating nothing, when there is
/// none: `crate::init`) and builds the application on it.
async fn open(data: &DataArgs) -> Result<App> {
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    crate::init::ensure_initialised(&store, &settings).await?;
    crate::wiring::build(&settings, store, false).await
}

pub async fn projects(data: &DataArgs, command: ProjectsCommand) -> Result<()> {
    let app = open(data).await?;
    match command {
        ProjectsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let projects =
                projects_file::parse(&text).with_context(|| format!("in {}", file.display()))?;
            for (p, outcome) in projects.iter().zip(app.import_projects(&projects).await?) {
                let word = match outcome {
                    UpsertOutcome::Created(_) => "created",
                    UpsertOutcome::Updated(_) => "updated",
                    UpsertOutcome::Unchanged(_) => "unchanged",
                };
                println!("{word} {} ({}, team of {})", p.slug, p.name, p.team.len());
            }
        }
        ProjectsCommand::List => {
            for p in app.projects().await? {
                let contact = p
                    .security_email
                    .as_ref()
                    .map_or("organisation team".to_string(), |e| e.to_string());
                println!(
                    "{}\t{}\t{}\tteam: {}",
                    p.slug,
                    p.name,
                    contact,
                    p.team.len()
                );
            }
        }
    }
    Ok(())
}

pub async fn token(data: &DataArgs, command: TokenCommand) -> Result<()> {
    let app = open(data).await?;
    match command {
        TokenCommand::Create { email, label } => {
            let token = app.create_token(&email, label).await?;
            eprintln!(
                "API token for {email} (shown once; send it as `Authorization: Bearer <token>`):"
            );
            println!("{}", token.expose());
        }
    }
    Ok(())
}

pub async fn user(data: &DataArgs, command: UserCommand) -> Result<()> {
    let app = open(data).await?;
    match command {
        UserCommand::Add {
            email,
            name,
            org_team,
        } => {
            // Idempotent: the projects file may have created the member already, and
            // a setup script that adds them again must not fail.
            if let Some(member) = app.member_by_email(email.trim()).await? {
                if org_team && !member.org_team {
                    bail!(
                        "{} is already a member, not of the organisation team; nothing changed",
                        member.email
                    );
                }
                let link = app.setup_link_by_email(member.email.as_str()).await?;
                println!(
                    "{} is already a member; nothing changed. A new link to set their password:",
                    member.email
                );
                println!("{link}");
                return Ok(());
            }
            let link = app.add_user(&email, name.as_deref(), org_team).await?;
            println!("Added {}. They set their password here:", email.trim());
            println!("{link}");
        }
        UserCommand::SetupLink { email } => {
            println!("{}", app.setup_link_by_email(&email).await?);
        }
    }
    Ok(())
}

pub async fn cve(data: &DataArgs, command: CveCommand) -> Result<()> {
    let app = open(data).await?;
    match command {
        CveCommand::Pool {
            command: PoolCommand::Add { ids },
        } => {
            let (added, named, stats) = app.add_to_pool(&ids).await?;
            println!(
                "Added {added} ids ({} were already in the pool); {} free, {} assigned.",
                named - added,
                stats.free,
                stats.assigned
            );
        }
        CveCommand::Pool {
            command: PoolCommand::Status,
        } => {
            let (stats, next) = app.pool_status().await?;
            println!(
                "{} free, {} assigned; next: {}",
                stats.free,
                stats.assigned,
                next.map_or("none (add ids with `embargo cve pool add`)".into(), |c| c
                    .to_string())
            );
        }
    }
    Ok(())
}
