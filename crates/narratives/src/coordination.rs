//! Coordinated sharing: groups of accounts that post the same narrative within an unusually short
//! interval, again and again.
//!
//! The method follows CooRnet's coordinated link sharing, with a narrative in place of a link, and
//! judges every burst against the narrative's own posting rate, because a viral narrative with
//! thousands of organic copies has many posts seconds apart by chance:
//!
//! 1. **Interval from the data.** For every narrative with at least three posts, take the time
//!    from its first post until half of its posts were out. The coordination interval is the
//!    median of the quickest tenth of those times: what "fast" means in this stream, not a constant.
//!    A burst spans at most [`Params::window_intervals`] intervals.
//! 2. **Bursts, unusual for their narrative.** The posts of one narrative on one platform are
//!    scanned for windows of at most that span. The null model is a Poisson process at the
//!    narrative's own rate next to the window: posts just before or just after it (whichever side
//!    is busier), over the window's span, and over 1 h, 6 h and 24 h with the window's own posts
//!    counted in too; the highest rate is kept. Taking the busier side and the busiest scale is
//!    conservative: the onset of a viral narrative, where copies pile up, explains itself. A
//!    window with `k` distinct accounts over `d` seconds is expected
//!    `n · P(Poisson(rate · d) ≥ k − 1)` times by chance in a series of `n` posts; the most
//!    unusual window is a burst when that expectation is below [`Params::alpha`], and the rest of
//!    the series is scanned again.
//! 3. **Repetition.** Chance can still produce a burst now and then; a network produces them again
//!    and again. A *repeat account* took part in at least two unusual bursts (other narratives, or
//!    other waves of one narrative), and more of its posts lie in bursts than chance would put
//!    there. The chance is measured on ordinary accounts (those that also post outside bursts):
//!    the share of their posts in each narrative and platform that lie in bursts, shrunk towards
//!    the stream's overall share ([`Params::prior_posts`]). Summed over an account's posts it gives
//!    the posts in bursts expected by chance, and `P(Poisson(expected) ≥ its posts in bursts)`
//!    must be below [`Params::alpha`]. A busy ordinary account posts where the crowds are and lands
//!    in them now and then; a network account posts in bursts and little else. A burst is flagged when at least
//!    [`Params::min_repeat_accounts`] of its accounts, and at least [`Params::min_repeat_share`]
//!    of them, are repeat accounts: a crowd of a hundred ordinary accounts holds one or two that
//!    pass the account test by chance (it errs with probability `alpha` per account); a network's
//!    burst is made of them.
//! 4. **Flags.** Each flag names its accounts, its posts, its window and why it was raised: the
//!    narrative's rate there, the chance expectation and the accounts seen in other bursts.
//!
//! Only timing, accounts and text (through the narrative and the copy) are used: no handles,
//! follower counts or view counts.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tangkal_model::{ItemId, NarrativeId};

/// One post as the detector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Post {
    /// The caller's id for the post; flags name posts by it.
    pub item: ItemId,
    pub narrative: NarrativeId,
    /// Interned platform.
    pub platform: u16,
    /// Interned account id (the same account always has the same number).
    pub account: u32,
    /// UTC seconds.
    pub time: i64,
    /// Which copy of the narrative was posted; flags report how many of their posts share one.
    pub text: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Share of the quickest narratives whose spread time sets the interval.
    pub quickest: f64,
    /// The interval is never shorter than this (seconds): timestamps have one-second resolution.
    pub min_interval: i64,
    /// The longest burst, in coordination intervals.
    pub window_intervals: i64,
    /// Distinct accounts that make a burst.
    pub min_accounts: usize,
    /// Significance level: bursts as unusual as a flagged one that chance may produce per narrative
    /// and platform, and the chance that an ordinary account looks like a repeat account.
    pub alpha: f64,
    /// Repeat accounts (see the module docs) a burst needs to be flagged.
    pub min_repeat_accounts: usize,
    /// Share of a burst's accounts that must be repeat accounts.
    pub min_repeat_share: f64,
    /// Weight, in posts, of the stream's overall chance that a post lands in a burst against the
    /// share seen in one narrative on one platform.
    pub prior_posts: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            quickest: 0.1,
            min_interval: 10,
            window_intervals: 16,
            min_accounts: 3,
            alpha: 0.01,
            min_repeat_accounts: 1,
            min_repeat_share: 0.05,
            prior_posts: 100.0,
        }
    }
}

/// Time scales (seconds), besides the burst window itself, over which the narrative's own rate
/// next to a window is measured: an hour, a quarter of a day, a day.
const RATE_SCALES: [i64; 3] = [3_600, 21_600, 86_400];

