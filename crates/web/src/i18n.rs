//! The pages' words, in Bahasa Indonesia (the default) and English. Every string a page shows comes
//! from a catalogue (`i18n/id.toml`, `i18n/en.toml`), compiled into the binary; tests hold the two
//! catalogues to the same keys and placeholders, and every key the templates and code use to exist.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The cookie that remembers a reader's language.
pub const LANG_COOKIE: &str = "tangkal_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

type Catalogue = HashMap<String, String>;

/// Sections of `[section]` tables become `section.key`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) {
    for (key, value) in table {
        let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&name, inner, out),
            toml::Value::String(text) => {
                out.insert(name, text.clone());
            }
            other => panic!("i18n: {name} is a {}, not text", other.type_str()),
        }
    }
}

fn parse(source: &str, file: &str) -> Catalogue {
    let table: toml::Table = source.parse().unwrap_or_else(|e| panic!("i18n/{file}: {e}"));
    let mut out = Catalogue::new();
    flatten("", &table, &mut out);
    out
}

static INDONESIAN: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../i18n/id.toml"), "id.toml"));
static ENGLISH: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../i18n/en.toml"), "en.toml"));

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    /// The BCP 47 tag, for `<html lang>` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The locale Open Graph names (`og:locale`).
    pub fn locale(self) -> &'static str {
        match self {
            Lang::Id => "id_ID",
            Lang::En => "en_GB",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language a page switches to.
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    fn catalogue(self) -> &'static Catalogue {
        match self {
            Lang::Id => &INDONESIAN,
            Lang::En => &ENGLISH,
        }
    }

    /// The text under `key`. A missing key shows as itself (tests make sure none is missing).
    pub fn t(self, key: &str) -> &str {
        self.catalogue().get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text under `key` with each `{name}` replaced by its value.
    pub fn fill(self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether `key` is in this language's catalogue.
    pub fn has(self, key: &str) -> bool {
        self.catalogue().contains_key(key)
    }
}

/// The literal keys that `source` (a template or Rust code) passes to [`Lang::t`] or [`Lang::fill`] and
/// that the catalogues lack: for the tests of every crate that writes page text.
pub fn unknown_keys(source: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for call in [".t(\"", ".fill(\""] {
        for rest in source.split(call).skip(1) {
            let key = rest.split('"').next().unwrap_or_default();
            if !Lang::Id.has(key) {
                missing.push(key.to_string());
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn both_catalogues_have_the_same_keys_and_placeholders_and_no_empty_text() {
        let id: BTreeSet<&String> = INDONESIAN.keys().collect();
        let en: BTreeSet<&String> = ENGLISH.keys().collect();
        let only_id: Vec<_> = id.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&id).collect();
        assert!(only_id.is_empty() && only_en.is_empty(), "only in id: {only_id:?}; only in en: {only_en:?}");
        for key in id {
            let (a, b) = (&INDONESIAN[key], &ENGLISH[key]);
            assert!(!a.trim().is_empty() && !b.trim().is_empty(), "{key} is empty");
            assert_eq!(placeholders(a), placeholders(b), "{key}: placeholders differ");
        }
    }

    /// Every key the templates and the crate's code name exists.
    #[test]
    fn every_key_used_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("templates"), root.join("src")];
        let (mut files, mut missing) = (0, Vec::new());
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                missing.extend(unknown_keys(&text).into_iter().map(|key| format!("{}: {key}", path.display())));
            }
        }
        assert!(files > 10, "the scan found the sources ({files})");
        assert!(missing.is_empty(), "keys used but not in the catalogues: {missing:?}");
        // Written in two parts, so that this file's own scan does not see the unknown key.
        let sample = format!("{}{}", r#"lang.t("queue.heading") lang.fill"#, r#"("no.such.key", &[])"#);
        assert_eq!(unknown_keys(&sample), ["no.such.key"]);
    }

    #[test]
    fn values_fill_their_placeholders() {
        let unknown = "no.such.key";
        assert_eq!(Lang::Id.t(unknown), unknown);
        assert!(Lang::En.fill("queue.shown", &[("shown", "3"), ("total", "10")]).contains("3"));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Id.other(), Lang::En);
    }
}
