//! Tangkal's HTTP server: the REST API (`/api/v1`) for cases, verdicts, takedown requests,
//! clarifications, accounts and the audit trail, the analysts' desk (`/desk`, pages drawn by
//! `tangkal-web`), and the public pages (`/cek-fakta`, `/transparansi`).
//!
//! [`app`] builds the whole application from an [`AppState`]; [`serve`] runs it until a shutdown
//! signal, letting in-flight requests finish. Every endpoint is declared once in the route table
//! ([`route_table`]) with the access it requires, and the router is built from that table only. Errors
//! are RFC 9457 problem documents; the OpenAPI 3.1 document is generated from the handlers and served at
//! `/api/v1/openapi.json`.
//!
//! The case rules live in `tangkal-cases` and persistence in `tangkal-store`; this crate only speaks
//! HTTP, so detectors open cases without depending on it.

mod answers;
pub mod api;
pub mod auth;
mod caching;
mod connections;
mod desk;
mod evidence;
mod intake;
mod lapor;
mod login;
mod metrics;
mod openapi;
mod ops;
mod placement;
mod pool;
mod problem;
mod public;
mod push;
mod routes;
mod search;
pub mod throttle;
pub mod tiplines;
pub mod views;
mod webhook_secrets;
mod webhooks;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::Router;
use tangkal_cases::{Clock, Role};
use tangkal_store::{AuditFiles, NewUser, Store, StoreLocation};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use openapi::document as openapi_document;
pub use pool::StorePool;
pub use problem::{Problem, PROBLEM_JSON};
pub use routes::{route_table, RouteSpec};
pub use tiplines::{TelegramSettings, TiplineSettings, WhatsappSettings};
pub use webhooks::WebhookSettings;

/// How the server runs. `Default` suits a local install; `tangkal serve` fills it from flags.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The store (SQLite in the data directory, or PostgreSQL) and the data directory for local files.
    pub store: StoreLocation,
    /// Mark cookies `Secure`: set when TLS terminates in front of the server.
    pub secure_cookies: bool,
    /// Largest evidence file accepted.
    pub max_upload_bytes: u64,
    pub session_lifetime: Duration,
    /// Store connections working at once.
    pub pool_size: usize,
    /// Time a client has to send a request's line and headers (slow-header attacks).
    pub header_timeout: Duration,
    /// Longest pause while a request body arrives; a stalled upload ends with an error after it.
    pub body_timeout: Duration,
    /// On shutdown, how long in-flight requests may take before their connections are dropped.
    pub shutdown_timeout: Duration,
    /// The audit trail's key and checkpoint file (by default in the data directory).
    pub audit_files: AuditFiles,
    /// How often the audit trail's head is checkpointed while it moves.
    pub audit_checkpoint_interval: Duration,
    /// Budgets for password checks and the size of the hashing pool.
    pub sign_in: throttle::SignInLimits,
    /// The budget every public route charges to the client's network.
    pub public_limits: throttle::PublicLimits,
    /// Reverse proxies whose `X-Forwarded-For` names the client; nobody else's is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The platforms a case may name: lower-case identifiers as in the item format.
    pub platforms: Vec<String>,
    /// Takedown platforms and legal basis, the transparency delay, the public site, citizen reports.
    pub response: ResponseSettings,
    /// Where and how webhook deliveries are sent.
    pub webhooks: WebhookSettings,
    /// The WhatsApp and Telegram tiplines.
    pub tiplines: TiplineSettings,
    /// How often the instant-answer matcher and the narratives reports are placed in are brought up to
    /// date with the store (fact-checks imported meanwhile, a new ingest's narratives).
    pub report_upkeep_interval: Duration,
    /// How often contacts past their retention period are looked for and erased.
    pub contact_erasure_interval: Duration,
    /// Longest text of a pushed item, in bytes (as `ingest.max_text_bytes` for imports).
    pub max_text_bytes: usize,
    /// The distributed intake: when set, `POST /api/v1/items` publishes to its stream instead of storing
    /// here, and `/metrics` carries its figures.
    pub distributed_intake: Option<tangkal_intake::IntakeConfig>,
    /// Set when the server runs a drill (`tangkal drill`): every page says so, and the desk's clocks run
    /// at the drill's speed.
    pub drill: Option<DrillMode>,
}

