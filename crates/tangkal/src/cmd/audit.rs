//! `tangkal audit`: verify the audit trail against its key and checkpoints, and print a checkpoint for
//! keeping elsewhere.

use std::process::ExitCode;

use anyhow::Context;
use tangkal_cases::audit::{AuditReport, Checkpoint, SourcedCheckpoint};

use crate::config::Config;

/// Exit status when the trail was tampered with (or cannot be vouched for: no key, no checkpoints).
pub const EXIT_TAMPERED: u8 = 2;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Check every event with the key and against every checkpoint; name each edited, replaced, reordered
    /// or deleted event (exit status 2 if any)
    Verify {
        /// Also check against this checkpoint: a line `tangkal audit checkpoint` printed, or a file of such
        /// lines kept away from the database (repeatable)
        #[arg(long = "checkpoint", value_name = "LINE|FILE")]
        checkpoints: Vec<String>,
    },
    /// Write a checkpoint of the trail's current head and print it, to keep somewhere the database's host
    /// cannot change (mail, paper, another system); keys a trail that has no key yet
    Checkpoint,
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let store = config.open_store()?;
    match command {
        Command::Verify { checkpoints } => {
            let given = checkpoints
                .iter()
                .enumerate()
                .map(|(i, arg)| given_checkpoints(i + 1, arg))
                .collect::<Result<Vec<_>, _>>()?;
            let report = store.verify_audit_against(given.into_iter().flatten().collect())?;
            print_report(&report);
            Ok(if report.is_intact() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_TAMPERED) })
        }
        Command::Checkpoint => {
            let checkpoint = store.checkpoint_audit(chrono::Utc::now())?;
            println!("{checkpoint}");
            eprintln!(
                "Keep this line where the database's host cannot change it; `tangkal audit verify --checkpoint \
                 LINE` shows whether any of the {} events it covers was changed or deleted since.",
                checkpoint.events
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--checkpoint` number `n`: a checkpoint line, or a file of them.
fn given_checkpoints(n: usize, arg: &str) -> anyhow::Result<Vec<SourcedCheckpoint>> {
    if arg.trim_start().starts_with("tangkal-audit-checkpoint/") {
        let checkpoint = arg.parse().map_err(|e| anyhow::anyhow!("--checkpoint {n}: {e}"))?;
        return Ok(vec![SourcedCheckpoint { source: format!("--checkpoint {n}"), checkpoint }]);
    }
    let text = std::fs::read_to_string(arg).with_context(|| format!("--checkpoint {n}: cannot read {arg}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let checkpoint: Checkpoint = line.parse().map_err(|e| anyhow::anyhow!("{arg}:{}: {e}", i + 1))?;
            Ok(SourcedCheckpoint { source: format!("{arg}:{}", i + 1), checkpoint })
        })
        .collect()
}

fn print_report(report: &AuditReport) {
    for problem in &report.problems {
        println!("{problem}");
    }
    let events = report.events_checked;
    if !report.is_intact() {
        println!("audit trail TAMPERED: {} problems in {events} events", report.problems.len());
        return;
    }
    if report.keyed_from.is_none() {
        println!("audit trail empty: nothing to verify");
        return;
    }
    println!(
        "audit trail intact: {events} events checked with the key, against {} checkpoints",
        report.checkpoints_checked
    );
    if let Some(keyed_from) = report.keyed_from.filter(|k| *k > 1) {
        println!(
            "events 1 to {} were written before the trail had a key: they are only hash-chained, so a rewrite \
             made before the key was created would not show",
            keyed_from - 1
        );
    }
    let anchored = report.anchored_events.unwrap_or(0) as u64;
    if anchored < events {
        println!(
            "events {} to {events} are newer than the newest checkpoint: deleting them would not show",
            anchored + 1
        );
    }
}
