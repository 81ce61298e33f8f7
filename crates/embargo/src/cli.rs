//! The command line: subcommands and the options every one of them shares.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "embargo",
    version,
    about = "Private vulnerability intake and coordinated disclosure"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives; every command that touches the database takes these.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Directory for the embedded database, the data key and other state.
    #[arg(
        long,
        env = "EMBARGO_DATA_DIR",
        default_value = "embargo-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (postgres://user:pass@host/db) instead of the embedded SQLite database.
    #[arg(
        long,
        env = "EMBARGO_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Configuration file (TOML); settings given as options or EMBARGO_* variables win.
    #[arg(long, env = "EMBARGO_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new installation (data directory, data key, database, organisation,
    /// first administrator) as the first `serve` would, and stop; changes nothing on an
    /// existing one. Every other command refuses to run where there is none.
    Init {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Run the web UI and JSON API (creating the installation on first start).
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, env = "EMBARGO_LISTEN")]
        listen: Option<SocketAddr>,
        /// Address for the SMTP receiver (off unless given), e.g. 127.0.0.1:2525.
        #[arg(long, env = "EMBARGO_SMTP_LISTEN")]
        smtp_listen: Option<SocketAddr>,
    },
    /// Take one RFC 5322 message on standard input (for an MTA's pipe delivery).
    /// Exits 0 once it is stored, 65 if it is refused for good, 75 to try again later.
    IngestMail {
        #[command(flatten)]
        data: DataArgs,
        /// The envelope recipient(s), if the MTA passes them (routing uses the
        /// Delivered-To, To and Cc headers otherwise).
        #[arg(long)]
        recipient: Vec<String>,
        /// The envelope sender; `<>` or empty marks a bounce.
        #[arg(long)]
        sender: Option<String>,
    },
    /// Manage projects.
    Projects {
        #[command(subcommand)]
        command: ProjectsCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Manage team members.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The organisation's CVE ids.
    Cve {
        #[command(subcommand)]
        command: CveCommands,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Block or throttle senders of mail and reports (organisation team).
    Sender {
        #[command(subcommand)]
        command: SenderCommand,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A project's dependency statements (VEX): import, export, triage a scanner report
    /// (docs/vex.md).
    Vex {
        #[command(subcommand)]
        command: VexCommand,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `embargo vex ...`: a project's dependency statements, as the installation's
/// administrator (like the other administrative commands: all of the project's
/// statements, private ones included).
#[derive(Debug, Subcommand)]
pub enum VexCommand {
    /// Import VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX, Dependency-Check
    /// suppressions; detected) into a project's statements. Each file is all or nothing;
    /// a statement on the same vulnerability, component and versions is replaced (the
    /// earlier version kept). Exits non-zero if a file was refused.
    Import {
        /// The project's slug.
        #[arg(long)]
        project: String,
        /// Publish every imported statement at the project's public VEX URLs.
        #[arg(long)]
        public: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the project's statements in force (private ones too) as a VEX document.
    Export {
        #[arg(long)]
        project: String,
        #[arg(long, value_enum)]
        format: VexFormatArg,
    },
    /// Triage a scanner report against the project's statements: prints
    /// `{"findings": [...], "summary": {...}}`, or with `--text` the plain-text answer for
    /// the reporter.
    Triage {
        #[arg(long)]
        project: String,
        /// Dependency-Check XML or JSON, Trivy, Grype, SARIF, CycloneDX, OSV-Scanner.
        report: PathBuf,
        /// The plain-text mail body instead of JSON.
        #[arg(long)]
        text: bool,
    },
}

/// The formats `embargo vex export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VexFormatArg {
    /// OpenVEX JSON.
    Openvex,
    /// CycloneDX 1.6 VEX JSON.
    Cyclonedx,
    /// CycloneDX 1.7 VEX JSON.
    #[value(name = "cyclonedx-1.7")]
    Cyclonedx17,
    /// CSAF 2.0 VEX JSON.
    Csaf,
    /// An OWASP Dependency-Check suppression file (XML).
    DependencyCheck,
}

impl VexFormatArg {
    /// The format's name as the application takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Openvex => "openvex",
            Self::Cyclonedx => "cyclonedx",
            Self::Cyclonedx17 => "cyclonedx-1.7",
            Self::Csaf => "csaf",
            Self::DependencyCheck => "dependency-check",
        }
    }
}

/// `embargo sender ...`: the organisation team's sender rules (docs/mail.md). Each is
/// done as the member named by `--by` (an organisation-team member), as the audit log
/// records.
#[derive(Debug, Subcommand)]
pub enum SenderCommand {
    /// Hold all mail from an address (mallory@example.com) or a domain (@spam.example).
    Block {
        pattern: String,
        /// Why (required; kept sealed with the rule).
        #[arg(long)]
        reason: String,
        /// The organisation-team member doing it.
        #[arg(long)]
        by: String,
    },
    /// Hold new reports from an address or domain over a daily limit.
    Throttle {
        pattern: String,
        /// New reports a day (default 3).
        #[arg(long)]
        per_day: Option<u32>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        by: String,
    },
    /// Lift a rule by its number (`embargo sender list` shows them).
    Lift {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        by: String,
    },
    /// The rules in force, or the lifted ones.
    List {
        #[arg(long)]
        lifted: bool,
        #[arg(long)]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Create or update projects from a TOML file (idempotent).
    Import { file: PathBuf },
    /// List the projects.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is printed once, as the last line.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, shown in audits.
        #[arg(long)]
        label: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a team member and print a one-time link to set their password.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Member of the organisation security team (sees and routes every report).
        #[arg(long)]
        org_team: bool,
    },
    /// Print a new one-time link for an existing user to set their password.
    SetupLink {
        #[arg(long)]
        email: String,
    },
}

/// `embargo cve ...`: the pool commands and those that talk to CVE Services.
#[derive(Debug, Subcommand)]
pub enum CveCommands {
    #[command(flatten)]
    Admin(CveCommand),
    /// Reserve ids through the CVE Services API and add them to the pool (needs
    /// EMBARGO_CVE_API_URL, EMBARGO_CVE_API_ORG, EMBARGO_CVE_API_USER, EMBARGO_CVE_API_KEY).
    Reserve {
        /// How many ids.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Their year (default: this year).
        #[arg(long)]
        year: Option<u16>,
    },
    /// Import CVE JSON 5 records published elsewhere (PUBLISHED or REJECTED, ADP
    /// containers kept as they are); importing the same record again changes nothing.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a CVE record (imported, or of an advisory announced here).
    Export {
        /// e.g. CVE-2024-28752.
        cve: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Cve)]
        format: ExportFormat,
    },
}

/// The formats `embargo cve export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// CVE JSON 5.
    Cve,
    /// OSV.
    Osv,
    /// CSAF 2.0.
    Csaf,
}

#[derive(Debug, Subcommand)]
pub enum CveCommand {
    /// Manage the pool of CVE ids the organisation may assign.
    Pool {
        #[command(subcommand)]
        command: PoolCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Add ids: single ids or ranges like CVE-2026-10000..CVE-2026-10099.
    Add {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// How many ids are free and assigned.
    Status,
}
