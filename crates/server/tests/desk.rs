//! The desk's pages over HTTP: what each page shows and to whom, sign-in first, CSRF on every form,
//! refused forms answered with the page and its error summary, escaping of whatever the data holds,
//! the language switch and the cached assets.

mod harness;

use harness::{read, spawn, spawn_with, store_narrative, TestApp, PASSWORD};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::json;
use tangkal_cases::{Clock, NewCase, Role, Status, Urgency};
use tangkal_store::AuditFilter;

/// A browser session: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn session(app: &TestApp, username: &str) -> Session {
    let response = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = response.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    Session { cookie, csrf }
}

/// GET as a signed-in browser: status, headers and body.
async fn page(app: &TestApp, s: &Session, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = app.client.get(format!("{}{path}", app.base)).header("cookie", &s.cookie).send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

/// POST a form as a signed-in browser.
async fn post(app: &TestApp, s: &Session, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let r =
        app.client.post(format!("{}{path}", app.base)).header("cookie", &s.cookie).form(fields).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

fn username(role: Role) -> String {
    format!("{}-user", role.as_str().replace('_', "-"))
}

fn open_case_on(app: &TestApp, title: &str, platform: &str, urgency: Urgency) -> i64 {
    let new = NewCase { title: title.into(), platforms: vec![platform.into()], urgency, ..NewCase::default() };
    app.with_store(|s| s.open_case(&new, "detector:claims", app.clock.now())).unwrap().id
}

#[tokio::test]
async fn the_queue_lists_open_cases_soonest_deadline_first_with_filters_and_a_refreshable_part() {
    let app = spawn().await;
    let normal = open_case_on(&app, "Kasus biasa di TikTok", "tiktok", Urgency::Normal);
    let urgent = open_case_on(&app, "Kasus mendesak di TikTok", "tiktok", Urgency::Urgent);
    let elsewhere = open_case_on(&app, "Kasus di X saja", "x", Urgency::Normal);
    let closed = open_case_on(&app, "Kasus yang sudah selesai", "tiktok", Urgency::Normal);
    app.advance(closed, Status::Closed);
    let analyst = session(&app, &username(Role::Analyst)).await;

    let (status, headers, html) = page(&app, &analyst, "/desk").await;
    assert_eq!(status, 200);
    assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(html.contains("<html lang=\"id\">") && html.contains("<h1>Antrian</h1>"));
    let at = |id: i64| html.find(&format!("href=\"/desk/cases/{id}\"")).unwrap_or(usize::MAX);
    assert!(at(urgent) < at(normal) && at(normal) < usize::MAX, "the urgent case's clock ends first");
    assert_ne!(at(elsewhere), usize::MAX);
    assert_eq!(at(closed), usize::MAX, "closed cases are not in the queue");
    assert!(html.contains("3 dari 3 kasus"), "counted in Indonesian");
    assert!(html.contains("4 jam 0 mnt lagi") && html.contains("24 jam 0 mnt lagi"), "time left on each clock");
    assert!(html.contains(&format!("data-due=\"{}\"", (app.clock.now() + chrono::Duration::hours(4)).timestamp())));

    let (_, _, filtered) = page(&app, &analyst, "/desk?urgency=urgent").await;
    assert!(
        filtered.contains(&format!("/desk/cases/{urgent}\"")) && !filtered.contains(&format!("/desk/cases/{normal}\""))
    );
    let (_, _, finished) = page(&app, &analyst, "/desk?status=closed").await;
    assert!(finished.contains(&format!("/desk/cases/{closed}\"")));
    let (status, headers, body) = page(&app, &analyst, "/desk?priority=P9").await;
    assert_eq!((status, headers[CONTENT_TYPE].to_str().unwrap()), (400, "application/problem+json"));
    assert!(body.contains("priority"), "the refusal names the field: {body}");

    let (status, _, rows) = page(&app, &analyst, "/desk?urgency=urgent&fragment=rows").await;
    assert_eq!(status, 200);
    assert!(!rows.contains("<html") && rows.contains(&format!("/desk/cases/{urgent}\"")), "only the rows");

    // A liaison sees their platform's cases only, whatever they ask for.
    let liaison = session(&app, &username(Role::PlatformLiaison)).await;
    let (_, _, theirs) = page(&app, &liaison, "/desk?platform=x").await;
    assert!(
        theirs.contains(&format!("/desk/cases/{normal}\"")) && !theirs.contains(&format!("/desk/cases/{elsewhere}\""))
    );
}

#[tokio::test]
async fn each_page_answers_its_roles_and_sends_browsers_without_a_session_to_sign_in() {
    let app = spawn().await;
    let id = open_case_on(&app, "Kasus untuk peran", "tiktok", Urgency::Normal);
    let narrative =
        store_narrative(&app, 7, &["Pesan berantai palsu", "Pesan berantai palsu!!", "pesan berantai palsu"]);
    let mut sessions = Vec::new();
    for role in Role::ALL {
        sessions.push((role, session(&app, &username(role)).await));
    }
    for path in ["/desk".to_string(), format!("/desk/cases/{id}"), format!("/desk/narratives/{narrative}")] {
        let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        let next = url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
        assert_eq!(r.headers()[LOCATION], format!("/login?next={next}").as_str());
        for (role, s) in &sessions {
            let role = *role;
            let (status, headers, _) = page(&app, s, &path).await;
            let desk = role.allows(tangkal_cases::Permission::ReadCases);
            assert_eq!(status, if desk { 200 } else { 403 }, "{path} as {role}");
            assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8", "refusals are pages too");
        }
    }
    // A liaison does not see another platform's case or narrative: they do not exist for them.
    let other = open_case_on(&app, "Kasus di YouTube", "youtube", Urgency::Normal);
    let liaison = &sessions.iter().find(|(r, _)| *r == Role::PlatformLiaison).unwrap().1;
    assert_eq!(page(&app, liaison, &format!("/desk/cases/{other}")).await.0, 404);
    let analyst = &sessions.iter().find(|(r, _)| *r == Role::Analyst).unwrap().1;
    assert_eq!(page(&app, analyst, "/desk/cases/99999").await.0, 404);

    // Sign-in comes back to the page asked for; roles without a desk go to the public fact-checks.
    let form = app.client.get(format!("{}/login?next=%2Fdesk%2Fcases%2F{id}", app.base)).send().await.unwrap();
    let cookie = form.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = form.text().await.unwrap();
    let token = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(html.contains(&format!("name=\"next\" value=\"/desk/cases/{id}\"")));
    let signed_in = |username: &str, next: &str| {
        app.client.post(format!("{}/login", app.base)).header("cookie", &cookie).form(&[
            ("username", username.to_string()),
            ("password", PASSWORD.to_string()),
            ("csrf_token", token.clone()),
            ("next", next.to_string()),
        ])
    };
    let r = signed_in(&username(Role::Reviewer), &format!("/desk/cases/{id}")).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()),
        (303, format!("/desk/cases/{id}").as_str())
    );
    let r = signed_in(&username(Role::Analyst), "https://evil.example/").send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/desk", "only local paths are followed");
    let r = signed_in(&username(Role::Partner), "/desk").send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/cek-fakta");
    let wrong = [("username", "analyst-user"), ("password", "salah salah salah"), ("csrf_token", &token)];
    let r = app.client.post(format!("{}/login", app.base)).header("cookie", &cookie).form(&wrong).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("Nama pengguna atau kata sandi salah.") && html.contains("value=\"analyst-user\""), "{html}");
}

