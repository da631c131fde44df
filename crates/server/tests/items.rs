//! The push intake over HTTP with a real store: items stored once by identity, placed in narratives and
//! matched against the fact-checks (a case opened by the server's clock), refused items named with their
//! place while the others are kept, roles, the size limit, and turns taken with command-line imports.

mod harness;

use std::time::Duration;

use harness::{blocking, read, spawn, t0, DropOffRuntime, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use tangkal_cases::Role;
use tangkal_model::FactCheck;
use tangkal_store::ItemFilter;

const BLT_MESSAGE: &str = "Info penting! BLT Rp 600.000 tahap 2 cair Februari 2024, warga bisa mendaftar lewat \
    tautan dengan mengunggah KTP dan KK. Sebarkan ke keluarga!";

fn item(id: &str, text: &str, shares: u64) -> Value {
    let platform = id.split(':').next().unwrap();
    json!({"id": id, "platform": platform, "text": text, "published_at": "2026-03-01T07:00:00Z",
           "author": {"id": format!("u-{id}")}, "metrics": {"shares": shares}})
}

async fn push(app: &TestApp, role: Role, items: Vec<Value>) -> (u16, Value) {
    app.call(Method::POST, "/api/v1/items", role, Some(json!({ "items": items }))).await
}

fn with_sample_factchecks(app: &TestApp) {
    let records: Vec<FactCheck> = include_str!("../../../data/sample/factchecks.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    app.with_store(|s| s.upsert_factchecks(&records)).unwrap();
}

#[tokio::test]
async fn pushed_items_are_stored_once_placed_in_narratives_and_matched() {
    let app = spawn().await;
    with_sample_factchecks(&app);
    let copies = vec![
        item("whatsapp:1", BLT_MESSAGE, 3),
        item("facebook:2", &format!("{BLT_MESSAGE} #bansos"), 1),
        item("x:3", "Jalan tol baru di Semarang dibuka untuk umum mulai pekan depan.", 0),
    ];
    let (status, receipt) = push(&app, Role::Analyst, copies.clone()).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(
        (&receipt["received"], &receipt["new"], &receipt["rejected"], &receipt["cases_opened"]),
        (&json!(3), &json!(3), &json!(0), &json!(1)),
        "{receipt}"
    );

    let items = app.with_store(|s| s.list_items(&ItemFilter::default(), 10, 0)).unwrap();
    assert_eq!(items.len(), 3);
    let narrative = |id: &str| items.iter().find(|i| i.external_id.as_deref() == Some(id)).unwrap().narrative_id;
    assert!(narrative("whatsapp:1").is_some(), "placed as it was stored");
    assert_eq!(narrative("whatsapp:1"), narrative("facebook:2"), "two copies, one narrative");
    assert_ne!(narrative("whatsapp:1"), narrative("x:3"));

    let (_, cases) = app.call(Method::GET, "/api/v1/cases", Role::Analyst, None).await;
    assert_eq!(cases["total"], 1, "{cases}");
    let case = &cases["cases"][0];
    assert_eq!(case["origin"], "detector");
    assert_eq!(
        case["opened_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        t0(),
        "opened by the server's clock: {case}"
    );

    // Again: nothing new; a copy seen with more shares only updates its metrics.
    let (_, again) = push(&app, Role::Admin, copies.clone()).await;
    assert_eq!(
        (&again["duplicate"], &again["new"], &again["cases_opened"]),
        (&json!(3), &json!(0), &json!(0)),
        "{again}"
    );
    let (_, moved) = push(&app, Role::Analyst, vec![item("whatsapp:1", BLT_MESSAGE, 40)]).await;
    assert_eq!(moved["updated"], 1, "{moved}");
    assert_eq!(app.with_store(|s| s.count_items(&ItemFilter::default())).unwrap(), 3);
}

#[tokio::test]
async fn a_refused_item_is_named_with_its_place_and_the_others_are_kept() {
    let app = spawn().await;
    let batch = vec![
        item("x:10", "Kabar baik dari pasar pagi ini", 0),
        json!({"id": "x:11", "platform": "x"}),
        json!({"id": "x:12", "platform": "x", "text": "Teks", "published_at": "kemarin"}),
    ];
    let (status, receipt) = push(&app, Role::Analyst, batch).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!((&receipt["new"], &receipt["rejected"]), (&json!(1), &json!(2)), "{receipt}");
    let rejects = receipt["rejects"].as_array().unwrap();
    assert_eq!(rejects.iter().map(|r| r["index"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    assert!(rejects[0]["reason"].as_str().unwrap().contains("text"), "{receipt}");
    assert_eq!(app.with_store(|s| s.count_items(&ItemFilter::default())).unwrap(), 1);
    let kept = std::fs::read_dir(app.dir.path().join("rejects")).unwrap().count();
    assert_eq!(kept, 1, "the refused items are in the reject file too");

    // Not an object at all: the request is malformed, and nothing of it is stored.
    let (status, problem) = push(&app, Role::Analyst, vec![item("x:13", "Kabar siang", 0), json!(42)]).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().starts_with("items[1]"), "{problem}");
    assert_eq!(app.with_store(|s| s.count_items(&ItemFilter::default())).unwrap(), 1);
}

#[tokio::test]
async fn only_analysts_administrators_and_collectors_push_and_batches_are_bounded() {
    let app = spawn().await;
    for role in [Role::Reviewer, Role::Communicator, Role::Partner, Role::Monitor, Role::PlatformLiaison] {
        let (status, _) = push(&app, role, vec![item("x:1", "teks", 0)]).await;
        assert_eq!(status, 403, "{role:?}");
    }
    // A crawler's token: it pushes, and reads nothing.
    let (status, receipt) = push(&app, Role::Collector, vec![item("x:2", "Kabar dari perayap", 0)]).await;
    assert_eq!((status, &receipt["new"]), (200, &json!(1)), "{receipt}");
    for path in ["/api/v1/cases", "/api/v1/published", "/metrics"] {
        let (status, _) = app.call(Method::GET, path, Role::Collector, None).await;
        assert_eq!(status, 403, "{path}");
    }
    let anonymous = app.request(Method::POST, "/api/v1/items", None).json(&json!({"items": []})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let too_many: Vec<Value> = (0..1001).map(|n| item(&format!("x:{n}"), "teks", 0)).collect();
    let (status, problem) = push(&app, Role::Analyst, too_many).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("at most 1000"), "{problem}");
    let (status, problem) = app.call(Method::POST, "/api/v1/items", Role::Analyst, Some(json!({"posts": []}))).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(app.with_store(|s| s.count_items(&ItemFilter::default())).unwrap(), 1);
}

#[tokio::test]
async fn a_push_waits_for_an_import_in_progress() {
    let app = spawn().await;
    // As `tangkal ingest` holds it, on either backend.
    let import = DropOffRuntime(Some(blocking(|| tangkal_store::ImportLock::acquire(app.location())).unwrap()));
    let pushing = {
        let request = app.request(Method::POST, "/api/v1/items", Some(app.user(Role::Analyst)));
        tokio::spawn(request.json(&json!({"items": [item("x:1", "Kabar pagi", 0)]})).send())
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!pushing.is_finished(), "the push takes its turn after the import");
    drop(import);
    let (status, receipt) = read(pushing.await.unwrap().unwrap()).await;
    assert_eq!((status, &receipt["new"]), (200, &json!(1)), "{receipt}");
}

/// The machine's NATS with JetStream (`TANGKAL_TEST_NATS_URL`), with streams named for this test alone.
fn test_intake() -> tangkal_intake::IntakeConfig {
    let unique = format!("{:x}", rand_core::RngCore::next_u64(&mut rand_core::OsRng));
    tangkal_intake::IntakeConfig {
        stream: format!("TEST_PUSH_{unique}"),
        subject_prefix: format!("p{unique}"),
        ..tangkal_intake::IntakeConfig::new(
            std::env::var("TANGKAL_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
        )
    }
}

#[tokio::test]
async fn with_the_distributed_intake_pushed_items_are_published_and_its_figures_scraped() {
    let config = test_intake();
    let app = harness::spawn_with({
        let config = config.clone();
        move |c| c.distributed_intake = Some(config)
    })
    .await;
    let batch = vec![
        item("x:20", "Kabar baik dari pasar pagi ini", 0),
        json!({"id": "x:21", "platform": "x"}),
        item("whatsapp:22", BLT_MESSAGE, 2),
    ];
    let (status, receipt) = push(&app, Role::Analyst, batch.clone()).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(
        (&receipt["received"], &receipt["queued"], &receipt["rejected"], &receipt["new"]),
        (&json!(3), &json!(2), &json!(1), &json!(0)),
        "{receipt}"
    );
    assert_eq!(receipt["rejects"][0]["index"], 1, "{receipt}");
    let (_, again) = push(&app, Role::Analyst, batch).await;
    assert_eq!((&again["queued"], &again["duplicate"]), (&json!(0), &json!(2)), "{again}");
    assert_eq!(app.with_store(|s| s.count_items(&ItemFilter::default())).unwrap(), 0, "the workers store them");

    let intake = tangkal_intake::Intake::connect(&config).await.unwrap();
    let stream = intake.jetstream.get_stream(&config.stream).await.unwrap();
    let first = stream.get_raw_message(1).await.unwrap();
    assert_eq!(first.subject.as_str(), config.items_subject("x"));
    assert!(String::from_utf8_lossy(&first.payload).contains("x:20"));

    let metrics = app.request(Method::GET, "/metrics", Some(app.user(Role::Monitor))).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    for line in ["tangkal_intake_up 1", "tangkal_intake_last_sequence 2", "tangkal_intake_pending 2"] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    intake.delete().await.unwrap();
}

#[tokio::test]
async fn a_push_answers_503_while_the_distributed_intake_is_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = harness::spawn_with(move |c| {
        c.distributed_intake = Some(tangkal_intake::IntakeConfig::new(format!("nats://{closed}")));
    })
    .await;
    let response = app
        .request(Method::POST, "/api/v1/items", Some(app.user(Role::Analyst)))
        .json(&json!({"items": [item("x:30", "Kabar pagi", 0)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let metrics = app.request(Method::GET, "/metrics", Some(app.user(Role::Monitor))).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "tangkal_intake_up 0"), "{metrics}");
}
