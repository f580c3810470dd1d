//! pressfeed turns press-service websites that publish no feed into RSS 2.0, Atom 1.0 and
//! JSON Feed.
//!
//! # Layout
//!
//! Data flows left to right; every arrow is a plain owned value, so no parsed HTML document
//! ever lives across an `.await`.
//!
//! ```text
//! config ──► pipeline ──► fetch ──► decode ──► extract ──► normalize ──► store ──► render
//!  (TOML)     (one run     (HTTP)    (bytes →   (HTML →     (RawArticle   (SQLite)  (rss, atom,
//!             per source)            text)      RawArticle)  → Article)              json files)
//! ```
//!
//! - [`config`]: raw serde structs → validated [`config::Config`]; URLs, selectors, cron
//!   expressions and time zones are compiled at load, errors carry file:line:column and key.
//! - [`schedule`]: cron expressions (5-, 6- or 7-field, `@hourly` shortcuts) in a time zone.
//! - [`fetch`]: one shared HTTP client: timeouts, body cap while streaming, conditional GET.
//! - [`robots`]: robots.txt rules per origin (RFC 9309 status meanings, 24 h cache).
//! - [`decode`]: bytes → UTF-8 from BOM, HTTP charset, `<meta>`, UTF-8 validity, chardetng.
//! - [`extract`]: synchronous and pure: listing page → [`model::ListingItem`]s, article page →
//!   [`model::RawArticle`] (configured selectors first, then structured data).
//! - [`dates`]: ISO 8601, RFC 2822 and human Russian / Kazakh dates in a source's time zone.
//! - [`normalize`]: [`model::RawArticle`] → [`model::Article`]: canonical URL, clean text,
//!   sanitized HTML with absolute URLs, summary, content hash.
//! - [`store`]: SQLite (WAL, migrations by `user_version`): articles, HTTP validators, runs.
//! - [`render`]: newest N articles → RSS 2.0, Atom 1.0, JSON Feed 1.1; atomic writes, only
//!   when bytes change.
//! - [`pipeline`]: one refresh of one source, shared by `refresh` and the daemon; returns a
//!   [`pipeline::RunReport`].
//! - [`serve`]: the daemon's HTTP side: cached feed files with ETag / gzip / brotli, HTML
//!   index, OPML, health check and metrics endpoints (axum).
//! - [`metrics`]: Prometheus metric families of runs and HTTP answers.
//! - [`cli`]: the command line (clap) and what each command does.
//! - [`daemon`]: `pressfeed run`: scheduler per source, signals, reload, systemd notify.
//! - [`lock`]: per-source run locks shared by every process using one database.
//! - [`wordpress`]: the WordPress REST ladder: detection, listing → API query, posts →
//!   [`model::RawArticle`].
//! - [`jsonapi`]: `kind = "json"` sources: paged JSON APIs mapped by field paths.
//! - [`text`]: small text helpers shared by extract, normalize and render.
//! - [`discover`]: zero-config listing: article links found without selectors.
//! - [`readable`]: zero-config body: readability main content, text boilerplate rules,
//!   signature line as author.
//! - [`sitemap`]: article URLs from robots.txt / sitemap.xml / Google News sitemaps.
//! - [`preview`]: `pressfeed preview URL`: what would be extracted, and from where.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod dates;
pub mod decode;
pub mod discover;
pub mod extract;
pub mod fetch;
pub mod jsonapi;
pub mod lock;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod preview;
pub mod readable;
pub mod render;
pub mod robots;
pub mod schedule;
pub mod serve;
pub mod sitemap;
pub mod store;
pub mod text;
pub mod wordpress;