/// One flagged burst.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub narrative: NarrativeId,
    pub accounts: Vec<u32>,
    /// Accounts of this burst that post in unusual bursts again and again.
    pub repeat_accounts: Vec<u32>,
    pub items: Vec<ItemId>,
    pub window_start: i64,
    pub window_end: i64,
    /// The narrative's own rate next to the window (posts per hour on this platform).
    pub rate_per_hour: f64,
    /// How many bursts this unusual the narrative would produce by chance at that rate.
    pub expected_by_chance: f64,
    pub reason: String,
}

/// The result of a detection run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The coordination interval estimated from the data (seconds).
    pub interval: i64,
    /// The longest burst considered (seconds).
    pub window: i64,
    pub flags: Vec<Flag>,
}

struct Burst {
    narrative: NarrativeId,
    posts: Vec<usize>,
    accounts: Vec<u32>,
    rate: f64,
    expected: f64,
}

/// Runs the detection over `posts` (any order).
pub fn detect(posts: &[Post], params: &Params) -> Detection {
    let order = ordered_by(posts, |p| (p.narrative, p.time));
    let interval = estimate_interval(posts, &order, params);
    let window = interval * params.window_intervals.max(1);

    let order = ordered_by(posts, |p| (p.narrative, p.platform, p.time));
    let mut scanner = Scanner::new(window, params);
    let mut bursts = Vec::new();
    for series in
        order.chunk_by(|&a, &b| (posts[a].narrative, posts[a].platform) == (posts[b].narrative, posts[b].platform))
    {
        scanner.scan_series(posts, series, &mut bursts);
    }

    let repeat = repeat_accounts(posts, &bursts, params, &mut scanner.ln_factorial);
    let mut flags = Vec::new();
    for burst in &bursts {
        let repeat_accounts: Vec<u32> = burst.accounts.iter().copied().filter(|a| repeat.contains(a)).collect();
        let needed = (params.min_repeat_share * burst.accounts.len() as f64).ceil() as usize;
        if repeat_accounts.len() < needed.max(params.min_repeat_accounts) {
            continue;
        }
        flags.push(flag(posts, burst, repeat_accounts));
    }
    flags.sort_by_key(|f| (f.window_start, f.narrative));
    Detection { interval, window, flags }
}

