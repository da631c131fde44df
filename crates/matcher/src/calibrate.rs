//! Learning the ranking and the calibrated score from judged examples.
//!
//! Two small linear models, each fitted by logistic regression:
//! - the **ranker** orders a text's candidates: it is fitted on pairs (a right and a wrong
//!   candidate of the same text), so it learns what separates them, not how many wrong ones there are;
//! - the **calibration** turns the ranker's value into a probability that the match is right, using
//!   evidence about the text's best candidate (its coverage, its lead over the runner-up). Those
//!   inputs are the same for every candidate of a text, so the probability only ever falls down the
//!   ranking, and the same threshold means the same thing for a five-word post and a long article.
//!
//! The shipped weights (`src/model.rs`) were fitted by `examples/calibrate.rs` (see its header).

use serde::{Deserialize, Serialize};

/// Number of text-level inputs of the calibration (see [`QUERY_FEATURE_NAMES`]).
pub const QUERY_FEATURES: usize = 7;

/// Text-level calibration inputs, taken from the best candidate.
pub const QUERY_FEATURE_NAMES: [&str; QUERY_FEATURES] = [
    "lead_over_second",
    "best_claim_covered",
    "best_query_in_claim",
    "best_pairs_covered",
    "query_mass_log",
    "best_claim_missing_mass",
    "best_bm25_share",
];

/// Ranker and calibration weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// One weight per candidate feature (built-in features, then signals).
    pub rank: Vec<f64>,
    pub calibration: Calibration,
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
        self.rank.iter().zip(features).map(|(w, &x)| w * f64::from(x)).sum()
    }

    /// Probability that a candidate with ranker value `value` is right, given the text-level inputs.
    pub fn probability(&self, value: f64, query: &[f32]) -> f32 {
        let c = &self.calibration;
        let z =
            c.bias + c.rank.max(1e-6) * value + c.query.iter().zip(query).map(|(w, &x)| w * f64::from(x)).sum::<f64>();
        (1.0 / (1.0 + (-z).exp())) as f32
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
