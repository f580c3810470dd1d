//! Retention after a run and for `pressfeed prune`: a source's `keep_days` / `keep_items`
//! applied to the store, never touching the items its feed shows.

use chrono::{DateTime, Utc};

use super::{RunCtx, RunReport, SharedStore, lock};
use crate::config::Source;
use crate::store::{PruneReport, StoreError};

/// Applies `source`'s retention now. Sources that keep everything are left alone.
pub fn prune_source(
    source: &Source,
    store: &SharedStore,
    now: DateTime<Utc>,
) -> Result<PruneReport, StoreError> {
    lock(store).prune(&source.id, source.retention, source.items, now)
}

/// After a run: prunes, and counts a failure to (it is retried after the next run).
pub(super) fn after_run(ctx: &RunCtx<'_>, report: &mut RunReport) {
    if ctx.source.retention.keeps_everything() {
        return;
    }
    match prune_source(ctx.source, ctx.store, ctx.now) {
        Ok(p) => {
            report.pruned = p.pruned;
            if p.pruned > 0 {
                tracing::info!(source = %ctx.source.id, pruned = p.pruned, kept = p.kept, "retention: old articles pruned");
            }
        }
        Err(e) => {
            tracing::warn!(source = %ctx.source.id, error = %e, "retention: prune failed");
            report.fail("prune", "store", e);
        }
    }
}
