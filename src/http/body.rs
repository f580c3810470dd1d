//! Reading a response body: streamed under the size cap (which counts decompressed bytes,
//! so an endless or decompression-bomb response stops early), then checked to be plausible
//! text once decoded.

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap};
use url::Url;

use super::error::map_error;
use super::{FetchError, Fetcher, Started, robots};

/// Share of replacement or control characters above which a decoded body is rejected: real
/// HTML has practically none, a binary file or a wrongly decoded page has many.
const MAX_BAD_CHAR_RATIO: f64 = 0.01;

impl Fetcher {
    /// Streams the body, failing as soon as it passes the size cap; with `truncate`, stops
    /// reading at [`robots::MAX_ROBOTS_BYTES`] and keeps what it has instead.
    pub(super) async fn read_body(
        &self,
        url: &Url,
        started: Started,
        truncate: bool,
    ) -> Result<Bytes, FetchError> {
        let limit = if truncate {
            robots::MAX_ROBOTS_BYTES
        } else {
            self.inner.max_body_bytes
        };
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit,
        };
        let mut response = started.response;
        // After decompression reqwest hides Content-Length, so this only triggers for
        // identity bodies; the streaming check below covers the rest.
        if !truncate && response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| map_error(url, err))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                if truncate {
                    let room = usize::try_from(limit).unwrap_or(usize::MAX) - body.len();
                    body.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    break;
                }
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// Why a decoded body cannot be a web page, if it cannot: too many U+FFFD from malformed
/// bytes, or too many control characters (a binary file served as text/html).
pub(super) fn implausible_text(text: &str, had_errors: bool) -> Option<String> {
    // Counted on the UTF-8 bytes with vectorized passes (every page goes through here): a
    // character starts at each non-continuation byte, C1 controls are C2 80..9F, U+FFFD is
    // EF BF BD. Form feed is ordinary in pages; DEL is a control.
    let bytes = text.as_bytes();
    let total = text.chars().count();
    let c0 = crate::core::text::c0_controls(bytes) - memchr::memchr_iter(0x0c, bytes).count()
        + memchr::memchr_iter(0x7F, bytes).count();
    let c1 = memchr::memchr_iter(0xC2, bytes)
        .filter(|&i| bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)))
        .count();
    let control = c0 + c1;
    let replaced = memchr::memmem::find_iter(bytes, "\u{FFFD}".as_bytes()).count();
    let ratio = |n: usize| n as f64 / total.max(1) as f64;
    if had_errors && ratio(replaced) > MAX_BAD_CHAR_RATIO {
        Some(format!(
            "{replaced} of {total} characters are malformed byte sequences"
        ))
    } else if ratio(control) > MAX_BAD_CHAR_RATIO {
        Some(format!(
            "{control} of {total} characters are control characters; the body looks binary"
        ))
    } else {
        None
    }
}

pub(super) fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Whether a Content-Type names an HTML document (parameters ignored).
pub(super) fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.is_empty()
        || essence.eq_ignore_ascii_case("text/html")
        || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSSIAN: &str = "Генеральная прокуратура Республики Казахстан сообщает";

    #[test]
    fn implausible_text_thresholds() {
        let clean = RUSSIAN.repeat(10);
        assert_eq!(implausible_text(&clean, false), None);
        // One stray U+FFFD in a long page is tolerated.
        assert_eq!(implausible_text(&format!("{clean}\u{fffd}"), true), None);
        let mangled = format!("{clean}{}", "\u{fffd}".repeat(20));
        assert!(implausible_text(&mangled, true).is_some());
        // Without had_errors the replacement characters were in the source; not our business.
        assert_eq!(implausible_text(&mangled, false), None);
        let binary = format!("{clean}{}", "\u{1}".repeat(20));
        assert!(implausible_text(&binary, false).is_some_and(|m| m.contains("binary")));
        // C1 controls and DEL count too; tab, newlines and form feed do not.
        let c1 = format!("{clean}{}", "\u{85}\u{9f}\u{7f}".repeat(7));
        assert!(implausible_text(&c1, false).is_some_and(|m| m.starts_with("21 of 551 ")));
        let spacing = format!("{clean}{}", "\t\n\r\x0c".repeat(50));
        assert_eq!(implausible_text(&spacing, false), None);
        // Neighbours of the special sequences are ordinary letters (U+00A0, U+FFFC, "Ͽ").
        let near = format!("{clean}{}", "\u{a0}\u{fffc}\u{3ff}".repeat(20));
        assert_eq!(implausible_text(&near, true), None);
    }
}
