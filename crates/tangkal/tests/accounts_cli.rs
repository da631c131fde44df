//! `tangkal user`, `tangkal token` and `tangkal audit` as an administrator runs them.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::TestStore;

fn tangkal(store: &TestStore, args: &[&str], stdin: Option<&str>) -> Output {
    tangkal_with_env(store, args, stdin, &[])
}

fn tangkal_with_env(store: &TestStore, args: &[&str], stdin: Option<&str>, env: &[(&str, &Path)]) -> Output {
    let mut child = store
        .command()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn accounts_tokens_and_a_tampered_audit_trail() {
    let data = &TestStore::new();
    let add = tangkal(
        data,
        &["user", "add", "rina", "--role", "reviewer", "--password-stdin"],
        Some("sandi yang cukup panjang\n"),
    );
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let liaison = tangkal(data, &["user", "add", "lia", "--role", "platform_liaison"], None);
    assert!(!liaison.status.success());
    assert!(String::from_utf8_lossy(&liaison.stderr).contains("platform"), "the refusal names the field");
    let bad_role = tangkal(data, &["user", "add", "x", "--role", "boss"], None);
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));
    let lia = tangkal(data, &["user", "add", "lia", "--role", "platform_liaison", "--platform", "TikTok"], None);
    assert!(stdout(&lia).contains("password (shown once)"));

    let token = tangkal(data, &["token", "create", "--user", "rina", "--name", "review bot"], None);
    assert!(stdout(&token).contains("acting as reviewer") && stdout(&token).contains("tkl_"), "{}", stdout(&token));
    let wider = tangkal(data, &["token", "create", "--user", "rina", "--name", "x", "--role", "admin"], None);
    assert!(!wider.status.success(), "a reviewer cannot hold an admin token");
    assert!(tangkal(data, &["token", "revoke", "1"], None).status.success());
    assert!(tangkal(data, &["user", "disable", "lia"], None).status.success());
    let list = stdout(&tangkal(data, &["user", "list"], None));
    assert!(list.contains("disabled") && list.contains("tiktok"), "{list}");

    let ok = tangkal(data, &["audit", "verify"], None);
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).contains("intact: 5 events"), "{}", stdout(&ok));

    data.execute_around_the_store(
        "UPDATE audit_events SET action = 'token.create' WHERE seq = 4; DELETE FROM audit_events WHERE seq = 2",
    );
    let bad = tangkal(data, &["audit", "verify"], None);
    assert_eq!(bad.status.code(), Some(2));
    let report = stdout(&bad);
    assert!(report.contains("event 2 was deleted"), "{report}");
    assert!(report.contains("event 4 was edited"), "{report}");
}

#[test]
fn a_printed_checkpoint_shows_a_trail_wiped_with_its_key_and_checkpoints() {
    let data = &TestStore::new();
    for name in ["rina", "budi", "sari"] {
        assert!(tangkal(data, &["user", "add", name, "--role", "analyst"], None).status.success());
    }
    let printed = tangkal(data, &["audit", "checkpoint"], None);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let line = stdout(&printed).trim().to_string();
    assert!(line.starts_with("tangkal-audit-checkpoint/1 ") && line.contains(" events=3 "), "{line}");
    let ok = tangkal(data, &["audit", "verify", "--checkpoint", &line], None);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("intact: 3 events checked with the key"), "{}", stdout(&ok));

    // Everything the database's host holds is wiped: events, head, key and checkpoint file. The data
    // directory now looks new, and only the line kept elsewhere tells.
    data.execute_around_the_store("DELETE FROM audit_events; DELETE FROM audit_head;");
    std::fs::remove_file(data.data_dir().join("audit.key")).unwrap();
    std::fs::remove_file(data.data_dir().join("audit.checkpoints")).unwrap();
    assert_eq!(tangkal(data, &["audit", "verify"], None).status.code(), Some(0));
    let kept = data.data_dir().join("kept.checkpoints");
    std::fs::write(&kept, format!("{line}\n")).unwrap();
    let caught = tangkal(data, &["audit", "verify", "--checkpoint", kept.to_str().unwrap()], None);
    assert_eq!(caught.status.code(), Some(2));
    assert!(stdout(&caught).contains("events 1 to 3 were deleted: checkpoint"), "{}", stdout(&caught));
    assert!(stdout(&caught).contains("kept.checkpoints:1 recorded 3 events, the trail has 0"), "{}", stdout(&caught));

    let retyped = line.replace("events=3", "events=03");
    let refused = tangkal(data, &["audit", "verify", "--checkpoint", &retyped], None);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--checkpoint 1: not in the form Tangkal writes"), "{}", stderr(&refused));
}