/// Indices of `posts` ordered by `key`, ties by index. The keys are computed once and sorted with
/// their index, rather than looked up through the index on every comparison.
fn ordered_by<K: Ord>(posts: &[Post], key: impl Fn(&Post) -> K) -> Vec<usize> {
    let mut keyed: Vec<(K, usize)> = posts.iter().enumerate().map(|(i, p)| (key(p), i)).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Accounts in two or more bursts with more of their posts in bursts than chance would put there.
fn repeat_accounts(posts: &[Post], bursts: &[Burst], params: &Params, ln_factorial: &mut LnFactorial) -> HashSet<u32> {
    let mut in_burst = vec![false; posts.len()];
    // Per account: (bursts, posts in bursts, all posts).
    let mut activity: HashMap<u32, (u32, u32, u32)> = HashMap::new();
    for post in posts {
        activity.entry(post.account).or_default().2 += 1;
    }
    for burst in bursts {
        for &account in &burst.accounts {
            activity.get_mut(&account).expect("every account has posts").0 += 1;
        }
        for &i in &burst.posts {
            in_burst[i] = true;
            activity.get_mut(&posts[i].account).expect("every account has posts").1 += 1;
        }
    }
    // How often an ordinary post (by an account that also posts outside bursts) of each narrative
    // and platform lands in a burst: busy accounts post where the crowds are, so the chance
    // depends on where an account posts.
    let mut series: HashMap<(NarrativeId, u16), (u32, u32)> = HashMap::new();
    let (mut ordinary_in, mut ordinary_all) = (0u64, 0u64);
    for (i, post) in posts.iter().enumerate() {
        let (_, account_in, account_all) = activity[&post.account];
        if account_in < account_all {
            let counts = series.entry((post.narrative, post.platform)).or_default();
            counts.0 += in_burst[i] as u32;
            counts.1 += 1;
            ordinary_in += in_burst[i] as u64;
            ordinary_all += 1;
        }
    }
    let overall = ordinary_in as f64 / ordinary_all.max(1) as f64;
    // Expected posts in bursts per account: the chance of each of its posts, summed. A series'
    // share is shrunk towards the overall one, which counts as `prior_posts` posts: only the large
    // narratives, where the crowds are, get a chance of their own.
    let mut expected: HashMap<u32, f64> = HashMap::new();
    for post in posts {
        let (inside, all) = series.get(&(post.narrative, post.platform)).copied().unwrap_or_default();
        *expected.entry(post.account).or_default() +=
            (inside as f64 + params.prior_posts * overall) / (all as f64 + params.prior_posts);
    }
    let ln_alpha = params.alpha.ln();
    activity
        .into_iter()
        .filter(|&(account, (bursts, in_bursts, _))| {
            bursts >= 2
                && ln_factorial.poisson_tail(in_bursts as usize, expected[&account]).is_some_and(|ln_p| ln_p < ln_alpha)
        })
        .map(|(account, _)| account)
        .collect()
}

fn flag(posts: &[Post], burst: &Burst, repeat_accounts: Vec<u32>) -> Flag {
    let times = burst.posts.iter().map(|&i| posts[i].time);
    let (window_start, window_end) = (times.clone().min().unwrap_or_default(), times.max().unwrap_or_default());
    let mut copies: HashMap<u64, usize> = HashMap::new();
    for &i in &burst.posts {
        *copies.entry(posts[i].text).or_default() += 1;
    }
    let same_copy = copies.values().copied().max().unwrap_or_default();
    let rate_per_hour = burst.rate * 3_600.0;
    let reason = format!(
        "{} accounts posted this narrative on one platform within {} s ({} of the {} posts the same copy); \
         at the narrative's own rate next to this window ({:.1} posts per hour) chance would give {:.2e} \
         such bursts; {} of the accounts post in such bursts again and again, more than chance explains",
        burst.accounts.len(),
        window_end - window_start,
        same_copy,
        burst.posts.len(),
        rate_per_hour,
        burst.expected,
        repeat_accounts.len()
    );
    Flag {
        narrative: burst.narrative,
        accounts: burst.accounts.clone(),
        repeat_accounts,
        items: burst.posts.iter().map(|&i| posts[i].item).collect(),
        window_start,
        window_end,
        rate_per_hour,
        expected_by_chance: burst.expected,
        reason,
    }
}

/// Finds the unusual windows of one narrative on one platform, with buffers reused across series.
struct Scanner<'p> {
    params: &'p Params,
    window: i64,
    times: Vec<i64>,
    accounts: Vec<u32>,
    /// Per rate scale and post: posts of the series within the scale before it, and after it.
    before: Vec<Vec<u32>>,
    after: Vec<Vec<u32>>,
    /// The series' accounts renumbered 0.. (`accounts` indexes into it), so that the window scan
    /// tracks distinct accounts in a plain array rather than a hash set.
    local_accounts: Vec<u32>,
    local: Vec<u32>,
    /// Per local account: the number of the window scan (one per first post) that last saw it.
    seen_in: Vec<u64>,
    scans: u64,
    ln_factorial: LnFactorial,
}

/// The most unusual window of a range: posts `first..=last`.
struct Window {
    first: usize,
    last: usize,
    ln_expected: f64,
    rate: f64,
}

