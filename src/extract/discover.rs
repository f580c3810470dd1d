//! Zero-config listing: finds the article links on a listing page without selectors.
//!
//! A link is an article link when it stays on the site, sits outside page chrome (navigation,
//! header, footer, sidebar, pagination) and either its URL looks like an article (a dated
//! path such as `/2025/09/24/slug/`, a numeric id such as `-483750`, `news_1.html`, `?id=7`)
//! or it sits in a repeated card structure (the same ancestor path at least
//! [`MIN_REPEATS`] times, as in a list of posts). Category, tag, author and pagination links
//! never qualify. Links are de-duplicated in page order.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::groups;
use super::html::sel;
use crate::core::model::ListingItem;
use crate::core::text::collapse_whitespace;

/// How many links must share an ancestor path to count as a list of cards.
pub const MIN_REPEATS: usize = groups::MIN_REPEATS;

static LINKS: LazyLock<Selector> = LazyLock::new(|| sel("a[href]"));

static DATED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?[^/]+")
        .unwrap_or_else(|e| panic!("built-in regex: {e}"))
});
/// A numeric id in the last path segment: `slug-483750`, `news_1.html`, `12345.html`, `/123`.
static NUMERIC_SLUG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:[-_]\d+(?:\.s?html?|\.php|\.aspx?)?|^\d{3,}(?:\.s?html?)?|^\d+\.s?html?)/?$",
    )
    .unwrap_or_else(|e| panic!("built-in regex: {e}"))
});
/// Path segments of archive, taxonomy and system pages, never articles.
const NOT_ARTICLE_SEGMENTS: &[&str] = &[
    "category",
    "tag",
    "tags",
    "author",
    "page",
    "feed",
    "search",
    "wp-login.php",
    "wp-admin",
    "wp-content",
    "wp-json",
    "rubric",
    "rubrika",
    "topics",
    "login",
    "contacts",
    "kontakty",
];
const FILE_EXTENSIONS: &[&str] = &[
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".doc", ".docx", ".xls", ".xlsx",
    ".zip", ".rar", ".mp3", ".mp4", ".xml", ".rss",
];

/// True when `el` sits in navigation, site header/footer, sidebar or pagination. Headers
/// and footers inside an `article` are the post's own (its title link lives there).
pub(super) fn in_chrome(el: ElementRef<'_>) -> bool {
    let in_article = el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "article");
    el.ancestors().filter_map(ElementRef::wrap).any(|a| {
        let v = a.value();
        let name = v.name();
        let role = v.attr("role").unwrap_or("");
        matches!(name, "nav" | "aside")
            || (matches!(name, "header" | "footer") && !in_article)
            || matches!(
                role,
                "navigation" | "banner" | "contentinfo" | "complementary"
            )
            || v.id().is_some_and(|id| {
                let id = id.to_ascii_lowercase();
                [
                    "sidebar",
                    "secondary",
                    "colophon",
                    "masthead",
                    "footer",
                    "header",
                    "menu",
                    "nav",
                ]
                .iter()
                .any(|k| id.contains(k))
            })
            || v.classes().any(|c| {
                let c = c.to_ascii_lowercase();
                c.contains("widget")
                    || c.contains("sidebar")
                    || c.contains("pagination")
                    || c.contains("breadcrumb")
                    || c.contains("menu")
                    || c.contains("comments")
                    || matches!(
                        c.as_str(),
                        "site-footer" | "site-header" | "nav" | "navigation"
                    )
            })
    })
}

fn same_site(a: &Url, b: &Url) -> bool {
    let strip = |h: &str| h.trim_start_matches("www.").to_ascii_lowercase();
    match (a.host_str(), b.host_str()) {
        (Some(x), Some(y)) => strip(x) == strip(y),
        _ => false,
    }
}

