//! Public clarifications, drafts and published, with their open corrections. Changes go through
//! `tangkal_response::clarification::Clarification::apply`, checked against the case as stored in the same
//! transaction, and are written with their audit event.

use chrono::{DateTime, Utc};
use tangkal_cases::{Actor, Rating};
use tangkal_response::clarification::{numbered_slug, Clarification, ClarificationChange, ClarificationStatus, Topic};

use crate::cases::json_name;
use crate::users::time;
use crate::{ResponseUpdate, Result, StoreError};

/// Which clarifications to list; every condition optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ClarificationFilter {
    pub case_id: Option<i64>,
    pub status: Option<ClarificationStatus>,
    /// Changed (created, edited, published or corrected) at or after this instant: incremental pulls.
    pub changed_since: Option<DateTime<Utc>>,
    /// What a reader narrows the public list by.
    pub reader: ReaderFilter,
}

/// What a reader narrows the public list by: a rating, a topic, a range of publication dates. The store
/// writes it as SQL; the search index applies [`ReaderFilter::admits`] to the same effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderFilter {
    pub rating: Option<Rating>,
    pub topic: Option<Topic>,
    /// Published at or after this instant.
    pub published_from: Option<DateTime<Utc>>,
    /// Published before this instant.
    pub published_before: Option<DateTime<Utc>>,
}

impl ReaderFilter {
    pub fn is_empty(&self) -> bool {
        *self == ReaderFilter::default()
    }

    /// Whether a clarification with this rating, topic and publication passes. The store compares whole
    /// seconds, so this does too.
    pub fn admits(&self, rating: Rating, topic: Option<Topic>, published_at: Option<DateTime<Utc>>) -> bool {
        let published = published_at.map(|t| t.timestamp());
        self.rating.is_none_or(|r| r == rating)
            && self.topic.is_none_or(|t| Some(t) == topic)
            && self.published_from.is_none_or(|from| published.is_some_and(|p| p >= from.timestamp()))
            && self.published_before.is_none_or(|before| published.is_some_and(|p| p < before.timestamp()))
    }
}

