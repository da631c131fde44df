//! Fits the ranker and calibration shipped in `src/model.json`.
//!
//! usage: calibrate FACTCHECKS.jsonl QUERIES.jsonl NEGATIVES.jsonl [RUN.jsonl] [--save MODEL.json]
//!
//! Queries and negatives are split in two halves by a hash of their id; only half A is used for
//! fitting. The linear ranker is fitted on pairs of a relevant and a wrong candidate of half A's
//! queries, then boosted trees (LambdaMART) on the same candidates, starting from the linear value;
//! the calibration on the best candidate of every half-A query and negative (right: it is one of
//! the query's relevant fact-checks; a negative's best candidate is always wrong; negatives weighted
//! by [`UNRELATED_WEIGHT`]). The printed score levels are read off half A's negatives: the shipped
//! auto-answer threshold is the 1% level, the suggest threshold the 10% level.
//! Environment: K1, CLAIM_W, CLAIM_B, BODY_W, BODY_B, BODY_TERMS (field weights), CANDIDATES,
//! QUADGRAM_CANDIDATES, COVERAGE_CANDIDATES, DEPTH_BM25, RERANKED,
//! SCREENING_TREES, QUADGRAM_BELOW (candidate stage), TREES, DEPTH, SHRINK, MINLEAF (forest size).
//! With RUN.jsonl, every query and negative is ranked with the fitted model and written in the
//! scorer's run format, so half B (never seen by the fit) can be scored apart.

mod common;

use std::io::Write;

use common::{half_a, Topic};
use tangkal_matcher::{
    fit_calibration, fit_forest, fit_ranker, linear_value, Calibration, FieldWeights, ForestParams, Index, Matcher,
    Model, Options, FEATURE_NAMES, QUERY_FEATURES, QUERY_FEATURE_NAMES,
};
use tangkal_model::FactCheck;
use tangkal_text::Analyzer;