/// Archive, taxonomy, file and home links: never articles whatever their markup.
fn excluded(u: &Url, page: &Url) -> bool {
    let path = u.path().to_ascii_lowercase();
    if path == "/" || path.is_empty() {
        return true;
    }
    let mut bare = u.clone();
    bare.set_query(None);
    let mut page_bare = page.clone();
    page_bare.set_query(None);
    if bare == page_bare && u.query().is_none_or(|q| !q.contains("id=")) {
        return true;
    }
    if u.query_pairs()
        .any(|(k, _)| matches!(&*k, "s" | "replytocom" | "share" | "print"))
    {
        return true;
    }
    FILE_EXTENSIONS.iter().any(|e| path.ends_with(e))
        || path
            .split('/')
            .any(|seg| NOT_ARTICLE_SEGMENTS.contains(&seg))
}

/// The URL alone says "article".
fn article_like_url(u: &Url) -> bool {
    if DATED_PATH.is_match(u.path()) {
        return true;
    }
    let last = u
        .path_segments()
        .and_then(|mut s| s.rfind(|x| !x.is_empty()))
        .unwrap_or("");
    NUMERIC_SLUG.is_match(last)
        || u.query_pairs().any(|(k, v)| {
            let k = k.to_ascii_lowercase();
            (k == "id" || k.ends_with("_id") || k == "news" || k == "nid")
                && !v.is_empty()
                && v.chars().all(|c| c.is_ascii_digit())
        })
}

/// The ancestor path of a link as tag names plus digit-free classes of its parent: links
/// in a list of posts share it, while one-off links do not.
fn card_signature(a: ElementRef<'_>) -> String {
    let mut parts: Vec<String> = a
        .ancestors()
        .filter_map(ElementRef::wrap)
        .map(|e| e.value().name().to_string())
        .collect();
    if let Some(parent) = a.parent().and_then(ElementRef::wrap) {
        let mut classes: Vec<&str> = parent
            .value()
            .classes()
            .filter(|c| !c.chars().any(|ch| ch.is_ascii_digit()))
            .collect();
        classes.sort_unstable();
        parts.insert(0, classes.join("."));
    }
    parts.join("<")
}

struct Found<'a> {
    url: Url,
    links: Vec<ElementRef<'a>>,
    by_url: bool,
}

/// Article links of a listing page, main list first, each once.
///
/// When the page has a repeated list of links ([`groups`]), the main one is the listing:
/// its links are taken with its items' dates, plus links elsewhere whose URL alone says
/// "article" unless they only sit in side blocks. Otherwise, links qualify by URL or by a
/// repeated card structure, as before lists were recognised.
pub fn discover_links(doc: &Html, base: &Url, page_url: &Url) -> Vec<ListingItem> {
    let mut found: Vec<Found<'_>> = Vec::new();
    let mut index: HashMap<Url, usize> = HashMap::new();
    let mut signatures: HashMap<String, usize> = HashMap::new();
    let mut link_sig: Vec<(usize, String)> = Vec::new();
    let mut all_links: Vec<ElementRef<'_>> = Vec::new();
    for a in doc.select(&LINKS) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let Ok(mut u) = base.join(href.trim()) else {
            continue;
        };
        u.set_fragment(None);
        if !matches!(u.scheme(), "http" | "https")
            || !same_site(&u, page_url)
            || excluded(&u, page_url)
            || in_chrome(a)
            || a.value()
                .attr("rel")
                .is_some_and(|r| r.contains("tag") || r.contains("category"))
        {
            continue;
        }
        let key = crate::core::urls::canonical_url(&u);
        let i = *index.entry(key).or_insert_with(|| {
            found.push(Found {
                by_url: article_like_url(&u),
                url: u,
                links: Vec::new(),
            });
            found.len() - 1
        });
        found[i].links.push(a);
        all_links.push(a);
        let sig = card_signature(a);
        *signatures.entry(sig.clone()).or_default() += 1;
        link_sig.push((i, sig));
    }
    let lists = groups::analyse(&all_links);
    let (main_item, only_side) = placement(found.len(), &link_sig, &lists);
    if lists.main.is_some() {
        return from_main_list(doc, found, &main_item, &only_side);
    }
    let mut by_card = vec![false; found.len()];
    for (i, sig) in link_sig {
        if signatures.get(&sig).copied().unwrap_or(0) >= MIN_REPEATS {
            by_card[i] = true;
        }
    }
    found
        .into_iter()
        .enumerate()
        .filter(|(i, f)| (f.by_url || by_card[*i]) && !only_side[*i])
        .filter_map(|(_, f)| item(f, None))
        .collect()
}