pub trait ClarificationStore {
    /// Stores a draft made by `Clarification::draft`, with a free slug.
    fn create_clarification(&mut self, draft: &Clarification) -> Result<Clarification>;
    fn clarification(&self, id: i64) -> Result<Option<Clarification>>;
    fn clarification_by_slug(&self, slug: &str) -> Result<Option<Clarification>>;
    /// Published ones by publication, newest first; the rest by creation, newest first.
    fn list_clarifications(&self, filter: &ClarificationFilter, limit: u64, offset: u64) -> Result<Vec<Clarification>>;
    fn count_clarifications(&self, filter: &ClarificationFilter) -> Result<u64>;
    /// When a published clarification last changed (was published or corrected): what the public lists
    /// show changes only then.
    fn last_published_change(&self) -> Result<Option<DateTime<Utc>>>;
    /// Edits a draft (its slug follows its title), publishes it, or corrects it once published.
    fn update_clarification(
        &mut self,
        id: i64,
        change: ClarificationChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ResponseUpdate<Clarification>>;
}

pub(crate) const SELECT: &str =
    "SELECT id, case_id, slug, rating, title, claim, body_markdown, sources, status, created_by,
                             created_at, updated_at, published_at, topic FROM clarifications";

/// The first of `base`, `base-2`, `base-3`, … that `taken` says no other clarification has.
pub(crate) fn first_free_slug(base: &str, mut taken: impl FnMut(&str) -> Result<bool>) -> Result<String> {
    for n in 1.. {
        let candidate = numbered_slug(base, n);
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    unreachable!("some numbered slug is free")
}

pub(crate) fn sources_json(c: &Clarification) -> Result<String> {
    serde_json::to_string(&c.sources)
        .map_err(|e| StoreError::Internal(format!("cannot serialise clarification sources: {e}")))
}

/// The WHERE clause of `filter` with its values, `placeholder(n)` standing for the n-th (from 1). Only the
/// conditions given are written, so the database can use the index each combination needs (`?1 IS NULL
/// OR …` would make it scan).
pub(crate) fn filter_sql<V>(
    filter: &ClarificationFilter,
    placeholder: impl Fn(usize) -> String,
    int: impl Fn(i64) -> V,
    text: impl Fn(String) -> V,
) -> (String, Vec<V>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut add = |comparison: &str, value: V| {
        values.push(value);
        conditions.push(format!("{comparison} {}", placeholder(values.len())));
    };
    if let Some(case_id) = filter.case_id {
        add("case_id =", int(case_id));
    }
    if let Some(since) = filter.changed_since {
        add("updated_at >=", int(since.timestamp()));
    }
    if let Some(status) = filter.status {
        add("status =", text(status.as_str().to_string()));
    }
    let reader = &filter.reader;
    if let Some(rating) = reader.rating {
        add("rating =", text(json_name(&rating)));
    }
    if let Some(topic) = reader.topic {
        add("topic =", text(topic.as_str().to_string()));
    }
    if let Some(from) = reader.published_from {
        add("published_at >=", int(from.timestamp()));
    }
    if let Some(before) = reader.published_before {
        add("published_at <", int(before.timestamp()));
    }
    let clause = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    (clause, values)
}

/// Published ones by publication, drafts by creation, newest first. Listing only published ones, the order
/// is that of the index `clarifications_published (status, published_at, id)`.
pub(crate) fn order(filter: &ClarificationFilter) -> &'static str {
    match filter.status {
        Some(ClarificationStatus::Published) => "published_at DESC, id DESC",
        Some(ClarificationStatus::Draft) => "created_at DESC, id DESC",
        None => "COALESCE(published_at, created_at) DESC, id DESC",
    }
}

/// Whether an update gives the clarification a new slug: a draft's follows its title; a published page
/// keeps its address.
pub(crate) fn slug_follows(before: &Clarification, after: &Clarification) -> bool {
    after.status == ClarificationStatus::Draft && after.title != before.title
}

/// Whether an update publishes the clarification (its webhook event and tipline follow-ups are due).
pub(crate) fn publishes(before: &Clarification, after: &Clarification) -> bool {
    before.status != ClarificationStatus::Published && after.status == ClarificationStatus::Published
}

/// The data of the `clarification.published` webhook event.
pub(crate) fn published_event(after: &Clarification) -> serde_json::Value {
    serde_json::json!({
        "clarification_id": after.id, "case_id": after.case_id, "slug": after.slug, "title": after.title,
        "rating": after.rating, "published_at": after.published_at.map(|t| time(t.timestamp())),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Barrier;

    use chrono::Duration;
    use rusqlite::params_from_iter;
    use tangkal_response::clarification::{CorrectionInput, NewClarification, Source};
    use tangkal_response::ResponseError;

    use super::*;
    use crate::postgres::connection::GenericClient as _;
    use crate::response_fixtures::{desk, on_both_desks, sql, t0, Desk};
    use crate::sqlite::clarifications::matching;
    use crate::testing::{on_both_backends, Backend};
    use crate::{AuditFiles, AuditFilter, PostgresStore, Store};

    type AnyDesk = Desk<Box<dyn Store>>;

    fn new(title: &str) -> NewClarification {
        NewClarification {
            title: title.into(),
            body_markdown: "Foto itu **lama**.".into(),
            sources: vec![Source { title: "KPU".into(), url: "https://kpu.go.id/a".into() }],
            claim: None,
            topic: None,
        }
    }

    fn draft(desk: &mut AnyDesk, case_id: i64, title: &str) -> Clarification {
        let case = desk.store.case(case_id).unwrap().unwrap();
        let draft = Clarification::draft(&case, &new(title), &desk.communicator, t0()).unwrap();
        desk.store.create_clarification(&draft).unwrap()
    }

    fn done(update: ResponseUpdate<Clarification>) -> Clarification {
        match update {
            ResponseUpdate::Done(c) => *c,
            other => panic!("{other:?}"),
        }
    }

    /// A case row written directly, for tests of drafts alone (storing a draft does not read its case).
    fn bare_case(backend: &Backend) -> i64 {
        sql(
            backend,
            "INSERT INTO cases (title, summary, origin, status, urgency, priority, computed_priority, opened_by,
                                opened_at, due_at, updated_at)
             VALUES ('Surat suara', '', 'manual', 'new', 'normal', 3, 3, 'test', 0, 0, 0)",
        );
        sql(backend, "SELECT MAX(id) FROM cases").unwrap()
    }

    fn bare_draft(case_id: i64, title: &str) -> Clarification {
        Clarification {
            id: 0,
            case_id,
            slug: String::new(),
            rating: Rating::Hoaks,
            title: title.into(),
            claim: "Surat suara sudah dicoblos".into(),
            body_markdown: "Foto lama.".into(),
            sources: Vec::new(),
            topic: None,
            status: ClarificationStatus::Draft,
            created_by: "user:1:kiki".into(),
            created_at: t0(),
            updated_at: t0(),
            published_at: None,
            corrections: Vec::new(),
        }
    }

    on_both_desks!(
        drafts_get_free_slugs_that_follow_their_title_until_published,
        publishing_is_checked_against_the_stored_case_and_refusals_write_nothing,
        lists_filter_by_status_case_and_change_time,
        reader_filters_in_sql_agree_with_the_rule,
        a_clarification_published_by_two_servers_at_once_is_published_once,
    );
    on_both_backends!(drafts_of_one_title_from_several_servers_at_once_get_distinct_slugs);

    fn drafts_get_free_slugs_that_follow_their_title_until_published(mut desk: AnyDesk) {
        let case = desk.case("Surat suara tercoblos", Some(Rating::Hoaks));
        let first = draft(&mut desk, case.id, "Surat suara");
        let second = draft(&mut desk, case.id, "[HOAKS] Surat Suara!");
        assert_eq!((first.slug.as_str(), second.slug.as_str()), ("surat-suara", "surat-suara-2"));
        assert_eq!(desk.store.clarification(first.id).unwrap().unwrap(), first);
        assert_eq!(desk.store.clarification_by_slug("surat-suara-2").unwrap().unwrap(), second);

        let communicator = desk.communicator.clone();
        let edited = done(
            desk.store
                .update_clarification(second.id, ClarificationChange::Edit(new("Kotak suara")), &communicator, t0())
                .unwrap(),
        );
        assert_eq!((edited.slug.as_str(), edited.title.as_str()), ("kotak-suara", "[HOAKS] Kotak suara"));
        let published = done(
            desk.store.update_clarification(second.id, ClarificationChange::Publish, &communicator, t0()).unwrap(),
        );
        let fix = CorrectionInput {
            reason: "Judul diperjelas".into(),
            title: Some("Kotak suara di Bogor".into()),
            ..CorrectionInput::default()
        };
        let later = t0() + Duration::days(1);
        let corrected = done(
            desk.store
                .update_clarification(second.id, ClarificationChange::Correct(fix), &communicator, later)
                .unwrap(),
        );
        assert_eq!(corrected.slug, published.slug, "a published page keeps its address");
        assert_eq!(corrected.corrections[0].previous_title.as_deref(), Some("[HOAKS] Kotak suara"));
        assert_eq!(desk.store.clarification_by_slug("kotak-suara").unwrap().unwrap(), corrected);
        let audit = AuditFilter { entity: Some("clarification".into()), entity_id: Some(second.id.to_string()) };
        let actions: Vec<String> =
            desk.store.audit_events(&audit, 10, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            ["clarification.draft", "clarification.edit", "clarification.publish", "clarification.correct"]
        );
    }

    fn publishing_is_checked_against_the_stored_case_and_refusals_write_nothing(mut desk: AnyDesk) {
        let approved = desk.case("Surat suara", Some(Rating::Hoaks));
        let unreviewed = desk.case("Belum ditinjau", None);
        // A draft whose case has no approved verdict (say, written against another case's verdict).
        let case = desk.store.case(approved.id).unwrap().unwrap();
        let mut stray = Clarification::draft(&case, &new("x"), &desk.communicator, t0()).unwrap();
        stray.case_id = unreviewed.id;
        let stray = desk.store.create_clarification(&stray).unwrap();
        let communicator = desk.communicator.clone();
        let refused =
            desk.store.update_clarification(stray.id, ClarificationChange::Publish, &communicator, t0()).unwrap();
        assert!(matches!(refused, ResponseUpdate::Refused(ResponseError::NotAllowed(_))), "{refused:?}");
        assert_eq!(desk.store.clarification(stray.id).unwrap().unwrap(), stray);

        let analyst = desk.analyst.clone();
        let refused = desk.store.update_clarification(stray.id, ClarificationChange::Publish, &analyst, t0()).unwrap();
        assert!(matches!(refused, ResponseUpdate::Refused(ResponseError::Case(_))));
        let missing = desk.store.update_clarification(999, ClarificationChange::Publish, &communicator, t0()).unwrap();
        assert_eq!(missing, ResponseUpdate::NotFound);
    }

    fn lists_filter_by_status_case_and_change_time(mut desk: AnyDesk) {
        let a = desk.case("a", Some(Rating::Hoaks));
        let b = desk.case("b", Some(Rating::Benar));
        let communicator = desk.communicator.clone();
        let publish = |desk: &mut AnyDesk, case_id, title, at| {
            let c = draft(desk, case_id, title);
            done(desk.store.update_clarification(c.id, ClarificationChange::Publish, &communicator, at).unwrap())
        };
        let p1 = publish(&mut desk, a.id, "satu", t0() + Duration::hours(1));
        let p2 = publish(&mut desk, b.id, "dua", t0() + Duration::hours(2));
        let d = draft(&mut desk, a.id, "tiga");
        let ids = |desk: &AnyDesk, f: &ClarificationFilter| {
            desk.store.list_clarifications(f, 10, 0).unwrap().iter().map(|c| c.id).collect::<Vec<_>>()
        };
        let published = ClarificationFilter { status: Some(ClarificationStatus::Published), ..Default::default() };
        assert_eq!(ids(&desk, &published), [p2.id, p1.id], "newest publication first");
        assert_eq!(desk.store.count_clarifications(&published).unwrap(), 2);
        let drafts = ClarificationFilter { status: Some(ClarificationStatus::Draft), ..Default::default() };
        assert_eq!(ids(&desk, &drafts), [d.id]);
        let of_a = ClarificationFilter { case_id: Some(a.id), ..published.clone() };
        assert_eq!(ids(&desk, &of_a), [p1.id]);
        let since = ClarificationFilter { changed_since: Some(t0() + Duration::hours(2)), ..published };
        assert_eq!(ids(&desk, &since), [p2.id]);
        assert_eq!(desk.store.count_clarifications(&ClarificationFilter::default()).unwrap(), 3);
        assert_eq!(ids(&desk, &ClarificationFilter::default()), [p2.id, p1.id, d.id], "drafts by creation");
        assert_eq!(desk.store.list_clarifications(&ClarificationFilter::default(), 1, 1).unwrap().len(), 1);
        assert_eq!(desk.store.last_published_change().unwrap(), Some(t0() + Duration::hours(2)));
    }

    /// Every combination of the reader's filters lists, and counts, what `ReaderFilter::admits` admits.
    fn reader_filters_in_sql_agree_with_the_rule(mut desk: AnyDesk) {
        let communicator = desk.communicator.clone();
        let day = |n: i64| t0() + Duration::days(n);
        let mut published = Vec::new();
        for (i, (rating, topic)) in [
            (Rating::Hoaks, Some(Topic::Pemilu)),
            (Rating::Benar, Some(Topic::Kesehatan)),
            (Rating::Hoaks, None),
            (Rating::Menyesatkan, Some(Topic::Pemilu)),
        ]
        .into_iter()
        .enumerate()
        {
            let case = desk.case(&format!("kasus {i}"), Some(rating));
            let loaded = desk.store.case(case.id).unwrap().unwrap();
            let new = NewClarification { topic, ..new(&format!("judul {i}")) };
            let draft = Clarification::draft(&loaded, &new, &communicator, t0()).unwrap();
            let draft = desk.store.create_clarification(&draft).unwrap();
            let at = day(i as i64);
            published.push(done(
                desk.store.update_clarification(draft.id, ClarificationChange::Publish, &communicator, at).unwrap(),
            ));
        }
        assert_eq!(desk.store.clarification(published[0].id).unwrap().unwrap().topic, Some(Topic::Pemilu));
        let ratings = [None, Some(Rating::Hoaks), Some(Rating::Benar), Some(Rating::Disinformasi)];
        let topics = [None, Some(Topic::Pemilu), Some(Topic::Kesehatan)];
        let dates = [None, Some(day(1)), Some(day(3))];
        for rating in ratings {
            for topic in topics {
                for published_from in dates {
                    for published_before in dates {
                        let reader = ReaderFilter { rating, topic, published_from, published_before };
                        let filter = ClarificationFilter {
                            status: Some(ClarificationStatus::Published),
                            reader,
                            ..Default::default()
                        };
                        let listed: Vec<i64> =
                            desk.store.list_clarifications(&filter, 10, 0).unwrap().iter().map(|c| c.id).collect();
                        let expected: Vec<i64> = published
                            .iter()
                            .rev()
                            .filter(|c| reader.admits(c.rating, c.topic, c.published_at))
                            .map(|c| c.id)
                            .collect();
                        assert_eq!(listed, expected, "{reader:?}");
                        assert_eq!(desk.store.count_clarifications(&filter).unwrap(), expected.len() as u64);
                    }
                }
            }
        }
    }

    /// Two servers publishing the same draft at once: one publishes it (one webhook event, one audit
    /// event), the other is told it is published already.
    fn a_clarification_published_by_two_servers_at_once_is_published_once(mut desk: AnyDesk) {
        let case = desk.case("Surat suara", Some(Rating::Hoaks));
        let draft = draft(&mut desk, case.id, "Surat suara");
        let (backend, communicator) = (&desk.backend, &desk.communicator);
        let barrier = Barrier::new(2);
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let mut store = backend.open();
                        barrier.wait();
                        store.update_clarification(draft.id, ClarificationChange::Publish, communicator, t0()).unwrap()
                    })
                })
                .collect();
            servers.into_iter().map(|server| server.join().unwrap()).collect()
        });
        let published: Vec<_> = outcomes.iter().filter(|o| matches!(o, ResponseUpdate::Done(_))).collect();
        assert_eq!(published.len(), 1, "{outcomes:?}");
        assert!(
            outcomes.iter().any(|o| matches!(o, ResponseUpdate::Refused(ResponseError::IllegalTransition { .. }))),
            "{outcomes:?}"
        );
        let events = sql(backend, "SELECT COUNT(*) FROM webhook_events WHERE kind = 'clarification.published'");
        assert_eq!(events, Some(1));
        let audit = AuditFilter { entity: Some("clarification".into()), entity_id: Some(draft.id.to_string()) };
        let actions: Vec<String> =
            desk.store.audit_events(&audit, 10, 0).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions, ["clarification.draft", "clarification.publish"]);
    }

    /// Servers storing drafts of one title at the same moment give them `surat-suara`, `surat-suara-2`, …
    /// each once.
    fn drafts_of_one_title_from_several_servers_at_once_get_distinct_slugs(backend: &Backend) {
        let case_id = bare_case(backend);
        let barrier = Barrier::new(4);
        let slugs: Vec<String> = std::thread::scope(|s| {
            let servers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut store = backend.open();
                        barrier.wait();
                        (0..5)
                            .map(|_| store.create_clarification(&bare_draft(case_id, "Surat suara")).unwrap().slug)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            servers.into_iter().flat_map(|server| server.join().unwrap()).collect()
        });
        let distinct: BTreeSet<String> = slugs.iter().cloned().collect();
        let expected: BTreeSet<String> = (1..=20).map(|n| numbered_slug("surat-suara", n)).collect();
        assert_eq!((slugs.len(), distinct), (20, expected));
    }

    /// On PostgreSQL a slug looked up as free may be taken by another server before the draft is written:
    /// the draft then takes the next one, and nothing else of its transaction is lost.
    #[test]
    fn a_slug_taken_while_a_draft_is_written_makes_it_take_the_next_on_postgres() {
        let backend = Backend::postgres();
        let case_id = bare_case(&backend);
        let Backend::Postgres(scratch, dir) = &backend else { unreachable!() };
        let connect = |url: &str| PostgresStore::connect(url, AuditFiles::in_data_dir(dir.path())).unwrap();
        let other = connect(&scratch.url());
        let mut other = other.client();
        let mut taking = other.transaction().unwrap();
        taking
            .execute(
                "INSERT INTO clarifications (case_id, slug, rating, title, claim, body_markdown, sources, status,
                                             created_by, created_at, updated_at)
                 VALUES ($1, 'surat-suara', 'HOAKS', 't', 'c', 'b', '[]', 'draft', 'x', 0, 0)",
                &[&case_id],
            )
            .unwrap();
        // The writer has a name of its own, to be found waiting.
        let writer_url = format!("{}&application_name={}", scratch.url(), scratch.name());
        let stored = std::thread::scope(|s| {
            let writer = s.spawn(|| connect(&writer_url).create_clarification(&bare_draft(case_id, "Surat suara")));
            let watcher = connect(&scratch.url());
            let waiting = || -> i64 {
                let row = watcher.client().query_one(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                    &[&scratch.name()],
                );
                row.unwrap().get(0)
            };
            while waiting() == 0 {
                assert!(!writer.is_finished(), "the writer did not wait for the slug");
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            taking.commit().unwrap();
            writer.join().unwrap().unwrap()
        });
        assert_eq!(stored.slug, "surat-suara-2");
        let store = connect(&scratch.url());
        assert_eq!(store.clarification(stored.id).unwrap().unwrap(), stored);
        let audit =
            format!("SELECT COUNT(*) FROM audit_events WHERE entity = 'clarification' AND entity_id = '{}'", stored.id);
        assert_eq!(sql(&backend, &audit), Some(1), "the audit event written after the retry is kept");
    }

    /// The public lists' queries use their indexes: no scan of the table, no sort of it.
    #[test]
    fn public_lists_read_by_index() {
        let desk = desk();
        let plan = |filter: &ClarificationFilter, count: bool| -> String {
            let (clause, values) = matching(filter);
            let sql = if count {
                format!("SELECT COUNT(*) FROM clarifications {clause}")
            } else {
                format!("SELECT id FROM clarifications {clause} ORDER BY {} LIMIT 20 OFFSET 0", order(filter))
            };
            let mut stmt = desk.store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let published = ClarificationFilter { status: Some(ClarificationStatus::Published), ..Default::default() };
        let list = plan(&published, false);
        assert!(list.contains("COVERING INDEX clarifications_published") && !list.contains("TEMP B-TREE"), "{list}");
        let count = plan(&published, true);
        assert!(count.contains("COVERING INDEX"), "{count}");
        let since = ClarificationFilter { changed_since: Some(t0()), ..published.clone() };
        assert!(plan(&since, false).contains("INDEX clarifications_"), "{}", plan(&since, false));
        let by_reader = [
            ReaderFilter { rating: Some(Rating::Hoaks), ..Default::default() },
            ReaderFilter { topic: Some(Topic::Pemilu), ..Default::default() },
            ReaderFilter { published_from: Some(t0()), published_before: Some(t0()), ..Default::default() },
            ReaderFilter { rating: Some(Rating::Benar), published_from: Some(t0()), ..Default::default() },
            ReaderFilter {
                rating: Some(Rating::Benar),
                topic: Some(Topic::Bencana),
                published_before: Some(t0()),
                ..Default::default()
            },
        ];
        for reader in by_reader {
            let filter = ClarificationFilter { reader, ..published.clone() };
            for count in [false, true] {
                let plan = plan(&filter, count);
                assert!(plan.contains("INDEX clarifications_") && !plan.contains("TEMP B-TREE"), "{reader:?}: {plan}");
                assert!(!plan.contains("SCAN clarifications"), "{reader:?}: {plan}");
            }
        }
        let of_case = ClarificationFilter { case_id: Some(1), ..Default::default() };
        assert!(plan(&of_case, false).contains("INDEX clarifications_case"), "{}", plan(&of_case, false));
        let newest = "SELECT MAX(updated_at) FROM clarifications WHERE status = 'published'";
        let mut stmt = desk.store.conn.prepare(&format!("EXPLAIN QUERY PLAN {newest}")).unwrap();
        let detail: String = stmt.query_row([], |r| r.get(3)).unwrap();
        assert!(detail.contains("clarifications_updated"), "{detail}");
    }
}
