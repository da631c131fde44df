//! `tangkal audit verify`: checks the audit trail's hash chain.

use std::process::ExitCode;

use crate::config::Config;

/// Exit status when the trail was tampered with.
pub const EXIT_TAMPERED: u8 = 2;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Report every edited, replaced or deleted audit event (exit status 2 if any)
    Verify,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let store = tangkal_store::open(&config.data_dir)?;
    match command {
        Command::Verify => {
            let report = store.verify_audit()?;
            if report.is_intact() {
                println!("audit trail intact: {} events checked", report.events_checked);
                return Ok(ExitCode::SUCCESS);
            }
            for problem in &report.problems {
                println!("{problem}");
            }
            println!("audit trail TAMPERED: {} problems in {} events", report.problems.len(), report.events_checked);
            Ok(ExitCode::from(EXIT_TAMPERED))
        }
    }
}
