//! One pass over a stream of posts, in arrival order: each post's final narrative and whether it was
//! shared in concert. What `tangkal narratives cluster` writes for evaluation, kept here so that any
//! caller (the command line, an example, a benchmark) clusters exactly as ingest does, without a store.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::coordination::{self, Params as CoordinationParams, Post};
use crate::index::{Config as IndexConfig, NarrativeId};
use crate::spread::Sighting;
use crate::Tracker;
use tangkal_model::ItemId;

/// Posts observed so far. Posts are numbered from 0 in the order [`Clustering::observe`] saw them.
pub struct Clustering {
    tracker: Tracker,
    narratives: Vec<NarrativeId>,
    /// The posts that name an account: only those can be coordinated.
    posts: Vec<Post>,
    accounts: AccountNumbers,
    assign_time: Duration,
}

/// One post of the stream.
pub struct StreamPost<'a> {
    pub text: &'a str,
    pub platform: &'a str,
    pub account: Option<&'a str>,
    /// UTC seconds.
    pub published_at: i64,
    pub views: u64,
    pub shares: u64,
}

/// The outcome of a pass, post by post, and what it took.
pub struct Clustered {
    /// Each post's narrative, merges resolved.
    pub narratives: Vec<NarrativeId>,
    /// Each post's part in a coordinated burst.
    pub coordinated: Vec<bool>,
    pub report: ClusteringReport,
}

/// Sizes and times of a pass, as `tangkal narratives cluster --timings` prints them.
#[derive(Debug, Clone, Serialize)]
pub struct ClusteringReport {
    pub items: usize,
    pub narratives: u32,
    pub merges: usize,
    pub representatives: usize,
    pub assign_s: f64,
    pub assign_items_per_s: f64,
    pub coordination_s: f64,
    pub coordination_interval_s: i64,
    pub coordination_window_s: i64,
    pub coordination_flags: usize,
    pub index_bytes: usize,
    pub index_bytes_per_item: f64,
}

impl Clustering {
    pub fn new(analyzer: tangkal_text::Analyzer, config: IndexConfig) -> Clustering {
        Clustering {
            tracker: Tracker::new(analyzer, config),
            narratives: Vec::new(),
            posts: Vec::new(),
            accounts: AccountNumbers::default(),
            assign_time: Duration::ZERO,
        }
    }

    /// Places the next post.
    pub fn observe(&mut self, post: &StreamPost<'_>) {
        let number = ItemId(self.narratives.len() as i64);
        let sighting = Sighting {
            item: number,
            platform: post.platform,
            account: post.account,
            published_at: post.published_at,
            views: post.views,
            shares: post.shares,
        };
        let started = Instant::now();
        let observed = self.tracker.observe(post.text, &sighting);
        self.assign_time += started.elapsed();
        if let Some(author) = post.account {
            let (platform, account) = self.accounts.number(post.platform, author);
            self.posts.push(Post {
                item: number,
                narrative: observed.assignment.narrative,
                platform,
                account,
                time: post.published_at,
                text: observed.assignment.representative as u64,
            });
        }
        self.narratives.push(observed.assignment.narrative);
    }

    /// Resolves merges and detects coordinated sharing over the whole stream: the coordination interval is
    /// a property of the stream, so it can only be found at its end.
    pub fn finish(mut self) -> Clustered {
        let index = self.tracker.index();
        for post in &mut self.posts {
            post.narrative = index.resolve(post.narrative);
        }
        let started = Instant::now();
        let detection = coordination::detect(&self.posts, &CoordinationParams::default());
        let coordination_time = started.elapsed();
        let mut coordinated = vec![false; self.narratives.len()];
        for flag in &detection.flags {
            for &item in &flag.items {
                coordinated[item.get() as usize] = true;
            }
        }
        let n = self.narratives.len();
        let report = ClusteringReport {
            items: n,
            narratives: index.narratives(),
            merges: index.merges().len(),
            representatives: index.representatives(),
            assign_s: self.assign_time.as_secs_f64(),
            assign_items_per_s: n as f64 / self.assign_time.as_secs_f64(),
            coordination_s: coordination_time.as_secs_f64(),
            coordination_interval_s: detection.interval,
            coordination_window_s: detection.window,
            coordination_flags: detection.flags.len(),
            index_bytes: index.heap_bytes(),
            index_bytes_per_item: index.heap_bytes() as f64 / n as f64,
        };
        let narratives = self.narratives.iter().map(|&narrative| index.resolve(narrative)).collect();
        Clustered { narratives, coordinated, report }
    }
}

/// Numbers platforms and (platform, account id) pairs in order of first appearance, for coordination
/// detection; a look-up of a known account allocates nothing.
#[derive(Default)]
struct AccountNumbers {
    platforms: Vec<String>,
    /// `platform NUL account id` → number (platform names never hold a NUL).
    accounts: HashMap<String, u32>,
    key: String,
}

impl AccountNumbers {
    fn number(&mut self, platform: &str, account: &str) -> (u16, u32) {
        let platform_number = match self.platforms.iter().position(|p| p == platform) {
            Some(i) => i,
            None => {
                self.platforms.push(platform.to_owned());
                self.platforms.len() - 1
            }
        } as u16;
        self.key.clear();
        self.key.push_str(platform);
        self.key.push('\0');
        self.key.push_str(account);
        let account_number = match self.accounts.get(self.key.as_str()) {
            Some(&n) => n,
            None => {
                let n = self.accounts.len() as u32;
                self.accounts.insert(self.key.clone(), n);
                n
            }
        };
        (platform_number, account_number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post<'a>(text: &'a str, account: &'a str, published_at: i64) -> StreamPost<'a> {
        StreamPost { text, platform: "x", account: Some(account), published_at, views: 0, shares: 0 }
    }

    #[test]
    fn copies_share_a_narrative_and_a_burst_of_accounts_is_coordinated() {
        let hoax = "Sebarkan! Bantuan sosial tunai cair hari ini di kantor pos, bawa KTP dan kartu keluarga";
        let other = "Jadwal kereta bandara berubah mulai pekan depan karena perawatan rel di stasiun";
        let mut clustering = Clustering::new(tangkal_text::Analyzer::new(), IndexConfig::default());
        // Background: the same accounts post unrelated texts spread over days, setting a slow interval.
        for i in 0..40 {
            let text = format!("{other} nomor {i} untuk penumpang {}", i * 7);
            clustering.observe(&post(&text, &format!("warga{}", i % 9), i * 7_200));
        }
        // Ten accounts post the hoax within seconds of each other, twice.
        for round in 0..2 {
            for i in 0..10 {
                clustering.observe(&post(hoax, &format!("bot{i}"), 400_000 + round * 3_600 + i));
            }
        }
        let clustered = clustering.finish();
        assert_eq!(clustered.narratives.len(), 60);
        let hoax_narrative = clustered.narratives[40];
        assert!(clustered.narratives[40..].iter().all(|&n| n == hoax_narrative));
        assert!(clustered.narratives[..40].iter().all(|&n| n != hoax_narrative));
        assert!(clustered.coordinated[40..].iter().all(|&c| c), "{:?}", &clustered.coordinated[40..]);
        assert!(clustered.coordinated[..40].iter().all(|&c| !c));
        assert_eq!(clustered.report.items, 60);
        assert!(clustered.report.coordination_flags >= 1);
    }
}
