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
//! `negatives auto`. Then the same on the whole collection with every query of the half. Half B
//! was never seen by `examples/calibrate.rs`; `all` includes the half A it was fitted on.

mod common;

use common::{half_a, Topic};
use tangkal_matcher::{Answer, FactCheck, Matcher, Thresholds};

const SIZES: [usize; 2] = [400, 1_500];
const QUERIES: usize = 300;
/// Not calibrate's seed: its small databases are drawn from half A with another.
const SEED: u64 = 0x00de_5c0f_fee5;

#[derive(Default)]
struct Tally {
    queries: usize,
    right: usize,
    auto: usize,
    auto_right: usize,
    negatives: usize,
    negatives_auto: usize,
}

impl Tally {
    fn of(matcher: &Matcher, queries: &[&Topic], negatives: &[&Topic]) -> Tally {
        let thresholds: Thresholds = matcher.thresholds();
        let mut t = Tally { queries: queries.len(), negatives: negatives.len(), ..Tally::default() };
        for q in queries {
            let best = matcher.rank(&q.text, 1).into_iter().next();
            let right = best.is_some_and(|b| q.relevant.contains(&matcher.index().record(b.doc).id));
            let auto = thresholds.answer(best.map(|b| b.score)) == Answer::Auto;
            t.right += usize::from(right);
            t.auto += usize::from(auto);
            t.auto_right += usize::from(auto && right);
        }
        for n in negatives {
            let best = matcher.rank(&n.text, 1).first().map(|b| b.score);
            t.negatives_auto += usize::from(thresholds.answer(best) == Answer::Auto);
        }
        t
    }

    fn share(part: usize, whole: usize) -> f64 {
        part as f64 / whole.max(1) as f64
    }

    fn auto_right(&self) -> f64 {
        Tally::share(self.auto_right, self.queries)
    }

    fn negatives_auto(&self) -> f64 {
        Tally::share(self.negatives_auto, self.negatives)
    }

    fn add(&mut self, other: &Tally) {
        self.queries += other.queries;
        self.right += other.right;
        self.auto += other.auto;
        self.auto_right += other.auto_right;
        self.negatives += other.negatives;
        self.negatives_auto += other.negatives_auto;
    }

    fn line(&self) -> String {
        format!(
            "recall@1 {:.3}  auto {:.3}  auto right {:.3}  auto wrong {:.3}  negatives auto {:.2}%",
            Tally::share(self.right, self.queries),
            Tally::share(self.auto, self.queries),
            self.auto_right(),
            Tally::share(self.auto - self.auto_right, self.queries),
            100.0 * self.negatives_auto(),
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
            lowest = lowest.min(tally.auto_right());
            highest = highest.max(tally.negatives_auto());
            total.add(&tally);
        }
        println!(
            "{size:>6} fact-checks, {draws} draws of {QUERIES} queries: {}  (lowest draw auto right {lowest:.3}, \
             highest draw negatives auto {:.2}%)",
            total.line(),
            100.0 * highest
        );
    }
    let whole = Tally::of(&Matcher::build(records.clone()), &queries, &negatives);
    println!("{:>6} fact-checks, every query of the half: {}", records.len(), whole.line());
}
