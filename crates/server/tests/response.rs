//! The response over HTTP with a real store: takedown requests from verdict to overdue, the liaison's
//! view, letters and the transparency log; clarifications from draft to correction, their public
//! pages, ClaimReview, feeds and search; script in every text field inert everywhere; refusals as
//! problem documents with nothing stored.

mod harness;

use chrono::Duration;
use harness::{read, spawn, spawn_with, TestApp};
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde_json::{json, Value};
use tangkal_cases::{Role, Status, Urgency};
use tangkal_store::{ItemRecord, SourceRef};

const URL_A: &str = "https://www.tiktok.com/@penyebar/video/7301";
const URL_B: &str = "https://www.tiktok.com/@penyebar/video/7302";
const SCRIPT: &str = "<script>alert(1)</script>";

/// A server showing takedown requests publicly at once, whose store holds two TikTok posts (item ids 1
/// and 2, the ones the harness's cases point at).
async fn desk() -> TestApp {
    let app = spawn_with(|config| config.response.transparency.delay_days = 0).await;
    let items: Vec<tangkal_model::Item> = [(URL_A, "7301", "01"), (URL_B, "7302", "02")]
        .iter()
        .map(|(url, id, day)| {
            let line = json!({
                "id": id, "platform": "tiktok", "url": url,
                "text": "Ribuan surat suara sudah tercoblos di gudang KPU",
                "published_at": format!("2026-03-{day}T05:00:00Z"),
            });
            tangkal_model::parse_json_item(line.to_string().as_bytes(), 1 << 20).unwrap()
        })
        .collect();
    let records: Vec<ItemRecord<'_>> =
        items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
    let source = SourceRef { kind: "file".into(), location: "posts.jsonl".into() };
    app.with_store(|s| s.write_items(&source, &records)).unwrap();
    app
}

async fn get_text(app: &TestApp, path: &str, as_role: Option<Role>) -> (u16, String, String) {
    let response = app.request(Method::GET, path, as_role.map(|r| app.user(r))).send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

fn assert_problem(status: u16, body: &Value, want_status: u16, want_type: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["type"], format!("/problems/{want_type}"), "{body}");
    assert_eq!(body["status"], want_status, "{body}");
}

