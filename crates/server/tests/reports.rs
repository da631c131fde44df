//! Citizen reports over HTTP with a real store: instant answers from a clarification published a moment
//! earlier and from imported fact-checks (at start and imported while running), placement in the
//! narrative a report copies and its open case, the reporter's status with the right and wrong token,
//! analysts' lists and changes, the `/lapor` form with its honeypot and CSRF defence, budgets per
//! network and per contact, size limits, `<script>` inert everywhere, and the contact retention job.

mod harness;

use std::time::Duration;

use harness::{read, spawn, spawn_with, TestApp};
use reqwest::header::{CONTENT_TYPE, COOKIE, RETRY_AFTER, SET_COOKIE};
use reqwest::Method;
use serde_json::{json, Value};
use tangkal_cases::{Clock, NewCase, Role, Status, Urgency};
use tangkal_model::{FactCheck, NarrativeId};
use tangkal_store::ItemFilter;

const SCRIPT: &str = "<script>alert(1)</script>";
/// How the pages write it: as text.
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

fn sample_factchecks() -> Vec<FactCheck> {
    include_str!("../../../data/sample/factchecks.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn sample_factcheck(id: &str) -> FactCheck {
    sample_factchecks().into_iter().find(|f| f.id == id).unwrap()
}

/// The BLT sample fact-check and a forwarded message repeating its claim.
const BLT: &str = "fc-75ae4b3994c2";
const BLT_MESSAGE: &str = "Info penting! BLT Rp 600.000 tahap 2 cair Februari 2024, warga bisa mendaftar lewat \
    tautan dengan mengunggah KTP dan KK. Sebarkan ke keluarga!";

async fn report(app: &TestApp, body: Value) -> (u16, Value) {
    read(app.request(Method::POST, "/api/v1/reports", None).json(&body).send().await.unwrap()).await
}

/// A report from another network, as a trusted proxy tells it.
async fn report_from(app: &TestApp, network: &str, body: Value) -> reqwest::Response {
    let req = app.request(Method::POST, "/api/v1/reports", None).header("x-forwarded-for", network);
    req.json(&body).send().await.unwrap()
}

fn assert_problem(status: u16, body: &Value, want_status: u16, want_type: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["type"], format!("/problems/{want_type}"), "{body}");
}

fn status_path(receipt: &Value) -> String {
    let reference = receipt["reference"].as_str().unwrap().replace('/', "%2F");
    format!("/api/v1/reports/{reference}?token={}", receipt["status_token"].as_str().unwrap())
}

fn stored_reports(app: &TestApp) -> u64 {
    app.with_store(|s| s.count_reports(&tangkal_store::ReportFilter::default())).unwrap()
}