impl<'p> Scanner<'p> {
    fn new(window: i64, params: &'p Params) -> Scanner<'p> {
        let scales = 1 + RATE_SCALES.len();
        Scanner {
            params,
            window,
            times: Vec::new(),
            accounts: Vec::new(),
            before: vec![Vec::new(); scales],
            after: vec![Vec::new(); scales],
            local_accounts: Vec::new(),
            local: Vec::new(),
            seen_in: Vec::new(),
            scans: 0,
            ln_factorial: LnFactorial(vec![0.0]),
        }
    }

    fn scales(&self) -> impl Iterator<Item = i64> {
        std::iter::once(self.window).chain(RATE_SCALES)
    }

    fn scan_series(&mut self, posts: &[Post], series: &[usize], bursts: &mut Vec<Burst>) {
        if series.len() < self.params.min_accounts {
            return;
        }
        self.times.clear();
        self.times.extend(series.iter().map(|&i| posts[i].time));
        self.accounts.clear();
        self.accounts.extend(series.iter().map(|&i| posts[i].account));
        self.local_accounts.clone_from(&self.accounts);
        self.local_accounts.sort_unstable();
        self.local_accounts.dedup();
        self.local.clear();
        self.local.extend(self.accounts.iter().map(|a| self.local_accounts.binary_search(a).expect("listed") as u32));
        self.seen_in.clear();
        self.seen_in.resize(self.local_accounts.len(), 0);
        self.count_neighbours();

        // Posts further apart than a window never share one: scan the runs in between separately.
        let mut ranges = Vec::new();
        let mut start = 0;
        for end in 1..=series.len() {
            if end == series.len() || self.times[end] - self.times[end - 1] > self.window {
                ranges.push((start, end));
                start = end;
            }
        }
        let ln_alpha = self.params.alpha.ln();
        let ln_n = (series.len() as f64).ln();
        while let Some((start, end)) = ranges.pop() {
            if end - start < self.params.min_accounts {
                continue;
            }
            let Some(found) = self.most_unusual(start, end, ln_n) else { continue };
            if found.ln_expected >= ln_alpha {
                continue;
            }
            let members: Vec<usize> = series[found.first..=found.last].to_vec();
            let mut accounts: Vec<u32> = self.accounts[found.first..=found.last].to_vec();
            accounts.sort_unstable();
            accounts.dedup();
            bursts.push(Burst {
                narrative: posts[series[0]].narrative,
                posts: members,
                accounts,
                rate: found.rate,
                expected: found.ln_expected.exp(),
            });
            ranges.push((start, found.first));
            ranges.push((found.last + 1, end));
        }
    }

    /// For every post and rate scale, how many posts of the series lie within the scale before
    /// and after it (two pointers per scale).
    fn count_neighbours(&mut self) {
        let n = self.times.len();
        let scales: Vec<i64> = self.scales().collect();
        for (s, &scale) in scales.iter().enumerate() {
            let (before, after) = (&mut self.before[s], &mut self.after[s]);
            before.clear();
            after.clear();
            let mut low = 0;
            let mut high = 0;
            for i in 0..n {
                let t = self.times[i];
                while self.times[low] < t - scale {
                    low += 1;
                }
                while high < n && self.times[high] <= t + scale {
                    high += 1;
                }
                before.push((i - low) as u32);
                after.push((high - i - 1) as u32);
            }
        }
    }

    fn most_unusual(&mut self, start: usize, end: usize, ln_n: f64) -> Option<Window> {
        let scales: Vec<f64> = self.scales().map(|s| s as f64).collect();
        let mut best: Option<Window> = None;
        for first in start..end {
            self.scans += 1;
            let mut distinct = 0;
            for last in first..end {
                let span = self.times[last] - self.times[first];
                if span > self.window {
                    break;
                }
                let seen_in = &mut self.seen_in[self.local[last] as usize];
                if *seen_in == self.scans {
                    continue;
                }
                *seen_in = self.scans;
                distinct += 1;
                if distinct < self.params.min_accounts {
                    continue;
                }
                let span = span.max(1) as f64;
                let inside = (last - first + 1) as f64;
                let rate = scales
                    .iter()
                    .enumerate()
                    .map(|(s, &scale)| {
                        let busier = self.before[s][first].max(self.after[s][last]) as f64;
                        // At the window's own scale a window cannot explain itself; over longer
                        // scales its posts are part of the narrative's rate.
                        if s == 0 {
                            (busier + 1.0) / scale
                        } else {
                            (busier + inside) / (scale + span)
                        }
                    })
                    .fold(0.0, f64::max);
                let Some(ln_tail) = self.ln_factorial.poisson_tail(distinct - 1, rate * span) else {
                    continue;
                };
                let ln_expected = ln_n + ln_tail;
                if best.as_ref().is_none_or(|b| ln_expected < b.ln_expected) {
                    best = Some(Window { first, last, ln_expected, rate });
                }
            }
        }
        best
    }
}

/// ln(k!) for k = 0, 1, …, extended on demand, and the tail probabilities built on it.
struct LnFactorial(Vec<f64>);

impl LnFactorial {
    fn get(&mut self, k: usize) -> f64 {
        while self.0.len() <= k {
            let next = self.0.len();
            self.0.push(self.0[next - 1] + (next as f64).ln());
        }
        self.0[k]
    }

    /// ln P(Poisson(mean) ≥ k), bounded from above by its first term and a geometric series;
    /// `None` when `k` does not exceed the mean (nothing unusual).
    fn poisson_tail(&mut self, k: usize, mean: f64) -> Option<f64> {
        if (k as f64) <= mean {
            return None;
        }
        let ln_first = -mean + k as f64 * mean.ln() - self.get(k);
        let ratio = mean / (k as f64 + 1.0);
        Some((ln_first - (1.0 - ratio).ln()).min(0.0))
    }
}

/// CooRnet's estimate: the median time-to-half-spread of the quickest narratives.
fn estimate_interval(posts: &[Post], by_narrative_time: &[usize], params: &Params) -> i64 {
    let mut half_times = Vec::new();
    for narrative in by_narrative_time.chunk_by(|&a, &b| posts[a].narrative == posts[b].narrative) {
        let n = narrative.len();
        if n >= 3 {
            half_times.push(posts[narrative[n / 2]].time - posts[narrative[0]].time);
        }
    }
    if half_times.is_empty() {
        return params.min_interval;
    }
    half_times.sort_unstable();
    let quickest = ((half_times.len() as f64 * params.quickest).ceil() as usize).clamp(1, half_times.len());
    half_times[quickest / 2].max(params.min_interval)
}
