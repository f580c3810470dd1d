//! Per-source state kept across runs: when it last ran and succeeded, its failures, the
//! selectors that ever matched and those that drifted, and whether its last walk finished.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SourceState, Store, StoreError, parse_ts, ts};

impl Store {
    /// Records the end of a run of a source: success resets the failure count.
    pub fn record_run(
        &self,
        source: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
        items_found: u32,
    ) -> Result<(), StoreError> {
        let sql = if error.is_none() {
            "INSERT INTO source_state (source, created, last_attempt, last_success,
                consecutive_failures, last_error, items_found) VALUES (?1, ?2, ?2, ?2, 0, NULL, ?4)
             ON CONFLICT (source) DO UPDATE SET last_attempt = ?2, last_success = ?2,
                consecutive_failures = 0, last_error = NULL, items_found = ?4"
        } else {
            "INSERT INTO source_state (source, created, last_attempt, consecutive_failures,
                last_error, items_found) VALUES (?1, ?2, ?2, 1, ?3, ?4)
             ON CONFLICT (source) DO UPDATE SET last_attempt = ?2,
                consecutive_failures = consecutive_failures + 1, last_error = ?3,
                items_found = ?4"
        };
        self.conn
            .execute(sql, params![source, ts(at), error, items_found])
            .map_err(self.err("record run"))?;
        Ok(())
    }

    /// Records which configured selectors matched (added to the history) and which drifted.
    pub fn record_selectors(
        &self,
        source: &str,
        matched: &BTreeSet<String>,
        drift: &[String],
    ) -> Result<(), StoreError> {
        let mut all = self.source_state(source)?.matched_selectors;
        all.extend(matched.iter().cloned());
        let all = serde_json::to_string(&all).unwrap_or_else(|_| "[]".into());
        let drift = serde_json::to_string(drift).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "UPDATE source_state SET matched_selectors = ?2, drift = ?3 WHERE source = ?1",
                params![source, all, drift],
            )
            .map_err(self.err("record selectors"))?;
        Ok(())
    }

    /// Marks a listing walk as started (unfinished) and returns whether the previous one
    /// ended cleanly. A run killed or failed part-way leaves the mark, and the next run
    /// then walks every page instead of stopping at the first with nothing new.
    pub fn begin_walk(&self, source: &str) -> Result<bool, StoreError> {
        let complete: Option<bool> = self
            .conn
            .query_row(
                "SELECT walk_complete FROM source_state WHERE source = ?1",
                [source],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("read walk state"))?;
        self.conn
            .execute(
                "UPDATE source_state SET walk_complete = 0 WHERE source = ?1",
                [source],
            )
            .map_err(self.err("mark walk started"))?;
        Ok(complete.unwrap_or(false))
    }

    /// Marks the source's listing walk as finished cleanly.
    pub fn end_walk(&self, source: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE source_state SET walk_complete = 1 WHERE source = ?1",
                [source],
            )
            .map_err(self.err("mark walk finished"))?;
        Ok(())
    }

    /// The time the source was first run, registering it at `now` if it never was. A feed
    /// with no items is dated by this, so its bytes do not change from run to run.
    pub fn source_created(
        &self,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        self.conn
            .execute(
                "INSERT INTO source_state (source, created) VALUES (?1, ?2)
                 ON CONFLICT (source) DO NOTHING",
                params![source, ts(now)],
            )
            .map_err(self.err("register source"))?;
        let created: String = self
            .conn
            .query_row(
                "SELECT created FROM source_state WHERE source = ?1",
                [source],
                |r| r.get(0),
            )
            .map_err(self.err("read source created"))?;
        parse_ts(&created).ok_or_else(|| StoreError::Corrupt {
            path: self.path.clone(),
            message: format!("bad created {created:?}"),
        })
    }

    /// State of a source; default when it never ran.
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT last_attempt, last_success, consecutive_failures, last_error, items_found,
                        matched_selectors, drift
                 FROM source_state WHERE source = ?1",
                [source],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()
            .map_err(self.err("read source state"))?;
        Ok(match row {
            None => SourceState::default(),
            Some((attempt, success, failures, last_error, items, matched, drift)) => SourceState {
                last_attempt: attempt.as_deref().and_then(parse_ts),
                last_success: success.as_deref().and_then(parse_ts),
                consecutive_failures: failures.max(0) as u32,
                last_error,
                items_found: items.max(0) as u32,
                matched_selectors: serde_json::from_str(&matched).unwrap_or_default(),
                drift: serde_json::from_str(&drift).unwrap_or_default(),
            },
        })
    }
}
