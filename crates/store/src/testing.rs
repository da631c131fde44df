//! The store's tests run against both backends: each test is a function of a [`Backend`], and
//! [`on_both_backends!`] makes a `sqlite` and a `postgres` test of it.

use std::path::Path;

use crate::{AuditFiles, PostgresStore, ScratchSchema, SqliteStore, Store};

/// A fresh, empty store of one kind, which a test may open several times (to see what persists).
pub(crate) enum Backend {
    Sqlite(tempfile::TempDir),
    /// The directory holds the audit trail's key and checkpoints.
    Postgres(ScratchSchema, tempfile::TempDir),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }

    pub fn postgres() -> Backend {
        Backend::Postgres(ScratchSchema::create().expect("PostgreSQL for the tests"), tempfile::tempdir().unwrap())
    }

    /// A new connection to this store.
    pub fn open(&self) -> Box<dyn Store> {
        match self {
            Backend::Sqlite(dir) => Box::new(SqliteStore::open_in(dir.path()).unwrap()),
            Backend::Postgres(scratch, dir) => {
                Box::new(PostgresStore::connect(&scratch.url(), AuditFiles::in_data_dir(dir.path())).unwrap())
            }
        }
    }

    /// Where the audit key and checkpoint files are.
    pub fn data_dir(&self) -> &Path {
        match self {
            Backend::Sqlite(dir) | Backend::Postgres(_, dir) => dir.path(),
        }
    }
}

/// `on_both_backends!(a, b)` turns `fn a(backend: &Backend)` into the tests `a::sqlite` and `a::postgres`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[test]
                fn sqlite() {
                    super::$test(&$crate::testing::Backend::sqlite())
                }

                #[test]
                fn postgres() {
                    super::$test(&$crate::testing::Backend::postgres())
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;