#[tokio::test]
async fn a_takedown_runs_from_verdict_to_liaison_outcomes_and_overdue() {
    let app = desk().await;
    let id = app.open_case("Surat suara tercoblos di gudang", Urgency::Normal);
    let path = format!("/api/v1/cases/{id}/takedowns");

    // Nothing is taken down before a verdict is approved.
    app.advance(id, Status::VerdictProposed);
    let (status, body) = app.call(Method::POST, &path, Role::Communicator, Some(json!({"platform": "tiktok"}))).await;
    assert_problem(status, &body, 409, "conflict");
    let review = format!("/api/v1/cases/{id}/verdict/review");
    let (status, body) = app.call(Method::POST, &review, Role::Reviewer, Some(json!({"approve": true}))).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = app.call(Method::POST, &path, Role::Reviewer, Some(json!({"platform": "tiktok"}))).await;
    assert_problem(status, &body, 403, "forbidden");
    let (status, body) = app.call(Method::POST, &path, Role::Communicator, Some(json!({"platform": "myspace"}))).await;
    assert_problem(status, &body, 422, "invalid");
    assert!(body["detail"].as_str().unwrap().starts_with("platform must be one of x, facebook"), "{body}");

    // Without URLs, the request lists the case's posts on the platform.
    let (status, sent) = app.call(Method::POST, &path, Role::Communicator, Some(json!({"platform": "TikTok"}))).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["reference"], "TKL/2026/03/000001");
    assert_eq!(sent["platform"], "tiktok");
    assert_eq!(sent["due_at"], "2026-03-03T01:00:00Z");
    assert_eq!(sent["state"], "open");
    let urls: Vec<&str> = sent["urls"].as_array().unwrap().iter().map(|u| u["url"].as_str().unwrap()).collect();
    assert_eq!(urls, [URL_A, URL_B]);
    assert!(sent["urls"].as_array().unwrap().iter().all(|u| u["status"] == "pending"));
    let takedown = sent["id"].as_i64().unwrap();

    let (status, body) = app.call(Method::POST, &path, Role::Analyst, Some(json!({"platform": "tiktok"}))).await;
    assert_problem(status, &body, 409, "duplicate");
    assert!(body["detail"].as_str().unwrap().contains("TKL/2026/03/000001"), "{body}");

    // Another platform's request, urgent: 4 hours.
    let youtube = json!({"platform": "youtube", "urls": ["https://youtu.be/abc"], "urgency": "urgent"});
    let (status, other) = app.call(Method::POST, &path, Role::Analyst, Some(youtube)).await;
    assert_eq!((status, other["due_at"].as_str()), (201, Some("2026-03-02T05:00:00Z")), "{other}");
    let other_id = other["id"].as_i64().unwrap();

    // The TikTok liaison sees TikTok's request only; YouTube's does not exist for them.
    let (status, list) = app.call(Method::GET, "/api/v1/takedowns?platform=youtube", Role::PlatformLiaison, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["takedowns"][0]["id"], takedown);
    for path in [format!("/api/v1/takedowns/{other_id}"), format!("/api/v1/takedowns/{other_id}/letter")] {
        let (status, body) = app.call(Method::GET, &path, Role::PlatformLiaison, None).await;
        assert_problem(status, &body, 404, "not-found");
    }
    let answer = json!([{"url": "https://youtu.be/abc", "status": "removed"}]);
    let (status, body) = app
        .call(Method::POST, &format!("/api/v1/takedowns/{other_id}/outcomes"), Role::PlatformLiaison, Some(answer))
        .await;
    assert_problem(status, &body, 404, "not-found");
    let (_, list) = app.call(Method::GET, "/api/v1/takedowns", Role::Analyst, None).await;
    assert_eq!(list["total"], 2);

    // The liaison answers for one URL after two hours.
    let outcomes = format!("/api/v1/takedowns/{takedown}/outcomes");
    app.clock.advance(Duration::hours(2));
    let (status, body) = app
        .call(Method::POST, &outcomes, Role::PlatformLiaison, Some(json!([{"url": URL_A, "status": "removed"}])))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["urls"][0]["status"].as_str(), body["state"].as_str()), (Some("removed"), Some("open")));
    assert_eq!(body["urls"][0]["complied_at"], "2026-03-02T03:00:00Z");
    let (status, body) = app
        .call(Method::POST, &outcomes, Role::PlatformLiaison, Some(json!([{"url": URL_B, "status": "rejected"}])))
        .await;
    assert_problem(status, &body, 422, "invalid");

    // A day later the other URL is still pending: overdue, in the list and in the metrics.
    app.clock.advance(Duration::hours(23));
    let (_, body) = app.call(Method::GET, &format!("/api/v1/takedowns/{takedown}"), Role::Analyst, None).await;
    assert_eq!(body["state"], "overdue", "{body}");
    let (_, overdue) = app.call(Method::GET, "/api/v1/takedowns?state=overdue", Role::Analyst, None).await;
    let ids: Vec<i64> = overdue["takedowns"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [other_id, takedown], "{overdue}");
    let (_, _, metrics) = get_text(&app, "/metrics", Some(Role::Admin)).await;
    assert!(metrics.contains("tangkal_takedowns_overdue 2"), "{metrics}");

    let rejection = json!([{"url": URL_B, "status": "rejected", "note": "Bukan pelanggaran kebijakan"}]);
    let (status, body) = app.call(Method::POST, &outcomes, Role::PlatformLiaison, Some(rejection)).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("partly")), "{body}");
    let (_, complied) =
        app.call(Method::GET, &format!("/api/v1/takedowns?case={id}&state=partly"), Role::Analyst, None).await;
    assert_eq!(complied["total"], 1);

    // The letter and its URL table.
    let letter = format!("/api/v1/takedowns/{takedown}/letter");
    let (status, kind, html) = get_text(&app, &letter, Some(Role::PlatformLiaison)).await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    for part in
        ["TKL/2026/03/000001", "tiktok", "Peraturan Pemerintah Nomor 71 Tahun 2019", URL_A, "03-03-2026 08:00 WIB"]
    {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert!(!html.contains("Dikirim ke"), "no addressee recorded yet");
    let contact = json!({"addressee": "PT Contoh Indonesia, Trust & Safety", "channel": "legal@contoh.co.id"});
    app.with_store(|s| s.put_setting("platform.tiktok", &contact, "admin", chrono::Utc::now())).unwrap();
    let (_, _, html) = get_text(&app, &letter, Some(Role::Communicator)).await;
    assert!(html.contains("PT Contoh Indonesia, Trust &#38; Safety (tiktok)") && html.contains("legal@contoh.co.id"));
    let (status, kind, csv) = get_text(&app, &format!("{letter}?format=csv"), Some(Role::Communicator)).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "reference,url,host,status,note,added_at,due_at,answered_at,complied_at");
    assert!(
        lines[2].starts_with(&format!("TKL/2026/03/000001,{URL_B},tiktok.com,rejected,Bukan pelanggaran")),
        "{csv}"
    );
    let (status, body) = app.call(Method::GET, &format!("{letter}?format=pdf"), Role::Communicator, None).await;
    assert_eq!((status, body["type"].as_str()), (400, Some("/problems/bad-request")), "{body}");

    // The transparency log shows hosts and counts, never the URLs or the platform's notes.
    let (status, log) = app.call(Method::GET, "/api/v1/transparency", Role::Partner, None).await;
    assert_eq!(status, 200, "{log}");
    let entry = log["entries"].as_array().unwrap().iter().find(|e| e["reference"] == "TKL/2026/03/000001").unwrap();
    assert_eq!(entry["hosts"], json!(["tiktok.com"]));
    assert_eq!((entry["url_count"].as_u64(), entry["outcomes"]["removed"].as_u64()), (Some(2), Some(1)));
    let figures = log["figures"].as_array().unwrap();
    let tiktok = figures.iter().find(|f| f["platform"] == "tiktok").unwrap();
    assert_eq!((tiktok["period"].as_str(), tiktok["complied"].as_u64()), (Some("2026-03"), Some(1)));
    assert_eq!(tiktok["median_seconds_to_comply"], 7200);
    let anonymous = app.client.get(format!("{}/transparansi", app.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let page = anonymous.text().await.unwrap();
    for text in [log.to_string(), page.clone()] {
        assert!(!text.contains("/@penyebar/") && !text.contains("youtu.be/abc"), "no URLs: {text}");
        assert!(!text.contains("pelanggaran kebijakan"), "no notes: {text}");
    }
    assert!(page.contains("TKL/2026/03/000001") && page.contains("lang=\"id\""), "{page}");
    assert!(page.contains("2 jam 0 mnt"), "the median time to comply: {page}");
    // Requests, and URLs complied with stacked on the rest, per platform: each chart with its table.
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 2, "{page}");
    let urls = "<th scope=\"row\">tiktok</th><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">2</td>";
    assert!(page.contains(urls), "1 URL complied with, 1 not, of 2 requested: {page}");
}

