//! The article body: the configured container, a known theme container, or readability's
//! main content, cleaned of boilerplate (captions and download buttons included, see
//! `captions`), with lazy images given real sources.

use std::sync::LazyLock;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::captions;
use super::html::{IMG, img_src, in_chrome, sel};
use super::readable;
use crate::core::pick::Pick;
use crate::core::text::collapse_whitespace;

/// Boilerplate removed from every article body whatever the config says: scripts, share
/// kits, related-post blocks, AMP footers, forms. Per-source `remove` selectors add to it.
static BUILTIN_JUNK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "script, style, noscript, template, form, button, input, select, textarea, \
         .sharedaddy, .sd-sharing-enabled, .jp-relatedposts, .addtoany_share_save_container, \
         .a2a_kit, .addtoany_list, .share-buttons, .social-share, .td-a-rec, .td-post-sharing, \
         .yarpp-related, .related-posts, .crp_related, #amp-mobile-version-switcher, \
         .amp-wp-footer, .amp-wp-article-footer, .back-to-top, i-amphtml-sizer, \
         [aria-hidden=true], #cookie-notice, .cookie-notice, .cookie-banner, #cookie-law-info-bar, \
         .popular-posts, .wp-block-latest-posts, .print-link, .subscribe-box, .mobile-version",
    )
});

static CONTENT_FALLBACK: LazyLock<Vec<(&'static str, Selector)>> = LazyLock::new(|| {
    [
        "[itemprop=articleBody]",
        ".entry-content",
        ".amp-wp-article-content",
        ".td-post-content",
        ".post-content",
        ".article-content",
        ".article__text",
        ".news-text",
        "article .content",
        "article",
        "main",
    ]
    .iter()
    .map(|c| (*c, sel(c)))
    .collect()
});

/// Cleans the container `id` and returns its inner HTML and its first real image.
pub(super) fn clean_body(doc: &mut Html, id: NodeId, remove: &[Pick]) -> (String, Option<String>) {
    clean_content(doc, id, remove);
    match doc.tree.get(id).and_then(ElementRef::wrap) {
        Some(el) => (el.inner_html(), el.select(&IMG).find_map(img_src)),
        None => (String::new(), None),
    }
}

fn text_chars(html: &str) -> usize {
    let frag = Html::parse_fragment(html);
    collapse_whitespace(&frag.root_element().text().collect::<String>())
        .chars()
        .count()
}

/// The readability result with boilerplate removed, and its first image: the body used
/// when no container fits (public so tests can measure it on pages that have a container).
pub fn readable_body(
    html: &str,
    page_url: &Url,
    remove: &[Pick],
) -> Option<(String, Option<String>)> {
    let r = readable::main_content(html, page_url)?;
    let mut rdoc = Html::parse_fragment(&r.html);
    let id = rdoc.root_element().id();
    Some(clean_body(&mut rdoc, id, remove))
}

/// A theme container's text shorter than this share of readability's result means the
/// container is the wrong element (a teaser, a caption) and readability is right.
pub(super) const CONTAINER_MIN_SHARE: f64 = 0.5;

/// Text length from which a known theme container is trusted without asking readability.
pub(super) const CONTAINER_TRUSTED_CHARS: usize = 2000;

/// An article body as found: its HTML (cleaned, not yet sanitized), its first real image,
/// and the step that found it (for `preview`).
#[derive(Debug)]
pub(super) struct Body {
    pub(super) html: String,
    pub(super) first_image: Option<String>,
    pub(super) step: String,
}

impl Body {
    pub(super) fn new((html, first_image): (String, Option<String>), step: String) -> Body {
        Body {
            html,
            first_image,
            step,
        }
    }
}

/// The body when no content selector is configured: a known theme container, unless it is
/// missing or much shorter than what readability finds.
pub(super) fn zero_config_body(
    doc: &mut Html,
    html: &str,
    page_url: &Url,
    remove: &[Pick],
) -> Option<Body> {
    let container = CONTENT_FALLBACK.iter().find_map(|(css, s)| {
        doc.select(s)
            .find(|e| !in_chrome(*e))
            .map(|e| (e.id(), *css))
    });
    let from_container = container.map(|(id, css)| {
        // The page's date shown inside the container (a Date field) is not body text.
        for date in super::visible::bare_dates(doc, id) {
            if let Some(mut n) = doc.tree.get_mut(date) {
                n.detach();
            }
        }
        Body::new(clean_body(doc, id, remove), format!("container {css}"))
    });
    // A container this long cannot be "much shorter" than any plausible article, so the
    // second parse readability costs is skipped.
    if let Some(c) = &from_container
        && text_chars(&c.html) >= CONTAINER_TRUSTED_CHARS
    {
        return from_container;
    }
    let readable =
        readable_body(html, page_url, remove).map(|r| Body::new(r, "readability".to_string()));
    match (from_container, readable) {
        (Some(c), Some(r)) => {
            let (cn, rn) = (text_chars(&c.html), text_chars(&r.html));
            if (cn as f64) < CONTAINER_MIN_SHARE * rn as f64 {
                Some(r)
            } else {
                Some(c)
            }
        }
        (c, r) => c.or(r),
    }
}

/// Detaches boilerplate below `content` and rewrites lazy images so the sanitizer sees real
/// `src` attributes (`amp-img` becomes `img`; `data:` placeholders go).
fn clean_content(doc: &mut Html, content: NodeId, remove: &[Pick]) {
    let Some(el) = doc.tree.get(content).and_then(ElementRef::wrap) else {
        return;
    };
    let mut doomed: Vec<NodeId> = el.select(&BUILTIN_JUNK).map(|e| e.id()).collect();
    for p in remove {
        doomed.extend(el.select(&p.selector).map(|e| e.id()));
    }
    // Text rules last: "Читайте также:", "- Реклама -" blocks that carry no tell-tale class.
    doomed.extend(readable::junk_text_nodes(doc, content));
    // Captions, photo credits and download buttons, with or without selectors.
    doomed.extend(captions::caption_nodes(doc, content));
    let images: Vec<(NodeId, Option<String>)> =
        el.select(&IMG).map(|e| (e.id(), img_src(e))).collect();
    for id in doomed {
        if id != content
            && let Some(mut n) = doc.tree.get_mut(id)
        {
            n.detach();
        }
    }
    captions::strip_caption_shortcodes(doc, content);
    for (id, src) in images {
        let Some(mut n) = doc.tree.get_mut(id) else {
            continue;
        };
        let Node::Element(e) = n.value() else {
            continue;
        };
        if &*e.name.local == "amp-img" {
            e.name =
                html5ever::QualName::new(None, html5ever::ns!(html), html5ever::local_name!("img"));
        }
        e.attrs.retain(|(name, _)| {
            !matches!(
                &*name.local,
                "src"
                    | "srcset"
                    | "data-src"
                    | "data-lazy-src"
                    | "data-srcset"
                    | "data-lazy-srcset"
                    | "sizes"
            )
        });
        if let Some(src) = src {
            // scraper finds attributes by binary search: insert in sorted position, or
            // `attr("src")` (the first body image, the sanitizer's view) misses it.
            let name =
                html5ever::QualName::new(None, html5ever::ns!(), html5ever::local_name!("src"));
            let at = e.attrs.partition_point(|(n, _)| *n < name);
            e.attrs.insert(at, (name, src.into()));
        }
    }
}
