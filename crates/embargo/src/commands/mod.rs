//! One function per subcommand; each opens the store it needs and prints for people.

mod admin;
mod serve;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { data, listen } => serve::run(&data, listen).await,
        Command::Projects { command, data } => admin::projects(&data, command).await,
        Command::Token { command, data } => admin::token(&data, command).await,
        Command::User { command, data } => admin::user(&data, command).await,
        Command::Cve { command, data } => admin::cve(&data, command).await,
    }
}
