//! Claim matching as an ingest stage: after every commit, each narrative that is new, or whose
//! central copy changed since it was last matched, is matched against the stored fact-checks ("was this
//! debunked before?").
//!
//! Like the narrative stage it works from the store, after it: the narratives table says which copy is
//! central, `narrative_claims` which copy was matched, by which matcher and against which revision of the
//! fact-checks. A narrative whose record still agrees is skipped, so re-running an import matches
//! nothing, and importing new fact-checks re-matches every narrative once on the next ingest.
//!
//! The best matches at or above the suggest threshold are stored with their explanations. A best match
//! at or above the auto-answer threshold marks the narrative debunked, raises its priority (the known
//! hoax's risk is the match score) and opens a case for it, unless a case already links the narrative
//! or one merged into it; when an open case already answers the same fact-check, the narrative joins it.

use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;
use tangkal_cases::{Clock, NewCase, Origin, Priority, Signals, SystemClock, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS};
use tangkal_matcher::{Answer, Match, Matcher, Thresholds};
use tangkal_model::NarrativeId;
use tangkal_store::{
    FactCheckFilter, FactCheckMatch, NarrativeClaim, NarrativeMatches, NarrativeRow, PendingNarrative, SettingStore,
    Store,
};

/// The setting that holds the thresholds an administrator chose ([`Thresholds`] as JSON).
pub const THRESHOLDS_SETTING: &str = "matcher.thresholds";

/// The thresholds in force: the administrator's, else the shipped ones.
pub fn thresholds_in_force<S: SettingStore + ?Sized>(store: &S) -> tangkal_store::Result<Thresholds> {
    let Some(setting) = store.setting(THRESHOLDS_SETTING)? else { return Ok(Thresholds::default()) };
    let stored = serde_json::from_value::<Thresholds>(setting.value)
        .ok()
        .and_then(|t| Thresholds::checked(t.auto_answer, t.suggest).ok());
    Ok(stored.unwrap_or_else(|| {
        tracing::warn!("the stored {THRESHOLDS_SETTING} are not valid thresholds: the shipped ones apply");
        Thresholds::default()
    }))
}

/// Who opens the cases of debunked narratives, in the cases and the audit trail.
pub const DETECTOR: &str = "detector:claims";

/// Matches kept per narrative.
const STORED_MATCHES: usize = 5;

/// Narratives read from the store per step.
const STEP: u64 = 5_000;

/// What the stage did since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MatchingTotals {
    /// Narratives matched (with or without a match above the suggest threshold).
    pub matched: u64,
    /// Of those, narratives whose best match reached the auto-answer threshold.
    pub debunked: u64,
    pub cases_opened: u64,
}

pub struct MatchingStage {
    /// `None` while the fact-check store is empty: the stage then does nothing.
    active: Option<Active>,
    totals: MatchingTotals,
    /// When cases open and narratives join them: a drill runs its own, faster clock.
    clock: Arc<dyn Clock>,
}

struct Active {
    factchecks_revision: String,
    thresholds: Thresholds,
    matcher_version: String,
    /// Built when the first narrative needs it, so a run that changes no narrative never builds it.
    matcher: Option<Matcher>,
    /// Narratives last updated before this time (UTC seconds) were looked at already.
    checked_since: i64,
}

impl MatchingStage {
    /// Reads the fact-checks' revision and matches the narratives stored before that were not matched
    /// against it yet.
    pub fn open(store: &mut dyn Store) -> anyhow::Result<MatchingStage> {
        MatchingStage::open_with_clock(store, Arc::new(SystemClock))
    }

    /// [`MatchingStage::open`], opening cases at the times `clock` gives.
    pub fn open_with_clock(store: &mut dyn Store, clock: Arc<dyn Clock>) -> anyhow::Result<MatchingStage> {
        let mut stage = MatchingStage { active: active(store)?, totals: MatchingTotals::default(), clock };
        stage.catch_up(store)?;
        Ok(stage)
    }

    /// A stage that matches only the narratives it is handed ([`MatchingStage::match_narratives`]), as the
    /// workers of the distributed intake do: a work queue shares the narratives among them.
    pub fn on_demand(clock: Arc<dyn Clock>) -> MatchingStage {
        MatchingStage { active: None, totals: MatchingTotals::default(), clock }
    }

