//! The article side of a run: fetch each queued article page, extract and normalize it off
//! the async workers, and store the results in batches.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc::Receiver;
use url::Url;

use super::selectors::{SelectorTally, configured_article_selectors};
use super::walk::Candidate;
use super::{ARTICLES_IN_FLIGHT, RunCtx, RunReport, lock};
use crate::config::Source;
use crate::core::model::{Article, Validators};
use crate::core::urls::same_id;
use crate::extract::{Listed, extract_article_listed};
use crate::http::{Outcome, RequestPolicy};
use crate::normalize::normalize;
use crate::store::{Store, StoreError, Upsert};

/// Articles written per transaction: one commit per batch instead of several per article.
const STORE_BATCH: usize = 32;

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
    article: Article,
    fingerprint: String,
    validators: Validators,
    misses: Vec<&'static str>,
}

/// What the article side of a run did, merged into the report when the walk is over.
#[derive(Default)]
pub(super) struct ArticleTally {
    report: RunReport,
    selectors: SelectorTally,
}

impl ArticleTally {
    pub(super) fn merge_into(self, report: &mut RunReport, selectors: &mut SelectorTally) {
        let a = self.report;
        report.new += a.new;
        report.updated += a.updated;
        report.unchanged += a.unchanged;
        report.failed.extend(a.failed);
        for (kind, n) in a.errors_by_kind {
            *report.errors_by_kind.entry(kind).or_default() += n;
        }
        selectors.merge(self.selectors);
    }
}

/// Fetches, extracts and stores the queued articles until the walk closes the queue.
///
/// Bounded concurrency (the fetcher also limits per host). Extraction is synchronous, runs
/// on the blocking pool and never holds a parsed document across an await. Results are
/// written in batches, after their fetches, so the write lock is never held across network
/// I/O.
pub(super) async fn process(ctx: &RunCtx<'_>, queued: Receiver<Candidate>) -> ArticleTally {
    let configured = configured_article_selectors(ctx.source);
    let shared_source = Arc::new(ctx.source.clone());
    let shared_source = &shared_source;
    let mut tally = ArticleTally::default();
    let results =
        futures_util::stream::unfold(
            queued,
            |mut q| async move { q.recv().await.map(|c| (c, q)) },
        )
        .map(|c| async move {
            let r = fetch_article(ctx, shared_source, &c).await;
            ctx.progress(c.link.as_str());
            (c.link, r)
        })
        .buffer_unordered(ARTICLES_IN_FLIGHT);
    let mut results = std::pin::pin!(results);
    let mut batch = Vec::with_capacity(STORE_BATCH);
    while let Some(r) = results.next().await {
        batch.push(r);
        if batch.len() >= STORE_BATCH {
            store_batch(ctx, &mut batch, &configured, &mut tally);
        }
    }
    store_batch(ctx, &mut batch, &configured, &mut tally);
    tally
}

