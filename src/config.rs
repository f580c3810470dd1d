//! Configuration: raw serde structs (unknown keys rejected) → validated [`Config`].
//!
//! Everything that can be wrong is found at load: URLs are parsed, CSS selectors compiled,
//! cron expressions and time zones resolved. Every error names the file, line, column and key
//! so an admin can fix it without guessing.

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::extract::Pick;
use crate::schedule::Schedule;

mod sources;
pub use sources::{JsonRules, SourceKind, WordPressMode};

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
        Config::parse(&text, path)
    }

    /// Validates config text; `path` is used for messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let ctx = Ctx { text, path };
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
        Ok(Config {
            path: path.to_path_buf(),
            settings,
            sources,
        })
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

impl Source {
    /// Public URLs of this source's RSS, Atom and JSON feeds under `settings.base_url`.
    pub fn feed_urls(&self, settings: &Settings) -> (Url, Url, Url) {
        let join = |ext: &str| {
            // ids are validated to `[a-z0-9_-]`, so joining onto a valid base cannot fail;
            // the fallback only keeps this total
            settings
                .base_url
                .join(&format!("feeds/{}.{ext}", self.id))
                .unwrap_or_else(|_| settings.base_url.clone())
        };
        (join("rss"), join("atom"), join("json"))
    }
}

/// Default `User-Agent`.
fn default_user_agent() -> String {
    format!(
        "pressfeed/{} (+https://github.com/pressfeed/pressfeed)",
        env!("CARGO_PKG_VERSION")
    )
}

