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

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample").join(name)
}

pub fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Runs `tangkal --data-dir DIR ARGS...`, asserts it succeeded and returns its standard output.
pub fn tangkal(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tangkal"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("TANGKAL_CONFIG")
        .env("RUST_LOG", "error")
        .output()
        .expect("tangkal runs");
    assert!(out.status.success(), "tangkal {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Live narratives as `narratives list --json` shows them, by id.
pub fn narratives(data_dir: &Path) -> BTreeMap<i64, Value> {
    tangkal(data_dir, &["narratives", "list", "--json", "--sort", "size", "--limit", "100000"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|n| (n["id"].as_i64().unwrap(), n))
        .collect()
}

pub fn stored_matches(data_dir: &Path, narrative: i64) -> Vec<Value> {
    let shown: Value =
        serde_json::from_str(&tangkal(data_dir, &["narratives", "show", &narrative.to_string(), "--json"])).unwrap();
    shown["matched_factchecks"].as_array().unwrap().clone()
}

pub fn db(data_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data_dir.join("tangkal.sqlite3")).unwrap()
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
    pub fn stored_narratives(&self, data_dir: &Path) -> BTreeMap<i64, (String, usize)> {
        let conn = db(data_dir);
        let mut stmt =
            conn.prepare("SELECT narrative_id, external_id FROM items WHERE narrative_id IS NOT NULL").unwrap();
        let mut votes: BTreeMap<i64, (usize, HashMap<String, usize>)> = BTreeMap::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap() {
            let (narrative, item) = row.unwrap();
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
