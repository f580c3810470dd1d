//! Zero-config body extraction: a readability-style main-content finder (the `dom_smoothie`
//! crate, a close port of Mozilla's readability.js), text-based boilerplate rules, and the
//! press-service signature line that doubles as the author.
//!
//! Everything here is synchronous and pure, like [`crate::extract`], which calls it.

use std::sync::LazyLock;

use ego_tree::NodeId;
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::html::sel;
use crate::core::text::collapse_whitespace;

/// The main content of a page as readability sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    /// The article's HTML, readability's cleaned tree (not yet sanitized).
    pub html: String,
    /// Characters of visible text.
    pub text_chars: usize,
}

/// Runs readability on a whole page. `None` when it finds nothing article-like or the page
/// is too big for it (it refuses pages with very many elements rather than being slow).
pub fn main_content(html: &str, page_url: &Url) -> Option<Readable> {
    let cfg = dom_smoothie::Config {
        // Press releases are often a few short paragraphs; readability.js's 500-character
        // default would make it give up and return the whole page instead.
        char_threshold: 200,
        // Metadata comes from our own structured-data ladder; this is only for the body.
        disable_json_ld: true,
        max_elements_to_parse: 20_000,
        ..Default::default()
    };
    let mut r = dom_smoothie::Readability::new(html, Some(page_url.as_str()), Some(cfg)).ok()?;
    let article = r.parse().ok()?;
    let text_chars = collapse_whitespace(&article.text_content).chars().count();
    (text_chars > 0).then(|| Readable {
        html: article.content.to_string(),
        text_chars,
    })
}

/// Whole-element texts that are always boilerplate (compared case-insensitively, after
/// trimming punctuation and dashes).
const JUNK_EXACT: &[&str] = &[
    "exit mobile version",
    "go to mobile version",
    "мобильная версия",
    "back to top",
    "наверх",
    "поделиться",
    "поделиться в соцсетях",
    "реклама",
    "версия для печати",
    "печать",
    "скачать pdf",
    "leave a comment",
    "добавить комментарий",
    "related posts",
    "похожие новости",
    "похожие записи",
    "популярное",
    "читайте также",
    "подписывайтесь",
];

/// Openings of short boilerplate blocks ("Читайте также: <link>", "Tags: a, b").
const JUNK_PREFIX: &[&str] = &[
    "читайте также",
    "подписывайтесь",
    "подпишитесь на наш",
    "поделиться",
    "categories:",
    "tags:",
    "метки:",
    "рубрика:",
    "related posts",
    "похожие новости",
    "версия для печати",
    "скачать pdf",
];

/// Elements longer than this are real text even if they open with a junk word.
const MAX_JUNK_CHARS: usize = 200;

static TEXT_BLOCKS: LazyLock<Selector> = LazyLock::new(|| {
    sel("p, div, span, li, ul, h2, h3, h4, h5, h6, a, em, strong, b, section, aside")
});

fn trim_decor(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | '—' | ':' | '.' | '!' | '|' | '•' | '«' | '»')
    })
}

/// Whether an element's whole text marks it as boilerplate. Only short elements qualify, so
/// a paragraph that merely mentions "реклама" or "поделиться" stays.
pub fn is_junk_text(text: &str) -> bool {
    let t = collapse_whitespace(text).to_lowercase();
    if t.is_empty() || t.chars().count() > MAX_JUNK_CHARS {
        return false;
    }
    let core = trim_decor(&t);
    if JUNK_EXACT.contains(&core) {
        return true;
    }
    if JUNK_PREFIX
        .iter()
        .any(|p| t.starts_with(p) || core.starts_with(p))
    {
        return true;
    }
    // Cookie banners: short, mention cookies and ask for consent or explain their use.
    t.contains("cookie")
        && [
            "использ",
            "принять",
            "соглас",
            "we use",
            "accept",
            "consent",
        ]
        .iter()
        .any(|w| t.contains(w))
}

/// Elements below `content` (never `content` itself) whose whole text is boilerplate.
pub fn junk_text_nodes(doc: &Html, content: NodeId) -> Vec<NodeId> {
    let Some(el) = doc.tree.get(content).and_then(ElementRef::wrap) else {
        return Vec::new();
    };
    el.select(&TEXT_BLOCKS)
        .filter(|e| e.id() != content && short_text(*e).is_some_and(|t| is_junk_text(&t)))
        .map(|e| e.id())
        .collect()
}