/// Fetches one article (conditionally when the store holds its validators), then extracts
/// and normalizes it on the blocking pool.
async fn fetch_article(
    ctx: &RunCtx<'_>,
    shared_source: &Arc<Source>,
    c: &Candidate,
) -> Result<ArticleOutcome, ArticleError> {
    let source = ctx.source;
    // Validators are stored with the article, so a link the store does not know has none.
    let validators = if ctx.opts.refetch || !c.known {
        None
    } else {
        lock(ctx.store)
            .validators(&source.id, c.link.as_str())
            .map_err(|e| ArticleError::new("store", e))?
    };
    let page = match ctx
        .fetcher
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
    let (text, final_url, now) = (page.text, page.final_url, ctx.now);
    // A feed entry's listing date is its `updated` (so an update changes the fingerprint);
    // the entry itself supplies `published` first when the page shows no date.
    let listed_date = c.listed_date.clone().filter(|_| c.feed.is_none());
    let listed_title = c.listed_title.clone();
    let from_feed = c.feed.clone();
    let (normalized, misses) = tokio::task::spawn_blocking(move || {
        let listed = Listed {
            title: listed_title.as_deref(),
            date_text: listed_date.as_deref(),
        };
        let raw = extract_article_listed(&text, &final_url, &src.article, listed);
        // What the feed said fills what the page lacks (its date, author, categories).
        let raw = match from_feed {
            Some(entry) => entry.fill(raw),
            None => raw,
        };
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

/// Writes a batch of article results in one transaction and counts them. A failed BEGIN
/// only means one commit per statement again.
fn store_batch(
    ctx: &RunCtx<'_>,
    batch: &mut Vec<(Url, Result<ArticleOutcome, ArticleError>)>,
    configured: &[&'static str],
    tally: &mut ArticleTally,
) {
    if batch.is_empty() {
        return;
    }
    let source = ctx.source;
    let report = &mut tally.report;
    let mut s = lock(ctx.store);
    let in_tx = s.begin_batch().is_ok();
    let (new_before, updated_before) = (report.new, report.updated);
    for (link, r) in batch.drain(..) {
        let r = r.and_then(|o| match o {
            ArticleOutcome::Fetched(f) => store_fetched(ctx, &mut s, &link, *f),
            ArticleOutcome::NotModified => Ok(None),
        });
        match r {
            Ok(Some((up, misses))) => {
                tally.selectors.article(&misses, configured);
                count_upsert(report, up);
            }
            Ok(None) => report.unchanged += 1,
            Err(ArticleError { kind, message }) => {
                tracing::warn!(source = %source.id, url = %link, error = %message, "article failed");
                report.fail(link.to_string(), kind, message);
            }
        }
    }
    if in_tx && let Err(e) = s.commit_batch() {
        // Nothing of this batch was stored: count its articles as failed, not as new.
        tracing::warn!(source = %source.id, error = %e, "cannot commit a batch of articles");
        report.new = new_before;
        report.updated = updated_before;
        report.fail("store", "store", e);
    }
}

/// Writes one fetched article (inside the batch's transaction) with its validators;
/// `(upsert, selector misses)`.
fn store_fetched(
    ctx: &RunCtx<'_>,
    s: &mut Store,
    link: &Url,
    f: Fetched,
) -> Result<Option<(Upsert, Vec<&'static str>)>, ArticleError> {
    let Fetched {
        article,
        fingerprint,
        validators,
        misses,
    } = f;
    save(s, ctx, link, &article, &fingerprint)
        .and_then(|up| {
            s.set_validators(&ctx.source.id, link.as_str(), &validators)?;
            Ok(up)
        })
        .map(|up| Some((up, misses)))
        .map_err(|e| ArticleError::new("store", e))
}

/// Stores an article and remembers that `link` (and the article's own id, when it is
/// another URL) lead to it, with the listing's fingerprint: HTML and API runs alike.
pub(super) fn save(
    s: &mut Store,
    ctx: &RunCtx<'_>,
    link: &Url,
    article: &Article,
    fingerprint: &str,
) -> Result<Upsert, StoreError> {
    let id = &ctx.source.id;
    let kept;
    let article = match stored_id(s, id, link, article)? {
        Some(stored) => {
            kept = Article {
                id: stored,
                ..article.clone()
            };
            &kept
        }
        None => article,
    };
    let up = s.upsert(article, ctx.now)?;
    s.remember_link(id, link.as_str(), &article.id, fingerprint)?;
    if article.id != link.as_str() {
        s.remember_link(id, &article.id, &article.id, fingerprint)?;
    }
    Ok(up)
}

/// The id an article was stored under when it differs from its new id only in the case of
/// percent-escapes: articles stored before ids were canonical keep theirs, because a
/// changed guid shows an item to every reader as new once more. New articles get the
/// canonical (upper-case) form.
fn stored_id(
    s: &Store,
    source: &str,
    link: &Url,
    article: &Article,
) -> Result<Option<String>, StoreError> {
    // An id equal to its link has no escape whose case changed (nearly every article): no
    // lookup, so the batch holding the store lock costs what it did.
    if article.id == link.as_str() {
        return Ok(None);
    }
    Ok(s.known_link(source, link.as_str())?
        .map(|k| k.article_id)
        .filter(|stored| *stored != article.id && same_id(stored, &article.id)))
}

pub(super) fn count_upsert(report: &mut RunReport, up: Upsert) {
    match up {
        Upsert::New => report.new += 1,
        Upsert::Updated => report.updated += 1,
        Upsert::Unchanged => report.unchanged += 1,
    }
}
