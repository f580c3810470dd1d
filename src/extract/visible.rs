//! Zero-config title and date from what the page shows, for pages without structured data
//! (hand-made table layouts, Drupal and Bitrix themes without OpenGraph).
//!
//! Title: the main heading (`h1` outside page chrome), else the part of `<title>` that is
//! not the site name (" :: Site", " | Site", " — Site", " - Site"), else the listing's link
//! text, which may be cut with "..."/"…" (then the page's full text that starts with it is
//! preferred). When the listing's text is known, a heading that disagrees with it (a section
//! name such as "Новости" in the `h1`) is not the title.
//!
//! Date: the visible date nearest the title in the title's own block (after it first, then
//! before it), never one in page chrome (a header "today" widget, a sidebar list).

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;

use super::discover::in_chrome;
use super::html::sel;
use crate::core::dates::looks_like_date;
use crate::core::text::collapse_whitespace;

/// What the listing showed for the article, when it was reached from a listing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listed<'a> {
    pub title: Option<&'a str>,
    pub date_text: Option<&'a str>,
}

static H1: LazyLock<Selector> = LazyLock::new(|| sel("h1"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| sel("title"));
/// Elements that may hold a headline as their whole text.
static HEADING_LIKE: LazyLock<Selector> =
    LazyLock::new(|| sel("h1, h2, h3, h4, h5, h6, b, strong, font, td, th, div, p, span, em, big"));

/// Elements that may show nothing but the page's date inside a content container.
static DATE_BLOCKS: LazyLock<Selector> =
    LazyLock::new(|| sel("time, span, div, p, td, font, small, em"));

/// Longest text, and most words, of an element that is only a date.
const BARE_DATE_CHARS: usize = 40;
const BARE_DATE_WORDS: usize = 6;

/// Separators between a headline and the site name in `<title>`.
const SEPARATORS: &[&str] = &[" :: ", " | ", " — ", " – ", " - ", " / ", " « ", " » "];

/// Longest text compared as a possible headline.
const MAX_HEADLINE_CHARS: usize = 400;

/// Text nodes looked at after the title for its date, and before it.
const DATE_SCAN_AFTER: usize = 12;
const DATE_SCAN_BEFORE: usize = 6;

/// A date text is short; a longer text node after the title is the body starting.
const MAX_DATE_CHARS: usize = 80;

/// Text a block needs besides the title to be the title's own block (not just its cell).
const BLOCK_MIN_CHARS: usize = 200;

/// A found title: its text, the ladder step, and the element showing it (where the date
/// search starts).
pub(super) struct Title {
    pub(super) text: String,
    pub(super) step: &'static str,
    pub(super) element: Option<NodeId>,
}

fn norm(s: &str) -> String {
    collapse_whitespace(s).to_lowercase().replace('ё', "е")
}

/// The listing's link text without a trailing ellipsis, and whether it was cut.
fn listed_text(t: &str) -> (String, bool) {
    let t = collapse_whitespace(t);
    let bare = t.trim_end_matches(['.', '…']).trim_end();
    let cut = bare.len() < t.len() && (t.ends_with("...") || t.ends_with('…'));
    (if cut { bare.to_string() } else { t }, cut)
}

/// Whether a page text and the listing's text name the same article.
fn agrees(text: &str, listed: &(String, bool)) -> bool {
    let (t, l) = (norm(text), norm(&listed.0));
    !t.is_empty() && !l.is_empty() && (t.starts_with(&l) || (!listed.1 && l.starts_with(&t)))
}

/// Whether a heading and the listing's text are about the same article: they share at
/// least half the words of the shorter one. A listing often shows a shorter headline than
/// the page ("Статья 1" / "Статья номер 1"); a section name ("Новости") shares nothing.
fn related(heading: &str, listed: &(String, bool)) -> bool {
    let words = |s: &str| -> Vec<String> {
        norm(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (h, l) = (words(heading), words(&listed.0));
    let shorter = h.len().min(l.len());
    let common = l.iter().filter(|w| h.contains(w)).count();
    shorter > 0 && common * 2 >= shorter
}

/// Whole text of `el` when it is at most [`MAX_HEADLINE_CHARS`] long (stops reading early).
fn short_text(el: ElementRef<'_>) -> Option<String> {
    let mut out = String::new();
    for t in el.text() {
        out.push_str(t);
        if out.len() > MAX_HEADLINE_CHARS * 4 {
            return None;
        }
    }
    let out = collapse_whitespace(&out);
    (!out.is_empty() && out.chars().count() <= MAX_HEADLINE_CHARS).then_some(out)
}

/// The element outside chrome and outside links whose whole text satisfies `want`, the
/// shortest such text first (a block holding the headline, its date and the body starts
/// with the headline too), the first in the page among equals.
fn element_with_text(doc: &Html, want: impl Fn(&str) -> bool) -> Option<(String, NodeId)> {
    doc.select(&HEADING_LIKE)
        .filter(|e| {
            !e.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.value().name() == "a")
        })
        .filter_map(|e| short_text(e).filter(|t| want(t)).map(|t| (t, e)))
        .filter(|(_, e)| !in_chrome(*e))
        .min_by_key(|(t, _)| t.len())
        .map(|(t, e)| (t, e.id()))
}

/// The pieces of `<title>`: without the site name when `og:site_name` is known, then every
/// piece around a separator, then the whole text last.
fn title_pieces(doc: &Html, site_name: Option<&str>) -> Vec<String> {
    let Some(full) = doc
        .select(&TITLE)
        .next()
        .map(|t| collapse_whitespace(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty())
    else {
        return Vec::new();
    };
    let mut pieces = Vec::new();
    if let Some(site) = site_name.filter(|s| !s.is_empty()) {
        pieces.extend(
            SEPARATORS
                .iter()
                .filter_map(|sep| full.strip_suffix(&format!("{sep}{site}")))
                .map(|t| t.trim().to_string()),
        );
    }
    for sep in SEPARATORS {
        if full.contains(sep) {
            pieces.extend(
                full.split(sep)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
    }
    pieces.push(full);
    pieces
}

/// The title of a page without structured data (see the module docs).
pub(super) fn title(doc: &Html, site_name: Option<&str>, listed: Listed<'_>) -> Option<Title> {
    let as_listed = listed.title.map(collapse_whitespace);
    let listed = listed.title.map(listed_text).filter(|l| !l.0.is_empty());
    let found = |text: String, step, element| {
        Some(Title {
            text,
            step,
            element,
        })
    };
    let h1 = doc
        .select(&H1)
        .filter(|h| !in_chrome(*h))
        .find_map(|h| short_text(h).map(|t| (t, h.id())));
    if let Some((t, id)) = &h1
        && listed.as_ref().is_none_or(|l| related(t, l))
    {
        return found(t.clone(), "h1", Some(*id));
    }
    let pieces = title_pieces(doc, site_name);
    let on_page = |p: &String| element_with_text(doc, |t| t == p).map(|(_, id)| id);
    if let Some(l) = &listed {
        // The whole `<title>` starts with the listing's text too, site name and all: a
        // piece must match it exactly (or, for a cut text, start with it).
        let matches = |p: &String| {
            let (p, t) = (norm(p), norm(&l.0));
            if l.1 { p.starts_with(&t) } else { p == t }
        };
        if let Some(p) = pieces.iter().find(|p| matches(p)) {
            let step = match pieces.last() == Some(p) {
                true => "title",
                false => "title minus site name",
            };
            return found(p.clone(), step, on_page(p));
        }
        if let Some((t, id)) = element_with_text(doc, |t| agrees(t, l)) {
            return found(t, "page text matching the listing title", Some(id));
        }
        // Cut or not, as the listing shows it: an ellipsis tells the reader it is cut.
        return found(as_listed.unwrap_or_default(), "listing title", None);
    }
    let (full, parts) = pieces.split_last()?;
    // A piece the page also shows as a block of its own is the headline.
    if let Some((p, id)) = parts.iter().find_map(|p| on_page(p).map(|id| (p, id))) {
        return found(p.clone(), "title minus site name", Some(id));
    }
    if let Some((t, id)) = h1 {
        return found(t, "h1", Some(id));
    }
    let stripped = site_name.filter(|s| !s.is_empty()).and_then(|site| {
        SEPARATORS
            .iter()
            .find_map(|sep| full.strip_suffix(&format!("{sep}{site}")))
    });
    if let Some(t) = stripped {
        return found(t.trim().to_string(), "title minus site name", None);
    }
    let strong = [" :: ", " | "];
    let best = match strong.iter().any(|s| full.contains(s)) {
        true => parts.iter().max_by_key(|p| p.chars().count()),
        false => Some(full),
    };
    best.and_then(|t| found(t.clone(), "title", None))
}

/// The visible date nearest the title element, inside the title's own block.
pub(super) fn date_near(doc: &Html, title: NodeId) -> Option<String> {
    let el = doc.tree.get(title).and_then(ElementRef::wrap)?;
    let title_text: usize = el.text().map(str::len).sum();
    // The title's block: the first ancestor holding more than the title.
    let block = el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take_while(|a| !matches!(a.value().name(), "body" | "html"))
        .take(6)
        .find(|a| {
            a.text()
                .map(str::len)
                .sum::<usize>()
                .saturating_sub(title_text)
                >= BLOCK_MIN_CHARS
        })?;
    let inside_title =
        |n: &ego_tree::NodeRef<'_, scraper::Node>| n.ancestors().any(|a| a.id() == title);
    let mut before: Vec<(String, NodeId)> = Vec::new();
    let mut after = 0usize;
    let mut passed = false;
    for node in block.descendants() {
        let Some(text) = node.value().as_text() else {
            continue;
        };
        let t = collapse_whitespace(text);
        if t.is_empty() {
            continue;
        }
        if inside_title(&node) {
            passed = true;
            continue;
        }
        let parent = node.parent().and_then(ElementRef::wrap);
        if !passed {
            before.push((t, node.id()));
            continue;
        }
        after += 1;
        if after > DATE_SCAN_AFTER || t.chars().count() > MAX_DATE_CHARS {
            break;
        }
        if parent.is_some_and(|p| !in_chrome(p)) && looks_like_date(&t) {
            return Some(t);
        }
    }
    before
        .into_iter()
        .rev()
        .take(DATE_SCAN_BEFORE)
        .filter(|(t, _)| t.chars().count() <= MAX_DATE_CHARS)
        .find(|(t, id)| {
            doc.tree
                .get(*id)
                .and_then(|n| n.parent())
                .and_then(ElementRef::wrap)
                .is_some_and(|p| !in_chrome(p))
                && looks_like_date(t)
        })
        .map(|(t, _)| t)
}

/// Elements below `container` whose whole text is a date (a Drupal Date field, a Bitrix
/// `.news-date-time` inside the content block): the page's date, not body text.
pub(super) fn bare_dates(doc: &Html, container: NodeId) -> Vec<NodeId> {
    let Some(el) = doc.tree.get(container).and_then(ElementRef::wrap) else {
        return Vec::new();
    };
    el.select(&DATE_BLOCKS)
        .filter(|e| e.id() != container)
        .filter(|e| {
            short_text(*e).is_some_and(|t| {
                t.chars().count() <= BARE_DATE_CHARS
                    && t.split_whitespace().count() <= BARE_DATE_WORDS
                    && looks_like_date(&t)
            })
        })
        .map(|e| e.id())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "<table><tr><td>Логотип</td><td><font size=1>Сегодня: 6 декабря 2026 г.</font></td></tr></table>";

    fn page(title: &str, main: &str) -> Html {
        Html::parse_document(&format!(
            "<html><head><title>{title}</title></head><body>{HEADER}<table><tr>\
             <td width=200><b>Последние новости</b><br><font size=1>24.09.25</font> <a href=a.html>Другая новость</a></td>\
             <td>{main}</td></tr></table></body></html>"
        ))
    }

    const BODY: &str = "<p>Прокурор области провёл расширенное совещание с руководителями районных и приравненных к ним прокуратур области.</p>\
        <p>На совещании подведены итоги работы за девять месяцев, обсуждены вопросы защиты прав граждан и бизнеса.</p>";

    fn listed(title: &str) -> Listed<'_> {
        Listed {
            title: Some(title),
            date_text: None,
        }
    }

    #[test]
    fn title_minus_site_name_and_the_date_below_it() {
        let doc = page(
            "Совещание с руководителями :: Прокуратура области",
            &format!(
                "<table><tr><td><font size=4><b>Совещание с руководителями</b></font></td></tr>\
                 <tr><td><font size=1>24.09.2025 г., 10:30</font></td></tr><tr><td>{BODY}</td></tr></table>"
            ),
        );
        let t = title(&doc, None, Listed::default()).unwrap();
        assert_eq!(t.text, "Совещание с руководителями");
        assert_eq!(t.step, "title minus site name");
        assert_eq!(
            date_near(&doc, t.element.unwrap()).as_deref(),
            Some("24.09.2025 г., 10:30")
        );
    }

    #[test]
    fn a_cut_listing_title_finds_the_full_text_and_no_date_is_not_the_today_widget() {
        let doc = page(
            "Новости :: Прокуратура области",
            &format!(
                "<div><b>Прокурор области провёл совещание с руководителями</b></div><div>{BODY}</div>"
            ),
        );
        let t = title(&doc, None, listed("Прокурор области провёл...")).unwrap();
        assert_eq!(t.text, "Прокурор области провёл совещание с руководителями");
        assert_eq!(t.step, "page text matching the listing title");
        assert_eq!(date_near(&doc, t.element.unwrap()), None);
    }

    #[test]
    fn a_section_name_in_h1_is_not_the_title() {
        let doc = page(
            "Новости",
            &format!(
                "<h1>Новости</h1><h2>Итоги приёма граждан</h2><span>16 сентября 2025 г.</span>{BODY}"
            ),
        );
        let t = title(&doc, None, listed("Итоги приёма граждан")).unwrap();
        assert_eq!(t.text, "Итоги приёма граждан");
        assert_eq!(
            date_near(&doc, t.element.unwrap()).as_deref(),
            Some("16 сентября 2025 г.")
        );
        // Without the listing's text the h1 is all there is.
        assert_eq!(
            title(&doc, None, Listed::default()).unwrap().text,
            "Новости"
        );
        // Nothing on the page: the listing's (cut) text.
        let bare = page("Новости", BODY);
        let t = title(&bare, None, listed("Итоги приёма граждан в сельских...")).unwrap();
        assert_eq!(
            (t.text.as_str(), t.step),
            ("Итоги приёма граждан в сельских...", "listing title")
        );
    }

    #[test]
    fn a_date_only_element_in_the_content_is_not_body_text() {
        let doc = Html::parse_document(&format!(
            "<article><div class=f><time datetime=2025-09-24T05:05:00Z>24.09.2025 - 10:05</time></div>{BODY}</article>"
        ));
        let article = doc.select(&sel("article")).next().unwrap().id();
        let dates = bare_dates(&doc, article);
        let names: Vec<&str> = dates
            .iter()
            .filter_map(|id| doc.tree.get(*id).and_then(ElementRef::wrap))
            .map(|e| e.value().name())
            .collect();
        assert_eq!(names, vec!["div", "time"]);
    }
}
