//! Coordinated sharing: groups of accounts that post the same narrative within an unusually short
//! interval, again and again.
//!
//! The method follows CooRnet's coordinated link sharing, with a narrative in place of a link:
//!
//! 1. **Interval from the data.** For every narrative with at least three posts, take the time
//!    from its first post until half of its posts were out. The coordination interval is the
//!    median of the quickest tenth of those times: what "fast" means in this stream, not a constant.
//! 2. **Bursts.** Posts of one narrative on one platform with the same text (the same
//!    representative copy in the index, so light edits such as emoji, links, hashtags, case or a
//!    typo still count as the same), chained by gaps of at most the interval, form a burst when at
//!    least [`Params::min_accounts`] distinct accounts took part.
//! 3. **Repetition.** An account that takes part in at least [`Params::min_repeats`] bursts
//!    (other narratives, or other waves of one narrative), with at least half of its posts inside
//!    bursts, is a repeat participant: chance puts an ordinary account into a fast burst now and
//!    then among many ordinary posts; a network account posts in bursts again and again.
//! 4. **Flags.** A burst with at least two repeat participants is flagged: its accounts, its posts,
//!    its window and the evidence.
//!
//! Only timing, accounts and text are used: no handles, follower counts or view counts.

use std::collections::HashMap;

use serde::Serialize;

/// One post as the detector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Post {
    /// The caller's id for the post; flags name posts by it.
    pub item: u64,
    pub narrative: u32,
    /// Interned platform.
    pub platform: u16,
    /// Interned account id (the same account always has the same number).
    pub account: u32,
    /// UTC seconds.
    pub time: i64,
    /// Which copy of the narrative was posted: the representative the index counted it towards.
    pub text: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Share of the quickest narratives whose spread time sets the interval.
    pub quickest: f64,
    /// The interval is never shorter than this (seconds): timestamps have one-second resolution.
    pub min_interval: i64,
    /// Distinct accounts that make a burst.
    pub min_accounts: usize,
    /// Bursts an account must take part in to count as a repeat participant.
    pub min_repeats: u32,
}

impl Default for Params {
    fn default() -> Params {
        Params { quickest: 0.1, min_interval: 10, min_accounts: 3, min_repeats: 2 }
    }
}

/// One flagged burst.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub narrative: u32,
    pub accounts: Vec<u32>,
    /// Accounts of this burst that took part in other bursts too.
    pub repeat_accounts: Vec<u32>,
    pub items: Vec<u64>,
    pub window_start: i64,
    pub window_end: i64,
    pub reason: String,
}

/// The result of a detection run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The coordination interval estimated from the data (seconds).
    pub interval: i64,
    pub flags: Vec<Flag>,
}

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

    order.sort_by_key(|&i| (posts[i].narrative, posts[i].platform, posts[i].text, posts[i].time, i));
    let mut bursts = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let first = &posts[order[start]];
        let mut end = start + 1;
        while end < order.len() {
            let (prev, next) = (&posts[order[end - 1]], &posts[order[end]]);
            let same = (next.narrative, next.platform, next.text) == (first.narrative, first.platform, first.text);
            if !same || next.time - prev.time > interval {
                break;
            }
            end += 1;
        }
        let chain = &order[start..end];
        let mut accounts: Vec<u32> = chain.iter().map(|&i| posts[i].account).collect();
        accounts.sort_unstable();
        accounts.dedup();
        if accounts.len() >= params.min_accounts {
            bursts.push(Burst { narrative: first.narrative, posts: chain.to_vec(), accounts });
        }
        start = end;
    }

    // Per account: (bursts taken part in, posts inside bursts, all posts).
    let mut activity: HashMap<u32, (u32, u32, u32)> = HashMap::new();
    for post in posts {
        activity.entry(post.account).or_default().2 += 1;
    }
    for burst in &bursts {
        for &account in &burst.accounts {
            activity.get_mut(&account).expect("every account has posts").0 += 1;
        }
        for &i in &burst.posts {
            activity.get_mut(&posts[i].account).expect("every account has posts").1 += 1;
        }
    }
    let is_repeat = |account: &u32| {
        let (bursts, in_bursts, all) = activity[account];
        bursts >= params.min_repeats && 2 * in_bursts >= all
    };
    let mut flags = Vec::new();
    for burst in &bursts {
        let repeat_accounts: Vec<u32> = burst.accounts.iter().copied().filter(is_repeat).collect();
        if repeat_accounts.len() < 2 {
            continue;
        }
        let window_start = burst.posts.iter().map(|&i| posts[i].time).min().unwrap_or_default();
        let window_end = burst.posts.iter().map(|&i| posts[i].time).max().unwrap_or_default();
        flags.push(Flag {
            narrative: burst.narrative,
            reason: format!(
                "{} accounts posted the same copy of this narrative on one platform within {} s \
                 (gaps of at most {} s, the coordination interval estimated from the stream); {} of them \
                 took part in other such bursts too",
                burst.accounts.len(),
                window_end - window_start,
                interval,
                repeat_accounts.len()
            ),
            accounts: burst.accounts.clone(),
            repeat_accounts,
            items: burst.posts.iter().map(|&i| posts[i].item).collect(),
            window_start,
            window_end,
        });
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