/// A report as an analyst sees it.
async fn detail(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.call(Method::GET, &format!("/api/v1/reports/{id}"), Role::Analyst, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.request(Method::GET, path, None).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_report_is_answered_at_once_by_a_clarification_published_a_moment_earlier() {
    let app = spawn().await;
    let text = "Beredar di grup: ribuan surat suara sudah tercoblos ditemukan di gudang logistik kecamatan, \
                semuanya untuk satu paslon. Benarkah?";
    let (status, before) = report(&app, json!({"text": text, "platform": "whatsapp"})).await;
    assert_eq!((status, before["status"].as_str()), (201, Some("received")), "{before}");
    assert!(before.get("answer").is_none(), "{before}");

    let case = app.open_case("Surat suara tercoblos di gudang logistik", Urgency::Normal);
    app.advance(case, Status::VerdictApproved);
    let draft = json!({
        "title": format!("Surat suara sudah tercoblos ditemukan di gudang logistik kecamatan {SCRIPT}"),
        "claim": "Surat suara sudah tercoblos ditemukan di gudang logistik",
        "body_markdown": "Foto itu diambil saat simulasi pemungutan suara 2019, bukan di gudang logistik kecamatan.",
    });
    let path = format!("/api/v1/cases/{case}/clarifications");
    let (status, clarification) = app.call(Method::POST, &path, Role::Communicator, Some(draft)).await;
    assert_eq!(status, 201, "{clarification}");
    let publish = format!("/api/v1/clarifications/{}/publish", clarification["id"]);
    let (status, published) = app.call(Method::POST, &publish, Role::Communicator, None).await;
    assert_eq!(status, 200, "{published}");

    // The very next report: no restart, no background rebuild in between.
    let (status, receipt) = report(&app, json!({"text": text, "platform": "whatsapp"})).await;
    assert_eq!((status, receipt["status"].as_str()), (201, Some("answered")), "{receipt}");
    assert_eq!(receipt["answer"]["url"], published["url"], "{receipt}");
    assert_eq!(receipt["answer"]["rating"], "HOAKS");
    assert!(receipt["answer"]["title"].as_str().unwrap().starts_with("Surat suara sudah tercoblos"));
    let (status, view) = read(app.request(Method::GET, &status_path(&receipt), None).send().await.unwrap()).await;
    assert_eq!((status, view["status"].as_str()), (200, Some("answered")), "{view}");
    assert_eq!(view["answer"], receipt["answer"]);

    // The earlier report joined triage; once tied to the case, its reporter sees the clarification too.
    let earlier = before["reference"].as_str().unwrap().rsplit('/').next().unwrap().parse::<i64>().unwrap();
    let (status, linked) = app
        .call(Method::POST, &format!("/api/v1/reports/{earlier}/link"), Role::Analyst, Some(json!({"case_id": case})))
        .await;
    assert_eq!((status, linked["status"].as_str()), (200, Some("linked")), "{linked}");
    let (_, view) = read(app.request(Method::GET, &status_path(&before), None).send().await.unwrap()).await;
    assert_eq!((view["status"].as_str(), &view["answer"]["url"]), (Some("linked"), &published["url"]), "{view}");

    // The form's answer page shows it, the title's markup inert.
    let (status, page) = lapor(&app, &[("text", text), ("platform", "whatsapp")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Kabar ini sudah diperiksa") && page.contains(published["url"].as_str().unwrap()));
    assert!(!page.contains(SCRIPT) && page.contains(ESCAPED), "{page}");
}

#[tokio::test]
async fn reports_are_answered_by_imported_fact_checks_at_start_and_imported_while_running() {
    let app = spawn_with(|config| {
        config.report_upkeep_interval = Duration::from_millis(100);
        let mut store = tangkal_store::open(&config.store).unwrap();
        store.upsert_factchecks(&[sample_factcheck(BLT)]).unwrap();
    })
    .await;
    let (status, receipt) = report(&app, json!({"text": BLT_MESSAGE, "platform": "facebook"})).await;
    assert_eq!((status, receipt["status"].as_str()), (201, Some("answered")), "{receipt}");
    let blt = sample_factcheck(BLT);
    assert_eq!(receipt["answer"], json!({"rating": blt.rating, "title": blt.title, "url": blt.url}));

    // Imported by `tangkal factchecks import` while the server runs: answered after the next upkeep.
    let scam = "Selamat! Nomor WhatsApp Anda terpilih sebagai pemenang undian berhadiah Belanja Hemat, satu unit \
                mobil dan uang tunai 25 juta. Hubungi manajer undian untuk klaim.";
    let (_, first) = report(&app, json!({"text": scam, "platform": "whatsapp"})).await;
    assert_eq!(first["status"], "received", "{first}");
    app.with_store(|s| s.upsert_factchecks(&sample_factchecks())).unwrap();
    let mut answered = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, again) = report(&app, json!({"text": scam, "platform": "whatsapp"})).await;
        if again["status"] == "answered" {
            answered = Some(again);
            break;
        }
    }
    let answered = answered.expect("answered once the matcher was rebuilt");
    assert_eq!(answered["answer"]["url"], json!(sample_factcheck("fc-0eae42346760").url), "{answered}");
}

/// A server over the sample posts, ingested with their narratives, and the id of the narrative of the
/// PLN blackout rumour, which has no fact-check.
async fn with_sample_narratives() -> (TestApp, NarrativeId, String) {
    let app = spawn_with(|config| {
        let mut store = tangkal_store::open(&config.store).unwrap();
        let items = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample/items.jsonl");
        let source = tangkal_pipeline::open_file(
            items.as_ref(),
            tangkal_pipeline::Format::Jsonl,
            &Default::default(),
            1 << 20,
            Default::default(),
        )
        .unwrap();
        let mut rejects = tangkal_pipeline::RejectWriter::new(config.store.data_dir.join("rejects.jsonl"));
        let mut narratives = tangkal_pipeline::NarrativeStage::open(&config.store.data_dir, store.as_mut()).unwrap();
        tangkal_pipeline::ingest_with_stages(
            store.as_mut(),
            vec![source],
            &mut rejects,
            &Default::default(),
            &(),
            &mut [&mut narratives],
        )
        .unwrap();
        narratives.finish(store.as_mut()).unwrap();
    })
    .await;
    let filter = ItemFilter { text_contains: Some("pemadaman listrik total".into()), ..ItemFilter::default() };
    let item = app.with_store(|s| s.list_items(&filter, 1, 0)).unwrap().remove(0);
    (app, item.narrative_id.expect("placed by the ingest"), item.text)
}

#[tokio::test]
async fn a_report_joins_the_narrative_it_copies_and_that_narrative_s_open_case() {
    let (app, narrative, post) = with_sample_narratives().await;
    let asked = format!("Di grup RT ada pesan ini, apa benar? {post}");
    let (status, receipt) = report(&app, json!({"text": asked, "platform": "whatsapp"})).await;
    assert_eq!((status, receipt["status"].as_str()), (201, Some("received")), "{receipt}");
    let (_, list) = app.call(Method::GET, &format!("/api/v1/reports?narrative={narrative}"), Role::Analyst, None).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["reports"][0]["case_id"], Value::Null, "no case yet");

    // An analyst opens a case for the narrative; the next report of it joins that case.
    let now = app.clock.now();
    let case = app.with_store(|store| {
        let new = NewCase { title: "Pemadaman Jawa Bali 3 hari".into(), ..NewCase::default() };
        let case = store.open_case(&new, "analyst-user", now).unwrap().id;
        let item = store.narrative_item_ids(narrative, 1).unwrap()[0];
        store.link_narrative(case, narrative, item, "analyst-user", now).unwrap();
        case
    });
    let (_, receipt) = report(&app, json!({"text": post.to_uppercase(), "platform": "facebook"})).await;
    let id = receipt["reference"].as_str().unwrap().rsplit('/').next().unwrap().parse::<i64>().unwrap();
    let (status, detail) = app.call(Method::GET, &format!("/api/v1/reports/{id}"), Role::Analyst, None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!((detail["narrative_id"].as_i64(), detail["case_id"].as_i64()), (Some(i64::from(narrative)), Some(case)));
    assert_eq!(detail["status"], "received");
    let (_, by_case) = app.call(Method::GET, &format!("/api/v1/reports?case={case}"), Role::Analyst, None).await;
    assert_eq!(by_case["total"], 1, "{by_case}");

    // Something else is placed nowhere; a closed case takes no more reports.
    let unrelated = "Harga cabai rawit di pasar induk turun tajam pekan ini karena panen raya di beberapa daerah.";
    let (_, other) = report(&app, json!({"text": unrelated, "platform": "x"})).await;
    let id = other["reference"].as_str().unwrap().rsplit('/').next().unwrap();
    let (_, detail) = app.call(Method::GET, &format!("/api/v1/reports/{id}"), Role::Analyst, None).await;
    assert_eq!((detail["narrative_id"].as_i64(), detail["case_id"].as_i64()), (None, None), "{detail}");
    let dismiss = tangkal_cases::Change::Move { to: Status::Dismissed, reason: Some("sudah dibantah PLN".into()) };
    let analyst = app.user(Role::Analyst).actor();
    app.with_store(|s| s.update_case(case, dismiss, &analyst, app.clock.now())).unwrap();
    let (_, receipt) = report(&app, json!({"text": post, "platform": "facebook"})).await;
    let id = receipt["reference"].as_str().unwrap().rsplit('/').next().unwrap();
    let (_, detail) = app.call(Method::GET, &format!("/api/v1/reports/{id}"), Role::Analyst, None).await;
    assert_eq!(
        (detail["narrative_id"].as_i64(), detail["case_id"].as_i64()),
        (Some(i64::from(narrative)), None),
        "{detail}"
    );
}

#[tokio::test]
async fn reporters_follow_their_report_with_its_token_and_analysts_see_the_contact_only_in_the_detail() {
    let app = spawn().await;
    let body = json!({"text": "Pesan berantai soal vaksin", "platform": "whatsapp", "contact": "budi@example.id"});
    let (_, receipt) = report(&app, body).await;
    let token = receipt["status_token"].as_str().unwrap();
    assert_eq!(token.len(), 43);
    assert!(receipt["status_url"].as_str().unwrap().contains("/lapor/status?ref=ADU%2F2026%2F03%2F000001&token="));

    let (status, view) = read(app.request(Method::GET, &status_path(&receipt), None).send().await.unwrap()).await;
    assert_eq!((status, view["reference"].as_str()), (200, Some("ADU/2026/03/000001")), "{view}");
    let shown = view.to_string();
    assert!(!shown.contains("vaksin") && !shown.contains("budi"), "nothing the reporter wrote: {shown}");

    let wrong_token = status_path(&receipt).replace(token, &"A".repeat(43));
    let wrong_reference = status_path(&receipt).replace("000001", "000002");
    for path in [wrong_token, wrong_reference, "/api/v1/reports/ADU%2F2026%2F03%2F000001?token=".to_string()] {
        let (status, body) = read(app.request(Method::GET, &path, None).send().await.unwrap()).await;
        assert_problem(status, &body, 404, "not-found");
    }
    let (status, body) = read(app.request(Method::GET, "/api/v1/reports/1", None).send().await.unwrap()).await;
    assert_problem(status, &body, 401, "unauthenticated");
    let (status, body) = app.call(Method::GET, "/api/v1/reports/1", Role::Communicator, None).await;
    assert_problem(status, &body, 403, "forbidden");

    // The detail has the contact, by number or reference; lists never do.
    for id in ["1", "ADU%2F2026%2F03%2F000001"] {
        let (status, detail) = app.call(Method::GET, &format!("/api/v1/reports/{id}"), Role::Analyst, None).await;
        assert_eq!((status, detail["contact"].as_str()), (200, Some("budi@example.id")), "{detail}");
    }
    let (status, body) = app.call(Method::GET, "/api/v1/reports/ADU%2F2026%2F04%2F000001", Role::Analyst, None).await;
    assert_problem(status, &body, 404, "not-found");
    let (_, list) =
        app.call(Method::GET, "/api/v1/reports?status=received&platform=whatsapp", Role::Analyst, None).await;
    assert_eq!(list["total"], 1);
    assert!(!list.to_string().contains("budi"), "{list}");
    let (_, none) = app.call(Method::GET, "/api/v1/reports?since=2026-03-02T01:00:01Z", Role::Admin, None).await;
    assert_eq!(none["total"], 0, "{none}");
}

#[tokio::test]
async fn analysts_link_and_dismiss_and_refusals_change_nothing() {
    let app = spawn().await;
    let (_, receipt) = report(&app, json!({"text": "Katanya listrik padam tiga hari", "platform": "x"})).await;
    let base = "/api/v1/reports/1";
    let (status, body) =
        app.call(Method::POST, &format!("{base}/link"), Role::Analyst, Some(json!({"case_id": 99}))).await;
    assert_problem(status, &body, 404, "not-found");
    let (status, body) =
        app.call(Method::POST, &format!("{base}/dismiss"), Role::Analyst, Some(json!({"reason": "  "}))).await;
    assert_problem(status, &body, 422, "invalid");
    let (status, body) =
        app.call(Method::POST, "/api/v1/reports/7/dismiss", Role::Analyst, Some(json!({"reason": "spam"}))).await;
    assert_problem(status, &body, 404, "not-found");
    let (_, detail) = app.call(Method::GET, base, Role::Analyst, None).await;
    assert_eq!(detail["status"], "received");

    let (status, dismissed) =
        app.call(Method::POST, &format!("{base}/dismiss"), Role::Analyst, Some(json!({"reason": "bukan hoaks"}))).await;
    assert_eq!((status, dismissed["status"].as_str()), (200, Some("dismissed")), "{dismissed}");
    let case = app.open_case("Listrik padam", Urgency::Normal);
    let (status, body) =
        app.call(Method::POST, &format!("{base}/link"), Role::Analyst, Some(json!({"case_id": case}))).await;
    assert_problem(status, &body, 409, "conflict");
    let (_, view) = read(app.request(Method::GET, &status_path(&receipt), None).send().await.unwrap()).await;
    assert_eq!(view["status"], "dismissed");
    assert!(!view.to_string().contains("bukan hoaks"), "the reason is the desk's: {view}");
}

/// Gets the form, then posts `fields` with its token and cookie; returns the answer's status and page.
async fn lapor(app: &TestApp, fields: &[(&str, &str)]) -> (u16, String) {
    let (cookie, token) = form_token(app).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    let response = app.request(Method::POST, "/lapor", None).header(COOKIE, cookie).form(&form).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The form's cookie (`name=value`) and the token in its page.
async fn form_token(app: &TestApp) -> (String, String) {
    let response = app.request(Method::GET, "/lapor", None).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = response.text().await.unwrap();
    let token = page.split(r#"name="csrf_token" value=""#).nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(cookie, format!("tangkal_report_csrf={token}"));
    (cookie, token)
}

#[tokio::test]
async fn the_form_works_without_script_and_drops_what_bots_send() {
    let app = spawn().await;
    let (status, page) = get_text(&app, "/lapor").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<html lang="id">"#) && page.contains("<form method=\"post\" action=\"/lapor\">"));
    assert!(page.contains(r#"<div hidden><label for="website">"#), "the honeypot is hidden without style");

    let (status, page) = lapor(&app, &[("text", "Ada pesan soal pemadaman listrik"), ("platform", "whatsapp")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Nomor laporan: <strong>ADU/2026/03/000001</strong>"), "{page}");
    let link = page.split("href=\"").find(|s| s.starts_with("http://localhost:8080/lapor/status")).unwrap();
    let path = link.split('"').next().unwrap().replace("http://localhost:8080", "").replace("&#38;", "&");
    let (status, status_page) = get_text(&app, &path).await;
    assert_eq!(status, 200, "{status_page}");
    assert!(status_page.contains("Diterima, menunggu pemeriksaan tim"), "{status_page}");
    let (status, _) = get_text(&app, &path.replace("token=", "token=x")).await;
    assert_eq!(status, 404);

    // A bot fills every field: thanked, nothing stored.
    let (status, page) =
        lapor(&app, &[("text", "Promo pinjol"), ("platform", "x"), ("website", "https://spam.example")]).await;
    assert_eq!(status, 200);
    assert!(page.contains("Terima kasih") && !page.contains("ADU/"), "{page}");
    // Posted from elsewhere: without our cookie the token means nothing.
    let (_, token) = form_token(&app).await;
    let forged = [("text", "Pesan palsu"), ("platform", "x"), ("csrf_token", token.as_str())];
    let response = app.request(Method::POST, "/lapor", None).form(&forged).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(stored_reports(&app), 1, "only the real report");

    // A mistake comes back with the field named and what was typed kept.
    let (status, page) = lapor(&app, &[("text", "😱😱 !!!"), ("platform", "x"), ("contact", "0812-1111-2222")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Periksa kolom «Isi pesan»") && page.contains(r#"value="0812-1111-2222""#), "{page}");
    let (status, page) = lapor(&app, &[("text", "Cek ini"), ("platform", "x"), ("contact", "budi")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Periksa kolom «Kontak»"), "{page}");
    let (status, page) = lapor(&app, &[("text", "Cek ini"), ("platform", "")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Periksa kolom «Dilihat di»"), "{page}");
    assert_eq!(stored_reports(&app), 1);
    // A textarea's line breaks arrive as CRLF and count once, as the browser counted them.
    let lines = "baris\r\n".repeat(833);
    let (status, page) = lapor(&app, &[("text", lines.as_str()), ("platform", "x")]).await;
    assert_eq!(status, 200, "{page}");
}

#[tokio::test]
async fn script_in_every_field_stays_inert_on_the_pages_and_in_json() {
    let app = spawn().await;
    // Refused fields come back in the form, escaped.
    for (field, value) in [("url", format!("javascript:{SCRIPT}")), ("contact", SCRIPT.to_string())] {
        let (status, page) = lapor(&app, &[("text", SCRIPT), ("platform", "x"), (field, value.as_str())]).await;
        assert_eq!(status, 422, "{field}: {page}");
        assert!(!page.contains(SCRIPT) && page.matches(ESCAPED).count() == 2, "{field}: {page}");
    }
    let (status, page) = lapor(&app, &[("text", "Cek ini"), ("platform", SCRIPT)]).await;
    assert_eq!(status, 422);
    assert!(!page.contains(SCRIPT), "{page}");
    // Accepted text: stored as sent, served as JSON that browsers will not sniff as HTML. A link is
    // stored as a web address, its markup percent-encoded.
    let url = format!("https://x.example/{SCRIPT}");
    let (status, page) =
        lapor(&app, &[("text", &format!("Pesan {SCRIPT} beredar")), ("url", &url), ("platform", "x")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(SCRIPT));
    let response = app.request(Method::GET, "/api/v1/reports/1", Some(app.user(Role::Analyst))).send().await.unwrap();
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    let detail: Value = response.json().await.unwrap();
    assert_eq!(detail["text"], format!("Pesan {SCRIPT} beredar"));
    assert_eq!(detail["url"], "https://x.example/%3Cscript%3Ealert(1)%3C/script%3E");
    let (status, body) = report(&app, json!({"text": "x", "url": SCRIPT, "platform": "x"})).await;
    assert_problem(status, &body, 422, "invalid");
}

#[tokio::test]
async fn budgets_per_network_and_per_contact_answer_429_with_retry_after() {
    let app = spawn_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        config.response.reports.per_network.burst = 3;
        config.response.reports.per_contact.burst = 2;
    })
    .await;
    let body = json!({"text": "Cek pesan ini", "platform": "x"});
    for _ in 0..3 {
        assert_eq!(report_from(&app, "198.51.100.1", body.clone()).await.status(), 201);
    }
    let refused = report_from(&app, "198.51.100.1", body.clone()).await;
    let retry: u64 = refused.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    let (status, problem) = read(refused).await;
    assert_problem(status, &problem, 429, "rate-limited");
    assert!(problem["detail"].as_str().unwrap().contains("from this network"), "{problem}");
    assert_eq!(report_from(&app, "198.51.100.2", body.clone()).await.status(), 201, "another network");
    // Malformed reports count too: a flood is a flood.
    let (status, _) = read(report_from(&app, "198.51.100.1", json!({"platform": "x"})).await).await;
    assert_eq!(status, 429);

    // One contact, written three ways, from three networks.
    let with = |contact: &str| json!({"text": "Cek pesan ini", "platform": "x", "contact": contact});
    assert_eq!(report_from(&app, "203.0.113.1", with("0812-3456-7890")).await.status(), 201);
    assert_eq!(report_from(&app, "203.0.113.2", with("+62 812 3456 7890")).await.status(), 201);
    let (status, problem) = read(report_from(&app, "203.0.113.3", with("62812.3456.7890")).await).await;
    assert_problem(status, &problem, 429, "rate-limited");
    assert!(problem["detail"].as_str().unwrap().contains("for this contact"), "{problem}");
    assert_eq!(report_from(&app, "203.0.113.3", with("0813-0000-1111")).await.status(), 201);

    // The form says it in words, with the same header.
    let (cookie, token) = form_token(&app).await;
    let form = [("text", "Cek"), ("platform", "x"), ("csrf_token", token.as_str())];
    let response = app
        .request(Method::POST, "/lapor", None)
        .header(COOKIE, cookie)
        .header("x-forwarded-for", "198.51.100.1")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key(RETRY_AFTER));
    assert!(response.text().await.unwrap().contains("Terlalu banyak laporan"));
}

#[tokio::test]
async fn oversized_bodies_and_fields_are_refused_and_nothing_is_stored() {
    let app = spawn().await;
    let huge = "a".repeat(70 * 1024);
    let (status, body) = report(&app, json!({"text": huge, "platform": "x"})).await;
    assert_problem(status, &body, 413, "payload-too-large");
    let response = app.request(Method::POST, "/lapor", None).form(&[("text", huge.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let too_long = "kata ".repeat(1001);
    for (body, field) in [
        (json!({"text": too_long, "platform": "x"}), "text"),
        (json!({"text": "a", "contact": format!("{}@example.id", "b".repeat(200)), "platform": "x"}), "contact"),
        (json!({"url": format!("https://x.example/{}", "a".repeat(2048)), "platform": "x"}), "url"),
        (json!({"text": "a", "platform": "myspace"}), "platform"),
        (json!({"text": "😱🙏", "platform": "x"}), "text"),
        (json!({"platform": "x"}), "text"),
    ] {
        let (status, problem) = report(&app, body).await;
        assert_problem(status, &problem, 422, "invalid");
        assert!(problem["detail"].as_str().unwrap().starts_with(field), "{field}: {problem}");
    }
    let (status, problem) = report(&app, json!({"text": "a", "platform": "x", "extra": 1})).await;
    assert_problem(status, &problem, 422, "invalid");
    assert_eq!(stored_reports(&app), 0);
    // Only links: the first is the report's link.
    let (status, receipt) =
        report(&app, json!({"text": "https://hoaks.example/a https://hoaks.example/b", "platform": "x"})).await;
    assert_eq!(status, 201, "{receipt}");
    let (_, detail) = app.call(Method::GET, "/api/v1/reports/1", Role::Analyst, None).await;
    assert_eq!(detail["url"], "https://hoaks.example/a");
}

#[tokio::test]
async fn contacts_are_erased_once_the_retention_period_is_over() {
    let app = spawn_with(|config| config.contact_erasure_interval = Duration::from_millis(50)).await;
    let (_, _) = report(&app, json!({"text": "Lama", "platform": "x", "contact": "budi@example.id"})).await;
    app.clock.advance(chrono::Duration::days(91));
    let (_, _) = report(&app, json!({"text": "Baru", "platform": "x", "contact": "+62 812 0000 1111"})).await;
    let mut erased = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if detail(&app, 1).await["contact_erased"] == true {
            erased = true;
            break;
        }
    }
    assert!(erased, "the job erased the old contact");
    let old = detail(&app, 1).await;
    assert_eq!((old["contact"].clone(), old["text"].as_str()), (Value::Null, Some("Lama")), "{old}");
    let recent = detail(&app, 2).await;
    assert_eq!(
        (recent["contact"].as_str(), recent["contact_erased"].as_bool()),
        (Some("+62 812 0000 1111"), Some(false))
    );
    let (_, trail) = app.call(Method::GET, "/api/v1/audit?limit=500", Role::Admin, None).await;
    let trail = trail.to_string();
    assert!(trail.contains("report.erase_contacts") && !trail.contains("budi"), "{trail}");
}
