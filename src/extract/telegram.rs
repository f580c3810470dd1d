//! Telegram channel previews (`t.me/s/<channel>`): one page of server-rendered messages in,
//! the messages that make feed items out, with the link to the page of older ones.
//!
//! The markup, as the preview serves it: each message is a `.tgme_widget_message` with
//! `data-post="<channel>/<id>"` in a `.tgme_widget_message_wrap`; its text is a
//! `.tgme_widget_message_text`, its time a `time[datetime]` (UTC) in
//! `.tgme_widget_message_date`, photos `.tgme_widget_message_photo_wrap` and video
//! posters `.tgme_widget_message_video_thumb` carry their picture as a `background-image`
//! style. A reply quote, a "Forwarded from" header and a link-preview card sit in the same
//! bubble with texts and pictures of their own, so every lookup skips them.
//! Older messages are behind `link[rel=prev]` / `a.tme_messages_more[data-before]`.

use std::sync::LazyLock;

use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use super::html::sel;
use super::nesting::cap_nesting;
use crate::core::text::collapse_whitespace;

/// Titles longer than this are cut (after the first sentence, else at a word).
pub const TITLE_MAX_CHARS: usize = 120;

/// One message that makes a feed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramMessage {
    /// As `data-post` spells it.
    pub channel: String,
    pub id: u64,
    /// `<origin of the page>/<channel>/<id>`.
    pub link: Url,
    /// The `datetime` of the message's time (UTC, RFC 3339 as Telegram writes it).
    pub date: Option<String>,
    /// The time of an "edited" mark that states one (a bare mark states none).
    pub edited: Option<String>,
    pub title: String,
    /// The message text as HTML: paragraphs and line breaks, absolute links, emoji as
    /// characters; nothing else of the bubble.
    pub body_html: String,
    /// The post signature, when the channel signs its posts.
    pub author: Option<String>,
    /// The message's own photo (the first of an album) or its video's poster.
    pub image: Option<String>,
}

/// What one preview page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelegramPage {
    /// In page order (oldest first, as the preview shows them).
    pub messages: Vec<TelegramMessage>,
    /// The page of older messages (`?before=<id>`), if there are any.
    pub before: Option<Url>,
    /// Messages that are not items: (`channel/id`, why). Service messages, media without text.
    pub ignored: Vec<(String, &'static str)>,
    /// Messages that could not be read: (what, why).
    pub broken: Vec<(String, String)>,
}

static MESSAGE: LazyLock<Selector> = LazyLock::new(|| sel("div.tgme_widget_message"));
static TEXT: LazyLock<Selector> = LazyLock::new(|| sel(".tgme_widget_message_text"));
static DATE: LazyLock<Selector> = LazyLock::new(|| sel(".tgme_widget_message_date time[datetime]"));
static ANY_TIME: LazyLock<Selector> = LazyLock::new(|| sel("time[datetime]"));
static EDITED: LazyLock<Selector> = LazyLock::new(|| {
    sel(".tgme_widget_message_edited[datetime], .tgme_widget_message_edited time[datetime]")
});
static PICTURE: LazyLock<Selector> = LazyLock::new(|| {
    sel(
        ".tgme_widget_message_photo_wrap, .tgme_widget_message_video_thumb, \
         .tgme_widget_message_roundvideo_thumb",
    )
});
static SIGNATURE: LazyLock<Selector> = LazyLock::new(|| sel(".tgme_widget_message_from_author"));
static PREV: LazyLock<Selector> = LazyLock::new(|| sel("link[rel=prev][href]"));
static MORE: LazyLock<Selector> = LazyLock::new(|| sel("a.tme_messages_more[data-before][href]"));

/// Parts of a bubble that are not the message itself: their texts, times and pictures
/// belong to another message, another site or Telegram's own chrome.
const FOREIGN: [&str; 6] = [
    "tgme_widget_message_reply",
    "tgme_widget_message_forwarded_from",
    "tgme_widget_message_link_preview",
    "tgme_widget_message_edited",
    "tgme_widget_message_user",
    "tgme_widget_message_poll",
];

