//! The WhatsApp and Telegram tiplines over HTTP with a real store, each against a fake of the platform's
//! API on loopback that records what Tangkal sends: Meta's verification handshake, signatures and secret
//! tokens (wrong, absent, or over another body: refused, nothing stored), a forwarded hoax answered with
//! its fact-check's link, repeated deliveries taken once, the reply in the sender's language, the later
//! follow-up when the report's case publishes its clarification (and WhatsApp's 24-hour window), stop and
//! deletion, what cannot be checked, a failed send retried after a restart, and the bot's webhook set up.

mod harness;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use harness::{spawn_with, TestApp};
use hmac::Mac;
use reqwest::Method;
use serde_json::{json, Value};
use tangkal_cases::{Role, Status, Urgency};
use tangkal_model::FactCheck;
use tangkal_server::{TelegramSettings, WhatsappSettings};

const APP_SECRET: &str = "meta-app-secret";
const VERIFY_TOKEN: &str = "verify-me";
const TELEGRAM_SECRET: &str = "tg-secret_1";
const NUMBER: &str = "6281234567890";

/// The BLT sample fact-check and a forwarded message repeating its claim.
const BLT: &str = "fc-75ae4b3994c2";
const BLT_MESSAGE: &str = "Info penting! BLT Rp 600.000 tahap 2 cair Februari 2024, warga bisa mendaftar lewat \
    tautan dengan mengunggah KTP dan KK. Sebarkan ke keluarga!";
/// Answered by no sample fact-check.
const UNKNOWN_CLAIM: &str = "Katanya besok aliran air PDAM di seluruh kota dimatikan tiga hari karena pipa utama \
    bocor, warga diminta menampung air dari sekarang. Benarkah?";

