//! `tangkal factchecks pull` between two desks running Tangkal over HTTP: desk A publishes the demo's
//! clarifications, desk B one worked through its API and then corrected; each pulls the other's
//! fact-checks (B through A's DataFeed with a partner token and through A's Atom feed, A through B's
//! Atom feed), pulling again adds nothing, and a partner serving malformed JSON-LD has its bad entries
//! named and its good ones imported.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Output, Stdio};

use common::{free_port, wait_until_serving, Server, TestStore};
use serde_json::{json, Value};
use tangkal_model::FactCheck;
use tangkal_response::clarification::ClarificationStatus;
use tangkal_store::{ClarificationFilter, FactCheckFilter};

/// One desk: its store, a configuration naming its public address, its server once started.
struct Desk {
    // The server stops before its store goes.
    server: Option<Server>,
    data: TestStore,
    config: PathBuf,
    address: SocketAddr,
}

impl Desk {
    fn new(organisation: &str) -> Desk {
        let data = TestStore::new();
        let address = free_port();
        let config = data.data_dir().join("tangkal.toml");
        let site = format!(
            "[response.site]\nbase_url = \"http://{address}\"\norganisation = \"{organisation}\"\n\
             organisation_url = \"http://{address}\"\n"
        );
        std::fs::write(&config, site).unwrap();
        Desk { data, config, address, server: None }
    }

    fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `tangkal ARGS` on this desk, which must succeed; its standard output.
    fn run(&self, args: &[&str]) -> String {
        let mut all = vec!["--config", self.config.to_str().unwrap()];
        all.extend_from_slice(args);
        self.data.run(&all)
    }

    /// `tangkal factchecks pull URL` on this desk, the partner's token in `TANGKAL_PULL_TOKEN`.
    fn pull(&self, url: &str, token: Option<&str>) -> Output {
        let mut command = self.data.command();
        command.arg("--config").arg(&self.config).args(["factchecks", "pull", url]).env_remove("TANGKAL_PULL_TOKEN");
        if let Some(token) = token {
            command.env("TANGKAL_PULL_TOKEN", token);
        }
        command.output().unwrap()
    }

