//! Claim matching wired into `tangkal ingest`, on the bundled sample (`data/sample`): narratives are
//! matched against the imported fact-checks, debunked ones get a case, and nothing is opened twice.
//! Expectations come from the sample's truth files, never from a previous run.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use common::{db, jsonl, narratives, sample, stored_matches, tangkal, Truth};
use serde_json::Value;
use tangkal_matcher::Matcher;

fn ingest(data_dir: &Path, file: &Path) -> String {
    tangkal(data_dir, &["ingest", file.to_str().unwrap()])
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
fn cases(data_dir: &Path) -> Vec<(i64, String, Option<String>, Vec<i64>)> {
    let conn = db(data_dir);
    let mut stmt = conn.prepare("SELECT id, opened_by, origin_ref FROM cases ORDER BY id").unwrap();
    let rows: Vec<(i64, String, Option<String>)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    rows.into_iter()
        .map(|(id, by, origin_ref)| {
            let links = conn
                .prepare("SELECT target FROM case_links WHERE case_id = ?1 AND kind = 'narrative'")
                .unwrap()
                .query_map([id], |r| r.get::<_, String>(0))
                .unwrap()
                .map(|t| t.unwrap().parse().unwrap())
                .collect();
            (id, by, origin_ref, links)
        })
        .collect()
}

/// Cases linking `narrative` or a narrative merged into it.
fn family_cases(data_dir: &Path, narrative: i64) -> i64 {
    db(data_dir)
        .query_row(
            "WITH RECURSIVE family (id) AS (
                 SELECT ?1 UNION SELECT m.absorbed FROM narrative_merges m JOIN family f ON m.into_id = f.id)
             SELECT COUNT(DISTINCT l.case_id) FROM case_links l JOIN family f ON l.target = CAST(f.id AS TEXT)
             WHERE l.kind = 'narrative'",
            [narrative],
            |r| r.get(0),
        )
        .unwrap()
}

/// The matcher over the fact-checks of `file`, as the stage builds it from the store.
fn matcher_for(file: &Path) -> Matcher {
    let reader = std::io::BufReader::new(std::fs::File::open(file).unwrap());
    Matcher::build(tangkal_matcher::formats::read_jsonl(reader, "factchecks.jsonl").unwrap().records)
}

fn item_text(data_dir: &Path, item: i64) -> String {
    use tangkal_store::ItemStore;
    let store = tangkal_store::SqliteStore::open_in(data_dir).unwrap();
    store.get_item(item).unwrap().expect("stored item").text
}

/// The checks that must hold after every ingest once the fact-checks of `factchecks` are stored.
/// Returns the cases.
fn check_matches(data_dir: &Path, truth: &Truth, factchecks: &Path) -> Vec<(i64, String, Option<String>, Vec<i64>)> {
    let matcher = matcher_for(factchecks);
    let thresholds = matcher.thresholds();
    let live = narratives(data_dir);
    let cases = cases(data_dir);

    // The stored outcome of every narrative is what the matcher says about its central copy.
    let mut matches = BTreeMap::new();
    for (&id, narrative) in &live {
        let claim = &narrative["claim"];
        assert!(claim.is_object(), "narrative {id} was not matched: {narrative}");
        let central = narrative["representative_item_id"].as_i64().unwrap();
        assert_eq!(claim["representative_item_id"], central, "narrative {id}");
        let found = stored_matches(data_dir, id);
        let got: Vec<(String, f64)> = found
            .iter()
            .map(|m| (m["factcheck_id"].as_str().unwrap().to_owned(), m["score"].as_f64().unwrap()))
            .collect();
        let expected: Vec<(String, f64)> = matcher
            .best(&item_text(data_dir, central), 5)
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
            assert_eq!(family_cases(data_dir, id), 1, "narrative {id} has exactly one case");
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
    let stored = truth.stored_narratives(data_dir);
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
    let opened: i64 = db(data_dir)
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.open' AND actor = 'detector:claims'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(opened, cases.len() as i64, "every case opening is audited");
    assert!(tangkal(data_dir, &["audit", "verify"]).contains("intact"));
    cases
}

#[test]
fn ingest_matches_narratives_and_opens_one_case_per_debunked_narrative() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
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
    tangkal(&data, &["factchecks", "import", sample("factchecks.jsonl").to_str().unwrap()]);
    let (matched, debunked, opened) = matching_report(&ingest(&data, &sample("items.jsonl")));
    assert!(matched >= narratives(&data).len() as u64, "{matched}");
    assert!(debunked > 0 && opened > 0, "{debunked} debunked, {opened} cases");
    let cases = check_matches(&data, &truth, &sample("factchecks.jsonl"));
    let (debunked_id, _) = narratives(&data).into_iter().find(|(_, n)| n["claim"]["debunked"] == true).unwrap();
    let text = tangkal(&data, &["narratives", "show", &debunked_id.to_string()]);
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
    tangkal(&data, &["factchecks", "import", revised.to_str().unwrap()]);
    let (matched, _, opened) = matching_report(&ingest(&data, &sample("items-update.jsonl")));
    assert_eq!(matched, narratives(&data).len() as u64);
    let after = check_matches(&data, &truth, &revised);
    assert_eq!(after[..cases.len()], cases[..], "earlier cases stay as they were");
    assert_eq!(after.len() - cases.len(), opened as usize);
    let links: Vec<i64> = after.iter().flat_map(|c| c.3.iter().copied()).collect();
    let linked: BTreeSet<i64> = links.iter().copied().collect();
    assert_eq!(linked.len(), links.len(), "no narrative is linked by two cases");
}
