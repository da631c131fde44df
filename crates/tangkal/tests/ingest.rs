//! The `tangkal` binary as users and scripts run it: ingest, its summary, rejects, exit codes and crash
//! safety against a real child process.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::TestStore;

fn tangkal(store: &TestStore) -> Command {
    store.command()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("tangkal runs")
}

fn summary(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout:?} / {}", String::from_utf8_lossy(&output.stderr)))
}

fn item_line(n: u64, views: u64) -> String {
    format!(
        r#"{{"id":"x:{n}","platform":"x","url":"https://x.com/u/status/{n}","author":{{"id":"u{a}","handle":"akun_{a}"}},"text":"Pesan berantai nomor {n}: bansos cair hari ini, sebarkan!","published_at":"2024-02-03T05:{m:02}:{s:02}Z","metrics":{{"views":{views},"shares":1,"likes":0,"replies":0}}}}"#,
        a = n % 97,
        m = (n / 60) % 60,
        s = n % 60
    )
}

fn count(store: &TestStore) -> u64 {
    let out = run(tangkal(store).args(["items", "count"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a number")
}

#[test]
fn bad_lines_are_rejected_with_their_place_and_the_good_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("posts.jsonl");
    let lines = [
        item_line(1, 10),
        "{\"platform\":\"x\",\"text\":\"tanpa waktu\"}".to_string(),
        item_line(2, 10),
        "bukan json".to_string(),
        item_line(1, 10),
        r#"{"platform":"x","text":"jam salah","published_at":"03/02/2024"}"#.to_string(),
        // Neither store can keep these as they are: PostgreSQL's text holds no NUL, no store a count past 2^63.
        r#"{"platform":"x","text":"nul \u0000 di tengah","published_at":"2024-02-03T05:00:00Z"}"#.to_string(),
        item_line(3, u64::MAX),
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let data = TestStore::at(dir.path().join("data"));
    let out = run(tangkal(&data).arg("ingest").arg(&input).arg("--json").arg("--rejects").arg(&rejects));
    assert_eq!(out.status.code(), Some(3), "exit 3 when some lines were rejected");
    assert_eq!(summary(&out), serde_json::json!({"read": 8, "new": 2, "updated": 0, "duplicate": 1, "rejected": 5}));
    let rejected: Vec<serde_json::Value> =
        std::fs::read_to_string(&rejects).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let places: Vec<(u64, &str)> =
        rejected.iter().map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap())).collect();
    assert_eq!(places.len(), 5);
    assert_eq!(places[0].0, 2);
    assert!(places[0].1.contains("published_at"), "{places:?}");
    assert_eq!(places[1].0, 4);
    assert!(places[1].1.contains("not valid JSON"));
    assert_eq!(places[2].0, 6);
    assert_eq!(places[3].0, 7);
    assert!(places[3].1.contains("field `text`: holds a NUL character"), "{places:?}");
    assert_eq!(places[4].0, 8);
    assert!(places[4].1.contains("field `metrics.views`"), "{places:?}");
    assert_eq!(rejected[1]["raw"], "bukan json");
    assert!(rejected[0]["source"].as_str().unwrap().ends_with("posts.jsonl"));

    let again = run(tangkal(&data).arg("ingest").arg(&input).arg("--json").arg("--rejects").arg(&rejects));
    assert_eq!(summary(&again)["duplicate"], 3, "re-ingesting adds nothing");
    assert_eq!(count(&data), 2);
}

#[test]
fn compressed_csv_and_updated_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let data = TestStore::at(dir.path().join("data"));
    let csv = "post_id,network,message,time,views\n\
fb:1,facebook,\"Lowongan BUMN tanpa tes, hubungi nomor ini\",2024-02-03T05:12:45Z,100\n\
fb:2,facebook,Video lama banjir 2019 disebut terjadi kemarin,2024-02-03T06:00:00+07:00,5\n";
    let path = dir.path().join("export.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    gz.write_all(csv.as_bytes()).unwrap();
    gz.finish().unwrap();
    let map =
        ["--map", "id=post_id", "--map", "platform=network", "--map", "text=message", "--map", "published_at=time"];
    let out = run(tangkal(&data).arg("ingest").arg(&path).args(map).arg("--json"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(summary(&out)["new"], 2);

    let edited = csv.replace(",100\n", ",250\n");
    let zst = dir.path().join("export-later.csv.zst");
    std::fs::write(&zst, zstd::encode_all(edited.as_bytes(), 3).unwrap()).unwrap();
    let out = run(tangkal(&data).arg("ingest").arg(&zst).args(map).arg("--json"));
    assert_eq!(summary(&out), serde_json::json!({"read": 2, "new": 0, "updated": 1, "duplicate": 1, "rejected": 0}));

    let listed = run(tangkal(&data).args(["items", "list", "--json", "--contains", "lowongan"]));
    let item: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(item["metrics"]["views"], 250);
    assert_eq!(item["raw"]["post_id"], "fb:1", "the CSV row is kept as received");
}

#[test]
fn a_feed_is_read_over_http() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/rss.xml", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).unwrap();
        let body = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Kabar Contoh</title>
<item><title>Cek fakta: surat suara tercoblos</title><link>https://contoh.id/cek/1</link><description>Video lama.</description><pubDate>Sat, 03 Feb 2024 05:12:45 GMT</pubDate></item>
</channel></rss>"#;
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    });
    let data = TestStore::new();
    let out = run(tangkal(&data).args(["ingest", "--json", "--feed", &url]));
    server.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(summary(&out)["new"], 1);
    let listed = run(tangkal(&data).args(["items", "list", "--json", "--platform", "news"]));
    let item: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(item["text"], "Cek fakta: surat suara tercoblos\n\nVideo lama.");
}

