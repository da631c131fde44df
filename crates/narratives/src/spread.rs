//! How far and how fast each narrative travels, updated as items arrive.

use std::collections::HashSet;
use std::io::{Read, Write};

use serde::Serialize;

use xxhash_rust::xxh3::Xxh3;

use crate::features::PrehashedMap;
use crate::index::NarrativeId;
use crate::snapshot::{Decoder, Encoder, SnapshotError};
use tangkal_model::ItemId;

/// Velocity is counted in buckets of this many seconds, kept for [`HISTORY`] seconds.
const BUCKET: i64 = 300;
const HISTORY: i64 = 48 * 3600;

/// One observed post, as the spread figures need it.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a> {
    /// The caller's id for the item (a store row id, a line number): names the representative copy.
    pub item: ItemId,
    pub platform: &'a str,
    pub account: Option<&'a str>,
    /// UTC seconds.
    pub published_at: i64,
    pub views: u64,
    pub shares: u64,
}

/// The figures of one narrative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub narrative: NarrativeId,
    pub first_seen: i64,
    pub last_seen: i64,
    pub items: u64,
    pub accounts: u64,
    pub platforms: Vec<String>,
    pub views: u64,
    pub shares: u64,
    /// Items per hour over the last 1, 6 and 24 hours before the reference time.
    pub velocity_1h: f64,
    pub velocity_6h: f64,
    pub velocity_24h: f64,
    /// The last 6 hours run at more than 1.5 times the rate of the 18 hours before them.
    pub accelerating: bool,
    /// The item of the most central copy: the variant the most copies matched.
    pub representative_item: ItemId,
}

#[derive(Debug, Clone, Default)]
struct Spread {
    first_seen: i64,
    last_seen: i64,
    items: u64,
    accounts: Accounts,
    platforms: u64,
    views: u64,
    shares: u64,
    /// (bucket number, items), ascending, within `HISTORY` of `last_seen`: numbers rather than start
    /// times halve the pairs, which most of the many one-item narratives hold one of.
    buckets: Vec<(i32, u32)>,
    representative: u32,
    representative_copies: u32,
}

/// Exact distinct-account counting that stays small for the many tiny narratives (the set is boxed so
/// that it does not widen every narrative's entry).
#[derive(Debug, Clone)]
enum Accounts {
    Few(Vec<u32>),
    #[allow(clippy::box_collection, reason = "a set inline would widen all the entries, mostly `Few`")]
    Many(Box<HashSet<u32>>),
}

impl Default for Accounts {
    fn default() -> Accounts {
        Accounts::Few(Vec::new())
    }
}

