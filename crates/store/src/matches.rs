//! Claim matches of narratives: the published fact-checks found for each narrative's central copy,
//! replaced whenever the narrative is matched again, and the outcome analysts see (debunked, priority,
//! the case opened for it).

use serde::Serialize;
use tangkal_cases::Priority;
use tangkal_model::{ItemId, NarrativeId};

use crate::Result;

/// A fact-check found for a narrative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactCheckMatch {
    pub factcheck_id: String,
    /// Calibrated 0..=1: the estimated probability that the fact-check is about the narrative's claim.
    pub score: f32,
    /// Why it matched, as the matcher explained it (matched words, phrases, evidence).
    pub explanation: serde_json::Value,
}

/// A stored match with what an analyst needs to judge it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NarrativeMatch {
    /// 1 is the best.
    pub rank: u32,
    #[serde(flatten)]
    pub found: FactCheckMatch,
    pub title: String,
    pub rating: Option<String>,
    pub url: Option<String>,
}

/// The outcome of matching one narrative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NarrativeClaim {
    pub narrative_id: NarrativeId,
    /// The copy that was matched: the narrative's central copy at the time.
    pub representative_item_id: ItemId,
    pub matcher_version: String,
    pub factchecks_revision: String,
    pub matched_at: i64,
    /// The best score at or above the suggest threshold, if any.
    pub best_score: Option<f32>,
    /// The best match reached the auto-answer threshold: the claim was debunked before.
    pub debunked: bool,
    /// The narrative's priority, raised by a debunked match; `None` when not debunked.
    pub priority: Option<Priority>,
    pub case_id: Option<i64>,
}

/// One matching of a narrative: the outcome and the fact-checks found, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NarrativeMatches {
    pub claim: NarrativeClaim,
    pub matches: Vec<FactCheckMatch>,
}

/// A narrative waiting to be matched, with the text of its central copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNarrative {
    pub narrative_id: NarrativeId,
    pub representative_item_id: ItemId,
    pub text: String,
}