    /// Matches every narrative that is pending since the last call.
    pub fn catch_up(&mut self, store: &mut dyn Store) -> anyhow::Result<()> {
        let Some(active) = &mut self.active else { return Ok(()) };
        let started = chrono::Utc::now().timestamp();
        let before = self.totals;
        loop {
            let pending = store.narratives_to_match(
                &active.matcher_version,
                &active.factchecks_revision,
                active.checked_since,
                STEP,
            )?;
            if pending.is_empty() {
                break;
            }
            match_pending(store, active, &pending, &mut self.totals, self.clock.as_ref())?;
            if (pending.len() as u64) < STEP {
                break;
            }
        }
        // Seconds are coarse: a narrative updated in this same second is looked at again next time,
        // and skipped there if its record agrees.
        active.checked_since = started;
        self.log_since(before);
        Ok(())
    }

    /// Matches those of `narratives` (each followed to the narrative it was merged into) whose record does not
    /// agree with their central copy, the matcher and the fact-checks, as [`MatchingStage::catch_up`] would
    /// find them. Fact-checks or thresholds changed since the last call are taken into account first.
    pub fn match_narratives(&mut self, store: &mut dyn Store, narratives: &[NarrativeId]) -> anyhow::Result<()> {
        let fresh = active(store)?;
        let current =
            |a: &Option<Active>| a.as_ref().map(|a| (a.factchecks_revision.clone(), a.matcher_version.clone()));
        if current(&fresh) != current(&self.active) {
            self.active = fresh;
        }
        let Some(active) = &mut self.active else { return Ok(()) };
        let before = self.totals;
        let mut seen = std::collections::BTreeSet::new();
        let mut pending = Vec::new();
        for &id in narratives {
            let Some(row) = store.get_narrative(id)? else { continue };
            if !seen.insert(row.id) {
                continue;
            }
            let agrees = store.narrative_claim(row.id)?.is_some_and(|c| {
                c.representative_item_id == row.representative_item_id
                    && c.matcher_version == active.matcher_version
                    && c.factchecks_revision == active.factchecks_revision
            });
            if agrees {
                continue;
            }
            let Some(central) = store.get_item(row.representative_item_id)? else { continue };
            pending.push(PendingNarrative {
                narrative_id: row.id,
                representative_item_id: row.representative_item_id,
                text: central.text,
            });
        }
        if !pending.is_empty() {
            match_pending(store, active, &pending, &mut self.totals, self.clock.as_ref())?;
        }
        self.log_since(before);
        Ok(())
    }

    fn log_since(&self, before: MatchingTotals) {
        if self.totals.matched > before.matched {
            tracing::info!(
                target: "tangkal::matching",
                "matched {} narratives against the fact-checks: {} debunked, {} cases opened",
                self.totals.matched - before.matched,
                self.totals.debunked - before.debunked,
                self.totals.cases_opened - before.cases_opened
            );
        }
    }

    pub fn totals(&self) -> MatchingTotals {
        self.totals
    }
}

impl crate::Stage for MatchingStage {
    fn after_commit(&mut self, store: &mut dyn Store) -> anyhow::Result<()> {
        self.catch_up(store)
    }
}

/// What matching works against now: the stored fact-checks' revision and the thresholds in force; `None`
/// while there are no fact-checks.
fn active(store: &dyn Store) -> anyhow::Result<Option<Active>> {
    let thresholds = thresholds_in_force(store)?;
    Ok(store.factchecks_revision()?.map(|factchecks_revision| Active {
        factchecks_revision,
        thresholds,
        matcher_version: matcher_version(thresholds),
        matcher: None,
        checked_since: i64::MIN,
    }))
}

/// Matches `pending` and stores the outcomes, counting them in `totals`.
fn match_pending(
    store: &mut dyn Store,
    active: &mut Active,
    pending: &[PendingNarrative],
    totals: &mut MatchingTotals,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    if active.matcher.is_none() {
        active.matcher = Some(build_matcher(store, active.thresholds)?);
    }
    let matcher = active.matcher.as_ref().expect("built above");
    let mut batch = Vec::with_capacity(pending.len());
    for narrative in pending {
        let (matched, case_opened) = match_narrative(store, matcher, active, narrative, clock)?;
        totals.matched += 1;
        totals.debunked += u64::from(matched.claim.debunked);
        totals.cases_opened += u64::from(case_opened);
        batch.push(matched);
    }
    // Cases are opened first: if the process dies before this write, the narratives are matched again and
    // find their cases.
    store.save_narrative_matches(&batch)?;
    Ok(())
}

/// Stored records carry the matcher's revision (version, analysis, model) and the thresholds that
/// produced them: a change to any of these means matching again.
fn matcher_version(thresholds: Thresholds) -> String {
    format!(
        "tangkal-matcher {} auto {} suggest {}",
        tangkal_matcher::revision(),
        thresholds.auto_answer,
        thresholds.suggest
    )
}

