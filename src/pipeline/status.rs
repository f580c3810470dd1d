//! What the store says about each source (last run, failures, stored items): the one read
//! behind the index page, the OPML list's merged-feed health and `/healthz`.

use crate::config::Config;
use crate::store::{SourceState, Store};

/// What the store says about one source; a value it cannot give is unknown (`None`).
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub state: Option<SourceState>,
    pub items: Option<usize>,
}

/// Each source's [`Status`], in `config.sources` order.
pub fn statuses(config: &Config, store: &Store) -> Vec<Status> {
    config
        .sources
        .iter()
        .map(|source| Status {
            state: store.source_state(&source.id).ok(),
            items: store.count(&source.id).ok(),
        })
        .collect()
}
