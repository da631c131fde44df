use std::process::ExitCode;

use crate::config::Config;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_config: &Config, _args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}
