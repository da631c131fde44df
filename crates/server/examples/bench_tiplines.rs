//! The tiplines under load, used by `scripts/bench-tiplines.sh`: the real server (release build) over a
//! fresh store holding the fact-check database given, with its Telegram tipline pointed at a fake Bot API
//! on loopback that counts the messages it is sent.
//!
//! Usage: `bench_tiplines FACTCHECKS.jsonl [SINGLE]`
//!
//! 1. Webhook to reply enqueued: `SINGLE` (default 1,000) updates, each a different fact-check's title as
//!    a forwarded message from a different chat, posted one at a time (after 2 s for the start's
//!    background work and 50 unmeasured ones); the hook answers once the report and its replies are
//!    committed to the outbox, so its latency is the figure. Prints p50 / p99. The sender sends the
//!    replies meanwhile, as it would.
//! 2. A burst: 1,000 forwards of one same hoax from 1,000 chats, 16 at a time, within a minute. Prints
//!    the time taken, the instant-answer matcher's calls during the burst (from `/metrics`: the goal is
//!    one), the server's resident memory before and after, and how many replies the fake received.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tangkal_cases::{Role, SystemClock};
use tangkal_model::FactCheck;
use tangkal_server::{auth, AppState, ServerConfig, TelegramSettings};
use tangkal_store::NewUser;

const SECRET: &str = "bench-secret";
/// Updates sent before the measured ones.
const WARM_UP: u64 = 50;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: 0 kB");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn update(id: u64, chat: u64, text: &str) -> String {
    json!({"update_id": id, "message": {"message_id": id, "date": 1772413200,
        "from": {"id": chat, "is_bot": false, "first_name": "A", "language_code": "id"},
        "chat": {"id": chat, "type": "private"}, "forward_origin": {"type": "hidden_user", "date": 1}, "text": text}})
    .to_string()
}

async fn matcher_calls(client: &reqwest::Client, base: &str, token: &str) -> u64 {
    let metrics = client.get(format!("{base}/metrics")).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    let line = metrics.lines().find(|l| l.starts_with("tangkal_matcher_calls_total ")).unwrap_or("x 0");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: bench_tiplines FACTCHECKS.jsonl [SINGLE]");
    let single: u64 = args.get(2).map_or(1000, |n| n.parse().expect("SINGLE: a number"));
    let records: Vec<FactCheck> = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();

    // The fake Bot API: counts sendMessage calls.
    let received = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = format!("http://{}", listener.local_addr().unwrap());
    let counter = received.clone();
    let platform = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            axum::Json(json!({"ok": true}))
        }
    });
    tokio::spawn(async move { axum::serve(listener, platform).await });

    let dir = tempfile::tempdir().unwrap();
    let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
    store.upsert_factchecks(&records).unwrap();
    let now = chrono::Utc::now();
    let user = NewUser {
        username: "bench",
        display_name: "bench",
        role: Role::Admin,
        platform: None,
        organisation: "Tangkal",
        password_hash: "x",
        time_zone: "Asia/Jakarta",
    };
    let user = store.add_user(&user, "bench", now).unwrap();
    let token = auth::new_api_token();
    store.create_token(user.id, "bench", Role::Admin, &auth::secret_hash(&token), "bench", now).unwrap();
    drop(store);

    let mut config = ServerConfig::new(dir.path().to_path_buf());
    config.webhooks.send = false;
    // One address sends everything: the public budget out of the way.
    config.public_limits.per_network = tangkal_server::throttle::Budget::per_second(1_000_000, 1_000_000);
    config.tiplines.telegram = Some(TelegramSettings {
        api_base: fake,
        bot_token: "1:bench".into(),
        secret_token: SECRET.into(),
        // The fake takes anything: the sender's pace is not what is measured.
        messages_per_second: 100_000,
        per_chat_per_second: 100,
    });
    let started = Instant::now();
    let state = AppState::new(config, Arc::new(SystemClock)).unwrap();
    println!("{} fact-checks, instant answers ready in {:.1} s", records.len(), started.elapsed().as_secs_f64());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(tangkal_server::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();
    let post = |body: String| {
        client
            .post(format!("{base}/hooks/telegram"))
            .header("x-telegram-bot-api-secret-token", SECRET)
            .body(body)
            .send()
    };

    // 1. One at a time, after the start's background work (the search index) and a warm-up of 50.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let titles: Vec<&str> = records.iter().filter(|f| f.url.is_some()).map(|f| f.title.as_str()).collect();
    let mut latencies = Vec::new();
    for n in 0..single + WARM_UP {
        let text = format!("Diteruskan: {}", titles[n as usize % titles.len()]);
        let body = update(n + 1, 10_000 + n, &text);
        let start = Instant::now();
        let response = post(body).await.unwrap();
        if n >= WARM_UP {
            latencies.push(start.elapsed());
        }
        assert!(response.status().is_success(), "{}", response.status());
    }
    latencies.sort();
    println!(
        "webhook -> reply enqueued, {single} updates one at a time: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );

    // 2. The burst.
    let hoax = format!("Sebarkan!! {}", titles[0]);
    let calls_before = matcher_calls(&client, &base, &token).await;
    let memory_before = resident_kib();
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (next, client, base, hoax) = (next.clone(), client.clone(), base.clone(), hoax.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= 1000 {
                    break;
                }
                let response = client
                    .post(format!("{base}/hooks/telegram"))
                    .header("x-telegram-bot-api-secret-token", SECRET)
                    .body(update(1_000_000 + n, 1_000_000 + n, &hoax))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let burst = start.elapsed();
    let calls = matcher_calls(&client, &base, &token).await - calls_before;
    // Let the sender drain the outbox.
    let expected = 2 * (single + WARM_UP + 1000);
    for _ in 0..600 {
        if received.load(Ordering::Relaxed) >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "burst: 1,000 forwards of one hoax in {:.2} s; matcher calls {calls}; resident memory {} MiB -> {} MiB",
        burst.as_secs_f64(),
        memory_before / 1024,
        resident_kib() / 1024
    );
    let sent = received.load(Ordering::Relaxed);
    println!("replies received by the fake Bot API: {sent} of {expected} (a welcome and an answer per chat)");
}
