//! Sitemaps: the zero-config fallback when a listing page shows no article links (a
//! JavaScript-rendered list, an unusual theme).
//!
//! Candidates come from robots.txt `Sitemap:` lines, then `/sitemap.xml` and
//! `/wp-sitemap.xml`. Sitemap indexes are followed one level deep (newest child sitemaps
//! first); `<url>` entries and Google News entries (`news:publication_date`,
//! `news:title`) become listing items, newest first by `lastmod`, at most `limit` of them.
//! Parsing is pure ([`parse`]); fetching goes through the shared [`Fetcher`] so robots.txt,
//! politeness and size caps apply.

use chrono::{DateTime, NaiveDate, Utc};
use url::Url;

use crate::core::model::ListingItem;
use crate::http::{Fetcher, RequestPolicy};

/// Child sitemaps read from one index: enough for recent news, bounded for huge archives.
const MAX_CHILD_SITEMAPS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("sitemap {url}: not well-formed XML: {message}")]
    Xml { url: String, message: String },
    #[error("sitemap {url}: root element <{root}> is neither <urlset> nor <sitemapindex>")]
    NotSitemap { url: String, root: String },
    #[error("no sitemap found for {site} (tried robots.txt, /sitemap.xml, /wp-sitemap.xml)")]
    NoneFound { site: String },
}

/// One `<url>` or `<sitemap>` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub loc: Url,
    /// `lastmod`, or the Google News `publication_date`, as written.
    pub lastmod: Option<String>,
    /// Google News `news:title`.
    pub title: Option<String>,
}

/// A parsed sitemap document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    Index(Vec<Entry>),
    Urls(Vec<Entry>),
}

/// `Sitemap:` lines of a robots.txt (the directive is global, case-insensitive).
pub fn robots_sitemaps(robots_txt: &str, base: &Url) -> Vec<Url> {
    robots_txt
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("sitemap")
                .then(|| base.join(v.trim()).ok())
                .flatten()
        })
        .collect()
}

