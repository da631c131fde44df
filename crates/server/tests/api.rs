//! The server driven over HTTP: a case's whole life, the two-person rule, the SLA clock, the role
//! matrix over the whole route table, CSRF, problem documents and audit tamper detection.

mod harness;

use std::collections::BTreeSet;

use chrono::Duration;
use harness::{draft, read, spawn, spawn_with, t0, Database, TestApp, PASSWORD};
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use reqwest::Method;
use serde_json::{json, Value};
use tangkal_cases::{Role, Status, Urgency};
use tangkal_response::clarification::{Clarification, ClarificationChange, NewClarification};
use tangkal_response::takedown::{NewTakedown, TakedownConfig, TakedownRequest};
use tangkal_response::webhook::{EventKind, NewWebhook};
use tangkal_server::auth;

#[tokio::test]
async fn a_case_lives_from_detection_to_publication() {
    let app = spawn().await;
    let id = app.open_case("Foto banjir Jakarta 2026 hasil suntingan", Urgency::Normal);
    let case_path = format!("/api/v1/cases/{id}");

    let (status, case) = app.call(Method::GET, &case_path, Role::Analyst, None).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "new");
    assert_eq!(case["origin"], "detector");
    assert_eq!(case["due_at"], "2026-03-03T01:00:00Z");
    assert_eq!(case["deadline"]["due_at_local"], "2026-03-03T08:00:00+07:00");
    assert_eq!(case["deadline"]["state"], "on_track");

    for to in ["triage", "investigating"] {
        let (status, body) =
            app.call(Method::POST, &format!("{case_path}/status"), Role::Analyst, Some(json!({"to": to}))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some(to)), "{body}");
    }
    let analyst_id = app.user(Role::Analyst).id;
    let (status, body) = app
        .call(Method::POST, &format!("{case_path}/assign"), Role::Analyst, Some(json!({"assignee": analyst_id})))
        .await;
    assert_eq!((status, body["assignee"]["id"].as_i64()), (200, Some(analyst_id)));

    // Evidence: a link, and a file that is stored and served back byte for byte.
    let link = reqwest::multipart::Form::new().text("kind", "link").text("url", "https://turnbackhoax.id/x");
    let r = app.request(Method::POST, &format!("{case_path}/evidence"), Some(app.user(Role::Analyst))).multipart(link);
    assert_eq!(read(r.send().await.unwrap()).await.0, 200);
    let png = b"\x89PNG\r\n\x1a\n-not-really-an-image".to_vec();
    let part = reqwest::multipart::Part::bytes(png.clone()).file_name("../../bukti.png");
    let file = reqwest::multipart::Form::new().text("kind", "file").part("file", part);
    let r = app.request(Method::POST, &format!("{case_path}/evidence"), Some(app.user(Role::Analyst))).multipart(file);
    let (status, body) = read(r.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let stored = &body["evidence"][1];
    assert_eq!(
        (stored["file"]["name"].as_str(), stored["file"]["content_type"].as_str()),
        (Some("bukti.png"), Some("image/png"))
    );
    let exe = reqwest::multipart::Part::bytes(b"MZ\x90\x00\x03\x00\x00\x00".to_vec()).file_name("x.png");
    let r = app
        .request(Method::POST, &format!("{case_path}/evidence"), Some(app.user(Role::Analyst)))
        .multipart(reqwest::multipart::Form::new().text("kind", "file").part("file", exe));
    assert_eq!(read(r.send().await.unwrap()).await.0, 415, "content decides the type, not the name");
    let file_url = format!("{case_path}/evidence/{}/file", stored["id"]);
    let download = app.request(Method::GET, &file_url, Some(app.user(Role::Reviewer))).send().await.unwrap();
    assert_eq!(download.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(download.bytes().await.unwrap().to_vec(), png);

    let (status, body) =
        app.call(Method::POST, &format!("{case_path}/verdict"), Role::Analyst, Some(json!(draft()))).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("verdict_proposed")), "{body}");
    let (status, _) = app
        .call(Method::POST, &format!("{case_path}/response"), Role::Communicator, Some(json!({"to": "responding"})))
        .await;
    assert_eq!(status, 409, "no response before approval");
    let (status, body) = app
        .call(Method::POST, &format!("{case_path}/verdict/review"), Role::Reviewer, Some(json!({"approve": true})))
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("verdict_approved")), "{body}");

    // Partners see nothing until the response goes out.
    let (_, published) = app.call(Method::GET, "/api/v1/published", Role::Partner, None).await;
    assert_eq!(published, json!([]));
    for to in ["responding", "closed"] {
        app.clock.advance(Duration::hours(2));
        let (status, body) =
            app.call(Method::POST, &format!("{case_path}/response"), Role::Communicator, Some(json!({"to": to}))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some(to)), "{body}");
    }
    let (_, case) = app.call(Method::GET, &case_path, Role::Admin, None).await;
    assert_eq!(case["deadline"]["state"], "met");
    assert_eq!(case["finished_at"], "2026-03-02T05:00:00Z");
    let (status, body) =
        app.call(Method::POST, &format!("{case_path}/assign"), Role::Analyst, Some(json!({"assignee": null}))).await;
    assert_eq!((status, body["type"].as_str()), (409, Some("/problems/illegal-transition")));

    let (_, published) = app.call(Method::GET, "/api/v1/published", Role::Partner, None).await;
    assert_eq!(published[0]["case_id"], id);
    assert_eq!(published[0]["rating"], "HOAKS");
    assert!(published[0].get("evidence").is_none(), "partners get the public part only");

    // Every step is in the audit trail, in order, with who did it.
    let (_, events) =
        app.call(Method::GET, &format!("/api/v1/audit?entity=case&entity_id={id}"), Role::Reviewer, None).await;
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "case.open",
            "case.move",
            "case.move",
            "case.assign",
            "case.evidence",
            "case.evidence",
            "verdict.propose",
            "verdict.approve",
            "case.move",
            "case.move"
        ]
    );
    assert!(events[7]["actor"].as_str().unwrap().starts_with("reviewer-user#"));
    let (_, report) = app.call(Method::GET, "/api/v1/audit/verify", Role::Admin, None).await;
    assert_eq!(report["problems"], json!([]));
}

