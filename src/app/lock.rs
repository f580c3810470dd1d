//! Per-source run locks shared by every pressfeed process using one database.
//!
//! `pressfeed refresh` started by hand or by a systemd timer may overlap a scheduled run of
//! the daemon. SQLite keeps the data consistent either way, but two runs of one source would
//! fetch every article twice and race on the feed files, so each run holds an advisory file
//! lock (`flock`) on `<database>.locks/<source>.lock`. The OS drops it when the process dies,
//! so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// A held lock; released on drop.
#[derive(Debug)]
pub struct SourceLock {
    _file: File,
    pub path: PathBuf,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("lock {path}: held by another pressfeed process")]
    Busy { path: PathBuf },
    #[error("lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The lock file of `source` for the database at `database`.
pub fn lock_path(database: &Path, source: &str) -> PathBuf {
    let mut dir = database.as_os_str().to_owned();
    dir.push(".locks");
    PathBuf::from(dir).join(format!("{source}.lock"))
}

fn open(path: &Path) -> Result<File, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io)
}

impl SourceLock {
    /// Takes the lock if it is free; `Busy` when another process holds it.
    pub fn try_acquire(database: &Path, source: &str) -> Result<SourceLock, LockError> {
        let path = lock_path(database, source);
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(SourceLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy { path }),
            Err(TryLockError::Error(source)) => Err(LockError::Io { path, source }),
        }
    }

    /// Waits for the lock (blocking the thread; call from `spawn_blocking`).
    pub fn acquire(database: &Path, source: &str) -> Result<SourceLock, LockError> {
        let path = lock_path(database, source);
        let file = open(&path)?;
        file.lock().map_err(|source| LockError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(SourceLock { _file: file, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db");
        let first = SourceLock::try_acquire(&db, "wp").unwrap();
        assert!(first.path.ends_with("p.db.locks/wp.lock"));
        assert!(matches!(
            SourceLock::try_acquire(&db, "wp"),
            Err(LockError::Busy { .. })
        ));
        // Another source is independent.
        let _other = SourceLock::try_acquire(&db, "legacy").unwrap();
        drop(first);
        SourceLock::try_acquire(&db, "wp").unwrap();
    }
}
