//! Runs of Telegram sources: from each channel's preview page back through its `before`
//! links, with the incremental rules of every other source (stop at the first page without
//! an unknown message, `max_pages` or the backfill depth at most, never re-store an unchanged
//! message). Messages are stored by the API walk's own step, so normalize, store and render
//! treat them like API records.

use std::collections::HashSet;

use url::Url;

use super::api::process_items;
use super::{RunCtx, RunState};
use crate::sources::telegram::{self, TelegramPage};

/// Reads every channel of a Telegram source.
pub(super) async fn run(ctx: &RunCtx<'_>, state: &mut RunState) {
    for start in &ctx.source.listing_urls {
        walk(ctx, state, start).await;
    }
}

/// Walks one channel from its newest page to older ones.
async fn walk(ctx: &RunCtx<'_>, state: &mut RunState, start: &Url) {
    let max_pages = ctx.max_pages();
    let mut next = Some(start.clone());
    let mut read = 0;
    let mut visited = HashSet::new();
    while let Some(url) = next.take() {
        if read >= max_pages {
            break;
        }
        state.report.requests += 1;
        let page: TelegramPage = match telegram::fetch_page(ctx.fetcher, ctx.source, &url).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(source = %ctx.source.id, %url, error = %e, "channel page failed");
                state.report.count_error(e.kind());
                state.listing_errors.push(e.to_string());
                break;
            }
        };
        read += 1;
        state.any_listing_ok = true;
        state.report.listing_pages += 1;
        if let Some(cb) = &ctx.opts.on_page {
            cb(read, max_pages);
        }
        for (post, why) in &page.ignored {
            tracing::debug!(source = %ctx.source.id, post, why, "not an item");
        }
        for (what, why) in page.broken {
            state.report.fail(what, "telegram", why);
        }
        let unknown = process_items(ctx, state, None, page.items).await;
        if unknown == 0 && ctx.incremental() {
            break;
        }
        // A `before` link back to a page already read would loop forever.
        visited.insert(url);
        next = page.before.filter(|b| !visited.contains(b));
    }
}
