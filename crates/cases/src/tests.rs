//! A case's whole life under the rules, without storage.

use chrono::{Duration, TimeZone, Utc};
use tangkal_model::ItemId;

use crate::*;

fn actor(id: i64, role: Role) -> Actor {
    Actor::new(UserRef { id, name: format!("{role}{id}") }, role, None)
}

fn new_case() -> NewCase {
    NewCase {
        title: "Vaksin mengandung chip".into(),
        platforms: vec!["TikTok".into(), "tiktok".into(), "x".into()],
        signals: Signals { risk: Some(0.9), reach: Some(3_000_000), velocity: Some(2_000.0) },
        urgency: Urgency::Urgent,
        ..NewCase::default()
    }
}

fn draft() -> VerdictDraft {
    VerdictDraft {
        rating: Rating::Hoaks,
        misinfo_type: Some(MisinfoType::Fabricated),
        explanation: "Tidak ada vaksin yang mengandung chip.".into(),
    }
}

#[test]
fn a_case_lives_from_new_to_closed() {
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let (analyst, reviewer, comms) = (actor(2, Role::Analyst), actor(3, Role::Reviewer), actor(4, Role::Communicator));
    let mut case = Case::open(&new_case(), "detector:claims", t0).unwrap();
    assert_eq!((case.status, case.priority, case.due_at), (Status::New, Priority::P1, t0 + Duration::hours(4)));
    assert_eq!(case.platforms, vec!["tiktok", "x"]);
    let step = |c: &mut Case, change, who: &Actor| c.apply(change, who, t0 + Duration::minutes(30));
    step(&mut case, Change::Move { to: Status::Triage, reason: None }, &analyst).unwrap();
    step(&mut case, Change::Move { to: Status::Investigating, reason: None }, &analyst).unwrap();
    step(&mut case, Change::ProposeVerdict(draft()), &analyst).unwrap();
    assert_eq!(
        step(&mut case, Change::ReviewVerdict { approve: true, note: None }, &analyst),
        Err(CaseError::NotPermitted { role: Role::Analyst, permission: Permission::ReviewVerdict })
    );
    step(&mut case, Change::ReviewVerdict { approve: true, note: None }, &reviewer).unwrap();
    assert_eq!(case.status, Status::VerdictApproved);
    step(&mut case, Change::Move { to: Status::Responding, reason: None }, &comms).unwrap();
    step(&mut case, Change::Move { to: Status::Closed, reason: None }, &comms).unwrap();
    assert_eq!(case.sla(t0 + Duration::days(2)).state, SlaState::Met);
    assert_eq!(
        step(&mut case, Change::Assign { to: None }, &analyst),
        Err(CaseError::Finished { status: Status::Closed })
    );
}

/// A case with a verdict proposed by `proposer`.
fn proposed_by(proposer: &Actor, t0: chrono::DateTime<Utc>) -> Case {
    let mut case = Case::open(&new_case(), "manual", t0).unwrap();
    case.apply(Change::Move { to: Status::Triage, reason: None }, proposer, t0).unwrap();
    case.apply(Change::Move { to: Status::Investigating, reason: None }, proposer, t0).unwrap();
    case.apply(Change::ProposeVerdict(draft()), proposer, t0).unwrap();
    case
}

#[test]
fn a_reviewer_scoped_token_does_not_let_an_admin_approve() {
    let t0 = Utc::now();
    let mut case = proposed_by(&actor(2, Role::Analyst), t0);
    let admin_as_reviewer = Actor { role: Role::Reviewer, ..actor(1, Role::Admin) };
    let before = case.clone();
    assert_eq!(
        case.apply(Change::ReviewVerdict { approve: true, note: None }, &admin_as_reviewer, t0),
        Err(CaseError::NotPermitted { role: Role::Admin, permission: Permission::ReviewVerdict })
    );
    assert_eq!(case, before);
    case.apply(Change::ReviewVerdict { approve: true, note: None }, &actor(5, Role::Reviewer), t0).unwrap();
    assert_eq!(case.status, Status::VerdictApproved);
}

#[test]
fn a_reviewer_who_proposed_cannot_approve_and_rejection_reopens_investigation() {
    let t0 = Utc::now();
    let admin = actor(1, Role::Admin);
    let mut case = proposed_by(&admin, t0);
    // Same user, now acting as a reviewer (a reviewer whose role was later changed would be the same).
    let same_person = Actor { role: Role::Reviewer, user_role: Role::Reviewer, ..admin.clone() };
    let before = case.clone();
    assert_eq!(
        case.apply(Change::ReviewVerdict { approve: true, note: None }, &same_person, t0),
        Err(CaseError::SameReviewer)
    );
    assert_eq!(case, before, "a refused change leaves the case as it was");
    case.apply(
        Change::ReviewVerdict { approve: false, note: Some("sumber kurang".into()) },
        &actor(5, Role::Reviewer),
        t0,
    )
    .unwrap();
    assert_eq!(case.status, Status::Investigating);
    assert!(!case.verdict.as_ref().unwrap().is_approved());
}

#[test]
fn illegal_moves_and_wrong_roles_are_refused() {
    let t0 = Utc::now();
    let mut case = Case::open(&new_case(), "manual", t0).unwrap();
    let analyst = actor(2, Role::Analyst);
    assert_eq!(
        case.apply(Change::Move { to: Status::Investigating, reason: None }, &analyst, t0),
        Err(CaseError::IllegalTransition { from: Status::New, to: Status::Investigating })
    );
    assert_eq!(
        case.apply(Change::Move { to: Status::VerdictApproved, reason: None }, &analyst, t0),
        Err(CaseError::VerdictStep { to: Status::VerdictApproved })
    );
    assert!(matches!(
        case.apply(Change::Move { to: Status::Triage, reason: None }, &actor(4, Role::Communicator), t0),
        Err(CaseError::NotPermitted { .. })
    ));
    assert!(matches!(
        case.apply(Change::Move { to: Status::Dismissed, reason: Some(" ".into()) }, &analyst, t0),
        Err(CaseError::Invalid { field: "reason", .. })
    ));
    case.apply(Change::Move { to: Status::Dismissed, reason: Some("satire, labelled".into()) }, &analyst, t0).unwrap();
    assert_eq!(case.finished_at, Some(t0));
}