#[test]
fn a_lost_key_is_reported_and_a_configured_key_lives_elsewhere() {
    let (data, keys) = (&TestStore::new(), tempfile::tempdir().unwrap());
    assert!(tangkal(data, &["user", "add", "rina", "--role", "analyst"], None).status.success());
    std::fs::remove_file(data.data_dir().join("audit.key")).unwrap();
    let verify = tangkal(data, &["audit", "verify"], None);
    assert_eq!(verify.status.code(), Some(2));
    assert!(stdout(&verify).contains("the audit key is missing: events from 1 on carry MACs"), "{}", stdout(&verify));
    let add = tangkal(data, &["user", "add", "budi", "--role", "analyst"], None);
    assert_eq!(add.status.code(), Some(1));
    assert!(
        stderr(&add).contains("audit.key: missing, but the audit trail's newest event (1) was signed"),
        "{}",
        stderr(&add)
    );
    assert!(!data.data_dir().join("audit.key").exists());

    let elsewhere = &TestStore::new();
    let (key, checkpoints) = (keys.path().join("tangkal.key"), keys.path().join("tangkal.checkpoints"));
    let env = [("TANGKAL_AUDIT__KEY_FILE", key.as_path()), ("TANGKAL_AUDIT__CHECKPOINT_FILE", checkpoints.as_path())];
    let add = tangkal_with_env(elsewhere, &["user", "add", "budi", "--role", "analyst"], None, &env);
    assert!(add.status.success(), "{}", stderr(&add));
    assert!(key.exists() && checkpoints.exists() && !elsewhere.data_dir().join("audit.key").exists());
    assert_eq!(tangkal_with_env(elsewhere, &["audit", "verify"], None, &env).status.code(), Some(0));
    // Without the configured key the trail cannot be vouched for.
    assert_eq!(tangkal(elsewhere, &["audit", "verify"], None).status.code(), Some(2));
}

#[test]
fn a_token_cannot_widen_its_owners_role() {
    let data = &TestStore::new();
    assert!(tangkal(data, &["user", "add", "adi", "--role", "admin"], None).status.success());
    let wider = tangkal(data, &["token", "create", "--user", "adi", "--name", "x", "--role", "reviewer"], None);
    assert!(!wider.status.success(), "approving verdicts is not an admin's permission");
    let message = String::from_utf8_lossy(&wider.stderr);
    assert!(message.contains("never widen") && message.contains("not reviewer"), "{message}");
    let narrower = tangkal(data, &["token", "create", "--user", "adi", "--name", "x", "--role", "partner"], None);
    assert!(stdout(&narrower).contains("acting as partner"), "{}", stdout(&narrower));
}

#[test]
fn serve_prints_the_first_password_once_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader, Read};
    let store = TestStore::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let start = |store: &TestStore| {
        store
            .command()
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env_remove("RUST_LOG") // its log says when it stopped
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut server = start(&store);
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("created user `admin`"), "{first}");
    // Wait until it answers, then ask it to stop.
    let mut up = false;
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "the server did not start listening");
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    let status = server.wait().unwrap();
    let mut log = String::new();
    server.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(status.success(), "exit {status:?}: {log}");
    assert!(log.contains("stopped"), "{log}");

    // Second start: users exist, nothing is printed.
    let again = start(&store);
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Command::new("kill").args(["-TERM", &again.id().to_string()]).status().unwrap();
    let output = again.wait_with_output().unwrap();
    assert!(output.stdout.is_empty(), "{}", String::from_utf8_lossy(&output.stdout));
}
