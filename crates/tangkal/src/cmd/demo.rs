//! `tangkal demo`: the whole flow on the bundled sample, so a new user sees Tangkal work in one command:
//! fact-checks imported, posts ingested into narratives, narratives matched against the fact-checks,
//! cases opened for debunked ones, and the response run on them: a reviewed verdict and a published
//! clarification each, so the public pages have content on a first run, and a takedown request. Then it
//! serves the result like `tangkal serve`, files a few citizen reports through the public API, and prints
//! a one-time sign-in for each desk role.

use std::net::SocketAddr;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, Utc};
use tangkal_cases::{Actor, Case, Change, MisinfoType, Rating, Role, Status, SystemClock, VerdictDraft};
use tangkal_matcher::formats;
use tangkal_model::{FactCheck, NarrativeId};
use tangkal_pipeline::{ColumnMap, Format, RejectWriter, CLAIMS_DETECTOR};
use tangkal_response::claimreview::SiteConfig;
use tangkal_response::clarification::{
    Clarification, ClarificationChange, ClarificationStatus, NewClarification, Source, MAX_CLAIM_CHARS, MAX_TITLE_CHARS,
};
use tangkal_response::report::OTHER_PLATFORM;
use tangkal_response::takedown::NewTakedown;
use tangkal_server::api::clarifications::as_factcheck;
use tangkal_server::api::takedowns::store_request;
use tangkal_store::{
    CaseFilter, CaseUpdate, ClarificationFilter, ItemFilter, NarrativeOrder, ReportFilter, ResponseUpdate, Store,
    TakedownCreate,
};

use super::desk_accounts;
use crate::config::Config;

/// Invented by the Tangkal team for demos and tests (see data/sample/README.md).
const SAMPLE_ITEMS: &str = include_str!("../../../../data/sample/items.jsonl");
const SAMPLE_FACTCHECKS: &str = include_str!("../../../../data/sample/factchecks.jsonl");

/// Narratives shown.
const TOP: u64 = 8;

