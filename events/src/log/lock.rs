//! The single-writer lock on a data directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::{StoreError, StoreResult};

/// An exclusive `flock` on `DIR/LOCK`, held for as long as the value lives.
/// The kernel drops it when the process dies, so a crash never leaves a
/// stale lock behind.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock, or fails at once with [`StoreError::Locked`].
    pub(crate) fn acquire(dir: &Path) -> StoreResult<Self> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(format!("opening {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Locked(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => {
                Err(StoreError::io(format!("locking {}", path.display()), e))
            }
        }
    }
}
