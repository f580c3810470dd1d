//! One refresh of one source: walk the listing pages, fetch the articles that are new (or
//! young enough to be re-checked, or whose listing entry changed), extract, normalize, store,
//! render. Shared by `pressfeed refresh` and the daemon.
//!
//! One bad article never stops a run: it is logged, counted in the [`RunReport`] and the run
//! goes on. A source fails *entirely* only when no listing page could be read; then its feed
//! files and stored articles are left exactly as they were.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use url::Url;

mod api;

use crate::config::{Settings, Source};
use crate::core::model::ListingItem;
use crate::core::model::{Listing, Validators};
use crate::core::urls::canonical_url;
use crate::extract::{extract_article, extract_listing};
use crate::http::{Fetcher, Outcome, RequestPolicy};
use crate::normalize::normalize;
use crate::render::{FeedMeta, FeedModel, write_feeds};
use crate::sources::sitemap;
use crate::store::{Store, StoreError, Upsert};

/// A store shared by the tasks of a run (SQLite connections are not `Sync`; every
/// operation is short).
pub type SharedStore = Arc<Mutex<Store>>;

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

/// What one run of one source did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub source: String,
    pub listing_pages: usize,
    /// Distinct article links found on the listing pages.
    pub found: usize,
    pub new: usize,
    pub updated: usize,
    /// Fetched (or answered 304) and found unchanged, or known and not due for a re-check.
    pub unchanged: usize,
    /// Articles that could not be fetched, extracted or stored: (URL, error).
    pub failed: Vec<(String, String)>,
    /// Set when the source failed entirely (no listing page could be read, or the store or
    /// the feed files could not be written).
    pub fatal: Option<String>,
    /// Feed files rewritten because their bytes changed.
    pub feeds_written: usize,
    /// Public URLs of the rewritten feeds (for WebSub pings).
    pub changed_feeds: Vec<Url>,
    /// HTTP requests made.
    pub requests: u64,
    /// Failures by kind (`timeout`, `http_status`, `extract`, `store`, ...).
    pub errors_by_kind: BTreeMap<String, u64>,
    pub duration: Duration,
}

impl RunReport {
    /// True when nothing useful could be done for the source.
    pub fn failed_entirely(&self) -> bool {
        self.fatal.is_some()
    }

    /// One line per source: what an admin (or a systemd timer's journal) needs to see.
    pub fn summary(&self) -> String {
        let r = self;
        let mut line = format!(
            "{}: {} new, {} updated, {} unchanged, {} failed ({} found on {} listing page{}, {} feed file{} rewritten, {:.1}s)",
            r.source,
            r.new,
            r.updated,
            r.unchanged,
            r.failed.len(),
            r.found,
            r.listing_pages,
            if r.listing_pages == 1 { "" } else { "s" },
            r.feeds_written,
            if r.feeds_written == 1 { "" } else { "s" },
            r.duration.as_secs_f64(),
        );
        if let Some(f) = &r.fatal {
            line.push_str(&format!("\n{}: FAILED: {f}", r.source));
        }
        for (url, e) in &r.failed {
            line.push_str(&format!("\n{}:   failed {url}: {e}", r.source));
        }
        line
    }
}

/// Called once per article processed, for progress display.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

fn lock(store: &SharedStore) -> MutexGuard<'_, Store> {
    // A panic while holding the lock cannot leave SQLite inconsistent (transactions are
    // atomic), so a poisoned lock is still usable.
    store.lock().unwrap_or_else(|p| p.into_inner())
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

/// The channel metadata of a source's feed.
pub fn feed_meta(source: &Source, settings: &Settings) -> FeedMeta {
    let join = |ext: &str| {
        settings
            .base_url
            .join(&format!("feeds/{}.{ext}", source.id))
            .unwrap_or_else(|_| settings.base_url.clone())
    };
    FeedMeta {
        id: source.id.clone(),
        title: source.title.clone(),
        description: source.description.clone(),
        language: source.language.clone(),
        site_url: source.site_url.clone(),
        rss_url: join("rss"),
        atom_url: join("atom"),
        json_url: join("json"),
        timezone: source.timezone,
        hubs: settings.hubs.iter().chain(&source.hubs).cloned().collect(),
    }
}

