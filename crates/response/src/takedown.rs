//! Takedown requests: a ministry asks a platform to take down the URLs of a debunked case within 1×24
//! hours (4 hours when urgent), as the Indonesian rules for private electronic-system operators require.
//! Each URL gets its own outcome; the request's state follows from them and the clock.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tangkal_cases::{Actor, Case, Permission, Rating, Role, Urgency};

use crate::text::{clean_text, web_url};
use crate::{approved_rating, Reference, ReferenceKind, ResponseError};

/// Platforms a request may be addressed to unless configured otherwise.
pub const DEFAULT_PLATFORMS: [&str; 8] =
    ["x", "facebook", "instagram", "tiktok", "youtube", "telegram", "whatsapp-channel", "web-hosting"];

/// The legal basis a letter cites unless the request or the configuration says otherwise.
pub const DEFAULT_LEGAL_BASIS: &str = "Undang-Undang Nomor 11 Tahun 2008 tentang Informasi dan Transaksi \
Elektronik sebagaimana telah diubah terakhir dengan Undang-Undang Nomor 1 Tahun 2024; Peraturan Pemerintah \
Nomor 71 Tahun 2019 tentang Penyelenggaraan Sistem dan Transaksi Elektronik; Peraturan Menteri Komunikasi dan \
Informatika Nomor 5 Tahun 2020 tentang Penyelenggara Sistem Elektronik Lingkup Privat (pemutusan akses paling \
lambat 1×24 jam, atau 4 jam untuk permohonan mendesak).";

pub const MAX_URLS: usize = 1000;
pub const MAX_LEGAL_BASIS_CHARS: usize = 5000;
pub const MAX_NOTE_CHARS: usize = 2000;

/// The configurable part: which platforms exist and what letters cite by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TakedownConfig {
    pub platforms: Vec<String>,
    pub legal_basis: String,
}

impl Default for TakedownConfig {
    fn default() -> TakedownConfig {
        TakedownConfig {
            platforms: DEFAULT_PLATFORMS.iter().map(|p| p.to_string()).collect(),
            legal_basis: DEFAULT_LEGAL_BASIS.to_string(),
        }
    }
}

impl TakedownConfig {
    /// The configured platform `name` refers to (case and surrounding spaces ignored).
    pub fn platform(&self, name: &str) -> Result<String, ResponseError> {
        let name = name.trim().to_lowercase();
        if self.platforms.contains(&name) {
            Ok(name)
        } else {
            Err(ResponseError::invalid(
                "platform",
                format!("must be one of {} (got {:?})", self.platforms.join(", "), truncated(&name, 64)),
            ))
        }
    }
}

/// Settings keys of platform contacts: `platform.tiktok`.
pub const PLATFORM_CONTACT_PREFIX: &str = "platform.";
pub const MAX_ADDRESSEE_CHARS: usize = 200;

/// Where a platform's takedown requests go, as an administrator recorded it on the desk: the letter is
/// addressed to it. A platform without one is addressed by its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformContact {
    /// Who the letter is addressed to: "PT Bytedance Indonesia, Tim Trust & Safety".
    pub addressee: String,
    /// The address requests are sent to: an e-mail address, or the https link of the platform's portal
    /// for government requests. Empty when not known.
    pub channel: String,
}

impl PlatformContact {
    /// A contact from a form's fields, trimmed; the refusal names the field.
    pub fn checked(addressee: &str, channel: &str) -> Result<PlatformContact, ResponseError> {
        let addressee = clean_text("addressee", addressee, MAX_ADDRESSEE_CHARS, true, false)?;
        let channel = channel.trim();
        let channel = if channel.is_empty() {
            String::new()
        } else if channel.contains("://") {
            let url = web_url("channel", channel)?;
            if url.scheme() != "https" {
                return Err(ResponseError::invalid("channel", "a portal's link must start with https://"));
            }
            url.to_string()
        } else {
            e_mail("channel", channel)?
        };
        Ok(PlatformContact { addressee, channel })
    }

    /// The settings key of `platform`'s contact.
    pub fn key(platform: &str) -> String {
        format!("{PLATFORM_CONTACT_PREFIX}{platform}")
    }
}

