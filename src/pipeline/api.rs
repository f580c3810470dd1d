//! Runs of sources read through an API: `kind = "json"` sources, and HTML sources whose site
//! turns out to be WordPress with its REST API on. API pages carry whole articles, so no
//! article page is fetched; the incremental rules stay those of HTML runs (stop at the first
//! page without unknown items, `max_pages` or the backfill depth at most, never re-store an
//! unchanged record).

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Utc};
use url::Url;

use super::{Progress, RunOptions, RunReport, SharedStore, lock};
use crate::config::{JsonRules, Source, SourceKind, WordPressMode};
use crate::core::urls::canonical_url;
use crate::http::{Fetcher, Outcome, RequestPolicy};
use crate::normalize::normalize;
use crate::sources::json;
use crate::sources::wordpress::{self, Filter, WpError};
use crate::sources::{ApiItem, ApiPage};
use crate::store::Upsert;

/// Which way of reading a WordPress source worked, per source id and first listing URL, for
/// the life of the process: detection and the API probe are paid once.
#[derive(Debug, Clone)]
enum Ladder {
    Rest(Url),
    Html,
}

static LADDER: LazyLock<Mutex<HashMap<String, Ladder>>> = LazyLock::new(Default::default);

fn ladder_key(source: &Source) -> String {
    let first = source.listing_urls.first().map(Url::as_str).unwrap_or("");
    format!("{}\u{1f}{first}", source.id)
}

fn remember(source: &Source, l: Ladder) {
    LADDER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(ladder_key(source), l);
}

fn remembered(source: &Source) -> Option<Ladder> {
    LADDER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&ladder_key(source))
        .cloned()
}

/// The mutable state of a run that API walks share with the HTML walk.
pub(super) struct RunState<'a> {
    pub seen: &'a mut HashSet<Url>,
    pub report: &'a mut RunReport,
    pub listing_errors: &'a mut Vec<String>,
    /// The first listing page when WordPress detection fetched it, for the HTML walk to
    /// reuse instead of asking again.
    pub prefetched: &'a mut Option<(Url, Outcome)>,
}

/// What [`run_api`] did.
pub(super) enum ApiRun {
    /// Not an API source (or the API is unusable): walk the HTML listing.
    NotServed,
    /// The API served this source; `any_page_ok` is false when no API page could be read.
    Served { any_page_ok: bool },
}

enum Walker<'a> {
    Json(&'a JsonRules),
    Wp { root: Url, filter: Filter },
}

/// Reads the source through its API when it has one.
pub(super) async fn run_api(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    opts: &RunOptions,
    st: &mut RunState<'_>,
    progress: Option<&Progress>,
    now: DateTime<Utc>,
) -> ApiRun {
    if source.kind == SourceKind::Json {
        let Some(rules) = source.json.as_ref() else {
            return ApiRun::NotServed;
        };
        tracing::info!(source = %source.id, "reading the JSON API");
        let walker = Walker::Json(rules);
        let ok = walk(
            source, fetcher, store, opts, st, progress, now, &walker, false,
        )
        .await;
        return ApiRun::Served {
            any_page_ok: matches!(ok, Walked::Ok),
        };
    }
    if source.wordpress == WordPressMode::Off {
        return ApiRun::NotServed;
    }
    let root = match remembered(source) {
        Some(Ladder::Html) => return ApiRun::NotServed,
        Some(Ladder::Rest(root)) => root,
        None => match detect(source, fetcher, store, st).await {
            Some(root) => root,
            None => return ApiRun::NotServed,
        },
    };
    let mut filters = Vec::new();
    for url in &source.listing_urls {
        st.report.requests += 1;
        match wordpress::filter_for(fetcher, source, &root, url).await {
            Ok(f) => filters.push(f),
            Err(e) => return fall_back(source, &e),
        }
    }
    let mut any_ok = false;
    for (i, filter) in filters.into_iter().enumerate() {
        let walker = Walker::Wp {
            root: root.clone(),
            filter,
        };
        match walk(
            source,
            fetcher,
            store,
            opts,
            st,
            progress,
            now,
            &walker,
            i == 0,
        )
        .await
        {
            Walked::Unusable(e) => return fall_back(source, &e),
            Walked::Ok => any_ok = true,
            Walked::Failed => {}
        }
    }
    tracing::info!(source = %source.id, api = %root, "read through the WordPress REST API");
    remember(source, Ladder::Rest(root));
    ApiRun::Served {
        any_page_ok: any_ok,
    }
}

fn fall_back(source: &Source, e: &WpError) -> ApiRun {
    tracing::info!(source = %source.id, reason = %e, "WordPress REST API not usable; scraping HTML");
    remember(source, Ladder::Html);
    ApiRun::NotServed
}

