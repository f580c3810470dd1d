//! The SQLite store: articles keyed by (source, id), listing links already seen, HTTP
//! validators per URL and per-source run state.
//!
//! WAL mode and a busy timeout let `pressfeed refresh` and the daemon share one file.
//! Schema changes are migrations numbered by `PRAGMA user_version`; a database written by a
//! newer pressfeed is refused rather than silently misread.
//!
//! Files: `articles` (upsert and the newest N), `links` (listing links, stored listing
//! pages, HTTP validators), `state` (per-source run state and selector history),
//! `migrations` (the schema), `retention` (pruning), `backup` (online copies), `alerts`
//! (what the alert webhook was last told).
//!
//! Layer: imports only `core`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

mod alerts;
mod articles;
mod backup;
mod links;
mod migrations;
mod retention;
mod state;

pub use alerts::AlertMemory;
pub use backup::{BackupError, BackupReport, backup};
pub use retention::PruneReport;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {context}: {source}")]
    Sqlite {
        path: PathBuf,
        context: String,
        source: rusqlite::Error,
    },
    #[error("store {path}: schema version {found} is newer than this pressfeed knows ({known})")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("store {path}: cannot create folder: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store {path}: corrupt row: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "store {path}: a write transaction was rolled back after an error; its writes are lost"
    )]
    RolledBack { path: PathBuf },
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    New,
    Updated,
    Unchanged,
}

/// A listing link already resolved to a stored article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLink {
    pub article_id: String,
    pub first_seen: DateTime<Utc>,
    /// Fingerprint of what the listing showed for this link last time.
    pub listing_fingerprint: String,
    /// Retention removed the article; runs leave it alone.
    pub pruned: bool,
}

/// Per-source state kept across runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub items_found: u32,
    /// Configured selectors that have matched at least once.
    pub matched_selectors: BTreeSet<String>,
    /// Selectors that used to match and matched nothing on the last run.
    pub drift: Vec<String>,
}

/// An open store. Not `Sync`; open one per task or guard it with a mutex.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            context: "open".into(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    pub(super) fn err(&self, context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        let context = context.to_string();
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            context,
            source,
        }
    }

    fn configure(&self) -> Result<(), StoreError> {
        // Room for every statement the per-article path runs (see `exec_cached`).
        self.conn.set_prepared_statement_cache_capacity(32);
        self.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(self.err("set busy timeout"))?;
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(self.err("enable WAL"))?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(self.err("set synchronous"))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(self.err("enable foreign keys"))?;
        Ok(())
    }

    /// True while the database answers a read. Deliberately cheap (the watchdog and
    /// `/healthz` call it often): a full `quick_check` reads the whole file, and a wedged
    /// or vanished database already fails this query.
    pub fn healthy(&self) -> bool {
        self.conn
            .query_row("SELECT COUNT(*) FROM source_state", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok()
    }

    /// Runs a statement through the connection's statement cache: the statements below run
    /// once or more per article, and preparing them each time cost about as much CPU as
    /// running them.
    pub(super) fn exec_cached<P: rusqlite::Params>(
        &self,
        sql: &str,
        p: P,
    ) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute(p)
    }

    /// `query_row` through the statement cache (see [`Store::exec_cached`]).
    pub(super) fn row_cached<T, P, F>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.conn.prepare_cached(sql)?.query_row(p, f)
    }

    /// Runs `f` inside one read transaction: many small lookups (a listing page's links)
    /// then take SQLite's read lock once instead of once per statement. Falls back to
    /// autocommit reads when a transaction cannot be opened (one is already open).
    pub fn reading<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        let opened = self.conn.is_autocommit() && self.conn.execute_batch("BEGIN").is_ok();
        let out = f(self);
        if opened && self.conn.execute_batch("COMMIT").is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        out
    }

    /// Starts a write transaction that groups the writes of many articles (a batch's worth)
    /// into one commit: a commit per statement cost more than the statements.
    /// `IMMEDIATE` takes the write lock now, waiting up to the busy timeout, so a concurrent
    /// writer cannot make a later statement fail with `SQLITE_BUSY_SNAPSHOT`. Hold it only
    /// around local work, never across network I/O.
    pub fn begin_batch(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.err("begin transaction"))
    }

    /// Commits the transaction opened by [`Store::begin_batch`]. SQLite rolls a transaction
    /// back by itself on some errors (disk full, I/O); then nothing since `begin_batch` was
    /// stored, and that is an error too.
    pub fn commit_batch(&self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            return Err(StoreError::RolledBack {
                path: self.path.clone(),
            });
        }
        self.conn
            .execute_batch("COMMIT")
            .map_err(self.err("commit transaction"))
    }
}

pub(super) fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod backup_tests;
#[cfg(test)]
mod retention_tests;
#[cfg(test)]
mod tests;
