//! The conversation: what a message asks for, the replies (Indonesian or English), what waits in the
//! outbox, and when a later message may still be sent (WhatsApp's 24-hour customer-service window).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{Channel, Content, Forwarded, Language};

/// WhatsApp lets a business write freely this long after the customer's last message; later, only
/// approved templates.
pub const SERVICE_WINDOW: Duration = Duration::hours(24);

/// What a message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Check this text (becomes a report).
    Check { text: String, forwarded: Forwarded },
    /// Telegram's `/start`, or "mulai": the welcome, and follow-ups again after a stop.
    Start,
    /// "stop", "berhenti": no more follow-ups.
    Stop,
    /// "hapus": delete what is kept about the sender.
    Delete,
    /// Nothing to check in it (a sticker, a location, a photo without caption).
    Unsupported,
}

/// Reads a message: the commands are single words, in either language, with or without Telegram's `/`.
pub fn intent(content: &Content) -> Intent {
    let Content::Text { text, forwarded } = content else { return Intent::Unsupported };
    let word = text.trim().trim_start_matches('/').trim_end_matches(['.', '!']).to_lowercase();
    match word.as_str() {
        "start" | "mulai" => Intent::Start,
        "stop" | "berhenti" => Intent::Stop,
        "hapus" | "delete" => Intent::Delete,
        _ => Intent::Check { text: text.clone(), forwarded: *forwarded },
    }
}

/// A message for the sender, before it is put in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// First contact: what this is, and the privacy notice.
    Welcome {
        retention_days: u32,
    },
    /// A published fact-check answers the message.
    Answer {
        rating: &'a str,
        title: &'a str,
        url: &'a str,
    },
    /// Received for the fact-checkers, with the reference to quote.
    Received {
        reference: &'a str,
    },
    /// A case the report joined published its clarification.
    Followup {
        reference: &'a str,
        rating: &'a str,
        title: &'a str,
        url: &'a str,
    },
    Stopped,
    Resumed,
    Deleted,
    /// Nothing to check: no words (a sticker, emoji only), or only a link.
    NothingToCheck,
}

/// The reply in the sender's language.
pub fn words(reply: &Reply<'_>, language: Language) -> String {
    use Language::*;
    match (reply, language) {
        (Reply::Welcome { retention_days }, Indonesian) => format!(
            "Halo! Ini layanan cek fakta Tangkal. Teruskan pesan yang mencurigakan ke sini; kami jawab dengan \
             cek fakta yang sudah terbit, atau tim kami memeriksanya.\n\n\
             Privasi (UU PDP): kami menyimpan pesan yang Anda kirim dan nomor/akun Anda dalam bentuk tersandi, \
             hanya untuk membalas Anda, selama {retention_days} hari sejak pesan terakhir Anda. \
             Ketik STOP agar tidak menerima kabar lanjutan, atau HAPUS untuk menghapus data Anda kapan saja."
        ),
        (Reply::Welcome { retention_days }, English) => format!(
            "Hello! This is Tangkal's fact-checking service. Forward a suspicious message here; we answer with \
             a published fact-check, or our team looks into it.\n\n\
             Privacy (Indonesia's personal data protection law, UU PDP): we keep the messages you send and your \
             number or account, sealed, only to reply to you, for {retention_days} days after your last \
             message. Send STOP to get no follow-ups, or HAPUS to delete your data at any time."
        ),
        (Reply::Answer { rating, title, url }, Indonesian) => {
            format!("Pesan ini sudah dicek: {rating}.\n{title}\n{url}")
        }
        (Reply::Answer { rating, title, url }, English) => {
            format!("This message has been fact-checked: {rating}.\n{title}\n{url}")
        }
        (Reply::Received { reference }, Indonesian) => format!(
            "Terima kasih, pesan Anda kami terima dengan nomor {reference}. Belum ada cek fakta yang cocok; \
             tim kami akan memeriksanya dan mengabari Anda di sini bila ada jawaban."
        ),
        (Reply::Received { reference }, English) => format!(
            "Thank you, we received your message as {reference}. No published fact-check matches it yet; our \
             team will look into it and tell you here when there is an answer."
        ),
        (Reply::Followup { reference, rating, title, url }, Indonesian) => {
            format!("Laporan Anda {reference} kini punya jawaban: {rating}.\n{title}\n{url}")
        }
        (Reply::Followup { reference, rating, title, url }, English) => {
            format!("Your report {reference} now has an answer: {rating}.\n{title}\n{url}")
        }
        (Reply::Stopped, Indonesian) => {
            "Baik, Anda tidak akan menerima kabar lanjutan lagi. Ketik MULAI untuk menerimanya kembali.".into()
        }
        (Reply::Stopped, English) => "All right, you will get no more follow-ups. Send START to get them again.".into(),
        (Reply::Resumed, Indonesian) => "Anda akan menerima kabar lanjutan lagi.".into(),
        (Reply::Resumed, English) => "You will get follow-ups again.".into(),
        (Reply::Deleted, Indonesian) => {
            "Data Anda sudah kami hapus: nomor/akun Anda dan kaitannya dengan laporan Anda.".into()
        }
        (Reply::Deleted, English) => {
            "We deleted your data: your number or account and its link to your reports.".into()
        }
        (Reply::NothingToCheck, Indonesian) => {
            "Maaf, kami hanya bisa memeriksa teks. Kirimkan isi pesannya (teks atau keterangan foto/video).".into()
        }
        (Reply::NothingToCheck, English) => {
            "Sorry, we can only check text. Send the message's words (a text, or a photo or video caption).".into()
        }
    }
}

