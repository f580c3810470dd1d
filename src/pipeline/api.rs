//! Runs of sources read through an API: `kind = "json"` sources, and HTML sources whose site
//! turns out to be WordPress with its REST API on. API pages carry whole articles, so no
//! article page is fetched; the incremental rules stay those of HTML runs (stop at the first
//! page without unknown items, `max_pages` or the backfill depth at most, never re-store an
//! unchanged record).

use std::collections::HashMap;
use std::sync::Mutex;

use url::Url;

use super::articles::{count_upsert, save};
use super::walk::is_due;
use super::{RunCtx, RunState, lock};
use crate::config::{Source, SourceKind, WordPressMode};
use crate::core::urls::canonical_url;
use crate::http::{Outcome, RequestPolicy};
use crate::normalize::normalize;
use crate::sources::gate::ApiSession;
use crate::sources::wordpress::{self, Filter, WpError};
use crate::sources::{ApiItem, ApiPage, json};

/// Which way of reading a WordPress source worked.
#[derive(Debug, Clone)]
enum Ladder {
    Rest(Url),
    Html,
}

/// What the runs learnt about each source's WordPress REST API, per source id and first
/// listing URL: detection and the API probe are paid once per pipeline. The pipeline owns
/// it, so a reload (a new pipeline, maybe a new listing URL) starts afresh.
#[derive(Debug, Default)]
pub(super) struct Ladders(Mutex<HashMap<String, Ladder>>);

impl Ladders {
    fn key(source: &Source) -> String {
        let first = source.listing_urls.first().map(Url::as_str).unwrap_or("");
        format!("{}\u{1f}{first}", source.id)
    }

    fn remember(&self, source: &Source, l: Ladder) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(Self::key(source), l);
    }

    fn remembered(&self, source: &Source) -> Option<Ladder> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&Self::key(source))
            .cloned()
    }
}

/// What [`run_api`] did.
pub(super) enum ApiRun {
    /// Not an API source (or the API is unusable): walk the HTML listing.
    NotServed,
    /// The API served this source; `any_page_ok` is false when no API page could be read.
    Served { any_page_ok: bool },
}

enum Walker<'a> {
    Json(&'a ApiSession<'a>),
    Wp { root: Url, filter: Filter },
}

/// Reads the source through its API when it has one.
pub(super) async fn run_api(ctx: &RunCtx<'_>, state: &mut RunState) -> ApiRun {
    let source = ctx.source;
    if source.kind == SourceKind::Json {
        let Some(rules) = source.json.as_ref() else {
            return ApiRun::NotServed;
        };
        tracing::info!(source = %source.id, "reading the JSON API");
        // One session per run: its cookies and generated headers never reach another source.
        let session = ApiSession::new(ctx.fetcher, source, rules);
        let ok = walk(ctx, state, &Walker::Json(&session), false).await;
        state.report.requests += session.session_requests() as u64;
        return ApiRun::Served {
            any_page_ok: matches!(ok, Walked::Ok),
        };
    }
    // A feed source's listing is its feed, never a WordPress REST detection.
    if source.wordpress == WordPressMode::Off || source.kind == SourceKind::Feed {
        return ApiRun::NotServed;
    }
    let root = match ctx.ladders.remembered(source) {
        Some(Ladder::Html) => return ApiRun::NotServed,
        Some(Ladder::Rest(root)) => root,
        None => match detect(ctx, state).await {
            Some(root) => root,
            None => return ApiRun::NotServed,
        },
    };
    wordpress_walks(ctx, state, root).await
}

/// Walks every listing URL of a WordPress source through its REST API; the first request
/// probes the API, and a refusal there means scraping HTML instead.
async fn wordpress_walks(ctx: &RunCtx<'_>, state: &mut RunState, root: Url) -> ApiRun {
    let source = ctx.source;
    let mut filters = Vec::new();
    for url in &source.listing_urls {
        state.report.requests += 1;
        match wordpress::filter_for(ctx.fetcher, source, &root, url).await {
            Ok(f) => filters.push(f),
            Err(e) => return fall_back(ctx, &e),
        }
    }
    let mut any_ok = false;
    for (i, filter) in filters.into_iter().enumerate() {
        let walker = Walker::Wp {
            root: root.clone(),
            filter,
        };
        match walk(ctx, state, &walker, i == 0).await {
            Walked::Unusable(e) => return fall_back(ctx, &e),
            Walked::Ok => any_ok = true,
            Walked::Failed => {}
        }
    }
    tracing::info!(source = %source.id, api = %root, "read through the WordPress REST API");
    ctx.ladders.remember(source, Ladder::Rest(root));
    ApiRun::Served {
        any_page_ok: any_ok,
    }
}

fn fall_back(ctx: &RunCtx<'_>, e: &WpError) -> ApiRun {
    tracing::info!(source = %ctx.source.id, reason = %e, "WordPress REST API not usable; scraping HTML");
    ctx.ladders.remember(ctx.source, Ladder::Html);
    ApiRun::NotServed
}

