//! Merged feeds (`[[feed]]`) on the index, in the OPML list and in `/healthz`: their health
//! is derived from their members'. A merged feed is as fresh as its stalest member: its last
//! success is the oldest of the members' (never, while one never succeeded), its failure
//! count the highest, its last error each failing member's, prefixed by the member's id.

use chrono::{DateTime, Utc};

use super::status::Status;
use crate::config::{Config, MergedFeed};
use crate::render::{IndexEntry, OpmlOutline};

/// A merged feed's health, from its members' statuses; `None` parts could not be read.
#[derive(Debug)]
pub struct MergedStatus {
    /// `Some(None)`: a member never succeeded.
    pub last_success: Option<Option<DateTime<Utc>>>,
    pub failures: Option<u32>,
    pub last_error: Option<String>,
    /// Articles stored for its members (as the sources' `items`: stored, not shown).
    pub items: Option<usize>,
    /// Members failing now.
    pub failing: Vec<String>,
}

impl MergedStatus {
    /// `statuses` are in `config.sources` order.
    pub fn of(feed: &MergedFeed, config: &Config, statuses: &[Status]) -> MergedStatus {
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
    pub fn json(&self, feed: &MergedFeed) -> serde_json::Value {
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
pub fn index_entries(config: &Config, statuses: &[Status]) -> Vec<IndexEntry> {
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
pub fn opml_outlines(config: &Config) -> Vec<OpmlOutline> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::store::SourceState;

    fn config() -> Config {
        let text = r#"
[[source]]
id = "a"
title = "A"
listing_urls = ["https://a.example/"]
[[source]]
id = "b"
title = "B"
listing_urls = ["https://b.example/"]
[[feed]]
id = "ab"
title = "A + B"
sources = ["b", "a"]
"#;
        Config::parse(text, Path::new("config.toml")).unwrap()
    }

    fn status(success: Option<u32>, failures: u32, error: Option<&str>, items: usize) -> Status {
        Status {
            state: Some(SourceState {
                last_success: success.map(|h| Utc.with_ymd_and_hms(2025, 9, 24, h, 0, 0).unwrap()),
                consecutive_failures: failures,
                last_error: error.map(str::to_string),
                ..SourceState::default()
            }),
            items: Some(items),
        }
    }

    #[test]
    fn a_merged_feed_is_as_healthy_as_its_stalest_member() {
        let c = config();
        let statuses = [
            status(Some(9), 2, Some("fetch: 503"), 4),
            status(Some(11), 0, None, 3),
        ];
        let s = MergedStatus::of(&c.feeds[0], &c, &statuses);
        assert_eq!(
            s.last_success,
            Some(Some(Utc.with_ymd_and_hms(2025, 9, 24, 9, 0, 0).unwrap()))
        );
        assert_eq!(s.failures, Some(2));
        assert_eq!(s.last_error.as_deref(), Some("a: fetch: 503"));
        assert_eq!(s.failing, ["a"]);
        assert_eq!(s.items, Some(7));
        let json = s.json(&c.feeds[0]);
        assert_eq!(json["sources"], serde_json::json!(["b", "a"]));
        assert_eq!(json["failing_sources"], serde_json::json!(["a"]));
        assert_eq!(json["last_success"], "2025-09-24T09:00:00+00:00");

        // a member that never succeeded: never; one whose state cannot be read: unknown
        let statuses = [status(None, 0, None, 0), status(Some(11), 0, None, 3)];
        let s = MergedStatus::of(&c.feeds[0], &c, &statuses);
        assert_eq!(s.last_success, Some(None));
        assert!(s.last_error.is_none() && s.failing.is_empty());
        let unreadable = Status {
            state: None,
            items: None,
        };
        let s = MergedStatus::of(&c.feeds[0], &c, &[unreadable, status(Some(11), 0, None, 3)]);
        assert_eq!((s.last_success, s.failures, s.items), (None, None, None));
    }
}
