//! Configuration: raw serde structs (unknown keys rejected) → validated [`Config`].
//!
//! Everything that can be wrong is found at load: URLs are parsed, CSS selectors compiled,
//! cron expressions and time zones resolved. Every error names the file, line, column and key
//! so an admin can fix it without guessing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use url::Url;

use crate::extract::Pick;
use crate::schedule::Schedule;

/// A configuration error; `Display` is the whole message an admin sees, e.g.
/// `config.toml:12:11: source[0].timezone: unknown time zone "Asia/Almatty"`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A syntax or validation error at a known place.
    #[error("{path}:{line}:{column}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        /// Dotted key, e.g. `source[1].article.content`; empty when the error is syntax only.
        key: String,
        message: String,
    },
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    pub settings: Settings,
    pub sources: Vec<Source>,
}

/// The global `[settings]` table. Relative paths are resolved against the config file's folder.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: PathBuf,
    pub feeds_dir: PathBuf,
    /// Public base URL under which `feeds/<id>.rss` etc. are reachable (self links).
    /// Always ends with `/`.
    pub base_url: Url,
    pub user_agent: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Largest response body accepted, enforced while streaming.
    pub max_body_bytes: u64,
    /// Concurrent requests to one host.
    pub per_host_concurrency: usize,
    /// HTTP listen address of the daemon.
    pub listen: SocketAddr,
}

/// One `[[source]]`: a site to scrape into one feed.
#[derive(Debug, Clone)]
pub struct Source {
    /// `[a-z0-9][a-z0-9_-]*`, unique; names the feed files.
    pub id: String,
    pub title: String,
    pub description: String,
    /// BCP 47 tag, e.g. `ru`, `kk`.
    pub language: String,
    pub timezone: Tz,
    /// The site's home page (feed `link`); defaults to the origin of the first listing URL.
    pub site_url: Url,
    pub listing_urls: Vec<Url>,
    pub schedule: Schedule,
    /// Newest N items per feed.
    pub items: usize,
    /// Listing pages followed through `listing.next`, counting the first.
    pub max_pages: usize,
    /// Articles first seen less than this long ago are fetched again on each run to catch edits.
    pub recheck_age: Duration,
    pub listing: ListingRules,
    pub article: ArticleRules,
}

/// `[source.listing]`: selectors on the listing page. `item` scopes the others.
#[derive(Debug, Clone, Default)]
pub struct ListingRules {
    pub item: Option<Pick>,
    pub link: Option<Pick>,
    pub title: Option<Pick>,
    pub date: Option<Pick>,
    pub summary: Option<Pick>,
    pub image: Option<Pick>,
    /// The next listing page (a link).
    pub next: Option<Pick>,
}

/// `[source.article]`: selectors on the article page. Anything unset falls back to
/// structured data (JSON-LD, OpenGraph, `<time>`).
#[derive(Debug, Clone, Default)]
pub struct ArticleRules {
    pub title: Option<Pick>,
    pub content: Option<Pick>,
    pub date: Option<Pick>,
    pub modified: Option<Pick>,
    pub author: Option<Pick>,
    pub categories: Option<Pick>,
    pub image: Option<Pick>,
    /// Boilerplate removed from the content before sanitizing.
    pub remove: Vec<Pick>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text; `path` is used for messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let _ = (text, path);
        todo!("config parsing")
    }

    /// Sources selected by id (all when `ids` is empty); unknown ids are an error.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Source>, String> {
        if ids.is_empty() {
            return Ok(self.sources.iter().collect());
        }
        ids.iter()
            .map(|id| {
                self.sources
                    .iter()
                    .find(|s| &s.id == id)
                    .ok_or_else(|| format!("no source with id {id:?} in {}", self.path.display()))
            })
            .collect()
    }
}
