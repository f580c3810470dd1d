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
    /// Refuses the keys a `kind = "feed"` source cannot use (the first one set, in the
    /// order below).
    pub(super) fn feed_keys(&self, raw: &RawSource) -> Result<(), ConfigError> {
        let why = |what: &str, reason: &str| {
            format!("{what} is not used with kind = \"feed\" ({reason})")
        };
        let refused: [(Option<Range<usize>>, &str, String); 5] = [
            (
                raw.max_pages.as_ref().map(|v| v.span()),
                "max_pages",
                why("max_pages", "a feed is read whole and has no pages"),
            ),
            (
                raw.page_url_template.as_ref().map(|v| v.span()),
                "page_url_template",
                why("page_url_template", "a feed has no pages"),
            ),
            (
                raw.wordpress.as_ref().map(|v| v.span()),
                "wordpress",
                why("WordPress REST detection", "the feed is the listing"),
            ),
            (
                raw.json.as_ref().map(|v| v.span()),
                "json",
                "[source.json] is only used with kind = \"json\"".to_string(),
            ),
            (
                raw.listing
                    .as_ref()
                    .map(|l| listing_span(l).unwrap_or_else(|| self.span.clone())),
                "listing",
                why(
                    "[source.listing]",
                    "entries come from the feed; use [source.article] for the pages",
                ),
            ),
        ];
        match refused
            .into_iter()
            .find_map(|(span, key, message)| span.map(|s| (s, key, message)))
        {
            Some((span, key, message)) => Err(self.err(span, key, message)),
            None => Ok(()),
        }
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
