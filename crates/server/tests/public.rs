//! The public side under load-bearing rules, against the real server: the search index follows publication
//! and corrections (also those written by another process), public pages revalidate with 304, pages past
//! the last are 404, and every public route charges the client's network budget (429 with
//! `Retry-After`), with bounded memory.
//!
//! Clients bind distinct loopback addresses (127.0.0.0/8) to stand for distinct networks.

mod harness;

use std::net::{IpAddr, Ipv4Addr};

use chrono::Duration;
use harness::{read, spawn, spawn_with, TestApp};
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::{Client, Method};
use serde_json::{json, Value};
use tangkal_cases::{Clock, Role, Status, Urgency};
use tangkal_response::clarification::{Clarification, ClarificationChange, NewClarification};
use tangkal_server::throttle::Budget;
use tangkal_server::RouteSpec;

fn from(a: u8, b: u8) -> Client {
    let redirects = reqwest::redirect::Policy::none();
    Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, a, b))).redirect(redirects).build().unwrap()
}

/// Publishes a clarification over HTTP for a new case with an approved verdict; returns its id and slug.
async fn publish(app: &TestApp, title: &str, body: &str) -> (i64, String) {
    publish_on(app, title, body, None).await
}

/// Publishes as [`publish`] does, with a topic.
async fn publish_on(app: &TestApp, title: &str, body: &str, topic: Option<&str>) -> (i64, String) {
    let case = app.open_case(title, Urgency::Normal);
    app.advance(case, Status::VerdictApproved);
    let new = json!({"title": title, "body_markdown": body, "sources": [], "topic": topic});
    let (status, draft) =
        app.call(Method::POST, &format!("/api/v1/cases/{case}/clarifications"), Role::Communicator, Some(new)).await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    let (status, published) =
        app.call(Method::POST, &format!("/api/v1/clarifications/{id}/publish"), Role::Communicator, None).await;
    assert_eq!(status, 200, "{published}");
    (id, published["slug"].as_str().unwrap().to_string())
}

