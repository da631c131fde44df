//! One client setup for everything Tangkal fetches over HTTP (news feeds, partners' fact-checks): a
//! deadline for the whole exchange, a cap on the body and a user agent naming Tangkal, so that a slow or
//! oversized answer can neither stall nor exhaust an import.

use std::time::Duration;

use anyhow::Context;

/// Larger answers are refused: a feed, a page of fact-checks or an article is kilobytes to megabytes.
pub(crate) const MAX_BODY_BYTES: u64 = 32 << 20;
const TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("tangkal/", env!("CARGO_PKG_VERSION"));

/// A client whose answers [`get`] checks itself, so that a refusal can be reported with its reason.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into()
}

/// GETs `url`, with `bearer` as its `Authorization` when given (ureq never forwards it on a redirect).
/// Returns the body; an answer other than 2xx is an error naming the status and, for a problem document, its detail.
pub(crate) fn get(agent: &ureq::Agent, url: &str, bearer: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let mut request = agent.get(url).header("User-Agent", USER_AGENT);
    if let Some(token) = bearer {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().with_context(|| format!("cannot fetch {url}"))?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
        .with_context(|| format!("cannot read the answer of {url}"))?;
    anyhow::ensure!(status.is_success(), "{url} answered {status}{}", reason(&body));
    Ok(body)
}

/// `: detail` of an RFC 9457 problem document (what another Tangkal answers), else nothing.
fn reason(body: &[u8]) -> String {
    let problem: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    match problem.get("detail").or_else(|| problem.get("title")).and_then(|d| d.as_str()) {
        Some(said) => format!(": {}", said.chars().take(300).collect::<String>()),
        None => String::new(),
    }
}
