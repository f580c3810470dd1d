//! The pages for people beside the feeds: the index and the OPML as the daemon serves them
//! and as `refresh`/`render` write them into `feeds_dir`, built from the configuration and
//! the store.

use std::path::PathBuf;

use super::status::statuses;
use super::{SharedStore, lock, merged_health};
use crate::config::Config;
use crate::render::{IndexEntry, OpmlOutline, RenderError, write_pages};
use crate::store::Store;

/// One row per source, then one per merged feed (its health derived from its members'), with
/// what the store says; a value the store cannot give shows as unknown rather than failing
/// the page.
pub fn index_entries(config: &Config, store: &Store) -> Vec<IndexEntry> {
    let statuses = statuses(config, store);
    let mut entries: Vec<IndexEntry> = config
        .sources
        .iter()
        .zip(&statuses)
        .map(|(source, status)| {
            let (rss, atom, json) = source.feed_urls(&config.settings);
            let state = status.state.as_ref();
            IndexEntry {
                title: source.title.clone(),
                site_url: source.site_url.clone(),
                feeds: [rss, atom, json],
                timezone: source.timezone,
                last_success: state.map(|s| s.last_success),
                items: status.items,
                failures: state.map(|s| s.consecutive_failures),
                last_error: state.and_then(|s| s.last_error.clone()),
            }
        })
        .collect();
    entries.extend(merged_health::index_entries(config, &statuses));
    entries
}

/// One outline per source's RSS feed, then one per merged feed's.
pub fn opml_outlines(config: &Config) -> Vec<OpmlOutline> {
    config
        .sources
        .iter()
        .map(|source| OpmlOutline {
            title: source.title.clone(),
            description: source.description.clone(),
            xml_url: source.feed_urls(&config.settings).0,
            html_url: source.site_url.clone(),
            language: source.language.clone(),
        })
        .chain(merged_health::opml_outlines(config))
        .collect()
}

/// Writes `index.html` (in the configured page language), `feeds.opml` and `feed.xsl` into
/// `feeds_dir`, each only when its bytes change; returns the files rewritten.
pub fn write_site(config: &Config, store: &SharedStore) -> Result<Vec<PathBuf>, RenderError> {
    let entries = index_entries(config, &lock(store));
    write_pages(
        &config.settings.feeds_dir,
        &entries,
        &opml_outlines(config),
        config.settings.language,
    )
}