/// The number of results the list page reports for `query`, and the page.
async fn search(app: &TestApp, query: &str) -> (u64, String) {
    let response = app.client.get(format!("{}/cek-fakta", app.base)).query(&[("q", query)]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let count = html.split(" hasil untuk").next().and_then(|head| head.rsplit('>').next()).unwrap();
    (count.parse().unwrap_or_else(|_| panic!("no count in {html}")), html)
}

#[tokio::test]
async fn a_published_clarification_is_searchable_at_once_and_a_correction_re_indexes_it() {
    let app = spawn().await;
    assert_eq!(search(&app, "banjir bandang").await.0, 0);
    let case = app.open_case("Video banjir bandang di Bogor", Urgency::Normal);
    app.advance(case, Status::VerdictApproved);
    let new = json!({"title": "Video banjir bandang di Bogor", "body_markdown": "Video itu direkam di Sumedang."});
    let (status, draft) =
        app.call(Method::POST, &format!("/api/v1/cases/{case}/clarifications"), Role::Communicator, Some(new)).await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(search(&app, "banjir bandang").await.0, 0, "a draft is not public");

    app.call(Method::POST, &format!("/api/v1/clarifications/{id}/publish"), Role::Communicator, None).await;
    let (found, html) = search(&app, "banjirnya bandang bgt").await;
    assert_eq!(found, 1, "stems and informal spelling: {html}");
    assert!(html.contains(&format!("/cek-fakta/{}", draft["slug"].as_str().unwrap())));
    assert_eq!(search(&app, "sumedang").await.0, 1);

    app.clock.advance(Duration::hours(1));
    let fix = json!({"reason": "Lokasi diperbaiki", "title": "Video longsor di Garut", "body_markdown": "Longsor, bukan banjir bandang."});
    let (status, body) = app
        .call(Method::POST, &format!("/api/v1/clarifications/{id}/corrections"), Role::Communicator, Some(fix))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(search(&app, "sumedang").await.0, 0, "the old body is no longer searched");
    assert_eq!(search(&app, "longsor garut").await.0, 1);

    // Another process (the CLI, a second server) publishes through the store: the next search sees it.
    let case = app.open_case("Gempa susulan di Cianjur", Urgency::Normal);
    app.advance(case, Status::VerdictApproved);
    let communicator = app.user(Role::Communicator).actor();
    let now = app.clock.now();
    app.with_store(|store| {
        let stored = store.case(case).unwrap().unwrap();
        let new = NewClarification {
            title: "Gempa susulan besar di Cianjur".into(),
            body_markdown: "Tidak ada peringatan resmi.".into(),
            ..NewClarification::default()
        };
        let draft = Clarification::draft(&stored, &new, &communicator, now).unwrap();
        let draft = store.create_clarification(&draft).unwrap();
        store.update_clarification(draft.id, ClarificationChange::Publish, &communicator, now).unwrap();
    });
    assert_eq!(search(&app, "gempa cianjur").await.0, 1);
    assert_eq!(search(&app, "video").await.0, 1, "the corrected one keeps its other words");
}

async fn get(app: &TestApp, path: &str, headers: &[(reqwest::header::HeaderName, String)]) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn public_pages_are_cacheable_and_revalidate_with_304() {
    let app = spawn_with(|config| config.response.transparency.delay_days = 0).await;
    let (id, slug) = publish(&app, "Surat suara tercoblos di gudang", "Foto itu **lama**.").await;
    let pages = [
        ("/cek-fakta".to_string(), true),
        ("/cek-fakta?q=surat%20suara".to_string(), true),
        (format!("/cek-fakta/{slug}"), true),
        ("/cek-fakta/feed.atom".to_string(), true),
        ("/transparansi".to_string(), false),
        ("/api/v1/transparency".to_string(), false),
    ];
    let mut validators = Vec::new();
    for (path, dated) in &pages {
        let first = get(&app, path, &[]).await;
        assert_eq!(first.status(), 200, "{path}");
        assert_eq!(header(&first, CACHE_CONTROL).as_deref(), Some("public, max-age=60"), "{path}");
        let tag = header(&first, ETAG).unwrap_or_else(|| panic!("{path} has no ETag"));
        let modified = header(&first, LAST_MODIFIED);
        assert_eq!(modified.is_some(), *dated, "{path}: {modified:?}");

        let again = get(&app, path, &[(IF_NONE_MATCH, tag.clone())]).await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, ETAG).as_deref(), Some(tag.as_str()));
        assert!(again.bytes().await.unwrap().is_empty());
        if let Some(modified) = &modified {
            let since = get(&app, path, &[(IF_MODIFIED_SINCE, modified.clone())]).await;
            assert_eq!(since.status(), 304, "{path}");
        }
        validators.push((path, tag, modified));
    }

    // A correction of the title changes what every clarification page shows: they answer in full again.
    app.clock.advance(Duration::hours(1));
    let fix =
        json!({"reason": "Lokasi", "title": "Surat suara tercoblos di gudang Bogor", "body_markdown": "Dari 2019."});
    let (status, _) = app
        .call(Method::POST, &format!("/api/v1/clarifications/{id}/corrections"), Role::Communicator, Some(fix))
        .await;
    assert_eq!(status, 200);
    for (path, tag, modified) in validators.iter().filter(|(path, ..)| path.starts_with("/cek-fakta")) {
        let again = get(&app, path, &[(IF_NONE_MATCH, tag.clone())]).await;
        assert_eq!(again.status(), 200, "{path}");
        assert_ne!(header(&again, ETAG).as_deref(), Some(tag.as_str()), "{path}");
        let since = get(&app, path, &[(IF_MODIFIED_SINCE, modified.clone().unwrap())]).await;
        assert_eq!(since.status(), 200, "{path}");
    }

    // Anything behind a credential stays out of shared caches.
    let private =
        app.request(Method::GET, "/api/v1/clarifications", Some(app.user(Role::Communicator))).send().await.unwrap();
    assert_eq!(private.status(), 200);
    assert_eq!(header(&private, CACHE_CONTROL).as_deref(), Some("no-store"));
    assert_eq!(header(&private, ETAG), None);
}