/// Reads one preview page. `page_url` is the URL it was fetched from: permalinks are made on
/// its origin and links resolved against it.
pub fn extract_telegram(html: &str, page_url: &Url) -> TelegramPage {
    let doc = Html::parse_document(&cap_nesting(html));
    let mut page = TelegramPage {
        before: before_link(&doc, page_url),
        ..TelegramPage::default()
    };
    for el in doc.select(&MESSAGE) {
        let post = el
            .value()
            .attr("data-post")
            .unwrap_or("")
            .trim()
            .to_string();
        match read_message(el, &post, page_url) {
            Ok(Read::Item(m)) => page.messages.push(*m),
            Ok(Read::NotAnItem(why)) => page.ignored.push((post, why)),
            Err(why) => page.broken.push((describe(&post, page_url), why)),
        }
    }
    page
}

enum Read {
    Item(Box<TelegramMessage>),
    NotAnItem(&'static str),
}

fn describe(post: &str, page_url: &Url) -> String {
    if post.is_empty() {
        format!("{page_url}: a message without data-post")
    } else {
        format!("{page_url}: message {post}")
    }
}

fn read_message(el: ElementRef<'_>, post: &str, page_url: &Url) -> Result<Read, String> {
    let (channel, id) = post
        .split_once('/')
        .and_then(|(c, id)| Some((c, id.parse::<u64>().ok()?)))
        .filter(|(c, _)| !c.is_empty() && !c.contains(['?', '#']))
        .ok_or_else(|| format!("data-post {post:?} is not <channel>/<id>"))?;
    if el.value().classes().any(|c| c == "service_message") {
        return Ok(Read::NotAnItem("service message"));
    }
    let Some(text_el) = own(el, &TEXT).next() else {
        return Ok(Read::NotAnItem("no text"));
    };
    let text = plain_text(text_el);
    if text.trim().is_empty() {
        return Ok(Read::NotAnItem("no text"));
    }
    let link = page_url
        .join(&format!("/{channel}/{id}"))
        .map_err(|e| format!("permalink for {post:?}: {e}"))?;
    let title = title_from_text(&text).ok_or_else(|| "no title in its text".to_string())?;
    let date = own(el, &DATE)
        .chain(own(el, &ANY_TIME))
        .find_map(|t| t.value().attr("datetime"))
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    // The mark sits in the message's own footer; a quoted message's mark is not this one's.
    let edited = el
        .select(&EDITED)
        .find(|e| {
            !e.ancestors()
                .filter_map(ElementRef::wrap)
                .take_while(|a| a.id() != el.id())
                .any(|a| {
                    a.value()
                        .classes()
                        .any(|c| c == "tgme_widget_message_reply")
                })
        })
        .and_then(|e| e.value().attr("datetime"))
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    Ok(Read::Item(Box::new(TelegramMessage {
        channel: channel.to_string(),
        id,
        link,
        date,
        edited,
        title,
        body_html: body_html(text_el, page_url),
        author: own(el, &SIGNATURE)
            .map(|a| collapse_whitespace(&a.text().collect::<String>()))
            .find(|a| !a.is_empty()),
        image: own(el, &PICTURE)
            .filter_map(|p| p.value().attr("style").and_then(background_image))
            .find_map(|u| page_url.join(&u).ok())
            .map(String::from),
    })))
}

/// Elements matching `selector` in `message` that belong to the message itself.
fn own<'a>(
    message: ElementRef<'a>,
    selector: &'a Selector,
) -> impl Iterator<Item = ElementRef<'a>> + 'a {
    message.select(selector).filter(move |e| {
        !std::iter::once(*e)
            .chain(
                e.ancestors()
                    .filter_map(ElementRef::wrap)
                    .take_while(move |a| a.id() != message.id()),
            )
            .any(|a| a.value().classes().any(|c| FOREIGN.contains(&c)))
    })
}

