//! Coordinated sharing: groups of accounts that post the same narrative within an unusually short
//! interval, again and again.
//!
//! The method follows CooRnet's coordinated link sharing, with a narrative in place of a link:
//!
//! 1. **Interval from the data.** For every narrative with at least three posts, take the time
//!    from its first post until half of its posts were out. The coordination interval is the
//!    median of the quickest tenth of those times: what "fast" means in this stream, not a constant.
//! 2. **Co-shares.** Two posts of the same narrative by different accounts, no further apart than
//!    the interval and with the same text (the same exact form, so light edits such as emoji,
//!    links, hashtags or case still count as the same), are a co-share of the two accounts.
//! 3. **Repetition.** A pair of accounts is linked when it co-shared in at least
//!    [`Params::min_repeats`] separate bursts (different narratives, or waves of one narrative
//!    separated by more than the interval). Chance meets once; a network meets again.
//! 4. **Flags.** The linked accounts form networks (connected components). A burst in which at
//!    least [`Params::min_accounts`] accounts of one network co-shared is flagged: its accounts, its
//!    posts, its window and the evidence.
//!
//! Only timing, accounts and text are used: no handles, follower counts or view counts.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// One post as the detector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Post {
    /// The caller's id for the post; flags name posts by it.
    pub item: u64,
    pub narrative: u32,
    /// Interned account id (the same account always has the same number).
    pub account: u32,
    /// UTC seconds.
    pub time: i64,
    /// Exact-form hash of the text ([`crate::features::Features::exact`]).
    pub text: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Share of the quickest narratives whose spread time sets the interval.
    pub quickest: f64,
    /// The interval is never shorter than this (seconds): timestamps have one-second resolution.
    pub min_interval: i64,
    pub min_repeats: u32,
    pub min_accounts: usize,
}

impl Default for Params {
    fn default() -> Params {
        Params { quickest: 0.1, min_interval: 10, min_repeats: 2, min_accounts: 3 }
    }
}

/// One flagged burst.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub narrative: u32,
    pub accounts: Vec<u32>,
    pub items: Vec<u64>,
    pub window_start: i64,
    pub window_end: i64,
    /// Size of the whole network the accounts belong to.
    pub network_accounts: usize,
    /// Other bursts in which these accounts co-shared.
    pub repeated_in: usize,
    pub reason: String,
}

/// The result of a detection run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The coordination interval estimated from the data (seconds).
    pub interval: i64,
    pub flags: Vec<Flag>,
}

/// A burst: posts of one narrative and one text chained by gaps of at most the interval.
struct Burst {
    narrative: u32,
    posts: Vec<usize>,
    accounts: Vec<u32>,
}

