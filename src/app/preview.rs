//! `pressfeed preview URL [--source ID] [--json]`: what pressfeed would extract from one
//! page, and where each value came from. This is what an admin runs while writing a config.
//!
//! The page is fetched with the real [`Fetcher`] (robots.txt, politeness, size caps) and
//! classified: a page stating it is an article (JSON-LD Article types, `og:type=article`)
//! or showing fewer than [`LISTING_MIN_ITEMS`] article links is an article; otherwise it is
//! a listing, whose items are shown and whose first item is then extracted as an article.
//! Nothing is written to the store or the feeds.
//!
//! # JSON output
//!
//! Stable for scripts and tests: keys sorted, no run timestamps. Shape:
//!
//! ```text
//! { "url": requested URL, "kind": "listing" | "article",
//!   "listing": null | { "url", "items": [{ "url", "title", "date_text" }], "next" },
//!   "article": null | {
//!     "url": fetched URL, "error": null | why it would be rejected,
//!     "fields": { NAME: { "value": …, "step": "json-ld headline" | "selector h1" | … } },
//!     "date_failures": [{ "field", "text", "origin", "partial"? }] ("partial": the
//!                         date-like text left over when a date was only partly read),
//!     "body_chars": N, "body_start": first 300 characters of the body text,
//!     "selector_misses": [configured selectors that matched nothing] } }
//! ```
//!
//! Top-level keys added for API sources: `"via": "html" | "wordpress-rest" | "json-api"`
//! (how the page was read: a `kind = "json"` source through its API and session, a
//! WordPress listing through the REST step of the ladder, as a run reads them) and
//! `"api_error"` (why a WordPress site was read from HTML after all, else null). For API
//! reads `listing.url` is the API request, `listing.skipped` lists records that could not
//! be mapped (`{ "what", "why" }`), and each field's step names its JSON path
//! (`"json title"`) or the API (`"wordpress rest api"`).
//!
//! Field names: `title`, `canonical_url`, `published`, `modified`, `author`, `categories`,
//! `image`, `language`, `summary`, `content`. A field that was not found has
//! `"value": null, "step": null`. Dates are RFC 3339 in the source's time zone (UTC without
//! `--source`).

use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use scraper::{Html, Selector};
use serde_json::{Value, json};
use url::Url;

use super::commands::{load, runtime};
use super::exit::Exit;
use super::{preview_api, preview_telegram};
use crate::config::{Config, ConfigError, Source, SourceKind, WordPressMode};
use crate::core::model::{DateCandidate, RawArticle};
use crate::extract::{extract_article, extract_listing};
use crate::http::{FetchError, Fetcher, Outcome, Page, RequestPolicy};
use crate::normalize::{normalize, plain_text, sanitize_html};
use crate::sources::wordpress;

/// A page with at least this many article links (and no article markup) is a listing.
pub const LISTING_MIN_ITEMS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("preview: {0}")]
    Fetch(#[from] FetchError),
    #[error("preview {url}: the server answered 304 Not Modified to an unconditional request")]
    NotModified { url: String },
    /// A JSON API source's API could not be read.
    #[error("preview: {0}")]
    Api(String),
}

