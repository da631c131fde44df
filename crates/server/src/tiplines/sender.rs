//! Sends what waits in the tipline outbox: replies at once, follow-ups when a clarification is
//! published. Messages to one chat go in order; each platform's rate limits are kept (a message over
//! them waits for a later round, unattempted); a failure is retried with backoff, from the store, so a
//! restart loses nothing. Whether a message may go at all is decided when it is sent: a follow-up to
//! someone who stopped them is dropped, and on WhatsApp outside the 24-hour window it goes as the
//! configured template or not at all.

use std::collections::HashMap;
use std::time::Duration;

use rand_core::{OsRng, RngCore};
use serde_json::Value;
use tangkal_response::webhook::RetryPolicy;
use tangkal_store::{DueMessage, SendResult};
use tangkal_tiplines::conversation::{sending, words, Outgoing, Reply, Sending};
use tangkal_tiplines::{telegram, whatsapp, Channel, Language};
use tokio::task::JoinSet;

use crate::throttle::{Budget, KeyedBudget};
use crate::AppState;

/// Messages read from the outbox per round.
const BATCH: usize = 200;

/// Starts the sender when a channel is configured.
pub(crate) fn spawn(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let settings = &state.config.tiplines;
    (settings.whatsapp.is_some() || settings.telegram.is_some()).then(|| tokio::spawn(send_periodically(state.clone())))
}

/// The platforms' rate limits: all messages of a channel, and Telegram's to one chat.
struct Limits {
    whatsapp: KeyedBudget<()>,
    telegram: KeyedBudget<()>,
    telegram_chat: KeyedBudget<u64>,
}

impl Limits {
    fn new(state: &AppState) -> Limits {
        let settings = &state.config.tiplines;
        let per_second = |n: u32| Budget::per_second(n.max(1), n.max(1));
        let whatsapp = settings.whatsapp.as_ref().map_or(80, |w| w.messages_per_second);
        let (telegram, chat) =
            settings.telegram.as_ref().map_or((30, 1), |t| (t.messages_per_second, t.per_chat_per_second));
        Limits {
            whatsapp: KeyedBudget::new(per_second(whatsapp), 1),
            telegram: KeyedBudget::new(per_second(telegram), 1),
            // A welcome and its answer go together; then one a second.
            telegram_chat: KeyedBudget::new(Budget::per_second(3, chat), 100_000),
        }
    }

    fn admit(&self, channel: Channel, address: &str) -> bool {
        match channel {
            Channel::Whatsapp => self.whatsapp.check(&()).is_ok(),
            Channel::Telegram => {
                let chat = xxhash_rust::xxh3::xxh3_64(address.as_bytes());
                self.telegram_chat.check(&chat).is_ok() && self.telegram.check(&()).is_ok()
            }
        }
    }
}

async fn send_periodically(state: AppState) {
    let settings = &state.config.tiplines;
    let timeout = Duration::from_secs(settings.timeout_secs.max(1));
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Tangkal-Tiplines/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(target: "tangkal::tiplines", error = %e, "no HTTP client for tiplines: nothing will be sent");
            return;
        }
    };
    let limits = std::sync::Arc::new(Limits::new(&state));
    let mut ticks = tokio::time::interval(Duration::from_millis(settings.poll_interval_ms.max(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = state.tiplines.wake_sender.notified() => {}
        }
        let now = state.clock.now();
        let Ok(due) = state.pool.run(move |s| s.due_tipline_messages(now, BATCH)).await else { continue };
        // One task per chat, sending its messages in order; what became of them is recorded together.
        let mut chats: HashMap<String, Vec<DueMessage>> = HashMap::new();
        let mut results = Vec::new();
        for message in due {
            match state.webhook_secrets.open(&message.address) {
                Ok(address) => chats.entry(address).or_default().push(message),
                Err(why) => {
                    tracing::warn!(target: "tangkal::tiplines", message = message.id, "cannot open the address: {why}");
                    results.push((message.id, SendResult::Failed { retry_at: None }));
                }
            }
        }
        let mut tasks = JoinSet::new();
        for (address, messages) in chats {
            let (state, client, limits) = (state.clone(), client.clone(), limits.clone());
            tasks.spawn(async move {
                let mut results = Vec::new();
                let mut messages = messages.into_iter();
                for message in messages.by_ref() {
                    if !limits.admit(message.channel, &address) {
                        results.push((message.id, SendResult::Deferred { until: state.clock.now() }));
                        break;
                    }
                    let result = send(&state, &client, &message, &address).await;
                    let outcome = match result {
                        SendResult::Sent => "sent",
                        SendResult::Dropped => "dropped",
                        SendResult::Failed { .. } => "failed",
                        SendResult::Deferred { .. } => unreachable!("send() never defers"),
                    };
                    let labels = crate::metrics::ChannelOutcome::of(message.channel, outcome);
                    state.metrics.tipline_sends.get_or_create(&labels).inc();
                    results.push((message.id, result));
                    if !matches!(result, SendResult::Sent | SendResult::Dropped) {
                        break;
                    }
                }
                // The rest of the chat waits for the one that was not sent, and is due again with it.
                let until = results.last().and_then(|(_, r)| match r {
                    SendResult::Failed { retry_at } => *retry_at,
                    SendResult::Deferred { until } => Some(*until),
                    SendResult::Sent | SendResult::Dropped => None,
                });
                results.extend(
                    messages.map(|m| (m.id, SendResult::Deferred { until: until.unwrap_or(state.clock.now()) })),
                );
                results
            });
        }
        while let Some(done) = tasks.join_next().await {
            results.extend(done.unwrap_or_default());
        }
        if !results.is_empty() {
            record(&state, results).await;
        }
    }
}