pub trait MatchStore {
    /// A token that changes whenever a fact-check is added or updated; `None` when there are none.
    fn factchecks_revision(&self) -> Result<Option<String>>;
    /// Live narratives updated at or after `updated_since` whose central copy was never matched, or
    /// was matched as another copy, by another matcher version or against another revision of the
    /// fact-checks. Ordered by id.
    fn narratives_to_match(
        &self,
        matcher_version: &str,
        factchecks_revision: &str,
        updated_since: i64,
        limit: u64,
    ) -> Result<Vec<PendingNarrative>>;
    /// Replaces each narrative's earlier outcome and matches, all in one transaction. A case recorded
    /// earlier stays recorded when `claim.case_id` is `None`.
    fn save_narrative_matches(&mut self, batch: &[NarrativeMatches]) -> Result<()>;
    fn narrative_claim(&self, narrative_id: NarrativeId) -> Result<Option<NarrativeClaim>>;
    /// The stored matches of a narrative, best first.
    fn narrative_matches(&self, narrative_id: NarrativeId) -> Result<Vec<NarrativeMatch>>;
    /// The oldest case linking the narrative or a narrative merged into it, whoever opened it.
    fn narrative_case(&self, narrative_id: NarrativeId) -> Result<Option<i64>>;
    /// The best stored match of each of `narrative_ids` that has one, for lists.
    fn best_matches(&self, narrative_ids: &[NarrativeId]) -> Result<Vec<(NarrativeId, NarrativeMatch)>> {
        let mut found = Vec::new();
        for &id in narrative_ids {
            if let Some(best) = self.narrative_matches(id)?.into_iter().next() {
                found.push((id, best));
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narratives::one_item_narrative;
    use crate::testing::{on_both_backends, Backend};
    use crate::{ItemRecord, NarrativeMerge, NarrativeUpdate, SourceRef, Store, StoreError};
    use tangkal_model::{parse_json_item, FactCheck, DEFAULT_MAX_TEXT_BYTES};

    on_both_backends!(
        the_revision_follows_every_insert_and_update,
        saving_again_replaces_and_only_changed_narratives_are_pending,
        an_unknown_factcheck_is_refused_and_nothing_is_written,
        cases_are_found_through_merges_and_stay_recorded,
        servers_matching_the_same_narratives_at_once_leave_one_whole_outcome_each,
    );

    const VERSION: &str = "matcher 1";

    /// A store with `items` items, each the only item of the narrative with its own id.
    fn store_with_narratives(backend: &Backend, items: usize) -> (Box<dyn Store>, Vec<NarrativeId>) {
        let mut store = backend.open();
        let parsed: Vec<_> = (0..items)
            .map(|i| {
                let line = format!(
                    r#"{{"id":"x:{i}","platform":"x","text":"teks nomor {i}","published_at":"2024-02-03T05:12:0{i}Z"}}"#
                );
                parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
            })
            .collect();
        let records: Vec<_> =
            parsed.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
        store.write_items(&SourceRef { kind: "file".into(), location: "t.jsonl".into() }, &records).unwrap();
        let ids: Vec<NarrativeId> = store
            .items_after(ItemId(0), 100)
            .unwrap()
            .iter()
            .map(|i| NarrativeId::try_from(i.id.get()).unwrap())
            .collect();
        let update = NarrativeUpdate {
            assignments: ids.iter().map(|&id| (item_of(id), id, 0)).collect(),
            merges: vec![],
            figures: ids.iter().map(|&id| one_item_narrative(id, item_of(id))).collect(),
        };
        store.save_narratives(&update).unwrap();
        (store, ids)
    }

    /// The only item of narrative `narrative`, which has the same id.
    fn item_of(narrative: NarrativeId) -> ItemId {
        ItemId(narrative.into())
    }

    fn factcheck(id: &str, title: &str) -> FactCheck {
        FactCheck {
            id: id.into(),
            title: title.into(),
            rating: Some("SALAH".into()),
            url: Some(format!("https://example.org/cek-fakta/{id}")),
            lang: Some("id".into()),
            ..FactCheck::default()
        }
    }

    fn found(id: &str, score: f32) -> FactCheckMatch {
        FactCheckMatch {
            factcheck_id: id.into(),
            score,
            explanation: serde_json::json!({"claim_words": ["teks"], "phrases": []}),
        }
    }

    fn save(store: &mut dyn Store, claim: NarrativeClaim, matches: Vec<FactCheckMatch>) -> Result<()> {
        store.save_narrative_matches(&[NarrativeMatches { claim, matches }])
    }

    fn claim(narrative: NarrativeId, representative: ItemId, revision: &str, case_id: Option<i64>) -> NarrativeClaim {
        NarrativeClaim {
            narrative_id: narrative,
            representative_item_id: representative,
            matcher_version: VERSION.into(),
            factchecks_revision: revision.into(),
            matched_at: 100,
            best_score: Some(0.9),
            debunked: true,
            priority: Some(Priority::P2),
            case_id,
        }
    }

    fn pending(store: &dyn Store, revision: &str) -> Vec<NarrativeId> {
        store.narratives_to_match(VERSION, revision, 0, 100).unwrap().iter().map(|p| p.narrative_id).collect()
    }

    fn the_revision_follows_every_insert_and_update(backend: &Backend) {
        let (mut store, _) = store_with_narratives(backend, 0);
        assert_eq!(store.factchecks_revision().unwrap(), None);
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu")]).unwrap();
        let first = store.factchecks_revision().unwrap().unwrap();
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu")]).unwrap();
        assert_eq!(store.factchecks_revision().unwrap().unwrap(), first, "an unchanged record changes nothing");
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu, diperbarui")]).unwrap();
        let updated = store.factchecks_revision().unwrap().unwrap();
        assert_ne!(updated, first);
        store.upsert_factchecks(&[factcheck("fc-2", "Hoaks dua")]).unwrap();
        assert_ne!(store.factchecks_revision().unwrap().unwrap(), updated);
    }

    fn saving_again_replaces_and_only_changed_narratives_are_pending(backend: &Backend) {
        let (mut store, ids) = store_with_narratives(backend, 3);
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu"), factcheck("fc-2", "Hoaks dua")]).unwrap();
        assert_eq!(pending(&*store, "r1"), ids);
        assert_eq!(store.narratives_to_match(VERSION, "r1", 0, 2).unwrap().len(), 2, "the limit holds");
        assert_eq!(store.narratives_to_match(VERSION, "r1", i64::MAX, 100).unwrap(), vec![], "nothing updated since");
        let text = &store.narratives_to_match(VERSION, "r1", 0, 1).unwrap()[0].text;
        assert_eq!(text, "teks nomor 0");

        let n = ids[0];
        save(&mut *store, claim(n, item_of(n), "r1", None), vec![found("fc-1", 0.9), found("fc-2", 0.5)]).unwrap();
        save(&mut *store, claim(n, item_of(n), "r1", None), vec![found("fc-1", 0.9), found("fc-2", 0.5)]).unwrap();
        let matches = store.narrative_matches(n).unwrap();
        assert_eq!(
            matches.iter().map(|m| (m.rank, m.found.factcheck_id.as_str())).collect::<Vec<_>>(),
            [(1, "fc-1"), (2, "fc-2")]
        );
        assert_eq!(matches[0].title, "Hoaks satu");
        assert_eq!(matches[0].rating.as_deref(), Some("SALAH"));
        assert_eq!(matches[0].found.explanation["claim_words"][0], "teks");
        assert_eq!(pending(&*store, "r1"), &ids[1..], "a matched narrative is skipped");
        assert_eq!(pending(&*store, "r2"), ids, "a new revision of the fact-checks matches everything again");

        // The central copy changes: matched again; the fewer new matches replace the old ones.
        store
            .save_narratives(&NarrativeUpdate {
                assignments: vec![(item_of(ids[1]), n, 1)],
                merges: vec![],
                figures: vec![one_item_narrative(n, item_of(ids[1]))],
            })
            .unwrap();
        assert_eq!(pending(&*store, "r1")[0], n);
        let mut rematched = claim(n, item_of(ids[1]), "r1", None);
        rematched.debunked = false;
        rematched.priority = None;
        save(&mut *store, rematched.clone(), vec![found("fc-2", 0.6)]).unwrap();
        assert_eq!(store.narrative_matches(n).unwrap().len(), 1);
        assert_eq!(store.narrative_claim(n).unwrap().unwrap(), rematched);
        assert!(!pending(&*store, "r1").contains(&n));
    }

    fn an_unknown_factcheck_is_refused_and_nothing_is_written(backend: &Backend) {
        let (mut store, ids) = store_with_narratives(backend, 2);
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu")]).unwrap();
        let n = ids[0];
        let other = ids[1];
        let err = store.save_narrative_matches(&[
            NarrativeMatches { claim: claim(other, item_of(other), "r1", None), matches: vec![found("fc-1", 0.8)] },
            NarrativeMatches {
                claim: claim(n, item_of(n), "r1", None),
                matches: vec![found("fc-1", 0.9), found("fc-9", 0.5)],
            },
        ]);
        assert!(matches!(err, Err(StoreError::Invalid { field: "factcheck_id", .. })), "{err:?}");
        assert_eq!(store.narrative_claim(n).unwrap(), None);
        assert_eq!(store.narrative_matches(n).unwrap(), vec![]);
        assert_eq!(store.narrative_claim(other).unwrap(), None, "the whole batch is rolled back");
    }

    fn cases_are_found_through_merges_and_stay_recorded(backend: &Backend) {
        let (mut store, ids) = store_with_narratives(backend, 2);
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu")]).unwrap();
        let (kept, absorbed) = (ids[0], ids[1]);
        assert_eq!(store.narrative_case(absorbed).unwrap(), None);
        let new = tangkal_cases::NewCase {
            title: "Hoaks satu".into(),
            origin: Some(tangkal_cases::Origin::Detector),
            narratives: vec![absorbed.to_string()],
            ..Default::default()
        };
        let case = store.open_case(&new, "detector:claims", chrono::Utc::now()).unwrap();
        assert_eq!(store.narrative_case(absorbed).unwrap(), Some(case.id));
        assert_eq!(store.narrative_case(kept).unwrap(), None);
        store
            .save_narratives(&NarrativeUpdate {
                assignments: vec![],
                merges: vec![NarrativeMerge { absorbed, into: kept, item_id: item_of(absorbed) }],
                figures: vec![],
            })
            .unwrap();
        assert_eq!(store.narrative_case(kept).unwrap(), Some(case.id), "the absorbed narrative's case counts");

        save(&mut *store, claim(kept, item_of(kept), "r1", Some(case.id)), vec![found("fc-1", 0.9)]).unwrap();
        save(&mut *store, claim(kept, item_of(kept), "r2", None), vec![]).unwrap();
        let stored = store.narrative_claim(kept).unwrap().unwrap();
        assert_eq!(stored.case_id, Some(case.id));
        assert_eq!(stored.factchecks_revision, "r2");
        assert_eq!(stored.priority, Some(Priority::P2));
    }

    /// Two servers match overlapping narratives at once, in batches of their own order: neither deadlocks,
    /// and each narrative ends with one server's outcome and that server's matches, whole.
    fn servers_matching_the_same_narratives_at_once_leave_one_whole_outcome_each(backend: &Backend) {
        let (mut store, ids) = store_with_narratives(backend, 6);
        store.upsert_factchecks(&[factcheck("fc-1", "Hoaks satu"), factcheck("fc-2", "Hoaks dua")]).unwrap();
        let outcome = |revision: &str, ids: Vec<NarrativeId>, matches: Vec<FactCheckMatch>| -> Vec<NarrativeMatches> {
            ids.into_iter()
                .map(|n| NarrativeMatches { claim: claim(n, item_of(n), revision, None), matches: matches.clone() })
                .collect()
        };
        let mut reversed = ids.clone();
        reversed.reverse();
        let writers = [
            outcome("r1", ids.clone(), vec![found("fc-1", 0.9), found("fc-2", 0.5)]),
            outcome("r2", reversed, vec![found("fc-2", 0.7)]),
        ];
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(writers.len()));
        let threads: Vec<_> = writers
            .into_iter()
            .map(|batch| {
                let (mut store, barrier) = (backend.open(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..10 {
                        store.save_narrative_matches(&batch).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        for n in ids {
            let revision = store.narrative_claim(n).unwrap().unwrap().factchecks_revision;
            let matches: Vec<_> =
                store.narrative_matches(n).unwrap().into_iter().map(|m| (m.rank, m.found.factcheck_id)).collect();
            let expected: &[(u32, &str)] = if revision == "r1" { &[(1, "fc-1"), (2, "fc-2")] } else { &[(1, "fc-2")] };
            assert_eq!(matches, expected.iter().map(|&(r, f)| (r, f.to_string())).collect::<Vec<_>>(), "{revision}");
        }
    }
}
