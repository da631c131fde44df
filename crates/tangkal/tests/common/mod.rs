//! What the command-line tests share: running `tangkal` and `tangkal serve`, reading the bundled sample
//! and its truth files, and mapping stored narratives back to the sample's.

#![allow(dead_code)] // each test file uses its own part

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;
use tangkal_store::{ItemFilter, ScratchSchema, Store, StoreLocation};

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample").join(name)
}

pub fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The backend the tests run on, from `TANGKAL_TEST_STORE` (as the server's test harness reads it):
/// `sqlite` (the default) or `postgres`. Refuses a value it does not know rather than testing SQLite
/// while the caller meant something else.
pub fn on_postgres() -> bool {
    match std::env::var("TANGKAL_TEST_STORE").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "sqlite") => false,
        Ok("postgres") => true,
        other => panic!("TANGKAL_TEST_STORE must be `sqlite` or `postgres`, not {other:?}"),
    }
}

/// Where a test's store is: a data directory, always (it holds the audit key and checkpoints, rejects,
/// uploads), and under `TANGKAL_TEST_STORE=postgres` a fresh schema of its own in the test database
/// ([`ScratchSchema`]: `TANGKAL_TEST_DATABASE_URL`, by default the local server's `test` database), dropped
/// with this. It is the [`StoreLocation`] every `tangkal` command of the test is given.
pub struct TestStore {
    location: StoreLocation,
    schema: Option<ScratchSchema>,
    /// The temporary directory the data directory is in, when this made it.
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// On the backend of `TANGKAL_TEST_STORE`, in a temporary directory of its own.
    pub fn new() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        TestStore::at(dir.path()).holding(dir)
    }

    /// On the backend of `TANGKAL_TEST_STORE`, with its data directory at `data_dir` (made if needed).
    pub fn at(data_dir: impl Into<PathBuf>) -> TestStore {
        if on_postgres() {
            TestStore::postgres_at(data_dir)
        } else {
            TestStore::sqlite_at(data_dir)
        }
    }

    /// The embedded SQLite store in `data_dir`, whatever `TANGKAL_TEST_STORE` says.
    pub fn sqlite_at(data_dir: impl Into<PathBuf>) -> TestStore {
        TestStore { location: StoreLocation::sqlite(data_dir), schema: None, _dir: None }
    }

    /// A fresh PostgreSQL schema, with its local files in `data_dir`, whatever `TANGKAL_TEST_STORE` says.
    pub fn postgres_at(data_dir: impl Into<PathBuf>) -> TestStore {
        let schema = ScratchSchema::create().expect("a scratch schema in the test database");
        let location = StoreLocation { data_dir: data_dir.into(), database_url: Some(schema.url()) };
        TestStore { location, schema: Some(schema), _dir: None }
    }

    fn holding(mut self, dir: tempfile::TempDir) -> TestStore {
        self._dir = Some(dir);
        self
    }

    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    pub fn data_dir(&self) -> &Path {
        &self.location.data_dir
    }

    pub fn is_postgres(&self) -> bool {
        self.schema.is_some()
    }

    /// The PostgreSQL schema the store is in; None on SQLite.
    pub fn schema(&self) -> Option<&ScratchSchema> {
        self.schema.as_ref()
    }

    /// `tangkal` on this store, to add arguments to: see [`command`].
    pub fn command(&self) -> Command {
        command(&self.location)
    }

    /// Runs `tangkal ARGS...` on this store, asserts it succeeded and returns its standard output.
    pub fn run(&self, args: &[&str]) -> String {
        tangkal_at(&self.location, args)
    }

    /// A connection to the store through its own API, as the commands open it.
    pub fn open(&self) -> Box<dyn Store> {
        tangkal_store::open(&self.location).unwrap()
    }

    /// Runs `sql` (statements separated by semicolons) straight on the database, around the store: for
    /// tests about what someone with access to the database can do, such as editing the audit trail.
    pub fn execute_around_the_store(&self, sql: &str) {
        match &self.location.database_url {
            Some(url) => postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap(),
            None => rusqlite::Connection::open(self.data_dir().join(tangkal_store::DATABASE_FILE))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }
}