// ---- raw, as deserialized ------------------------------------------------------------------
//
// Every validated value is `Spanned` so its error can point at it; numbers are read as `i64`
// (TOML's integer type) so that negative or huge values get our range message rather than a
// serde type error.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    settings: Option<RawSettings>,
    source: Option<Spanned<Vec<Spanned<RawSource>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    database: Option<Spanned<String>>,
    feeds_dir: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    connect_timeout_secs: Option<Spanned<i64>>,
    request_timeout_secs: Option<Spanned<i64>>,
    max_body_bytes: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    listen: Option<Spanned<String>>,
    shutdown_grace_secs: Option<Spanned<i64>>,
    schedule_jitter_secs: Option<Spanned<i64>>,
    hubs: Option<Vec<Spanned<String>>>,
    respect_robots: Option<Spanned<bool>>,
    min_delay_ms: Option<Spanned<i64>>,
    max_retry_after_secs: Option<Spanned<i64>>,
    retries: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    // required keys are optional here so that "missing" is reported by us, at the table
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    site_url: Option<Spanned<String>>,
    listing_urls: Option<Spanned<Vec<Spanned<String>>>>,
    schedule: Option<Spanned<String>>,
    items: Option<Spanned<i64>>,
    max_pages: Option<Spanned<i64>>,
    recheck_hours: Option<Spanned<i64>>,
    page_url_template: Option<Spanned<String>>,
    hubs: Option<Vec<Spanned<String>>>,
    allowed_hosts: Option<Vec<Spanned<String>>>,
    listing: Option<RawListing>,
    article: Option<RawArticle>,
    kind: Option<Spanned<String>>,
    wordpress: Option<Spanned<String>>,
    json: Option<Spanned<sources::RawJson>>,
    languages: Option<sources::RawLanguages>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawListing {
    item: Option<Spanned<String>>,
    link: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    image: Option<Spanned<String>>,
    next: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArticle {
    title: Option<Spanned<String>>,
    content: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    modified: Option<Spanned<String>>,
    author: Option<Spanned<String>>,
    categories: Option<Spanned<String>>,
    image: Option<Spanned<String>>,
    remove: Option<Vec<Spanned<String>>>,
    signature_pattern: Option<Spanned<String>>,
}

// ---- validation ----------------------------------------------------------------------------

/// The text being validated and where it came from, for error positions.
struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A syntax or deserialization error from the `toml` crate, with the key found from its
    /// position (its message does not always name the path).
    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        match key_at(self.text, &span) {
            Some(key) => self.err(span, key, friendly_serde_message(e.message())),
            None => self.err(span, "", format!("invalid TOML: {}", e.message().trim())),
        }
    }

    /// serde reads a struct from an array too, element by element, so `[[settings]]` would
    /// be reported as a wrong type deep inside; this names the real problem instead.
    fn shape_error(&self) -> Option<ConfigError> {
        use toml::de::DeValue;
        let doc = toml::de::DeTable::parse(self.text).ok()?;
        let doc = doc.get_ref();
        let not_table = |v: &Spanned<DeValue<'_>>, key: String| {
            (!v.get_ref().is_table()).then(|| {
                let found = v.get_ref().type_str();
                self.err(
                    v.span(),
                    key,
                    format!("invalid type: {found}, expected a table"),
                )
            })
        };
        if let Some(e) = doc
            .get("settings")
            .and_then(|v| not_table(v, "settings".into()))
        {
            return Some(e);
        }
        let sources = doc.get("source")?.get_ref().as_array()?;
        for (i, src) in sources.iter().enumerate() {
            if let Some(e) = not_table(src, format!("source[{i}]")) {
                return Some(e);
            }
            for sub in ["listing", "article", "json", "languages"] {
                if let Some(e) = src
                    .get_ref()
                    .get(sub)
                    .and_then(|v| not_table(v, format!("source[{i}].{sub}")))
                {
                    return Some(e);
                }
            }
        }
        None
    }

    /// Resolves a relative path against the config file's folder.
    fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        match self.path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }

    fn settings(&self, raw: RawSettings) -> Result<Settings, ConfigError> {
        let path_value = |v: Option<Spanned<String>>, key: &str, default: &str| match v {
            None => Ok(self.resolve(default)),
            Some(v) if v.get_ref().trim().is_empty() => {
                Err(self.err(v.span(), format!("settings.{key}"), "must not be empty"))
            }
            Some(v) => Ok(self.resolve(v.get_ref())),
        };
        let database = path_value(raw.database, "database", "pressfeed.db")?;
        let feeds_dir = path_value(raw.feeds_dir, "feeds_dir", "feeds")?;

        let listen = match raw.listen {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.get_ref().trim().parse::<SocketAddr>().map_err(|e| {
                self.err(
                    v.span(),
                    "settings.listen",
                    format!(
                        "invalid listen address {:?}: {e} (expected e.g. \"127.0.0.1:8080\")",
                        v.get_ref()
                    ),
                )
            })?,
        };

        let mut base_url = match raw.base_url {
            None => Url::parse(&format!("http://{listen}/")).map_err(|e| {
                self.err(
                    0..0,
                    "settings.base_url",
                    format!(
                        "cannot derive a base URL from listen address {listen}: {e}; set base_url"
                    ),
                )
            })?,
            Some(v) => {
                http_url(v.get_ref()).map_err(|m| self.err(v.span(), "settings.base_url", m))?
            }
        };
        // self links are joined onto the base, which drops the last segment without a "/"
        if !base_url.path().ends_with('/') {
            let p = format!("{}/", base_url.path());
            base_url.set_path(&p);
        }

        let user_agent = match raw.user_agent {
            None => default_user_agent(),
            Some(v) => {
                let ua = v.get_ref().trim();
                if ua.is_empty() || !ua.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
                    return Err(self.err(
                        v.span(),
                        "settings.user_agent",
                        "must be non-empty printable ASCII (it is sent as an HTTP header)",
                    ));
                }
                ua.to_string()
            }
        };

        let int = |v: Option<Spanned<i64>>, key: &str, default: i64, min: i64, max: i64| {
            self.int_in(v, &format!("settings.{key}"), default, min, max)
        };
        let connect_timeout = int(
            raw.connect_timeout_secs,
            "connect_timeout_secs",
            10,
            1,
            i64::MAX,
        )?;
        let request_timeout = int(
            raw.request_timeout_secs,
            "request_timeout_secs",
            30,
            1,
            i64::MAX,
        )?;
        let max_body_bytes = int(
            raw.max_body_bytes,
            "max_body_bytes",
            5 * 1024 * 1024,
            1,
            i64::MAX,
        )?;
        let per_host_concurrency = int(raw.per_host_concurrency, "per_host_concurrency", 2, 1, 32)?;
        let shutdown_grace = int(raw.shutdown_grace_secs, "shutdown_grace_secs", 20, 1, 3600)?;
        let schedule_jitter = int(
            raw.schedule_jitter_secs,
            "schedule_jitter_secs",
            30,
            0,
            3600,
        )?;
        let hubs = self.hubs(raw.hubs, "settings.hubs")?;
        let respect_robots = raw.respect_robots.is_none_or(|v| *v.get_ref());
        let min_delay_ms = int(raw.min_delay_ms, "min_delay_ms", 1000, 0, 600_000)?;
        let max_retry_after = int(
            raw.max_retry_after_secs,
            "max_retry_after_secs",
            120,
            0,
            86_400,
        )?;
        let retries = int(raw.retries, "retries", 2, 0, 10)?;

        Ok(Settings {
            database,
            feeds_dir,
            base_url,
            user_agent,
            connect_timeout: Duration::from_secs(connect_timeout.unsigned_abs()),
            request_timeout: Duration::from_secs(request_timeout.unsigned_abs()),
            max_body_bytes: max_body_bytes.unsigned_abs(),
            per_host_concurrency: usize::try_from(per_host_concurrency).unwrap_or(1),
            listen,
            shutdown_grace: Duration::from_secs(shutdown_grace.unsigned_abs()),
            schedule_jitter: Duration::from_secs(schedule_jitter.unsigned_abs()),
            hubs,
            respect_robots,
            min_delay: Duration::from_millis(min_delay_ms.unsigned_abs()),
            max_retry_after: Duration::from_secs(max_retry_after.unsigned_abs()),
            retries: usize::try_from(retries).unwrap_or(0),
        })
    }

    /// A list of WebSub hub URLs.
    fn hubs(&self, v: Option<Vec<Spanned<String>>>, key: &str) -> Result<Vec<Url>, ConfigError> {
        v.unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(j, h)| {
                http_url(h.get_ref()).map_err(|m| self.err(h.span(), format!("{key}[{j}]"), m))
            })
            .collect()
    }

    /// Host names redirects may lead to: `example.kz`, `*.example.kz` or an IP address.
    fn allowed_hosts(
        &self,
        v: Option<Vec<Spanned<String>>>,
        key: &str,
    ) -> Result<Vec<String>, ConfigError> {
        v.unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(j, h)| {
                let raw = h.get_ref().trim().trim_end_matches('.').to_ascii_lowercase();
                let name = raw.strip_prefix("*.").unwrap_or(&raw);
                // url::Host::parse applies IDNA and rejects ports, paths and bad characters.
                match url::Host::parse(name) {
                    Ok(host) if !name.is_empty() => {
                        let host = host.to_string();
                        Ok(if raw.starts_with("*.") {
                            format!("*.{host}")
                        } else {
                            host
                        })
                    }
                    _ => Err(self.err(
                        h.span(),
                        format!("{key}[{j}]"),
                        format!(
                            "invalid host {:?} (expected e.g. \"example.kz\" or \"*.example.kz\", no scheme or port)",
                            h.get_ref()
                        ),
                    )),
                }
            })
            .collect()
    }

    /// An optional integer with a default, checked against `min..=max`.
    fn int_in(
        &self,
        v: Option<Spanned<i64>>,
        key: &str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ConfigError> {
        let Some(v) = v else { return Ok(default) };
        let n = *v.get_ref();
        if (min..=max).contains(&n) {
            return Ok(n);
        }
        let message = if max == i64::MAX {
            format!("must be at least {min}, found {n}")
        } else {
            format!("must be between {min} and {max}, found {n}")
        };
        Err(self.err(v.span(), key, message))
    }

    /// Validates one `[[source]]`; returns it followed by its language twins.
    fn source(
        &self,
        i: usize,
        raw: Spanned<RawSource>,
        earlier: &[Source],
        origins: &[usize],
    ) -> Result<Vec<Source>, ConfigError> {
        let table_span = raw.span();
        let raw = raw.into_inner();
        let k = |key: &str| format!("source[{i}].{key}");
        let missing = |key: &str| self.err(table_span.clone(), k(key), "missing required key");

        let id = raw.id.ok_or_else(|| missing("id"))?;
        if !valid_id(id.get_ref()) {
            return Err(self.err(
                id.span(),
                k("id"),
                format!(
                    "invalid id {:?}: use 1 to 64 lowercase letters, digits, \"-\" or \"_\", starting with a letter or digit",
                    id.get_ref()
                ),
            ));
        }
        if let Some(j) = earlier.iter().position(|s| &s.id == id.get_ref()) {
            return Err(self.err(
                id.span(),
                k("id"),
                format!(
                    "duplicate source id {:?} (already used by source[{}])",
                    id.get_ref(),
                    origins.get(j).copied().unwrap_or(j)
                ),
            ));
        }
        let id_span = id.span();
        let id = id.into_inner();

        let title = raw.title.ok_or_else(|| missing("title"))?;
        if title.get_ref().trim().is_empty() {
            return Err(self.err(title.span(), k("title"), "must not be empty"));
        }
        let title = title.get_ref().trim().to_string();
        let description = raw
            .description
            .map(|d| d.get_ref().trim().to_string())
            .unwrap_or_else(|| title.clone());

        let language = match raw.language {
            None => "ru".to_string(),
            Some(v) if valid_language(v.get_ref()) => v.into_inner(),
            Some(v) => {
                return Err(self.err(
                    v.span(),
                    k("language"),
                    format!("invalid language tag {:?}: expected a BCP 47 tag such as \"ru\", \"kk\" or \"kk-KZ\"", v.get_ref()),
                ));
            }
        };

        let timezone = match raw.timezone {
            None => Tz::UTC,
            Some(v) => Tz::from_str(v.get_ref().trim()).map_err(|_| {
                let mut m = format!("unknown time zone {:?}", v.get_ref());
                if let Some(s) = closest_tz(v.get_ref().trim()) {
                    m.push_str(&format!("; did you mean {s:?}?"));
                }
                self.err(v.span(), k("timezone"), m)
            })?,
        };

        let kind = self.kind(raw.kind, &k("kind"))?;
        let wordpress = self.wordpress(raw.wordpress, &k("wordpress"))?;
        let prefix = format!("source[{i}]");
        // JSON sources page through an API URL template, so their listing URLs (if any) are
        // templates too and become the page-1 URL.
        let (listing_urls, json) = match kind {
            SourceKind::Html => {
                if raw.json.is_some() {
                    return Err(self.err(
                        table_span.clone(),
                        k("json"),
                        "[source.json] is only used with kind = \"json\"",
                    ));
                }
                let urls = raw.listing_urls.ok_or_else(|| missing("listing_urls"))?;
                (self.url_list(urls, &k("listing_urls"))?, None)
            }
            SourceKind::Json => {
                let fallback = raw
                    .listing_urls
                    .as_ref()
                    .and_then(|u| u.get_ref().first().cloned());
                let rules = self.json_rules(
                    raw.json.clone(),
                    fallback,
                    language.as_str(),
                    &prefix,
                    table_span.clone(),
                )?;
                let first = crate::jsonapi::page_url(&rules, rules.first_page)
                    .map_err(|m| self.err(table_span.clone(), k("json.url"), m))?;
                (vec![first], Some(rules))
            }
        };

        let site_url = match raw.site_url {
            Some(v) => http_url(v.get_ref()).map_err(|m| self.err(v.span(), k("site_url"), m))?,
            None => {
                let first = &listing_urls[0];
                let origin = format!("{}/", first.origin().ascii_serialization());
                Url::parse(&origin).map_err(|e| {
                    self.err(
                        table_span.clone(),
                        k("site_url"),
                        format!("cannot derive from {first}: {e}; set site_url"),
                    )
                })?
            }
        };

        let schedule = match raw.schedule {
            None => Schedule::parse("@hourly")
                .map_err(|m| self.err(table_span.clone(), k("schedule"), m))?,
            Some(v) => {
                Schedule::parse(v.get_ref()).map_err(|m| self.err(v.span(), k("schedule"), m))?
            }
        };
        let items = self.int_in(raw.items, &k("items"), 50, 1, 1000)?;
        let max_pages = self.int_in(raw.max_pages, &k("max_pages"), 1, 1, 1000)?;
        let recheck_hours = self.int_in(raw.recheck_hours, &k("recheck_hours"), 48, 0, 8760)?;

        let pick = |v: Option<Spanned<String>>, key: &str| -> Result<Option<Pick>, ConfigError> {
            v.map(|v| Pick::parse(v.get_ref()).map_err(|m| self.err(v.span(), k(key), m)))
                .transpose()
        };
        let l = raw.listing.unwrap_or_default();
        let listing = ListingRules {
            item: pick(l.item, "listing.item")?,
            link: pick(l.link, "listing.link")?,
            title: pick(l.title, "listing.title")?,
            date: pick(l.date, "listing.date")?,
            summary: pick(l.summary, "listing.summary")?,
            image: pick(l.image, "listing.image")?,
            next: pick(l.next, "listing.next")?,
        };
        let a = raw.article.unwrap_or_default();
        let mut remove = Vec::new();
        for (j, r) in a.remove.unwrap_or_default().into_iter().enumerate() {
            if let Some(p) = pick(Some(r), &format!("article.remove[{j}]"))? {
                remove.push(p);
            }
        }
        let article = ArticleRules {
            title: pick(a.title, "article.title")?,
            content: pick(a.content, "article.content")?,
            date: pick(a.date, "article.date")?,
            modified: pick(a.modified, "article.modified")?,
            author: pick(a.author, "article.author")?,
            categories: pick(a.categories, "article.categories")?,
            image: pick(a.image, "article.image")?,
            remove,
            signature: a
                .signature_pattern
                .map(|v| {
                    regex::Regex::new(v.get_ref()).map_err(|e| {
                        self.err(v.span(), k("article.signature_pattern"), e.to_string())
                    })
                })
                .transpose()?,
        };

        let base = Source {
            id,
            title,
            description,
            language,
            timezone,
            site_url,
            listing_urls,
            schedule,
            items: usize::try_from(items).unwrap_or(50),
            max_pages: usize::try_from(max_pages).unwrap_or(1),
            recheck_age: Duration::from_secs(recheck_hours.unsigned_abs() * 3600),
            hubs: self.hubs(raw.hubs, &k("hubs"))?,
            page_url_template: match raw.page_url_template {
                None => None,
                Some(v) => {
                    let t = v.get_ref().trim();
                    if !t.contains("{n}") {
                        return Err(self.err(
                            v.span(),
                            k("page_url_template"),
                            "must contain {n} (the page number)",
                        ));
                    }
                    http_url(&t.replace("{n}", "2"))
                        .map_err(|m| self.err(v.span(), k("page_url_template"), m))?;
                    Some(t.to_string())
                }
            },
            allowed_hosts: self.allowed_hosts(raw.allowed_hosts, &k("allowed_hosts"))?,
            listing,
            article,
            kind,
            wordpress,
            json,
        };

        // Language twins: one feed each, `<id>-<lang>`, never merged with the base.
        let mut out = vec![base];
        for (lang, twin) in self.twins(raw.languages, &prefix)? {
            let tk = |key: &str| format!("{prefix}.languages.{lang}.{key}");
            let twin_span = twin.span();
            let twin = twin.into_inner();
            let base = &out[0];
            let twin_id = format!("{}-{}", base.id, lang.to_ascii_lowercase());
            if !valid_id(&twin_id) || lang.eq_ignore_ascii_case(&base.language) {
                return Err(self.err(
                    twin_span,
                    format!("{prefix}.languages.{lang}"),
                    format!(
                        "cannot make a feed id from {:?} and {lang:?} (or it is the source's own language)",
                        base.id
                    ),
                ));
            }
            if earlier.iter().chain(&out).any(|s| s.id == twin_id) {
                return Err(self.err(
                    id_span.clone(),
                    k("id"),
                    format!("duplicate source id {twin_id:?} (from the {lang:?} language twin)"),
                ));
            }
            let mut s = base.clone();
            s.id = twin_id;
            s.language = lang.clone();
            s.title = match twin.title {
                Some(t) if !t.get_ref().trim().is_empty() => t.get_ref().trim().to_string(),
                Some(t) => return Err(self.err(t.span(), tk("title"), "must not be empty")),
                None => format!("{} ({lang})", base.title),
            };
            s.description = twin
                .description
                .map(|d| d.get_ref().trim().to_string())
                .unwrap_or_else(|| s.title.clone());
            // A page template without {lang} would page through the base language.
            s.page_url_template = base
                .page_url_template
                .as_ref()
                .filter(|t| t.contains("{lang}"))
                .map(|t| t.replace("{lang}", &lang));
            match s.kind {
                SourceKind::Html => {
                    let urls = twin.listing_urls.ok_or_else(|| {
                        self.err(
                            twin_span.clone(),
                            tk("listing_urls"),
                            "missing required key",
                        )
                    })?;
                    s.listing_urls = self.url_list(urls, &tk("listing_urls"))?;
                }
                SourceKind::Json => {
                    let own = twin
                        .listing_urls
                        .as_ref()
                        .and_then(|u| u.get_ref().first().cloned());
                    let mut raw_json = raw.json.clone();
                    if let (Some(u), Some(j)) = (&own, raw_json.as_mut()) {
                        // The twin's own URL wins over json.url.
                        let mut inner = j.get_ref().clone();
                        inner.set_url(u.clone());
                        *j = Spanned::new(j.span(), inner);
                    }
                    let rules =
                        self.json_rules(raw_json, own, &lang, &prefix, table_span.clone())?;
                    let first = crate::jsonapi::page_url(&rules, rules.first_page)
                        .map_err(|m| self.err(twin_span.clone(), tk("listing_urls"), m))?;
                    s.listing_urls = vec![first];
                    s.json = Some(rules);
                }
            }
            out.push(s);
        }
        Ok(out)
    }
}