/// The URL of `background-image:url('…')` in a style attribute.
fn background_image(style: &str) -> Option<String> {
    let at = style.find("background-image")?;
    let rest = &style[at..];
    let open = rest.find("url(")? + 4;
    let close = rest[open..].find(')')? + open;
    let url = rest[open..close].trim().trim_matches(['\'', '"']).trim();
    (!url.is_empty() && !url.starts_with("data:")).then(|| url.to_string())
}

/// The page of older messages: `link[rel=prev]`, else the "more" link above the messages.
fn before_link(doc: &Html, page_url: &Url) -> Option<Url> {
    doc.select(&PREV)
        .chain(doc.select(&MORE))
        .filter_map(|e| e.value().attr("href"))
        .filter_map(|h| page_url.join(h.trim()).ok())
        .find(|u| u.query_pairs().any(|(k, _)| k == "before"))
}

/// Whether an element is an emoji picture whose text is the emoji itself
/// (`<i class="emoji" style="background-image:…"><b>😀</b></i>`, `<tg-emoji>`).
fn is_emoji(el: &scraper::node::Element) -> bool {
    el.name() == "tg-emoji" || el.classes().any(|c| c == "emoji")
}

/// The text of a message: `<br>` as line breaks, every other run of white space one space.
fn plain_text(text_el: ElementRef<'_>) -> String {
    fn walk(node: NodeRef<'_, Node>, out: &mut String) {
        for child in node.children() {
            match child.value() {
                Node::Text(t) => {
                    for (i, part) in t.split(char::is_whitespace).enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        out.push_str(part);
                    }
                }
                Node::Element(e) if e.name() == "br" => out.push('\n'),
                Node::Element(e) if matches!(e.name(), "blockquote" | "pre" | "div" | "p") => {
                    out.push('\n');
                    walk(child, out);
                    out.push('\n');
                }
                Node::Element(_) => walk(child, out),
                _ => {}
            }
        }
    }
    let mut out = String::new();
    walk(*text_el, &mut out);
    out
}

/// Tags of a message text kept as they are (without attributes).
const KEPT_TAGS: [&str; 11] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "del",
    "code",
    "pre",
    "blockquote",
    "mark",
];

/// The message text as HTML: formatting kept, links absolute, emoji pictures replaced by
/// their characters, Telegram's own wrappers dropped; blank lines make paragraphs.
fn body_html(text_el: ElementRef<'_>, page_url: &Url) -> String {
    let mut inline = String::new();
    write_children(*text_el, page_url, &mut inline);
    inline
        .split("<br><br>")
        .map(|p| p.trim_matches(|c: char| c.is_whitespace()))
        .map(|p| p.trim_start_matches("<br>").trim_end_matches("<br>").trim())
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{p}</p>"))
        .collect()
}

fn write_children(node: NodeRef<'_, Node>, page_url: &Url, out: &mut String) {
    for child in node.children() {
        match child.value() {
            Node::Text(t) => out.push_str(&html_escape::encode_text(&t.text)),
            Node::Element(e) => write_element(child, e, page_url, out),
            _ => {}
        }
    }
}

fn write_element(
    node: NodeRef<'_, Node>,
    e: &scraper::node::Element,
    page_url: &Url,
    out: &mut String,
) {
    let name = e.name();
    if name == "br" {
        // Runs of breaks collapse to a paragraph break.
        out.push_str("<br>");
    } else if is_emoji(e) {
        if let Some(el) = ElementRef::wrap(node) {
            out.push_str(&html_escape::encode_text(&el.text().collect::<String>()));
        }
    } else if name == "a" {
        match e.attr("href").and_then(|h| link_target(h, e, page_url)) {
            Some(href) => {
                out.push_str(&format!(
                    "<a href=\"{}\">",
                    html_escape::encode_double_quoted_attribute(href.as_str())
                ));
                write_children(node, page_url, out);
                out.push_str("</a>");
            }
            None => write_children(node, page_url, out),
        }
    } else if KEPT_TAGS.contains(&name) {
        out.push_str(&format!("<{name}>"));
        write_children(node, page_url, out);
        out.push_str(&format!("</{name}>"));
    } else {
        write_children(node, page_url, out);
    }
}

