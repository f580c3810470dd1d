//! The SQLite store: articles keyed by (source, id), listing links already seen, HTTP
//! validators per URL and per-source run state.
//!
//! WAL mode and a busy timeout let `pressfeed refresh` and the daemon share one file.
//! Schema changes are migrations numbered by `PRAGMA user_version`; a database written by a
//! newer pressfeed is refused rather than silently misread.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use url::Url;

use crate::core::model::Listing;
use crate::core::model::Validators;
use crate::core::model::{Article, ListingItem, StoredArticle};

mod migrations;

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

fn ts(t: DateTime<Utc>) -> String {
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

    fn err(&self, context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
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
    fn exec_cached<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute(p)
    }

    /// `query_row` through the statement cache (see [`Store::exec_cached`]).
    fn row_cached<T, P, F>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T>
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

    /// Stores an article. New → inserted with `first_seen = now`. Known with the same content
    /// hash → untouched. Known with a new hash → updated in place; `updated` moves to the
    /// page's modification date if that is newer than the stored one, else to `now`. A page
    /// without a date keeps its first-seen time as `published` forever.
    pub fn upsert(&mut self, a: &Article, now: DateTime<Utc>) -> Result<Upsert, StoreError> {
        let existing: Option<(String, String, String, Option<String>)> = self
            .row_cached(
                "SELECT content_hash, updated, first_seen, page_published FROM articles
                 WHERE source = ?1 AND id = ?2",
                params![a.source, a.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(self.err("look up article"))?;
        let categories = serde_json::to_string(&a.categories).unwrap_or_else(|_| "[]".into());
        let page_published = a.published.map(ts);
        let page_modified = a.modified.map(ts);
        match existing {
            None => {
                let published = a.published.unwrap_or(now);
                let updated = a.modified.filter(|m| *m > published).unwrap_or(published);
                self.exec_cached(
                    "INSERT INTO articles (source, id, url, title, summary, content_html,
                            author, categories, image, language, page_published, page_modified,
                            published, updated, first_seen, content_hash)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                            ?15, ?16)",
                    params![
                        a.source,
                        a.id,
                        a.url.as_str(),
                        a.title,
                        a.summary,
                        a.content_html,
                        a.author,
                        categories,
                        a.image.as_ref().map(Url::as_str),
                        a.language,
                        page_published,
                        page_modified,
                        ts(published),
                        ts(updated),
                        ts(now),
                        a.content_hash,
                    ],
                )
                .map_err(self.err("insert article"))?;
                Ok(Upsert::New)
            }
            Some((hash, _, _, _)) if hash == a.content_hash => Ok(Upsert::Unchanged),
            Some((_, old_updated, first_seen, old_page_published)) => {
                let old_updated = parse_ts(&old_updated).unwrap_or(now);
                let updated = match a.modified {
                    Some(m) if m > old_updated => m,
                    _ => now.max(old_updated),
                };
                // A page that never had a date keeps first-seen; one that gains a date uses it.
                let published = a
                    .published
                    .or_else(|| old_page_published.as_deref().and_then(parse_ts))
                    .unwrap_or_else(|| parse_ts(&first_seen).unwrap_or(now));
                self.exec_cached(
                    "UPDATE articles SET url = ?3, title = ?4, summary = ?5,
                            content_html = ?6, author = ?7, categories = ?8, image = ?9,
                            language = ?10, page_published = ?11, page_modified = ?12,
                            published = ?13, updated = ?14, content_hash = ?15
                         WHERE source = ?1 AND id = ?2",
                    params![
                        a.source,
                        a.id,
                        a.url.as_str(),
                        a.title,
                        a.summary,
                        a.content_html,
                        a.author,
                        categories,
                        a.image.as_ref().map(Url::as_str),
                        a.language,
                        page_published,
                        page_modified,
                        ts(published),
                        ts(updated.max(published)),
                        a.content_hash,
                    ],
                )
                .map_err(self.err("update article"))?;
                Ok(Upsert::Updated)
            }
        }
    }

    /// The newest `n` articles of a source, newest first, ties broken by id.
    pub fn recent(&self, source: &str, n: usize) -> Result<Vec<StoredArticle>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, url, title, summary, content_html, author, categories, image,
                        language, page_published, page_modified, published, updated,
                        first_seen, content_hash
                 FROM articles WHERE source = ?1
                 ORDER BY published DESC, id ASC LIMIT ?2",
            )
            .map_err(self.err("prepare recent"))?;
        let rows = stmt
            .query_map(params![source, n as i64], |r| {
                Ok(RawRow {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    title: r.get(2)?,
                    summary: r.get(3)?,
                    content_html: r.get(4)?,
                    author: r.get(5)?,
                    categories: r.get(6)?,
                    image: r.get(7)?,
                    language: r.get(8)?,
                    page_published: r.get(9)?,
                    page_modified: r.get(10)?,
                    published: r.get(11)?,
                    updated: r.get(12)?,
                    first_seen: r.get(13)?,
                    content_hash: r.get(14)?,
                })
            })
            .map_err(self.err("query recent"))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(self.err("read row"))?;
            out.push(
                row.into_stored(source)
                    .map_err(|message| StoreError::Corrupt {
                        path: self.path.clone(),
                        message,
                    })?,
            );
        }
        Ok(out)
    }

    /// Number of articles stored for a source.
    pub fn count(&self, source: &str) -> Result<usize, StoreError> {
        self.row_cached(
            "SELECT COUNT(*) FROM articles WHERE source = ?1",
            [source],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as usize)
        .map_err(self.err("count articles"))
    }

    /// What the store knows about a listing link.
    pub fn known_link(&self, source: &str, url: &str) -> Result<Option<KnownLink>, StoreError> {
        self.row_cached(
            "SELECT l.article_id, a.first_seen, l.fingerprint FROM links l
                 JOIN articles a ON a.source = l.source AND a.id = l.article_id
                 WHERE l.source = ?1 AND l.url = ?2",
            params![source, url],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(self.err("look up link"))?
        .map(|(article_id, first_seen, listing_fingerprint)| {
            Ok(KnownLink {
                article_id,
                first_seen: parse_ts(&first_seen).ok_or_else(|| StoreError::Corrupt {
                    path: self.path.clone(),
                    message: format!("bad first_seen {first_seen:?}"),
                })?,
                listing_fingerprint,
            })
        })
        .transpose()
    }

    /// Remembers that a listing link leads to `article_id`.
    pub fn remember_link(
        &self,
        source: &str,
        url: &str,
        article_id: &str,
        fingerprint: &str,
    ) -> Result<(), StoreError> {
        self.exec_cached(
            "INSERT INTO links (source, url, article_id, fingerprint) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, url) DO UPDATE SET article_id = excluded.article_id,
                    fingerprint = excluded.fingerprint",
            params![source, url, article_id, fingerprint],
        )
        .map_err(self.err("remember link"))?;
        Ok(())
    }

    /// Remembers what a listing page held, so a 304 for it can be walked like a 200.
    pub fn save_listing(
        &self,
        source: &str,
        url: &str,
        listing: &Listing,
    ) -> Result<(), StoreError> {
        let items: Vec<serde_json::Value> = listing
            .items
            .iter()
            .map(|i| {
                serde_json::json!({
                    "url": i.url.as_str(), "title": i.title, "date": i.date_text,
                    "summary": i.summary, "image": i.image,
                })
            })
            .collect();
        let items = serde_json::Value::Array(items).to_string();
        self.exec_cached(
            "INSERT INTO listing_pages (source, url, items, next) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, url) DO UPDATE SET items = excluded.items,
                    next = excluded.next",
            params![source, url, items, listing.next.as_ref().map(Url::as_str)],
        )
        .map_err(self.err("save listing page"))?;
        Ok(())
    }

    /// What a listing page held when it was last read.
    pub fn listing(&self, source: &str, url: &str) -> Result<Option<Listing>, StoreError> {
        let row: Option<(String, Option<String>)> = self
            .row_cached(
                "SELECT items, next FROM listing_pages WHERE source = ?1 AND url = ?2",
                [source, url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err("read listing page"))?;
        let Some((items, next)) = row else {
            return Ok(None);
        };
        let corrupt = |message: String| StoreError::Corrupt {
            path: self.path.clone(),
            message,
        };
        let values: Vec<serde_json::Value> = serde_json::from_str(&items)
            .map_err(|e| corrupt(format!("listing page {url}: {e}")))?;
        let text =
            |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let items = values
            .iter()
            .filter_map(|v| {
                Some(ListingItem {
                    url: Url::parse(v.get("url")?.as_str()?).ok()?,
                    title: text(v, "title"),
                    date_text: text(v, "date"),
                    summary: text(v, "summary"),
                    image: text(v, "image"),
                })
            })
            .collect();
        Ok(Some(Listing {
            misses: Vec::new(),
            items,
            next: next.and_then(|n| Url::parse(&n).ok()),
        }))
    }

    /// Stored HTTP validators of a URL fetched for `source`.
    pub fn validators(&self, source: &str, url: &str) -> Result<Option<Validators>, StoreError> {
        self.row_cached(
            "SELECT etag, last_modified FROM validators WHERE source = ?1 AND url = ?2",
            [source, url],
            |r| {
                Ok(Validators {
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                })
            },
        )
        .optional()
        .map_err(self.err("read validators"))
    }

    /// Saves (or, when both are empty, forgets) a URL's validators.
    pub fn set_validators(
        &self,
        source: &str,
        url: &str,
        v: &Validators,
    ) -> Result<(), StoreError> {
        if v.etag.is_none() && v.last_modified.is_none() {
            self.exec_cached(
                "DELETE FROM validators WHERE source = ?1 AND url = ?2",
                [source, url],
            )
            .map_err(self.err("forget validators"))?;
            return Ok(());
        }
        self.exec_cached(
            "INSERT INTO validators (source, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag,
                    last_modified = excluded.last_modified",
            params![source, url, v.etag, v.last_modified],
        )
        .map_err(self.err("save validators"))?;
        Ok(())
    }

    /// Records the end of a run of a source: success resets the failure count.
    pub fn record_run(
        &self,
        source: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
        items_found: u32,
    ) -> Result<(), StoreError> {
        let sql = if error.is_none() {
            "INSERT INTO source_state (source, created, last_attempt, last_success,
                consecutive_failures, last_error, items_found) VALUES (?1, ?2, ?2, ?2, 0, NULL, ?4)
             ON CONFLICT (source) DO UPDATE SET last_attempt = ?2, last_success = ?2,
                consecutive_failures = 0, last_error = NULL, items_found = ?4"
        } else {
            "INSERT INTO source_state (source, created, last_attempt, consecutive_failures,
                last_error, items_found) VALUES (?1, ?2, ?2, 1, ?3, ?4)
             ON CONFLICT (source) DO UPDATE SET last_attempt = ?2,
                consecutive_failures = consecutive_failures + 1, last_error = ?3,
                items_found = ?4"
        };
        self.conn
            .execute(sql, params![source, ts(at), error, items_found])
            .map_err(self.err("record run"))?;
        Ok(())
    }

    /// Records which configured selectors matched (added to the history) and which drifted.
    pub fn record_selectors(
        &self,
        source: &str,
        matched: &BTreeSet<String>,
        drift: &[String],
    ) -> Result<(), StoreError> {
        let mut all = self.source_state(source)?.matched_selectors;
        all.extend(matched.iter().cloned());
        let all = serde_json::to_string(&all).unwrap_or_else(|_| "[]".into());
        let drift = serde_json::to_string(drift).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "UPDATE source_state SET matched_selectors = ?2, drift = ?3 WHERE source = ?1",
                params![source, all, drift],
            )
            .map_err(self.err("record selectors"))?;
        Ok(())
    }

    /// Marks a listing walk as started (unfinished) and returns whether the previous one
    /// ended cleanly. A run killed or failed part-way leaves the mark, and the next run
    /// then walks every page instead of stopping at the first with nothing new.
    pub fn begin_walk(&self, source: &str) -> Result<bool, StoreError> {
        let complete: Option<bool> = self
            .conn
            .query_row(
                "SELECT walk_complete FROM source_state WHERE source = ?1",
                [source],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("read walk state"))?;
        self.conn
            .execute(
                "UPDATE source_state SET walk_complete = 0 WHERE source = ?1",
                [source],
            )
            .map_err(self.err("mark walk started"))?;
        Ok(complete.unwrap_or(false))
    }

    /// Marks the source's listing walk as finished cleanly.
    pub fn end_walk(&self, source: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE source_state SET walk_complete = 1 WHERE source = ?1",
                [source],
            )
            .map_err(self.err("mark walk finished"))?;
        Ok(())
    }

    /// The time the source was first run, registering it at `now` if it never was. A feed
    /// with no items is dated by this, so its bytes do not change from run to run.
    pub fn source_created(
        &self,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        self.conn
            .execute(
                "INSERT INTO source_state (source, created) VALUES (?1, ?2)
                 ON CONFLICT (source) DO NOTHING",
                params![source, ts(now)],
            )
            .map_err(self.err("register source"))?;
        let created: String = self
            .conn
            .query_row(
                "SELECT created FROM source_state WHERE source = ?1",
                [source],
                |r| r.get(0),
            )
            .map_err(self.err("read source created"))?;
        parse_ts(&created).ok_or_else(|| StoreError::Corrupt {
            path: self.path.clone(),
            message: format!("bad created {created:?}"),
        })
    }

    /// State of a source; default when it never ran.
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT last_attempt, last_success, consecutive_failures, last_error, items_found,
                        matched_selectors, drift
                 FROM source_state WHERE source = ?1",
                [source],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()
            .map_err(self.err("read source state"))?;
        Ok(match row {
            None => SourceState::default(),
            Some((attempt, success, failures, last_error, items, matched, drift)) => SourceState {
                last_attempt: attempt.as_deref().and_then(parse_ts),
                last_success: success.as_deref().and_then(parse_ts),
                consecutive_failures: failures.max(0) as u32,
                last_error,
                items_found: items.max(0) as u32,
                matched_selectors: serde_json::from_str(&matched).unwrap_or_default(),
                drift: serde_json::from_str(&drift).unwrap_or_default(),
            },
        })
    }
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

