//! Learning the ranking and the calibrated score from judged examples.
//!
//! Two models:
//! - the **ranker** orders a text's candidates: a linear sum fitted by logistic regression on pairs
//!   (a right and a wrong candidate of the same text), so it learns what separates them, not how
//!   many wrong ones there are; then boosted regression trees fitted on the same candidates from that
//!   sum (LambdaMART), for what a weighted sum cannot express;
//! - the **calibration**, a logistic regression, turns the ranker's value into a probability that
//!   the match is right, using evidence about the text's best candidate (how much of its claim and
//!   of the text they share, and how much specific vocabulary that is), never about the runner-up,
//!   whose distance depends on the size of the database. Those inputs are the same for every candidate of a text, so the probability only
//!   ever falls down the ranking, and the same threshold means the same thing for a five-word post
//!   and a long article, against forty fact-checks or forty thousand.
//!
//! The shipped model (`src/model.json`) was fitted by `examples/calibrate.rs` (see its header).

use serde::{Deserialize, Serialize};

/// Number of text-level inputs of the calibration (see [`QUERY_FEATURE_NAMES`]).
pub const QUERY_FEATURES: usize = 10;

/// Text-level calibration inputs, taken from the best candidate.
pub const QUERY_FEATURE_NAMES: [&str; QUERY_FEATURES] = [
    "best_claim_covered",
    "best_query_in_claim",
    "best_pairs_covered",
    "query_mass_log",
    "best_bm25_share",
    "best_claim_terms_covered",
    "best_claim_trigrams_covered",
    "best_query_trigrams_in_claim",
    "query_terms_log",
    "best_shared_mass",
];

/// Ranker and calibration weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// One weight per candidate feature (built-in features, then signals).
    pub rank: Vec<f64>,
    /// Regression trees whose sum is added to the linear value: they capture what a weighted sum
    /// cannot (e.g. full headline coverage counting only when the text is short).
    #[serde(default)]
    pub forest: Forest,
    pub calibration: Calibration,
}

/// Boosted regression trees over candidate features. Every tree is complete to `depth` and stored
/// in heap order from position 1 (children of node `i` at `2i` and `2i + 1`; position 0 unused),
/// so evaluating one is `depth` compares without a branch to mispredict; a leaf reached early is a
/// chain of splits that always go left (threshold `f32::MAX`, which JSON can hold, unlike infinity).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    pub depth: u32,
    /// Split feature of each inner node, `2^depth` slots per tree.
    pub features: Vec<u16>,
    /// Split threshold of each inner node: `features[feature] >= threshold` goes right.
    pub thresholds: Vec<f32>,
    /// `2^depth` leaf values per tree.
    pub leaves: Vec<f32>,
}

impl Forest {
    /// Number of trees.
    pub fn len(&self) -> usize {
        self.leaves.len() >> self.depth
    }

    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// Most features a forest can split on: rows are copied into an array of this size so the
    /// descent needs no bounds checks.
    pub const MAX_FEATURES: usize = 64;

    /// Sum of the trees' leaf values for one candidate. Features beyond [`Forest::MAX_FEATURES`]
    /// are not seen.
    pub fn value(&self, features: &[f32]) -> f64 {
        self.value_of(features, 0..self.len())
    }

    /// Sum of the leaf values of the trees in `trees` (by position, the first fitted first) for one
    /// candidate: a ranking can screen candidates with the first trees and finish the best.
    pub fn value_of(&self, features: &[f32], trees: std::ops::Range<usize>) -> f64 {
        let mut row = [0f32; Forest::MAX_FEATURES];
        let n = features.len().min(Forest::MAX_FEATURES);
        row[..n].copy_from_slice(&features[..n]);
        let width = 1usize << self.depth;
        let (start, end) = (trees.start.min(self.len()) * width, trees.end.min(self.len()) * width);
        let slices = (&self.features[start..end], &self.thresholds[start..end], &self.leaves[start..end]);
        f64::from(match self.depth {
            0 => slices.2.iter().sum(),
            1 => sum::<2>(slices, &row),
            2 => sum::<4>(slices, &row),
            3 => sum::<8>(slices, &row),
            4 => sum::<16>(slices, &row),
            5 => sum::<32>(slices, &row),
            6 => sum::<64>(slices, &row),
            _ => sum_any(slices, width, &row),
        })
    }
}

