//! Sanitizer attack corpus: known XSS vectors placed in fixture article pages (body, title,
//! author, categories, image URL, structured data) run through the real pipeline —
//! `extract_article` → `normalize` → RSS, Atom and JSON rendering — and every feed is checked
//! for executable content, both in its raw bytes and in the item HTML after XML / JSON
//! decoding (XML escapes HTML content, so the raw bytes alone prove little).
//!
//! The daemon's HTML index page is not covered here yet (it lives in another module).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use pressfeed::config::{Config, Settings, Source};
use pressfeed::core::model::{Article, StoredArticle};
use pressfeed::extract::extract_article;
use pressfeed::normalize::normalize;
use pressfeed::pipeline::feed_meta;
use pressfeed::render::{FeedModel, atom, json, rss};
use scraper::Html;
use url::Url;

const CONFIG: &str = r#"
[settings]
base_url = "http://127.0.0.1:8080/"

[[source]]
id = "attack"
title = "Attack <b>corpus</b> & co"
description = "Vectors"
timezone = "Asia/Almaty"
listing_urls = ["http://press.fixture/category/genprokuratura/"]

[source.article]
title = "h1.entry-title"
content = "div.entry-content"
author = ".byline .author a"
categories = ".cat-links a"
image = ".post-thumbnail img@src"
remove = [".sharedaddy"]
"#;

/// Elements that must never reach a reader, whatever their attributes.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "style",
    "meta",
    "base",
    "link",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "svg",
    "math",
    "template",
    "noscript",
    "param",
    "isindex",
    "keygen",
    "bgsound",
    "layer",
    "xmp",
    "plaintext",
];

/// Attributes whose value a browser dereferences as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "cite",
    "longdesc",
    "dynsrc",
    "lowsrc",
    "data",
    "codebase",
    "ping",
    "manifest",
    "icon",
    "to",
    "from",
    "values",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attack")
        .join(name)
}

fn read(name: &str) -> String {
    fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// The non-comment, non-blank lines of a vector file.
fn vectors(name: &str) -> Vec<String> {
    read(name)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("# "))
        .map(str::to_string)
        .collect()
}

fn config() -> (Settings, Source) {
    let config = Config::parse(CONFIG, Path::new("attack.toml")).expect("attack config parses");
    let source = config.sources.into_iter().next().expect("one source");
    (config.settings, source)
}

/// Fills `{{NAME}}` placeholders in one pass, so a vector that itself contains `{{BODY}}`
/// is not expanded again.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").expect("closed placeholder");
        let name = &after[..end];
        let value = values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or("");
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn page(body: &str, title: &str, author: &str, category: &str, image: &str) -> String {
    fill(
        &read("template.html"),
        &[
            ("BODY", body),
            ("TITLE", title),
            ("AUTHOR", author),
            ("CATEGORY", category),
            ("IMAGE", image),
        ],
    )
}

/// extract → normalize. Every page in this corpus has a title and a body around the vector,
/// so a rejection (no title / no content) means a vector broke extraction: the error says
/// which, and the caller fails.
fn article(html: &str, source: &Source) -> Result<Article, String> {
    let url = Url::parse("http://press.fixture/2025/09/24/attack/").expect("url");
    let raw = extract_article(html, &url, &source.article);
    let now = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap();
    normalize(raw, source, now)
        .map(|n| n.article)
        .map_err(|e| e.to_string())
}

struct Feeds {
    rss: String,
    atom: String,
    json: String,
}

fn render(articles: &[Article], settings: &Settings, source: &Source) -> Feeds {
    let t = Utc.with_ymd_and_hms(2025, 9, 24, 5, 0, 0).unwrap();
    let items = articles
        .iter()
        .map(|a| StoredArticle {
            article: a.clone(),
            first_seen: t,
            published: a.published.unwrap_or(t),
            updated: t,
        })
        .collect();
    let model = FeedModel::new(feed_meta(source, settings), items);
    let s = |b: Vec<u8>| String::from_utf8(b).expect("feeds are UTF-8");
    Feeds {
        rss: s(rss::render(&model, t).expect("rss renders")),
        atom: s(atom::render(&model, t).expect("atom renders")),
        json: s(json::render(&model, t).expect("json renders")),
    }
}

