//! Catch-up at start: a source whose feed is missing or stale runs right after the daemon
//! starts (and after a reload that adds it), instead of at its next cron tick. Without this
//! a fresh install with a 30-minute schedule serves 404 feeds for up to 30 minutes, and so
//! does a restart after a long downtime.
//!
//! Stale means: the source never succeeded, or its last success is older than one interval
//! of its schedule (the gap between the ticks around now), i.e. at least one tick was
//! missed. A source that succeeded within the interval waits for its next tick as before.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Source;

/// Longest random delay before a catch-up run: enough to spread many sources over a few
/// seconds, short enough that feeds appear soon after start.
const MAX_CATCH_UP_JITTER: Duration = Duration::from_secs(10);

/// Why a source runs at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// No successful run is recorded.
    NeverSucceeded,
    /// The last success is older than one schedule interval.
    Stale,
}

impl CatchUp {
    pub fn reason(self) -> &'static str {
        match self {
            CatchUp::NeverSucceeded => "never succeeded",
            CatchUp::Stale => "last success is older than the schedule interval",
        }
    }
}

/// Whether `source`, last successful at `last_success`, must run at start.
pub fn due(
    source: &Source,
    last_success: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<CatchUp> {
    let Some(last) = last_success else {
        return Some(CatchUp::NeverSucceeded);
    };
    // A schedule with no tick left (a past year) never runs again, not even to catch up.
    let interval = source.schedule.interval_around(now, source.timezone)?;
    (now - last > interval).then_some(CatchUp::Stale)
}

/// The random delay before a catch-up run: at most `schedule_jitter`, and at most
/// [`MAX_CATCH_UP_JITTER`].
pub fn jitter(schedule_jitter: Duration) -> Duration {
    let cap = schedule_jitter.min(MAX_CATCH_UP_JITTER);
    let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=cap_ms))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::config::Config;

    fn source(schedule: &str) -> Source {
        let text = format!(
            "[[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://example.kz/\"]\n\
             schedule = \"{schedule}\"\n"
        );
        let mut c = Config::parse(&text, Path::new("config.toml")).expect("valid");
        c.sources.remove(0)
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, h, m, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn stale_or_never_run_sources_catch_up_and_fresh_ones_wait() {
        let half_hourly = source("*/30 * * * *");
        let now = at(10, 5);
        for (last, want) in [
            (None, Some(CatchUp::NeverSucceeded)),
            // ran at the last tick: up to date
            (Some(at(10, 0)), None),
            // within one interval of now, though before the last tick: nothing missed yet
            (Some(at(9, 40)), None),
            // more than one interval ago: a tick was missed
            (Some(at(9, 30)), Some(CatchUp::Stale)),
            (Some(at(1, 0)), Some(CatchUp::Stale)),
        ] {
            assert_eq!(due(&half_hourly, last, now), want, "{last:?}");
        }
        // a daily source that ran this morning is fresh at 10:05 ...
        let daily = source("0 6 * * *");
        assert_eq!(due(&daily, Some(at(6, 0)), now), None);
        // ... and one that ran yesterday morning is not
        assert_eq!(
            due(&daily, Some(at(6, 0) - chrono::Duration::hours(24)), now),
            Some(CatchUp::Stale)
        );
        // a schedule with no future tick is left alone once it has run
        let past = source("0 0 12 1 1 * 2020");
        assert_eq!(due(&past, Some(at(1, 0)), now), None);
    }

    #[test]
    fn catch_up_jitter_is_small() {
        let draws: Vec<Duration> = (0..500)
            .map(|_| jitter(Duration::from_secs(3600)))
            .collect();
        assert!(draws.iter().all(|d| *d <= MAX_CATCH_UP_JITTER), "{draws:?}");
        assert!(draws.iter().any(|d| *d > MAX_CATCH_UP_JITTER / 2));
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
        assert!(
            (0..200).all(|_| jitter(Duration::from_secs(2)) <= Duration::from_secs(2)),
            "the setting caps it"
        );
    }
}
