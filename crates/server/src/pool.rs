//! A small pool of store connections. The store is synchronous (SQLite), so every call runs on tokio's
//! blocking threads; the pool bounds how many run at once and reuses open connections (each holds its
//! own prepared-statement cache). Their commits never checkpoint the write-ahead log: the pool's
//! [`BackgroundCheckpoints`] does, so no request waits for the database file's sync.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tangkal_store::{AuditFiles, BackgroundCheckpoints, Store};
use tokio::sync::Semaphore;

use crate::Problem;

pub struct StorePool {
    data_dir: PathBuf,
    audit_files: AuditFiles,
    idle: Mutex<Vec<Box<dyn Store>>>,
    permits: Semaphore,
    _checkpoints: BackgroundCheckpoints,
}

impl StorePool {
    /// Opens (and migrates) the store once up front so a broken store fails at start, not on the
    /// first request.
    pub fn open(data_dir: &Path, audit_files: AuditFiles, size: usize) -> tangkal_store::Result<StorePool> {
        let first = open_store(data_dir, &audit_files)?;
        let checkpoints = BackgroundCheckpoints::start(&data_dir.join(tangkal_store::DATABASE_FILE))?;
        Ok(StorePool {
            data_dir: data_dir.to_path_buf(),
            audit_files,
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(size.max(1)),
            _checkpoints: checkpoints,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs `f` with a store on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> tangkal_store::Result<T> + Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|_| Problem::unavailable("the store is shutting down"))?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let (data_dir, audit_files) = (self.data_dir.clone(), self.audit_files.clone());
        let (store, result) = tokio::task::spawn_blocking(move || {
            let mut store = match idle {
                Some(store) => store,
                None => match open_store(&data_dir, &audit_files) {
                    Ok(store) => store,
                    Err(e) => return (None, Err(e)),
                },
            };
            let result = f(store.as_mut());
            (Some(store), result)
        })
        .await
        .map_err(|e| Problem::internal(format!("store task failed: {e}")))?;
        if let Some(store) = store {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(store);
        }
        result.map_err(Problem::from)
    }
}

pub(crate) fn open_store(data_dir: &Path, audit_files: &AuditFiles) -> tangkal_store::Result<Box<dyn Store>> {
    let mut store = tangkal_store::open_for_serving(data_dir)?;
    store.set_audit_files(audit_files.clone());
    Ok(store)
}
