//! Scores on the small fact-check databases a new desk starts with, beside the whole collection:
//! a score is meant to be a property of the text and the fact-check, not of the database's size.
//!
//! usage: small_corpora FACTCHECKS.jsonl QUERIES.jsonl NEGATIVES.jsonl [--half B|all] [--draws N]
//!
//! For each size of [`SIZES`], draws `--draws` databases (default 5, fixed seed): [`QUERIES`]
//! queries of the half chosen at random, all their relevant fact-checks, then random other records
//! up to the size ([`common::small_corpus`]). Those queries and every negative of the half are
//! ranked against each database with the shipped model and thresholds ([`Thresholds::answer`]):
//! - `recall@1`: share of the queries whose best match is relevant;
//! - `auto`: share of the queries whose best match is answered `auto`;
//! - `auto right` (recall@1 of auto-answered queries): share of the queries whose best match is
//!   answered `auto` AND is relevant, out of all the queries: what the desk answers rightly without
//!   an analyst; `auto wrong` the share answered `auto` with a wrong fact-check;
//! - `negatives auto`: share of the negatives (news no fact-check is about) answered `auto`.
//!
//! Per size: the mean over the draws, the lowest draw's `auto right` and the highest draw's
//! `negatives auto`; then `auto right` at the lowest level that answers at most [`BUDGET`] of the
//! negatives (pooled over the draws) `auto`: the shipped level is one order statistic of the
//! fitting half's negatives and moves with every refit, so comparing two models at one false-positive
//! rate shows what the level's move hides. Then the same on the whole collection with every query of
//! the half. Half B
//! was never seen by `examples/calibrate.rs`; `all` includes the half A it was fitted on.

mod common;

use common::{half_a, Topic};
use tangkal_matcher::{Answer, Matcher, Thresholds};
use tangkal_model::FactCheck;

const SIZES: [usize; 2] = [400, 1_500];
const QUERIES: usize = 300;
/// False-positive budget of the second figure per size: the share of negatives answered `auto`.
const BUDGET: f64 = 0.01;
/// Not calibrate's seed: its small databases are drawn from half A with another.
const SEED: u64 = 0x00de_5c0f_fee5;

/// Best-match scores of the queries (with whether that match is relevant) and of the negatives.
#[derive(Default)]
struct Tally {
    queries: Vec<(Option<f32>, bool)>,
    negatives: Vec<Option<f32>>,
}

impl Tally {
    fn of(matcher: &Matcher, queries: &[&Topic], negatives: &[&Topic]) -> Tally {
        let best = |text: &str| matcher.rank(text, 1).into_iter().next();
        let is_relevant = |q: &Topic, doc: u32| q.relevant.contains(&matcher.index().record(doc).id);
        Tally {
            queries: queries
                .iter()
                .map(|q| {
                    let found = best(&q.text);
                    (found.map(|b| b.score), found.is_some_and(|b| is_relevant(q, b.doc)))
                })
                .collect(),
            negatives: negatives.iter().map(|n| best(&n.text).map(|b| b.score)).collect(),
        }
    }

    fn share(part: usize, whole: usize) -> f64 {
        part as f64 / whole.max(1) as f64
    }

    fn auto(thresholds: &Thresholds, score: Option<f32>) -> bool {
        thresholds.answer(score) == Answer::Auto
    }

    fn auto_right(&self, thresholds: &Thresholds) -> f64 {
        let n = self.queries.iter().filter(|&&(score, right)| right && Tally::auto(thresholds, score)).count();
        Tally::share(n, self.queries.len())
    }

    fn negatives_auto(&self, thresholds: &Thresholds) -> f64 {
        let n = self.negatives.iter().filter(|&&score| Tally::auto(thresholds, score)).count();
        Tally::share(n, self.negatives.len())
    }

