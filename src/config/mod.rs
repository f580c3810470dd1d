//! Configuration: raw serde structs (unknown keys rejected) → validated [`Config`].
//!
//! Everything that can be wrong is found at load: URLs are parsed, CSS selectors compiled,
//! cron expressions and time zones resolved. Every error names the file, line, column and key
//! so an admin can fix it without guessing.

//!
//! Files: `raw` (the structs as deserialized), `span` (the validation context and TOML
//! positions), `settings` (`[settings]`), `source` (one `[[source]]`), `kinds` (`kind`,
//! `wordpress`, `[source.json]`), `gate` (`[source.json.session]`, header templates with
//! `{uuid}` / `{bcrypt:NAME}`), `twins` (`[source.languages]`), `values` (checks shared
//! by all of them), `telegram` (Telegram channel URLs), `service_dirs` (systemd's state
//! and cache directories), `filter` (`[source.filter]`), `merged` (`[[feed]]`, merged feeds).
//!
//! Layer: imports only `core`; it knows nothing of HTTP clients or HTML documents.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use url::Url;

use crate::core::filter::ItemFilter;
use crate::core::lang::PageLang;
use crate::core::pick::Pick;
use crate::core::retention::Retention;
use crate::core::schedule::Schedule;

mod feed;
mod filter;
mod gate;
mod kinds;
mod merged;
mod ops;
mod raw;
mod server;
mod service_dirs;
mod settings;
mod source;
mod span;
mod telegram;
mod twins;
mod values;

pub use gate::{HeaderTemplate, HeaderTemplates, SessionMethod, SessionRules, ValuePart};
pub use kinds::{JsonRules, SourceKind, WordPressMode};
pub use ops::{Alerts, CaFile};
use raw::RawConfig;
pub use server::ServerLimits;
pub use service_dirs::ServiceDirs;
use span::Ctx;
pub use telegram::telegram_channel;

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
    #[error("{path}:{line}:{column}: {}{message}", key_prefix(.key))]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        /// Dotted key, e.g. `source[1].article.content`; empty when the error is syntax only.
        key: String,
        message: String,
    },
}

/// A source id asked for on the command line that the configuration does not define.
#[derive(Debug, thiserror::Error)]
#[error("no source with id {id:?} in {}", path.display())]
pub struct UnknownSource {
    pub id: String,
    pub path: PathBuf,
}

/// `key: ` for the message, nothing when there is no key (syntax errors).
fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    pub settings: Settings,
    pub sources: Vec<Source>,
    /// `[[feed]]`: merged feeds, in file order.
    pub feeds: Vec<MergedFeed>,
}

