//! RawArticle → Article: one canonical URL, clean text, dates in the source's time zone,
//! sanitized HTML with absolute URLs, a plain-text summary and a content hash.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use scraper::Html;
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::Source;
use crate::core::datepick::pick_date;
use crate::core::model::{Article, DateCandidate, RawArticle};
use crate::core::text::{collapse_whitespace, is_xml_illegal};
use crate::core::urls::{canonical_id, canonical_url};

/// Why an article could not be normalized. The pipeline logs and counts it; the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error("normalize {url}: no title found")]
    NoTitle { url: String },
    #[error("normalize {url}: no content found")]
    NoContent { url: String },
    #[error("normalize: no usable URL")]
    NoUrl,
}

/// A date text that did not parse, kept for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFailure {
    pub candidate: DateCandidate,
}

/// The normalized article plus what went wrong on the way (not fatal).
#[derive(Debug, Clone)]
pub struct Normalized {
    pub article: Article,
    pub date_failures: Vec<DateFailure>,
}

/// Invisible characters that only get in the way of titles and summaries.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    ) || is_xml_illegal(c)
}

/// Cleans a one-line text: invisible and XML-illegal characters removed, every kind of space
/// collapsed. Entities are not decoded here: the text comes decoded from the HTML parser,
/// JSON-LD or the API adapters, and decoding twice would turn a literal `&lt;` into `<`.
pub fn clean_line(s: &str) -> String {
    if holds_invisible(s) {
        let visible: String = s.chars().filter(|c| !is_invisible(*c)).collect();
        collapse_whitespace(&visible)
    } else {
        collapse_whitespace(s)
    }
}

/// Whether `s` holds a character [`is_invisible`] matches, decided on the UTF-8 bytes: every
/// title, line and body passes here, and almost none holds one.
fn holds_invisible(s: &str) -> bool {
    let b = s.as_bytes();
    crate::core::text::c0_controls(b) > 0
        || memchr::memchr3_iter(0xC2, 0xE2, 0xEF, b).any(|i| match (b[i], b.get(i + 1..i + 3)) {
            // U+00AD
            (0xC2, _) => b.get(i + 1) == Some(&0xAD),
            // U+200B..U+200D, U+2060
            (0xE2, Some([0x80, 0x8B..=0x8D] | [0x81, 0xA0])) => true,
            // U+FEFF, U+FFFE, U+FFFF
            (0xEF, Some([0xBB, 0xBF] | [0xBF, 0xBE..=0xBF])) => true,
            _ => false,
        })
}

thread_local! {
    /// The sanitizer policy, built once per thread (building it allocates a few dozen sets,
    /// a tenth of sanitizing a short body); the base URL is set per call.
    static SANITIZER: RefCell<ammonia::Builder<'static>> = RefCell::new(sanitizer());
    /// The page `cite` attributes are resolved against, for the current call.
    static CITE_BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags(["figure", "figcaption", "picture", "time", "mark", "s", "u"])
        .add_tag_attributes("time", ["datetime"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
        .rm_tags(["span", "font", "o:p", "center"])
        .clean_content_tags(HashSet::from([
            "script", "style", "iframe", "noscript", "template", "object", "embed", "svg", "math",
            "form",
        ]))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .attribute_filter(cite_filter);
    b
}

/// ammonia checks the scheme of `href`/`src` but passes `cite` (blockquote, q, del, ins)
/// through untouched, so `cite="javascript:…"` reached the feeds, where some readers show
/// it as a link. Only http(s) citations are kept, made absolute like every other URL.
fn cite_filter<'u>(_element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    if attribute != "cite" {
        return Some(value.into());
    }
    CITE_BASE.with(|b| {
        b.borrow()
            .as_ref()?
            .join(value.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| String::from(u).into())
    })
}

/// Sanitizes body HTML: no scripts, styles, frames, event handlers or `javascript:` URLs;
/// relative URLs made absolute against `base`; empty paragraphs and invisible characters
/// dropped.
pub fn sanitize_html(html: &str, base: &Url) -> String {
    let clean = SANITIZER.with(|s| {
        let mut s = s.borrow_mut();
        s.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        CITE_BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
        s.clean(html).to_string()
    });
    // Zero-width joiners stay in bodies (Persian, emoji sequences); `holds_invisible` is a
    // superset check that lets almost every body skip the copy.
    let clean: String = if holds_invisible(&clean) {
        clean
            .chars()
            .filter(|&c| !matches!(c, '\u{AD}' | '\u{200B}' | '\u{FEFF}') && !is_xml_illegal(c))
            .collect()
    } else {
        clean
    };
    drop_empty_paragraphs(&clean).trim().to_string()
}