    fn serve(&mut self) {
        let child = self
            .data
            .command()
            .arg("--config")
            .arg(&self.config)
            .args(["serve", "--bind", &self.address.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Server(child);
        wait_until_serving(self.address, &mut server);
        self.server = Some(server);
    }

    /// A user of `role` with an API token; returns the token's secret.
    fn token(&self, user: &str, role: &str) -> String {
        self.run(&["user", "add", user, "--role", role]);
        let created = self.run(&["token", "create", "--user", user, "--name", "tests"]);
        created.lines().last().unwrap().trim().to_string()
    }

    /// The stored fact-checks.
    fn factchecks(&self) -> Vec<FactCheck> {
        let listed = self.data.open().list_factchecks(&FactCheckFilter::default(), 1_000_000, 0).unwrap();
        listed.into_iter().map(|stored| stored.factcheck).collect()
    }

    /// How many stored fact-checks `keep` holds for.
    fn count(&self, keep: impl Fn(&FactCheck) -> bool) -> usize {
        self.factchecks().iter().filter(|f| keep(f)).count()
    }
}

fn post(url: &str, token: &str, body: Value) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .post(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    assert!((200..300).contains(&status), "POST {url}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// The counts of the summary line: (new, updated, unchanged, rejected).
fn counts(out: &Output) -> (u64, u64, u64, u64) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let figure = |label: &str| -> u64 {
        let at =
            stdout.find(label).unwrap_or_else(|| panic!("no {label:?} in {stdout}\n{}", stderr(out))) + label.len();
        stdout[at..].trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    (figure("· new"), figure("updated"), figure("unchanged"), figure("rejected"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn succeeded(out: &Output) -> &Output {
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
    out
}

#[test]
fn two_desks_exchange_fact_checks_both_ways() {
    let mut a = Desk::new("Meja Cek Fakta A");
    a.run(&["demo", "--no-serve"]);
    let partner_of_a = a.token("meja-b", "partner");
    a.serve();
    let published = ClarificationFilter { status: Some(ClarificationStatus::Published), ..Default::default() };
    let published_by_a = a.data.open().count_clarifications(&published).unwrap() as usize;
    assert!(published_by_a >= 13, "the demo publishes its debunked cases' clarifications: {published_by_a}");

    // Desk B works one case through its API, from opening to a published clarification.
    let mut b = Desk::new("Meja Cek Fakta B");
    let (analyst, reviewer, communicator) =
        (b.token("ana", "analyst"), b.token("rudi", "reviewer"), b.token("kiki", "communicator"));
    b.serve();
    let api = format!("{}/api/v1", b.base());
    let case = post(&format!("{api}/cases"), &analyst, json!({"title": "Foto banjir di Bundaran HI"}));
    let case = case["id"].as_i64().unwrap();
    for step in ["triage", "investigating"] {
        post(&format!("{api}/cases/{case}/status"), &analyst, json!({"to": step}));
    }
    let verdict = json!({"rating": "HOAKS", "misinfo_type": "manipulated",
        "explanation": "Foto itu hasil suntingan dari banjir 2020."});
    post(&format!("{api}/cases/{case}/verdict"), &analyst, verdict);
    post(&format!("{api}/cases/{case}/verdict/review"), &reviewer, json!({"approve": true}));
    let draft = json!({"title": "Foto banjir setinggi dada di Bundaran HI hasil suntingan",
        "claim": "Banjir setinggi dada merendam Bundaran HI pekan ini",
        "body_markdown": "Foto itu **hasil suntingan** dari banjir 2020.",
        "sources": [{"title": "BPBD DKI", "url": "https://bpbd.example/banjir-2020"}]});
    let draft = post(&format!("{api}/cases/{case}/clarifications"), &communicator, draft);
    let clarification = draft["id"].as_i64().unwrap();
    let page = post(&format!("{api}/clarifications/{clarification}/publish"), &communicator, json!({}));
    let page = page["url"].as_str().unwrap().to_string();
    assert!(page.starts_with(&b.base()), "{page}");

    // A reads B's Atom feed (public): the entry's page holds the ClaimReview.
    let b_atom = format!("{}/cek-fakta/feed.atom", b.base());
    assert_eq!(counts(succeeded(&a.pull(&b_atom, None))), (1, 0, 0, 0));
    let stored: Vec<FactCheck> =
        a.factchecks().into_iter().filter(|f| f.url.as_deref() == Some(page.as_str())).collect();
    let shown: Vec<_> = stored
        .iter()
        .map(|f| (f.title.as_str(), f.claim.as_deref(), f.rating.as_deref(), f.publisher.as_deref()))
        .collect();
    assert_eq!(
        shown,
        [(
            "[HOAKS] Foto banjir setinggi dada di Bundaran HI hasil suntingan",
            Some("Banjir setinggi dada merendam Bundaran HI pekan ini"),
            Some("HOAKS"),
            Some("Meja Cek Fakta B")
        )]
    );
    let again = a.pull(&b_atom, None);
    assert_eq!(counts(succeeded(&again)), (0, 0, 1, 0), "the newest entry is read again, unchanged");
    assert!(stderr(&again).contains("news feed since 20"), "{}", stderr(&again));

    // B corrects its clarification; A's next pull updates its copy.
    let correction = json!({"reason": "Lokasi foto diperbaiki", "title": "Foto banjir di Monas hasil suntingan"});
    post(&format!("{api}/clarifications/{clarification}/corrections"), &communicator, correction);
    let corrected = a.pull(&b_atom, None);
    assert_eq!(counts(succeeded(&corrected)), (0, 1, 0, 0));
    assert!(!stderr(&corrected).contains("warning"), "the feed reaches back: {}", stderr(&corrected));
    let corrected_title = "[HOAKS] Foto banjir di Monas hasil suntingan";
    assert_eq!(a.count(|f| f.url.as_deref() == Some(page.as_str()) && f.title == corrected_title), 1);

    // B reads A's DataFeed, which needs a token with A's partner role.
    let a_feed = format!("{}/api/v1/claimreviews", a.base());
    let refused = b.pull(&a_feed, None);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("answered 401"), "{}", stderr(&refused));
    let pulled = b.pull(&a_feed, Some(&partner_of_a));
    assert_eq!(counts(succeeded(&pulled)), (published_by_a as u64, 0, 0, 0));
    let from_a = format!("{}/cek-fakta/", a.base());
    let is_from_a = |f: &FactCheck| f.url.as_deref().is_some_and(|url| url.starts_with(&from_a));
    let as_published_by_a = |f: &FactCheck| {
        is_from_a(f)
            && f.id.ends_with("#claimreview")
            && f.publisher.as_deref() == Some("Meja Cek Fakta A")
            && matches!(f.rating.as_deref(), Some("HOAKS" | "DISINFORMASI"))
    };
    assert_eq!(b.count(as_published_by_a), published_by_a);
    let (new, updated, _, rejected) = counts(succeeded(&b.pull(&a_feed, Some(&partner_of_a))));
    assert_eq!((new, updated, rejected), (0, 0, 0), "pulling again adds nothing");
    // A's Atom feed gives the same records as its DataFeed.
    let a_atom = format!("{}/cek-fakta/feed.atom", a.base());
    assert_eq!(counts(succeeded(&b.pull(&a_atom, None))), (0, 0, published_by_a as u64, 0));
    assert_eq!(b.count(is_from_a), published_by_a);
}

/// Answers GET requests on `listener` from `pages` (path without query, content type, body), 404
/// otherwise.
fn serve_pages(listener: TcpListener, pages: Vec<(String, &'static str, String)>) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap() > 2 {
                header.clear();
            }
            let target = request.split(' ').nth(1).unwrap_or_default();
            let path = target.split('?').next().unwrap_or_default();
            let (status, kind, body) = match pages.iter().find(|(p, _, _)| p == path) {
                Some((_, kind, body)) => ("200 OK", *kind, body.as_str()),
                None => ("404 Not Found", "text/plain", "tidak ada"),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
}

fn claim_review(url: &str, date: &str) -> Value {
    json!({"@context": "https://schema.org", "@type": "ClaimReview", "url": url, "datePublished": date,
        "claimReviewed": "Air rebusan daun sirsak menyembuhkan kanker",
        "author": {"@type": "Organization", "name": "Mitra"},
        "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1, "alternateName": "Salah"}})
}

fn page(json_ld: &str) -> String {
    format!(
        "<!doctype html><html lang=\"id\"><head><script type=\"application/ld+json\">{json_ld}</script></head></html>"
    )
}

#[test]
fn a_partner_serving_malformed_json_ld_has_its_bad_entries_named_and_its_good_ones_imported() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let entries =
        [("baik", "2026-12-01T08:00:00Z"), ("rusak", "2026-12-01T07:00:00Z"), ("kemarin", "2026-12-01T06:00:00Z")]
            .iter()
            .map(|(slug, at)| {
                format!(
                    "<entry><id>{base}/cek-fakta/{slug}</id><title>{slug}</title><updated>{at}</updated>\
                 <link rel=\"alternate\" href=\"{base}/cek-fakta/{slug}\"/></entry>"
                )
            })
            .collect::<String>();
    let atom = format!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>{base}/</id><title>Mitra</title>\
         <updated>2026-12-01T08:00:00Z</updated>{entries}</feed>"
    );
    let good = claim_review(&format!("{base}/cek-fakta/baik"), "2026-12-01");
    let dated_yesterday = claim_review(&format!("{base}/cek-fakta/kemarin"), "kemarin");
    let mut untitled = claim_review(&format!("{base}/cek-fakta/tanpa-klaim"), "2026-12-01");
    untitled.as_object_mut().unwrap().remove("claimReviewed");
    let data_feed = json!({"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [
        {"@type": "DataFeedItem", "dateModified": "2026-12-01T08:00:00Z", "item": [good.clone()]},
        {"@type": "DataFeedItem", "dateModified": "2026-12-01T09:00:00Z", "item": [untitled]},
    ]});
    serve_pages(
        listener,
        vec![
            ("/cek-fakta/feed.atom".into(), "application/atom+xml", atom),
            ("/cek-fakta/baik".into(), "text/html", page(&good.to_string())),
            ("/cek-fakta/rusak".into(), "text/html", page(r#"{"@type": "ClaimReview", "headline": "#)),
            ("/cek-fakta/kemarin".into(), "text/html", page(&dated_yesterday.to_string())),
            ("/api/v1/claimreviews".into(), "application/ld+json", data_feed.to_string()),
        ],
    );
    let desk = Desk::new("Meja Cek Fakta");
    let feed = format!("{base}/cek-fakta/feed.atom");

    let pulled = desk.pull(&feed, None);
    assert_eq!(pulled.status.code(), Some(3), "some entries rejected: {}", stderr(&pulled));
    assert_eq!(counts(&pulled), (1, 0, 0, 2));
    let said = stderr(&pulled);
    assert!(said.contains(&format!("rejected entry 2 <{base}/cek-fakta/rusak>: $[0]: not valid JSON")), "{said}");
    assert!(
        said.contains(&format!(
            "rejected entry 3 <{base}/cek-fakta/kemarin>: $[0]: field \"datePublished\": \"kemarin\" is not a YYYY-MM-DD date"
        )),
        "{said}"
    );
    let good_url = format!("{base}/cek-fakta/baik");
    assert_eq!(desk.count(|f| f.url.as_deref() == Some(good_url.as_str())), 1);
    let all = desk.count(|f| f.url.as_deref().is_some_and(|url| url.starts_with(&format!("{base}/"))));
    assert_eq!(all, 1, "nothing else was stored");

    // The rejected entries are read again next time, from the oldest of them on.
    let again = desk.pull(&feed, None);
    assert_eq!((again.status.code(), counts(&again)), (Some(3), (0, 0, 1, 2)));
    assert!(stderr(&again).contains("since 2026-12-01T06:00:00Z"), "{}", stderr(&again));

    let pulled = desk.pull(&format!("{base}/api/v1/claimreviews"), None);
    assert_eq!((pulled.status.code(), counts(&pulled)), (Some(3), (0, 0, 1, 1)));
    let said = stderr(&pulled);
    assert!(
        said.contains(&format!("rejected dataFeedElement[1] <{base}/cek-fakta/tanpa-klaim>: $[0]: field \"title\"")),
        "{said}"
    );
}
