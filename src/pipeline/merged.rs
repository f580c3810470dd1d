//! Merged feeds (`[[feed]]`): the feed items of several sources — each member's newest
//! `items` that its filter keeps, exactly what its own feed shows — in one feed, newest
//! first, each item keeping its own link and guid. Callers render a merged feed whenever one
//! of its members may have changed; unchanged bytes are not rewritten, so that is cheap.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use url::Url;

use super::feeds::{RenderSourceError, source_items, write_model};
use super::{SharedStore, lock};
use crate::config::{Config, MergedFeed, Settings, Source};
use crate::core::model::StoredArticle;
use crate::render::{FeedMeta, FeedModel};
use crate::store::{Store, StoreError};

/// The channel metadata of a merged feed. Its language is `mul` when the members' differ:
/// the feeds then state each item's language as well.
pub fn merged_meta(feed: &MergedFeed, settings: &Settings) -> FeedMeta {
    let (rss_url, atom_url, json_url) = feed.feed_urls(settings);
    FeedMeta {
        id: feed.id.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        language: feed.language.clone(),
        site_url: feed.site_url.clone(),
        rss_url,
        atom_url,
        json_url,
        timezone: feed.timezone,
        hubs: settings.hubs.clone(),
    }
}

/// The merged feeds that show items of `source`, in config order.
pub fn merged_feeds_of<'c>(config: &'c Config, source: &str) -> Vec<&'c MergedFeed> {
    config
        .feeds
        .iter()
        .filter(|f| f.sources.iter().any(|s| s == source))
        .collect()
}

/// The items of a merged feed: every member's feed items, newest first, ties broken by id
/// and then by the member's place in `sources`; an article two members share (same id)
/// appears once, as the newest copy. An item without an author names its source, as the
/// source's own Atom feed does.
pub(crate) fn merged_items(
    store: &Store,
    feed: &MergedFeed,
    sources: &[Source],
) -> Result<Vec<StoredArticle>, StoreError> {
    let mut all = Vec::new();
    for id in &feed.sources {
        // validated at load: every member id names a source
        let Some(source) = sources.iter().find(|s| &s.id == id) else {
            continue;
        };
        for mut item in source_items(store, source)? {
            if item
                .article
                .author
                .as_deref()
                .is_none_or(|a| a.trim().is_empty())
            {
                item.article.author = Some(source.title.clone());
            }
            all.push(item);
        }
    }
    // stable: equal (published, id) keep member order
    all.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| a.article.id.cmp(&b.article.id))
    });
    let mut seen = HashSet::new();
    all.retain(|item| seen.insert(item.article.id.clone()));
    all.truncate(feed.items);
    Ok(all)
}

/// Renders a merged feed from the store. Returns the public URLs of the files that were
/// rewritten (their bytes changed). The caller holds the lock named by the feed's id.
pub fn render_merged(
    feed: &MergedFeed,
    config: &Config,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<Vec<Url>, RenderSourceError> {
    let (items, created) = {
        let s = lock(store);
        // An empty merged feed is dated by its own first render, so its bytes stay put.
        (
            merged_items(&s, feed, &config.sources)?,
            s.source_created(&feed.id, now)?,
        )
    };
    let model = FeedModel::new(merged_meta(feed, &config.settings), items);
    write_model(&config.settings, &model, created)
}
