//! Resource bounds: pathological pages — a listing with 100 000 links, a 20 MB article, HTML
//! nested 10 000 levels deep — go through extraction and normalization (and rendering)
//! without crashing, overflowing the stack or taking quadratic time.
//!
//! Each case runs on a thread with a 2 MiB stack, the default for test threads and for
//! tokio's blocking pool, so recursion that would overflow in production overflows here.
//! A stack overflow aborts the whole test binary, which makes the failure loud.
//! No timing asserts: elapsed times are printed (`--nocapture`) for the README.
//!
//! Production never hands extraction a 20 MB page (the fetcher caps bodies at
//! `max_body_bytes`, 5 MiB by default); extraction is tested with it directly anyway.

use std::path::Path;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use pressfeed::config::{Config, Source};
use pressfeed::core::model::StoredArticle;
use pressfeed::extract::{extract_article, extract_listing};
use pressfeed::normalize::normalize;
use pressfeed::pipeline::feed_meta;
use pressfeed::render::{FeedModel, atom, json, rss};
use url::Url;

const CONFIG: &str = r#"
[[source]]
id = "bounds"
title = "Bounds"
timezone = "Asia/Almaty"
listing_urls = ["http://press.fixture/news/"]

[source.listing]
item = "article.post"
link = "h2 a@href"
title = "h2 a"
date = "time@datetime"

[source.article]
title = "h1"
content = "div.entry-content"
"#;

const GENERIC: &str = r#"
[[source]]
id = "generic"
title = "Generic"
listing_urls = ["http://press.fixture/news/"]
"#;

fn source(toml: &str) -> (pressfeed::config::Settings, Source) {
    let c = Config::parse(toml, Path::new("bounds.toml")).expect("config parses");
    let s = c.sources.into_iter().next().expect("one source");
    (c.settings, s)
}

/// Runs `f` on a thread with the default 2 MiB test stack and returns its result.
fn on_small_stack<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let started = Instant::now();
    let out = std::thread::Builder::new()
        .name(name.to_string())
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .unwrap_or_else(|_| panic!("{name} panicked"));
    eprintln!("{name}: {:.2?}", started.elapsed());
    out
}

fn page_url() -> Url {
    Url::parse("http://press.fixture/2025/09/24/a/").expect("url")
}

/// Extract → normalize → render one article; returns the normalized content length.
fn full_article_path(html: String, toml: &'static str) -> (usize, String) {
    let (settings, src) = source(toml);
    let t0 = Instant::now();
    let raw = extract_article(&html, &page_url(), &src.article);
    let t1 = Instant::now();
    let now = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap();
    let n = normalize(raw, &src, now).expect("normalizes");
    let t2 = Instant::now();
    let a = n.article;
    let len = a.content_html.len();
    let stored = StoredArticle {
        first_seen: now,
        published: now,
        updated: now,
        article: a,
    };
    let model = FeedModel::new(feed_meta(&src, &settings), vec![stored]);
    let r = rss::render(&model, now).expect("rss");
    let at = atom::render(&model, now).expect("atom");
    let j = json::render(&model, now).expect("json");
    roxmltree::Document::parse(std::str::from_utf8(&r).expect("utf8")).expect("rss parses");
    roxmltree::Document::parse(std::str::from_utf8(&at).expect("utf8")).expect("atom parses");
    serde_json::from_slice::<serde_json::Value>(&j).expect("json parses");
    let t3 = Instant::now();
    let timing = format!(
        "extract {:.2?}, normalize {:.2?}, render+reparse {:.2?}",
        t1 - t0,
        t2 - t1,
        t3 - t2
    );
    (len, timing)
}

#[test]
fn listing_with_100_000_links() {
    let mut html = String::from("<!doctype html><html><body><main>");
    for i in 0..100_000 {
        html.push_str(&format!(
            "<article class=\"post\"><h2><a href=\"/2025/09/{i}/\">Новость {i}</a></h2>\
             <time datetime=\"2025-09-24T10:00:00+05:00\">24 сентября</time></article>\n"
        ));
    }
    html.push_str("</main></body></html>");
    let bytes = html.len();
    let (n, first, last) = on_small_stack("listing_100k", move || {
        let (_, src) = source(CONFIG);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        let l = extract_listing(&html, &url, &src.listing);
        let first = l.items.first().map(|i| i.url.to_string());
        let last = l.items.last().map(|i| i.url.to_string());
        (l.items.len(), first, last)
    });
    eprintln!("listing: {bytes} bytes, {n} items");
    assert_eq!(n, 100_000);
    assert_eq!(first.as_deref(), Some("http://press.fixture/2025/09/0/"));
    assert_eq!(last.as_deref(), Some("http://press.fixture/2025/09/99999/"));
}

#[test]
fn listing_with_100_000_links_and_no_rules() {
    // The generic path (no item selector): every link on the page is a candidate.
    let mut html = String::from("<!doctype html><html><body>");
    for i in 0..100_000 {
        html.push_str(&format!(
            "<p><a href=\"/2025/09/24/novost-{i}/\">Новость номер {i}</a></p>\n"
        ));
    }
    html.push_str("</body></html>");
    let n = on_small_stack("listing_100k_generic", move || {
        let (_, src) = source(GENERIC);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        extract_listing(&html, &url, &src.listing).items.len()
    });
    eprintln!("generic listing: {n} items");
    assert!(n <= 100_000);
}

