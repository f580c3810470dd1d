//! From the store to the feed files: a source's channel metadata and the rendering of its
//! newest items, shared by runs, `pressfeed render` and the daemon.

use chrono::{DateTime, Utc};
use url::Url;

use super::{SharedStore, lock};
use crate::config::{Settings, Source};
use crate::render::{FeedMeta, FeedModel, RenderError, write_feeds};
use crate::store::StoreError;

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
            s.recent(&source.id, source.items)?,
            s.source_created(&source.id, now)?,
        )
    };
    let meta = feed_meta(source, settings);
    let model = FeedModel::new(meta.clone(), items);
    let report = write_feeds(&settings.feeds_dir, &model, created)?;
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