#[derive(clap::Args)]
#[group(skip)]
pub struct Args {
    /// Run the flow and exit instead of serving it (for scripts)
    #[arg(long)]
    no_serve: bool,
    #[command(flatten)]
    serve: super::serve::Args,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<ExitCode> {
    println!("Tangkal demo · data directory {}", config.data_dir.display());
    let mut store = config.open_store()?;

    let parsed = formats::read_jsonl(SAMPLE_FACTCHECKS.as_bytes(), "sample/factchecks.jsonl")?;
    let (records, folded) = formats::dedup(parsed.records, &tangkal_text::Analyzer::new());
    let counts = store.upsert_factchecks(&records)?;
    println!(
        "\n1. Fact-checks: {} bundled records, {} copies folded → new {}, updated {}, unchanged {}",
        records.len() + folded.len(),
        folded.len(),
        counts.new,
        counts.updated,
        counts.unchanged
    );

    let source = tangkal_pipeline::open_reader(
        "sample/items.jsonl".into(),
        Box::new(SAMPLE_ITEMS.as_bytes()),
        Format::Jsonl,
        &ColumnMap::default(),
        config.ingest.max_text_bytes,
    )?;
    let mut rejects = RejectWriter::new(config.data_dir.join("rejects").join("demo.jsonl"));
    let (summary, matched) = super::ingest::ingest_and_detect(config, store.as_mut(), vec![source], &mut rejects, &())?;
    println!(
        "\n2. Ingest: {} sample posts → new {}, updated {}, duplicate {}, rejected {}; {} stored in all",
        summary.read,
        summary.new,
        summary.updated,
        summary.duplicate,
        summary.rejected,
        store.count_items(&ItemFilter::default())?
    );
    println!(
        "   Narratives matched against the fact-checks {}, debunked before {}, cases opened {}",
        matched.matched, matched.debunked, matched.cases_opened
    );

    println!("\n3. The biggest narratives:");
    print_narratives(store.as_ref())?;

    let cases = store.list_cases(&CaseFilter { open: Some(true), ..Default::default() }, chrono::Utc::now(), 10, 0)?;
    println!("\n4. Open cases ({} shown), each with its 1×24 h deadline:", cases.len());
    for case in &cases {
        println!(
            "   case {:<4} P{} {:<10} due {}  {}",
            case.id,
            case.priority.level(),
            case.status.as_str(),
            case.due_at.format("%Y-%m-%d %H:%M UTC"),
            super::excerpt(&case.title, 70)
        );
    }

    // The desk's first account comes before the demo's own, so that `tangkal serve` still has an admin.
    super::serve::create_first_admin(store.as_mut(), &SystemClock)?;
    let site = &config.response.site;
    let desk = DemoDesk::open(store.as_mut())?;
    let mut published = Vec::new();
    let mut newly = 0;
    for case in debunked_cases(store.as_ref())? {
        if let Some((clarification, new)) = respond(store.as_mut(), &desk, site, case)? {
            newly += usize::from(new);
            published.push(clarification);
        }
    }
    println!(
        "\n5. Response: {} debunked cases answered (verdict proposed by {}, approved by {}; clarification by {}), \
         clarifications published {newly}",
        published.len(),
        desk.analyst.user.name,
        desk.reviewer.user.name,
        desk.communicator.user.name,
    );
    for c in &published {
        println!("   case {:<4} {}", c.case_id, site.clarification_url(&c.slug));
    }

    let takedown = send_takedown(store.as_mut(), &desk, config, &published)?;
    match &takedown {
        Some((reference, platform)) => println!("\n6. Takedown: request {reference} to {platform}, due within 24 h"),
        None => println!("\n6. Takedown: no answered case has posts on a platform that takes requests"),
    }

    if args.no_serve {
        println!("\nNext: `tangkal demo` without --no-serve serves all this, or `tangkal serve`.");
        return Ok(ExitCode::SUCCESS);
    }
    let reports = if store.count_reports(&ReportFilter::default())? == 0 {
        demo_reports(store.as_ref(), config, &published)?
    } else {
        vec![]
    };
    let liaison_platform = takedown.map(|(_, platform)| platform).unwrap_or_else(|| "facebook".into());
    let logins = desk_accounts::sign_ins(store.as_mut(), "demo", &liaison_platform)?;
    drop(store);
    let base = site.base_url.trim_end_matches('/').to_string();
    super::serve::serve(config, args.serve, super::serve::Launch::default(), move |address| {
        welcome(address, &base, &reports, &logins)
    })
}

/// Once the server listens: files the demo's citizen reports through the public API, as a citizen's
/// browser would, then prints where to look and how to sign in.
fn welcome(address: SocketAddr, base: &str, reports: &[(String, String)], logins: &[(Role, String, String)]) {
    let local = format!("http://{address}");
    if !reports.is_empty() {
        println!("\n7. Citizen reports, through POST /api/v1/reports:");
    }
    for (platform, text) in reports {
        let body = serde_json::json!({ "platform": platform, "text": text }).to_string();
        let answer = ureq::post(format!("{local}/api/v1/reports"))
            .header("content-type", "application/json")
            .send(&body)
            .map_err(anyhow::Error::from)
            .and_then(|mut response| Ok(response.body_mut().read_to_string()?))
            .and_then(|receipt: String| Ok(serde_json::from_str::<serde_json::Value>(&receipt)?));
        match answer {
            Ok(receipt) => println!(
                "   {} {:<8} \"{}\"",
                receipt["reference"].as_str().unwrap_or("?"),
                receipt["status"].as_str().unwrap_or("?"),
                super::excerpt(text, 60)
            ),
            Err(e) => println!("   not filed ({e}): \"{}\"", super::excerpt(text, 60)),
        }
    }
    println!("\nServing on {local} (Ctrl-C stops); links on the public site use {base}");
    for (path, what) in [
        ("/desk", "the analysts' desk: queue, cases, narratives, dashboard"),
        ("/cek-fakta", "the published clarifications, searchable (?q=)"),
        ("/lapor", "the citizens' report form, answered at once when already debunked"),
        ("/transparansi", "the takedown transparency log"),
        ("/api/v1/openapi.json", "the API"),
    ] {
        println!("   {:<width$} {what}", format!("{local}{path}"), width = local.len() + 21);
    }
    desk_accounts::print_sign_ins(&local, logins);
}

/// A takedown request for the first answered case with posts on a platform that takes requests, as the
/// communicator; None when there is none. An earlier run's request is found, not doubled.
fn send_takedown(
    store: &mut dyn Store,
    desk: &DemoDesk,
    config: &Config,
    published: &[Clarification],
) -> anyhow::Result<Option<(String, String)>> {
    let takedowns = &config.response.takedown;
    for clarification in published {
        let Some(case) = store.case(clarification.case_id)? else { continue };
        for platform in case.platforms.iter().map(|p| p.replace('_', "-")) {
            if takedowns.platform(&platform).is_err() {
                continue;
            }
            let new = NewTakedown { platform: platform.clone(), urls: None, urgency: None, legal_basis: None };
            match store_request(store, &case, &new, takedowns, &desk.communicator, Utc::now())? {
                Ok(TakedownCreate::Created(request)) => return Ok(Some((request.reference, platform))),
                Ok(TakedownCreate::Duplicate { reference, .. }) => return Ok(Some((reference, platform))),
                Err(_) => continue,
            }
        }
    }
    Ok(None)
}

/// Three reports as citizens send them: a copy of an answered hoax (answered at once), a copy of a
/// circulating narrative no fact-check covers (placed in it), and a rumour nobody has seen yet.
fn demo_reports(
    store: &dyn Store,
    config: &Config,
    published: &[Clarification],
) -> anyhow::Result<Vec<(String, String)>> {
    let platforms = &config.server.platforms;
    let as_reported = |item: tangkal_store::StoredItem| {
        let platform = if platforms.contains(&item.platform) { item.platform } else { OTHER_PLATFORM.to_string() };
        (platform, item.text)
    };
    let mut reports = Vec::new();
    let answered = published.first().map(|c| store.case(c.case_id)).transpose()?.flatten();
    let narrative = answered.and_then(|case| case.narratives.first().and_then(|id| id.parse::<NarrativeId>().ok()));
    if let Some(row) = narrative.map(|id| store.get_narrative(id)).transpose()?.flatten() {
        reports.extend(store.get_item(row.representative_item_id)?.map(as_reported));
    }
    for row in store.list_narratives(NarrativeOrder::Size, TOP, 0)? {
        if store.narrative_claim(row.id)?.is_none_or(|claim| !claim.debunked) {
            reports.extend(store.get_item(row.representative_item_id)?.map(as_reported));
            break;
        }
    }
    let whatsapp = if platforms.iter().any(|p| p == "whatsapp") { "whatsapp" } else { OTHER_PLATFORM };
    reports.push((
        whatsapp.to_string(),
        "Katanya mulai besok ada pemadaman listrik total di seluruh Jawa selama tiga hari. Benar tidak?".to_string(),
    ));
    Ok(reports)
}

/// The accounts the demo's response is signed with in the audit trail: the two-person rule wants a
/// proposer and a different reviewer, and clarifications a communicator. They are created disabled with
/// a password nobody knows; a served demo enables them with a password it prints ([`sign_ins`]).
struct DemoDesk {
    analyst: Actor,
    reviewer: Actor,
    communicator: Actor,
}

impl DemoDesk {
    fn open(store: &mut dyn Store) -> anyhow::Result<DemoDesk> {
        Ok(DemoDesk {
            analyst: desk_accounts::account(store, "demo-analyst", Role::Analyst, None, "demo")?,
            reviewer: desk_accounts::account(store, "demo-reviewer", Role::Reviewer, None, "demo")?,
            communicator: desk_accounts::account(store, "demo-communicator", Role::Communicator, None, "demo")?,
        })
    }
}

/// Open cases the claim matcher opened for a narrative its fact-check debunks, with that fact-check.
fn debunked_cases(store: &dyn Store) -> anyhow::Result<Vec<(Case, FactCheck)>> {
    let open = CaseFilter { open: Some(true), ..Default::default() };
    let now = Utc::now();
    let mut found = Vec::new();
    for summary in store.list_cases(&open, now, store.count_cases(&open, now)?, 0)? {
        let Some(case) = store.case(summary.id)?.filter(|c| c.opened_by == CLAIMS_DETECTOR) else { continue };
        let factcheck_id = case.origin_ref.as_deref().and_then(|r| r.strip_prefix("factcheck:"));
        if let Some(factcheck) = factcheck_id.map(|id| store.get_factcheck(id)).transpose()?.flatten() {
            found.push((case, factcheck.factcheck));
        }
    }
    Ok(found)
}

/// Takes a debunked case to a published clarification, one audited step at a time, from wherever it
/// stands (an interrupted demo resumes). Returns the clarification and whether this run published it;
/// None for a case left to a person: its fact-check does not call the claim false, its verdict was
/// rejected, or someone else proposed its verdict or wrote its clarification.
fn respond(
    store: &mut dyn Store,
    desk: &DemoDesk,
    site: &SiteConfig,
    (mut case, factcheck): (Case, FactCheck),
) -> anyhow::Result<Option<(Clarification, bool)>> {
    let Some(verdict) = verdict_of(&factcheck) else { return Ok(None) };
    let now = Utc::now();
    loop {
        let (change, actor) = match case.status {
            Status::New => (Change::Move { to: Status::Triage, reason: None }, &desk.analyst),
            Status::Triage => (Change::Move { to: Status::Investigating, reason: None }, &desk.analyst),
            // A verdict on an investigated case was rejected: a person takes it from there.
            Status::Investigating if case.verdict.is_none() => (Change::ProposeVerdict(verdict.clone()), &desk.analyst),
            Status::VerdictProposed
                if case.verdict.as_ref().is_some_and(|v| v.proposed_by.id == desk.analyst.user.id) =>
            {
                (Change::ReviewVerdict { approve: true, note: None }, &desk.reviewer)
            }
            Status::VerdictApproved | Status::Responding => break,
            _ => return Ok(None),
        };
        case = match store.update_case(case.id, change, actor, now)? {
            CaseUpdate::Done(case) => *case,
            CaseUpdate::NotFound => anyhow::bail!("case {} vanished", case.id),
            CaseUpdate::Refused(why) => anyhow::bail!("case {}: {why}", case.id),
        };
    }
    let mine = ClarificationFilter { case_id: Some(case.id), ..Default::default() };
    let clarification = match store.list_clarifications(&mine, 1, 0)?.into_iter().next() {
        Some(c) if c.created_by != desk.communicator.label() => return Ok(None),
        Some(c) => c,
        None => {
            let draft =
                Clarification::draft(&case, &clarification_text(store, &case, &factcheck)?, &desk.communicator, now)?;
            store.create_clarification(&draft)?
        }
    };
    if case.status == Status::VerdictApproved {
        let start = Change::Move { to: Status::Responding, reason: None };
        if let CaseUpdate::Refused(why) = store.update_case(case.id, start, &desk.communicator, now)? {
            anyhow::bail!("case {}: {why}", case.id);
        }
    }
    let (clarification, new) = match clarification.status {
        ClarificationStatus::Published => (clarification, false),
        ClarificationStatus::Draft => {
            match store.update_clarification(clarification.id, ClarificationChange::Publish, &desk.communicator, now)? {
                ResponseUpdate::Done(c) => (*c, true),
                ResponseUpdate::NotFound => anyhow::bail!("clarification {} vanished", clarification.id),
                ResponseUpdate::Refused(why) => anyhow::bail!("clarification {}: {why}", clarification.id),
            }
        }
    };
    // As publishing over the API does: the claim matcher finds it from now on (again: unchanged).
    store.upsert_factchecks(&[as_factcheck(&clarification, site)])?;
    Ok(Some((clarification, new)))
}

/// The verdict the fact-check gives, in the desk's ratings. None for a rating that does not call the
/// claim false (BENAR, KLARIFIKASI, ...): such a case needs a person's judgement.
fn verdict_of(factcheck: &FactCheck) -> Option<VerdictDraft> {
    let (rating, kind) = match factcheck.rating.as_deref()?.trim().to_uppercase().as_str() {
        "HOAKS" | "HOAX" | "SALAH" | "PALSU" | "FALSE" => (Rating::Hoaks, MisinfoType::Fabricated),
        // A scam passes itself off as a bank, a ministry or a company.
        "PENIPUAN" | "SCAM" => (Rating::Hoaks, MisinfoType::Imposter),
        "DISINFORMASI" => (Rating::Disinformasi, MisinfoType::Fabricated),
        "MISINFORMASI" => (Rating::Misinformasi, MisinfoType::Misleading),
        "MENYESATKAN" | "MISLEADING" => (Rating::Menyesatkan, MisinfoType::Misleading),
        _ => return None,
    };
    let explanation = match factcheck.body_text() {
        body if body.trim().is_empty() => format!("Sesuai cek fakta \"{}\".", factcheck.title),
        body => body,
    };
    let explanation = explanation.chars().take(tangkal_cases::MAX_EXPLANATION_CHARS).collect();
    Some(VerdictDraft { rating, misinfo_type: Some(kind), explanation })
}

/// The public text (in Indonesian): the fact-check's title, claim and reasoning, how far the narrative
/// spread here, and the fact-check as the source.
fn clarification_text(store: &dyn Store, case: &Case, factcheck: &FactCheck) -> anyhow::Result<NewClarification> {
    let mut body = factcheck.body_text().replace('\n', "\n\n");
    let narrative = case.narratives.first().and_then(|id| id.parse().ok());
    if let Some(row) = narrative.map(|id| store.get_narrative(id)).transpose()?.flatten() {
        let wib = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is an offset");
        let since = DateTime::from_timestamp(row.first_seen, 0).unwrap_or_default().with_timezone(&wib);
        body.push_str(&format!(
            "\n\nKlaim ini beredar dalam {} unggahan dari {} akun di {} sejak {} WIB.",
            row.items,
            row.accounts,
            row.platforms.join(", "),
            since.format("%d-%m-%Y %H.%M")
        ));
    }
    let sources = factcheck
        .url
        .iter()
        .map(|url| Source {
            title: factcheck.publisher.clone().unwrap_or_else(|| "Cek fakta".into()),
            url: url.clone(),
        })
        .collect();
    let claim = factcheck.claim.as_deref().unwrap_or(&factcheck.title);
    Ok(NewClarification {
        title: super::excerpt(&factcheck.title, MAX_TITLE_CHARS - 1),
        body_markdown: body.trim().to_string(),
        sources,
        claim: Some(super::excerpt(claim, MAX_CLAIM_CHARS - 1)),
        topic: None,
    })
}

fn print_narratives(store: &dyn Store) -> anyhow::Result<()> {
    for narrative in store.list_narratives(NarrativeOrder::Size, TOP, 0)? {
        let verdict = match store.narrative_claim(narrative.id)? {
            Some(claim) if claim.debunked => "debunked",
            Some(claim) if claim.best_score.is_some() => "fact-check suggested",
            _ => "no fact-check",
        };
        let central = store.get_item(narrative.representative_item_id)?.map(|item| item.text).unwrap_or_default();
        println!(
            "   #{:<4} {:>3} posts, {:>3} accounts, {:<24} {:<20} \"{}\"",
            narrative.id,
            narrative.items,
            narrative.accounts,
            narrative.platforms.join(","),
            verdict,
            super::excerpt(&central, 60)
        );
        if let Some(best) = store.narrative_matches(narrative.id)?.first() {
            println!("         ↳ {:.2} {}", best.found.score, super::excerpt(&best.title, 80));
        }
    }
    Ok(())
}
