//! What the distributed intake (`crates/intake`) needs of PostgreSQL beyond the store's traits: items in the
//! order of the stream that brought them, the placer's snapshot, and the placer's election.

use ::postgres::{Client, NoTls};

use super::connection::GenericClient;

use super::narratives::narrative_input;
use super::PostgresStore;
use crate::narratives::clamp;
use crate::{NarrativeInput, Result, StoreError};

/// The placer's snapshot as stored: the last intake sequence it covers and the encoded index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacerSnapshot {
    pub covered: i64,
    pub written_at: i64,
    pub snapshot: Vec<u8>,
}

impl PostgresStore {
    /// Items whose intake sequence is in `(after, up_to]`, in that order, at most `limit`, each with its
    /// sequence: what the placer has not placed yet of what the workers have acknowledged.
    pub fn intake_items(&self, after: i64, up_to: i64, limit: u64) -> Result<Vec<(i64, NarrativeInput)>> {
        let rows = self.client().query(
            concat!(
                "SELECT i.intake_seq, ",
                narrative_inputs_from_items!(),
                " WHERE i.intake_seq > $1 AND i.intake_seq <= $2 ORDER BY i.intake_seq LIMIT $3"
            ),
            &[&after, &up_to, &clamp(limit)],
        )?;
        rows.iter().map(|r| Ok((r.get(0), narrative_input(r, 1)?))).collect()
    }

    /// Items with an intake sequence at or below `up_to` that are in no narrative, in sequence order, at most
    /// `limit`: what arrived below the placer's position.
    pub fn unplaced_intake_items(&self, up_to: i64, limit: u64) -> Result<Vec<NarrativeInput>> {
        let rows = self.client().query(
            concat!(
                "SELECT ",
                narrative_inputs_from_items!(),
                " WHERE i.intake_seq IS NOT NULL AND i.narrative_id IS NULL AND i.intake_seq <= $1
                 ORDER BY i.intake_seq LIMIT $2"
            ),
            &[&up_to, &clamp(limit)],
        )?;
        rows.iter().map(|r| narrative_input(r, 0)).collect()
    }

    /// The placer's last snapshot for `stream`.
    pub fn placer_snapshot(&self, stream: &str) -> Result<Option<PlacerSnapshot>> {
        let row = self
            .client()
            .query_opt("SELECT covered, written_at, snapshot FROM placer_snapshots WHERE stream = $1", &[&stream])?;
        Ok(row.map(|r| PlacerSnapshot { covered: r.get(0), written_at: r.get(1), snapshot: r.get(2) }))
    }

    /// Replaces the placer's snapshot for `stream`.
    pub fn save_placer_snapshot(&mut self, stream: &str, covered: i64, snapshot: &[u8]) -> Result<()> {
        let now = chrono::Utc::now().timestamp();
        self.client().execute(
            "INSERT INTO placer_snapshots (stream, covered, written_at, snapshot) VALUES ($1, $2, $3, $4)
             ON CONFLICT (stream) DO UPDATE SET covered = EXCLUDED.covered, written_at = EXCLUDED.written_at,
                 snapshot = EXCLUDED.snapshot",
            &[&stream, &covered, &now, &snapshot],
        )?;
        Ok(())
    }

    /// Who holds the placer's lock for `stream` (the holder's connection names it), if anyone does.
    pub fn placer_leader(&self, stream: &str) -> Result<Option<String>> {
        let schema: String = self.client().query_one(CURRENT_SCHEMA, &[])?.get(0);
        let key = placer_key(&schema, stream);
        let row = self.client().query_opt(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                AND l.classid::bigint = $1 AND l.objid::bigint = $2
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[&(key >> 32), &(key & 0xffff_ffff)],
        )?;
        Ok(row.map(|r| r.get(0)))
    }
}

/// Refuses an import that places narratives in its own process (`tangkal ingest` and `detect` without
/// `--to`, a server's push without `nats_url`) into a database the distributed intake feeds: its narrative
/// ids would collide with the placer's, and its items, stored without a stream sequence, would never join the
/// placer's ordered queue. Such a database takes items through the stream only.
pub(crate) fn refuse_import_beside_placer(client: &mut Client) -> Result<()> {
    let migrated: bool = client.query_one("SELECT to_regclass('placer_snapshots') IS NOT NULL", &[])?.get(0);
    if !migrated {
        return Ok(());
    }
    let fed: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM placer_snapshots) OR EXISTS (SELECT 1 FROM items WHERE intake_seq IS NOT NULL)",
            &[],
        )?
        .get(0);
    if fed {
        return Err(StoreError::Conflict(
            "the distributed intake feeds this database, and its placer places the narratives: publish items to the \
             stream (`tangkal ingest --to NATS_URL`, or a server with `nats_url` set) rather than store them here"
                .into(),
        ));
    }
    Ok(())
}