/// Strips what browsers ignore inside a URL (ASCII whitespace and C0 controls anywhere,
/// other invisible characters) so `java\tscript:` is seen as the browser sees it.
fn browser_view(url: &str) -> String {
    url.chars()
        .filter(|c| {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{AD}')
        })
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Checks one URL attribute value: if it has a scheme, the scheme must be a safe one.
fn check_url(value: &str, context: &str) {
    let v = browser_view(value);
    if let Some(colon) = v.find(':') {
        let before = &v[..colon];
        let is_scheme = !before.is_empty()
            && !before.contains(['/', '?', '#'])
            && before
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if is_scheme {
            assert!(
                matches!(before, "http" | "https" | "mailto" | "tel"),
                "unsafe URL scheme {before:?} in {value:?}\n{context}"
            );
        }
    }
    for bad in ["javascript:", "vbscript:", "data:", "livescript:"] {
        assert!(
            !v.starts_with(bad),
            "unsafe URL {value:?} in feed\n{context}"
        );
    }
}

/// Parses one item's HTML as a feed reader would and asserts nothing in it can execute.
fn check_html(html: &str, context: &str) {
    let doc = Html::parse_fragment(html);
    let ctx = || format!("{context}\nHTML: {html}");
    for node in doc.root_element().descendants() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name().to_ascii_lowercase();
        if name == "html" {
            continue; // the fragment's own wrapper
        }
        assert!(
            !FORBIDDEN_ELEMENTS.contains(&name.as_str()),
            "forbidden element <{name}>\n{}",
            ctx()
        );
        // Namespaced (SVG / MathML) elements only appear inside svg / math, already banned.
        for (attr, value) in el.attrs() {
            let attr_l = attr.to_ascii_lowercase();
            assert!(
                !attr_l.starts_with("on"),
                "event handler {attr}={value:?} on <{name}>\n{}",
                ctx()
            );
            assert!(attr_l != "style", "style attribute on <{name}>\n{}", ctx());
            assert!(
                attr_l != "srcdoc" && attr_l != "formaction",
                "{attr} on <{name}>\n{}",
                ctx()
            );
            if URL_ATTRIBUTES.contains(&attr_l.as_str())
                || attr_l.ends_with(":href")
                || attr_l.ends_with("src")
            {
                if attr_l.ends_with("srcset") {
                    for candidate in value.split(',') {
                        let url = candidate.split_whitespace().next().unwrap_or("");
                        check_url(url, &ctx());
                    }
                } else {
                    check_url(value, &ctx());
                }
            }
        }
    }
}

/// Text that a reader renders as text must not contain markup once decoded as HTML.
fn check_plain(text: &str, expected: &str, what: &str, context: &str) {
    assert_eq!(
        text, expected,
        "{what} differs from the article's plain text\n{context}"
    );
}

/// Checks that no feed bytes carry an unescaped executable tag: in XML, markup inside text is
/// either escaped or CDATA (which the decoding checks below cover), so a raw `<script` can
/// only appear as an element of the feed document itself.
fn check_raw_xml(doc: &roxmltree::Document, context: &str) {
    for n in doc.descendants().filter(|n| n.is_element()) {
        let name = n.tag_name().name().to_ascii_lowercase();
        assert!(
            !FORBIDDEN_ELEMENTS.contains(&name.as_str()) || name == "link",
            "feed XML has element <{name}>\n{context}"
        );
        for a in n.attributes() {
            assert!(
                !a.name().to_ascii_lowercase().starts_with("on"),
                "feed XML attribute {}\n{context}",
                a.name()
            );
            if matches!(a.name(), "href" | "url" | "src") {
                check_url(a.value(), context);
            }
        }
    }
}

fn child_text<'a>(n: roxmltree::Node<'a, 'a>, ns: Option<&str>, name: &str) -> Option<String> {
    n.children()
        .find(|c| {
            c.is_element()
                && c.tag_name().name() == name
                && (ns.is_none() || c.tag_name().namespace() == ns)
        })
        .map(|c| c.text().unwrap_or("").to_string())
}

const NS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_ATOM: &str = "http://www.w3.org/2005/Atom";

