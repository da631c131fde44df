//! Tiplines: citizens forward a suspicious message to a WhatsApp number or a Telegram bot and get the
//! answer in the chat. The hooks ([`hooks`]) check that a delivery comes from the platform, read it
//! (`tangkal_tiplines`), and take each message as a citizen report like any other (the instant answer
//! and triage of `crate::intake`) in one store transaction with its replies; the sender ([`sender`])
//! sends the replies and later follow-ups from the store's outbox, with retries and within the
//! platforms' rate limits and rules.
//!
//! Senders are known by a keyed hash of their number or chat id (a key derived from the sealing key of
//! `crate::webhook_secrets`), and the address replies go to is kept sealed with that key.

pub mod hooks;
pub mod sender;

use std::fmt;

use hmac::Mac;
use serde::{Deserialize, Serialize};
use tangkal_response::report::{Allowance, ReportChannel};
use tangkal_tiplines::Channel;

use crate::throttle::KeyedBudget;
use crate::webhook_secrets::SecretSeal;
use crate::Problem;

/// The `[tiplines]` section of `tangkal.toml`. A channel without its section is off (its hook answers
/// 404).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TiplineSettings {
    pub whatsapp: Option<WhatsappSettings>,
    pub telegram: Option<TelegramSettings>,
    /// Messages one sender may send before they are taken more slowly; over it, messages are ignored
    /// (the platform is still answered 200, so it does not retry).
    pub per_sender: Allowance,
    /// Attempts per outgoing message, the first included.
    pub max_attempts: u32,
    /// Wait after a first failed send; it doubles after each further one, up to `retry_max_secs`.
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    /// Longest wait for the platform's answer to a send.
    pub timeout_secs: u64,
    /// How often the sender looks for messages to send.
    pub poll_interval_ms: u64,
}

impl Default for TiplineSettings {
    fn default() -> TiplineSettings {
        TiplineSettings {
            whatsapp: None,
            telegram: None,
            per_sender: Allowance { burst: 20, every_secs: 30 },
            max_attempts: 8,
            retry_base_secs: 5,
            retry_max_secs: 3600,
            timeout_secs: 10,
            poll_interval_ms: 200,
        }
    }
}

/// `[tiplines.whatsapp]`: a WhatsApp Business number on the Cloud API.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WhatsappSettings {
    /// The Graph API's base, version included.
    pub api_base: String,
    #[serde(deserialize_with = "text")]
    pub phone_number_id: String,
    /// A system user's permanent access token with `whatsapp_business_messaging`.
    #[serde(deserialize_with = "text")]
    pub access_token: String,
    /// The app's secret: deliveries are signed with it (`X-Hub-Signature-256`).
    #[serde(deserialize_with = "text")]
    pub app_secret: String,
    /// The token typed in Meta's webhook set-up, echoed in the verification handshake.
    #[serde(deserialize_with = "text")]
    pub verify_token: String,
    /// An approved template for follow-ups outside the 24-hour window, with two body parameters: the
    /// clarification's title and its link. None: such follow-ups are not sent.
    pub followup_template: Option<String>,
    /// Messages sent a second, at most (the Cloud API's default throughput is 80).
    pub messages_per_second: u32,
}

impl Default for WhatsappSettings {
    fn default() -> WhatsappSettings {
        WhatsappSettings {
            api_base: "https://graph.facebook.com/v21.0".into(),
            phone_number_id: String::new(),
            access_token: String::new(),
            app_secret: String::new(),
            verify_token: String::new(),
            followup_template: None,
            messages_per_second: 80,
        }
    }
}

/// `[tiplines.telegram]`: a bot made with @BotFather.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramSettings {
    pub api_base: String,
    pub bot_token: String,
    /// Sent by Telegram with every update (`X-Telegram-Bot-Api-Secret-Token`); set with `tangkal tipline
    /// telegram set-webhook`. 1 to 256 characters of `A-Z a-z 0-9 _ -`.
    #[serde(deserialize_with = "text")]
    pub secret_token: String,
    /// Messages sent a second in all (Telegram's limit is about 30)...
    pub messages_per_second: u32,
    /// ...and to one chat (about 1).
    pub per_chat_per_second: u32,
}