/// Renders a source's feeds from the store. Returns the public URLs of the files that were
/// rewritten (their bytes changed).
pub fn render_source(
    source: &Source,
    settings: &Settings,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<Vec<Url>, String> {
    let (items, created) = {
        let s = lock(store);
        let items = s
            .recent(&source.id, source.items)
            .map_err(|e| e.to_string())?;
        let created = s
            .source_created(&source.id, now)
            .map_err(|e| e.to_string())?;
        (items, created)
    };
    let meta = feed_meta(source, settings);
    let model = FeedModel::new(meta.clone(), items);
    let report = write_feeds(&settings.feeds_dir, &model, created).map_err(|e| e.to_string())?;
    Ok(report
        .written
        .iter()
        .filter_map(|p| match p.extension().and_then(|e| e.to_str()) {
            Some("rss") => Some(meta.rss_url.clone()),
            Some("atom") => Some(meta.atom_url.clone()),
            Some("json") => Some(meta.json_url.clone()),
            _ => None,
        })
        .collect())
}

/// One article to look at, with what the listing said about it.
struct Candidate {
    /// The link as listed, canonicalized (AMP twin and tracking parameters removed).
    link: Url,
    fingerprint: String,
    /// The store has the link: only then can it hold validators for it.
    known: bool,
}

/// Why one article failed, with a kind for counting.
struct ArticleError {
    kind: &'static str,
    message: String,
}

impl ArticleError {
    fn new(kind: &'static str, e: impl std::fmt::Display) -> Self {
        ArticleError {
            kind,
            message: e.to_string(),
        }
    }
}

enum ArticleOutcome {
    /// Fetched and normalized, to be stored with the rest of its batch.
    Fetched(Box<Fetched>),
    NotModified,
}

/// An article ready to store, with the configured selectors that matched nothing on it.
struct Fetched {
    article: crate::core::model::Article,
    fingerprint: String,
    validators: Validators,
    misses: Vec<&'static str>,
}

/// Runs one source once. Never panics on bad input; everything that goes wrong ends up in
/// the report.
///
/// Listing pages are walked one at a time, at most a bounded queue of articles ahead of the
/// article fetches, so memory stays flat however long the archive. A normal run stops at
/// the first page that brings no unknown article (`max_pages` at most); a backfill walks
/// `backfill_pages` pages whatever it finds.
pub async fn run_source(
    source: &Source,
    settings: &Settings,
    fetcher: &Fetcher,
    store: &SharedStore,
    opts: &RunOptions,
    progress: Option<Progress>,
) -> RunReport {
    let started = Instant::now();
    let now = Utc::now();
    let mut report = RunReport {
        source: source.id.clone(),
        ..RunReport::default()
    };
    if let Err(e) = lock(store).source_created(&source.id, now) {
        report.fatal = Some(e.to_string());
        report.duration = started.elapsed();
        return report;
    }
    // Marked unfinished until this run ends cleanly; see `RunOptions::walk_all_pages`.
    let previous_walk_complete = lock(store).begin_walk(&source.id).unwrap_or(false);
    let opts = &RunOptions {
        walk_all_pages: opts.walk_all_pages || !previous_walk_complete,
        ..opts.clone()
    };

    let max_pages = opts.backfill_pages.unwrap_or(source.max_pages);
    let mut listing_errors = Vec::new();
    let mut listing_validators: Vec<(Url, Validators, Listing)> = Vec::new();
    let mut any_listing_ok = false;
    let mut seen: HashSet<Url> = HashSet::new();
    let mut selectors = SelectorTally::default();
    // API sources (JSON, WordPress REST) are read without listing or article pages; the HTML
    // walk below then has nothing to do, or reuses the page WordPress detection fetched.
    let mut prefetched = None;
    let served = api::run_api(
        source,
        fetcher,
        store,
        opts,
        &mut api::RunState {
            seen: &mut seen,
            report: &mut report,
            listing_errors: &mut listing_errors,
            prefetched: &mut prefetched,
        },
        progress.as_ref(),
        now,
    )
    .await;
    let html_listings: &[Url] = match served {
        api::ApiRun::NotServed => &source.listing_urls,
        api::ApiRun::Served { any_page_ok } => {
            any_listing_ok = any_page_ok;
            &[]
        }
    };
    // The walk and the articles overlap: listing pages are read and triaged here while the
    // articles of earlier pages are still being fetched and parsed. A bounded queue keeps the
    // walk at most a few pages ahead, so memory stays flat however long the archive.
    let (queue, queued) = tokio::sync::mpsc::channel::<Candidate>(2 * fetcher_concurrency(source));
    let walk = async {
        let queue = queue;
        'starts: for start in html_listings {
            let mut next = Some(start.clone());
            let mut page_no = 0;
            while let Some(url) = next.take() {
                page_no += 1;
                if page_no > max_pages {
                    break;
                }
                let Some((listing, fresh)) = read_listing(
                    source,
                    fetcher,
                    store,
                    &url,
                    &mut report,
                    &mut listing_errors,
                    &mut prefetched,
                )
                .await
                else {
                    break;
                };
                any_listing_ok = true;
                report.listing_pages += 1;
                if let Some(p) = &opts.on_page {
                    p(page_no, max_pages);
                }
                if fresh.is_some() {
                    selectors.listing(&listing);
                }
                next = listing.next.clone().or_else(|| {
                    source.page_url_template.as_deref().and_then(|t| {
                        Url::parse(&t.replace("{n}", &(page_no + 1).to_string())).ok()
                    })
                });
                let (due, unknown) = triage(
                    source,
                    store,
                    opts,
                    &listing,
                    &mut seen,
                    &mut report,
                    progress.as_ref(),
                    now,
                );
                if let Some(validators) = fresh {
                    listing_validators.push((url, validators, listing));
                }
                report.requests += due.len() as u64;
                for c in due {
                    if queue.send(c).await.is_err() {
                        break 'starts;
                    }
                }
                if unknown == 0 && opts.backfill_pages.is_none() && !opts.walk_all_pages {
                    // Incremental: nothing new here, so nothing new further back either.
                    break;
                }
            }
        }
    };
    let (_, articles) = tokio::join!(
        walk,
        process_articles(source, fetcher, store, opts, queued, progress.as_ref(), now)
    );
    articles.merge_into(&mut report, &mut selectors);
    if !any_listing_ok {
        let err = listing_errors.join("; ");
        report.fatal = Some(if err.is_empty() {
            "no listing page read".into()
        } else {
            err
        });
        record(store, source, now, &report, None);
        report.duration = started.elapsed();
        return report;
    }
    for e in listing_errors {
        report.failed.push(("listing".into(), e));
    }
    if report.found == 0 {
        // A listing that used to list articles and now lists none is a broken page or a
        // changed theme, not an empty news day: fail the source and leave its feeds alone.
        let message = "the listing pages yielded no article links (broken page, or the site's \
                       markup changed: check [source.listing] selectors)";
        tracing::warn!(source = %source.id, "{message}");
        *report.errors_by_kind.entry("no_items".into()).or_default() += 1;
        report.fatal = Some(message.into());
        record(store, source, now, &report, Some(&selectors));
        report.duration = started.elapsed();
        return report;
    }

    // Listing validators are kept only after a clean run, so a 304 never hides an article
    // that failed this time.
    if report.failed.is_empty() {
        let s = lock(store);
        if let Err(e) = s.end_walk(&source.id) {
            tracing::warn!(source = %source.id, error = %e, "cannot record the finished walk");
        }
        for (url, v, listing) in &listing_validators {
            if let Err(e) = s
                .save_listing(&source.id, url.as_str(), listing)
                .and_then(|_| s.set_validators(&source.id, url.as_str(), v))
            {
                tracing::warn!(source = %source.id, %url, error = %e, "cannot save validators");
            }
        }
    }

    match render_source(source, settings, store, now) {
        Ok(changed) => {
            report.feeds_written = changed.len();
            report.changed_feeds = changed;
        }
        Err(e) => {
            *report.errors_by_kind.entry("render".into()).or_default() += 1;
            report.fatal = Some(e);
        }
    }
    record(store, source, now, &report, Some(&selectors));
    report.duration = started.elapsed();
    report
}

