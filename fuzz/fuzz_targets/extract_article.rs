//! `extract_article` then `normalize` on arbitrary HTML; a normalized article's HTML must
//! contain no script and its URLs must be http(s).
#![no_main]

use std::sync::LazyLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use pressfeed::config::{Config, Source};
use url::Url;

static SOURCE: LazyLock<Option<Source>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/wp/config.toml");
    Config::parse(text, std::path::Path::new("wp.toml"))
        .ok()
        .and_then(|c| c.sources.into_iter().next())
});

fuzz_target!(|html: &str| {
    let (Ok(url), Some(source)) = (
        Url::parse("http://press.fixture/2025/09/24/a/"),
        SOURCE.as_ref(),
    ) else {
        return;
    };
    let _ = pressfeed::extract::extract_article(html, &url, &Default::default());
    let raw = pressfeed::extract::extract_article(html, &url, &source.article);
    let now = Utc.with_ymd_and_hms(2025, 10, 1, 12, 0, 0).unwrap();
    if let Ok(n) = pressfeed::normalize::normalize(raw, source, now) {
        let a = n.article;
        assert!(matches!(a.url.scheme(), "http" | "https"));
        assert!(!a.content_html.to_ascii_lowercase().contains("<script"));
        if let Some(image) = a.image {
            assert!(matches!(image.scheme(), "http" | "https"));
        }
    }
});
