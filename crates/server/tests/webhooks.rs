//! Webhooks over HTTP with a real store and receivers on loopback: signatures checked with the
//! `standardwebhooks` crate, retries with the same `webhook-id`, time-based events exactly once across
//! restarts with the clock moved, endpoints disabled after failing, a slow endpoint blocking nothing,
//! and refusals as problem documents.

mod harness;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Duration;
use harness::{spawn_with, t0, Database, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use tangkal_cases::{Clock, Role, Status, Urgency};
use tangkal_server::ServerConfig;
use tokio::sync::Semaphore;

/// A request as a receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap().to_string()
    }
}

/// A webhook receiver on loopback: records each request, then answers with the next planned status
/// (204 once the plan runs out), after waiting at its gate.
#[derive(Clone)]
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    gate: Arc<Semaphore>,
}

impl Receiver {
    async fn start(answers: &[u16], open: bool) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            seen: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            gate: Arc::new(Semaphore::new(if open { Semaphore::MAX_PERMITS } else { 0 })),
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    fn open_gate(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS - self.gate.available_permits());
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    receiver.seen.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
    });
    let _pass = receiver.gate.acquire().await.unwrap();
    let status = receiver.answers.lock().unwrap().pop_front().unwrap_or(204);
    StatusCode::from_u16(status).unwrap()
}

/// Checks the signature as a receiver would, with the Standard Webhooks crate; and that it would catch
/// a changed body. (The crate's `verify` also wants the timestamp near the wall clock, which the tests'
/// manual clock is not.)
fn assert_signed(secret: &str, r: &Received) {
    let hook = standardwebhooks::Webhook::new(secret).unwrap();
    let timestamp: i64 = r.timestamp.parse().unwrap();
    assert_eq!(r.signature, hook.sign(&r.id, timestamp, r.body.as_bytes()).unwrap(), "{r:?}");
    assert_ne!(r.signature, hook.sign(&r.id, timestamp, format!("{} ", r.body).as_bytes()).unwrap());
}

/// Settings for a test that sends to loopback receivers, looking for work every 20 ms.
fn sending(config: &mut ServerConfig) {
    let hooks = &mut config.webhooks;
    (hooks.send, hooks.allow_private_addresses) = (true, true);
    (hooks.poll_interval_ms, hooks.scan_interval_ms) = (20, 20);
    (hooks.retry_base_secs, hooks.timeout_secs) = (60, 30);
}

/// Polls `check` until it gives a value (for at most 20 s).
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..1000 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("gave up waiting for {what}");
}

/// Long enough for the worker to have polled and scanned a dozen times.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

