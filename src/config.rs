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
        let ctx = Ctx { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
        let settings = ctx.settings(raw.settings.map(Spanned::into_inner).unwrap_or_default())?;
        let raw_sources = match raw.source {
            Some(list) if !list.get_ref().is_empty() => list.into_inner(),
            Some(list) => return Err(ctx.err(list.span(), "source", "no [[source]] defined")),
            None => return Err(ctx.err(0..0, "source", "no [[source]] defined")),
        };
        let mut sources: Vec<Source> = Vec::with_capacity(raw_sources.len());
        for (i, raw) in raw_sources.into_iter().enumerate() {
            let source = ctx.source(i, raw, &sources)?;
            sources.push(source);
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
    settings: Option<Spanned<RawSettings>>,
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
    listing: Option<RawListing>,
    article: Option<RawArticle>,
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
        let key = key_at(self.text, &span).unwrap_or_default();
        self.err(span, key, friendly_serde_message(e.message()))
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
        })
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

    fn source(
        &self,
        i: usize,
        raw: Spanned<RawSource>,
        earlier: &[Source],
    ) -> Result<Source, ConfigError> {
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
                    "duplicate source id {:?} (already used by source[{j}])",
                    id.get_ref()
                ),
            ));
        }
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

        let urls = raw.listing_urls.ok_or_else(|| missing("listing_urls"))?;
        if urls.get_ref().is_empty() {
            return Err(self.err(
                urls.span(),
                k("listing_urls"),
                "at least one listing URL is required",
            ));
        }
        let mut listing_urls = Vec::with_capacity(urls.get_ref().len());
        for (j, u) in urls.into_inner().into_iter().enumerate() {
            let url = http_url(u.get_ref())
                .map_err(|m| self.err(u.span(), k(&format!("listing_urls[{j}]")), m))?;
            listing_urls.push(url);
        }

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
        };

        Ok(Source {
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
            listing,
            article,
        })
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
/// the start of `span`; `None` when the document does not parse (syntax errors).
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut best: Option<Candidate> = None;
    walk_table(doc.get_ref(), "", span, &mut best);
    best.map(|c| c.path)
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
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
        .replace("struct RawSettings", "a table")
        .replace("struct RawSource", "a table")
        .replace("struct RawListing", "a table")
        .replace("struct RawArticle", "a table")
        .replace("struct RawConfig", "a table")
}