impl Default for TelegramSettings {
    fn default() -> TelegramSettings {
        TelegramSettings {
            api_base: "https://api.telegram.org".into(),
            bot_token: String::new(),
            secret_token: String::new(),
            messages_per_second: 30,
            per_chat_per_second: 1,
        }
    }
}

/// A string as written, also when it reads as a number: ids and tokens of digits come so from TOML
/// without quotes and from environment variables (`TANGKAL_TIPLINES__WHATSAPP__PHONE_NUMBER_ID=1055…`).
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Unsigned(u64),
        Signed(i64),
    }
    Ok(match Written::deserialize(deserializer)? {
        Written::Text(s) => s,
        Written::Unsigned(n) => n.to_string(),
        Written::Signed(n) => n.to_string(),
    })
}

/// Secrets stay out of logs, whoever prints the configuration.
impl fmt::Debug for WhatsappSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsappSettings")
            .field("api_base", &self.api_base)
            .field("phone_number_id", &self.phone_number_id)
            .field("followup_template", &self.followup_template)
            .field("messages_per_second", &self.messages_per_second)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TelegramSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("api_base", &self.api_base)
            .field("messages_per_second", &self.messages_per_second)
            .field("per_chat_per_second", &self.per_chat_per_second)
            .finish_non_exhaustive()
    }
}

/// Most senders the per-sender budget tracks.
const MAX_TRACKED_SENDERS: usize = 100_000;

/// What the hooks share besides the application's state.
pub struct Tiplines {
    per_sender: KeyedBudget<u64>,
    /// Told when messages were queued, so the sender need not wait for its next poll.
    pub(crate) wake_sender: tokio::sync::Notify,
}

impl Tiplines {
    pub fn new(settings: &TiplineSettings) -> Tiplines {
        Tiplines {
            per_sender: KeyedBudget::new(crate::intake::budget(settings.per_sender), MAX_TRACKED_SENDERS),
            wake_sender: tokio::sync::Notify::new(),
        }
    }
}

/// The keyed hash a sender is known by: HMAC-SHA256 of channel and id under a key derived from the
/// sealing key, so the same person is found again and the database alone names nobody.
fn sender_hash(seal: &SecretSeal, channel: Channel, sender: &str) -> Result<[u8; 32], Problem> {
    let key = seal.derive("tangkal tipline senders").map_err(Problem::internal)?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(channel.as_str().as_bytes());
    mac.update(b":");
    mac.update(sender.as_bytes());
    Ok(mac.finalize().into_bytes().into())
}

/// Registers `url` as the bot's webhook, sent with the configured secret token (`setWebhook`); returns
/// Telegram's word on it.
pub async fn set_telegram_webhook(settings: &TelegramSettings, url: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let endpoint = tangkal_tiplines::telegram::method_url(&settings.api_base, &settings.bot_token, "setWebhook");
    let body = tangkal_tiplines::telegram::set_webhook(url, &settings.secret_token);
    let response = client
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        // Without the URL: it carries the bot token.
        .map_err(|e| anyhow::anyhow!("setWebhook: {}", e.without_url()))?;
    let status = response.status();
    let answer: serde_json::Value =
        serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or_default();
    let description = answer["description"].as_str().unwrap_or("no description").to_string();
    anyhow::ensure!(status.is_success() && answer["ok"] == true, "setWebhook refused ({status}): {description}");
    Ok(description)
}

fn report_channel(channel: Channel) -> ReportChannel {
    match channel {
        Channel::Whatsapp => ReportChannel::Whatsapp,
        Channel::Telegram => ReportChannel::Telegram,
    }
}