#[tokio::test]
async fn the_transparency_log_waits_its_delay() {
    let app = spawn().await;
    let id = app.open_case("Video lama diklaim baru", Urgency::Normal);
    app.advance(id, Status::VerdictApproved);
    let body = json!({"platform": "x", "urls": ["https://x.com/a/status/1"]});
    let (status, _) = app.call(Method::POST, &format!("/api/v1/cases/{id}/takedowns"), Role::Analyst, Some(body)).await;
    assert_eq!(status, 201);
    let (_, log) = app.call(Method::GET, "/api/v1/transparency", Role::Partner, None).await;
    assert_eq!((log["entries"].as_array().unwrap().len(), log["delay_days"].as_u64()), (0, Some(14)), "{log}");
    app.clock.advance(Duration::days(14));
    let (_, log) = app.call(Method::GET, "/api/v1/transparency", Role::Partner, None).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");
}

/// The JSON-LD blocks of a page, parsed.
fn json_ld(html: &str) -> Vec<Value> {
    let open = "<script type=\"application/ld+json\">";
    html.match_indices(open)
        .map(|(at, _)| {
            let rest = &html[at + open.len()..];
            serde_json::from_str(&rest[..rest.find("</script>").unwrap()]).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_clarification_goes_from_draft_to_published_to_corrected_with_its_claim_review() {
    let app = desk().await;
    let id = app.open_case("Ribuan surat suara sudah tercoblos", Urgency::Normal);
    let new = json!({
        "title": "Surat suara tercoblos di gudang KPU",
        "body_markdown": "Foto itu **lama**: diambil pada 2019.\n\nLihat [KPU](https://kpu.go.id/berita/1).",
        "sources": [{"title": "Siaran pers KPU", "url": "https://kpu.go.id/berita/1"}],
    });
    let create = format!("/api/v1/cases/{id}/clarifications");

    // Without an approved verdict there is nothing to clarify, and nothing is stored.
    let (status, body) = app.call(Method::POST, &create, Role::Communicator, Some(new.clone())).await;
    assert_problem(status, &body, 409, "conflict");
    let (_, list) = app.call(Method::GET, "/api/v1/clarifications", Role::Communicator, None).await;
    assert_eq!(list["total"], 0);
    app.advance(id, Status::VerdictApproved);
    let (status, body) = app.call(Method::POST, &create, Role::Analyst, Some(new.clone())).await;
    assert_problem(status, &body, 403, "forbidden");

    let (status, draft) = app.call(Method::POST, &create, Role::Communicator, Some(new.clone())).await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["title"], "[HOAKS] Surat suara tercoblos di gudang KPU");
    assert_eq!(
        (draft["slug"].as_str(), draft["status"].as_str()),
        (Some("surat-suara-tercoblos-di-gudang-kpu"), Some("draft"))
    );
    assert_eq!(draft["url"], Value::Null);
    assert!(draft["body_html"].as_str().unwrap().contains("<strong>lama</strong>"), "{draft}");
    let cid = draft["id"].as_i64().unwrap();
    let (status, _, _) = get_text(&app, "/cek-fakta/surat-suara-tercoblos-di-gudang-kpu", None).await;
    assert_eq!(status, 404, "a draft is not public");

    // Edited while a draft; the address follows the title.
    let mut edited = new.clone();
    edited["title"] = json!("[BENAR] Ribuan surat suara tercoblos di gudang");
    let (status, draft) =
        app.call(Method::PUT, &format!("/api/v1/clarifications/{cid}"), Role::Communicator, Some(edited)).await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(
        draft["title"], "[HOAKS] Ribuan surat suara tercoblos di gudang",
        "the verdict's label, not the writer's"
    );
    let slug = draft["slug"].as_str().unwrap().to_string();
    assert_eq!(slug, "ribuan-surat-suara-tercoblos-di-gudang");

    app.clock.advance(Duration::hours(1));
    let (status, published) =
        app.call(Method::POST, &format!("/api/v1/clarifications/{cid}/publish"), Role::Communicator, None).await;
    assert_eq!(status, 200, "{published}");
    let page_url = format!("http://localhost:8080/cek-fakta/{slug}");
    assert_eq!(published["url"], page_url.as_str());
    assert_eq!(published["published_at"], "2026-03-02T02:00:00Z");
    let (status, body) =
        app.call(Method::POST, &format!("/api/v1/clarifications/{cid}/publish"), Role::Communicator, None).await;
    assert_problem(status, &body, 409, "illegal-transition");
    let (status, body) =
        app.call(Method::PUT, &format!("/api/v1/clarifications/{cid}"), Role::Communicator, Some(new.clone())).await;
    assert_problem(status, &body, 409, "conflict");

    // It joins the fact-check database that claim matching reads.
    let factcheck_id = format!("tangkal:clarification:{cid}");
    let stored = app.with_store(|s| s.get_factcheck(&factcheck_id)).unwrap().expect("in the fact-check database");
    assert_eq!(stored.factcheck.title, "Ribuan surat suara tercoblos di gudang");
    assert_eq!(stored.factcheck.claim.as_deref(), Some("Ribuan surat suara sudah tercoblos"));
    assert_eq!(
        (stored.factcheck.rating.as_deref(), stored.factcheck.url.as_deref()),
        (Some("HOAKS"), Some(page_url.as_str()))
    );

    // The public page: Indonesian, server-rendered, exactly one ClaimReview that follows Google's rules.
    let response = app.client.get(format!("{}/cek-fakta/{slug}", app.base)).send().await.unwrap();
    // Nothing on the page runs: the JSON-LD block is data, which the policy does not govern.
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.starts_with("default-src 'none'") && !policy.contains("script-src"), "{policy}");
    let (status, kind, html) = get_text(&app, &format!("/cek-fakta/{slug}"), None).await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"id\">"), "{html}");
    // The label first, then the title without it.
    let label = html.find("<span class=\"tag huge false\">HOAKS</span>").expect("the label");
    let title = html.find("<h1>Ribuan surat suara tercoblos di gudang</h1>").expect("the title");
    assert!(label < title, "{html}");
    let blocks = json_ld(&html);
    assert_eq!(blocks.len(), 1, "{html}");
    assert_eq!(html.matches("<script").count(), 1, "no other script: {html}");
    let review = &blocks[0];
    assert_eq!(review["@context"], "https://schema.org");
    assert_eq!(review["@type"], "ClaimReview");
    assert_eq!(review["url"], page_url.as_str());
    assert_eq!(review["datePublished"], "2026-03-02T02:00:00Z");
    let claim = review["claimReviewed"].as_str().unwrap();
    assert_eq!(claim, "Ribuan surat suara sudah tercoblos");
    assert!(claim.chars().count() < 75 && !claim.to_lowercase().contains("hoaks"));
    assert_eq!(review["author"], json!({"@type": "Organization", "name": "Tangkal", "url": "http://localhost:8080"}));
    let rating = &review["reviewRating"];
    assert_eq!(
        (rating["@type"].as_str(), rating["alternateName"].as_str(), rating["ratingValue"].as_u64()),
        (Some("Rating"), Some("Hoaks"), Some(1))
    );
    assert_eq!((rating["bestRating"].as_u64(), rating["worstRating"].as_u64()), (Some(5), Some(1)));
    let item = &review["itemReviewed"];
    assert_eq!(item["@type"], "Claim");
    let seen: Vec<&str> = item["appearance"].as_array().unwrap().iter().map(|a| a["url"].as_str().unwrap()).collect();
    assert_eq!(seen, [URL_A, URL_B]);
    assert_eq!(
        item["firstAppearance"],
        json!({"@type": "CreativeWork", "url": URL_A, "datePublished": "2026-03-01T05:00:00Z"})
    );
    assert_eq!(review.get("dateModified"), None);

    // A correction after publishing: shown with its date and reason, the address unchanged.
    app.clock.advance(Duration::days(1));
    let fix = json!({"reason": "Tahun foto diperbaiki", "body_markdown": "Foto itu **lama**: diambil pada 2018."});
    let (status, corrected) = app
        .call(Method::POST, &format!("/api/v1/clarifications/{cid}/corrections"), Role::Communicator, Some(fix))
        .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["slug"], slug.as_str());
    assert_eq!(
        corrected["corrections"][0]["previous_body_markdown"],
        "Foto itu **lama**: diambil pada 2019.\n\nLihat [KPU](https://kpu.go.id/berita/1)."
    );
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/clarifications/{cid}/corrections"),
            Role::Communicator,
            Some(json!({"reason": " "})),
        )
        .await;
    assert_problem(status, &body, 422, "invalid");
    let (_, _, html) = get_text(&app, &format!("/cek-fakta/{slug}"), None).await;
    assert!(html.contains("Tahun foto diperbaiki") && html.contains("3 Mar 2026, 09.00 WIB"), "{html}");
    assert!(html.contains("diambil pada 2018") && !html.contains("diambil pada 2019"));
    assert_eq!(json_ld(&html)[0]["dateModified"], "2026-03-03T02:00:00Z");
    let stored = app.with_store(|s| s.get_factcheck(&factcheck_id)).unwrap().unwrap();
    assert_eq!(stored.version, 2, "the correction updates the same fact-check");
    assert!(stored.factcheck.explanation.unwrap().contains("diambil pada 2018"));

    // Listed, searchable with the matcher's analysis, in the Atom feed and in the partners' DataFeed.
    let (status, _, list) = get_text(&app, "/cek-fakta", None).await;
    assert!(status == 200 && list.contains(&format!("href=\"/cek-fakta/{slug}\"")), "{list}");
    let (_, _, found) = get_text(&app, "/cek-fakta?q=surat%20suaranya%20yg%20dicoblos", None).await;
    assert!(
        found.contains("1 hasil") && found.contains(&format!("/cek-fakta/{slug}")),
        "stems and informal spelling: {found}"
    );
    let (_, _, none) = get_text(&app, "/cek-fakta?q=vaksin%20berbahaya", None).await;
    assert!(none.contains("0 hasil") && !none.contains(&format!("/cek-fakta/{slug}")), "{none}");
    let (status, kind, atom) = get_text(&app, "/cek-fakta/feed.atom", None).await;
    assert_eq!((status, kind.as_str()), (200, "application/atom+xml; charset=utf-8"));
    assert!(atom.contains(&format!("<id>{page_url}</id>")) && atom.contains("[HOAKS] Ribuan surat suara"), "{atom}");
    let (status, feed) = app.call(Method::GET, "/api/v1/claimreviews", Role::Partner, None).await;
    assert_eq!(status, 200, "{feed}");
    assert_eq!(feed["@type"], "DataFeed");
    let element = &feed["dataFeedElement"][0];
    assert_eq!(
        (element["dateCreated"].as_str(), element["dateModified"].as_str()),
        (Some("2026-03-02T02:00:00Z"), Some("2026-03-03T02:00:00Z"))
    );
    assert_eq!(element["item"][0], *review_with_modified(review, "2026-03-03T02:00:00Z"));
    let (_, later) =
        app.call(Method::GET, "/api/v1/claimreviews?since=2026-03-03T02:00:01Z", Role::Partner, None).await;
    assert_eq!(later["dataFeedElement"], json!([]), "{later}");
    let (_, since) =
        app.call(Method::GET, "/api/v1/claimreviews?since=2026-03-03T00:00:00Z", Role::Partner, None).await;
    assert_eq!(since["dataFeedElement"].as_array().unwrap().len(), 1);
    let (status, body) = app.call(Method::GET, "/api/v1/claimreviews?since=kemarin", Role::Partner, None).await;
    assert_problem(status, &body, 400, "bad-request");
}

