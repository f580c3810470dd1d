//! The OPML 2.0 subscription list: one outline per source's RSS feed, so a reader can
//! subscribe to all of them at once. Built from `templates/feeds.opml` with the XML
//! escaper of `askama.toml`.

use askama::Template;
use url::Url;

use super::RenderError;

/// One source in the list.
#[derive(Debug, Clone)]
pub struct OpmlOutline {
    pub title: String,
    pub description: String,
    /// The feed a reader subscribes to.
    pub xml_url: Url,
    /// The site's home page.
    pub html_url: Url,
    pub language: String,
}

#[derive(Template)]
#[template(path = "feeds.opml")]
struct Opml<'a> {
    outlines: &'a [OpmlOutline],
}

/// The whole document.
pub fn opml(outlines: &[OpmlOutline]) -> Result<String, RenderError> {
    Opml { outlines }
        .render()
        .map_err(|e| RenderError::Template {
            what: "feeds.opml",
            message: e.to_string(),
        })
}