/// Fetches the first listing page (conditionally) and looks for WordPress. A 304 tells
/// nothing, so the HTML walk goes on with its stored copy and detection waits for a change.
async fn detect(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    st: &mut RunState<'_>,
) -> Option<Url> {
    let first = source.listing_urls.first()?;
    let validators = lock(store)
        .validators(&source.id, first.as_str())
        .ok()
        .flatten();
    st.report.requests += 1;
    let outcome = match fetcher
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
                remember(source, Ladder::Html);
            }
            root
        }
        Outcome::NotModified => None,
    };
    *st.prefetched = Some((first.clone(), outcome));
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
#[allow(clippy::too_many_arguments)]
async fn walk(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    opts: &RunOptions,
    st: &mut RunState<'_>,
    progress: Option<&Progress>,
    now: DateTime<Utc>,
    walker: &Walker<'_>,
    probe: bool,
) -> Walked {
    let max_pages = opts.backfill_pages.unwrap_or(source.max_pages);
    let mut page = match walker {
        Walker::Json(r) => r.first_page,
        Walker::Wp { .. } => 1,
    };
    let mut read = 0;
    while read < max_pages {
        st.report.requests += 1;
        let result = match walker {
            Walker::Json(rules) => json::fetch_page(fetcher, source, rules, page)
                .await
                .map_err(|e| (e.kind(), e.to_string())),
            Walker::Wp { root, filter } => {
                match wordpress::fetch_posts(fetcher, source, root, filter, page).await {
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
                tracing::warn!(source = %source.id, error = %message, "API page failed");
                *st.report.errors_by_kind.entry(kind.into()).or_default() += 1;
                st.listing_errors.push(message);
                break;
            }
        };
        read += 1;
        st.report.listing_pages += 1;
        if let Some(cb) = &opts.on_page {
            cb(read, max_pages);
        }
        for (what, why) in p.skipped {
            *st.report.errors_by_kind.entry("json".into()).or_default() += 1;
            st.report.failed.push((what, why));
        }
        let count = p.items.len();
        let rules = match walker {
            Walker::Json(r) => Some(*r),
            Walker::Wp { .. } => None,
        };
        let unknown = process_items(
            source, fetcher, store, opts, st, progress, now, rules, p.items,
        )
        .await;
        let last = p.total_pages.is_some_and(|t| page >= t);
        if count == 0
            || last
            || (unknown == 0 && opts.backfill_pages.is_none() && !opts.walk_all_pages)
        {
            break;
        }
        page += 1;
    }
    if read > 0 { Walked::Ok } else { Walked::Failed }
}

/// Stores the items of one API page; returns how many were unknown to the store.
#[allow(clippy::too_many_arguments)]
async fn process_items(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    opts: &RunOptions,
    st: &mut RunState<'_>,
    progress: Option<&Progress>,
    now: DateTime<Utc>,
    rules: Option<&JsonRules>,
    items: Vec<ApiItem>,
) -> usize {
    let mut unknown = 0;
    for item in items {
        let link = canonical_url(&item.link);
        if !st.seen.insert(link.clone()) {
            continue;
        }
        st.report.found += 1;
        let known = match lock(store).known_link(&source.id, link.as_str()) {
            Ok(k) => k,
            Err(e) => {
                st.report.failed.push((link.to_string(), e.to_string()));
                *st.report.errors_by_kind.entry("store".into()).or_default() += 1;
                continue;
            }
        };
        // The record itself is at hand, so a changed fingerprint is the only reason to
        // look again (no re-check window needed).
        let due = match &known {
            None => {
                unknown += 1;
                true
            }
            Some(_) if opts.backfill_pages.is_some() => opts.refetch,
            Some(k) => opts.refetch || k.listing_fingerprint != item.fingerprint,
        };
        if let Some(p) = progress {
            p(link.as_str());
        }
        if !due {
            st.report.unchanged += 1;
            continue;
        }
        let fingerprint = item.fingerprint.clone();
        let raw = match (rules, item.detail.is_some()) {
            (Some(r), true) => {
                st.report.requests += 1;
                match json::complete(fetcher, source, r, item).await {
                    Ok(raw) => raw,
                    Err(e) => {
                        *st.report.errors_by_kind.entry(e.kind().into()).or_default() += 1;
                        st.report.failed.push((link.to_string(), e.to_string()));
                        continue;
                    }
                }
            }
            _ => item.raw,
        };
        let article = match normalize(raw, source, now) {
            Ok(n) => n.article,
            Err(e) => {
                *st.report
                    .errors_by_kind
                    .entry("extract".into())
                    .or_default() += 1;
                st.report.failed.push((link.to_string(), e.to_string()));
                continue;
            }
        };
        let mut s = lock(store);
        let stored = s.upsert(&article, now).and_then(|up| {
            s.remember_link(&source.id, link.as_str(), &article.id, &fingerprint)?;
            if article.id != link.as_str() {
                s.remember_link(&source.id, &article.id, &article.id, &fingerprint)?;
            }
            Ok(up)
        });
        match stored {
            Ok(Upsert::New) => st.report.new += 1,
            Ok(Upsert::Updated) => st.report.updated += 1,
            Ok(Upsert::Unchanged) => st.report.unchanged += 1,
            Err(e) => {
                *st.report.errors_by_kind.entry("store".into()).or_default() += 1;
                st.report.failed.push((link.to_string(), e.to_string()));
            }
        }
    }
    unknown
}