#[test]
fn article_of_20_mb() {
    let para = "<p>Генеральная прокуратура сообщает о результатах проверки соблюдения \
                законодательства. <a href=\"/x/\">Ссылка</a> <b>важно</b>.</p>\n";
    let mut body = String::with_capacity(21 << 20);
    while body.len() < 20 << 20 {
        body.push_str(para);
    }
    let html = format!(
        "<!doctype html><html><head><title>T</title></head><body><h1>Большая статья</h1>\
         <div class=\"entry-content\">{body}</div></body></html>"
    );
    let size = html.len();
    let (len, timing) = on_small_stack("article_20mb", move || full_article_path(html, CONFIG));
    eprintln!("20 MB article ({size} bytes): content {len} bytes; {timing}");
    assert!(len > 10 << 20, "content kept: {len}");
}

fn nested(depth: usize, open: &str, close: &str) -> String {
    let mut html = String::from(
        "<!doctype html><html><body><h1>Глубокая статья</h1><div class=\"entry-content\">",
    );
    html.push_str("<p>Начало текста.</p>");
    for _ in 0..depth {
        html.push_str(open);
    }
    html.push_str("Глубокий текст");
    for _ in 0..depth {
        html.push_str(close);
    }
    html.push_str("<p>Конец текста.</p></div></body></html>");
    html
}

#[test]
fn html_nested_10_000_levels_divs() {
    let html = nested(10_000, "<div>", "</div>");
    let (len, timing) = on_small_stack("nested_div_10k", move || full_article_path(html, CONFIG));
    eprintln!("10k nested <div>: content {len} bytes; {timing}");
    assert!(len > 0);
}

#[test]
fn html_nested_10_000_levels_mixed_inline() {
    // Formatting elements go through the adoption agency algorithm and reconstruction of
    // active formatting elements; blockquote and lists are kept by the sanitizer.
    // 2 000 × 5 elements = 10 000 levels.
    let html = nested(
        2_000,
        "<blockquote><ul><li><b><i>",
        "</i></b></li></ul></blockquote>",
    );
    let (len, timing) = on_small_stack("nested_mixed_10k", move || full_article_path(html, CONFIG));
    eprintln!("10k nested mixed: content {len} bytes; {timing}");
    assert!(len > 0);
}

#[test]
fn html_nested_10_000_levels_unclosed() {
    // Never closed, in the generic (no selector) path: structured-data and heuristics walk
    // the whole tree.
    let mut html = String::from("<html><body><article><h1>Незакрытые</h1>");
    for i in 0..10_000 {
        html.push_str(if i % 2 == 0 { "<div>" } else { "<span>" });
    }
    html.push_str("Текст статьи, достаточно длинный, чтобы его нашли эвристики. ");
    html.push_str(&"Ещё текст. ".repeat(50));
    let (len, timing) = on_small_stack("nested_unclosed_10k", move || {
        let (_, src) = source(GENERIC);
        let t0 = Instant::now();
        let raw = extract_article(&html, &page_url(), &src.article);
        let now = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap();
        let len = normalize(raw, &src, now)
            .map(|n| n.article.content_html.len())
            .unwrap_or(0);
        (len, format!("{:.2?}", t0.elapsed()))
    });
    eprintln!("10k unclosed generic: content {len} bytes; {timing}");
}

#[test]
fn listing_nested_10_000_levels() {
    let mut html = String::from("<html><body>");
    // 5 000 × 2 elements = 10 000 levels; descendant selectors walk every ancestor.
    for _ in 0..5_000 {
        html.push_str("<div class=\"post\"><article class=\"post\">");
    }
    html.push_str("<h2><a href=\"/deep/\">Глубоко</a></h2>");
    let n = on_small_stack("listing_nested_10k", move || {
        let (_, src) = source(CONFIG);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        extract_listing(&html, &url, &src.listing).items.len()
    });
    // Tags nested past the extractor's depth cap are dropped, so the `h2` around the
    // link may be gone; finishing at all is the point.
    assert!(n <= 1, "{n}");
}

#[test]
fn nesting_below_the_cap_is_untouched() {
    // 400 levels of wrappers (with a script holding fake tags, which must not count) still
    // yield the listing entry with its title and date.
    let mut html = String::from("<html><body><script>var s = '<div><div><div>';</script>");
    for _ in 0..200 {
        html.push_str("<div class=\"wrap\"><section>");
    }
    html.push_str(
        "<article class=\"post\"><h2><a href=\"/deep/\">Глубоко</a></h2>\
         <time datetime=\"2025-09-24T10:00:00+05:00\">24.09.2025</time></article>",
    );
    for _ in 0..200 {
        html.push_str("</section></div>");
    }
    let (_, src) = source(CONFIG);
    let url = Url::parse("http://press.fixture/news/").expect("url");
    let l = extract_listing(&html, &url, &src.listing);
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.items[0].title.as_deref(), Some("Глубоко"));
    assert!(l.items[0].date_text.is_some());
}
