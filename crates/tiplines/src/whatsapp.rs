//! The WhatsApp Cloud API: Meta's verification handshake, the `X-Hub-Signature-256` check, the
//! `messages` webhook, and the bodies sent to `POST {api_base}/{phone_number_id}/messages`.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{Channel, Content, Forwarded, Inbound, Language};

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The challenge to echo when `hub.mode`, `hub.verify_token` and `hub.challenge` are Meta's request
/// to subscribe with the configured token; None otherwise.
pub fn handshake<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    verify_token: &str,
) -> Option<&'a str> {
    let token_matches = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(verify_token.as_bytes())));
    (mode == Some("subscribe") && !verify_token.is_empty() && token_matches).then_some(challenge?)
}

/// Whether `header` is `sha256=` and the hex HMAC-SHA256 of `body` under the app secret, compared in
/// constant time. An empty secret signs nothing.
pub fn signature_valid(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(sent) = header.and_then(|h| h.strip_prefix("sha256=")).and_then(decode_hex) else { return false };
    if app_secret.is_empty() {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&sent).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: ChangeValue,
}

#[derive(Deserialize, Default)]
struct ChangeValue {
    #[serde(default)]
    metadata: Metadata,
    /// Absent from status callbacks (sent, delivered, read), which are not messages.
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    /// The business number the messages were sent to.
    #[serde(default)]
    phone_number_id: String,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    from: String,
    #[serde(default)]
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    text: Option<TextBody>,
    image: Option<Media>,
    video: Option<Media>,
    context: Option<Context>,
}

#[derive(Deserialize)]
struct TextBody {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct Media {
    caption: Option<String>,
}

#[derive(Deserialize)]
struct Context {
    #[serde(default)]
    forwarded: bool,
    #[serde(default)]
    frequently_forwarded: bool,
}

/// Message types that are not something the sender wrote or sent, and get no reply: a reaction to a
/// message, a system notice (a number change).
const NOT_WRITTEN: [&str; 2] = ["reaction", "system"];

/// The messages in a webhook delivery to the business number `phone_number_id`: texts, and images and
/// videos by their caption; anything else (stickers, locations, reactions) as unsupported. Status callbacks
/// carry none. Messages to another number of the same app are left out (the replies would come from ours),
/// and so is a message without a sender or an id (it cannot be answered or told from its retries), a
/// reaction or a system notice.
pub fn parse(body: &[u8], phone_number_id: &str) -> Result<Vec<Inbound>, serde_json::Error> {
    let payload: Payload = serde_json::from_slice(body)?;
    let messages = payload
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .filter(|c| c.field == "messages" && c.value.metadata.phone_number_id == phone_number_id);
    Ok(messages
        .flat_map(|c| c.value.messages)
        .filter(|m| !m.from.is_empty() && !m.id.is_empty() && !NOT_WRITTEN.contains(&m.kind.as_str()))
        .map(|m| {
            let forwarded = match &m.context {
                Some(c) if c.frequently_forwarded => Forwarded::Often,
                Some(c) if c.forwarded => Forwarded::Yes,
                _ => Forwarded::No,
            };
            let text = match m.kind.as_str() {
                "text" => m.text.map(|t| t.body),
                "image" => m.image.and_then(|i| i.caption),
                "video" => m.video.and_then(|v| v.caption),
                _ => None,
            };
            let content = match text.filter(|t| !t.trim().is_empty()) {
                Some(text) => Content::Text { text, forwarded },
                None => Content::Unsupported,
            };
            Inbound { channel: Channel::Whatsapp, message_id: m.id, sender: m.from, language: None, content }
        })
        .collect())
}

/// Where messages are sent from the business number.
pub fn messages_url(api_base: &str, phone_number_id: &str) -> String {
    format!("{}/{phone_number_id}/messages", api_base.trim_end_matches('/'))
}

/// A free-form text, allowed within the customer-service window.
pub fn text_message(to: &str, text: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": { "preview_url": true, "body": text },
    })
}