/// Split features, thresholds and leaves of consecutive trees, in [`Forest`]'s layout.
type Trees<'a> = (&'a [u16], &'a [f32], &'a [f32]);

/// [`Forest::value_of`] for trees of `WIDTH` (= 2^depth) slots: the descent unrolls and indexes
/// fixed-size arrays.
fn sum<const WIDTH: usize>((features, thresholds, leaves): Trees, row: &[f32; Forest::MAX_FEATURES]) -> f32 {
    let mut sum = 0f32;
    let trees = features.chunks_exact(WIDTH).zip(thresholds.chunks_exact(WIDTH));
    for ((split, threshold), leaves) in trees.zip(leaves.chunks_exact(WIDTH)) {
        let (split, threshold, leaves): (&[u16; WIDTH], &[f32; WIDTH], &[f32; WIDTH]) =
            match (split.try_into(), threshold.try_into(), leaves.try_into()) {
                (Ok(s), Ok(t), Ok(l)) => (s, t, l),
                _ => continue,
            };
        let mut node = 1;
        for _ in 0..WIDTH.trailing_zeros() {
            let at = node & (WIDTH - 1);
            let x = row[usize::from(split[at]) & (Forest::MAX_FEATURES - 1)];
            node = 2 * node + usize::from(x >= threshold[at]);
        }
        sum += leaves[node & (WIDTH - 1)];
    }
    sum
}

fn sum_any((features, thresholds, leaves): Trees, width: usize, row: &[f32; Forest::MAX_FEATURES]) -> f32 {
    let mut sum = 0f32;
    let trees = features.chunks_exact(width).zip(thresholds.chunks_exact(width));
    for ((split, threshold), leaves) in trees.zip(leaves.chunks_exact(width)) {
        let mut node = 1;
        while node < width {
            let x = row[usize::from(split[node]) & (Forest::MAX_FEATURES - 1)];
            node = 2 * node + usize::from(x >= threshold[node]);
        }
        sum += leaves[node - width];
    }
    sum
}

/// Size and regularisation of a [`fit_forest`] run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForestParams {
    pub trees: usize,
    pub depth: usize,
    pub shrinkage: f64,
    /// Least hessian mass a leaf may hold.
    pub min_leaf: f64,
    /// L2 penalty on leaf values.
    pub l2: f64,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams { trees: 30, depth: 5, shrinkage: 0.3, min_leaf: 1.0, l2: 1.0 }
    }
}

/// `p = sigmoid(bias + rank * ranker value + query · text-level inputs)`; `rank` is kept positive so
/// scores never rise down a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub bias: f64,
    pub rank: f64,
    pub query: Vec<f64>,
}

impl Model {
    /// The ranker's value of one candidate.
    pub fn rank_value(&self, features: &[f32]) -> f64 {
        linear_value(&self.rank, features) + self.forest.value(features)
    }

    /// Probability that a candidate with ranker value `value` is right, given the text-level inputs.
    pub fn probability(&self, value: f64, query: &[f32]) -> f32 {
        self.calibration.probability(value, self.calibration.text_offset(query))
    }
}

impl Calibration {
    /// The part of the calibration's sum that is the same for every candidate of a text.
    pub fn text_offset(&self, query: &[f32]) -> f64 {
        self.bias + linear_value(&self.query, query)
    }

    /// Probability for ranker value `value` of a text with [`Calibration::text_offset`] `offset`.
    pub fn probability(&self, value: f64, offset: f64) -> f32 {
        (1.0 / (1.0 + (-(offset + self.rank.max(1e-6) * value)).exp())) as f32
    }
}

/// Fits the ranker from each text's candidates (features, right?). Texts without a right candidate
/// teach nothing about ordering and are skipped; each right candidate is paired with the
/// `hardest` wrong candidates listed first (callers list candidates best first).
pub fn fit_ranker(texts: &[Vec<(Vec<f32>, bool)>], hardest: usize, l2: f64) -> Vec<f64> {
    let mut pairs = Vec::new();
    for cands in texts {
        for (right, _) in cands.iter().filter(|c| c.1) {
            for (wrong, _) in cands.iter().filter(|c| !c.1).take(hardest) {
                let diff: Vec<f32> = right.iter().zip(wrong).map(|(a, b)| a - b).collect();
                let neg: Vec<f32> = diff.iter().map(|d| -d).collect();
                pairs.push((diff, true));
                pairs.push((neg, false));
            }
        }
    }
    logistic(&pairs, l2).1
}

