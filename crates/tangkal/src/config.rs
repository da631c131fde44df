//! Settings: built-in defaults, then the TOML file, then `TANGKAL_*` environment variables.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// The configuration file read when `--config` is not given and the file exists.
pub const DEFAULT_CONFIG_FILE: &str = "tangkal.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the embedded store, reject files and uploads live.
    pub data_dir: PathBuf,
    /// `postgres://user@host:port/database`: keep the store in PostgreSQL instead of the data directory
    /// (several servers can then share it). `TANGKAL_DATABASE_URL` or `--database-url` also set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `nats://host:port`: the distributed intake's NATS (`tangkal worker`, `placer`, `status`, and the push
    /// API, which then publishes). `TANGKAL_NATS_URL` or `--nats` also set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    /// The distributed intake's stream (see docs/deploy.md).
    #[serde(default)]
    pub intake: IntakeSettings,
    pub ingest: IngestConfig,
    pub server: ServerSettings,
    pub audit: AuditSettings,
    /// Takedown platforms and legal basis, the transparency log's delay, the public site.
    #[serde(default)]
    pub response: tangkal_server::ResponseSettings,
    /// Webhook deliveries: timeouts, retries, when a failing endpoint is disabled, private addresses.
    #[serde(default)]
    pub webhooks: tangkal_server::WebhookSettings,
    /// The WhatsApp and Telegram tiplines: platform credentials, rate limits, retries.
    #[serde(default)]
    pub tiplines: tangkal_server::TiplineSettings,
}

/// Where the audit trail's key and checkpoints live; both default to the data directory. Keep them off the
/// database's host where you can: whoever holds the database and both can rewrite the trail.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// The secret the trail is signed with [default: DATA_DIR/audit.key].
    pub key_file: Option<PathBuf>,
    /// Where signed checkpoints of the trail are appended [default: DATA_DIR/audit.checkpoints].
    pub checkpoint_file: Option<PathBuf>,
}

/// `tangkal serve`; each setting can also be given on its command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on.
    pub bind: std::net::SocketAddr,
    /// Mark session cookies Secure: set when TLS terminates in front of Tangkal.
    pub secure_cookies: bool,
    /// Largest evidence file accepted, in MiB.
    pub max_upload_mib: u64,
    /// Store connections working at once.
    pub pool_size: usize,
    /// Seconds a client has to send a request's headers.
    pub header_timeout_secs: u64,
    /// Longest pause, in seconds, while a request body arrives.
    pub body_timeout_secs: u64,
    /// Seconds in-flight requests get to finish on SIGTERM before their connections are dropped.
    pub shutdown_timeout_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client; nobody else's is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Password checks one network (IPv4 address or IPv6 /64) may make at once before it is slowed to
    /// one every 30 seconds; raise it when many people sign in from behind one address.
    pub sign_in_network_burst: u32,
    /// Requests one network may make to the public routes (pages, feeds, the public API) at once before
    /// it is held to `public_per_second`; answered 429 beyond that.
    pub public_burst: u32,
    /// Requests a second one network may make to the public routes after its burst.
    pub public_per_second: u32,
    /// The platforms a case may name (lower-case identifiers, as in the item format).
    pub platforms: Vec<String>,
}

/// The distributed intake: names on NATS and how workers treat messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSettings {
    /// The items stream; `<stream>_DEAD`, `<stream>_MATCH` and `<stream>_ALIVE` are named after it.
    pub stream: String,
    /// The first token of the intake's subjects (`<prefix>.items.<platform>`, `<prefix>.dead.items`).
    pub subject_prefix: String,
    /// Deliveries after which a message the store refuses goes to the dead letters.
    pub max_deliver: i64,
    /// Messages a worker writes per transaction.
    pub batch: usize,
    /// Seconds a worker may hold a message before it goes to another (set when the stream's consumer is
    /// first created): how long the messages of a worker that died wait.
    pub ack_wait_secs: u64,
}

