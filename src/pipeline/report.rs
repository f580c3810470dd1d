//! What one run of one source did: the [`RunReport`] every caller (the CLI's summary
//! lines, the daemon's log and metrics, the exit code) reads.

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use super::alerts::Alert;

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
    /// Set when the source failed entirely: no listing page could be read, the listing
    /// pages yielded no article link, or the store or the feed files could not be written.
    pub fatal: Option<String>,
    /// Feed files rewritten because their bytes changed.
    pub feeds_written: usize,
    /// Public URLs of the rewritten feeds (for WebSub pings).
    pub changed_feeds: Vec<Url>,
    /// Fetches the run started: listing and API pages, queued article pages and detail
    /// requests (retries, redirects and robots.txt are not counted).
    pub requests: u64,
    /// Failures by kind (`timeout`, `http_status`, `extract`, `store`, ...).
    pub errors_by_kind: BTreeMap<String, u64>,
    pub duration: Duration,
    /// Articles removed by the source's retention after the run.
    pub pruned: usize,
    /// State changes for the alert webhook (already recorded as alerted in the store).
    pub alerts: Vec<Alert>,
}

impl RunReport {
    /// True when nothing useful could be done for the source.
    pub fn failed_entirely(&self) -> bool {
        self.fatal.is_some()
    }

    /// Counts one failure of `kind`.
    pub(super) fn count_error(&mut self, kind: &str) {
        *self.errors_by_kind.entry(kind.to_string()).or_default() += 1;
    }

    /// Records one article (or API record) that failed, and counts it.
    pub(super) fn fail(&mut self, what: impl Into<String>, kind: &str, error: impl ToString) {
        self.count_error(kind);
        self.failed.push((what.into(), error.to_string()));
    }

    /// One line per source: what an admin (or a systemd timer's journal) needs to see.
    pub fn summary(&self) -> String {
        let r = self;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut line = format!(
            "{}: {} new, {} updated, {} unchanged, {} failed ({} found on {} listing page{}, {} feed file{} rewritten, {:.1}s)",
            r.source,
            r.new,
            r.updated,
            r.unchanged,
            r.failed.len(),
            r.found,
            r.listing_pages,
            plural(r.listing_pages),
            r.feeds_written,
            plural(r.feeds_written),
            r.duration.as_secs_f64(),
        );
        if r.pruned > 0 {
            line.push_str(&format!(
                "\n{}: {} old article{} pruned",
                r.source,
                r.pruned,
                plural(r.pruned)
            ));
        }
        if let Some(f) = &r.fatal {
            line.push_str(&format!("\n{}: FAILED: {f}", r.source));
        }
        for (url, e) in &r.failed {
            line.push_str(&format!("\n{}:   failed {url}: {e}", r.source));
        }
        line
    }
}