/// `weights · features`.
pub fn linear_value(weights: &[f64], features: &[f32]) -> f64 {
    weights.iter().zip(features).map(|(w, &x)| w * f64::from(x)).sum()
}

/// Fits trees that improve the ordering of each text's candidates (features, right?) beyond the
/// `base` value (the linear ranker's): LambdaMART, gradient boosting on pairwise logistic losses
/// weighted by how much swapping the pair changes the ranking's DCG, so the top positions count
/// most. Texts without both a right and a wrong candidate are skipped.
pub fn fit_forest(texts: &[Vec<(Vec<f32>, bool)>], base: impl Fn(&[f32]) -> f64, params: ForestParams) -> Forest {
    let groups: Vec<&Vec<(Vec<f32>, bool)>> =
        texts.iter().filter(|c| c.iter().any(|x| x.1) && c.iter().any(|x| !x.1)).collect();
    let rows: Vec<(&[f32], bool)> = groups.iter().flat_map(|g| g.iter().map(|(x, y)| (x.as_slice(), *y))).collect();
    let mut group_start = vec![0usize];
    for g in &groups {
        group_start.push(group_start.last().unwrap_or(&0) + g.len());
    }
    let dim = rows.first().map_or(0, |r| r.0.len());
    let edges = bin_edges(&rows, dim, 64);
    let bins: Vec<u8> = rows
        .iter()
        .flat_map(|(x, _)| x.iter().zip(&edges).map(|(&v, e)| e.partition_point(|&edge| edge <= v) as u8))
        .collect();
    let mut score: Vec<f64> = rows.iter().map(|(x, _)| base(x)).collect();
    let width = 1usize << params.depth;
    let mut forest = Forest {
        depth: params.depth as u32,
        features: vec![0; width * params.trees],
        thresholds: vec![f32::MAX; width * params.trees],
        leaves: vec![0.0; width * params.trees],
    };
    let (mut grad, mut hess) = (vec![0f64; rows.len()], vec![0f64; rows.len()]);
    let mut order: Vec<u32> = Vec::new();
    for tree in 0..params.trees {
        for w in group_start.windows(2) {
            lambdas(&rows[w[0]..w[1]], &score[w[0]..w[1]], &mut grad[w[0]..w[1]], &mut hess[w[0]..w[1]]);
        }
        order.clear();
        order.extend(0..rows.len() as u32);
        let grower = Grower { bins: &bins, dim, edges: &edges, grad: &grad, hess: &hess, params };
        let slots = tree * width..(tree + 1) * width;
        let mut out = TreeSlots {
            features: &mut forest.features[slots.clone()],
            thresholds: &mut forest.thresholds[slots.clone()],
            leaves: &mut forest.leaves[slots],
        };
        grower.grow(&mut order, 1, 0, &mut out, &mut score);
    }
    forest
}

/// Up to `max_bins - 1` split points per feature at its quantiles.
fn bin_edges(rows: &[(&[f32], bool)], dim: usize, max_bins: usize) -> Vec<Vec<f32>> {
    (0..dim)
        .map(|f| {
            let mut values: Vec<f32> = rows.iter().map(|r| r.0[f]).collect();
            values.sort_unstable_by(f32::total_cmp);
            let mut edges: Vec<f32> = (1..max_bins).map(|k| values[k * (values.len() - 1) / max_bins]).collect();
            edges.dedup();
            // A split point equal to the smallest value separates nothing.
            edges.retain(|&e| e > values[0]);
            edges
        })
        .collect()
}

