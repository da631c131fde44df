//! Spawns the real server on a random loopback port over a real store, with a manual clock, and drives
//! it over HTTP.
//!
//! The store's backend comes from `TANGKAL_TEST_STORE`: `sqlite` (the default) puts it in the app's
//! temporary data directory; `postgres` puts it in a fresh schema of the test database
//! ([`ScratchSchema`]: `TANGKAL_TEST_DATABASE_URL`, by default the local server's `test` database),
//! dropped with the app. The data directory holds the local files with either backend.
//!
//! PostgreSQL's client is synchronous and blocks on a runtime of its own, which panics inside tokio's (a
//! test's body or a worker thread). So tests reach the store only through [`TestApp::with_store`] and the
//! database only through [`TestApp::with_database`], and whatever connects or disconnects runs in
//! [`blocking`]: on a thread of its own, the same on both backends.

// Each test binary uses a part of the harness.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tangkal_cases::{Actor, Change, Clock, ManualClock, NewCase, Role, Status, UserRef, VerdictDraft};
use tangkal_server::{auth, AppState, ServerConfig};
use tangkal_store::{NewUser, ScratchSchema, Store, StoreLocation};

/// The backend the tests run on, from `TANGKAL_TEST_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Refuses a value it does not know rather than testing SQLite while the caller meant something else.
    pub fn from_env() -> Backend {
        match std::env::var("TANGKAL_TEST_STORE").as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("" | "sqlite") => Backend::Sqlite,
            Ok("postgres") => Backend::Postgres,
            other => panic!("TANGKAL_TEST_STORE must be `sqlite` or `postgres`, not {other:?}"),
        }
    }
}

/// Runs `f` on a thread of its own and waits for it: the way to connect to PostgreSQL, use or drop a
/// connection from an async test. A panic in `f` goes on in the caller, with its message.
pub fn blocking<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| s.spawn(f).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
}

/// Holds a connection or a scratch schema (None: nothing) and drops it in [`blocking`]: a test drops it
/// in its async body, perhaps while unwinding from a failed assertion, where a panic would abort.
pub struct DropOffRuntime<T: Send>(pub Option<T>);

impl<T: Send> Drop for DropOffRuntime<T> {
    fn drop(&mut self) {
        if let Some(held) = self.0.take() {
            blocking(move || drop(held));
        }
    }
}

/// The test's PostgreSQL schema. The server may still run when the app is dropped (its tasks go with the
/// test's runtime, just after), and `DROP SCHEMA` can deadlock with one of its transactions: the drop is
/// tried again until it goes through, ahead of [`ScratchSchema`]'s own, which only logs a failure.
struct Schema(ScratchSchema);

impl Drop for Schema {
    fn drop(&mut self) {
        let drop_schema = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0.name());
        for attempt in 1..=10 {
            let dropped = postgres::Client::connect(&self.0.url(), postgres::NoTls)
                .and_then(|mut client| client.batch_execute(&drop_schema));
            match dropped {
                Ok(()) => return,
                Err(e) if attempt == 10 => eprintln!("cannot drop the scratch schema {}: {e}", self.0.name()),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(200)),
            }
        }
    }
}

/// A connection straight to the test's database, around the store: for tests about what someone with
/// access to the database can do (edit the audit trail, insert what the store refuses, break a write).
pub enum Database {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

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
    /// A second connection to the same store, as a detector or the CLI would hold: reached through
    /// [`TestApp::with_store`] only. Declared before `scratch`, so closed before the schema is dropped.
    store: Mutex<DropOffRuntime<Box<dyn Store>>>,
    /// The PostgreSQL schema the store is in, as long as the app (restarts included); None on SQLite.
    scratch: DropOffRuntime<Schema>,
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

/// [`spawn`] with settings changed from the defaults. `configure` runs off the async runtime with the
/// store's location already set, after the users are made and before the server starts: it may open the
/// store and fill it, as a command run before `tangkal serve` would.
pub async fn spawn_with(configure: impl FnOnce(&mut ServerConfig) + Send) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let scratch = DropOffRuntime(match Backend::from_env() {
        Backend::Sqlite => None,
        Backend::Postgres => {
            Some(Schema(blocking(|| ScratchSchema::create().expect("a scratch schema in the test database"))))
        }
    });
    let mut config = ServerConfig::new(dir.path().to_path_buf());
    config.store.database_url = scratch.0.as_ref().map(|schema| schema.0.url());
    // Webhooks go nowhere unless a test sends them, to its own receiver on loopback.
    config.webhooks.send = false;
    let hash = light_hash(PASSWORD);
    let (store, admin_password, users, state) = blocking(|| {
        let mut store = tangkal_store::open(&config.store).unwrap();
        let admin_password =
            tangkal_server::bootstrap_admin(store.as_mut(), clock.as_ref()).unwrap().expect("empty store");
        assert!(tangkal_server::bootstrap_admin(store.as_mut(), clock.as_ref()).unwrap().is_none(), "only once");
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
        configure(&mut config);
        let state = AppState::new(config, clock.clone()).unwrap();
        (store, admin_password, users, state)
    });
    let (base, stop, server) = start(state.clone()).await;
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp {
        base,
        client,
        clock,
        dir,
        store: Mutex::new(DropOffRuntime(Some(store))),
        scratch,
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
        let (config, clock) = ((*self.state.config).clone(), self.clock.clone());
        self.state = blocking(|| AppState::new(config, clock)).unwrap();
        let (base, stop, server) = start(self.state.clone()).await;
        (self.base, self.stop, self.server) = (base, Some(stop), Some(server));
    }