impl Accounts {
    fn insert(&mut self, account: u32) {
        match self {
            Accounts::Few(list) => {
                if let Err(at) = list.binary_search(&account) {
                    list.insert(at, account);
                    if list.len() > 64 {
                        *self = Accounts::Many(Box::new(list.iter().copied().collect()));
                    }
                }
            }
            Accounts::Many(set) => {
                set.insert(account);
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Accounts::Few(list) => list.len(),
            Accounts::Many(set) => set.len(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Accounts::Few(list) => Box::new(list.iter().copied()),
            Accounts::Many(set) => Box::new(set.iter().copied()),
        }
    }
}

/// Spread figures of every narrative, kept in step with the index by the [`crate::Tracker`].
#[derive(Debug, Default)]
pub struct SpreadBook {
    spreads: Vec<Spread>,
    platforms: Vec<String>,
    /// Hash of (platform, account id) → account number.
    accounts: PrehashedMap<u64, u32>,
    /// Item of each representative, by representative number.
    representative_items: Vec<ItemId>,
}

impl SpreadBook {
    pub(crate) fn record(&mut self, narrative: NarrativeId, rep: u32, rep_copies: u32, sighting: &Sighting<'_>) {
        let n = narrative.index();
        if self.spreads.len() <= n {
            self.spreads.resize_with(n + 1, Spread::default);
        }
        if rep as usize == self.representative_items.len() {
            self.representative_items.push(sighting.item);
        }
        let platform = self.platform(sighting.platform);
        let account = sighting.account.map(|a| {
            let next = self.accounts.len() as u32;
            // Platform and account hashed together: a small seed does not separate short ids
            // (`u0016355` on one platform and a neighbour id on another hashed alike).
            let mut key = Xxh3::new();
            key.update(&u32::from(platform).to_le_bytes());
            key.update(a.as_bytes());
            let key = key.digest();
            *self.accounts.entry(key).or_insert(next)
        });
        let s = &mut self.spreads[n];
        let t = sighting.published_at;
        if s.items == 0 {
            s.first_seen = t;
            s.last_seen = t;
        }
        s.first_seen = s.first_seen.min(t);
        s.last_seen = s.last_seen.max(t);
        s.items += 1;
        if let Some(account) = account {
            s.accounts.insert(account);
        }
        if platform < 64 {
            s.platforms |= 1 << platform;
        }
        s.views = s.views.saturating_add(sighting.views);
        s.shares = s.shares.saturating_add(sighting.shares);
        add_bucket(&mut s.buckets, bucket_of(t), 1, s.last_seen);
        if rep_copies > s.representative_copies || s.items == 1 {
            s.representative = rep;
            s.representative_copies = rep_copies;
        }
    }

    /// Folds `absorbed` into `into` after the index merged them.
    pub(crate) fn merge(&mut self, absorbed: NarrativeId, into: NarrativeId) {
        let n = self.spreads.len().max(absorbed.max(into).index() + 1);
        self.spreads.resize_with(n, Spread::default);
        let a = std::mem::take(&mut self.spreads[absorbed.index()]);
        if a.items == 0 {
            return;
        }
        let s = &mut self.spreads[into.index()];
        if s.items == 0 {
            *s = a;
            return;
        }
        s.first_seen = s.first_seen.min(a.first_seen);
        s.last_seen = s.last_seen.max(a.last_seen);
        s.items += a.items;
        for account in a.accounts.iter() {
            s.accounts.insert(account);
        }
        s.platforms |= a.platforms;
        s.views = s.views.saturating_add(a.views);
        s.shares = s.shares.saturating_add(a.shares);
        for (bucket, count) in a.buckets {
            add_bucket(&mut s.buckets, bucket, count, s.last_seen);
        }
        if a.representative_copies > s.representative_copies {
            s.representative = a.representative;
            s.representative_copies = a.representative_copies;
        }
    }

    /// The figures of a narrative that has items, with velocity as of `now` (UTC seconds).
    pub fn figures(&self, narrative: NarrativeId, now: i64) -> Option<Figures> {
        let s = self.spreads.get(narrative.index()).filter(|s| s.items > 0)?;
        let since = |hours: i64| -> u64 {
            s.buckets
                .iter()
                .filter(|&&(b, _)| bucket_start(b) + BUCKET > now - hours * 3600 && bucket_start(b) <= now)
                .map(|(_, c)| *c as u64)
                .sum()
        };
        let (h1, h6, h24) = (since(1), since(6), since(24));
        let before = h24 - h6;
        Some(Figures {
            narrative,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            items: s.items,
            accounts: s.accounts.len() as u64,
            platforms: (0..self.platforms.len().min(64))
                .filter(|&i| s.platforms & (1 << i) != 0)
                .map(|i| self.platforms[i].clone())
                .collect(),
            views: s.views,
            shares: s.shares,
            velocity_1h: h1 as f64,
            velocity_6h: h6 as f64 / 6.0,
            velocity_24h: h24 as f64 / 24.0,
            accelerating: h6 >= 3 && h6 as f64 / 6.0 > 1.5 * before as f64 / 18.0,
            representative_item: self.representative_items[s.representative as usize],
        })
    }

    /// Whether every velocity of a narrative is zero as of `now`, and stays zero until it is seen again: its
    /// newest bucket has left the 24-hour window. The test is on buckets, as the velocities are, so that a
    /// narrative that goes quiet has its figures written as zeros whatever the moment it is found quiet.
    pub fn is_quiet(&self, narrative: NarrativeId, now: i64) -> bool {
        self.last_seen(narrative).is_none_or(|t| bucket_start(bucket_of(t)) + BUCKET <= now - 24 * 3600)
    }

    /// When a narrative with items was last seen.
    pub fn last_seen(&self, narrative: NarrativeId) -> Option<i64> {
        self.spreads.get(narrative.index()).filter(|s| s.items > 0).map(|s| s.last_seen)
    }

    /// Narratives that have items (merged-away ones have none), in id order.
    pub fn narratives(&self) -> impl Iterator<Item = NarrativeId> + '_ {
        self.spreads.iter().enumerate().filter(|(_, s)| s.items > 0).map(|(i, _)| NarrativeId(i as u32))
    }

    fn platform(&mut self, name: &str) -> u16 {
        match self.platforms.iter().position(|p| p == name) {
            Some(i) => i as u16,
            None => {
                self.platforms.push(name.to_owned());
                self.platforms.len() as u16 - 1
            }
        }
    }
}

impl SpreadBook {
    pub(crate) fn encode<W: Write>(&self, e: &mut Encoder<W>) -> std::io::Result<()> {
        e.len(self.spreads.len())?;
        for s in &self.spreads {
            for v in [s.first_seen, s.last_seen] {
                e.i64(v)?;
            }
            for v in [s.items, s.platforms, s.views, s.shares] {
                e.u64(v)?;
            }
            let mut accounts: Vec<u32> = s.accounts.iter().collect();
            accounts.sort_unstable();
            e.u32s(&accounts)?;
            e.len(s.buckets.len())?;
            for &(bucket, count) in &s.buckets {
                e.i64(bucket_start(bucket))?;
                e.u32(count)?;
            }
            e.u32(s.representative)?;
            e.u32(s.representative_copies)?;
        }
        e.len(self.platforms.len())?;
        for p in &self.platforms {
            e.str(p)?;
        }
        let mut accounts: Vec<(u64, u32)> = self.accounts.iter().map(|(&k, &v)| (k, v)).collect();
        accounts.sort_unstable();
        e.len(accounts.len())?;
        for (key, id) in accounts {
            e.u64(key)?;
            e.u32(id)?;
        }
        e.len(self.representative_items.len())?;
        for &item in &self.representative_items {
            e.u64(item.get() as u64)?;
        }
        Ok(())
    }

