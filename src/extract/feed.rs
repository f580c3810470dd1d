//! Feeds as listings: the entries of an RSS, Atom or JSON Feed document (parsed by the
//! `feed-rs` crate) as article links with what the feed says about each, and the feeds a
//! page advertises with `<link rel="alternate">`.
//!
//! A feed is only a listing here: every entry's full text and fields come from its article
//! page, and the feed's own title, dates, author and categories fill what the page lacks
//! (summary-only feeds carry no body worth keeping).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use url::Url;

use super::html::{base_url, resolve, sel};
use crate::core::model::{DateCandidate, ListingItem, RawArticle};
use crate::core::text::{collapse_whitespace, html_fragment_text};

/// The `Accept` header of feed requests.
pub const FEED_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1";

/// Why a feed could not be used as a listing.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("feed {url}: not a readable RSS, Atom or JSON feed: {reason}")]
    Parse { url: String, reason: String },
}

/// One feed entry: its article link and the fields the article page may lack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The article page, absolute (relative links are resolved against the feed URL).
    pub link: Url,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    /// The feed's excerpt as plain text (a changed one is worth a re-fetch).
    pub summary: Option<String>,
}

impl FeedEntry {
    /// The entry as a listing entry (its fingerprint decides re-fetches like a listing's).
    pub fn listing_item(&self) -> ListingItem {
        ListingItem {
            url: self.link.clone(),
            title: self.title.clone(),
            date_text: self.updated.or(self.published).map(|d| d.to_rfc3339()),
            summary: self.summary.clone(),
            image: None,
        }
    }

    /// Fills what the article page did not say with what the feed said. The feed's dates go
    /// last in the date ladders, so a page date that parses always wins.
    pub fn fill(&self, mut raw: RawArticle) -> RawArticle {
        if raw.title.is_none()
            && let Some(t) = &self.title
        {
            raw.title = Some(t.clone());
            raw.provenance.push(("title", "feed entry title".into()));
        }
        if let Some(d) = self.published.or(self.updated) {
            if raw.published.is_empty() {
                raw.provenance.push(("published", "feed entry date".into()));
            }
            raw.published.push(DateCandidate {
                text: d.to_rfc3339(),
                origin: "feed entry date",
            });
        }
        if let Some(d) = self.updated.filter(|u| Some(*u) != self.published) {
            raw.modified.push(DateCandidate {
                text: d.to_rfc3339(),
                origin: "feed entry updated",
            });
        }
        if raw.author.is_none()
            && let Some(a) = &self.author
        {
            raw.author = Some(a.clone());
            raw.provenance.push(("author", "feed entry author".into()));
        }
        if raw.categories.is_empty() && !self.categories.is_empty() {
            raw.categories = self.categories.clone();
            raw.provenance
                .push(("categories", "feed entry categories".into()));
        }
        raw
    }
}

/// The entries of a feed document, in feed order; entries without a usable http(s) link
/// are left out.
pub fn parse_feed(bytes: &[u8], feed_url: &Url) -> Result<Vec<FeedEntry>, FeedError> {
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        .build()
        .parse(bytes)
        .map_err(|e| FeedError::Parse {
            url: feed_url.to_string(),
            reason: e.to_string(),
        })?;
    Ok(feed
        .entries
        .into_iter()
        .filter_map(|e| entry(e, feed_url))
        .collect())
}

fn entry(e: feed_rs::model::Entry, feed_url: &Url) -> Option<FeedEntry> {
    // The article page: the `alternate` link (Atom), else the first link (RSS `<link>`,
    // JSON Feed `url`), else an id that is a URL (RSS permalink guids).
    let href = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .map(|l| l.href.clone())
        .or_else(|| {
            (e.id.starts_with("http://") || e.id.starts_with("https://")).then(|| e.id.clone())
        })?;
    let link = resolve(feed_url, &href)?;
    let text = |t: Option<feed_rs::model::Text>| {
        t.map(|t| collapse_whitespace(&html_fragment_text(&t.content)))
            .filter(|t| !t.is_empty())
    };
    let author = e
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref())
        .map(collapse_whitespace)
        .find(|n| !n.is_empty());
    let categories = e
        .categories
        .iter()
        .map(|c| collapse_whitespace(c.label.as_deref().unwrap_or(&c.term)))
        .filter(|c| !c.is_empty())
        .collect();
    Some(FeedEntry {
        link,
        title: text(e.title),
        published: e.published,
        updated: e.updated,
        author,
        categories,
        summary: text(e.summary),
    })
}

static ALTERNATE: LazyLock<Selector> =
    LazyLock::new(|| sel("link[rel~=alternate][type][href], link[rel~=ALTERNATE][type][href]"));