/// Which configured selectors matched something during a run.
#[derive(Debug, Default)]
struct SelectorTally {
    hit: BTreeSet<String>,
    missed: BTreeSet<String>,
}

impl SelectorTally {
    fn listing(&mut self, l: &Listing) {
        self.missed.extend(l.misses.iter().map(|m| m.to_string()));
        // Listing fields that did not miss on this page matched (when configured).
        for name in [
            "listing.item",
            "listing.title",
            "listing.date",
            "listing.summary",
            "listing.image",
        ] {
            if !l.misses.contains(&name) && !l.items.is_empty() {
                self.hit.insert(name.to_string());
            }
        }
    }

    fn article(&mut self, misses: &[&'static str], configured: &[&'static str]) {
        for c in configured {
            if misses.contains(c) {
                self.missed.insert(c.to_string());
            } else {
                self.hit.insert(c.to_string());
            }
        }
    }

    /// Selectors that matched before (per the store) and matched nothing in this run.
    fn drift(&self, history: &BTreeSet<String>) -> Vec<String> {
        self.missed
            .iter()
            .filter(|m| !self.hit.contains(*m) && history.contains(*m))
            .cloned()
            .collect()
    }
}

/// Fetches one listing page, or walks its stored copy on a 304. Returns the listing and,
/// when it was read in full, its validators; `None` when it could not be read (error
/// recorded).
async fn read_listing(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    url: &Url,
    report: &mut RunReport,
    errors: &mut Vec<String>,
    prefetched: &mut Option<(Url, Outcome)>,
) -> Option<(Listing, Option<Validators>)> {
    let reuse = match prefetched.take() {
        Some((u, outcome)) if &u == url => Some(Ok(outcome)),
        other => {
            *prefetched = other;
            None
        }
    };
    let fetched = match reuse {
        Some(outcome) => outcome,
        None => {
            let validators = lock(store)
                .validators(&source.id, url.as_str())
                .ok()
                .flatten();
            report.requests += 1;
            fetcher
                .get_html_for(url, validators.as_ref(), RequestPolicy::for_source(source))
                .await
        }
    };
    match fetched {
        Ok(Outcome::NotModified) => {
            // Unchanged since the last clean run: walk what it held then, so young articles
            // are still re-checked and the next page is still reached.
            let stored = lock(store).listing(&source.id, url.as_str()).ok().flatten();
            if stored.is_none() {
                // Validators without a remembered page: forget them, read it in full next time.
                let _ =
                    lock(store).set_validators(&source.id, url.as_str(), &Validators::default());
                errors.push(format!(
                    "GET {url}: 304 for a page never stored; retry next run"
                ));
            } else {
                tracing::debug!(source = %source.id, %url, "listing not modified");
            }
            stored.map(|l| (l, None))
        }
        Ok(Outcome::Fetched(page)) => {
            let mut listing = extract_listing(&page.text, &page.final_url, &source.listing);
            // --- zero-config: sitemap fallback (issue 5) ---
            if listing.items.is_empty()
                && source.listing.item.is_none()
                && source.listing.link.is_none()
            {
                match sitemap::discover(
                    fetcher,
                    &page.final_url,
                    source.items,
                    &mut report.requests,
                )
                .await
                {
                    Ok(items) => listing.items = items,
                    Err(e) => {
                        tracing::info!(source = %source.id, error = %e, "no sitemap fallback")
                    }
                }
            }
            // --- end zero-config ---
            tracing::debug!(source = %source.id, %url, items = listing.items.len(), "listing page");
            Some((listing, Some(page.validators)))
        }
        Err(e) => {
            tracing::warn!(source = %source.id, %url, error = %e, "listing fetch failed");
            *report
                .errors_by_kind
                .entry(e.kind().to_string())
                .or_default() += 1;
            errors.push(e.to_string());
            None
        }
    }
}

