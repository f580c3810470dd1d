//! WebSub publish pings: after a feed's bytes change, every hub of the source (and of the
//! settings) is told, so subscribers get the new items without polling. The daemon,
//! `refresh` and `render` all ping, so a timer-driven install pushes like the daemon does.

use url::Url;

use crate::config::{Settings, Source};
use crate::http::Fetcher;

/// Pings every hub of `source` (and of the settings) for every changed feed. A failed ping
/// is logged and does not fail anything: the feed is written, and subscribers still get it
/// on their next poll. Returns the number of pings a hub accepted.
pub async fn ping_hubs(
    fetcher: &Fetcher,
    settings: &Settings,
    source: &Source,
    feeds: &[Url],
) -> usize {
    let hubs: Vec<&Url> = settings.hubs.iter().chain(&source.hubs).collect();
    ping(fetcher, &hubs, &source.id, feeds).await
}

/// Pings `hubs` for every changed feed of `id` (a source or a merged feed).
pub async fn ping(fetcher: &Fetcher, hubs: &[&Url], id: &str, feeds: &[Url]) -> usize {
    let mut accepted = 0;
    for hub in hubs {
        for feed in feeds {
            match fetcher
                .post_form(hub, &[("hub.mode", "publish"), ("hub.url", feed.as_str())])
                .await
            {
                Ok(()) => {
                    accepted += 1;
                    tracing::debug!(source = %id, %hub, %feed, "WebSub hub notified");
                }
                Err(e) => {
                    tracing::warn!(source = %id, %hub, %feed, error = %e, "WebSub ping failed");
                }
            }
        }
    }
    accepted
}

/// Whether any hub would be pinged for `source`.
pub fn has_hubs(settings: &Settings, source: &Source) -> bool {
    !settings.hubs.is_empty() || !source.hubs.is_empty()
}
