//! One refresh of one source: walk the listing pages, fetch the articles that are new (or
//! young enough to be re-checked, or whose listing entry changed), extract, normalize, store,
//! render. Shared by `pressfeed refresh` and the daemon.
//!
//! One bad article never stops a run: it is logged, counted in the [`RunReport`] and the run
//! goes on. A source fails *entirely* (its feed files and stored articles are then left
//! exactly as they were) when no listing page could be read, or the listing pages yielded
//! no article link, or the store or the feed files could not be written.
//!
//! Files: `walk` (listing pages: read, triage), `articles` (fetch, extract, normalize and
//! store the queued articles), `api` (JSON and WordPress REST walks, and which way of
//! reading a source worked), `telegram` (Telegram channel walks), `feed` (feeds as listings:
//! `kind = "feed"`, advertised feeds), `feeds` (rendering from the store), `selectors`
//! (selector drift), `report` ([`RunReport`]), `retention` (pruning after a run), `alerts`
//! (state changes for the alert webhook), `merged` (merged feeds, `[[feed]]`), `websub`
//! (hub pings), `site` (the index, OPML and stylesheet beside the feeds), `status` (what the
//! store says of each source), `merged_health` (a merged feed's health from its members').
//!
//! Layer: may import every layer but `app`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::{Settings, Source, SourceKind};
use crate::core::model::{Listing, Validators};
use crate::extract::feed::FeedEntry;
use crate::http::{Fetcher, Outcome};
use crate::store::Store;

mod alerts;
mod api;
mod articles;
mod feed;
mod feeds;
mod merged;
pub mod merged_health;
mod report;
mod retention;
mod selectors;
pub mod site;
pub mod status;
mod telegram;
mod walk;
pub mod websub;

pub use alerts::{Alert, AlertState};
pub use feeds::{RenderSourceError, feed_meta, render_source};
pub use merged::{merged_meta, render_merged};
pub use report::RunReport;
pub use retention::prune_source;
use selectors::{SelectorTally, record};

/// A store shared by the tasks of a run (SQLite connections are not `Sync`; every
/// operation is short).
pub type SharedStore = Arc<Mutex<Store>>;

/// Called once per article processed, for progress display.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// Article fetches in flight per run. The fetcher enforces the per-host limit; a few more
/// in flight keep its queue full.
const ARTICLES_IN_FLIGHT: usize = 8;

/// How to run.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Fetch every listed article again, whatever the store knows.
    pub refetch: bool,
    /// Backfill: walk this many listing pages whatever they bring, fetching only articles
    /// not yet stored.
    pub backfill_pages: Option<usize>,
    /// Walk all `max_pages` listing pages even when one brings nothing new. Set by the
    /// pipeline itself when the previous walk of the source did not finish (killed, or
    /// failed part-way): pages behind the first one may still hold articles never stored.
    pub walk_all_pages: bool,
    /// Called after each listing page with (page number, page limit), for progress bars.
    pub on_page: Option<Arc<dyn Fn(usize, usize) + Send + Sync>>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("refetch", &self.refetch)
            .field("backfill_pages", &self.backfill_pages)
            .field("walk_all_pages", &self.walk_all_pages)
            .finish_non_exhaustive()
    }
}

/// What runs share for as long as one configuration is in force: the settings, the HTTP
/// client, the store, and what the runs have learnt about the sources (which way of
/// reading a WordPress site worked). A reload builds a new pipeline, so that memory
/// starts afresh with the new configuration.
#[derive(Debug)]
pub struct Pipeline {
    settings: Settings,
    fetcher: Fetcher,
    store: SharedStore,
    ladders: api::Ladders,
}

impl Pipeline {
    pub fn new(settings: Settings, fetcher: Fetcher, store: SharedStore) -> Pipeline {
        Pipeline {
            settings,
            fetcher,
            store,
            ladders: api::Ladders::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// Runs one source once. Never panics on bad input; everything that goes wrong ends up
    /// in the report.
    ///
    /// Listing pages are walked one at a time, at most a bounded queue of articles ahead of
    /// the article fetches, so memory stays flat however long the archive. A normal run
    /// stops at the first page that brings no unknown article (`max_pages` at most); a
    /// backfill walks `backfill_pages` pages whatever it finds.
    pub async fn run(
        &self,
        source: &Source,
        opts: &RunOptions,
        progress: Option<Progress>,
    ) -> RunReport {
        let started = Instant::now();
        let now = Utc::now();
        let mut report = RunReport {
            source: source.id.clone(),
            ..RunReport::default()
        };
        if let Err(e) = lock(&self.store).source_created(&source.id, now) {
            report.fatal = Some(e.to_string());
            report.duration = started.elapsed();
            return report;
        }
        // Marked unfinished until this run ends cleanly; see `RunOptions::walk_all_pages`.
        let previous_walk_complete = lock(&self.store).begin_walk(&source.id).unwrap_or(false);
        let ctx = RunCtx {
            settings: &self.settings,
            fetcher: &self.fetcher,
            store: &self.store,
            ladders: &self.ladders,
            source,
            opts: RunOptions {
                walk_all_pages: opts.walk_all_pages || !previous_walk_complete,
                ..opts.clone()
            },
            progress,
            now,
        };
        let mut state = RunState::new(report);
        read_everything(&ctx, &mut state).await;
        let mut report = finish(&ctx, state);
        report.duration = started.elapsed();
        report
    }
}

/// Everything one run of one source reads.
struct RunCtx<'a> {
    settings: &'a Settings,
    fetcher: &'a Fetcher,
    store: &'a SharedStore,
    ladders: &'a api::Ladders,
    source: &'a Source,
    /// The options in force for this run (`walk_all_pages` already decided).
    opts: RunOptions,
    progress: Option<Progress>,
    /// The run's clock: first-seen times, re-check windows, relative dates.
    now: DateTime<Utc>,
}

impl RunCtx<'_> {
    /// Listing (or API) pages to read at most.
    fn max_pages(&self) -> usize {
        self.opts.backfill_pages.unwrap_or(self.source.max_pages)
    }