/// Which entries of one listing page are due for a fetch, and how many were unknown to the
/// store. Entries not due are counted as unchanged here.
#[allow(clippy::too_many_arguments)]
fn triage(
    source: &Source,
    store: &SharedStore,
    opts: &RunOptions,
    listing: &Listing,
    seen: &mut HashSet<Url>,
    report: &mut RunReport,
    progress: Option<&Progress>,
    now: DateTime<Utc>,
) -> (Vec<Candidate>, usize) {
    // Entries repeat (sticky posts, tickers, AMP twins): keep the first of each link.
    let mut due = Vec::new();
    let mut unknown = 0;
    let recheck =
        chrono::Duration::from_std(source.recheck_age).unwrap_or(chrono::Duration::zero());
    let store = lock(store);
    store.reading(|store| {
        for item in &listing.items {
            let link = canonical_url(&item.url);
            if !seen.insert(link.clone()) {
                continue;
            }
            report.found += 1;
            let known = match store.known_link(&source.id, link.as_str()) {
                Ok(k) => k,
                Err(e) => {
                    report.failed.push((link.to_string(), e.to_string()));
                    *report.errors_by_kind.entry("store".into()).or_default() += 1;
                    continue;
                }
            };
            let c = Candidate {
                link,
                fingerprint: fingerprint(item),
                known: known.is_some(),
            };
            let fetch = match &known {
                None => {
                    unknown += 1;
                    true
                }
                // A backfill only adds what is missing.
                Some(_) if opts.backfill_pages.is_some() => opts.refetch,
                Some(k) => {
                    opts.refetch
                        || k.first_seen + recheck > now
                        || k.listing_fingerprint != c.fingerprint
                }
            };
            if fetch {
                due.push(c);
            } else {
                report.unchanged += 1;
                if let Some(p) = progress {
                    p(c.link.as_str());
                }
            }
        }
    });
    (due, unknown)
}

