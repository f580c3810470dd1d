//! `parse_date` on arbitrary text, in a zone with DST history and in UTC: must not panic.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let now = Utc.with_ymd_and_hms(2025, 10, 1, 12, 0, 0).unwrap();
    let _ = pressfeed::core::dates::parse_date(text, chrono_tz::Asia::Almaty, now);
    let _ = pressfeed::core::dates::parse_date(text, chrono_tz::UTC, now);
});
