//! Checks shared by every free-text and link field of the response domain.

use url::Url;

use crate::ResponseError;

/// The longest URL accepted anywhere (what browsers and platforms handle in practice).
pub const MAX_URL_CHARS: usize = 2048;

/// Checks `value` is at most `max` characters long and free of control characters other than line
/// breaks and tabs (`multiline`) or free of all of them, then trims it and checks it is present (when
/// `required`). Length and characters are checked as sent, before trimming, which is what the API
/// document can state.
pub(crate) fn clean_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Result<String, ResponseError> {
    if value.chars().count() > max {
        return Err(ResponseError::invalid(field, format!("is longer than {max} characters")));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\t' | '\r');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(ResponseError::invalid(field, "contains control characters"));
    }
    let value = value.trim();
    if required && value.is_empty() {
        return Err(ResponseError::invalid(field, "must not be empty"));
    }
    Ok(value.to_string())
}

/// A link as people paste it: absolute `http` or `https` with a host, at most [`MAX_URL_CHARS`] long.
/// Returns the parsed URL (normalised: lower-case host, escaped path).
pub(crate) fn web_url(field: &'static str, value: &str) -> Result<Url, ResponseError> {
    let value = value.trim();
    if value.chars().count() > MAX_URL_CHARS {
        return Err(ResponseError::invalid(field, format!("is longer than {MAX_URL_CHARS} characters")));
    }
    let url = Url::parse(value).map_err(|e| ResponseError::invalid(field, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ResponseError::invalid(field, "must be an http or https link with a host"));
    }
    Ok(url)
}

/// The host of a URL without a leading `www.`, for public listings that must not show full links.
pub fn host_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").map(str::to_string).unwrap_or(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_be_web_links_with_a_host() {
        assert_eq!(web_url("url", " https://Example.ORG/a b ").unwrap().as_str(), "https://example.org/a%20b");
        for bad in ["javascript:alert(1)", "ftp://x.org/", "/relative", "https://", "data:text/html,<script>"] {
            assert!(matches!(web_url("url", bad), Err(ResponseError::Invalid { field: "url", .. })), "{bad}");
        }
        let long = format!("https://x.org/{}", "a".repeat(MAX_URL_CHARS));
        assert!(web_url("url", &long).is_err());
        assert_eq!(host_of("https://www.TikTok.com/@a/video/1").as_deref(), Some("tiktok.com"));
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(clean_text("title", "  a  ", 5, true, false).unwrap(), "a");
        assert!(clean_text("title", "   ", 5, true, false).is_err());
        assert!(clean_text("title", "abcdef", 5, true, false).is_err());
        assert!(clean_text("title", "a\u{7}b", 5, true, false).is_err());
        assert!(clean_text("title", "a\nb", 5, true, false).is_err());
        assert_eq!(clean_text("body", "a\nb", 5, true, true).unwrap(), "a\nb");
        assert!(clean_text("title", "a    ", 4, true, false).is_err(), "the length as sent");
        assert!(clean_text("title", "a\u{b}", 5, true, false).is_err(), "control characters as sent");
    }
}
