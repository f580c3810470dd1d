//! Selector drift: which configured selectors matched during a run, and which of those that
//! used to match (per the store's history) matched nothing this time, a sign the site's
//! markup changed.

use std::collections::BTreeSet;

use super::{RunCtx, lock};
use crate::config::Source;
use crate::core::model::Listing;

/// Which configured selectors matched something during a run.
#[derive(Debug, Default)]
pub(super) struct SelectorTally {
    hit: BTreeSet<String>,
    missed: BTreeSet<String>,
}

impl SelectorTally {
    pub(super) fn listing(&mut self, l: &Listing) {
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

    pub(super) fn article(&mut self, misses: &[&'static str], configured: &[&'static str]) {
        for c in configured {
            if misses.contains(c) {
                self.missed.insert(c.to_string());
            } else {
                self.hit.insert(c.to_string());
            }
        }
    }

    pub(super) fn merge(&mut self, other: SelectorTally) {
        self.hit.extend(other.hit);
        self.missed.extend(other.missed);
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

/// The `[source.article]` selectors a source configures.
pub(super) fn configured_article_selectors(source: &Source) -> Vec<&'static str> {
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

/// Records the run's end in the store and, when `selectors` is given, which selectors
/// matched and which drifted (logged as warnings).
pub(super) fn record(
    ctx: &RunCtx<'_>,
    report: &super::RunReport,
    selectors: Option<&SelectorTally>,
) {
    let source = ctx.source;
    let found = u32::try_from(report.found).unwrap_or(u32::MAX);
    let s = lock(ctx.store);
    if let Err(e) = s.record_run(&source.id, ctx.now, report.fatal.as_deref(), found) {
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