/// The feeds a page advertises (`<link rel="alternate" type="application/rss+xml">`, Atom,
/// JSON Feed), best first: comment feeds left out, and a feed under the page's own path
/// (a WordPress category feed on its category page) before the site-wide one.
pub fn advertised_feeds(html: &str, page_url: &Url) -> Vec<Url> {
    let doc = Html::parse_document(html);
    let base = base_url(&doc, page_url);
    let mut feeds: Vec<Url> = doc
        .select(&ALTERNATE)
        .filter(|l| {
            let t = l.value().attr("type").unwrap_or_default().trim();
            [
                "application/rss+xml",
                "application/atom+xml",
                "application/feed+json",
            ]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
        })
        .filter(|l| {
            let title = l.value().attr("title").unwrap_or_default().to_lowercase();
            let href = l.value().attr("href").unwrap_or_default();
            !(title.contains("comment")
                || title.contains("коммент")
                || title.contains("пікір")
                || href.contains("/comments/feed"))
        })
        .filter_map(|l| resolve(&base, l.value().attr("href")?))
        .collect();
    feeds.dedup();
    let page_path = page_url.path().trim_end_matches('/');
    let under_page = |f: &Url| {
        f.host_str() == page_url.host_str()
            && !page_path.is_empty()
            && f.path().starts_with(page_path)
    };
    // Stable: document order within each group.
    feeds.sort_by_key(|f| !under_page(f));
    feeds
}

/// Whether `link` is on one of `hosts` (or its `www.` twin): feeds may list other sites'
/// pages (aggregated or syndicated items), which are not this source's articles.
pub fn same_site(link: &Url, hosts: &[&str]) -> bool {
    let bare = |h: &str| h.trim_start_matches("www.").to_ascii_lowercase();
    link.host_str()
        .is_some_and(|h| hosts.iter().any(|x| bare(x) == bare(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Пресс-центр</title><link>https://x.kz/</link><description>d</description>
<item><title>Первая &amp; новость</title><link>/2025/10/01/pervaya/</link>
<pubDate>Wed, 01 Oct 2025 05:00:00 +0000</pubDate><dc:creator><![CDATA[Пресс-служба]]></dc:creator>
<category><![CDATA[Новости]]></category><guid isPermaLink="false">https://x.kz/?p=1</guid>
<description><![CDATA[<p>Краткое содержание&#8230;</p>]]></description></item>
<item><title>Без ссылки</title><description>x</description></item>
</channel></rss>"#;

    #[test]
    fn rss_entries_with_relative_links_and_fields() {
        let e = parse_feed(RSS.as_bytes(), &u("https://x.kz/feed/")).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].link.as_str(), "https://x.kz/2025/10/01/pervaya/");
        assert_eq!(e[0].title.as_deref(), Some("Первая & новость"));
        assert_eq!(e[0].author.as_deref(), Some("Пресс-служба"));
        assert_eq!(e[0].categories, vec!["Новости".to_string()]);
        assert_eq!(e[0].summary.as_deref(), Some("Краткое содержание…"));
        assert_eq!(
            e[0].published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-10-01T05:00:00+00:00")
        );
    }

    #[test]
    fn json_feed_entries() {
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "t",
            "items": [{"id": "1", "url": "https://x.kz/a/", "title": "А",
            "date_published": "2025-10-01T10:00:00+05:00", "authors": [{"name": "Б"}],
            "tags": ["В"], "summary": "Кратко"}]}"#;
        let e = parse_feed(json.as_bytes(), &u("https://x.kz/feed.json")).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].link.as_str(), "https://x.kz/a/");
        assert_eq!(e[0].author.as_deref(), Some("Б"));
        assert_eq!(e[0].categories, vec!["В".to_string()]);
        assert_eq!(
            e[0].published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-10-01T05:00:00+00:00")
        );
    }

    #[test]
    fn broken_feed_is_an_error() {
        assert!(parse_feed(b"<html><body>404</body></html>", &u("https://x.kz/feed/")).is_err());
    }

    #[test]
    fn page_fields_win_and_the_feed_fills_the_rest() {
        let e = &parse_feed(RSS.as_bytes(), &u("https://x.kz/feed/")).unwrap()[0];
        let raw = RawArticle {
            author: Some("Автор страницы".into()),
            ..Default::default()
        };
        let filled = e.fill(raw);
        assert_eq!(filled.author.as_deref(), Some("Автор страницы"));
        assert_eq!(filled.categories, vec!["Новости".to_string()]);
        assert_eq!(filled.published.last().unwrap().origin, "feed entry date");
    }

    #[test]
    fn advertised_feeds_prefer_the_page_own_and_skip_comments() {
        let html = r#"<html><head>
            <link rel="alternate" type="application/rss+xml" title="Site » Лента" href="https://x.kz/feed/">
            <link rel="alternate" type="application/rss+xml" title="Site » Лента комментариев" href="https://x.kz/comments/feed/">
            <link rel="alternate" type="application/rss+xml" title="Site » Лента рубрики" href="/category/news/feed/">
            <link rel="alternate" hreflang="kk" href="https://x.kz/kk/">
            </head><body></body></html>"#;
        let f = advertised_feeds(html, &u("https://x.kz/category/news/"));
        let f: Vec<&str> = f.iter().map(Url::as_str).collect();
        assert_eq!(
            f,
            vec!["https://x.kz/category/news/feed/", "https://x.kz/feed/"]
        );
    }

    #[test]
    fn same_site_ignores_www() {
        assert!(same_site(&u("https://www.x.kz/a"), &["x.kz"]));
        assert!(!same_site(&u("https://y.kz/a"), &["x.kz", "www.x.kz"]));
    }
}
