//! Spawns the real server on a random loopback port over a real SQLite store in a temporary directory,
//! with a manual clock, and drives it over HTTP.

// Each test binary uses a part of the harness.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tangkal_cases::{Actor, Change, Clock, ManualClock, NewCase, Role, Status, UserRef, VerdictDraft};
use tangkal_server::{auth, AppState, ServerConfig};
use tangkal_store::{NewUser, Store};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

/// A user made for a test, with an API token of their own role.
#[derive(Clone)]
pub struct TestUser {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub token: String,
}

impl TestUser {
    pub fn actor(&self) -> Actor {
        Actor::new(UserRef { id: self.id, name: self.name.clone() }, self.role, None)
    }
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    /// A second connection to the same store, as a detector or the CLI would hold.
    pub store: Mutex<Box<dyn Store>>,
    pub admin_password: String,
    /// The argon2id hash of [`PASSWORD`].
    pub password_hash: String,
    pub users: Vec<TestUser>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The running server's state, to look inside.
    pub state: AppState,
}

pub const PASSWORD: &str = "kata sandi uji yang panjang";

/// An argon2id hash of [`PASSWORD`] with small parameters: verification reads the parameters from the
/// hash, so sign-ins stay real but fast in unoptimised test builds.
fn light_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = Params::new(1024, 1, 1, None).unwrap();
    let salt = SaltString::encode_b64(b"tangkal-test-salt").unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// [`spawn`] with settings changed from the defaults.
pub async fn spawn_with(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
    let admin_password = tangkal_server::bootstrap_admin(store.as_mut(), clock.as_ref()).unwrap().expect("empty store");
    assert!(tangkal_server::bootstrap_admin(store.as_mut(), clock.as_ref()).unwrap().is_none(), "only once");
    let hash = light_hash(PASSWORD);
    let mut users = Vec::new();
    for role in Role::ALL {
        let name = format!("{}-user", role.as_str().replace('_', "-"));
        let platform = role.needs_platform().then_some("tiktok");
        let new = NewUser {
            username: &name,
            display_name: &name,
            role,
            platform,
            organisation: "Tangkal",
            password_hash: &hash,
            time_zone: "Asia/Jakarta",
        };
        let user = store.add_user(&new, "test", t0()).unwrap();
        let token = auth::new_api_token();
        store.create_token(user.id, "test", role, &auth::secret_hash(&token), "test", t0()).unwrap();
        users.push(TestUser { id: user.id, name, role, token });
    }
    let mut config = ServerConfig::new(dir.path().to_path_buf());
    // Webhooks go nowhere unless a test sends them, to its own receiver on loopback.
    config.webhooks.send = false;
    configure(&mut config);
    let state = AppState::new(config, clock.clone()).unwrap();
    let (base, stop, server) = start(state.clone()).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp {
        base,
        client,
        clock,
        dir,
        store: Mutex::new(store),
        admin_password,
        password_hash: hash,
        users,
        stop: Some(stop),
        server: Some(server),
        state,
    }
}

type Running = (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>);

/// Serves `state` on a random loopback port until told to stop.
async fn start(state: AppState) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tangkal_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (base, stop, server)
}

impl TestApp {
    /// Sends the server its shutdown signal and waits until it has stopped.
    pub async fn shut_down(&mut self) {
        let _ = self.stop.take().expect("running").send(());
        self.server.take().expect("running").await.unwrap().unwrap();
    }

    /// Starts the server again after [`TestApp::shut_down`], as a new process would: same data directory,
    /// clock and settings, new state and address.
    pub async fn start_again(&mut self) {
        assert!(self.server.is_none(), "shut down first");
        self.state = AppState::new((*self.state.config).clone(), self.clock.clone()).unwrap();
        let (base, stop, server) = start(self.state.clone()).await;
        (self.base, self.stop, self.server) = (base, Some(stop), Some(server));
    }

    pub fn user(&self, role: Role) -> &TestUser {
        self.users.iter().find(|u| u.role == role).unwrap()
    }

    pub fn request(&self, method: Method, path: &str, as_user: Option<&TestUser>) -> RequestBuilder {
        let req = self.client.request(method, format!("{}{path}", self.base));
        match as_user {
            Some(u) => req.bearer_auth(&u.token),
            None => req,
        }
    }

    pub async fn call(&self, method: Method, path: &str, as_role: Role, body: Option<Value>) -> (u16, Value) {
        let mut req = self.request(method, path, Some(self.user(as_role)));
        if let Some(body) = body {
            req = req.json(&body);
        }
        read(req.send().await.unwrap()).await
    }

