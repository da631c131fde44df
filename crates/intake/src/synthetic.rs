//! Synthetic item streams for the intake's tests and its benchmark: deterministic JSONL in the item format,
//! where most posts are edited copies of a few messages (near-duplicates, so narratives form and merge) and
//! the rest are one-off texts. No file from outside the repository is needed. [`outcome`] reads what a run
//! made of a stream in terms that do not depend on the store's row ids, so runs can be compared.

use std::collections::{BTreeMap, BTreeSet};

use tangkal_model::{ItemId, NarrativeId};
use tangkal_store::{CaseFilter, ItemFilter, NarrativeOrder, NarrativeRow, Store};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const WORDS: &[&str] = &[
    "pemerintah",
    "warga",
    "bantuan",
    "harga",
    "beras",
    "jalan",
    "banjir",
    "sekolah",
    "guru",
    "desa",
    "kota",
    "pasar",
    "listrik",
    "air",
    "rumah",
    "sakit",
    "dokter",
    "vaksin",
    "polisi",
    "pemilu",
    "calon",
    "partai",
    "menteri",
    "gubernur",
    "bupati",
    "nelayan",
    "petani",
    "pupuk",
    "minyak",
    "gas",
    "subsidi",
    "pajak",
    "kereta",
    "bandara",
    "pelabuhan",
    "hujan",
    "gempa",
    "tanah",
    "longsor",
    "sungai",
    "laut",
    "hutan",
    "kebakaran",
    "asap",
    "udara",
    "kesehatan",
    "pendidikan",
    "anak",
    "ibu",
    "bapak",
    "pemuda",
    "mahasiswa",
    "kampus",
    "ujian",
    "beasiswa",
    "gaji",
    "pekerja",
    "pabrik",
    "toko",
    "online",
    "aplikasi",
    "pinjaman",
    "bank",
    "uang",
    "rupiah",
    "dolar",
    "emas",
    "saham",
    "naik",
    "turun",
    "baru",
    "lama",
    "besar",
    "kecil",
    "cepat",
    "lambat",
    "resmi",
    "palsu",
    "benar",
    "hoaks",
    "kabar",
    "berita",
    "informasi",
    "pesan",
    "grup",
];

const PLATFORMS: &[&str] = &["x", "facebook", "instagram", "tiktok", "whatsapp", "telegram", "youtube", "news"];
const PREFIXES: &[&str] =
    &["", "", "Sebarkan! ", "Info penting: ", "Copas dari grup sebelah. ", "INFO ", "Mohon dibaca "];
const SUFFIXES: &[&str] =
    &["", "", " Bagikan ke keluarga.", " Semoga bermanfaat.", " #viral", " 🙏🙏", " Cek sendiri."];

/// A sentence of `n` random words.
fn sentence(rng: &mut Rng, n: usize) -> String {
    let words: Vec<&str> = (0..n).map(|_| rng.pick(WORDS)).collect();
    let mut text = words.join(" ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text
}

/// An edited copy of `text`: a prefix or suffix, sometimes a word dropped or the case changed.
fn variant(rng: &mut Rng, text: &str) -> String {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    match rng.below(6) {
        0 if words.len() > 12 => {
            words.remove(rng.below(words.len()));
        }
        1 => {
            let i = rng.below(words.len());
            words[i] = words[i].to_uppercase();
        }
        _ => {}
    }
    format!("{}{}{}", rng.pick(PREFIXES), words.join(" "), rng.pick(SUFFIXES))
}

/// `n` item-format lines from `seed`. `messages` are texts spreading as edited copies (e.g. claims that
/// fact-checks debunk); as many more are made up; a third of the posts are one-off texts.
pub fn stream(n: usize, seed: u64, messages: &[String]) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut families: Vec<String> = messages.to_vec();
    families.extend((0..messages.len().max(20)).map(|_| sentence(&mut rng, 18)));
    let mut published = 1_706_745_600; // 2024-02-01T00:00:00Z
    (0..n)
        .map(|i| {
            published += rng.below(40) as i64;
            let text = if rng.below(3) == 0 {
                sentence(&mut rng, 14)
            } else {
                // Skewed towards the first families: some narratives grow large.
                let family = rng.below(families.len()).min(rng.below(families.len()));
                variant(&mut rng, &families[family])
            };
            let platform = rng.pick(PLATFORMS);
            let views = rng.below(5_000);
            let line = serde_json::json!({
                "id": format!("{platform}:{}", 1_000_000 + i),
                "platform": platform,
                "author": { "id": format!("u{:05}", rng.below(n / 4 + 10)) },
                "text": text,
                "published_at": chrono::DateTime::from_timestamp(published, 0).expect("in range").to_rfc3339(),
                "metrics": { "views": views, "shares": views / 50 },
            });
            line.to_string()
        })
        .collect()
}

