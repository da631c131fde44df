//! HTTP caching of the public pages and feeds: browsers and proxies may keep them a minute
//! (`Cache-Control: public`), and revalidate with the strong `ETag` (a hash of the body) or, where it is
//! exact, `Last-Modified`; a match is answered 304 with no body. Everything private keeps the default
//! `no-store` (`crate::app`).

use std::time::{Duration, SystemTime};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

/// Public pages may be kept briefly by browsers and proxies; a correction shows within a minute.
pub const PUBLIC_CACHE: &str = "public, max-age=60";

/// A public representation: its body, and when what it shows last changed, when that is known exactly.
pub struct Public {
    pub content_type: &'static str,
    pub body: String,
    pub last_modified: Option<DateTime<Utc>>,
}

fn entity_tag(body: &str) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body.as_bytes()))
}

/// `If-None-Match` lists `tag` (weak comparison, RFC 9110 §13.1.2) or is `*`.
fn none_match_hits(request: &HeaderMap, tag: &str) -> Option<bool> {
    let values: Vec<&str> = request.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).collect();
    if values.is_empty() {
        return None;
    }
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let tag = opaque(tag);
    Some(values.iter().flat_map(|v| v.split(',')).any(|candidate| candidate.trim() == "*" || opaque(candidate) == tag))
}

fn seconds(t: DateTime<Utc>) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.timestamp().max(0) as u64)
}

/// The response to a GET of `public`: 304 when the request's validators match (`If-None-Match` first;
/// `If-Modified-Since` only without it, as RFC 9110 §13.2.2 orders), else 200 with the body.
pub fn respond(request: &HeaderMap, public: Public) -> Response {
    let tag = entity_tag(&public.body);
    let modified = public.last_modified.map(seconds);
    let unchanged = none_match_hits(request, &tag).unwrap_or_else(|| {
        let since = request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        matches!((modified, since), (Some(modified), Some(since)) if modified <= since)
    });
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, public.content_type)], public.body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    headers.insert(header::ETAG, HeaderValue::from_str(&tag).expect("hex in quotes"));
    if let Some(modified) = modified {
        let date = httpdate::fmt_http_date(modified);
        headers.insert(header::LAST_MODIFIED, HeaderValue::from_str(&date).expect("an HTTP date"));
    }
    response
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn page(last_modified: Option<DateTime<Utc>>) -> Public {
        Public { content_type: "text/html; charset=utf-8", body: "<p>halo</p>".into(), last_modified }
    }

    fn with(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap())).collect()
    }

    #[test]
    fn a_matching_entity_tag_gets_304_and_another_gets_the_page() {
        let first = respond(&HeaderMap::new(), page(None));
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[header::CACHE_CONTROL], PUBLIC_CACHE);
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_string();
        for sent in [tag.clone(), format!("W/{tag}"), format!("\"x\", {tag}"), "*".to_string()] {
            let again = respond(&with(&[(header::IF_NONE_MATCH, &sent)]), page(None));
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{sent}");
            assert_eq!(again.headers()[header::ETAG], tag.as_str());
        }
        let other = respond(&with(&[(header::IF_NONE_MATCH, "\"0123\"")]), page(None));
        assert_eq!(other.status(), StatusCode::OK);
    }

    #[test]
    fn modification_dates_count_only_without_an_entity_tag() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        let first = respond(&HeaderMap::new(), page(Some(at)));
        assert_eq!(first.headers()[header::LAST_MODIFIED], "Mon, 02 Mar 2026 01:00:00 GMT");
        let since = |date: &str| respond(&with(&[(header::IF_MODIFIED_SINCE, date)]), page(Some(at))).status();
        assert_eq!(since("Mon, 02 Mar 2026 01:00:00 GMT"), StatusCode::NOT_MODIFIED);
        assert_eq!(since("Mon, 02 Mar 2026 00:59:59 GMT"), StatusCode::OK);
        assert_eq!(since("kemarin"), StatusCode::OK);
        let both =
            with(&[(header::IF_NONE_MATCH, "\"stale\""), (header::IF_MODIFIED_SINCE, "Tue, 03 Mar 2026 00:00:00 GMT")]);
        assert_eq!(respond(&both, page(Some(at))).status(), StatusCode::OK, "the entity tag decides");
        assert_eq!(
            respond(&with(&[(header::IF_MODIFIED_SINCE, "Tue, 03 Mar 2026 00:00:00 GMT")]), page(None)).status(),
            StatusCode::OK,
            "no date, no 304"
        );
    }
}
