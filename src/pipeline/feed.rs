//! Feeds as listings. A `kind = "feed"` source's listing URLs are RSS, Atom or JSON feeds:
//! each is read whole on every run (a feed has no pages, so `max_pages` does not apply),
//! and its entries go through the same triage as listing entries (known links are not
//! fetched again). A zero-config HTML source may take its first listing page's links from
//! the feed that page advertises, and falls back to the page's own links when that feed is
//! missing, broken, empty or lists no page of the site.
//!
//! Either way the article pages are fetched and extracted as usual; what the feed said
//! about an entry (title, dates, author, categories) waits in [`RunState::feed_entries`]
//! for the article step, which fills what the page lacks.

use std::sync::Arc;

use url::Url;

use super::{RunCtx, RunState};
use crate::core::model::Listing;
use crate::core::urls::canonical_url;
use crate::extract::feed::{FEED_ACCEPT, FeedEntry, advertised_feeds, parse_feed, same_site};
use crate::http::RequestPolicy;

/// Why a feed is unusable: an error kind for counting, and the message.
type Unusable = (&'static str, String);

/// Reads one feed as a listing: its same-site entries, no next page. `Err` says why the
/// feed is unusable (fetch error, not a feed); an empty feed is an empty listing.
async fn read_feed(
    ctx: &RunCtx<'_>,
    feed_url: &Url,
    state: &mut RunState,
) -> Result<Listing, Unusable> {
    state.report.requests += 1;
    let resource = ctx
        .fetcher
        .get_resource(
            feed_url,
            FEED_ACCEPT,
            &[],
            RequestPolicy::for_source(ctx.source),
        )
        .await
        .map_err(|e| (e.kind(), e.to_string()))?;
    let entries =
        parse_feed(&resource.body, &resource.final_url).map_err(|e| ("feed", e.to_string()))?;
    let site = ctx.source.site_url.host_str().unwrap_or_default();
    let feed_host = resource.final_url.host_str().unwrap_or_default();
    let mut hosts: Vec<&str> = vec![site, feed_host];
    hosts.extend(ctx.source.allowed_hosts.iter().map(String::as_str));
    let mut items = Vec::with_capacity(entries.len());
    for e in entries {
        if !same_site(&e.link, &hosts) {
            tracing::debug!(source = %ctx.source.id, link = %e.link, "feed entry on another site; skipped");
            continue;
        }
        items.push(e.listing_item());
        state
            .feed_entries
            .insert(canonical_url(&e.link), Arc::new(e));
    }
    Ok(Listing {
        items,
        next: None,
        misses: Vec::new(),
    })
}

/// The listing of a `kind = "feed"` source's feed URL; `None` (error recorded) when the feed
/// cannot be read.
pub(super) async fn feed_listing(
    ctx: &RunCtx<'_>,
    feed_url: &Url,
    state: &mut RunState,
) -> Option<Listing> {
    match read_feed(ctx, feed_url, state).await {
        Ok(listing) => {
            tracing::debug!(source = %ctx.source.id, url = %feed_url, items = listing.items.len(), "feed");
            Some(listing)
        }
        Err((kind, e)) => {
            tracing::warn!(source = %ctx.source.id, url = %feed_url, error = %e, "feed failed");
            state.report.count_error(kind);
            state.listing_errors.push(e);
            None
        }
    }
}

/// Zero-config: replaces the links found on a listing page by those of the feed the page
/// advertises, when that feed lists pages of the site; otherwise leaves `listing` alone.
/// The page's next link stays (older articles are still reached through the pager).
pub(super) async fn prefer_advertised_feed(
    ctx: &RunCtx<'_>,
    page_html: &str,
    page_url: &Url,
    listing: &mut Listing,
    state: &mut RunState,
) {
    let source = &ctx.source.id;
    let Some(feed_url) = advertised_feeds(page_html, page_url).into_iter().next() else {
        return;
    };
    match read_feed(ctx, &feed_url, state).await {
        // A feed that lists none of this page's own articles is about something else (the
        // whole site's news under a section page, say): the page's main list is the truth.
        Ok(from_feed) if !from_feed.items.is_empty() && !shares_a_link(&from_feed, listing) => {
            tracing::info!(%source, page = %page_url, feed = %feed_url,
                "advertised feed lists none of the page's articles; article links from the HTML listing");
        }
        Ok(from_feed) if !from_feed.items.is_empty() => {
            tracing::info!(%source, page = %page_url, feed = %feed_url, items = from_feed.items.len(),
                "article links from the feed the listing page advertises");
            listing.items = from_feed.items;
        }
        Ok(_) => tracing::info!(%source, page = %page_url, feed = %feed_url,
            "advertised feed lists no page of the site; article links from the HTML listing"),
        Err((_, e)) => tracing::info!(%source, page = %page_url, feed = %feed_url, error = %e,
            "advertised feed unusable; article links from the HTML listing"),
    }
}

/// Whether the feed lists at least one article the HTML listing shows (an empty HTML
/// listing agrees with any feed: the feed is then the only source of links).
fn shares_a_link(from_feed: &Listing, html: &Listing) -> bool {
    html.items.is_empty()
        || from_feed
            .items
            .iter()
            .any(|f| html.items.iter().any(|h| h.url == f.url))
}

/// What the feed said about a listed link, if a feed listed it this run.
pub(super) fn entry_for(state: &RunState, link: &Url) -> Option<Arc<FeedEntry>> {
    state.feed_entries.get(link).cloned()
}
