//! Citizen reports. Only the hash of a report's status token is stored, and contacts are erased after the
//! retention period. Reports are not in the audit trail when they arrive (the trail is permanent and
//! would keep what the reporter wrote); analysts' changes are, without the report's text or contact.

use chrono::{DateTime, Utc};
use tangkal_cases::Actor;
use tangkal_model::NarrativeId;
use tangkal_response::report::{CitizenReport, ReportChange, ReportStatus};
use tangkal_response::ResponseError;

use crate::audit::Entry;
use crate::{ResponseUpdate, Result, StoreError};

/// Which reports to list; every condition optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub status: Option<ReportStatus>,
    pub platform: Option<String>,
    pub case_id: Option<i64>,
    pub narrative_id: Option<NarrativeId>,
    /// Received at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// With an instant answer (true) or without one (false).
    pub answered: Option<bool>,
    /// Tied to a case (true) or not (false).
    pub linked: Option<bool>,
}

pub trait ReportStore {
    /// Stores a report from `CitizenReport::received` with the hash of its status token, giving it its id
    /// and reference.
    fn add_report(&mut self, report: &CitizenReport, token_hash: &[u8; 32]) -> Result<CitizenReport>;
    fn report(&self, id: i64) -> Result<Option<CitizenReport>>;
    /// The report with this reference, if `token` is its status token; an unknown reference and a wrong
    /// token look the same.
    fn report_for_reporter(&self, reference: &str, token: &str) -> Result<Option<CitizenReport>>;
    /// Newest first.
    fn list_reports(&self, filter: &ReportFilter, limit: u64, offset: u64) -> Result<Vec<CitizenReport>>;
    fn count_reports(&self, filter: &ReportFilter) -> Result<u64>;
    fn update_report(
        &mut self,
        id: i64,
        change: ReportChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<CitizenReport>>;
    /// Erases the contact of every report received before `received_before` (the retention job);
    /// returns how many were erased.
    fn erase_expired_contacts(&mut self, received_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64>;
    /// Where a report that reads like narrative `narrative_id` joins triage: the narrative as it stands
    /// now (merges followed) and its earliest open case, if any (one linking it or a narrative merged
    /// into it). None when the store does not know the narrative.
    fn triage_of(&self, narrative_id: NarrativeId) -> Result<Option<(NarrativeId, Option<i64>)>>;
}

pub(crate) const SELECT: &str =
    "SELECT id, reference, text, url, platform, contact, contact_erased, status, answer, narrative_id,
                             case_id, dismiss_reason, received_at, updated_at, channel FROM citizen_reports";

/// A filter's values, in `sqlite::reports::MATCHING`'s order (PostgreSQL's version of it takes the same).
pub(crate) struct Matching {
    pub status: Option<&'static str>,
    pub platform: Option<String>,
    pub case_id: Option<i64>,
    pub narrative_id: Option<NarrativeId>,
    /// UTC seconds.
    pub since: Option<i64>,
    pub answered: Option<bool>,
    pub linked: Option<bool>,
}

impl Matching {
    pub(crate) fn of(filter: &ReportFilter) -> Matching {
        Matching {
            status: filter.status.map(ReportStatus::as_str),
            platform: filter.platform.as_deref().map(|p| p.trim().to_lowercase()),
            case_id: filter.case_id,
            narrative_id: filter.narrative_id,
            // Times are stored, and shown, in whole seconds: a report shown as received at 10:00:00 was
            // received at or after 09:59:59.5, and not at or after 10:00:00.5.
            since: filter.since.map(|t| t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)),
            answered: filter.answered,
            linked: filter.linked,
        }
    }
}

pub(crate) fn answer_json(report: &CitizenReport) -> Result<Option<String>> {
    report
        .answer
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Internal(format!("cannot serialise a report answer: {e}")))
}

/// The data of the `report.received` webhook event: never the text, link or contact, since a report is
/// someone's own message.
pub(crate) fn received_event(stored: &CitizenReport) -> serde_json::Value {
    serde_json::json!({
        "report_id": stored.id, "reference": stored.reference, "platform": stored.platform,
        "channel": stored.channel, "status": stored.status, "narrative_id": stored.narrative_id,
        "case_id": stored.case_id,
    })
}

/// What the audit trail keeps of an analyst's change: the case linked or the reason for dismissing, never
/// the report's text or contact.
pub(crate) fn recorded_change(change: &ReportChange) -> serde_json::Value {
    match change {
        ReportChange::LinkCase { case_id } => serde_json::json!({ "case_id": case_id }),
        ReportChange::Dismiss { reason } => serde_json::json!({ "reason": reason }),
    }
}