#[tokio::test]
async fn pages_past_the_last_are_not_found() {
    let app = spawn_with(|config| config.response.transparency.delay_days = 0).await;
    publish(&app, "Surat suara tercoblos di gudang", "Foto lama.").await;
    for path in ["/cek-fakta?page=1", "/cek-fakta?page=0", "/transparansi", "/transparansi?page=1"] {
        assert_eq!(get(&app, path, &[]).await.status(), 200, "{path}");
    }
    for path in [
        "/cek-fakta?page=2",
        "/cek-fakta?q=surat&page=2",
        "/cek-fakta?page=18446744073709551615",
        "/transparansi?page=2",
        "/transparansi?period=year&page=18446744073709551615",
    ] {
        let response = get(&app, path, &[]).await;
        assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json", "{path}");
        assert_eq!(read(response).await.0, 404, "{path}");
    }
    assert_eq!(get(&app, "/cek-fakta?page=-1", &[]).await.status(), 400);
    let home = get(&app, "/", &[]).await;
    assert_eq!(
        (home.status().as_u16(), header(&home, LOCATION).as_deref()),
        (303, Some("/cek-fakta")),
        "the front page"
    );
}

/// A request to `route` with its path parameters filled in.
fn request_to(client: &Client, app: &TestApp, route: &RouteSpec) -> reqwest::RequestBuilder {
    let path = route.path.replace("{slug}", "tidak-ada");
    client.request(route.method.clone(), format!("{}{path}", app.base))
}

