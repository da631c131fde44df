//! `tangkal detect`: bring detection up to date with the store, e.g. after `tangkal ingest --no-detect`.

use std::process::ExitCode;
use std::time::Instant;

use tangkal_pipeline::RejectWriter;

use crate::config::Config;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(config: &Config, _args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut store = config.open_store_for_import()?;
    // Nothing is read, so nothing can be rejected: the dead-letter file is never created.
    let mut rejects = RejectWriter::new(config.data_dir.join("rejects").join("detect.jsonl"));
    let (_, matched) = super::ingest::ingest_and_detect(config, store.as_mut(), Vec::new(), &mut rejects, &())?;
    println!(
        "narratives up to date ({:.1} s); narratives matched against fact-checks {}  debunked {}  cases opened {}",
        started.elapsed().as_secs_f64(),
        matched.matched,
        matched.debunked,
        matched.cases_opened
    );
    Ok(ExitCode::SUCCESS)
}
