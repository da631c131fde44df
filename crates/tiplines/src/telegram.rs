//! The Telegram Bot API: the secret token Telegram sends with each update, the updates themselves, and
//! the bodies of `sendMessage` and `setWebhook`.

use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::{Channel, Content, Forwarded, Inbound, Language};

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Whether the update carries the configured secret token, compared in constant time. An empty secret
/// admits nothing.
pub fn secret_valid(configured: &str, header: Option<&str>) -> bool {
    !configured.is_empty() && header.is_some_and(|h| bool::from(h.as_bytes().ct_eq(configured.as_bytes())))
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    chat: Chat,
    from: Option<User>,
    text: Option<String>,
    caption: Option<String>,
    forward_origin: Option<Value>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct User {
    language_code: Option<String>,
}

/// The message in an update, if it is one written to the bot in a private chat: its text or its
/// caption, anything else (a sticker, a location, a photo without caption) as unsupported. Other
/// updates (edits, group chats, membership changes) are none.
pub fn parse(body: &[u8]) -> Result<Option<Inbound>, serde_json::Error> {
    let update: Update = serde_json::from_slice(body)?;
    let Some(message) = update.message.filter(|m| m.chat.kind == "private") else { return Ok(None) };
    let forwarded = if message.forward_origin.is_some() { Forwarded::Yes } else { Forwarded::No };
    let content = match message.text.or(message.caption).filter(|t| !t.trim().is_empty()) {
        Some(text) => Content::Text { text, forwarded },
        None => Content::Unsupported,
    };
    Ok(Some(Inbound {
        channel: Channel::Telegram,
        message_id: update.update_id.to_string(),
        sender: message.chat.id.to_string(),
        language: message.from.and_then(|u| u.language_code).map(|tag| Language::of_tag(&tag)),
        content,
    }))
}

/// A Bot API method's address: `{api_base}/bot{token}/{method}`.
pub fn method_url(api_base: &str, bot_token: &str, method: &str) -> String {
    format!("{}/bot{bot_token}/{method}", api_base.trim_end_matches('/'))
}

pub fn send_message(chat_id: &str, text: &str) -> Value {
    json!({ "chat_id": chat_id, "text": text })
}

/// Registers `url` for updates of messages only, sent with `secret_token`.
pub fn set_webhook(url: &str, secret_token: &str) -> Value {
    json!({ "url": url, "secret_token": secret_token, "allowed_updates": ["message"] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_secret_is_let_in() {
        assert!(secret_valid("s3cret", Some("s3cret")));
        assert!(!secret_valid("s3cret", Some("s3cret ")));
        assert!(!secret_valid("s3cret", None));
        assert!(!secret_valid("", Some("")), "no secret configured");
    }

    #[test]
    fn private_messages_are_read_with_language_and_forwarding() {
        let body = br#"{"update_id":77,"message":{"message_id":5,"date":1,
            "from":{"id":42,"is_bot":false,"first_name":"A","language_code":"en"},
            "chat":{"id":42,"type":"private"},"forward_origin":{"type":"user","date":1},
            "photo":[{"file_id":"x"}],"caption":"Is this true?"}}"#;
        let inbound = parse(body).unwrap().unwrap();
        assert_eq!((inbound.message_id.as_str(), inbound.sender.as_str()), ("77", "42"));
        assert_eq!(inbound.language, Some(Language::English));
        assert_eq!(inbound.content, Content::Text { text: "Is this true?".into(), forwarded: Forwarded::Yes });

        let sticker =
            br#"{"update_id":78,"message":{"message_id":6,"date":1,"chat":{"id":42,"type":"private"},"sticker":{}}}"#;
        assert_eq!(parse(sticker).unwrap().unwrap().content, Content::Unsupported);
        let group =
            br#"{"update_id":79,"message":{"message_id":7,"date":1,"chat":{"id":-5,"type":"group"},"text":"hi"}}"#;
        assert_eq!(parse(group).unwrap(), None);
        assert_eq!(parse(br#"{"update_id":80,"edited_message":{}}"#).unwrap(), None);
        assert!(parse(b"[]").is_err());
    }

    #[test]
    fn outgoing_bodies_follow_the_bot_api() {
        assert_eq!(
            method_url("https://api.telegram.org/", "1:abc", "sendMessage"),
            "https://api.telegram.org/bot1:abc/sendMessage"
        );
        assert_eq!(send_message("42", "Halo")["chat_id"], "42");
        assert_eq!(set_webhook("https://t.example/hooks/telegram", "s")["allowed_updates"][0], "message");
    }
}