/// Records what became of a round's messages in one transaction, taking its turn with the report writes
/// (see `crate::intake`): an incoming message's transaction then never waits in SQLite's busy handler
/// for the sender's.
async fn record(state: &AppState, results: Vec<(i64, SendResult)>) {
    let desk = state.reports.clone();
    // A failure is logged where it becomes a problem; the messages are sent again, at worst.
    let _ = state
        .pool
        .run(move |s| {
            let _turn = desk.write_turn();
            s.record_tipline_sends(&results)
        })
        .await;
}

/// What to POST where, and with which bearer token.
struct Request {
    url: String,
    bearer: Option<String>,
    body: Value,
}

/// The request for a message as the rules allow it now, or None when it is not to be sent.
fn request(state: &AppState, message: &DueMessage, address: &str) -> Option<Request> {
    let now = state.clock.now();
    let settings = &state.config.tiplines;
    let language = message.contact.map_or(Language::Indonesian, |c| c.language);
    let how = match (&message.message, message.contact) {
        (Outgoing::Followup { .. }, None) => Sending::Drop,
        (Outgoing::Followup { .. }, Some(c)) if !c.subscribed => Sending::Drop,
        (_, None) => Sending::Free,
        (outgoing, Some(c)) => {
            let template = settings.whatsapp.as_ref().is_some_and(|w| w.followup_template.is_some());
            sending(message.channel, outgoing, c.last_inbound, now, template)
        }
    };
    let site = &state.config.response.site;
    let text = match &message.message {
        Outgoing::Reply { text } => text.clone(),
        Outgoing::Followup { reference, rating, title, slug } => {
            words(&Reply::Followup { reference, rating, title, url: &site.clarification_url(slug) }, language)
        }
    };
    match (message.channel, how) {
        (_, Sending::Drop) => None,
        (Channel::Whatsapp, how) => {
            let w = settings.whatsapp.as_ref()?;
            let body = match (&message.message, how, &w.followup_template) {
                (Outgoing::Followup { title, slug, .. }, Sending::Template, Some(template)) => {
                    let link = site.clarification_url(slug);
                    whatsapp::template_message(address, template, language, &[title.as_str(), link.as_str()])
                }
                _ => whatsapp::text_message(address, &text),
            };
            let url = whatsapp::messages_url(&w.api_base, &w.phone_number_id);
            Some(Request { url, bearer: Some(w.access_token.clone()), body })
        }
        (Channel::Telegram, _) => {
            let t = settings.telegram.as_ref()?;
            let url = telegram::method_url(&t.api_base, &t.bot_token, "sendMessage");
            Some(Request { url, bearer: None, body: telegram::send_message(address, &text) })
        }
    }
}

async fn send(state: &AppState, client: &reqwest::Client, message: &DueMessage, address: &str) -> SendResult {
    let Some(request) = request(state, message, address) else { return SendResult::Dropped };
    let mut post = client
        .post(&request.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(request.body.to_string());
    if let Some(token) = &request.bearer {
        post = post.bearer_auth(token);
    }
    let status = match post.send().await {
        Ok(response) => Some(response.status()),
        Err(e) => {
            // Without the URL: Telegram's carries the bot token.
            tracing::warn!(target: "tangkal::tiplines", message = message.id, "send failed: {}", e.without_url());
            None
        }
    };
    match status {
        Some(s) if s.is_success() => SendResult::Sent,
        // The platform refuses this message for good (a blocked bot, a number not on WhatsApp).
        Some(s) if s.is_client_error() && s.as_u16() != 429 && s.as_u16() != 408 => {
            tracing::warn!(target: "tangkal::tiplines", message = message.id, status = s.as_u16(), "send refused");
            SendResult::Failed { retry_at: None }
        }
        _ => {
            let settings = &state.config.tiplines;
            let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
            let policy = RetryPolicy {
                base: secs(settings.retry_base_secs),
                max: secs(settings.retry_max_secs),
                max_attempts: settings.max_attempts.max(1),
            };
            let jitter = f64::from(OsRng.next_u32()) / f64::from(u32::MAX);
            let wait = policy.next_wait(message.attempts + 1, jitter);
            SendResult::Failed { retry_at: wait.map(|w| state.clock.now() + w) }
        }
    }
}
