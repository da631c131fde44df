//! Takedown requests with their URLs and every answer a platform gave. Changes go through
//! `tangkal_response::takedown::TakedownRequest::apply` and are written with their audit event in one
//! transaction.

use chrono::{DateTime, Utc};
use tangkal_cases::Actor;
use tangkal_response::takedown::{OutcomeCounts, RequestState, TakedownChange, TakedownRequest, TakedownUrl, UrlEvent};
use tangkal_response::transparency::RequestFigures;

use crate::users::time;
use crate::{ResponseUpdate, Result, StoreError};

/// Which requests to list; every condition optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct TakedownFilter {
    pub platform: Option<String>,
    pub case_id: Option<i64>,
    /// Where the request stands at the `now` given to the query.
    pub state: Option<RequestState>,
}

/// The outcome of [`TakedownStore::create_takedown`].
#[derive(Debug, Clone, PartialEq)]
pub enum TakedownCreate {
    Created(Box<TakedownRequest>),
    /// The case already has a request to this platform: add URLs to that one.
    Duplicate {
        id: i64,
        reference: String,
    },
}

pub trait TakedownStore {
    /// Stores a request prepared by `TakedownRequest::prepare`, giving it its id and reference.
    fn create_takedown(&mut self, request: &TakedownRequest) -> Result<TakedownCreate>;
    fn takedown(&self, id: i64) -> Result<Option<TakedownRequest>>;
    /// Newest first.
    fn list_takedowns(
        &self,
        filter: &TakedownFilter,
        now: DateTime<Utc>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<TakedownRequest>>;
    fn count_takedowns(&self, filter: &TakedownFilter, now: DateTime<Utc>) -> Result<u64>;
    /// Adds URLs or records outcomes. A request the actor may not see is [`ResponseUpdate::NotFound`].
    fn update_takedown(
        &mut self,
        id: i64,
        change: &TakedownChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<TakedownRequest>>;
    /// Requests sent at or before `sent_until` (what the transparency log may show), newest first.
    fn public_takedowns(&self, sent_until: DateTime<Utc>, limit: u64, offset: u64) -> Result<Vec<TakedownRequest>>;
    fn count_public_takedowns(&self, sent_until: DateTime<Utc>) -> Result<u64>;
    /// What the transparency figures count of every request sent at or before `sent_until`, in one pass
    /// over their URLs.
    fn public_takedown_figures(&self, sent_until: DateTime<Utc>) -> Result<Vec<RequestFigures>>;
    /// URLs removed or restricted at an instant in `[since, until)`.
    fn count_complied_urls(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<u64>;
}

/// Adds each `(URL id, answer)`, in order, to the history of the request's URL of that id (`url_ids` are
/// the ids of `request.urls`, in their order).
pub(crate) fn attach_events(
    request: &mut TakedownRequest,
    url_ids: &[i64],
    events: impl IntoIterator<Item = (i64, UrlEvent)>,
) -> Result<()> {
    for (url_id, event) in events {
        let i = url_ids
            .iter()
            .position(|u| *u == url_id)
            .ok_or_else(|| StoreError::Corrupt(format!("takedown {}: stray URL event", request.id)))?;
        request.urls[i].history.push(event);
    }
    Ok(())
}

/// A URL of a request to write: `new` to add, otherwise changed since it was read.
pub(crate) struct UrlSave<'a> {
    pub url: &'a TakedownUrl,
    pub new: bool,
    /// Its answers not stored yet, oldest first.
    pub events: &'a [UrlEvent],
}

/// The URLs of `after` that are new or changed since `before` (absent for a new request).
pub(crate) fn urls_to_save<'a>(
    before: Option<&'a TakedownRequest>,
    after: &'a TakedownRequest,
) -> impl Iterator<Item = UrlSave<'a>> {
    after.urls.iter().filter_map(move |url| {
        let old = before.and_then(|b| b.urls.iter().find(|u| u.url == url.url));
        if old == Some(url) {
            return None;
        }
        Some(UrlSave { url, new: old.is_none(), events: &url.history[old.map_or(0, |o| o.history.len())..] })
    })
}

impl TakedownFilter {
    /// The platform as requests store it.
    pub(crate) fn platform_key(&self) -> Option<String> {
        self.platform.as_deref().map(|p| p.trim().to_lowercase())
    }

