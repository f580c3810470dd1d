//! Every source's health in one value, read from the store: `status` prints it (a table, or
//! `--json`), and the daemon sends its one-line summary to systemd (`STATUS=`).
//!
//! `pressfeed status --json` is an interface; fields are only ever added. Its shape:
//!
//! ```json
//! {
//!   "generated_at": "2026-12-06T12:00:00Z",
//!   "sources": [
//!     {
//!       "id": "genprokuratura-optimism",
//!       "title": "…",
//!       "schedule": "*/30 * * * *",
//!       "timezone": "Asia/Almaty",
//!       "failing": false,
//!       "consecutive_failures": 0,
//!       "last_success": "2026-12-06T11:30:04Z",
//!       "last_attempt": "2026-12-06T11:30:04Z",
//!       "last_failure": null,
//!       "last_error": null,
//!       "items_stored": 120,
//!       "items_found": 20,
//!       "drift": [],
//!       "next_run": "2026-12-06T12:30:00Z",
//!       "feeds": { "rss": "http://…/feeds/….rss", "atom": "…", "json": "…" }
//!     }
//!   ]
//! }
//! ```
//!
//! Times are RFC 3339 in UTC, `null` when unknown. `failing`: the last attempt failed
//! (`consecutive_failures` > 0). `last_failure`: that failed attempt's time, `null` while
//! the source is healthy; `last_error`, likewise, its message. `items_stored`: articles in the database; `items_found`: article
//! links on the listing pages at the last run. `drift`: selectors that used to match and
//! matched nothing at the last run. `next_run`: the schedule's next tick (the daemon adds up
//! to `schedule_jitter_secs`). Keys are sorted.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::config::{Config, Source};
use crate::store::{SourceState, Store, StoreError};

/// One source's health.
#[derive(Debug, Clone)]
pub struct SourceHealth {
    pub id: String,
    pub state: SourceState,
    pub items_stored: usize,
    pub next_run: Option<DateTime<Utc>>,
}

impl SourceHealth {
    pub fn failing(&self) -> bool {
        self.state.consecutive_failures > 0
    }
}

/// Every configured source's health, in config order.
#[derive(Debug, Clone)]
pub struct Health {
    pub generated_at: DateTime<Utc>,
    pub sources: Vec<SourceHealth>,
}

impl Health {
    pub fn collect(
        config: &Config,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<Health, StoreError> {
        let mut sources = Vec::with_capacity(config.sources.len());
        for source in &config.sources {
            sources.push(SourceHealth {
                id: source.id.clone(),
                state: store.source_state(&source.id)?,
                items_stored: store.count(&source.id)?,
                next_run: source.schedule.next_after(now, source.timezone),
            });
        }
        Ok(Health {
            generated_at: now,
            sources,
        })
    }

    pub fn any_failing(&self) -> bool {
        self.sources.iter().any(SourceHealth::failing)
    }

    /// For systemd's `STATUS=`: "12 feeds, 1 failing, next run 12:30", the time in `tz`
    /// (the machine's zone), with the date when the run is not today.
    pub fn summary<Z: TimeZone>(&self, tz: &Z) -> String
    where
        Z::Offset: std::fmt::Display,
    {
        let n = self.sources.len();
        let failing = self.sources.iter().filter(|s| s.failing()).count();
        let next = match self.sources.iter().filter_map(|s| s.next_run).min() {
            Some(at) => {
                let local = at.with_timezone(tz);
                let today = self.generated_at.with_timezone(tz).date_naive();
                if local.date_naive() == today {
                    format!("next run {}", local.format("%H:%M"))
                } else {
                    format!("next run {}", local.format("%Y-%m-%d %H:%M"))
                }
            }
            None => "no run scheduled".to_string(),
        };
        format!(
            "{n} feed{}, {failing} failing, {next}",
            if n == 1 { "" } else { "s" }
        )
    }

    /// The `status --json` document (see the module docs).
    pub fn to_json(&self, config: &Config) -> Value {
        let sources: Vec<Value> = config
            .sources
            .iter()
            .zip(&self.sources)
            .map(|(source, h)| source_json(config, source, h))
            .collect();
        json!({
            "generated_at": rfc3339(self.generated_at),
            "sources": sources,
        })
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn source_json(config: &Config, source: &Source, h: &SourceHealth) -> Value {
    let st = &h.state;
    let (rss, atom, feed_json) = source.feed_urls(&config.settings);
    json!({
        "id": h.id,
        "title": source.title,
        "schedule": source.schedule.expr,
        "timezone": source.timezone.name(),
        "failing": h.failing(),
        "consecutive_failures": st.consecutive_failures,
        "last_success": st.last_success.map(rfc3339),
        "last_attempt": st.last_attempt.map(rfc3339),
        "last_failure": if h.failing() { st.last_attempt.map(rfc3339) } else { None },
        "last_error": if h.failing() { st.last_error.clone() } else { None },
        "items_stored": h.items_stored,
        "items_found": st.items_found,
        "drift": st.drift,
        "next_run": h.next_run.map(rfc3339),
        "feeds": { "rss": rss.as_str(), "atom": atom.as_str(), "json": feed_json.as_str() },
    })
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;

    use super::*;

    fn health(next: &[Option<&str>], failures: &[u32]) -> Health {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("test time")
                .with_timezone(&Utc)
        };
        Health {
            generated_at: t("2026-12-06T11:00:00Z"),
            sources: next
                .iter()
                .zip(failures)
                .enumerate()
                .map(|(i, (n, f))| SourceHealth {
                    id: format!("s{i}"),
                    state: SourceState {
                        consecutive_failures: *f,
                        ..SourceState::default()
                    },
                    items_stored: 0,
                    next_run: n.map(t),
                })
                .collect(),
        }
    }

    #[test]
    fn summary_counts_feeds_and_failures_and_names_the_earliest_run_in_local_time() {
        let utc = FixedOffset::east_opt(0).expect("offset");
        let almaty = FixedOffset::east_opt(5 * 3600).expect("offset");
        let h = health(
            &[
                Some("2026-12-06T12:30:00Z"),
                Some("2026-12-06T11:30:00Z"),
                None,
            ],
            &[0, 2, 0],
        );
        assert_eq!(h.summary(&utc), "3 feeds, 1 failing, next run 11:30");
        assert_eq!(h.summary(&almaty), "3 feeds, 1 failing, next run 16:30");
        let tomorrow = health(&[Some("2026-12-07T06:00:00Z")], &[0]);
        assert_eq!(
            tomorrow.summary(&utc),
            "1 feed, 0 failing, next run 2026-12-07 06:00"
        );
        assert_eq!(
            health(&[None], &[1]).summary(&utc),
            "1 feed, 1 failing, no run scheduled"
        );
    }
}