/// A message waiting in the outbox. A reply is put in words when received; a follow-up when sent, in the
/// sender's language then, and by the rules of that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    Reply { text: String },
    Followup { reference: String, rating: String, title: String, slug: String },
}

/// How a waiting message may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sending {
    /// As written.
    Free,
    /// Only as the configured template (WhatsApp outside the window).
    Template,
    /// Not at all.
    Drop,
}

/// Telegram bots may write whenever the user has not blocked them. WhatsApp allows free text within
/// [`SERVICE_WINDOW`] of the sender's last message; later a follow-up goes as a template if one is
/// configured, and a reply that waited that long (failed attempts) is dropped.
pub fn sending(
    channel: Channel,
    outgoing: &Outgoing,
    last_inbound: DateTime<Utc>,
    now: DateTime<Utc>,
    template: bool,
) -> Sending {
    if channel == Channel::Telegram || now - last_inbound < SERVICE_WINDOW {
        return Sending::Free;
    }
    match outgoing {
        Outgoing::Followup { .. } if template => Sending::Template,
        _ => Sending::Drop,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn text(t: &str) -> Content {
        Content::Text { text: t.into(), forwarded: Forwarded::No }
    }

    #[test]
    fn commands_are_single_words_in_either_language() {
        assert_eq!(intent(&text("STOP")), Intent::Stop);
        assert_eq!(intent(&text(" berhenti ")), Intent::Stop);
        assert_eq!(intent(&text("Hapus.")), Intent::Delete);
        assert_eq!(intent(&text("/start")), Intent::Start);
        assert_eq!(
            intent(&text("stop penipuan ini")),
            Intent::Check { text: "stop penipuan ini".into(), forwarded: Forwarded::No }
        );
        assert_eq!(intent(&Content::Unsupported), Intent::Unsupported);
    }

    #[test]
    fn replies_are_written_in_both_languages_with_what_they_name() {
        let answer = Reply::Answer { rating: "HOAKS", title: "Vaksin berisi chip", url: "https://cek.id/a" };
        for language in [Language::Indonesian, Language::English] {
            let said = words(&answer, language);
            assert!(said.contains("HOAKS") && said.contains("Vaksin berisi chip") && said.contains("https://cek.id/a"));
            let welcome = words(&Reply::Welcome { retention_days: 90 }, language);
            assert!(welcome.contains("90") && welcome.contains("UU PDP") && welcome.contains("HAPUS"), "{welcome}");
        }
        assert!(words(&Reply::Received { reference: "ADU/2026/03/000001" }, Language::English).starts_with("Thank you"));
    }

    #[test]
    fn whatsapp_follow_ups_keep_to_the_service_window() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        let followup =
            Outgoing::Followup { reference: "r".into(), rating: "HOAKS".into(), title: "t".into(), slug: "s".into() };
        let reply = Outgoing::Reply { text: "x".into() };
        let later = t + Duration::hours(25);
        assert_eq!(sending(Channel::Whatsapp, &followup, t, t + Duration::hours(23), false), Sending::Free);
        assert_eq!(sending(Channel::Whatsapp, &followup, t, later, true), Sending::Template);
        assert_eq!(sending(Channel::Whatsapp, &followup, t, later, false), Sending::Drop);
        assert_eq!(sending(Channel::Whatsapp, &reply, t, later, true), Sending::Drop);
        assert_eq!(sending(Channel::Telegram, &followup, t, later, false), Sending::Free);
    }
}