#[tokio::test]
async fn a_verdict_needs_a_second_person() {
    let app = spawn().await;
    let id = app.open_case("Klaim vaksin", Urgency::Urgent);
    app.advance(id, Status::Investigating);
    let path = format!("/api/v1/cases/{id}/verdict");
    // The admin proposes; approving takes someone else, in the reviewer role.
    let (status, _) = app.call(Method::POST, &path, Role::Admin, Some(json!(draft()))).await;
    assert_eq!(status, 200);
    let admin = app.user(Role::Admin);
    let review = json!({"approve": true});

    // A different reviewer approves; the verdict records both people.
    let (status, body) = app.call(Method::POST, &format!("{path}/review"), Role::Reviewer, Some(review)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"]["proposed_by"]["id"], admin.id);
    assert_eq!(body["verdict"]["review"]["by"]["id"], app.user(Role::Reviewer).id);
    assert_eq!(body["verdict"]["review"]["approved"], true);

    // A non-reviewer cannot approve at all, and a non-reviewer token cannot be minted by a non-admin.
    let (status, _) =
        app.call(Method::POST, &format!("{path}/review"), Role::Analyst, Some(json!({"approve": true}))).await;
    assert_eq!(status, 403);
}

/// Writes an API token straight into the database, around the store's scope check, the way a token
/// issued before that check existed would be stored.
fn widening_token(app: &TestApp, user_id: i64, role: Role) -> String {
    let secret = auth::new_api_token();
    let (role, hash) = (role.as_str(), auth::secret_hash(&secret));
    app.with_database(|database| match database {
        Database::Sqlite(db) => db
            .execute(
                "INSERT INTO api_tokens (user_id, name, role, token_hash, created_at) VALUES (?1, 'old', ?2, ?3, 0)",
                rusqlite::params![user_id, role, hash],
            )
            .unwrap(),
        Database::Postgres(db) => db
            .execute(
                "INSERT INTO api_tokens (user_id, name, role, token_hash, created_at) VALUES ($1, 'old', $2, $3, 0)",
                &[&user_id, &role, &hash],
            )
            .unwrap() as usize,
    });
    secret
}

#[tokio::test]
async fn an_admin_cannot_approve_through_a_reviewer_scoped_token() {
    let app = spawn().await;
    let id = app.open_case("Klaim bansos", Urgency::Normal);
    app.advance(id, Status::VerdictProposed);
    let admin = app.user(Role::Admin);
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            Role::Admin,
            Some(json!({"name": "review bot", "role": "reviewer", "user_id": admin.id})),
        )
        .await;
    assert_eq!(status, 409, "a scope wider than the owner's role conflicts with it: {body}");
    let legacy = widening_token(&app, admin.id, Role::Reviewer);
    let review = app
        .request(Method::POST, &format!("/api/v1/cases/{id}/verdict/review"), None)
        .bearer_auth(&legacy)
        .json(&json!({"approve": true}));
    assert_eq!(review.send().await.unwrap().status(), 403, "the analyst's verdict stays unapproved");
    let (_, case) = app.call(Method::GET, &format!("/api/v1/cases/{id}"), Role::Admin, None).await;
    assert_eq!(case["status"], "verdict_proposed", "{case}");
    // Narrowing is fine: an admin's analyst token works as an analyst.
    let (status, _) =
        app.call(Method::POST, "/api/v1/tokens", Role::Admin, Some(json!({"name": "bot", "role": "analyst"}))).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_sla_breaches_at_the_right_minute() {
    let app = spawn().await;
    let urgent = app.open_case("Seruan kerusuhan", Urgency::Urgent);
    let normal = app.open_case("Klaim harga beras", Urgency::Normal);
    let app = &app;
    let state_at = |offset: Duration| {
        app.clock.set(t0() + offset);
        async move {
            let (_, case) = app.call(Method::GET, &format!("/api/v1/cases/{urgent}"), Role::Analyst, None).await;
            (
                case["deadline"]["state"].as_str().unwrap().to_string(),
                case["deadline"]["seconds_left"].as_i64().unwrap(),
            )
        }
    };
    assert_eq!(state_at(Duration::minutes(179)).await, ("on_track".into(), 61 * 60));
    assert_eq!(state_at(Duration::minutes(180)).await, ("at_risk".into(), 60 * 60));
    assert_eq!(state_at(Duration::minutes(240)).await, ("at_risk".into(), 0));
    assert_eq!(state_at(Duration::minutes(241)).await, ("breached".into(), -60));

    let (_, list) = app.call(Method::GET, "/api/v1/cases?sla=breached", Role::Analyst, None).await;
    assert_eq!((list["total"].as_u64(), list["cases"][0]["id"].as_i64()), (Some(1), Some(urgent)));
    let (_, list) = app.call(Method::GET, "/api/v1/cases", Role::Analyst, None).await;
    let order: Vec<i64> = list["cases"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(order, [urgent, normal], "soonest deadline first");
    let metrics = app.request(Method::GET, "/metrics", Some(app.user(Role::Monitor))).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains("tangkal_cases_breached 1"), "{metrics}");
    assert!(metrics.contains("tangkal_cases_open 2"));
    assert!(metrics.contains("route=\"/api/v1/cases/{id}\""), "latency is recorded per route template");
}

/// Everything a route needs to succeed for an allowed caller, made fresh for each call.
async fn request_for(
    app: &TestApp,
    method: &Method,
    path: &str,
) -> (String, Option<Value>, Option<reqwest::multipart::Form>) {
    let case = |to: Option<Status>| {
        let id = app.open_case("Matriks peran", Urgency::Normal);
        if let Some(to) = to {
            app.advance(id, to);
        }
        id
    };
    let fill = |id: i64| path.replace("{id}", &id.to_string());
    let unique = format!("u{}", rand_suffix());
    let tiktok_url = "https://www.tiktok.com/@a/video/1";
    // A takedown request to the liaison's platform, sent through the store.
    let takedown = || {
        let id = case(Some(Status::VerdictApproved));
        let sender = app.user(Role::Communicator).actor();
        app.with_store(|store| {
            let case = store.case(id).unwrap().unwrap();
            let new =
                NewTakedown { platform: "tiktok".into(), urls: Some(vec![tiktok_url.into()]), ..Default::default() };
            let config = TakedownConfig::default();
            let request = TakedownRequest::prepare(&case, &new, &[], &config, &sender, t0()).unwrap();
            match store.create_takedown(&request).unwrap() {
                tangkal_store::TakedownCreate::Created(r) => r.id,
                other => panic!("{other:?}"),
            }
        })
    };
    let clarification = |publish: bool| {
        let id = case(Some(Status::VerdictApproved));
        let writer = app.user(Role::Communicator).actor();
        app.with_store(|store| {
            let case = store.case(id).unwrap().unwrap();
            let draft = Clarification::draft(&case, &clarification_body(), &writer, t0()).unwrap();
            let stored = store.create_clarification(&draft).unwrap();
            if publish {
                let done = store.update_clarification(stored.id, ClarificationChange::Publish, &writer, t0()).unwrap();
                assert!(matches!(done, tangkal_store::ResponseUpdate::Done(_)), "{done:?}");
            }
            stored
        })
    };
    let hook_url = "https://hooks.example.org/tangkal";
    let webhook = || {
        let new = NewWebhook { url: hook_url.into(), events: vec![EventKind::CaseOpened], description: None };
        app.with_store(|s| s.create_webhook(&new, "whsec_AAAA", "test", t0())).unwrap().id
    };
    // A report, received over the API (the reporter's receipt).
    let report = || async {
        let body = json!({"text": "Pesan berantai soal bansos", "platform": "whatsapp"});
        let (status, receipt) =
            read(app.request(Method::POST, "/api/v1/reports", None).json(&body).send().await.unwrap()).await;
        assert_eq!(status, 201, "{receipt}");
        receipt
    };
    let report_id =
        |receipt: &Value| receipt["reference"].as_str().unwrap().rsplit('/').next().unwrap().parse::<i64>().unwrap();
    match (method.as_str(), path) {
        ("POST", "/login") | ("POST", "/lapor") => unreachable!("handled by the caller"),
        ("POST", "/api/v1/reports") => (path.into(), Some(json!({"text": "Cek pesan ini", "platform": "x"})), None),
        ("POST", "/api/v1/items") => (path.into(), Some(json!({"items": []})), None),
        ("GET", "/api/v1/reports/{id}") => (fill(report_id(&report().await)), None, None),
        ("POST", "/api/v1/reports/{id}/link") => {
            (fill(report_id(&report().await)), Some(json!({"case_id": case(None)})), None)
        }
        ("POST", "/api/v1/reports/{id}/dismiss") => {
            (fill(report_id(&report().await)), Some(json!({"reason": "bukan hoaks"})), None)
        }
        ("GET", "/lapor/status") => {
            let receipt = report().await;
            let url = receipt["status_url"].as_str().unwrap();
            (url[url.find("/lapor/status").unwrap()..].to_string(), None, None)
        }
        ("POST", "/api/v1/webhooks") => (path.into(), Some(json!({"url": hook_url, "events": ["case.opened"]})), None),
        ("GET" | "DELETE", "/api/v1/webhooks/{id}")
        | ("POST", "/api/v1/webhooks/{id}/enable")
        | ("GET", "/api/v1/webhooks/{id}/deliveries") => (fill(webhook()), None, None),
        ("POST", "/api/v1/session") => {
            (path.into(), Some(json!({"username": "analyst-user", "password": PASSWORD})), None)
        }
        // The same password again, so later sign-ins in the walk still work.
        ("POST", "/api/v1/me/password") => (path.into(), Some(json!({"current": PASSWORD, "new": PASSWORD})), None),
        ("POST", "/api/v1/users") => (
            path.into(),
            Some(json!({"username": unique, "role": "analyst", "password": "sandi yang cukup panjang"})),
            None,
        ),
        ("POST", "/api/v1/users/{id}/disable") => {
            let new = tangkal_store::NewUser {
                username: &unique,
                display_name: &unique,
                role: Role::Analyst,
                platform: None,
                organisation: "Tangkal",
                password_hash: &app.password_hash,
                time_zone: "Asia/Jakarta",
            };
            let user = app.with_store(|s| s.add_user(&new, "test", t0())).unwrap();
            (fill(user.id), None, None)
        }
        ("POST", "/api/v1/tokens") => (path.into(), Some(json!({"name": unique, "role": "partner"})), None),
        ("DELETE", "/api/v1/tokens/{id}") => {
            let secret = tangkal_server::auth::new_api_token();
            let hash = tangkal_server::auth::secret_hash(&secret);
            let admin = app.user(Role::Admin).id;
            let token = app.with_store(|s| s.create_token(admin, &unique, Role::Partner, &hash, "test", t0())).unwrap();
            (fill(token.id), None, None)
        }
        ("POST", "/api/v1/cases") => (path.into(), Some(json!({"title": "Dibuka manual", "platforms": ["x"]})), None),
        ("GET", "/api/v1/cases/{id}") => (fill(case(None)), None, None),
        ("POST", "/api/v1/cases/{id}/status") => (fill(case(None)), Some(json!({"to": "triage"})), None),
        ("POST", "/api/v1/cases/{id}/assign") => {
            (fill(case(None)), Some(json!({"assignee": app.user(Role::Analyst).id})), None)
        }
        ("POST", "/api/v1/cases/{id}/priority") => {
            (fill(case(None)), Some(json!({"priority": "P1", "reason": "menyebar cepat"})), None)
        }
        ("POST", "/api/v1/cases/{id}/evidence") => {
            (fill(case(None)), None, Some(reqwest::multipart::Form::new().text("kind", "note").text("note", "catatan")))
        }
        ("GET", "/api/v1/cases/{id}/evidence/{evidence_id}/file") => {
            let id = case(None);
            let form = reqwest::multipart::Form::new()
                .text("kind", "file")
                .part("file", reqwest::multipart::Part::bytes(b"teks bukti".to_vec()).file_name("bukti.txt"));
            let r = app
                .request(Method::POST, &format!("/api/v1/cases/{id}/evidence"), Some(app.user(Role::Admin)))
                .multipart(form);
            let (status, body) = read(r.send().await.unwrap()).await;
            assert_eq!(status, 200, "{body}");
            (fill(id).replace("{evidence_id}", &body["evidence"][0]["id"].to_string()), None, None)
        }
        ("POST", "/api/v1/cases/{id}/verdict") => (fill(case(Some(Status::Investigating))), Some(json!(draft())), None),
        ("POST", "/api/v1/cases/{id}/verdict/review") => {
            (fill(case(Some(Status::VerdictProposed))), Some(json!({"approve": true})), None)
        }
        ("POST", "/api/v1/cases/{id}/response") => {
            (fill(case(Some(Status::VerdictApproved))), Some(json!({"to": "responding"})), None)
        }
        ("POST", "/api/v1/cases/{id}/takedowns") => {
            (fill(case(Some(Status::VerdictApproved))), Some(json!({"platform": "tiktok", "urls": [tiktok_url]})), None)
        }
        ("GET", "/api/v1/takedowns/{id}") | ("GET", "/api/v1/takedowns/{id}/letter") => (fill(takedown()), None, None),
        ("POST", "/api/v1/takedowns/{id}/urls") => {
            (fill(takedown()), Some(json!({"urls": ["https://www.tiktok.com/@b/video/2"]})), None)
        }
        ("POST", "/api/v1/takedowns/{id}/outcomes") => {
            (fill(takedown()), Some(json!([{"url": tiktok_url, "status": "removed"}])), None)
        }
        ("POST", "/api/v1/cases/{id}/clarifications") => {
            (fill(case(Some(Status::VerdictApproved))), Some(json!(clarification_body())), None)
        }
        ("GET", "/api/v1/clarifications/{id}") | ("POST", "/api/v1/clarifications/{id}/publish") => {
            (fill(clarification(false).id), None, None)
        }
        ("PUT", "/api/v1/clarifications/{id}") => {
            (fill(clarification(false).id), Some(json!(clarification_body())), None)
        }
        ("POST", "/api/v1/clarifications/{id}/corrections") => {
            (fill(clarification(true).id), Some(json!({"reason": "Sumber ditambah"})), None)
        }
        ("GET", "/cek-fakta/{slug}") => (path.replace("{slug}", &clarification(true).slug), None, None),
        ("GET", "/desk/cases/{id}") => (fill(case(None)), None, None),
        ("POST", "/desk/cases/{id}/assign") => {
            (fill(case(None)), Some(json!({"assignee": app.user(Role::Analyst).id.to_string()})), None)
        }
        ("POST", "/desk/cases/{id}/status") => (fill(case(None)), Some(json!({"to": "triage"})), None),
        ("POST", "/desk/cases/{id}/verdict") => (
            fill(case(Some(Status::Investigating))),
            Some(json!({"rating": "HOAKS", "misinfo_type": "manipulated", "explanation": "Foto lama."})),
            None,
        ),
        ("POST", "/desk/cases/{id}/review") => {
            (fill(case(Some(Status::VerdictProposed))), Some(json!({"decision": "approve"})), None)
        }
        ("POST", "/desk/cases/{id}/response") => {
            (fill(case(Some(Status::VerdictApproved))), Some(json!({"to": "responding"})), None)
        }
        ("POST", "/desk/cases/{id}/evidence") => {
            (fill(case(None)), None, Some(reqwest::multipart::Form::new().text("kind", "note").text("note", "catatan")))
        }
        ("POST", "/desk/cases/{id}/takedowns") => {
            (fill(case(Some(Status::VerdictApproved))), Some(json!({"platform": "tiktok", "urls": tiktok_url})), None)
        }
        ("POST", "/desk/cases/{id}/clarifications") => (
            fill(case(Some(Status::VerdictApproved))),
            Some(json!({"title": "Surat suara tercoblos", "body_markdown": "Foto itu lama.", "action": "save"})),
            None,
        ),
        ("POST", "/desk/takedowns/{id}/outcomes") => {
            (fill(takedown()), Some(json!({"url": tiktok_url, "status": "removed"})), None)
        }
        ("POST", "/desk/clarifications/{id}/publish") => (fill(clarification(false).id), Some(json!({})), None),
        ("GET", "/desk/narratives/{id}") | ("POST", "/desk/narratives/{id}/case") => {
            let id = NARRATIVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let narrative = harness::store_narrative(app, id, &["Kabar bohong", "Kabar bohong!", "kabar bohong"]);
            (fill(narrative), Some(json!({})).filter(|_| method == Method::POST), None)
        }
        ("GET", "/desk/dashboard.csv") => ("/desk/dashboard.csv?figure=cases_by_status".into(), None, None),
        ("GET", "/desk/laporan/{id}") => (fill(report_id(&report().await)), None, None),
        ("POST", "/desk/laporan/{id}/link") => {
            (fill(report_id(&report().await)), Some(json!({"case_number": case(None).to_string()})), None)
        }
        ("POST", "/desk/laporan/{id}/dismiss") => {
            (fill(report_id(&report().await)), Some(json!({"reason": "bukan hoaks"})), None)
        }
        ("POST", "/desk/admin/users") => (
            path.into(),
            Some(json!({"username": unique, "role": "analyst", "password": "sandi yang cukup panjang"})),
            None,
        ),
        // The same account or token as the API's route gets, disabled or revoked through the form.
        ("POST", "/desk/admin/users/{id}/disable") => {
            let (url, _, _) = Box::pin(request_for(app, method, "/api/v1/users/{id}/disable")).await;
            (url.replace("/api/v1/users", "/desk/admin/users"), Some(json!({})), None)
        }
        ("POST", "/desk/admin/tokens") => (path.into(), Some(json!({"name": unique, "role": "partner"})), None),
        ("POST", "/desk/admin/tokens/{id}/revoke") => {
            let (url, _, _) = Box::pin(request_for(app, &Method::DELETE, "/api/v1/tokens/{id}")).await;
            (format!("{}/revoke", url.replace("/api/v1/tokens", "/desk/admin/tokens")), Some(json!({})), None)
        }
        ("POST", "/desk/admin/thresholds") => {
            (path.into(), Some(json!({"auto_answer": "0.48", "suggest": "0.12"})), None)
        }
        ("POST", "/desk/admin/platforms") => {
            (path.into(), Some(json!({"platform": "tiktok", "addressee": "PT Contoh", "channel": ""})), None)
        }
        ("POST", "/desk/admin/webhooks") => {
            (path.into(), Some(json!({"url": hook_url, "event:case.opened": "on"})), None)
        }
        ("GET", "/desk/admin/webhooks/{id}") => (fill(webhook()), None, None),
        ("POST", "/desk/admin/webhooks/{id}/enable") | ("POST", "/desk/admin/webhooks/{id}/delete") => {
            (fill(webhook()), Some(json!({})), None)
        }
        ("GET", "/lang/{code}") => ("/lang/en?next=%2Fdesk".into(), None, None),
        ("GET", "/assets/{file}") => (tangkal_web::assets::stylesheet().path.clone(), None, None),
        _ => (path.into(), None, None),
    }
}

/// Narrative ids for the walk: each call stores a new one.
static NARRATIVES: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);