fn review_with_modified(review: &Value, modified: &str) -> Box<Value> {
    let mut review = review.clone();
    review["dateModified"] = json!(modified);
    Box::new(review)
}

#[tokio::test]
async fn script_in_every_text_field_stays_inert_on_every_page_and_feed() {
    let app = desk().await;
    let id = app.open_case(&format!("Klaim surat suara {SCRIPT}"), Urgency::Normal);
    app.advance(id, Status::VerdictApproved);
    let new = json!({
        "title": format!("Surat suara {SCRIPT}"),
        "body_markdown": format!("Teks {SCRIPT} dan <img src=x onerror=alert(2)> dan [tautan](javascript:alert(3))"),
        "sources": [{"title": SCRIPT, "url": "https://kpu.go.id/?q=<script>"}],
        "claim": format!("Surat suara {SCRIPT}"),
    });
    let (status, draft) =
        app.call(Method::POST, &format!("/api/v1/cases/{id}/clarifications"), Role::Communicator, Some(new)).await;
    assert_eq!(status, 201, "{draft}");
    let cid = draft["id"].as_i64().unwrap();
    app.call(Method::POST, &format!("/api/v1/clarifications/{cid}/publish"), Role::Communicator, None).await;
    let fix = json!({
        "reason": SCRIPT,
        "title": format!("Surat suara {SCRIPT} diperbaiki"),
        "body_markdown": format!("Koreksi {SCRIPT} <iframe src=x></iframe>"),
        "sources": [{"title": format!("KPU {SCRIPT}"), "url": "https://kpu.go.id/?a=\"><script>"}],
    });
    let (status, published) = app
        .call(Method::POST, &format!("/api/v1/clarifications/{cid}/corrections"), Role::Communicator, Some(fix))
        .await;
    assert_eq!(status, 200, "{published}");
    // A second clarification whose claim comes from the case's title.
    let untitled = json!({"title": format!("Kotak suara {SCRIPT}"), "body_markdown": "Teks."});
    let (status, second) =
        app.call(Method::POST, &format!("/api/v1/cases/{id}/clarifications"), Role::Communicator, Some(untitled)).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["claim"], format!("Klaim surat suara {SCRIPT}"));
    let second_id = second["id"].as_i64().unwrap();
    app.call(Method::POST, &format!("/api/v1/clarifications/{second_id}/publish"), Role::Communicator, None).await;
    let takedown = json!({"platform": "tiktok", "legal_basis": format!("Pasal {SCRIPT}")});
    let (status, sent) =
        app.call(Method::POST, &format!("/api/v1/cases/{id}/takedowns"), Role::Communicator, Some(takedown)).await;
    assert_eq!(status, 201, "{sent}");
    let tid = sent["id"].as_i64().unwrap();
    let answer = json!([{"url": URL_A, "status": "rejected", "note": SCRIPT}]);
    app.call(Method::POST, &format!("/api/v1/takedowns/{tid}/outcomes"), Role::PlatformLiaison, Some(answer)).await;

    let slug = published["slug"].as_str().unwrap();
    let pages = [
        format!("/cek-fakta/{slug}"),
        format!("/cek-fakta/{}", second["slug"].as_str().unwrap()),
        "/cek-fakta".to_string(),
        "/cek-fakta?q=surat%20suara".to_string(),
        format!("/cek-fakta?q={}", "%3Cscript%3Ealert(1)%3C%2Fscript%3E%20surat"),
        "/cek-fakta/feed.atom".to_string(),
        "/transparansi".to_string(),
        format!("/api/v1/takedowns/{tid}/letter"),
    ];
    for page in pages {
        let (status, _, text) = get_text(&app, &page, Some(Role::Communicator)).await;
        assert_eq!(status, 200, "{page}: {text}");
        let lower = text.to_lowercase();
        assert!(!lower.contains("<script>"), "{page}: {text}");
        assert!(
            !lower.contains("<img") && !lower.contains("<iframe") && !lower.contains("javascript:"),
            "{page}: {text}"
        );
        assert_eq!(
            lower.matches("<script").count(),
            usize::from(page.starts_with("/cek-fakta/") && !page.ends_with(".atom")),
            "{page}"
        );
    }
    // The JSON documents carry the text as it was written, as JSON, which no browser runs.
    for path in ["/api/v1/transparency", "/api/v1/claimreviews"] {
        let (status, kind, _) = get_text(&app, path, Some(Role::Partner)).await;
        assert_eq!((status, kind.as_str()), (200, "application/json"), "{path}");
    }
    let (_, _, html) = get_text(&app, &format!("/cek-fakta/{slug}"), None).await;
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"),
        "shown as text: {html}"
    );
    assert_eq!(
        json_ld(&html)[0]["claimReviewed"],
        format!("Surat suara {SCRIPT}"),
        "the data block reads back exactly"
    );
}