/// An e-mail address as people write one: one `@`, something on both sides, a dot in the domain, no
/// spaces. Whether it receives mail only sending tells.
fn e_mail(field: &'static str, value: &str) -> Result<String, ResponseError> {
    let plausible = value.chars().count() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
        });
    if plausible {
        Ok(value.to_string())
    } else {
        Err(ResponseError::invalid(field, "must be an e-mail address or an https link"))
    }
}

fn truncated(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// What the platform did with one URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UrlStatus {
    /// No answer yet.
    Pending,
    Removed,
    /// Kept up but restricted (by country or age).
    Restricted,
    /// Refused, with the platform's reason.
    Rejected,
    /// The content was already gone.
    NotFound,
}

impl UrlStatus {
    pub const ALL: [UrlStatus; 5] =
        [UrlStatus::Pending, UrlStatus::Removed, UrlStatus::Restricted, UrlStatus::Rejected, UrlStatus::NotFound];

    pub fn as_str(self) -> &'static str {
        match self {
            UrlStatus::Pending => "pending",
            UrlStatus::Removed => "removed",
            UrlStatus::Restricted => "restricted",
            UrlStatus::Rejected => "rejected",
            UrlStatus::NotFound => "not_found",
        }
    }

    pub fn parse(s: &str) -> Option<UrlStatus> {
        UrlStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Answers move forward only: a restriction may become a removal, and a rejection may be reversed
    /// on appeal; removed and not-found URLs are settled.
    pub fn can_move_to(self, to: UrlStatus) -> bool {
        use UrlStatus::*;
        match self {
            Pending => to != Pending,
            Restricted => to == Removed,
            Rejected => matches!(to, Removed | Restricted),
            Removed | NotFound => false,
        }
    }

    /// The platform acted on the content.
    pub fn is_compliance(self) -> bool {
        matches!(self, UrlStatus::Removed | UrlStatus::Restricted)
    }
}

/// One recorded answer for a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UrlEvent {
    pub status: UrlStatus,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    /// The audit trail's name of who recorded it.
    pub by: String,
}

/// A URL of a request with its current outcome and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakedownUrl {
    pub url: String,
    /// Host without `www.`: all the transparency log shows of the URL.
    pub host: String,
    pub status: UrlStatus,
    /// The platform's reason for a rejection, or any remark on the latest answer.
    pub note: Option<String>,
    pub added_at: DateTime<Utc>,
    /// URLs added to a request later get their own full window.
    pub due_at: DateTime<Utc>,
    /// When the platform first answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// When the content was first removed or restricted.
    pub complied_at: Option<DateTime<Utc>>,
    /// Every answer, oldest first.
    pub history: Vec<UrlEvent>,
}

impl TakedownUrl {
    fn new(url: String, host: String, added_at: DateTime<Utc>, urgency: Urgency) -> TakedownUrl {
        TakedownUrl {
            url,
            host,
            status: UrlStatus::Pending,
            note: None,
            added_at,
            due_at: added_at + urgency.window(),
            answered_at: None,
            complied_at: None,
            history: Vec::new(),
        }
    }

    /// From the request (or the URL's addition) to the first removal or restriction.
    pub fn time_to_comply(&self) -> Option<Duration> {
        self.complied_at.map(|at| at - self.added_at)
    }
}

/// How many URLs of a request stand at each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeCounts {
    pub pending: u64,
    pub removed: u64,
    pub restricted: u64,
    pub rejected: u64,
    pub not_found: u64,
}

impl OutcomeCounts {
    pub fn add(&mut self, status: UrlStatus, n: u64) {
        *match status {
            UrlStatus::Pending => &mut self.pending,
            UrlStatus::Removed => &mut self.removed,
            UrlStatus::Restricted => &mut self.restricted,
            UrlStatus::Rejected => &mut self.rejected,
            UrlStatus::NotFound => &mut self.not_found,
        } += n;
    }