/// The refusal of a link to a case that does not exist.
pub(crate) fn no_such_case(case_id: i64) -> ResponseUpdate<CitizenReport> {
    ResponseUpdate::Refused(ResponseError::Invalid { field: "case_id", reason: format!("names no case ({case_id})") })
}

/// The audit entry of the retention job's erasure of `erased` contacts.
pub(crate) fn erasure_entry(received_before: DateTime<Utc>, erased: u64) -> Result<Entry<'static>> {
    let what = serde_json::json!({ "received_before": received_before, "erased": erased });
    Entry::created("system:retention", "report", 0, "report.erase_contacts", &what)
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use chrono::Duration;
    use rand_core::OsRng;
    use tangkal_cases::{Role, UserRef};
    use tangkal_model::ItemId;
    use tangkal_response::report::{NewReport, ReportIntake, StatusToken};

    use super::*;
    use crate::narratives::one_item_narrative;
    use crate::response_fixtures::{desk, on_both_desks, sql, t0, Desk};
    use crate::testing::{on_both_backends, Backend};
    use crate::{AuditFilter, Store};

    type AnyDesk = Desk<Box<dyn Store>>;

    fn receive(
        store: &mut dyn Store,
        text: &str,
        contact: Option<&str>,
        at: DateTime<Utc>,
    ) -> (CitizenReport, StatusToken) {
        let new = NewReport {
            text: Some(text.into()),
            url: None,
            platform: "whatsapp".into(),
            contact: contact.map(str::to_string),
        };
        let valid = new.validate(&["whatsapp".to_string()]).unwrap();
        let token = StatusToken::generate(&mut OsRng);
        let report = CitizenReport::received(&valid, &ReportIntake::default(), at);
        (store.add_report(&report, &token.hash()).unwrap(), token)
    }

    /// An analyst as a report's changes need one (they do not look the user up).
    fn analyst(id: i64) -> Actor {
        Actor::new(UserRef { id, name: format!("analis{id}") }, Role::Analyst, None)
    }

    on_both_backends!(
        reporters_follow_their_report_with_its_token_only,
        contacts_are_erased_after_the_retention_period,
        lists_filter_by_narrative_and_time_received,
        reports_arriving_at_several_servers_at_once_get_distinct_references,
        a_report_dismissed_by_two_analysts_at_once_is_dismissed_once,
        contacts_erased_by_two_servers_at_once_are_erased_once,
    );
    on_both_desks!(
        analysts_link_and_dismiss_and_the_trail_keeps_no_personal_data,
        lists_filter_by_status_and_platform,
        a_narrative_s_triage_follows_merges_to_its_open_case,
    );

    fn reporters_follow_their_report_with_its_token_only(backend: &Backend) {
        let mut store = backend.open();
        let (report, token) = receive(store.as_mut(), "Bansos cair hari ini", Some("budi@example.id"), t0());
        assert_eq!(report.reference, "ADU/2026/12/000001");
        assert_eq!(store.report(report.id).unwrap().unwrap(), report);
        assert_eq!(store.report_for_reporter(&report.reference, token.as_str()).unwrap().unwrap(), report);
        let other = StatusToken::generate(&mut OsRng);
        assert_eq!(store.report_for_reporter(&report.reference, other.as_str()).unwrap(), None);
        assert_eq!(store.report_for_reporter("ADU/2026/12/000002", token.as_str()).unwrap(), None);
        let hashed = sql(backend, "SELECT COUNT(*) FROM citizen_reports WHERE length(token_hash) = 32");
        assert_eq!(hashed, Some(1), "only the hash is kept, not the {}-character token", token.as_str().len());
        let (second, _) = receive(store.as_mut(), "Vaksin", None, t0());
        assert_eq!(second.reference, "ADU/2026/12/000002");
    }

    fn analysts_link_and_dismiss_and_the_trail_keeps_no_personal_data(mut desk: AnyDesk) {
        let case = desk.case("Bansos", None);
        let (report, _) = receive(desk.store.as_mut(), "Pesan dari Budi Santoso", Some("budi@example.id"), t0());
        let analyst = desk.analyst.clone();
        let nowhere =
            desk.store.update_report(report.id, ReportChange::LinkCase { case_id: 999 }, &analyst, t0()).unwrap();
        assert!(matches!(nowhere, ResponseUpdate::Refused(ResponseError::Invalid { field: "case_id", .. })));
        let communicator = desk.communicator.clone();
        let refused = desk
            .store
            .update_report(report.id, ReportChange::LinkCase { case_id: case.id }, &communicator, t0())
            .unwrap();
        assert!(matches!(refused, ResponseUpdate::Refused(ResponseError::Case(_))));
        assert_eq!(desk.store.report(report.id).unwrap().unwrap(), report, "refusals write nothing");

        let linked =
            desk.store.update_report(report.id, ReportChange::LinkCase { case_id: case.id }, &analyst, t0()).unwrap();
        let ResponseUpdate::Done(linked) = linked else { panic!("{linked:?}") };
        assert_eq!((linked.status, linked.case_id), (ReportStatus::Linked, Some(case.id)));
        assert_eq!(desk.store.report(report.id).unwrap().unwrap(), *linked);
        let by_case = ReportFilter { case_id: Some(case.id), ..ReportFilter::default() };
        assert_eq!(desk.store.count_reports(&by_case).unwrap(), 1);
        desk.store
            .update_report(report.id, ReportChange::Dismiss { reason: "duplikat".into() }, &analyst, t0())
            .unwrap();

        let trail = serde_json::to_string(&desk.store.audit_events(&AuditFilter::default(), 100, 0).unwrap()).unwrap();
        assert!(trail.contains("report.link") && trail.contains("report.dismiss"));
        assert!(!trail.contains("budi") && !trail.contains("Budi"), "{trail}");
    }

    fn contacts_are_erased_after_the_retention_period(backend: &Backend) {
        let mut store = backend.open();
        let (old, _) = receive(store.as_mut(), "lama", Some("budi@example.id"), t0() - Duration::days(91));
        let (recent, _) = receive(store.as_mut(), "baru", Some("+62 812 3456 7890"), t0() - Duration::days(10));
        let (anonymous, _) = receive(store.as_mut(), "tanpa kontak", None, t0() - Duration::days(100));
        let cutoff = t0() - Duration::days(90);
        assert_eq!(store.erase_expired_contacts(cutoff, t0()).unwrap(), 1);
        let erased = store.report(old.id).unwrap().unwrap();
        assert_eq!((erased.contact, erased.contact_erased, erased.text.as_deref()), (None, true, Some("lama")));
        assert_eq!(store.report(recent.id).unwrap().unwrap().contact.as_deref(), Some("+62 812 3456 7890"));
        assert!(!store.report(anonymous.id).unwrap().unwrap().contact_erased, "nothing to erase there");
        assert_eq!(store.erase_expired_contacts(cutoff, t0()).unwrap(), 0, "once");
        let events = sql(backend, "SELECT COUNT(*) FROM audit_events WHERE action = 'report.erase_contacts'");
        assert_eq!(events, Some(1));
    }

    /// SQLite overwrites what it frees while it erases, and only then.
    #[test]
    fn erasing_contacts_on_sqlite_leaves_secure_delete_off() {
        let mut desk = desk();
        receive(&mut desk.store, "lama", Some("budi@example.id"), t0() - Duration::days(91));
        assert_eq!(desk.store.erase_expired_contacts(t0() - Duration::days(90), t0()).unwrap(), 1);
        let secure_delete: i64 = desk.store.conn.query_row("PRAGMA secure_delete", [], |r| r.get(0)).unwrap();
        assert_eq!(secure_delete, 0, "imports are not slowed down afterwards");
    }

    fn lists_filter_by_status_and_platform(mut desk: AnyDesk) {
        let (a, _) = receive(desk.store.as_mut(), "a", None, t0());
        let (b, _) = receive(desk.store.as_mut(), "b", None, t0() + Duration::hours(1));
        let analyst = desk.analyst.clone();
        desk.store.update_report(a.id, ReportChange::Dismiss { reason: "spam".into() }, &analyst, t0()).unwrap();
        let ids = |desk: &AnyDesk, f: &ReportFilter| {
            desk.store.list_reports(f, 10, 0).unwrap().iter().map(|r| r.id).collect::<Vec<_>>()
        };
        assert_eq!(ids(&desk, &ReportFilter::default()), [b.id, a.id]);
        let received = ReportFilter { status: Some(ReportStatus::Received), ..ReportFilter::default() };
        assert_eq!(ids(&desk, &received), [b.id]);
        let platform = ReportFilter { platform: Some("WhatsApp".into()), ..ReportFilter::default() };
        assert_eq!(desk.store.count_reports(&platform).unwrap(), 2);
        let other = ReportFilter { platform: Some("x".into()), ..ReportFilter::default() };
        assert_eq!(desk.store.count_reports(&other).unwrap(), 0);
        let answer = r#"{"rating":"HOAKS","title":"t","url":"https://cek.example/a"}"#;
        let new = tangkal_cases::NewCase { title: "Kasus".into(), ..Default::default() };
        let case = desk.store.open_case(&new, "test", t0()).unwrap();
        desk.store.update_report(b.id, ReportChange::LinkCase { case_id: case.id }, &analyst, t0()).unwrap();
        sql(&desk.backend, &format!("UPDATE citizen_reports SET answer = '{answer}' WHERE id = {}", a.id));
        let linked = |on: bool| ReportFilter { linked: Some(on), ..ReportFilter::default() };
        assert_eq!((ids(&desk, &linked(true)), ids(&desk, &linked(false))), (vec![b.id], vec![a.id]));
        let answered = |on: bool| ReportFilter { answered: Some(on), ..ReportFilter::default() };
        assert_eq!((ids(&desk, &answered(true)), ids(&desk, &answered(false))), (vec![a.id], vec![b.id]));
    }

    fn lists_filter_by_narrative_and_time_received(backend: &Backend) {
        let mut store = backend.open();
        let (early, _) = receive(store.as_mut(), "a", None, t0());
        let (late, _) = receive(store.as_mut(), "b", None, t0() + Duration::minutes(10));
        sql(backend, &format!("UPDATE citizen_reports SET narrative_id = 4 WHERE id = {}", early.id));
        let ids = |f: ReportFilter| store.list_reports(&f, 10, 0).unwrap().iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(ReportFilter { narrative_id: Some(NarrativeId(4)), ..ReportFilter::default() }), [early.id]);
        let since = |t: DateTime<Utc>| ReportFilter { since: Some(t), ..ReportFilter::default() };
        assert_eq!(ids(since(t0())), [late.id, early.id], "at the instant itself");
        assert_eq!(ids(since(t0() + Duration::milliseconds(500))), [late.id], "stored, and shown, to the second");
        assert_eq!(store.count_reports(&since(t0() + Duration::minutes(10))).unwrap(), 1);
        assert_eq!(store.list_reports(&ReportFilter::default(), 1, 1).unwrap()[0].id, early.id, "paged");
    }

    /// A report's reference is made from its id: reports stored by several servers at once get distinct
    /// ones.
    fn reports_arriving_at_several_servers_at_once_get_distinct_references(backend: &Backend) {
        let barrier = Barrier::new(4);
        let mut references: Vec<String> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut store = backend.open();
                        barrier.wait();
                        (0..5).map(|_| receive(store.as_mut(), "Bansos", None, t0()).0.reference).collect::<Vec<_>>()
                    })
                })
                .collect();
            servers.into_iter().flat_map(|server| server.join().unwrap()).collect()
        });
        references.sort();
        let expected: Vec<String> = (1..=20).map(|n| format!("ADU/2026/12/{n:06}")).collect();
        assert_eq!(references, expected);
        let events = sql(backend, "SELECT COUNT(*) FROM webhook_events WHERE kind = 'report.received'");
        assert_eq!(events, Some(20));
    }

    /// Two analysts dismissing one report at once: one dismisses it, the other is told it was.
    fn a_report_dismissed_by_two_analysts_at_once_is_dismissed_once(backend: &Backend) {
        let (report, _) = receive(backend.open().as_mut(), "Bansos", None, t0());
        let barrier = Barrier::new(2);
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let analysts: Vec<_> = (1..=2)
                .map(|n| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let mut store = backend.open();
                        barrier.wait();
                        let dismiss = ReportChange::Dismiss { reason: format!("alasan {n}") };
                        store.update_report(report.id, dismiss, &analyst(n), t0()).unwrap()
                    })
                })
                .collect();
            analysts.into_iter().map(|analyst| analyst.join().unwrap()).collect()
        });
        let Some(ResponseUpdate::Done(dismissed)) = outcomes.iter().find(|o| matches!(o, ResponseUpdate::Done(_)))
        else {
            panic!("{outcomes:?}")
        };
        assert!(
            outcomes.iter().any(|o| matches!(o, ResponseUpdate::Refused(ResponseError::NotAllowed(_)))),
            "{outcomes:?}"
        );
        assert_eq!(backend.open().report(report.id).unwrap().unwrap(), **dismissed, "the winner's reason stands");
        let events = sql(backend, "SELECT COUNT(*) FROM audit_events WHERE action = 'report.dismiss'");
        assert_eq!(events, Some(1));
    }

    /// Two servers' retention jobs at once erase each contact once, and say so once in the trail.
    fn contacts_erased_by_two_servers_at_once_are_erased_once(backend: &Backend) {
        let mut store = backend.open();
        for n in 0..10 {
            receive(store.as_mut(), "lama", Some(&format!("warga{n}@example.id")), t0() - Duration::days(91));
        }
        let cutoff = t0() - Duration::days(90);
        let barrier = Barrier::new(2);
        let erased: Vec<u64> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let mut store = backend.open();
                        barrier.wait();
                        store.erase_expired_contacts(cutoff, t0()).unwrap()
                    })
                })
                .collect();
            servers.into_iter().map(|server| server.join().unwrap()).collect()
        });
        assert_eq!(erased.iter().sum::<u64>(), 10, "{erased:?}");
        let events = sql(backend, "SELECT COUNT(*) FROM audit_events WHERE action = 'report.erase_contacts'");
        assert_eq!(events, Some(erased.iter().filter(|&&n| n > 0).count() as i64));
        assert_eq!(sql(backend, "SELECT COUNT(*) FROM citizen_reports WHERE contact IS NOT NULL"), Some(0));
    }

    fn a_narrative_s_triage_follows_merges_to_its_open_case(mut desk: AnyDesk) {
        use crate::{ItemRecord, NarrativeMerge, NarrativeUpdate, SourceRef};
        use tangkal_cases::{Change, NewCase, Status};
        let items: Vec<_> = (0..2)
            .map(|i| {
                let line = format!(
                    r#"{{"id":"x:{i}","platform":"x","text":"teks {i}","published_at":"2024-02-03T05:12:4{i}Z"}}"#
                );
                tangkal_model::parse_json_item(line.as_bytes(), 1 << 20).unwrap()
            })
            .collect();
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
        desk.store.write_items(&SourceRef { kind: "file".into(), location: "t.jsonl".into() }, &records).unwrap();
        let ids: Vec<ItemId> = desk.store.items_after(ItemId(0), 10).unwrap().iter().map(|i| i.id).collect();
        let update = NarrativeUpdate {
            assignments: vec![(ids[0], NarrativeId(1), 0), (ids[1], NarrativeId(2), 1)],
            merges: vec![],
            figures: vec![one_item_narrative(NarrativeId(1), ids[0]), one_item_narrative(NarrativeId(2), ids[1])],
        };
        desk.store.save_narratives(&update).unwrap();
        assert_eq!(
            desk.store.triage_of(NarrativeId(2)).unwrap(),
            Some((NarrativeId(2), None)),
            "known, without a case"
        );
        assert_eq!(desk.store.triage_of(NarrativeId(9)).unwrap(), None, "unknown");

        // Narrative 2 had a case that was dismissed; then it merged into 1, which has an open case.
        let open = |desk: &mut AnyDesk, title: &str| {
            desk.store.open_case(&NewCase { title: title.into(), ..NewCase::default() }, "test", t0()).unwrap().id
        };
        let dismissed = open(&mut desk, "lama");
        desk.store.link_narrative(dismissed, NarrativeId(2), ids[1], "test", t0()).unwrap();
        let analyst = desk.analyst.clone();
        let dismiss = Change::Move { to: Status::Dismissed, reason: Some("bukan hoaks".into()) };
        desk.store.update_case(dismissed, dismiss, &analyst, t0()).unwrap();
        assert_eq!(
            desk.store.triage_of(NarrativeId(2)).unwrap(),
            Some((NarrativeId(2), None)),
            "a dismissed case is not open"
        );
        let live = open(&mut desk, "baru");
        desk.store.link_narrative(live, NarrativeId(1), ids[0], "test", t0()).unwrap();
        let merge = NarrativeUpdate {
            assignments: vec![],
            merges: vec![NarrativeMerge { absorbed: NarrativeId(2), into: NarrativeId(1), item_id: ids[1] }],
            figures: vec![one_item_narrative(NarrativeId(1), ids[0])],
        };
        desk.store.save_narratives(&merge).unwrap();
        assert_eq!(desk.store.triage_of(NarrativeId(2)).unwrap(), Some((NarrativeId(1), Some(live))));
        assert_eq!(desk.store.triage_of(NarrativeId(1)).unwrap(), Some((NarrativeId(1), Some(live))));
    }
}