fn build_matcher(store: &dyn Store, thresholds: Thresholds) -> anyhow::Result<Matcher> {
    let started = std::time::Instant::now();
    let records: Vec<_> = store
        .list_factchecks(&FactCheckFilter::default(), u64::MAX >> 1, 0)?
        .into_iter()
        .map(|s| s.factcheck)
        .collect();
    let count = records.len();
    let matcher = Matcher::build(records).with_thresholds(thresholds);
    tracing::debug!(target: "tangkal::matching", "indexed {count} fact-checks in {:.2?}", started.elapsed());
    Ok(matcher)
}

/// Matches one narrative, opening its case when it is debunked and has none; returns what to store and
/// whether a case was opened.
fn match_narrative(
    store: &mut dyn Store,
    matcher: &Matcher,
    active: &Active,
    narrative: &PendingNarrative,
    clock: &dyn Clock,
) -> anyhow::Result<(NarrativeMatches, bool)> {
    let thresholds = matcher.thresholds();
    // Most narratives match nothing worth showing: the ranking alone says so, without explanations.
    let shown = matcher
        .rank(&narrative.text, STORED_MATCHES)
        .iter()
        .take_while(|r| thresholds.answer(Some(r.score)) != Answer::None)
        .count();
    let found: Vec<Match<'_>> = if shown == 0 { Vec::new() } else { matcher.best(&narrative.text, shown) };
    let best = found.first().filter(|m| thresholds.answer(Some(m.score)) == Answer::Auto);
    let mut claim = NarrativeClaim {
        narrative_id: narrative.narrative_id,
        representative_item_id: narrative.representative_item_id,
        matcher_version: active.matcher_version.clone(),
        factchecks_revision: active.factchecks_revision.clone(),
        matched_at: chrono::Utc::now().timestamp(),
        best_score: found.first().map(|m| m.score),
        debunked: best.is_some(),
        priority: None,
        case_id: None,
    };
    let mut case_opened = false;
    if let Some(best) = best {
        let row = store
            .get_narrative(narrative.narrative_id)?
            .with_context(|| format!("narrative {} is gone", narrative.narrative_id))?;
        let signals = signals(&row, best.score);
        claim.priority = Some(signals.priority());
        // One case per debunked claim: a second narrative repeating it joins the open case. Decided in turn
        // with other processes matching at once, which could otherwise both find no case and open one each.
        let origin_ref = format!("factcheck:{}", best.factcheck.id);
        store.begin_case_turn()?;
        let decided = (|| -> anyhow::Result<i64> {
            Ok(match store.narrative_case(row.id)? {
                Some(existing) => existing,
                None => match store.open_case_for_origin(&origin_ref)? {
                    Some(open) => {
                        store.link_narrative(open, row.id, row.representative_item_id, DETECTOR, clock.now())?;
                        open
                    }
                    None => {
                        let new = new_case(&row, best, signals, origin_ref);
                        let case = store.open_case(&new, DETECTOR, clock.now())?;
                        case_opened = true;
                        case.id
                    }
                },
            })
        })();
        store.end_case_turn()?;
        claim.case_id = Some(decided?);
    }
    let matches = found
        .iter()
        .map(|m| {
            Ok(FactCheckMatch {
                factcheck_id: m.factcheck.id.clone(),
                score: m.score,
                explanation: serde_json::to_value(&m.explanation)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((NarrativeMatches { claim, matches }, case_opened))
}

/// The spread as the case priority reads it, with the match score as the risk: a debunked claim is a
/// known hoax. A known risk this high never lowers the priority that reach and velocity alone give.
fn signals(row: &NarrativeRow, score: f32) -> Signals {
    Signals {
        risk: Some(f64::from(score)),
        reach: Some(row.views.saturating_add(row.shares)),
        velocity: Some(row.velocity_1h),
    }
}

fn new_case(row: &NarrativeRow, best: &Match<'_>, signals: Signals, origin_ref: String) -> NewCase {
    let factcheck = best.factcheck;
    let title = format!("Debunked before: {}", factcheck.title);
    let mut summary = format!(
        "Narrative {} ({} items from {} accounts on {}) repeats a claim already checked.\n\
         Fact-check {}: {}{}{}\nMatch score {:.2} (priority {}).",
        row.id,
        row.items,
        row.accounts,
        row.platforms.join(", "),
        factcheck.id,
        factcheck.title,
        factcheck.rating.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default(),
        factcheck.url.as_deref().map(|u| format!(" {u}")).unwrap_or_default(),
        best.score,
        priority_name(signals.priority()),
    );
    if !best.explanation.phrases.is_empty() {
        summary.push_str(&format!("\nShared phrases: {}.", best.explanation.phrases.join("; ")));
    }
    if !best.explanation.claim_words.is_empty() {
        summary.push_str(&format!("\nShared words: {}.", best.explanation.claim_words.join(", ")));
    }
    NewCase {
        title: truncate(&title, MAX_TITLE_CHARS),
        summary: truncate(&summary, MAX_SUMMARY_CHARS),
        origin: Some(Origin::Detector),
        origin_ref: Some(origin_ref),
        narratives: vec![row.id.to_string()],
        items: vec![row.representative_item_id],
        platforms: row.platforms.clone(),
        signals,
        ..NewCase::default()
    }
}

fn priority_name(priority: Priority) -> String {
    format!("P{}", priority.level())
}

fn truncate(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => text[..at].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NarrativeStage;
    use tangkal_model::{parse_json_item, FactCheck, DEFAULT_MAX_TEXT_BYTES};
    use tangkal_store::{AuditFilter, CaseFilter, ItemRecord, NarrativeOrder, SourceRef};

    /// A post restating a claim that `data/sample/factchecks.jsonl` debunks (`fc-75ae4b3994c2`), so
    /// that any sane ranking puts it above the auto-answer threshold.
    const HOAX: &str = "Sebarkan!! BLT Rp 600 ribu tahap 2 cair, daftar lewat link dengan NIK dan foto KTP. BLT Rp \
        600.000 tahap 2 cair Februari 2024 dan warga bisa mendaftar lewat tautan dengan mengunggah KTP dan KK.";
    const NEWS: &str = "Harga beras premium di pasar tradisional naik tipis pekan ini setelah pasokan dari daerah \
        sentra produksi berkurang";

    fn write(store: &mut dyn Store, texts: &[(usize, &str)]) {
        let items: Vec<_> = texts
            .iter()
            .map(|&(i, text)| {
                let line = format!(
                    r#"{{"id":"x:{i}","platform":"x","author":{{"id":"u{i}"}},"text":"{text}","published_at":"2024-02-03T05:{:02}:00Z","metrics":{{"views":{}}}}}"#,
                    i % 60,
                    100 * i
                );
                parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
            })
            .collect();
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 0 }).collect();
        store.write_items(&SourceRef { kind: "file".into(), location: "t.jsonl".into() }, &records).unwrap();
    }

    fn factchecks() -> Vec<FactCheck> {
        let sample = include_str!("../../../data/sample/factchecks.jsonl");
        tangkal_matcher::formats::read_jsonl(sample.as_bytes(), "factchecks.jsonl").unwrap().records
    }

    fn narrative_of(store: &dyn Store, text: &str) -> NarrativeRow {
        store
            .list_narratives(NarrativeOrder::Size, 100, 0)
            .unwrap()
            .into_iter()
            .find(|n| store.get_item(n.representative_item_id).unwrap().unwrap().text == text)
            .unwrap()
    }

    fn case_count(store: &dyn Store) -> u64 {
        store.count_cases(&CaseFilter::default(), chrono::Utc::now()).unwrap()
    }

    #[test]
    fn without_factchecks_nothing_is_matched() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
        write(store.as_mut(), &[(1, HOAX), (2, NEWS)]);
        NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        let stage = MatchingStage::open(store.as_mut()).unwrap();
        assert!(stage.active.is_none());
        assert_eq!(stage.totals(), MatchingTotals::default());
        assert_eq!(store.narrative_claim(narrative_of(store.as_ref(), HOAX).id).unwrap(), None);
    }

    #[test]
    fn thresholds_an_administrator_raises_open_no_case_and_mean_matching_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
        store.upsert_factchecks(&factchecks()).unwrap();
        write(store.as_mut(), &[(1, HOAX), (2, NEWS)]);
        NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        let strict = serde_json::json!({"auto_answer": 1.0, "suggest": 0.12});
        store.put_setting(THRESHOLDS_SETTING, &strict, "admin", chrono::Utc::now()).unwrap();
        assert_eq!(thresholds_in_force(store.as_ref()).unwrap(), Thresholds { auto_answer: 1.0, suggest: 0.12 });
        let stage = MatchingStage::open(store.as_mut()).unwrap();
        assert_eq!((stage.totals().matched, stage.totals().debunked), (2, 0));
        assert_eq!(case_count(store.as_ref()), 0);
        let claim = store.narrative_claim(narrative_of(store.as_ref(), HOAX).id).unwrap().unwrap();
        assert!(claim.matcher_version.ends_with("auto 1 suggest 0.12"), "{}", claim.matcher_version);

        // Back to the shipped ones: every narrative is matched again and the hoax opens its case.
        let shipped = serde_json::to_value(Thresholds::default()).unwrap();
        store.put_setting(THRESHOLDS_SETTING, &shipped, "admin", chrono::Utc::now()).unwrap();
        let stage = MatchingStage::open(store.as_mut()).unwrap();
        assert_eq!((stage.totals().matched, stage.totals().debunked), (2, 1));
        assert_eq!(case_count(store.as_ref()), 1);
    }

    #[test]
    fn a_debunked_narrative_gets_its_match_and_one_audited_case() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = tangkal_store::open(&tangkal_store::StoreLocation::sqlite(dir.path())).unwrap();
        store.upsert_factchecks(&factchecks()).unwrap();
        write(store.as_mut(), &[(1, HOAX), (2, NEWS)]);
        let mut narratives = NarrativeStage::open(dir.path(), store.as_mut()).unwrap();
        let mut stage = MatchingStage::open(store.as_mut()).unwrap();
        assert_eq!(stage.totals().matched, 2);

        let hoax = narrative_of(store.as_ref(), HOAX);
        let claim = store.narrative_claim(hoax.id).unwrap().unwrap();
        assert!(claim.debunked, "{claim:?}");
        let matches = store.narrative_matches(hoax.id).unwrap();
        assert_eq!(matches[0].found.factcheck_id, "fc-75ae4b3994c2");
        assert_eq!(claim.best_score, Some(matches[0].found.score));
        assert!(matches.iter().all(|m| m.found.score >= Thresholds::default().suggest));
        let words = matches[0].found.explanation["claim_words"].as_array().unwrap();
        assert!(words.iter().any(|w| w == "blt"), "{words:?}");
        let quiet = Signals { risk: None, ..signals(&hoax, 0.0) }.priority();
        assert!(claim.priority.unwrap() <= quiet, "a debunked match never lowers the priority");

        let case_id = claim.case_id.unwrap();
        let case = store.case(case_id).unwrap().unwrap();
        assert_eq!(case.opened_by, DETECTOR);
        assert_eq!(case.origin, Origin::Detector);
        assert_eq!(case.origin_ref.as_deref(), Some("factcheck:fc-75ae4b3994c2"));
        assert_eq!(case.narratives, vec![hoax.id.to_string()]);
        assert_eq!(case.priority, claim.priority.unwrap());
        let events = store
            .audit_events(&AuditFilter { entity: Some("case".into()), entity_id: Some(case_id.to_string()) }, 10, 0)
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].actor.as_str(), events[0].action.as_str()), (DETECTOR, "case.open"));

        let news = narrative_of(store.as_ref(), NEWS);
        let news_claim = store.narrative_claim(news.id).unwrap().unwrap();
        assert!(!news_claim.debunked && news_claim.case_id.is_none() && news_claim.priority.is_none());
        assert_eq!(case_count(store.as_ref()), 1);

        // More copies of the hoax: nothing to match when the central copy stays.
        let copy = format!("Sebarkan! {HOAX}");
        write(store.as_mut(), &[(3, HOAX.to_uppercase().as_str()), (4, copy.as_str())]);
        narratives.catch_up(store.as_mut()).unwrap();
        stage.catch_up(store.as_mut()).unwrap();
        let rep_changed =
            narrative_of_id(store.as_ref(), hoax.id).representative_item_id != hoax.representative_item_id;
        assert_eq!(stage.totals().matched, 2 + u64::from(rep_changed));

        // New fact-checks: every narrative is matched again, and no second case opens.
        let mut updated = factchecks().remove(0);
        updated.conclusion = Some("Diperbarui dengan tanggapan resmi.".into());
        store.upsert_factchecks(&[updated]).unwrap();
        let again = MatchingStage::open(store.as_mut()).unwrap();
        assert_eq!(again.totals(), MatchingTotals { matched: 2, debunked: 1, cases_opened: 0 });
        assert_eq!(case_count(store.as_ref()), 1);
        assert_eq!(store.narrative_claim(hoax.id).unwrap().unwrap().case_id, Some(case_id));
        assert_eq!(MatchingStage::open(store.as_mut()).unwrap().totals().matched, 0, "re-running matches nothing");
    }

    fn narrative_of_id(store: &dyn Store, id: NarrativeId) -> NarrativeRow {
        store.get_narrative(id).unwrap().unwrap()
    }
}