/// An absolute http(s) link target. The preview escapes `&` twice in the `href` of the
/// links it asks to confirm (`onclick`), so those read `&amp;` after parsing.
fn link_target(href: &str, e: &scraper::node::Element, page_url: &Url) -> Option<Url> {
    let href = if e.attr("onclick").is_some() {
        href.replace("&amp;", "&")
    } else {
        href.to_string()
    };
    page_url
        .join(href.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "mailto" | "tel"))
}

// ---- the title rule ---------------------------------------------------------------------

/// Characters a title may start with besides letters and digits.
const OPENING: &str = "«\"'“„‘([{#@№$¿¡";
/// Characters a title may end with besides letters and digits.
const CLOSING: &str = "»\"'”’)]}.!?…%";

/// A line without the emoji, arrows, bullets and other symbols around it.
fn trim_decoration(line: &str) -> &str {
    line.trim_start_matches(|c: char| !(c.is_alphanumeric() || OPENING.contains(c)))
        .trim_end_matches(|c: char| !(c.is_alphanumeric() || CLOSING.contains(c)))
}

/// A line of hashtags only (decoration around them allowed).
fn only_hashtags(line: &str) -> bool {
    line.split_whitespace()
        .map(trim_decoration)
        .filter(|w| !w.is_empty())
        .all(|w| w.starts_with('#'))
}

/// A message's title, which Telegram does not have: the first non-empty line of the text
/// that is not only hashtags, with emoji and symbols at both ends trimmed; over
/// [`TITLE_MAX_CHARS`], cut after the first sentence. A text of hashtags or emoji only
/// gives its first line as it is. `None` for a text without any visible character.
pub fn title_from_text(text: &str) -> Option<String> {
    let lines: Vec<String> = text
        .lines()
        .map(collapse_whitespace)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .map(|l| trim_decoration(l))
        .find(|l| !l.is_empty() && !only_hashtags(l))
        .or_else(|| lines.first().map(String::as_str))?;
    Some(shorten(line))
}

/// Whether the word before a period is an abbreviation ("ст.", "г.", "т.е.", "им."): three
/// letters or fewer, and not a number.
fn abbreviation(before: &str) -> bool {
    let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    (1..=3).contains(&letters)
}

