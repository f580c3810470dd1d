//! Listing pages: article entries by the configured `[source.listing]` selectors, or found
//! without them (`discover`), and the next page.

use std::collections::HashSet;
use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::discover::discover_links;
use super::html::{ANY_LINK, base_url, pick_image, pick_link, resolve, sel};
use super::nesting::cap_nesting;
use super::pager;
use crate::config::ListingRules;
use crate::core::model::{Listing, ListingItem};
use crate::core::text::collapse_whitespace;

/// Elements whose `href` is an article link when no `listing.item` is configured.
static LISTING_FALLBACK: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "article h1 a[href], article h2 a[href], article h3 a[href], \
         .entry-title a[href], .post-title a[href], .news-item a[href]",
    )
});
static NEXT_LINK: LazyLock<Selector> =
    LazyLock::new(|| sel("link[rel~=next][href], a[rel~=next][href]"));

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
        Some(item_pick) => doc
            .select(&item_pick.selector)
            .filter_map(|el| configured_item(el, &base, rules))
            .for_each(&mut push),
        // Zero-config: links that look like articles; the old theme-selector fallback only
        // when discovery finds nothing (a page with a single unusual entry).
        None if rules.link.is_none() => {
            let found = discover_links(&doc, &base, page_url);
            let none_found = found.is_empty();
            found.into_iter().for_each(&mut push);
            if none_found {
                theme_links(&doc, &base).for_each(&mut push);
            }
        }
        None => theme_links(&doc, &base).for_each(&mut push),
    }
    let next = match &rules.next {
        Some(p) => pick_link(p, doc.root_element()),
        None => doc
            .select(&NEXT_LINK)
            .find_map(|e| e.value().attr("href").map(str::to_string)),
    }
    .and_then(|h| resolve(&base, &h))
    .filter(|u| u != page_url)
    .or_else(|| {
        // Zero-config: the pager's "next" link by its class, text or page counter.
        (rules.next.is_none() && rules.item.is_none() && rules.link.is_none())
            .then(|| pager::next_page(&doc, &base, page_url))
            .flatten()
    });
    let misses = misses(rules, &items);
    Listing {
        items,
        next,
        misses,
    }
}

/// One entry by the configured selectors, scoped to a `listing.item` element; `None`
/// when it has no usable link.
fn configured_item(el: ElementRef<'_>, base: &Url, rules: &ListingRules) -> Option<ListingItem> {
    let href = match &rules.link {
        Some(p) => pick_link(p, el),
        None if el.value().name() == "a" => el.value().attr("href").map(str::to_string),
        None => el
            .select(&ANY_LINK)
            .next()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_string),
    };
    let url = href.and_then(|h| resolve(base, &h))?;
    let title = match &rules.title {
        Some(p) => p.first(el),
        None => el.select(&ANY_LINK).find_map(|a| {
            let t = collapse_whitespace(&a.text().collect::<String>());
            (!t.is_empty()).then_some(t)
        }),
    };
    Some(ListingItem {
        url,
        title,
        date_text: rules.date.as_ref().and_then(|p| p.first(el)),
        summary: rules.summary.as_ref().and_then(|p| p.first(el)),
        image: rules.image.as_ref().and_then(|p| pick_image(p, el)),
    })
}

/// Configured listing selectors that matched nothing on the page: `listing.item` when no
/// entry was found, a field selector when no entry has that field.
fn misses(rules: &ListingRules, items: &[ListingItem]) -> Vec<&'static str> {
    if items.is_empty() {
        return if rules.item.is_some() {
            vec!["listing.item"]
        } else {
            Vec::new()
        };
    }
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
    fields
        .into_iter()
        .filter(|(_, configured, has)| *configured && !items.iter().any(has))
        .map(|(name, _, _)| name)
        .collect()
}
