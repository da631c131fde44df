//! A Bloom filter over the stored item identities, so that a bulk import looks up in the identity index
//! only the records that may be stored already: on a fresh or growing store, almost none of them.

use rusqlite::Connection;

use crate::Result;

/// Bits per identity: with [`PROBES`] probes inside one 512-bit block (one cache line, so a check costs one
/// memory access), about 1% of absent identities pass as possibly stored and are looked up.
const BITS_PER_IDENTITY: u64 = 10;
const PROBES: u32 = 7;
const BLOCK_WORDS: u64 = 8;
/// Room for this many identities at least, so that small stores are not rebuilt every few batches.
const MIN_CAPACITY: u64 = 1 << 20;

pub(crate) struct IdentityFilter {
    bits: Vec<u64>,
    /// Number of blocks - 1 (a power of two).
    block_mask: u64,
    identities: u64,
    capacity: u64,
    /// `PRAGMA data_version` when the filter was built: it changes when another connection commits,
    /// whose identities the filter does not know.
    data_version: i64,
}

impl IdentityFilter {
    /// The filter for the store as this connection sees it now, inside a write transaction (so that no
    /// other writer can add identities until it ends).
    pub(crate) fn build(conn: &Connection) -> Result<IdentityFilter> {
        let stored: i64 = conn.query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))?;
        let capacity = (stored as u64 * 2).max(MIN_CAPACITY);
        let blocks = (capacity * BITS_PER_IDENTITY).next_power_of_two() / 64 / BLOCK_WORDS;
        let mut filter = IdentityFilter {
            bits: vec![0; (blocks * BLOCK_WORDS) as usize],
            block_mask: blocks - 1,
            identities: 0,
            capacity,
            data_version: data_version(conn)?,
        };
        let mut stmt = conn.prepare("SELECT identity_key FROM items")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            filter.insert(row.get(0)?);
        }
        Ok(filter)
    }

    /// Whether the filter still describes the store: no other connection has committed since it was built
    /// and it has room for more identities. Call inside the write transaction.
    pub(crate) fn is_current(&self, conn: &Connection) -> Result<bool> {
        Ok(self.identities < self.capacity && data_version(conn)? == self.data_version)
    }

    /// `key`: an identity's [`tangkal_model::Identity::key`].
    pub(crate) fn insert(&mut self, key: i64) {
        let (block, bits) = self.probes(key);
        for bit in bits {
            self.bits[block + bit / 64] |= 1 << (bit % 64);
        }
        self.identities += 1;
    }

    /// False only if the identity is certainly not stored.
    pub(crate) fn may_contain(&self, key: i64) -> bool {
        let (block, mut bits) = self.probes(key);
        bits.all(|bit| self.bits[block + bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// The first word of the key's block and its bits there. Keys are uniform hashes already: their low
    /// bits pick the block; nine bits each of a remix (the SplitMix64 finaliser) make the probes.
    fn probes(&self, key: i64) -> (usize, impl Iterator<Item = usize>) {
        let key = key as u64;
        let block = ((key & self.block_mask) * BLOCK_WORDS) as usize;
        let mut mixed = (key ^ (key >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^= mixed >> 31;
        (block, (0..PROBES).map(move |i| ((mixed >> (9 * i)) & 511) as usize))
    }
}

fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> i64 {
        xxhash_rust::xxh3::xxh3_64(&n.to_le_bytes()) as i64
    }

    #[test]
    fn inserted_identities_are_always_found_and_few_others_pass() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE items (identity_key INTEGER)").unwrap();
        let mut filter = IdentityFilter::build(&conn).unwrap();
        for n in 0..100_000 {
            filter.insert(key(n));
        }
        assert!((0..100_000).all(|n| filter.may_contain(key(n))));
        let passed = (100_000..200_000).filter(|&n| filter.may_contain(key(n))).count();
        // Sized for a million identities, a tenth full: far under the 1% of a full filter.
        assert!(passed < 100, "{passed} false positives in 100,000");
    }

    #[test]
    fn built_from_the_stored_identities_and_stale_once_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE items (identity_key INTEGER)").unwrap();
        conn.execute("INSERT INTO items VALUES (?1)", [key(1)]).unwrap();
        let filter = IdentityFilter::build(&conn).unwrap();
        assert!(filter.may_contain(key(1)));
        assert!(!filter.may_contain(key(2)));
        conn.execute("INSERT INTO items VALUES (?1)", [key(3)]).unwrap();
        assert!(filter.is_current(&conn).unwrap(), "this connection's own commits are its own to add");
        let other = Connection::open(&path).unwrap();
        other.execute("INSERT INTO items VALUES (?1)", [key(2)]).unwrap();
        assert!(!filter.is_current(&conn).unwrap());
    }
}