    pub(crate) fn decode<R: Read>(d: &mut Decoder<R>) -> Result<SpreadBook, SnapshotError> {
        let mut book = SpreadBook::default();
        for _ in 0..d.len()? {
            let (first_seen, last_seen) = (d.i64()?, d.i64()?);
            let (items, platforms, views, shares) = (d.u64()?, d.u64()?, d.u64()?, d.u64()?);
            let list = d.u32s()?;
            let accounts = if list.len() > 64 {
                Accounts::Many(Box::new(list.into_iter().collect()))
            } else {
                Accounts::Few(list)
            };
            let mut buckets = Vec::new();
            for _ in 0..d.len()? {
                buckets.push((bucket_of(d.i64()?), d.u32()?));
            }
            let (representative, representative_copies) = (d.u32()?, d.u32()?);
            book.spreads.push(Spread {
                first_seen,
                last_seen,
                items,
                accounts,
                platforms,
                views,
                shares,
                buckets,
                representative,
                representative_copies,
            });
        }
        for _ in 0..d.len()? {
            book.platforms.push(d.str()?);
        }
        for _ in 0..d.len()? {
            let key = d.u64()?;
            book.accounts.insert(key, d.u32()?);
        }
        for _ in 0..d.len()? {
            book.representative_items.push(ItemId(d.u64()? as i64));
        }
        let reps = book.representative_items.len() as u32;
        if book.spreads.iter().any(|s| s.items > 0 && s.representative >= reps) {
            return Err(SnapshotError::Damaged("spread entries out of range"));
        }
        Ok(book)
    }
}

/// The number of the bucket holding time `t` (UTC seconds); times beyond ±20,000 years share the end ones.
fn bucket_of(t: i64) -> i32 {
    let number = t.div_euclid(BUCKET);
    i32::try_from(number).unwrap_or(if number < 0 { i32::MIN } else { i32::MAX })
}

fn bucket_start(bucket: i32) -> i64 {
    i64::from(bucket) * BUCKET
}

fn add_bucket(buckets: &mut Vec<(i32, u32)>, bucket: i32, count: u32, last_seen: i64) {
    match buckets.binary_search_by_key(&bucket, |b| b.0) {
        Ok(i) => buckets[i].1 += count,
        Err(i) => buckets.insert(i, (bucket, count)),
    }
    let keep_from = last_seen - HISTORY;
    let old = buckets.partition_point(|b| bucket_start(b.0) + BUCKET <= keep_from);
    buckets.drain(..old);
}
