//! Posting lists of the sketch keys, stored contiguously so that a look-up reads one block.
//!
//! All lists live in one arena. A list that outgrows its block moves to a block twice the size and
//! its old block is reused by the next list of that size, so memory stays within about twice the
//! number of postings and no list is a separate allocation.

use crate::features::PrehashedMap;

#[derive(Debug, Clone, Copy)]
struct List {
    start: u32,
    len: u32,
    /// Block size, a power of two.
    cap: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Postings {
    lists: PrehashedMap<u32, List>,
    arena: Vec<u32>,
    /// Free blocks by log2 of their size.
    free: Vec<Vec<u32>>,
}

impl Postings {
    pub(crate) fn get(&self, key: u32) -> &[u32] {
        match self.lists.get(&key) {
            Some(l) => &self.arena[l.start as usize..(l.start + l.len) as usize],
            None => &[],
        }
    }

    pub(crate) fn push(&mut self, key: u32, value: u32) {
        let list = match self.lists.get(&key) {
            Some(&l) => l,
            None => List { start: self.block(1), len: 0, cap: 1 },
        };
        let list = if list.len == list.cap {
            let start = self.block(list.cap * 2);
            self.arena.copy_within(list.start as usize..(list.start + list.len) as usize, start as usize);
            self.free[list.cap.trailing_zeros() as usize].push(list.start);
            List { start, len: list.len, cap: list.cap * 2 }
        } else {
            list
        };
        self.arena[(list.start + list.len) as usize] = value;
        self.lists.insert(key, List { len: list.len + 1, ..list });
    }

    fn block(&mut self, size: u32) -> u32 {
        let class = size.trailing_zeros() as usize;
        if self.free.len() <= class {
            self.free.resize_with(class + 1, Vec::new);
        }
        if let Some(start) = self.free[class].pop() {
            return start;
        }
        let start = self.arena.len() as u32;
        self.arena.resize(self.arena.len() + size as usize, 0);
        start
    }

    /// Every list, by ascending key: enough to rebuild lists that read back identically.
    pub(crate) fn sorted_lists(&self) -> Vec<(u32, &[u32])> {
        let mut keys: Vec<u32> = self.lists.keys().copied().collect();
        keys.sort_unstable();
        keys.into_iter().map(|k| (k, self.get(k))).collect()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.lists.capacity() * (4 + 12 + 1)
            + self.arena.capacity() * 4
            + self.free.iter().map(|f| f.capacity() * 4).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_their_values_in_order_while_growing() {
        let mut p = Postings::default();
        for i in 0..100 {
            p.push(i % 7, i);
        }
        for key in 0..7 {
            let want: Vec<u32> = (0..100).filter(|i| i % 7 == key).collect();
            assert_eq!(p.get(key), &want[..]);
        }
        assert_eq!(p.get(99), &[] as &[u32]);
        assert!(p.arena.len() <= 2 * 7 * 16 + 7);
    }
}