#[tokio::test]
async fn every_desk_form_needs_the_session_csrf_token() {
    let app = spawn().await;
    let id = open_case_on(&app, "Kasus CSRF", "tiktok", Urgency::Normal);
    let narrative = store_narrative(&app, 8, &["Teks satu", "Teks satu lagi", "Teks satu juga"]);
    let admin = session(&app, &username(Role::Admin)).await;
    let reviewer = session(&app, &username(Role::Reviewer)).await;
    // Every urlencoded form; the evidence upload (multipart) is checked below.
    let posts: Vec<(String, String)> = tangkal_server::route_table()
        .into_iter()
        .filter(|r| r.method == Method::POST && r.path.starts_with("/desk/") && !r.path.ends_with("/evidence"))
        .map(|r| {
            (
                r.path.to_string(),
                r.path.replace("{id}", &if r.path.contains("narratives") { narrative } else { id }.to_string()),
            )
        })
        .collect();
    assert!(posts.len() >= 10, "{posts:?}");
    for (declared, path) in &posts {
        // Reviewing is the reviewer's alone; an administrator may use every other form.
        let s = if declared.ends_with("/review") { &reviewer } else { &admin };
        for token in ["", "wrong"] {
            let (status, _, body) = post(&app, s, path, &[("csrf_token", token), ("to", "triage")]).await;
            assert_eq!(status, 403, "{declared} with {token:?}");
            assert!(body.contains("Formulir ini sudah tidak berlaku"), "{declared}: a page saying why");
        }
    }
    let upload =
        reqwest::multipart::Form::new().text("kind", "note").text("note", "catatan").text("csrf_token", "wrong");
    let r = app
        .client
        .post(format!("{}/desk/cases/{id}/evidence", app.base))
        .header("cookie", &admin.cookie)
        .multipart(upload);
    assert_eq!(r.send().await.unwrap().status(), 403, "the upload form too");
    let case = app.with_store(|s| s.case(id)).unwrap().unwrap();
    assert_eq!((case.status, case.evidence.len()), (Status::New, 0), "nothing was changed");

    let (status, location, _) =
        post(&app, &admin, &format!("/desk/cases/{id}/status"), &[("csrf_token", &admin.csrf), ("to", "triage")]).await;
    assert_eq!((status, location.as_str()), (303, format!("/desk/cases/{id}?done=moved").as_str()));
    // As a browser sends it: every field, the file part empty.
    let upload = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf.clone())
        .text("kind", "note")
        .text("note", "catatan")
        .text("url", "")
        .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
    let r = app
        .client
        .post(format!("{}/desk/cases/{id}/evidence", app.base))
        .header("cookie", &admin.cookie)
        .multipart(upload);
    assert_eq!(r.send().await.unwrap().status(), 303);
    let case = app.with_store(|s| s.case(id)).unwrap().unwrap();
    assert_eq!((case.status, case.evidence.len()), (Status::Triage, 1));
    let (_, _, html) = page(&app, &admin, &format!("/desk/cases/{id}?done=moved")).await;
    assert!(html.contains("Status kasus diperbarui.") && html.contains("catatan"));
}

