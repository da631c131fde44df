//! Tiplines: citizens forward a suspicious message to a WhatsApp number or a Telegram bot and get the
//! answer in the chat. This crate is the pure part: reading both platforms' webhook payloads, checking
//! that a delivery comes from the platform, what a message means in the conversation, the replies in
//! Indonesian and English, and the bodies of the messages sent back. The server does the I/O.

use serde::{Deserialize, Serialize};

pub mod conversation;
pub mod telegram;
pub mod whatsapp;

/// Where a citizen wrote from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Whatsapp,
    Telegram,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Whatsapp, Channel::Telegram];

    /// Also the report's `platform` and `channel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Whatsapp => "whatsapp",
            Channel::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The languages replies are written in; Indonesian unless the sender's is known to be English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "id")]
    Indonesian,
    #[serde(rename = "en")]
    English,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Indonesian => "id",
            Language::English => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        match code {
            "id" => Some(Language::Indonesian),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// From a platform's language tag (Telegram's `language_code`, an IETF tag such as `en-GB`).
    pub fn of_tag(tag: &str) -> Language {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Language::English
        } else {
            Language::Indonesian
        }
    }

    /// From what someone wrote: English when the detector is confident of it, else Indonesian (most
    /// senders write it, and short or mixed texts are more often Indonesian).
    pub fn of_text(text: &str) -> Language {
        match tangkal_text::language::detect(text) {
            Some(g) if g.language == tangkal_text::language::Language::English && g.confidence >= 0.6 => {
                Language::English
            }
            _ => Language::Indonesian,
        }
    }
}

/// Whether the message was forwarded to the sender, as the platform says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forwarded {
    #[default]
    No,
    Yes,
    /// WhatsApp's "forwarded many times": it went through five or more chats.
    Often,
}

impl Forwarded {
    pub fn as_str(self) -> &'static str {
        match self {
            Forwarded::No => "no",
            Forwarded::Yes => "yes",
            Forwarded::Often => "often",
        }
    }
}

/// A message from a citizen, as either platform delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub channel: Channel,
    /// The platform's id for the message, the same on every retry of its delivery (WhatsApp's message
    /// id, Telegram's update id): duplicates are recognised by it.
    pub message_id: String,
    /// Who wrote, as the platform names them, and where replies go (a WhatsApp number, a Telegram chat).
    pub sender: String,
    /// The sender's language, when the platform gives it.
    pub language: Option<Language>,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A text, or the caption of an image or a video.
    Text { text: String, forwarded: Forwarded },
    /// Something without words to check: a sticker, a location, a reaction, a photo without caption.
    Unsupported,
}

impl Inbound {
    /// The language to answer in: the platform's word for it, else what the text reads like.
    pub fn reply_language(&self) -> Language {
        match (&self.language, &self.content) {
            (Some(language), _) => *language,
            (None, Content::Text { text, .. }) => Language::of_text(text),
            (None, Content::Unsupported) => Language::Indonesian,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_the_platform_or_the_text() {
        assert_eq!(Language::of_tag("en-GB"), Language::English);
        assert_eq!(Language::of_tag("id"), Language::Indonesian);
        assert_eq!(Language::of_tag("ms"), Language::Indonesian);
        assert_eq!(
            Language::of_text("Please check this message, is it true that the vaccine contains a chip?"),
            Language::English
        );
        assert_eq!(Language::of_text("Tolong cek, benarkah vaksin ini berisi chip?"), Language::Indonesian);
        assert_eq!(Language::of_text("🙏🙏"), Language::Indonesian);
    }
}
