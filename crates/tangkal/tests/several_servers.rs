//! Two `tangkal serve` processes on one PostgreSQL database behave as one desk: writes spread over both,
//! the same change sent to both at once has exactly one winner, the audit trail stays one intact chain,
//! each deadline event is sent once whichever server's scanner finds it first, and when one server is
//! killed mid-load the other keeps answering with nothing acknowledged lost.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::{free_port, tangkal, wait_until_serving, Server};
use reqwest::blocking::{multipart, Client};
use serde_json::{json, Value};
use tangkal_store::ScratchSchema;

/// One PostgreSQL schema, the desk's people and their API tokens, and servers sharing them.
struct Desk {
    scratch: ScratchSchema,
    /// Where the commands run (and the audit key every server signs with lives).
    home: tempfile::TempDir,
    analyst: String,
    reviewer: String,
    http: Client,
}

impl Desk {
    fn new() -> Desk {
        let desk = Desk {
            scratch: ScratchSchema::create().unwrap(),
            home: tempfile::tempdir().unwrap(),
            analyst: String::new(),
            reviewer: String::new(),
            http: Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap(),
        };
        let token = |user: &str, role: &str| {
            desk.cli(&["user", "add", user, "--role", role]);
            desk.cli(&["token", "create", "--user", user, "--name", "load"]).lines().last().unwrap().trim().to_string()
        };
        let (analyst, reviewer) = (token("ana", "analyst"), token("rina", "reviewer"));
        Desk { analyst, reviewer, ..desk }
    }

    fn cli(&self, args: &[&str]) -> String {
        let url = self.scratch.url();
        let mut all = vec!["--database-url", url.as_str()];
        all.extend_from_slice(args);
        tangkal(self.home.path(), &all)
    }

    fn audit_key(&self) -> PathBuf {
        self.home.path().join("audit.key")
    }

    /// A server with a data directory of its own, signing the trail with the shared key.
    fn serve(&self, data_dir: &Path) -> (Server, SocketAddr) {
        let address = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_tangkal"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--database-url", &self.scratch.url(), "serve", "--bind", &address.to_string()])
            .env_remove("TANGKAL_CONFIG")
            .env("TANGKAL_AUDIT__KEY_FILE", self.audit_key())
            .env("TANGKAL_WEBHOOKS__KEY_FILE", self.home.path().join("webhooks.key"))
            // Deadlines scanned and deliveries looked for often, receivers on loopback allowed.
            .env("TANGKAL_WEBHOOKS__SCAN_INTERVAL_MS", "50")
            .env("TANGKAL_WEBHOOKS__POLL_INTERVAL_MS", "50")
            .env("TANGKAL_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES", "true")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Server(child);
        wait_until_serving(address, &mut server);
        (server, address)
    }

    /// Sends a JSON write; returns the status and body. A connection that fails is status 0.
    fn post(&self, server: SocketAddr, token: &str, path: &str, body: Value) -> (u16, Value) {
        let sent = self.http.post(format!("http://{server}/api/v1{path}")).bearer_auth(token).json(&body).send();
        answer(sent)
    }

    fn add_note(&self, server: SocketAddr, case: i64, note: &str) -> (u16, Value) {
        let form = multipart::Form::new().text("kind", "note").text("note", note.to_string());
        let sent = self
            .http
            .post(format!("http://{server}/api/v1/cases/{case}/evidence"))
            .bearer_auth(&self.analyst)
            .multipart(form)
            .send();
        answer(sent)
    }

    fn case(&self, server: SocketAddr, id: i64) -> Value {
        let sent = self.http.get(format!("http://{server}/api/v1/cases/{id}")).bearer_auth(&self.analyst).send();
        let (status, case) = answer(sent);
        assert_eq!(status, 200, "{case}");
        case
    }

    fn total_cases(&self, server: SocketAddr) -> u64 {
        let sent = self.http.get(format!("http://{server}/api/v1/cases?limit=1")).bearer_auth(&self.analyst).send();
        let (status, list) = answer(sent);
        assert_eq!(status, 200, "{list}");
        list["total"].as_u64().unwrap()
    }
}

