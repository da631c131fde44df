//! The prior of every index's IDF: how many of a reference collection of fact-checks contain each
//! stem (`background.tsv`, written by `examples/background.rs` from the 17,629 fact-checks of the
//! development data; counts only, no text). An index weighs a stem by its own records and this
//! table together, as if the table's records were indexed beside its own, so a desk starting with
//! a few hundred fact-checks weighs words as one with tens of thousands does: a word's weight, and
//! with it a match's score, does not depend on the size of the database.

use std::collections::HashMap;
use std::sync::OnceLock;

pub(crate) struct Background {
    /// Records the table was counted over.
    documents: f32,
    df: HashMap<&'static str, u32, foldhash::fast::FixedState>,
}

/// Stems the table leaves out are in fewer than two of its records: counted as in one.
const UNLISTED_DF: f32 = 1.0;

pub(crate) fn background() -> &'static Background {
    static TABLE: OnceLock<Background> = OnceLock::new();
    TABLE.get_or_init(|| Background::parse(include_str!("background.tsv")))
}

impl Background {
    fn parse(table: &'static str) -> Background {
        let mut lines = table.lines();
        let documents = lines
            .next()
            .and_then(|l| l.strip_prefix("documents\t"))
            .and_then(|n| n.parse().ok())
            .expect("background.tsv starts with its number of documents");
        let df = lines
            .map(|line| {
                let (stem, n) = line.split_once('\t').expect("background.tsv lines are stem<TAB>count");
                (stem, n.parse().expect("background.tsv counts are integers"))
            })
            .collect();
        Background { documents, df }
    }

    pub(crate) fn documents(&self) -> f32 {
        self.documents
    }

    /// Records of the table containing `stem`.
    pub(crate) fn df(&self, stem: &str) -> f32 {
        self.df.get(stem).map_or(UNLISTED_DF, |&n| n as f32)
    }

    pub(crate) fn lists(&self, stem: &str) -> bool {
        self.df.contains_key(stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_ranks_function_words_as_common() {
        let table = background();
        assert!(table.documents() > 10_000.0);
        assert!(table.df("yang") > table.df("vaksin"));
        assert!(table.df("vaksin") > UNLISTED_DF);
        assert_eq!(table.df("zzzqqqxyz"), UNLISTED_DF);
    }
}