/// Each unrelated text (a negative) counts this many times in the calibration fit: in a stream most
/// texts are about no fact-check, and the auto-answer must hold its false-positive budget there, so
/// the fit spends its effort on pushing unrelated texts down rather than on average log-loss.
const UNRELATED_WEIGHT: usize = 20;

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let save = args.iter().position(|a| a == "--save").map(|i| {
        let path = args.get(i + 1).cloned().unwrap_or_default();
        args.drain(i..(i + 2).min(args.len()));
        path
    });
    let save = save.as_deref();
    if args.len() < 4 {
        eprintln!("usage: calibrate FACTCHECKS.jsonl QUERIES.jsonl NEGATIVES.jsonl [RUN.jsonl] [--save MODEL.json]");
        std::process::exit(2);
    }
    let records: Vec<FactCheck> = common::read_jsonl(&args[1]);
    let queries: Vec<Topic> = common::read_jsonl(&args[2]);
    let negatives: Vec<Topic> = common::read_jsonl(&args[3]);
    let env = |k: &str, d: f32| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let defaults = FieldWeights::default();
    let weights = FieldWeights {
        k1: env("K1", defaults.k1),
        claim_weight: env("CLAIM_W", defaults.claim_weight),
        claim_b: env("CLAIM_B", defaults.claim_b),
        body_weight: env("BODY_W", defaults.body_weight),
        body_b: env("BODY_B", defaults.body_b),
        body_terms: env("BODY_TERMS", defaults.body_terms as f32) as usize,
    };
    let options = Options {
        candidates: env("CANDIDATES", Options::default().candidates as f32) as usize,
        quadgram_candidates: env("QUADGRAM_CANDIDATES", Options::default().quadgram_candidates as f32) as usize,
        coverage_candidates: env("COVERAGE_CANDIDATES", Options::default().coverage_candidates as f32) as usize,
        depth: env("DEPTH_BM25", Options::default().depth as f32) as usize,
        reranked: env("RERANKED", Options::default().reranked as f32) as usize,
        screening_trees: env("SCREENING_TREES", Options::default().screening_trees as f32) as usize,
        quadgram_below: env("QUADGRAM_BELOW", Options::default().quadgram_below),
    };
    let analyzer = Analyzer::new();
    let matcher = Matcher::new(Index::build(records, &analyzer, weights), analyzer).with_options(options);
    let train: Vec<&Topic> = queries.iter().chain(&negatives).filter(|t| half_a(&t.id)).collect();
    let is_right = |m: &Matcher, t: &Topic, d: u32| t.relevant.iter().any(|r| *r == m.index().record(d).id);
    let texts: Vec<Vec<(Vec<f32>, bool)>> = train
        .iter()
        .filter(|t| !t.relevant.is_empty())
        .map(|t| matcher.candidate_features(&t.text).into_iter().map(|(d, v)| (v, is_right(&matcher, t, d))).collect())
        .collect();
    let covered = texts.iter().filter(|c| c.iter().any(|x| x.1)).count();
    eprintln!("half A: {} queries, candidates hold a relevant one for {covered}", texts.len());
    let rank = fit_ranker(&texts, 10, 1.0);
    let defaults = ForestParams::default();
    let params = ForestParams {
        trees: env("TREES", defaults.trees as f32) as usize,
        depth: env("DEPTH", defaults.depth as f32) as usize,
        shrinkage: f64::from(env("SHRINK", defaults.shrinkage as f32)),
        min_leaf: f64::from(env("MINLEAF", defaults.min_leaf as f32)),
        ..defaults
    };
    let forest = fit_forest(&texts, |x| linear_value(&rank, x), params);
    let first =
        Model { rank, forest, calibration: Calibration { bias: 0.0, rank: 1.0, query: vec![0.0; QUERY_FEATURES] } };
    let matcher = matcher.with_model(first.clone()).expect("model size");
    let tops: Vec<(f64, Vec<f32>, bool)> = train
        .iter()
        .filter_map(|t| {
            let (cands, query) = matcher.judged_candidates(&t.text);
            let (d, values) = cands.first()?;
            Some((t, (first.rank_value(values), query, is_right(&matcher, t, *d))))
        })
        .flat_map(|(t, top)| std::iter::repeat_n(top, if t.relevant.is_empty() { UNRELATED_WEIGHT } else { 1 }))
        .collect();
    let model = Model { calibration: fit_calibration(&tops, 1.0), ..first };
    for (n, w) in FEATURE_NAMES.iter().zip(&model.rank) {
        println!("rank {n}: {w:.4}");
    }
    println!("{} trees of depth {}", model.forest.len(), model.forest.depth);
    println!("calibration bias {:.4} rank {:.4}", model.calibration.bias, model.calibration.rank);
    for (n, w) in QUERY_FEATURE_NAMES.iter().zip(&model.calibration.query) {
        println!("calibration {n}: {w:.4}");
    }
    if let Some(path) = save {
        std::fs::write(path, serde_json::to_string(&model).expect("model") + "\n").expect(path);
    }
    let matcher = matcher.with_model(model).expect("model size");
    let ids: Vec<&str> = matcher.index().records().iter().map(|r| r.id.as_str()).collect();

    let mut neg_tops: Vec<f32> = negatives
        .iter()
        .filter(|t| half_a(&t.id))
        .map(|t| matcher.rank(&t.text, 1).first().map_or(0.0, |r| r.score))
        .collect();
    neg_tops.sort_by(|a, b| b.total_cmp(a));
    for share in [0.005, 0.01, 0.05, 0.10] {
        let k = ((neg_tops.len() as f64) * share).floor() as usize;
        println!("half A negatives: {:.1}% score above {:.4}", share * 100.0, neg_tops.get(k).copied().unwrap_or(0.0));
    }

    let started = std::time::Instant::now();
    let texts: Vec<&str> = queries.iter().map(|t| t.text.as_str()).collect();
    let hits: usize = texts.iter().map(|t| matcher.rank(t, 10).len()).sum();
    let secs = started.elapsed().as_secs_f64();
    eprintln!("ranked {} queries ({hits} matches) at {:.0} q/s", texts.len(), texts.len() as f64 / secs);
    if let Some(run) = args.get(4) {
        let mut out = std::io::BufWriter::new(std::fs::File::create(run).expect(run));
        let mut out_b = std::io::BufWriter::new(std::fs::File::create(format!("{run}.B")).expect(run));
        for t in queries.iter().chain(&negatives) {
            let matches: Vec<_> = matcher
                .rank(&t.text, 10)
                .iter()
                .map(|r| serde_json::json!({"factcheck_id": ids[r.doc as usize], "score": r.score}))
                .collect();
            let line = serde_json::json!({"id": t.id, "matches": matches}).to_string();
            writeln!(out, "{line}").unwrap();
            if !half_a(&t.id) {
                writeln!(out_b, "{line}").unwrap();
            }
        }
    }
}