#[tokio::test]
async fn refusals_are_problem_documents_and_store_nothing() {
    let app = desk().await;
    let id = app.open_case("Video banjir lama", Urgency::Normal);
    app.advance(id, Status::VerdictApproved);
    let path = format!("/api/v1/cases/{id}/takedowns");
    let huge = json!({"platform": "tiktok", "urls": [format!("https://tiktok.com/{}", "a".repeat(3 << 20))]});
    let response =
        app.request(Method::POST, &path, Some(app.user(Role::Communicator))).json(&huge).send().await.unwrap();
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    let (status, body) = read(response).await;
    assert_eq!(status, 413, "{body}");
    let too_many: Vec<String> = (0..1001).map(|n| format!("https://tiktok.com/v/{n}")).collect();
    let (status, body) =
        app.call(Method::POST, &path, Role::Communicator, Some(json!({"platform": "tiktok", "urls": too_many}))).await;
    assert_problem(status, &body, 422, "invalid");
    let (status, body) =
        app.call(Method::POST, &path, Role::Communicator, Some(json!({"platform": "tiktok", "url": [URL_A]}))).await;
    assert!(matches!(status, 400 | 422), "unknown field: {status} {body}");
    let (status, body) =
        app.call(Method::POST, "/api/v1/cases/999/takedowns", Role::Communicator, Some(json!({"platform": "x"}))).await;
    assert_problem(status, &body, 404, "not-found");
    let (_, list) = app.call(Method::GET, "/api/v1/takedowns", Role::Admin, None).await;
    assert_eq!(list["total"], 0, "nothing half-stored: {list}");
    let (status, body) = app.call(Method::GET, "/api/v1/takedowns?platform=myspace", Role::Admin, None).await;
    assert_problem(status, &body, 400, "bad-request");
    assert!(body["detail"].as_str().unwrap().starts_with("platform must be one of"), "{body}");
    let (status, _) = app.call(Method::GET, "/api/v1/takedowns?platform=whatsapp-channel", Role::Admin, None).await;
    assert_eq!(status, 200);
    let (status, body) = app.call(Method::POST, "/api/v1/clarifications/999/publish", Role::Communicator, None).await;
    assert_problem(status, &body, 404, "not-found");
    let (status, _, _) = get_text(&app, "/cek-fakta/tidak-ada", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_response_endpoint_is_in_the_api_document_with_resolvable_schemas() {
    let app = spawn().await;
    let (status, doc) = app.call(Method::GET, "/api/v1/openapi.json", Role::Partner, None).await;
    assert_eq!(status, 200);
    for route in tangkal_server::route_table() {
        // The API's routes; the desk's HTML forms for the same actions are pages, not API.
        let is_response = route.path.starts_with("/api/")
            && ["takedown", "clarification", "claimreview", "transparency"].iter().any(|w| route.path.contains(w));
        if is_response {
            let method = route.method.as_str().to_lowercase();
            assert!(doc["paths"][route.path][&method].is_object(), "{} {} is not documented", route.method, route.path);
        }
    }
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                out.extend(map.get("$ref").and_then(Value::as_str));
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    for reference in found {
        let name = reference.strip_prefix("#/components/schemas/").expect("a schema reference");
        assert!(doc["components"]["schemas"][name].is_object(), "{reference} does not resolve");
    }
}

/// The takedown and clarification request schemas of the API document, held against the response rules
/// themselves: whatever body the document allows is taken (never 422), and the text fields are refused by
/// the document exactly when the rules refuse them. Refusals that depend on what is stored (409) are no
/// refusal of the body's shape.
mod api_document {
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use tangkal_cases::{Actor, Case, Change, NewCase, Role, Status, UserRef};
    use tangkal_response::clarification::{
        Clarification, ClarificationChange, CorrectionInput, NewClarification, MAX_BODY_CHARS, MAX_CLAIM_CHARS,
        MAX_SOURCES, MAX_TITLE_CHARS,
    };
    use tangkal_response::takedown::{NewTakedown, Outcome, TakedownConfig, TakedownRequest, MAX_URLS};
    use tangkal_response::ResponseError;
    use tangkal_server::ServerConfig;

    use super::harness::{draft, t0};

    const LINK: &str = "https://kpu.go.id/berita/1";

    fn actor(id: i64, role: Role) -> Actor {
        let platform = (role == Role::PlatformLiaison).then(|| "tiktok".to_string());
        Actor::new(UserRef { id, name: format!("u{id}") }, role, platform)
    }

    /// A case with an approved HOAKS verdict, a published clarification of it and a takedown request.
    struct Desk {
        case: Case,
        published: Clarification,
        request: TakedownRequest,
        validators: std::collections::HashMap<&'static str, jsonschema::Validator>,
    }

    /// Built once: the document and its validators take a while in a test build.
    fn desk() -> &'static Desk {
        static DESK: std::sync::LazyLock<Desk> = std::sync::LazyLock::new(build);
        &DESK
    }

    fn build() -> Desk {
        let mut case =
            Case::open(&NewCase { title: "Surat suara tercoblos".into(), ..NewCase::default() }, "t", t0()).unwrap();
        let (analyst, reviewer) = (actor(1, Role::Analyst), actor(2, Role::Reviewer));
        for to in [Status::Triage, Status::Investigating] {
            case.apply(Change::Move { to, reason: None }, &analyst, t0()).unwrap();
        }
        case.apply(Change::ProposeVerdict(draft()), &analyst, t0()).unwrap();
        case.apply(Change::ReviewVerdict { approve: true, note: None }, &reviewer, t0()).unwrap();
        let new = NewClarification { title: "Surat suara".into(), body_markdown: "Lama.".into(), ..Default::default() };
        let mut published = Clarification::draft(&case, &new, &actor(3, Role::Communicator), t0()).unwrap();
        published.apply(ClarificationChange::Publish, &case, &actor(3, Role::Communicator), t0()).unwrap();
        let request = TakedownRequest::prepare(
            &case,
            &NewTakedown { platform: "tiktok".into(), urls: Some(vec![super::URL_A.into()]), ..Default::default() },
            &[],
            &TakedownConfig::default(),
            &actor(3, Role::Communicator),
            t0(),
        )
        .unwrap();
        let doc = tangkal_server::openapi_document(&ServerConfig::new("unused".into()));
        let outcomes = doc["paths"]["/api/v1/takedowns/{id}/outcomes"]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]
            .clone();
        let mut validators = std::collections::HashMap::new();
        for name in ["NewClarification", "CorrectionInput", "NewTakedown", "AddUrls", "Outcomes"] {
            let mut root = match name {
                "Outcomes" => outcomes.clone(),
                _ => json!({ "$ref": format!("#/components/schemas/{name}") }),
            };
            root["components"] = doc["components"].clone();
            validators.insert(name, jsonschema::draft202012::new(&root).unwrap());
        }
        Desk { case, published, request, validators }
    }

    /// Whether the rules take the body's shape: a refusal for the state of things (409) is not about it.
    fn shape_taken<T>(result: Result<T, ResponseError>) -> bool {
        !matches!(result, Err(ResponseError::Invalid { .. }))
    }

    impl Desk {
        fn allowed(&self, schema: &str, body: &Value) -> bool {
            self.validators[schema].is_valid(body)
        }

        /// The document's verdict and the rules' on `body` for `schema`.
        fn judge(&self, schema: &str, body: &Value) -> (bool, bool) {
            let communicator = actor(3, Role::Communicator);
            let taken = match schema {
                "NewClarification" => match serde_json::from_value::<NewClarification>(body.clone()) {
                    Ok(new) => shape_taken(Clarification::draft(&self.case, &new, &communicator, t0())),
                    Err(_) => false,
                },
                "CorrectionInput" => match serde_json::from_value::<CorrectionInput>(body.clone()) {
                    Ok(input) => shape_taken(self.published.clone().apply(
                        ClarificationChange::Correct(input),
                        &self.case,
                        &communicator,
                        t0(),
                    )),
                    Err(_) => false,
                },
                "NewTakedown" => match serde_json::from_value::<NewTakedown>(body.clone()) {
                    Ok(new) => {
                        let config = TakedownConfig::default();
                        let case_urls = [super::URL_B.to_string()];
                        shape_taken(TakedownRequest::prepare(
                            &self.case,
                            &new,
                            &case_urls,
                            &config,
                            &communicator,
                            t0(),
                        ))
                    }
                    Err(_) => false,
                },
                "AddUrls" => match body["urls"].as_array() {
                    Some(_) => {
                        let urls: Vec<String> = serde_json::from_value(body["urls"].clone()).unwrap_or_default();
                        shape_taken(self.request.clone().add_urls(&urls, &communicator, t0()))
                    }
                    None => false,
                },
                "Outcomes" => match serde_json::from_value::<Vec<Outcome>>(body.clone()) {
                    Ok(outcomes) => shape_taken(self.request.clone().record_outcomes(
                        &outcomes,
                        &actor(4, Role::PlatformLiaison),
                        t0(),
                    )),
                    Err(_) => false,
                },
                other => panic!("{other}"),
            };
            (self.allowed(schema, body), taken)
        }

        /// Whatever the document allows, the rules take.
        fn check_allowed_is_taken(&self, schema: &str, body: Value) {
            let (allowed, taken) = self.judge(schema, &body);
            assert!(!allowed || taken, "{schema} allows but the rules refuse: {body}");
        }

        fn check_exact(&self, schema: &str, body: Value) {
            let (allowed, taken) = self.judge(schema, &body);
            assert_eq!(allowed, taken, "{schema}: document allows {allowed}, rules take {taken}: {body}");
        }
    }

    fn clarification(field: &str, value: Value) -> Value {
        let mut body =
            json!({"title": "Surat suara", "body_markdown": "Lama.", "sources": [{"title": "KPU", "url": LINK}]});
        body[field] = value;
        body
    }

    #[test]
    fn lists_platforms_statuses_and_sizes_as_the_rules_do() {
        let desk = desk();
        let urls = |n: usize| json!((0..n).map(|i| format!("https://tiktok.com/v/{i}")).collect::<Vec<_>>());
        for (body, _) in [
            (json!({"platform": "tiktok"}), true),
            (json!({"platform": "web-hosting", "urls": urls(1), "urgency": "urgent"}), true),
            (json!({"platform": "myspace"}), false),
            (json!({"platform": "tiktok", "urls": []}), false),
            (json!({"platform": "tiktok", "urls": urls(MAX_URLS)}), true),
            (json!({"platform": "tiktok", "urls": urls(MAX_URLS + 1)}), false),
            (json!({"platform": "tiktok", "urgency": "soon"}), false),
            (json!({"platform": "tiktok", "legal_basis": " \n "}), false),
        ] {
            desk.check_exact("NewTakedown", body);
        }
        desk.check_exact("AddUrls", json!({"urls": []}));
        desk.check_exact("AddUrls", json!({"urls": urls(MAX_URLS)}));
        desk.check_exact("AddUrls", json!({"urls": urls(MAX_URLS + 1)}));
        let answer = |status: &str, note: Value| json!([{"url": super::URL_A, "status": status, "note": note}]);
        for body in [
            answer("removed", Value::Null),
            answer("restricted", json!("geo")),
            answer("not_found", json!("")),
            answer("rejected", json!("bukan pelanggaran")),
            answer("rejected", Value::Null),
            answer("rejected", json!(" \t")),
            answer("pending", Value::Null),
            answer("gone", Value::Null),
            json!([]),
        ] {
            desk.check_exact("Outcomes", body);
        }
        let many: Vec<Value> = (0..=MAX_URLS).map(|_| json!({"url": super::URL_A, "status": "removed"})).collect();
        desk.check_exact("Outcomes", json!(many));
        let sources = |n: usize| json!((0..n).map(|_| json!({"title": "KPU", "url": LINK})).collect::<Vec<_>>());
        desk.check_exact("NewClarification", clarification("sources", sources(MAX_SOURCES)));
        desk.check_exact("NewClarification", clarification("sources", sources(MAX_SOURCES + 1)));
        for (field, max) in [("title", MAX_TITLE_CHARS), ("body_markdown", MAX_BODY_CHARS), ("claim", MAX_CLAIM_CHARS)]
        {
            desk.check_exact("NewClarification", clarification(field, json!("a".repeat(max))));
            desk.check_exact("NewClarification", clarification(field, json!("a".repeat(max + 1))));
        }
        desk.check_exact("CorrectionInput", json!({"reason": "Tahun", "title": null, "sources": null}));
        desk.check_exact("CorrectionInput", json!({"reason": "Tahun", "title": "[HOAKS]"}));
        for claim in ["Hoaks surat suara", "surat (HOAX)", "vaksin_hoaks", "hoaks1 suara", "Vaksin benar-benar aman"] {
            desk.check_exact("NewClarification", clarification("claim", json!(claim)));
        }
    }

    /// Characters that text checks treat differently: white space of several kinds, line breaks, control
    /// characters, brackets (labels), and plain letters.
    const ALPHABET: &[char] = &[
        'a', 'Z', 'é', '1', ' ', '\u{a0}', '\u{2003}', '\t', '\n', '\r', '\u{0}', '\u{7}', '\u{b}', '\u{1b}', '\u{7f}',
        '\u{9f}', '[', ']', '-', '.',
    ];

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ALPHABET), 0..10).prop_map(|cs| cs.into_iter().collect())
    }

    fn link() -> impl Strategy<Value = String> {
        let scheme = proptest::sample::select(vec!["http://", "https://", "HTTPS://", "ftp://", "", "javascript:"]);
        let host = proptest::sample::select(vec![
            "a",
            "kpu.go.id",
            "x1",
            "1",
            "0x1f",
            "1.2.3.4.5",
            "a-b.c",
            "-a",
            "xn--a",
            "a..b",
            "ü.id",
            "",
            "[::1]",
            "a_b",
        ]);
        let port = proptest::sample::select(vec!["", ":80", ":8080", ":99999", ":"]);
        let rest = proptest::sample::select(vec!["", "/", "/a b", "/ü", "?q=<x>", "#f", "/%zz", "/\\x", "/a\"b"]);
        (scheme, host, port, rest).prop_map(|(s, h, p, r)| format!("{s}{h}{p}{r}"))
    }

    proptest! {

        #[test]
        fn text_fields_are_refused_by_the_document_exactly_when_by_the_rules(s in text()) {
            let desk = desk();
            desk.check_exact("NewClarification", clarification("title", json!(s)));
            desk.check_exact("NewClarification", clarification("body_markdown", json!(s)));
            desk.check_exact("NewClarification", clarification("sources", json!([{"title": s, "url": LINK}])));
            desk.check_exact("CorrectionInput", json!({"reason": s}));
            desk.check_exact("CorrectionInput", json!({"reason": "Tahun", "title": s, "body_markdown": s}));
            desk.check_exact("NewTakedown", json!({"platform": "tiktok", "legal_basis": s}));
            desk.check_exact("Outcomes", json!([{"url": super::URL_A, "status": "rejected", "note": s}]));
            desk.check_exact("Outcomes", json!([{"url": super::URL_A, "status": "removed", "note": s}]));
            // Claims: the document also refuses a rating word inside a leading label, which the rules drop.
            desk.check_allowed_is_taken("NewClarification", clarification("claim", json!(s)));
        }

        #[test]
        fn every_link_the_document_allows_is_taken(url in link()) {
            let desk = desk();
            desk.check_allowed_is_taken("NewClarification", clarification("sources", json!([{"title": "KPU", "url": url}])));
            desk.check_allowed_is_taken("NewTakedown", json!({"platform": "tiktok", "urls": [url]}));
            desk.check_allowed_is_taken("AddUrls", json!({"urls": [url]}));
            desk.check_allowed_is_taken("Outcomes", json!([{"url": url, "status": "removed"}]));
        }
    }
}