impl Default for IntakeSettings {
    fn default() -> IntakeSettings {
        IntakeSettings {
            stream: tangkal_intake::DEFAULT_STREAM.into(),
            subject_prefix: tangkal_intake::DEFAULT_SUBJECT_PREFIX.into(),
            max_deliver: 5,
            batch: 1_000,
            ack_wait_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Items per transaction: larger is faster, smaller loses less work to a crash.
    pub batch_size: usize,
    /// Texts larger than this many bytes are rejected.
    pub max_text_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("tangkal-data"),
            database_url: None,
            nats_url: None,
            intake: IntakeSettings::default(),
            ingest: IngestConfig {
                batch_size: tangkal_pipeline::IngestOptions::default().batch_size,
                max_text_bytes: tangkal_model::DEFAULT_MAX_TEXT_BYTES,
            },
            server: ServerSettings {
                bind: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
                secure_cookies: false,
                max_upload_mib: 20,
                pool_size: 8,
                header_timeout_secs: 10,
                body_timeout_secs: 30,
                shutdown_timeout_secs: 10,
                trusted_proxies: Vec::new(),
                sign_in_network_burst: tangkal_server::throttle::SignInLimits::default().per_network.burst,
                public_burst: tangkal_server::throttle::PublicLimits::DEFAULT_BURST,
                public_per_second: tangkal_server::throttle::PublicLimits::DEFAULT_PER_SECOND,
                platforms: tangkal_server::DEFAULT_PLATFORMS.iter().map(|p| p.to_string()).collect(),
            },
            audit: AuditSettings::default(),
            response: tangkal_server::ResponseSettings::default(),
            webhooks: tangkal_server::WebhookSettings::default(),
            tiplines: tangkal_server::TiplineSettings::default(),
        }
    }
}

impl Config {
    pub fn audit_files(&self) -> tangkal_store::AuditFiles {
        let defaults = tangkal_store::AuditFiles::in_data_dir(&self.data_dir);
        tangkal_store::AuditFiles {
            key: self.audit.key_file.clone().unwrap_or(defaults.key),
            checkpoints: self.audit.checkpoint_file.clone().unwrap_or(defaults.checkpoints),
        }
    }

    /// The configured store: PostgreSQL when `database_url` is set, else SQLite in the data directory.
    pub fn store_location(&self) -> tangkal_store::StoreLocation {
        tangkal_store::StoreLocation { data_dir: self.data_dir.clone(), database_url: self.database_url.clone() }
    }

    /// The distributed intake at `url` (the `--to` of an ingest), else at the configured `nats_url`.
    pub fn intake(&self, url: Option<&str>) -> anyhow::Result<tangkal_intake::IntakeConfig> {
        let url = url.or(self.nats_url.as_deref()).context("no NATS: set nats_url, TANGKAL_NATS_URL or --nats")?;
        let mut intake = tangkal_intake::IntakeConfig::new(url);
        intake.stream = self.intake.stream.clone();
        intake.subject_prefix = self.intake.subject_prefix.clone();
        intake.ack_wait = std::time::Duration::from_secs(self.intake.ack_wait_secs.max(1));
        Ok(intake)
    }

    /// The PostgreSQL store the distributed intake's workers and placer share.
    pub fn intake_database(&self) -> anyhow::Result<&str> {
        self.database_url.as_deref().context("the distributed intake keeps its items in PostgreSQL: set database_url")
    }

    /// A connection to the intake's PostgreSQL store, for what only PostgreSQL answers (the placer's leader).
    pub fn open_postgres(&self) -> anyhow::Result<tangkal_store::PostgresStore> {
        Ok(tangkal_store::PostgresStore::connect(self.intake_database()?, self.audit_files())?)
    }

    /// Where the store is, for messages (never with a password).
    pub fn store_description(&self) -> String {
        self.store_location().to_string()
    }

    /// Opens the store with the configured audit key and checkpoint file.
    pub fn open_store(&self) -> tangkal_store::Result<Box<dyn tangkal_store::Store>> {
        let mut store = tangkal_store::open(&self.store_location())?;
        store.set_audit_files(self.audit_files());
        Ok(store)
    }

    /// [`Config::open_store`] for a bulk import ([`tangkal_store::open_for_import`]).
    pub fn open_store_for_import(&self) -> tangkal_store::Result<Box<dyn tangkal_store::Store>> {
        let mut store = tangkal_store::open_for_import(&self.store_location())?;
        store.set_audit_files(self.audit_files());
        Ok(store)
    }

    /// Loads the configuration. An explicitly named file must exist; the default one is optional.
    /// Environment variables use `__` between levels: `TANGKAL_INGEST__BATCH_SIZE=100000`.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match explicit {
            Some(path) => {
                anyhow::ensure!(path.is_file(), "configuration file {} does not exist", path.display());
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        // These variables stand for command-line options, not settings.
        figment
            .merge(Env::prefixed("TANGKAL_").split("__").ignore(&["log_format", "config", "pull_token"]))
            .extract()
            .context("invalid configuration")
    }
}
