//! Fills a data directory with published clarifications and takedown requests for the public pages'
//! load test (`scripts/bench-public.sh`).
//!
//! Usage: `seed_public DATA_DIR FACTCHECKS.jsonl OUT_DIR [COUNT]` (default 10 000). Each clarification
//! is written from one real fact-check of the claim-matching data (its headline, claim and explanation,
//! in Indonesian), through the same steps a desk takes: a case, a reviewed verdict, a draft, publication,
//! spread over the last 400 days. Every third case also gets a takedown request of one to six URLs, most
//! of them answered. Writes `OUT_DIR/slugs.txt` (the pages) and `OUT_DIR/queries.txt` (searches: the
//! first words of fact-check headlines), and prints a partner token and a monitor token.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::{Duration, Utc};
use serde::Deserialize;
use tangkal_cases::{Actor, Change, MisinfoType, NewCase, Origin, Rating, Role, Status, UserRef, VerdictDraft};
use tangkal_response::clarification::{Clarification, ClarificationChange, NewClarification, Source};
use tangkal_response::takedown::{NewTakedown, Outcome, TakedownChange, TakedownConfig, TakedownRequest, UrlStatus};
use tangkal_store::{NewUser, ResponseUpdate, Store, TakedownCreate};

#[derive(Deserialize)]
struct FactCheck {
    title: Option<String>,
    claim: Option<String>,
    rating: Option<String>,
    explanation: Option<String>,
    conclusion: Option<String>,
    url: Option<String>,
}

/// A small deterministic generator, so every run seeds the same store.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn rating_of(published: Option<&str>) -> (Rating, Option<MisinfoType>) {
    match published.unwrap_or("").to_uppercase().as_str() {
        "BENAR" | "KLARIFIKASI" => (Rating::Benar, None),
        "DISINFORMASI" => (Rating::Disinformasi, Some(MisinfoType::Fabricated)),
        "MISINFORMASI" => (Rating::Misinformasi, Some(MisinfoType::FalseContext)),
        "MENYESATKAN" => (Rating::Menyesatkan, Some(MisinfoType::Misleading)),
        _ => (Rating::Hoaks, Some(MisinfoType::Fabricated)),
    }
}

fn user(store: &mut dyn Store, name: &str, role: Role) -> anyhow::Result<Actor> {
    let hash = tangkal_server::auth::hash_password("bench password for the public pages")?;
    let new = NewUser {
        username: name,
        display_name: name,
        role,
        platform: None,
        organisation: "Tangkal",
        password_hash: &hash,
        time_zone: "Asia/Jakarta",
    };
    let u = store.add_user(&new, "bench", Utc::now())?;
    Ok(Actor::new(UserRef { id: u.id, name: u.username }, role, None))
}

fn token(store: &mut dyn Store, actor: &Actor) -> anyhow::Result<String> {
    let token = tangkal_server::auth::new_api_token();
    let hash = tangkal_server::auth::secret_hash(&token);
    store.create_token(actor.user.id, "bench", actor.role, &hash, "bench", Utc::now())?;
    Ok(token)
}

fn done<T>(update: ResponseUpdate<T>) -> anyhow::Result<T> {
    match update {
        ResponseUpdate::Done(v) => Ok(*v),
        ResponseUpdate::NotFound => anyhow::bail!("not found"),
        ResponseUpdate::Refused(e) => anyhow::bail!("refused: {e}"),
    }
}

/// Who works the cases.
struct Desk<'a> {
    analyst: &'a Actor,
    reviewer: &'a Actor,
    communicator: &'a Actor,
}