fn answer(sent: reqwest::Result<reqwest::blocking::Response>) -> (u16, Value) {
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// Sends the same change to both servers at the same moment; returns both statuses.
fn race(desk: &Desk, servers: [SocketAddr; 2], token: &str, path: &str, body: Value) -> [u16; 2] {
    let start = Barrier::new(2);
    let statuses = std::thread::scope(|s| {
        let sent: Vec<_> = servers
            .iter()
            .map(|&server| {
                let (start, body) = (&start, body.clone());
                s.spawn(move || {
                    start.wait();
                    desk.post(server, token, path, body).0
                })
            })
            .collect();
        sent.into_iter().map(|t| t.join().unwrap()).collect::<Vec<_>>()
    });
    [statuses[0], statuses[1]]
}

#[test]
fn two_servers_on_one_database_act_as_one() {
    const CASES: usize = 200;
    let desk = Desk::new();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_a, a) = desk.serve(a_dir.path());
    let (_b, b) = desk.serve(b_dir.path());
    let servers = [a, b];
    let mut writes = 0;

    // Cases opened through either server, four clients at a time.
    let opened: Vec<i64> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..4)
            .map(|client| {
                let desk = &desk;
                s.spawn(move || {
                    (0..CASES / 4)
                        .map(|n| {
                            let server = servers[(client + n) % 2];
                            let title = format!("Kabar bohong nomor {client}-{n}");
                            let (status, case) = desk.post(
                                server,
                                &desk.analyst,
                                "/cases",
                                json!({"title": title, "platforms": ["tiktok"]}),
                            );
                            assert_eq!(status, 201, "{case}");
                            case["id"].as_i64().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients.into_iter().flat_map(|c| c.join().unwrap()).collect()
    });
    writes += opened.len();

    let statuses: Vec<[u16; 2]> = std::thread::scope(|s| {
        let workers: Vec<_> = opened
            .chunks(CASES / 4)
            .map(|chunk| {
                let desk = &desk;
                s.spawn(move || {
                    let mut seen = Vec::new();
                    for (n, &id) in chunk.iter().enumerate() {
                        // The same transition to both servers at once, then the rest of the way to a verdict.
                        seen.push(race(
                            desk,
                            servers,
                            &desk.analyst,
                            &format!("/cases/{id}/status"),
                            json!({"to": "triage"}),
                        ));
                        let server = servers[n % 2];
                        let moved = desk.post(
                            server,
                            &desk.analyst,
                            &format!("/cases/{id}/status"),
                            json!({"to": "investigating"}),
                        );
                        assert_eq!(moved.0, 200, "{}", moved.1);
                        let noted = desk.add_note(servers[(n + 1) % 2], id, "Foto lama dari 2019.");
                        assert_eq!(noted.0, 200, "{}", noted.1);
                        let draft =
                            json!({"rating": "HOAKS", "misinfo_type": "fabricated", "explanation": "Foto lama."});
                        let proposed = desk.post(server, &desk.analyst, &format!("/cases/{id}/verdict"), draft);
                        assert_eq!(proposed.0, 200, "{}", proposed.1);
                        seen.push(race(
                            desk,
                            servers,
                            &desk.reviewer,
                            &format!("/cases/{id}/verdict/review"),
                            json!({"approve": true}),
                        ));
                    }
                    seen
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    writes += statuses.len() * 2 + opened.len() * 3;
    assert!(writes >= 1_000, "{writes} writes");

    for pair in &statuses {
        assert!(pair.iter().all(|&s| s < 500 && s != 0), "a server failed: {pair:?}");
        assert_eq!(pair.iter().filter(|&&s| s == 200).count(), 1, "exactly one winner: {pair:?}");
        assert!(pair.contains(&409), "the loser is told of the conflict: {pair:?}");
    }
    assert_eq!(desk.total_cases(a), CASES as u64);
    assert_eq!(desk.total_cases(b), CASES as u64);
    for (n, &id) in opened.iter().enumerate() {
        let case = desk.case(servers[n % 2], id);
        assert_eq!(case["status"], "verdict_approved", "{case}");
        assert_eq!(case["evidence"].as_array().unwrap().len(), 1, "{case}");
    }
    assert!(desk.cli(&["audit", "verify"]).contains("intact"));
}

#[test]
fn when_one_server_dies_the_other_answers_and_nothing_acknowledged_is_lost() {
    let desk = Desk::new();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_a, a) = desk.serve(a_dir.path());
    let (mut b_server, b) = desk.serve(b_dir.path());
    let killed = Arc::new(Barrier::new(2));

    let acknowledged: Vec<i64> = std::thread::scope(|s| {
        let client = {
            let (desk, killed) = (&desk, killed.clone());
            s.spawn(move || {
                let mut acknowledged = Vec::new();
                for n in 0..300 {
                    if n == 100 {
                        killed.wait();
                    }
                    // Round robin; a refused connection is retried on the other server, as a load balancer would.
                    let first = [a, b][n % 2];
                    let body = json!({"title": format!("Isu bantuan sosial {n}")});
                    let (mut status, mut case) = desk.post(first, &desk.analyst, "/cases", body.clone());
                    if status == 0 {
                        (status, case) = desk.post(a, &desk.analyst, "/cases", body);
                    }
                    assert!(status == 201, "request {n}: {status} {case}");
                    acknowledged.push(case["id"].as_i64().unwrap());
                }
                acknowledged
            })
        };
        killed.wait();
        b_server.0.kill().unwrap(); // SIGKILL: no shutdown, connections cut mid-request
        b_server.0.wait().unwrap();
        client.join().unwrap()
    });

    assert_eq!(acknowledged.len(), 300);
    for &id in &acknowledged {
        assert_eq!(desk.case(a, id)["id"], id);
    }
    let distinct: std::collections::BTreeSet<_> = acknowledged.iter().collect();
    assert_eq!(distinct.len(), acknowledged.len(), "every acknowledged case is its own");
    assert!(desk.total_cases(a) >= 300);
    assert!(desk.cli(&["audit", "verify"]).contains("intact"));
}

/// The `webhook-id` and body of each request a receiver got.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on loopback that answers 204 to everything.
fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Received = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut line, mut id, mut length) = (String::new(), String::new(), 0);
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let Some((name, value)) = line.trim_end().split_once(':') else { break };
                match name.to_ascii_lowercase().as_str() {
                    "webhook-id" => id = value.trim().to_string(),
                    "content-length" => length = value.trim().parse().unwrap(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            record.lock().unwrap().push((id, serde_json::from_slice(&body).unwrap()));
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    (url, seen)
}

#[test]
fn two_servers_scanning_one_database_send_each_due_soon_event_once() {
    const CASES: usize = 20;
    let desk = Desk::new();
    desk.cli(&["user", "add", "adi", "--role", "admin"]);
    let admin =
        desk.cli(&["token", "create", "--user", "adi", "--name", "hooks"]).lines().last().unwrap().trim().to_string();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_a, a) = desk.serve(a_dir.path());
    let (_b, b) = desk.serve(b_dir.path());
    let (url, seen) = receiver();
    let (status, endpoint) = desk.post(a, &admin, "/webhooks", json!({"url": url, "events": ["case.due_soon"]}));
    assert_eq!(status, 201, "{endpoint}");

    let mut opened: Vec<i64> = (0..CASES)
        .map(|n| {
            let body = json!({"title": format!("Hoaks mendesak {n}"), "urgency": "urgent", "platforms": ["x"]});
            let (status, case) = desk.post([a, b][n % 2], &desk.analyst, "/cases", body);
            assert_eq!(status, 201, "{case}");
            case["id"].as_i64().unwrap()
        })
        .collect();
    opened.sort_unstable();
    // An hour left on each: both servers' scanners, every 50 ms, find every case due soon.
    let moved = Command::new("psql")
        .arg(desk.scratch.url())
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg("UPDATE cases SET due_at = extract(epoch FROM now())::bigint + 3600")
        .status()
        .unwrap();
    assert!(moved.success());

    let due_soon = || -> Vec<(String, i64)> {
        let seen = seen.lock().unwrap();
        seen.iter()
            .filter(|(_, body)| body["type"] == "case.due_soon")
            .map(|(id, body)| (id.clone(), body["data"]["case_id"].as_i64().unwrap_or_default()))
            .collect()
    };
    let start = Instant::now();
    while due_soon().len() < CASES && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Dozens more scans by each server: none may send an event again.
    std::thread::sleep(Duration::from_secs(1));
    let mut received = due_soon();
    received.sort_by_key(|&(_, case)| case);
    let cases: Vec<i64> = received.iter().map(|&(_, case)| case).collect();
    assert_eq!(cases, opened, "each case's event once: {received:?}");
    let ids: std::collections::BTreeSet<&String> = received.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), CASES, "one delivery each");
}

#[test]
fn two_servers_share_one_sign_in_budget() {
    let desk = Desk::new();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_a, a) = desk.serve(a_dir.path());
    let (_b, b) = desk.serve(b_dir.path());
    let sign_in = |server: SocketAddr| {
        let body = json!({"username": "ana", "password": "bukan kata sandinya"});
        answer(desk.http.post(format!("http://{server}/api/v1/session")).json(&body).send()).0
    };
    // The default budget: 5 attempts for an account from one network. Alternating between the servers,
    // each sees only half of them.
    let statuses: Vec<u16> = (0..8).map(|n| sign_in([a, b][n % 2])).collect();
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [429; 3], "the budget is spent on both servers: {statuses:?}");
}
