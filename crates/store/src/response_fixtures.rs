//! A store with the people of a response desk and cases at each verdict, for the response stores' tests.

use chrono::{DateTime, TimeZone, Utc};
use tangkal_cases::{Actor, Case, Change, MisinfoType, NewCase, Rating, Role, Status, UserRef, VerdictDraft};

use crate::{CaseStore, CaseUpdate, NewUser, SqliteStore, UserStore};

pub struct Desk {
    pub _dir: tempfile::TempDir,
    pub store: SqliteStore,
    pub analyst: Actor,
    pub reviewer: Actor,
    pub communicator: Actor,
    /// Bound to `tiktok`.
    pub liaison: Actor,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap()
}

pub fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open_in(dir.path()).unwrap();
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
        let u = store.add_user(&user, "test", t0()).unwrap();
        Actor::new(UserRef { id: u.id, name: u.username }, role, platform.map(str::to_string))
    };
    let analyst = actor("ana", Role::Analyst, None);
    let reviewer = actor("rina", Role::Reviewer, None);
    let communicator = actor("kiki", Role::Communicator, None);
    let liaison = actor("tara", Role::PlatformLiaison, Some("tiktok"));
    Desk { _dir: dir, store, analyst, reviewer, communicator, liaison }
}

impl Desk {
    /// A stored case; with `Some(rating)` its verdict of that rating is approved.
    pub fn case(&mut self, title: &str, rating: Option<Rating>) -> Case {
        let new = NewCase { title: title.into(), platforms: vec!["tiktok".into()], ..NewCase::default() };
        let case = self.store.open_case(&new, "manual", t0()).unwrap();
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
            match self.store.update_case(case.id, change, actor, t0()).unwrap() {
                CaseUpdate::Done(c) => last = Some(*c),
                other => panic!("{other:?}"),
            }
        }
        last.unwrap()
    }
}
