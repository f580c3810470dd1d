//! The values that flow between layers: listing entries and pages, HTTP validators, raw and
//! normalized articles. All fields are owned so every value is `Send`.

use chrono::{DateTime, Utc};
use url::Url;

/// One entry found on a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingItem {
    /// Absolute URL of the article page, as linked (not yet canonicalized).
    pub url: Url,
    pub title: Option<String>,
    /// Date text as shown on the listing (parsed later, in the source's time zone).
    pub date_text: Option<String>,
    pub summary: Option<String>,
    pub image: Option<String>,
}

/// A listing page: its article entries and the next page, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub items: Vec<ListingItem>,
    pub next: Option<Url>,
    /// Configured selectors that matched nothing on this page (`listing.item` when no entry
    /// was found, `listing.date` when no entry had a date, ...): the selector-drift signal.
    pub misses: Vec<&'static str>,
}

/// HTTP cache validators of a fetched URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A date string found on a page, with where it came from (for diagnostics and `preview`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateCandidate {
    pub text: String,
    /// e.g. "selector", "json-ld", "meta article:published_time", "time@datetime".
    pub origin: &'static str,
}

/// What an article page yields before normalization. Candidates are ordered best first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawArticle {
    /// The URL the page was fetched from (after redirects).
    pub url: Option<Url>,
    /// `rel=canonical`, `og:url` or JSON-LD `mainEntityOfPage`, unresolved.
    pub canonical: Option<String>,
    pub title: Option<String>,
    /// The content container's inner HTML, boilerplate already removed; not yet sanitized.
    pub content_html: Option<String>,
    pub published: Vec<DateCandidate>,
    pub modified: Vec<DateCandidate>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    /// Image URL as found (may be relative).
    pub image: Option<String>,
    /// Language of the page (`<html lang>`, `og:locale`), if stated.
    pub language: Option<String>,
    /// Configured selectors that matched nothing on this page (selector-drift signal).
    pub selector_misses: Vec<&'static str>,
    /// Which ladder step produced each field, for `preview`: (field, step), e.g.
    /// `("title", "selector h1.entry-title")`, `("content", "readability")`. Fields that
    /// were not found are absent.
    pub provenance: Vec<(&'static str, String)>,
}

/// A normalized article, ready to store and render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Source id from the config.
    pub source: String,
    /// Stable id: the canonical URL as a string.
    pub id: String,
    /// Canonical absolute URL (tracking parameters and AMP markers removed).
    pub url: Url,
    pub title: String,
    /// Plain text, about 300 characters, cut at a word.
    pub summary: String,
    /// Sanitized HTML with absolute URLs.
    pub content_html: String,
    /// Publication instant; `None` when the page states no date (the store then uses the
    /// first-seen time, forever).
    pub published: Option<DateTime<Utc>>,
    /// Modification instant stated by the page, if any.
    pub modified: Option<DateTime<Utc>>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub image: Option<Url>,
    /// BCP 47 language tag.
    pub language: String,
    /// Hex SHA-256 over the fields a reader sees (not the dates).
    pub content_hash: String,
}

/// BCP 47 (ISO 639-2) "multiple languages": the language of a feed whose items are in
/// several (a merged feed); each item then states its own.
pub const MULTIPLE_LANGUAGES: &str = "mul";

/// An article as stored: the normalized article plus the store's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArticle {
    pub article: Article,
    /// When pressfeed first stored it.
    pub first_seen: DateTime<Utc>,
    /// Publication instant used in feeds: the page's date, else `first_seen`.
    pub published: DateTime<Utc>,
    /// Last real change: the page's modification date or the time a new content hash was seen.
    pub updated: DateTime<Utc>,
}
