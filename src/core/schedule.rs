//! When a source runs: a cron expression in the source's time zone.
//!
//! Users write 5-field crontab lines (`*/30 * * * *`); the `cron` crate wants 6 or 7 fields
//! with seconds first. Both are accepted, plus `@hourly`-style shortcuts. The two notations
//! number weekdays differently (crontab: 0-7 with 0 and 7 = Sunday; the `cron` crate: 1-7 =
//! Sunday-Saturday), so numeric days in a 5-field line are translated to keep crontab meaning;
//! 6- and 7-field expressions are taken in the crate's own notation, unchanged.

use std::collections::BTreeSet;
use std::str::FromStr;

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
        let trimmed = expr.trim();
        let cron_form = if let Some(name) = trimmed.strip_prefix('@') {
            shortcut(name)
                .ok_or_else(|| {
                    format!(
                        "unknown shortcut \"@{name}\", expected one of @yearly, @annually, \
                         @monthly, @weekly, @daily, @midnight, @hourly"
                    )
                })?
                .to_string()
        } else {
            let fields: Vec<&str> = trimmed.split_whitespace().collect();
            match fields.len() {
                5 => {
                    let dow = crontab_dow_to_cron(fields[4])?;
                    format!(
                        "0 {} {} {} {} {dow}",
                        fields[0], fields[1], fields[2], fields[3]
                    )
                }
                6 | 7 => fields.join(" "),
                n => {
                    return Err(format!(
                        "expected 5 fields (crontab), 6 or 7 (with seconds) or a @shortcut, \
                         found {n}"
                    ));
                }
            }
        };
        let inner = cron::Schedule::from_str(&cron_form)
            .map_err(|e| format!("invalid cron expression \"{trimmed}\": {}", tidy(&e)))?;
        Ok(Schedule {
            expr: trimmed.to_string(),
            inner,
        })
    }

    /// The first tick strictly after `after`, evaluated in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        self.inner
            .after(&after.with_timezone(&tz))
            .next()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last tick at or before `at`, evaluated in `tz`.
    pub fn prev_before(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        self.inner
            .after(&at.with_timezone(&tz))
            .next_back()
            .map(|t| t.with_timezone(&Utc))
    }

    /// How often the schedule fires around `now`: the distance between the ticks just
    /// before and just after it (cron intervals vary: `0 9,17 * * *` is 8 h by day and 16 h
    /// by night). `None` when the schedule has no tick on one side of `now`.
    pub fn interval_around(&self, now: DateTime<Utc>, tz: Tz) -> Option<chrono::Duration> {
        let prev = self.prev_before(now, tz)?;
        let next = self.next_after(now, tz)?;
        Some(next - prev)
    }
}

/// Six-field (seconds first) equivalents of the crontab shortcuts.
fn shortcut(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "yearly" | "annually" => "0 0 0 1 1 *",
        "monthly" => "0 0 0 1 * *",
        "weekly" => "0 0 0 * * Sun",
        "daily" | "midnight" => "0 0 0 * * *",
        "hourly" => "0 0 * * * *",
        _ => return None,
    })
}

