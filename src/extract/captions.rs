//! What sits in article bodies but is not body text: figure captions (`figcaption`, the
//! WordPress caption markup of both editors, `[caption]` shortcode leftovers), photo-credit
//! lines ("Фото: …", "Иллюстративное фото", "Инфографика: …", "Сурет: …") and download
//! buttons ("Скачать", "Жүктеу", `.wp-block-file__button`, file links styled as buttons).
//!
//! Images stay: a caption block that holds the image loses its text, never the `<img>`.
//! Only short, whole texts qualify, so a paragraph that mentions "фото" in a sentence stays.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use ego_tree::NodeId;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};

use super::html::{IMG, sel};
use crate::core::text::collapse_whitespace;

/// Caption markup, removed with its text (the images of a figure are its siblings).
static CAPTION_MARKUP: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "figcaption, .wp-caption-text, .wp-element-caption, .wp-caption-dd, .gallery-caption, \
         .blocks-gallery-caption, .wp-block-file__button, .wpdm-download-link, .download-button",
    )
});

/// Links styled as buttons; a download when they point to a file.
static BUTTON_LINKS: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        "a.btn, a.button, a.wp-block-button__link, a.download, a.elementor-button, \
         a[role=button]",
    )
});

/// Blocks whose whole text may be a credit line or a download label.
static SHORT_BLOCKS: LazyLock<Selector> = LazyLock::new(|| {
    sel("p, div, span, em, i, strong, b, small, center, font, td, dd, h5, h6, cite, a, li")
});

/// Credit and download lines are short; a longer text is a real paragraph.
const MAX_CAPTION_CHARS: usize = 150;

fn built_in(re: &str) -> Regex {
    Regex::new(re).unwrap_or_else(|e| panic!("built-in regex: {e}"))
}

/// "Фото: …", "Сурет — …", "Инфографика: …": a credit label, a separator, a name.
static CREDIT_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^(?:фото|фотография|фотографии|фото и видео|фото/видео|видео|фотоматериалы|источник фото|автор фото|фотограф|иллюстрация|инфографика|сурет|суреттер|фотосурет|бейне|photo|photos|image|credit|photo credit)\s*(?::|—|–|-)\s*\S",
    )
});

/// Credit lines without a label: the whole text is one of these phrases.
static CREDIT_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^(?:иллюстративное фото|фото иллюстративное|иллюстративное изображение|фото носит иллюстративный характер|архивное фото|фото из архива|фото автора|фото из открытых (?:интернет-)?источников|фото из интернета|фото из сети интернет|фото с сайта \S+|фото предоставлено? .+|фото пресс-службы .+|көрнекі сурет|иллюстрациялық сурет|сурет ашық дереккөздерден(?: алынды)?|сурет интернеттен алынды|сурет ғаламтордан алынды|архив суреті|сурет .+ баспасөз қызметінен алынды)$",
    )
});

/// Download labels: "Скачать", "Скачать файл", "Скачать (PDF, 1,2 МБ)", "Жүктеу".
static DOWNLOAD_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^(?:скачать|жүктеу|жүктеп алу|download)(?: файл| документ| құжатты)?(?:\s*\([^)]*\)?)?$",
    )
});

/// File extensions a download button points to.
const FILE_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf", "zip", "rar", "7z",
    "txt", "csv",
];

fn trim_decor(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | '—' | '.' | '|' | '•' | '«' | '»' | '(' | ')')
    })
}

/// Whether a whole (short) text is a photo credit or a caption label.
pub(super) fn is_credit(text: &str) -> bool {
    // Every text node of every body comes here: a long one is a paragraph, decided on its
    // byte length before any copy (a character is at most 4 bytes).
    if text.len() > MAX_CAPTION_CHARS * 4 {
        return false;
    }
    let t = collapse_whitespace(text).to_lowercase();
    if t.is_empty() || t.chars().count() > MAX_CAPTION_CHARS {
        return false;
    }
    let core = trim_decor(&t);
    CREDIT_LABEL.is_match(core) || CREDIT_PHRASE.is_match(core)
}

/// Whether a whole (short) text is a download button label.
pub(super) fn is_download_label(text: &str) -> bool {
    let t = collapse_whitespace(text).to_lowercase();
    t.chars().count() <= 60 && DOWNLOAD_LABEL.is_match(trim_decor(&t))
}

fn links_to_file(a: ElementRef<'_>) -> bool {
    a.value().attr("href").is_some_and(|h| {
        let path = h.split(['?', '#']).next().unwrap_or_default();
        path.rsplit_once('.').is_some_and(|(_, ext)| {
            FILE_EXTENSIONS
                .iter()
                .any(|x| x.eq_ignore_ascii_case(ext.trim()))
        })
    })
}

fn short_text(e: ElementRef<'_>) -> Option<String> {
    let mut text = String::new();
    for t in e.text() {
        text.push_str(t);
        if text.len() > MAX_CAPTION_CHARS * 4 {
            return None;
        }
    }
    Some(text)
}

