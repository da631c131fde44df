//! A hostile client against the real server: label floods on `/metrics`, stalled and slow clients,
//! refused uploads that must leave nothing behind.

mod harness;

use std::time::{Duration, Instant};

use harness::{read, spawn, spawn_with, Backend, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;
use tangkal_cases::{Role, Urgency};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Invented methods and paths must not become new metric series: the body stays the same size
/// however many of them arrive.
#[tokio::test]
async fn a_label_flood_does_not_grow_the_metrics() {
    let app = spawn().await;
    let scrape = || async {
        let r = app.request(Method::GET, "/metrics", Some(app.user(Role::Admin))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };
    // Warm every label the flood can reach, so the baseline already holds them.
    let invented = |i: usize| Method::from_bytes(format!("X{i}{}", "A".repeat(8 * 1024)).as_bytes()).unwrap();
    app.request(invented(0), "/api/v1/cases", None).send().await.unwrap();
    app.request(Method::GET, "/no/such/path/0", None).send().await.unwrap();
    scrape().await; // the scrape's own series appears from the second one on
    let before = scrape().await;
    for i in 1..=50 {
        let r = app.request(invented(i), "/api/v1/cases", None).send().await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        app.request(Method::GET, &format!("/no/such/path/{i}-{}", "b".repeat(2000)), None).send().await.unwrap();
    }
    let after = scrape().await;
    assert!(!after.contains("AAAA") && !after.contains("bbbb"), "raw methods or paths leaked into labels");
    assert!(after.contains(r#"method="other""#), "{after}");
    assert!(after.contains(r#"route="unmatched""#), "{after}");
    let series = |body: &str| body.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(series(&after), series(&before), "new series appeared:\n{after}");
    assert!(after.len() < 64 * 1024, "metrics body is {} bytes", after.len());
}

/// Regular files under `DATA_DIR/evidence`, temporary ones included.
fn evidence_files(app: &TestApp) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(app.dir.path().join("evidence")) else { return Vec::new() };
    entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

async fn upload(app: &TestApp, case: i64, bytes: Vec<u8>, note: Option<&str>) -> (u16, serde_json::Value) {
    let mut form = Form::new().text("kind", "file").part("file", Part::bytes(bytes).file_name("bukti.png"));
    if let Some(note) = note {
        form = form.text("note", note.to_string());
    }
    let path = format!("/api/v1/cases/{case}/evidence");
    read(app.request(Method::POST, &path, Some(app.user(Role::Analyst))).multipart(form).send().await.unwrap()).await
}

/// Every way an upload can be refused, each after the file's bytes arrived: none may leave a file.
#[tokio::test]
async fn refused_uploads_leave_no_file_behind() {
    let app = spawn_with(|config| config.max_upload_bytes = 1024).await;
    let png = |fill: u8, len: usize| {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.resize(len, fill);
        b
    };

    let dismissed = app.open_case("Kasus yang ditutup", Urgency::Normal);
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/cases/{dismissed}/status"),
            Role::Analyst,
            Some(json!({"to": "dismissed", "reason": "bukan hoaks"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = upload(&app, dismissed, png(1, 100), None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(evidence_files(&app), Vec::<String>::new(), "a refused upload to a dismissed case");

    let open = app.open_case("Kasus terbuka", Urgency::Normal);
    let refusals = [
        ("larger than the limit, inside the body limit", png(2, 2000), None),
        ("far larger than the body limit", png(3, 200_000), None),
        ("a type that is not accepted", b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), None),
        ("a form field the case refuses", png(4, 100), Some("x".repeat(100_000))),
    ];
    for (what, bytes, note) in refusals {
        let (status, body) = upload(&app, open, bytes, note.as_deref()).await;
        assert!((400..500).contains(&status), "{what}: {status} {body}");
        assert_eq!(evidence_files(&app), Vec::<String>::new(), "{what}");
    }

    // The store itself failing, after the file was written: a trigger refuses the evidence row.
    app.execute_sql(match app.backend() {
        Backend::Sqlite => {
            "CREATE TRIGGER no_evidence BEFORE INSERT ON evidence BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION no_evidence() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
             CREATE TRIGGER no_evidence BEFORE INSERT ON evidence FOR EACH ROW EXECUTE FUNCTION no_evidence();"
        }
    });
    let (status, body) = upload(&app, open, png(5, 100), None).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(evidence_files(&app), Vec::<String>::new(), "a store error");

    // What the store accepts is kept, under its hash only.
    app.execute_sql(match app.backend() {
        Backend::Sqlite => "DROP TRIGGER no_evidence",
        Backend::Postgres => "DROP TRIGGER no_evidence ON evidence",
    });
    let (status, body) = upload(&app, open, png(6, 100), None).await;
    assert_eq!(status, 200, "{body}");
    let sha256 = body["evidence"][0]["file"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(evidence_files(&app), vec![sha256]);
}

/// A raw connection that sent `head` and then stalls.
async fn stalled_client(app: &TestApp, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// How long until the server closes the connection (or answers and closes), at most `limit`.
async fn time_to_close(stream: &mut (impl AsyncRead + Unpin), limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(limit, closed).await.ok().map(|()| start.elapsed())
}

/// Headers and four bytes of a body, then nothing: on shutdown the server waits for it only until
/// its deadline, then drops it and stops.
#[tokio::test]
async fn a_stalled_client_does_not_hold_off_shutdown() {
    let mut app = spawn_with(|config| {
        config.shutdown_timeout = Duration::from_secs(1);
        config.body_timeout = Duration::from_secs(600);
    })
    .await;
    let head = "POST /api/v1/session HTTP/1.1\r\nHost: tangkal\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"us";
    let mut stalled = stalled_client(&app, head).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // the request is now in its handler
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), app.shut_down()).await.expect("the server stopped");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(900), "in-flight requests get their grace period: {took:?}");
    assert!(took < Duration::from_secs(4), "stopped {took:?} after the signal");
    assert!(time_to_close(&mut stalled, Duration::from_secs(1)).await.is_some(), "the stalled connection is closed");
}

/// Headers dripped in slowly (slowloris): the connection is closed once the header deadline passes.
#[tokio::test]
async fn slow_headers_are_cut_off() {
    let app = spawn_with(|config| config.header_timeout = Duration::from_secs(1)).await;
    let (mut reader, mut writer) =
        stalled_client(&app, "GET /healthz HTTP/1.1\r\nHost: tangkal\r\n").await.into_split();
    let drip = async move {
        for i in 0..40 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(format!("X-Drip-{i}: a\r\n").as_bytes()).await.is_err() {
                break;
            }
        }
        std::future::pending::<()>().await;
    };
    let closed_after = tokio::select! {
        closed = time_to_close(&mut reader, Duration::from_secs(8)) => closed,
        () = drip => unreachable!(),
    };
    let closed_after = closed_after.expect("still open after 8 s of dripped headers");
    assert!(closed_after < Duration::from_secs(3), "closed after {closed_after:?}");
}

/// A body that stops arriving ends the request with an error once the body deadline passes.
#[tokio::test]
async fn a_stalled_body_times_out() {
    let app = spawn_with(|config| config.body_timeout = Duration::from_secs(1)).await;
    let head = "POST /api/v1/session HTTP/1.1\r\nHost: tangkal\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"us";
    let mut stalled = stalled_client(&app, head).await;
    let start = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer after {:?}", start.elapsed());
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(start.elapsed() >= Duration::from_millis(900) && start.elapsed() < Duration::from_secs(3));
}

/// Pages cannot be framed (clickjacking), run no inline script (injected markup stays inert) and leak
/// no URL to other sites through the Referer header; every response carries the same policy.
#[tokio::test]
async fn every_response_forbids_framing_inline_scripts_and_referrers() {
    let app = spawn().await;
    for path in ["/login", "/healthz", "/no/such/page", "/api/v1/me"] {
        let response = app.request(Method::GET, path, None).send().await.unwrap();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let csp = header("content-security-policy");
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(directives.contains(&"default-src 'none'"), "{path}: {csp:?}");
        assert!(directives.contains(&"frame-ancestors 'none'"), "{path}: {csp:?}");
        // Pages run only the server's own script file, never inline script.
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp:?}");
        let scripts = directives.iter().find(|d| d.starts_with("script-src"));
        assert!(scripts.is_none_or(|d| *d == "script-src 'self'"), "{path}: {csp:?}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
    }
    let login = app.request(Method::GET, "/login", None).send().await.unwrap();
    assert!(login.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = login.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action 'self'"), "the sign-in form still posts: {csp}");
}
