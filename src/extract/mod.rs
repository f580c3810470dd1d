//! Extraction: HTML text in, owned values out. Synchronous and pure on purpose: a
//! `scraper::Html` is not `Send` and must never live across an `.await`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};
use serde_json::Value;
use url::Url;

pub mod discover;
pub mod readable;

use crate::config::{ArticleRules, ListingRules};
use crate::core::model::{DateCandidate, Listing, ListingItem, RawArticle};
use crate::core::pick::Pick;
use crate::core::text::collapse_whitespace;

/// Compiles a selector known at build time.
fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("built-in selector {css:?}: {e}"))
}

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

/// Elements whose `href` is an article link when no `listing.item` is configured.
static LISTING_FALLBACK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "article h1 a[href], article h2 a[href], article h3 a[href], \
         .entry-title a[href], .post-title a[href], .news-item a[href]",
    )
});

static ANY_LINK: LazyLock<Selector> = LazyLock::new(|| sel("a[href]"));
static IMG: LazyLock<Selector> = LazyLock::new(|| sel("img, amp-img"));
static TIME: LazyLock<Selector> = LazyLock::new(|| sel("time"));
static BASE: LazyLock<Selector> = LazyLock::new(|| sel("base[href]"));
static META: LazyLock<Selector> = LazyLock::new(|| sel("meta[content]"));
static LINK_CANONICAL: LazyLock<Selector> = LazyLock::new(|| sel("link[rel~=canonical][href]"));
static NEXT_LINK: LazyLock<Selector> =
    LazyLock::new(|| sel("link[rel~=next][href], a[rel~=next][href]"));
static JSON_LD: LazyLock<Selector> = LazyLock::new(|| sel(r#"script[type="application/ld+json"]"#));
static H1: LazyLock<Selector> = LazyLock::new(|| sel("h1"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| sel("title"));
static AUTHOR_FALLBACK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "[rel~=author], .byline .author, .author .fn, .amp-wp-author, .td-post-author-name a, \
         [itemprop=author] [itemprop=name]",
    )
});
static CATEGORY_FALLBACK: LazyLock<Selector> =
    LazyLock::new(|| sel(".cat-links a, .amp-wp-tax-category a, .td-category a, [rel~=category]"));
static VISIBLE_DATE_FALLBACK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        ".posted-on, .entry-date, .post-date, .td-post-date, .amp-wp-posted-on, .news-date, \
         .article-date, .date",
    )
});

