//! `tangkal serve`: the HTTP API.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tangkal_cases::{Clock, SystemClock};
use tangkal_server::throttle::Budget;
use tangkal_server::{AppState, DrillMode, ServerConfig};
use tangkal_store::Store;
use tokio::sync::Notify;

use crate::config::Config;

#[derive(clap::Args)]
pub struct Args {
    /// Address and port to listen on [default: server.bind, 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR:PORT")]
    bind: Option<SocketAddr>,
    /// Mark session cookies Secure: set this when TLS terminates in front of Tangkal
    #[arg(long)]
    secure_cookies: bool,
    /// Largest evidence file accepted, in MiB [default: server.max_upload_mib, 20]
    #[arg(long, value_name = "MIB")]
    max_upload_mib: Option<u64>,
    /// Store connections working at once [default: server.pool_size, 8]
    #[arg(long, value_name = "N")]
    pool_size: Option<usize>,
    /// Seconds in-flight requests get to finish on SIGTERM or Ctrl-C before their connections are
    /// dropped [default: server.shutdown_timeout_secs, 10]
    #[arg(long, value_name = "SECS")]
    shutdown_timeout: Option<u64>,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    serve(config, args, Launch::default(), |_| {})
}

/// How a server runs besides its flags: on the wall clock until a signal, or as a drill.
pub(crate) struct Launch {
    pub clock: Arc<dyn Clock>,
    pub drill: Option<DrillMode>,
    /// Stops the server as a signal would, when notified.
    pub stop: Arc<Notify>,
    /// Set once the server begins to stop, for work started by `on_ready` to end with it.
    pub stopping: Arc<AtomicBool>,
}

impl Default for Launch {
    fn default() -> Launch {
        Launch { clock: Arc::new(SystemClock), drill: None, stop: Arc::default(), stopping: Arc::default() }
    }
}

/// Serves until SIGTERM, Ctrl-C or `launch.stop`; `on_ready` runs on a blocking thread once the server
/// listens, with the address it listens on.
pub(crate) fn serve(
    config: &Config,
    args: Args,
    launch: Launch,
    on_ready: impl FnOnce(SocketAddr) + Send + 'static,
) -> anyhow::Result<ExitCode> {
    let clock = launch.clock;
    let mut store =
        config.open_store().with_context(|| format!("cannot open the store ({})", config.store_description()))?;
    create_first_admin(store.as_mut(), clock.as_ref())?;
    drop(store);
    let settings = &config.server;
    if let Some(bad) = settings.platforms.iter().find(|p| !tangkal_model::is_platform_name(p)) {
        anyhow::bail!("server.platforms: {bad:?} is not a platform name (lower-case letters, digits and '_')");
    }
    check_response(&config.response)?;
    check_webhooks(&config.webhooks)?;
    check_tiplines(&config.tiplines)?;
    anyhow::ensure!(settings.public_burst >= 1, "server.public_burst: at least 1");
    anyhow::ensure!(settings.public_per_second >= 1, "server.public_per_second: at least 1");
    let bind = args.bind.unwrap_or(settings.bind);
    let mut server = ServerConfig {
        secure_cookies: args.secure_cookies || settings.secure_cookies,
        max_upload_bytes: args.max_upload_mib.unwrap_or(settings.max_upload_mib).saturating_mul(1024 * 1024),
        pool_size: args.pool_size.unwrap_or(settings.pool_size),
        header_timeout: Duration::from_secs(settings.header_timeout_secs),
        body_timeout: Duration::from_secs(settings.body_timeout_secs),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout.unwrap_or(settings.shutdown_timeout_secs)),
        audit_files: config.audit_files(),
        trusted_proxies: settings.trusted_proxies.clone(),
        platforms: settings.platforms.clone(),
        response: config.response.clone(),
        webhooks: config.webhooks.clone(),
        tiplines: config.tiplines.clone(),
        max_text_bytes: config.ingest.max_text_bytes,
        store: config.store_location(),
        distributed_intake: config.nats_url.is_some().then(|| config.intake(None)).transpose()?,
        ..ServerConfig::new(config.data_dir.clone())
    };
    if let Some(drill) = launch.drill {
        // A session lasts as long in wall-clock time as outside a drill.
        server.session_lifetime = server.session_lifetime.mul_f64(drill.speed);
        server.drill = Some(drill);
    }
    server.sign_in.per_network.burst = settings.sign_in_network_burst;
    server.public_limits.per_network = Budget::per_second(settings.public_burst, settings.public_per_second);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        // Opening the store blocks (PostgreSQL's client runs its own small runtime), so not on this task.
        let state = tokio::task::block_in_place(|| AppState::new(server, clock))?;
        // Before listening: a client may signal as soon as it can connect.
        let signal = tangkal_server::shutdown_signal();
        let (stop, stopping) = (launch.stop, launch.stopping);
        let shutdown = async move {
            tokio::select! {
                () = signal => {}
                () = stop.notified() => {}
            }
            stopping.store(true, Ordering::SeqCst);
        };
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, store = %config.store_description(), "serving");
        tokio::task::spawn_blocking(move || on_ready(address));
        tangkal_server::serve(listener, state, shutdown).await?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// On a store without users, creates the `admin` account and prints its password, once.