/// The advisory lock of `stream`'s placer in the connection's schema: one per stream and schema, so placers of
/// different deployments sharing a database (tests in scratch schemas) never wait for each other.
fn placer_key(schema: &str, stream: &str) -> i64 {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{schema}\0{stream}").as_bytes());
    super::locks::PLACER | i64::from(hash as u32)
}

const CURRENT_SCHEMA: &str = "SELECT current_schema()::text";

/// The placer's election: a session-level advisory lock on a connection of its own. PostgreSQL releases it
/// when that connection ends, so a placer killed at any moment leaves the place to a standby.
pub struct PlacerLock {
    client: Client,
    key: i64,
    held: bool,
}

impl PlacerLock {
    /// A connection for the election of `stream`'s placer. `holder` names this process to
    /// [`PostgresStore::placer_leader`] (the connection's application name).
    pub fn connect(url: &str, stream: &str, holder: &str) -> Result<PlacerLock> {
        let mut config: ::postgres::Config =
            url.parse().map_err(|e| StoreError::invalid("database_url", format!("is not a PostgreSQL URL: {e}")))?;
        config.application_name(holder);
        config.connect_timeout(std::time::Duration::from_secs(10));
        let mut client = config.connect(NoTls)?;
        let schema: String = client.query_one(CURRENT_SCHEMA, &[])?.get(0);
        let key = placer_key(&schema, stream);
        Ok(PlacerLock { client, key, held: false })
    }

    /// Takes the lock if no other session holds it; true when this one holds it. Standbys ask again every
    /// little while rather than wait inside PostgreSQL, so that they can be stopped while waiting.
    pub fn try_take(&mut self) -> Result<bool> {
        if !self.held {
            self.held = self.client.query_one("SELECT pg_try_advisory_lock($1)", &[&self.key])?.get(0);
        }
        Ok(self.held)
    }

    /// Whether the lock is still held: taken, and its connection still answers. A placer checks before each
    /// step, so one cut off from the database stops writing rather than place beside its successor (give or
    /// take one step).
    pub fn still_held(&mut self) -> bool {
        self.held && self.client.simple_query("SELECT 1").is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditFiles, ItemRecord, ScratchSchema, SourceRef};
    use tangkal_model::{parse_json_item, Item, DEFAULT_MAX_TEXT_BYTES};

    fn items(ids: &[u32]) -> Vec<Item> {
        ids.iter()
            .map(|i| {
                let line = format!(
                    r#"{{"id":"{i}","platform":"x","author":{{"id":"u{i}"}},"text":"teks nomor {i}","published_at":"2024-02-03T05:00:00Z"}}"#
                );
                parse_json_item(line.as_bytes(), DEFAULT_MAX_TEXT_BYTES).unwrap()
            })
            .collect()
    }

    fn write(store: &mut PostgresStore, items: &[Item], seqs: &[i64]) -> crate::WriteCounts {
        let records: Vec<_> =
            items.iter().map(|item| ItemRecord { item, identity: item.identity(), fingerprint: 0 }).collect();
        let source = SourceRef { kind: "intake".into(), location: "TEST".into() };
        store.write_intake(&source, &records, seqs).unwrap()
    }

    fn order(store: &PostgresStore, up_to: i64) -> Vec<(i64, String)> {
        store.intake_items(0, up_to, 100).unwrap().into_iter().map(|(seq, item)| (seq, item.text)).collect()
    }