/// An absolute http(s) URL, or a message saying what is wrong with it.
fn http_url(s: &str) -> Result<Url, String> {
    let s = s.trim();
    let url = match Url::parse(s) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return Err(format!(
                "{s:?} is not an absolute URL (expected http://... or https://...)"
            ));
        }
        Err(e) => return Err(format!("invalid URL {s:?}: {e}")),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "URL {s:?} must use http or https, not {}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("URL {s:?} has no host"));
    }
    Ok(url)
}

/// `^[a-z0-9][a-z0-9_-]{0,63}$`
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z' | '0'..='9'))
        && id.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

/// `^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`
fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The known zone name nearest to a misspelt one, if reasonably near.
fn closest_tz(name: &str) -> Option<&'static str> {
    let wanted = name.to_ascii_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                edit_distance(&wanted, &tz.name().to_ascii_lowercase()),
                tz.name(),
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The dotted key (`source[1].listing.item`) of the innermost key or value whose span holds
/// the start of `span`; `None` when the document does not parse (syntax errors), empty when
/// no key holds it.
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut best: Option<Candidate> = None;
    walk_table(doc.get_ref(), "", span, &mut best);
    Some(best.map(|c| c.path).unwrap_or_default())
}

struct Candidate {
    path: String,
    exact: bool,
    len: usize,
}

