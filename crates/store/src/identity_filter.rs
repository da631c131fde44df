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
        let mut stmt = conn.prepare("SELECT identity FROM items")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            filter.insert(&row.get::<_, [u8; 16]>(0)?);
        }
        Ok(filter)
    }

    /// Whether the filter still describes the store: no other connection has committed since it was built
    /// and it has room for more identities. Call inside the write transaction.
    pub(crate) fn is_current(&self, conn: &Connection) -> Result<bool> {
        Ok(self.identities < self.capacity && data_version(conn)? == self.data_version)
    }

    pub(crate) fn insert(&mut self, identity: &[u8; 16]) {
        let (block, bits) = self.probes(identity);
        for bit in bits {
            self.bits[block + bit / 64] |= 1 << (bit % 64);
        }
        self.identities += 1;
    }

    /// False only if the identity is certainly not stored.
    pub(crate) fn may_contain(&self, identity: &[u8; 16]) -> bool {
        let (block, mut bits) = self.probes(identity);
        bits.all(|bit| self.bits[block + bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// The first word of the identity's block and its bits there. Identities are already uniform 128-bit
    /// hashes: the low half picks the block, nine bits of the high half each probe.
    fn probes(&self, identity: &[u8; 16]) -> (usize, impl Iterator<Item = usize>) {
        let low = u64::from_le_bytes(identity[..8].try_into().expect("8 bytes"));
        let high = u64::from_le_bytes(identity[8..].try_into().expect("8 bytes"));
        let block = ((low & self.block_mask) * BLOCK_WORDS) as usize;
        (block, (0..PROBES).map(move |i| ((high >> (9 * i)) & 511) as usize))
    }
}

fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(n: u64) -> [u8; 16] {
        xxhash_rust::xxh3::xxh3_128(&n.to_le_bytes()).to_le_bytes()
    }

    #[test]
    fn inserted_identities_are_always_found_and_few_others_pass() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE items (identity BLOB)").unwrap();
        let mut filter = IdentityFilter::build(&conn).unwrap();
        for n in 0..100_000 {
            filter.insert(&identity(n));
        }
        assert!((0..100_000).all(|n| filter.may_contain(&identity(n))));
        let passed = (100_000..200_000).filter(|&n| filter.may_contain(&identity(n))).count();
        // Sized for a million identities, a tenth full: far under the 1% of a full filter.
        assert!(passed < 100, "{passed} false positives in 100,000");
    }

    #[test]
    fn built_from_the_stored_identities_and_stale_once_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE items (identity BLOB)").unwrap();
        conn.execute("INSERT INTO items VALUES (?1)", [identity(1)]).unwrap();
        let filter = IdentityFilter::build(&conn).unwrap();
        assert!(filter.may_contain(&identity(1)));
        assert!(!filter.may_contain(&identity(2)));
        conn.execute("INSERT INTO items VALUES (?1)", [identity(3)]).unwrap();
        assert!(filter.is_current(&conn).unwrap(), "this connection's own commits are its own to add");
        let other = Connection::open(&path).unwrap();
        other.execute("INSERT INTO items VALUES (?1)", [identity(2)]).unwrap();
        assert!(!filter.is_current(&conn).unwrap());
    }
}
