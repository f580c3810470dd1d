//! When merged feeds (`[[feed]]`) are rendered: after `refresh` and `render` for every merged
//! feed with a selected member, after a daemon run that changed a member's feed, and once when
//! a daemon configuration starts. Each render holds the lock named by the merged feed's id
//! (one namespace with source ids), so two processes, or two members' runs finishing
//! together, never interleave their writes or leave an older view last.

use chrono::Utc;
use url::Url;

use super::lock::SourceLock;
use crate::config::{Config, MergedFeed};
use crate::pipeline::{SharedStore, render_merged};

/// The merged feeds with at least one member among `ids`, in config order.
pub(super) fn merged_with_any<'c>(config: &'c Config, ids: &[&str]) -> Vec<&'c MergedFeed> {
    config
        .feeds
        .iter()
        .filter(|f| f.sources.iter().any(|s| ids.contains(&s.as_str())))
        .collect()
}

/// Renders one merged feed under its lock, waiting for the lock (blocking the thread: call
/// it from `spawn_blocking` in async code). Returns the URLs of the rewritten files, or the
/// error as a message naming the feed.
pub(super) fn render_locked(
    feed: &MergedFeed,
    config: &Config,
    store: &SharedStore,
) -> Result<Vec<Url>, String> {
    let _lock = SourceLock::acquire(&config.settings.database, &feed.id)
        .map_err(|e| format!("{}: {e}", feed.id))?;
    render_merged(feed, config, store, Utc::now()).map_err(|e| format!("{}: {e}", feed.id))
}

/// The rewritten files of each merged feed that changed, for the WebSub pings.
pub(super) type Changed = Vec<(String, Vec<Url>)>;

/// Renders `feeds` one after another, printing a line per feed as `render` does for sources;
/// false when any failed (each failure is printed on stderr), with the files that changed.
pub(super) fn render_and_print(
    feeds: &[&MergedFeed],
    config: &Config,
    store: &SharedStore,
) -> (bool, Changed) {
    let (mut ok, mut all) = (true, Vec::new());
    for feed in feeds {
        match render_locked(feed, config, store) {
            Ok(changed) => {
                println!(
                    "{} (merged): {} feed file(s) rewritten",
                    feed.id,
                    changed.len()
                );
                if !changed.is_empty() {
                    all.push((feed.id.clone(), changed));
                }
            }
            Err(e) => {
                eprintln!("pressfeed: {e}");
                ok = false;
            }
        }
    }
    (ok, all)
}

/// [`render_and_print`] for the merged feeds with a member among `ids`, off the async
/// threads (their locks are waited for).
pub(super) async fn render_merged_of(
    config: &Config,
    ids: Vec<String>,
    store: &SharedStore,
) -> (bool, Changed) {
    let config = config.clone();
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        render_and_print(&merged_with_any(&config, &ids), &config, &store)
    })
    .await
    .unwrap_or_else(|e| {
        eprintln!("pressfeed: merged feeds: {e}");
        (false, Vec::new())
    })
}
