//! A small pool of store connections. The store is synchronous (SQLite, or the sync PostgreSQL client), so
//! every call runs on tokio's blocking threads; the pool bounds how many run at once and reuses open
//! connections (each holds its own prepared-statement cache). On SQLite their commits never checkpoint
//! the write-ahead log: the pool's [`BackgroundCheckpoints`] does, so no request waits for the database
//! file's sync. A connection whose call failed as unavailable (PostgreSQL restarted, the network
//! dropped) is not reused: the next call opens a fresh one.

use std::path::Path;
use std::sync::Mutex;

use tangkal_store::{AuditFiles, BackgroundCheckpoints, Store, StoreError, StoreLocation};
use tokio::sync::Semaphore;

use crate::Problem;

pub struct StorePool {
    location: StoreLocation,
    audit_files: AuditFiles,
    idle: Mutex<Vec<Box<dyn Store>>>,
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
            idle: Mutex::new(vec![first]),
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
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let (location, audit_files) = (self.location.clone(), self.audit_files.clone());
        let (store, result) = tokio::task::spawn_blocking(move || {
            let mut store = match idle {
                Some(store) => store,
                None => match open_store(&location, &audit_files) {
                    Ok(store) => store,
                    Err(e) => return (None, Err(e)),
                },
            };
            let result = f(store.as_mut());
            let broken = matches!(result, Err(StoreError::Unavailable(_)));
            (if broken { None } else { Some(store) }, result)
        })
        .await
        .map_err(|e| Problem::internal(format!("store task failed: {e}")))?;
        if let Some(store) = store {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(store);
        }
        result.map_err(Problem::from)
    }
}

pub(crate) fn open_store(location: &StoreLocation, audit_files: &AuditFiles) -> tangkal_store::Result<Box<dyn Store>> {
    let mut store = tangkal_store::open_for_serving(location)?;
    store.set_audit_files(audit_files.clone());
    Ok(store)
}