fn consider(best: &mut Option<Candidate>, path: &str, s: Range<usize>, target: &Range<usize>) {
    // an empty error span sits at a position; treat the span end as inclusive for it
    let holds = s.start <= target.start
        && (target.start < s.end || (target.is_empty() && target.start == s.end));
    if !holds || path.is_empty() {
        return;
    }
    let c = Candidate {
        path: path.to_string(),
        exact: s == *target,
        len: s.len(),
    };
    let better = match best {
        None => true,
        Some(b) => (c.exact, std::cmp::Reverse(c.len)) > (b.exact, std::cmp::Reverse(b.len)),
    };
    if better {
        *best = Some(c);
    }
}

fn walk_table(
    t: &toml::de::DeTable<'_>,
    prefix: &str,
    target: &Range<usize>,
    best: &mut Option<Candidate>,
) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        consider(best, &path, k.span(), target);
        walk_value(v, &path, target, best);
    }
}

fn walk_value(
    v: &Spanned<toml::de::DeValue<'_>>,
    path: &str,
    target: &Range<usize>,
    best: &mut Option<Candidate>,
) {
    consider(best, path, v.span(), target);
    match v.get_ref() {
        toml::de::DeValue::Table(t) => walk_table(t, path, target, best),
        toml::de::DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                walk_value(e, &format!("{path}[{i}]"), target, best);
            }
        }
        _ => {}
    }
}