fn sample_factchecks() -> Vec<FactCheck> {
    include_str!("../../../data/sample/factchecks.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A request Tangkal sent the platform.
#[derive(Debug, Clone)]
struct Sent {
    path: String,
    authorization: Option<String>,
    body: Value,
}

impl Sent {
    /// The text of a WhatsApp or Telegram message.
    fn text(&self) -> &str {
        self.body["text"]["body"].as_str().or(self.body["text"].as_str()).unwrap_or_default()
    }
}

/// The platform's API: records every request, answers the next planned status (200 once the plan runs
/// out).
#[derive(Clone, Default)]
struct Platform {
    url: String,
    seen: Arc<Mutex<Vec<Sent>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Platform {
    async fn start(answers: &[u16]) -> Platform {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let platform = Platform {
            url: format!("http://{}", listener.local_addr().unwrap()),
            seen: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
        };
        let app = axum::Router::new().fallback(record).with_state(platform.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        platform
    }

    fn seen(&self) -> Vec<Sent> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `n` requests have come, then a moment more to see that no others follow.
    async fn wait_for(&self, n: usize) -> Vec<Sent> {
        for _ in 0..200 {
            if self.seen.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let seen = self.seen();
        assert_eq!(seen.len(), n, "{seen:#?}");
        seen
    }
}

/// Answers as the Bot API does (the Cloud API's answer is not read).
async fn record(
    State(platform): State<Platform>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    let authorization = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    let body = serde_json::from_str(&body).unwrap_or(Value::Null);
    platform.seen.lock().unwrap().push(Sent { path: uri.path().to_string(), authorization, body });
    let status = platform.answers.lock().unwrap().pop_front().unwrap_or(200);
    let answer =
        json!({"ok": status < 300, "description": if status < 300 { "Webhook was set" } else { "Bad Request" }});
    (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
}

async fn spawn_tiplines(platform: &Platform, template: Option<&str>) -> TestApp {
    spawn_with(|config| {
        config.tiplines.whatsapp = Some(WhatsappSettings {
            api_base: platform.url.clone(),
            phone_number_id: "1055".into(),
            access_token: "wa-token".into(),
            app_secret: APP_SECRET.into(),
            verify_token: VERIFY_TOKEN.into(),
            followup_template: template.map(str::to_string),
            ..WhatsappSettings::default()
        });
        config.tiplines.telegram = Some(TelegramSettings {
            api_base: platform.url.clone(),
            bot_token: "123:bot".into(),
            secret_token: TELEGRAM_SECRET.into(),
            ..TelegramSettings::default()
        });
        config.tiplines.poll_interval_ms = 50;
        config.response.site.base_url = "https://cek.example.id".into();
        let mut store = tangkal_store::open(&config.store).unwrap();
        store.upsert_factchecks(&sample_factchecks()).unwrap();
    })
    .await
}

fn sign(body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A WhatsApp delivery of one message.
fn whatsapp_message(id: &str, message: Value) -> String {
    let mut message = message;
    message["from"] = json!(NUMBER);
    message["id"] = json!(id);
    message["timestamp"] = json!("1772413200");
    json!({"object": "whatsapp_business_account", "entry": [{"id": "8856", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "62215550000", "phone_number_id": "1055"},
        "contacts": [{"profile": {"name": "Budi"}, "wa_id": NUMBER}],
        "messages": [message]}}]}]})
    .to_string()
}

fn whatsapp_text(id: &str, text: &str) -> String {
    whatsapp_message(id, json!({"type": "text", "text": {"body": text}, "context": {"forwarded": true}}))
}

async fn post_whatsapp(app: &TestApp, body: &str, signature: Option<&str>) -> u16 {
    let mut request = app.request(Method::POST, "/hooks/whatsapp", None).body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

fn telegram_text(update_id: i64, chat: i64, language: &str, text: &str) -> String {
    json!({"update_id": update_id, "message": {"message_id": update_id, "date": 1772413200,
        "from": {"id": chat, "is_bot": false, "first_name": "Ani", "language_code": language},
        "chat": {"id": chat, "type": "private"}, "text": text}})
    .to_string()
}

async fn post_telegram(app: &TestApp, body: &str, secret: Option<&str>) -> u16 {
    let mut request = app.request(Method::POST, "/hooks/telegram", None).body(body.to_string());
    if let Some(secret) = secret {
        request = request.header("x-telegram-bot-api-secret-token", secret);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn reports(app: &TestApp) -> Vec<Value> {
    let (status, list) = app.call(Method::GET, "/api/v1/reports", Role::Analyst, None).await;
    assert_eq!(status, 200, "{list}");
    list["reports"].as_array().unwrap().clone()
}

/// Links the only report to a new case and publishes the case's clarification; returns its address.
async fn publish_for_report(app: &TestApp, report_id: i64) -> String {
    let case = app.open_case("Air PDAM dimatikan tiga hari", Urgency::Normal);
    let link = format!("/api/v1/reports/{report_id}/link");
    let (status, body) = app.call(Method::POST, &link, Role::Analyst, Some(json!({"case_id": case}))).await;
    assert_eq!(status, 200, "{body}");
    app.advance(case, Status::VerdictApproved);
    let draft = json!({
        "title": "Air PDAM dimatikan tiga hari di seluruh kota",
        "claim": "Aliran air PDAM di seluruh kota dimatikan tiga hari",
        "body_markdown": "PDAM hanya menghentikan aliran di dua kelurahan selama enam jam untuk perbaikan.",
    });
    let (status, clarification) =
        app.call(Method::POST, &format!("/api/v1/cases/{case}/clarifications"), Role::Communicator, Some(draft)).await;
    assert_eq!(status, 201, "{clarification}");
    let publish = format!("/api/v1/clarifications/{}/publish", clarification["id"]);
    let (status, published) = app.call(Method::POST, &publish, Role::Communicator, None).await;
    assert_eq!(status, 200, "{published}");
    published["url"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn whatsapp_verification_echoes_the_challenge_for_the_configured_token_only() {
    let platform = Platform::start(&[]).await;
    let app = spawn_tiplines(&platform, None).await;
    let verify =
        |token: &str| format!("/hooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444");
    let response = app.request(Method::GET, &verify(VERIFY_TOKEN), None).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "1158201444");
    let response = app.request(Method::GET, &verify("guess"), None).send().await.unwrap();
    assert_eq!(response.status(), 403);

    // A channel that is not configured has no hook.
    let plain = harness::spawn().await;
    assert_eq!(plain.request(Method::GET, &verify(VERIFY_TOKEN), None).send().await.unwrap().status(), 404);
    assert_eq!(post_telegram(&plain, "{}", Some(TELEGRAM_SECRET)).await, 404);
}

#[tokio::test]
async fn a_forwarded_hoax_is_answered_with_its_link_once_however_often_it_is_delivered() {
    let platform = Platform::start(&[]).await;
    let app = spawn_tiplines(&platform, None).await;
    let body = whatsapp_text("wamid.HBgM1", BLT_MESSAGE);
    for _ in 0..3 {
        assert_eq!(post_whatsapp(&app, &body, Some(&sign(&body))).await, 200);
    }
    let sent = platform.wait_for(2).await;
    let blt = sample_factchecks().into_iter().find(|f| f.id == BLT).unwrap();
    for message in &sent {
        assert_eq!(message.path, "/1055/messages");
        assert_eq!(message.authorization.as_deref(), Some("Bearer wa-token"));
        assert_eq!((message.body["to"].as_str(), message.body["type"].as_str()), (Some(NUMBER), Some("text")));
    }
    assert!(sent[0].text().contains("UU PDP"), "the welcome first: {}", sent[0].text());
    let answer = sent[1].text();
    assert!(answer.contains(blt.url.as_deref().unwrap()) && answer.contains(&blt.title), "{answer}");
    assert!(answer.starts_with("Pesan ini sudah dicek"), "Indonesian by the text: {answer}");

    let stored = reports(&app).await;
    assert_eq!(stored.len(), 1, "one report for three deliveries");
    assert_eq!((stored[0]["channel"].as_str(), stored[0]["status"].as_str()), (Some("whatsapp"), Some("answered")));
    let listed = stored[0].to_string();
    assert!(!listed.contains(NUMBER), "the number is not shown: {listed}");

    // Each delivery was looked at, but the text was matched once.
    let admin = app.user(Role::Admin);
    let metrics = app.request(Method::GET, "/metrics", Some(admin)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "tangkal_matcher_calls_total 1"), "{metrics}");
}

#[tokio::test]
async fn signatures_and_secrets_that_do_not_match_are_refused_with_nothing_stored() {
    let platform = Platform::start(&[]).await;
    let app = spawn_tiplines(&platform, None).await;
    let body = whatsapp_text("wamid.bad", BLT_MESSAGE);
    assert_eq!(post_whatsapp(&app, &body, None).await, 401);
    let wrong_secret = {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"another secret").unwrap();
        mac.update(body.as_bytes());
        format!("sha256={}", mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    assert_eq!(post_whatsapp(&app, &body, Some(&wrong_secret)).await, 403);
    let other_body = whatsapp_text("wamid.other", "Pesan lain");
    assert_eq!(post_whatsapp(&app, &body, Some(&sign(&other_body))).await, 403);
    assert_eq!(post_whatsapp(&app, &body, Some("sha256=")).await, 403);

    let update = telegram_text(1, 42, "id", BLT_MESSAGE);
    assert_eq!(post_telegram(&app, &update, None).await, 401);
    assert_eq!(post_telegram(&app, &update, Some("tg-secret_2")).await, 403);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(reports(&app).await.is_empty());
    assert!(platform.seen().is_empty());

    // The same messages, signed: taken.
    assert_eq!(post_whatsapp(&app, &body, Some(&sign(&body))).await, 200);
    assert_eq!(post_telegram(&app, &update, Some(TELEGRAM_SECRET)).await, 200);
    assert_eq!(reports(&app).await.len(), 2);
}

#[tokio::test]
async fn a_telegram_user_writing_in_english_is_answered_in_english_and_told_later_once() {
    let platform = Platform::start(&[]).await;
    let app = spawn_tiplines(&platform, None).await;
    let update = telegram_text(500, 42, "en", UNKNOWN_CLAIM);
    assert_eq!(post_telegram(&app, &update, Some(TELEGRAM_SECRET)).await, 200);
    assert_eq!(post_telegram(&app, &update, Some(TELEGRAM_SECRET)).await, 200);
    let sent = platform.wait_for(2).await;
    assert!(sent.iter().all(|s| s.path == "/bot123:bot/sendMessage" && s.body["chat_id"] == "42"), "{sent:?}");
    assert!(sent[0].text().starts_with("Hello!") && sent[0].text().contains("HAPUS"), "{}", sent[0].text());
    let stored = reports(&app).await;
    assert_eq!(stored.len(), 1);
    let reference = stored[0]["reference"].as_str().unwrap();
    assert_eq!(
        sent[1].text().split('.').next().unwrap(),
        format!("Thank you, we received your message as {reference}")
    );
    assert_eq!(stored[0]["channel"], "telegram");

    let url = publish_for_report(&app, stored[0]["id"].as_i64().unwrap()).await;
    let sent = platform.wait_for(3).await;
    let followup = sent[2].text();
    assert!(followup.starts_with(&format!("Your report {reference} now has an answer: HOAKS")), "{followup}");
    assert!(followup.contains(&url) && url.starts_with("https://cek.example.id/cek-fakta/"), "{followup}");
}

#[tokio::test]
async fn stop_ends_follow_ups_and_hapus_deletes_the_contact() {
    let platform = Platform::start(&[]).await;
    let app = spawn_tiplines(&platform, None).await;
    let say = |id: i64, text: &str| telegram_text(id, 77, "id", text);
    assert_eq!(post_telegram(&app, &say(1, UNKNOWN_CLAIM), Some(TELEGRAM_SECRET)).await, 200);
    assert_eq!(post_telegram(&app, &say(2, "STOP"), Some(TELEGRAM_SECRET)).await, 200);
    let sent = platform.wait_for(3).await;
    assert!(sent[2].text().contains("tidak akan menerima kabar lanjutan"), "{}", sent[2].text());
    let report = reports(&app).await[0]["id"].as_i64().unwrap();
    publish_for_report(&app, report).await;
    platform.wait_for(3).await;

    assert_eq!(post_telegram(&app, &say(3, "hapus"), Some(TELEGRAM_SECRET)).await, 200);
    let sent = platform.wait_for(4).await;
    assert!(sent[3].text().starts_with("Data Anda sudah kami hapus"), "{}", sent[3].text());
    let (_, detail) = app.call(Method::GET, &format!("/api/v1/reports/{report}"), Role::Analyst, None).await;
    assert_eq!(detail["contact_erased"], true, "{detail}");
    // Nothing is left to find the sender by: writing again is a first contact.
    assert_eq!(post_telegram(&app, &say(4, "/start"), Some(TELEGRAM_SECRET)).await, 200);
    let sent = platform.wait_for(5).await;
    assert!(sent[4].text().starts_with("Halo!"), "{}", sent[4].text());
}

#[tokio::test]
async fn whatsapp_follow_ups_outside_the_24_hour_window_go_as_the_template_or_not_at_all() {
    for template in [Some("jawaban_aduan"), None] {
        let platform = Platform::start(&[]).await;
        let app = spawn_tiplines(&platform, template).await;
        let body = whatsapp_text("wamid.window", UNKNOWN_CLAIM);
        assert_eq!(post_whatsapp(&app, &body, Some(&sign(&body))).await, 200);
        platform.wait_for(2).await;
        app.clock.advance(chrono::Duration::hours(25));
        let report = reports(&app).await[0]["id"].as_i64().unwrap();
        let url = publish_for_report(&app, report).await;
        match template {
            Some(name) => {
                let sent = platform.wait_for(3).await;
                let template = &sent[2].body["template"];
                assert_eq!((sent[2].body["type"].as_str(), template["name"].as_str()), (Some("template"), Some(name)));
                assert_eq!(template["components"][0]["parameters"][1]["text"], url.as_str());
            }
            None => {
                platform.wait_for(2).await;
            }
        }
    }
}

#[tokio::test]
async fn what_cannot_be_checked_gets_a_polite_word_and_malformed_deliveries_nothing() {
    let platform = Platform::start(&[]).await;
    let app = spawn_tiplines(&platform, None).await;
    let sticker = whatsapp_message("wamid.s", json!({"type": "sticker", "sticker": {"id": "1"}}));
    let emoji = whatsapp_text("wamid.e", "🙏🙏😡");
    let statuses = json!({"entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"id": "x", "status": "read"}]}}]}]}).to_string();
    for body in [sticker.as_str(), emoji.as_str(), "{not json", statuses.as_str()] {
        assert_eq!(post_whatsapp(&app, body, Some(&sign(body))).await, 200, "{body}");
    }
    let huge = "x".repeat(300 * 1024);
    assert_eq!(post_telegram(&app, &huge, Some(TELEGRAM_SECRET)).await, 200);
    let sent = platform.wait_for(3).await;
    assert!(sent[1].text().contains("hanya bisa memeriksa teks") && sent[2].text() == sent[1].text(), "{sent:?}");
    assert!(reports(&app).await.is_empty());
}

#[tokio::test]
async fn a_failed_send_is_tried_again_after_its_backoff_and_a_restart() {
    let platform = Platform::start(&[500]).await;
    let mut app = spawn_tiplines(&platform, None).await;
    assert_eq!(post_telegram(&app, &telegram_text(9, 5, "id", BLT_MESSAGE), Some(TELEGRAM_SECRET)).await, 200);
    // The welcome failed; the answer waits behind it, in order, in the store across a restart.
    platform.wait_for(1).await;
    app.shut_down().await;
    app.clock.advance(chrono::Duration::seconds(10));
    app.start_again().await;
    let sent = platform.wait_for(3).await;
    assert_eq!(sent[0].body, sent[1].body, "the welcome again, then the answer");
    assert!(sent[2].text().starts_with("Pesan ini sudah dicek"), "{}", sent[2].text());
}

#[tokio::test]
async fn the_telegram_webhook_is_registered_with_the_secret_token() {
    let platform = Platform::start(&[200, 400]).await;
    let settings = TelegramSettings {
        api_base: platform.url.clone(),
        bot_token: "123:bot".into(),
        secret_token: TELEGRAM_SECRET.into(),
        ..TelegramSettings::default()
    };
    let url = "https://tangkal.example.id/hooks/telegram";
    let said = tangkal_server::tiplines::set_telegram_webhook(&settings, url).await.unwrap();
    assert_eq!(said, "Webhook was set");
    let refused = tangkal_server::tiplines::set_telegram_webhook(&settings, url).await.unwrap_err().to_string();
    assert!(refused.contains("400") && !refused.contains("123:bot"), "{refused}");
    let sent = platform.seen();
    assert_eq!(sent[0].path, "/bot123:bot/setWebhook");
    assert_eq!(
        (sent[0].body["url"].as_str(), sent[0].body["secret_token"].as_str()),
        (Some(url), Some(TELEGRAM_SECRET))
    );
}
