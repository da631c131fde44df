//! Citizen reports (*aduan*): a message or link someone saw, checked before anything is stored, with a
//! reference number and a random status token (kept only as a hash) to follow it up.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tangkal_cases::{Actor, Permission};
use tangkal_model::NarrativeId;

use crate::text::{clean_text, web_url};
use crate::{Reference, ReferenceKind, ResponseError};

pub const MAX_TEXT_CHARS: usize = 5000;
pub const MAX_CONTACT_CHARS: usize = 200;
pub const MAX_REASON_CHARS: usize = 2000;
/// Accepted besides the configured platforms: people also see hoaxes by SMS, on posters, by word of mouth.
pub const OTHER_PLATFORM: &str = "other";

/// A burst of reports, then one more every `every_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowance {
    pub burst: u32,
    pub every_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Days a reporter's contact is kept; then it is erased.
    pub contact_retention_days: u32,
    /// Reports from one network (an IPv4 address or an IPv6 /64). Many people share an address behind
    /// a mobile carrier's NAT, so this is generous; it stops floods, not people.
    pub per_network: Allowance,
    /// Reports giving one contact, wherever they come from.
    pub per_contact: Allowance,
}

impl Default for ReportConfig {
    fn default() -> ReportConfig {
        ReportConfig {
            contact_retention_days: 90,
            per_network: Allowance { burst: 30, every_secs: 10 },
            per_contact: Allowance { burst: 5, every_secs: 600 },
        }
    }
}

impl ReportConfig {
    /// Contacts of reports received before this instant are to be erased at `now`.
    pub fn erase_contacts_received_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.contact_retention_days.into())
    }
}

/// What someone sends, as the API and the form take it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// The message as received.
    #[serde(default)]
    pub text: Option<String>,
    /// Where it was seen.
    #[serde(default)]
    pub url: Option<String>,
    pub platform: String,
    /// E-mail or phone number, to be told the outcome; kept for a limited time, never published.
    #[serde(default)]
    pub contact: Option<String>,
}

/// A report that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidReport {
    pub text: Option<String>,
    pub url: Option<String>,
    pub platform: String,
    pub contact: Option<String>,
    /// The words to match against fact-checks: the text without its links, when it has any words.
    pub matchable_text: Option<String>,
}

fn is_link(s: &str) -> Option<String> {
    web_url("url", s).ok().map(|u| u.to_string())
}

/// An e-mail address or a phone number, loosely: enough to tell a typo from a contact.
fn checked_contact(contact: &str) -> Result<Option<String>, ResponseError> {
    let contact = clean_text("contact", contact, MAX_CONTACT_CHARS, false, false)?;
    if contact.is_empty() {
        return Ok(None);
    }
    let email = contact.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && user.chars().all(|c| c.is_alphanumeric() || ".!#$%'*+/=?^_`{|}~-".contains(c))
            && domain.split('.').count() >= 2
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'))
    });
    let digits = contact.chars().filter(char::is_ascii_digit).count();
    let phone = (8..=15).contains(&digits) && contact.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if email || phone {
        Ok(Some(contact))
    } else {
        Err(ResponseError::invalid("contact", "must be an e-mail address or a phone number"))
    }
}

/// A link as the API takes it: `http` or `https`, printable ASCII (anything else percent-encoded), no
/// surrounding white space. Exactly what the API document states, so the two cannot disagree.
fn checked_link(field: &'static str, value: &str) -> Result<String, ResponseError> {
    let scheme = value.starts_with("http://") || value.starts_with("https://");
    if !scheme || !value.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        return Err(ResponseError::invalid(
            field,
            "must be an http or https link written in printable ASCII (percent-encode anything else)",
        ));
    }
    Ok(web_url(field, value)?.to_string())
}

/// The platform a report names: one of `platforms`, or [`OTHER_PLATFORM`], written exactly so.
fn checked_platform(platform: &str, platforms: &[String]) -> Result<String, ResponseError> {
    if platform == OTHER_PLATFORM || platforms.iter().any(|p| p == platform) {
        return Ok(platform.to_string());
    }
    let known = platforms.join(", ");
    Err(ResponseError::invalid("platform", format!("must be one of {known}, or {OTHER_PLATFORM}")))
}