/// Text nodes below `e`: what goes when a credit block also holds an image.
fn text_nodes(e: ElementRef<'_>) -> impl Iterator<Item = NodeId> + '_ {
    e.descendants()
        .filter(|n| matches!(n.value(), Node::Text(t) if !t.trim().is_empty()))
        .map(|n| n.id())
}

/// Word stems every credit line and download label contains, in the cases they are written
/// in. Most bodies contain none, and then only the markup rules run: the text rules below
/// walk every block, which was a noticeable share of extracting an article.
const TRIGGERS: &[&str] = &[
    "фото",
    "Фото",
    "ФОТО",
    "сурет",
    "Сурет",
    "СУРЕТ",
    "инфограф",
    "Инфограф",
    "ИНФОГРАФ",
    "иллюстр",
    "Иллюстр",
    "ИЛЛЮСТР",
    "видео",
    "Видео",
    "ВИДЕО",
    "бейне",
    "Бейне",
    "БЕЙНЕ",
    "скачать",
    "Скачать",
    "СКАЧАТЬ",
    "жүкте",
    "Жүкте",
    "ЖҮКТЕ",
    "photo",
    "Photo",
    "PHOTO",
    "image",
    "Image",
    "IMAGE",
    "credit",
    "Credit",
    "CREDIT",
    "download",
    "Download",
    "DOWNLOAD",
];

fn has_trigger(text: &str) -> bool {
    // One automaton for all stems: a `memmem::find` per stem built a searcher per call and
    // per text node, which doubled the body-cleaning cost of every article.
    static STEMS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| AhoCorasick::new(TRIGGERS).ok());
    match STEMS.as_ref() {
        Some(ac) => ac.is_match(text),
        None => true,
    }
}

/// Nodes below `content` (never `content` itself) that are captions, credits or download
/// buttons, to be detached.
pub(super) fn caption_nodes(doc: &Html, content: NodeId) -> Vec<NodeId> {
    let Some(el) = doc.tree.get(content).and_then(ElementRef::wrap) else {
        return Vec::new();
    };
    let mut out: Vec<NodeId> = el.select(&CAPTION_MARKUP).map(|e| e.id()).collect();
    out.extend(
        el.select(&BUTTON_LINKS)
            .filter(|a| links_to_file(*a))
            .map(|e| e.id()),
    );
    if !el.text().any(has_trigger) {
        return out;
    }
    for e in el.select(&SHORT_BLOCKS).filter(|e| e.id() != content) {
        let Some(text) = short_text(e) else { continue };
        if !(is_credit(&text) || is_download_label(&text)) {
            continue;
        }
        if e.select(&IMG).next().is_some() {
            out.extend(text_nodes(e));
        } else {
            out.push(e.id());
        }
    }
    // A credit as a bare text line next to an image: `<p><img><br>Фото: …</p>`.
    out.extend(
        el.descendants()
            .filter(|n| matches!(n.value(), Node::Text(t) if is_credit(t)))
            .map(|n| n.id()),
    );
    out
}

/// Removes `[caption …]` shortcode leftovers (a plugin or importer that did not run the
/// shortcode): the opening tag, and the caption text between the image and `[/caption]`.
pub(super) fn strip_caption_shortcodes(doc: &mut Html, content: NodeId) {
    let Some(el) = doc.tree.get(content).and_then(ElementRef::wrap) else {
        return;
    };
    let texts: Vec<NodeId> = el
        .descendants()
        .filter(|n| matches!(n.value(), Node::Text(t) if t.contains("[caption") || t.contains("[/caption]")))
        .map(|n| n.id())
        .collect();
    for id in texts {
        let Some(mut n) = doc.tree.get_mut(id) else {
            continue;
        };
        let Node::Text(t) = n.value() else { continue };
        let cleaned = without_caption_shortcode(&t.text);
        t.text = cleaned.as_str().into();
    }
}

fn without_caption_shortcode(text: &str) -> String {
    static OPEN: LazyLock<Regex> = LazyLock::new(|| built_in(r"\[caption[^\]]*\]"));
    // WordPress's shortcode is `[caption]<img> caption text[/caption]`: the text before
    // the closing tag in the node after the image is the caption.
    let after_close = match text.find("[/caption]") {
        Some(i) => &text[i + "[/caption]".len()..],
        None => text,
    };
    OPEN.replace_all(after_close, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_are_whole_short_lines() {
        for t in [
            "Фото: пресс-служба прокуратуры области",
            "Иллюстративное фото",
            "Инфографика: Генеральная прокуратура",
            "Фото из открытых источников.",
            "Сурет: прокуратура баспасөз қызметі",
            "Сурет ашық дереккөздерден алынды",
            "Фото предоставлено пресс-службой ДП г. Астаны",
            "(Фото — Ерлан Ахметов)",
        ] {
            assert!(is_credit(t), "{t}");
        }
        for t in [
            "Прокуроры изучили фото и видеоматериалы, представленные родителями.",
            "Фото нарушений направлены в уполномоченные органы.",
            "Суреттерде азаматтарды қабылдау сәттері бейнеленген.",
            "Фотовыставка открылась в музее",
            "",
        ] {
            assert!(!is_credit(t), "{t}");
        }
        let long = format!("Фото: {}", "очень длинная подпись ".repeat(10));
        assert!(!is_credit(&long));
    }

    #[test]
    fn download_labels() {
        for t in [
            "Скачать",
            "Жүктеу",
            "Скачать (PDF, 1,2 МБ)",
            " Download ",
            "Скачать файл",
        ] {
            assert!(is_download_label(t), "{t}");
        }
        for t in [
            "Скачать приложение можно в App Store.",
            "Список проверенных школ",
        ] {
            assert!(!is_download_label(t), "{t}");
        }
    }

    #[test]
    fn caption_shortcode_text_goes_and_the_rest_stays() {
        assert_eq!(
            without_caption_shortcode(r#"[caption id="a_1" align="aligncenter" width="800"]"#),
            ""
        );
        assert_eq!(
            without_caption_shortcode(" Фото из открытых источников[/caption] Текст."),
            " Текст."
        );
        assert_eq!(without_caption_shortcode("Обычный текст"), "Обычный текст");
    }
}
