//! `tangkal token create|revoke|list`: API tokens for machines (detectors, partners' systems).

use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use comfy_table::Table;
use tangkal_cases::Role;

use super::user::{cli_actor, parse_role};
use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a token for a user; prints its secret once
    Create {
        /// The owner's username
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. `claim matcher`
        #[arg(long)]
        name: String,
        /// The role the token acts as [default: the owner's role; admins may choose any]
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
    },
    /// Revoke a token by id
    Revoke { id: i64 },
    /// List tokens (never their secrets)
    List,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let mut store = config.open_store()?;
    match command {
        Command::Create { user, name, role } => {
            let owner = store.user_by_name(&user)?.with_context(|| format!("no user named {user:?}"))?;
            let secret = tangkal_server::auth::new_api_token();
            let hash = tangkal_server::auth::secret_hash(&secret);
            let token =
                store.create_token(owner.id, &name, role.unwrap_or(owner.role), &hash, &cli_actor(), Utc::now())?;
            println!("created token {} ({}, acting as {})", token.id, token.name, token.role);
            println!("secret (shown once; send as `Authorization: Bearer <secret>`):\n{secret}");
        }
        Command::Revoke { id } => {
            let token = store.revoke_token(id, &cli_actor(), Utc::now())?.with_context(|| format!("no token {id}"))?;
            println!("revoked token {} ({} of {})", token.id, token.name, token.username);
        }
        Command::List => {
            let mut table = Table::new();
            table.set_header(["id", "owner", "name", "role", "created", "revoked"]);
            for t in store.list_tokens()? {
                table.add_row([
                    t.id.to_string(),
                    t.username,
                    t.name,
                    t.role.to_string(),
                    t.created_at.to_rfc3339(),
                    t.revoked_at.map(|r| r.to_rfc3339()).unwrap_or_default(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