    /// Opens a case the way a detector does: through the store, not HTTP.
    pub fn open_case(&self, title: &str, urgency: tangkal_cases::Urgency) -> i64 {
        let new = NewCase {
            title: title.into(),
            summary: "Klaim beredar di grup WhatsApp.".into(),
            origin: Some(tangkal_cases::Origin::Detector),
            origin_ref: Some("claims".into()),
            platforms: vec!["tiktok".into()],
            items: vec![1, 2],
            urgency,
            ..NewCase::default()
        };
        self.store.lock().unwrap().open_case(&new, "detector:claims", self.clock.now()).unwrap().id
    }

    /// Moves a case to `to` through the store, the legitimate way (proposal by the analyst, approval by
    /// the reviewer).
    pub fn advance(&self, id: i64, to: Status) {
        let (analyst, reviewer) = (self.user(Role::Analyst).actor(), self.user(Role::Reviewer).actor());
        let comms = self.user(Role::Communicator).actor();
        let steps: Vec<(Change, &Actor)> = vec![
            (Change::Move { to: Status::Triage, reason: None }, &analyst),
            (Change::Move { to: Status::Investigating, reason: None }, &analyst),
            (Change::ProposeVerdict(draft()), &analyst),
            (Change::ReviewVerdict { approve: true, note: None }, &reviewer),
            (Change::Move { to: Status::Responding, reason: None }, &comms),
            (Change::Move { to: Status::Closed, reason: None }, &comms),
        ];
        let order = [
            Status::Triage,
            Status::Investigating,
            Status::VerdictProposed,
            Status::VerdictApproved,
            Status::Responding,
            Status::Closed,
        ];
        let n = order.iter().position(|s| *s == to).unwrap() + 1;
        let mut store = self.store.lock().unwrap();
        for (change, actor) in steps.into_iter().take(n) {
            let outcome = store.update_case(id, change, actor, self.clock.now()).unwrap();
            assert!(matches!(outcome, tangkal_store::CaseUpdate::Done(_)), "{outcome:?}");
        }
    }
}

/// Stores `texts` as TikTok posts one minute apart, by different accounts, all copies of one narrative
/// (the first text is the central copy), the way the narrative stage would; returns the narrative's id.
pub fn store_narrative(app: &TestApp, id: i64, texts: &[&str]) -> i64 {
    use tangkal_store::{ItemRecord, NarrativeRow, NarrativeUpdate, SourceRef};
    let items: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let line = json!({
                "id": format!("tiktok:{id}-{i}"),
                "platform": "tiktok",
                "url": format!("https://www.tiktok.com/@akun{i}/video/{id}{i}"),
                "author": {"id": format!("akun-{id}-{i}"), "handle": format!("akun{i}")},
                "text": text,
                "published_at": (t0() - chrono::Duration::minutes(60 - i as i64)).to_rfc3339(),
                "metrics": {"views": 100, "shares": 10},
            });
            tangkal_model::parse_json_item(line.to_string().as_bytes(), tangkal_model::DEFAULT_MAX_TEXT_BYTES).unwrap()
        })
        .collect();
    let records: Vec<_> =
        items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 1 }).collect();
    let mut store = app.store.lock().unwrap();
    store.write_items(&SourceRef { kind: "file".into(), location: format!("n{id}.jsonl") }, &records).unwrap();
    let ids: Vec<i64> =
        store.items_after(0, 100_000).unwrap().into_iter().rev().take(texts.len()).map(|p| p.id).rev().collect();
    let first = ids[0];
    let published: Vec<i64> = items.iter().map(|i| i.published_at.timestamp()).collect();
    let figures = NarrativeRow {
        id,
        first_seen: published[0],
        last_seen: *published.last().unwrap(),
        items: texts.len() as u64,
        accounts: texts.len() as u64,
        platforms: vec!["tiktok".into()],
        views: 100 * texts.len() as u64,
        shares: 10 * texts.len() as u64,
        velocity_1h: texts.len() as f64,
        velocity_6h: texts.len() as f64 / 6.0,
        velocity_24h: texts.len() as f64 / 24.0,
        accelerating: true,
        representative_item_id: first,
    };
    let update = NarrativeUpdate {
        assignments: ids.iter().map(|item| (*item, id, 1)).collect(),
        merges: Vec::new(),
        figures: vec![figures],
    };
    store.save_narratives(&update).unwrap();
    id
}

pub fn draft() -> VerdictDraft {
    serde_json::from_value(json!({
        "rating": "HOAKS",
        "misinfo_type": "manipulated",
        "explanation": "Foto itu hasil suntingan; aslinya dari banjir 2020."
    }))
    .unwrap()
}

pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}