/// The article an item stands for (feeds sort items, so order is not the input's).
fn by_id<'a>(articles: &'a [Article], id: &str, context: &str) -> &'a Article {
    articles
        .iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("no article with id {id:?}\n{context}"))
}

/// Every check on the three feeds of `articles`.
fn check_feeds(articles: &[Article], feeds: &Feeds, context: &str) {
    // RSS
    let ctx = format!("{context}\nRSS:\n{}", feeds.rss);
    let doc = roxmltree::Document::parse(&feeds.rss).expect("RSS is well-formed XML");
    check_raw_xml(&doc, &ctx);
    let items: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("item"))
        .collect();
    assert_eq!(items.len(), articles.len(), "{ctx}");
    for item in &items {
        let a = by_id(
            articles,
            &child_text(*item, None, "guid").unwrap_or_default(),
            &ctx,
        );
        let content = child_text(*item, Some(NS_CONTENT), "encoded").expect("content:encoded");
        check_html(&content, &ctx);
        let description = child_text(*item, None, "description").expect("description");
        check_html(&description, &ctx);
        check_plain(
            &child_text(*item, None, "title").unwrap_or_default(),
            &a.title,
            "RSS title",
            &ctx,
        );
        if let Some(author) = &a.author {
            check_plain(
                &child_text(*item, Some(NS_DC), "creator").unwrap_or_default(),
                author,
                "RSS dc:creator",
                &ctx,
            );
        }
        let cats: Vec<String> = item
            .children()
            .filter(|c| c.has_tag_name("category"))
            .map(|c| c.text().unwrap_or("").to_string())
            .collect();
        assert_eq!(cats, a.categories, "RSS categories\n{ctx}");
    }

    // Atom
    let ctx = format!("{context}\nAtom:\n{}", feeds.atom);
    let doc = roxmltree::Document::parse(&feeds.atom).expect("Atom is well-formed XML");
    check_raw_xml(&doc, &ctx);
    let entries: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((NS_ATOM, "entry")))
        .collect();
    assert_eq!(entries.len(), articles.len(), "{ctx}");
    for entry in &entries {
        let a = by_id(
            articles,
            &child_text(*entry, Some(NS_ATOM), "id").unwrap_or_default(),
            &ctx,
        );
        for node in entry.children().filter(|c| c.is_element()) {
            let name = node.tag_name().name();
            let text = node.text().unwrap_or("");
            match (name, node.attribute("type")) {
                ("content", _) => check_html(text, &ctx),
                ("title" | "summary", Some("html")) => {
                    // Escaped text sent as type="html": decoding it must give only text.
                    let frag = Html::parse_fragment(text);
                    let elements = frag
                        .root_element()
                        .descendants()
                        .skip(1) // the fragment's own <html> wrapper
                        .filter(|n| n.value().is_element())
                        .count();
                    assert_eq!(elements, 0, "markup in Atom {name}: {text:?}\n{ctx}");
                    if name == "title" {
                        let decoded: String = frag.root_element().text().collect();
                        check_plain(&decoded, &a.title, "Atom title", &ctx);
                    }
                }
                ("title", _) => check_plain(text, &a.title, "Atom title", &ctx),
                ("summary", Some(other)) if other != "text" => {
                    panic!("Atom summary type {other}\n{ctx}")
                }
                _ => {}
            }
        }
        let cats: Vec<String> = entry
            .children()
            .filter(|c| c.has_tag_name((NS_ATOM, "category")))
            .map(|c| c.attribute("term").unwrap_or("").to_string())
            .collect();
        assert_eq!(cats, a.categories, "Atom categories\n{ctx}");
    }

    // JSON Feed
    let ctx = format!("{context}\nJSON:\n{}", feeds.json);
    let v: serde_json::Value = serde_json::from_str(&feeds.json).expect("JSON Feed parses");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), articles.len(), "{ctx}");
    for item in items {
        let a = by_id(articles, item["id"].as_str().unwrap_or(""), &ctx);
        check_html(item["content_html"].as_str().expect("content_html"), &ctx);
        assert!(item.get("content_text").is_none(), "{ctx}");
        check_plain(
            item["title"].as_str().unwrap_or(""),
            &a.title,
            "JSON title",
            &ctx,
        );
        if let Some(author) = &a.author {
            check_plain(
                item["authors"][0]["name"].as_str().unwrap_or(""),
                author,
                "JSON author",
                &ctx,
            );
        }
        let tags: Vec<String> = item["tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|x| x.as_str())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(tags, a.categories, "JSON tags\n{ctx}");
        if let Some(image) = item["image"].as_str() {
            check_url(image, &ctx);
            assert!(image.starts_with("http"), "JSON image {image}\n{ctx}");
        }
    }

    // The normalized article itself: title etc. are plain one-line text, the image is http(s).
    for a in articles {
        for text in [Some(&a.title), a.author.as_ref()]
            .into_iter()
            .flatten()
            .chain(a.categories.iter())
        {
            assert!(!text.contains(['\n', '\0']), "{text:?}\n{context}");
        }
        if let Some(image) = &a.image {
            assert!(
                matches!(image.scheme(), "http" | "https"),
                "image {image}\n{context}"
            );
        }
        assert!(matches!(a.url.scheme(), "http" | "https"), "{context}");
    }
}