fn clarification_body() -> NewClarification {
    NewClarification {
        title: "Surat suara tercoblos".into(),
        body_markdown: "Foto itu lama.".into(),
        sources: Vec::new(),
        claim: None,
        topic: None,
    }
}

fn rand_suffix() -> String {
    tangkal_server::auth::new_secret().chars().filter(char::is_ascii_alphanumeric).take(10).collect()
}

#[tokio::test]
async fn every_route_admits_exactly_its_roles() {
    use Role::*;
    const ALL: &[Role] = &Role::ALL;
    const PUBLIC: Option<&[Role]> = None;
    // Written out by hand, independently of the route table, which must match it exactly.
    let expected: Vec<(&str, &str, Option<&[Role]>)> = vec![
        ("GET", "/healthz", PUBLIC),
        ("GET", "/readyz", PUBLIC),
        ("GET", "/metrics", Some(&[Admin, Monitor])),
        ("GET", "/api/v1/openapi.json", PUBLIC),
        ("GET", "/login", PUBLIC),
        ("POST", "/login", PUBLIC),
        ("POST", "/logout", Some(ALL)),
        ("POST", "/api/v1/session", PUBLIC),
        ("DELETE", "/api/v1/session", Some(ALL)),
        ("GET", "/api/v1/me", Some(ALL)),
        ("POST", "/api/v1/me/password", Some(ALL)),
        ("GET", "/api/v1/users", Some(&[Admin])),
        ("POST", "/api/v1/users", Some(&[Admin])),
        ("POST", "/api/v1/users/{id}/disable", Some(&[Admin])),
        ("GET", "/api/v1/tokens", Some(&[Admin])),
        ("POST", "/api/v1/tokens", Some(&[Admin])),
        ("DELETE", "/api/v1/tokens/{id}", Some(&[Admin])),
        ("GET", "/api/v1/cases", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("POST", "/api/v1/cases", Some(&[Admin, Analyst])),
        ("GET", "/api/v1/cases/{id}", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("POST", "/api/v1/cases/{id}/status", Some(&[Admin, Analyst])),
        ("POST", "/api/v1/cases/{id}/assign", Some(&[Admin, Analyst])),
        ("POST", "/api/v1/cases/{id}/priority", Some(&[Admin, Analyst])),
        ("POST", "/api/v1/cases/{id}/evidence", Some(&[Admin, Analyst])),
        (
            "GET",
            "/api/v1/cases/{id}/evidence/{evidence_id}/file",
            Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison]),
        ),
        ("POST", "/api/v1/cases/{id}/verdict", Some(&[Admin, Analyst])),
        ("POST", "/api/v1/cases/{id}/verdict/review", Some(&[Reviewer])),
        ("POST", "/api/v1/cases/{id}/response", Some(&[Admin, Communicator])),
        ("GET", "/api/v1/published", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison, Partner])),
        ("GET", "/api/v1/audit", Some(&[Admin, Reviewer])),
        ("GET", "/api/v1/audit/verify", Some(&[Admin, Reviewer])),
        ("POST", "/api/v1/items", Some(&[Admin, Analyst, Collector])),
        ("POST", "/api/v1/cases/{id}/takedowns", Some(&[Admin, Analyst, Communicator])),
        ("GET", "/api/v1/takedowns", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("GET", "/api/v1/takedowns/{id}", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("POST", "/api/v1/takedowns/{id}/urls", Some(&[Admin, Analyst, Communicator])),
        ("POST", "/api/v1/takedowns/{id}/outcomes", Some(&[Admin, Communicator, PlatformLiaison])),
        ("GET", "/api/v1/takedowns/{id}/letter", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("GET", "/api/v1/transparency", PUBLIC),
        ("POST", "/api/v1/cases/{id}/clarifications", Some(&[Admin, Communicator])),
        ("GET", "/api/v1/clarifications", Some(&[Admin, Communicator])),
        ("GET", "/api/v1/clarifications/{id}", Some(&[Admin, Communicator])),
        ("PUT", "/api/v1/clarifications/{id}", Some(&[Admin, Communicator])),
        ("POST", "/api/v1/clarifications/{id}/publish", Some(&[Admin, Communicator])),
        ("POST", "/api/v1/clarifications/{id}/corrections", Some(&[Admin, Communicator])),
        ("GET", "/api/v1/claimreviews", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison, Partner])),
        ("GET", "/", PUBLIC),
        ("GET", "/cek-fakta", PUBLIC),
        ("GET", "/cek-fakta/feed.atom", PUBLIC),
        ("GET", "/cek-fakta/{slug}", PUBLIC),
        ("GET", "/transparansi", PUBLIC),
        ("GET", "/api/v1/webhooks", Some(&[Admin])),
        ("POST", "/api/v1/webhooks", Some(&[Admin])),
        ("GET", "/api/v1/webhooks/{id}", Some(&[Admin])),
        ("DELETE", "/api/v1/webhooks/{id}", Some(&[Admin])),
        ("POST", "/api/v1/webhooks/{id}/enable", Some(&[Admin])),
        ("GET", "/api/v1/webhooks/{id}/deliveries", Some(&[Admin])),
        ("GET", "/desk", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("GET", "/desk/cases/{id}", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("POST", "/desk/cases/{id}/assign", Some(&[Admin, Analyst])),
        ("POST", "/desk/cases/{id}/status", Some(&[Admin, Analyst])),
        ("POST", "/desk/cases/{id}/verdict", Some(&[Admin, Analyst])),
        ("POST", "/desk/cases/{id}/review", Some(&[Reviewer])),
        ("POST", "/desk/cases/{id}/response", Some(&[Admin, Communicator])),
        ("POST", "/desk/cases/{id}/evidence", Some(&[Admin, Analyst])),
        ("POST", "/desk/cases/{id}/takedowns", Some(&[Admin, Analyst, Communicator])),
        ("POST", "/desk/cases/{id}/clarifications", Some(&[Admin, Communicator])),
        ("POST", "/desk/takedowns/{id}/outcomes", Some(&[Admin, Communicator, PlatformLiaison])),
        ("POST", "/desk/clarifications/{id}/publish", Some(&[Admin, Communicator])),
        ("GET", "/desk/narratives/{id}", Some(&[Admin, Analyst, Reviewer, Communicator, PlatformLiaison])),
        ("POST", "/desk/narratives/{id}/case", Some(&[Admin, Analyst])),
        ("GET", "/desk/dashboard", Some(&[Admin, Analyst, Reviewer, Communicator])),
        ("GET", "/desk/dashboard.csv", Some(&[Admin, Analyst, Reviewer, Communicator])),
        ("GET", "/desk/laporan", Some(&[Admin, Analyst])),
        ("GET", "/desk/laporan/{id}", Some(&[Admin, Analyst])),
        ("POST", "/desk/laporan/{id}/link", Some(&[Admin, Analyst])),
        ("POST", "/desk/laporan/{id}/dismiss", Some(&[Admin, Analyst])),
        ("GET", "/desk/admin", Some(&[Admin])),
        ("POST", "/desk/admin/users", Some(&[Admin])),
        ("POST", "/desk/admin/users/{id}/disable", Some(&[Admin])),
        ("POST", "/desk/admin/tokens", Some(&[Admin])),
        ("POST", "/desk/admin/tokens/{id}/revoke", Some(&[Admin])),
        ("POST", "/desk/admin/thresholds", Some(&[Admin])),
        ("POST", "/desk/admin/platforms", Some(&[Admin])),
        ("GET", "/desk/admin/webhooks", Some(&[Admin])),
        ("POST", "/desk/admin/webhooks", Some(&[Admin])),
        ("GET", "/desk/admin/webhooks/{id}", Some(&[Admin])),
        ("POST", "/desk/admin/webhooks/{id}/enable", Some(&[Admin])),
        ("POST", "/desk/admin/webhooks/{id}/delete", Some(&[Admin])),
        ("GET", "/lang/{code}", PUBLIC),
        ("GET", "/assets/{file}", PUBLIC),
        ("POST", "/api/v1/reports", PUBLIC),
        ("GET", "/api/v1/reports", Some(&[Admin, Analyst])),
        ("GET", "/api/v1/reports/{id}", Some(&[Admin, Analyst])),
        ("POST", "/api/v1/reports/{id}/link", Some(&[Admin, Analyst])),
        ("POST", "/api/v1/reports/{id}/dismiss", Some(&[Admin, Analyst])),
        ("GET", "/lapor", PUBLIC),
        ("POST", "/lapor", PUBLIC),
        ("GET", "/lapor/status", PUBLIC),
        // The platforms sign what they send; the handlers check it (tests/tiplines.rs).
        ("GET", "/hooks/whatsapp", PUBLIC),
        ("POST", "/hooks/whatsapp", PUBLIC),
        ("POST", "/hooks/telegram", PUBLIC),
    ];
    let declared: BTreeSet<(String, String)> =
        tangkal_server::route_table().iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let listed: BTreeSet<(String, String)> = expected.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(declared, listed, "the route table and this test's list differ");

    // The walk sends a few hundred citizen reports from one address; their budget is tested elsewhere.
    let app = spawn_with(|config| config.response.reports.per_network.burst = 100_000).await;
    let mut failures = Vec::new();
    for (method, path, allowed) in expected.iter().filter(|(_, path, _)| !path.starts_with("/hooks/")) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let callers: Vec<Option<Role>> = std::iter::once(None).chain(Role::ALL.into_iter().map(Some)).collect();
        for caller in callers {
            let status = if (method.as_str(), *path) == ("POST", "/login") {
                form_login(&app, "analyst-user", PASSWORD).await
            } else if (method.as_str(), *path) == ("POST", "/lapor") {
                form_report(&app).await
            } else {
                let (url, body, form) = request_for(&app, &method, path).await;
                let mut req = app.request(method.clone(), &url, caller.map(|r| app.user(r)));
                match body {
                    // The desk's forms are HTML forms.
                    Some(Value::Object(fields)) if url.starts_with("/desk/") => {
                        let pairs: Vec<(String, String)> =
                            fields.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())).collect();
                        req = req.form(&pairs);
                    }
                    Some(body) => req = req.json(&body),
                    None => {}
                }
                if let Some(form) = form {
                    req = req.multipart(form);
                }
                if url == "/logout" {
                    req = req.form(&[("csrf_token", "")]);
                }
                let response = req.send().await.unwrap();
                let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("");
                // A desk page sends a browser without a session to sign in.
                match (response.status().as_u16(), url.starts_with("/desk") && location.starts_with("/login")) {
                    (303, true) => 401,
                    (status, _) => status,
                }
            };
            let want = match (allowed, caller) {
                (None, _) => "success",
                (Some(_), None) => "401",
                (Some(roles), Some(r)) if roles.contains(&r) => "success",
                (Some(_), Some(_)) => "403",
            };
            let got = match status {
                200..=399 => "success",
                401 => "401",
                403 => "403",
                _ => "other",
            };
            if want != got {
                failures.push(format!("{method} {path} as {caller:?}: want {want}, got {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sends a report through the HTML form, CSRF cookie and all; returns the POST's status.
async fn form_report(app: &TestApp) -> u16 {
    let response = app.request(Method::GET, "/lapor", None).send().await.unwrap();
    let cookie =
        response.headers()[reqwest::header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let token = cookie.split_once('=').unwrap().1.to_string();
    let form = [("text", "Pesan berantai soal bansos"), ("platform", "whatsapp"), ("csrf_token", token.as_str())];
    let response = app
        .request(Method::POST, "/lapor", None)
        .header(reqwest::header::COOKIE, cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// Signs in through the HTML form, CSRF cookie and all; returns the POST's status.
async fn form_login(app: &TestApp, username: &str, password: &str) -> u16 {
    let page = app.client.get(format!("{}/login", app.base)).send().await.unwrap();
    let cookie = page.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = page.text().await.unwrap();
    let token = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = app.client.post(format!("{}/login", app.base)).header("cookie", cookie).form(&[
        ("username", username),
        ("password", password),
        ("csrf_token", &token),
    ]);
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn session_cookies_need_the_csrf_token_for_changes() {
    let app = spawn().await;
    let login = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": "admin", "password": app.admin_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let set_cookie = login.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain HTTP in tests; Secure is set behind TLS");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let csrf = login.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();

    let open = |header: Option<&str>| {
        let mut r = app
            .client
            .post(format!("{}/api/v1/cases", app.base))
            .header("cookie", &cookie)
            .json(&json!({"title": "t"}));
        if let Some(h) = header {
            r = r.header("x-csrf-token", h);
        }
        r.send()
    };
    let (status, body) = read(open(None).await.unwrap()).await;
    assert_eq!((status, body["type"].as_str()), (403, Some("/problems/csrf")));
    assert_eq!(read(open(Some("wrong")).await.unwrap()).await.0, 403);
    assert_eq!(read(open(Some(&csrf)).await.unwrap()).await.0, 201);
    // Reads need no token.
    let me = app.client.get(format!("{}/api/v1/me", app.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(me.status(), 200);

    // The HTML forms: a login post without the form's token, or a logout post without the session's.
    let forged = app
        .client
        .post(format!("{}/login", app.base))
        .form(&[("username", "admin"), ("password", &app.admin_password)]);
    assert_eq!(forged.send().await.unwrap().status(), 403);
    let logout = |token: &str| {
        app.client.post(format!("{}/logout", app.base)).header("cookie", &cookie).form(&[("csrf_token", token)]).send()
    };
    assert_eq!(logout("nope").await.unwrap().status(), 403);
    assert_eq!(logout(&csrf).await.unwrap().status(), 303);
    let after = app.client.get(format!("{}/api/v1/me", app.base)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 401, "the session is gone after logout");

    // Wrong passwords are refused, and repeated failures are rate-limited.
    for _ in 0..5 {
        assert_eq!(form_login(&app, "admin", "salah salah salah").await, 401);
    }
    assert_eq!(form_login(&app, "admin", &app.admin_password).await, 429);
}

#[tokio::test]
async fn revoked_tokens_and_disabled_users_are_locked_out() {
    let app = spawn().await;
    let partner = app.user(Role::Partner).clone();
    let me = |token: String| {
        let r = app.client.get(format!("{}/api/v1/me", app.base)).bearer_auth(token);
        async move {
            let (status, body) = read(r.send().await.unwrap()).await;
            (status, body["type"].as_str().map(str::to_string))
        }
    };
    assert_eq!(me(partner.token.clone()).await, (200, None));
    let (status, _) = app.call(Method::POST, &format!("/api/v1/users/{}/disable", partner.id), Role::Admin, None).await;
    assert_eq!(status, 200);
    assert_eq!(me(partner.token.clone()).await, (401, Some("/problems/token-revoked".into())));

    let (_, token) =
        app.call(Method::POST, "/api/v1/tokens", Role::Admin, Some(json!({"name": "ci", "role": "analyst"}))).await;
    let secret = token["secret"].as_str().unwrap().to_string();
    assert_eq!(me(secret.clone()).await, (200, None));
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/tokens/{}", token["id"]), Role::Admin, None).await;
    assert_eq!(status, 200);
    assert_eq!(me(secret.clone()).await, (401, Some("/problems/token-revoked".into())));
    let unknown = format!("{secret}x");
    assert_eq!(me(unknown).await, (401, Some("/problems/unknown-credential".into())));
    let (_, tokens) = app.call(Method::GET, "/api/v1/tokens", Role::Admin, None).await;
    assert!(!tokens.to_string().contains("tkl_"), "secrets are never listed");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_expired_sessions_say_so() {
    let app = spawn().await;
    let analyst = app.user(Role::Analyst);
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let r =
            app.request(Method::GET, "/api/v1/me", None).header("authorization", format!("{scheme} {}", analyst.token));
        assert_eq!(r.send().await.unwrap().status(), 200, "{scheme}");
    }
    let login = app
        .request(Method::POST, "/api/v1/session", None)
        .json(&json!({"username": analyst.name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let me = || async {
        read(app.request(Method::GET, "/api/v1/me", None).header("cookie", &cookie).send().await.unwrap()).await
    };
    assert_eq!(me().await.0, 200);
    app.clock.advance(Duration::hours(13));
    let (status, body) = me().await;
    assert_eq!((status, body["type"].as_str()), (401, Some("/problems/session-expired")), "{body}");
}

#[tokio::test]
async fn errors_are_problem_documents_and_the_api_is_documented() {
    let app = spawn().await;
    let r = app.request(Method::GET, "/api/v1/nothing", None).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    let (status, body) = app.call(Method::POST, "/api/v1/cases", Role::Analyst, Some(json!({"title": ""}))).await;
    assert_eq!((status, body["type"].as_str()), (422, Some("/problems/invalid")));
    assert!(body["detail"].as_str().unwrap().contains("title"), "{body}");
    let r = app
        .request(Method::POST, "/api/v1/cases", Some(app.user(Role::Analyst)))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    let (status, body) =
        app.call(Method::POST, "/api/v1/cases/999/status", Role::Analyst, Some(json!({"to": "triage"}))).await;
    assert_eq!((status, body["status"].as_u64()), (404, Some(404)));
    let id = app.open_case("x", Urgency::Normal);
    let (status, body) = app
        .call(Method::POST, &format!("/api/v1/cases/{id}/status"), Role::Analyst, Some(json!({"to": "investigating"})))
        .await;
    assert_eq!((status, body["detail"].as_str()), (409, Some("a case cannot move from new to investigating")));

    let (status, doc) = read(app.request(Method::GET, "/api/v1/openapi.json", None).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone())))
        .collect();
    let api_routes: BTreeSet<(String, String)> = tangkal_server::route_table()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented, api_routes, "every API route is documented, and nothing else");
    assert!(doc["paths"]["/api/v1/cases/{id}/verdict/review"]["post"]["description"]
        .as_str()
        .unwrap()
        .ends_with("Roles: reviewer"));

    // Every refusal is documented as a problem document; the constraints come from the case rules.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let mut expected = vec!["500"];
            if !operation["description"].as_str().unwrap().ends_with("Roles: public") {
                expected.extend(["401", "403"]);
            }
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "413", "415", "422"]);
            }
            for status in expected {
                assert!(responses.contains_key(status), "{method} {path} documents {status}");
            }
            for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
                assert!(response["content"].get("application/problem+json").is_some(), "{method} {path} {status}");
            }
        }
    }
    let new_case = &doc["components"]["schemas"]["NewCase"]["properties"];
    assert_eq!(new_case["title"]["maxLength"], tangkal_cases::MAX_TITLE_CHARS);
    assert_eq!(new_case["platforms"]["items"]["enum"], json!(tangkal_server::DEFAULT_PLATFORMS));
    assert_eq!(doc["components"]["schemas"]["Signals"]["properties"]["risk"]["maximum"], 1);
}

#[tokio::test]
async fn a_liaison_sees_only_their_platform() {
    let app = spawn().await;
    let ours = app.open_case("TikTok", Urgency::Normal);
    let other = {
        let new = tangkal_cases::NewCase {
            title: "Facebook".into(),
            platforms: vec!["facebook".into()],
            ..Default::default()
        };
        app.with_store(|s| s.open_case(&new, "manual", t0())).unwrap().id
    };
    let (_, list) = app.call(Method::GET, "/api/v1/cases?platform=facebook", Role::PlatformLiaison, None).await;
    assert_eq!((list["total"].as_u64(), list["cases"][0]["id"].as_i64()), (Some(1), Some(ours)));
    let (status, _) = app.call(Method::GET, &format!("/api/v1/cases/{other}"), Role::PlatformLiaison, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn tampering_with_the_audit_trail_is_detected() {
    let app = spawn().await;
    let id = app.open_case("Audit", Urgency::Normal);
    app.advance(id, Status::VerdictApproved);
    let (_, report) = app.call(Method::GET, "/api/v1/audit/verify", Role::Reviewer, None).await;
    assert_eq!(report["problems"], json!([]));
    let checked = report["events_checked"].as_u64().unwrap();
    assert!(checked >= 17, "users, tokens, the case and its steps: {checked}");

    let (_, events) =
        app.call(Method::GET, &format!("/api/v1/audit?entity=case&entity_id={id}"), Role::Admin, None).await;
    let seq_of = |action: &str| {
        events.as_array().unwrap().iter().find(|e| e["action"] == action).unwrap()["seq"].as_i64().unwrap()
    };
    let (proposal, last) = (seq_of("verdict.propose"), seq_of("verdict.approve"));
    assert_eq!(last, checked as i64, "the approval is the newest event");
    app.execute_sql(&format!("UPDATE audit_events SET actor = 'reviewer-user#4 (reviewer)' WHERE seq = {proposal}"));
    let (_, report) = app.call(Method::GET, "/api/v1/audit/verify", Role::Admin, None).await;
    assert_eq!(report["problems"], json!([{"problem": "edited", "seq": proposal}]));

    app.execute_sql(&format!("DELETE FROM audit_events WHERE seq = 2; DELETE FROM audit_events WHERE seq = {last}"));
    let (_, report) = app.call(Method::GET, "/api/v1/audit/verify", Role::Admin, None).await;
    assert_eq!(
        report["problems"],
        json!([
            {"problem": "missing", "from": 2, "to": 2},
            {"problem": "edited", "seq": proposal},
            {"problem": "missing", "from": last, "to": last},
            // The server checkpointed the head when it started (after the events above were written).
            {"problem": "truncated", "checkpoint": "audit.checkpoints:2", "recorded": last, "found": last - 1}
        ])
    );

    // Wiping the trail and its head record: the checkpoint outside the database still knows.
    app.execute_sql("DELETE FROM audit_events; DELETE FROM audit_head;");
    let (_, report) = app.call(Method::GET, "/api/v1/audit/verify", Role::Admin, None).await;
    assert_eq!(
        report["problems"],
        json!([{"problem": "truncated", "checkpoint": "audit.checkpoints:2", "recorded": last, "found": 0}])
    );
}

#[tokio::test]
async fn the_first_start_password_can_be_changed() {
    let app = spawn().await;
    let login = |password: String| {
        let r = app
            .client
            .post(format!("{}/api/v1/session", app.base))
            .json(&json!({"username": "admin", "password": password}));
        async move { r.send().await.unwrap() }
    };
    let first = login(app.admin_password.clone()).await;
    let cookie = first.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = first.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let change = |current: &str, new: &str| {
        app.client
            .post(format!("{}/api/v1/me/password", app.base))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&json!({"current": current, "new": new}))
            .send()
    };
    assert_eq!(
        change("not it", "sandi baru yang panjang").await.unwrap().status(),
        403,
        "a wrong current password is refused, not invalid input"
    );
    assert_eq!(change(&app.admin_password, "pendek").await.unwrap().status(), 422);
    assert_eq!(change(&app.admin_password, "sandi baru yang panjang").await.unwrap().status(), 204);
    assert_eq!(login(app.admin_password.clone()).await.status(), 401);
    assert_eq!(login("sandi baru yang panjang".into()).await.status(), 200);
    let (_, events) = app.call(Method::GET, "/api/v1/audit?entity=user", Role::Admin, None).await;
    let change = events.as_array().unwrap().iter().find(|e| e["action"] == "user.password").unwrap();
    assert_eq!((change["before"].is_null(), change["after"].is_null()), (true, true), "no hashes in the trail");
}

/// Sends `request` and checks that the refusal is a problem document of `kind` with `status`.
async fn assert_problem(request: reqwest::RequestBuilder, status: u16, kind: &str) {
    let response = request.send().await.unwrap();
    let content_type = response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string());
    let (got, body) = read(response).await;
    assert_eq!(
        (got, content_type.as_deref(), body["type"].as_str(), body["status"].as_u64()),
        (status, Some("application/problem+json"), Some(kind), Some(u64::from(status))),
        "{body}"
    );
}

#[tokio::test]
async fn every_extractor_refuses_with_a_problem_document_of_its_own_kind() {
    let app = spawn().await;
    let analyst = Some(app.user(Role::Analyst));
    let id = app.open_case("x", Urgency::Normal);
    let post = |path: &str, user| app.request(Method::POST, path, user);
    let form = "application/x-www-form-urlencoded";

    // HTML forms.
    assert_problem(post("/login", None).header(CONTENT_TYPE, form).body("username=a"), 422, "/problems/invalid").await;
    assert_problem(
        post("/login", None).json(&json!({"username": "a", "password": "b"})),
        415,
        "/problems/unsupported-media-type",
    )
    .await;
    assert_problem(post("/logout", analyst).body("csrf_token=x"), 415, "/problems/unsupported-media-type").await;

    // JSON bodies.
    let cases = "/api/v1/cases";
    let json = "application/json";
    assert_problem(post(cases, analyst).header(CONTENT_TYPE, json).body("{not json"), 400, "/problems/bad-request")
        .await;
    assert_problem(post(cases, analyst).json(&json!({"summary": "no title"})), 422, "/problems/invalid").await;
    assert_problem(post(cases, analyst).json(&json!({"title": 5})), 422, "/problems/invalid").await;
    assert_problem(post(cases, analyst).body(r#"{"title": "x"}"#), 415, "/problems/unsupported-media-type").await;
    let huge = format!(r#"{{"title": "x", "summary": "{}"}}"#, "a".repeat(3 * 1024 * 1024));
    assert_problem(post(cases, analyst).header(CONTENT_TYPE, json).body(huge), 413, "/problems/payload-too-large")
        .await;

    // Multipart uploads.
    let evidence = format!("/api/v1/cases/{id}/evidence");
    assert_problem(post(&evidence, analyst).json(&json!({"kind": "note"})), 415, "/problems/unsupported-media-type")
        .await;
    assert_problem(
        post(&evidence, analyst).header(CONTENT_TYPE, "multipart/form-data").body("kind=note"),
        400,
        "/problems/bad-request",
    )
    .await;
    let truncated = "--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nnote";
    assert_problem(
        post(&evidence, analyst).header(CONTENT_TYPE, "multipart/form-data; boundary=b").body(truncated),
        400,
        "/problems/bad-request",
    )
    .await;

    // Query strings and path parameters.
    for query in ["sla=late", "limit=many", "colour=red"] {
        let request = app.request(Method::GET, &format!("{cases}?{query}"), analyst);
        assert_problem(request, 400, "/problems/bad-request").await;
    }
    let request = app.request(Method::GET, "/api/v1/cases/abc", analyst);
    assert_problem(request, 404, "/problems/not-found").await;
    let response = app.request(Method::PATCH, cases, analyst).send().await.unwrap();
    assert_eq!((response.status().as_u16(), response.headers()["allow"].to_str().unwrap()), (405, "GET, POST"));
    let request = app.request(Method::GET, &format!("/api/v1/cases/{id}/evidence/x/file"), analyst);
    assert_problem(request, 404, "/problems/not-found").await;
}

#[tokio::test]
async fn oversized_and_out_of_range_case_fields_are_refused_and_nothing_is_stored() {
    let app = spawn().await;
    let stored = || {
        app.with_store(|store| {
            let cases = store.count_cases(&tangkal_store::CaseFilter::default(), t0()).unwrap();
            let events = store.audit_events(&tangkal_store::AuditFilter::default(), 10_000, 0).unwrap().len();
            (cases, events)
        })
    };
    let before = stored();
    let huge = "a".repeat(1_900_000);
    let refused = [
        ("narratives", json!({"title": "x", "narratives": [huge]})),
        ("origin_ref", json!({"title": "x", "origin_ref": huge})),
        ("title", json!({"title": huge})),
        ("title", json!({"title": "Vaksin\u{7}chip"})),
        ("risk", json!({"title": "x", "signals": {"risk": 57.0}})),
        ("velocity", json!({"title": "x", "signals": {"velocity": -1e300}})),
        ("items", json!({"title": "x", "items": [-5]})),
        ("items", json!({"title": "x", "items": [0]})),
        ("platforms", json!({"title": "x", "platforms": ["__main__"]})),
        ("platforms", json!({"title": "x", "platforms": [""]})),
        ("platforms", json!({"title": "x", "platforms": ["TikTok"]})),
    ];
    for (field, body) in refused {
        let response =
            app.request(Method::POST, "/api/v1/cases", Some(app.user(Role::Analyst))).json(&body).send().await;
        let response = response.unwrap();
        let content_type = response.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
        let (status, problem) = read(response).await;
        assert!(status == 413 || status == 422, "{field}: {status}");
        assert_eq!(content_type, "application/problem+json");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(status == 413 || detail.starts_with(field), "{field}: {detail}");
        assert!(detail.len() < 1_000, "the detail does not echo the input back");
    }
    assert_eq!(stored(), before, "no case and no audit event");

    // Evidence: an empty file part is refused whatever the kind, as the document says.
    let id = app.open_case("x", Urgency::Normal);
    let before = stored();
    let empty = reqwest::multipart::Part::bytes(Vec::new()).file_name("kosong.txt");
    let form = reqwest::multipart::Form::new().text("kind", "note").text("note", "catatan").part("file", empty);
    let request = app.request(Method::POST, &format!("/api/v1/cases/{id}/evidence"), Some(app.user(Role::Analyst)));
    assert_problem(request.multipart(form), 422, "/problems/invalid").await;
    assert_eq!(stored(), before);

    let (status, case) = app
        .call(
            Method::POST,
            "/api/v1/cases",
            Role::Analyst,
            Some(
                json!({"title": "x", "platforms": ["whatsapp_channel", "tiktok"], "narratives": ["n-1"], "items": [1]}),
            ),
        )
        .await;
    assert_eq!((status, case["platforms"].clone()), (201, json!(["tiktok", "whatsapp_channel"])), "{case}");
}
