//! Bytes → text. `reqwest::Response::text()` ignores `<meta charset>`, and old Kazakh sites
//! declare windows-1251 only there, so decoding is ours: BOM, then the HTTP charset, then a
//! `<meta>` prescan, then "is it valid UTF-8", then a chardetng guess.
//!
//! Unlike a browser we do not trust a declaration the bytes contradict: sites that moved to
//! UTF-8 keep sending `charset=windows-1251` from an old server config (or the reverse), and a
//! feed full of mojibake is worse than a second guess. A declaration is contradicted when
//! decoding with it hits malformed sequences, or when it names a legacy encoding while the
//! bytes are non-ASCII valid UTF-8 (legacy text practically never forms valid UTF-8 by chance).
//! Then the next piece of evidence is tried; if nothing fits better, the first declaration is
//! kept, with `had_errors` set.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, REPLACEMENT, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// How many leading bytes the `<meta>` prescan looks at. WHATWG says 1024; some CMS themes
/// put long `<title>`s and inline scripts first, so we look a little further.
const PRESCAN_LIMIT: usize = 4096;

/// Where the chosen encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    Bom,
    HttpHeader,
    MetaTag,
    Utf8Valid,
    Guess,
}

/// Decoded text and how it was decoded.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: EncodingSource,
    /// True when malformed byte sequences were replaced by U+FFFD.
    pub had_errors: bool,
}

/// Decodes an HTML body. `content_type` is the HTTP `Content-Type` header, if any.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    // A BOM is unambiguous and beats every declaration (WHATWG "BOM sniff").
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(&bytes[bom_len..], encoding, EncodingSource::Bom);
    }

    let mut declared: Vec<(&'static Encoding, EncodingSource)> = Vec::with_capacity(2);
    if let Some(enc) = content_type.and_then(charset_from_content_type) {
        declared.push((enc, EncodingSource::HttpHeader));
    }
    let head = &bytes[..bytes.len().min(PRESCAN_LIMIT)];
    if let Some(enc) = prescan_meta(head)
        && !declared.iter().any(|(d, _)| *d == enc)
    {
        declared.push((enc, EncodingSource::MetaTag));
    }

    // encoding_rs validates with SIMD; std's from_utf8 was a visible share of a backfill.
    let utf8_valid = Encoding::utf8_valid_up_to(bytes) == bytes.len();
    let mut first_declared: Option<Decoded> = None;
    for (encoding, source) in declared {
        let decoded = decode_with(bytes, encoding, source);
        if !contradicted(&decoded, utf8_valid, bytes) {
            return decoded;
        }
        first_declared.get_or_insert(decoded);
    }

    if utf8_valid {
        return decode_with(bytes, UTF_8, EncodingSource::Utf8Valid);
    }

    let guessed = decode_with(bytes, guess(bytes), EncodingSource::Guess);
    match first_declared {
        // A wrong guess is no better than a wrong declaration; keep what the site said.
        Some(declared) if guessed.had_errors => declared,
        _ => guessed,
    }
}

fn decode_with(bytes: &[u8], encoding: &'static Encoding, source: EncodingSource) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding,
        source,
        had_errors,
    }
}

/// Whether the bytes speak against the encoding `decoded` was made with.
fn contradicted(decoded: &Decoded, utf8_valid: bool, bytes: &[u8]) -> bool {
    if decoded.had_errors {
        return true;
    }
    let legacy =
        decoded.encoding != UTF_8 && decoded.encoding != UTF_16LE && decoded.encoding != UTF_16BE;
    legacy && utf8_valid && !bytes.is_ascii()
}

fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // UTF-8 is allowed: a page that is almost UTF-8 (a few bad bytes) is still UTF-8.
    detector.guess(None, Utf8Detection::Allow)
}

/// The encoding named by the `charset` parameter of a `Content-Type` value, if usable.
fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    // The first parameter is the MIME type itself, never a charset.
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let encoding = Encoding::for_label(value.as_bytes())?;
        // "replacement" would turn the whole page into one U+FFFD; useless for scraping.
        (encoding != REPLACEMENT).then_some(encoding)
    })
}