/// extract → normalize → render → check the feeds; panics (with `context`) when the page
/// does not normalize.
fn run_page(html: &str, context: &str) -> Article {
    let (settings, source) = config();
    let article =
        article(html, &source).unwrap_or_else(|e| panic!("page did not normalize: {e}\n{context}"));
    let feeds = render(std::slice::from_ref(&article), &settings, &source);
    check_feeds(std::slice::from_ref(&article), &feeds, context);
    article
}

#[test]
fn every_body_vector_is_neutralized() {
    let list = vectors("body-vectors.txt");
    assert!(list.len() > 100, "corpus loaded: {}", list.len());
    for v in &list {
        let html = page(v, "Заголовок", "Автор", "Категория", "/img/ok.jpg");
        let a = run_page(&html, &format!("vector: {v}"));
        // The paragraph of real text around the vector survives.
        assert!(
            a.content_html.contains("Генеральная прокуратура сообщает"),
            "{v}: {}",
            a.content_html
        );
    }
}

#[test]
fn all_body_vectors_in_one_page_and_one_feed() {
    let (settings, source) = config();
    // Vectors that open raw-text or never-closed elements swallow the rest of the page;
    // they get their own page in the test above.
    let body = vectors("body-vectors.txt").join("\n<p>между</p>\n");
    let html = page(&body, "Заголовок", "Автор", "Категория", "/img/ok.jpg");
    let mut articles = vec![article(&html, &source).expect("normalizes")];
    // A second item makes sure items do not bleed into each other.
    let html2 = page("<p>второй</p>", "Второй", "Автор", "К", "/img/2.jpg")
        .replace("/attack/", "/attack-2/");
    articles.push(article(&html2, &source).expect("normalizes"));
    let feeds = render(&articles, &settings, &source);
    check_feeds(&articles, &feeds, "all vectors in one page");
    // The raw bytes: no executable markup unescaped anywhere in the XML feeds (CDATA and
    // escaped text were checked after decoding above).
    for raw in [&feeds.rss, &feeds.atom, &feeds.json] {
        check_raw_bytes(raw);
    }
}

/// A raw-bytes check for the feed files as a careless consumer (grep, a regex "sanitizer",
/// a reader that does not decode CDATA) sees them: no event handler and no script-like URL
/// inside anything that looks like an HTML tag. Escaped text (`&lt;img onerror=…&gt;`) is
/// fine: it shows as text.
fn check_raw_bytes(raw: &str) {
    let lower = raw.to_ascii_lowercase();
    for bad in [
        "javascript:",
        "vbscript:",
        "data:text",
        " onerror=",
        " onload=",
        " onclick=",
    ] {
        let mut from = 0;
        while let Some(rel) = lower[from..].find(bad) {
            let at = from + rel;
            from = at + bad.len();
            let before = &lower[..at];
            let open = before.rfind('<');
            let close = before.rfind('>');
            let in_tag = match (open, close) {
                (Some(o), c) => {
                    c.is_none_or(|c| c < o)
                        && lower[o + 1..].starts_with(|ch: char| ch.is_ascii_alphabetic())
                }
                _ => false,
            };
            let starts_value =
                bad.starts_with(' ') || before.trim_end().ends_with(['"', '\'', '=']);
            if in_tag && starts_value {
                let mut a = at.saturating_sub(200);
                while !raw.is_char_boundary(a) {
                    a -= 1;
                }
                let mut b = (at + 100).min(raw.len());
                while !raw.is_char_boundary(b) {
                    b += 1;
                }
                panic!("{bad} inside a tag in raw feed bytes: …{}…", &raw[a..b]);
            }
        }
    }
}