#[tokio::test]
async fn every_public_route_charges_the_clients_network() {
    let app = spawn_with(|config| {
        config.public_limits.per_network = Budget { burst: 3, refill: std::time::Duration::from_secs(3600) };
        config.public_limits.max_networks = 64;
    })
    .await;
    let public: Vec<RouteSpec> = tangkal_server::route_table()
        .into_iter()
        .filter(|r| r.access == tangkal_server::auth::Access::Public)
        .collect();
    assert!(public.len() >= 10, "{public:?}");
    for (n, route) in public.iter().enumerate() {
        let client = from(1, n as u8 + 1);
        for _ in 0..3 {
            let status = request_to(&client, &app, route).send().await.unwrap().status();
            assert_ne!(status, 429, "{} {}: within the burst", route.method, route.path);
        }
        let response = request_to(&client, &app, route).send().await.unwrap();
        assert_eq!(response.status(), 429, "{} {}", route.method, route.path);
        let wait: u64 = header(&response, RETRY_AFTER).unwrap().parse().unwrap();
        assert!((3000..=3600).contains(&wait), "{wait}");
        let (_, body) = read(response).await;
        assert_eq!(body["type"], "/problems/rate-limited", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("requests from this network"), "{body}");
    }

    // One network's budget is its own; routes behind a credential do not charge it.
    let spent = from(1, 1);
    assert_eq!(spent.get(format!("{}/cek-fakta", app.base)).send().await.unwrap().status(), 429);
    assert_eq!(from(1, 200).get(format!("{}/cek-fakta", app.base)).send().await.unwrap().status(), 200);
    let token = &app.user(Role::Analyst).token;
    let cases = spent.get(format!("{}/api/v1/cases", app.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(cases.status(), 200);

    // Many networks at once: the budget tracks at most its limit, refusing newcomers with 503.
    let mut crowded = 0;
    for n in 0..100u8 {
        let response = from(2, n).get(format!("{}/healthz", app.base)).send().await.unwrap();
        if response.status() == 503 {
            assert!(header(&response, RETRY_AFTER).is_some());
            crowded += 1;
        }
    }
    assert!(crowded > 0);
    assert!(app.state.public_tracked_networks() <= 64, "{}", app.state.public_tracked_networks());
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let proxy = IpAddr::V4(Ipv4Addr::new(127, 0, 3, 1));
    let app = spawn_with(|config| {
        config.public_limits.per_network = Budget { burst: 2, refill: std::time::Duration::from_secs(3600) };
        config.trusted_proxies = vec![proxy];
    })
    .await;
    let through_proxy = from(3, 1);
    let send = |client: &'static str| {
        let request = through_proxy.get(format!("{}/cek-fakta", app.base)).header("x-forwarded-for", client);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!((send("203.0.113.7").await, send("203.0.113.7").await, send("203.0.113.7").await), (200, 200, 429));
    assert_eq!(send("203.0.113.8").await, 200, "another reader behind the same proxy");
    assert_eq!(send("2001:db8:1:2::1").await, 200);
    assert_eq!(send("2001:db8:1:2::2").await, 200);
    assert_eq!(send("2001:db8:1:2::3").await, 429, "one IPv6 /64 is one network");
    // Someone else sending the header is not believed: they are charged as themselves.
    let direct = from(3, 9);
    for expected in [200, 200, 429] {
        let status = direct.get(format!("{}/cek-fakta", app.base)).header("x-forwarded-for", "198.51.100.1").send();
        assert_eq!(status.await.unwrap().status().as_u16(), expected);
    }
}

#[tokio::test]
async fn the_api_document_lists_429_on_every_public_operation() {
    let app = spawn().await;
    let (status, doc) = app.call(Method::GET, "/api/v1/openapi.json", Role::Partner, None).await;
    assert_eq!(status, 200);
    for route in tangkal_server::route_table() {
        let operation = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        if operation.is_null() || route.access != tangkal_server::auth::Access::Public {
            continue;
        }
        let too_many: &Value = &operation["responses"]["429"];
        assert!(too_many["headers"]["Retry-After"].is_object(), "{} {}: {operation}", route.method, route.path);
    }
}

/// The `content` of the `<meta>` whose `property` or `name` is `key`, as written in the page.
fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    let start = html.find(&format!("=\"{key}\" content=\""))? + key.len() + 13;
    html[start..].split('"').next()
}

#[tokio::test]
async fn shared_links_show_the_labelled_title_and_the_lead_and_script_in_a_title_stays_text() {
    let app = spawn_with(|config| {
        config.response.site.base_url = "https://cekfakta.example.go.id/".into();
        config.response.transparency.delay_days = 0;
    })
    .await;
    let body =
        "Surat itu **palsu**: kementerian tidak pernah menerbitkannya.\n\nLihat [rilis resmi](https://kemkes.go.id/r).";
    let (_, slug) = publish(&app, "Surat <script>alert(1)</script> dari kementerian", body).await;
    let html = get(&app, &format!("/cek-fakta/{slug}"), &[]).await.text().await.unwrap();
    assert_eq!(meta(&html, "og:type"), Some("article"));
    assert_eq!(
        meta(&html, "og:title"),
        Some("[HOAKS] Surat &#60;script&#62;alert(1)&#60;/script&#62; dari kementerian"),
        "the labelled title, escaped"
    );
    assert_eq!(meta(&html, "twitter:title"), meta(&html, "og:title"));
    assert_eq!(
        meta(&html, "og:description"),
        Some("Surat itu palsu: kementerian tidak pernah menerbitkannya. Lihat rilis resmi."),
        "plain text"
    );
    assert_eq!(meta(&html, "og:url"), Some(format!("https://cekfakta.example.go.id/cek-fakta/{slug}").as_str()));
    assert_eq!(meta(&html, "og:site_name"), Some("Tangkal"));
    assert_eq!(meta(&html, "og:locale"), Some("id_ID"));
    assert_eq!(meta(&html, "article:published_time"), Some(harness::t0().to_rfc3339().as_str()));
    assert_eq!(meta(&html, "twitter:card"), Some("summary"));
    assert!(!html.contains("<script>alert"), "nothing in a tag runs");
    assert_eq!(html.matches("<script").count(), 1, "only the ClaimReview data block");

    let long = format!("{} tanpa titik", "kata".repeat(3).repeat(30));
    let (_, slug) = publish(&app, "Klaim panjang", &long).await;
    let html = get(&app, &format!("/cek-fakta/{slug}"), &[]).await.text().await.unwrap();
    let description = meta(&html, "og:description").unwrap();
    assert!(description.ends_with('…') && description.chars().count() <= 200, "{description}");

    for (path, url) in [
        ("/cek-fakta", "https://cekfakta.example.go.id/cek-fakta"),
        ("/transparansi", "https://cekfakta.example.go.id/transparansi"),
    ] {
        let html = get(&app, path, &[]).await.text().await.unwrap();
        assert_eq!((meta(&html, "og:type"), meta(&html, "og:url")), (Some("website"), Some(url)), "{path}");
        assert!(meta(&html, "og:description").is_some_and(|d| !d.is_empty()) && meta(&html, "og:title").is_some());
        assert_eq!(html.matches("type=\"application/atom+xml\"").count(), 1, "{path}: the feed, once");
    }
    let lapor = get(&app, "/lapor", &[]).await.text().await.unwrap();
    assert!(lapor.contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/cek-fakta/feed.atom\""));
}

