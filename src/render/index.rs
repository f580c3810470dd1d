//! The HTML index page: every source with its three feeds (also announced as
//! `<link rel="alternate">` for readers that discover feeds from a page), its last success in
//! the source's time zone, its stored items, its failures and its last error. Failing
//! sources stand out. Every text from the config or an error is escaped.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use url::Url;

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

const STYLE: &str = "<style>\n\
     body{font-family:system-ui,-apple-system,sans-serif;margin:0 auto;padding:1rem;\
     max-width:64rem;line-height:1.4;color:#222;background:#fff}\n\
     .scroll{overflow-x:auto}\n\
     table{border-collapse:collapse;width:100%}\n\
     th,td{padding:.45rem .5rem;border-bottom:1px solid #ddd;text-align:left;\
     vertical-align:top}\n\
     td.n{text-align:right}\n\
     tr.failing{background:#fdecea}\n\
     .err{color:#a40000;overflow-wrap:anywhere}\n\
     .feeds a{margin-right:.6rem;white-space:nowrap}\n\
     .bad{color:#a40000;font-weight:bold}\n\
     </style>\n";

fn html(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

/// The whole page; `opml_url` is where the OPML list of all feeds is served.
pub fn index_page(entries: &[IndexEntry], opml_url: &str) -> String {
    let mut out = String::with_capacity(4096);
    head(&mut out, entries);
    summary(&mut out, entries, opml_url);
    out.push_str(
        "<div class=\"scroll\">\n<table>\n<thead><tr><th>Source</th><th>Feeds</th>\
         <th>Last refresh</th><th>Items</th><th>Failures</th><th>Last error</th></tr></thead>\n\
         <tbody>\n",
    );
    for entry in entries {
        row(&mut out, entry);
    }
    out.push_str("</tbody>\n</table>\n</div>\n</body>\n</html>\n");
    out
}

fn head(out: &mut String, entries: &[IndexEntry]) {
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>pressfeed</title>\n",
    );
    for entry in entries {
        for ((label, mime), url) in FORMATS.iter().zip(&entry.feeds) {
            let _ = writeln!(
                out,
                "<link rel=\"alternate\" type=\"{mime}\" title=\"{} ({label})\" href=\"{}\">",
                attr(&entry.title),
                attr(url.as_str()),
            );
        }
    }
    out.push_str(STYLE);
    out.push_str("</head>\n<body>\n<h1>pressfeed</h1>\n");
}

/// "N sources, M failing. OPML to subscribe to all at once."
fn summary(out: &mut String, entries: &[IndexEntry], opml_url: &str) {
    let n = entries.len();
    let _ = write!(out, "<p>{n} source{}", if n == 1 { "" } else { "s" });
    let failing = entries.iter().filter(|e| e.failing()).count();
    if failing > 0 {
        let _ = write!(out, ", <span class=\"bad\">{failing} failing</span>");
    }
    let _ = writeln!(
        out,
        ". <a href=\"{}\">OPML</a> to subscribe to all at once.</p>",
        attr(opml_url)
    );
}

fn row(out: &mut String, e: &IndexEntry) {
    let row_class = if e.failing() {
        " class=\"failing\""
    } else {
        ""
    };
    let _ = write!(
        out,
        "<tr{row_class}><td><a href=\"{}\">{}</a></td><td class=\"feeds\">",
        attr(e.site_url.as_str()),
        html(&e.title)
    );
    for ((label, _), url) in FORMATS.iter().zip(&e.feeds) {
        let _ = write!(out, "<a href=\"{}\">{label}</a>", attr(url.as_str()));
    }
    let last = match e.last_success {
        Some(Some(t)) => t
            .with_timezone(&e.timezone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Some(None) => "never".into(),
        None => "?".into(),
    };
    let items = e.items.map_or("?".into(), |n| n.to_string());
    let failures = e.failures.map_or("?".into(), |n| n.to_string());
    let _ = writeln!(
        out,
        "</td><td>{}</td><td class=\"n\">{items}</td><td class=\"n\">{failures}</td>\
         <td class=\"err\">{}</td></tr>",
        html(&last),
        html(e.last_error.as_deref().unwrap_or(""))
    );
}
