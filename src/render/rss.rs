//! RSS 2.0 serializer (the `rss` crate), with the atom, content, dc and media extensions
//! that readers use for self/hub links, full HTML, authors and images.
//!
//! The crate writes `description` and `content:encoded` as CDATA and splits any `]]>` in
//! them into separate CDATA sections, so HTML cannot break out; it does not remove
//! XML-illegal control characters, so every string goes through [`clean`] first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Enclosure, Guid, Item};
use url::Url;

use super::stylesheet::with_stylesheet_pi;
use super::{FeedMeta, FeedModel, RenderError, clean, image_mime, local_time};
use crate::core::model::{MULTIPLE_LANGUAGES, StoredArticle};
use crate::core::urls::same_id;

const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
const NS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";

/// Serializes the feed. `updated` is the feed-level last-change instant.
pub fn render(model: &FeedModel, updated: DateTime<Utc>) -> Result<Vec<u8>, RenderError> {
    let meta = &model.meta;
    let mut channel = Channel {
        title: clean(&meta.title),
        link: clean(meta.site_url.as_str()),
        // RSS requires a description; an empty one is reported by validators.
        description: clean(if meta.description.trim().is_empty() {
            &meta.title
        } else {
            &meta.description
        }),
        language: Some(clean(&meta.language)),
        last_build_date: Some(rfc822(updated, meta.timezone)),
        generator: Some("pressfeed".to_string()),
        ..Channel::default()
    };

    let mut links = vec![atom_link(
        "self",
        Some("application/rss+xml"),
        &meta.rss_url,
    )];
    links.extend(meta.hubs.iter().map(|hub| atom_link("hub", None, hub)));
    channel.extensions = extension_map("atom", "link", links);

    channel.namespaces = [
        ("atom", NS_ATOM),
        ("content", NS_CONTENT),
        ("dc", NS_DC),
        ("media", NS_MEDIA),
    ]
    .into_iter()
    .map(|(p, u)| (p.to_string(), u.to_string()))
    .collect();

    channel.items = model.items.iter().map(|i| item(i, meta)).collect();

    channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .map(|mut bytes| {
            bytes.push(b'\n');
            with_stylesheet_pi(bytes)
        })
        .map_err(|e| RenderError::Serialize {
            id: meta.id.clone(),
            format: "rss",
            message: e.to_string(),
        })
}

fn item(stored: &StoredArticle, meta: &FeedMeta) -> Item {
    let a = &stored.article;
    let link = clean(a.url.as_str());
    let mut item = Item {
        title: Some(clean(&a.title)),
        link: Some(link.clone()),
        // description is HTML to RSS readers, and the summary is plain text: escape it so a
        // literal "<script>" in the text stays text.
        description: Some(html_escape::encode_text(&clean(&a.summary)).into_owned()),
        guid: Some(Guid {
            // The guid is only a permalink if readers can open it (an id differs from the
            // link only in the case of its percent-escapes, the same URL).
            permalink: same_id(&a.id, a.url.as_str()),
            value: clean(&a.id),
        }),
        pub_date: Some(rfc822(stored.published, meta.timezone)),
        content: Some(clean(&a.content_html)),
        categories: a
            .categories
            .iter()
            .map(|c| clean(c))
            .filter(|c| !c.trim().is_empty())
            .map(|name| Category { name, domain: None })
            .collect(),
        ..Item::default()
    };
    let creators: Vec<String> = a
        .author
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(clean)
        .into_iter()
        .collect();
    // A channel of several languages (`mul`, a merged feed) names each item's.
    let languages: Vec<String> = Some(clean(&a.language))
        .filter(|l| meta.language == MULTIPLE_LANGUAGES && !l.is_empty())
        .into_iter()
        .collect();
    if !creators.is_empty() || !languages.is_empty() {
        item.dublin_core_ext = Some(DublinCoreExtension {
            creators,
            languages,
            ..DublinCoreExtension::default()
        });
    }
    if let Some(image) = &a.image {
        let mime = image_mime(image);
        item.enclosure = Some(Enclosure {
            url: clean(image.as_str()),
            // The size is unknown without fetching the image; RSS readers accept 0.
            length: "0".to_string(),
            mime_type: mime.to_string(),
        });
        let media = Extension {
            name: "media:content".to_string(),
            attrs: [
                ("url", clean(image.as_str())),
                ("medium", "image".to_string()),
                ("type", mime.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            ..Extension::default()
        };
        item.extensions = extension_map("media", "content", vec![media]);
    }
    item
}

/// RFC 822 date with a two-digit day (chrono's `to_rfc2822` writes `5 Mar`, legal but
/// unlike what most feeds and validators' examples show) and the numeric offset.
fn rfc822(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    local_time(t, tz)
        .format("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

fn atom_link(rel: &str, mime: Option<&str>, href: &Url) -> Extension {
    let mut attrs = BTreeMap::new();
    attrs.insert("href".to_string(), clean(href.as_str()));
    attrs.insert("rel".to_string(), rel.to_string());
    if let Some(mime) = mime {
        attrs.insert("type".to_string(), mime.to_string());
    }
    Extension {
        name: "atom:link".to_string(),
        attrs,
        ..Extension::default()
    }
}

fn extension_map(prefix: &str, name: &str, values: Vec<Extension>) -> ExtensionMap {
    let mut inner = BTreeMap::new();
    inner.insert(name.to_string(), values);
    let mut map = ExtensionMap::new();
    map.insert(prefix.to_string(), inner);
    map
}