/// What the article side of a run did, merged into the report when the walk is over.
#[derive(Default)]
struct ArticleTally {
    report: RunReport,
    selectors: SelectorTally,
}

impl ArticleTally {
    fn merge_into(self, report: &mut RunReport, selectors: &mut SelectorTally) {
        let a = self.report;
        report.new += a.new;
        report.updated += a.updated;
        report.unchanged += a.unchanged;
        report.failed.extend(a.failed);
        for (kind, n) in a.errors_by_kind {
            *report.errors_by_kind.entry(kind).or_default() += n;
        }
        selectors.hit.extend(self.selectors.hit);
        selectors.missed.extend(self.selectors.missed);
    }
}

/// Articles written per transaction: one commit per batch instead of several per article.
const STORE_BATCH: usize = 32;

/// Fetches, extracts and stores the queued articles until the walk closes the queue.
///
/// Bounded concurrency (the fetcher also limits per host). Extraction is synchronous, runs
/// on the blocking pool and never holds a parsed document across an await. Results are
/// written in batches, after their fetches, so the write lock is never held across network
/// I/O.
async fn process_articles(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    opts: &RunOptions,
    queued: tokio::sync::mpsc::Receiver<Candidate>,
    progress: Option<&Progress>,
    now: DateTime<Utc>,
) -> ArticleTally {
    let configured = configured_article_selectors(source);
    let shared_source = Arc::new(source.clone());
    let shared_source = &shared_source;
    let mut tally = ArticleTally::default();
    let results =
        futures_util::stream::unfold(
            queued,
            |mut q| async move { q.recv().await.map(|c| (c, q)) },
        )
        .map(|c| async move {
            let r = process_article(source, shared_source, fetcher, store, &c, opts, now).await;
            if let Some(p) = progress {
                p(c.link.as_str());
            }
            (c.link, r)
        })
        .buffer_unordered(fetcher_concurrency(source));
    let mut results = std::pin::pin!(results);
    let mut batch = Vec::with_capacity(STORE_BATCH);
    while let Some(r) = results.next().await {
        batch.push(r);
        if batch.len() >= STORE_BATCH {
            store_batch(source, store, &mut batch, &configured, &mut tally, now);
        }
    }
    store_batch(source, store, &mut batch, &configured, &mut tally, now);
    tally
}

