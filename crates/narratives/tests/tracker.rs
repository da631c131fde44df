//! Behaviour of the whole tracker on small hand-made streams.

use tangkal_model::{ItemId, NarrativeId};
use tangkal_narratives::index::Config;
use tangkal_narratives::spread::Sighting;
use tangkal_narratives::Tracker;
use tangkal_text::Analyzer;

const HOAX: &str = "Beredar kabar bahwa pemerintah akan membagikan bantuan sosial sebesar dua juta rupiah \
    kepada semua warga yang mendaftar melalui tautan berikut sebelum akhir bulan ini. Data yang \
    diminta hanya nomor induk kependudukan dan nomor rekening. Segera daftar sebelum kuota habis.";
const OTHER: &str = "Vaksin yang beredar di puskesmas mengandung bahan berbahaya yang dapat merusak \
    kesehatan anak anak dalam jangka panjang menurut seorang dokter yang tidak mau disebut namanya. \
    Jangan bawa anak anda ke posyandu minggu depan.";
const NEWS: &str = "Harga beras premium di pasar tradisional Jakarta naik tipis pekan ini setelah \
    pasokan dari daerah sentra produksi berkurang karena hujan deras yang melanda sejumlah wilayah.";

fn sighting(item: u64, account: &str, time: i64) -> Sighting<'_> {
    Sighting {
        item: ItemId(item as i64),
        platform: "facebook",
        account: Some(account),
        published_at: time,
        views: 10,
        shares: 1,
    }
}

fn tracker() -> Tracker {
    Tracker::new(Analyzer::new(), Config::default())
}

fn edited_copies() -> Vec<String> {
    let words: Vec<&str> = HOAX.split(' ').filter(|w| !w.is_empty()).collect();
    vec![
        HOAX.to_owned(),
        format!("Sebarkan!! {HOAX} Jangan berhenti di kamu 🙏"),
        HOAX.to_uppercase(),
        words[..words.len() * 6 / 10].join(" ") + "...",
        HOAX.replace("bantuan", "bantuab").replace("rekening", "rekenign"),
        format!("{} #viral #bansos https://bit.ly/abc", words[5..].join(" ")),
    ]
}

#[test]
fn edited_copies_join_one_narrative_and_other_texts_do_not() {
    let mut t = tracker();
    let mut narratives = Vec::new();
    for (i, text) in edited_copies().iter().enumerate() {
        narratives.push(t.observe(text, &sighting(i as u64, "a", 1000 + i as i64)).assignment.narrative);
    }
    assert!(narratives.iter().all(|&n| n == narratives[0]), "{narratives:?}");
    let other = t.observe(OTHER, &sighting(10, "b", 2000)).assignment;
    let news = t.observe(NEWS, &sighting(11, "c", 2001)).assignment;
    assert!(other.started && news.started);
    assert_ne!(other.narrative, news.narrative);
    assert_eq!(t.index().narratives(), 3);
}

#[test]
fn exact_copies_add_no_representative() {
    let mut t = tracker();
    for i in 0..1000 {
        let text = if i % 2 == 0 { HOAX.to_owned() } else { format!("{HOAX} 🙏🙏") };
        t.observe(&text, &sighting(i, "a", i as i64));
    }
    assert_eq!(t.index().representatives(), 1);
    let figures = t.spread().figures(NarrativeId(1), 1000).unwrap();
    assert_eq!(figures.items, 1000);
    assert_eq!(figures.representative_item, ItemId(0));
}

#[test]
fn a_bridging_text_merges_two_narratives_and_old_ids_resolve() {
    let config = Config { merge: 0.3, ..Config::default() };
    let mut t = Tracker::new(Analyzer::new(), config);
    let first_half: String = HOAX.split(' ').take(25).collect::<Vec<_>>().join(" ");
    let second_half: String = HOAX.split(' ').skip(25).collect::<Vec<_>>().join(" ");
    let a = t.observe(&first_half, &sighting(0, "a", 0)).assignment;
    let b = t.observe(&second_half, &sighting(1, "b", 1)).assignment;
    assert!(a.started && b.started && a.narrative != b.narrative);
    let bridge = t.observe(HOAX, &sighting(2, "c", 2)).assignment;
    assert_eq!(bridge.narrative, a.narrative, "the older narrative survives");
    assert_eq!(bridge.merged, vec![b.narrative]);
    assert_eq!(t.index().resolve(b.narrative), a.narrative);
    assert_eq!(t.index().merges().len(), 1);
    let figures = t.spread().figures(a.narrative, 2).unwrap();
    assert_eq!((figures.items, figures.accounts), (3, 3));
    assert!(t.spread().figures(b.narrative, 2).is_none());
}

#[test]
fn a_restored_snapshot_continues_exactly_like_the_original() {
    let texts: Vec<String> = (0..60)
        .map(|i| match i % 4 {
            0 => format!("{HOAX} nomor {i}"),
            1 => format!("{} {i}", OTHER.replace("anak", if i % 8 == 1 { "anak" } else { "bocah" })),
            2 => format!("kabar {i} {NEWS}"),
            _ => format!("tulisan berbeda nomor {i} tentang hal lain sama sekali {}", "kata ".repeat(i % 7)),
        })
        .collect();
    let mut whole = tracker();
    let expected: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| whole.observe(text, &sighting(i as u64, "a", i as i64)).assignment)
        .collect();

    let mut first = tracker();
    for (i, text) in texts[..30].iter().enumerate() {
        first.observe(text, &sighting(i as u64, "a", i as i64));
    }
    let mut snapshot = Vec::new();
    first.write_snapshot(&mut snapshot).unwrap();
    let mut restored = Tracker::read_snapshot(Analyzer::new(), &snapshot[..]).unwrap();
    for (i, text) in texts.iter().enumerate().skip(30) {
        assert_eq!(restored.observe(text, &sighting(i as u64, "a", i as i64)).assignment, expected[i], "item {i}");
    }
    let mut again = Vec::new();
    restored.write_snapshot(&mut again).unwrap();
    let mut original = Vec::new();
    whole.write_snapshot(&mut original).unwrap();
    assert_eq!(again, original);
}