/// A training exercise's time: the drill's clock started at `started_at` and runs `speed` times faster
/// than the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrillMode {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub speed: f64,
}

/// The configurable part of the public response (the `[response]` section of `tangkal.toml`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseSettings {
    pub takedown: tangkal_response::takedown::TakedownConfig,
    pub transparency: tangkal_response::transparency::TransparencyConfig,
    pub site: tangkal_response::claimreview::SiteConfig,
    pub reports: tangkal_response::report::ReportConfig,
}

/// Where hoaxes spread in Indonesia, as the item format names them.
pub const DEFAULT_PLATFORMS: &[&str] = &[
    "x",
    "facebook",
    "instagram",
    "threads",
    "tiktok",
    "youtube",
    "telegram",
    "whatsapp",
    "whatsapp_channel",
    "line",
    "web",
    "news",
];

impl ServerConfig {
    /// The defaults, on the embedded store in `data_dir`.
    pub fn new(data_dir: PathBuf) -> ServerConfig {
        ServerConfig {
            audit_files: AuditFiles::in_data_dir(&data_dir),
            audit_checkpoint_interval: Duration::from_secs(60),
            store: StoreLocation::sqlite(data_dir),
            secure_cookies: false,
            max_upload_bytes: 20 * 1024 * 1024,
            session_lifetime: Duration::from_secs(12 * 3600),
            pool_size: 8,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
            sign_in: throttle::SignInLimits::default(),
            public_limits: throttle::PublicLimits::default(),
            trusted_proxies: Vec::new(),
            platforms: DEFAULT_PLATFORMS.iter().map(|p| p.to_string()).collect(),
            response: ResponseSettings::default(),
            webhooks: WebhookSettings::default(),
            tiplines: TiplineSettings::default(),
            report_upkeep_interval: Duration::from_secs(30),
            contact_erasure_interval: Duration::from_secs(3600),
            max_text_bytes: tangkal_model::DEFAULT_MAX_TEXT_BYTES,
            distributed_intake: None,
            drill: None,
        }
    }
}

/// Everything handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: Arc<StorePool>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<ServerConfig>,
    metrics: Arc<metrics::Metrics>,
    passwords: Arc<throttle::PasswordGate>,
    webhook_secrets: Arc<webhook_secrets::SecretSeal>,
    public_budget: Arc<throttle::KeyedBudget<throttle::Network>>,
    search: Arc<search::SearchIndex>,
    transparency_figures: Arc<api::takedowns::FiguresCache>,
    reports: Arc<intake::ReportDesk>,
    tiplines: Arc<tiplines::Tiplines>,
    coordination: Arc<desk::narrative::CoordinationCache>,
    push: Arc<push::PushIntake>,
}

impl AppState {
    /// Opens (and migrates) the store in the data directory, and builds the instant-answer matcher from
    /// its fact-checks (about a second for 17,000).
    /// Blocks (PostgreSQL's client panics on an async thread): call it from a thread of its own or
    /// `block_in_place`.
    pub fn new(config: ServerConfig, clock: Arc<dyn Clock>) -> tangkal_store::Result<AppState> {
        let pool = StorePool::open(&config.store, config.audit_files.clone(), config.pool_size)?;
        evidence::remove_stale_uploads(&config.store.data_dir, Duration::from_secs(3600));
        let webhook_key = config.webhooks.key_file.clone();
        let webhook_key = webhook_key.unwrap_or_else(|| config.store.data_dir.join(webhook_secrets::KEY_FILE));
        let store = tangkal_store::open(&config.store)?;
        let reports = intake::ReportDesk::open(store.as_ref(), &config.store.data_dir, &config.response.reports)?;
        let mut metrics = metrics::Metrics::default();
        metrics.register_matcher_calls(reports.answers.matcher_calls.clone());
        if config.distributed_intake.is_some() {
            metrics.register_intake();
        }
        let push = push::PushIntake::start(
            config.store.clone(),
            config.audit_files.clone(),
            clock.clone(),
            config.max_text_bytes,
            config.distributed_intake.clone(),
        );
        Ok(AppState {
            push: Arc::new(push),
            tiplines: Arc::new(tiplines::Tiplines::new(&config.tiplines)),
            webhook_secrets: Arc::new(webhook_secrets::SecretSeal::new(webhook_key)),
            pool: Arc::new(pool),
            clock,
            passwords: Arc::new(throttle::PasswordGate::new(config.sign_in.clone())),
            public_budget: Arc::new(throttle::KeyedBudget::new(
                config.public_limits.per_network,
                config.public_limits.max_networks,
            )),
            config: Arc::new(config),
            metrics: Arc::new(metrics),
            search: Arc::default(),
            transparency_figures: Arc::default(),
            coordination: Arc::default(),
            reports: Arc::new(reports),
        })
    }

