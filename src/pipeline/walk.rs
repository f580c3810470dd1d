//! The listing walk of HTML sources: read each listing page (or walk its stored copy on a
//! 304), decide which of its entries are due for a fetch, queue those for `articles`, and
//! follow the next page until one brings nothing new.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::Sender;
use url::Url;

use super::{RunCtx, RunState, feed, lock};
use crate::config::{Source, SourceKind};
use crate::core::model::{Listing, ListingItem, Validators};
use crate::core::urls::canonical_url;
use crate::extract::extract_listing;
use crate::extract::feed::FeedEntry;
use crate::http::{Outcome, RequestPolicy};
use crate::sources::sitemap;
use crate::store::KnownLink;

/// One article to look at, with what the listing said about it.
pub(super) struct Candidate {
    /// The link as listed, canonicalized (AMP twin and tracking parameters removed).
    pub(super) link: Url,
    pub(super) fingerprint: String,
    /// The store has the link: only then can it hold validators for it.
    pub(super) known: bool,
    /// The listing's title and date text for the entry: the fallbacks when the article page
    /// shows none.
    pub(super) listed_title: Option<String>,
    pub(super) listed_date: Option<String>,
    /// What a feed said about the entry, to fill what its page lacks.
    pub(super) feed: Option<Arc<FeedEntry>>,
}

/// Walks the listing pages from each start URL, sending the articles due for a fetch to
/// `queue`. Stops following a start at `max_pages`, at a page that cannot be read, at a page
/// already walked or whose entries were all on earlier pages (Drupal serves the last page
/// again for any page number past the end), or (incremental runs) at a page with nothing
/// unknown.
pub(super) async fn walk_listings(
    ctx: &RunCtx<'_>,
    starts: &[Url],
    state: &mut RunState,
    queue: Sender<Candidate>,
) {
    let max_pages = ctx.max_pages();
    let mut walked: HashSet<Url> = HashSet::new();
    for start in starts {
        let mut next = Some(start.clone());
        let mut page_no = 0;
        while let Some(url) = next.take() {
            page_no += 1;
            if page_no > max_pages || !walked.insert(url.clone()) {
                break;
            }
            let Some((listing, fresh)) = read_listing(ctx, &url, state).await else {
                break;
            };
            state.any_listing_ok = true;
            state.report.listing_pages += 1;
            if let Some(p) = &ctx.opts.on_page {
                p(page_no, max_pages);
            }
            if fresh.is_some() {
                state.selectors.listing(&listing);
            }
            next = next_page(ctx.source, &listing, page_no);
            let (due, unknown, new_in_walk) = triage(ctx, &listing, state);
            if new_in_walk == 0 && !listing.items.is_empty() {
                next = None;
            }
            if let Some(validators) = fresh {
                state.listing_validators.push((url, validators, listing));
            }
            state.report.requests += due.len() as u64;
            for c in due {
                if queue.send(c).await.is_err() {
                    // The article side is gone (it only stops when the run is dropped).
                    return;
                }
            }
            if unknown == 0 && ctx.incremental() {
                break;
            }
        }
    }
}

/// The page after page `page_no`: its next link, else the configured page URL template.
fn next_page(source: &Source, listing: &Listing, page_no: usize) -> Option<Url> {
    listing.next.clone().or_else(|| {
        source
            .page_url_template
            .as_deref()
            .and_then(|t| Url::parse(&t.replace("{n}", &(page_no + 1).to_string())).ok())
    })
}

/// Fetches one listing page, or walks its stored copy on a 304. Returns the listing and,
/// when it was read in full, its validators; `None` when it could not be read (error
/// recorded).
async fn read_listing(
    ctx: &RunCtx<'_>,
    url: &Url,
    state: &mut RunState,
) -> Option<(Listing, Option<Validators>)> {
    let source = ctx.source;
    if source.kind == SourceKind::Feed {
        return feed::feed_listing(ctx, url, state).await.map(|l| (l, None));
    }
    let reuse = match state.prefetched.take() {
        Some((u, outcome)) if &u == url => Some(Ok(outcome)),
        other => {
            state.prefetched = other;
            None
        }
    };
    let fetched = match reuse {
        Some(outcome) => outcome,
        None => {
            let validators = lock(ctx.store)
                .validators(&source.id, url.as_str())
                .ok()
                .flatten();
            state.report.requests += 1;
            ctx.fetcher
                .get_html_for(url, validators.as_ref(), RequestPolicy::for_source(source))
                .await
        }
    };
    match fetched {
        Ok(Outcome::NotModified) => stored_listing(ctx, url, state),
        Ok(Outcome::Fetched(page)) => {
            let mut listing = extract_listing(&page.text, &page.final_url, &source.listing);
            let zero_config = source.listing.item.is_none() && source.listing.link.is_none();
            if zero_config && source.listing_urls.contains(url) {
                feed::prefer_advertised_feed(ctx, &page.text, &page.final_url, &mut listing, state)
                    .await;
            }
            if listing.items.is_empty()
                && source.listing.item.is_none()
                && source.listing.link.is_none()
            {
                listing.items = sitemap_fallback(ctx, &page.final_url, state).await;
            }
            tracing::debug!(source = %source.id, %url, items = listing.items.len(), "listing page");
            Some((listing, Some(page.validators)))
        }
        Err(e) => {
            tracing::warn!(source = %source.id, %url, error = %e, "listing fetch failed");
            state.report.count_error(e.kind());
            state.listing_errors.push(e.to_string());
            None
        }
    }
}