/// One `[[feed]]`: the feed items of several sources in one feed, newest first.
#[derive(Debug, Clone)]
pub struct MergedFeed {
    /// Unique among sources and merged feeds; names the feed files.
    pub id: String,
    pub title: String,
    pub description: String,
    /// Member source ids, as listed (each once).
    pub sources: Vec<String>,
    /// Newest N items.
    pub items: usize,
    /// The members' language when they all have the same, else `mul` (BCP 47 "multiple
    /// languages"; each item then states its own).
    pub language: String,
    /// The members' time zone when they all have the same, else UTC.
    pub timezone: Tz,
    /// `site_url`, by default the members' common site, else `settings.base_url` (the index).
    pub site_url: Url,
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
    /// On SIGTERM, how long in-flight runs may take to finish before they are cancelled.
    pub shutdown_grace: Duration,
    /// Upper bound of the random delay added to each scheduled run, so that many sources
    /// do not fire at the same second (also capped at a tenth of the source's interval).
    pub schedule_jitter: Duration,
    /// WebSub hubs announced in every feed and pinged when a feed changes.
    pub hubs: Vec<Url>,
    /// Honour robots.txt (rules and Crawl-delay) for the user agent's product token.
    pub respect_robots: bool,
    /// Least time between the starts of two requests to one host (jittered ±25%).
    pub min_delay: Duration,
    /// Longest Retry-After (429/503) we wait for; a longer one fails the fetch.
    pub max_retry_after: Duration,
    /// Extra attempts after a transient failure (connect, timeout, 429/502/503/504, cut body).
    pub retries: usize,
    /// Every outgoing request goes through this proxy (http, https, socks4/5), except to
    /// the hosts in `NO_PROXY`. Unset: the `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`
    /// environment variables apply, `NO_PROXY` too.
    pub proxy: Option<Url>,
    /// Extra PEM roots trusted besides the bundled (webpki) and the operating system's.
    pub ca_file: Option<CaFile>,
    /// `[settings.alerts]`: a webhook told when sources fail, recover or drift.
    pub alerts: Option<Alerts>,
    /// Language of the index page written to disk, and served when `Accept-Language`
    /// names none of ours.
    pub language: PageLang,
    /// Limits of the daemon's HTTP server.
    pub server: ServerLimits,
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
    /// WebSub hubs for this source's feeds, in addition to `settings.hubs`.
    pub hubs: Vec<Url>,
    /// Listing page N (N ≥ 2) when the page has no next link: `{n}` is replaced by N, e.g.
    /// `https://site.kz/news/page/{n}/` or `https://site.kz/news?page={n}`.
    pub page_url_template: Option<String>,
    /// Hosts redirects may lead to besides the requested host and its www twin; lowercase,
    /// `*.example.kz` allows every subdomain.
    pub allowed_hosts: Vec<String>,
    pub listing: ListingRules,
    pub article: ArticleRules,
    /// HTML pages or a JSON API.
    pub kind: SourceKind,
    /// Prefer a detected WordPress REST API (HTML sources only).
    pub wordpress: WordPressMode,
    /// `[source.json]`, set exactly when `kind` is [`SourceKind::Json`].
    pub json: Option<JsonRules>,
    /// `keep_days` / `keep_items`: what the store keeps of this source (default: all).
    pub retention: Retention,
    /// `[source.filter]`: which stored articles the feeds show (applied at render time).
    pub filter: ItemFilter,
    /// `respect_robots` of this source; `None` follows `[settings] respect_robots`.
    pub respect_robots: Option<bool>,
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
    /// `signature_pattern`: the closing signature line that becomes the author when the page
    /// names none; `None` means the built-in "Пресс-служба …" / "Баспасөз қызметі …".
    pub signature: Option<regex::Regex>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse_with(&text, path, &ServiceDirs::from_env())
    }

    /// Validates config text; `path` is used for messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::parse_with(text, path, &ServiceDirs::default())
    }

    /// [`Config::parse`], with relative `database` / `feeds_dir` under systemd's service
    /// directories when `dirs` has them.
    pub fn parse_with(text: &str, path: &Path, dirs: &ServiceDirs) -> Result<Config, ConfigError> {
        let ctx = Ctx { text, path, dirs };
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| ctx.shape_error().unwrap_or_else(|| ctx.toml_error(&e)))?;
        let settings = ctx.settings(raw.settings.unwrap_or_default())?;
        let raw_sources = match raw.source {
            Some(list) if !list.get_ref().is_empty() => list.into_inner(),
            Some(list) => return Err(ctx.err(list.span(), "source", "no [[source]] defined")),
            None => return Err(ctx.err(0..0, "source", "no [[source]] defined")),
        };
        let mut sources: Vec<Source> = Vec::with_capacity(raw_sources.len());
        // The `[[source]]` index each expanded source came from (language twins share it).
        let mut origins: Vec<usize> = Vec::with_capacity(raw_sources.len());
        for (i, raw) in raw_sources.into_iter().enumerate() {
            for source in ctx.source(i, raw, &sources, &origins)? {
                sources.push(source);
                origins.push(i);
            }
        }
        let known = merged::Known {
            settings: &settings,
            sources: &sources,
            origins: &origins,
        };
        let feeds = ctx.merged_feeds(raw.feed, &known)?;
        Ok(Config {
            path: path.to_path_buf(),
            settings,
            sources,
            feeds,
        })
    }

    /// Sources selected by id (all when `ids` is empty); unknown ids are an error.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Source>, UnknownSource> {
        if ids.is_empty() {
            return Ok(self.sources.iter().collect());
        }
        ids.iter()
            .map(|id| {
                self.sources
                    .iter()
                    .find(|s| &s.id == id)
                    .ok_or_else(|| UnknownSource {
                        id: id.clone(),
                        path: self.path.clone(),
                    })
            })
            .collect()
    }
}

impl Source {
    /// Whether this source obeys robots.txt under `settings`.
    pub fn respects_robots(&self, settings: &Settings) -> bool {
        self.respect_robots.unwrap_or(settings.respect_robots)
    }

    /// Public URLs of this source's RSS, Atom and JSON feeds under `settings.base_url`.
    pub fn feed_urls(&self, settings: &Settings) -> (Url, Url, Url) {
        feed_urls(settings, &self.id)
    }
}

/// Public URLs of the RSS, Atom and JSON files named `id` under `settings.base_url`.
fn feed_urls(settings: &Settings, id: &str) -> (Url, Url, Url) {
    let join = |ext: &str| {
        // ids are validated to `[a-z0-9_-]`, so joining onto a valid base cannot fail;
        // the fallback only keeps this total
        settings
            .base_url
            .join(&format!("feeds/{id}.{ext}"))
            .unwrap_or_else(|_| settings.base_url.clone())
    };
    (join("rss"), join("atom"), join("json"))
}

#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod tests;