/// Whether the page says of itself that it is one article.
fn declares_article(html: &str) -> bool {
    let doc = Html::parse_document(html);
    let og = Selector::parse(r#"meta[property="og:type"][content]"#).ok();
    let is_og_article = og.is_some_and(|s| {
        doc.select(&s).any(|m| {
            m.value()
                .attr("content")
                .is_some_and(|c| c.eq_ignore_ascii_case("article"))
        })
    });
    let ld = Selector::parse(r#"script[type="application/ld+json"]"#).ok();
    let ld_article = ld.is_some_and(|s| {
        doc.select(&s).any(|e| {
            let t = e.text().collect::<String>();
            [
                "\"NewsArticle\"",
                "\"BlogPosting\"",
                "\"Article\"",
                "\"ReportageNews\"",
            ]
            .iter()
            .any(|k| t.contains(k))
        })
    });
    is_og_article || ld_article
}

async fn fetch(fetcher: &Fetcher, url: &Url, source: &Source) -> Result<Page, PreviewError> {
    match fetcher
        .get_html_for(url, None, RequestPolicy::for_source(source))
        .await?
    {
        Outcome::Fetched(page) => Ok(page),
        Outcome::NotModified => Err(PreviewError::NotModified {
            url: url.to_string(),
        }),
    }
}

/// Fetches `url` and builds the preview report (the JSON value described in the module
/// docs), reading it the way a run of `source` would: through the JSON API of a
/// `kind = "json"` source, through the REST API of a WordPress listing. `now` anchors
/// relative dates ("2 дня назад") only.
pub async fn preview(
    fetcher: &Fetcher,
    url: &Url,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Value, PreviewError> {
    if let (SourceKind::Json, Some(rules)) = (source.kind, source.json.as_ref()) {
        let read = preview_api::json_read(fetcher, url, source, rules)
            .await
            .map_err(|e| PreviewError::Api(e.to_string()))?;
        return Ok(sorted(api_report(url, Via::JsonApi, read, source, now)));
    }
    let page = fetch(fetcher, url, source).await?;
    if source.kind == SourceKind::Telegram {
        return Ok(sorted(preview_telegram::report(
            &page.text, url, source, now,
        )));
    }
    let mut api_error = None;
    if source.wordpress == WordPressMode::Auto
        && let Some(root) = wordpress::detect(&page.text, &page.final_url, &page.link_headers)
    {
        match preview_api::wordpress_read(fetcher, &page.final_url, source, &root).await {
            Ok(read) => {
                return Ok(sorted(api_report(
                    url,
                    Via::WordPressRest,
                    read,
                    source,
                    now,
                )));
            }
            Err(e) => api_error = Some(e.to_string()),
        }
    }
    Ok(sorted(
        html_preview(fetcher, url, page, source, now, api_error).await,
    ))
}

/// The preview of a page read as HTML.
async fn html_preview(
    fetcher: &Fetcher,
    url: &Url,
    page: Page,
    source: &Source,
    now: DateTime<Utc>,
    api_error: Option<String>,
) -> Value {
    let (final_url, html) = (page.final_url, page.text);
    let listing = extract_listing(&html, &final_url, &source.listing);
    let is_listing = !declares_article(&html) && listing.items.len() >= LISTING_MIN_ITEMS;
    let (kind, listing_json, article) = if is_listing {
        let items: Vec<Value> = listing
            .items
            .iter()
            .map(|i| json!({ "url": i.url.as_str(), "title": i.title, "date_text": i.date_text }))
            .collect();
        let lj = json!({
            "url": final_url.as_str(),
            "items": items,
            "next": listing.next.as_ref().map(Url::as_str),
        });
        let first = &listing.items[0].url;
        let article = match fetch(fetcher, first, source).await {
            Ok(p) => article_report(&p.text, &p.final_url, source, now),
            Err(e) => json!({ "url": first.as_str(), "error": e.to_string() }),
        };
        ("listing", lj, article)
    } else {
        (
            "article",
            Value::Null,
            article_report(&html, &final_url, source, now),
        )
    };
    let mut report = report(url, Via::Html, listing_json, article, api_error);
    report["kind"] = json!(kind);
    report
}

/// How a preview read its page.
#[derive(Debug, Clone, Copy)]
enum Via {
    Html,
    WordPressRest,
    JsonApi,
}

impl Via {
    fn label(self) -> &'static str {
        match self {
            Via::Html => "html",
            Via::WordPressRest => "wordpress-rest",
            Via::JsonApi => "json-api",
        }
    }
}

/// The report of a page read through an API: its listing, its first record's fields.
fn api_report(
    url: &Url,
    via: Via,
    read: preview_api::ApiRead,
    source: &Source,
    now: DateTime<Utc>,
) -> Value {
    let article = match read.first {
        None => Value::Null,
        Some(Ok((raw, link))) => raw_report(raw, &link, source, now),
        Some(Err((link, error))) => json!({ "url": link.as_str(), "error": error }),
    };
    report(url, via, read.listing, article, None)
}

/// The whole report; `api_error` says why a WordPress site was previewed from HTML.
fn report(url: &Url, via: Via, listing: Value, article: Value, api_error: Option<String>) -> Value {
    let kind = if listing.is_null() {
        "article"
    } else {
        "listing"
    };
    json!({
        "url": url.as_str(),
        "kind": kind,
        "via": via.label(),
        "api_error": api_error,
        "listing": listing,
        "article": article,
    })
}

/// The step a field came from; records read whole from an API name the API instead.
fn step_of(raw: &RawArticle, field: &str) -> Option<String> {
    let step = |name: &str| {
        raw.provenance
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, s)| s.clone())
    };
    step(field).or_else(|| step("article"))
}

