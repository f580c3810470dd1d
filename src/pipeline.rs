//! One refresh of one source: walk the listing pages, fetch the articles that are new (or
//! young enough to be re-checked, or whose listing entry changed), extract, normalize, store,
//! render. Shared by `pressfeed refresh` and the daemon.
//!
//! One bad article never stops a run: it is logged, counted in the [`RunReport`] and the run
//! goes on. A source fails *entirely* only when no listing page could be read; then its feed
//! files and stored articles are left exactly as they were.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::{Settings, Source};
use crate::extract::{Listing, extract_article, extract_listing};
use crate::fetch::{Fetcher, Outcome, Validators};
use crate::model::ListingItem;
use crate::normalize::{canonical_url, normalize};
use crate::render::{FeedMeta, FeedModel, write_feeds};
use crate::store::{Store, StoreError, Upsert};

/// A store shared by the tasks of a run (SQLite connections are not `Sync`; every
/// operation is short).
pub type SharedStore = Arc<Mutex<Store>>;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Fetch every listed article again, whatever the store knows.
    pub refetch: bool,
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
    Stored(Upsert),
    NotModified,
}

/// Runs one source once. Never panics on bad input; everything that goes wrong ends up in
/// the report.
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

    // 1. Listing pages.
    let mut items: Vec<ListingItem> = Vec::new();
    let mut listing_errors = Vec::new();
    let mut listing_validators: Vec<(Url, Validators, Listing)> = Vec::new();
    let mut any_listing_ok = false;
    for start in &source.listing_urls {
        let mut next = Some(start.clone());
        let mut pages = 0;
        while let Some(url) = next.take() {
            if pages >= source.max_pages {
                break;
            }
            pages += 1;
            let validators = lock(store).validators(url.as_str()).ok().flatten();
            report.requests += 1;
            match fetcher.get_html(&url, validators.as_ref()).await {
                Ok(Outcome::NotModified) => {
                    // Unchanged since the last clean run: walk what it held then, so young
                    // articles are still re-checked and the next page is still reached.
                    match lock(store).listing(url.as_str()) {
                        Ok(Some(listing)) => {
                            any_listing_ok = true;
                            report.listing_pages += 1;
                            tracing::debug!(source = %source.id, %url, "listing not modified");
                            items.extend(listing.items);
                            next = listing.next;
                        }
                        _ => {
                            // Validators without a remembered page cannot happen unless the
                            // database was edited; forget them and read the page in full.
                            let _ =
                                lock(store).set_validators(url.as_str(), &Validators::default());
                            listing_errors.push(format!(
                                "GET {url}: 304 for a page never stored; retry next run"
                            ));
                        }
                    }
                }
                Ok(Outcome::Fetched(page)) => {
                    any_listing_ok = true;
                    report.listing_pages += 1;
                    let listing = extract_listing(&page.text, &page.final_url, &source.listing);
                    tracing::debug!(source = %source.id, %url, items = listing.items.len(), "listing page");
                    items.extend(listing.items.iter().cloned());
                    next = listing.next.clone();
                    listing_validators.push((url.clone(), page.validators, listing));
                }
                Err(e) => {
                    tracing::warn!(source = %source.id, %url, error = %e, "listing fetch failed");
                    *report
                        .errors_by_kind
                        .entry(e.kind().to_string())
                        .or_default() += 1;
                    listing_errors.push(e.to_string());
                }
            }
        }
    }
    if !any_listing_ok {
        let err = listing_errors.join("; ");
        report.fatal = Some(if err.is_empty() {
            "no listing page read".into()
        } else {
            err
        });
        record(store, source, now, &report);
        report.duration = started.elapsed();
        return report;
    }
    for e in listing_errors {
        report.failed.push(("listing".into(), e));
    }

    // 2. Which articles to fetch. Entries repeat (sticky posts, tickers, AMP twins): keep the
    // first occurrence of each canonical link.
    let mut candidates: Vec<Candidate> = Vec::new();
    for item in &items {
        let link = canonical_url(&item.url);
        if candidates.iter().any(|c| c.link == link) {
            continue;
        }
        candidates.push(Candidate {
            link,
            fingerprint: fingerprint(item),
        });
    }
    report.found = candidates.len();
    if report.found == 0 {
        tracing::warn!(source = %source.id, "the listing pages yielded no article links; check [source.listing] selectors");
    }
    let recheck =
        chrono::Duration::from_std(source.recheck_age).unwrap_or(chrono::Duration::zero());
    let mut due = Vec::new();
    for c in candidates {
        let known = match lock(store).known_link(&source.id, c.link.as_str()) {
            Ok(k) => k,
            Err(e) => {
                report.failed.push((c.link.to_string(), e.to_string()));
                *report.errors_by_kind.entry("store".into()).or_default() += 1;
                continue;
            }
        };
        let fetch = match &known {
            None => true,
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
            if let Some(p) = &progress {
                p(c.link.as_str());
            }
        }
    }

    // 3. Fetch, extract, normalize, store; bounded concurrency (the fetcher also limits per
    // host). Extraction is synchronous and never crosses an await.
    let concurrency = settings.per_host_concurrency.max(1) * 2;
    report.requests += due.len() as u64;
    let results: Vec<(Url, Result<ArticleOutcome, ArticleError>)> = futures_util::stream::iter(due)
        .map(|c| {
            let progress = progress.clone();
            async move {
                let r = process_article(source, fetcher, store, &c, opts, now).await;
                if let Some(p) = &progress {
                    p(c.link.as_str());
                }
                (c.link, r)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (link, r) in results {
        match r {
            Ok(ArticleOutcome::Stored(Upsert::New)) => report.new += 1,
            Ok(ArticleOutcome::Stored(Upsert::Updated)) => report.updated += 1,
            Ok(ArticleOutcome::Stored(Upsert::Unchanged)) | Ok(ArticleOutcome::NotModified) => {
                report.unchanged += 1
            }
            Err(ArticleError { kind, message }) => {
                tracing::warn!(source = %source.id, url = %link, error = %message, "article failed");
                *report.errors_by_kind.entry(kind.to_string()).or_default() += 1;
                report.failed.push((link.to_string(), message));
            }
        }
    }

    // Listing validators are kept only after a clean run, so a 304 never hides an article
    // that failed this time.
    if report.failed.is_empty() {
        let s = lock(store);
        for (url, v, listing) in &listing_validators {
            if let Err(e) = s
                .save_listing(url.as_str(), listing)
                .and_then(|_| s.set_validators(url.as_str(), v))
            {
                tracing::warn!(source = %source.id, %url, error = %e, "cannot save validators");
            }
        }
    }

    // 4. Render.
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
    record(store, source, now, &report);
    report.duration = started.elapsed();
    report
}

fn record(store: &SharedStore, source: &Source, now: DateTime<Utc>, report: &RunReport) {
    let found = u32::try_from(report.found).unwrap_or(u32::MAX);
    if let Err(e) = lock(store).record_run(&source.id, now, report.fatal.as_deref(), found) {
        tracing::warn!(source = %source.id, error = %e, "cannot record run");
    }
}

async fn process_article(
    source: &Source,
    fetcher: &Fetcher,
    store: &SharedStore,
    c: &Candidate,
    opts: &RunOptions,
    now: DateTime<Utc>,
) -> Result<ArticleOutcome, ArticleError> {
    let validators = if opts.refetch {
        None
    } else {
        lock(store)
            .validators(c.link.as_str())
            .map_err(|e| ArticleError::new("store", e))?
    };
    let page = match fetcher
        .get_html(&c.link, validators.as_ref())
        .await
        .map_err(|e| ArticleError::new(e.kind(), e))?
    {
        Outcome::NotModified => return Ok(ArticleOutcome::NotModified),
        Outcome::Fetched(page) => page,
    };
    let raw = extract_article(&page.text, &page.final_url, &source.article);
    let normalized = normalize(raw, source, now).map_err(|e| ArticleError::new("extract", e))?;
    for f in &normalized.date_failures {
        tracing::debug!(source = %source.id, url = %c.link, text = %f.candidate.text,
            origin = f.candidate.origin, "date not understood");
    }
    let article = normalized.article;
    if article.published.is_none() {
        tracing::info!(source = %source.id, url = %c.link, "no date on the page; using first-seen time");
    }
    let mut s = lock(store);
    let result: Result<Upsert, StoreError> = (|| {
        let up = s.upsert(&article, now)?;
        s.remember_link(&source.id, c.link.as_str(), &article.id, &c.fingerprint)?;
        if article.id != c.link.as_str() {
            s.remember_link(&source.id, &article.id, &article.id, &c.fingerprint)?;
        }
        s.set_validators(c.link.as_str(), &page.validators)?;
        Ok(up)
    })();
    result
        .map(ArticleOutcome::Stored)
        .map_err(|e| ArticleError::new("store", e))
}