/// An element's text, or `None` as soon as it is certainly longer than [`MAX_JUNK_CHARS`]:
/// most blocks are real paragraphs (and wrappers of them), and copying and lowercasing
/// each one was a sixth of the CPU of extracting an article.
fn short_text(e: ElementRef<'_>) -> Option<String> {
    let mut text = String::new();
    // Non-space characters: a lower bound of the collapsed length is_junk_text measures.
    let mut chars = 0;
    for t in e.text() {
        chars += t.chars().filter(|c| !c.is_whitespace()).count();
        if chars > MAX_JUNK_CHARS {
            return None;
        }
        text.push_str(t);
    }
    Some(text)
}

/// The default signature pattern: a closing "Пресс-служба …" / "Баспасөз қызметі …" line.
pub static DEFAULT_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:Пресс-служба|Баспасөз қызметі)\b.*")
        .unwrap_or_else(|e| panic!("built-in regex: {e}"))
});

static BLOCKS: LazyLock<Selector> = LazyLock::new(|| sel("p, div, td, li, h3, h4, h5, h6"));

/// The signature line closing a press release: the last non-empty text block of the body
/// when it matches `pattern` (anchored as written) and is short enough to be a signature.
pub fn signature(content_html: &str, pattern: &Regex) -> Option<String> {
    let frag = Html::parse_fragment(content_html);
    let last = frag
        .select(&BLOCKS)
        // Innermost blocks only: a wrapper's text is its children's text.
        .filter(|e| e.select(&BLOCKS).nth(1).is_none())
        .map(|e| collapse_whitespace(&e.text().collect::<String>()))
        .rfind(|t| !t.is_empty())?;
    (last.chars().count() <= 120 && pattern.is_match(&last)).then_some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_text_matches_whole_short_elements_only() {
        assert!(is_junk_text("Exit mobile version"));
        assert!(is_junk_text(" - Реклама - "));
        assert!(is_junk_text(
            "Читайте также: Прокуроры Алматы провели приём граждан"
        ));
        assert!(is_junk_text(
            "Мы используем cookie-файлы, чтобы улучшить работу сайта."
        ));
        assert!(is_junk_text("Tags: форум, прокуратура"));
        assert!(!is_junk_text(
            "Реклама лекарств без лицензии запрещена, напомнили в прокуратуре."
        ));
        assert!(!is_junk_text("Участники форума поделились опытом."));
        let long = format!("Читайте также {}", "очень длинный текст ".repeat(20));
        assert!(!is_junk_text(&long));
    }

    #[test]
    fn signature_is_the_last_block() {
        let html = "<p>Текст релиза.</p><p><strong>Пресс-служба Генеральной прокуратуры</strong></p><p>&nbsp;</p>";
        assert_eq!(
            signature(html, &DEFAULT_SIGNATURE).as_deref(),
            Some("Пресс-служба Генеральной прокуратуры")
        );
        assert_eq!(
            signature(
                "<p>Пресс-служба сообщает, что…</p><p>Конец.</p>",
                &DEFAULT_SIGNATURE
            ),
            None
        );
        assert_eq!(
            signature(
                "<p>ҚР Бас прокуратурасы</p><p>Баспасөз қызметі</p>",
                &DEFAULT_SIGNATURE
            )
            .as_deref(),
            Some("Баспасөз қызметі")
        );
    }

    #[test]
    fn readability_finds_a_short_table_layout_body() {
        let html = "<html><body><table><tr><td class=menu><a href=a.html>Новости</a></td><td><table>\
            <tr><td><b>Заголовок</b></td></tr><tr><td>\
            <p>Первый абзац пресс-релиза, в котором рассказывается о важном событии в жизни прокуратуры области.</p>\
            <p>Второй абзац, где приводятся подробности: цифры, фамилии, сроки, меры реагирования прокуроров.</p>\
            <p>Пресс-служба</p></td></tr></table></td></tr></table></body></html>";
        let url = Url::parse("http://x.kz/a.html").unwrap();
        let r = main_content(html, &url).expect("content");
        assert!(r.html.contains("Первый абзац"), "{}", r.html);
        assert!(!r.html.contains("Новости"), "{}", r.html);
    }
}
