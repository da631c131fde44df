//! The stylesheet, the script and the icon, compiled into the binary and served under addresses that carry a
//! hash of their content (`/assets/desk.3f9a….css`): a browser may keep them forever, and a new build
//! with a changed file has a new address. Nothing comes from another site (no CDN, no web fonts).

use std::sync::LazyLock;

/// Where assets are served.
pub const ASSET_PREFIX: &str = "/assets/";

/// How long a browser may keep an asset: a year, never revalidated (the address changes with the content).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub struct Asset {
    /// The address, with the content hash: `/assets/desk.<hash>.css`.
    pub path: String,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

impl Asset {
    fn new(stem: &str, extension: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
        let hash = xxhash_rust::xxh3::xxh3_64(body);
        Asset { path: format!("{ASSET_PREFIX}{stem}.{hash:016x}.{extension}"), content_type, body }
    }
}

static STYLESHEET: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("desk", "css", "text/css; charset=utf-8", include_bytes!("../assets/desk.css")));
static SCRIPT: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("desk", "js", "text/javascript; charset=utf-8", include_bytes!("../assets/desk.js")));

static ICON: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("icon", "svg", "image/svg+xml", include_bytes!("../assets/favicon.svg")));

pub fn stylesheet() -> &'static Asset {
    &STYLESHEET
}

pub fn script() -> &'static Asset {
    &SCRIPT
}

pub fn icon() -> &'static Asset {
    &ICON
}

/// The asset at `path` (the whole address, hash included): an outdated hash finds nothing.
pub fn find(path: &str) -> Option<&'static Asset> {
    [stylesheet(), script(), icon()].into_iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_carry_the_content_hash_and_only_current_ones_are_found() {
        let css = stylesheet();
        assert!(css.path.starts_with("/assets/desk.") && css.path.ends_with(".css"), "{}", css.path);
        assert_eq!(css.path.len(), "/assets/desk..css".len() + 16);
        assert!(std::ptr::eq(find(&css.path).unwrap(), css));
        assert!(find(&script().path).is_some());
        assert!(find("/assets/desk.0000000000000000.css").is_none());
        assert!(find("/assets/desk.css").is_none());
    }

    #[test]
    fn assets_stay_small_and_load_nothing_from_elsewhere() {
        for asset in [stylesheet(), script(), icon()] {
            let text = std::str::from_utf8(asset.body).unwrap().replace("http://www.w3.org/2000/svg", "");
            assert!(asset.body.len() < 40 * 1024, "{} is {} bytes", asset.path, asset.body.len());
            for outside in ["http://", "https://", "@import", "url("] {
                assert!(!text.contains(outside), "{} mentions {outside}", asset.path);
            }
        }
    }
}