/// Writes a batch of article results in one transaction and counts them. A failed BEGIN
/// only means one commit per statement again.
fn store_batch(
    source: &Source,
    store: &SharedStore,
    batch: &mut Vec<(Url, Result<ArticleOutcome, ArticleError>)>,
    configured: &[&'static str],
    tally: &mut ArticleTally,
    now: DateTime<Utc>,
) {
    if batch.is_empty() {
        return;
    }
    let report = &mut tally.report;
    let mut s = lock(store);
    let in_tx = s.begin_batch().is_ok();
    let (new_before, updated_before) = (report.new, report.updated);
    for (link, r) in batch.drain(..) {
        let r = r.and_then(|o| match o {
            ArticleOutcome::Fetched(f) => store_article(&mut s, source, &link, *f, now),
            ArticleOutcome::NotModified => Ok(None),
        });
        match r {
            Ok(Some((up, misses))) => {
                tally.selectors.article(&misses, configured);
                match up {
                    Upsert::New => report.new += 1,
                    Upsert::Updated => report.updated += 1,
                    Upsert::Unchanged => report.unchanged += 1,
                }
            }
            Ok(None) => report.unchanged += 1,
            Err(ArticleError { kind, message }) => {
                tracing::warn!(source = %source.id, url = %link, error = %message, "article failed");
                *report.errors_by_kind.entry(kind.to_string()).or_default() += 1;
                report.failed.push((link.to_string(), message));
            }
        }
    }
    if in_tx && let Err(e) = s.commit_batch() {
        // Nothing of this batch was stored: count its articles as failed, not as new.
        tracing::warn!(source = %source.id, error = %e, "cannot commit a batch of articles");
        report.new = new_before;
        report.updated = updated_before;
        report.failed.push(("store".into(), e.to_string()));
        *report.errors_by_kind.entry("store".into()).or_default() += 1;
    }
}

/// Writes one fetched article (inside the batch's transaction); `(upsert, selector misses)`.
fn store_article(
    s: &mut Store,
    source: &Source,
    link: &Url,
    f: Fetched,
    now: DateTime<Utc>,
) -> Result<Option<(Upsert, Vec<&'static str>)>, ArticleError> {
    let Fetched {
        article,
        fingerprint,
        validators,
        misses,
    } = f;
    let result: Result<Upsert, StoreError> = (|| {
        let up = s.upsert(&article, now)?;
        s.remember_link(&source.id, link.as_str(), &article.id, &fingerprint)?;
        if article.id != link.as_str() {
            s.remember_link(&source.id, &article.id, &article.id, &fingerprint)?;
        }
        s.set_validators(&source.id, link.as_str(), &validators)?;
        Ok(up)
    })();
    result
        .map(|up| Some((up, misses)))
        .map_err(|e| ArticleError::new("store", e))
}

fn fetcher_concurrency(_source: &Source) -> usize {
    // The fetcher enforces the per-host limit; a few more in flight keep its queue full.
    8
}

fn configured_article_selectors(source: &Source) -> Vec<&'static str> {
    let a = &source.article;
    [
        ("article.title", a.title.is_some()),
        ("article.content", a.content.is_some()),
        ("article.date", a.date.is_some()),
        ("article.modified", a.modified.is_some()),
        ("article.author", a.author.is_some()),
        ("article.categories", a.categories.is_some()),
        ("article.image", a.image.is_some()),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(n, _)| n)
    .collect()
}