/// The list page at `path` (and its query), read with `cookie` if any.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (reqwest::header::HeaderMap, String) {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    (response.headers().clone(), response.text().await.unwrap())
}

/// The clarification pages a list links to, in order.
fn listed(html: &str) -> Vec<&str> {
    html.split("<h2><a href=\"/cek-fakta/").skip(1).filter_map(|rest| rest.split('"').next()).collect()
}

#[tokio::test]
async fn filters_narrow_the_list_and_the_search_alike_and_the_links_keep_them() {
    let app = spawn().await;
    let (_, ballots) = publish_on(&app, "Surat suara tercoblos di gudang", "Foto lama.", Some("pemilu")).await;
    app.clock.advance(Duration::days(2));
    let (_, fake) = publish_on(&app, "Surat suara palsu beredar", "Bukan dari KPU.", Some("pemilu")).await;
    app.clock.advance(Duration::days(2));
    let (_, vaccine) =
        publish_on(&app, "Vaksin membuat surat suara rusak", "Tidak ada kaitannya.", Some("kesehatan")).await;
    let (_, untagged) = publish_on(&app, "Banjir di Bogor", "Video lama.", None).await;

    let (headers, html) = page(&app, "/cek-fakta", None).await;
    assert_eq!(listed(&html), [untagged.as_str(), &vaccine, &fake, &ballots], "newest first");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'; style-src 'self'") && !policy.contains("script"), "{policy}");
    assert_eq!(headers["vary"], "Cookie", "the page depends on the language cookie");
    assert!(html.contains("4 klarifikasi") && html.contains("<link rel=\"stylesheet\" href=\"/assets/desk."));

    // Publication days are read in Western Indonesian Time: the first was published on 2 March, 08.00 WIB.
    for (query, expected) in [
        ("topic=pemilu", vec![fake.as_str(), &ballots]),
        ("topic=kesehatan&rating=HOAKS", vec![&vaccine]),
        ("rating=DISINFORMASI", vec![]),
        ("from=2026-03-03", vec![&untagged, &vaccine, &fake]),
        ("from=2026-03-03&to=2026-03-04&topic=pemilu", vec![&fake]),
        ("to=2026-03-02", vec![&ballots]),
        ("q=surat+suara", vec![&vaccine, &fake, &ballots]),
        ("q=surat+suara&topic=pemilu&from=2026-03-04", vec![&fake]),
        ("q=surat+suara&rating=BENAR", vec![]),
    ] {
        let (_, html) = page(&app, &format!("/cek-fakta?{query}"), None).await;
        assert_eq!(listed(&html), expected, "{query}");
        assert!(!html.contains("error-summary"), "{query}");
    }
    let (_, html) = page(&app, "/cek-fakta?topic=pemilu&rating=HOAKS", None).await;
    assert!(html.contains("2 klarifikasi cocok dengan saringan"), "{html}");
    assert!(html.contains("<option value=\"pemilu\" selected>Pemilu</option>"), "the form shows the filter");

    // What cannot be read is left out, named above the form and kept in it; the list still answers.
    let (_, html) = page(&app, "/cek-fakta?rating=PALSU&topic=%3Cb%3E&from=2026-02-31&to=2026-03-02", None).await;
    assert_eq!(listed(&html), [ballots.as_str()], "the readable filter still applies");
    assert!(html.contains("class=\"error-summary\"") && html.contains("href=\"#filter-rating\""), "{html}");
    assert!(html.contains("Penilaian «PALSU»") && html.contains("Topik «&#60;b&#62;»"), "{html}");
    assert!(html.contains("value=\"2026-02-31\""), "kept as typed");
    let (_, html) = page(&app, "/cek-fakta?from=2026-03-05&to=2026-03-01", None).await;
    assert_eq!(listed(&html).len(), 4, "a reversed range is left out");
    assert!(html.contains("jatuh setelah"), "{html}");
    assert_eq!(get(&app, "/cek-fakta?page=x", &[]).await.status(), 400, "a page number is not a filter");

    // In English: the same filters, the reader's words, dates and numbers.
    let (headers, html) = page(&app, "/cek-fakta?topic=pemilu", Some("tangkal_lang=en")).await;
    assert_eq!(listed(&html), [fake.as_str(), &ballots]);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
    assert!(html.contains("Clarifications matching the filters: 2") && html.contains(">Elections</option>"), "{html}");
    assert!(html.contains("4 Mar 2026, 08:00 WIB") && html.contains("og:locale\" content=\"en_GB"), "{html}");
    assert!(html.contains("href=\"/lang/id?next=%2Fcek-fakta%3Ftopic%3Dpemilu\""), "switches back here");
    assert_eq!(headers["vary"], "Cookie");
    let (_, html) = page(&app, &format!("/cek-fakta/{fake}"), Some("tangkal_lang=en")).await;
    assert!(html.contains("Our rating") && html.contains("href=\"/cek-fakta?topic=pemilu\">Elections</a>"));

    // A second page keeps the query and the filters.
    for i in 0..20 {
        publish_on(&app, &format!("Surat suara palsu nomor {i}"), "Bukan dari KPU.", Some("pemilu")).await;
    }
    let (_, html) = page(&app, "/cek-fakta?q=surat+suara&topic=pemilu&from=2026-03-03", None).await;
    assert_eq!(listed(&html).len(), 20);
    assert!(html.contains("Halaman 1 dari 2"), "{html}");
    let next = "href=\"/cek-fakta?q=surat+suara&#38;topic=pemilu&#38;from=2026-03-03&#38;page=2\"";
    assert!(html.contains(next), "{html}");
    let (_, second) = page(&app, "/cek-fakta?q=surat+suara&topic=pemilu&from=2026-03-03&page=2", None).await;
    assert_eq!(listed(&second), [fake.as_str()], "21 in all");
    let (_, html) = page(&app, "/cek-fakta?topic=pemilu&page=2", None).await;
    assert_eq!(listed(&html), [fake.as_str(), &ballots], "the store's list pages the same way: 22 in all");
}