/// A listing page answered 304: unchanged since the last clean run, so walk what it held
/// then, and young articles are still re-checked and the next page is still reached.
fn stored_listing(
    ctx: &RunCtx<'_>,
    url: &Url,
    state: &mut RunState,
) -> Option<(Listing, Option<Validators>)> {
    let id = &ctx.source.id;
    let stored = lock(ctx.store).listing(id, url.as_str()).ok().flatten();
    if stored.is_none() {
        // Validators without a remembered page: forget them, read it in full next time.
        let _ = lock(ctx.store).set_validators(id, url.as_str(), &Validators::default());
        state.listing_errors.push(format!(
            "GET {url}: 304 for a page never stored; retry next run"
        ));
    } else {
        tracing::debug!(source = %id, %url, "listing not modified");
    }
    stored.map(|l| (l, None))
}

/// Zero-config sources whose listing page shows no article link: the site's sitemaps.
async fn sitemap_fallback(ctx: &RunCtx<'_>, page: &Url, state: &mut RunState) -> Vec<ListingItem> {
    let found = sitemap::discover(
        ctx.fetcher,
        page,
        ctx.source.items,
        &mut state.report.requests,
    )
    .await;
    found.unwrap_or_else(|e| {
        tracing::info!(source = %ctx.source.id, error = %e, "no sitemap fallback");
        Vec::new()
    })
}

/// Which entries of one listing page are due for a fetch, how many were unknown to the
/// store, and how many were not on an earlier page of this walk. Entries not due are
/// counted as unchanged here.
fn triage(
    ctx: &RunCtx<'_>,
    listing: &Listing,
    state: &mut RunState,
) -> (Vec<Candidate>, usize, usize) {
    let mut due = Vec::new();
    let mut unknown = 0;
    let mut new_in_walk = 0;
    let recheck =
        chrono::Duration::from_std(ctx.source.recheck_age).unwrap_or(chrono::Duration::zero());
    let store = lock(ctx.store);
    store.reading(|store| {
        for item in &listing.items {
            // Entries repeat (sticky posts, tickers, AMP twins): keep the first of each link.
            let link = canonical_url(&item.url);
            if !state.seen.insert(link.clone()) {
                continue;
            }
            new_in_walk += 1;
            state.report.found += 1;
            let known = match store.known_link(&ctx.source.id, link.as_str()) {
                Ok(k) => k,
                Err(e) => {
                    state.report.fail(link.to_string(), "store", e);
                    continue;
                }
            };
            let c = Candidate {
                feed: feed::entry_for(state, &link),
                link,
                fingerprint: fingerprint(item),
                known: known.is_some(),
                listed_title: item.title.clone(),
                listed_date: item.date_text.clone(),
            };
            unknown += usize::from(known.is_none());
            if is_due(ctx, known.as_ref(), &c.fingerprint, Some(recheck)) {
                due.push(c);
            } else {
                state.report.unchanged += 1;
                ctx.progress(c.link.as_str());
            }
        }
    });
    (due, unknown, new_in_walk)
}

/// Whether an entry is fetched (or an API record stored) again: unknown ones always;
/// known ones on `--refetch`, when the listing shows something else than last time, or
/// while they are younger than `recheck` (edits come in the first days). A backfill only
/// adds what is missing. Articles retention pruned never are.
pub(super) fn is_due(
    ctx: &RunCtx<'_>,
    known: Option<&KnownLink>,
    fingerprint: &str,
    recheck: Option<chrono::Duration>,
) -> bool {
    let young = |first_seen: DateTime<Utc>| recheck.is_some_and(|r| first_seen + r > ctx.now);
    match known {
        None => true,
        // Retention removed it: fetching it again would only bring it back as new.
        Some(k) if k.pruned => false,
        Some(_) if ctx.opts.backfill_pages.is_some() => ctx.opts.refetch,
        Some(k) => ctx.opts.refetch || young(k.first_seen) || k.listing_fingerprint != fingerprint,
    }
}

/// What the listing showed for an entry; a change means the article is worth re-fetching.
fn fingerprint(item: &ListingItem) -> String {
    let mut h = Sha256::new();
    for part in [&item.title, &item.date_text, &item.summary, &item.image] {
        h.update(part.as_deref().unwrap_or("").as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..12])
}

/// After a clean run: the walk is complete, and each listing page read in full is kept
/// with its validators, so the next run can walk a 304 like a 200.
pub(super) fn keep_listings(ctx: &RunCtx<'_>, pages: &[(Url, Validators, Listing)]) {
    let id = &ctx.source.id;
    let s = lock(ctx.store);
    if let Err(e) = s.end_walk(id) {
        tracing::warn!(source = %id, error = %e, "cannot record the finished walk");
    }
    for (url, v, listing) in pages {
        if let Err(e) = s
            .save_listing(id, url.as_str(), listing)
            .and_then(|_| s.set_validators(id, url.as_str(), v))
        {
            tracing::warn!(source = %id, %url, error = %e, "cannot save validators");
        }
    }
}