/// serde's messages name Rust types and use backticks; say it in TOML terms.
fn friendly_serde_message(m: &str) -> String {
    let m = m.trim();
    let m = if let Some(rest) = m.strip_prefix("unknown field ") {
        format!("unknown key {}", rest.replace('`', "\""))
    } else if let Some(rest) = m.strip_prefix("missing field ") {
        format!("missing required key {}", rest.replace('`', "\""))
    } else {
        m.to_string()
    };
    m.replace("expected i64", "expected an integer")
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
        .replace("struct RawSettings", "a table")
        .replace("struct RawSource", "a table")
        .replace("struct RawListing", "a table")
        .replace("struct RawArticle", "a table")
        .replace("struct RawJson", "a table")
        .replace("struct RawTwin", "a table")
        .replace("struct RawConfig", "a table")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[settings]
database = "data/pressfeed.db"
feeds_dir = "/srv/feeds"
base_url = "https://feeds.example.org/press"
user_agent = "pressfeed-test/1.0"
connect_timeout_secs = 5
request_timeout_secs = 20
max_body_bytes = 1048576
per_host_concurrency = 4
listen = "0.0.0.0:9090"

[[source]]
id = "prokuror-ru"
title = "Генпрокуратура РК"
description = "Пресс-релизы"
language = "ru"
timezone = "Asia/Almaty"
site_url = "https://prokuror.example.kz/"
listing_urls = ["https://prokuror.example.kz/category/news/", "http://prokuror.example.kz/page/2/"]
schedule = "*/30 * * * *"
items = 20
max_pages = 3
recheck_hours = 0

[source.listing]
item = "article.post"
link = "h2.entry-title a@href"
title = "h2.entry-title a"
date = "time@datetime"
summary = ".entry-summary"
image = "img@data-src"
next = "a.next.page-numbers@href"

[source.article]
title = "h1.entry-title"
content = "div.entry-content"
date = "time.entry-date.published@datetime"
modified = "time.updated@datetime"
author = ".byline .author"
categories = ".cat-links a"
image = ".post-thumbnail img@src"
remove = [".sharedaddy", ".jp-relatedposts", ".addtoany_share_save_container"]

[[source]]
id = "prokuror-kk"
title = "Бас прокуратура"
listing_urls = ["https://kk.example.kz:8443/kk/news/?page=1"]
"#;

    const MINIMAL: &str = r#"[[source]]
id = "a"
title = "A"
listing_urls = ["https://example.kz/news/"]
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("config.toml"))
    }

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    /// 1-based line and column (in characters) of the `nth` (0-based) occurrence of `needle`.
    fn at_nth(text: &str, needle: &str, nth: usize) -> (usize, usize) {
        let (offset, _) = text
            .match_indices(needle)
            .nth(nth)
            .unwrap_or_else(|| panic!("{needle:?} not in test input"));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
            .chars()
            .count()
            + 1;
        (line, col)
    }

    /// The full message expected for an error at the first `needle` in `text`.
    fn expect(text: &str, needle: &str, key: &str, message: &str) -> String {
        expect_nth(text, needle, 0, key, message)
    }

    fn expect_nth(text: &str, needle: &str, nth: usize, key: &str, message: &str) -> String {
        let (l, c) = at_nth(text, needle, nth);
        if key.is_empty() {
            format!("config.toml:{l}:{c}: {message}")
        } else {
            format!("config.toml:{l}:{c}: {key}: {message}")
        }
    }

    /// MINIMAL with `from` replaced by `to` (which must occur).
    fn minimal_with(from: &str, to: &str) -> String {
        assert!(MINIMAL.contains(from), "{from:?}");
        MINIMAL.replacen(from, to, 1)
    }

    #[test]
    fn full_config_parses() {
        let c = Config::parse(FULL, Path::new("/etc/pressfeed/config.toml")).expect("valid");
        let s = &c.settings;
        assert_eq!(
            s.database,
            PathBuf::from("/etc/pressfeed/data/pressfeed.db")
        );
        assert_eq!(s.feeds_dir, PathBuf::from("/srv/feeds"));
        assert_eq!(s.base_url.as_str(), "https://feeds.example.org/press/");
        assert_eq!(s.user_agent, "pressfeed-test/1.0");
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.request_timeout, Duration::from_secs(20));
        assert_eq!(s.max_body_bytes, 1_048_576);
        assert_eq!(s.per_host_concurrency, 4);
        assert_eq!(
            s.listen,
            "0.0.0.0:9090".parse::<SocketAddr>().expect("addr")
        );

        assert_eq!(c.sources.len(), 2);
        let a = &c.sources[0];
        assert_eq!(a.id, "prokuror-ru");
        assert_eq!(a.title, "Генпрокуратура РК");
        assert_eq!(a.description, "Пресс-релизы");
        assert_eq!(a.language, "ru");
        assert_eq!(a.timezone, chrono_tz::Asia::Almaty);
        assert_eq!(a.site_url.as_str(), "https://prokuror.example.kz/");
        assert_eq!(
            a.listing_urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            [
                "https://prokuror.example.kz/category/news/",
                "http://prokuror.example.kz/page/2/"
            ]
        );
        assert_eq!(a.schedule.expr, "*/30 * * * *");
        assert_eq!(a.items, 20);
        assert_eq!(a.max_pages, 3);
        assert_eq!(a.recheck_age, Duration::ZERO);
        let raw = |p: &Option<Pick>| p.as_ref().map(|p| p.raw.clone());
        assert_eq!(raw(&a.listing.item).as_deref(), Some("article.post"));
        assert_eq!(
            raw(&a.listing.link).as_deref(),
            Some("h2.entry-title a@href")
        );
        assert_eq!(
            a.listing.link.as_ref().and_then(|p| p.attr.as_deref()),
            Some("href")
        );
        assert_eq!(raw(&a.listing.title).as_deref(), Some("h2.entry-title a"));
        assert_eq!(raw(&a.listing.date).as_deref(), Some("time@datetime"));
        assert_eq!(raw(&a.listing.summary).as_deref(), Some(".entry-summary"));
        assert_eq!(raw(&a.listing.image).as_deref(), Some("img@data-src"));
        assert_eq!(
            raw(&a.listing.next).as_deref(),
            Some("a.next.page-numbers@href")
        );
        assert_eq!(raw(&a.article.title).as_deref(), Some("h1.entry-title"));
        assert_eq!(
            raw(&a.article.content).as_deref(),
            Some("div.entry-content")
        );
        assert_eq!(
            raw(&a.article.date).as_deref(),
            Some("time.entry-date.published@datetime")
        );
        assert_eq!(
            raw(&a.article.modified).as_deref(),
            Some("time.updated@datetime")
        );
        assert_eq!(raw(&a.article.author).as_deref(), Some(".byline .author"));
        assert_eq!(raw(&a.article.categories).as_deref(), Some(".cat-links a"));
        assert_eq!(
            raw(&a.article.image).as_deref(),
            Some(".post-thumbnail img@src")
        );
        assert_eq!(
            a.article
                .remove
                .iter()
                .map(|p| p.raw.as_str())
                .collect::<Vec<_>>(),
            [
                ".sharedaddy",
                ".jp-relatedposts",
                ".addtoany_share_save_container"
            ]
        );

        let b = &c.sources[1];
        assert_eq!(b.site_url.as_str(), "https://kk.example.kz:8443/");
        assert_eq!(b.description, "Бас прокуратура");

        let (rss, atom, json) = a.feed_urls(s);
        assert_eq!(
            rss.as_str(),
            "https://feeds.example.org/press/feeds/prokuror-ru.rss"
        );
        assert_eq!(
            atom.as_str(),
            "https://feeds.example.org/press/feeds/prokuror-ru.atom"
        );
        assert_eq!(
            json.as_str(),
            "https://feeds.example.org/press/feeds/prokuror-ru.json"
        );

        let picked = c.select(&["prokuror-kk".into()]).expect("known id");
        assert_eq!(picked.len(), 1);
        assert!(c.select(&["nope".into()]).is_err());
    }

    #[test]
    fn defaults_applied() {
        let c = Config::parse(MINIMAL, Path::new("/etc/pf/config.toml")).expect("valid");
        let s = &c.settings;
        assert_eq!(s.database, PathBuf::from("/etc/pf/pressfeed.db"));
        assert_eq!(s.feeds_dir, PathBuf::from("/etc/pf/feeds"));
        assert_eq!(
            s.listen,
            "127.0.0.1:8080".parse::<SocketAddr>().expect("addr")
        );
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(
            s.user_agent,
            format!(
                "pressfeed/{} (+https://github.com/pressfeed/pressfeed)",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(s.connect_timeout, Duration::from_secs(10));
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        assert_eq!(s.max_body_bytes, 5 * 1024 * 1024);
        assert_eq!(s.per_host_concurrency, 2);
        assert!(s.respect_robots);
        assert_eq!(s.min_delay, Duration::from_millis(1000));
        assert_eq!(s.max_retry_after, Duration::from_secs(120));
        assert_eq!(s.retries, 2);

        let a = &c.sources[0];
        assert!(a.allowed_hosts.is_empty());
        assert_eq!(a.description, "A");
        assert_eq!(a.language, "ru");
        assert_eq!(a.timezone, Tz::UTC);
        assert_eq!(a.site_url.as_str(), "https://example.kz/");
        assert_eq!(a.schedule.expr, "@hourly");
        assert_eq!(a.items, 50);
        assert_eq!(a.max_pages, 1);
        assert_eq!(a.recheck_age, Duration::from_secs(48 * 3600));
        assert!(a.listing.item.is_none() && a.listing.link.is_none());
        assert!(a.article.content.is_none() && a.article.remove.is_empty());
        let (rss, _, json) = a.feed_urls(s);
        assert_eq!(rss.as_str(), "http://127.0.0.1:8080/feeds/a.rss");
        assert_eq!(json.as_str(), "http://127.0.0.1:8080/feeds/a.json");

        // a bare file name keeps relative paths relative to the working directory
        let c = parse(MINIMAL).expect("valid");
        assert_eq!(c.settings.database, PathBuf::from("pressfeed.db"));

        // base_url follows listen
        let t = format!("[settings]\nlisten = \"[::1]:9000\"\n{MINIMAL}");
        let c = parse(&t).expect("valid");
        assert_eq!(c.settings.base_url.as_str(), "http://[::1]:9000/");
    }

    #[test]
    fn unknown_keys() {
        let t = format!("color = \"red\"\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "color",
                "color",
                r#"unknown key "color", expected "settings" or "source""#
            )
        );

        let t = format!("[settings]\ndatabse = \"x.db\"\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "databse",
                "settings.databse",
                "unknown key \"databse\", expected one of \"database\", \"feeds_dir\", \
                 \"base_url\", \"user_agent\", \"connect_timeout_secs\", \
                 \"request_timeout_secs\", \"max_body_bytes\", \"per_host_concurrency\", \
                 \"listen\", \"shutdown_grace_secs\", \"schedule_jitter_secs\", \"hubs\", \
                 \"respect_robots\", \"min_delay_ms\", \"max_retry_after_secs\", \"retries\""
            )
        );

        let t = format!("{MINIMAL}[[source]]\nid = \"b\"\ntitle = \"B\"\nlisting_url = []\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "listing_url =",
                "source[1].listing_url",
                "unknown key \"listing_url\", expected one of \"id\", \"title\", \
                 \"description\", \"language\", \"timezone\", \"site_url\", \"listing_urls\", \
                 \"schedule\", \"items\", \"max_pages\", \"recheck_hours\", \"page_url_template\", \
                 \"hubs\", \"allowed_hosts\", \"listing\", \"article\", \"kind\", \"wordpress\", \
                 \"json\", \"languages\""
            )
        );

        let t = format!("{MINIMAL}[source.listing]\nitem = \"li\"\nitems = \"li\"\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "items =",
                "source[0].listing.items",
                "unknown key \"items\", expected one of \"item\", \"link\", \"title\", \
                 \"date\", \"summary\", \"image\", \"next\""
            )
        );

        // inline tables too
        let t = format!("{MINIMAL}article = {{ content = \"main\", body = \"x\" }}\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "body",
                "source[0].article.body",
                "unknown key \"body\", expected one of \"title\", \"content\", \"date\", \
                 \"modified\", \"author\", \"categories\", \"image\", \"remove\", \
                 \"signature_pattern\""
            )
        );
    }

    #[test]
    fn bad_selectors() {
        let t = format!("{MINIMAL}[source.listing]\nitem = \"div[\"\n");
        let css_err = Pick::parse("div[").err().unwrap_or_default();
        assert_eq!(
            err(&t),
            expect(&t, "\"div[\"", "source[0].listing.item", &css_err)
        );

        let t = format!("{MINIMAL}[source.article]\nremove = [\".a\", \".b\", \"img@\"]\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"img@\"",
                "source[0].article.remove[2]",
                "invalid attribute name \"\" after '@'"
            )
        );
    }

    #[test]
    fn bad_schedule() {
        let t = minimal_with("title = \"A\"\n", "title = \"A\"\nschedule = \"0 9 * *\"\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"0 9",
                "source[0].schedule",
                "expected 5 fields (crontab), 6 or 7 (with seconds) or a @shortcut, found 4"
            )
        );
        let t = minimal_with(
            "title = \"A\"\n",
            "title = \"A\"\nschedule = \"@sometimes\"\n",
        );
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"@sometimes",
                "source[0].schedule",
                "unknown shortcut \"@sometimes\", expected one of @yearly, @annually, \
                 @monthly, @weekly, @daily, @midnight, @hourly"
            )
        );
    }

    #[test]
    fn unknown_time_zone() {
        let t = minimal_with(
            "title = \"A\"\n",
            "title = \"A\"\ntimezone = \"Asia/Almatty\"\n",
        );
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"Asia/Almatty\"",
                "source[0].timezone",
                "unknown time zone \"Asia/Almatty\"; did you mean \"Asia/Almaty\"?"
            )
        );
        let t = minimal_with(
            "title = \"A\"\n",
            "title = \"A\"\ntimezone = \"Mars/Olympus\"\n",
        );
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"Mars",
                "source[0].timezone",
                "unknown time zone \"Mars/Olympus\""
            )
        );
    }

    #[test]
    fn bad_urls() {
        let cases = [
            (
                "/news/",
                "\"/news/\" is not an absolute URL (expected http://... or https://...)",
            ),
            (
                "ftp://example.kz/",
                "URL \"ftp://example.kz/\" must use http or https, not ftp",
            ),
            (
                "not a url",
                "\"not a url\" is not an absolute URL (expected http://... or https://...)",
            ),
            (
                "http://exa mple.kz/",
                "invalid URL \"http://exa mple.kz/\": invalid international domain name",
            ),
            ("https://", "invalid URL \"https://\": empty host"),
        ];
        for (bad, message) in cases {
            let t = minimal_with(
                "[\"https://example.kz/news/\"]",
                &format!("[\"https://example.kz/news/\", \"{bad}\"]"),
            );
            assert_eq!(
                err(&t),
                expect(
                    &t,
                    &format!("\"{bad}\""),
                    "source[0].listing_urls[1]",
                    message
                ),
                "{bad}"
            );
        }
        let t = minimal_with(
            "title = \"A\"\n",
            "title = \"A\"\nsite_url = \"example.kz\"\n",
        );
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"example.kz\"",
                "source[0].site_url",
                "\"example.kz\" is not an absolute URL (expected http://... or https://...)"
            )
        );
        let t = format!("[settings]\nbase_url = \"file:///srv/feeds/\"\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"file:",
                "settings.base_url",
                "URL \"file:///srv/feeds/\" must use http or https, not file"
            )
        );
        let t = minimal_with("[\"https://example.kz/news/\"]", "[]");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "[]",
                "source[0].listing_urls",
                "at least one listing URL is required"
            )
        );
    }

    #[test]
    fn bad_and_duplicate_ids() {
        for bad in ["Prokuror", "-x", "a b", "", &"x".repeat(65)] {
            let t = minimal_with("id = \"a\"", &format!("id = \"{bad}\""));
            assert_eq!(
                err(&t),
                expect(
                    &t,
                    &format!("\"{bad}\""),
                    "source[0].id",
                    &format!(
                        "invalid id \"{bad}\": use 1 to 64 lowercase letters, digits, \"-\" or \
                         \"_\", starting with a letter or digit"
                    )
                ),
                "{bad}"
            );
        }
        assert!(
            parse(&minimal_with(
                "id = \"a\"",
                &format!("id = \"{}\"", "x".repeat(64))
            ))
            .is_ok()
        );

        let t = format!(
            "{MINIMAL}\n[[source]]\nid = \"a\"\ntitle = \"Again\"\nlisting_urls = [\"http://b.kz/\"]\n"
        );
        assert_eq!(
            err(&t),
            expect_nth(
                &t,
                "\"a\"",
                1,
                "source[1].id",
                "duplicate source id \"a\" (already used by source[0])"
            )
        );
    }

    #[test]
    fn out_of_range_numbers() {
        let cases = [
            (
                "items = 0",
                "source[0].items",
                "must be between 1 and 1000, found 0",
            ),
            (
                "items = 1001",
                "source[0].items",
                "must be between 1 and 1000, found 1001",
            ),
            (
                "max_pages = -1",
                "source[0].max_pages",
                "must be between 1 and 1000, found -1",
            ),
            (
                "recheck_hours = 8761",
                "source[0].recheck_hours",
                "must be between 0 and 8760, found 8761",
            ),
        ];
        for (line, key, message) in cases {
            let t = minimal_with("title = \"A\"\n", &format!("title = \"A\"\n{line}\n"));
            // the error points at the value, just after "key = "
            let (l, c) = at_nth(&t, line, 0);
            let c = c + line.find(" = ").unwrap_or_default() + 3;
            assert_eq!(err(&t), format!("config.toml:{l}:{c}: {key}: {message}"));
        }
        let cases = [
            (
                "per_host_concurrency = 33",
                "settings.per_host_concurrency",
                "must be between 1 and 32, found 33",
            ),
            (
                "connect_timeout_secs = 0",
                "settings.connect_timeout_secs",
                "must be at least 1, found 0",
            ),
            (
                "request_timeout_secs = -5",
                "settings.request_timeout_secs",
                "must be at least 1, found -5",
            ),
            (
                "max_body_bytes = 0",
                "settings.max_body_bytes",
                "must be at least 1, found 0",
            ),
        ];
        for (line, key, message) in cases {
            let t = format!("[settings]\n{line}\n{MINIMAL}");
            let (l, c) = at_nth(&t, " = ", 0);
            assert_eq!(
                err(&t),
                format!("config.toml:{l}:{}: {key}: {message}", c + 3)
            );
        }
    }

    #[test]
    fn politeness_settings_and_allowed_hosts() {
        let t = format!(
            "[settings]\nrespect_robots = false\nmin_delay_ms = 0\nmax_retry_after_secs = 30\n\
             retries = 0\n{MINIMAL}allowed_hosts = [\"CDN.Example.kz.\", \"*.gov.kz\", \"10.1.2.3\"]\n"
        );
        let c = parse(&t).expect("valid");
        assert!(!c.settings.respect_robots);
        assert_eq!(c.settings.min_delay, Duration::ZERO);
        assert_eq!(c.settings.max_retry_after, Duration::from_secs(30));
        assert_eq!(c.settings.retries, 0);
        assert_eq!(
            c.sources[0].allowed_hosts,
            ["cdn.example.kz", "*.gov.kz", "10.1.2.3"]
        );

        for (line, key, message) in [
            (
                "min_delay_ms = -1",
                "settings.min_delay_ms",
                "must be between 0 and 600000, found -1",
            ),
            (
                "retries = 11",
                "settings.retries",
                "must be between 0 and 10, found 11",
            ),
            (
                "max_retry_after_secs = 86401",
                "settings.max_retry_after_secs",
                "must be between 0 and 86400, found 86401",
            ),
        ] {
            let t = format!("[settings]\n{line}\n{MINIMAL}");
            let (l, c) = at_nth(&t, " = ", 0);
            assert_eq!(
                err(&t),
                format!("config.toml:{l}:{}: {key}: {message}", c + 3)
            );
        }

        let t = format!("[settings]\nrespect_robots = \"yes\"\n{MINIMAL}");
        assert!(err(&t).contains("settings.respect_robots"), "{}", err(&t));

        for bad in ["https://cdn.example.kz/", "cdn.example.kz:8080", ""] {
            let t = format!("{MINIMAL}allowed_hosts = [\"ok.kz\", \"{bad}\"]\n");
            let e = err(&t);
            assert!(
                e.contains("source[0].allowed_hosts[1]: invalid host"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn other_settings_checks() {
        let t = format!("[settings]\nlisten = \"localhost\"\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"localhost\"",
                "settings.listen",
                "invalid listen address \"localhost\": invalid socket address syntax \
                 (expected e.g. \"127.0.0.1:8080\")"
            )
        );
        let t = format!("[settings]\nuser_agent = \"\"\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"\"",
                "settings.user_agent",
                "must be non-empty printable ASCII (it is sent as an HTTP header)"
            )
        );
        let t = minimal_with("title = \"A\"\n", "title = \"A\"\nlanguage = \"russian\"\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"russian\"",
                "source[0].language",
                "invalid language tag \"russian\": expected a BCP 47 tag such as \"ru\", \"kk\" \
                 or \"kk-KZ\""
            )
        );
        assert!(
            parse(&minimal_with(
                "title = \"A\"\n",
                "title = \"A\"\nlanguage = \"kk-KZ\"\n"
            ))
            .is_ok()
        );
        let t = minimal_with("title = \"A\"", "title = \"  \"");
        assert_eq!(
            err(&t),
            expect(&t, "\"  \"", "source[0].title", "must not be empty")
        );
    }

    #[test]
    fn missing_pieces() {
        let t = "[settings]\nlisten = \"127.0.0.1:1\"\n";
        assert_eq!(err(t), "config.toml:1:1: source: no [[source]] defined");
        let t = "source = []\n";
        assert_eq!(err(t), expect(t, "[]", "source", "no [[source]] defined"));

        let t = format!("{MINIMAL}\n[[source]]\nid = \"b\"\nlisting_urls = [\"http://b.kz/\"]\n");
        assert_eq!(
            err(&t),
            expect_nth(
                &t,
                "[[source]]",
                1,
                "source[1].title",
                "missing required key"
            )
        );
    }

    #[test]
    fn toml_syntax_error() {
        let t = format!("{MINIMAL}[source.listing\nitem = \"li\"\n");
        let (l, c) = at_nth(&t, "[source.listing", 0);
        assert_eq!(
            err(&t),
            format!(
                "config.toml:{l}:{}: invalid TOML: unclosed table, expected `]`",
                c + "[source.listing".len()
            )
        );
        let t = minimal_with("title = \"A\"", "title = \"A");
        assert!(err(&t).starts_with("config.toml:3:"), "{}", err(&t));
    }

    #[test]
    fn wrong_types() {
        let t = minimal_with("title = \"A\"\n", "title = \"A\"\nitems = \"50\"\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"50\"",
                "source[0].items",
                "invalid type: string \"50\", expected an integer"
            )
        );
        let t = minimal_with(
            "[\"https://example.kz/news/\"]",
            "\"https://example.kz/news/\"",
        );
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"https://example.kz/news/\"",
                "source[0].listing_urls",
                "invalid type: string \"https://example.kz/news/\", expected an array"
            )
        );
        let t = format!("[[settings]]\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "[[settings]]",
                "settings",
                "invalid type: array, expected a table"
            )
        );
        let t = "[source]\nid = \"a\"\n";
        assert_eq!(
            err(t),
            expect(
                t,
                "[source]",
                "source",
                "invalid type: table, expected an array"
            )
        );
        let t = format!("{MINIMAL}listing = [\"li\"]\n");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "[\"li\"]",
                "source[0].listing",
                "invalid type: array, expected a table"
            )
        );
        let t = "source = [\"a\"]\n";
        assert_eq!(
            err(t),
            expect(
                t,
                "\"a\"",
                "source[0]",
                "invalid type: string, expected a table"
            )
        );
        let t = format!("settings = 5\n{MINIMAL}");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "5",
                "settings",
                "invalid type: integer, expected a table"
            )
        );
    }

    const GOVKZ: &str = r#"[[source]]
