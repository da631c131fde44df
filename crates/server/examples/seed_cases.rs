//! Fills a data directory with cases for load tests and prints an analyst's API token.
//!
//! Usage: `seed_cases DATA_DIR [COUNT]` (default 10 000). Cases are opened as detectors open them,
//! spread over the last 30 hours so that every deadline state (on track, at risk, breached) appears. With
//! `TANGKAL_DATABASE_URL` set they go into that PostgreSQL database instead of the data directory.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{Duration, Utc};
use tangkal_cases::{NewCase, Origin, Role, Signals, Urgency};
use tangkal_store::NewUser;

/// A small deterministic generator, so every run seeds the same store.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().context("usage: seed_cases DATA_DIR [COUNT]")?);
    let count: u64 = args.next().map(|s| s.parse()).transpose().context("COUNT must be a number")?.unwrap_or(10_000);
    let database_url = std::env::var("TANGKAL_DATABASE_URL").ok();
    let mut store = tangkal_store::open(&tangkal_store::StoreLocation { data_dir: dir, database_url })?;
    let platforms = ["tiktok", "facebook", "x", "youtube", "whatsapp", "instagram"];
    let topics = ["vaksin", "pemilu", "banjir", "harga beras", "gempa", "bansos", "kesehatan", "BBM"];
    let mut rng = Lcg(42);
    let now = Utc::now();
    for i in 0..count {
        let opened = now - Duration::minutes(rng.next(30 * 60) as i64);
        let new = NewCase {
            title: format!("Klaim {} #{i} beredar di media sosial", topics[rng.next(topics.len() as u64) as usize]),
            summary: "Pesan berantai menyebar di beberapa platform; perlu diperiksa.".into(),
            origin: Some(Origin::Detector),
            origin_ref: Some("claims".into()),
            narratives: vec![format!("n-{}", i / 5)],
            items: vec![tangkal_model::ItemId(i as i64 * 3 + 1), tangkal_model::ItemId(i as i64 * 3 + 2)],
            platforms: (0..1 + rng.next(3)).map(|_| platforms[rng.next(6) as usize].to_string()).collect(),
            signals: Signals {
                risk: Some(rng.next(100) as f64 / 100.0),
                reach: Some(rng.next(5_000_000)),
                velocity: Some(rng.next(3_000) as f64),
            },
            urgency: if rng.next(5) == 0 { Urgency::Urgent } else { Urgency::Normal },
        };
        store.open_case(&new, "detector:claims", opened)?;
    }
    let hash = tangkal_server::auth::hash_password("bench analyst password")?;
    let user = store.add_user(
        &NewUser {
            username: "bench-desk-analyst",
            display_name: "Bench analyst",
            role: Role::Analyst,
            platform: None,
            organisation: "Tangkal",
            password_hash: &hash,
            time_zone: "Asia/Jakarta",
        },
        "bench",
        now,
    )?;
    let token = tangkal_server::auth::new_api_token();
    store.create_token(user.id, "bench", Role::Analyst, &tangkal_server::auth::secret_hash(&token), "bench", now)?;
    println!("{token}");
    Ok(())
}