impl NewReport {
    /// Checks the report against the platforms where posts are seen (the item format's names). An empty
    /// `url` or `contact` counts as none. A text of links only counts as its links (the first becomes
    /// `url` when none was given); a text without words (emoji, symbols) counts as no text; one of text
    /// or link must remain.
    pub fn validate(&self, platforms: &[String]) -> Result<ValidReport, ResponseError> {
        let platform = checked_platform(&self.platform, platforms)?;
        let text = match &self.text {
            Some(t) => Some(clean_text("text", t, MAX_TEXT_CHARS, false, true)?).filter(|t| !t.is_empty()),
            None => None,
        };
        let mut url = match self.url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => Some(checked_link("url", u)?),
            None => None,
        };
        let mut matchable_text = None;
        if let Some(text) = &text {
            let finder = linkify::LinkFinder::new();
            let mut words = String::with_capacity(text.len());
            for span in finder.spans(text) {
                match span.kind() {
                    Some(linkify::LinkKind::Url) => {
                        if url.is_none() {
                            url = is_link(span.as_str());
                        }
                        words.push(' ');
                    }
                    _ => words.push_str(span.as_str()),
                }
            }
            if words.chars().any(char::is_alphanumeric) {
                matchable_text = Some(words.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        if matchable_text.is_none() && url.is_none() {
            let reason = match text {
                Some(_) => "has no words to check (only emoji or symbols): add the message's words or a link",
                None => "or url must be given",
            };
            return Err(ResponseError::invalid("text", reason));
        }
        let contact = self.contact.as_deref().map(checked_contact).transpose()?.flatten();
        Ok(ValidReport { text, url, platform, contact, matchable_text })
    }
}

/// The secret a reporter uses to follow their report. Only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusToken(String);

impl StatusToken {
    /// 256 random bits, URL-safe base64.
    pub fn generate(rng: &mut impl CryptoRngCore) -> StatusToken {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        StatusToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> [u8; 32] {
        token_hash(&self.0)
    }
}

/// SHA-256 of a token: enough for 256 random bits (no slow hash needed), and a stolen copy of the
/// database gives nobody a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` is the one whose hash was stored, compared in constant time.
pub fn token_matches(token: &str, stored_hash: &[u8]) -> bool {
    bool::from(token_hash(token).as_slice().ct_eq(stored_hash))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting in triage (placed in a narrative and its case when there was one).
    Received,
    /// Answered on the spot by a published fact-check.
    Answered,
    /// An analyst tied it to a case.
    Linked,
    /// An analyst set it aside, with a reason.
    Dismissed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] =
        [ReportStatus::Received, ReportStatus::Answered, ReportStatus::Linked, ReportStatus::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Received => "received",
            ReportStatus::Answered => "answered",
            ReportStatus::Linked => "linked",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        ReportStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportChannel {
    /// The `/lapor` form.
    #[default]
    Web,
    /// `POST /api/v1/reports`.
    Api,
    Whatsapp,
    Telegram,
}

impl ReportChannel {
    pub const ALL: [ReportChannel; 4] =
        [ReportChannel::Web, ReportChannel::Api, ReportChannel::Whatsapp, ReportChannel::Telegram];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportChannel::Web => "web",
            ReportChannel::Api => "api",
            ReportChannel::Whatsapp => "whatsapp",
            ReportChannel::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<ReportChannel> {
        ReportChannel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The fact-check that answered a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportAnswer {
    pub rating: String,
    pub title: String,
    pub url: String,
}

/// What intake found for a report before it is stored: an instant answer, or where it belongs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportIntake {
    pub channel: ReportChannel,
    pub answer: Option<ReportAnswer>,
    pub narrative_id: Option<NarrativeId>,
    pub case_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitizenReport {
    pub id: i64,
    pub reference: String,
    pub text: Option<String>,
    pub url: Option<String>,
    pub platform: String,
    pub channel: ReportChannel,
    /// None when none was given or once erased. Never serialised, so that no list, export or page shows
    /// it by accident: whatever tells the reporter the outcome reads the field itself.
    #[serde(default, skip_serializing)]
    pub contact: Option<String>,
    pub contact_erased: bool,
    pub status: ReportStatus,
    pub answer: Option<ReportAnswer>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub narrative_id: Option<NarrativeId>,
    pub case_id: Option<i64>,
    pub dismiss_reason: Option<String>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the reporter may see of their report: nothing they or others wrote, and nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublicReportStatus {
    pub reference: String,
    pub status: ReportStatus,
    /// The fact-check that answers the report: the instant answer, or the clarification published later
    /// for the case it joined.
    pub answer: Option<ReportAnswer>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An analyst's change to a report.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportChange {
    LinkCase { case_id: i64 },
    Dismiss { reason: String },
}

impl ReportChange {
    /// The audit trail's name for this change.
    pub fn action(&self) -> &'static str {
        match self {
            ReportChange::LinkCase { .. } => "report.link",
            ReportChange::Dismiss { .. } => "report.dismiss",
        }
    }
}

impl CitizenReport {
    /// The report as first stored: answered when intake found an answer, else received.
    pub fn received(report: &ValidReport, intake: &ReportIntake, now: DateTime<Utc>) -> CitizenReport {
        CitizenReport {
            id: 0,
            reference: String::new(),
            text: report.text.clone(),
            url: report.url.clone(),
            platform: report.platform.clone(),
            channel: intake.channel,
            contact: report.contact.clone(),
            contact_erased: false,
            status: if intake.answer.is_some() { ReportStatus::Answered } else { ReportStatus::Received },
            answer: intake.answer.clone(),
            narrative_id: intake.narrative_id,
            case_id: intake.case_id,
            dismiss_reason: None,
            received_at: now,
            updated_at: now,
        }
    }

    /// Gives a stored report its id and reference number.
    pub fn assign_reference(&mut self, id: i64) {
        self.id = id;
        self.reference = Reference::new(ReferenceKind::Report, self.received_at, id.max(0) as u64).to_string();
    }

    pub fn public_status(&self) -> PublicReportStatus {
        PublicReportStatus {
            reference: self.reference.clone(),
            status: self.status,
            answer: self.answer.clone(),
            received_at: self.received_at,
            updated_at: self.updated_at,
        }
    }

    /// Applies an analyst's change; a dismissed report is settled.
    pub fn apply(&mut self, change: ReportChange, actor: &Actor, now: DateTime<Utc>) -> Result<(), ResponseError> {
        actor.require(Permission::WorkReports)?;
        if self.status == ReportStatus::Dismissed {
            return Err(ResponseError::NotAllowed(format!("report {} was dismissed", self.reference)));
        }
        match change {
            ReportChange::LinkCase { case_id } => {
                self.case_id = Some(case_id);
                self.status = ReportStatus::Linked;
            }
            ReportChange::Dismiss { reason } => {
                self.dismiss_reason = Some(clean_text("reason", &reason, MAX_REASON_CHARS, true, true)?);
                self.status = ReportStatus::Dismissed;
            }
        }
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;
    use tangkal_cases::Role;

    use super::*;
    use crate::fixtures::{actor, t0};

    fn report(text: Option<&str>, url: Option<&str>) -> NewReport {
        NewReport {
            text: text.map(str::to_string),
            url: url.map(str::to_string),
            platform: "whatsapp_channel".into(),
            contact: None,
        }
    }

    fn check(r: NewReport) -> Result<ValidReport, ResponseError> {
        let platforms = ["x", "facebook", "tiktok", "whatsapp", "whatsapp_channel"].map(String::from);
        r.validate(&platforms)
    }

    #[test]
    fn text_and_links_are_sorted_out() {
        let v = check(report(Some("  Bansos cair hari ini!  "), None)).unwrap();
        assert_eq!(
            (v.text.as_deref(), v.matchable_text.as_deref(), v.url),
            (Some("Bansos cair hari ini!"), Some("Bansos cair hari ini!"), None)
        );
        let links_only = check(report(Some("https://hoaks.example/a https://hoaks.example/b"), None)).unwrap();
        assert_eq!(links_only.url.as_deref(), Some("https://hoaks.example/a"));
        assert_eq!(links_only.matchable_text, None, "links are not words to match");
        let mixed = check(report(Some("Cek ini https://hoaks.example/a sebar!"), Some("https://x.com/s/1"))).unwrap();
        assert_eq!(
            (mixed.url.as_deref(), mixed.matchable_text.as_deref()),
            (Some("https://x.com/s/1"), Some("Cek ini sebar!"))
        );
        let emoji_and_link = check(report(Some("😱😱 https://hoaks.example/a"), None)).unwrap();
        assert_eq!((emoji_and_link.matchable_text, emoji_and_link.url.is_some()), (None, true));
    }

    #[test]
    fn reports_without_anything_to_check_are_refused_with_the_field() {
        let emoji = check(report(Some("😱😱🙏 !!!"), None)).unwrap_err();
        assert!(
            matches!(&emoji, ResponseError::Invalid { field: "text", reason } if reason.contains("emoji")),
            "{emoji}"
        );
        assert!(check(report(Some("😱"), Some("https://x.com/1"))).is_ok(), "the link is enough");
        assert!(matches!(check(report(None, None)), Err(ResponseError::Invalid { field: "text", .. })));
        assert!(matches!(check(report(Some("   "), Some(""))), Err(ResponseError::Invalid { field: "text", .. })));
        assert!(matches!(
            check(report(Some("x"), Some("javascript:alert(1)"))),
            Err(ResponseError::Invalid { field: "url", .. })
        ));
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(check(report(Some(&long), None)), Err(ResponseError::Invalid { field: "text", .. })));
        let mut p = report(Some("x"), None);
        for named in ["myspace", " other", "X", "whatsapp-channel"] {
            p.platform = named.into();
            assert!(matches!(check(p.clone()), Err(ResponseError::Invalid { field: "platform", .. })), "{named}");
        }
        p.platform = "other".into();
        assert_eq!(check(p).unwrap().platform, "other");
    }

    #[test]
    fn links_are_taken_as_written() {
        assert_eq!(
            check(report(None, Some("https://x.com/a?b=1"))).unwrap().url.as_deref(),
            Some("https://x.com/a?b=1")
        );
        assert_eq!(check(report(Some("Bansos cair"), Some(""))).unwrap().url, None, "an empty link is none");
        for bad in [" https://x.com/a", "HTTPS://x.com/a", "https://x.com/ä", "https://", "https://x.com/a b"] {
            assert!(
                matches!(check(report(Some("x"), Some(bad))), Err(ResponseError::Invalid { field: "url", .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn contacts_are_e_mail_addresses_or_phone_numbers() {
        for (contact, ok) in [
            ("budi@example.id", true),
            ("+62 812-3456-7890", true),
            ("", true),
            ("budi", false),
            ("12345", false),
            ("<script>alert(1)</script>@x.id", false),
            ("a@b", false),
        ] {
            let mut r = report(Some("x"), None);
            r.contact = Some(contact.into());
            assert_eq!(check(r).is_ok(), ok, "{contact}");
        }
        let mut r = report(Some("x"), None);
        r.contact = Some("  ".into());
        assert_eq!(check(r).unwrap().contact, None);
    }

    #[test]
    fn status_tokens_are_random_and_checked_by_hash() {
        let a = StatusToken::generate(&mut OsRng);
        let b = StatusToken::generate(&mut OsRng);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 43);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let stored = a.hash();
        assert!(token_matches(a.as_str(), &stored));
        assert!(!token_matches(b.as_str(), &stored));
        assert!(!token_matches("", &stored));
    }

    #[test]
    fn analysts_link_or_dismiss_and_the_public_sees_only_the_status() {
        let mut valid = check(report(Some("Bansos cair"), None)).unwrap();
        valid.contact = Some("budi@example.id".into());
        let mut r = CitizenReport::received(&valid, &ReportIntake::default(), t0());
        r.assign_reference(45);
        assert_eq!((r.reference.as_str(), r.status), ("ADU/2026/12/000045", ReportStatus::Received));
        let public = serde_json::to_string(&r.public_status()).unwrap();
        assert!(!public.contains("budi") && !public.contains("Bansos"), "{public}");
        let staff = serde_json::to_string(&r).unwrap();
        assert!(staff.contains("Bansos") && !staff.contains("budi"), "{staff}");

        assert!(r.apply(ReportChange::LinkCase { case_id: 7 }, &actor(3, Role::Communicator, None), t0()).is_err());
        let analyst = actor(1, Role::Analyst, None);
        r.apply(ReportChange::LinkCase { case_id: 7 }, &analyst, t0()).unwrap();
        assert_eq!((r.status, r.case_id), (ReportStatus::Linked, Some(7)));
        assert!(r.apply(ReportChange::Dismiss { reason: " ".into() }, &analyst, t0()).is_err());
        r.apply(ReportChange::Dismiss { reason: "spam".into() }, &analyst, t0()).unwrap();
        assert!(r.apply(ReportChange::LinkCase { case_id: 8 }, &analyst, t0()).is_err(), "settled");

        let answered = ReportIntake {
            answer: Some(ReportAnswer { rating: "HOAKS".into(), title: "t".into(), url: "https://x.id/a".into() }),
            ..ReportIntake::default()
        };
        assert_eq!(CitizenReport::received(&valid, &answered, t0()).status, ReportStatus::Answered);
        assert_eq!(ReportConfig::default().erase_contacts_received_before(t0()), t0() - Duration::days(90));
    }
}
