//! One refresh of one source.
