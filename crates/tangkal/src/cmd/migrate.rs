//! `tangkal migrate`: bring the store's schema up to date without starting anything else, e.g. before
//! rolling out a new version to several servers that share one PostgreSQL database. (Every command also
//! migrates on start; servers starting together take turns.)

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(config: &Config, _args: Args) -> anyhow::Result<ExitCode> {
    drop(config.open_store().with_context(|| format!("cannot migrate the store ({})", config.store_description()))?);
    println!("the store ({}) is up to date", config.store_description());
    Ok(ExitCode::SUCCESS)
}