#[tokio::test]
async fn a_topic_is_set_through_the_api_changed_by_a_correction_and_refused_when_unknown() {
    let app = spawn().await;
    let case = app.open_case("Surat suara tercoblos", Urgency::Normal);
    app.advance(case, Status::VerdictApproved);
    let path = format!("/api/v1/cases/{case}/clarifications");
    let unknown = json!({"title": "Surat suara", "body_markdown": "Lama.", "topic": "cuaca"});
    let (status, body) = app.call(Method::POST, &path, Role::Communicator, Some(unknown)).await;
    assert_eq!(status, 422, "{body}");
    let new = json!({"title": "Surat suara", "body_markdown": "Lama.", "topic": "pemilu"});
    let (status, draft) = app.call(Method::POST, &path, Role::Communicator, Some(new)).await;
    assert_eq!((status, draft["topic"].as_str()), (201, Some("pemilu")), "{draft}");
    let id = draft["id"].as_i64().unwrap();
    app.call(Method::POST, &format!("/api/v1/clarifications/{id}/publish"), Role::Communicator, None).await;
    let fix = json!({"reason": "Topik diperbaiki", "topic": "politik"});
    let (status, corrected) = app
        .call(Method::POST, &format!("/api/v1/clarifications/{id}/corrections"), Role::Communicator, Some(fix))
        .await;
    assert_eq!((status, corrected["topic"].as_str()), (200, Some("politik")), "{corrected}");
    let (_, html) = page(&app, "/cek-fakta?topic=politik", None).await;
    assert_eq!(listed(&html).len(), 1);
}
