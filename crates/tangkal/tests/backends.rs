//! The same commands on the embedded SQLite store and on PostgreSQL give the same narratives, matches and
//! cases: the bundled sample's fact-checks and items, ingested twice (the second run must change nothing),
//! then compared through the commands' own output and the store's API.

mod common;

use std::path::Path;

use common::{sample, tangkal_at as tangkal, TestStore};
use serde_json::Value;
use tangkal_store::{CaseFilter, StoreLocation};

/// Runs the sample through `tangkal` on one store.
fn run_sample(location: &StoreLocation) {
    let on = |args: &[&str]| tangkal(location, args);
    on(&["factchecks", "import", sample("factchecks.jsonl").to_str().unwrap()]);
    on(&["ingest", sample("items.jsonl").to_str().unwrap()]);
    on(&["ingest", sample("items.jsonl").to_str().unwrap()]);
    on(&["ingest", sample("items-update.jsonl").to_str().unwrap()]);
    assert!(on(&["audit", "verify"]).contains("intact"));
}

/// What a store holds, without the wall-clock times of the run (when a row was written or matched).
fn outcome(location: &StoreLocation) -> Vec<Value> {
    let mut shown = Vec::new();
    let on = |args: &[&str]| tangkal(location, args);
    for line in on(&["narratives", "list", "--json", "--sort", "size", "--limit", "100000"]).lines() {
        let narrative: Value = serde_json::from_str(line).unwrap();
        let id = narrative["id"].to_string();
        shown.push(without_run_times(narrative));
        shown.push(without_run_times(serde_json::from_str(&on(&["narratives", "show", &id, "--json"])).unwrap()));
    }
    for line in on(&["items", "list", "--json", "--limit", "100000"]).lines() {
        shown.push(without_run_times(serde_json::from_str(line).unwrap()));
    }
    let store = tangkal_store::open(location).unwrap();
    let now = chrono::Utc::now();
    // By id: the list's own order is by deadline, which depends on the second each run opened a case in.
    let mut cases = store.list_cases(&CaseFilter::default(), now, 100_000, 0).unwrap();
    cases.sort_by_key(|c| c.id);
    for case in cases {
        shown.push(serde_json::json!({
            "case": case.id, "title": case.title, "status": case.status, "priority": case.priority,
            "narratives": case.narratives, "platforms": case.platforms,
        }));
    }
    shown
}

/// Drops the fields that say when this run wrote something: they differ between any two runs.
fn without_run_times(mut value: Value) -> Value {
    match &mut value {
        Value::Object(fields) => {
            fields.retain(|name, _| {
                !matches!(name.as_str(), "updated_at" | "matched_at" | "first_seen_at" | "factchecks_revision")
            });
            for field in fields.values_mut() {
                *field = without_run_times(field.take());
            }
        }
        Value::Array(values) => {
            for v in values.iter_mut() {
                *v = without_run_times(v.take());
            }
        }
        _ => {}
    }
    value
}

#[test]
fn sqlite_and_postgres_give_the_same_narratives_matches_and_cases() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = TestStore::sqlite_at(dir.path().join("sqlite"));
    let postgres = TestStore::postgres_at(dir.path().join("postgres"));
    run_sample(sqlite.location());
    run_sample(postgres.location());
    let (sqlite, postgres) = (outcome(sqlite.location()), outcome(postgres.location()));
    assert!(sqlite.iter().any(|v| v.get("case").is_some()), "the sample opens cases");
    assert_eq!(sqlite.len(), postgres.len());
    for (s, p) in sqlite.iter().zip(&postgres) {
        assert_eq!(s, p);
    }
}

/// Copies the audit key and checkpoints, which live beside the store and not in it, as docs/deploy.md
/// tells operators to.
fn copy_audit_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in ["audit.key", "audit.checkpoints"] {
        if from.join(file).exists() {
            std::fs::copy(from.join(file), to.join(file)).unwrap();
        }
    }
}

#[test]
fn a_backup_of_the_embedded_store_restores_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (data, restored) =
        (StoreLocation::sqlite(dir.path().join("data")), StoreLocation::sqlite(dir.path().join("restored")));
    run_sample(&data);
    let copy = dir.path().join("copy.sqlite3");
    tangkal(&data, &["backup", copy.to_str().unwrap()]);
    copy_audit_files(&data.data_dir, &restored.data_dir);
    std::fs::copy(&copy, restored.data_dir.join(tangkal_store::DATABASE_FILE)).unwrap();
    assert!(tangkal(&restored, &["audit", "verify"]).contains("intact"));
    assert_eq!(outcome(&restored), outcome(&data));
}

/// A database of its own for a restore, dropped afterwards.
struct ScratchDatabase {
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str) -> ScratchDatabase {
        let name = format!("tangkal_restore_{}", std::process::id());
        psql(admin_url, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(admin_url, &format!("CREATE DATABASE {name}"));
        ScratchDatabase { admin_url: admin_url.to_string(), name }
    }

    fn url(&self) -> String {
        let (server, _) = self.admin_url.split_once('?').map_or((self.admin_url.as_str(), ""), |p| p);
        format!("{}/{}", server.rsplit_once('/').unwrap().0, self.name)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        psql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

fn psql(url: &str, sql: &str) {
    let status = std::process::Command::new("psql").args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]).status();
    assert!(status.unwrap().success(), "psql: {sql}");
}

#[test]
fn a_pg_dump_of_the_postgres_store_restores_whole() {
    let dir = tempfile::tempdir().unwrap();
    let original = TestStore::postgres_at(dir.path().join("data"));
    let scratch = original.schema().unwrap();
    let admin_url = std::env::var("TANGKAL_TEST_DATABASE_URL").unwrap_or(tangkal_store::TEST_DATABASE_URL.into());
    let restored = dir.path().join("restored");
    run_sample(original.location());
    // What docs/deploy.md prescribes: pg_dump's custom format, restored with pg_restore into a new database.
    let dump = dir.path().join("tangkal.dump");
    let dumped = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--schema", scratch.name(), "--file"])
        .arg(&dump)
        .arg(&admin_url)
        .status()
        .unwrap();
    assert!(dumped.success());
    let target = ScratchDatabase::create(&admin_url);
    let restored_ok =
        std::process::Command::new("pg_restore").args(["--dbname", &target.url()]).arg(&dump).status().unwrap();
    assert!(restored_ok.success());
    copy_audit_files(original.data_dir(), &restored);
    let restored_url = format!("{}?options=-csearch_path%3D{}", target.url(), scratch.name());
    let copy = StoreLocation { data_dir: restored, database_url: Some(restored_url) };
    assert!(tangkal(&copy, &["audit", "verify"]).contains("intact"));
    assert_eq!(outcome(&copy), outcome(original.location()));
}