    /// Keys the sign-in budgets hold: bounded whatever clients send.
    pub fn sign_in_tracked_keys(&self) -> usize {
        self.passwords.tracked_keys()
    }

    /// Networks the public budget holds: bounded whatever clients send.
    pub fn public_tracked_networks(&self) -> usize {
        self.public_budget.len()
    }
}

/// The policy of every response that does not set its own: nothing loads or runs (no script at all,
/// so injected markup stays inert), forms post only here, and no other site may frame a page.
/// A page that needs more (a stylesheet, an image) sets its own policy, keeping `frame-ancestors 'none'`.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole application.
pub fn app(state: AppState) -> Router {
    // One method router per path, so each path answers unknown methods with a problem document that
    // names the methods it has.
    let mut paths: Vec<(&'static str, Vec<String>, axum::routing::MethodRouter<AppState>)> = Vec::new();
    for route in routes::table(state.config.max_upload_bytes) {
        let (spec, handler) = routes::guarded(&state, route);
        match paths.iter_mut().find(|(path, _, _)| *path == spec.path) {
            Some((_, methods, existing)) => {
                methods.push(spec.method.to_string());
                *existing = std::mem::take(existing).merge(handler);
            }
            None => paths.push((spec.path, vec![spec.method.to_string()], handler)),
        }
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods, handler)| {
            let allow = methods.join(", ");
            router.route(path, handler.fallback(move || ops::method_not_allowed(allow)))
        })
        .fallback(ops::not_found)
        .layer(RequestBodyTimeoutLayer::new(state.config.body_timeout))
        .layer(axum::middleware::from_fn(problem::as_problem))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// The log span of a request: method and path, never the query string, which may carry a secret (a
/// report's status token) or what someone searched for.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), version = ?request.version())
}

/// Serves until `shutdown` resolves, then stops accepting and gives in-flight requests
/// `shutdown_timeout` to finish before dropping their connections. Store writes are single
/// transactions, so a stop never leaves half a change behind. The audit trail's head is checkpointed
/// every `audit_checkpoint_interval` and once more at the end. Webhook deliveries and deadline events
/// run beside the requests; a delivery cut off by the stop is sent again on the next start.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = connections::Limits {
        header_timeout: state.config.header_timeout,
        shutdown_timeout: state.config.shutdown_timeout,
    };
    let checkpoints = tokio::spawn(checkpoint_audit_periodically(state.clone()));
    // Build the search index now rather than on the first search.
    let warm = state.clone();
    tokio::spawn(async move { warm.search.sync(&warm.pool).await });
    desk::narrative::refresh_coordination(&state);
    let webhook_tasks = webhooks::spawn(&state);
    let tipline_sender = tiplines::sender::spawn(&state);
    let upkeep = tokio::spawn(keep_reports_up_to_date(state.clone()));
    let erasure = tokio::spawn(erase_expired_contacts_periodically(state.clone()));
    let served = connections::run(listener, app(state.clone()), limits, shutdown).await;
    checkpoints.abort();
    webhook_tasks.iter().for_each(|task| task.abort());
    tipline_sender.iter().for_each(|task| task.abort());
    upkeep.abort();
    erasure.abort();
    let push = state.push.clone();
    let _ = tokio::task::spawn_blocking(move || push.stop()).await;
    checkpoint_audit(&state).await;
    served
}

