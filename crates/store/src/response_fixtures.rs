//! A store with the people of a response desk and cases at each verdict, for the response stores' tests.

use chrono::{DateTime, TimeZone, Utc};
use tangkal_cases::{Actor, Case, Change, MisinfoType, NewCase, Rating, Role, Status, UserRef, VerdictDraft};

use crate::postgres::connection::GenericClient as _;
use crate::testing::Backend;
use crate::{AuditFiles, CaseUpdate, NewUser, PostgresStore, SqliteStore, Store};

/// `S` is [`SqliteStore`] for the tests that also look at SQLite's own tables and plans, or a
/// `Box<dyn Store>` of either backend ([`desk_on`]).
pub struct Desk<S = SqliteStore> {
    pub backend: Backend,
    pub store: S,
    pub analyst: Actor,
    pub reviewer: Actor,
    pub communicator: Actor,
    /// Bound to `tiktok`.
    pub liaison: Actor,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap()
}

/// The desk on SQLite, with its connection at hand.
pub fn desk() -> Desk {
    let backend = Backend::sqlite();
    let Backend::Sqlite(dir) = &backend else { unreachable!() };
    let store = SqliteStore::open_in(dir.path()).unwrap();
    staff(backend, store)
}

/// The desk on `backend`.
pub fn desk_on(backend: Backend) -> Desk<Box<dyn Store>> {
    let store = backend.open();
    staff(backend, store)
}

/// `on_both_desks!(a, b)` turns `fn a(desk: Desk<Box<dyn Store>>)` into the tests `a::sqlite` and
/// `a::postgres`.
macro_rules! on_both_desks {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                use $crate::response_fixtures::desk_on;
                use $crate::testing::Backend;

                #[test]
                fn sqlite() {
                    super::$test(desk_on(Backend::sqlite()))
                }

                #[test]
                fn postgres() {
                    super::$test(desk_on(Backend::postgres()))
                }
            }
        )*
    };
}
pub(crate) use on_both_desks;

/// Runs `sql` (without parameters, in words both backends read alike) straight on the store's tables, over
/// a connection of its own, for what no trait arranges or shows: the first column of the first row as an
/// integer, if there is one. The store is opened first, so a new one has its tables.
pub fn sql(backend: &Backend, sql: &str) -> Option<i64> {
    match backend {
        Backend::Sqlite(dir) => {
            let store = SqliteStore::open_in(dir.path()).unwrap();
            let mut stmt = store.conn.prepare(sql).unwrap();
            let mut rows = stmt.query([]).unwrap();
            rows.next().unwrap().map(|r| r.get(0).unwrap())
        }
        Backend::Postgres(scratch, dir) => {
            let store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
            let rows = store.client().query(sql, &[]).unwrap();
            rows.first().map(|r| r.get(0))
        }
    }
}

/// A store the fixtures can use whether it is concrete or boxed.
pub trait AsStore {
    fn as_store(&mut self) -> &mut dyn Store;
}

impl AsStore for SqliteStore {
    fn as_store(&mut self) -> &mut dyn Store {
        self
    }
}

impl AsStore for Box<dyn Store> {
    fn as_store(&mut self) -> &mut dyn Store {
        self.as_mut()
    }
}

fn staff<S: AsStore>(backend: Backend, mut store: S) -> Desk<S> {
    let mut actor = |name: &str, role: Role, platform: Option<&str>| {
        let user = NewUser {
            username: name,
            display_name: name,
            role,
            platform,
            organisation: "Tangkal",
            password_hash: "x",
            time_zone: "Asia/Jakarta",
        };
        let u = store.as_store().add_user(&user, "test", t0()).unwrap();
        Actor::new(UserRef { id: u.id, name: u.username }, role, platform.map(str::to_string))
    };
    let analyst = actor("ana", Role::Analyst, None);
    let reviewer = actor("rina", Role::Reviewer, None);
    let communicator = actor("kiki", Role::Communicator, None);
    let liaison = actor("tara", Role::PlatformLiaison, Some("tiktok"));
    Desk { backend, store, analyst, reviewer, communicator, liaison }
}

impl<S: AsStore> Desk<S> {
    /// A stored case; with `Some(rating)` its verdict of that rating is approved.
    pub fn case(&mut self, title: &str, rating: Option<Rating>) -> Case {
        let new = NewCase { title: title.into(), platforms: vec!["tiktok".into()], ..NewCase::default() };
        let case = self.store.as_store().open_case(&new, "manual", t0()).unwrap();
        let Some(rating) = rating else { return case };
        let mut steps: Vec<(Change, &Actor)> = [Status::Triage, Status::Investigating]
            .into_iter()
            .map(|to| (Change::Move { to, reason: None }, &self.analyst))
            .collect();
        let misinfo_type = rating.is_false().then_some(MisinfoType::Fabricated);
        let draft = VerdictDraft { rating, misinfo_type, explanation: "Foto lama.".into() };
        steps.push((Change::ProposeVerdict(draft), &self.analyst));
        steps.push((Change::ReviewVerdict { approve: true, note: None }, &self.reviewer));
        let mut last = None;
        for (change, actor) in steps {
            match self.store.as_store().update_case(case.id, change, actor, t0()).unwrap() {
                CaseUpdate::Done(c) => last = Some(*c),
                other => panic!("{other:?}"),
            }
        }
        last.unwrap()
    }
}
