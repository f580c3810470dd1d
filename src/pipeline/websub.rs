//! WebSub publish pings: after a feed's bytes change, every hub of the source (and of the
//! settings) is told, so subscribers get the new items without polling. The daemon,
//! `refresh` and `render` all ping, so a timer-driven install pushes like the daemon does.

use url::Url;

use crate::config::{Settings, Source};
use crate::http::Fetcher;

/// Pings every hub for every changed feed. A failed ping is logged and does not fail
/// anything: the feed is written, and subscribers still get it on their next poll.
/// Returns the number of pings a hub accepted.
pub async fn ping_hubs(
    fetcher: &Fetcher,
    settings: &Settings,
    source: &Source,
    feeds: &[Url],
) -> usize {
    let mut accepted = 0;
    for hub in settings.hubs.iter().chain(&source.hubs) {
        for feed in feeds {
            match fetcher
                .post_form(hub, &[("hub.mode", "publish"), ("hub.url", feed.as_str())])
                .await
            {
                Ok(()) => {
                    accepted += 1;
                    tracing::debug!(source = %source.id, %hub, %feed, "WebSub hub notified");
                }
                Err(e) => {
                    tracing::warn!(source = %source.id, %hub, %feed, error = %e, "WebSub ping failed");
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