#[test]
fn overrides_keep_the_computed_priority_and_liaisons_see_their_platform_only() {
    let t0 = Utc::now();
    let mut case = Case::open(&new_case(), "manual", t0).unwrap();
    case.apply(
        Change::Reprioritise { priority: Priority::P3, reason: "parody account".into() },
        &actor(1, Role::Admin),
        t0,
    )
    .unwrap();
    assert_eq!((case.priority, case.computed_priority), (Priority::P3, Priority::P1));
    let liaison = |p: &str| Actor { platform: Some(p.into()), ..actor(6, Role::PlatformLiaison) };
    assert!(case.visible_to(&liaison("tiktok")));
    assert!(!case.visible_to(&liaison("facebook")));
    assert!(case.visible_to(&actor(2, Role::Analyst)));
}

#[test]
fn new_cases_are_validated_with_the_field_named() {
    let mut new = new_case();
    new.title = "   ".into();
    assert!(matches!(Case::open(&new, "manual", Utc::now()), Err(CaseError::Invalid { field: "title", .. })));
}

#[test]
fn every_case_field_is_held_to_its_documented_range() {
    let refused_field = |change: &dyn Fn(&mut NewCase)| {
        let mut new = new_case();
        change(&mut new);
        match new.validate() {
            Err(CaseError::Invalid { field, .. }) => field,
            other => panic!("accepted: {other:?}"),
        }
    };
    let huge = "a".repeat(1_900_000);
    assert_eq!(refused_field(&|n| n.narratives = vec![huge.clone()]), "narratives");
    assert_eq!(refused_field(&|n| n.narratives = vec![String::new()]), "narratives");
    assert_eq!(refused_field(&|n| n.narratives = vec!["n 1".into()]), "narratives");
    assert_eq!(refused_field(&|n| n.narratives = vec!["-1".into()]), "narratives");
    assert_eq!(refused_field(&|n| n.origin_ref = Some(huge.clone())), "origin_ref");
    assert_eq!(refused_field(&|n| n.origin_ref = Some("a\nb".into())), "origin_ref");
    assert_eq!(refused_field(&|n| n.title = huge.clone()), "title");
    assert_eq!(refused_field(&|n| n.title = "Vaksin\u{0}chip".into()), "title");
    assert_eq!(refused_field(&|n| n.title = "Vaksin\u{1b}[2Jchip".into()), "title");
    assert_eq!(refused_field(&|n| n.signals.risk = Some(57.0)), "risk");
    assert_eq!(refused_field(&|n| n.signals.risk = Some(-0.1)), "risk");
    assert_eq!(refused_field(&|n| n.signals.risk = Some(f64::NAN)), "risk");
    assert_eq!(refused_field(&|n| n.signals.velocity = Some(-1e300)), "velocity");
    assert_eq!(refused_field(&|n| n.signals.velocity = Some(f64::INFINITY)), "velocity");
    assert_eq!(refused_field(&|n| n.signals.velocity = Some(MAX_VELOCITY * 2.0)), "velocity");
    assert_eq!(refused_field(&|n| n.signals.reach = Some(u64::MAX)), "reach");
    assert_eq!(refused_field(&|n| n.items = vec![ItemId(3), ItemId(-5)]), "items");
    assert_eq!(refused_field(&|n| n.items = vec![ItemId(0)]), "items");
    assert_eq!(refused_field(&|n| n.platforms = vec![String::new()]), "platforms");

    let mut edges = new_case();
    edges.title = "t".repeat(MAX_TITLE_CHARS);
    edges.origin_ref = Some("factcheck:fc-00005133ac02".into());
    edges.narratives = vec!["7".into(), "n-1".into(), "a".repeat(MAX_NARRATIVE_ID_CHARS)];
    edges.items = vec![ItemId(1), ItemId(i64::MAX)];
    edges.signals = Signals { risk: Some(1.0), reach: Some(MAX_REACH), velocity: Some(0.0) };
    assert_eq!(edges.validate(), Ok(()));
}

#[test]
fn evidence_links_are_printable_web_addresses() {
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let analyst = actor(2, Role::Analyst);
    let mut case = Case::open(&new_case(), "manual", t0).unwrap();
    let link =
        |url: &str| Change::AddEvidence { kind: EvidenceKind::Link, url: Some(url.into()), note: None, file: None };
    for bad in ["ftp://contoh.id/x", "https://contoh.id/a b", "https://contöh.id/", "https://x\u{7}", ""] {
        let refused = case.apply(link(bad), &analyst, t0);
        assert!(matches!(refused, Err(CaseError::Invalid { field: "url", .. })), "{bad:?}: {refused:?}");
    }
    let note = Change::AddEvidence {
        kind: EvidenceKind::Note,
        url: Some("javascript:x".into()),
        note: Some("n".into()),
        file: None,
    };
    assert!(matches!(case.apply(note, &analyst, t0), Err(CaseError::Invalid { field: "url", .. })));
    case.apply(link("https://turnbackhoax.id/2026/05/01/hoaks-vaksin?utm=%20x"), &analyst, t0).unwrap();
    assert_eq!(case.evidence.len(), 1);
}
