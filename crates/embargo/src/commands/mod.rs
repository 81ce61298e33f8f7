//! One function per subcommand; each opens the store it needs and prints for people.

mod admin;
mod cve_records;
pub mod cve_services;
mod http_server;
pub(crate) mod mail;
mod senders;
mod serve;
mod vex;

use anyhow::Result;

use crate::cli::{Cli, Command, CveCommands};

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { data } => {
            crate::init::run(&crate::config::Settings::load(&data, None)?).await
        }
        Command::Serve {
            data,
            listen,
            smtp_listen,
        } => serve::run(&data, listen, smtp_listen).await,
        Command::IngestMail {
            data,
            recipient,
            sender,
        } => mail::ingest(&data, recipient, sender).await,
        Command::Projects { command, data } => admin::projects(&data, command).await,
        Command::Token { command, data } => admin::token(&data, command).await,
        Command::User { command, data } => admin::user(&data, command).await,
        Command::Cve {
            command: CveCommands::Admin(command),
            data,
        } => admin::cve(&data, command).await,
        Command::Cve {
            command: CveCommands::Reserve { count, year },
            data,
        } => cve_services::reserve(&data, count, year).await,
        Command::Cve {
            command: CveCommands::Import { files },
            data,
        } => cve_records::import(&data, &files).await,
        Command::Cve {
            command: CveCommands::Export { cve, format },
            data,
        } => cve_records::export(&data, &cve, format).await,
        Command::Sender { command, data } => senders::run(&data, command).await,
        Command::Vex { command, data } => vex::run(&data, command).await,
    }
}
