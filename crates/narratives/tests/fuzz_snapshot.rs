//! The snapshot codec under fuzzing: any stream of items round-trips (the reloaded tracker writes
//! the same bytes and goes on exactly as the original), and decoding any bytes, with or without a
//! matching checksum, returns a tracker or an error: no panic, and memory in proportion to the
//! input, whatever lengths the bytes claim. Corpus: `tests/corpus/snapshot`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::select;
use tangkal_fuzz::{mutated, noise, proptest, target, Outcome};
use tangkal_model::ItemId;
use tangkal_narratives::index::Config;
use tangkal_narratives::spread::Sighting;
use tangkal_narratives::Tracker;
use tangkal_text::Analyzer;

/// Counts the bytes each thread holds, so that one decoding's peak can be read while other tests
/// run on other threads.
struct PerThreadCount;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

unsafe impl GlobalAlloc for PerThreadCount {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: PerThreadCount = PerThreadCount;

/// Runs `f` and returns its result with the most memory it held at once beyond what was held before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let value = f();
    (value, (PEAK.with(Cell::get) - before).max(0) as usize)
}

fn analyzer() -> Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(Analyzer::new).clone()
}

const PLATFORMS: [&str; 3] = ["x", "facebook", "whatsapp"];

/// The stream an input describes: one item per line, its first byte choosing platform, account and
/// time step, so that the same few texts recur from several accounts.
fn observe_stream(tracker: &mut Tracker, input: &[u8], first_item: u64) {
    let mut time = 1_700_000_000i64;
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let (&knobs, text) = line.split_first().unwrap_or((&0, &[]));
        time += i64::from(knobs >> 4) * 3600 - 7200;
        let account = format!("u{}", knobs & 7);
        let sighting = Sighting {
            item: ItemId((first_item + n as u64) as i64),
            platform: PLATFORMS[usize::from(knobs) % PLATFORMS.len()],
            account: (knobs & 8 == 0).then_some(account.as_str()),
            published_at: time,
            views: u64::from(knobs),
            shares: 1,
        };
        tracker.observe(&String::from_utf8_lossy(text), &sighting);
    }
}

fn snapshot(tracker: &Tracker) -> Vec<u8> {
    let mut bytes = Vec::new();
    tracker.write_snapshot(&mut bytes).expect("writing to memory");
    bytes
}

/// The last eight bytes made the checksum of the others, as the encoder writes it.
fn with_checksum(input: &[u8]) -> Option<Vec<u8>> {
    let body = input.len().checked_sub(8).map(|n| &input[..n])?;
    let mut fixed = body.to_vec();
    fixed.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(body).to_le_bytes());
    Some(fixed)
}

/// Memory a decoding may hold: a few times the input (hash tables, arenas growing by doubling).
fn allowed_memory(input: &[u8]) -> usize {
    32 * input.len() + (1 << 20)
}

fn decodes_safely(input: &[u8]) -> Outcome {
    let shared = analyzer();
    let (decoded, peak) = peak_of(|| Tracker::read_snapshot(shared, input));
    if peak > allowed_memory(input) {
        return Err(format!("decoding {} bytes held {peak} bytes", input.len()));
    }
    let Ok(mut tracker) = decoded else { return Ok(()) };
    // A snapshot that loads must be safe to use and to write again.
    observe_stream(&mut tracker, b"\x21Beredar kabar bantuan sosial dua juta rupiah", 1 << 40);
    let again = snapshot(&tracker);
    Tracker::read_snapshot(analyzer(), again.as_slice())
        .map_err(|e| format!("a loaded snapshot, written again: {e}"))?;
    Ok(())
}

fn round_trips(input: &[u8]) -> Outcome {
    let mut original = Tracker::new(analyzer(), Config::default());
    observe_stream(&mut original, input, 0);
    let bytes = snapshot(&original);
    let mut reloaded = Tracker::read_snapshot(analyzer(), bytes.as_slice()).map_err(|e| format!("reloading: {e}"))?;
    if snapshot(&reloaded) != bytes {
        return Err("the reloaded tracker writes other bytes".into());
    }
    let next = "Beredar kabar bantuan sosial dua juta rupiah untuk semua warga";
    let sighting =
        Sighting { item: ItemId(1 << 40), platform: "x", account: Some("u1"), published_at: 0, views: 1, shares: 0 };
    let (a, b) = (original.observe(next, &sighting), reloaded.observe(next, &sighting));
    if a != b {
        return Err(format!("after reloading the next item goes elsewhere: {a:?} vs {b:?}"));
    }
    Ok(())
}

fn snapshot_check(input: &[u8]) -> Outcome {
    decodes_safely(input)?;
    if let Some(fixed) = with_checksum(input) {
        decodes_safely(&fixed).map_err(|e| format!("with the checksum made to match: {e}"))?;
    }
    round_trips(input)
}

/// Streams of a few texts that share words, so that narratives form, merge and spread.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let words =
        select(&["bansos", "cair", "hari", "ini", "daftar", "tautan", "vaksin", "chip", "banjir", "🙏", "2024"]);
    let line = (any::<u8>(), prop::collection::vec(words, 0..12)).prop_map(|(knobs, words)| {
        let mut line = vec![knobs];
        line.extend_from_slice(words.join(" ").as_bytes());
        line
    });
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join(&b'\n'))
}

/// Snapshots of generated streams, damaged here and there (the check also tries them with a
/// matching checksum).
fn damaged_snapshots() -> impl Strategy<Value = Vec<u8>> {
    (stream(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)).prop_map(|(stream, edits)| {
        let mut tracker = Tracker::new(analyzer(), Config::default());
        observe_stream(&mut tracker, &stream, 0);
        let mut bytes = snapshot(&tracker);
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        bytes
    })
}

const TOKENS: &[&[u8]] = &[
    b"TKNARRAT\x02\0\0\0",
    b"\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\0\0\0\0\x04\0\0\0",
    b"\0\0\0\0\0\0\0\0",
    b"\x01\0\0\0\0\0\0\0",
    b"\x80\0\0\0",
];

#[test]
fn snapshots_round_trip_and_damage_is_refused_safely() {
    let target = target!("snapshot", snapshot_check);
    let inputs =
        prop_oneof![2 => stream(), 2 => damaged_snapshots(), 3 => mutated(target.seeds(), TOKENS), 1 => noise()];
    target.run(1000, inputs);
}