/// Kills a real import with SIGKILL part-way, re-runs it, and checks that the store holds exactly the
/// distinct items of the input: none lost, none doubled.
#[test]
fn kill_9_mid_import_then_rerun_stores_exactly_the_distinct_items() {
    let dir = tempfile::tempdir().unwrap();
    let data = TestStore::at(dir.path().join("data"));
    let input = dir.path().join("big.jsonl");
    let distinct = 60_000u64;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    for n in 0..distinct {
        writeln!(file, "{}", item_line(n, 1)).unwrap();
        if n % 10 == 0 {
            // A repeat of an earlier post, as exports overlap.
            writeln!(file, "{}", item_line(n / 2, 1)).unwrap();
        }
    }
    file.into_inner().unwrap().sync_all().unwrap();

    let mut child = tangkal(&data)
        .args(["ingest", "--json"])
        .arg(&input)
        .env("TANGKAL_INGEST__BATCH_SIZE", "500")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    while seen == 0 {
        assert!(Instant::now() < deadline, "the import never committed a batch");
        assert!(child.try_wait().unwrap().is_none(), "the import finished before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
        // On SQLite, counting before the import made the database would make it under the import.
        if data.is_postgres() || data.data_dir().join(tangkal_store::DATABASE_FILE).exists() {
            seen = count(&data);
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let after_kill = count(&data);
    assert!(after_kill > 0 && after_kill < distinct, "killed mid-import: {after_kill} of {distinct} stored");

    let out = run(tangkal(&data).args(["ingest", "--json"]).arg(&input));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = summary(&out);
    assert_eq!(s["new"].as_u64().unwrap() + after_kill, distinct);
    assert_eq!(count(&data), distinct);
}

/// Narratives as `narratives list --json` prints them: (items, id) per narrative.
fn narrative_sizes(store: &TestStore) -> Vec<(u64, i64)> {
    let out = run(tangkal(store).args(["narratives", "list", "--json", "--limit", "1000"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut sizes: Vec<(u64, i64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            (row["items"].as_u64().unwrap(), row["id"].as_i64().unwrap())
        })
        .collect();
    sizes.sort();
    sizes
}

#[test]
fn no_detect_only_stores_and_detect_later_places_as_an_ingest_would_have() {
    let dir = tempfile::tempdir().unwrap();
    // Several messages, each copied many times, so that there are narratives to get right.
    let messages = [
        "bansos cair hari ini, sebarkan!",
        "awas vaksin baru mengandung chip pelacak dari luar negeri",
        "kotak suara sudah dicoblos sebelum hari pemilu di kecamatan kami",
    ];
    let lines: String = (0..300)
        .map(|n| item_line(n, 5).replace("bansos cair hari ini, sebarkan!", messages[n as usize % 3]) + "\n")
        .collect();
    let input = dir.path().join("items.jsonl");
    std::fs::write(&input, lines).unwrap();

    let later = TestStore::at(dir.path().join("later"));
    let out = run(tangkal(&later).arg("ingest").arg("--json").arg("--no-detect").arg(&input));
    assert_eq!(summary(&out)["new"], 300);
    assert_eq!(count(&later), 300);
    assert!(narrative_sizes(&later).is_empty(), "nothing placed yet");
    let out = run(tangkal(&later).arg("detect"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Small transactions, so that placing one hand-off overlaps writing the one before, many times.
    let at_once = TestStore::at(dir.path().join("at-once"));
    let out = run(tangkal(&at_once).arg("ingest").arg("--json").arg(&input).env("TANGKAL_INGEST__BATCH_SIZE", "40"));
    assert_eq!(summary(&out)["new"], 300);
    let placed = narrative_sizes(&later);
    assert_eq!(placed.iter().map(|(items, _)| items).sum::<u64>(), 300);
    assert!(placed.iter().filter(|(items, _)| *items >= 50).count() >= 3, "{placed:?}");
    assert_eq!(placed, narrative_sizes(&at_once));
    // Caught up: a second run has nothing left to place.
    let out = run(tangkal(&later).arg("detect"));
    assert!(out.status.success());
    assert_eq!(narrative_sizes(&later), placed);
}

/// serde_json keeps the last of two equal keys without a word; this refuses them, at any depth.
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<UniqueKeys, D::Error> {
        deserializer.deserialize_any(UniqueKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
}

#[test]
fn listed_items_have_each_key_once_and_their_narrative() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("posts.jsonl");
    std::fs::write(&input, (1..=3).map(|n| item_line(n, 10)).collect::<Vec<_>>().join("\n")).unwrap();
    let data = TestStore::at(dir.path().join("data"));
    let out = run(tangkal(&data).arg("ingest").arg(&input));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let listed = run(tangkal(&data).args(["items", "list", "--json"]));
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let lines: Vec<&str> = std::str::from_utf8(&listed.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 3);
    let mut narratives = std::collections::BTreeSet::new();
    for line in lines {
        serde_json::from_str::<UniqueKeys>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(item["raw"]["author"]["handle"], item["author"]["handle"], "the raw record, as JSON");
        narratives.insert(item["narrative_id"].as_i64().unwrap_or_else(|| panic!("no narrative id: {line}")));
    }
    assert_eq!(narratives.len(), 1, "three copies of one message are one narrative: {narratives:?}");
    let shown = run(tangkal(&data).args(["items", "show", "1", "--json"]));
    let shown = std::str::from_utf8(&shown.stdout).unwrap();
    serde_json::from_str::<UniqueKeys>(shown).unwrap_or_else(|e| panic!("{e}: {shown}"));
}
