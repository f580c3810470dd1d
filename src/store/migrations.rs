//! The schema, as migrations numbered by `PRAGMA user_version`: each runs once, in its own
//! transaction, and a database written by a newer pressfeed is refused rather than
//! silently misread.

use super::{Store, StoreError};

/// Each entry upgrades the schema by one `user_version`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: articles, seen listing links, HTTP validators, source state.
    "CREATE TABLE articles (
        source        TEXT NOT NULL,
        id            TEXT NOT NULL,
        url           TEXT NOT NULL,
        title         TEXT NOT NULL,
        summary       TEXT NOT NULL,
        content_html  TEXT NOT NULL,
        author        TEXT,
        categories    TEXT NOT NULL,      -- JSON array of strings
        image         TEXT,
        language      TEXT NOT NULL,
        page_published TEXT,              -- RFC 3339 as stated by the page, if any
        page_modified TEXT,
        published     TEXT NOT NULL,      -- RFC 3339 UTC used in feeds
        updated       TEXT NOT NULL,
        first_seen    TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        PRIMARY KEY (source, id)
     ) WITHOUT ROWID;
     CREATE INDEX articles_recent ON articles (source, published DESC, id);
     CREATE TABLE links (
        source        TEXT NOT NULL,
        url           TEXT NOT NULL,
        article_id    TEXT NOT NULL,
        fingerprint   TEXT NOT NULL,
        PRIMARY KEY (source, url)
     ) WITHOUT ROWID;
     -- Per source: two sources may list the same pages and articles, and one source's 304
     -- must never stand for a page the other has not stored.
     CREATE TABLE listing_pages (
        source        TEXT NOT NULL,
        url           TEXT NOT NULL,
        items         TEXT NOT NULL,      -- JSON: what extract_listing found
        next          TEXT,
        PRIMARY KEY (source, url)
     ) WITHOUT ROWID;
     CREATE TABLE validators (
        source        TEXT NOT NULL,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        PRIMARY KEY (source, url)
     ) WITHOUT ROWID;
     CREATE TABLE source_state (
        source        TEXT PRIMARY KEY,
        created       TEXT NOT NULL,      -- first run; the date of a feed with no items
        last_attempt  TEXT,
        last_success  TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        items_found   INTEGER NOT NULL DEFAULT 0,
        matched_selectors TEXT NOT NULL DEFAULT '[]', -- JSON: configured selectors that ever matched
        drift         TEXT NOT NULL DEFAULT '[]',     -- JSON: of those, the ones that matched nothing last run
        walk_complete INTEGER NOT NULL DEFAULT 0      -- the last listing walk ended cleanly
     ) WITHOUT ROWID;",
    // 2: `articles` as a rowid table, small columns first. As a WITHOUT ROWID table its
    // b-tree cells were whole rows of several KB, spilling into overflow pages, and SQLite
    // loads a cell's entire payload to compare keys on the way down: every lookup by
    // (source, id) read a dozen rows' overflow chains (rendering 50 items: ~1 500 page
    // reads). Now the key lives in a small automatic index, the row in a rowid b-tree, and
    // the ~10 KB body comes last so reading the other columns never touches it.
    "CREATE TABLE articles_v2 (
        source        TEXT NOT NULL,
        id            TEXT NOT NULL,
        url           TEXT NOT NULL,
        title         TEXT NOT NULL,
        author        TEXT,
        categories    TEXT NOT NULL,      -- JSON array of strings
        image         TEXT,
        language      TEXT NOT NULL,
        page_published TEXT,              -- RFC 3339 as stated by the page, if any
        page_modified TEXT,
        published     TEXT NOT NULL,      -- RFC 3339 UTC used in feeds
        updated       TEXT NOT NULL,
        first_seen    TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        summary       TEXT NOT NULL,
        content_html  TEXT NOT NULL,
        PRIMARY KEY (source, id)
     );
     INSERT INTO articles_v2 (source, id, url, title, author, categories, image, language,
            page_published, page_modified, published, updated, first_seen, content_hash,
            summary, content_html)
        SELECT source, id, url, title, author, categories, image, language,
            page_published, page_modified, published, updated, first_seen, content_hash,
            summary, content_html
        FROM articles;
     DROP TABLE articles;
     ALTER TABLE articles_v2 RENAME TO articles;
     CREATE INDEX articles_recent ON articles (source, published DESC, id);",
    // 3: retention and alerts. `pruned` remembers each article retention removed, so a
    // listing that still shows it does not bring it back as new (its `links` rows stay and
    // lead here); `alert_state` is what the alert webhook was last told per source, so a
    // restart does not alert again.
    "CREATE TABLE pruned (
        source        TEXT NOT NULL,
        id            TEXT NOT NULL,
        first_seen    TEXT NOT NULL,
        pruned_at     TEXT NOT NULL,
        PRIMARY KEY (source, id)
     ) WITHOUT ROWID;
     CREATE TABLE alert_state (
        source        TEXT PRIMARY KEY,
        failing       INTEGER NOT NULL DEFAULT 0,
        drift         TEXT NOT NULL DEFAULT '[]'  -- JSON: the drifted selectors last alerted
     ) WITHOUT ROWID;",
    // 4: stored articles per source, kept by triggers. The index page (written after every
    // refresh and render) shows each source's count, and COUNT(*) walks the whole primary-key
    // index: two thirds of a `render` at 100 000 stored articles. Articles are only ever
    // INSERTed, UPDATEd (never moving source) and DELETEd, so these two triggers see every
    // change.
    "CREATE TABLE article_counts (
        source        TEXT PRIMARY KEY,
        n             INTEGER NOT NULL
     ) WITHOUT ROWID;
     INSERT INTO article_counts (source, n) SELECT source, COUNT(*) FROM articles GROUP BY source;
     CREATE TRIGGER article_counts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO article_counts (source, n) VALUES (NEW.source, 1)
            ON CONFLICT (source) DO UPDATE SET n = n + 1;
     END;
     CREATE TRIGGER article_counts_delete AFTER DELETE ON articles BEGIN
        UPDATE article_counts SET n = n - 1 WHERE source = OLD.source;
     END;",
];

impl Store {
    pub(super) fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let found: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(self.err("read user_version"))?;
        if found > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i64 + 1;
            let path = self.path.clone();
            let tx = self
                .conn
                .transaction()
                .map_err(|source| StoreError::Sqlite {
                    path: path.clone(),
                    context: "begin migration".into(),
                    source,
                })?;
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", version))
                .and_then(|_| tx.commit())
                .map_err(|source| StoreError::Sqlite {
                    path,
                    context: format!("migration to version {version}"),
                    source,
                })?;
        }
        Ok(())
    }
}