/// Fetches the first listing page (conditionally) and looks for WordPress. A 304 tells
/// nothing, so the HTML walk goes on with its stored copy and detection waits for a change.
async fn detect(ctx: &RunCtx<'_>, state: &mut RunState) -> Option<Url> {
    let source = ctx.source;
    let first = source.listing_urls.first()?;
    let validators = lock(ctx.store)
        .validators(&source.id, first.as_str())
        .ok()
        .flatten();
    state.report.requests += 1;
    let outcome = match ctx
        .fetcher
        .get_html_for(
            first,
            validators.as_ref(),
            RequestPolicy::for_source(source),
        )
        .await
    {
        Ok(o) => o,
        // The HTML walk fetches it again and reports the failure its usual way.
        Err(_) => return None,
    };
    let root = match &outcome {
        Outcome::Fetched(page) => {
            let root = wordpress::detect(&page.text, &page.final_url, &page.link_headers);
            if root.is_none() {
                tracing::info!(source = %source.id, "not a WordPress site; scraping HTML");
                ctx.ladders.remember(source, Ladder::Html);
            }
            root
        }
        Outcome::NotModified => None,
    };
    state.prefetched = Some((first.clone(), outcome));
    root
}

#[derive(Debug)]
enum Walked {
    /// At least one page read.
    Ok,
    /// No page read; errors recorded.
    Failed,
    /// The very first WordPress request said the API is off: scrape instead.
    Unusable(WpError),
}

/// Walks the pages of one API listing.
async fn walk(ctx: &RunCtx<'_>, state: &mut RunState, walker: &Walker<'_>, probe: bool) -> Walked {
    let max_pages = ctx.max_pages();
    let mut page = match walker {
        Walker::Json(session) => session.rules().first_page,
        Walker::Wp { .. } => 1,
    };
    let mut read = 0;
    while read < max_pages {
        state.report.requests += 1;
        let result = match walker {
            Walker::Json(session) => json::fetch_page(session, page)
                .await
                .map_err(|e| (e.kind(), e.to_string())),
            Walker::Wp { root, filter } => {
                match wordpress::fetch_posts(ctx.fetcher, ctx.source, root, filter, page).await {
                    Err(e) if probe && read == 0 && !matches!(e, WpError::Fetch(_)) => {
                        return Walked::Unusable(e);
                    }
                    r => r.map_err(|e| (e.kind(), e.to_string())),
                }
            }
        };
        let p: ApiPage = match result {
            Ok(p) => p,
            Err((kind, message)) => {
                tracing::warn!(source = %ctx.source.id, error = %message, "API page failed");
                state.report.count_error(kind);
                state.listing_errors.push(message);
                break;
            }
        };
        read += 1;
        state.report.listing_pages += 1;
        if let Some(cb) = &ctx.opts.on_page {
            cb(read, max_pages);
        }
        for (what, why) in p.skipped {
            state.report.fail(what, "json", why);
        }
        let count = p.items.len();
        let session = match walker {
            Walker::Json(session) => Some(*session),
            Walker::Wp { .. } => None,
        };
        let unknown = process_items(ctx, state, session, p.items).await;
        let last = p.total_pages.is_some_and(|t| page >= t);
        if count == 0 || last || (unknown == 0 && ctx.incremental()) {
            break;
        }
        page += 1;
    }
    if read > 0 { Walked::Ok } else { Walked::Failed }
}

/// Stores the items of one API page; returns how many were unknown to the store.
pub(super) async fn process_items(
    ctx: &RunCtx<'_>,
    state: &mut RunState,
    session: Option<&ApiSession<'_>>,
    items: Vec<ApiItem>,
) -> usize {
    let mut unknown = 0;
    for item in items {
        let link = canonical_url(&item.link);
        if !state.seen.insert(link.clone()) {
            continue;
        }
        state.report.found += 1;
        let known = match lock(ctx.store).known_link(&ctx.source.id, link.as_str()) {
            Ok(k) => k,
            Err(e) => {
                state.report.fail(link.to_string(), "store", e);
                continue;
            }
        };
        unknown += usize::from(known.is_none());
        ctx.progress(link.as_str());
        // The record itself is at hand, so a changed fingerprint is the only reason to
        // look again (no re-check window needed).
        if !is_due(ctx, known.as_ref(), &item.fingerprint, None) {
            state.report.unchanged += 1;
            continue;
        }
        store_item(ctx, state, session, &link, item).await;
    }
    unknown
}

/// Completes (detail request), normalizes and stores one due API record.
async fn store_item(
    ctx: &RunCtx<'_>,
    state: &mut RunState,
    session: Option<&ApiSession<'_>>,
    link: &Url,
    item: ApiItem,
) {
    let fingerprint = item.fingerprint.clone();
    let raw = match (session, item.detail.is_some()) {
        (Some(session), true) => {
            state.report.requests += 1;
            match json::complete(session, item).await {
                Ok(raw) => raw,
                Err(e) => return state.report.fail(link.to_string(), e.kind(), e),
            }
        }
        _ => item.raw,
    };
    let article = match normalize(raw, ctx.source, ctx.now) {
        Ok(n) => n.article,
        Err(e) => return state.report.fail(link.to_string(), "extract", e),
    };
    let stored = save(&mut lock(ctx.store), ctx, link, &article, &fingerprint);
    match stored {
        Ok(up) => count_upsert(&mut state.report, up),
        Err(e) => state.report.fail(link.to_string(), "store", e),
    }
}