    /// Whether a page that brings nothing unknown ends the walk: nothing new there means
    /// nothing new further back either (not for a backfill, or after an unfinished walk).
    fn incremental(&self) -> bool {
        self.opts.backfill_pages.is_none() && !self.opts.walk_all_pages
    }

    fn progress(&self, link: &str) {
        if let Some(p) = &self.progress {
            p(link);
        }
    }
}

/// What one run accumulates while it reads; the HTML walk and the API walks share it.
struct RunState {
    report: RunReport,
    /// Canonical links already counted (entries repeat across pages and listings).
    seen: HashSet<Url>,
    /// Why listing (or API) pages could not be read.
    listing_errors: Vec<String>,
    /// The first listing page when WordPress detection fetched it, for the HTML walk to
    /// reuse instead of asking again.
    prefetched: Option<(Url, Outcome)>,
    /// Listing pages read in full, kept with their validators after a clean run.
    listing_validators: Vec<(Url, Validators, Listing)>,
    any_listing_ok: bool,
    selectors: SelectorTally,
    /// What feeds read this run said about each (canonical) link they listed.
    feed_entries: HashMap<Url, Arc<FeedEntry>>,
}

impl RunState {
    fn new(report: RunReport) -> RunState {
        RunState {
            report,
            seen: HashSet::new(),
            listing_errors: Vec::new(),
            prefetched: None,
            listing_validators: Vec::new(),
            any_listing_ok: false,
            selectors: SelectorTally::default(),
            feed_entries: HashMap::new(),
        }
    }
}

fn lock(store: &SharedStore) -> MutexGuard<'_, Store> {
    // A panic while holding the lock cannot leave SQLite inconsistent (transactions are
    // atomic), so a poisoned lock is still usable.
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads the source: through its API when it has one (JSON, WordPress REST), else by
/// walking its listing pages while the articles they list are fetched.
async fn read_everything(ctx: &RunCtx<'_>, state: &mut RunState) {
    // API pages carry whole articles; the HTML walk then has nothing to do, or reuses the
    // page WordPress detection fetched.
    if ctx.source.kind == SourceKind::Telegram {
        return telegram::run(ctx, state).await;
    }
    let html_listings: &[Url] = match api::run_api(ctx, state).await {
        api::ApiRun::NotServed => &ctx.source.listing_urls,
        api::ApiRun::Served { any_page_ok } => {
            state.any_listing_ok = any_page_ok;
            &[]
        }
    };
    // The walk and the articles overlap: listing pages are read and triaged while the
    // articles of earlier pages are still being fetched and parsed. A bounded queue keeps
    // the walk at most a few pages ahead, so memory stays flat however long the archive.
    let (queue, queued) = tokio::sync::mpsc::channel(2 * ARTICLES_IN_FLIGHT);
    let (_, articles) = tokio::join!(
        walk::walk_listings(ctx, html_listings, state, queue),
        articles::process(ctx, queued)
    );
    articles.merge_into(&mut state.report, &mut state.selectors);
}

/// Ends the run: its outcome recorded, then the source's retention applied (after a run
/// that did not fail: its feeds are written, and what they show is never pruned), then
/// the alert state brought up to date.
fn finish(ctx: &RunCtx<'_>, state: RunState) -> RunReport {
    let mut report = conclude(ctx, state);
    if report.fatal.is_none() {
        retention::after_run(ctx, &mut report);
    }
    alerts::after_run(ctx, &mut report);
    report
}

/// Decides how the run ended, keeps what a clean run may keep, renders and records.
fn conclude(ctx: &RunCtx<'_>, state: RunState) -> RunReport {
    let RunState {
        mut report,
        listing_errors,
        listing_validators,
        any_listing_ok,
        selectors,
        ..
    } = state;
    if !any_listing_ok {
        let err = listing_errors.join("; ");
        report.fatal = Some(if err.is_empty() {
            "no listing page read".into()
        } else {
            err
        });
        record(ctx, &report, None);
        return report;
    }
    for e in listing_errors {
        report.failed.push(("listing".into(), e));
    }
    if report.found == 0 {
        // A listing that used to list articles and now lists none is a broken page or a
        // changed theme, not an empty news day: fail the source and leave its feeds alone.
        let message = if ctx.source.kind == SourceKind::Feed {
            "the feed listed no article of the site (an empty feed, or every entry on another \
             host: check listing_urls, site_url and allowed_hosts)"
        } else {
            "the listing pages yielded no article links (broken page, or the site's \
             markup changed: check [source.listing] selectors)"
        };
        tracing::warn!(source = %ctx.source.id, "{message}");
        report.count_error("no_items");
        report.fatal = Some(message.into());
        record(ctx, &report, Some(&selectors));
        return report;
    }
    // Listing validators are kept only after a clean run, so a 304 never hides an article
    // that failed this time.
    if report.failed.is_empty() {
        walk::keep_listings(ctx, &listing_validators);
    }
    match render_source(ctx.source, ctx.settings, ctx.store, ctx.now) {
        Ok(changed) => {
            report.feeds_written = changed.len();
            report.changed_feeds = changed;
        }
        Err(e) => {
            report.count_error("render");
            report.fatal = Some(e.to_string());
        }
    }
    record(ctx, &report, Some(&selectors));
    report
}