/// Over [`TITLE_MAX_CHARS`]: up to the first sentence end followed by a space (and neither by
/// a lower-case word nor after an abbreviation, so "т. е. в" or "ст. 190" end no sentence),
/// when that fits; else cut at a word with an ellipsis.
fn shorten(line: &str) -> String {
    if line.chars().count() <= TITLE_MAX_CHARS {
        return line.to_string();
    }
    for (i, c) in line.char_indices() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let rest = &line[i + c.len_utf8()..];
        let next_word = rest.trim_start();
        if rest.starts_with(' ')
            && !next_word.starts_with(char::is_lowercase)
            && (c != '.' || !abbreviation(&line[..i]))
        {
            let sentence = &line[..i + c.len_utf8()];
            if sentence.chars().count() <= TITLE_MAX_CHARS {
                return sentence.to_string();
            }
            break;
        }
    }
    let cut: String = line.chars().take(TITLE_MAX_CHARS - 1).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:—–-".contains(c))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_rule() {
        let long_first = format!(
            "Генеральная прокуратура провела брифинг. {}",
            "Подробности в тексте сообщения ниже ".repeat(4)
        );
        let long_no_end = "слово ".repeat(40);
        let long_sentence = format!("{}. Дальше", "длинное ".repeat(20).trim());
        let cases: Vec<(&str, Option<&str>)> = vec![
            ("Простая строка", Some("Простая строка")),
            (
                "\n\n  Вторая строка после пустых  \nтретья",
                Some("Вторая строка после пустых"),
            ),
            ("⚡️ Срочно: брифинг 👇", Some("Срочно: брифинг")),
            ("🔴▶️«Закон и порядок»🔥", Some("«Закон и порядок»")),
            (
                "#новости #прокуратура\nЗаголовок сообщения",
                Some("Заголовок сообщения"),
            ),
            ("📌 #новости\n✅ Итоги недели!", Some("Итоги недели!")),
            (
                "#новости Прокуратура сообщает",
                Some("#новости Прокуратура сообщает"),
            ),
            ("#только #хэштеги", Some("#только #хэштеги")),
            ("🎉🎉\nТекст", Some("Текст")),
            ("👍", Some("👍")),
            ("   \n ", None),
            (
                long_first.as_str(),
                Some("Генеральная прокуратура провела брифинг."),
            ),
            (
                "Ст. 190 УК: т. е. по делу о мошенничестве суд вынес приговор. Осуждённый \
                 приговорён к восьми годам лишения свободы, имущество конфисковано.",
                Some("Ст. 190 УК: т. е. по делу о мошенничестве суд вынес приговор."),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(title_from_text(text).as_deref(), want, "{text:?}");
        }
        let t = title_from_text(&long_no_end).unwrap();
        assert!(
            t.ends_with("слово…") && t.chars().count() <= TITLE_MAX_CHARS,
            "{t}"
        );
        let t = title_from_text(&long_sentence).unwrap();
        assert!(
            t.ends_with('…') && t.chars().count() <= TITLE_MAX_CHARS,
            "{t}"
        );
    }

    fn one(html: &str) -> TelegramPage {
        extract_telegram(html, &Url::parse("https://t.me/s/chan").unwrap())
    }

    #[test]
    fn an_edited_mark_gives_a_modification_time_only_when_it_states_one() {
        let message = |mark: &str| {
            format!(
                r#"<div class="tgme_widget_message" data-post="chan/7"><div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text">Текст</div><span class="tgme_widget_message_meta">{mark}<a class="tgme_widget_message_date" href="https://t.me/chan/7"><time datetime="2025-09-01T10:00:00+00:00">15:00</time></a></span></div></div>"#
            )
        };
        let bare = one(&message(
            r#"<span class="tgme_widget_message_edited">edited</span> "#,
        ));
        let plain = one(&message(""));
        assert_eq!(bare, plain);
        assert_eq!(
            bare.messages[0].date.as_deref(),
            Some("2025-09-01T10:00:00+00:00")
        );
        let timed = one(&message(
            r#"<span class="tgme_widget_message_edited"><time datetime="2025-09-01T12:30:00+00:00">edited 17:30</time></span> "#,
        ));
        let m = &timed.messages[0];
        assert_eq!(m.date.as_deref(), Some("2025-09-01T10:00:00+00:00"));
        assert_eq!(m.edited.as_deref(), Some("2025-09-01T12:30:00+00:00"));
    }

    #[test]
    fn background_image_urls() {
        assert_eq!(
            background_image("width:10px;background-image:url('https://cdn.t/x.jpg')"),
            Some("https://cdn.t/x.jpg".into())
        );
        assert_eq!(
            background_image("background-image:url(\"//cdn.t/y.jpg\")"),
            Some("//cdn.t/y.jpg".into())
        );
        assert_eq!(background_image("width:10px"), None);
    }

    #[test]
    fn emoji_pictures_become_characters_and_links_absolute() {
        let html = r#"<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text js-message_text"><i class="emoji" style="background-image:url('//telegram.org/img/emoji/40/F09F9396.png')"><b>📖</b></i> Итоги<br/><br/>Текст <a href="?q=%23суд">#суд</a> и <a href="https://x.kz/a?b=1&amp;amp;c=2" onclick="return confirm('Open?')">ссылка</a></div></div>"#;
        let doc = Html::parse_fragment(html);
        let el = doc.select(&TEXT).next().unwrap();
        let page = Url::parse("https://t.me/s/chan").unwrap();
        assert_eq!(
            body_html(el, &page),
            "<p>📖 Итоги</p><p>Текст <a href=\"https://t.me/s/chan?q=%23%D1%81%D1%83%D0%B4\">#суд</a> и <a href=\"https://x.kz/a?b=1&amp;c=2\">ссылка</a></p>"
        );
        assert_eq!(plain_text(el), "📖 Итоги\n\nТекст #суд и ссылка");
    }
}