/// `tangkal --data-dir DIR [--database-url URL]` on the store at `location`, with errors only in its log
/// and none of the settings the test's own environment may hold: a configuration file, a database, and
/// the tests' `TANGKAL_TEST_*` variables (which `tangkal` would refuse as unknown settings).
pub fn command(location: &StoreLocation) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tangkal"));
    command.arg("--data-dir").arg(&location.data_dir);
    if let Some(url) = &location.database_url {
        command.arg("--database-url").arg(url);
    }
    for setting in ["TANGKAL_CONFIG", "TANGKAL_DATABASE_URL", "TANGKAL_TEST_STORE", "TANGKAL_TEST_DATABASE_URL"] {
        command.env_remove(setting);
    }
    command.env("RUST_LOG", "error");
    command
}

/// Runs `tangkal ARGS...` on the store at `location`, asserts it succeeded and returns its standard output.
pub fn tangkal_at(location: &StoreLocation, args: &[&str]) -> String {
    let out = command(location).args(args).output().expect("tangkal runs");
    assert!(out.status.success(), "tangkal {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `tangkal --data-dir DIR ARGS...` (on SQLite unless ARGS name a database), asserts it succeeded
/// and returns its standard output.
pub fn tangkal(data_dir: &Path, args: &[&str]) -> String {
    tangkal_at(&StoreLocation::sqlite(data_dir), args)
}

/// Live narratives as `narratives list --json` shows them, by id.
pub fn narratives(store: &TestStore) -> BTreeMap<i64, Value> {
    store
        .run(&["narratives", "list", "--json", "--sort", "size", "--limit", "100000"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|n| (n["id"].as_i64().unwrap(), n))
        .collect()
}

pub fn stored_matches(store: &TestStore, narrative: i64) -> Vec<Value> {
    let shown: Value =
        serde_json::from_str(&store.run(&["narratives", "show", &narrative.to_string(), "--json"])).unwrap();
    shown["matched_factchecks"].as_array().unwrap().clone()
}

/// What the sample's truth files say.
pub struct Truth {
    /// Item id → its narrative's name.
    pub narrative_of_item: HashMap<String, String>,
    /// Narrative name → the fact-check that debunks it.
    pub factcheck_of: HashMap<String, String>,
}

impl Truth {
    pub fn load() -> Truth {
        let pairs = |file: &str| -> Vec<(String, Option<String>)> {
            jsonl(&sample(file))
                .iter()
                .map(|r| (r["id"].as_str().unwrap().to_owned(), r["narrative"].as_str().map(str::to_owned)))
                .collect()
        };
        Truth {
            narrative_of_item: pairs("items.truth.jsonl").into_iter().filter_map(|(i, n)| Some((i, n?))).collect(),
            factcheck_of: pairs("factchecks.truth.jsonl").into_iter().filter_map(|(f, n)| Some((n?, f))).collect(),
        }
    }

    /// Stored narrative → (the truth narrative most of its items belong to, how many do), for narratives
    /// whose items mostly belong to one.
    pub fn stored_narratives(&self, store: &TestStore) -> BTreeMap<i64, (String, usize)> {
        let mut votes: BTreeMap<i64, (usize, HashMap<String, usize>)> = BTreeMap::new();
        let items = store.open().list_items(&ItemFilter::default(), 1_000_000, 0).unwrap();
        for item in items.into_iter().filter(|i| i.narrative_id.is_some()) {
            let (narrative, item) =
                (i64::from(item.narrative_id.unwrap()), item.external_id.expect("the sample's items have ids"));
            let entry = votes.entry(narrative).or_default();
            entry.0 += 1;
            if let Some(truth) = self.narrative_of_item.get(&item) {
                *entry.1.entry(truth.clone()).or_default() += 1;
            }
        }
        votes
            .into_iter()
            .filter_map(|(narrative, (items, counts))| {
                let (truth, n) = counts.into_iter().max_by_key(|(name, n)| (*n, std::cmp::Reverse(name.clone())))?;
                (2 * n > items).then_some((narrative, (truth, n)))
            })
            .collect()
    }
}

/// A `tangkal serve` process, killed if a test fails before it stopped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// Waits until `/healthz` answers.
pub fn wait_until_serving(address: SocketAddr, server: &mut Server) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        assert!(server.0.try_wait().unwrap().is_none(), "the server exited early");
        if let Ok(mut stream) = TcpStream::connect(address) {
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: tangkal\r\nConnection: close\r\n\r\n").unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not start");
}