/// Removes `<p></p>`, `<p>&nbsp;</p>` and `<p><br></p>` (ammonia output is regular enough
/// for a textual pass: attributes on `p` are not allowed, so the tag is exactly `<p>`).
fn drop_empty_paragraphs(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = memchr::memmem::find(rest.as_bytes(), b"<p>") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        match memchr::memmem::find(after.as_bytes(), b"</p>") {
            Some(end) if is_blank_fragment(&after[..end]) => {
                rest = &after[end + 4..];
                while rest.starts_with('\n') {
                    rest = &rest[1..];
                }
            }
            _ => {
                out.push_str("<p>");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_blank_fragment(mut s: &str) -> bool {
    // Spaces (U+00A0 included), `&nbsp;` and `<br>` only; read in place, without copies.
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return true;
        }
        match s.strip_prefix("&nbsp;").or_else(|| s.strip_prefix("<br>")) {
            Some(rest) => s = rest,
            None => return false,
        }
    }
}

/// The text a reader sees, blocks separated by spaces.
pub fn plain_text(html: &str) -> String {
    let frag = Html::parse_fragment(html);
    let mut words = String::new();
    for t in frag.root_element().text() {
        words.push_str(t);
        words.push(' ');
    }
    clean_line(&words)
}

/// The text of HTML that [`sanitize_html`] produced, read without parsing it a second time
/// (that parse was a fifth of the per-article CPU). The same text as [`plain_text`]: the
/// sanitizer's serializer quotes every attribute value with `"` and escapes `"` inside it,
/// escapes `<` in text, and comments and raw-text elements are gone, so a tag runs from `<`
/// to the first `>` outside quotes, and each tag separates text like a node boundary does.
fn sanitized_text(html: &str) -> String {
    let mut words = String::with_capacity(html.len());
    let (mut in_tag, mut in_quote, mut last) = (false, false, 0);
    for (i, b) in html.bytes().enumerate() {
        match b {
            b'<' if !in_tag => {
                words.push_str(&html[last..i]);
                words.push(' ');
                in_tag = true;
            }
            b'"' if in_tag => in_quote = !in_quote,
            b'>' if in_tag && !in_quote => {
                in_tag = false;
                last = i + 1;
            }
            _ => {}
        }
    }
    if !in_tag {
        words.push_str(&html[last..]);
    }
    // Serialized HTML: its text is entity-encoded exactly once.
    clean_line(&html_escape::decode_html_entities(&words))
}

/// About `max` characters of `text`, cut at a word boundary, with an ellipsis when cut.
pub fn summarize(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    let trimmed = at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:—–-".contains(c));
    format!("{trimmed}…")
}

fn first_date(
    cands: &[DateCandidate],
    source: &Source,
    now: DateTime<Utc>,
    failures: &mut Vec<DateFailure>,
) -> Option<DateTime<Utc>> {
    let picked = pick_date(cands, source.timezone, now);
    failures.extend(picked.failed.into_iter().map(|(c, _)| DateFailure {
        candidate: c.clone(),
    }));
    picked.instant.map(|(t, _)| t)
}

/// A valid primary language subtag from the page (`ru`, `kk-KZ` → `kk-KZ`), else `None`.
fn page_language(lang: Option<&str>) -> Option<String> {
    let l = lang?.trim();
    let primary = l.split(['-', '_']).next()?;
    ((2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| l.replace('_', "-"))
}

/// Normalizes one extracted article of `source`. `now` anchors relative dates.
pub fn normalize(
    raw: RawArticle,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let page_url = raw.url.clone().ok_or(NormalizeError::NoUrl)?;
    // The canonical link may be relative, or garbage; the fetched URL is the fallback.
    let url = raw
        .canonical
        .as_deref()
        .and_then(|c| page_url.join(c.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| canonical_url(&u))
        .unwrap_or_else(|| canonical_url(&page_url));

    let title = raw.title.as_deref().map(clean_line).unwrap_or_default();
    if title.is_empty() {
        return Err(NormalizeError::NoTitle {
            url: url.to_string(),
        });
    }
    let content_html = raw
        .content_html
        .as_deref()
        .map(|h| sanitize_html(h, &page_url))
        .unwrap_or_default();
    let text = sanitized_text(&content_html);
    if text.is_empty() {
        return Err(NormalizeError::NoContent {
            url: url.to_string(),
        });
    }
    let summary = summarize(&text, 300);

    let mut date_failures = Vec::new();
    let published = first_date(&raw.published, source, now, &mut date_failures);
    let modified = first_date(&raw.modified, source, now, &mut date_failures)
        .filter(|m| published.is_none_or(|p| *m >= p));

    let author = raw
        .author
        .as_deref()
        .map(clean_line)
        .filter(|a| !a.is_empty());
    let mut categories: Vec<String> = Vec::new();
    for c in raw.categories.iter().map(|c| clean_line(c)) {
        if !c.is_empty() && !categories.contains(&c) {
            categories.push(c);
        }
    }
    let image = raw
        .image
        .as_deref()
        .and_then(|i| page_url.join(i.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let language =
        page_language(raw.language.as_deref()).unwrap_or_else(|| source.language.clone());

    let content_hash = {
        let mut h = Sha256::new();
        for part in [
            title.as_str(),
            content_html.as_str(),
            author.as_deref().unwrap_or(""),
            &categories.join("\u{1f}"),
            image.as_ref().map(Url::as_str).unwrap_or(""),
            language.as_str(),
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex::encode(h.finalize())
    };

    Ok(Normalized {
        article: Article {
            source: source.id.clone(),
            id: canonical_id(&url),
            url,
            title,
            summary,
            content_html,
            published,
            modified,
            author,
            categories,
            image,
            language,
            content_hash,
        },
        date_failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn clean_line_removes_invisible_and_collapses_spaces() {
        assert_eq!(
            clean_line("\u{a0}В\u{ad}Туркестане\u{a0}стартовал\u{200b} «форум»\u{1}\n"),
            "ВТуркестане стартовал «форум»"
        );
    }

    #[test]
    fn sanitize_removes_executable_content_and_makes_urls_absolute() {
        let html = r#"<p onclick="x()">Текст <a href="/a/">ссылка</a>
            <a href="javascript:alert(1)">js</a></p><script>alert(1)</script>
            <iframe src="https://y.com/v"></iframe><p>&nbsp;</p><p></p>
            <img src="../img/p.jpg" onerror="x()"><style>p{}</style>"#;
        let out = sanitize_html(html, &u("https://x.kz/news/1/"));
        assert!(
            !out.contains("onclick") && !out.contains("onerror"),
            "{out}"
        );
        assert!(
            !out.contains("script") && !out.contains("iframe") && !out.contains("javascript"),
            "{out}"
        );
        assert!(!out.contains("alert"), "{out}");
        assert!(out.contains(r#"href="https://x.kz/a/""#), "{out}");
        assert!(
            out.contains(r#"src="https://x.kz/news/img/p.jpg""#),
            "{out}"
        );
        assert!(
            !out.contains("<p>&nbsp;</p>") && !out.contains("<p></p>"),
            "{out}"
        );
    }

    #[test]
    fn regression_escaped_entity_text_is_not_decoded_twice() {
        // The page said `&amp;lt;script&amp;gt;`: the reader must see `&lt;script&gt;`.
        assert_eq!(clean_line("&lt;script&gt; &amp;"), "&lt;script&gt; &amp;");
        assert_eq!(
            crate::core::text::html_fragment_text("&#171;Закон&#187; &amp; <em>порядок</em>"),
            "«Закон» & порядок"
        );
    }

    #[test]
    fn sanitized_text_matches_a_full_parse() {
        let base = u("https://example.kz/news/1/");
        for raw in [
            "<p>Один <b>два</b><br>три</p><p title=\"a > b &quot; c\">четыре &amp; пять</p>",
            "<div><p>x<a href=\"/a?b=1&amp;c=2\" title='>'>y</a></p>\n<ul><li>z</li></ul></div>",
            "text <!-- comment > --> more <script>if (a < b) {}</script> end &lt;b&gt;",
            "<figure><img src=\"p.jpg\" alt=\"a\"><figcaption>cap</figcaption></figure>",
            "<table><tr><td colspan=\"2\">cell</td></tr></table>\u{a0}&nbsp;tail",
            "",
            "<p>unclosed <b>bold",
        ] {
            let clean = sanitize_html(raw, &base);
            assert_eq!(
                sanitized_text(&clean),
                plain_text(&clean),
                "{raw:?} -> {clean:?}"
            );
        }
    }

    #[test]
    fn summary_is_cut_at_a_word() {
        let text = "слово ".repeat(100);
        let s = summarize(text.trim(), 300);
        assert!(s.chars().count() <= 301, "{}", s.chars().count());
        assert!(s.ends_with("слово…"), "{s}");
        assert_eq!(summarize("коротко", 300), "коротко");
    }

    #[test]
    fn empty_paragraphs_are_dropped_and_others_kept() {
        assert_eq!(
            drop_empty_paragraphs("<p>a</p>\n<p></p>\n<p>&nbsp; <br>\u{a0}</p>\n<p>b</p>"),
            "<p>a</p>\n<p>b</p>"
        );
        assert_eq!(
            drop_empty_paragraphs("<p>&nbsp;x</p><p><br>y</p><p>"),
            "<p>&nbsp;x</p><p><br>y</p><p>"
        );
    }

    proptest::proptest! {
        /// The byte-level test is exact: same answer as asking every character.
        #[test]
        fn holds_invisible_agrees_with_is_invisible(
            s in "[\\x00-\\x20\\x7F-\\x{AF}\\x{200A}-\\x{2061}\\x{FEFE}-\\x{FF00}\\x{FFF0}-\\x{FFFF}а-я«»—]{0,40}"
        ) {
            proptest::prop_assert_eq!(holds_invisible(&s), s.chars().any(is_invisible));
        }
    }
}
