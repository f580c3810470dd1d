//! How long a source's articles are kept in the store: shared by the configuration (which
//! validates it) and the store (which prunes by it).

/// A source's retention. Both limits unset (the default) keeps everything. With both set,
/// an article goes when it breaks either: older than `keep_days` or beyond the newest
/// `keep_items`. Whatever the limits, the items its feed shows are never pruned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Articles whose feed date (`published`) is more than this many days old are pruned.
    pub keep_days: Option<u32>,
    /// Only this many articles, newest first in feed order, are kept.
    pub keep_items: Option<usize>,
}

impl Retention {
    /// True when nothing is ever pruned.
    pub fn keeps_everything(&self) -> bool {
        self.keep_days.is_none() && self.keep_items.is_none()
    }
}
