//! Atom 1.0 serializer (the `atom_syndication` crate).
//!
//! The crate writes 1970-01-01 for any date left unset, so every date is set explicitly.
//! The `rel="alternate"` link comes first because some parsers (feed-extractor) take the
//! first link whatever its rel. The source's title is the feed-level author, which Atom
//! requires unless every entry has one.

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};
use url::Url;

use super::stylesheet::with_stylesheet_pi;
use super::{
    FeedMeta, FeedModel, RenderError, author_or_source, clean, image_mime, item_updated, local_time,
};
use crate::core::model::StoredArticle;

/// Serializes the feed. `updated` is the feed-level last-change instant.
pub fn render(model: &FeedModel, updated: DateTime<Utc>) -> Result<Vec<u8>, RenderError> {
    let meta = &model.meta;
    let mut links = vec![
        link("alternate", Some("text/html"), &meta.site_url),
        link("self", Some("application/atom+xml"), &meta.atom_url),
    ];
    links.extend(meta.hubs.iter().map(|hub| link("hub", None, hub)));

    let feed = Feed {
        title: Text::plain(clean(&meta.title)),
        // The feed's own URL is stable for as long as the feed exists.
        id: clean(meta.atom_url.as_str()),
        updated: local_time(updated, meta.timezone),
        authors: vec![person(&meta.title)],
        generator: Some(Generator {
            value: "pressfeed".to_string(),
            uri: None,
            version: None,
        }),
        links,
        subtitle: Some(meta.description.trim())
            .filter(|d| !d.is_empty())
            .map(|d| Text::plain(clean(d))),
        entries: model.items.iter().map(|i| entry(i, meta)).collect(),
        lang: Some(clean(&meta.language)).filter(|l| !l.is_empty()),
        ..Feed::default()
    };

    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    feed.write_with_config(Vec::new(), config)
        .map(|mut bytes| {
            bytes.push(b'\n');
            with_stylesheet_pi(bytes)
        })
        .map_err(|e| RenderError::Serialize {
            id: meta.id.clone(),
            format: "atom",
            message: e.to_string(),
        })
}

fn entry(stored: &StoredArticle, meta: &FeedMeta) -> Entry {
    let a = &stored.article;
    // Only state the language where it differs from the feed's, which it inherits.
    let lang = Some(clean(&a.language)).filter(|l| !l.is_empty() && *l != meta.language);

    let mut links = vec![link("alternate", Some("text/html"), &a.url)];
    if let Some(image) = &a.image {
        links.push(link("enclosure", Some(image_mime(image)), image));
    }
    let summary = Some(clean(&a.summary))
        .filter(|s| !s.trim().is_empty())
        .map(|value| Text {
            lang: lang.clone(),
            ..plain_text(value)
        });
    Entry {
        title: plain_text(clean(&a.title)),
        id: clean(&a.id),
        updated: local_time(item_updated(stored), meta.timezone),
        authors: vec![person(author_or_source(stored, meta))],
        categories: a
            .categories
            .iter()
            .map(|c| clean(c))
            .filter(|c| !c.trim().is_empty())
            .map(|term| Category {
                term,
                scheme: None,
                label: None,
            })
            .collect(),
        links,
        published: Some(local_time(stored.published, meta.timezone)),
        summary,
        content: Some(Content {
            base: None,
            lang,
            value: Some(clean(&a.content_html)),
            src: None,
            content_type: Some("html".to_string()),
        }),
        ..Entry::default()
    }
}

/// A plain-text construct. Text that looks like markup (a literal "<script>" in a press
/// release) is valid as `type="text"`, but validators warn that it may be undeclared HTML,
/// so such text goes out as escaped `type="html"`, which readers show as the same text.
fn plain_text(value: String) -> Text {
    if value.contains(['<', '&']) {
        Text::html(html_escape::encode_text(&value).into_owned())
    } else {
        Text::plain(value)
    }
}

fn link(rel: &str, mime: Option<&str>, href: &Url) -> Link {
    Link {
        href: clean(href.as_str()),
        rel: rel.to_string(),
        hreflang: None,
        mime_type: mime.map(str::to_string),
        title: None,
        length: None,
    }
}

fn person(name: &str) -> Person {
    Person {
        name: clean(name),
        email: None,
        uri: None,
        extensions: Default::default(),
    }
}
