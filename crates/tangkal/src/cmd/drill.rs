//! `tangkal drill`: a training exercise for a response team. A simulated outbreak (the bundled one, or
//! a scenario file) is replayed into a server of its own at a chosen speed: posts arrive through the
//! push API, citizens' reports through the public one, and the team works the cases on the desk against
//! clocks that run at the drill's speed. At the end (or on Ctrl-C) the drill prints the team's score.
//!
//! Drill data is kept apart from real data: every drill gets a fresh directory under
//! `DATA_DIR/drills/`, with its own store, audit trail and accounts, every page says it is a drill, and
//! the tiplines and webhooks of the configuration are not used.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use tangkal_cases::{Clock, Role};
use tangkal_drill::{DrillClock, Scenario, Target};
use tangkal_server::DrillMode;

use super::desk_accounts;
use crate::config::Config;

#[derive(clap::Args)]
#[group(skip)]
pub struct Args {
    /// How many times faster than real time the drill runs: 60 plays a 24-hour drill in 24 minutes
    #[arg(long, default_value_t = 60.0, value_name = "TIMES")]
    speed: f64,
    /// A scenario file (JSON Lines: see `--print-scenario`) [default: the bundled election-week outbreak]
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Print the bundled scenario as a file to write one's own from, and exit
    #[arg(long)]
    print_scenario: bool,
    #[command(flatten)]
    serve: super::serve::Args,
}

/// Replays of citizen reports come from the drill's own address: their budget must not cut a scenario
/// short.
const DRILL_REPORT_BURST: u32 = 10_000;

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    if args.print_scenario {
        print!("{}", Scenario::bundled().to_jsonl());
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::ensure!((1.0..=100_000.0).contains(&args.speed), "--speed: a number from 1 to 100000");
    let scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Scenario::parse(&text, &path.display().to_string())?
        }
        None => Scenario::bundled(),
    };
    let drill = drill_config(config);
    let mut store = drill.open_store().with_context(|| format!("cannot open {}", drill.data_dir.display()))?;
    let factchecks = import_factchecks(store.as_mut(), &scenario)?;
    let logins = desk_accounts::sign_ins(store.as_mut(), "latihan", "facebook")?;
    let token = replay_token(store.as_mut())?;
    drop(store);

    println!("Tangkal drill · {}", scenario.name);
    println!(
        "   {} events over {} h of drill time at ×{} ({} min real time); {factchecks} fact-checks known at the start",
        scenario.events.len(),
        scenario.length.num_minutes() as f64 / 60.0,
        args.speed,
        (scenario.length.num_seconds() as f64 / args.speed / 60.0).ceil()
    );
    println!("   drill data in {} (kept apart from real data)", drill.data_dir.display());

    let clock = DrillClock::start(args.speed);
    let launch = super::serve::Launch {
        clock: Arc::new(clock),
        drill: Some(DrillMode { started_at: clock.started_at(), speed: clock.speed() }),
        ..super::serve::Launch::default()
    };
    let (stop, stopping) = (launch.stop.clone(), launch.stopping.clone());
    let scenario = Arc::new(scenario);
    let replayed = Arc::new(std::sync::Mutex::new(None));
    let (outcome, replay_scenario) = (replayed.clone(), scenario.clone());
    let exit = super::serve::serve(&drill, args.serve, launch, move |address| {
        let local = format!("http://{address}");
        println!("\nServing the drill on {local}/desk (Ctrl-C ends it early)");
        desk_accounts::print_sign_ins(&local, &logins);
        println!("\nDrill time  event");
        let target = Target { base: local, token };
        let totals = tangkal_drill::replay(&replay_scenario, &target, &clock, &stopping, |line| println!("{line}"));
        if let Err(e) = &totals {
            eprintln!("error: {e:#}");
        }
        *outcome.lock().unwrap_or_else(|e| e.into_inner()) = totals.ok();
        stop.notify_one();
    })?;
    finish(&drill, &scenario, &clock, replayed.lock().unwrap_or_else(|e| e.into_inner()).take())?;
    Ok(exit)
}

/// The configuration of the drill's own server: a fresh embedded store under `DATA_DIR/drills/` (whatever
/// store the real desk uses), the audit trail in it, no tiplines or webhooks (a drill answers nobody outside it),
/// pushed posts stored there rather than published to the distributed intake, report budgets lifted.
fn drill_config(config: &Config) -> Config {
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut drill = config.clone();
    drill.data_dir = config.data_dir.join("drills").join(stamp.to_string());
    drill.database_url = None;
    drill.nats_url = None;
    drill.audit = Default::default();
    drill.tiplines = Default::default();
    drill.webhooks = Default::default();
    drill.response.reports.per_network.burst = DRILL_REPORT_BURST;
    drill
}

/// Imports the scenario's fact-checks; returns how many are stored.
fn import_factchecks(store: &mut dyn tangkal_store::Store, scenario: &Scenario) -> anyhow::Result<usize> {
    let lines: String =
        scenario.factchecks.iter().map(|f| format!("{}\n", serde_json::Value::Object(f.clone()))).collect();
    let parsed = tangkal_matcher::formats::read_jsonl(lines.as_bytes(), "scenario")?;
    if let Some(rejected) = parsed.rejected.first() {
        anyhow::bail!("scenario fact-check refused: {rejected}");
    }
    let (records, _) = tangkal_matcher::formats::dedup(parsed.records, &tangkal_text::Analyzer::new());
    store.upsert_factchecks(&records)?;
    Ok(records.len())
}

/// An API token for the replay: the drill's own collector, pushing posts as an analyst's token may.
fn replay_token(store: &mut dyn tangkal_store::Store) -> anyhow::Result<String> {
    let owner = desk_accounts::account(store, "latihan-collector", Role::Analyst, None, "latihan")?;
    store.set_user_disabled(owner.user.id, false, "latihan", Utc::now())?;
    let secret = tangkal_server::auth::new_api_token();
    let hash = tangkal_server::auth::secret_hash(&secret);
    store.create_token(owner.user.id, "drill replay", Role::Analyst, &hash, "latihan", Utc::now())?;
    Ok(secret)
}

/// Prints the score and writes it, with the replay's totals, to `score.json` in the drill's directory.
fn finish(
    drill: &Config,
    scenario: &Scenario,
    clock: &DrillClock,
    replay: Option<tangkal_drill::ReplayTotals>,
) -> anyhow::Result<()> {
    let store = drill.open_store()?;
    // A drill that ran its course is scored at its end, not when its server had stopped.
    let at = clock.now().min(clock.started_at() + scenario.length);
    let score = tangkal_drill::score(store.as_ref(), scenario, clock.started_at(), at)?;
    println!("\n{score}");
    let path = drill.data_dir.join("score.json");
    let record =
        serde_json::json!({ "scenario": scenario.name, "speed": clock.speed(), "score": score, "replay": replay });
    std::fs::write(&path, serde_json::to_vec_pretty(&record)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("\nScore written to {}", path.display());
    Ok(())
}
