//! `/hooks/whatsapp` and `/hooks/telegram`: what the platforms call. Anything that comes from the
//! platform (correctly signed, or with the secret token) is answered 200 once taken, whatever it holds
//! (malformed JSON, stickers, status callbacks), so the platform does not deliver it again and again;
//! a bad or missing signature is refused (401, 403) with nothing stored. A store failure is a 500: the
//! platform delivers again later, and the message ids it already took are skipped.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand_core::OsRng;
use tangkal_response::report::{CitizenReport, NewReport, StatusToken, ValidReport, MAX_TEXT_CHARS};
use tangkal_store::{NewTip, TipAction, TipTaken};
use tangkal_tiplines::conversation::{intent, Intent};
use tangkal_tiplines::{telegram, whatsapp, Channel, Forwarded, Inbound};

use super::{report_channel, sender_hash};
use crate::{AppState, Problem};

/// Larger deliveries are not read: the platforms' own are a few kilobytes.
pub const MAX_HOOK_BYTES: usize = 256 * 1024;

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn off(channel: Channel) -> Response {
    Problem::not_found(format!("the {} tipline is not configured", channel.as_str())).into_response()
}

/// Meta's verification handshake: echoes `hub.challenge` for the configured verify token.
pub async fn whatsapp_verify(State(state): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(settings) = &state.config.tiplines.whatsapp else { return off(Channel::Whatsapp) };
    let param = |name: &str| query.get(name).map(String::as_str);
    let challenge = whatsapp::handshake(
        param("hub.mode"),
        param("hub.verify_token"),
        param("hub.challenge"),
        &settings.verify_token,
    );
    match challenge {
        Some(challenge) => ([(header::CONTENT_TYPE, "text/plain")], challenge.to_string()).into_response(),
        None => Problem::forbidden("not a subscription with the configured verify token").into_response(),
    }
}

pub async fn whatsapp_receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(settings) = &state.config.tiplines.whatsapp else { return off(Channel::Whatsapp) };
    let Ok(body) = axum::body::to_bytes(body, MAX_HOOK_BYTES).await else {
        // Unread, it cannot be checked: refused like anything unsigned.
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Payload too large", None::<String>)
            .into_response();
    };
    let Some(signature) = header_value(&headers, whatsapp::SIGNATURE_HEADER) else {
        return Problem::unauthenticated().into_response();
    };
    if !whatsapp::signature_valid(&settings.app_secret, &body, Some(signature)) {
        return Problem::forbidden("the X-Hub-Signature-256 signature does not match the body").into_response();
    }
    match whatsapp::parse(&body, &settings.phone_number_id) {
        Ok(messages) => take_all(&state, messages).await,
        Err(e) => ignored(Channel::Whatsapp, &e),
    }
}

pub async fn telegram_receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(settings) = &state.config.tiplines.telegram else { return off(Channel::Telegram) };
    match header_value(&headers, telegram::SECRET_HEADER) {
        None => return Problem::unauthenticated().into_response(),
        Some(sent) if !telegram::secret_valid(&settings.secret_token, Some(sent)) => {
            return Problem::forbidden("the secret token does not match").into_response();
        }
        Some(_) => {}
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_HOOK_BYTES).await else {
        return ignored(Channel::Telegram, &"larger than the hook takes");
    };
    match telegram::parse(&body) {
        Ok(message) => take_all(&state, message.into_iter().collect()).await,
        Err(e) => ignored(Channel::Telegram, &e),
    }
}

/// A delivery from the platform with nothing to take: logged (without its content) and answered 200.
fn ignored(channel: Channel, why: &dyn std::fmt::Display) -> Response {
    tracing::warn!(target: "tangkal::tiplines", channel = channel.as_str(), "delivery ignored: {why}");
    StatusCode::OK.into_response()
}

async fn take_all(state: &AppState, messages: Vec<Inbound>) -> Response {
    for message in messages {
        if let Err(problem) = take(state, message).await {
            return problem.into_response();
        }
    }
    StatusCode::OK.into_response()
}

/// What a message comes to before the store.
enum Taking {
    Check(ValidReport, Forwarded),
    Start,
    Stop,
    Delete,
    NothingToCheck,
}

/// Takes one message: a report with its instant answer or its place in triage, a command, or a polite
/// word about what cannot be checked, stored in one transaction with the replies.
pub(crate) async fn take(state: &AppState, message: Inbound) -> Result<Option<TipTaken>, Problem> {
    let channel = message.channel;
    let hash = sender_hash(&state.webhook_secrets, channel, &message.sender)?;
    let sender_key = u64::from_le_bytes(hash[..8].try_into().expect("eight bytes"));
    if state.tiplines.per_sender.check(&sender_key).is_err() {
        state.metrics.tipline_messages.get_or_create(&crate::metrics::ChannelOutcome::of(channel, "over_budget")).inc();
        return Ok(None);
    }
    let address = state.webhook_secrets.seal(&message.sender).map_err(Problem::internal)?;
    let language = message.reply_language();
    let taking = match intent(&message.content) {
        Intent::Check { text, forwarded } => {
            let text: String = text.chars().take(MAX_TEXT_CHARS).collect();
            let new = NewReport { text: Some(text), url: None, platform: channel.as_str().into(), contact: None };
            // Emoji only, control characters: nothing the report rules take, so nothing to check.
            match new.validate(&[channel.as_str().to_string()]) {
                Ok(valid) => Taking::Check(valid, forwarded),
                Err(_) => Taking::NothingToCheck,
            }
        }
        Intent::Start => Taking::Start,
        Intent::Stop => Taking::Stop,
        Intent::Delete => Taking::Delete,
        Intent::Unsupported => Taking::NothingToCheck,
    };
    let retention_days = state.config.response.reports.contact_retention_days;
    let (desk, now, token_hash) = (state.reports.clone(), state.clock.now(), StatusToken::generate(&mut OsRng).hash());
    let taken = state
        .pool
        .run(move |s| {
            let report = match &taking {
                Taking::Check(valid, _) => {
                    let intake = desk.triage(s, valid, report_channel(channel))?;
                    Some(CitizenReport::received(valid, &intake, now))
                }
                _ => None,
            };
            let action = match (&taking, &report) {
                (Taking::Check(_, forwarded), Some(report)) => {
                    TipAction::Report { report, token_hash, forwarded: *forwarded }
                }
                (Taking::Start, _) => TipAction::Start,
                (Taking::Stop, _) => TipAction::Stop,
                (Taking::Delete, _) => TipAction::Delete,
                _ => TipAction::NothingToCheck,
            };
            let tip = NewTip {
                channel,
                message_id: &message.message_id,
                sender_hash: &hash,
                address: &address,
                language,
                action,
                retention_days,
                at: now,
            };
            let _turn = desk.write_turn();
            s.take_tip(&tip)
        })
        .await?;
    let outcome = match &taken {
        TipTaken::Duplicate => "duplicate",
        TipTaken::Taken { report: Some(r), .. } if r.answer.is_some() => "answered",
        TipTaken::Taken { report: Some(_), .. } => "received",
        TipTaken::Taken { report: None, .. } => "other",
    };
    state.metrics.tipline_messages.get_or_create(&crate::metrics::ChannelOutcome::of(channel, outcome)).inc();
    state.tiplines.wake_sender.notify_one();
    Ok(Some(taken))
}