async fn register(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let body = json!({"url": url, "events": events, "description": "Ruang kendali"});
    let (status, created) = app.call(Method::POST, "/api/v1/webhooks", Role::Admin, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    (created["id"].as_i64().unwrap(), created["secret"].as_str().unwrap().to_string())
}

async fn deliveries(app: &TestApp, endpoint: i64, status: Option<&str>) -> Value {
    let query = status.map(|s| format!("?status={s}")).unwrap_or_default();
    let path = format!("/api/v1/webhooks/{endpoint}/deliveries{query}");
    let (code, body) = app.call(Method::GET, &path, Role::Admin, None).await;
    assert_eq!(code, 200, "{body}");
    body
}

/// Waits until `endpoint` has `n` deliveries, all accepted.
async fn all_delivered(app: &TestApp, endpoint: i64, n: u64) {
    eventually("every delivery accepted", async || {
        let delivered = deliveries(app, endpoint, Some("delivered")).await["total"].as_u64();
        (delivered == Some(n) && deliveries(app, endpoint, None).await["total"].as_u64() == Some(n)).then_some(())
    })
    .await
}

async fn open_case_over_http(app: &TestApp, title: &str) -> i64 {
    let body = json!({"title": title, "platforms": ["x"]});
    let (status, case) = app.call(Method::POST, "/api/v1/cases", Role::Analyst, Some(body)).await;
    assert_eq!(status, 201, "{case}");
    case["id"].as_i64().unwrap()
}

#[tokio::test]
async fn deliveries_are_signed_and_retried_with_the_same_id_until_accepted() {
    let app = spawn_with(sending).await;
    let receiver = Receiver::start(&[500, 500], true).await;
    let (endpoint, secret) = register(&app, &receiver.url, &["case.opened", "report.received"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let case = open_case_over_http(&app, "Foto banjir hasil suntingan").await;
    eventually("a first attempt", async || (receiver.seen().len() == 1).then_some(())).await;
    let pending = eventually("the failure recorded", async || {
        let log = deliveries(&app, endpoint, Some("pending")).await;
        (log["deliveries"][0]["attempts"].as_array()?.len() == 1).then_some(log["deliveries"][0].clone())
    })
    .await;
    assert_eq!(pending["attempts"][0]["status_code"], 500);
    let next = pending["next_attempt_at"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert!(next > t0() && next <= t0() + Duration::seconds(60), "backs off within the first step: {next}");
    settle().await;
    assert_eq!(receiver.seen().len(), 1, "no retry before its time");

    // Time moves on: the second attempt fails too, the third is accepted.
    app.clock.advance(Duration::seconds(61));
    eventually("a second attempt", async || (receiver.seen().len() == 2).then_some(())).await;
    eventually("its failure recorded", async || {
        let log = deliveries(&app, endpoint, Some("pending")).await;
        (log["deliveries"][0]["attempts"].as_array()?.len() == 2).then_some(())
    })
    .await;
    app.clock.advance(Duration::seconds(121));
    all_delivered(&app, endpoint, 1).await;

    let seen = receiver.seen();
    assert_eq!(seen.len(), 3);
    for r in &seen {
        assert_signed(&secret, r);
        assert_eq!(r.id, seen[0].id, "one webhook-id for every attempt");
        assert_eq!(r.body, seen[0].body, "the same body on every attempt");
    }
    let stamps: Vec<i64> = seen.iter().map(|r| r.timestamp.parse().unwrap()).collect();
    assert_eq!(stamps[0], t0().timestamp(), "each attempt is stamped when it is made");
    assert!(stamps[1] > stamps[0] && stamps[2] > stamps[1], "{stamps:?}");
    let body = seen[0].json();
    assert_eq!((body["type"].as_str(), body["data"]["case_id"].as_i64()), (Some("case.opened"), Some(case)));
    assert_eq!(body["data"]["title"], "Foto banjir hasil suntingan");
    let log = deliveries(&app, endpoint, None).await;
    let attempts = log["deliveries"][0]["attempts"].as_array().unwrap();
    let statuses: Vec<_> = attempts.iter().map(|a| a["status_code"].as_u64()).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(204)]);
    assert!(attempts.iter().all(|a| a["latency_ms"].is_u64()));
    assert_eq!(log["deliveries"][0]["event_id"], seen[0].id.as_str());

    // A citizen's report is announced without what they wrote or how to reach them.
    let new = tangkal_response::report::NewReport {
        text: Some("Pesan berantai soal bansos dari nomor 0812-3456-7890".into()),
        url: None,
        platform: "whatsapp".into(),
        contact: Some("budi@example.id".into()),
    };
    let valid = new.validate(&["whatsapp".to_string()]).unwrap();
    let intake = tangkal_response::report::ReportIntake::default();
    let report = tangkal_response::report::CitizenReport::received(&valid, &intake, app.clock.now());
    let token = tangkal_response::report::StatusToken::generate(&mut rand_core::OsRng);
    let stored = app.with_store(|s| s.add_report(&report, &token.hash())).unwrap();
    all_delivered(&app, endpoint, 2).await;
    let announced = receiver.seen().last().unwrap().clone();
    assert_signed(&secret, &announced);
    assert_eq!(announced.json()["data"]["reference"], stored.reference.as_str());
    for private in ["bansos", "0812", "budi@example.id"] {
        assert!(!announced.body.contains(private), "{private} in {}", announced.body);
    }
}

#[tokio::test]
async fn a_restart_loses_no_delivery() {
    let mut app = spawn_with(sending).await;
    let receiver = Receiver::start(&[503], true).await;
    let (endpoint, secret) = register(&app, &receiver.url, &["case.opened"]).await;
    let first = app.open_case("Sebelum berhenti", Urgency::Normal);
    eventually("the failure recorded", async || {
        let log = deliveries(&app, endpoint, Some("pending")).await;
        (log["deliveries"][0]["attempts"].as_array()?.len() == 1).then_some(())
    })
    .await;
    app.shut_down().await;
    // While no server runs, a detector opens a case: its event waits in the outbox.
    let second = app.open_case("Saat berhenti", Urgency::Normal);
    app.clock.advance(Duration::minutes(2));
    app.start_again().await;
    all_delivered(&app, endpoint, 2).await;

    let seen = receiver.seen();
    let cases: Vec<i64> = seen.iter().map(|r| r.json()["data"]["case_id"].as_i64().unwrap()).collect();
    assert_eq!(cases.iter().filter(|c| **c == first).count(), 2, "the failed one again: {cases:?}");
    assert_eq!(cases.iter().filter(|c| **c == second).count(), 1, "{cases:?}");
    let retried: Vec<&Received> = seen.iter().filter(|r| r.json()["data"]["case_id"] == first).collect();
    assert_eq!(retried[0].id, retried[1].id);
    seen.iter().for_each(|r| assert_signed(&secret, r));
}

#[tokio::test]
async fn deadline_events_fire_exactly_once_across_restarts() {
    let mut app = spawn_with(sending).await;
    let receiver = Receiver::start(&[], true).await;
    let kinds = ["case.due_soon", "case.breached", "takedown.sent", "takedown.overdue"];
    let (endpoint, secret) = register(&app, &receiver.url, &kinds).await;

    let late = app.open_case("Video lama diklaim baru", Urgency::Urgent);
    app.advance(late, Status::VerdictApproved);
    let in_time = app.open_case("Sudah selesai tepat waktu", Urgency::Urgent);
    app.advance(in_time, Status::Closed);
    let body = json!({"platform": "tiktok", "urls": ["https://www.tiktok.com/@a/video/1"]});
    let path = format!("/api/v1/cases/{late}/takedowns");
    let (status, takedown) = app.call(Method::POST, &path, Role::Communicator, Some(body)).await;
    assert_eq!(status, 201, "{takedown}");
    all_delivered(&app, endpoint, 1).await;

    // Two hours before the urgent case's deadline.
    app.clock.set(t0() + Duration::hours(2) + Duration::minutes(1));
    all_delivered(&app, endpoint, 2).await;
    app.shut_down().await;
    app.clock.set(t0() + Duration::hours(2) + Duration::minutes(30));
    app.start_again().await;
    settle().await;
    // While the server is down, the case's deadline and the takedown's pass: both fire on the next start.
    app.shut_down().await;
    app.clock.set(t0() + Duration::hours(25));
    app.start_again().await;
    all_delivered(&app, endpoint, 4).await;
    app.shut_down().await;
    app.start_again().await;
    settle().await;

    let seen = receiver.seen();
    let count = |kind: &str| seen.iter().filter(|r| r.kind() == kind).count();
    assert_eq!(kinds.map(count), [1, 1, 1, 1], "{seen:#?}");
    for r in &seen {
        assert_signed(&secret, r);
        let data = &r.json()["data"];
        assert_eq!(data["case_id"], late, "nothing for the case closed in time: {data}");
    }
    let overdue = seen.iter().find(|r| r.kind() == "takedown.overdue").unwrap().json();
    assert_eq!(overdue["data"]["reference"], takedown["reference"]);
    assert_eq!(
        (overdue["data"]["takedown_id"].clone(), overdue["data"]["pending_urls"].clone()),
        (takedown["id"].clone(), json!(1))
    );
    let mut ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_eq!(deliveries(&app, endpoint, None).await["total"], 4);
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_audited_and_counted() {
    let app = spawn_with(|config| {
        sending(config);
        let hooks = &mut config.webhooks;
        (hooks.retry_base_secs, hooks.disable_after_failures, hooks.disable_after_hours) = (0, 3, 0);
    })
    .await;
    let receiver = Receiver::start(&[500, 503, 500], true).await;
    let (endpoint, _) = register(&app, &receiver.url, &["case.opened"]).await;
    let path = format!("/api/v1/webhooks/{endpoint}");
    app.open_case("Tautan undian palsu", Urgency::Normal);
    let disabled = eventually("the endpoint disabled", async || {
        let (_, endpoint) = app.call(Method::GET, &path, Role::Admin, None).await;
        (endpoint["enabled"] == false).then_some(endpoint)
    })
    .await;
    assert!(disabled["disabled_reason"].as_str().unwrap().starts_with("3 failed attempts"), "{disabled}");
    assert_eq!(disabled["consecutive_failures"], 3);
    // Disabled, it gets nothing: no more attempts, and no deliveries for new events.
    app.open_case("Tautan undian palsu lagi", Urgency::Normal);
    settle().await;
    assert_eq!(receiver.seen().len(), 3);
    assert_eq!(deliveries(&app, endpoint, None).await["total"], 1);

    let audit = format!("/api/v1/audit?entity=webhook&entity_id={endpoint}");
    let (_, trail) = app.call(Method::GET, &audit, Role::Admin, None).await;
    let actions: Vec<(&str, &str)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(actions[0].0, "webhook.create");
    assert_eq!(actions[1], ("webhook.disable", tangkal_store::WEBHOOK_ACTOR));
    assert!(!trail.to_string().contains("whsec_"), "the secret stays out of the trail");

    let (status, metrics) = app.call(Method::GET, "/metrics", Role::Monitor, None).await;
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap();
    for line in [
        "tangkal_webhook_endpoints_disabled 1",
        "tangkal_webhook_deliveries_pending 1",
        "tangkal_webhook_delivery_attempts_total{outcome=\"failed\"} 3",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} not in\n{metrics}");
    }

    let (status, enabled) = app.call(Method::POST, &format!("{path}/enable"), Role::Admin, None).await;
    assert_eq!((status, &enabled["enabled"], &enabled["consecutive_failures"]), (200, &json!(true), &json!(0)));
    all_delivered(&app, endpoint, 1).await;
    assert_eq!(receiver.seen().len(), 4);
    let (_, metrics) = app.call(Method::GET, "/metrics", Role::Monitor, None).await;
    assert!(metrics.as_str().unwrap().lines().any(|l| l == "tangkal_webhook_endpoints_disabled 0"));
}

#[tokio::test]
async fn a_slow_endpoint_holds_up_neither_the_workflow_nor_other_endpoints() {
    let app = spawn_with(sending).await;
    let slow = Receiver::start(&[], false).await;
    let fast = Receiver::start(&[], true).await;
    let (slow_id, _) = register(&app, &slow.url, &["case.opened"]).await;
    let (fast_id, _) = register(&app, &fast.url, &["case.opened"]).await;

    open_case_over_http(&app, "Pertama").await;
    eventually("both endpoints called", async || (slow.seen().len() == 1 && fast.seen().len() == 1).then_some(()))
        .await;
    // The slow endpoint is still holding the first delivery: a change that emits an event goes through,
    // and the other endpoint gets it.
    open_case_over_http(&app, "Kedua").await;
    all_delivered(&app, fast_id, 2).await;
    assert_eq!(slow.seen().len(), 1, "one delivery at a time per endpoint");
    assert_eq!(deliveries(&app, slow_id, Some("pending")).await["total"], 2);

    slow.open_gate();
    all_delivered(&app, slow_id, 2).await;
}

#[tokio::test]
async fn an_endpoint_that_does_not_answer_in_time_fails_the_attempt() {
    let app = spawn_with(|config| {
        sending(config);
        config.webhooks.timeout_secs = 1;
    })
    .await;
    let silent = Receiver::start(&[], false).await;
    let (endpoint, _) = register(&app, &silent.url, &["case.opened"]).await;
    app.open_case("Tidak dijawab", Urgency::Normal);
    let attempt = eventually("the attempt timed out", async || {
        let log = deliveries(&app, endpoint, Some("pending")).await;
        log["deliveries"][0]["attempts"][0].as_object().cloned()
    })
    .await;
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(attempt["error"].as_str().unwrap().starts_with("timed out"), "{attempt:?}");
    assert!(attempt["latency_ms"].as_u64().unwrap() >= 1000, "{attempt:?}");
}

#[tokio::test]
async fn endpoints_are_for_admins_and_bad_input_is_refused_with_nothing_stored() {
    // The default settings: no private addresses, nothing sent (the harness's default).
    let app = spawn_with(|_| {}).await;
    let good = json!({"url": "https://hooks.example.org/tangkal", "events": ["case.opened"]});
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        for (method, body) in [(Method::POST, Some(good.clone())), (Method::GET, None)] {
            let (status, problem) = app.call(method, "/api/v1/webhooks", role, body).await;
            assert_eq!((status, problem["type"].as_str()), (403, Some("/problems/forbidden")), "{role}");
        }
    }
    let unauthenticated = app.request(Method::GET, "/api/v1/webhooks", None).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let refusals = [
        (json!({"url": "not a link", "events": ["case.opened"]}), "url"),
        (json!({"url": "ftp://hooks.example.org/", "events": ["case.opened"]}), "url"),
        (json!({"url": "http://127.0.0.1:9/hook", "events": ["case.opened"]}), "url"),
        (json!({"url": "http://localhost:8080/hook", "events": ["case.opened"]}), "url"),
        (json!({"url": "http://169.254.169.254/latest", "events": ["case.opened"]}), "url"),
        (json!({"url": "https://hooks.example.org/", "events": ["case.closed"]}), "events"),
        (json!({"url": "https://hooks.example.org/", "events": []}), "events"),
        (json!({"url": "https://hooks.example.org/", "events": ["case.opened"], "secret": "mine"}), "secret"),
        (
            json!({"url": "https://hooks.example.org/", "events": ["case.opened"], "description": "a\u{7}b"}),
            "description",
        ),
    ];
    for (body, field) in refusals {
        let (status, problem) = app.call(Method::POST, "/api/v1/webhooks", Role::Admin, Some(body.clone())).await;
        assert_eq!((status, problem["type"].as_str()), (422, Some("/problems/invalid")), "{body}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains(field), "{body}: {problem}");
    }
    let (_, list) = app.call(Method::GET, "/api/v1/webhooks", Role::Admin, None).await;
    assert_eq!(list["webhooks"], json!([]), "nothing stored");
    for (method, path) in [
        (Method::GET, "/api/v1/webhooks/999"),
        (Method::DELETE, "/api/v1/webhooks/999"),
        (Method::POST, "/api/v1/webhooks/999/enable"),
        (Method::GET, "/api/v1/webhooks/999/deliveries"),
    ] {
        let (status, problem) = app.call(method, path, Role::Admin, None).await;
        assert_eq!((status, problem["type"].as_str()), (404, Some("/problems/not-found")), "{path}");
    }

    // The secret is shown once, at creation, and stored sealed: the database alone cannot sign.
    let (status, created) = app.call(Method::POST, "/api/v1/webhooks", Role::Admin, Some(good)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap();
    let sql = "SELECT secret FROM webhook_endpoints";
    let stored: String = app.with_database(|database| match database {
        Database::Sqlite(db) => db.query_row(sql, [], |r| r.get(0)).unwrap(),
        Database::Postgres(db) => db.query_one(sql, &[]).unwrap().get(0),
    });
    assert!(stored.starts_with("sealed:v1:") && !stored.contains(&secret["whsec_".len()..]), "{stored}");
    assert!(app.dir.path().join("webhooks.key").is_file());
    let path = format!("/api/v1/webhooks/{}", created["id"]);
    let (status, bad_query) = app.call(Method::GET, &format!("{path}/deliveries?status=late"), Role::Admin, None).await;
    assert_eq!((status, bad_query["type"].as_str()), (400, Some("/problems/bad-request")));
    for shown in [
        app.call(Method::GET, "/api/v1/webhooks", Role::Admin, None).await,
        app.call(Method::GET, &path, Role::Admin, None).await,
    ] {
        assert_eq!(shown.0, 200);
        assert!(!shown.1.to_string().contains("whsec_"), "{}", shown.1);
    }
    let removed = app.request(Method::DELETE, &path, Some(app.user(Role::Admin))).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(app.call(Method::GET, &path, Role::Admin, None).await.0, 404);
}

/// A desk page as the administrator reads it.
async fn desk_page(app: &TestApp, path: &str) -> String {
    app.request(Method::GET, path, Some(app.user(Role::Admin))).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_desk_shows_a_disabled_endpoint_enables_it_and_lists_each_attempt_s_status_code() {
    let app = spawn_with(|config| {
        sending(config);
        (config.webhooks.disable_after_failures, config.webhooks.disable_after_hours) = (1, 0);
    })
    .await;
    let receiver = Receiver::start(&[503], true).await;
    let (endpoint, _) = register(&app, &receiver.url, &["case.opened"]).await;
    open_case_over_http(&app, "Pesan berantai soal bansos").await;
    let list = eventually("the endpoint disabled", async || {
        Some(desk_page(&app, "/desk/admin/webhooks").await).filter(|html| html.contains("Aktifkan lagi"))
    })
    .await;
    assert!(list.contains("Nonaktif") && list.contains("1 kegagalan beruntun"), "{list}");
    let log = format!("/desk/admin/webhooks/{endpoint}");
    let html = desk_page(&app, &log).await;
    assert!(html.contains(">503<") && html.contains("case.opened") && html.contains("Menunggu"), "{html}");

    let enable = format!("/desk/admin/webhooks/{endpoint}/enable");
    let r = app.request(Method::POST, &enable, Some(app.user(Role::Admin))).form(&[("csrf_token", "")]);
    assert_eq!(r.send().await.unwrap().status(), 303);
    let html = eventually("the pending delivery sent once enabled", async || {
        Some(desk_page(&app, &log).await).filter(|html| html.contains(">204<"))
    })
    .await;
    assert!(html.contains("Terkirim") && html.contains(">503<"), "delivered, both attempts listed: {html}");
}