fn record(
    store: &SharedStore,
    source: &Source,
    now: DateTime<Utc>,
    report: &RunReport,
    selectors: Option<&SelectorTally>,
) {
    let found = u32::try_from(report.found).unwrap_or(u32::MAX);
    let s = lock(store);
    if let Err(e) = s.record_run(&source.id, now, report.fatal.as_deref(), found) {
        tracing::warn!(source = %source.id, error = %e, "cannot record run");
    }
    let Some(tally) = selectors else { return };
    let history = s
        .source_state(&source.id)
        .map(|st| st.matched_selectors)
        .unwrap_or_default();
    let drift = tally.drift(&history);
    for d in &drift {
        tracing::warn!(source = %source.id, selector = %d, "selector drift: this selector used to match and matched nothing on this run; the site's markup may have changed");
    }
    if let Err(e) = s.record_selectors(&source.id, &tally.hit, &drift) {
        tracing::warn!(source = %source.id, error = %e, "cannot record selector state");
    }
}

async fn process_article(
    source: &Source,
    shared_source: &Arc<Source>,
    fetcher: &Fetcher,
    store: &SharedStore,
    c: &Candidate,
    opts: &RunOptions,
    now: DateTime<Utc>,
) -> Result<ArticleOutcome, ArticleError> {
    // Validators are stored with the article, so a link the store does not know has none.
    let validators = if opts.refetch || !c.known {
        None
    } else {
        lock(store)
            .validators(&source.id, c.link.as_str())
            .map_err(|e| ArticleError::new("store", e))?
    };
    let page = match fetcher
        .get_html_for(
            &c.link,
            validators.as_ref(),
            RequestPolicy::for_source(source),
        )
        .await
        .map_err(|e| ArticleError::new(e.kind(), e))?
    {
        Outcome::NotModified => return Ok(ArticleOutcome::NotModified),
        Outcome::Fetched(page) => page,
    };
    // Parsing, sanitizing and normalizing are CPU work: off the async workers, so they use
    // every core and never delay the request timing the politeness rules depend on.
    let src = Arc::clone(shared_source);
    let text = page.text;
    let final_url = page.final_url;
    let (normalized, misses) = tokio::task::spawn_blocking(move || {
        let raw = extract_article(&text, &final_url, &src.article);
        let misses = raw.selector_misses.clone();
        normalize(raw, &src, now).map(|n| (n, misses))
    })
    .await
    .map_err(|e| ArticleError::new("extract", format!("extraction task failed: {e}")))?
    .map_err(|e| ArticleError::new("extract", e))?;
    for f in &normalized.date_failures {
        tracing::debug!(source = %source.id, url = %c.link, text = %f.candidate.text,
            origin = f.candidate.origin, "date not understood");
    }
    let article = normalized.article;
    if article.published.is_none() {
        tracing::info!(source = %source.id, url = %c.link, "no date on the page; using first-seen time");
    }
    Ok(ArticleOutcome::Fetched(Box::new(Fetched {
        article,
        fingerprint: c.fingerprint.clone(),
        validators: page.validators,
        misses,
    })))
}
