//! `pressfeed backup`: a consistent copy of the live database, taken with SQLite's online
//! backup API while the daemon or a refresh keeps writing.
//!
//! The whole copy is one backup step, i.e. one read transaction: in WAL mode writers go on
//! meanwhile and the copy is the database as of that transaction's start, never a mix.
//! The copy is written to a temporary file beside the target, switched to a self-contained
//! rollback journal, checked with `PRAGMA integrity_check`, synced, and only then renamed
//! into place, so the target is either the old file or a whole, checked backup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup: no database at {path} (settings.database)")]
    NoDatabase { path: PathBuf },
    #[error("backup: {path} already exists; pass --force to replace it")]
    Exists { path: PathBuf },
    #[error("backup: {path} is the live database itself")]
    SameFile { path: PathBuf },
    #[error("backup: {path}: {context}: {source}")]
    Sqlite {
        path: PathBuf,
        context: &'static str,
        source: rusqlite::Error,
    },
    #[error("backup: {path}: {context}: {source}")]
    Io {
        path: PathBuf,
        context: &'static str,
        source: std::io::Error,
    },
    #[error("backup: {path}: the copy failed its integrity check: {message}")]
    Check { path: PathBuf, message: String },
    #[error("backup: the database stayed locked; try again")]
    Busy,
}

/// A finished backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Longest wait for the database to let the copy read (each try waits the busy timeout).
const BUSY_TRIES: u32 = 10;

/// Copies the database at `database` to `target`. A `target` that is a folder receives
/// `pressfeed-<UTC time>.db`. An existing file is replaced only with `overwrite`.
pub fn backup(
    database: &Path,
    target: &Path,
    overwrite: bool,
) -> Result<BackupReport, BackupError> {
    if !database.is_file() {
        return Err(BackupError::NoDatabase {
            path: database.to_path_buf(),
        });
    }
    let target = if target.is_dir() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        target.join(format!("pressfeed-{stamp}.db"))
    } else {
        target.to_path_buf()
    };
    if target.exists() {
        let same = std::fs::canonicalize(&target).ok() == std::fs::canonicalize(database).ok();
        if same {
            return Err(BackupError::SameFile { path: target });
        }
        if !overwrite {
            return Err(BackupError::Exists { path: target });
        }
    }
    let temp = temp_path(&target);
    let result = copy_checked(database, &temp).and_then(|()| publish(&temp, &target));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map(|bytes| BackupReport {
        path: target,
        bytes,
    })
}

/// A hidden name beside `target` (same file system, so the rename is atomic).
fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pressfeed.db".into());
    let temp = format!(".{name}.tmp-{}-{}", std::process::id(), fastrand::u32(..));
    target.with_file_name(temp)
}

/// The online backup into `temp`, then journal mode and integrity check on the copy.
fn copy_checked(database: &Path, temp: &Path) -> Result<(), BackupError> {
    let sqlite = |path: &Path, context| {
        let path = path.to_path_buf();
        move |source| BackupError::Sqlite {
            path,
            context,
            source,
        }
    };
    // Read-write without create: a WAL database needs its shared-memory file, and a
    // missing database must stay missing.
    let src = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(database, "open"))?;
    src.busy_timeout(Duration::from_secs(3))
        .map_err(sqlite(database, "set busy timeout"))?;
    let mut dst = Connection::open(temp).map_err(sqlite(temp, "create the copy"))?;
    {
        let b = Backup::new(&src, &mut dst).map_err(sqlite(temp, "start the backup"))?;
        let mut tries = 0;
        // -1: every page in one step, one read transaction, one consistent snapshot.
        while b.step(-1).map_err(sqlite(temp, "copy"))? != StepResult::Done {
            tries += 1;
            if tries >= BUSY_TRIES {
                return Err(BackupError::Busy);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // The copy carries the live database's WAL flag; a rollback journal makes it one
    // self-contained file (pressfeed switches it back to WAL when it opens it).
    dst.pragma_update(None, "journal_mode", "DELETE")
        .map_err(sqlite(temp, "set journal mode"))?;
    let check: String = dst
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sqlite(temp, "integrity check"))?;
    if check != "ok" {
        return Err(BackupError::Check {
            path: temp.to_path_buf(),
            message: check,
        });
    }
    dst.close()
        .map_err(|(_, e)| e)
        .map_err(sqlite(temp, "close the copy"))
}

/// Syncs the copy, renames it over `target` and syncs the folder; returns its size.
fn publish(temp: &Path, target: &Path) -> Result<u64, BackupError> {
    let io = |path: &Path, context| {
        let path = path.to_path_buf();
        move |source| BackupError::Io {
            path,
            context,
            source,
        }
    };
    let file = std::fs::File::open(temp).map_err(io(temp, "open the copy"))?;
    file.sync_all().map_err(io(temp, "sync the copy"))?;
    let bytes = file.metadata().map_err(io(temp, "stat the copy"))?.len();
    std::fs::rename(temp, target).map_err(io(target, "rename the copy into place"))?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(bytes)
}
