//! A cap on element nesting, applied to the HTML text before it is parsed.

use std::borrow::Cow;

/// Deepest element nesting kept from a page. html5ever checks element scopes by walking the
/// stack of open elements, so parse time grows with the square of the nesting depth: 10 000
/// nested `<div>`s took 5 s (debug build), and a 5 MiB page of them would take hours. Real
/// pages stay far below 100 levels.
const MAX_NESTING: usize = 512;

/// Elements that never deepen the tree for long: void elements, elements whose start tag
/// closes an open one of the same kind (`p`, `li`, headings, `a`, table cells), and raw-text
/// elements. They are kept even beyond [`MAX_NESTING`], so links and images survive.
fn nesting_neutral(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "param"
            | "keygen"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "option"
            | "optgroup"
            | "rb"
            | "rt"
            | "rp"
            | "caption"
            | "colgroup"
            | "a"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "html"
            | "head"
            | "body"
    )
}

/// Elements whose content is text up to their end tag (a `<div>` in a script is not a tag).
fn raw_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "plaintext"
    )
}

/// Offset of the first `</name` in `bytes`, ASCII case-insensitive.
fn find_end_tag(bytes: &[u8], name: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(off) = memchr::memmem::find(&bytes[from..], b"</") {
        let at = from + off;
        let after = &bytes[at + 2..];
        if after.len() >= name.len() && after[..name.len()].eq_ignore_ascii_case(name) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Drops start tags (and their end tags) nested deeper than [`MAX_NESTING`] before parsing,
/// in one linear pass over the text. Depth is estimated from tags, not parsed, so it is
/// approximate; only pathological pages are touched, and the result is parsed and sanitized
/// like any other page.
pub(super) fn cap_nesting(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    // Every level of nesting needs a start tag: a page with no more `<` than the cap cannot
    // exceed it, and counting them is far cheaper than classifying every tag.
    if memchr::memchr_iter(b'<', bytes).count() <= MAX_NESTING {
        return Cow::Borrowed(html);
    }
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut depth = 0usize;
    let mut excess = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let lt = i + off;
        if bytes[lt + 1..].starts_with(b"!--") {
            i = match html[lt + 4..].find("-->") {
                Some(end) => lt + 4 + end + 3,
                None => break,
            };
            continue;
        }
        let is_end = bytes.get(lt + 1) == Some(&b'/');
        let name_start = if is_end { lt + 2 } else { lt + 1 };
        let name_len = bytes[name_start.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':'))
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            i = lt + 1;
            continue;
        }
        // Lowercased on the stack: a page has hundreds of tags. Longer names are custom
        // elements, neither raw-text nor nesting-neutral.
        let mut lower = [0u8; 16];
        let name = match lower.get_mut(..name_len) {
            Some(buf) => {
                buf.copy_from_slice(&bytes[name_start..name_start + name_len]);
                buf.make_ascii_lowercase();
                std::str::from_utf8(buf).unwrap_or_default()
            }
            None => "",
        };
        let Some(gt) = memchr::memchr(b'>', &bytes[name_start..]) else {
            break;
        };
        let tag_end = name_start + gt + 1;
        i = tag_end;
        if !is_end && raw_text(name) {
            // Skip the element's text; it is depth-neutral.
            match find_end_tag(&bytes[tag_end..], name.as_bytes()) {
                Some(end) => i = tag_end + end,
                None => break,
            }
            continue;
        }
        if nesting_neutral(name) {
            continue;
        }
        let drop = if is_end {
            if excess > 0 {
                excess -= 1;
                true
            } else {
                depth = depth.saturating_sub(1);
                false
            }
        } else if depth >= MAX_NESTING {
            excess += 1;
            true
        } else {
            depth += 1;
            false
        };
        if drop {
            let s = out.get_or_insert_with(|| String::with_capacity(html.len()));
            s.push_str(&html[copied..lt]);
            copied = tag_end;
        }
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut s) => {
            s.push_str(&html[copied..]);
            Cow::Owned(s)
        }
    }
}
