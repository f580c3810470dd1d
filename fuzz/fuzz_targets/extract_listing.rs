//! `extract_listing` on arbitrary HTML, with no rules (generic heuristics) and with the
//! WordPress fixture's selectors.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pressfeed::config::{Config, ListingRules};
use url::Url;

static RULES: LazyLock<ListingRules> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/wp/config.toml");
    Config::parse(text, std::path::Path::new("wp.toml"))
        .ok()
        .and_then(|c| c.sources.into_iter().next())
        .map(|s| s.listing)
        .unwrap_or_default()
});

fuzz_target!(|html: &str| {
    let Ok(url) = Url::parse("http://press.fixture/category/news/") else {
        return;
    };
    let _ = pressfeed::extract::extract_listing(html, &url, &ListingRules::default());
    let listing = pressfeed::extract::extract_listing(html, &url, &RULES);
    for item in listing.items {
        assert!(matches!(item.url.scheme(), "http" | "https"));
    }
});