pub(crate) fn create_first_admin(store: &mut dyn Store, clock: &dyn Clock) -> anyhow::Result<()> {
    if let Some(password) = tangkal_server::bootstrap_admin(store, clock)? {
        // Printed, never logged: logs are often shipped elsewhere.
        println!(
            "First start: created user `{}` with password\n\n    {password}\n\n\
             It is shown only this once. / Kata sandi ini hanya ditampilkan sekali.",
            tangkal_server::FIRST_ADMIN
        );
    }
    Ok(())
}

/// Refuses webhook settings that would stop deliveries or never retry, naming the key.
fn check_webhooks(webhooks: &tangkal_server::WebhookSettings) -> anyhow::Result<()> {
    for (key, value) in [
        ("webhooks.timeout_secs", webhooks.timeout_secs),
        ("webhooks.concurrency", webhooks.concurrency as u64),
        ("webhooks.max_attempts", webhooks.max_attempts.into()),
        ("webhooks.disable_after_failures", webhooks.disable_after_failures.into()),
        ("webhooks.poll_interval_ms", webhooks.poll_interval_ms),
        ("webhooks.scan_interval_ms", webhooks.scan_interval_ms),
    ] {
        anyhow::ensure!(value >= 1, "{key}: must be at least 1");
    }
    anyhow::ensure!(
        webhooks.retry_max_secs >= webhooks.retry_base_secs,
        "webhooks.retry_max_secs: must be at least webhooks.retry_base_secs"
    );
    Ok(())
}

/// Refuses settings the public pages and letters cannot work with, naming the key.
fn check_tiplines(tiplines: &tangkal_server::TiplineSettings) -> anyhow::Result<()> {
    if let Some(whatsapp) = &tiplines.whatsapp {
        for (key, value) in [
            ("api_base", &whatsapp.api_base),
            ("phone_number_id", &whatsapp.phone_number_id),
            ("access_token", &whatsapp.access_token),
            ("app_secret", &whatsapp.app_secret),
            ("verify_token", &whatsapp.verify_token),
        ] {
            anyhow::ensure!(!value.trim().is_empty(), "tiplines.whatsapp.{key}: must be set");
        }
    }
    if let Some(telegram) = &tiplines.telegram {
        check_telegram(telegram)?;
    }
    let p = &tiplines.per_sender;
    anyhow::ensure!(p.burst >= 1 && p.every_secs >= 1, "tiplines.per_sender: burst and every_secs must be at least 1");
    anyhow::ensure!(tiplines.max_attempts >= 1, "tiplines.max_attempts: must be at least 1");
    anyhow::ensure!(
        tiplines.retry_max_secs >= tiplines.retry_base_secs,
        "tiplines.retry_max_secs: must be at least tiplines.retry_base_secs"
    );
    Ok(())
}

/// Telegram takes a secret token of 1 to 256 characters `A-Z a-z 0-9 _ -`.
pub(crate) fn check_telegram(telegram: &tangkal_server::TelegramSettings) -> anyhow::Result<()> {
    anyhow::ensure!(!telegram.bot_token.trim().is_empty(), "tiplines.telegram.bot_token: must be set");
    let secret = &telegram.secret_token;
    anyhow::ensure!(
        (1..=256).contains(&secret.len()) && secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "tiplines.telegram.secret_token: must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -"
    );
    Ok(())
}

fn check_response(response: &tangkal_server::ResponseSettings) -> anyhow::Result<()> {
    let platforms = &response.takedown.platforms;
    anyhow::ensure!(!platforms.is_empty(), "response.takedown.platforms: list at least one platform");
    if let Some(bad) = platforms.iter().find(|p| {
        p.is_empty() || !p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    }) {
        anyhow::bail!(
            "response.takedown.platforms: {bad:?} is not a platform name (lower-case letters, digits, '-', '_')"
        );
    }
    anyhow::ensure!(
        !response.takedown.legal_basis.trim().is_empty(),
        "response.takedown.legal_basis: must not be empty"
    );
    for (key, value) in [
        ("response.site.base_url", &response.site.base_url),
        ("response.site.organisation_url", &response.site.organisation_url),
    ] {
        let ok = value.starts_with("https://") || value.starts_with("http://");
        anyhow::ensure!(ok, "{key}: {value:?} is not an http or https address");
    }
    anyhow::ensure!(!response.site.organisation.trim().is_empty(), "response.site.organisation: must not be empty");
    let reports = &response.reports;
    for (key, allowance) in [("per_network", reports.per_network), ("per_contact", reports.per_contact)] {
        anyhow::ensure!(
            allowance.burst >= 1 && allowance.every_secs >= 1,
            "response.reports.{key}: burst and every_secs must be at least 1"
        );
    }
    Ok(())
}
