//! `tangkal user`, `tangkal token` and `tangkal audit verify` as an administrator runs them.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn tangkal(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tangkal"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("TANGKAL_CONFIG")
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

#[test]
fn accounts_tokens_and_a_tampered_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
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

    let db = rusqlite::Connection::open(data.join("tangkal.sqlite3")).unwrap();
    db.execute("UPDATE audit_events SET action = 'token.create' WHERE seq = 4", []).unwrap();
    db.execute("DELETE FROM audit_events WHERE seq = 2", []).unwrap();
    let bad = tangkal(data, &["audit", "verify"], None);
    assert_eq!(bad.status.code(), Some(2));
    let report = stdout(&bad);
    assert!(report.contains("event 2 was deleted"), "{report}");
    assert!(report.contains("event 4 was edited"), "{report}");
}
