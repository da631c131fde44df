//! Claim matching wired into `tangkal ingest`, on the bundled sample (`data/sample`): narratives are
//! matched against the imported fact-checks, debunked ones get a case, and nothing is opened twice.
//! Expectations come from the sample's truth files, never from a previous run.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use common::{jsonl, narratives, sample, stored_matches, TestStore, Truth};
use serde_json::Value;
use tangkal_matcher::Matcher;
use tangkal_model::{ItemId, NarrativeId};
use tangkal_store::{AuditFilter, CaseFilter};

fn ingest(store: &TestStore, file: &Path) -> String {
    store.run(&["ingest", file.to_str().unwrap()])
}

/// (matched, debunked, cases opened) from the ingest report, all zero when the stage matched nothing.
fn matching_report(stdout: &str) -> (u64, u64, u64) {
    let Some(line) = stdout.lines().find(|l| l.starts_with("narratives matched against fact-checks")) else {
        return (0, 0, 0);
    };
    let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    (numbers[0], numbers[1], numbers[2])
}

/// Every case with the narratives it links: (id, opened_by, origin_ref, narratives).
fn cases(store: &TestStore) -> Vec<(i64, String, Option<String>, Vec<i64>)> {
    let store = store.open();
    let mut listed = store.list_cases(&CaseFilter::default(), chrono::Utc::now(), 1_000_000, 0).unwrap();
    listed.sort_by_key(|c| c.id);
    listed
        .into_iter()
        .map(|summary| {
            let case = store.case(summary.id).unwrap().expect("a listed case");
            let links = case.narratives.iter().map(|n| n.parse().unwrap()).collect();
            (case.id, case.opened_by, case.origin_ref, links)
        })
        .collect()
}

/// Cases linking `narrative` or a narrative merged into it.
fn family_cases(store: &TestStore, narrative: i64) -> usize {
    let store = store.open();
    let mut family: BTreeSet<String> = store
        .narrative_merges(NarrativeId::try_from(narrative).unwrap())
        .unwrap()
        .iter()
        .map(|m| m.absorbed.to_string())
        .collect();
    family.insert(narrative.to_string());
    let listed = store.list_cases(&CaseFilter::default(), chrono::Utc::now(), 1_000_000, 0).unwrap();
    listed.iter().filter(|c| c.narratives.iter().any(|n| family.contains(n))).count()
}

/// The matcher over the fact-checks of `file`, as the stage builds it from the store.
fn matcher_for(file: &Path) -> Matcher {
    let reader = std::io::BufReader::new(std::fs::File::open(file).unwrap());
    Matcher::build(tangkal_matcher::formats::read_jsonl(reader, "factchecks.jsonl").unwrap().records)
}

fn item_text(store: &TestStore, item: i64) -> String {
    store.open().get_item(ItemId(item)).unwrap().expect("stored item").text
}

/// The checks that must hold after every ingest once the fact-checks of `factchecks` are stored.
/// Returns the cases.
fn check_matches(store: &TestStore, truth: &Truth, factchecks: &Path) -> Vec<(i64, String, Option<String>, Vec<i64>)> {
    let matcher = matcher_for(factchecks);
    let thresholds = matcher.thresholds();
    let live = narratives(store);
    let cases = cases(store);

    // The stored outcome of every narrative is what the matcher says about its central copy.
    let mut matches = BTreeMap::new();
    for (&id, narrative) in &live {
        let claim = &narrative["claim"];
        assert!(claim.is_object(), "narrative {id} was not matched: {narrative}");
        let central = narrative["representative_item_id"].as_i64().unwrap();
        assert_eq!(claim["representative_item_id"], central, "narrative {id}");
        let found = stored_matches(store, id);
        let got: Vec<(String, f64)> = found
            .iter()
            .map(|m| (m["factcheck_id"].as_str().unwrap().to_owned(), m["score"].as_f64().unwrap()))
            .collect();
        let expected: Vec<(String, f64)> = matcher
            .best(&item_text(store, central), 5)
            .into_iter()
            .take_while(|m| m.score >= thresholds.suggest)
            .map(|m| (m.factcheck.id.clone(), f64::from(m.score)))
            .collect();
        assert_eq!(got.len(), expected.len(), "narrative {id}: {got:?} vs {expected:?}");
        for ((got_id, got_score), (want_id, want_score)) in got.iter().zip(&expected) {
            assert_eq!(got_id, want_id, "narrative {id}: {got:?} vs {expected:?}");
            assert!((got_score - want_score).abs() < 1e-4, "narrative {id}: {got:?} vs {expected:?}");
        }
        assert_eq!(claim["best_score"].as_f64(), got.first().map(|m| m.1), "narrative {id}");
        let debunked = expected.first().is_some_and(|m| m.1 >= f64::from(thresholds.auto_answer));
        assert_eq!(claim["debunked"], debunked, "narrative {id}");
        assert_eq!(claim["priority"].is_string(), debunked, "a priority is set exactly when debunked: {claim}");
        if debunked {
            assert_eq!(family_cases(store, id), 1, "narrative {id} has exactly one case");
            let case_id = claim["case_id"].as_i64().expect("the case is recorded on the narrative");
            let (_, _, origin_ref, linked) = cases.iter().find(|c| c.0 == case_id).unwrap();
            if linked.contains(&id) {
                assert_eq!(origin_ref.clone(), Some(format!("factcheck:{}", got[0].0)), "case {case_id}");
            } else {
                assert!(linked.iter().all(|n| !live.contains_key(n)), "case {case_id} is on an absorbed narrative");
            }
        }
        matches.insert(id, got);
    }

    // Against the truth. Whenever a narrative of a debunked hoax matches anything, the fact-check that
    // debunks it comes first; narratives nobody has checked yet are never called debunked; and the
    // wiring finds the right fact-check for most hoaxes (how many is the matcher's business: its
    // evaluation measures that, this floor only catches matching the wrong text or dropping results).
    let stored = truth.stored_narratives(store);
    let mut main: HashMap<&str, (i64, usize)> = HashMap::new();
    for (&id, (name, n)) in stored.iter().filter(|(id, _)| live.contains_key(id)) {
        let found = &matches[&id];
        match truth.factcheck_of.get(name) {
            Some(factcheck) => {
                assert!(found.first().is_none_or(|m| &m.0 == factcheck), "{name} (narrative {id}): {found:?}");
            }
            None => assert_eq!(live[&id]["claim"]["debunked"], false, "{name} (narrative {id}) has no fact-check yet"),
        }
        if main.get(name.as_str()).is_none_or(|&(_, most)| *n > most) {
            main.insert(name, (id, *n));
        }
    }
    let mut hoaxes = 0;
    let mut found_right = Vec::new();
    let mut debunked = 0;
    for (name, factcheck) in &truth.factcheck_of {
        let Some(&(id, _)) = main.get(name.as_str()) else { continue };
        hoaxes += 1;
        if matches[&id].iter().any(|m| &m.0 == factcheck) {
            found_right.push(name.as_str());
        }
        debunked += usize::from(live[&id]["claim"]["debunked"] == true);
    }
    assert!(hoaxes >= 10, "the sample's hoaxes form narratives: {hoaxes}");
    assert!(2 * found_right.len() >= hoaxes, "right fact-check stored for only {found_right:?} of {hoaxes}");
    assert!(debunked > 0, "no hoax of the sample reached the auto-answer threshold");

    let mut claims = std::collections::HashSet::new();
    for (case_id, opened_by, origin_ref, linked) in &cases {
        assert_eq!(opened_by, "detector:claims");
        assert!(!linked.is_empty(), "case {case_id} links a narrative");
        assert!(claims.insert(origin_ref.clone()), "one open case per debunked claim: {origin_ref:?} twice");
    }
    let events = store.open().audit_events(&AuditFilter::default(), 1_000_000, 0).unwrap();
    let opened = events.iter().filter(|e| e.action == "case.open" && e.actor == "detector:claims").count();
    assert_eq!(opened, cases.len(), "every case opening is audited");
    assert!(store.run(&["audit", "verify"]).contains("intact"));
    cases
}