    /// Whether a request whose URLs stand at `counts`, the first pending one due at `first_due` (seconds),
    /// is in the state asked for at `now`.
    pub(crate) fn admits(&self, counts: &OutcomeCounts, first_due: Option<i64>, now: DateTime<Utc>) -> bool {
        self.state.is_none_or(|wanted| wanted == RequestState::derive(counts, first_due.map(time), now))
    }
}

/// The data of the `takedown.sent` webhook event.
pub(crate) fn sent_event(stored: &TakedownRequest) -> serde_json::Value {
    serde_json::json!({
        "takedown_id": stored.id, "case_id": stored.case_id, "reference": stored.reference,
        "platform": stored.platform, "urgency": stored.urgency.as_str(), "due_at": time(stored.due_at.timestamp()),
        "urls": stored.urls.len(),
    })
}

/// Gathers the rows of a figures query, one per URL and ordered by request, into one entry per request.
#[derive(Default)]
pub(crate) struct FiguresByRequest {
    figures: Vec<RequestFigures>,
    current: Option<i64>,
}

impl FiguresByRequest {
    /// A URL of request `id`, complied `seconds` after it was requested if it was; `request` reads the
    /// request's platform and sending time (seconds), called when the request is new.
    pub(crate) fn add(
        &mut self,
        id: i64,
        request: impl FnOnce() -> Result<(String, i64)>,
        seconds: Option<i64>,
    ) -> Result<()> {
        if self.current != Some(id) {
            self.current = Some(id);
            let (platform, sent_at) = request()?;
            self.figures.push(RequestFigures {
                platform,
                sent_at: time(sent_at),
                urls: 0,
                times_to_comply: Vec::new(),
            });
        }
        let figures = self.figures.last_mut().expect("pushed above");
        figures.urls += 1;
        if let Some(seconds) = seconds {
            figures.times_to_comply.push(chrono::Duration::seconds(seconds));
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Vec<RequestFigures> {
        self.figures
    }
}

pub(crate) fn page(limit: u64, offset: u64) -> (usize, usize) {
    (usize::try_from(limit).unwrap_or(usize::MAX), usize::try_from(offset).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use chrono::Duration;
    use tangkal_cases::Rating;
    use tangkal_response::takedown::{NewTakedown, Outcome, TakedownConfig, UrlStatus};

    use tangkal_response::ResponseError;

    use super::*;
    use crate::postgres::connection::GenericClient as _;
    use crate::response_fixtures::{desk, on_both_desks, t0};
    use crate::testing::Backend;
    use crate::{AuditFiles, AuditFilter, PostgresStore, Store};

    type Desk = crate::response_fixtures::Desk<Box<dyn Store>>;

    on_both_desks!(
        requests_round_trip_with_references_and_one_per_platform_per_case,
        outcomes_and_added_urls_are_stored_with_their_history,
        refused_changes_write_nothing_and_other_platforms_see_nothing,
        every_state_filter_agrees_with_the_requests_own_state,
        the_transparency_log_sees_requests_sent_before_its_cutoff,
        transparency_figures_read_from_the_urls_agree_with_the_full_requests,
        one_request_per_case_and_platform_when_servers_send_it_at_once,
        answers_recorded_at_once_by_several_servers_are_neither_lost_nor_repeated,
    );

    const A: &str = "https://www.tiktok.com/@a/video/1";
    const B: &str = "https://www.tiktok.com/@b/video/2";

    fn prepare(desk: &Desk, case_id: i64, platform: &str, urls: &[&str], at: DateTime<Utc>) -> TakedownRequest {
        let case = desk.store.case(case_id).unwrap().unwrap();
        let new = NewTakedown {
            platform: platform.into(),
            urls: Some(urls.iter().map(|u| u.to_string()).collect()),
            ..NewTakedown::default()
        };
        TakedownRequest::prepare(&case, &new, &[], &TakedownConfig::default(), &desk.communicator, at).unwrap()
    }

    fn send(desk: &mut Desk, case_id: i64, platform: &str, urls: &[&str], at: DateTime<Utc>) -> TakedownCreate {
        let request = prepare(desk, case_id, platform, urls, at);
        desk.store.create_takedown(&request).unwrap()
    }

    fn created(c: TakedownCreate) -> TakedownRequest {
        match c {
            TakedownCreate::Created(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    fn outcomes(list: &[(&str, UrlStatus, Option<&str>)]) -> TakedownChange {
        TakedownChange::RecordOutcomes(
            list.iter()
                .map(|(u, s, n)| Outcome { url: u.to_string(), status: *s, note: n.map(str::to_string) })
                .collect(),
        )
    }

    fn done(update: ResponseUpdate<TakedownRequest>) -> TakedownRequest {
        match update {
            ResponseUpdate::Done(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    fn requests_round_trip_with_references_and_one_per_platform_per_case(mut desk: Desk) {
        let case = desk.case("Surat suara", Some(Rating::Hoaks));
        let first = created(send(&mut desk, case.id, "tiktok", &[A, B], t0()));
        assert_eq!(first.reference, "TKL/2026/12/000001");
        assert_eq!(desk.store.takedown(first.id).unwrap().unwrap(), first);
        let again = send(&mut desk, case.id, "TikTok", &[A], t0());
        assert_eq!(again, TakedownCreate::Duplicate { id: first.id, reference: first.reference.clone() });
        let other = created(send(&mut desk, case.id, "x", &["https://x.com/a/status/1"], t0()));
        assert_eq!(other.reference, "TKL/2026/12/000002");
        assert_eq!(desk.store.takedown(99).unwrap(), None);
        let audit = AuditFilter { entity: Some("takedown".into()), entity_id: Some(first.id.to_string()) };
        let actions: Vec<String> =
            desk.store.audit_events(&audit, 10, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["takedown.send"]);
    }

    fn outcomes_and_added_urls_are_stored_with_their_history(mut desk: Desk) {
        let case = desk.case("Surat suara", Some(Rating::Hoaks));
        let r = created(send(&mut desk, case.id, "tiktok", &[A, B], t0()));
        let liaison = desk.liaison.clone();
        let t1 = t0() + Duration::hours(3);
        let answers = outcomes(&[(A, UrlStatus::Removed, None), (B, UrlStatus::Rejected, Some("satire"))]);
        done(desk.store.update_takedown(r.id, &answers, &liaison, t1).unwrap());
        let t2 = t1 + Duration::days(1);
        let appeal = outcomes(&[(B, UrlStatus::Restricted, Some("geo ID"))]);
        done(desk.store.update_takedown(r.id, &appeal, &liaison, t2).unwrap());
        let c = "https://www.tiktok.com/@c/video/3".to_string();
        let communicator = desk.communicator.clone();
        let after =
            done(desk.store.update_takedown(r.id, &TakedownChange::AddUrls(vec![c]), &communicator, t2).unwrap());
        let stored = desk.store.takedown(r.id).unwrap().unwrap();
        assert_eq!(stored, after);
        assert_eq!(
            stored.urls[1].history.iter().map(|e| e.status).collect::<Vec<_>>(),
            [UrlStatus::Rejected, UrlStatus::Restricted]
        );
        assert_eq!(stored.urls[1].time_to_comply(), Some(Duration::hours(27)));
        assert_eq!(stored.urls[2].due_at, t2 + Duration::hours(24));
        let audit = AuditFilter { entity: Some("takedown".into()), entity_id: Some(r.id.to_string()) };
        assert_eq!(desk.store.audit_events(&audit, 10, 0).unwrap().len(), 4);
        assert!(desk.store.verify_audit().unwrap().is_intact());
    }

    fn refused_changes_write_nothing_and_other_platforms_see_nothing(mut desk: Desk) {
        let case = desk.case("Surat suara", Some(Rating::Hoaks));
        let r = created(send(&mut desk, case.id, "tiktok", &[A, B], t0()));
        let liaison = desk.liaison.clone();
        let events = |desk: &Desk| desk.store.audit_events(&AuditFilter::default(), 1000, 0).unwrap().len();
        let before = events(&desk);
        let half_bad = outcomes(&[(A, UrlStatus::Removed, None), ("https://evil.example/", UrlStatus::Removed, None)]);
        let update = desk.store.update_takedown(r.id, &half_bad, &liaison, t0()).unwrap();
        assert!(
            matches!(&update, ResponseUpdate::Refused(ResponseError::NotAllowed(why)) if why.starts_with("outcomes: [1]")),
            "{update:?}"
        );
        assert_eq!(desk.store.takedown(r.id).unwrap().unwrap(), r, "nothing half-stored");
        assert_eq!(events(&desk), before);

        let mut youtube = liaison.clone();
        youtube.platform = Some("youtube".into());
        let change = outcomes(&[(A, UrlStatus::Removed, None)]);
        assert_eq!(desk.store.update_takedown(r.id, &change, &youtube, t0()).unwrap(), ResponseUpdate::NotFound);
        assert_eq!(desk.store.update_takedown(404, &change, &liaison, t0()).unwrap(), ResponseUpdate::NotFound);
    }

    fn every_state_filter_agrees_with_the_requests_own_state(mut desk: Desk) {
        let liaison = desk.liaison.clone();
        let answers: [&[(&str, UrlStatus, Option<&str>)]; 5] = [
            &[],
            &[(A, UrlStatus::Removed, None)],
            &[(A, UrlStatus::Removed, None), (B, UrlStatus::NotFound, None)],
            &[(A, UrlStatus::Removed, None), (B, UrlStatus::Rejected, Some("no"))],
            &[(A, UrlStatus::Rejected, Some("no")), (B, UrlStatus::Rejected, Some("no"))],
        ];
        for (i, answer) in answers.iter().enumerate() {
            let case = desk.case(&format!("case {i}"), Some(Rating::Hoaks));
            let sent = t0() + Duration::hours(i as i64);
            let r = created(send(&mut desk, case.id, "tiktok", &[A, B], sent));
            if !answer.is_empty() {
                done(desk.store.update_takedown(r.id, &outcomes(answer), &liaison, sent).unwrap());
            }
        }
        let youtube_case = desk.case("yt", Some(Rating::Hoaks));
        created(send(&mut desk, youtube_case.id, "youtube", &["https://youtube.com/watch?v=1"], t0()));

        let all = desk.store.list_takedowns(&TakedownFilter::default(), t0(), 100, 0).unwrap();
        assert_eq!(all.len(), 6);
        assert!(all.windows(2).all(|w| (w[0].sent_at, w[0].id) >= (w[1].sent_at, w[1].id)), "newest first");
        for now in [t0(), t0() + Duration::hours(24) + Duration::minutes(30), t0() + Duration::days(3)] {
            let mut seen = 0;
            for state in RequestState::ALL {
                let filter = TakedownFilter { state: Some(state), ..TakedownFilter::default() };
                let listed: Vec<i64> =
                    desk.store.list_takedowns(&filter, now, 100, 0).unwrap().iter().map(|r| r.id).collect();
                let expected: Vec<i64> = all.iter().filter(|r| r.state(now) == state).map(|r| r.id).collect();
                assert_eq!(listed, expected, "{state:?} at {now}");
                assert_eq!(desk.store.count_takedowns(&filter, now).unwrap(), expected.len() as u64);
                seen += listed.len();
            }
            assert_eq!(seen, all.len());
        }
        let half_day = t0() + Duration::hours(24) + Duration::minutes(30);
        let overdue = TakedownFilter { state: Some(RequestState::Overdue), ..TakedownFilter::default() };
        assert_eq!(desk.store.count_takedowns(&overdue, half_day).unwrap(), 2, "the unanswered and the half-answered");

        let youtube = TakedownFilter { platform: Some("YouTube".into()), ..TakedownFilter::default() };
        assert_eq!(desk.store.count_takedowns(&youtube, t0()).unwrap(), 1);
        let by_case = TakedownFilter { case_id: Some(youtube_case.id), ..TakedownFilter::default() };
        assert_eq!(desk.store.list_takedowns(&by_case, t0(), 10, 0).unwrap()[0].platform, "youtube");
        let page: Vec<i64> =
            desk.store.list_takedowns(&TakedownFilter::default(), t0(), 2, 1).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(page, [all[1].id, all[2].id]);
    }

    fn the_transparency_log_sees_requests_sent_before_its_cutoff(mut desk: Desk) {
        let case = desk.case("a", Some(Rating::Hoaks));
        let old = created(send(&mut desk, case.id, "tiktok", &[A], t0()));
        created(send(&mut desk, case.id, "x", &["https://x.com/1"], t0() + Duration::days(10)));
        let public = desk.store.public_takedowns(t0() + Duration::days(1), 10, 0).unwrap();
        assert_eq!(public.iter().map(|r| r.id).collect::<Vec<_>>(), [old.id]);
        assert_eq!(desk.store.public_takedowns(t0() + Duration::days(10), 10, 0).unwrap().len(), 2);
        assert_eq!(desk.store.count_public_takedowns(t0() + Duration::days(1)).unwrap(), 1);
    }

    fn transparency_figures_read_from_the_urls_agree_with_the_full_requests(mut desk: Desk) {
        let case = desk.case("a", Some(Rating::Hoaks));
        let first = created(send(&mut desk, case.id, "tiktok", &[A, B], t0()));
        let liaison = desk.liaison.clone();
        let answers = outcomes(&[(A, UrlStatus::Removed, None), (B, UrlStatus::Rejected, Some("bukan hoaks"))]);
        done(desk.store.update_takedown(first.id, &answers, &liaison, t0() + Duration::hours(5)).unwrap());
        let later = t0() + Duration::hours(6);
        let more = TakedownChange::AddUrls(vec!["https://www.tiktok.com/@c/video/3".into()]);
        done(desk.store.update_takedown(first.id, &more, &desk.communicator.clone(), later).unwrap());
        let answer = outcomes(&[("https://www.tiktok.com/@c/video/3", UrlStatus::Restricted, None)]);
        done(desk.store.update_takedown(first.id, &answer, &liaison, later + Duration::hours(2)).unwrap());
        let second = created(send(&mut desk, case.id, "x", &["https://x.com/1"], t0() + Duration::days(2)));
        let unsent = created(send(&mut desk, case.id, "youtube", &["https://youtu.be/x"], t0() + Duration::days(30)));

        let until = t0() + Duration::days(3);
        let read = desk.store.public_takedown_figures(until).unwrap();
        let full: Vec<RequestFigures> = [first.id, second.id]
            .iter()
            .map(|id| RequestFigures::from(&desk.store.takedown(*id).unwrap().unwrap()))
            .collect();
        assert_eq!(read, full);
        assert_eq!(read[0].urls, 3);
        assert_eq!(read[0].times_to_comply, [Duration::hours(5), Duration::hours(2)]);
        assert!(!read.iter().any(|r| r.platform == "youtube"), "request {} is not public yet", unsent.id);
    }

    /// The plans of the public log's queries: indexed, no sort of the whole table.
    #[test]
    fn the_public_log_reads_by_index_on_sqlite() {
        let desk = desk();
        let plan = |sql: &str| -> String {
            let mut stmt = desk.store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let page = plan("SELECT id FROM takedown_requests WHERE sent_at <= 1 ORDER BY sent_at DESC, id DESC LIMIT 20");
        assert!(page.contains("takedown_requests_sent") && !page.contains("TEMP B-TREE"), "{page}");
        let count = plan("SELECT COUNT(*) FROM takedown_requests WHERE sent_at <= 1");
        assert!(count.contains("COVERING INDEX takedown_requests_sent"), "{count}");
    }

    /// The same on PostgreSQL, with sequential scans priced out as a large table would price them.
    #[test]
    fn the_public_log_reads_by_index_on_postgres() {
        let Backend::Postgres(scratch, dir) = Backend::postgres() else { unreachable!() };
        let store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        let mut client = store.client();
        client.batch_execute("SET enable_seqscan = off").unwrap();
        let mut plan = |sql: &str| -> String {
            let rows = client.query(&format!("EXPLAIN {sql}"), &[]).unwrap();
            rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("; ")
        };
        let page = plan("SELECT id FROM takedown_requests WHERE sent_at <= 1 ORDER BY sent_at DESC, id DESC LIMIT 20");
        assert!(page.contains("takedown_requests_sent") && !page.contains("Sort"), "{page}");
        let count = plan("SELECT COUNT(*) FROM takedown_requests WHERE sent_at <= 1");
        assert!(count.contains("Index") && !count.contains("Seq Scan"), "{count}");
    }

    /// Several servers send the same case's request to one platform at the same moment: one is stored,
    /// the others are told of it.
    fn one_request_per_case_and_platform_when_servers_send_it_at_once(mut desk: Desk) {
        let case = desk.case("Surat suara", Some(Rating::Hoaks)).id;
        let request = prepare(&desk, case, "tiktok", &[A, B], t0());
        const SERVERS: usize = 6;
        let start = Barrier::new(SERVERS);
        let sent: Vec<TakedownCreate> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..SERVERS)
                .map(|_| {
                    s.spawn(|| {
                        let mut server = desk.backend.open();
                        start.wait();
                        server.create_takedown(&request).unwrap()
                    })
                })
                .collect();
            servers.into_iter().map(|s| s.join().unwrap()).collect()
        });
        let created: Vec<TakedownRequest> = sent
            .iter()
            .filter_map(|c| match c {
                TakedownCreate::Created(r) => Some((**r).clone()),
                TakedownCreate::Duplicate { .. } => None,
            })
            .collect();
        assert_eq!(created.len(), 1, "{sent:?}");
        let duplicate = TakedownCreate::Duplicate { id: created[0].id, reference: created[0].reference.clone() };
        assert_eq!(sent.iter().filter(|c| **c == duplicate).count(), SERVERS - 1, "{sent:?}");
        assert_eq!(desk.store.takedown(created[0].id).unwrap().unwrap(), created[0]);
        assert_eq!(desk.store.count_takedowns(&TakedownFilter::default(), t0()).unwrap(), 1);
        let audit = AuditFilter { entity: Some("takedown".into()), entity_id: None };
        assert_eq!(desk.store.audit_events(&audit, 10, 0).unwrap().len(), 1);
        assert!(desk.store.verify_audit().unwrap().is_intact());
    }

    /// Liaisons on several servers answer one request at the same moment: answers to different URLs all
    /// stay, and of the same answer to one URL one is stored, the others refused as a repeated answer is.
    fn answers_recorded_at_once_by_several_servers_are_neither_lost_nor_repeated(mut desk: Desk) {
        const SERVERS: usize = 5;
        let urls: Vec<String> = (0..SERVERS).map(|n| format!("https://www.tiktok.com/@u/video/{n}")).collect();
        let case = desk.case("Surat suara", Some(Rating::Hoaks)).id;
        let listed: Vec<&str> = urls.iter().map(String::as_str).chain([A]).collect();
        let r = created(send(&mut desk, case, "tiktok", &listed, t0()));
        let at = t0() + Duration::hours(2);
        let at_once = |answers: &[TakedownChange]| -> Vec<ResponseUpdate<TakedownRequest>> {
            let start = Barrier::new(answers.len());
            std::thread::scope(|s| {
                let servers: Vec<_> = answers
                    .iter()
                    .map(|answer| {
                        let (backend, liaison, start) = (&desk.backend, &desk.liaison, &start);
                        s.spawn(move || {
                            let mut server = backend.open();
                            start.wait();
                            server.update_takedown(r.id, answer, liaison, at).unwrap()
                        })
                    })
                    .collect();
                servers.into_iter().map(|s| s.join().unwrap()).collect()
            })
        };

        let own: Vec<TakedownChange> = urls.iter().map(|u| outcomes(&[(u, UrlStatus::Removed, None)])).collect();
        for update in at_once(&own) {
            done(update);
        }
        let same = vec![outcomes(&[(A, UrlStatus::Removed, None)]); SERVERS];
        let updates = at_once(&same);
        assert_eq!(updates.iter().filter(|u| matches!(u, ResponseUpdate::Done(_))).count(), 1, "{updates:?}");
        let repeated = |u: &&ResponseUpdate<TakedownRequest>| matches!(u, ResponseUpdate::Refused(ResponseError::NotAllowed(why)) if why.contains("cannot move from removed"));
        assert_eq!(updates.iter().filter(repeated).count(), SERVERS - 1, "{updates:?}");

        let stored = desk.store.takedown(r.id).unwrap().unwrap();
        assert!(stored.urls.iter().all(|u| u.status == UrlStatus::Removed && u.history.len() == 1), "{stored:?}");
        let audit = AuditFilter { entity: Some("takedown".into()), entity_id: Some(r.id.to_string()) };
        assert_eq!(desk.store.audit_events(&audit, 100, 0).unwrap().len(), 1 + SERVERS + 1);
        assert!(desk.store.verify_audit().unwrap().is_intact());
    }
}