#[tokio::test]
async fn a_case_walks_to_a_published_clarification_through_the_forms_and_refusals_name_their_field() {
    let app = spawn().await;
    let id = open_case_on(&app, "Vaksin berisi cip", "tiktok", Urgency::Normal);
    app.advance(id, Status::Investigating);
    let analyst = session(&app, &username(Role::Analyst)).await;
    let path = |what: &str| format!("/desk/cases/{id}/{what}");

    let explanation = "Tidak ada cip dalam vaksin.";
    let (status, _, html) = post(
        &app,
        &analyst,
        &path("verdict"),
        &[("csrf_token", &analyst.csrf), ("rating", "HOAKS"), ("misinfo_type", ""), ("explanation", explanation)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("class=\"error-summary\"") && html.contains("href=\"#misinfo_type\""), "{html}");
    assert!(html.contains(explanation), "what was typed is kept");
    assert_eq!(app.with_store(|s| s.case(id)).unwrap().unwrap().status, Status::Investigating, "nothing stored");
    let (status, _, _) = post(
        &app,
        &analyst,
        &path("verdict"),
        &[
            ("csrf_token", &analyst.csrf),
            ("rating", "HOAKS"),
            ("misinfo_type", "fabricated"),
            ("explanation", explanation),
        ],
    )
    .await;
    assert_eq!(status, 303);
    // The analyst may not review; the reviewer approves.
    let (status, _, _) =
        post(&app, &analyst, &path("review"), &[("csrf_token", &analyst.csrf), ("decision", "approve")]).await;
    assert_eq!(status, 403);
    let reviewer = session(&app, &username(Role::Reviewer)).await;
    let (_, _, before) = page(&app, &reviewer, &format!("/desk/cases/{id}")).await;
    assert!(before.contains("name=\"decision\" value=\"approve\""), "the reviewer is offered the review");
    let (status, _, _) = post(
        &app,
        &reviewer,
        &path("review"),
        &[("csrf_token", &reviewer.csrf), ("decision", "approve"), ("note", "")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, _, after) = page(&app, &reviewer, &format!("/desk/cases/{id}")).await;
    assert!(after.contains("Putusan disetujui") && after.contains("menyetujui putusan"), "status and audit trail");
    assert!(!after.contains("name=\"decision\""), "nothing left to review");

    let comms = session(&app, &username(Role::Communicator)).await;
    let (status, _, html) = post(
        &app,
        &comms,
        &path("takedowns"),
        &[("csrf_token", &comms.csrf), ("platform", "tiktok"), ("urls", "bukan alamat")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#takedown-urls\""), "{html}");
    let (status, _, _) = post(
        &app,
        &comms,
        &path("takedowns"),
        &[("csrf_token", &comms.csrf), ("platform", "tiktok"), ("urls", "https://www.tiktok.com/@a/video/1\n")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, html) = post(
        &app,
        &comms,
        &path("takedowns"),
        &[("csrf_token", &comms.csrf), ("platform", "tiktok"), ("urls", "https://www.tiktok.com/@b/video/2")],
    )
    .await;
    assert_eq!(status, 409, "one request a platform: {html}");
    let request = app.with_store(|s| s.list_takedowns(&Default::default(), app.clock.now(), 10, 0)).unwrap().remove(0);
    let liaison = session(&app, &username(Role::PlatformLiaison)).await;
    let (status, location, _) = post(
        &app,
        &liaison,
        &format!("/desk/takedowns/{}/outcomes", request.id),
        &[
            ("csrf_token", &liaison.csrf),
            ("url", "https://www.tiktok.com/@a/video/1"),
            ("status", "removed"),
            ("note", ""),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, format!("/desk/cases/{id}?done=outcome").as_str()));

    let editor = |action: &'static str, title: &'static str| {
        vec![
            ("csrf_token", comms.csrf.clone()),
            ("title", title.to_string()),
            ("claim", String::new()),
            ("body_markdown", "Isinya **tebal**. <img src=x onerror=alert(1)>".to_string()),
            ("sources", "Kemenkes | https://kemkes.go.id/x".to_string()),
            ("topic", "kesehatan".to_string()),
            ("action", action.to_string()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        app.client
            .post(format!("{}{}", app.base, path("clarifications")))
            .header("cookie", &comms.cookie)
            .form(&fields)
            .send()
    };
    let preview = send(editor("preview", "Vaksin tidak berisi cip")).await.unwrap();
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(html.contains("<strong>tebal</strong>") && !html.contains("<img src=x"), "rendered and sanitised: {html}");
    assert!(
        html.contains("&#34;@type&#34;: &#34;ClaimReview&#34;") || html.contains("ClaimReview"),
        "with its ClaimReview"
    );
    assert_eq!(
        app.with_store(|s| s.list_clarifications(&Default::default(), 10, 0)).unwrap().len(),
        0,
        "a preview stores nothing"
    );
    let mut fragment = editor("preview", "Vaksin tidak berisi cip");
    fragment.push(("fragment", "1".into()));
    let html = send(fragment).await.unwrap().text().await.unwrap();
    assert!(!html.contains("<html") && html.contains("public-preview"), "the script's fragment");
    let refused = send(editor("save", "")).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("href=\"#clarification-title\""));
    assert_eq!(send(editor("save", "Vaksin tidak berisi cip")).await.unwrap().status(), 303);
    let draft = app.with_store(|s| s.list_clarifications(&Default::default(), 10, 0)).unwrap().remove(0);
    assert_eq!(draft.topic, Some(tangkal_response::clarification::Topic::Kesehatan), "the editor's topic");
    let (_, _, html) = page(&app, &comms, &format!("/desk/cases/{id}")).await;
    assert!(html.contains("<option value=\"kesehatan\" selected>Kesehatan</option>"), "the draft's topic shown");
    let (status, _, _) =
        post(&app, &comms, &format!("/desk/clarifications/{}/publish", draft.id), &[("csrf_token", &comms.csrf)]).await;
    assert_eq!(status, 303);
    let (_, _, html) = page(&app, &comms, &format!("/desk/cases/{id}")).await;
    assert!(html.contains(&format!("href=\"/cek-fakta/{}\"", draft.slug)), "the public page is linked");
    assert_eq!(app.client.get(format!("{}/cek-fakta/{}", app.base, draft.slug)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn script_in_the_data_stays_text_on_every_page() {
    let app = spawn().await;
    let evil = "<script>alert(1)</script>";
    let id = open_case_on(&app, &format!("Judul {evil}"), "tiktok", Urgency::Urgent);
    app.advance(id, Status::Investigating);
    let narrative = store_narrative(&app, 9, &[&format!("Teks {evil}"), &format!("Teks {evil} lagi"), "Teks ketiga"]);
    let analyst = app.user(Role::Analyst).actor();
    let note = tangkal_cases::Change::AddEvidence {
        kind: tangkal_cases::EvidenceKind::Note,
        url: None,
        note: Some(format!("Catatan {evil}")),
        file: None,
    };
    let added = app.with_store(|s| s.update_case(id, note, &analyst, app.clock.now())).unwrap();
    assert!(matches!(added, tangkal_store::CaseUpdate::Done(_)));
    let s = session(&app, &username(Role::Admin)).await;
    for path in ["/desk".to_string(), format!("/desk/cases/{id}"), format!("/desk/narratives/{narrative}")] {
        let (status, _, html) = page(&app, &s, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains(evil), "{path} lets the markup through");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{path} shows it as text");
        assert_eq!(html.matches("<script").count(), 1, "{path}: only the page's own script element");
    }
}

#[tokio::test]
async fn a_narrative_page_shows_its_spread_and_opens_one_case() {
    let app = spawn().await;
    let narrative = store_narrative(
        &app,
        11,
        &["Bansos cair hari ini, klik tautan", "Bansos cair hari ini klik tautan!", "BANSOS CAIR HARI INI"],
    );
    let analyst = session(&app, &username(Role::Analyst)).await;
    let (status, _, html) = page(&app, &analyst, &format!("/desk/narratives/{narrative}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Bansos cair hari ini, klik tautan") && html.contains("<figure class=\"chart\""));
    assert_eq!(html.matches("<rect").count(), 1, "three posts in one hour: one bar");
    assert!(html.contains("akun0") && html.contains("akun2"), "the accounts involved");
    assert!(html.contains("Tidak ada penyebaran terkoordinasi yang terdeteksi."));
    for unknown in ["12", "5000000000", "-1"] {
        let (status, _, _) = page(&app, &analyst, &format!("/desk/narratives/{unknown}")).await;
        assert_eq!(status, 404, "narrative {unknown}: no narrative has that id");
    }

    let reviewer = session(&app, &username(Role::Reviewer)).await;
    let open = format!("/desk/narratives/{narrative}/case");
    assert_eq!(
        post(&app, &reviewer, &open, &[("csrf_token", &reviewer.csrf)]).await.0,
        403,
        "reviewers do not open cases"
    );
    let (status, location, _) = post(&app, &analyst, &open, &[("csrf_token", &analyst.csrf)]).await;
    assert_eq!(status, 303);
    let case_id: i64 = location.trim_start_matches("/desk/cases/").split('?').next().unwrap().parse().unwrap();
    let case = app.with_store(|s| s.case(case_id)).unwrap().unwrap();
    assert_eq!(
        (case.narratives.clone(), case.platforms.clone()),
        (vec![narrative.to_string()], vec!["tiktok".to_string()])
    );
    assert_eq!(case.signals.reach, Some(330));
    let (_, again, _) = post(&app, &analyst, &open, &[("csrf_token", &analyst.csrf)]).await;
    assert_eq!(again, location, "a narrative gets one case");
    let (_, _, html) = page(&app, &analyst, &format!("/desk/narratives/{narrative}")).await;
    assert!(html.contains(&format!("href=\"/desk/cases/{case_id}\"")));
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_assets_are_cached_for_good() {
    let app = spawn().await;
    let r = app.client.get(format!("{}/lang/en?next=%2Fdesk%3Fstatus%3Dnew", app.base)).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()), (303, "/desk?status=new"));
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("tangkal_lang=en;") && cookie.contains("Max-Age=31536000"), "{cookie}");
    let r = app.client.get(format!("{}/lang/en?next=%2F%2Fevil.example", app.base)).send().await.unwrap();
    assert_eq!(r.headers()[LOCATION], "/desk", "only local paths");
    assert_eq!(app.client.get(format!("{}/lang/fr", app.base)).send().await.unwrap().status(), 404);

    let mut s = session(&app, &username(Role::Analyst)).await;
    s.cookie = format!("{}; tangkal_lang=en", s.cookie);
    let (_, _, html) = page(&app, &s, "/desk").await;
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("<h1>Queue</h1>") && html.contains("Bahasa Indonesia")
    );

    let (_, _, login) = read_login(&app).await;
    let css = login.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = app.client.get(format!("{}{css}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(r.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
    let stale = app.client.get(format!("{}/assets/desk.0000000000000000.css", app.base)).send().await.unwrap();
    assert_eq!(read(stale).await.0, 404);
}

async fn read_login(app: &TestApp) -> (u16, String, String) {
    let r = app.client.get(format!("{}/login", app.base)).send().await.unwrap();
    (r.status().as_u16(), String::new(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_dashboard_counts_the_desk_and_downloads_each_figure_as_csv() {
    let app = spawn().await;
    let done = open_case_on(&app, "Selesai tepat waktu", "tiktok", Urgency::Urgent);
    app.advance(done, Status::Closed);
    open_case_on(&app, "Masih terbuka", "x", Urgency::Normal);
    store_narrative(&app, 21, &["Narasi dasbor", "Narasi dasbor!", "narasi dasbor"]);
    let analyst = session(&app, &username(Role::Analyst)).await;
    let (status, _, html) = page(&app, &analyst, "/desk/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Dasbor</h1>") && html.contains("aria-current=\"page\">Dasbor"));
    assert!(html.contains("100%") && html.contains("1 dari 1 yang selesai"), "the closed case met its clock: {html}");
    assert_eq!(html.matches("<figure class=\"chart\"").count(), 2, "two trend charts");
    assert!(html.contains("href=\"/desk/narratives/21\""), "top narratives");

    let r = app
        .client
        .get(format!("{}/desk/dashboard.csv?figure=cases_by_status", app.base))
        .header("cookie", &analyst.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("Status,Jumlah\n") && csv.contains("Baru,1\n") && csv.contains("Selesai,1\n"), "{csv}");
    let r = app
        .client
        .get(format!("{}/desk/dashboard.csv?figure=cases_per_day", app.base))
        .header("cookie", &analyst.cookie)
        .send()
        .await
        .unwrap();
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 15, "a heading and fourteen days: {csv}");
    assert!(csv.lines().last().unwrap().ends_with(",1,1"), "today: one normal and one urgent case: {csv}");
    let (status, headers, _) = page(&app, &analyst, "/desk/dashboard.csv?figure=nope").await;
    assert_eq!((status, headers[CONTENT_TYPE].to_str().unwrap()), (400, "application/problem+json"));

    // A chosen period: the campaign's days only, every figure held to it.
    let (status, _, html) = page(&app, &analyst, "/desk/dashboard?from=2026-02-20&to=2026-02-28").await;
    assert_eq!(status, 200);
    assert!(html.contains("20 Februari 2026 – 28 Februari 2026") && html.contains("value=\"2026-02-20\""));
    assert!(html.contains("0 dari 0 yang selesai"), "the cases opened on 2 March are outside it");
    assert!(html.contains("figure=cases_by_status&#38;from=2026-02-20&#38;to=2026-02-28"), "downloads keep the period");
    let r = app
        .client
        .get(format!("{}/desk/dashboard.csv?figure=cases_per_day&from=2026-02-20&to=2026-02-28", app.base))
        .header("cookie", &analyst.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().lines().count(), 10, "a heading and nine days");
    for bad in ["from=2026-03-05&to=2026-03-01", "from=kemarin", "from=2024-01-01&to=2026-01-01"] {
        let (status, _, body) = page(&app, &analyst, &format!("/desk/dashboard?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body.contains("from") || body.contains("to"), "{bad}: the field is named: {body}");
    }

    let liaison = session(&app, &username(Role::PlatformLiaison)).await;
    assert_eq!(page(&app, &liaison, "/desk/dashboard").await.0, 403, "figures over every platform are not a liaison's");
    let (_, _, queue) = page(&app, &liaison, "/desk").await;
    assert!(!queue.contains("/desk/dashboard"), "nor is the link");
}

/// Sends a citizen report over the public API; returns its number.
async fn report(app: &TestApp, body: serde_json::Value) -> i64 {
    let (status, receipt) =
        read(app.request(Method::POST, "/api/v1/reports", None).json(&body).send().await.unwrap()).await;
    assert_eq!(status, 201, "{receipt}");
    receipt["reference"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

/// The audit trail's actions on one entity, oldest first.
fn audited(app: &TestApp, entity: &str, id: i64) -> Vec<(String, String)> {
    let filter = tangkal_store::AuditFilter { entity: Some(entity.into()), entity_id: Some(id.to_string()) };
    let events = app.with_store(|s| s.audit_events(&filter, 100, 0)).unwrap();
    events.into_iter().map(|e| (e.actor, e.action)).collect()
}

#[tokio::test]
async fn the_reports_queue_filters_reports_and_its_forms_link_or_dismiss_them_as_the_api_does() {
    let app = spawn().await;
    let evil = "<script>alert(1)</script>";
    let first = report(
        &app,
        json!({"text": format!("Bansos cair {evil} hari ini"), "url": "https://hoaks.example/bansos?id=1",
               "platform": "whatsapp", "contact": "budi@example.id"}),
    )
    .await;
    app.clock.advance(chrono::Duration::minutes(5));
    let second = report(&app, json!({"text": "Vaksin berisi cip pelacak", "platform": "tiktok"})).await;
    let case = open_case_on(&app, "Klaim vaksin berisi cip", "tiktok", Urgency::Normal);
    let analyst = session(&app, &username(Role::Analyst)).await;

    let (status, _, html) = page(&app, &analyst, "/desk/laporan").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Laporan warga</h1>") && html.contains("aria-current=\"page\">Laporan</a>"));
    let at = |html: &str, id: i64| html.find(&format!("href=\"/desk/laporan/{id}\"")).unwrap_or(usize::MAX);
    assert!(at(&html, second) < at(&html, first) && at(&html, first) < usize::MAX, "newest first");
    assert!(html.contains("2 dari 2 laporan") && html.contains("5 mnt lalu") && html.contains("baru saja"));
    assert!(html.contains("hoaks.example") && html.contains("&#60;script&#62;alert(1)"), "host and escaped text");
    assert!(html.contains("whatsapp · API") && html.contains("tiktok · API"), "platform and channel");
    assert!(!html.contains(evil) && !html.contains("budi@example.id"), "no markup, never the contact");

    let (_, _, tiktok) = page(&app, &analyst, "/desk/laporan?platform=tiktok&answered=no").await;
    assert!(at(&tiktok, second) < usize::MAX && at(&tiktok, first) == usize::MAX);
    let (status, headers, body) = page(&app, &analyst, "/desk/laporan?linked=mungkin").await;
    assert_eq!((status, headers[CONTENT_TYPE].to_str().unwrap()), (400, "application/problem+json"));
    assert!(body.contains("linked"), "the refusal names the field: {body}");

    let (status, _, detail) = page(&app, &analyst, &format!("/desk/laporan/{second}")).await;
    assert_eq!(status, 200);
    assert!(detail.contains("Vaksin berisi cip pelacak") && detail.contains(&format!("value=\"{case}\"")));
    assert!(detail.contains("<dt>Masuk lewat</dt><dd>API</dd>"), "the channel");
    let (_, _, detail) = page(&app, &analyst, &format!("/desk/laporan/{first}")).await;
    assert!(!detail.contains("budi@example.id"), "the detail page does not show the contact either");

    let link = format!("/desk/laporan/{second}/link");
    let (status, _, html) =
        post(&app, &analyst, &link, &[("csrf_token", &analyst.csrf), ("case", ""), ("case_number", "99999")]).await;
    assert_eq!(status, 404);
    assert!(html.contains("href=\"#case-number\"") && html.contains("value=\"99999\""), "named and kept: {html}");
    let (status, location, _) =
        post(&app, &analyst, &link, &[("csrf_token", &analyst.csrf), ("case", &case.to_string()), ("case_number", "")])
            .await;
    assert_eq!((status, location.as_str()), (303, format!("/desk/laporan/{second}?done=linked").as_str()));
    let linked = app.with_store(|s| s.report(second)).unwrap().unwrap();
    assert_eq!((linked.status.as_str(), linked.case_id), ("linked", Some(case)));
    let analyst_label = app.user(Role::Analyst).actor().label();
    assert_eq!(audited(&app, "report", second), [(analyst_label.clone(), "report.link".to_string())]);
    let (_, _, linked_only) = page(&app, &analyst, "/desk/laporan?linked=yes").await;
    assert!(at(&linked_only, second) < usize::MAX && at(&linked_only, first) == usize::MAX);
    assert!(linked_only.contains(&format!("href=\"/desk/cases/{case}\"")), "the case is linked from the row");
    assert!(!page(&app, &analyst, &format!("/desk/laporan/{second}")).await.2.contains("audit-heading"));
    let admin = session(&app, &username(Role::Admin)).await;
    let (_, _, trail) = page(&app, &admin, &format!("/desk/laporan/{second}")).await;
    assert!(trail.contains("menautkan ke kasus"), "the audit trail, for those who may read it");

    let dismiss = format!("/desk/laporan/{first}/dismiss");
    let (status, _, html) = post(&app, &analyst, &dismiss, &[("csrf_token", &analyst.csrf), ("reason", "  ")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#dismiss-reason\""), "{html}");
    let (status, _, _) =
        post(&app, &analyst, &dismiss, &[("csrf_token", &analyst.csrf), ("reason", "Bukan klaim faktual")]).await;
    assert_eq!(status, 303);
    assert_eq!(audited(&app, "report", first), [(analyst_label, "report.dismiss".to_string())]);
    let (_, _, settled) = page(&app, &analyst, &format!("/desk/laporan/{first}?done=dismissed")).await;
    assert!(settled.contains("Laporan dikesampingkan.") && settled.contains("Bukan klaim faktual"));
    assert!(!settled.contains(&format!("action=\"/desk/laporan/{first}/link\"")), "a dismissed report is settled");
    let again = [("csrf_token", analyst.csrf.as_str()), ("case", ""), ("case_number", &case.to_string())];
    assert_eq!(post(&app, &analyst, &format!("/desk/laporan/{first}/link"), &again).await.0, 409, "as the API says");

    let reviewer = session(&app, &username(Role::Reviewer)).await;
    assert_eq!(page(&app, &reviewer, "/desk/laporan").await.0, 403);
    let (_, _, queue) = page(&app, &reviewer, "/desk").await;
    assert!(!queue.contains("href=\"/desk/laporan\""), "nor is the link there");
}

#[tokio::test]
async fn the_admin_pages_manage_users_tokens_and_webhooks_through_the_api_calls() {
    let app = spawn().await;
    let admin = session(&app, &username(Role::Admin)).await;
    let admin_label = app.user(Role::Admin).actor().label();
    let (status, _, html) = page(&app, &admin, "/desk/admin").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<h1>Administrasi</h1>") && html.contains("analyst-user") && html.contains("whatsapp_channel")
    );
    assert!(html.contains("href=\"/desk/admin/webhooks\""));

    let user = |name: &'static str, display: &'static str| {
        vec![
            ("csrf_token", admin.csrf.clone()),
            ("username", name.to_string()),
            ("display_name", display.to_string()),
            ("role", "communicator".to_string()),
            ("platform", String::new()),
            ("organisation", "Dinas Kominfo".to_string()),
            ("password", "kata sandi yang cukup panjang".to_string()),
        ]
    };
    let send = |path: &str, fields: Vec<(&'static str, String)>| {
        app.client.post(format!("{}{path}", app.base)).header("cookie", &admin.cookie).form(&fields).send()
    };
    let refused = send("/desk/admin/users", user("bukan nama", "Humas <b>Dinas</b>")).await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("href=\"#user-username\"") && html.contains("Humas &#60;b&#62;Dinas"), "{html}");
    assert!(!html.contains("kata sandi yang cukup panjang"), "a password is never sent back");
    let created = send("/desk/admin/users", user("humas-dinas", "Humas <b>Dinas</b>")).await.unwrap();
    assert_eq!(created.status(), 303);
    let new_user = app.with_store(|s| s.list_users()).unwrap().into_iter().find(|u| u.username == "humas-dinas");
    let new_user = new_user.expect("created");
    assert_eq!((new_user.role, new_user.organisation.as_str()), (Role::Communicator, "Dinas Kominfo"));
    assert_eq!(audited(&app, "user", new_user.id), [(admin_label.clone(), "user.add".to_string())]);

    let token = |role: &str| {
        vec![
            ("csrf_token", admin.csrf.clone()),
            ("name", "ekspor harian".to_string()),
            ("user_id", new_user.id.to_string()),
            ("role", role.to_string()),
        ]
    };
    let widened = send("/desk/admin/tokens", token("admin")).await.unwrap();
    assert_eq!(widened.status(), 409);
    assert!(widened.text().await.unwrap().contains("href=\"#token-role\""));
    let issued = send("/desk/admin/tokens", token("partner")).await.unwrap();
    assert_eq!(issued.status(), 201);
    assert_eq!(issued.headers()[CACHE_CONTROL], "no-store");
    let html = issued.text().await.unwrap();
    let secret = html.split("id=\"secret\" class=\"url\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let me = app.client.get(format!("{}/api/v1/me", app.base)).bearer_auth(secret).send().await.unwrap();
    assert_eq!(me.status(), 200, "the secret shown works");
    let (_, _, listing) = page(&app, &admin, "/desk/admin").await;
    assert!(listing.contains("ekspor harian") && !listing.contains(secret), "listed, the secret shown only once");
    let token_id = app.with_store(|s| s.list_tokens()).unwrap().into_iter().find(|t| t.name == "ekspor harian");
    let token_id = token_id.unwrap().id;
    let (status, location, _) =
        post(&app, &admin, &format!("/desk/admin/tokens/{token_id}/revoke"), &[("csrf_token", &admin.csrf)]).await;
    assert_eq!((status, location.as_str()), (303, "/desk/admin?done=token_revoked"));
    let me = app.client.get(format!("{}/api/v1/me", app.base)).bearer_auth(secret).send().await.unwrap();
    assert_eq!(me.status(), 401);
    let actions: Vec<String> = audited(&app, "token", token_id).into_iter().map(|(_, a)| a).collect();
    assert_eq!(actions, ["token.create", "token.revoke"]);

    let disable = format!("/desk/admin/users/{}/disable", new_user.id);
    assert_eq!(post(&app, &admin, &disable, &[("csrf_token", &admin.csrf)]).await.0, 303);
    assert!(app.with_store(|s| s.list_users()).unwrap().iter().any(|u| u.id == new_user.id && u.disabled));
    let own = format!("/desk/admin/users/{}/disable", app.user(Role::Admin).id);
    let (status, _, html) = post(&app, &admin, &own, &[("csrf_token", &admin.csrf)]).await;
    assert_eq!(status, 409, "as the API refuses it");
    assert!(html.contains("cannot disable their own account"));

    let hook = |events: &[&'static str]| {
        let mut fields = vec![
            ("csrf_token", admin.csrf.clone()),
            ("url", "https://hooks.example.org/tangkal".to_string()),
            ("description", "Kanal tim".to_string()),
        ];
        fields.extend(events.iter().map(|e| (*e, "on".to_string())));
        fields
    };
    let refused = send("/desk/admin/webhooks", hook(&[])).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("href=\"#webhook-events\""));
    let registered = send("/desk/admin/webhooks", hook(&["event:case.opened", "event:report.received"])).await.unwrap();
    assert_eq!(registered.status(), 201);
    assert!(registered.text().await.unwrap().contains("value=\"whsec_"), "the signing secret, once");
    let endpoint = app.with_store(|s| s.webhooks()).unwrap().remove(0);
    assert_eq!(endpoint.events.len(), 2);
    let (status, _, html) = page(&app, &admin, "/desk/admin/webhooks").await;
    assert_eq!(status, 200);
    assert!(html.contains("hooks.example.org/tangkal") && html.contains("case.opened, report.received"));
    let (status, _, html) = page(&app, &admin, &format!("/desk/admin/webhooks/{}", endpoint.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Belum ada pengiriman."));
    let remove = format!("/desk/admin/webhooks/{}/delete", endpoint.id);
    assert_eq!(post(&app, &admin, &remove, &[("csrf_token", &admin.csrf)]).await.0, 303);
    assert!(app.with_store(|s| s.webhooks()).unwrap().is_empty());
    assert_eq!(page(&app, &admin, &format!("/desk/admin/webhooks/{}", endpoint.id)).await.0, 404);
    let actions: Vec<String> = audited(&app, "webhook", endpoint.id).into_iter().map(|(_, a)| a).collect();
    assert_eq!(actions, ["webhook.create", "webhook.delete"]);

    let (_, _, html) = page(&app, &admin, "/desk/admin").await;
    assert!(html.contains("name=\"auto_answer\" value=\"0.48\""), "the shipped thresholds until changed");
    let thresholds = |auto: &str, suggest: &str| {
        vec![("csrf_token", admin.csrf.clone()), ("auto_answer", auto.to_string()), ("suggest", suggest.to_string())]
    };
    let refused = send("/desk/admin/thresholds", thresholds("0,3", "0,4")).await.unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("href=\"#thresholds-suggest\"") && html.contains("value=\"0,4\""), "{html}");
    let saved = send("/desk/admin/thresholds", thresholds("0,55", "0.2")).await.unwrap();
    assert_eq!(saved.status(), 303);
    let stored = app.with_store(|s| s.setting("matcher.thresholds")).unwrap().expect("stored");
    assert_eq!(
        (stored.value, stored.updated_by.as_str()),
        (json!({"auto_answer": 0.55, "suggest": 0.2}), admin_label.as_str())
    );
    let (_, _, html) = page(&app, &admin, "/desk/admin").await;
    assert!(html.contains("name=\"auto_answer\" value=\"0.55\"") && html.contains(&admin_label));

    let contact = |platform: &str, channel: &str| {
        vec![
            ("csrf_token", admin.csrf.clone()),
            ("platform", platform.to_string()),
            ("addressee", "PT Contoh <Trust & Safety>".to_string()),
            ("channel", channel.to_string()),
        ]
    };
    let refused = send("/desk/admin/platforms", contact("tiktok", "bukan alamat")).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("href=\"#platform-tiktok-channel\""));
    assert_eq!(send("/desk/admin/platforms", contact("myspace", "")).await.unwrap().status(), 422);
    assert_eq!(send("/desk/admin/platforms", contact("tiktok", "legal@contoh.co.id")).await.unwrap().status(), 303);
    let (_, _, html) = page(&app, &admin, "/desk/admin").await;
    assert!(html.contains("value=\"PT Contoh &#60;Trust &#38; Safety&#62;\"") && html.contains("legal@contoh.co.id"));
    let filter = AuditFilter { entity: Some("setting".into()), ..AuditFilter::default() };
    let changes = app.with_store(|s| s.audit_events(&filter, 10, 0)).unwrap();
    let changed: Vec<String> = changes.into_iter().map(|e| e.entity_id).collect();
    assert_eq!(changed, ["matcher.thresholds", "platform.tiktok"]);

    let analyst = session(&app, &username(Role::Analyst)).await;
    assert_eq!(page(&app, &analyst, "/desk/admin").await.0, 403);
    assert_eq!(page(&app, &analyst, "/desk/admin/webhooks").await.0, 403);
    let own_thresholds = [("csrf_token", analyst.csrf.as_str()), ("auto_answer", "0.1"), ("suggest", "0.1")];
    assert_eq!(post(&app, &analyst, "/desk/admin/thresholds", &own_thresholds).await.0, 403);
    let (_, _, queue) = page(&app, &analyst, "/desk").await;
    assert!(!queue.contains("href=\"/desk/admin\""));
}

#[tokio::test]
async fn the_reports_queue_shows_fifty_a_page_in_under_100_kb_and_reads_in_english() {
    let app = spawn_with(|config| config.response.reports.per_network.burst = 1000).await;
    for n in 0..60 {
        let text = format!("Laporan nomor {n}: {}", "pesan berantai yang sangat panjang ".repeat(140));
        report(&app, json!({"text": text, "url": format!("https://hoaks.example/{n}"), "platform": "x"})).await;
    }
    let mut analyst = session(&app, &username(Role::Analyst)).await;
    let (status, _, first) = page(&app, &analyst, "/desk/laporan").await;
    assert_eq!(status, 200);
    assert_eq!(first.matches("href=\"/desk/laporan/").count(), 50);
    assert!(first.contains("50 dari 60 laporan") && first.contains("href=\"/desk/laporan?page=2\""));
    assert!(first.len() < 100_000, "a full page weighs {} bytes", first.len());
    let (_, _, second) = page(&app, &analyst, "/desk/laporan?page=2").await;
    assert_eq!(second.matches("href=\"/desk/laporan/").count(), 10);
    assert!(second.contains("Laporan nomor 0:"), "the oldest last");

    analyst.cookie = format!("{}; tangkal_lang=en", analyst.cookie);
    let (_, _, english) = page(&app, &analyst, "/desk/laporan").await;
    assert!(english.contains("<h1>Citizen reports</h1>") && english.contains("50 of 60 reports"));
    let id = app.with_store(|s| s.list_reports(&Default::default(), 1, 0)).unwrap().remove(0).id;
    let (_, _, detail) = page(&app, &analyst, &format!("/desk/laporan/{id}")).await;
    assert!(detail.contains("Link to a case") && detail.contains("Dismiss the report"));
}