/// Parses a sitemap or sitemap index. Entries with unusable `loc`s are skipped.
pub fn parse(xml: &str, url: &Url) -> Result<Sitemap, SitemapError> {
    let doc = roxmltree::Document::parse(xml.trim_start_matches('\u{feff}')).map_err(|e| {
        SitemapError::Xml {
            url: url.to_string(),
            message: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    let child_text = |n: roxmltree::Node<'_, '_>, name: &str| {
        n.descendants()
            .find(|c| c.is_element() && c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let entries = |tag: &str| {
        root.children()
            .filter(|c| c.is_element() && c.tag_name().name() == tag)
            .filter_map(|c| {
                let loc = url.join(&child_text(c, "loc")?).ok()?;
                Some(Entry {
                    loc,
                    lastmod: child_text(c, "lastmod").or_else(|| child_text(c, "publication_date")),
                    title: child_text(c, "title"),
                })
            })
            .collect::<Vec<_>>()
    };
    match root.tag_name().name() {
        "urlset" => Ok(Sitemap::Urls(entries("url"))),
        "sitemapindex" => Ok(Sitemap::Index(entries("sitemap"))),
        other => Err(SitemapError::NotSitemap {
            url: url.to_string(),
            root: other.to_string(),
        }),
    }
}

/// A W3C datetime (`2025-09-24`, `2025-09-24T10:12:00+05:00`) as an instant, for sorting.
fn instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
        })
}

/// Newest first; entries without a usable date keep their order after the dated ones.
fn newest_first(entries: &mut [Entry]) {
    entries.sort_by_key(|e| std::cmp::Reverse(e.lastmod.as_deref().and_then(instant)));
}

async fn fetch_text(fetcher: &Fetcher, url: &Url) -> Option<String> {
    let accept = "application/xml,text/xml;q=0.9,*/*;q=0.5";
    match fetcher
        .get_resource(url, accept, &[], RequestPolicy::default())
        .await
    {
        Ok(r) => Some(String::from_utf8_lossy(&r.body).into_owned()),
        Err(e) => {
            tracing::debug!(%url, error = %e, "sitemap candidate not readable");
            None
        }
    }
}

/// Article entries from the site's sitemaps, newest first, at most `limit`. `requests`
/// counts the HTTP requests made.
pub async fn discover(
    fetcher: &Fetcher,
    site: &Url,
    limit: usize,
    requests: &mut u64,
) -> Result<Vec<ListingItem>, SitemapError> {
    let mut candidates = Vec::new();
    if let Ok(robots) = site.join("/robots.txt") {
        *requests += 1;
        if let Some(text) = fetch_text(fetcher, &robots).await {
            candidates.extend(robots_sitemaps(&text, site));
        }
    }
    for p in ["/sitemap.xml", "/wp-sitemap.xml"] {
        if let Ok(u) = site.join(p)
            && !candidates.contains(&u)
        {
            candidates.push(u);
        }
    }
    for candidate in candidates {
        *requests += 1;
        let Some(text) = fetch_text(fetcher, &candidate).await else {
            continue;
        };
        let mut entries = match parse(&text, &candidate) {
            Ok(Sitemap::Urls(e)) => e,
            Ok(Sitemap::Index(mut children)) => {
                newest_first(&mut children);
                let mut all = Vec::new();
                for child in children.iter().take(MAX_CHILD_SITEMAPS) {
                    *requests += 1;
                    if let Some(t) = fetch_text(fetcher, &child.loc).await
                        && let Ok(Sitemap::Urls(e)) = parse(&t, &child.loc)
                    {
                        all.extend(e);
                    }
                }
                all
            }
            Err(e) => {
                tracing::debug!(error = %e, "sitemap candidate skipped");
                continue;
            }
        };
        // The home page and archive pages are listed too; they are not articles.
        entries.retain(|e| e.loc.path() != "/" && !e.loc.path().contains("/category/"));
        if entries.is_empty() {
            continue;
        }
        newest_first(&mut entries);
        entries.truncate(limit);
        return Ok(entries
            .into_iter()
            .map(|e| ListingItem {
                url: e.loc,
                title: e.title,
                date_text: e.lastmod,
                summary: None,
                image: None,
            })
            .collect());
    }
    Err(SitemapError::NoneFound {
        site: site.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn robots_lines() {
        let r = "User-agent: *\nDisallow: /wp-admin/\nSitemap: https://x.kz/sitemap_index.xml\nsitemap:/news-sitemap.xml\n";
        assert_eq!(
            robots_sitemaps(r, &u("https://x.kz/")),
            vec![
                u("https://x.kz/sitemap_index.xml"),
                u("https://x.kz/news-sitemap.xml")
            ]
        );
    }

    #[test]
    fn urlset_news_and_index() {
        let xml = r#"<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://x.kz/a/</loc><lastmod>2025-09-20</lastmod></url>
  <url><loc>https://x.kz/b/</loc><news:news><news:publication_date>2025-09-24T10:12:00+05:00</news:publication_date><news:title>Б</news:title></news:news></url>
  <url><loc>https://x.kz/c/</loc></url>
</urlset>"#;
        let Sitemap::Urls(mut e) = parse(xml, &u("https://x.kz/sitemap.xml")).unwrap() else {
            panic!("urlset expected");
        };
        newest_first(&mut e);
        let locs: Vec<&str> = e.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(
            locs,
            ["https://x.kz/b/", "https://x.kz/a/", "https://x.kz/c/"]
        );
        assert_eq!(e[0].title.as_deref(), Some("Б"));

        let idx = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/wp-sitemap-posts-post-1.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse(idx, &u("https://x.kz/wp-sitemap.xml")).unwrap(),
            Sitemap::Index(vec![Entry {
                loc: u("https://x.kz/wp-sitemap-posts-post-1.xml"),
                lastmod: None,
                title: None
            }])
        );
        assert!(matches!(
            parse("<html/>", &u("https://x.kz/s.xml")),
            Err(SitemapError::NotSitemap { .. })
        ));
        assert!(matches!(
            parse("<urlset", &u("https://x.kz/s.xml")),
            Err(SitemapError::Xml { .. })
        ));
    }
}
