//! json serializer.

use chrono::{DateTime, Utc};

use super::{FeedModel, RenderError};

/// Serializes the feed. `updated` is the feed-level last-change instant.
pub fn render(model: &FeedModel, updated: DateTime<Utc>) -> Result<Vec<u8>, RenderError> {
    let _ = (model, updated);
    todo!()
}
