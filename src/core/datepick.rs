//! Choosing an article's date among its candidates (best first), as `normalize` and
//! `preview` both do.
//!
//! The first candidate that reads fully wins, with one correction: when it is a
//! machine-readable stamp (JSON-LD, `<meta>`, `time@datetime`, RDFa `content`) and a visible
//! date on the page shows a wall-clock time that differs from it by a whole number of hours,
//! the visible wall clock in the source's time zone is believed. Servers whose tz data
//! predates 2024a still stamp `+06:00` on Kazakh local times after 2024-03-01 (Almaty moved
//! to +05:00), and themes that label local time as UTC are off the same way; a page's own
//! clock is what its readers see.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use regex::Regex;

use super::dates::{DateReading, read_date};
use super::model::DateCandidate;

/// Candidate origins that are text a reader sees, not a machine stamp.
const VISIBLE_ORIGINS: &[&str] = &[
    "time text",
    "visible date near title",
    "visible date",
    "listing date",
];

/// Largest whole-hour gap read as a time-zone mistake (UTC−12 to UTC+14).
const MAX_ZONE_ERROR_HOURS: i64 = 14;

/// A clock time in a date text ("10:30").
static CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9]{1,2}:[0-9]{2}\b").unwrap_or_else(|e| panic!("built-in regex: {e}"))
});
/// An explicit offset or ISO form: not a wall clock.
static STAMPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9]{4}-[0-9]{2}-[0-9]{2}t|[+-][0-9]{2}:?[0-9]{2}\s*$|\b(?:utc|gmt)\b|z\s*$")
        .unwrap_or_else(|e| panic!("built-in regex: {e}"))
});

/// What the candidates yield.
#[derive(Debug, Default)]
pub struct PickedDate<'a> {
    /// The instant and the origin it is credited to.
    pub instant: Option<(DateTime<Utc>, String)>,
    /// Candidates that did not read (or only partly: then with the left-over text), in
    /// order, up to the one used.
    pub failed: Vec<(&'a DateCandidate, Option<String>)>,
}

/// The date of an article from its candidates, best first (see the module docs).
pub fn pick_date(cands: &[DateCandidate], tz: Tz, now: DateTime<Utc>) -> PickedDate<'_> {
    let mut picked = PickedDate::default();
    for (i, c) in cands.iter().enumerate() {
        match read_date(&c.text, tz, now) {
            Some(DateReading::Full(t)) => {
                picked.instant = Some(
                    wall_clock(c, t, &cands[i + 1..], tz, now)
                        .unwrap_or_else(|| (t, c.origin.to_string())),
                );
                return picked;
            }
            Some(DateReading::Partial { leftover, .. }) => picked.failed.push((c, Some(leftover))),
            None => picked.failed.push((c, None)),
        }
    }
    picked
}

fn is_visible(c: &DateCandidate) -> bool {
    VISIBLE_ORIGINS.contains(&c.origin)
}

/// The visible wall-clock reading that corrects a machine stamp `t` off by whole hours.
fn wall_clock(
    chosen: &DateCandidate,
    t: DateTime<Utc>,
    rest: &[DateCandidate],
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, String)> {
    if is_visible(chosen) {
        return None;
    }
    let (v, origin) = rest
        .iter()
        .filter(|c| is_visible(c) && CLOCK.is_match(&c.text) && !STAMPED.is_match(&c.text))
        .find_map(|c| match read_date(&c.text, tz, now)? {
            DateReading::Full(v) => Some((v, c.origin)),
            DateReading::Partial { .. } => None,
        })?;
    let gap = (t - v).num_seconds();
    (gap != 0 && gap % 3600 == 0 && gap.abs() <= MAX_ZONE_ERROR_HOURS * 3600).then(|| {
        (
            v,
            format!(
                "{origin} (wall clock; {} stamp off by {:+} h)",
                chosen.origin,
                gap / 3600
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALMATY: Tz = chrono_tz::Asia::Almaty;

    fn c(text: &str, origin: &'static str) -> DateCandidate {
        DateCandidate {
            text: text.into(),
            origin,
        }
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn now() -> DateTime<Utc> {
        at("2025-10-01T12:00:00+05:00")
    }

    #[test]
    fn regression_stale_tz_stamp_loses_to_the_visible_wall_clock() {
        let cands = [
            c("2025-09-24T10:30:00+06:00", "rdfa dc:date"),
            c("24.09.2025 - 10:30", "visible date near title"),
        ];
        let p = pick_date(&cands, ALMATY, now());
        let (t, origin) = p.instant.unwrap();
        assert_eq!(t, at("2025-09-24T10:30:00+05:00"));
        assert!(origin.contains("off by -1 h"), "{origin}");
    }

    #[test]
    fn agreeing_or_date_only_or_minute_gaps_keep_the_stamp() {
        for visible in ["24.09.2025 - 10:30", "24.09.2025", "24.09.2025 - 10:45"] {
            let cands = [
                c("2025-09-24T05:30:00Z", "json-ld datePublished"),
                c(visible, "visible date"),
            ];
            let (t, origin) = pick_date(&cands, ALMATY, now()).instant.unwrap();
            assert_eq!(t, at("2025-09-24T05:30:00Z"), "{visible}");
            assert_eq!(origin, "json-ld datePublished");
        }
        // Before 2024-03-01 +06:00 was right: the stamp and the clock agree.
        let cands = [
            c("2024-02-20T15:00:00+06:00", "rdfa dc:date"),
            c("20.02.2024 - 15:00", "visible date near title"),
        ];
        let (t, _) = pick_date(&cands, ALMATY, now()).instant.unwrap();
        assert_eq!(t, at("2024-02-20T15:00:00+06:00"));
    }

    #[test]
    fn partly_understood_text_falls_back_to_the_next_source() {
        let cands = [
            c("2 Декабрь 1 11:15", "visible date"),
            c("24.09.2025", "listing date"),
        ];
        let p = pick_date(&cands, ALMATY, now());
        assert_eq!(p.instant.unwrap().0, at("2025-09-24T00:00:00+05:00"));
        assert_eq!(p.failed.len(), 1);
        assert_eq!(p.failed[0].1.as_deref(), Some("1"));
    }
}
