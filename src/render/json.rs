//! JSON Feed 1.1 serializer (serde structs, so the key order is the field order).
//!
//! Strings go through the same XML-illegal filter as the XML formats: JSON could carry
//! control characters, but then the three feeds would disagree about the same article.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{FeedModel, RenderError, clean, item_updated, local_time};
use crate::core::model::StoredArticle;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    language: String,
    authors: Vec<Author>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct Author {
    name: String,
}

#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
}

/// Serializes the feed. `updated` is the feed-level last-change instant (JSON Feed has no
/// feed-level date; it is accepted for symmetry with the other formats).
pub fn render(model: &FeedModel, updated: DateTime<Utc>) -> Result<Vec<u8>, RenderError> {
    let _ = updated;
    let meta = &model.meta;
    let feed = JsonFeed {
        version: VERSION,
        title: clean(&meta.title),
        home_page_url: clean(meta.site_url.as_str()),
        feed_url: clean(meta.json_url.as_str()),
        description: Some(clean(meta.description.trim())).filter(|d| !d.is_empty()),
        language: clean(&meta.language),
        authors: vec![Author {
            name: clean(&meta.title),
        }],
        hubs: meta
            .hubs
            .iter()
            .map(|h| Hub {
                kind: "WebSub",
                url: clean(h.as_str()),
            })
            .collect(),
        items: model.items.iter().map(|i| item(i, meta.timezone)).collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&feed).map_err(|e| RenderError::Serialize {
        id: meta.id.clone(),
        format: "json",
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn item(stored: &StoredArticle, tz: Tz) -> JsonItem {
    let a = &stored.article;
    let date = |t| local_time(t, tz).to_rfc3339_opts(SecondsFormat::Secs, false);
    JsonItem {
        id: clean(&a.id),
        url: clean(a.url.as_str()),
        title: clean(&a.title),
        content_html: clean(&a.content_html),
        summary: Some(clean(&a.summary)).filter(|s| !s.trim().is_empty()),
        date_published: date(stored.published),
        date_modified: date(item_updated(stored)),
        authors: a
            .author
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| Author { name: clean(name) })
            .into_iter()
            .collect(),
        tags: a
            .categories
            .iter()
            .map(|c| clean(c))
            .filter(|c| !c.trim().is_empty())
            .collect(),
        image: a.image.as_ref().map(|u| clean(u.as_str())),
        language: Some(clean(&a.language)).filter(|l| !l.is_empty()),
    }
}