#[test]
fn text_field_vectors_stay_plain_text() {
    let list = vectors("text-vectors.txt");
    assert!(list.len() >= 15, "corpus loaded: {}", list.len());
    for v in list {
        for field in ["title", "author", "category"] {
            let (t, au, c) = match field {
                "title" => (v.as_str(), "Автор", "Категория"),
                "author" => ("Заголовок", v.as_str(), "Категория"),
                _ => ("Заголовок", "Автор", v.as_str()),
            };
            let html = page("<p>Текст статьи.</p>", t, au, c, "/img/ok.jpg");
            let ctx = format!("{field} vector: {v}");
            // The page has a title and a body whatever the vector does to one field, so
            // every vector must get through; a rejected page would hide what it did.
            let a = run_page(&html, &ctx);
            for text in [Some(&a.title), a.author.as_ref()]
                .into_iter()
                .flatten()
                .chain(a.categories.iter())
            {
                assert!(
                    !text.chars().any(pressfeed::core::text::is_xml_illegal),
                    "{text:?}\n{ctx}"
                );
            }
        }
    }
}

#[test]
fn image_url_vectors_never_reach_the_feeds() {
    for v in vectors("url-vectors.txt") {
        let html = page("<p>Текст статьи.</p>", "Заголовок", "Автор", "К", &v);
        let a = run_page(&html, &format!("image vector: {v}"));
        if let Some(image) = &a.image {
            let s = image.as_str().to_ascii_lowercase();
            assert!(
                !s.contains("javascript") && !s.contains("onerror=\""),
                "{v} → {image}"
            );
        }
    }
}

#[test]
fn structured_data_and_head_tricks() {
    let html = read("structured-data.html");
    let a = run_page(&html, "structured-data.html");
    // <base href="javascript:"> must not be used to resolve relative links.
    assert!(
        a.content_html
            .contains("http://press.fixture/2025/09/24/attack/relative/path"),
        "{}",
        a.content_html
    );
    assert_eq!(a.url.scheme(), "http");
    assert!(a.image.is_none(), "{:?}", a.image);
}

// The checker itself must catch what it claims to catch.

#[test]
#[should_panic(expected = "event handler")]
fn checker_catches_event_handlers() {
    check_html(
        r#"<p><img src="http://x/a.jpg" onerror="alert(1)"></p>"#,
        "self-test",
    );
}

