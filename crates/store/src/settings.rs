//! Settings an administrator changes on the desk (the claim matcher's thresholds, each platform's
//! takedown addressee), kept in the store so that every process reading it sees the same value and the
//! audit trail shows who changed what. The store keeps JSON under a key; the callers own the meaning.

use chrono::{DateTime, Utc};

use crate::Result;

/// A stored setting and who set it last.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

pub trait SettingStore {
    /// The setting under `key`, if an administrator ever set it.
    fn setting(&self, key: &str) -> Result<Option<Setting>>;
    /// Every setting whose key starts with `prefix`, by key.
    fn settings_under(&self, prefix: &str) -> Result<Vec<Setting>>;
    /// Sets `key` to `value` and records the change (before and after) on the audit trail; setting the
    /// value it already has changes and records nothing.
    fn put_setting(&mut self, key: &str, value: &serde_json::Value, actor: &str, now: DateTime<Utc>)
        -> Result<Setting>;
}

pub(crate) const SELECT_SETTING: &str = "SELECT key, value, updated_at, updated_by FROM settings";

/// A stored setting, its value read back from its JSON text.
pub(crate) fn setting_of(key: String, value: &str, updated_at: i64, updated_by: String) -> serde_json::Result<Setting> {
    Ok(Setting {
        key,
        value: serde_json::from_str(value)?,
        updated_at: DateTime::from_timestamp(updated_at, 0).unwrap_or_default(),
        updated_by,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::testing::{on_both_backends, Backend};
    use crate::AuditFilter;

    on_both_backends!(
        settings_are_kept_by_key_and_every_change_is_audited_once,
        administrators_changing_a_setting_at_once_each_see_the_change_before_theirs,
    );

    fn settings_are_kept_by_key_and_every_change_is_audited_once(backend: &Backend) {
        let mut store = backend.open();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        assert_eq!(store.setting("matcher.thresholds").unwrap(), None);

        store.put_setting("matcher.thresholds", &json!({"auto_answer": 0.5}), "admin", at).unwrap();
        let later = at + chrono::Duration::minutes(5);
        store.put_setting("matcher.thresholds", &json!({"auto_answer": 0.6}), "rina", later).unwrap();
        // The same value again is no change.
        store.put_setting("matcher.thresholds", &json!({"auto_answer": 0.6}), "rina", later).unwrap();
        store.put_setting("platform.tiktok", &json!({"addressee": "TikTok"}), "admin", at).unwrap();
        store.put_setting("platform.Meta", &json!({"addressee": "Meta"}), "admin", at).unwrap();
        store.put_setting("platform_x", &json!(1), "admin", at).unwrap();

        let stored = store.setting("matcher.thresholds").unwrap().unwrap();
        assert_eq!(
            (stored.value, stored.updated_by, stored.updated_at),
            (json!({"auto_answer": 0.6}), "rina".into(), later)
        );
        let platforms: Vec<String> = store.settings_under("platform.").unwrap().into_iter().map(|s| s.key).collect();
        assert_eq!(platforms, ["platform.Meta", "platform.tiktok"], "by key, in byte order");
        assert_eq!(store.settings_under("").unwrap().len(), 4);

        let events = store
            .audit_events(&AuditFilter { entity: Some("setting".into()), ..AuditFilter::default() }, 10, 0)
            .unwrap();
        let thresholds: Vec<_> = events.iter().filter(|e| e.entity_id == "matcher.thresholds").collect();
        assert_eq!(thresholds.len(), 2);
        assert!(thresholds.iter().any(|e| e.before.as_deref() == Some(r#"{"auto_answer":0.5}"#)
            && e.after.as_deref() == Some(r#"{"auto_answer":0.6}"#)
            && e.actor == "rina"));
    }

    /// Several servers set one setting at once, the first time it is set: every change on the trail starts
    /// from the value the one before it left, and the stored value is the last one.
    fn administrators_changing_a_setting_at_once_each_see_the_change_before_theirs(backend: &Backend) {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        let values = [1, 2, 1, 3, 2, 3];
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(values.len()));
        let threads: Vec<_> = values
            .into_iter()
            .map(|value| {
                let (mut store, barrier) = (backend.open(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.put_setting("matcher.thresholds", &json!(value), &format!("admin{value}"), at).unwrap();
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let store = backend.open();
        let filter = AuditFilter { entity: Some("setting".into()), entity_id: Some("matcher.thresholds".into()) };
        let events = store.audit_events(&filter, 100, 0).unwrap();
        assert!(!events.is_empty());
        let mut before = None;
        for event in &events {
            assert_eq!(event.before, before, "{events:#?}");
            assert_ne!(event.after, before, "a change to the value it had is no change");
            before = event.after.clone();
        }
        let stored = store.setting("matcher.thresholds").unwrap().unwrap();
        assert_eq!(Some(stored.value.to_string()), before);
        assert!(store.verify_audit().unwrap().problems.is_empty());
    }
}
