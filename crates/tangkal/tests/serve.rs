//! `tangkal serve` as a process: SIGTERM stops it within its shutdown deadline even while a client
//! holds a request open.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{free_port, wait_until_serving, Server, TestStore};

#[test]
fn sigterm_stops_the_server_despite_a_stalled_client() {
    let store = TestStore::new();
    let address = free_port();
    let child = store
        .command()
        .args(["serve", "--bind", &address.to_string(), "--shutdown-timeout", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    wait_until_serving(address, &mut server);

    // Headers and four bytes of a 100-byte body, then silence.
    let mut stalled = TcpStream::connect(address).unwrap();
    stalled
        .write_all(
            b"POST /api/v1/session HTTP/1.1\r\nHost: tangkal\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"us",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let pid = libc::pid_t::try_from(server.0.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "still running 15 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    assert!(status.success(), "{status}");
    assert!(took >= Duration::from_millis(1500), "the in-flight request got its grace period: {took:?}");
    assert!(took < Duration::from_secs(6), "stopped {took:?} after SIGTERM, the deadline is 2 s");
}

#[test]
fn webhook_and_tipline_settings_that_would_stop_deliveries_are_refused_by_name() {
    let store = TestStore::new();
    let run = |key: &str, value: &str| {
        store.command().args(["serve", "--bind", &free_port().to_string()]).env(key, value).output().unwrap()
    };
    for (key, value, named) in [
        ("TANGKAL_WEBHOOKS__CONCURRENCY", "0", "webhooks.concurrency"),
        ("TANGKAL_WEBHOOKS__RETRY_MAX_SECS", "1", "webhooks.retry_max_secs"),
        ("TANGKAL_TIPLINES__TELEGRAM__BOT_TOKEN", "123:abc", "tiplines.telegram.secret_token"),
        ("TANGKAL_TIPLINES__WHATSAPP__PHONE_NUMBER_ID", "1055", "tiplines.whatsapp.access_token"),
    ] {
        let out = run(key, value);
        assert!(!out.status.success(), "{key}={value} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{stderr}");
    }
}
