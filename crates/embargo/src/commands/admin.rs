//! The administrative subcommands: projects, users, tokens and the CVE pool.

use anyhow::{Context, Result, bail};
use embargo_domain::ids::{CveId, Email};
use embargo_domain::token::Token;
use embargo_store::{
    CredentialKind, Cves, NewCredential, NewUser, Projects, Store, UpsertOutcome, Users,
};

use crate::cli::{CveCommand, DataArgs, PoolCommand, ProjectsCommand, TokenCommand, UserCommand};
use crate::config::Settings;
use crate::init::{ensure_initialised, setup_link};
use crate::projects_file;

/// Opens the store and makes sure the organisation exists, as `serve` would.
async fn open(data: &DataArgs) -> Result<(Settings, embargo_store::SqlStore)> {
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    ensure_initialised(&store, &settings).await?;
    Ok((settings, store))
}

pub async fn projects(data: &DataArgs, command: ProjectsCommand) -> Result<()> {
    let (_, store) = open(data).await?;
    match command {
        ProjectsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let projects =
                projects_file::parse(&text).with_context(|| format!("in {}", file.display()))?;
            for p in &projects {
                let word = match store.upsert_project(p).await? {
                    UpsertOutcome::Created(_) => "created",
                    UpsertOutcome::Updated(_) => "updated",
                    UpsertOutcome::Unchanged(_) => "unchanged",
                };
                println!("{word} {} ({}, team of {})", p.slug, p.name, p.team.len());
            }
        }
        ProjectsCommand::List => {
            for p in store.list_projects().await? {
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
    let (_, store) = open(data).await?;
    match command {
        TokenCommand::Create { email, label } => {
            let email = Email::parse(&email)?;
            let user = store.user_by_email(&email).await?.with_context(|| {
                format!("no user {email}; add them with `embargo user add` or a projects file")
            })?;
            let token = Token::generate();
            store
                .insert_credential(&NewCredential {
                    digest: token.digest(),
                    user: user.id,
                    kind: CredentialKind::ApiToken,
                    csrf: None,
                    expires_at: None,
                    label,
                })
                .await?;
            eprintln!(
                "API token for {email} (shown once; send it as `Authorization: Bearer <token>`):"
            );
            println!("{}", token.expose());
        }
    }
    Ok(())
}

pub async fn user(data: &DataArgs, command: UserCommand) -> Result<()> {
    let (settings, store) = open(data).await?;
    match command {
        UserCommand::Add {
            email,
            name,
            org_team,
        } => {
            let email = Email::parse(&email)?;
            if store.user_by_email(&email).await?.is_some() {
                bail!("{email} is already a user; use `embargo user setup-link --email {email}`");
            }
            let name = match name {
                Some(n) => embargo_domain::text::required_line("name", &n)?,
                None => email.to_string(),
            };
            let id = store
                .create_user(&NewUser {
                    email: email.clone(),
                    name,
                    org_team,
                    password_hash: None,
                })
                .await?;
            println!("Added {email}. They set their password here:");
            println!("{}", setup_link(&store as &dyn Store, id, &settings).await?);
        }
        UserCommand::SetupLink { email } => {
            let email = Email::parse(&email)?;
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no user {email}"))?;
            println!(
                "{}",
                setup_link(&store as &dyn Store, user.id, &settings).await?
            );
        }
    }
    Ok(())
}

pub async fn cve(data: &DataArgs, command: CveCommand) -> Result<()> {
    let (_, store) = open(data).await?;
    match command {
        CveCommand::Pool {
            command: PoolCommand::Add { ids },
        } => {
            let mut all = Vec::new();
            for range in &ids {
                all.extend(CveId::parse_range(range)?);
            }
            let added = store.add_to_pool(&all).await?;
            let stats = store.pool_stats().await?;
            println!(
                "Added {added} ids ({} were already in the pool); {} free, {} assigned.",
                all.len() as u64 - added,
                stats.free,
                stats.assigned
            );
        }
        CveCommand::Pool {
            command: PoolCommand::Status,
        } => {
            let stats = store.pool_stats().await?;
            let next = store.next_free_cve().await?;
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