    /// The lowest auto-answer level at which at most `budget` (a share) of the negatives are
    /// answered `auto`: models compared there are compared at one false-positive rate, whatever
    /// level their own calibration set.
    fn level_within(&self, budget: f64) -> f32 {
        let mut scores: Vec<f32> = self.negatives.iter().flatten().copied().collect();
        scores.sort_unstable_by(|a, b| b.total_cmp(a));
        let allowed = (budget * self.negatives.len() as f64) as usize;
        scores.get(allowed).map_or(0.0, |s| s.next_up())
    }

    fn add(&mut self, other: Tally) {
        self.queries.extend(other.queries);
        self.negatives.extend(other.negatives);
    }

    fn line(&self, thresholds: &Thresholds) -> String {
        let right = self.queries.iter().filter(|q| q.1).count();
        let auto = self.queries.iter().filter(|q| Tally::auto(thresholds, q.0)).count();
        let auto_right = self.auto_right(thresholds);
        format!(
            "recall@1 {:.3}  auto {:.3}  auto right {auto_right:.3}  auto wrong {:.3}  negatives auto {:.2}%",
            Tally::share(right, self.queries.len()),
            Tally::share(auto, self.queries.len()),
            Tally::share(auto, self.queries.len()) - auto_right,
            100.0 * self.negatives_auto(thresholds),
        )
    }

    /// `auto right` at the level that keeps [`BUDGET`] of the negatives (pooled) answered `auto`.
    fn budget_line(&self, thresholds: &Thresholds) -> String {
        let level = self.level_within(BUDGET);
        let at = Thresholds { auto_answer: level, ..*thresholds };
        format!(
            "at most {:.0}% of negatives auto (level {level:.3}): auto right {:.3}",
            100.0 * BUDGET,
            self.auto_right(&at)
        )
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let mut option = |name: &str| {
        let at = args.iter().position(|a| a == name)?;
        let value = args.get(at + 1).cloned();
        args.drain(at..(at + 2).min(args.len()));
        value
    };
    let half = option("--half").unwrap_or_else(|| "B".into());
    let draws: usize = option("--draws").map_or(5, |d| d.parse().expect("--draws N"));
    if args.len() != 4 || !matches!(half.as_str(), "B" | "all") {
        eprintln!("usage: small_corpora FACTCHECKS.jsonl QUERIES.jsonl NEGATIVES.jsonl [--half B|all] [--draws N]");
        std::process::exit(2);
    }
    let records: Vec<FactCheck> = common::read_jsonl(&args[1]);
    let queries: Vec<Topic> = common::read_jsonl(&args[2]);
    let negatives: Vec<Topic> = common::read_jsonl(&args[3]);
    let in_half = |t: &&Topic| half == "all" || !half_a(&t.id);
    let queries: Vec<&Topic> = queries.iter().filter(in_half).collect();
    let negatives: Vec<&Topic> = negatives.iter().filter(in_half).collect();
    let thresholds = Thresholds::default();
    println!(
        "half {half}: {} queries, {} negatives; auto-answer >= {}",
        queries.len(),
        negatives.len(),
        thresholds.auto_answer
    );

    let mut rng = common::Rng(SEED);
    for size in SIZES {
        let mut total = Tally::default();
        let (mut lowest, mut highest) = (f64::MAX, 0f64);
        for _ in 0..draws {
            let (corpus, chosen) = common::small_corpus(&records, &queries, QUERIES, size, &mut rng);
            let tally = Tally::of(&Matcher::build(corpus), &chosen, &negatives);
            lowest = lowest.min(tally.auto_right(&thresholds));
            highest = highest.max(tally.negatives_auto(&thresholds));
            total.add(tally);
        }
        println!(
            "{size:>6} fact-checks, {draws} draws of {QUERIES} queries: {}  (lowest draw auto right {lowest:.3}, \
             highest draw negatives auto {:.2}%)",
            total.line(&thresholds),
            100.0 * highest
        );
        println!("{:>6} {}", "", total.budget_line(&thresholds));
    }
    let whole = Tally::of(&Matcher::build(records.clone()), &queries, &negatives);
    println!("{:>6} fact-checks, every query of the half: {}", records.len(), whole.line(&thresholds));
    println!("{:>6} {}", "", whole.budget_line(&thresholds));
}