#[test]
#[should_panic(expected = "unsafe URL scheme")]
fn checker_catches_obfuscated_javascript_urls() {
    check_html(r#"<a href=" java&#x09;script:alert(1)">x</a>"#, "self-test");
}

#[test]
#[should_panic(expected = "forbidden element")]
fn checker_catches_svg() {
    check_html("<svg><a>x</a></svg>", "self-test");
}

#[test]
#[should_panic(expected = "inside a tag")]
fn raw_check_catches_attributes() {
    check_raw_bytes(r#"<![CDATA[<a href="javascript:alert(1)">x</a>]]>"#);
}

#[test]
fn raw_check_allows_escaped_text() {
    check_raw_bytes("&lt;img src=x onerror=alert(1)&gt; and <p>javascript: is a word</p>");
}

/// The daemon's HTML index and OPML show source titles, descriptions and last errors, all
/// of which an attacker can influence (a config copied from the web, an error message that
/// quotes a hostile page): none of it may become markup.
#[tokio::test]
async fn http_index_and_opml_carry_no_executable_vector() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    let dir = tempfile::tempdir().unwrap();
    let vectors = vectors("text-vectors.txt");
    let mut text = String::from("[settings]\ndatabase = \"db.sqlite\"\nfeeds_dir = \"feeds\"\n");
    for (i, v) in vectors.iter().enumerate() {
        // TOML basic strings: escape backslashes and quotes, drop control characters.
        let esc: String = v
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        text.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\ntitle = \"{esc}\"\ndescription = \"{esc}\"\n\
             listing_urls = [\"https://a.example/news/\"]\n"
        ));
    }
    let config = Config::parse(&text, &dir.path().join("config.toml")).expect("config parses");
    let store = pressfeed::store::Store::open(&config.settings.database).unwrap();
    for (i, v) in vectors.iter().enumerate() {
        store
            .record_run(&format!("s{i}"), Utc::now(), Some(v), 0)
            .unwrap();
    }
    let (_tx, rx) = tokio::sync::watch::channel(std::sync::Arc::new(config));
    let app = pressfeed::app::serve::router(pressfeed::app::serve::AppState {
        config: rx,
        store: std::sync::Arc::new(std::sync::Mutex::new(store)),
        metrics: std::sync::Arc::new(pressfeed::app::metrics::Metrics::new()),
    });
    let get = |path: &'static str| {
        let app = app.clone();
        async move {
            let resp = app
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        }
    };

    let index = get("/").await;
    let doc = Html::parse_document(&index);
    let all = scraper::Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        assert!(
            !matches!(
                name,
                "script" | "iframe" | "object" | "embed" | "svg" | "math" | "base" | "form" | "img"
            ),
            "index carries <{name}>"
        );
        if name == "meta" {
            assert!(
                el.value().attr("http-equiv").is_none(),
                "index carries a meta refresh"
            );
        }
        for (attr, value) in el.value().attrs() {
            assert!(!attr.starts_with("on"), "index carries {attr}= on <{name}>");
            if matches!(attr, "href" | "src" | "action" | "formaction") {
                let scheme = value
                    .trim()
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                assert!(
                    value.starts_with('/') || matches!(scheme.as_str(), "http" | "https"),
                    "index links to {value:?}"
                );
            }
        }
    }
    // Every vector is still there, as text: escaped, not dropped, in its own source's row
    // (as the title and as the last error).
    let rows: Vec<_> = doc
        .select(&scraper::Selector::parse("tbody tr").unwrap())
        .collect();
    assert_eq!(rows.len(), vectors.len(), "one row per source");
    let td = scraper::Selector::parse("td").unwrap();
    for (i, (row, v)) in rows.iter().zip(&vectors).enumerate() {
        let expected: String = v.chars().filter(|c| !c.is_control()).collect();
        let expected = expected.trim();
        let cells: Vec<String> = row
            .select(&td)
            .map(|c| c.text().collect::<String>())
            .collect();
        assert_eq!(cells.len(), 6, "row {i}: {cells:?}");
        assert!(
            row.html().contains(&format!("/feeds/s{i}.rss\"")),
            "row {i} is source s{i}"
        );
        assert_eq!(cells[0].trim(), expected, "row {i}: title shown as text");
        assert_eq!(
            cells[5].trim(),
            expected,
            "row {i}: last error shown as text"
        );
    }

    let opml = get("/opml").await;
    let parsed = roxmltree::Document::parse(&opml).expect("OPML is well-formed XML");
    for node in parsed.descendants().filter(|n| n.is_element()) {
        assert!(
            matches!(
                node.tag_name().name(),
                "opml"
                    | "head"
                    | "title"
                    | "dateCreated"
                    | "body"
                    | "outline"
                    | "ownerName"
                    | "docs"
            ),
            "OPML carries <{}>",
            node.tag_name().name()
        );
    }
    // And every vector is an outline's title, as text.
    let outlines: Vec<_> = parsed
        .descendants()
        .filter(|n| n.has_tag_name("outline"))
        .collect();
    assert_eq!(outlines.len(), vectors.len(), "one outline per source");
    for (i, (outline, v)) in outlines.iter().zip(&vectors).enumerate() {
        let expected: String = v.chars().filter(|c| !c.is_control()).collect();
        assert_eq!(
            outline.attribute("title").map(str::trim),
            Some(expected.trim()),
            "outline {i}"
        );
    }
}
