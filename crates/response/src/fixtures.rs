//! Cases and people the tests of every module share.

use chrono::{DateTime, TimeZone, Utc};
use tangkal_cases::{Actor, Case, Change, MisinfoType, NewCase, Rating, Role, Status, UserRef, VerdictDraft};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap()
}

pub fn actor(id: i64, role: Role, platform: Option<&str>) -> Actor {
    Actor::new(UserRef { id, name: format!("u{id}") }, role, platform.map(str::to_string))
}

/// A case with an approved verdict of `rating`.
pub fn case_rated(rating: Rating) -> Case {
    let new = NewCase { title: "Surat suara sudah tercoblos".into(), ..NewCase::default() };
    let mut case = Case::open(&new, "manual", t0()).unwrap();
    case.id = 7;
    let analyst = actor(1, Role::Analyst, None);
    for to in [Status::Triage, Status::Investigating] {
        case.apply(Change::Move { to, reason: None }, &analyst, t0()).unwrap();
    }
    let misinfo_type = rating.is_false().then_some(MisinfoType::Fabricated);
    let draft = VerdictDraft { rating, misinfo_type, explanation: "Foto lama.".into() };
    case.apply(Change::ProposeVerdict(draft), &analyst, t0()).unwrap();
    case.apply(Change::ReviewVerdict { approve: true, note: None }, &actor(2, Role::Reviewer, None), t0()).unwrap();
    case
}
