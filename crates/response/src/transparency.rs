//! The public transparency log of takedown requests, in the spirit of the Lumen database: every request
//! becomes public after a delay, with its outcome counts and the hosts it named, never the URLs themselves
//! and never anything about people. Per platform and period it gives requests, compliance and the median
//! time to comply, so that "51 contents taken down" is a figure anyone can check.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::takedown::{OutcomeCounts, TakedownRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransparencyConfig {
    /// Days between sending a request and showing it publicly (0: at once). The delay keeps the log from
    /// pointing at content the platform has not had time to act on.
    pub delay_days: u32,
}

impl Default for TransparencyConfig {
    fn default() -> TransparencyConfig {
        TransparencyConfig { delay_days: 14 }
    }
}

impl TransparencyConfig {
    /// Requests sent at or before this instant are public at `now`.
    pub fn public_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.delay_days.into())
    }

    pub fn is_public(&self, request: &TakedownRequest, now: DateTime<Utc>) -> bool {
        request.sent_at <= self.public_until(now)
    }
}

/// One request as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransparencyEntry {
    pub reference: String,
    pub platform: String,
    pub sent_at: DateTime<Utc>,
    pub legal_basis: String,
    pub url_count: u64,
    pub outcomes: OutcomeCounts,
    /// The distinct hosts of the URLs (without `www.`), sorted.
    pub hosts: Vec<String>,
    /// The case's published clarification, when there is one.
    pub clarification_url: Option<String>,
}

impl TransparencyEntry {
    /// Only what may be shown: notes (which may name people) and URLs are left behind.
    pub fn of(request: &TakedownRequest, clarification_url: Option<String>) -> TransparencyEntry {
        let mut hosts: Vec<String> = request.urls.iter().map(|u| u.host.clone()).filter(|h| !h.is_empty()).collect();
        hosts.sort();
        hosts.dedup();
        TransparencyEntry {
            reference: request.reference.clone(),
            platform: request.platform.clone(),
            sent_at: request.sent_at,
            legal_basis: request.legal_basis.clone(),
            url_count: request.urls.len() as u64,
            outcomes: request.counts(),
            hosts,
            clarification_url,
        }
    }
}

/// How figures are grouped in time (by the month, quarter or year a request was sent, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// `2026-12`, `2026-Q4` or `2026`: labels that sort in time order.
    pub fn label(self, at: DateTime<Utc>) -> String {
        match self {
            Period::Month => format!("{:04}-{:02}", at.year(), at.month()),
            Period::Quarter => format!("{:04}-Q{}", at.year(), (at.month() - 1) / 3 + 1),
            Period::Year => format!("{:04}", at.year()),
        }
    }
}

/// One platform's figures for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformFigures {
    pub platform: String,
    pub period: String,
    pub requests: u64,
    /// URLs requested.
    pub requested: u64,
    /// URLs removed or restricted.
    pub complied: u64,
    /// Median time from request to removal or restriction of the complied URLs.
    pub median_seconds_to_comply: Option<i64>,
}

/// The middle value (the mean of the two middle ones for an even count); none of nothing.
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

/// What the figures count of one public request: enough to compute them without loading its URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFigures {
    pub platform: String,
    pub sent_at: DateTime<Utc>,
    /// URLs requested.
    pub urls: u64,
    /// From each complied URL's request (or addition) to its removal or restriction.
    pub times_to_comply: Vec<Duration>,
}

impl From<&TakedownRequest> for RequestFigures {
    fn from(r: &TakedownRequest) -> RequestFigures {
        RequestFigures {
            platform: r.platform.clone(),
            sent_at: r.sent_at,
            urls: r.urls.len() as u64,
            times_to_comply: r.urls.iter().filter_map(|u| u.time_to_comply()).collect(),
        }
    }
}

