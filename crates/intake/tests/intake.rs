//! The intake against real NATS (`TANGKAL_TEST_NATS_URL`, default the machine's server at 127.0.0.1:4222, a
//! stream of its own per test, deleted afterwards) and real PostgreSQL (a scratch schema per test).

use std::io::Cursor;
use std::time::{Duration, Instant};

use async_nats::jetstream::stream::Stream;
use tangkal_intake::{publish, synthetic, Intake, IntakeConfig, PlacerOptions, PublishSummary, WorkerOptions};
use tangkal_model::DEFAULT_MAX_TEXT_BYTES;
use tangkal_pipeline::{Format, RejectWriter, Source};
use tangkal_store::{AuditFiles, FactCheckStore, ItemFilter, ItemStore, PostgresStore, ScratchSchema};
use tokio::sync::watch;

struct Env {
    intake: Intake,
    scratch: ScratchSchema,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Env {
    fn new(ack_wait: Duration) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let unique = format!("{:x}", rand_u64());
        let config = IntakeConfig {
            nats_url: std::env::var("TANGKAL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
            stream: format!("TEST_{unique}"),
            subject_prefix: format!("t{unique}"),
            ack_wait,
        };
        let intake = rt.block_on(Intake::connect(&config)).unwrap();
        Env { intake, scratch: ScratchSchema::create().unwrap(), dir: tempfile::tempdir().unwrap(), rt }
    }

    fn store(&self) -> PostgresStore {
        PostgresStore::connect(&self.scratch.url(), AuditFiles::in_data_dir(self.dir.path())).unwrap()
    }

    fn worker_options(&self, name: &str) -> WorkerOptions {
        let mut options = WorkerOptions::new(self.scratch.url(), AuditFiles::in_data_dir(self.dir.path()));
        options.name = name.into();
        options.batch = 200;
        options
    }

    fn placer_options(&self, name: &str) -> PlacerOptions {
        let mut options = PlacerOptions::new(self.scratch.url(), AuditFiles::in_data_dir(self.dir.path()));
        options.name = name.into();
        options.snapshot_every = Duration::from_millis(200);
        options.poll = Duration::from_millis(20);
        options
    }

    fn publish(&self, lines: &[String]) -> PublishSummary {
        let mut rejects = RejectWriter::new(self.dir.path().join("rejects.jsonl"));
        self.rt.block_on(publish(&self.intake, vec![source(lines)], &mut rejects, 64)).unwrap()
    }

    fn start_worker(&self, options: WorkerOptions) -> Running<tangkal_intake::worker::WorkerTotals> {
        let (stop, stopped) = watch::channel(false);
        let intake = self.intake.clone();
        let task = self.rt.spawn(async move { tangkal_intake::run_worker(&intake, options, stopped).await });
        Running { stop, task }
    }

    fn start_placer(&self, options: PlacerOptions) -> Running<i64> {
        let (stop, stopped) = watch::channel(false);
        let intake = self.intake.clone();
        let task = self.rt.spawn(async move { tangkal_intake::run_placer(&intake, options, stopped).await });
        Running { stop, task }
    }

    fn stream(&self, name: &str) -> Stream {
        self.rt.block_on(self.intake.jetstream.get_stream(name)).unwrap()
    }

    /// Messages in the items stream, and held by workers.
    fn depth(&self) -> (u64, usize) {
        let stream = self.rt.block_on(self.stream(&self.intake.config.stream).get_info()).unwrap();
        let mut workers = self.rt.block_on(self.intake.workers()).unwrap();
        let info = self.rt.block_on(workers.info()).unwrap();
        (stream.state.messages, info.num_ack_pending)
    }

    fn wait_until(&self, what: &str, mut done: impl FnMut(&Env) -> bool) {
        let started = Instant::now();
        while !done(self) {
            assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn items(&self) -> u64 {
        self.store().count_items(&ItemFilter::default()).unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Err(e) = self.rt.block_on(self.intake.delete()) {
            eprintln!("cannot delete the test's streams: {e:#}");
        }
    }
}

struct Running<T> {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<T>>,
}

impl<T> Running<T> {
    fn stop(self, env: &Env) -> T {
        self.stop.send(true).unwrap();
        env.rt.block_on(self.task).unwrap().unwrap()
    }

    /// Gone without a word, as a killed process: nothing acknowledged, nothing flushed.
    fn kill(self) {
        self.task.abort();
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

fn source(lines: &[String]) -> Box<dyn Source> {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    tangkal_pipeline::open_reader(
        "t.jsonl".into(),
        Box::new(Cursor::new(text)),
        Format::Jsonl,
        &Default::default(),
        DEFAULT_MAX_TEXT_BYTES,
    )
    .unwrap()
}

/// The intake sequence order of the stored items, by external id.
fn intake_order(store: &PostgresStore) -> Vec<String> {
    let placed = store.intake_items(0, i64::MAX, 1 << 20).unwrap();
    placed.iter().map(|(_, item)| store.get_item(item.id).unwrap().unwrap().external_id.unwrap()).collect()
}

fn external_ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_publisher_rejects_what_ingest_rejects_and_jetstream_drops_repeats() {
    let env = Env::new(Duration::from_secs(30));
    let mut lines = synthetic::stream(300, 1, &[]);
    lines.insert(10, "not json".into());
    lines.insert(20, r#"{"id":"x:1","platform":"x","published_at":"2024-02-01T00:00:00Z"}"#.into());
    lines.insert(
        30,
        r#"{"id":"x:2","platform":"Bad Platform","text":"t","published_at":"2024-02-01T00:00:00Z"}"#.into(),
    );
    let first = env.publish(&lines);
    assert_eq!(first, PublishSummary { read: 303, published: 300, duplicate: 0, rejected: 3 });
    let again = env.publish(&lines);
    assert_eq!(again, PublishSummary { read: 303, published: 0, duplicate: 300, rejected: 3 });
    assert_eq!(env.depth(), (300, 0));

    // `tangkal ingest` of the same lines rejects the same records with the same reasons.
    let published_rejects = std::fs::read_to_string(env.dir.path().join("rejects.jsonl")).unwrap();
    let sqlite = tempfile::tempdir().unwrap();
    let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(sqlite.path())).unwrap();
    let mut rejects = RejectWriter::new(sqlite.path().join("rejects.jsonl"));
    tangkal_pipeline::ingest(store.as_mut(), vec![source(&lines)], &mut rejects, &Default::default(), &()).unwrap();
    let ingest_rejects = std::fs::read_to_string(sqlite.path().join("rejects.jsonl")).unwrap();
    assert_eq!(published_rejects, ingest_rejects.repeat(2), "two publishes, the same rejects each time");
}

#[test]
fn workers_share_the_stream_store_each_item_once_in_publication_order_and_ack_after_the_commit() {
    let env = Env::new(Duration::from_secs(30));
    let lines = synthetic::stream(2_000, 2, &[]);
    // Writes wait while this transaction holds the items table.
    let mut blocker = postgres::Client::connect(&env.scratch.url(), postgres::NoTls).unwrap();
    env.store();
    let mut blocking = blocker.transaction().unwrap();
    blocking.batch_execute("LOCK TABLE items IN SHARE MODE").unwrap();

    // Two publishers of the same file at once.
    let publishers: Vec<_> = (0..2)
        .map(|_| {
            let (intake, lines) = (env.intake.clone(), lines.clone());
            let rejects = env.dir.path().join("rejects.jsonl");
            env.rt
                .spawn(async move { publish(&intake, vec![source(&lines)], &mut RejectWriter::new(rejects), 64).await })
        })
        .collect();
    let workers = [env.start_worker(env.worker_options("w1")), env.start_worker(env.worker_options("w2"))];
    let summaries: Vec<PublishSummary> = publishers.into_iter().map(|p| env.rt.block_on(p).unwrap().unwrap()).collect();
    assert_eq!(summaries.iter().map(|s| s.published).sum::<u64>(), 2_000, "{summaries:?}");
    assert_eq!(summaries.iter().map(|s| s.duplicate).sum::<u64>(), 2_000, "{summaries:?}");

    env.wait_until("the workers hold messages", |env| env.depth().1 > 0);
    std::thread::sleep(Duration::from_millis(500));
    let (_, held) = env.depth();
    assert!(held > 0, "nothing is acknowledged before its commit");
    assert_eq!(env.items(), 0);
    blocking.commit().unwrap();

    env.wait_until("every message is acknowledged", |env| env.depth() == (0, 0));
    let [w1, w2] = workers.map(|w| w.stop(&env));
    assert_eq!(w1.new + w2.new, 2_000);
    assert!(w1.new > 0 && w2.new > 0, "both workers stored some: {w1:?} {w2:?}");
    assert_eq!(env.items(), 2_000);
    assert_eq!(intake_order(&env.store()), external_ids(&lines), "first occurrences in file order");
}

#[test]
fn a_record_that_cannot_be_stored_goes_to_the_dead_letters_with_its_reason() {
    let env = Env::new(Duration::from_secs(30));
    let mut lines = synthetic::stream(50, 3, &[]);
    // Valid for the item format, but refused by a check an operator added to the items table.
    drop(env.store());
    let mut operator = postgres::Client::connect(&env.scratch.url(), postgres::NoTls).unwrap();
    operator
        .batch_execute("ALTER TABLE items ADD CONSTRAINT refused_marker CHECK (strpos(raw, 'refuse me') = 0)")
        .unwrap();
    lines.insert(
        25,
        r#"{"id":"x:refused","platform":"x","text":"refuse me","published_at":"2024-02-01T00:00:00Z"}"#.into(),
    );
    assert_eq!(env.publish(&lines).published, 51);
    let garbage = env.intake.config.items_subject("x");
    env.rt
        .block_on(async { env.intake.jetstream.publish(garbage, "not an item".into()).await.unwrap().await })
        .unwrap();
    let mut options = env.worker_options("w");
    options.max_deliver = 3;
    options.redeliver_after = Duration::from_millis(50);
    let worker = env.start_worker(options);
    env.wait_until("every message is settled", |env| env.depth() == (0, 0));
    let totals = worker.stop(&env);
    assert_eq!((totals.new, totals.dead), (50, 2));
    assert_eq!(env.items(), 50);

    let dead = env.stream(&env.intake.config.dead_stream());
    let letters: Vec<_> = (1..=2).map(|seq| env.rt.block_on(dead.get_raw_message(seq)).unwrap()).collect();
    let header = |i: usize, name: &str| letters[i].headers.get(name).unwrap().as_str().to_owned();
    let by_payload = |payload: &str| letters.iter().position(|m| m.payload.as_ref() == payload.as_bytes()).unwrap();
    let garbage = by_payload("not an item");
    assert!(header(garbage, tangkal_intake::headers::DEAD_REASON).starts_with("not an item"));
    assert_eq!(header(garbage, tangkal_intake::headers::DEAD_DELIVERIES), "1", "poison is not retried");
    assert_eq!(header(garbage, tangkal_intake::headers::DEAD_STREAM_SEQ), "52");
    let refused = by_payload(&lines[25]);
    assert!(
        header(refused, tangkal_intake::headers::DEAD_REASON).contains("refused_marker"),
        "{}",
        header(refused, "Tangkal-Dead-Reason")
    );
    // Refused on each delivery it reached the worker with, and dead-lettered from the third on. NATS may count
    // one more: a message it hands to a pull request the worker already gave up on (250 ms after the request's
    // expiry, see `FETCH_GRACE`) comes again only after the acknowledgement wait (seen once in CI: 4).
    let deliveries: u64 = header(refused, tangkal_intake::headers::DEAD_DELIVERIES).parse().unwrap();
    assert!((3..=4).contains(&deliveries), "refused on each of its deliveries: {deliveries}");
    assert_eq!(header(refused, tangkal_intake::headers::DEAD_SUBJECT), env.intake.config.items_subject("x"));
}

#[test]
fn messages_a_worker_took_and_never_acknowledged_go_to_another() {
    let env = Env::new(Duration::from_secs(2));
    let lines = synthetic::stream(300, 4, &[]);
    env.publish(&lines);
    // A worker that fetched a batch and died.
    let taken = env.rt.block_on(async {
        use futures_util::StreamExt;
        let workers = env.intake.workers().await.unwrap();
        let batch = workers.batch().max_messages(100).expires(Duration::from_secs(1)).messages().await.unwrap();
        batch.count().await
    });
    assert_eq!(taken, 100);
    assert_eq!(env.depth(), (300, 100));
    let started = Instant::now();
    let worker = env.start_worker(env.worker_options("survivor"));
    env.wait_until("every message is acknowledged", |env| env.depth() == (0, 0));
    assert!(started.elapsed() >= Duration::from_secs(1), "the dead worker's messages waited for their ack wait");
    assert_eq!(worker.stop(&env).new, 300);
    assert_eq!(intake_order(&env.store()), external_ids(&lines));
}

/// Narratives, figures and cases of `lines` as `tangkal ingest` makes them in SQLite.
fn ingested(lines: &[String], factchecks: &[tangkal_model::FactCheck]) -> synthetic::Outcome {
    let dir = tempfile::tempdir().unwrap();
    let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
    store.upsert_factchecks(factchecks).unwrap();
    let mut detection =
        tangkal_pipeline::Detection::open(dir.path(), store.as_mut(), std::sync::Arc::new(tangkal_cases::SystemClock))
            .unwrap();
    let mut rejects = RejectWriter::new(dir.path().join("rejects.jsonl"));
    detection.ingest(store.as_mut(), vec![source(lines)], &mut rejects, &Default::default(), &()).unwrap();
    synthetic::outcome(store.as_ref()).unwrap()
}

fn sample_factchecks() -> Vec<tangkal_model::FactCheck> {
    let sample = include_str!("../../../data/sample/factchecks.jsonl");
    tangkal_matcher::formats::read_jsonl(sample.as_bytes(), "factchecks.jsonl").unwrap().records
}

#[test]
fn a_standby_placer_resumes_from_the_snapshot_and_narratives_and_cases_are_those_of_ingest() {
    let env = Env::new(Duration::from_secs(30));
    let factchecks = sample_factchecks();
    let claims: Vec<String> = factchecks.iter().take(6).filter_map(|f| f.claim.clone()).collect();
    let lines = synthetic::stream(3_000, 5, &claims);
    let expected = ingested(&lines, &factchecks);
    assert!(expected.cases.len() >= 3, "the stream repeats debunked claims: {:?}", expected.cases);
    env.store().upsert_factchecks(&factchecks).unwrap();

    let workers = [env.start_worker(env.worker_options("w1")), env.start_worker(env.worker_options("w2"))];
    let first = env.start_placer(env.placer_options("placer one"));
    env.wait_until("the first placer leads", |env| {
        env.store().placer_leader(&env.intake.config.stream).unwrap().as_deref() == Some("placer one")
    });
    let standby = env.start_placer(env.placer_options("placer two"));
    env.publish(&lines[..1_500]);
    env.wait_until("a snapshot covers half the stream", |env| {
        env.store().placer_snapshot(&env.intake.config.stream).unwrap().is_some_and(|s| s.covered >= 1_500)
    });
    first.kill();
    env.wait_until("the standby leads", |env| {
        env.store().placer_leader(&env.intake.config.stream).unwrap().as_deref() == Some("placer two")
    });
    env.publish(&lines[1_500..]);
    env.wait_until("every message is acknowledged", |env| env.depth() == (0, 0));
    env.wait_until("every item is placed", |env| {
        let store = env.store();
        store
            .intake_items(0, i64::MAX, 1 << 20)
            .unwrap()
            .iter()
            .all(|(_, i)| store.get_item(i.id).unwrap().unwrap().narrative_id.is_some())
    });
    assert!(standby.stop(&env) >= 3_000);
    let matching = env.stream(&env.intake.config.match_stream());
    env.wait_until("every narrative is matched", |env| {
        env.rt.block_on(matching.get_info()).unwrap().state.messages == 0
    });
    for worker in workers {
        worker.stop(&env);
    }
    let got = synthetic::outcome(&env.store()).unwrap();
    assert_eq!(got.placements, expected.placements);
    assert_eq!(got.narratives, expected.narratives);
    assert_eq!(got.cases, expected.cases);
}