    #[test]
    fn an_item_keeps_the_lowest_sequence_that_carried_it() {
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let mut store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        let counts = write(&mut store, &items(&[1, 2, 3]), &[10, 11, 12]);
        assert_eq!(counts.new, 3);
        // A second copy of item 2 came earlier in the stream (its worker was slower), one of item 3 later.
        let counts = write(&mut store, &items(&[2, 3, 4]), &[5, 20, 13]);
        assert_eq!((counts.new, counts.duplicate), (1, 2));
        let texts = |ids: &[u32]| ids.iter().map(|i| format!("teks nomor {i}")).collect::<Vec<_>>();
        let placed: Vec<i64> = order(&store, 100).iter().map(|(seq, _)| *seq).collect();
        assert_eq!(placed, vec![5, 10, 12, 13]);
        assert_eq!(order(&store, 100).into_iter().map(|(_, t)| t).collect::<Vec<_>>(), texts(&[2, 1, 3, 4]));
        assert_eq!(order(&store, 11).len(), 2, "nothing above the ceiling");
        assert_eq!(store.intake_items(10, 13, 1).unwrap()[0].0, 12, "after the covered sequence, limited");
    }

    #[test]
    fn concurrent_intake_writers_store_each_item_once() {
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let ids: Vec<u32> = (0..400).collect();
        let writers: Vec<_> = (0..3i64)
            .map(|w| {
                let (url, dir, ids) = (scratch.url(), dir.path().to_owned(), ids.clone());
                std::thread::spawn(move || {
                    let mut store = PostgresStore::connect(&url, AuditFiles::in_data_dir(&dir)).unwrap();
                    let mut new = 0;
                    for chunk in ids.chunks(50) {
                        let seqs: Vec<i64> = chunk.iter().map(|&i| 1 + i64::from(i) * 3 + w).collect();
                        new += write(&mut store, &items(chunk), &seqs).new;
                    }
                    new
                })
            })
            .collect();
        let new: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(new, 400);
        let store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        let placed = store.intake_items(0, i64::MAX, 1000).unwrap();
        let expected: Vec<i64> = (0..400).map(|i| 1 + i * 3).collect();
        assert_eq!(placed.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), expected, "the lowest sequence wins");
    }

    #[test]
    fn a_database_the_stream_feeds_refuses_imports_that_place_narratives_themselves() {
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let location = crate::StoreLocation { data_dir: dir.path().into(), database_url: Some(scratch.url()) };
        drop(crate::ImportLock::acquire(&location).expect("a new database takes imports"));
        let mut store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        drop(crate::ImportLock::acquire(&location).expect("a migrated one too"));
        write(&mut store, &items(&[1]), &[1]);
        let refused = crate::ImportLock::acquire(&location).err().expect("refused once a worker stored an item");
        assert!(matches!(&refused, StoreError::Conflict(m) if m.contains("tangkal ingest --to")), "{refused:?}");

        // The placer's snapshot says so too, in a database whose items were all placed and purged.
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let location = crate::StoreLocation { data_dir: dir.path().into(), database_url: Some(scratch.url()) };
        let mut store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        store.save_placer_snapshot("S1", 0, b"").unwrap();
        assert!(matches!(crate::ImportLock::acquire(&location), Err(StoreError::Conflict(_))));
    }

    #[test]
    fn a_standby_placer_takes_over_when_the_leader_goes() {
        let (scratch, dir) = (ScratchSchema::create().unwrap(), tempfile::tempdir().unwrap());
        let mut store = PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap();
        assert_eq!(store.placer_leader("S1").unwrap(), None);
        let mut leader = PlacerLock::connect(&scratch.url(), "S1", "placer one").unwrap();
        assert!(!leader.still_held(), "not taken yet");
        assert!(leader.try_take().unwrap() && leader.still_held());
        let mut other_stream = PlacerLock::connect(&scratch.url(), "S2", "placer of S2").unwrap();
        assert!(other_stream.try_take().unwrap(), "placers of other streams do not wait");
        let mut standby = PlacerLock::connect(&scratch.url(), "S1", "placer two").unwrap();
        assert!(!standby.try_take().unwrap() && !standby.still_held());
        assert_eq!(store.placer_leader("S1").unwrap().as_deref(), Some("placer one"));
        drop(leader);
        // The server lets go of the lock once it has seen the connection end.
        let taken = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            standby.try_take().unwrap()
        });
        assert!(taken, "the standby takes over");
        assert_eq!(store.placer_leader("S1").unwrap().as_deref(), Some("placer two"));

        assert_eq!(store.placer_snapshot("S1").unwrap(), None);
        store.save_placer_snapshot("S1", 7, b"one").unwrap();
        store.save_placer_snapshot("S1", 9, b"two").unwrap();
        let saved = store.placer_snapshot("S1").unwrap().unwrap();
        assert_eq!((saved.covered, saved.snapshot.as_slice()), (9, &b"two"[..]));
    }
}
