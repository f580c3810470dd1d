//! Values and pure helpers every layer shares: the model values that cross layers (listing
//! entries and pages, HTTP validators, raw and normalized articles), text helpers, dates in
//! a source's time zone and the choice among a page's date candidates, byte decoding, the `css@attr` selector type, JSON paths and URL
//! templates, URL canonicalization and cron schedules.
//!
//! Layer: imports nothing of ours; everything else may import it.

pub mod datepick;
pub mod dates;
pub mod decode;
pub mod filter;
pub mod jsonpath;
pub mod lang;
pub mod model;
pub mod pick;
pub mod retention;
pub mod schedule;
pub mod text;
pub mod urls;