/// The WHATWG "prescan a byte stream to determine its encoding", simplified: walks tags and
/// comments in `head` and returns the first usable encoding declared by a `<meta>`.
fn prescan_meta(head: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    while pos < head.len() {
        let rest = &head[pos..];
        if rest.starts_with(b"<!--") {
            // Comments may contain stale `<meta>` markup; skip them whole. `-->` may overlap
            // the opening `<!--` as in `<!-->`, so search from the second dash.
            match find(&head[pos + 2..], b"-->") {
                Some(end) => pos += 2 + end + 3,
                None => return None,
            }
        } else if starts_with_ignore_case(rest, b"<meta")
            && rest.get(5).is_some_and(|&b| is_space(b) || b == b'/')
        {
            pos += 5;
            let (encoding, next) = meta_encoding(head, pos);
            if encoding.is_some() {
                return encoding;
            }
            pos = next;
        } else if rest.len() >= 2
            && rest[0] == b'<'
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
        {
            // Any other tag: skip its attributes so that `>` inside quoted values is no end.
            pos += 1;
            while pos < head.len() && !is_space(head[pos]) && head[pos] != b'>' {
                pos += 1;
            }
            while let Some((_, _, next)) = read_attribute(head, pos) {
                pos = next;
            }
            pos += 1;
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            match rest.iter().position(|&b| b == b'>') {
                Some(end) => pos += end + 1,
                None => return None,
            }
        } else {
            pos += 1;
        }
    }
    None
}

/// Reads the attributes of a `<meta` tag starting at `pos`. Returns the declared encoding and
/// the position after the tag.
fn meta_encoding(head: &[u8], mut pos: usize) -> (Option<&'static Encoding>, usize) {
    let mut http_equiv_content_type = false;
    let mut charset: Option<&'static Encoding> = None;
    let mut content_charset: Option<&'static Encoding> = None;
    let mut seen_charset_attr = false;
    while let Some((name, value, next)) = read_attribute(head, pos) {
        pos = next;
        if name.eq_ignore_ascii_case(b"http-equiv") {
            http_equiv_content_type = value.eq_ignore_ascii_case(b"content-type");
        } else if name.eq_ignore_ascii_case(b"charset") && !seen_charset_attr {
            seen_charset_attr = true;
            charset = Encoding::for_label(&value);
        } else if name.eq_ignore_ascii_case(b"content") && content_charset.is_none() {
            content_charset = charset_from_meta_content(&value);
        }
    }
    let encoding = if seen_charset_attr {
        charset
    } else if http_equiv_content_type {
        content_charset
    } else {
        None
    };
    // Per WHATWG a `<meta>` cannot switch to UTF-16 (the bytes being read are ASCII-compatible
    // by then), and x-user-defined means windows-1252.
    let encoding = encoding.and_then(|enc| {
        if enc == UTF_16LE || enc == UTF_16BE {
            Some(UTF_8)
        } else if enc == X_USER_DEFINED {
            Some(WINDOWS_1252)
        } else if enc == REPLACEMENT {
            None
        } else {
            Some(enc)
        }
    });
    (encoding, pos + 1)
}

/// WHATWG "extracting a character encoding from a meta element": finds `charset` followed by
/// optional spaces, `=`, and a quoted or unquoted value in a `content` attribute.
fn charset_from_meta_content(content: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    loop {
        let at = find_ignore_case(&content[pos..], b"charset")?;
        pos += at + 7;
        let mut p = pos;
        while p < content.len() && is_space(content[p]) {
            p += 1;
        }
        if content.get(p) != Some(&b'=') {
            // Not `charset=`; look for a later occurrence.
            continue;
        }
        p += 1;
        while p < content.len() && is_space(content[p]) {
            p += 1;
        }
        let value = match content.get(p) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = p + 1;
                let len = content[start..].iter().position(|&b| b == q)?;
                &content[start..start + len]
            }
            Some(_) => {
                let len = content[p..]
                    .iter()
                    .position(|&b| is_space(b) || b == b';')
                    .unwrap_or(content.len() - p);
                &content[p..p + len]
            }
            None => return None,
        };
        return Encoding::for_label(value);
    }
}

