//! A small pool of store connections. The store is synchronous (SQLite, or the sync PostgreSQL client), so
//! every call runs on tokio's blocking threads; the pool bounds how many run at once and reuses open
//! connections (each holds its own prepared-statement cache). On SQLite their commits never checkpoint
//! the write-ahead log: the pool's [`BackgroundCheckpoints`] does, so no request waits for the database
//! file's sync. A connection whose call failed as unavailable (PostgreSQL restarted, the network
//! dropped) is not reused: the next call opens a fresh one.
//!
//! Connections are also only ever closed off the async threads: PostgreSQL's client closes by blocking on
//! a runtime of its own, which panics on one of tokio's.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tangkal_store::{AuditFiles, BackgroundCheckpoints, Store, StoreError, StoreLocation};
use tokio::sync::Semaphore;

use crate::Problem;

pub struct StorePool {
    location: StoreLocation,
    audit_files: AuditFiles,
    /// Shared with the blocking threads, which put a connection back themselves: the result a call hands
    /// to its (possibly cancelled) task never holds one.
    idle: Arc<Idle>,
    permits: Semaphore,
    /// SQLite only.
    _checkpoints: Option<BackgroundCheckpoints>,
}

impl StorePool {
    /// Opens (and migrates) the store once up front so a broken store fails at start, not on the
    /// first request.
    pub fn open(location: &StoreLocation, audit_files: AuditFiles, size: usize) -> tangkal_store::Result<StorePool> {
        let first = open_store(location, &audit_files)?;
        let checkpoints = match location.database_url {
            Some(_) => None,
            None => Some(BackgroundCheckpoints::start(&location.data_dir.join(tangkal_store::DATABASE_FILE))?),
        };
        Ok(StorePool {
            location: location.clone(),
            audit_files,
            idle: Arc::new(Idle(Mutex::new(vec![first]))),
            permits: Semaphore::new(size.max(1)),
            _checkpoints: checkpoints,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.location.data_dir
    }

    /// Runs `f` with a store on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> tangkal_store::Result<T> + Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|_| Problem::unavailable("the store is shutting down"))?;
        let (idle, location, audit_files) = (self.idle.clone(), self.location.clone(), self.audit_files.clone());
        let result = tokio::task::spawn_blocking(move || {
            let mut store = match idle.take() {
                Some(store) => store,
                None => open_store(&location, &audit_files)?,
            };
            let result = f(store.as_mut());
            if !matches!(result, Err(StoreError::Unavailable(_))) {
                idle.put(store);
            }
            result
        })
        .await
        .map_err(|e| Problem::internal(format!("store task failed: {e}")))?;
        result.map_err(Problem::from)
    }
}

/// The open connections waiting for a call.
struct Idle(Mutex<Vec<Box<dyn Store>>>);

impl Idle {
    fn take(&self) -> Option<Box<dyn Store>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    fn put(&self, store: Box<dyn Store>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(store);
    }
}

/// The last state is often dropped on an async thread (the end of `serve`, an aborted background task),
/// where closing a PostgreSQL connection panics: the connections are closed on a thread of their own.
impl Drop for Idle {
    fn drop(&mut self) {
        let stores = std::mem::take(self.0.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !stores.is_empty() {
            std::thread::scope(|s| {
                s.spawn(move || drop(stores));
            });
        }
    }
}

pub(crate) fn open_store(location: &StoreLocation, audit_files: &AuditFiles) -> tangkal_store::Result<Box<dyn Store>> {
    let mut store = tangkal_store::open_for_serving(location)?;
    store.set_audit_files(audit_files.clone());
    Ok(store)
}