/// LambdaRank gradients and hessians of one text's candidates at the current scores.
fn lambdas(rows: &[(&[f32], bool)], score: &[f64], grad: &mut [f64], hess: &mut [f64]) {
    let mut by_score: Vec<usize> = (0..rows.len()).collect();
    by_score.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let mut position = vec![0usize; rows.len()];
    for (p, &i) in by_score.iter().enumerate() {
        position[i] = p;
    }
    let gain = |p: usize| 1.0 / (2.0 + p as f64).log2();
    let relevant = rows.iter().filter(|r| r.1).count();
    let ideal: f64 = (0..relevant).map(gain).sum();
    grad.fill(0.0);
    hess.fill(0.0);
    for i in (0..rows.len()).filter(|&i| rows[i].1) {
        for j in (0..rows.len()).filter(|&j| !rows[j].1) {
            let delta = (gain(position[i]) - gain(position[j])).abs() / ideal;
            let rho = 1.0 / (1.0 + (score[i] - score[j]).exp());
            grad[i] -= rho * delta;
            grad[j] += rho * delta;
            let h = (rho * (1.0 - rho) * delta).max(1e-12);
            hess[i] += h;
            hess[j] += h;
        }
    }
}

struct Grower<'a> {
    bins: &'a [u8],
    dim: usize,
    edges: &'a [Vec<f32>],
    grad: &'a [f64],
    hess: &'a [f64],
    params: ForestParams,
}

/// One tree's node arrays in a [`Forest`].
struct TreeSlots<'a> {
    features: &'a mut [u16],
    thresholds: &'a mut [f32],
    leaves: &'a mut [f32],
}

impl TreeSlots<'_> {
    /// Makes every leaf under `node` hold `value` (inner nodes default to going left).
    fn fill(&mut self, node: usize, value: f32) {
        if node >= self.leaves.len() {
            self.leaves[node - self.leaves.len()] = value;
            return;
        }
        self.fill(2 * node, value);
        self.fill(2 * node + 1, value);
    }
}

impl Grower<'_> {
    /// Grows the subtree over `rows` at heap position `node`; adds the leaf values to `score`.
    fn grow(&self, rows: &mut [u32], node: usize, depth: usize, out: &mut TreeSlots, score: &mut [f64]) {
        let (g, h): (f64, f64) =
            rows.iter().fold((0.0, 0.0), |(g, h), &r| (g + self.grad[r as usize], h + self.hess[r as usize]));
        let split = if depth < self.params.depth { self.best_split(rows, g, h) } else { None };
        let Some((feature, bin)) = split else {
            let value = (-g / (h + self.params.l2) * self.params.shrinkage) as f32;
            for &r in rows.iter() {
                score[r as usize] += f64::from(value);
            }
            out.fill(node, value);
            return;
        };
        out.features[node] = feature as u16;
        out.thresholds[node] = self.edges[feature][bin];
        let mut left_len = 0;
        for k in 0..rows.len() {
            if usize::from(self.bins[rows[k] as usize * self.dim + feature]) <= bin {
                rows.swap(k, left_len);
                left_len += 1;
            }
        }
        let (left, right) = rows.split_at_mut(left_len);
        self.grow(left, 2 * node, depth + 1, out, score);
        self.grow(right, 2 * node + 1, depth + 1, out, score);
    }

    /// The (feature, last bin going left) with the largest loss reduction, if any helps.
    fn best_split(&self, rows: &[u32], g: f64, h: f64) -> Option<(usize, usize)> {
        let mut hist = vec![(0f64, 0f64); self.dim * 64];
        for &r in rows {
            let (gr, hr) = (self.grad[r as usize], self.hess[r as usize]);
            let row = &self.bins[r as usize * self.dim..(r as usize + 1) * self.dim];
            for (f, &b) in row.iter().enumerate() {
                let cell = &mut hist[f * 64 + usize::from(b)];
                cell.0 += gr;
                cell.1 += hr;
            }
        }
        let l2 = self.params.l2;
        let parent = g * g / (h + l2);
        let mut best: Option<(f64, usize, usize)> = None;
        for f in 0..self.dim {
            let (mut gl, mut hl) = (0.0, 0.0);
            for bin in 0..self.edges[f].len() {
                gl += hist[f * 64 + bin].0;
                hl += hist[f * 64 + bin].1;
                let (gr, hr) = (g - gl, h - hl);
                if hl < self.params.min_leaf || hr < self.params.min_leaf {
                    continue;
                }
                let gain = gl * gl / (hl + l2) + gr * gr / (hr + l2) - parent;
                if gain > best.map_or(1e-9, |b| b.0) {
                    best = Some((gain, f, bin));
                }
            }
        }
        best.map(|(_, f, bin)| (f, bin))
    }
}

