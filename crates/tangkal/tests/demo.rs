//! `tangkal demo`, the README's first command: the whole flow on the bundled sample, a second run
//! that doubles nothing, and the sample's hoaxes answered by their own fact-checks.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{narratives, stored_matches, tangkal, Truth};

fn demo(data_dir: &Path) -> String {
    tangkal(data_dir, &["demo"])
}

/// The number after `label` on the line that contains it.
fn figure(report: &str, label: &str) -> u64 {
    let at = report.find(label).unwrap_or_else(|| panic!("no {label:?} in:\n{report}")) + label.len();
    report[at..].trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

fn open_cases(data_dir: &Path) -> usize {
    let db = rusqlite::Connection::open(data_dir.join("tangkal.sqlite3")).unwrap();
    db.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get::<_, i64>(0)).unwrap() as usize
}

#[test]
fn demo_runs_the_whole_flow_and_a_second_run_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = demo(dir.path());
    let items = include_str!("../../../data/sample/items.jsonl").lines().count() as u64;
    assert_eq!(figure(&first, "sample posts → new"), items);
    let bundled = include_str!("../../../data/sample/factchecks.jsonl").lines().count() as u64;
    assert_eq!(figure(&first, "Fact-checks:"), bundled);
    assert_eq!(figure(&first, "copies folded → new"), bundled - figure(&first, "records,"));
    let cases = figure(&first, "cases opened");
    assert_eq!(open_cases(dir.path()), cases as usize, "{first}");
    assert_eq!(first.matches("\n   #").count(), 8, "the biggest narratives are listed:\n{first}");
    let listed = first.lines().filter(|l| l.trim_start().starts_with("case ")).count() as u64;
    assert_eq!(listed, cases.min(10), "the open cases are listed:\n{first}");

    let second = demo(dir.path());
    assert_eq!(figure(&second, "sample posts → new"), 0);
    assert_eq!(figure(&second, "duplicate"), items);
    assert_eq!(figure(&second, "copies folded → new"), 0);
    assert_eq!(figure(&second, "cases opened"), 0);
    assert_eq!(open_cases(dir.path()), cases as usize, "no case is opened twice");
}

/// Against the sample's truth files: of its 16 hoaxes that have a fact-check, the demo (a desk with
/// 40 fact-checks) marks at least 15 debunked by that very fact-check (2 before scores stopped
/// depending on the size of the database, 13 before matching read words as their equivalents and
/// the score weighed the specific vocabulary a text shares with a headline), and never marks a
/// narrative debunked by another one, nor one that no fact-check is about (a post warning against
/// the remedy a fact-check debunks, say).
#[test]
fn demo_debunks_the_sample_hoaxes_with_their_own_fact_checks() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let truth = Truth::load();
    assert_eq!(truth.factcheck_of.len(), 16);
    let stored = truth.stored_narratives(dir.path());
    let (mut right, mut wrong) = (BTreeSet::new(), Vec::new());
    for (id, narrative) in narratives(dir.path()) {
        if narrative["claim"]["debunked"] != true {
            continue;
        }
        let best = stored_matches(dir.path(), id)[0]["factcheck_id"].as_str().unwrap().to_owned();
        let name = stored.get(&id).map(|(name, _)| name.as_str());
        match name.filter(|name| truth.factcheck_of.get(*name) == Some(&best)) {
            Some(name) => {
                right.insert(name);
            }
            None => wrong.push((id, name, best)),
        }
    }
    assert!(
        wrong.is_empty() && right.len() >= 15,
        "{} of 16 sample hoaxes debunked by their fact-check: {right:?}; debunked by the wrong fact-check \
         (narrative, sample narrative, fact-check): {wrong:?}",
        right.len()
    );
}