/// Runs the detection over `posts` (any order).
pub fn detect(posts: &[Post], params: &Params) -> Detection {
    let mut order: Vec<usize> = (0..posts.len()).collect();
    order.sort_by_key(|&i| (posts[i].narrative, posts[i].time, i));
    let interval = estimate_interval(posts, &order, params);

    order.sort_by_key(|&i| (posts[i].narrative, posts[i].text, posts[i].time, i));
    let mut bursts = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        let first = &posts[order[start]];
        while end < order.len() {
            let (prev, next) = (&posts[order[end - 1]], &posts[order[end]]);
            if next.narrative != first.narrative || next.text != first.text || next.time - prev.time > interval {
                break;
            }
            end += 1;
        }
        let chain = &order[start..end];
        let mut accounts: Vec<u32> = chain.iter().map(|&i| posts[i].account).collect();
        accounts.sort_unstable();
        accounts.dedup();
        if accounts.len() >= 2 {
            bursts.push(Burst { narrative: first.narrative, posts: chain.to_vec(), accounts });
        }
        start = end;
    }

    let mut pair_bursts: HashMap<(u32, u32), u32> = HashMap::new();
    for burst in &bursts {
        for (i, &a) in burst.accounts.iter().enumerate() {
            for &b in &burst.accounts[i + 1..] {
                *pair_bursts.entry((a, b)).or_default() += 1;
            }
        }
    }
    let mut networks = UnionFind::default();
    for (&(a, b), &n) in &pair_bursts {
        if n >= params.min_repeats {
            networks.union(a, b);
        }
    }
    let mut network_sizes: HashMap<u32, usize> = HashMap::new();
    let members: Vec<u32> = networks.parent.keys().copied().collect();
    for account in members {
        *network_sizes.entry(networks.find(account)).or_default() += 1;
    }

    let mut flags = Vec::new();
    for burst in &bursts {
        let mut by_network: HashMap<u32, Vec<u32>> = HashMap::new();
        for &account in &burst.accounts {
            if networks.parent.contains_key(&account) {
                by_network.entry(networks.find(account)).or_default().push(account);
            }
        }
        let mut groups: Vec<(u32, Vec<u32>)> = by_network.into_iter().collect();
        groups.sort();
        for (network, accounts) in groups {
            if accounts.len() < params.min_accounts {
                continue;
            }
            let members: HashSet<u32> = accounts.iter().copied().collect();
            let items: Vec<usize> =
                burst.posts.iter().copied().filter(|&i| members.contains(&posts[i].account)).collect();
            let repeated_in = accounts
                .iter()
                .enumerate()
                .flat_map(|(i, &a)| accounts[i + 1..].iter().map(move |&b| (a, b)))
                .map(|pair| pair_bursts.get(&pair).copied().unwrap_or(0).saturating_sub(1))
                .max()
                .unwrap_or(0) as usize;
            let window_start = items.iter().map(|&i| posts[i].time).min().unwrap_or_default();
            let window_end = items.iter().map(|&i| posts[i].time).max().unwrap_or_default();
            flags.push(Flag {
                narrative: burst.narrative,
                reason: format!(
                    "{} accounts posted the same text of this narrative within {} s (coordination interval {} s); \
                     pairs of them did so together in up to {} other bursts",
                    accounts.len(),
                    window_end - window_start,
                    interval,
                    repeated_in
                ),
                network_accounts: network_sizes[&network],
                accounts,
                items: items.iter().map(|&i| posts[i].item).collect(),
                window_start,
                window_end,
                repeated_in,
            });
        }
    }
    flags.sort_by_key(|f| (f.window_start, f.narrative));
    Detection { interval, flags }
}

/// CooRnet's estimate: the median time-to-half-spread of the quickest narratives.
fn estimate_interval(posts: &[Post], by_narrative_time: &[usize], params: &Params) -> i64 {
    let mut half_times = Vec::new();
    let mut start = 0;
    while start < by_narrative_time.len() {
        let narrative = posts[by_narrative_time[start]].narrative;
        let end = start + by_narrative_time[start..].partition_point(|&i| posts[i].narrative == narrative);
        let n = end - start;
        if n >= 3 {
            let first = posts[by_narrative_time[start]].time;
            let half = posts[by_narrative_time[start + n / 2]].time;
            half_times.push(half - first);
        }
        start = end;
    }
    if half_times.is_empty() {
        return params.min_interval;
    }
    half_times.sort_unstable();
    let quickest = ((half_times.len() as f64 * params.quickest).ceil() as usize).clamp(1, half_times.len());
    half_times[quickest / 2].max(params.min_interval)
}

#[derive(Default)]
struct UnionFind {
    parent: HashMap<u32, u32>,
}

impl UnionFind {
    fn find(&mut self, x: u32) -> u32 {
        let mut root = x;
        while let Some(&p) = self.parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        let mut x = x;
        while x != root {
            let next = self.parent[&x];
            self.parent.insert(x, root);
            x = next;
        }
        root
    }

    fn union(&mut self, a: u32, b: u32) {
        self.parent.entry(a).or_insert(a);
        self.parent.entry(b).or_insert(b);
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (keep, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(child, keep);
        }
    }
}