/// Fits the calibration from each text's best candidate: (ranker value, text-level inputs, right?).
pub fn fit_calibration(tops: &[(f64, Vec<f32>, bool)], l2: f64) -> Calibration {
    let samples: Vec<(Vec<f32>, bool)> =
        tops.iter().map(|(v, q, ok)| (std::iter::once(*v as f32).chain(q.iter().copied()).collect(), *ok)).collect();
    let (bias, w) = logistic(&samples, l2);
    Calibration { bias, rank: w.first().copied().unwrap_or(1.0), query: w.get(1..).unwrap_or_default().to_vec() }
}

/// Logistic regression by Newton's method with an L2 penalty on the weights (not the bias).
/// Returns (bias, weights).
pub fn logistic(samples: &[(Vec<f32>, bool)], l2: f64) -> (f64, Vec<f64>) {
    let dim = samples.first().map_or(0, |(x, _)| x.len());
    let mut w = vec![0f64; dim + 1]; // w[0] is the bias
    for _ in 0..50 {
        let mut grad = vec![0f64; dim + 1];
        let mut hess = vec![vec![0f64; dim + 1]; dim + 1];
        for (x, y) in samples {
            let xs: Vec<f64> = std::iter::once(1.0).chain(x.iter().map(|&v| f64::from(v))).collect();
            let z: f64 = xs.iter().zip(&w).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let r = p - if *y { 1.0 } else { 0.0 };
            let s = (p * (1.0 - p)).max(1e-9);
            for i in 0..=dim {
                grad[i] += r * xs[i];
                for j in 0..=dim {
                    hess[i][j] += s * xs[i] * xs[j];
                }
            }
        }
        for i in 1..=dim {
            grad[i] += l2 * w[i];
            hess[i][i] += l2;
        }
        let step = solve(hess, grad);
        let mut largest = 0f64;
        for (wi, si) in w.iter_mut().zip(&step) {
            *wi -= si;
            largest = largest.max(si.abs());
        }
        if largest < 1e-8 {
            break;
        }
    }
    (w[0], w[1..].to_vec())
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let d = a[col][col];
        if d.abs() < 1e-12 {
            continue;
        }
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let f = row[col] / d;
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0f64; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = if a[row][row].abs() < 1e-12 { 0.0 } else { (b[row] - s) / a[row][row] };
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_separates_a_threshold() {
        let samples: Vec<(Vec<f32>, bool)> =
            (0..200).map(|i| (vec![i as f32 / 200.0], i >= 120 || i % 17 == 0)).collect();
        let (bias, w) = logistic(&samples, 1e-3);
        let p = |x: f64| 1.0 / (1.0 + (-(bias + w[0] * x)).exp());
        assert!(w[0] > 0.0);
        assert!(p(0.9) > 0.8 && p(0.1) < 0.3);
    }

    #[test]
    fn forest_ranks_a_middle_band_first_where_a_weighted_sum_cannot() {
        // The right candidate's feature 0 lies between the wrong ones': no single weight orders it first.
        let texts: Vec<Vec<(Vec<f32>, bool)>> = (0..60)
            .map(|i| {
                let jitter = (i % 5) as f32 * 0.01;
                vec![
                    (vec![0.1 + jitter, 0.5], false),
                    (vec![0.5 + jitter, 0.5], true),
                    (vec![0.9 - jitter, 0.5], false),
                ]
            })
            .collect();
        let forest = fit_forest(&texts, |_| 0.0, ForestParams { trees: 20, depth: 2, ..ForestParams::default() });
        assert_eq!(forest.len(), 20);
        for cands in &texts {
            let best = cands.iter().max_by(|a, b| forest.value(&a.0).total_cmp(&forest.value(&b.0))).unwrap();
            assert!(best.1, "{cands:?}");
        }
    }

    #[test]
    fn ranker_learns_which_feature_marks_the_right_candidate() {
        // Feature 0 is noise, feature 1 is higher for the right candidate.
        let texts: Vec<Vec<(Vec<f32>, bool)>> = (0..50)
            .map(|i| {
                let noise = (i % 7) as f32 / 7.0;
                vec![(vec![noise, 0.2], false), (vec![1.0 - noise, 0.9], true), (vec![0.5, 0.1], false)]
            })
            .collect();
        let w = fit_ranker(&texts, 5, 1e-2);
        assert!(w[1] > 0.0 && w[1] > w[0].abs());
    }
}