/// Per found entry: its item in the main list, and whether every one of its links sits in
/// a side block.
type Placement = (Vec<Option<ego_tree::NodeId>>, Vec<bool>);

fn placement(entries: usize, link_sig: &[(usize, String)], lists: &groups::Groups) -> Placement {
    let mut main_item = vec![None; entries];
    let mut only_side = vec![true; entries];
    for (link_no, (i, _)) in link_sig.iter().enumerate() {
        match lists.of_link.get(link_no).copied().flatten() {
            Some((g, item)) if Some(g) == lists.main => {
                if main_item[*i].is_none() {
                    main_item[*i] = Some(item);
                }
                only_side[*i] = false;
            }
            Some((g, _)) if lists.groups.get(g).is_some_and(|x| x.side) => {}
            _ => only_side[*i] = false,
        }
    }
    (main_item, only_side)
}

/// The entries when a main list was found, in page order: its items, and links outside it
/// whose URL says "article" and which do not only sit in side blocks.
fn from_main_list(
    doc: &Html,
    found: Vec<Found<'_>>,
    main_item: &[Option<ego_tree::NodeId>],
    only_side: &[bool],
) -> Vec<ListingItem> {
    found
        .into_iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let date = match main_item[i] {
                Some(item) => doc
                    .tree
                    .get(item)
                    .and_then(ElementRef::wrap)
                    .and_then(groups::item_date),
                None if f.by_url && !only_side[i] => None,
                None => return None,
            };
            item(f, date)
        })
        .collect()
}

/// The listing entry of one link: its longest link text as title, a date from its list
/// item (`item_date`) or else from its card.
fn item(f: Found<'_>, item_date: Option<String>) -> Option<ListingItem> {
    let title = f
        .links
        .iter()
        .map(|a| collapse_whitespace(&a.text().collect::<String>()))
        .max_by_key(|t| t.chars().count())
        .filter(|t| !t.is_empty());
    // Card-only links need words: "Подробнее", icons and digits are not entries on their own.
    if !f.by_url && title.as_ref().is_none_or(|t| t.chars().count() < 12) {
        return None;
    }
    let date_text = item_date.or_else(|| f.links.first().and_then(|a| card_date(*a)));
    Some(ListingItem {
        url: f.url,
        title,
        date_text,
        summary: None,
        image: None,
    })
}

