//! What a run remembers about URLs: which listing link leads to which article (and what
//! the listing showed for it), what each listing page held, and each URL's HTTP validators.

use rusqlite::{OptionalExtension, params};
use url::Url;

use super::{KnownLink, Store, StoreError, parse_ts};
use crate::core::model::{Listing, ListingItem, Validators};

impl Store {
    /// What the store knows about a listing link.
    pub fn known_link(&self, source: &str, url: &str) -> Result<Option<KnownLink>, StoreError> {
        // A link whose article retention pruned is still known (see `pruned`), so the
        // listing that shows it does not make it new again.
        self.row_cached(
            "SELECT l.article_id, COALESCE(a.first_seen, p.first_seen), l.fingerprint,
                    a.id IS NULL
                 FROM links l
                 LEFT JOIN articles a ON a.source = l.source AND a.id = l.article_id
                 LEFT JOIN pruned p ON p.source = l.source AND p.id = l.article_id
                 WHERE l.source = ?1 AND l.url = ?2 AND (a.id IS NOT NULL OR p.id IS NOT NULL)",
            params![source, url],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get::<_, bool>(3)?,
                ))
            },
        )
        .optional()
        .map_err(self.err("look up link"))?
        .map(|(article_id, first_seen, listing_fingerprint, pruned)| {
            Ok(KnownLink {
                pruned,
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
}