struct RawRow {
    id: String,
    url: String,
    title: String,
    summary: String,
    content_html: String,
    author: Option<String>,
    categories: String,
    image: Option<String>,
    language: String,
    page_published: Option<String>,
    page_modified: Option<String>,
    published: String,
    updated: String,
    first_seen: String,
    content_hash: String,
}

impl RawRow {
    fn into_stored(self, source: &str) -> Result<StoredArticle, String> {
        let time = |s: &str, what: &str| {
            parse_ts(s).ok_or_else(|| format!("article {}: bad {what} {s:?}", self.id))
        };
        let published = time(&self.published, "published")?;
        let updated = time(&self.updated, "updated")?;
        let first_seen = time(&self.first_seen, "first_seen")?;
        let url = Url::parse(&self.url).map_err(|e| format!("article {}: url: {e}", self.id))?;
        let categories: Vec<String> = serde_json::from_str(&self.categories)
            .map_err(|e| format!("article {}: categories: {e}", self.id))?;
        Ok(StoredArticle {
            article: Article {
                source: source.to_string(),
                url,
                title: self.title,
                summary: self.summary,
                content_html: self.content_html,
                published: self.page_published.as_deref().and_then(parse_ts),
                modified: self.page_modified.as_deref().and_then(parse_ts),
                author: self.author,
                categories,
                image: self.image.as_deref().and_then(|s| Url::parse(s).ok()),
                language: self.language,
                content_hash: self.content_hash,
                id: self.id,
            },
            first_seen,
            published,
            updated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::migrations::MIGRATIONS;
    use super::*;
    use chrono::TimeZone;

    fn article(id: &str, hash: &str, published: Option<DateTime<Utc>>) -> Article {
        Article {
            source: "s".into(),
            id: id.into(),
            url: Url::parse(id).unwrap(),
            title: "Заголовок".into(),
            summary: "Кратко".into(),
            content_html: "<p>Текст</p>".into(),
            published,
            modified: None,
            author: Some("Пресс-служба".into()),
            categories: vec!["Новости".into()],
            image: None,
            language: "ru".into(),
            content_hash: hash.into(),
        }
    }

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 9, 24, h, 0, 0).unwrap()
    }

    #[test]
    fn upsert_is_new_then_unchanged_then_updated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("db/p.db")).unwrap();
        let a = article("https://x.kz/1", "h1", Some(t(5)));
        assert_eq!(s.upsert(&a, t(6)).unwrap(), Upsert::New);
        assert_eq!(s.upsert(&a, t(7)).unwrap(), Upsert::Unchanged);
        let mut b = a.clone();
        b.content_hash = "h2".into();
        b.content_html = "<p>Новый текст</p>".into();
        assert_eq!(s.upsert(&b, t(8)).unwrap(), Upsert::Updated);
        let got = s.recent("s", 10).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].published, t(5));
        assert_eq!(got[0].updated, t(8));
        assert_eq!(got[0].first_seen, t(6));
        assert_eq!(got[0].article.content_html, "<p>Новый текст</p>");
        assert_eq!(got[0].article.categories, vec!["Новости".to_string()]);
    }

    #[test]
    fn undated_article_keeps_its_first_seen_time_forever() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("p.db")).unwrap();
        let a = article("https://x.kz/nodate", "h1", None);
        s.upsert(&a, t(6)).unwrap();
        let mut b = a.clone();
        b.content_hash = "h2".into();
        s.upsert(&b, t(9)).unwrap();
        let got = s.recent("s", 10).unwrap();
        assert_eq!(got[0].published, t(6));
        assert_eq!(got[0].updated, t(9));
    }

    #[test]
    fn recent_orders_newest_first_with_id_tie_break_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("p.db")).unwrap();
        for id in ["https://x.kz/b", "https://x.kz/a", "https://x.kz/c"] {
            s.upsert(&article(id, "h", Some(t(5))), t(6)).unwrap();
        }
        s.upsert(&article("https://x.kz/new", "h", Some(t(7))), t(8))
            .unwrap();
        let ids: Vec<_> = s
            .recent("s", 3)
            .unwrap()
            .into_iter()
            .map(|a| a.article.id)
            .collect();
        assert_eq!(
            ids,
            ["https://x.kz/new", "https://x.kz/a", "https://x.kz/b"]
        );
        assert_eq!(s.count("s").unwrap(), 4);
    }

    #[test]
    fn links_validators_and_state_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("p.db")).unwrap();
        s.upsert(&article("https://x.kz/1", "h", Some(t(5))), t(6))
            .unwrap();
        s.remember_link("s", "https://x.kz/1?amp=1", "https://x.kz/1", "fp")
            .unwrap();
        let k = s.known_link("s", "https://x.kz/1?amp=1").unwrap().unwrap();
        assert_eq!(k.article_id, "https://x.kz/1");
        assert_eq!(k.first_seen, t(6));
        assert!(s.known_link("s", "https://x.kz/2").unwrap().is_none());

        let v = Validators {
            etag: Some("\"abc\"".into()),
            last_modified: None,
        };
        s.set_validators("s", "https://x.kz/", &v).unwrap();
        assert_eq!(s.validators("s", "https://x.kz/").unwrap(), Some(v));
        assert_eq!(
            s.validators("other", "https://x.kz/").unwrap(),
            None,
            "validators are per source"
        );

        s.record_run("s", t(6), Some("GET https://x.kz/: HTTP 503"), 0)
            .unwrap();
        s.record_run("s", t(7), Some("again"), 0).unwrap();
        let st = s.source_state("s").unwrap();
        assert_eq!(st.consecutive_failures, 2);
        assert_eq!(st.last_success, None);
        s.record_run("s", t(8), None, 7).unwrap();
        let st = s.source_state("s").unwrap();
        assert_eq!(st.consecutive_failures, 0);
        assert_eq!(st.last_success, Some(t(8)));
        assert_eq!(st.items_found, 7);
        let matched: BTreeSet<String> = ["listing.item".to_string()].into();
        s.record_selectors("s", &matched, &["article.date".to_string()])
            .unwrap();
        let st = s.source_state("s").unwrap();
        assert_eq!(st.matched_selectors, matched);
        assert_eq!(st.drift, ["article.date"]);
        assert_eq!(s.source_created("s", t(9)).unwrap(), t(6));
        assert_eq!(s.source_created("new", t(9)).unwrap(), t(9));
        assert!(s.healthy());
    }

    #[test]
    fn reading_groups_lookups_and_leaves_an_open_write_batch_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("p.db")).unwrap();
        s.begin_batch().unwrap();
        s.upsert(&article("https://x.kz/1", "h1", Some(t(5))), t(6))
            .unwrap();
        s.remember_link("s", "https://x.kz/1", "https://x.kz/1", "fp")
            .unwrap();
        // Inside the write batch: no transaction of its own, the batch stays open.
        let known = s.reading(|s| s.known_link("s", "https://x.kz/1").unwrap());
        assert_eq!(known.map(|k| k.listing_fingerprint).as_deref(), Some("fp"));
        s.commit_batch().unwrap();
        // On its own: one read transaction, closed afterwards.
        let found = s.reading(|s| {
            assert!(!s.conn.is_autocommit());
            ["https://x.kz/1", "https://x.kz/2"].map(|u| s.known_link("s", u).unwrap().is_some())
        });
        assert_eq!(found, [true, false]);
        assert!(s.conn.is_autocommit());
    }

    #[test]
    fn migration_2_makes_articles_a_rowid_table_and_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            // A store as version 1 wrote it.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO articles (source, id, url, title, summary, content_html, author,
                    categories, image, language, page_published, page_modified, published,
                    updated, first_seen, content_hash)
                 VALUES ('s', 'https://x.kz/1', 'https://x.kz/1', 'Заголовок', 'Кратко',
                    ?1, 'Пресс-служба', '[\"Новости\"]', 'https://x.kz/1.jpg', 'ru',
                    '2025-09-24T05:00:00Z', NULL, '2025-09-24T05:00:00Z',
                    '2025-09-24T06:00:00Z', '2025-09-24T07:00:00Z', 'h1')",
                [format!("<p>{}</p>", "Текст ".repeat(3000))],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let version: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let columns: Vec<String> = s
            .conn
            .prepare("SELECT name FROM pragma_table_info('articles')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(columns.last().map(String::as_str), Some("content_html"));
        assert_eq!(columns.len(), 16);
        let sql: String = s
            .conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'articles'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        let rows = s.recent("s", 10).unwrap();
        assert_eq!(rows.len(), 1);
        let a = &rows[0].article;
        assert_eq!(
            (a.title.as_str(), a.summary.as_str(), a.author.as_deref()),
            ("Заголовок", "Кратко", Some("Пресс-служба"))
        );
        assert_eq!(
            a.content_html.len(),
            "<p></p>".len() + "Текст ".len() * 3000
        );
        assert_eq!(
            (a.categories.clone(), a.content_hash.as_str()),
            (vec!["Новости".to_string()], "h1")
        );
        assert_eq!(
            a.image.as_ref().map(Url::as_str),
            Some("https://x.kz/1.jpg")
        );
        assert_eq!(rows[0].published, t(5));
        let index: i64 = s
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'articles_recent'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, 1);
    }

    #[test]
    fn reopening_does_not_rerun_migrations_and_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        drop(Store::open(&path).unwrap());
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
