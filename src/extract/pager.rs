//! Zero-config "next page" link of a listing, when the page has no `rel=next`: the pager
//! classes of the common CMSes (Drupal 7 `.pager-next`, Drupal 8+ `.pager__item--next`,
//! Bitrix `.modern-page-next`, WordPress/Bootstrap `.next`), a link whose text says "next"
//! («Следующая», «След.», «Келесі», «›», «»», «→»), or a link to the same path
//! with the page counter one up (Drupal `?page=N` counts from 0, Bitrix `?PAGEN_1=N` from 1).
//!
//! Drupal clamps a page number past the end to the last page, so the link found here may
//! lead to a page already seen: the walk stops at a page that brings nothing new.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::html::{resolve, sel};
use crate::core::text::collapse_whitespace;

static PAGER_NEXT: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        ".pager-next a[href], .pager__item--next a[href], a.modern-page-next[href], \
         .pagination .next a[href], .pagination a.next[href], li.next a[href], \
         a.next.page-numbers[href], a.next-page[href], .nav-previous a[href]",
    )
});
static LINKS: LazyLock<Selector> = LazyLock::new(|| sel("a[href]"));

/// Words a "next page" link starts with (lower case, after the arrows are trimmed). Not
/// «Далее»: on many sites that is a card's "read more" link to the article.
const NEXT_WORDS: &[&str] = &[
    "следующая",
    "следующие",
    "след",
    "вперед",
    "вперёд",
    "келесі",
    "next",
    "older",
];

/// Arrows that, alone, mean "next" ("»»" and "»|" usually mean "last": not these).
const NEXT_ARROWS: &[&str] = &["›", "»", "→", ">", "››", "→→"];

/// The next page of a zero-config listing, never `page_url` itself.
pub(super) fn next_page(doc: &Html, base: &Url, page_url: &Url) -> Option<Url> {
    let usable = |href: &str| resolve(base, href).filter(|u| u != page_url);
    doc.select(&PAGER_NEXT)
        .find_map(|a| a.value().attr("href").and_then(usable))
        .or_else(|| {
            doc.select(&LINKS)
                .filter(|a| says_next(*a))
                .find_map(|a| a.value().attr("href").and_then(usable))
        })
        .or_else(|| counter_up(doc, base, page_url))
}

/// The link's text (or title) says "next page".
fn says_next(a: ElementRef<'_>) -> bool {
    let text = collapse_whitespace(&a.text().collect::<String>()).to_lowercase();
    let text = if text.is_empty() {
        a.value().attr("title").unwrap_or("").to_lowercase()
    } else {
        text
    };
    if NEXT_ARROWS.contains(&text.as_str()) {
        return true;
    }
    let core = text.trim_matches(|c: char| c.is_whitespace() || "»›→>.".contains(c));
    !core.is_empty()
        && core.chars().count() <= 30
        && NEXT_WORDS.iter().any(|w| core.starts_with(w))
        && !core.contains("последн")
}

/// Page counters in query strings, and the value of the first page when absent.
const COUNTERS: &[(&str, u64)] = &[("page", 0), ("PAGEN_", 1)];

/// A link to the same path whose page counter is the current one plus one.
fn counter_up(doc: &Html, base: &Url, page_url: &Url) -> Option<Url> {
    let (key, current) = COUNTERS.iter().find_map(|(prefix, first)| {
        let here = page_url
            .query_pairs()
            .find(|(k, _)| k.starts_with(prefix))
            .and_then(|(k, v)| Some((k.into_owned(), v.parse::<u64>().ok()?)));
        here.or_else(|| {
            // Not on the URL yet: page one; the key is whatever the pager links use.
            doc.select(&LINKS).find_map(|a| {
                let u = resolve(base, a.value().attr("href")?)?;
                let k = u.query_pairs().find(|(k, _)| k.starts_with(prefix))?.0;
                Some((k.into_owned(), *first))
            })
        })
    })?;
    let want = (current + 1).to_string();
    doc.select(&LINKS).find_map(|a| {
        let u = resolve(base, a.value().attr("href")?)?;
        (u.path() == page_url.path()
            && u.query_pairs()
                .any(|(k, v)| k == key.as_str() && v == want.as_str()))
        .then_some(u)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(html: &str, page: &str) -> Option<String> {
        let doc = Html::parse_document(html);
        let page = Url::parse(page).unwrap();
        next_page(&doc, &page, &page).map(|u| u.to_string())
    }

    #[test]
    fn pager_classes_of_the_common_cmses() {
        let d7 = r#"<ul class="pager"><li class="pager-current">1</li>
            <li class="pager-item"><a href="/news?page=1">2</a></li>
            <li class="pager-next"><a href="/news?page=1">следующая ›</a></li>
            <li class="pager-last"><a href="/news?page=4">последняя »</a></li></ul>"#;
        assert_eq!(
            next(d7, "http://x.kz/news").as_deref(),
            Some("http://x.kz/news?page=1")
        );
        let bitrix = r#"<div class="modern-page-navigation"><span class="modern-page-current">1</span>
            <a href="/press/?PAGEN_1=2">2</a> <a href="/press/?PAGEN_1=2" class="modern-page-next">След.</a></div>"#;
        assert_eq!(
            next(bitrix, "http://x.kz/press/").as_deref(),
            Some("http://x.kz/press/?PAGEN_1=2")
        );
    }

    #[test]
    fn next_by_text_but_never_last() {
        let html = r#"<a href="p5.html">Последняя »</a> <a href="more.html">Подробнее »</a>
            <a href="p2.html">Следующая &raquo;</a>"#;
        assert_eq!(
            next(html, "http://x.kz/p1.html").as_deref(),
            Some("http://x.kz/p2.html")
        );
        assert_eq!(
            next(r#"<a href="p5.html">»»</a>"#, "http://x.kz/p1.html"),
            None
        );
        assert_eq!(
            next(r#"<a href="p2.html">›</a>"#, "http://x.kz/p1.html").as_deref(),
            Some("http://x.kz/p2.html")
        );
    }

    #[test]
    fn counter_one_up_on_the_same_path() {
        let html =
            r#"<a href="?PAGEN_1=1">1</a> <a href="?PAGEN_1=3">3</a> <a href="?PAGEN_1=2">2</a>"#;
        assert_eq!(
            next(html, "http://x.kz/news/").as_deref(),
            Some("http://x.kz/news/?PAGEN_1=2")
        );
        let drupal = r#"<a href="/news?page=2">3</a><a href="/news?page=0">1</a>"#;
        assert_eq!(
            next(drupal, "http://x.kz/news?page=1").as_deref(),
            Some("http://x.kz/news?page=2")
        );
        assert_eq!(next(drupal, "http://x.kz/news?page=2"), None);
    }
}
