//! Dates as press sites write them, interpreted in the source's time zone.
//!
//! Machine forms (ISO 8601 / RFC 3339, RFC 2822) and human Russian and Kazakh forms
//! ("24 сентября 2025, 14:05", "24.09.2025 г.", "вчера в 18:30", "2 часа назад",
//! "2025 жылғы 24 қыркүйек", "бүгін"). No crate knows these month names, so the table is ours.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Parses `text` to an instant. Wall-clock times without an offset are read in `tz` (with the
/// tz database, so Almaty is +06:00 before 2024-03-01 and +05:00 after); a date without a time
/// is local midnight; relative forms ("вчера", "2 часа назад") count back from `now`.
/// Returns `None` when nothing date-like is recognised.
pub fn parse_date(text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let _ = (text, tz, now);
    todo!()
}
