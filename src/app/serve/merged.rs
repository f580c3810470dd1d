//! Merged feeds (`[[feed]]`) on the index, in the OPML list and in `/healthz`: their health
//! is derived from their members'. A merged feed is as fresh as its stalest member: its last
//! success is the oldest of the members' (never, while one never succeeded), its failure
//! count the highest, its last error each failing member's, prefixed by the member's id.

use chrono::{DateTime, Utc};

use super::Status;
use crate::config::{Config, MergedFeed};
use crate::render::{IndexEntry, OpmlOutline};

/// A merged feed's health, from its members' statuses; `None` parts could not be read.
pub(super) struct MergedStatus {
    /// `Some(None)`: a member never succeeded.
    pub(super) last_success: Option<Option<DateTime<Utc>>>,
    pub(super) failures: Option<u32>,
    pub(super) last_error: Option<String>,
    /// Articles stored for its members (as the sources' `items`: stored, not shown).
    pub(super) items: Option<usize>,
    /// Members failing now.
    pub(super) failing: Vec<String>,
}

impl MergedStatus {
    /// `statuses` are in `config.sources` order.
    pub(super) fn of(feed: &MergedFeed, config: &Config, statuses: &[Status]) -> MergedStatus {
        let members: Vec<(&str, &Status)> = feed
            .sources
            .iter()
            .filter_map(|id| {
                let i = config.sources.iter().position(|s| &s.id == id)?;
                Some((id.as_str(), statuses.get(i)?))
            })
            .collect();
        let states: Option<Vec<_>> = members.iter().map(|(_, s)| s.state.as_ref()).collect();
        let failing: Vec<String> = members
            .iter()
            .filter(|(_, s)| {
                s.state
                    .as_ref()
                    .is_some_and(|st| st.consecutive_failures > 0)
            })
            .map(|(id, _)| id.to_string())
            .collect();
        let errors: Vec<String> = members
            .iter()
            .filter(|(id, _)| failing.iter().any(|f| f == id))
            .filter_map(|(id, s)| {
                let e = s.state.as_ref()?.last_error.as_ref()?;
                Some(format!("{id}: {e}"))
            })
            .collect();
        MergedStatus {
            last_success: states.as_ref().map(|states| {
                states
                    .iter()
                    .map(|s| s.last_success)
                    .collect::<Option<Vec<_>>>()
                    .and_then(|t| t.into_iter().min())
            }),
            failures: states.as_ref().map(|states| {
                states
                    .iter()
                    .map(|s| s.consecutive_failures)
                    .max()
                    .unwrap_or(0)
            }),
            last_error: (!errors.is_empty()).then(|| errors.join("; ")),
            items: members.iter().map(|(_, s)| s.items).sum(),
            failing,
        }
    }

    /// The feed's `/healthz` entry.
    pub(super) fn json(&self, feed: &MergedFeed) -> serde_json::Value {
        serde_json::json!({
            "sources": feed.sources,
            "last_success": self.last_success.flatten().map(|t| t.to_rfc3339()),
            "last_error": self.last_error,
            "consecutive_failures": self.failures,
            "failing_sources": self.failing,
            "items": self.items,
        })
    }
}

/// The merged feeds' rows of the index page, after the sources'.
pub(super) fn index_entries(config: &Config, statuses: &[Status]) -> Vec<IndexEntry> {
    config
        .feeds
        .iter()
        .map(|feed| {
            let status = MergedStatus::of(feed, config, statuses);
            let (rss, atom, json) = feed.feed_urls(&config.settings);
            IndexEntry {
                title: feed.title.clone(),
                site_url: feed.site_url.clone(),
                feeds: [rss, atom, json],
                timezone: feed.timezone,
                last_success: status.last_success,
                items: status.items,
                failures: status.failures,
                last_error: status.last_error,
            }
        })
        .collect()
}

/// The merged feeds' outlines of the OPML list, after the sources'.
pub(super) fn opml_outlines(config: &Config) -> Vec<OpmlOutline> {
    config
        .feeds
        .iter()
        .map(|feed| OpmlOutline {
            title: feed.title.clone(),
            description: feed.description.clone(),
            xml_url: feed.feed_urls(&config.settings).0,
            html_url: feed.site_url.clone(),
            language: feed.language.clone(),
        })
        .collect()
}
