//! Small HTML helpers the extractors share: built-in selectors, `<base href>` and link
//! resolution, the real source of a lazy-loaded image, configured link and image pickers,
//! and what counts as page chrome around an article.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::core::pick::Pick;
use crate::core::text::collapse_whitespace;

/// Compiles a selector known at build time.
pub(super) fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("built-in selector {css:?}: {e}"))
}

pub(super) static ANY_LINK: LazyLock<Selector> = LazyLock::new(|| sel("a[href]"));
pub(super) static IMG: LazyLock<Selector> = LazyLock::new(|| sel("img, amp-img"));
pub(super) static BASE: LazyLock<Selector> = LazyLock::new(|| sel("base[href]"));

/// True when `el` sits in page chrome (sidebar widgets, navigation, site header or footer)
/// rather than in the article: a "today" widget or a recent-posts list there carries dates
/// and names that are not the article's.
pub(super) fn in_chrome(el: ElementRef<'_>) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(|a| {
        let v = a.value();
        matches!(v.name(), "aside" | "nav")
            || v.id()
                .is_some_and(|id| matches!(id, "secondary" | "sidebar" | "colophon" | "masthead"))
            || v.classes().any(|c| {
                c.contains("widget")
                    || c.contains("sidebar")
                    || matches!(
                        c,
                        "site-footer" | "site-header" | "menu" | "breadcrumbs" | "comments-area"
                    )
            })
    })
}

/// Text of the first element matching `selector` outside page chrome.
pub(super) fn first_article_text(doc: &Html, selector: &Selector) -> Option<String> {
    doc.select(selector)
        .filter(|e| !in_chrome(*e))
        .map(|e| collapse_whitespace(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// The base URL for resolving links: `<base href>` if present, else the page URL.
pub(super) fn base_url(doc: &Html, page_url: &Url) -> Url {
    doc.select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone())
}

/// Resolves an href to an absolute http(s) URL without its fragment.
pub(super) fn resolve(base: &Url, href: &str) -> Option<Url> {
    let mut u = base.join(href.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    Some(u)
}

/// Best real image URL of an `img`/`amp-img`: lazy-loading attributes first, never a `data:`
/// placeholder; the widest `srcset` candidate when nothing else is there.
pub(super) fn img_src(el: ElementRef<'_>) -> Option<String> {
    let v = el.value();
    for attr in ["data-lazy-src", "data-src", "data-original", "src"] {
        if let Some(s) = v.attr(attr).map(str::trim)
            && !s.is_empty()
            && !s.starts_with("data:")
        {
            return Some(s.to_string());
        }
    }
    ["data-lazy-srcset", "data-srcset", "srcset"]
        .iter()
        .find_map(|a| v.attr(a))
        .and_then(widest_srcset)
}

/// The candidate with the largest `w` (or `x`) descriptor in a `srcset`.
pub(super) fn widest_srcset(srcset: &str) -> Option<String> {
    srcset
        .split(',')
        .filter_map(|c| {
            let mut parts = c.split_whitespace();
            let url = parts.next()?;
            let size = parts
                .next()
                .and_then(|d| d.trim_end_matches(['w', 'x']).parse::<f64>().ok())
                .unwrap_or(1.0);
            (!url.starts_with("data:")).then(|| (size, url.to_string()))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, u)| u)
}

/// Reads a picker that targets an image: an `img` without `@attr` yields its real source.
pub(super) fn pick_image(p: &Pick, scope: ElementRef<'_>) -> Option<String> {
    scope.select(&p.selector).find_map(|el| {
        let is_img = matches!(el.value().name(), "img" | "amp-img");
        match (&p.attr, is_img) {
            (None, true) => img_src(el),
            (Some(a), true) if a == "src" => img_src(el),
            (None, false) => el.select(&IMG).next().and_then(img_src),
            _ => p.value_of(el).filter(|v| !v.starts_with("data:")),
        }
    })
}

/// A link picker: without `@attr` it reads `href` (of the element or its first link).
pub(super) fn pick_link(p: &Pick, scope: ElementRef<'_>) -> Option<String> {
    scope.select(&p.selector).find_map(|el| match &p.attr {
        Some(_) => p.value_of(el),
        None => el.value().attr("href").map(str::to_string).or_else(|| {
            el.select(&ANY_LINK)
                .next()?
                .value()
                .attr("href")
                .map(str::to_string)
        }),
    })
}
