//! Retention: removing a source's old articles by its `keep_days` / `keep_items`, never
//! one its feed shows, and remembering each removed one so runs do not bring it back.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreError, ts};
use crate::core::retention::Retention;

/// What one prune of one source did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub pruned: usize,
    /// Articles of the source left in the store.
    pub kept: usize,
}

impl Store {
    /// Removes the articles of `source` that `keep` lets go, except the newest
    /// `feed_items` in feed order (published descending, id ascending: what
    /// [`Store::recent`] returns), which are never removed. Each removed article is
    /// remembered in `pruned` with its first-seen time, so the listing links that led to it
    /// stay known and are not fetched or stored again. All in one transaction.
    pub fn prune(
        &mut self,
        source: &str,
        keep: Retention,
        feed_items: usize,
        now: DateTime<Utc>,
    ) -> Result<PruneReport, StoreError> {
        if keep.keeps_everything() {
            return Ok(PruneReport {
                pruned: 0,
                kept: self.count(source)?,
            });
        }
        let cutoff = keep
            .keep_days
            .map(|d| ts(now - chrono::Duration::days(i64::from(d))));
        let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let path = self.path.clone();
        let sqlite = |context: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sqlite {
                path,
                context: context.into(),
                source,
            }
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite("begin prune"))?;
        let doomed: Vec<(String, String, String)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT id, url, first_seen FROM (
                        SELECT id, url, first_seen, published,
                               ROW_NUMBER() OVER (ORDER BY published DESC, id ASC) AS rank
                        FROM articles WHERE source = ?1)
                     WHERE rank > ?2
                       AND ((?3 IS NOT NULL AND published < ?3)
                            OR (?4 IS NOT NULL AND rank > ?4))",
                )
                .map_err(sqlite("prepare prune"))?;
            let rows = stmt
                .query_map(
                    params![
                        source,
                        to_i64(feed_items),
                        cutoff,
                        keep.keep_items.map(to_i64)
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(sqlite("select articles to prune"))?;
            rows.collect::<Result<_, _>>()
                .map_err(sqlite("read articles to prune"))?
        };
        for (id, url, first_seen) in &doomed {
            tx.execute(
                "INSERT INTO pruned (source, id, first_seen, pruned_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, id) DO NOTHING",
                params![source, id, first_seen, ts(now)],
            )
            .and_then(|_| {
                tx.execute(
                    "DELETE FROM articles WHERE source = ?1 AND id = ?2",
                    params![source, id],
                )
            })
            // The article page's validators would only ever serve a fetch that no longer
            // happens.
            .and_then(|_| {
                tx.execute(
                    "DELETE FROM validators WHERE source = ?1 AND url = ?2",
                    params![source, url],
                )
            })
            .map_err(sqlite("prune article"))?;
        }
        tx.commit().map_err(sqlite("commit prune"))?;
        Ok(PruneReport {
            pruned: doomed.len(),
            kept: self.count(source)?,
        })
    }

    /// Whether retention removed this article.
    pub(super) fn was_pruned(&self, source: &str, id: &str) -> Result<bool, StoreError> {
        self.row_cached(
            "SELECT 1 FROM pruned WHERE source = ?1 AND id = ?2",
            params![source, id],
            |_| Ok(()),
        )
        .optional()
        .map(|r| r.is_some())
        .map_err(self.err("look up pruned article"))
    }
}