/// An approved template, the only kind of message allowed outside the window; `parameters` fill its
/// body's placeholders in order.
pub fn template_message(to: &str, template: &str, language: Language, parameters: &[&str]) -> Value {
    let parameters: Vec<Value> = parameters.iter().map(|p| json!({ "type": "text", "text": p })).collect();
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template,
            "language": { "code": language.code() },
            "components": [{ "type": "body", "parameters": parameters }],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    #[test]
    fn signatures_are_checked_over_the_exact_body() {
        let body = br#"{"entry":[]}"#;
        let header = sign("rahasia", body);
        assert!(signature_valid("rahasia", body, Some(&header)));
        assert!(signature_valid("rahasia", body, Some(&header.to_uppercase().replace("SHA256=", "sha256="))));
        assert!(!signature_valid("rahasia", br#"{"entry": []}"#, Some(&header)), "another body");
        assert!(!signature_valid("lain", body, Some(&header)), "another secret");
        assert!(!signature_valid("rahasia", body, None));
        assert!(!signature_valid("rahasia", body, Some(header.trim_start_matches("sha256="))));
        assert!(!signature_valid("rahasia", body, Some("sha256=zz")));
        assert!(!signature_valid("", body, Some(&sign("", body))), "no secret configured");
    }

    #[test]
    fn the_handshake_echoes_the_challenge_for_the_right_token_only() {
        assert_eq!(handshake(Some("subscribe"), Some("tok"), Some("123"), "tok"), Some("123"));
        assert_eq!(handshake(Some("subscribe"), Some("bad"), Some("123"), "tok"), None);
        assert_eq!(handshake(Some("unsubscribe"), Some("tok"), Some("123"), "tok"), None);
        assert_eq!(handshake(Some("subscribe"), Some(""), Some("123"), ""), None, "no token configured");
        assert_eq!(handshake(Some("subscribe"), Some("tok"), None, "tok"), None);
    }

    #[test]
    fn messages_are_read_with_captions_and_forwarding_and_the_rest_is_unsupported() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "messaging_product":"whatsapp","metadata":{"phone_number_id":"99"},
            "contacts":[{"profile":{"name":"Budi"},"wa_id":"6281234567890"}],
            "messages":[
              {"from":"6281234567890","id":"wamid.1","timestamp":"1","type":"text","text":{"body":"Cek ini"},
               "context":{"forwarded":true,"frequently_forwarded":true}},
              {"from":"6281234567890","id":"wamid.2","timestamp":"1","type":"image","image":{"id":"m","caption":"Foto banjir"},
               "context":{"forwarded":true}},
              {"from":"6281234567890","id":"wamid.3","timestamp":"1","type":"sticker","sticker":{"id":"s"}},
              {"from":"6281234567890","id":"wamid.4","timestamp":"1","type":"video","video":{"id":"v"}},
              {"from":"6281234567890","id":"wamid.6","timestamp":"1","type":"reaction","reaction":{"message_id":"wamid.1","emoji":"\ud83d\udc4d"}},
              {"id":"wamid.5","type":"text","text":{"body":"no sender"}}
            ]}},
            {"field":"messages","value":{"metadata":{"phone_number_id":"99"},"statuses":[{"id":"wamid.0","status":"read"}]}},
            {"field":"messages","value":{"metadata":{"phone_number_id":"98"},"messages":[
              {"from":"6281234567890","id":"wamid.7","timestamp":"1","type":"text","text":{"body":"to another number"}}]}}]}]}"#;
        let got = parse(body, "99").unwrap();
        let contents: Vec<_> = got.iter().map(|m| (m.message_id.as_str(), m.content.clone())).collect();
        assert_eq!(
            contents,
            [
                ("wamid.1", Content::Text { text: "Cek ini".into(), forwarded: Forwarded::Often }),
                ("wamid.2", Content::Text { text: "Foto banjir".into(), forwarded: Forwarded::Yes }),
                ("wamid.3", Content::Unsupported),
                ("wamid.4", Content::Unsupported),
            ]
        );
        assert!(got.iter().all(|m| m.sender == "6281234567890" && m.channel == Channel::Whatsapp));
        assert!(parse(b"{not json", "99").is_err());
        assert_eq!(parse(b"{}", "99").unwrap(), []);
    }

    #[test]
    fn outgoing_bodies_follow_the_cloud_api() {
        assert_eq!(
            messages_url("https://graph.facebook.com/v21.0/", "99"),
            "https://graph.facebook.com/v21.0/99/messages"
        );
        let text = text_message("628", "Halo");
        assert_eq!((text["type"].as_str(), text["text"]["body"].as_str()), (Some("text"), Some("Halo")));
        let template = template_message("628", "jawaban_aduan", Language::English, &["Judul", "https://x.id/a"]);
        assert_eq!(template["template"]["language"]["code"], "en");
        assert_eq!(template["template"]["components"][0]["parameters"][1]["text"], "https://x.id/a");
    }
}
