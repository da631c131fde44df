//! `tangkal demo`, the README's first command: the whole flow on the bundled sample, and a second run
//! that doubles nothing.

use std::path::Path;
use std::process::Command;

fn demo(data_dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tangkal"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("demo")
        .env_remove("TANGKAL_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
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
