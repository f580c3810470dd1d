//! Articles: stored once per (source, id), updated in place when their content changes,
//! read back newest first for the feeds.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use url::Url;

use super::{Store, StoreError, Upsert, parse_ts, ts};
use crate::core::model::{Article, StoredArticle};

impl Store {
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
            // Retention removed it: a page fetched again (a new link to it, `--refetch`)
            // does not bring it back.
            None if self.was_pruned(&a.source, &a.id)? => Ok(Upsert::Unchanged),
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
        self.recent_where(source, n, |_| true)
    }

    /// The newest `n` articles of a source that `keep` accepts, newest first, ties broken by
    /// id. Rows are read newest first until `n` are kept, so a filter that drops the newest
    /// articles still fills the feed from older stored ones; without a filter this reads
    /// exactly `n` rows, walking the `articles_recent` index (no sort).
    pub fn recent_where(
        &self,
        source: &str,
        n: usize,
        mut keep: impl FnMut(&StoredArticle) -> bool,
    ) -> Result<Vec<StoredArticle>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, url, title, summary, content_html, author, categories, image,
                        language, page_published, page_modified, published, updated,
                        first_seen, content_hash
                 FROM articles WHERE source = ?1
                 ORDER BY published DESC, id ASC",
            )
            .map_err(self.err("prepare recent"))?;
        let rows = stmt
            .query_map(params![source], |r| {
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
        if n == 0 {
            return Ok(out);
        }
        for row in rows {
            let row = row.map_err(self.err("read row"))?;
            let stored = row
                .into_stored(source)
                .map_err(|message| StoreError::Corrupt {
                    path: self.path.clone(),
                    message,
                })?;
            if keep(&stored) {
                out.push(stored);
                if out.len() == n {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Number of articles stored for a source.
    pub fn count(&self, source: &str) -> Result<usize, StoreError> {
        self.row_cached(
            "SELECT COALESCE((SELECT n FROM article_counts WHERE source = ?1), 0)",
            [source],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as usize)
        .map_err(self.err("count articles"))
    }
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