#[test]
fn ingest_matches_narratives_and_opens_one_case_per_debunked_narrative() {
    let dir = tempfile::tempdir().unwrap();
    let data = TestStore::at(dir.path().join("data"));
    let truth = Truth::load();
    let items = std::fs::read_to_string(sample("items.jsonl")).unwrap();
    let lines: Vec<&str> = items.lines().collect();
    let first_half = dir.path().join("first.jsonl");
    std::fs::write(&first_half, lines[..lines.len() / 2].join("\n")).unwrap();

    // Without fact-checks the stage does nothing.
    assert_eq!(matching_report(&ingest(&data, &first_half)), (0, 0, 0));
    assert!(narratives(&data).values().all(|n| n["claim"].is_null()));
    assert!(cases(&data).is_empty());

    // Fact-checks, then the whole stream: the narratives of the first half are matched on start-up,
    // new and re-centred ones after each batch.
    data.run(&["factchecks", "import", sample("factchecks.jsonl").to_str().unwrap()]);
    let (matched, debunked, opened) = matching_report(&ingest(&data, &sample("items.jsonl")));
    assert!(matched >= narratives(&data).len() as u64, "{matched}");
    assert!(debunked > 0 && opened > 0, "{debunked} debunked, {opened} cases");
    let cases = check_matches(&data, &truth, &sample("factchecks.jsonl"));
    let (debunked_id, _) = narratives(&data).into_iter().find(|(_, n)| n["claim"]["debunked"] == true).unwrap();
    let text = data.run(&["narratives", "show", &debunked_id.to_string()]);
    assert!(text.contains("matched fact-checks") && text.contains("debunked"), "{text}");

    // Re-running the import, and updated metrics: nothing is matched again, no case is opened.
    assert_eq!(matching_report(&ingest(&data, &sample("items.jsonl"))), (0, 0, 0));
    ingest(&data, &sample("items-update.jsonl"));
    assert_eq!(check_matches(&data, &truth, &sample("factchecks.jsonl")), cases);

    // A revised fact-check changes the collection: every narrative is matched again on the next
    // ingest. A narrative the new scores call debunked for the first time gets its case; none gets a
    // second one.
    let mut records = jsonl(&sample("factchecks.jsonl"));
    records[0]["conclusion"] = Value::String("Diperbarui: tanggapan resmi ditambahkan.".into());
    let revised = dir.path().join("revised.jsonl");
    std::fs::write(&revised, records.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")).unwrap();
    data.run(&["factchecks", "import", revised.to_str().unwrap()]);
    let (matched, _, opened) = matching_report(&ingest(&data, &sample("items-update.jsonl")));
    assert_eq!(matched, narratives(&data).len() as u64);
    let after = check_matches(&data, &truth, &revised);
    assert_eq!(after[..cases.len()], cases[..], "earlier cases stay as they were");
    assert_eq!(after.len() - cases.len(), opened as usize);
    let links: Vec<i64> = after.iter().flat_map(|c| c.3.iter().copied()).collect();
    let linked: BTreeSet<i64> = links.iter().copied().collect();
    assert_eq!(linked.len(), links.len(), "no narrative is linked by two cases");
}
