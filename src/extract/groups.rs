//! Zero-config listing structure: which repeated group of links is the page's main list.
//!
//! A list of articles is a run of sibling elements of the same shape (Drupal `.views-row`,
//! Bitrix `.news-item`, table rows, WordPress `article`s) each holding a link. Every link
//! is assigned to the lowest of its ancestors (up to [`MAX_LEVELS`]) that has at least
//! [`MIN_REPEATS`] same-shaped siblings holding links: that ancestor is its
//! item, the siblings' parent its list. Lists are then scored: more items, items showing a
//! date, real headlines as link text, a place in the main content, and no sign of a side
//! block ("Последние новости" label, `left`/`side`/`latest` names, a narrow fixed-width
//! column). The best list is the main list, wherever it stands in the HTML.
//!
//! Cost: each link looks at most [`MAX_LEVELS`] ancestors and each list is scored once over
//! its own items, so the whole analysis is linear in the size of the page.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ego_tree::NodeId;
use scraper::{ElementRef, Selector};

use super::html::sel;
use crate::core::dates::looks_like_date;
use crate::core::text::collapse_whitespace;

/// How many same-shaped siblings holding links make a list.
pub(super) const MIN_REPEATS: usize = 3;

/// How far above a link its repeated item may sit (a > span > div.views-field > div.views-row).
const MAX_LEVELS: usize = 6;

/// Links without a repeated list that are checked for a lone dated item, and how high
/// above the link that item may sit.
const MAX_SMALL_CHECKS: usize = 50;
const SMALL_LEVELS: usize = 4;

/// Longest text node read as a possible date in an item.
const MAX_DATE_TEXT: usize = 64;

static TIME: LazyLock<Selector> = LazyLock::new(|| sel("time"));
static LINKS: LazyLock<Selector> = LazyLock::new(|| sel("a[href]"));
static DATE_CLASS: LazyLock<Selector> = LazyLock::new(|| {
    sel(".posted-on, .entry-date, .post-date, .news-date, .article-date, .date, [class*=date]")
});

/// Class names that mark an item's state or position, not its shape: siblings of one list
/// differ in them (`views-row-odd`, `views-row-first`, `is-active`).
const POSITION_WORDS: &[&str] = &[
    "odd", "even", "first", "last", "active", "current", "sticky",
];

/// Words in an id or class of a list or its ancestors that say "side block".
const SIDE_WORDS: &[&str] = &[
    "side",
    "left",
    "right",
    "aside",
    "latest",
    "last-news",
    "lastnews",
    "popular",
    "recent",
    "widget",
    "banner",
    "header",
    "footer",
    "promo",
    "related",
];

/// Ids and classes of the main content area.
const MAIN_WORDS: &[&str] = &[
    "content",
    "main",
    "workarea",
    "view-content",
    "region-content",
    "col-main",
    "center",
];

/// Labels of side blocks, written just before them.
const SIDE_LABELS: &[&str] = &[
    "последние",
    "свежие",
    "популярн",
    "актуальн",
    "читайте также",
    "соңғы",
    "latest",
    "recent",
    "popular",
];

/// One repeated list of links.
pub(super) struct Group {
    pub(super) score: f64,
    /// The list looks like a side block: its links are not articles of this listing.
    pub(super) side: bool,
}

/// The lists found on a page and where each link belongs.
pub(super) struct Groups {
    /// Per link (same order as given): its list and its item element.
    pub(super) of_link: Vec<Option<(usize, NodeId)>>,
    pub(super) groups: Vec<Group>,
    /// The main list: the best-scored list that is not a side block.
    pub(super) main: Option<usize>,
}

/// The shape of an element: its tag and its first class without digits or position words.
/// Only the first: WordPress adds per-post classes (`category-x`, `has-post-thumbnail`)
/// after the stable ones.
fn shape(el: ElementRef<'_>) -> String {
    let class = el.value().classes().find(|c| {
        !c.chars().any(|ch| ch.is_ascii_digit())
            && !POSITION_WORDS
                .iter()
                .any(|w| c.to_ascii_lowercase().contains(w))
    });
    format!("{}.{}", el.value().name(), class.unwrap_or(""))
}

