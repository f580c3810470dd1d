//! `kind = "feed"`: the listing URLs are RSS, Atom or JSON feeds. A feed has no pages and no
//! markup to pick from, so the keys that only steer listing pages are refused (with file,
//! line and key) rather than silently ignored: `[source.listing]`, `max_pages`,
//! `page_url_template`, `wordpress` and `[source.json]`. `[source.article]` applies as
//! usual: every entry's article page is extracted with it, or zero-config without it.

use std::ops::Range;

use super::ConfigError;
use super::raw::{RawListing, RawSource};
use super::span::Table;

/// A span inside a `[source.listing]` table, for pointing at it.
fn listing_span(l: &RawListing) -> Option<Range<usize>> {
    [
        &l.item, &l.link, &l.title, &l.date, &l.summary, &l.image, &l.next,
    ]
    .into_iter()
    .flatten()
    .map(|v| v.span())
    .min_by_key(|s| s.start)
}

impl Table<'_, '_> {
    /// Refuses the keys a `kind = "feed"` source cannot use.
    pub(super) fn feed_keys(&self, raw: &RawSource) -> Result<(), ConfigError> {
        let why =
            |key: &str, what: &str| format!("{what} is not used with kind = \"feed\" ({key})");
        if let Some(v) = &raw.max_pages {
            return Err(self.err(
                v.span(),
                "max_pages",
                why("a feed is read whole and has no pages", "max_pages"),
            ));
        }
        if let Some(v) = &raw.page_url_template {
            return Err(self.err(
                v.span(),
                "page_url_template",
                why("a feed has no pages", "page_url_template"),
            ));
        }
        if let Some(v) = &raw.wordpress {
            return Err(self.err(
                v.span(),
                "wordpress",
                why("the feed is the listing", "WordPress REST detection"),
            ));
        }
        if let Some(v) = &raw.json {
            return Err(self.err(
                v.span(),
                "json",
                "[source.json] is only used with kind = \"json\"",
            ));
        }
        if let Some(l) = &raw.listing {
            let span = listing_span(l).unwrap_or_else(|| self.span.clone());
            return Err(self.err(
                span,
                "listing",
                why(
                    "entries come from the feed; use [source.article] for the pages",
                    "[source.listing]",
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, SourceKind};

    const FEED: &str = r#"[[source]]
id = "feed"
title = "Feed"
kind = "feed"
listing_urls = ["https://example.kz/feed/"]
"#;

    fn err(text: &str) -> String {
        match Config::parse(text, Path::new("config.toml")) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn feed_source_parses_with_article_rules() {
        let text = format!("{FEED}\n[source.article]\ncontent = \".entry-content\"\n");
        let c = Config::parse(&text, Path::new("config.toml")).expect("valid");
        let s = &c.sources[0];
        assert_eq!(s.kind, SourceKind::Feed);
        assert_eq!(s.listing_urls[0].as_str(), "https://example.kz/feed/");
        assert_eq!(s.max_pages, 1);
        assert!(s.article.content.is_some());
    }

    #[test]
    fn feed_source_refuses_listing_keys_with_file_line_and_key() {
        assert_eq!(
            err(&format!("{FEED}max_pages = 3\n")),
            "config.toml:6:13: source[0].max_pages: max_pages is not used with kind = \"feed\" \
             (a feed is read whole and has no pages)"
        );
        assert_eq!(
            err(&format!("{FEED}\n[source.listing]\nitem = \"article\"\n")),
            "config.toml:8:8: source[0].listing: [source.listing] is not used with kind = \
             \"feed\" (entries come from the feed; use [source.article] for the pages)"
        );
        assert_eq!(
            err(&format!("{FEED}wordpress = \"off\"\n")),
            "config.toml:6:13: source[0].wordpress: WordPress REST detection is not used with \
             kind = \"feed\" (the feed is the listing)"
        );
        assert!(
            err(&format!(
                "{FEED}page_url_template = \"https://example.kz/feed/?paged={{n}}\"\n"
            ))
            .starts_with("config.toml:6:21: source[0].page_url_template:")
        );
        assert!(
            err(&FEED.replace("listing_urls = [\"https://example.kz/feed/\"]\n", ""))
                .ends_with("source[0].listing_urls: missing required key")
        );
        assert!(
            err(&FEED.replace("https://example.kz/feed/", "ftp://example.kz/feed"))
                .contains("source[0].listing_urls")
        );
    }
}
