//! `tangkal worker`, `tangkal placer` and `tangkal status`: the distributed intake's processes (the work is
//! in `tangkal-intake`).

use std::process::ExitCode;
use std::time::Duration;

use tangkal_intake::{Intake, IntakeConfig, PlacerOptions, WorkerOptions};
use tokio::sync::watch;

use crate::config::Config;

#[derive(clap::Args)]
pub struct WorkerArgs {
    /// How this worker is named in `tangkal status` [default: worker HOST PID]
    #[arg(long)]
    name: Option<String>,
}

#[derive(clap::Args)]
pub struct PlacerArgs {
    /// How this placer is named in `tangkal status` and in PostgreSQL [default: placer HOST PID]
    #[arg(long)]
    name: Option<String>,
    /// Seconds between snapshots of the narrative index (a successor replays the items after the last one)
    #[arg(long, default_value_t = 30)]
    snapshot_every: u64,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// Milliseconds between the two readings that give the pace
    #[arg(long, default_value_t = 1000)]
    sample_ms: u64,
    /// One JSON object
    #[arg(long)]
    json: bool,
}

pub fn worker(config: &Config, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let mut options = WorkerOptions::new(config.intake_database()?, config.audit_files());
    options.batch = config.intake.batch;
    options.max_deliver = config.intake.max_deliver;
    options.max_text_bytes = config.ingest.max_text_bytes;
    if let Some(name) = args.name {
        options.name = name;
    }
    let totals = on_intake(&config.intake(None)?, async |intake| {
        tangkal_intake::run_worker(intake, options, stop_on_signal()).await
    })?;
    println!(
        "new {}  repeats {}  dead letters {}  narratives matched {}",
        totals.new, totals.repeats, totals.dead, totals.matched
    );
    Ok(ExitCode::SUCCESS)
}

pub fn placer(config: &Config, args: PlacerArgs) -> anyhow::Result<ExitCode> {
    let mut options = PlacerOptions::new(config.intake_database()?, config.audit_files());
    options.snapshot_every = Duration::from_secs(args.snapshot_every.max(1));
    if let Some(name) = args.name {
        options.name = name;
    }
    let covered = on_intake(&config.intake(None)?, async |intake| {
        tangkal_intake::run_placer(intake, options, stop_on_signal()).await
    })?;
    println!("placed up to intake sequence {covered}");
    Ok(ExitCode::SUCCESS)
}

pub fn status(config: &Config, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let intake_config = config.intake(None)?;
    let sample = Duration::from_millis(args.sample_ms);
    let status = on_intake(&intake_config, async |intake| tangkal_intake::status(intake, sample).await)?;
    // The lock holder is the placer's own word; the heartbeat only its last one.
    let leader = match &config.database_url {
        Some(_) => config.open_postgres()?.placer_leader(&intake_config.stream)?,
        None => None,
    };
    if args.json {
        let mut value = serde_json::to_value(&status)?;
        value["placer_leader"] = serde_json::json!(leader);
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("stream {}: {} messages in it (last sequence {})", status.stream, status.stream_depth, status.last_seq);
    println!(
        "workers: {} not fetched, {} held unacknowledged ({} redelivered), acknowledged up to {}, {:.0} items/s",
        status.pending, status.ack_pending, status.redelivered, status.ack_floor, status.items_per_second
    );
    println!("workers alive: {}", status.workers.len());
    for worker in &status.workers {
        println!("  {}  {}", worker.name, worker.figures);
    }
    let covered = status.placer.as_ref().and_then(|p| p.figures["covered"].as_i64());
    match (&leader, &status.placer) {
        (Some(leader), _) => println!("placer leader: {leader} (placed up to {})", covered.unwrap_or_default()),
        (None, Some(placer)) => println!("placer: {} (placed up to {})", placer.name, covered.unwrap_or_default()),
        (None, None) => println!("placer: none"),
    }
    println!("narratives waiting for matching: {}", status.matching_depth);
    println!("dead letters: {}", status.dead_letters);
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` on a connection to the distributed intake, on the intake's runtime (the CLI is synchronous).
pub(crate) fn on_intake<T>(
    config: &IntakeConfig,
    work: impl AsyncFnOnce(&Intake) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    tangkal_intake::runtime()?.block_on(async {
        let intake = Intake::connect(config).await?;
        work(&intake).await
    })
}

/// Turns true on SIGINT or SIGTERM: the process finishes what it holds and stops.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        tangkal_server::shutdown_signal().await;
        tracing::info!("stopping after the work in hand");
        let _ = stop.send(true);
    });
    stopped
}