/// Assigns each link to its list and picks the main list.
pub(super) fn analyse(links: &[ElementRef<'_>]) -> Groups {
    // (parent, item shape, level) → distinct items holding a link.
    type Key = (NodeId, String, usize);
    let mut items: HashMap<Key, HashSet<NodeId>> = HashMap::new();
    let mut chains: Vec<Vec<(Key, ElementRef<'_>)>> = Vec::with_capacity(links.len());
    for a in links {
        let mut chain = Vec::new();
        let mut child = *a;
        for level in 1..=MAX_LEVELS {
            let Some(parent) = child.parent().and_then(ElementRef::wrap) else {
                break;
            };
            if matches!(parent.value().name(), "body" | "html") {
                break;
            }
            // The item at this level is `child` when it is not the link itself.
            if level > 1 || child.id() != a.id() {
                let key = (parent.id(), shape(child), level);
                items.entry(key.clone()).or_default().insert(child.id());
                chain.push((key, child));
            }
            child = parent;
        }
        chains.push(chain);
    }
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut members: Vec<Vec<(usize, ElementRef<'_>)>> = Vec::new();
    let mut of_link = Vec::with_capacity(links.len());
    let mut small_checked = 0usize;
    for (i, chain) in chains.into_iter().enumerate() {
        let repeated = chain
            .iter()
            .position(|(key, _)| items.get(key).is_some_and(|s| s.len() >= MIN_REPEATS));
        // The last page of a listing may hold one or two entries: an item showing a date
        // (and no other link) is a list too. Bounded, as the item's subtree is searched.
        let found = match repeated {
            Some(at) => chain.into_iter().nth(at),
            None if small_checked < MAX_SMALL_CHECKS => {
                small_checked += 1;
                let href = links[i].value().attr("href");
                chain
                    .into_iter()
                    .take(SMALL_LEVELS)
                    .find(|(_, item)| lone_dated_item(*item, href))
            }
            None => None,
        };
        of_link.push(found.map(|(key, item)| {
            let g = *index.entry(key).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[g].push((i, item));
            (g, item.id())
        }));
    }
    let groups: Vec<Group> = members.iter().map(|m| score(m, links)).collect();
    let main = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.score > 0.0 && !g.side)
        .max_by(|a, b| a.1.score.total_cmp(&b.1.score).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i);
    Groups {
        of_link,
        groups,
        main,
    }
}

/// Scores one list from its (link index, item) members.
fn score(members: &[(usize, ElementRef<'_>)], links: &[ElementRef<'_>]) -> Group {
    let mut seen_items = HashSet::new();
    let (mut n, mut dated, mut headline_chars) = (0usize, 0usize, 0usize);
    for (i, item) in members {
        if !seen_items.insert(item.id()) {
            continue;
        }
        n += 1;
        dated += usize::from(item_date(*item).is_some());
        headline_chars += collapse_whitespace(&links[*i].text().collect::<String>())
            .chars()
            .count();
    }
    let Some((_, first_item)) = members.first() else {
        return Group {
            score: 0.0,
            side: false,
        };
    };
    let list = first_item.parent().and_then(ElementRef::wrap);
    let side = list.is_some_and(|l| side_block(l));
    let main = list.is_some_and(|l| in_main_content(l));
    let nf = n as f64;
    let mut s = nf * (1.0 + dated as f64 / nf.max(1.0));
    if headline_chars / n.max(1) < 20 {
        s *= 0.5;
    }
    if side {
        s *= 0.2;
    }
    if main {
        s *= 1.5;
    }
    Group { score: s, side }
}

/// The date an element marks up as one: a `<time>` (its `datetime`, else its text), else
/// a date-classed element whose text has a digit.
pub(super) fn marked_date(el: ElementRef<'_>) -> Option<String> {
    if let Some(t) = el.select(&TIME).next() {
        let v = t
            .value()
            .attr("datetime")
            .map(str::to_string)
            .unwrap_or_else(|| collapse_whitespace(&t.text().collect::<String>()));
        if !v.is_empty() {
            return Some(v);
        }
    }
    let d = el.select(&DATE_CLASS).next()?;
    let v = collapse_whitespace(&d.text().collect::<String>());
    v.chars().any(|c| c.is_ascii_digit()).then_some(v)
}

/// An item that holds no link elsewhere than `href` and shows a date.
fn lone_dated_item(item: ElementRef<'_>, href: Option<&str>) -> bool {
    item.select(&LINKS).all(|l| l.value().attr("href") == href) && item_date(item).is_some()
}

/// The date shown in an item: a `<time>`, a date-classed element, or else the first short
/// text that reads as a date (a table row's date cell has no class at all).
pub(super) fn item_date(item: ElementRef<'_>) -> Option<String> {
    if let Some(v) = marked_date(item) {
        return Some(v);
    }
    item.text()
        .map(str::trim)
        .filter(|t| {
            !t.is_empty() && t.len() <= MAX_DATE_TEXT && t.chars().any(|c| c.is_ascii_digit())
        })
        .find(|t| looks_like_date(t))
        .map(collapse_whitespace)
}

fn names(el: ElementRef<'_>) -> impl Iterator<Item = String> + '_ {
    el.value()
        .id()
        .into_iter()
        .chain(el.value().classes())
        .map(str::to_ascii_lowercase)
}

/// A list that sits in a side block: side-ish names on it or its ancestors, a narrow
/// fixed-width table cell or column around it, or a "Последние новости" label right before it.
fn side_block(list: ElementRef<'_>) -> bool {
    let named = list
        .ancestors()
        .filter_map(ElementRef::wrap)
        .chain([list])
        .any(|e| {
            names(e).any(|n| SIDE_WORDS.iter().any(|w| n.contains(w)))
                || e.value()
                    .attr("width")
                    .and_then(|w| w.trim().parse::<u32>().ok())
                    .is_some_and(|w| w <= 250)
        });
    named || labelled_as_side(list)
}

/// The text right before the list (its previous siblings, or its parent's) names a side
/// block.
fn labelled_as_side(list: ElementRef<'_>) -> bool {
    let mut el = Some(list);
    for _ in 0..2 {
        let Some(e) = el else { break };
        let label = e.prev_siblings().find_map(|n| {
            let t = match ElementRef::wrap(n) {
                Some(el) => el.text().collect::<String>(),
                None => n
                    .value()
                    .as_text()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            };
            let t = t.trim().to_lowercase();
            (!t.is_empty()).then_some(t)
        });
        if let Some(t) = label {
            return t.chars().count() <= 60 && SIDE_LABELS.iter().any(|w| t.contains(w));
        }
        el = e.parent().and_then(ElementRef::wrap);
    }
    false
}

/// The list sits in the page's main content (`main`, `[role=main]`, `#content`, ...).
fn in_main_content(list: ElementRef<'_>) -> bool {
    list.ancestors()
        .filter_map(ElementRef::wrap)
        .chain([list])
        .any(|e| {
            e.value().name() == "main"
                || e.value().attr("role") == Some("main")
                || names(e).any(|n| {
                    MAIN_WORDS.iter().any(|w| {
                        n == *w || n.starts_with(&format!("{w}-")) || n.ends_with(&format!("-{w}"))
                    })
                })
        })
}
