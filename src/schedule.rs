//! When a source runs: a cron expression in the source's time zone.
//!
//! Users write 5-field crontab lines (`*/30 * * * *`); the `cron` crate wants 6 or 7 fields
//! with seconds first. Both are accepted, plus `@hourly`-style shortcuts.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A compiled schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// As written in the config, for messages.
    pub expr: String,
    inner: cron::Schedule,
}

impl Schedule {
    /// Parses a 5-, 6- or 7-field expression or a shortcut (`@yearly`, `@monthly`, `@weekly`,
    /// `@daily`, `@midnight`, `@hourly`). The error is a one-line explanation.
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let _ = expr;
        todo!()
    }

    /// The first tick strictly after `after`, evaluated in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let _ = (after, tz, &self.inner);
        todo!()
    }
}