    pub fn total(&self) -> u64 {
        self.pending + self.removed + self.restricted + self.rejected + self.not_found
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Some URLs await an answer, none past its deadline.
    Open,
    /// A URL still awaits an answer past its deadline.
    Overdue,
    /// Every URL answered and none rejected.
    Complied,
    /// Every URL answered, some rejected and some not.
    Partly,
    /// Every URL answered with a rejection.
    Rejected,
}

impl RequestState {
    pub const ALL: [RequestState; 5] = [
        RequestState::Open,
        RequestState::Overdue,
        RequestState::Complied,
        RequestState::Partly,
        RequestState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Overdue => "overdue",
            RequestState::Complied => "complied",
            RequestState::Partly => "partly",
            RequestState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The one rule, for full requests and for the store's per-request aggregates alike: `earliest_due`
    /// is the earliest deadline of a URL still pending. A URL is overdue once its deadline has passed.
    pub fn derive(counts: &OutcomeCounts, earliest_pending_due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        if counts.pending > 0 {
            return match earliest_pending_due {
                Some(due) if now > due => RequestState::Overdue,
                _ => RequestState::Open,
            };
        }
        match counts.rejected {
            0 => RequestState::Complied,
            n if n == counts.total() => RequestState::Rejected,
            _ => RequestState::Partly,
        }
    }
}

/// The body of a new request, as the API takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTakedown {
    pub platform: String,
    /// When absent, the URLs of the case's items on the platform.
    #[serde(default)]
    pub urls: Option<Vec<String>>,
    /// When absent, the case's urgency.
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// When absent, the configured legal basis.
    #[serde(default)]
    pub legal_basis: Option<String>,
}

/// One answer from a platform, as the API takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub url: String,
    pub status: UrlStatus,
    #[serde(default)]
    pub note: Option<String>,
}

/// A change to a sent request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TakedownChange {
    AddUrls(Vec<String>),
    RecordOutcomes(Vec<Outcome>),
}