/// What a run made of a stream, in terms that do not depend on row ids (which differ between stores and
/// between runs with several writers): posts are named by their external ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The narrative of each item.
    pub placements: BTreeMap<String, Option<NarrativeId>>,
    /// Each live narrative's figures, with the external id of its central copy (the row's item id zeroed).
    pub narratives: Vec<(NarrativeRow, String)>,
    /// Each case: what opened it, and the live narratives it links.
    pub cases: BTreeSet<(String, Vec<NarrativeId>)>,
}

impl Outcome {
    /// How `self` differs from `expected`, at most `limit` lines: what a failed comparison prints instead of
    /// two whole outcomes.
    pub fn differences(&self, expected: &Outcome, limit: usize) -> Vec<String> {
        let mut found = Vec::new();
        for (post, narrative) in &expected.placements {
            let got = self.placements.get(post);
            if got != Some(narrative) {
                found.push(format!("post {post}: narrative {got:?}, expected {narrative:?}"));
            }
        }
        for post in self.placements.keys().filter(|p| !expected.placements.contains_key(*p)) {
            found.push(format!("post {post}: not expected"));
        }
        let expected_rows: BTreeMap<NarrativeId, &(NarrativeRow, String)> =
            expected.narratives.iter().map(|n| (n.0.id, n)).collect();
        let got_rows: BTreeMap<NarrativeId, &(NarrativeRow, String)> =
            self.narratives.iter().map(|n| (n.0.id, n)).collect();
        for (id, want) in &expected_rows {
            match got_rows.get(id) {
                Some(got) if got == want => {}
                got => found.push(format!("narrative {id}: {got:?}, expected {want:?}")),
            }
        }
        for id in got_rows.keys().filter(|id| !expected_rows.contains_key(*id)) {
            found.push(format!("narrative {id}: not expected"));
        }
        for case in self.cases.symmetric_difference(&expected.cases) {
            let side = if expected.cases.contains(case) { "missing" } else { "not expected" };
            found.push(format!("case {case:?}: {side}"));
        }
        let total = found.len();
        if total > limit {
            found.truncate(limit);
            found.push(format!("… {} more", total - limit));
        }
        found
    }
}

/// Reads the [`Outcome`] of `store`.
pub fn outcome(store: &dyn Store) -> anyhow::Result<Outcome> {
    let external = |id: ItemId| -> anyhow::Result<String> {
        Ok(store.get_item(id)?.and_then(|i| i.external_id).unwrap_or_else(|| format!("#{id}")))
    };
    let placements = store
        .list_items(&ItemFilter::default(), u64::MAX >> 2, 0)?
        .into_iter()
        .map(|item| (item.external_id.unwrap_or_else(|| format!("#{}", item.id)), item.narrative_id))
        .collect();
    let mut narratives = Vec::new();
    for mut row in store.list_narratives(NarrativeOrder::Size, u64::MAX >> 2, 0)? {
        let central = external(row.representative_item_id)?;
        row.representative_item_id = ItemId(0);
        narratives.push((row, central));
    }
    narratives.sort_by_key(|(row, _)| row.id);
    let mut cases = BTreeSet::new();
    let now = chrono::Utc::now();
    for summary in store.list_cases(&CaseFilter::default(), now, u64::MAX >> 2, 0)? {
        let Some(case) = store.case(summary.id)? else { continue };
        let mut linked = BTreeSet::new();
        for narrative in &case.narratives {
            let Ok(id) = NarrativeId::try_from(narrative.parse::<i64>()?) else { continue };
            if let Some(live) = store.get_narrative(id)? {
                linked.insert(live.id);
            }
        }
        cases.insert((case.origin_ref.unwrap_or_default(), linked.into_iter().collect()));
    }
    Ok(Outcome { placements, narratives, cases })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stream_is_deterministic_and_full_of_copies() {
        let a = super::stream(500, 7, &[]);
        assert_eq!(a, super::stream(500, 7, &[]));
        assert_ne!(a, super::stream(500, 8, &[]));
        let items: Vec<_> = a
            .iter()
            .map(|line| tangkal_model::parse_json_item(line.as_bytes(), tangkal_model::DEFAULT_MAX_TEXT_BYTES).unwrap())
            .collect();
        let distinct: std::collections::BTreeSet<_> = items.iter().map(|i| i.identity()).collect();
        assert_eq!(distinct.len(), 500, "every post is its own item");
        let mut tracker = tangkal_narratives::Tracker::new(tangkal_text::Analyzer::new(), Default::default());
        for (i, item) in items.iter().enumerate() {
            let sighting = tangkal_narratives::spread::Sighting {
                item: tangkal_model::ItemId(i as i64),
                platform: &item.platform,
                account: None,
                published_at: item.published_at.timestamp(),
                views: 0,
                shares: 0,
            };
            tracker.observe(&item.text, &sighting);
        }
        let narratives = tracker.spread().narratives().count();
        assert!((100..400).contains(&narratives), "{narratives} narratives for 500 posts");
    }
}
