use std::process::ExitCode;

use crate::config::Config;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Count items
    Count,
}

pub fn run(_config: &Config, _command: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
