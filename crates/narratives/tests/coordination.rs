//! Coordinated-sharing detection on hand-made timelines.

use tangkal_model::{ItemId, NarrativeId};
use tangkal_narratives::coordination::{detect, Params, Post};

fn post(item: u64, narrative: u32, account: u32, time: i64, text: u64) -> Post {
    Post { item: ItemId(item as i64), narrative: NarrativeId(narrative), platform: 0, account, time, text }
}

/// Eighteen organic narratives spread over hours, and a five-account network that starts two more
/// narratives, posting the same copy within seconds each time; ordinary accounts copy them later.
fn timeline() -> Vec<Post> {
    let mut posts = Vec::new();
    let mut item = 0;
    for narrative in 0..18u32 {
        for k in 0..5i64 {
            let account = 100 + (narrative * 7 + k as u32 * 13) % 60;
            posts.push(post(item, narrative, account, narrative as i64 * 50_000 + k * 3_000, 1));
            item += 1;
        }
    }
    for (narrative, start) in [(18u32, 260_000i64), (19, 610_000)] {
        for account in 0..5u32 {
            posts.push(post(item, narrative, account, start + account as i64 * 4, 2));
            item += 1;
        }
        for k in 1..4i64 {
            posts.push(post(item, narrative, 100 + k as u32, start + k * 5_000, 2));
            item += 1;
        }
    }
    posts
}

#[test]
fn a_network_posting_in_bursts_again_and_again_is_flagged() {
    let posts = timeline();
    let detection = detect(&posts, &Params::default());
    assert_eq!(detection.flags.len(), 2, "{:#?}", detection.flags);
    for flag in &detection.flags {
        assert_eq!(flag.accounts, vec![0, 1, 2, 3, 4]);
        assert_eq!(flag.items.len(), 5);
        assert!(flag.window_end - flag.window_start <= 16);
        assert!(flag.reason.contains("5 accounts"), "{}", flag.reason);
        assert!(flag.expected_by_chance < Params::default().alpha);
        assert_eq!(flag.repeat_accounts, vec![0, 1, 2, 3, 4]);
    }
    let organic: Vec<ItemId> = posts.iter().filter(|p| p.account >= 100).map(|p| p.item).collect();
    assert!(detection.flags.iter().all(|f| f.items.iter().all(|i| !organic.contains(i))));
}

#[test]
fn accounts_that_burst_only_once_are_not_flagged() {
    let mut posts = timeline();
    for p in posts.iter_mut().filter(|p| p.narrative == NarrativeId(19) && p.account < 100) {
        p.account += 5;
    }
    let detection = detect(&posts, &Params::default());
    assert!(detection.flags.is_empty(), "{:#?}", detection.flags);
}

#[test]
fn the_interval_comes_from_the_data() {
    let posts = timeline();
    let slow: Vec<Post> = posts.iter().map(|p| Post { time: p.time * 10, ..*p }).collect();
    let (fast, slow) = (detect(&posts, &Params::default()).interval, detect(&slow, &Params::default()).interval);
    assert!(slow > fast, "{slow} vs {fast}");
}

/// A viral narrative: copies arrive every few seconds for hours from a pool of busy accounts, so
/// groups of accounts post within seconds of each other again and again, by chance alone.
#[test]
fn organic_copies_of_a_viral_narrative_are_not_a_burst() {
    let mut posts = timeline();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut time = 900_000i64;
    for item in 0..4_000u64 {
        // Exponential gaps with a mean of 5 s, from a uniform draw.
        let uniform = (next(1 << 20) as f64 + 0.5) / (1u64 << 20) as f64;
        time += (-5.0 * uniform.ln()).round() as i64;
        posts.push(post(1_000 + item, 20, 200 + next(60) as u32, time, next(3)));
    }
    let detection = detect(&posts, &Params::default());
    assert!(detection.flags.iter().all(|f| f.narrative != NarrativeId(20)), "{:#?}", detection.flags);
    assert_eq!(detection.flags.len(), 2);
}