id = "gp"
title = "Генпрокуратура"
kind = "json"
timezone = "Asia/Almaty"

[source.json]
url = "https://www.gov.kz/api/v1/public/content-manager/news?projects=eq:prokuror&page={page}&size=10&lang={lang}"
id = "id"
title = "/title"
date = "created_date"
body = "body"
image = "heropic"
image_base = "https://www.gov.kz"
link = "https://www.gov.kz/memleket/entities/prokuror/press/news/details/{id}?lang={lang}"
headers = { Accept-Language = "{lang}" }

[source.languages]
kk = { title = "Бас прокуратура" }
"#;

    #[test]
    fn json_source_with_language_twin() {
        let c = parse(GOVKZ).expect("valid");
        assert_eq!(c.sources.len(), 2);
        let (ru, kk) = (&c.sources[0], &c.sources[1]);
        assert_eq!((ru.id.as_str(), ru.language.as_str()), ("gp", "ru"));
        assert_eq!((kk.id.as_str(), kk.language.as_str()), ("gp-kk", "kk"));
        assert_eq!(kk.title, "Бас прокуратура");
        assert_eq!(ru.kind, SourceKind::Json);
        let (jr, jk) = (
            ru.json.as_ref().expect("json"),
            kk.json.as_ref().expect("json"),
        );
        assert!(jr.url.raw.ends_with("page={page}&size=10&lang=ru"));
        assert!(jk.link.raw.ends_with("details/{id}?lang=kk"));
        assert_eq!(
            jk.headers,
            [("Accept-Language".to_string(), "kk".to_string())]
        );
        assert!(jr.items.is_root());
        assert_eq!(jr.first_page, 1);
        assert!(ru.listing_urls[0].as_str().contains("page=1&"));
        assert_eq!(ru.site_url.as_str(), "https://www.gov.kz/");
    }

    #[test]
    fn bad_json_sources() {
        let t = GOVKZ.replace("id = \"id\"\n", "");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "[source.json]",
                "source[0].json.id",
                "missing required key"
            )
        );
        let t = GOVKZ.replace("details/{id}", "details/{id");
        let e = err(&t);
        assert!(e.contains("source[0].json.link: unclosed \"{\""), "{e}");
        let t = GOVKZ.replace("title = \"/title\"", "title = \"a..b\"");
        assert!(
            err(&t).contains("source[0].json.title: invalid path"),
            "{}",
            err(&t)
        );
        let t = GOVKZ.replace("[source.json]", "[source.jsn]");
        assert!(
            err(&t).contains("source[0].jsn: unknown key"),
            "{}",
            err(&t)
        );
        let t = GOVKZ.replace("kind = \"json\"", "kind = \"xml\"");
        assert_eq!(
            err(&t),
            expect(
                &t,
                "\"xml\"",
                "source[0].kind",
                "unknown kind \"xml\", expected \"html\" or \"json\""
            )
        );
        let t = GOVKZ.replace("kk = {", "kazakh = {");
        assert!(
            err(&t).contains("source[0].languages.kazakh: invalid language tag"),
            "{}",
            err(&t)
        );
        let t = format!("{MINIMAL}wordpress = \"maybe\"\n");
        assert!(
            err(&t).contains("source[0].wordpress: unknown value"),
            "{}",
            err(&t)
        );
    }

    #[test]
    fn html_language_twins() {
        let t = format!(
            "{MINIMAL}wordpress = \"off\"\n[source.languages]\nkk = {{ listing_urls = [\"https://example.kz/kk/news/\"] }}\n"
        );
        let c = parse(&t).expect("valid");
        assert_eq!(c.sources[0].wordpress, WordPressMode::Off);
        let kk = &c.sources[1];
        assert_eq!(kk.id, "a-kk");
        assert_eq!(kk.title, "A (kk)");
        assert_eq!(kk.listing_urls[0].as_str(), "https://example.kz/kk/news/");
        let t = format!("{MINIMAL}[source.languages]\nkk = {{ title = \"K\" }}\n");
        assert!(
            err(&t).contains("source[0].languages.kk.listing_urls: missing required key"),
            "{}",
            err(&t)
        );
        let t = format!(
            "{MINIMAL}[source.languages]\nkk = {{ listing_urls = [\"https://example.kz/kk/\"] }}\n\
             [[source]]\nid = \"a-kk\"\ntitle = \"X\"\nlisting_urls = [\"https://b.kz/\"]\n"
        );
        assert!(
            err(&t).contains("duplicate source id \"a-kk\" (already used by source[0])"),
            "{}",
            err(&t)
        );
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("ab\nжж x", 8), (2, 4));
        assert_eq!(line_col("", 10), (1, 1));
    }
}