/// The cron crate's messages come from its parser and may span lines; keep them on one.
fn tidy(e: &cron::error::Error) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rewrites a crontab day-of-week field (0-7, 0 and 7 = Sunday) into the cron crate's
/// numbering (1-7 = Sunday-Saturday). Fields using names or `?` mean the same in both and
/// pass through; numeric lists, ranges and steps are expanded to an explicit list because a
/// range such as `5-7` (Friday-Sunday) would wrap around in the crate's numbering.
fn crontab_dow_to_cron(field: &str) -> Result<String, String> {
    if field == "*" || field.chars().any(|c| c.is_ascii_alphabetic() || c == '?') {
        return Ok(field.to_string());
    }
    let bad = |why: &str| format!("invalid day of week \"{field}\": {why}");
    let number = |s: &str| -> Result<u32, String> {
        let n: u32 = s
            .parse()
            .map_err(|_| bad(&format!("\"{s}\" is not a number")))?;
        if n > 7 {
            return Err(bad(&format!("{n} is out of range 0-7")));
        }
        Ok(n)
    };
    let mut days = BTreeSet::new();
    for item in field.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((b, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| bad(&format!("step \"{s}\" is not a number")))?;
                if step == 0 {
                    return Err(bad("step must be at least 1"));
                }
                (b, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = if base == "*" {
            (0, 7)
        } else if let Some((a, b)) = base.split_once('-') {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(bad(&format!("range {a}-{b} runs backwards")));
            }
            (a, b)
        } else {
            let a = number(base)?;
            // crontab reads `a/step` as "from a to the end"
            (a, if step.is_some() { 7 } else { a })
        };
        let step = step.unwrap_or(1) as usize;
        for d in (lo..=hi).step_by(step) {
            days.insert(d % 7 + 1);
        }
    }
    Ok(days
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Weekday};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    fn next(expr: &str, after: &str) -> String {
        Schedule::parse(expr)
            .expect("valid schedule")
            .next_after(utc(after), Tz::UTC)
            .expect("a next tick")
            .to_rfc3339()
    }

    /// Weekdays of the ticks in one week starting Monday 2024-01-01.
    fn weekdays(expr: &str) -> Vec<Weekday> {
        let s = Schedule::parse(expr).expect("valid schedule");
        let mut t = utc("2023-12-31T23:59:59Z");
        let end = utc("2024-01-08T00:00:00Z");
        let mut out = Vec::new();
        while let Some(n) = s.next_after(t, Tz::UTC) {
            if n >= end {
                break;
            }
            out.push(n.weekday());
            t = n;
        }
        out
    }

    #[test]
    fn five_fields_get_zero_seconds() {
        assert_eq!(
            next("*/30 * * * *", "2024-03-01T10:05:17Z"),
            "2024-03-01T10:30:00+00:00"
        );
        assert_eq!(
            next("15 6 * * *", "2024-03-01T10:05:00Z"),
            "2024-03-02T06:15:00+00:00"
        );
    }

    #[test]
    fn six_and_seven_fields_are_taken_as_is() {
        assert_eq!(
            next("30 * * * * *", "2024-03-01T10:05:00Z"),
            "2024-03-01T10:05:30+00:00"
        );
        assert_eq!(
            next("0 0 12 1 1 * 2030", "2024-03-01T10:05:00Z"),
            "2030-01-01T12:00:00+00:00"
        );
        // the crate's own numbering: 2 = Monday
        assert_eq!(weekdays("0 0 9 * * 2"), vec![Weekday::Mon]);
    }

    #[test]
    fn shortcuts() {
        let after = "2024-03-15T10:05:00Z";
        assert_eq!(next("@hourly", after), "2024-03-15T11:00:00+00:00");
        assert_eq!(next("@daily", after), "2024-03-16T00:00:00+00:00");
        assert_eq!(next("@midnight", after), "2024-03-16T00:00:00+00:00");
        // 2024-03-15 is a Friday
        assert_eq!(next("@weekly", after), "2024-03-17T00:00:00+00:00");
        assert_eq!(next("@monthly", after), "2024-04-01T00:00:00+00:00");
        assert_eq!(next("@yearly", after), "2025-01-01T00:00:00+00:00");
        assert_eq!(next(" @annually ", after), "2025-01-01T00:00:00+00:00");
        assert_eq!(
            Schedule::parse("  @hourly ").map(|s| s.expr).ok(),
            Some("@hourly".into())
        );
    }

    #[test]
    fn crontab_weekdays_keep_their_meaning() {
        use Weekday::*;
        assert_eq!(weekdays("0 9 * * 1-5"), vec![Mon, Tue, Wed, Thu, Fri]);
        assert_eq!(weekdays("0 9 * * 0"), vec![Sun]);
        assert_eq!(weekdays("0 9 * * 7"), vec![Sun]);
        assert_eq!(weekdays("0 9 * * 5-7"), vec![Fri, Sat, Sun]);
        assert_eq!(weekdays("0 9 * * 0,6"), vec![Sat, Sun]);
        assert_eq!(weekdays("0 9 * * */2"), vec![Tue, Thu, Sat, Sun]);
        assert_eq!(weekdays("0 9 * * 1/3"), vec![Mon, Thu, Sun]);
        assert_eq!(weekdays("0 9 * * MON-FRI"), vec![Mon, Tue, Wed, Thu, Fri]);
        assert_eq!(weekdays("0 9 * * Sat"), vec![Sat]);
        assert_eq!(weekdays("0 9 * * *").len(), 7);
        // concrete dates: 2024-01-05 is a Friday, so Mon-Fri next fires on Monday the 8th
        assert_eq!(
            next("0 9 * * 1-5", "2024-01-05T10:00:00Z"),
            "2024-01-08T09:00:00+00:00"
        );
    }

    #[test]
    fn evaluated_in_the_time_zone() {
        let s = Schedule::parse("0 9 * * *").expect("valid");
        let tz: Tz = "Asia/Almaty".parse().expect("known zone");
        // Kazakhstan moved from UTC+6 to UTC+5 on 2024-03-01
        let after = Utc
            .with_ymd_and_hms(2023, 6, 1, 0, 0, 0)
            .single()
            .expect("valid date");
        let n = s.next_after(after, tz).expect("next");
        assert_eq!(n.to_rfc3339(), "2023-06-01T03:00:00+00:00");
        let after = utc("2025-06-01T00:00:00Z");
        assert_eq!(
            s.next_after(after, tz).map(|t| t.to_rfc3339()),
            Some("2025-06-01T04:00:00+00:00".into())
        );
    }

    #[test]
    fn strictly_after() {
        assert_eq!(
            next("0 9 * * *", "2024-03-01T09:00:00Z"),
            "2024-03-02T09:00:00+00:00"
        );
    }

    #[test]
    fn invalid_expressions_explain_themselves() {
        assert_eq!(
            Schedule::parse("* * * *").err().as_deref(),
            Some("expected 5 fields (crontab), 6 or 7 (with seconds) or a @shortcut, found 4")
        );
        assert_eq!(
            Schedule::parse("   ").err().as_deref(),
            Some("expected 5 fields (crontab), 6 or 7 (with seconds) or a @shortcut, found 0")
        );
        assert_eq!(
            Schedule::parse("@often").err().as_deref(),
            Some(
                "unknown shortcut \"@often\", expected one of @yearly, @annually, @monthly, \
                 @weekly, @daily, @midnight, @hourly"
            )
        );
        assert_eq!(
            Schedule::parse("0 9 * * 8").err().as_deref(),
            Some("invalid day of week \"8\": 8 is out of range 0-7")
        );
        assert_eq!(
            Schedule::parse("0 9 * * 5-1").err().as_deref(),
            Some("invalid day of week \"5-1\": range 5-1 runs backwards")
        );
        let e = Schedule::parse("61 * * * *").err().unwrap_or_default();
        assert!(
            e.starts_with("invalid cron expression \"61 * * * *\": "),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
        let e = Schedule::parse("0 9 * * * * * *").err().unwrap_or_default();
        assert!(e.ends_with("found 8"), "{e}");
        assert!(Schedule::parse("x y z a b").is_err());
    }

    #[test]
    fn interval_is_the_gap_between_the_ticks_around_now() {
        let secs = |expr: &str, now: &str| {
            Schedule::parse(expr)
                .expect("valid")
                .interval_around(utc(now), Tz::UTC)
                .map(|d| d.num_seconds())
        };
        assert_eq!(secs("*/30 * * * *", "2024-03-01T10:05:17Z"), Some(1800));
        assert_eq!(secs("@hourly", "2024-03-01T10:05:17Z"), Some(3600));
        // uneven schedules: the gap that contains now
        assert_eq!(secs("0 9,17 * * *", "2024-03-01T12:00:00Z"), Some(8 * 3600));
        assert_eq!(
            secs("0 9,17 * * *", "2024-03-01T20:00:00Z"),
            Some(16 * 3600)
        );
        // no tick after now: no interval
        assert_eq!(secs("0 0 12 1 1 * 2020", "2024-03-01T10:05:00Z"), None);
        let s = Schedule::parse("*/30 * * * *").expect("valid");
        assert_eq!(
            s.prev_before(utc("2024-03-01T10:05:17Z"), Tz::UTC)
                .map(|t| t.to_rfc3339()),
            Some("2024-03-01T10:00:00+00:00".into())
        );
    }
}
