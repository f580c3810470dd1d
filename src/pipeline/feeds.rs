//! From the store to the feed files: a source's channel metadata and the rendering of its
//! newest items that its `[source.filter]` keeps, shared by runs, `pressfeed render` and the
//! daemon. Filters apply here, at render time: every article stays stored, so a changed
//! filter takes effect on the next render without fetching.

use chrono::{DateTime, Utc};
use url::Url;

use super::{SharedStore, lock};
use crate::config::{Settings, Source};
use crate::core::model::StoredArticle;
use crate::render::{FeedMeta, FeedModel, RenderError, write_feeds};
use crate::store::{Store, StoreError};

/// Why a source's feeds could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderSourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Write(#[from] RenderError),
}

/// The channel metadata of a source's feed.
pub fn feed_meta(source: &Source, settings: &Settings) -> FeedMeta {
    let (rss_url, atom_url, json_url) = source.feed_urls(settings);
    FeedMeta {
        id: source.id.clone(),
        title: source.title.clone(),
        description: source.description.clone(),
        language: source.language.clone(),
        site_url: source.site_url.clone(),
        rss_url,
        atom_url,
        json_url,
        timezone: source.timezone,
        hubs: settings.hubs.iter().chain(&source.hubs).cloned().collect(),
    }
}

/// Renders a source's feeds from the store. Returns the public URLs of the files that were
/// rewritten (their bytes changed).
pub fn render_source(
    source: &Source,
    settings: &Settings,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<Vec<Url>, RenderSourceError> {
    let (items, created) = {
        let s = lock(store);
        (
            source_items(&s, source)?,
            s.source_created(&source.id, now)?,
        )
    };
    let meta = feed_meta(source, settings);
    let model = FeedModel::new(meta.clone(), items);
    write_model(settings, &model, created)
}

/// The items of a source's feed: its newest `items` stored articles that its filter keeps.
pub(super) fn source_items(
    store: &Store,
    source: &Source,
) -> Result<Vec<StoredArticle>, StoreError> {
    store.recent_where(&source.id, source.items, |a| {
        source.filter.keeps(&a.article)
    })
}

/// Writes the three files of a feed; returns the public URLs of those whose bytes changed.
pub(super) fn write_model(
    settings: &Settings,
    model: &FeedModel,
    fallback_updated: DateTime<Utc>,
) -> Result<Vec<Url>, RenderSourceError> {
    let meta = &model.meta;
    let report = write_feeds(&settings.feeds_dir, model, fallback_updated)?;
    Ok(report
        .written
        .iter()
        .filter_map(|p| match p.extension().and_then(|e| e.to_str()) {
            Some("rss") => Some(meta.rss_url.clone()),
            Some("atom") => Some(meta.atom_url.clone()),
            Some("json") => Some(meta.json_url.clone()),
            _ => None,
        })
        .collect())
}