    /// Runs `f` with the test's own connection to the store, on a thread of its own (see the module's
    /// documentation).
    pub fn with_store<R: Send>(&self, f: impl FnOnce(&mut dyn Store) -> R + Send) -> R {
        let store = &self.store;
        blocking(move || {
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            f(store.0.as_mut().expect("open until the app is dropped").as_mut())
        })
    }

    /// Where the store is, as the server was told.
    pub fn location(&self) -> &StoreLocation {
        &self.state.config.store
    }

    pub fn backend(&self) -> Backend {
        match self.scratch.0 {
            Some(_) => Backend::Postgres,
            None => Backend::Sqlite,
        }
    }

    /// Runs `f` with a new connection straight to the store's database, on a thread of its own.
    pub fn with_database<R: Send>(&self, f: impl FnOnce(&mut Database) -> R + Send) -> R {
        let location = self.location();
        blocking(move || {
            let mut database = match &location.database_url {
                Some(url) => Database::Postgres(postgres::Client::connect(url, postgres::NoTls).unwrap()),
                None => Database::Sqlite(
                    rusqlite::Connection::open(location.data_dir.join(tangkal_store::DATABASE_FILE)).unwrap(),
                ),
            };
            f(&mut database)
        })
    }

    /// Runs statements without parameters that read the same in SQLite and PostgreSQL, straight on the
    /// database.
    pub fn execute_sql(&self, sql: &str) {
        self.with_database(|database| match database {
            Database::Sqlite(db) => db.execute_batch(sql).unwrap(),
            Database::Postgres(db) => db.batch_execute(sql).unwrap(),
        })
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
            items: vec![tangkal_model::ItemId(1), tangkal_model::ItemId(2)],
            urgency,
            ..NewCase::default()
        };
        let now = self.clock.now();
        self.with_store(|store| store.open_case(&new, "detector:claims", now)).unwrap().id
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
        let now = self.clock.now();
        self.with_store(|store| {
            for (change, actor) in steps.into_iter().take(n) {
                let outcome = store.update_case(id, change, actor, now).unwrap();
                assert!(matches!(outcome, tangkal_store::CaseUpdate::Done(_)), "{outcome:?}");
            }
        });
    }
}

/// Stores `texts` as TikTok posts one minute apart, by different accounts, all copies of one narrative
/// (the first text is the central copy), the way the narrative stage would; returns the narrative's id.
pub fn store_narrative(app: &TestApp, id: i64, texts: &[&str]) -> i64 {
    use tangkal_model::{ItemId, NarrativeId};
    use tangkal_store::{ItemRecord, NarrativeRow, NarrativeUpdate, SourceRef};
    let narrative = NarrativeId::try_from(id).expect("a narrative id");
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
    let source = SourceRef { kind: "file".into(), location: format!("n{id}.jsonl") };
    app.with_store(|store| {
        store.write_items(&source, &records).unwrap();
        let ids: Vec<ItemId> = store
            .items_after(ItemId(0), 100_000)
            .unwrap()
            .into_iter()
            .rev()
            .take(texts.len())
            .map(|p| p.id)
            .rev()
            .collect();
        let first = ids[0];
        let published: Vec<i64> = items.iter().map(|i| i.published_at.timestamp()).collect();
        let figures = NarrativeRow {
            id: narrative,
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
            assignments: ids.iter().map(|item| (*item, narrative, 1)).collect(),
            merges: Vec::new(),
            figures: vec![figures],
        };
        store.save_narratives(&update).unwrap();
    });
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