/// The date the candidates yield, as RFC 3339 in the source's zone with its step.
type ShownDate = Option<(String, String)>;
/// Candidates before it that did not read, each with its left-over text when it was only
/// partly understood.
type Unread<'a> = Vec<(&'a DateCandidate, Option<String>)>;

/// The date the candidates yield (with its step), and the ones before it that did not read.
fn pick_date(cands: &[DateCandidate], tz: Tz, now: DateTime<Utc>) -> (ShownDate, Unread<'_>) {
    let picked = crate::core::datepick::pick_date(cands, tz, now);
    (
        picked
            .instant
            .map(|(d, origin)| (d.with_timezone(&tz).to_rfc3339(), origin)),
        picked.failed,
    )
}

fn field(value: Value, step: Option<String>) -> Value {
    let step = if value.is_null() { None } else { step };
    json!({ "value": value, "step": step })
}

/// Every field of one article page with its ladder step.
fn article_report(html: &str, page_url: &Url, source: &Source, now: DateTime<Utc>) -> Value {
    raw_report(
        extract_article(html, page_url, &source.article),
        page_url,
        source,
        now,
    )
}

/// Every field of one raw article (from a page or an API record) with its step.
fn raw_report(raw: RawArticle, page_url: &Url, source: &Source, now: DateTime<Utc>) -> Value {
    let tz = source.timezone;
    let (published, pub_failed) = pick_date(&raw.published, tz, now);
    let (modified, mod_failed) = pick_date(&raw.modified, tz, now);
    let selector_raw = |pick: &Option<crate::core::pick::Pick>| {
        pick.as_ref()
            .map(|p| format!("selector {}", p.raw))
            .unwrap_or_else(|| "selector".into())
    };
    let date_step = |origin: String, pick: &Option<crate::core::pick::Pick>| {
        if origin == "selector" {
            selector_raw(pick)
        } else {
            origin
        }
    };
    let mut failures: Vec<Value> = Vec::new();
    for (name, list) in [("published", &pub_failed), ("modified", &mod_failed)] {
        for (c, leftover) in list {
            let mut f = json!({ "field": name, "text": c.text, "origin": c.origin });
            if let Some(rest) = leftover {
                f["partial"] = json!(rest);
            }
            failures.push(f);
        }
    }
    let body_html = raw
        .content_html
        .as_deref()
        .map(|h| sanitize_html(h, page_url))
        .unwrap_or_default();
    let text = plain_text(&body_html);
    let body_start: String = text.chars().take(300).collect();
    let normalized = normalize(raw.clone(), source, now);
    let (error, n) = match normalized {
        Ok(n) => (None, Some(n.article)),
        Err(e) => (Some(e.to_string()), None),
    };
    let lang_step = step_of(&raw, "language").or(Some("source language".into()));
    let fields = json!({
        "title": field(json!(n.as_ref().map(|a| a.title.clone()).or(raw.title.clone())), step_of(&raw, "title")),
        "canonical_url": field(
            json!(n.as_ref().map(|a| a.url.to_string())),
            step_of(&raw, "canonical").or(Some("fetched URL".into())),
        ),
        "published": field(
            json!(published.as_ref().map(|p| p.0.clone())),
            published.map(|p| date_step(p.1, &source.article.date)),
        ),
        "modified": field(
            json!(modified.as_ref().map(|p| p.0.clone())),
            modified.map(|p| date_step(p.1, &source.article.modified)),
        ),
        "author": field(json!(raw.author), step_of(&raw, "author")),
        "categories": field(
            if raw.categories.is_empty() { Value::Null } else { json!(raw.categories) },
            step_of(&raw, "categories"),
        ),
        "image": field(
            json!(n.as_ref().and_then(|a| a.image.as_ref().map(Url::to_string)).or(raw.image.clone())),
            step_of(&raw, "image"),
        ),
        "language": field(json!(n.as_ref().map(|a| a.language.clone()).or(raw.language.clone())), lang_step),
        "summary": field(json!(n.as_ref().map(|a| a.summary.clone())), Some("body text".into())),
        "content": field(
            if text.is_empty() { Value::Null } else { json!(format!("{} characters", text.chars().count())) },
            step_of(&raw, "content"),
        ),
    });
    json!({
        "url": page_url.as_str(),
        "error": error,
        "fields": fields,
        "date_failures": failures,
        "body_chars": text.chars().count(),
        "body_start": body_start,
        "selector_misses": raw.selector_misses,
    })
}