#[test]
fn damaged_snapshots_are_refused() {
    let mut t = tracker();
    t.observe(HOAX, &sighting(0, "a", 0));
    let mut snapshot = Vec::new();
    t.write_snapshot(&mut snapshot).unwrap();
    let last = snapshot.len() - 9;
    snapshot[last] ^= 1;
    assert!(Tracker::read_snapshot(Analyzer::new(), &snapshot[..]).is_err());
    assert!(Tracker::read_snapshot(Analyzer::new(), &snapshot[..20]).is_err());
    assert!(Tracker::read_snapshot(Analyzer::new(), &b"not a snapshot at all"[..]).is_err());
}

#[test]
fn a_narrative_is_quiet_exactly_when_its_velocities_fall_to_zero() {
    let mut t = tracker();
    // Seen late in a five-minute bucket: a day after the post itself, the bucket still counts.
    let seen = 10 * 3600 + 290;
    t.observe(HOAX, &sighting(0, "a", seen));
    let day = 24 * 3600;
    for now in [seen, seen + day, seen + day + 9, seen + day + 10, seen + 2 * day] {
        let quiet = t.spread().is_quiet(NarrativeId(1), now);
        let figures = t.spread().figures(NarrativeId(1), now).unwrap();
        assert_eq!(quiet, figures.velocity_24h == 0.0, "at {now}: quiet {quiet}, {figures:?}");
    }
    assert!(!t.spread().is_quiet(NarrativeId(1), seen + day + 9));
    assert!(t.spread().is_quiet(NarrativeId(1), seen + day + 10));
    assert!(t.spread().is_quiet(NarrativeId(99), seen), "a narrative without items is quiet");
}

#[test]
fn velocity_counts_recent_items_and_sees_acceleration() {
    let mut t = tracker();
    let hour = 3600;
    // One item an hour for a day, then twelve in the last hour.
    let mut item = 0;
    for h in 0..24 {
        t.observe(HOAX, &sighting(item, "a", h * hour));
        item += 1;
    }
    for m in 0..12 {
        t.observe(HOAX, &sighting(item, "b", 23 * hour + 1 + m * 60));
        item += 1;
    }
    let f = t.spread().figures(NarrativeId(1), 23 * hour + 12 * 60).unwrap();
    assert_eq!(f.velocity_1h, 13.0);
    assert_eq!(f.velocity_6h, 18.0 / 6.0);
    assert!(f.accelerating);
    assert_eq!((f.first_seen, f.accounts, f.views), (0, 2, 360));
    let calm = t.spread().figures(NarrativeId(1), 60 * hour).unwrap();
    assert_eq!(calm.velocity_24h, 0.0);
    assert!(!calm.accelerating);
}

#[test]
fn accounts_are_told_apart_across_platforms() {
    // Ids whose hashes once coincided when the platform was only a hash seed.
    let mut t = tracker();
    let first = Sighting { platform: "x", ..sighting(1, "u0003000", 0) };
    let second = Sighting { platform: "facebook", ..sighting(2, "u0010000", 60) };
    let n = t.observe(HOAX, &second).assignment.narrative;
    assert_eq!(t.observe(HOAX, &first).assignment.narrative, n);
    let f = t.spread().figures(n, 120).unwrap();
    assert_eq!((f.items, f.accounts), (2, 2));
}

#[test]
fn placing_a_text_finds_the_narrative_it_would_join_and_changes_nothing() {
    use tangkal_narratives::index::Scratch;
    let mut t = tracker();
    for (i, text) in edited_copies().iter().enumerate().take(3) {
        t.observe(text, &sighting(i as u64, "a", 1000 + i as i64));
    }
    let hoax = t.observe(HOAX, &sighting(9, "a", 1009)).assignment.narrative;
    t.observe(OTHER, &sighting(10, "b", 2000));
    let before = (t.index().len(), t.index().representatives(), t.index().narratives());
    let mut featurizer = t.featurizer();
    let mut scratch = Scratch::default();
    let place = |text: &str, scratch: &mut Scratch, featurizer: &mut tangkal_narratives::features::Featurizer| {
        t.index().place(&featurizer.features(text), scratch)
    };
    // An exact copy, an edited copy with a reporter's question around it, and unrelated texts.
    assert_eq!(place(&HOAX.to_lowercase(), &mut scratch, &mut featurizer), Some((hoax, 1.0)));
    let asked = format!("Min, tolong dicek pesan ini: {HOAX} Benar tidak?");
    let (narrative, score) = place(&asked, &mut scratch, &mut featurizer).expect("placed");
    assert!(narrative == hoax && score >= Config::default().join && score < 1.0, "{narrative} {score}");
    assert_eq!(place(NEWS, &mut scratch, &mut featurizer), None);
    assert_eq!(place("🙏🙏", &mut scratch, &mut featurizer), None);
    assert_eq!((t.index().len(), t.index().representatives(), t.index().narratives()), before);
    // The next post still goes where it would have gone without the look-ups.
    assert_eq!(t.observe(&asked, &sighting(11, "c", 3000)).assignment.narrative, hoax);
}