/// The date shown in a link's card: the smallest ancestor (up to a few levels) holding a
/// `<time>` or a date-classed element.
fn card_date(a: ElementRef<'_>) -> Option<String> {
    let own = a.value().attr("href");
    for anc in a.ancestors().filter_map(ElementRef::wrap).take(5) {
        // An ancestor holding a link elsewhere is the list, not the card: stop before
        // searching it, or a page of N links costs N whole-page scans.
        if anc.select(&LINKS).any(|l| l.value().attr("href") != own) {
            break;
        }
        if let Some(v) = groups::marked_date(anc) {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(html: &str, page: &str) -> Vec<String> {
        let doc = Html::parse_document(html);
        let page = Url::parse(page).unwrap();
        discover_links(&doc, &page, &page)
            .into_iter()
            .map(|i| i.url.to_string())
            .collect()
    }

    #[test]
    fn url_patterns() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(article_like_url(&u("https://x.kz/2025/09/24/slug/")));
        assert!(article_like_url(&u(
            "https://x.kz/news/zakon-i-poryadok-483750"
        )));
        assert!(article_like_url(&u("http://x.kz/press/news_1.html")));
        assert!(article_like_url(&u("http://x.kz/news.php?id=77")));
        assert!(!article_like_url(&u("http://x.kz/about/")));
        assert!(!article_like_url(&u("http://x.kz/page/2/")));
    }

    #[test]
    fn regression_sidebar_latest_news_first_in_html_is_not_the_listing() {
        // A table layout without class names: the "latest news" column comes first, links
        // an announcement from another section and shows cut titles; the main list follows.
        let row = |d: &str, slug: &str, t: &str| {
            format!(
                "<tr><td><font size=1>{d}</font></td><td><a href=\"{slug}.html\">{t}</a></td></tr>"
            )
        };
        let side: String = [
            row("25.09.25", "obyavlenie", "Объявление о личном приёме..."),
            row(
                "24.09.25",
                "soveshchanie",
                "Прокурор области провёл сове...",
            ),
            row("23.09.25", "priem", "В прокуратуре области состоял..."),
        ]
        .concat();
        let main: String = [
            row(
                "24.09.2025",
                "soveshchanie",
                "Прокурор области провёл совещание с руководителями",
            ),
            row(
                "23.09.2025",
                "priem",
                "В прокуратуре области состоялся приём предпринимателей",
            ),
            row(
                "22.09.2025",
                "proverka",
                "О результатах проверки исполнения бюджетного законодательства",
            ),
        ]
        .concat();
        let html = format!(
            "<table><tr><td>Сегодня: 6 декабря 2026 г.</td></tr></table><table><tr>\
             <td width=220><b>Последние новости</b><table>{side}</table></td>\
             <td><font size=4><b>Новости</b></font><table width=100%>{main}</table></td></tr></table>"
        );
        let doc = Html::parse_document(&html);
        let page = Url::parse("http://x.kz/press/novosti.html").unwrap();
        let items = discover_links(&doc, &page, &page);
        let got: Vec<(&str, Option<&str>, Option<&str>)> = items
            .iter()
            .map(|i| (i.url.path(), i.title.as_deref(), i.date_text.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "/press/soveshchanie.html",
                    Some("Прокурор области провёл совещание с руководителями"),
                    Some("24.09.2025")
                ),
                (
                    "/press/priem.html",
                    Some("В прокуратуре области состоялся приём предпринимателей"),
                    Some("23.09.2025")
                ),
                (
                    "/press/proverka.html",
                    Some("О результатах проверки исполнения бюджетного законодательства"),
                    Some("22.09.2025")
                ),
            ]
        );
    }

    #[test]
    fn a_last_page_with_one_dated_row_is_a_list() {
        let html = r#"<div id="sidebar-first"><a href="/news/a">Старая новость в сайдбаре</a></div>
            <div class="view-content"><div class="views-row">
              <div class="views-field-title"><a href="/news/vstrecha-s-veteranami">Встреча с ветеранами органов прокуратуры</a></div>
              <span class="date-display-single">20.02.2024 - 15:00</span></div></div>
            <ul class="pager"><li class="pager-previous"><a href="/news?page=1">‹</a></li></ul>"#;
        let doc = Html::parse_document(html);
        let page = Url::parse("http://x.kz/news?page=2").unwrap();
        let items = discover_links(&doc, &page, &page);
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0].url.path(), "/news/vstrecha-s-veteranami");
        assert_eq!(items[0].date_text.as_deref(), Some("20.02.2024 - 15:00"));
    }

    #[test]
    fn finds_cards_and_skips_chrome() {
        let html = r#"<html><body>
            <nav><a href="/2025/01/01/menu-item/">Menu post link in navigation</a></nav>
            <div class="list">
              <div class="card"><a href="/about-us/">О нас</a></div>
              <div class="card"><h3><a href="/news/first-story/">Первая новость дня о прокуратуре</a></h3></div>
              <div class="card"><h3><a href="/news/second-story/">Вторая новость дня о прокуратуре</a></h3></div>
              <div class="card"><h3><a href="/news/third-story/">Третья новость дня о прокуратуре</a></h3></div>
              <div class="card"><h3><a href="/news/first-story/#comments">Первая</a></h3></div>
            </div>
            <a href="/category/news/">Новости</a><a href="/tag/x/">x</a>
            <footer><a href="/news/fourth-story-123/">Fourth</a></footer>
            <a href="https://other.kz/2025/01/01/x/">Чужой сайт</a>
            </body></html>"#;
        assert_eq!(
            urls(html, "https://x.kz/news/"),
            vec![
                "https://x.kz/news/first-story/",
                "https://x.kz/news/second-story/",
                "https://x.kz/news/third-story/",
            ]
        );
    }
}
