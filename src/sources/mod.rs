//! Source kinds read through an API or an index rather than listing pages: JSON APIs
//! (`kind = "json"`, with the sessions of gated APIs in `gate`), the WordPress REST API an
//! HTML source turns out to have, sitemaps (the zero-config fallback), and Telegram channel
//! previews (`kind = "telegram"`). Each maps what it reads to [`RawArticle`]s or listing
//! entries, so normalize, store and render treat them like scraped pages.
//!
//! Layer: uses `http`, `extract`, `normalize`, `config` and `core`; never the store.

pub mod gate;
pub mod json;
pub mod sitemap;
pub mod telegram;
pub mod wordpress;

use url::Url;

use crate::core::model::RawArticle;

/// Sent with every API request.
pub const JSON_ACCEPT: &str = "application/json, text/plain;q=0.5, */*;q=0.1";

/// One article as an API lists it, before normalization.
#[derive(Debug, Clone)]
pub struct ApiItem {
    /// The article's public page (the feed item link).
    pub link: Url,
    /// Changes whenever the API's record changes; decides whether to re-store.
    pub fingerprint: String,
    pub raw: RawArticle,
    /// Where to read the missing fields from (the list had no body).
    pub detail: Option<Url>,
}

/// One page of an API listing.
#[derive(Debug, Clone, Default)]
pub struct ApiPage {
    pub items: Vec<ApiItem>,
    /// Total pages, when the API says (WordPress `X-WP-TotalPages`).
    pub total_pages: Option<u32>,
    /// Items the page held but that could not be mapped: (what, why).
    pub skipped: Vec<(String, String)>,
}
