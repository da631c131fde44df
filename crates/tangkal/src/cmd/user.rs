//! `tangkal user add|list|disable`: accounts, for administrators with shell access.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use comfy_table::Table;
use tangkal_cases::Role;
use tangkal_store::NewUser;

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a user; prints a generated password unless --password-stdin is given
    Add {
        username: String,
        /// admin, analyst, reviewer, communicator, platform_liaison or partner
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The platform a platform_liaison is bound to
        #[arg(long)]
        platform: Option<String>,
        #[arg(long, default_value = tangkal_server::api::accounts::DEFAULT_ORGANISATION)]
        organisation: String,
        /// Display name [default: the username]
        #[arg(long)]
        name: Option<String>,
        /// IANA time zone the user sees times in
        #[arg(long, default_value = "Asia/Jakarta")]
        time_zone: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users
    List,
    /// Disable a user: their sessions end and their tokens stop working
    Disable { username: String },
}

pub fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {s:?}; one of {}", names.join(", "))
    })
}

/// Who the audit trail names for changes made from the command line.
pub fn cli_actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let mut store = config.open_store()?;
    match command {
        Command::Add { username, role, platform, organisation, name, time_zone, password_stdin } => {
            let zone = tangkal_server::api::accounts::time_zone(Some(&time_zone)).map_err(anyhow::Error::msg)?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (tangkal_server::auth::new_secret(), true)
            };
            let hash = tangkal_server::auth::hash_password(&password)?;
            let user = store.add_user(
                &NewUser {
                    username: &username,
                    display_name: name.as_deref().unwrap_or(&username),
                    role,
                    platform: platform.as_deref(),
                    organisation: &organisation,
                    password_hash: &hash,
                    time_zone: &zone,
                },
                &cli_actor(),
                Utc::now(),
            )?;
            println!("created user {} (id {}, {})", user.username, user.id, user.role);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        Command::List => {
            let mut table = Table::new();
            table.set_header(["id", "username", "name", "role", "platform", "organisation", "time zone", "status"]);
            for u in store.list_users()? {
                table.add_row([
                    u.id.to_string(),
                    u.username,
                    u.display_name,
                    u.role.to_string(),
                    u.platform.unwrap_or_default(),
                    u.organisation,
                    u.time_zone,
                    if u.disabled { "disabled" } else { "active" }.to_string(),
                ]);
            }
            println!("{table}");
        }
        Command::Disable { username } => {
            let user = store.user_by_name(&username)?.with_context(|| format!("no user named {username:?}"))?;
            store.set_user_disabled(user.id, true, &cli_actor(), Utc::now())?;
            println!("disabled {username}: sessions ended, tokens refused");
        }
    }
    Ok(ExitCode::SUCCESS)
}