/// The same value with every object's keys in sorted order (whatever serde_json's map
/// keeps), so the JSON output is byte-stable.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The human-readable rendering of a preview report: a table per part.
pub fn render_text(report: &Value) -> String {
    let s = |v: &Value| match v {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    let mut out = String::new();
    out += &format!(
        "{} is {} page\n",
        s(&report["url"]),
        match report["kind"].as_str() {
            Some("listing") => "a listing",
            _ => "an article",
        }
    );
    let api = match report["via"].as_str() {
        Some("json-api") => Some("the JSON API"),
        Some("wordpress-rest") => Some("the WordPress REST API"),
        _ => None,
    };
    if let Some(api) = api {
        out += &format!("read through {api}: {}\n", s(&report["listing"]["url"]));
    }
    if !report["api_error"].is_null() {
        out += &format!(
            "the WordPress REST API is not usable, read as HTML: {}\n",
            s(&report["api_error"])
        );
    }
    if let Some(items) = report["listing"]["items"].as_array() {
        out += &format!("\nListing: {} items\n", items.len());
        out += &format!("  {:>3}  {:<22}  {}\n", "#", "date text", "title / url");
        for (i, it) in items.iter().enumerate() {
            out += &format!(
                "  {:>3}  {:<22}  {}\n  {:>3}  {:<22}  {}\n",
                i + 1,
                truncate(&s(&it["date_text"]), 22),
                s(&it["title"]),
                "",
                "",
                s(&it["url"])
            );
        }
        out += &format!("  next page: {}\n", s(&report["listing"]["next"]));
    }
    let a = &report["article"];
    if a.is_object() {
        out += &format!("\nArticle {}\n", s(&a["url"]));
        if !a["error"].is_null() {
            out += &format!("  would be rejected: {}\n", s(&a["error"]));
        }
        out += &format!("  {:<14}  {:<60}  {}\n", "field", "value", "from");
        if let Some(fields) = a["fields"].as_object() {
            for (name, f) in fields {
                out += &format!(
                    "  {:<14}  {:<60}  {}\n",
                    name,
                    truncate(&s(&f["value"]), 60),
                    s(&f["step"])
                );
            }
        }
        if let Some(fails) = a["date_failures"].as_array().filter(|f| !f.is_empty()) {
            out += "\n  Date text that did not parse:\n";
            for f in fails {
                let partial = match f["partial"].as_str() {
                    Some(rest) => format!(", partly understood: {rest:?} left over, not used"),
                    None => String::new(),
                };
                out += &format!(
                    "    {:<10} {:?} ({}{partial})\n",
                    s(&f["field"]),
                    s(&f["text"]),
                    s(&f["origin"])
                );
            }
        }
        if let Some(m) = a["selector_misses"].as_array().filter(|m| !m.is_empty()) {
            out += &format!(
                "\n  Selectors that matched nothing: {}\n",
                s(&Value::Array(m.clone()))
            );
        }
        out += &format!(
            "\n  Body: {} characters\n  {}\n",
            s(&a["body_chars"]),
            s(&a["body_start"])
        );
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A zero-config source for `url` (UTC, no selectors): what `preview` uses without
/// `--source`. Built through the config parser so every default is the documented one.
fn zero_config_source(url: &Url) -> Result<Config, ConfigError> {
    // `Url` serializes with quotes and backslashes percent-encoded, so it is a safe TOML
    // basic string.
    let text = format!(
        "[[source]]\nid = \"preview\"\ntitle = \"preview\"\ntimezone = \"UTC\"\n\
         listing_urls = [\"{url}\"]\n"
    );
    Config::parse(&text, Path::new("<preview>"))
}

/// `pressfeed preview`: fetch, extract, print; never touches the store or the feeds.
pub(super) fn command(config_path: &Path, url: &str, source: Option<&str>, json: bool) -> Exit {
    let url = match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            eprintln!("pressfeed: preview needs an absolute http(s) URL, got {url:?}");
            return Exit::Usage;
        }
    };
    let synthetic = match zero_config_source(&url) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    // The config file is optional without --source: it only contributes HTTP settings.
    let config = match (source, config_path.exists()) {
        (Some(_), _) | (None, true) => match load(config_path) {
            Ok(c) => Some(c),
            Err(e) => return e,
        },
        (None, false) => None,
    };
    let settings = config.as_ref().unwrap_or(&synthetic).settings.clone();
    let src = match source {
        Some(id) => match config
            .as_ref()
            .and_then(|c| c.sources.iter().find(|s| s.id == id))
        {
            Some(s) => s.clone(),
            None => {
                eprintln!("pressfeed: no source {id:?} in {}", config_path.display());
                return Exit::Usage;
            }
        },
        None => match synthetic.sources.first() {
            Some(s) => s.clone(),
            None => return Exit::Runtime,
        },
    };
    let fetcher = match Fetcher::new(&settings) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let Some(runtime) = runtime() else {
        return Exit::Runtime;
    };
    let now = Utc::now();
    match runtime.block_on(preview(&fetcher, &url, &src, now)) {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("pressfeed: {e}");
                        return Exit::Runtime;
                    }
                }
            } else {
                print!("{}", render_text(&report));
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("pressfeed: {e}");
            Exit::SourceFailed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_orders_nested_keys() {
        let v = sorted(json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}}));
        assert_eq!(
            v.to_string(),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#
        );
    }

    #[test]
    fn article_markup_wins_over_link_count() {
        assert!(declares_article(
            r#"<meta property="og:type" content="article">"#
        ));
        assert!(declares_article(
            r#"<script type="application/ld+json">{"@type":"NewsArticle"}</script>"#
        ));
        assert!(!declares_article("<p>x</p>"));
    }

    #[test]
    fn regression_partly_understood_date_is_shown_and_not_used() {
        let url = Url::parse("http://x.kz/news/vstrecha/").unwrap();
        let config = zero_config_source(&url).unwrap();
        let html = r#"<html><head><title>Встреча с ветеранами</title></head><body>
            <h1>Встреча с ветеранами</h1><span class="date">2 Декабрь 1 11:15</span>
            <div class="entry-content"><p>Прокурор области встретился с ветеранами органов прокуратуры.</p></div>
            </body></html>"#;
        let now = DateTime::parse_from_rfc3339("2025-09-24T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let report = json!({
            "url": url.as_str(),
            "kind": "article",
            "article": article_report(html, &url, &config.sources[0], now),
        });
        let a = &report["article"];
        assert_eq!(a["fields"]["published"]["value"], Value::Null);
        assert_eq!(
            a["date_failures"],
            json!([{ "field": "published", "text": "2 Декабрь 1 11:15",
                     "origin": "visible date", "partial": "1" }])
        );
        let text = render_text(&report);
        assert!(
            text.contains(
                r#""2 Декабрь 1 11:15" (visible date, partly understood: "1" left over, not used)"#
            ),
            "{text}"
        );
    }

    #[test]
    fn truncates_by_chars() {
        assert_eq!(truncate("Генпрокуратура", 5), "Генп…");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