/// WHATWG "get an attribute" at `pos`: returns the lowercase-insensitive name, the value and
/// the position after it, or `None` at the end of the tag (`pos` then points at `>`).
fn read_attribute(head: &[u8], mut pos: usize) -> Option<(Vec<u8>, Vec<u8>, usize)> {
    while pos < head.len() && (is_space(head[pos]) || head[pos] == b'/') {
        pos += 1;
    }
    if pos >= head.len() || head[pos] == b'>' {
        return None;
    }
    let mut name = Vec::new();
    while pos < head.len() {
        let b = head[pos];
        if b == b'=' && !name.is_empty() {
            break;
        }
        if is_space(b) || b == b'/' || b == b'>' {
            break;
        }
        name.push(b.to_ascii_lowercase());
        pos += 1;
    }
    while pos < head.len() && is_space(head[pos]) {
        pos += 1;
    }
    if head.get(pos) != Some(&b'=') {
        // An attribute without a value.
        return Some((name, Vec::new(), pos));
    }
    pos += 1;
    while pos < head.len() && is_space(head[pos]) {
        pos += 1;
    }
    let mut value = Vec::new();
    match head.get(pos) {
        Some(&q @ (b'"' | b'\'')) => {
            pos += 1;
            while pos < head.len() && head[pos] != q {
                value.push(head[pos].to_ascii_lowercase());
                pos += 1;
            }
            // Past the closing quote (or the end when the quote never closes).
            pos = (pos + 1).min(head.len());
        }
        _ => {
            while pos < head.len() && !is_space(head[pos]) && head[pos] != b'>' {
                value.push(head[pos].to_ascii_lowercase());
                pos += 1;
            }
        }
    }
    Some((name, value, pos))
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

fn starts_with_ignore_case(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{KOI8_R, WINDOWS_1251};

    const RUSSIAN: &str = "Генеральная прокуратура Республики Казахстан сообщает о проверке \
        соблюдения законности в сфере государственных закупок.";

    fn cp1251(s: &str) -> Vec<u8> {
        let (bytes, _, had_errors) = WINDOWS_1251.encode(s);
        assert!(!had_errors);
        bytes.into_owned()
    }

    fn page(head: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head>{head}<title>Новости</title></head><body><p>{RUSSIAN}</p></body></html>"
        )
    }

    #[test]
    fn windows_1251_from_meta_http_equiv_only() {
        let html =
            page(r#"<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1251">"#);
        let d = decode_html(&cp1251(&html), Some("text/html"));
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.source, EncodingSource::MetaTag);
        assert!(!d.had_errors);
        assert_eq!(d.text, html);
    }

    #[test]
    fn meta_charset_unquoted_and_quoted() {
        for head in [
            "<meta charset=windows-1251>",
            "<meta charset='cp1251'/>",
            r#"<meta name="x" charset = "WINDOWS-1251" >"#,
            "<meta http-equiv=content-type content='text/html;charset=\"windows-1251\"'>",
        ] {
            let html = page(head);
            let d = decode_html(&cp1251(&html), None);
            assert_eq!(d.encoding, WINDOWS_1251, "{head}");
            assert_eq!(d.source, EncodingSource::MetaTag, "{head}");
            assert_eq!(d.text, html);
        }
    }

    #[test]
    fn meta_in_comment_or_attribute_is_ignored() {
        let html = format!(
            "<html><head><!-- <meta charset=koi8-r> --><link title='<meta charset=koi8-r>'>\
             <meta charset=windows-1251></head><body>{RUSSIAN}</body></html>"
        );
        let d = decode_html(&cp1251(&html), None);
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.source, EncodingSource::MetaTag);
    }

    #[test]
    fn http_charset_wins_over_meta_when_both_fit() {
        // Both decode without errors; the header is the stronger declaration.
        let html = page("<meta charset=koi8-r>");
        let d = decode_html(&cp1251(&html), Some("text/html; charset=\"Windows-1251\""));
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.source, EncodingSource::HttpHeader);
        assert_eq!(d.text, html);
    }

    #[test]
    fn wrong_http_utf8_falls_back_to_meta() {
        let html =
            page(r#"<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">"#);
        let d = decode_html(&cp1251(&html), Some("text/html; charset=UTF-8"));
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.source, EncodingSource::MetaTag);
        assert!(!d.had_errors);
        assert_eq!(d.text, html);
    }

    #[test]
    fn wrong_http_utf8_without_meta_falls_back_to_guess() {
        let html = page("");
        let d = decode_html(&cp1251(&html), Some("text/html; charset=utf-8"));
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.source, EncodingSource::Guess);
        assert_eq!(d.text, html);
    }

    #[test]
    fn wrong_legacy_declaration_on_utf8_bytes_gives_utf8() {
        let html = page("<meta charset=windows-1251>");
        let d = decode_html(html.as_bytes(), Some("text/html; charset=windows-1251"));
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, EncodingSource::Utf8Valid);
        assert_eq!(d.text, html);
    }

    #[test]
    fn utf8_header_and_meta_on_utf8() {
        let html = page("<meta charset=utf-8>");
        let d = decode_html(html.as_bytes(), Some("text/html; charset=utf-8"));
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, EncodingSource::HttpHeader);
        let d = decode_html(html.as_bytes(), None);
        assert_eq!(d.source, EncodingSource::MetaTag);
        assert_eq!(d.text, html);
    }

    #[test]
    fn bom_wins_over_declarations() {
        let html = page("<meta charset=windows-1251>");
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(html.as_bytes());
        let d = decode_html(&bytes, Some("text/html; charset=koi8-r"));
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, EncodingSource::Bom);
        assert_eq!(d.text, html);
    }

    #[test]
    fn utf16_boms() {
        let html = page("");
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in html.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        let d = decode_html(&le, Some("text/html; charset=utf-8"));
        assert_eq!((d.encoding, d.source), (UTF_16LE, EncodingSource::Bom));
        assert_eq!(d.text, html);
        let d = decode_html(&be, None);
        assert_eq!((d.encoding, d.source), (UTF_16BE, EncodingSource::Bom));
        assert_eq!(d.text, html);
    }

    #[test]
    fn meta_utf16_means_utf8() {
        let html = page("<meta charset=utf-16>");
        let d = decode_html(html.as_bytes(), None);
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, EncodingSource::MetaTag);
    }

    #[test]
    fn no_declaration_cp1251_is_guessed() {
        let html = format!("<html><body><p>{RUSSIAN}</p><p>{RUSSIAN}</p></body></html>");
        let d = decode_html(&cp1251(&html), None);
        assert_eq!(d.encoding, WINDOWS_1251);
        assert_eq!(d.source, EncodingSource::Guess);
        assert_eq!(d.text, html);
    }

    #[test]
    fn plain_utf8_without_declaration() {
        let html = format!("<p>{RUSSIAN} Қазақстан Республикасы</p>");
        let d = decode_html(html.as_bytes(), Some("text/html"));
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, EncodingSource::Utf8Valid);
        assert!(!d.had_errors);
        assert_eq!(d.text, html);
    }

    #[test]
    fn unknown_or_replacement_labels_are_ignored() {
        let html = page("<meta charset=iso-2022-kr>");
        let d = decode_html(html.as_bytes(), Some("text/html; charset=bogus"));
        assert_eq!(d.source, EncodingSource::Utf8Valid);
        assert_eq!(d.text, html);
    }

    #[test]
    fn koi8_header_is_honoured() {
        let (bytes, _, _) = KOI8_R.encode(RUSSIAN);
        let d = decode_html(&bytes, Some("text/html;charset=koi8-r"));
        assert_eq!((d.encoding, d.source), (KOI8_R, EncodingSource::HttpHeader));
        assert_eq!(d.text, RUSSIAN);
    }

    #[test]
    fn garbage_never_panics() {
        let inputs: [&[u8]; 8] = [
            b"",
            b"<",
            b"<meta",
            b"<meta charset=\"",
            b"<!--",
            b"<meta http-equiv=content-type content=\"charset=",
            b"<a b='",
            b"\xFF\x00<meta charset",
        ];
        for input in inputs {
            let _ = decode_html(input, Some("text/html; charset"));
        }
    }
}
