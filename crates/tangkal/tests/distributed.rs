//! The distributed intake as processes: a NATS server of the test's own (JetStream in a temporary
//! directory, so it can be killed and restarted), PostgreSQL (a scratch schema), `tangkal worker`s, placers
//! and publishers (`tangkal ingest --to`). What they make of a stream must be what one `tangkal ingest` into
//! SQLite makes of it, whatever is killed on the way; a restart of everything, NATS included, loses nothing
//! that JetStream acknowledged (NATS 2.9 restarted after a kill -9 may redeliver out of order, so there the
//! narratives are not compared).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, sample, tangkal};
use tangkal_intake::{synthetic, Intake, IntakeConfig};
use tangkal_store::{AuditFiles, ItemFilter, ItemStore, PostgresStore, ScratchSchema};

/// A process of the test, killed (SIGKILL) if the test fails before it ended.
struct Process(Child);

impl Process {
    /// kill -9.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }

    /// SIGTERM, and waits for a clean exit.
    fn stop(mut self) {
        // SAFETY: sends a signal to a child process this test started and has not reaped.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let status = self.0.wait().unwrap();
        assert!(status.success(), "a process stopped by SIGTERM exited with {status}");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `nats-server -js` of the test's own.
struct Nats {
    port: u16,
    store: tempfile::TempDir,
    server: Option<Process>,
}

impl Nats {
    fn start() -> Nats {
        let mut nats = Nats { port: free_port().port(), store: tempfile::tempdir().unwrap(), server: None };
        nats.restart();
        nats
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, on the same port and store) and waits until it answers.
    fn restart(&mut self) {
        let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("nats-server");
        let child = Command::new(binary)
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (Debian's package nats-server)");
        self.server = Some(Process(child));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        self.server.take().unwrap().kill();
    }
}

/// Everything a run shares: NATS, the database, a home directory with the audit key.
struct Cluster {
    nats: Nats,
    scratch: ScratchSchema,
    home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Cluster {
    fn new() -> Cluster {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Cluster {
            nats: Nats::start(),
            scratch: ScratchSchema::create().unwrap(),
            home: tempfile::tempdir().unwrap(),
            rt,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tangkal"));
        command
            .arg("--data-dir")
            .arg(self.home.path())
            .args(["--database-url", &self.scratch.url(), "--nats", &self.nats.url()])
            .args(args)
            .env_remove("TANGKAL_CONFIG")
            .env("TANGKAL_INTAKE__ACK_WAIT_SECS", "3")
            .env("TANGKAL_INTAKE__MAX_DELIVER", "2")
            .env("RUST_LOG", std::env::var("TEST_LOG").unwrap_or("error".into()))
            .stdout(Stdio::null());
        command
    }

    fn spawn(&self, args: &[&str]) -> Process {
        Process(self.command(args).spawn().unwrap())
    }

    /// Runs a command to its end; returns its exit code.
    fn run(&self, args: &[&str]) -> i32 {
        self.command(args).status().unwrap().code().unwrap_or(-1)
    }

    fn status(&self) -> serde_json::Value {
        let out = self.command(&["status", "--json", "--sample-ms", "100"]).stdout(Stdio::piped()).output().unwrap();
        assert!(out.status.success(), "tangkal status: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Makes the items table refuse any row whose record holds `marker`, as a constraint added by hand would.
    fn refuse_items_holding(&self, marker: &str) {
        let mut client = postgres::Client::connect(&self.scratch.url(), postgres::NoTls).unwrap();
        let check = format!("ALTER TABLE items ADD CONSTRAINT refused_marker CHECK (strpos(raw, $${marker}$$) = 0)");
        client.batch_execute(&check).unwrap();
    }

    fn store(&self) -> PostgresStore {
        PostgresStore::connect(&self.scratch.url(), AuditFiles::in_data_dir(self.home.path())).unwrap()
    }

    fn items(&self) -> u64 {
        self.store().count_items(&ItemFilter::default()).unwrap()
    }

    fn intake(&self) -> Intake {
        let config = IntakeConfig { ack_wait: Duration::from_secs(3), ..IntakeConfig::new(self.nats.url()) };
        self.rt.block_on(Intake::connect(&config)).unwrap()
    }

    fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let started = Instant::now();

        while !done() {
            assert!(started.elapsed() < Duration::from_secs(120), "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the intake's status satisfies `done`; names the last status when it times out.
    fn wait_for_status(&self, what: &str, done: impl Fn(&serde_json::Value) -> bool) {
        let started = Instant::now();
        loop {
            let status = self.status();
            if done(&status) {
                return;
            }
            let waited = started.elapsed();
            assert!(waited < Duration::from_secs(120), "timed out waiting until {what} ({waited:?}): {status}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until every message is acknowledged and placed and every narrative matched, then stops the
    /// placers and the workers (in that order: the placer's last figures still go to matching).
    fn finish(&self, placers: Vec<Process>, workers: Vec<Process>) -> serde_json::Value {
        self.wait_for_status("every message is acknowledged and placed", |s| {
            let covered = s["placer"]["figures"]["covered"].as_u64();
            s["pending"] == 0 && s["ack_pending"] == 0 && covered == s["last_seq"].as_u64() && covered > Some(0)
        });
        for placer in placers {
            placer.stop();
        }
        self.wait_for_status("every narrative is matched", |s| s["matching_depth"] == 0);
        for worker in workers {
            worker.stop();
        }
        self.status()
    }
}

/// The test's stream: 10,000 posts (a few repeating claims that the sample fact-checks debunk), and
/// what `tangkal ingest` into SQLite makes of it.
struct Stream {
    dir: tempfile::TempDir,
    expected: synthetic::Outcome,
}

impl Stream {
    fn new(items: usize) -> Stream {
        let dir = tempfile::tempdir().unwrap();
        let claims: Vec<String> = common::jsonl(&sample("factchecks.jsonl"))
            .iter()
            .take(6)
            .filter_map(|f| f["claim"].as_str().map(str::to_owned))
            .collect();
        let lines = synthetic::stream(items, 16, &claims);
        std::fs::write(dir.path().join("stream.jsonl"), lines.join("\n") + "\n").unwrap();
        let reference = dir.path().join("sqlite");
        let factchecks = sample("factchecks.jsonl");
        tangkal(&reference, &["factchecks", "import", factchecks.to_str().unwrap()]);
        let stream = dir.path().join("stream.jsonl");
        tangkal(&reference, &["ingest", stream.to_str().unwrap()]);
        let store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(&reference)).unwrap();
        let expected = synthetic::outcome(store.as_ref()).unwrap();
        assert!(expected.cases.len() >= 3, "the stream repeats debunked claims: {:?}", expected.cases);
        Stream { dir, expected }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("stream.jsonl")
    }
}

#[test]
fn workers_and_placers_killed_mid_stream_give_the_narratives_and_cases_of_one_ingest() {
    let stream = Stream::new(10_000);
    let cluster = Cluster::new();
    let factchecks = sample("factchecks.jsonl");
    assert_eq!(cluster.run(&["factchecks", "import", factchecks.to_str().unwrap()]), 0);
    let path = stream.path();
    let path = path.to_str().unwrap();

    let mut workers = vec![cluster.spawn(&["worker", "--name", "w1"]), cluster.spawn(&["worker", "--name", "w2"])];
    let placer = cluster.spawn(&["placer", "--name", "p1", "--snapshot-every", "1"]);
    cluster.wait_until("p1 leads", || {
        cluster.store().placer_leader(tangkal_intake::DEFAULT_STREAM).unwrap().as_deref() == Some("p1")
    });
    let standby = cluster.spawn(&["placer", "--name", "p2", "--snapshot-every", "1"]);

    // Bad records: valid items that the store refuses (a check an operator added to the table), published like
    // any other, and messages that are no items at all, published by hand.
    cluster.refuse_items_holding("refused by the operator's check");
    let planted: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"id":"x:bad{i}","platform":"x","text":"refused by the operator's check {i}","published_at":"2024-02-01T00:00:00Z"}}"#
            )
        })
        .collect();
    let planted_file = stream.dir.path().join("planted.jsonl");
    std::fs::write(&planted_file, planted.join("\n") + "\n").unwrap();
    let intake = cluster.intake();
    let garbage = ["not json", r#"{"id":"x:nothing"}"#];
    cluster.rt.block_on(async {
        for g in garbage {
            intake.jetstream.publish("tangkal.items.x", g.into()).await.unwrap().await.unwrap();
        }
    });

    // Two publishers of the whole stream at once, and one of the planted records.
    let publishers = [
        cluster.spawn(&["ingest", "--to", &cluster.nats.url(), path]),
        cluster.spawn(&["ingest", "--to", &cluster.nats.url(), path]),
    ];
    assert_eq!(cluster.run(&["ingest", "--to", &cluster.nats.url(), planted_file.to_str().unwrap()]), 0);
    cluster.wait_until("a third of the stream is stored and placed", || {
        let store = cluster.store();
        store.placer_snapshot(tangkal_intake::DEFAULT_STREAM).unwrap().is_some_and(|s| s.covered > 3_000)
    });
    workers.remove(0).kill();
    placer.kill();
    for mut publisher in publishers {
        assert!(publisher.0.wait().unwrap().success());
    }
    let status = cluster.finish(vec![standby], workers);

    assert_eq!(cluster.items(), 10_000, "every item stored exactly once");
    assert_eq!(status["dead_letters"], 5, "{status}");
    let got = synthetic::outcome(&cluster.store()).unwrap();
    let differences = got.differences(&stream.expected, 20);
    assert!(differences.is_empty(), "not what one ingest makes of the stream:\n{}", differences.join("\n"));

    let dead = cluster.rt.block_on(async {
        let stream = intake.jetstream.get_stream("TANGKAL_ITEMS_DEAD").await.unwrap();
        let mut letters = Vec::new();
        for seq in 1..=5 {
            letters.push(String::from_utf8(stream.get_raw_message(seq).await.unwrap().payload.to_vec()).unwrap());
        }
        letters.sort();
        letters
    });
    let mut expected_dead: Vec<String> = planted.iter().cloned().chain(garbage.iter().map(|g| g.to_string())).collect();
    expected_dead.sort();
    assert_eq!(dead, expected_dead, "the dead letters are exactly the planted records");
}

#[test]
fn a_restart_of_everything_nats_included_loses_nothing_acknowledged() {
    let stream = Stream::new(3_000);
    let mut cluster = Cluster::new();
    let factchecks = sample("factchecks.jsonl");
    assert_eq!(cluster.run(&["factchecks", "import", factchecks.to_str().unwrap()]), 0);
    // Acknowledged by JetStream: from here on the items must not be lost.
    assert_eq!(cluster.run(&["ingest", "--to", &cluster.nats.url(), stream.path().to_str().unwrap()]), 0);
    let worker = cluster.spawn(&["worker"]);
    let placer = cluster.spawn(&["placer", "--snapshot-every", "1"]);
    cluster.wait_until("some items are stored", || cluster.items() >= 500);
    worker.kill();
    placer.kill();
    cluster.nats.kill();
    cluster.nats.restart();
    let workers = vec![cluster.spawn(&["worker"]), cluster.spawn(&["worker"])];
    let placer = cluster.spawn(&["placer", "--snapshot-every", "1"]);
    cluster.finish(vec![placer], workers);
    assert_eq!(cluster.items(), 3_000);
    let got = synthetic::outcome(&cluster.store()).unwrap();
    assert!(got.placements.keys().eq(stream.expected.placements.keys()), "every item stored, once");
    let unplaced: Vec<_> = got.placements.iter().filter(|(_, n)| n.is_none()).map(|(id, _)| id).collect();
    assert!(unplaced.is_empty(), "every item placed; not: {unplaced:?}");
}