/// A case for `fc` taken to an approved verdict, and its clarification published, from `at` on.
fn publish(
    store: &mut dyn Store,
    desk: &Desk<'_>,
    title: &str,
    fc: FactCheck,
    at: chrono::DateTime<Utc>,
) -> anyhow::Result<(tangkal_cases::Case, Clarification)> {
    let new_case = NewCase {
        title: fc.claim.clone().unwrap_or_else(|| title.to_string()).chars().take(300).collect(),
        summary: "Beredar di media sosial.".into(),
        origin: Some(Origin::Detector),
        origin_ref: Some("claims".into()),
        platforms: vec!["tiktok".into()],
        ..NewCase::default()
    };
    let mut case = store.open_case(&new_case, "detector:claims", at)?;
    let (rating, misinfo_type) = rating_of(fc.rating.as_deref());
    let body = [fc.explanation, fc.conclusion]
        .into_iter()
        .flatten()
        .find(|t| !t.trim().is_empty())
        .unwrap_or_else(|| title.to_string());
    let verdict = VerdictDraft { rating, misinfo_type, explanation: body.chars().take(2000).collect() };
    let steps = [
        (Change::Move { to: Status::Triage, reason: None }, desk.analyst),
        (Change::Move { to: Status::Investigating, reason: None }, desk.analyst),
        (Change::ProposeVerdict(verdict), desk.analyst),
        (Change::ReviewVerdict { approve: true, note: None }, desk.reviewer),
    ];
    for (change, actor) in steps {
        match store.update_case(case.id, change, actor, at + Duration::hours(1))? {
            tangkal_store::CaseUpdate::Done(c) => case = *c,
            other => anyhow::bail!("case {}: {other:?}", case.id),
        }
    }
    let new = NewClarification {
        title: title.chars().take(200).collect(),
        body_markdown: body,
        sources: fc.url.into_iter().map(|url| Source { title: "Artikel cek fakta".into(), url }).collect(),
        claim: None,
        topic: None,
    };
    let draft = Clarification::draft(&case, &new, desk.communicator, at + Duration::hours(2))?;
    let draft = store.create_clarification(&draft)?;
    let change = ClarificationChange::Publish;
    let published = done(store.update_clarification(draft.id, change, desk.communicator, at + Duration::hours(3))?)?;
    Ok((case, published))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: seed_public DATA_DIR FACTCHECKS.jsonl OUT_DIR [COUNT]";
    let dir = PathBuf::from(args.next().context(usage)?);
    let factchecks = PathBuf::from(args.next().context(usage)?);
    let out = PathBuf::from(args.next().context(usage)?);
    let count: usize = args.next().map(|s| s.parse()).transpose().context("COUNT must be a number")?.unwrap_or(10_000);

    let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(&dir))?;
    let analyst = user(store.as_mut(), "bench-analyst", Role::Analyst)?;
    let reviewer = user(store.as_mut(), "bench-reviewer", Role::Reviewer)?;
    let communicator = user(store.as_mut(), "bench-communicator", Role::Communicator)?;
    let partner = user(store.as_mut(), "bench-partner", Role::Partner)?;
    let monitor = user(store.as_mut(), "bench-monitor", Role::Monitor)?;

    let reader = std::io::BufReader::new(std::fs::File::open(&factchecks).context("cannot read the fact-checks")?);
    let config = TakedownConfig::default();
    let mut rng = Lcg(13);
    let start = Utc::now() - Duration::days(400);
    let step = Duration::days(400) / i32::try_from(count.max(1)).context("COUNT is too large")?;
    let (mut slugs, mut queries, mut takedowns, mut skipped) = (Vec::new(), Vec::new(), 0, 0);
    for line in reader.lines() {
        if slugs.len() == count {
            break;
        }
        let fc: FactCheck = serde_json::from_str(&line?)?;
        let Some(title) = fc.title.clone().filter(|t| !t.trim().is_empty()) else { continue };
        let query: Vec<&str> = title.split_whitespace().take(4).collect();
        if queries.len() < 2000 && rng.next(2) == 0 {
            queries.push(query.join(" "));
        }
        let at = start + step * i32::try_from(slugs.len())?;
        let desk = Desk { analyst: &analyst, reviewer: &reviewer, communicator: &communicator };
        let (case, published) = match publish(store.as_mut(), &desk, &title, fc, at) {
            Ok(done) => done,
            Err(_) => {
                skipped += 1;
                continue;
            }
        };
        slugs.push(published.slug);

        if slugs.len() % 3 == 0 && published.rating != Rating::Benar {
            let platform = config.platforms[rng.next(config.platforms.len() as u64) as usize].clone();
            let urls: Vec<String> = (0..1 + rng.next(6))
                .map(|n| format!("https://www.{platform}.com/@akun{}/post/{}{n}", rng.next(5000), case.id))
                .collect();
            let new = NewTakedown { platform, urls: Some(urls.clone()), ..NewTakedown::default() };
            let sent = at + Duration::hours(2);
            let request = TakedownRequest::prepare(&case, &new, &[], &config, &communicator, sent)?;
            let TakedownCreate::Created(request) = store.create_takedown(&request)? else { continue };
            takedowns += 1;
            let mut answers = Vec::new();
            for url in &urls {
                if rng.next(5) == 0 {
                    continue; // still pending
                }
                let status = [UrlStatus::Removed, UrlStatus::Restricted, UrlStatus::Rejected, UrlStatus::NotFound]
                    [rng.next(4) as usize];
                let note = (status == UrlStatus::Rejected).then(|| "Tidak melanggar kebijakan komunitas".into());
                answers.push(Outcome { url: url.clone(), status, note });
            }
            if !answers.is_empty() {
                let answered = sent + Duration::minutes(30 + rng.next(48 * 60) as i64);
                let change = TakedownChange::RecordOutcomes(answers);
                done(store.update_takedown(request.id, &change, &communicator, answered)?)?;
            }
        }
    }
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("slugs.txt"), slugs.join("\n") + "\n")?;
    let mut file = std::fs::File::create(out.join("queries.txt"))?;
    for query in &queries {
        writeln!(file, "{}", url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>())?;
    }
    eprintln!("{} clarifications published, {takedowns} takedown requests, {skipped} fact-checks skipped", slugs.len());
    println!("{} {}", token(store.as_mut(), &partner)?, token(store.as_mut(), &monitor)?);
    Ok(())
}