/// Figures per platform and period, sorted by period then platform. Give it public requests only.
pub fn figures(requests: &[RequestFigures], period: Period) -> Vec<PlatformFigures> {
    let mut groups: BTreeMap<(String, String), (u64, u64, Vec<i64>)> = BTreeMap::new();
    for r in requests {
        let (count, requested, times) = groups.entry((period.label(r.sent_at), r.platform.clone())).or_default();
        *count += 1;
        *requested += r.urls;
        times.extend(r.times_to_comply.iter().map(|d| d.num_seconds()));
    }
    groups
        .into_iter()
        .map(|((period, platform), (requests, requested, times))| PlatformFigures {
            platform,
            period,
            requests,
            requested,
            complied: times.len() as u64,
            median_seconds_to_comply: median(times),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tangkal_cases::{Rating, Role};

    use super::*;
    use crate::fixtures::{actor, case_rated, t0};
    use crate::takedown::{NewTakedown, Outcome, TakedownConfig, UrlStatus};

    fn request(platform: &str, urls: &[&str], sent_at: DateTime<Utc>) -> TakedownRequest {
        let new = NewTakedown {
            platform: platform.into(),
            urls: Some(urls.iter().map(|u| u.to_string()).collect()),
            ..NewTakedown::default()
        };
        let communicator = actor(3, Role::Communicator, None);
        let config = TakedownConfig::default();
        let mut r =
            TakedownRequest::prepare(&case_rated(Rating::Hoaks), &new, &[], &config, &communicator, sent_at).unwrap();
        r.assign_reference(1);
        r
    }

    fn answer(r: &mut TakedownRequest, url: &str, status: UrlStatus, after: Duration) {
        let note = Some("Akun milik Budi Santoso, 0812-3456-7890".to_string());
        let outcome = Outcome { url: url.into(), status, note };
        r.record_outcomes(&[outcome], &actor(3, Role::Communicator, None), r.sent_at + after).unwrap();
    }

    #[test]
    fn entries_show_hosts_and_counts_never_urls_or_notes() {
        let mut r = request(
            "web-hosting",
            &[
                "https://www.hoaks.example/berita/budi-santoso?id=7",
                "https://hoaks.example/2",
                "https://blog.example/p",
            ],
            t0(),
        );
        answer(&mut r, "https://hoaks.example/2", UrlStatus::Removed, Duration::hours(3));
        answer(&mut r, "https://blog.example/p", UrlStatus::Rejected, Duration::hours(3));
        let entry = TransparencyEntry::of(&r, Some("https://tangkal.go.id/cek-fakta/x".into()));
        assert_eq!(entry.hosts, ["blog.example", "hoaks.example"]);
        assert_eq!(
            (entry.url_count, entry.outcomes.removed, entry.outcomes.rejected, entry.outcomes.pending),
            (3, 1, 1, 1)
        );
        let public = serde_json::to_string(&entry).unwrap();
        for secret in ["budi", "Budi", "/berita", "/p\"", "0812"] {
            assert!(!public.contains(secret), "{secret} in {public}");
        }
    }

    #[test]
    fn requests_become_public_after_the_delay() {
        let r = request("x", &["https://x.com/a/status/1"], t0());
        let config = TransparencyConfig::default();
        assert!(!config.is_public(&r, t0() + Duration::days(14) - Duration::seconds(1)));
        assert!(config.is_public(&r, t0() + Duration::days(14)));
        assert!(TransparencyConfig { delay_days: 0 }.is_public(&r, t0()));
    }

    #[test]
    fn figures_per_platform_and_period_with_the_median_time_to_comply() {
        let jan = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
        let feb = Utc.with_ymd_and_hms(2026, 2, 10, 0, 0, 0).unwrap();
        let mut a = request("x", &["https://x.com/1", "https://x.com/2", "https://x.com/3"], jan);
        answer(&mut a, "https://x.com/1", UrlStatus::Removed, Duration::hours(2));
        answer(&mut a, "https://x.com/2", UrlStatus::Restricted, Duration::hours(10));
        answer(&mut a, "https://x.com/3", UrlStatus::Rejected, Duration::hours(1));
        let mut b = request("x", &["https://x.com/4"], jan + Duration::days(3));
        answer(&mut b, "https://x.com/4", UrlStatus::Removed, Duration::hours(30));
        let c = request("x", &["https://x.com/5"], feb);
        let d = request("tiktok", &["https://tiktok.com/5"], feb);

        let requests: Vec<RequestFigures> = [&a, &b, &c, &d].into_iter().map(RequestFigures::from).collect();
        let monthly = figures(&requests, Period::Month);
        let row = |period: &str, platform: &str| {
            monthly.iter().find(|f| f.period == period && f.platform == platform).cloned().unwrap()
        };
        let jan_x = row("2026-01", "x");
        assert_eq!((jan_x.requests, jan_x.requested, jan_x.complied), (2, 4, 3));
        assert_eq!(jan_x.median_seconds_to_comply, Some(10 * 3600), "median of 2 h, 10 h, 30 h");
        assert_eq!(row("2026-02", "x").median_seconds_to_comply, None);
        assert_eq!(monthly.iter().map(|f| f.period.as_str()).collect::<Vec<_>>(), ["2026-01", "2026-02", "2026-02"]);

        let yearly = figures(&requests, Period::Year);
        let x = yearly.iter().find(|f| f.platform == "x").unwrap();
        assert_eq!((x.period.as_str(), x.requests, x.requested, x.complied), ("2026", 3, 5, 3));
        assert_eq!(Period::Quarter.label(feb), "2026-Q1");
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
    }
}