/// True when `el` sits in page chrome (sidebar widgets, navigation, site header or footer)
/// rather than in the article: a "today" widget or a recent-posts list there carries dates
/// and names that are not the article's.
fn in_chrome(el: ElementRef<'_>) -> bool {
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
fn first_article_text(doc: &Html, selector: &Selector) -> Option<String> {
    doc.select(selector)
        .filter(|e| !in_chrome(*e))
        .map(|e| collapse_whitespace(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// The base URL for resolving links: `<base href>` if present, else the page URL.
fn base_url(doc: &Html, page_url: &Url) -> Url {
    doc.select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone())
}

/// Resolves an href to an absolute http(s) URL without its fragment.
fn resolve(base: &Url, href: &str) -> Option<Url> {
    let mut u = base.join(href.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    Some(u)
}

/// Best real image URL of an `img`/`amp-img`: lazy-loading attributes first, never a `data:`
/// placeholder; the widest `srcset` candidate when nothing else is there.
fn img_src(el: ElementRef<'_>) -> Option<String> {
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
fn widest_srcset(srcset: &str) -> Option<String> {
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
fn pick_image(p: &Pick, scope: ElementRef<'_>) -> Option<String> {
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
fn pick_link(p: &Pick, scope: ElementRef<'_>) -> Option<String> {
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
fn cap_nesting(html: &str) -> Cow<'_, str> {
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

/// Entries from the known themes' title links (`LISTING_FALLBACK`), title from the link text.
fn theme_links<'a>(doc: &'a Html, base: &'a Url) -> impl Iterator<Item = ListingItem> + 'a {
    doc.select(&LISTING_FALLBACK).filter_map(move |a| {
        let url = a.value().attr("href").and_then(|h| resolve(base, h))?;
        let title = collapse_whitespace(&a.text().collect::<String>());
        Some(ListingItem {
            url,
            title: (!title.is_empty()).then_some(title),
            date_text: None,
            summary: None,
            image: None,
        })
    })
}

/// Extracts article entries from a listing page. Links are resolved against the page and
/// de-duplicated in page order (sticky posts and tickers repeat entries).
pub fn extract_listing(html: &str, page_url: &Url, rules: &ListingRules) -> Listing {
    let doc = Html::parse_document(&cap_nesting(html));
    let base = base_url(&doc, page_url);
    let mut items: Vec<ListingItem> = Vec::new();
    // A set, not a scan of `items`: a scan is quadratic, and a hostile or broken listing
    // with 100 000 links took minutes.
    let mut seen: HashSet<Url> = HashSet::new();
    let mut push = |item: ListingItem| {
        if seen.insert(item.url.clone()) {
            items.push(item);
        }
    };
    match &rules.item {
        Some(item_pick) => {
            for el in doc.select(&item_pick.selector) {
                let href = match &rules.link {
                    Some(p) => pick_link(p, el),
                    None if el.value().name() == "a" => el.value().attr("href").map(str::to_string),
                    None => el
                        .select(&ANY_LINK)
                        .next()
                        .and_then(|a| a.value().attr("href"))
                        .map(str::to_string),
                };
                let Some(url) = href.and_then(|h| resolve(&base, &h)) else {
                    continue;
                };
                let title = match &rules.title {
                    Some(p) => p.first(el),
                    None => el.select(&ANY_LINK).find_map(|a| {
                        let t = collapse_whitespace(&a.text().collect::<String>());
                        (!t.is_empty()).then_some(t)
                    }),
                };
                push(ListingItem {
                    url,
                    title,
                    date_text: rules.date.as_ref().and_then(|p| p.first(el)),
                    summary: rules.summary.as_ref().and_then(|p| p.first(el)),
                    image: rules.image.as_ref().and_then(|p| pick_image(p, el)),
                });
            }
        }
        // Zero-config: links that look like articles; the old theme-selector fallback only
        // when discovery finds nothing (a page with a single unusual entry).
        None if rules.link.is_none() => {
            let found = crate::extract::discover::discover_links(&doc, &base, page_url);
            let none_found = found.is_empty();
            for item in found {
                push(item);
            }
            if none_found {
                theme_links(&doc, &base).for_each(&mut push);
            }
        }
        None => theme_links(&doc, &base).for_each(&mut push),
    }
    let root = doc.root_element();
    let next = match &rules.next {
        Some(p) => pick_link(p, root),
        None => doc
            .select(&NEXT_LINK)
            .find_map(|e| e.value().attr("href").map(str::to_string)),
    }
    .and_then(|h| resolve(&base, &h))
    .filter(|u| u != page_url);
    let mut misses = Vec::new();
    if rules.item.is_some() && items.is_empty() {
        misses.push("listing.item");
    } else if !items.is_empty() {
        type Has = fn(&ListingItem) -> bool;
        let fields: [(&'static str, bool, Has); 4] = [
            ("listing.title", rules.title.is_some(), |i| {
                i.title.is_some()
            }),
            ("listing.date", rules.date.is_some(), |i| {
                i.date_text.is_some()
            }),
            ("listing.summary", rules.summary.is_some(), |i| {
                i.summary.is_some()
            }),
            ("listing.image", rules.image.is_some(), |i| {
                i.image.is_some()
            }),
        ];
        for (name, configured, has) in fields {
            if configured && !items.iter().any(has) {
                misses.push(name);
            }
        }
    }
    Listing {
        items,
        next,
        misses,
    }
}

/// Metadata from JSON-LD: the first Article-like object, `@graph` and arrays flattened.
#[derive(Debug, Default)]
struct JsonLd {
    headline: Option<String>,
    date_published: Option<String>,
    date_modified: Option<String>,
    author: Option<String>,
    image: Option<String>,
    sections: Vec<String>,
    url: Option<String>,
}

const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNews",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "Report",
    "TechArticle",
    "SocialMediaPosting",
    "LiveBlogPosting",
];

fn json_objects<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>, depth: u8) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| json_objects(x, out, depth + 1)),
        Value::Object(o) => {
            out.push(o);
            if let Some(g) = o.get("@graph") {
                json_objects(g, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn is_article_type(o: &serde_json::Map<String, Value>) -> bool {
    match o.get("@type") {
        Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| ARTICLE_TYPES.contains(&t))),
        _ => false,
    }
}

/// A string, or the `name`/`url`/`@id` of an object, or the first of an array.
fn json_text(v: &Value, keys: &[&str]) -> Option<String> {
    let s = match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(|x| json_text(x, keys)),
        Value::Object(o) => keys
            .iter()
            .find_map(|k| o.get(*k).and_then(|x| json_text(x, keys))),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }?;
    let s = collapse_whitespace(&html_escape::decode_html_entities(&s));
    (!s.is_empty()).then_some(s)
}

fn json_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(',')
            .map(|x| collapse_whitespace(&html_escape::decode_html_entities(x)))
            .filter(|x| !x.is_empty())
            .collect(),
        Value::Array(a) => a.iter().flat_map(json_list).collect(),
        _ => Vec::new(),
    }
}

fn json_ld(doc: &Html) -> JsonLd {
    let mut found = JsonLd::default();
    let values: Vec<Value> = doc
        .select(&JSON_LD)
        .filter_map(|s| serde_json::from_str(s.text().collect::<String>().trim()).ok())
        .collect();
    let mut objects = Vec::new();
    for v in &values {
        json_objects(v, &mut objects, 0);
    }
    let Some(a) = objects.iter().find(|o| is_article_type(o)) else {
        return found;
    };
    let get = |k: &str| a.get(k);
    found.headline = get("headline")
        .or(get("name"))
        .and_then(|v| json_text(v, &[]));
    found.date_published = get("datePublished").and_then(|v| json_text(v, &[]));
    found.date_modified = get("dateModified").and_then(|v| json_text(v, &[]));
    found.author = get("author").and_then(|v| json_text(v, &["name"]));
    // Yoast puts the image as a reference to an ImageObject elsewhere in the graph.
    found.image = get("image").and_then(|v| {
        let id_ref = v.get("@id").and_then(Value::as_str);
        let target = id_ref.and_then(|id| {
            objects
                .iter()
                .find(|o| o.get("@id").and_then(Value::as_str) == Some(id) && o.len() > 1)
        });
        match target {
            Some(o) => o
                .get("url")
                .or(o.get("contentUrl"))
                .and_then(|u| json_text(u, &[])),
            None => json_text(v, &["url", "contentUrl"]),
        }
    });
    let mut sections = get("articleSection").map(json_list).unwrap_or_default();
    sections.extend(get("keywords").map(json_list).unwrap_or_default());
    found.sections = sections;
    found.url = get("mainEntityOfPage")
        .and_then(|v| json_text(v, &["@id", "url"]))
        .or_else(|| get("url").and_then(|v| json_text(v, &[])));
    found
}

/// The page's `<meta … content>` tags, read in one pass: an article looks up a dozen keys,
/// and a tree walk per key was a tenth of the cost of extracting it.
struct Metas(Vec<MetaTag>);

struct MetaTag {
    /// `property` or `name`, as opposed to `itemprop`.
    named: bool,
    key: String,
    content: String,
}

impl Metas {
    fn read(doc: &Html) -> Metas {
        let mut tags = Vec::new();
        for m in doc.select(&META) {
            let v = m.value();
            let content = v.attr("content").unwrap_or("");
            for (attr, named) in [("property", true), ("name", true), ("itemprop", false)] {
                if let Some(key) = v.attr(attr) {
                    tags.push(MetaTag {
                        named,
                        key: key.to_string(),
                        content: content.to_string(),
                    });
                }
            }
        }
        Metas(tags)
    }

    fn matching<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a MetaTag> + 'a {
        self.0
            .iter()
            .filter(move |t| t.key.eq_ignore_ascii_case(key))
    }

    /// `<meta property|name|itemprop=key content=…>`, first non-empty.
    fn get(&self, key: &str) -> Option<String> {
        self.matching(key)
            .map(|t| collapse_whitespace(&t.content))
            .find(|c| !c.is_empty())
    }

    /// Every non-empty `<meta property|name=key content=…>`.
    fn all(&self, key: &str) -> Vec<String> {
        self.matching(key)
            .filter(|t| t.named)
            .map(|t| collapse_whitespace(&t.content))
            .filter(|c| !c.is_empty())
            .collect()
    }
}

/// Removes a trailing " - Site", " | Site" or " — Site" that SEO plugins add to titles.
fn strip_site_suffix(title: &str, site_name: Option<&str>) -> String {
    if let Some(site) = site_name.filter(|s| !s.is_empty()) {
        for sep in [" - ", " | ", " — ", " – ", " :: ", " « ", " » "] {
            if let Some(t) = title.strip_suffix(&format!("{sep}{site}")) {
                return t.trim().to_string();
            }
        }
    }
    title.to_string()
}

fn push_date(out: &mut Vec<DateCandidate>, text: Option<String>, origin: &'static str) {
    if let Some(text) = text.filter(|t| !t.trim().is_empty())
        && !out.iter().any(|c| c.text == text)
    {
        out.push(DateCandidate { text, origin });
    }
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in v {
        if !out.iter().any(|y| y.eq_ignore_ascii_case(&x)) {
            out.push(x);
        }
    }
    out
}

/// Which configured article selectors produced a value.
#[derive(Default)]
struct Hits {
    title: bool,
    date: bool,
    modified: bool,
    author: bool,
    categories: bool,
    image: bool,
}

/// Extracts an article page. Configured selectors win field by field; structured data
/// (JSON-LD, OpenGraph / `article:*`, `<time>`) and common theme markup fill the rest.
pub fn extract_article(html: &str, page_url: &Url, rules: &ArticleRules) -> RawArticle {
    let mut doc = Html::parse_document(&cap_nesting(html));
    let root = doc.root_element();
    let ld = json_ld(&doc);
    let metas = Metas::read(&doc);
    let site_name = metas.get("og:site_name");
    let mut provenance: Vec<(&'static str, String)> = Vec::new();

    let (canonical, step) = ladder(&[
        ("link rel=canonical".into(), &|| {
            doc.select(&LINK_CANONICAL)
                .find_map(|l| l.value().attr("href").map(str::to_string))
        }),
        ("og:url".into(), &|| metas.get("og:url")),
        ("json-ld mainEntityOfPage".into(), &|| ld.url.clone()),
    ]);
    note(&mut provenance, "canonical", step);

    let selected_title = rules.title.as_ref().and_then(|p| p.first(root));
    let mut hits = Hits {
        title: selected_title.is_some(),
        ..Hits::default()
    };
    let (title, step) = ladder(&[
        (selector_step(&rules.title), &|| selected_title.clone()),
        ("json-ld headline".into(), &|| ld.headline.clone()),
        ("og:title".into(), &|| {
            metas
                .get("og:title")
                .map(|t| strip_site_suffix(&t, site_name.as_deref()))
        }),
        ("h1".into(), &|| {
            doc.select(&H1)
                .map(|h| collapse_whitespace(&h.text().collect::<String>()))
                .find(|t| !t.is_empty())
        }),
        ("title".into(), &|| {
            doc.select(&TITLE)
                .next()
                .map(|t| collapse_whitespace(&t.text().collect::<String>()))
                .map(|t| strip_site_suffix(&t, site_name.as_deref()))
        }),
    ]);
    note(&mut provenance, "title", step);

    let mut published = Vec::new();
    if let Some(p) = &rules.date {
        let v = p.first(root);
        hits.date = v.is_some();
        push_date(&mut published, v, "selector");
    }
    push_date(
        &mut published,
        ld.date_published.clone(),
        "json-ld datePublished",
    );
    push_date(
        &mut published,
        metas.get("article:published_time"),
        "meta article:published_time",
    );
    push_date(
        &mut published,
        metas.get("datePublished"),
        "meta itemprop=datePublished",
    );
    push_date(&mut published, metas.get("pubdate"), "meta pubdate");
    let time_el = doc.select(&TIME).filter(|t| !in_chrome(*t)).find(|t| {
        !t.value().classes().any(|c| c == "updated")
            || t.value().classes().any(|c| c == "published")
    });
    push_date(
        &mut published,
        time_el.and_then(|t| t.value().attr("datetime").map(str::to_string)),
        "time@datetime",
    );
    push_date(
        &mut published,
        time_el.map(|t| collapse_whitespace(&t.text().collect::<String>())),
        "time text",
    );
    push_date(
        &mut published,
        first_article_text(&doc, &VISIBLE_DATE_FALLBACK),
        "visible date",
    );

    let mut modified = Vec::new();
    if let Some(p) = &rules.modified {
        let v = p.first(root);
        hits.modified = v.is_some();
        push_date(&mut modified, v, "selector");
    }
    push_date(
        &mut modified,
        ld.date_modified.clone(),
        "json-ld dateModified",
    );
    push_date(
        &mut modified,
        metas.get("article:modified_time"),
        "meta article:modified_time",
    );
    push_date(
        &mut modified,
        metas.get("og:updated_time"),
        "meta og:updated_time",
    );
    for (field, dates, pick) in [
        ("published", &published, &rules.date),
        ("modified", &modified, &rules.modified),
    ] {
        if let Some(first) = dates.first() {
            let step = match first.origin {
                "selector" => selector_step(pick),
                o => o.to_string(),
            };
            provenance.push((field, step));
        }
    }

    let selected_author = rules.author.as_ref().and_then(|p| p.first(root));
    hits.author = selected_author.is_some();
    let (mut author, step) = ladder(&[
        (selector_step(&rules.author), &|| selected_author.clone()),
        ("json-ld author".into(), &|| ld.author.clone()),
        ("meta author".into(), &|| metas.get("author")),
        ("theme byline".into(), &|| {
            first_article_text(&doc, &AUTHOR_FALLBACK)
        }),
    ]);
    note(&mut provenance, "author", step);

    let (categories, step) = match &rules.categories {
        Some(p) => (p.all(root), selector_step(&rules.categories)),
        None if !ld.sections.is_empty() => (ld.sections.clone(), "json-ld articleSection".into()),
        None => {
            let mut c = metas.all("article:section");
            c.extend(metas.all("article:tag"));
            if c.is_empty() {
                let c = doc
                    .select(&CATEGORY_FALLBACK)
                    .filter(|e| !in_chrome(*e))
                    .map(|e| collapse_whitespace(&e.text().collect::<String>()))
                    .filter(|t| !t.is_empty())
                    .collect();
                (c, "theme category links".into())
            } else {
                (c, "meta article:section/tag".into())
            }
        }
    };
    let categories = dedup(categories);
    if !categories.is_empty() {
        provenance.push(("categories", step));
    }

    hits.categories = !categories.is_empty();
    let configured_image = rules.image.as_ref().and_then(|p| pick_image(p, root));
    hits.image = configured_image.is_some();
    let (language, step) = ladder(&[
        ("html@lang".into(), &|| {
            root.value().attr("lang").map(str::to_string)
        }),
        ("og:locale".into(), &|| {
            metas.get("og:locale").map(|l| l.replace('_', "-"))
        }),
    ]);
    note(&mut provenance, "language", step);

    // The body: the configured container, else a known theme container, else (or when that
    // container holds much less text than the readability result) readability.
    let body = match &rules.content {
        Some(p) => doc.select(&p.selector).next().map(|e| e.id()).map(|id| {
            (
                clean_body(&mut doc, id, &rules.remove),
                selector_step(&rules.content),
            )
        }),
        None => zero_config_body(&mut doc, html, page_url, &rules.remove),
    };
    let (content_html, first_body_image) = match body {
        Some(((content, img), step)) => {
            provenance.push(("content", step));
            (Some(content), img)
        }
        None => (None, None),
    };

    // A closing "Пресс-служба …" line names the author when nothing else did; it stays in
    // the body.
    if author.is_none()
        && let Some(html) = &content_html
    {
        let pattern = rules
            .signature
            .as_ref()
            .unwrap_or(&crate::extract::readable::DEFAULT_SIGNATURE);
        author = crate::extract::readable::signature(html, pattern);
        if author.is_some() {
            provenance.push(("author", "signature line".into()));
        }
    }

    let (image, step) = ladder(&[
        (selector_step(&rules.image), &|| configured_image.clone()),
        ("og:image".into(), &|| metas.get("og:image")),
        ("json-ld image".into(), &|| ld.image.clone()),
        ("twitter:image".into(), &|| metas.get("twitter:image")),
        ("first body image".into(), &|| first_body_image.clone()),
    ]);
    let image = image.filter(|i| !i.starts_with("data:"));
    if image.is_some() {
        note(&mut provenance, "image", step);
    }

    let mut selector_misses = Vec::new();
    for (name, configured, hit) in [
        ("article.title", rules.title.is_some(), hits.title),
        (
            "article.content",
            rules.content.is_some(),
            content_html.is_some(),
        ),
        ("article.date", rules.date.is_some(), hits.date),
        ("article.modified", rules.modified.is_some(), hits.modified),
        ("article.author", rules.author.is_some(), hits.author),
        (
            "article.categories",
            rules.categories.is_some(),
            hits.categories,
        ),
        ("article.image", rules.image.is_some(), hits.image),
    ] {
        if configured && !hit {
            selector_misses.push(name);
        }
    }
    RawArticle {
        selector_misses,
        url: Some(page_url.clone()),
        canonical,
        title,
        content_html,
        published,
        modified,
        author,
        categories,
        image,
        language,
        provenance,
    }
}

/// The provenance name of a configured selector step.
fn selector_step(p: &Option<Pick>) -> String {
    match p {
        Some(p) => format!("selector {}", p.raw),
        None => "selector".into(),
    }
}

/// One way to find a field: its provenance name and the lookup.
type Step<'a> = (String, &'a dyn Fn() -> Option<String>);

/// The first step that yields a value, with the step's name. Later steps are not run: the
/// fallbacks walk the whole tree.
fn ladder(steps: &[Step<'_>]) -> (Option<String>, Option<String>) {
    steps
        .iter()
        .find_map(|(step, find)| find().map(|v| (Some(v), Some(step.clone()))))
        .unwrap_or((None, None))
}

fn note(provenance: &mut Vec<(&'static str, String)>, field: &'static str, step: Option<String>) {
    if let Some(step) = step {
        provenance.push((field, step));
    }
}

/// Cleans the container `id` and returns its inner HTML and its first real image.
fn clean_body(doc: &mut Html, id: NodeId, remove: &[Pick]) -> (String, Option<String>) {
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
    let r = crate::extract::readable::main_content(html, page_url)?;
    let mut rdoc = Html::parse_fragment(&r.html);
    let id = rdoc.root_element().id();
    Some(clean_body(&mut rdoc, id, remove))
}

/// A theme container's text shorter than this share of readability's result means the
/// container is the wrong element (a teaser, a caption) and readability is right.
const CONTAINER_MIN_SHARE: f64 = 0.5;

/// Text length from which a known theme container is trusted without asking readability.
const CONTAINER_TRUSTED_CHARS: usize = 2000;

/// The body when no content selector is configured: a known theme container, unless it is
/// missing or much shorter than what readability finds.
#[allow(clippy::type_complexity)]
fn zero_config_body(
    doc: &mut Html,
    html: &str,
    page_url: &Url,
    remove: &[Pick],
) -> Option<((String, Option<String>), String)> {
    let container = CONTENT_FALLBACK.iter().find_map(|(css, s)| {
        doc.select(s)
            .find(|e| !in_chrome(*e))
            .map(|e| (e.id(), *css))
    });
    let from_container =
        container.map(|(id, css)| (clean_body(doc, id, remove), format!("container {css}")));
    // A container this long cannot be "much shorter" than any plausible article, so the
    // second parse readability costs is skipped.
    if let Some(c) = &from_container
        && text_chars(&c.0.0) >= CONTAINER_TRUSTED_CHARS
    {
        return from_container;
    }
    let readable = readable_body(html, page_url, remove).map(|r| (r, "readability".to_string()));
    match (from_container, readable) {
        (Some(c), Some(r)) => {
            let (cn, rn) = (text_chars(&c.0.0), text_chars(&r.0.0));
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
    doomed.extend(crate::extract::readable::junk_text_nodes(doc, content));
    let images: Vec<(NodeId, Option<String>)> =
        el.select(&IMG).map(|e| (e.id(), img_src(e))).collect();
    for id in doomed {
        if id != content
            && let Some(mut n) = doc.tree.get_mut(id)
        {
            n.detach();
        }
    }
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

#[cfg(test)]
mod body_image_tests {
    #[test]
    fn first_body_image_survives_lazy_image_rewrite() {
        let html = r#"<html><body><table><tr><td class="content"><p>Текст.</p>
            <p><img src="../images/x.jpg" width="200" alt=""></p></td></tr></table></body></html>"#;
        let url = url::Url::parse("http://x.kz/press/news_1.html").unwrap();
        let rules = crate::config::ArticleRules {
            content: Some(super::Pick::parse("td.content").unwrap()),
            ..Default::default()
        };
        let raw = super::extract_article(html, &url, &rules);
        assert_eq!(raw.image.as_deref(), Some("../images/x.jpg"));
    }
}
