//! The HTML index page: every source with its three feeds (also announced as
//! `<link rel="alternate">` for readers that discover feeds from a page), its last success in
//! the source's time zone, its stored items, its failures and its last error. Failing
//! sources stand out. Built from `templates/index.html` (askama, HTML auto-escaping: every
//! text from the config or an error is escaped), in the reader's language.

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use url::Url;

use super::RenderError;
use super::words::Words;
use crate::core::lang::PageLang;

/// One source's row. `None` parts could not be read from the store and show as `?`.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    pub title: String,
    pub site_url: Url,
    /// RSS, Atom and JSON Feed URLs, in that order.
    pub feeds: [Url; 3],
    pub timezone: Tz,
    /// `Some(None)`: never succeeded.
    pub last_success: Option<Option<DateTime<Utc>>>,
    pub items: Option<usize>,
    pub failures: Option<u32>,
    pub last_error: Option<String>,
}

impl IndexEntry {
    fn failing(&self) -> bool {
        self.failures.unwrap_or(0) > 0
    }
}

/// The three formats, as labelled on the page and announced in `<link>`.
const FORMATS: [(&str, &str); 3] = [
    ("RSS", "application/rss+xml"),
    ("Atom", "application/atom+xml"),
    ("JSON Feed", "application/feed+json"),
];

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    lang: PageLang,
    w: &'static Words,
    sources: String,
    /// "N failing", when any is.
    failing: Option<String>,
    opml_url: &'a str,
    rows: Vec<Row<'a>>,
}

struct Row<'a> {
    title: &'a str,
    site_url: &'a str,
    failing: bool,
    feeds: [FeedLink<'a>; 3],
    last: String,
    items: String,
    failures: String,
    error: &'a str,
}

struct FeedLink<'a> {
    label: &'static str,
    mime: &'static str,
    url: &'a str,
}

/// The whole page in `lang`; `opml_url` is where the OPML list of all feeds is served.
pub fn index_page(
    entries: &[IndexEntry],
    opml_url: &str,
    lang: PageLang,
) -> Result<String, RenderError> {
    let w = Words::of(lang);
    let failing = entries.iter().filter(|e| e.failing()).count();
    let page = IndexPage {
        lang,
        w,
        sources: w.sources(entries.len()),
        failing: (failing > 0).then(|| w.failing(failing)),
        opml_url,
        rows: entries.iter().map(|e| row(e, w)).collect(),
    };
    page.render().map_err(|e| RenderError::Template {
        what: "index.html",
        message: e.to_string(),
    })
}

fn row<'a>(e: &'a IndexEntry, w: &Words) -> Row<'a> {
    let last = match e.last_success {
        Some(Some(t)) => t
            .with_timezone(&e.timezone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Some(None) => w.never.into(),
        None => "?".into(),
    };
    let [rss, atom, json] = &e.feeds;
    let link = |(label, mime): (&'static str, &'static str), url: &'a Url| FeedLink {
        label,
        mime,
        url: url.as_str(),
    };
    Row {
        title: &e.title,
        site_url: e.site_url.as_str(),
        failing: e.failing(),
        feeds: [
            link(FORMATS[0], rss),
            link(FORMATS[1], atom),
            link(FORMATS[2], json),
        ],
        last,
        items: e.items.map_or("?".into(), |n| n.to_string()),
        failures: e.failures.map_or("?".into(), |n| n.to_string()),
        error: e.last_error.as_deref().unwrap_or(""),
    }
}