impl TakedownChange {
    /// The audit trail's name for this change.
    pub fn action(&self) -> &'static str {
        match self {
            TakedownChange::AddUrls(_) => "takedown.add_urls",
            TakedownChange::RecordOutcomes(_) => "takedown.outcomes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakedownRequest {
    /// 0 until stored.
    pub id: i64,
    pub case_id: i64,
    /// Empty until stored; see [`TakedownRequest::assign_reference`].
    pub reference: String,
    pub platform: String,
    pub urgency: Urgency,
    pub legal_basis: String,
    pub sent_by: String,
    pub sent_at: DateTime<Utc>,
    /// The deadline of the URLs sent first.
    pub due_at: DateTime<Utc>,
    pub urls: Vec<TakedownUrl>,
}

/// Takedowns need a verdict saying the content is not true.
pub fn takedown_allowed(case: &Case) -> Result<Rating, ResponseError> {
    let rating = approved_rating(case)?;
    if rating == Rating::Benar {
        return Err(ResponseError::NotAllowed(
            "the case's approved verdict is BENAR: true content is not taken down".into(),
        ));
    }
    Ok(rating)
}

/// Valid, normalised, de-duplicated URLs (first occurrence kept), reported by position when bad.
fn checked_urls(urls: &[String]) -> Result<Vec<(String, String)>, ResponseError> {
    if urls.len() > MAX_URLS {
        return Err(ResponseError::invalid("urls", format!("lists more than {MAX_URLS} URLs")));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(urls.len());
    for (i, raw) in urls.iter().enumerate() {
        let url = web_url("urls", raw).map_err(|e| match e {
            ResponseError::Invalid { reason, .. } => ResponseError::invalid("urls", format!("[{i}] {reason}")),
            other => other,
        })?;
        let host = crate::text::host_of(url.as_str()).unwrap_or_default();
        let url = url.to_string();
        if !out.iter().any(|(u, _)| *u == url) {
            out.push((url, host));
        }
    }
    Ok(out)
}

impl TakedownRequest {
    /// A request for `case`, ready to store. `case_urls` are the URLs of the case's items on the platform,
    /// used when the body lists none.
    pub fn prepare(
        case: &Case,
        new: &NewTakedown,
        case_urls: &[String],
        config: &TakedownConfig,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<TakedownRequest, ResponseError> {
        actor.require(Permission::RequestTakedown)?;
        takedown_allowed(case)?;
        let platform = config.platform(&new.platform)?;
        let urls = checked_urls(new.urls.as_deref().unwrap_or(case_urls))?;
        if urls.is_empty() {
            return Err(match new.urls {
                Some(_) => ResponseError::invalid("urls", "must list at least one URL"),
                None => ResponseError::NotAllowed(format!("the case has no items on {platform}: list the urls")),
            });
        }
        let legal_basis = match &new.legal_basis {
            Some(text) => clean_text("legal_basis", text, MAX_LEGAL_BASIS_CHARS, true, true)?,
            None => config.legal_basis.clone(),
        };
        let urgency = new.urgency.unwrap_or(case.urgency);
        Ok(TakedownRequest {
            id: 0,
            case_id: case.id,
            reference: String::new(),
            platform,
            urgency,
            legal_basis,
            sent_by: actor.label(),
            sent_at: now,
            due_at: now + urgency.window(),
            urls: urls.into_iter().map(|(url, host)| TakedownUrl::new(url, host, now, urgency)).collect(),
        })
    }

    /// Gives a stored request its id and reference number.
    pub fn assign_reference(&mut self, id: i64) {
        self.id = id;
        self.reference = Reference::new(ReferenceKind::Takedown, self.sent_at, id.max(0) as u64).to_string();
    }

    pub fn counts(&self) -> OutcomeCounts {
        let mut counts = OutcomeCounts::default();
        for u in &self.urls {
            counts.add(u.status, 1);
        }
        counts
    }

    pub fn state(&self, now: DateTime<Utc>) -> RequestState {
        let earliest = self.urls.iter().filter(|u| u.status == UrlStatus::Pending).map(|u| u.due_at).min();
        RequestState::derive(&self.counts(), earliest, now)
    }

    /// Liaisons see only their own platform's requests; everyone else who may read cases sees all.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match actor.role {
            Role::PlatformLiaison => actor.platform.as_deref() == Some(self.platform.as_str()),
            role => role.allows(Permission::ReadCases),
        }
    }

    /// Applies `change` if the rules allow it; on refusal the request is left untouched.
    pub fn apply(&mut self, change: &TakedownChange, actor: &Actor, now: DateTime<Utc>) -> Result<(), ResponseError> {
        match change {
            TakedownChange::AddUrls(urls) => self.add_urls(urls, actor, now).map(|_| ()),
            TakedownChange::RecordOutcomes(outcomes) => self.record_outcomes(outcomes, actor, now),
        }
    }

    /// Adds URLs not in the request yet, each with its own full window from `now`; returns those added.
    pub fn add_urls(
        &mut self,
        urls: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, ResponseError> {
        actor.require(Permission::RequestTakedown)?;
        let checked = checked_urls(urls)?;
        let mut added = Vec::new();
        let mut urls = self.urls.clone();
        for (url, host) in checked {
            if !urls.iter().any(|u| u.url == url) {
                added.push(url.clone());
                urls.push(TakedownUrl::new(url, host, now, self.urgency));
            }
        }
        if urls.len() > MAX_URLS {
            return Err(ResponseError::NotAllowed(format!("a request holds at most {MAX_URLS} URLs")));
        }
        self.urls = urls;
        Ok(added)
    }

    /// Records the platform's answers, all or none: one bad entry refuses the lot, naming it.
    pub fn record_outcomes(
        &mut self,
        outcomes: &[Outcome],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), ResponseError> {
        actor.require(Permission::RecordTakedownOutcome)?;
        if !self.visible_to(actor) {
            return Err(ResponseError::NotAllowed(format!("only {}'s liaison reports its outcomes", self.platform)));
        }
        if outcomes.is_empty() || outcomes.len() > MAX_URLS {
            return Err(ResponseError::invalid("outcomes", format!("must list 1 to {MAX_URLS} answers")));
        }
        let mut updated = self.urls.clone();
        for (i, outcome) in outcomes.iter().enumerate() {
            let at = |reason: String| ResponseError::Invalid { field: "outcomes", reason: format!("[{i}] {reason}") };
            // What the answer says is checked first (422); whether it fits the request is a conflict (409).
            let url = web_url("url", &outcome.url).map_err(|e| at(e.to_string()))?.to_string();
            if outcome.status == UrlStatus::Pending {
                return Err(at("status: pending is no answer".into()));
            }
            let note = match &outcome.note {
                Some(n) => Some(clean_text("note", n, MAX_NOTE_CHARS, false, true).map_err(|e| at(e.to_string()))?)
                    .filter(|n| !n.is_empty()),
                None => None,
            };
            if outcome.status == UrlStatus::Rejected && note.is_none() {
                return Err(at("a rejection needs the platform's reason in note".into()));
            }
            let conflict = |reason: String| ResponseError::NotAllowed(format!("outcomes: [{i}] {reason}"));
            let target = updated.iter_mut().find(|u| u.url == url).ok_or_else(|| {
                conflict(format!("url {} is not part of request {}", truncated(&url, 200), self.reference))
            })?;
            if !target.status.can_move_to(outcome.status) {
                return Err(conflict(format!(
                    "url {} cannot move from {} to {}",
                    truncated(&url, 200),
                    target.status.as_str(),
                    outcome.status.as_str()
                )));
            }
            target.status = outcome.status;
            target.note = note.clone();
            target.answered_at.get_or_insert(now);
            if outcome.status.is_compliance() {
                target.complied_at.get_or_insert(now);
            }
            target.history.push(UrlEvent { status: outcome.status, note, at: now, by: actor.label() });
        }
        self.urls = updated;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tangkal_cases::{Clock, ManualClock, NewCase};

    use super::*;
    use crate::fixtures::{actor, case_rated, t0};

    #[test]
    fn a_platform_contact_is_an_addressee_with_an_e_mail_address_or_a_portal() {
        let field = |r: Result<PlatformContact, ResponseError>| match r {
            Err(ResponseError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mail = PlatformContact::checked(" PT Contoh, Trust & Safety ", " legal@contoh.co.id ").unwrap();
        assert_eq!(
            (mail.addressee.as_str(), mail.channel.as_str()),
            ("PT Contoh, Trust & Safety", "legal@contoh.co.id")
        );
        let portal = PlatformContact::checked("X Corp.", "https://legalrequests.contoh.com/gov").unwrap();
        assert_eq!(portal.channel, "https://legalrequests.contoh.com/gov");
        assert_eq!(PlatformContact::checked("Telegram", "").unwrap().channel, "");
        assert_eq!(field(PlatformContact::checked("  ", "legal@contoh.co.id")), "addressee");
        for bad in ["http://contoh.com/gov", "legal@localhost", "legal at contoh.co.id", "a@b@contoh.id", "<x>@c.id"] {
            assert_eq!(field(PlatformContact::checked("PT Contoh", bad)), "channel", "{bad}");
        }
        assert_eq!(PlatformContact::key("tiktok"), "platform.tiktok");
    }

    fn request(urls: &[&str], urgency: Option<Urgency>) -> TakedownRequest {
        let new = NewTakedown {
            platform: " TikTok ".into(),
            urls: Some(urls.iter().map(|u| u.to_string()).collect()),
            urgency,
            legal_basis: None,
        };
        let mut r = TakedownRequest::prepare(
            &case_rated(Rating::Hoaks),
            &new,
            &[],
            &TakedownConfig::default(),
            &actor(3, Role::Communicator, None),
            t0(),
        )
        .unwrap();
        r.assign_reference(123);
        r
    }

    fn outcome(url: &str, status: UrlStatus, note: Option<&str>) -> Outcome {
        Outcome { url: url.into(), status, note: note.map(str::to_string) }
    }

    const A: &str = "https://www.tiktok.com/@a/video/1";
    const B: &str = "https://www.tiktok.com/@b/video/2";

    #[test]
    fn requests_need_an_approved_verdict_that_is_not_benar() {
        let new = NewTakedown { platform: "x".into(), urls: Some(vec![A.into()]), ..NewTakedown::default() };
        let config = TakedownConfig::default();
        let communicator = actor(3, Role::Communicator, None);
        let prepare = |case: &Case| TakedownRequest::prepare(case, &new, &[], &config, &communicator, t0());
        assert!(prepare(&case_rated(Rating::Hoaks)).is_ok());
        assert!(prepare(&case_rated(Rating::TidakTerbukti)).is_ok());
        assert!(matches!(prepare(&case_rated(Rating::Benar)), Err(ResponseError::NotAllowed(_))));
        let unreviewed = Case::open(&NewCase { title: "x".into(), ..NewCase::default() }, "manual", t0()).unwrap();
        assert!(matches!(prepare(&unreviewed), Err(ResponseError::NotAllowed(_))));
        let reviewer = actor(2, Role::Reviewer, None);
        let refused = TakedownRequest::prepare(&case_rated(Rating::Hoaks), &new, &[], &config, &reviewer, t0());
        assert!(matches!(refused, Err(ResponseError::Case(_))));
    }

    #[test]
    fn bad_input_is_named() {
        let config = TakedownConfig::default();
        let case = case_rated(Rating::Hoaks);
        let communicator = actor(3, Role::Communicator, None);
        let prepare = |new: NewTakedown, case_urls: &[String]| {
            TakedownRequest::prepare(&case, &new, case_urls, &config, &communicator, t0()).unwrap_err()
        };
        let err =
            prepare(NewTakedown { platform: "myspace".into(), urls: Some(vec![A.into()]), ..Default::default() }, &[]);
        assert!(
            matches!(&err, ResponseError::Invalid { field: "platform", reason } if reason.contains("whatsapp-channel"))
        );
        let bad_url = vec![A.to_string(), "javascript:alert(1)".to_string()];
        let err = prepare(NewTakedown { platform: "x".into(), urls: Some(bad_url), ..Default::default() }, &[]);
        assert!(matches!(&err, ResponseError::Invalid { field: "urls", reason } if reason.starts_with("[1]")), "{err}");
        let err = prepare(NewTakedown { platform: "x".into(), urls: None, ..Default::default() }, &[]);
        assert!(matches!(&err, ResponseError::NotAllowed(reason) if reason.contains("no items on x")), "{err}");
        let basis = Some(" ".to_string());
        let err = prepare(
            NewTakedown { platform: "x".into(), urls: None, legal_basis: basis, ..Default::default() },
            &[A.into()],
        );
        assert!(matches!(err, ResponseError::Invalid { field: "legal_basis", .. }));
    }

    #[test]
    fn a_request_gets_its_reference_deadline_and_defaults() {
        let r = request(&[A, B, A], None);
        assert_eq!(r.reference, "TKL/2026/12/000123");
        assert_eq!(r.platform, "tiktok");
        assert_eq!(r.due_at, t0() + Duration::hours(24));
        assert_eq!(r.legal_basis, DEFAULT_LEGAL_BASIS);
        assert_eq!(r.urls.len(), 2, "duplicates listed once");
        assert_eq!(r.urls[0].host, "tiktok.com");
        assert_eq!(request(&[A], Some(Urgency::Urgent)).due_at, t0() + Duration::hours(4));
        // Without URLs, the case's own URLs on the platform.
        let new = NewTakedown { platform: "tiktok".into(), ..NewTakedown::default() };
        let r = TakedownRequest::prepare(
            &case_rated(Rating::Hoaks),
            &new,
            &[B.to_string()],
            &TakedownConfig::default(),
            &actor(3, Role::Analyst, None),
            t0(),
        )
        .unwrap();
        assert_eq!(r.urls.iter().map(|u| u.url.as_str()).collect::<Vec<_>>(), [B]);
    }

    #[test]
    fn state_follows_outcomes_and_the_clock() {
        let liaison = actor(4, Role::PlatformLiaison, Some("tiktok"));
        let mut r = request(&[A, B], Some(Urgency::Urgent));
        let clock = ManualClock::new(t0());
        assert_eq!(r.state(clock.now()), RequestState::Open);
        clock.advance(Duration::hours(4));
        assert_eq!(r.state(clock.now()), RequestState::Open, "due at the instant itself");
        clock.advance(Duration::seconds(1));
        assert_eq!(r.state(clock.now()), RequestState::Overdue);

        let at = t0() + Duration::hours(2);
        r.record_outcomes(&[outcome(A, UrlStatus::Removed, None)], &liaison, at).unwrap();
        assert_eq!(r.state(t0() + Duration::hours(5)), RequestState::Overdue, "B still pending");
        assert_eq!(r.urls[0].time_to_comply(), Some(Duration::hours(2)));
        r.record_outcomes(&[outcome(B, UrlStatus::Rejected, Some("bukan pelanggaran"))], &liaison, at).unwrap();
        assert_eq!(r.state(at), RequestState::Partly);
        assert_eq!(r.urls[1].time_to_comply(), None);
        // Reversed on appeal the next day.
        let later = at + Duration::days(1);
        r.record_outcomes(&[outcome(B, UrlStatus::Restricted, Some("geo"))], &liaison, later).unwrap();
        assert_eq!(r.state(later), RequestState::Complied);
        assert_eq!(r.urls[1].time_to_comply(), Some(Duration::hours(26)));
        assert_eq!(r.urls[1].history.len(), 2);
        assert_eq!(r.urls[1].answered_at, Some(at));

        let mut all_rejected = request(&[A], None);
        all_rejected.record_outcomes(&[outcome(A, UrlStatus::Rejected, Some("satire"))], &liaison, at).unwrap();
        assert_eq!(all_rejected.state(at), RequestState::Rejected);
    }

    #[test]
    fn urls_added_later_get_their_own_window() {
        let communicator = actor(3, Role::Communicator, None);
        let mut r = request(&[A], None);
        let later = t0() + Duration::hours(20);
        let c = "https://www.tiktok.com/@c/video/3".to_string();
        assert_eq!(r.add_urls(&[A.into(), c.clone()], &communicator, later).unwrap(), vec![c.clone()]);
        r.record_outcomes(&[outcome(A, UrlStatus::Removed, None)], &communicator, later).unwrap();
        assert_eq!(r.state(t0() + Duration::hours(30)), RequestState::Open, "C is due 24 h after it was added");
        assert_eq!(r.state(later + Duration::hours(25)), RequestState::Overdue);
    }

    #[test]
    fn outcomes_are_all_or_nothing_and_follow_the_transitions() {
        let liaison = actor(4, Role::PlatformLiaison, Some("tiktok"));
        let mut r = request(&[A, B], None);
        let before = r.clone();
        let err = r
            .record_outcomes(
                &[outcome(A, UrlStatus::Removed, None), outcome("https://evil.example/x", UrlStatus::Removed, None)],
                &liaison,
                t0(),
            )
            .unwrap_err();
        assert!(matches!(&err, ResponseError::NotAllowed(reason) if reason.starts_with("outcomes: [1] url")), "{err}");
        assert_eq!(r, before, "nothing recorded");
        let err = r.record_outcomes(&[outcome(A, UrlStatus::Rejected, Some("  "))], &liaison, t0()).unwrap_err();
        assert!(err.to_string().contains("reason"), "{err}");
        r.record_outcomes(&[outcome(A, UrlStatus::NotFound, None)], &liaison, t0()).unwrap();
        assert!(r.record_outcomes(&[outcome(A, UrlStatus::Removed, None)], &liaison, t0()).is_err(), "settled");
        let pending = r.record_outcomes(&[outcome(B, UrlStatus::Pending, None)], &liaison, t0());
        assert!(matches!(pending, Err(ResponseError::Invalid { field: "outcomes", .. })), "no answer: {pending:?}");
        for from in UrlStatus::ALL {
            assert!(!from.can_move_to(UrlStatus::Pending), "{from:?}");
            assert!(!from.can_move_to(from), "{from:?} to itself");
        }
    }

    #[test]
    fn liaisons_act_only_on_their_platform() {
        let mut r = request(&[A], None);
        let other = actor(5, Role::PlatformLiaison, Some("youtube"));
        assert!(!r.visible_to(&other));
        assert!(r.visible_to(&actor(4, Role::PlatformLiaison, Some("tiktok"))));
        assert!(!r.visible_to(&actor(6, Role::Partner, None)));
        assert!(r.record_outcomes(&[outcome(A, UrlStatus::Removed, None)], &other, t0()).is_err());
        assert!(r
            .record_outcomes(&[outcome(A, UrlStatus::Removed, None)], &actor(1, Role::Analyst, None), t0())
            .is_err());
    }

    #[test]
    fn states_parse_as_they_print() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Some(s));
        }
    }
}