/// Anchors the audit trail's head outside the database while the server runs: only events newer than the
/// newest checkpoint could be deleted unnoticed. Writes nothing while the head stays put.
async fn checkpoint_audit_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(state.config.audit_checkpoint_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        checkpoint_audit(&state).await;
    }
}

async fn checkpoint_audit(state: &AppState) {
    let now = state.clock.now();
    // A failure is logged where it is turned into a problem (`Problem::internal`).
    let _ = state.pool.run(move |s| s.checkpoint_audit(now)).await;
}

/// Brings what reports are answered and placed with up to date: the instant-answer matcher is rebuilt
/// in the background when the store's fact-checks changed (a clarification published, an import), at
/// once when many were published since the last rebuild, and the narratives are read again when an
/// ingest wrote new ones. Requests keep the old ones meanwhile.
async fn keep_reports_up_to_date(state: AppState) {
    let mut ticks = tokio::time::interval(state.config.report_upkeep_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = state.reports.answers.rebuild_soon.notified() => {}
        }
        let desk = state.reports.clone();
        let outdated = state
            .pool
            .run(move |s| if desk.answers.outdated(s)? { desk.answers.read(s).map(Some) } else { Ok(None) })
            .await;
        let desk = state.reports.clone();
        let rebuilt = tokio::task::spawn_blocking(move || {
            if let Ok(Some(snapshot)) = outdated {
                desk.answers.install(snapshot);
            }
            if let Err(e) = desk.narratives.refresh() {
                tracing::warn!(target: "tangkal::reports", "cannot read the narratives again: {e:#}");
            }
        })
        .await;
        if let Err(e) = rebuilt {
            tracing::error!(target: "tangkal::reports", "report upkeep failed: {e}");
        }
    }
}

/// Erases reporters' contacts once they are older than the retention period (`[response.reports]
/// contact_retention_days`), by the server's clock: the contacts given with reports, and tipline
/// contacts whose last message is that old. Tipline message ids are kept a week, longer than the
/// platforms retry a delivery.
async fn erase_expired_contacts_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(state.config.contact_erasure_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = state.clock.now();
        let before = state.config.response.reports.erase_contacts_received_before(now);
        match state.pool.run(move |s| s.erase_expired_contacts(before, now)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(target: "tangkal::reports", "erased the contacts of {n} reports"),
            // Logged where it became a problem (`Problem::internal`).
            Err(_) => {}
        }
        let seen_before = now - chrono::Duration::days(7);
        match state.pool.run(move |s| s.erase_expired_tipline_contacts(before, seen_before, now)).await {
            Ok(0) | Err(_) => {}
            Ok(n) => tracing::info!(target: "tangkal::tiplines", "deleted {n} tipline contacts past their retention"),
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    // Installed now, not when the future is first polled: a signal that arrives between binding the
    // listener and serving would otherwise take its default action and kill the process.
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let (interrupt, terminate) = handlers;
            tokio::select! {
                _ = wait(interrupt) => {},
                _ = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

/// The account created on first start.
pub const FIRST_ADMIN: &str = "admin";

/// On a store without users, creates the `admin` account with a random password and returns that
/// password, to be shown once. Returns None when users exist.
pub fn bootstrap_admin(store: &mut dyn Store, clock: &dyn Clock) -> anyhow::Result<Option<String>> {
    if store.count_users()? > 0 {
        return Ok(None);
    }
    let password = auth::new_secret();
    let hash = auth::hash_password(&password)?;
    let admin = NewUser {
        username: FIRST_ADMIN,
        display_name: "Administrator",
        role: Role::Admin,
        platform: None,
        organisation: api::accounts::DEFAULT_ORGANISATION,
        password_hash: &hash,
        time_zone: views::DEFAULT_TIME_ZONE.name(),
    };
    store.add_user(&admin, "system:first-start", clock.now())?;
    Ok(Some(password))
}
