//! Resource bounds: pathological pages — a listing with 100 000 links, a 20 MB article, HTML
//! nested 10 000 levels deep — go through extraction and normalization (and rendering)
//! without crashing, overflowing the stack or taking quadratic time.
//!
//! Each case runs on a thread with a 2 MiB stack, the default for test threads and for
//! tokio's blocking pool, so recursion that would overflow in production overflows here.
//! A stack overflow aborts the whole test binary, which makes the failure loud.
//!
//! "No quadratic time" is checked as a *ratio*, never as a time limit: the same work on an
//! input 4× larger must cost less than 10× the CPU time (linear work costs about 4×,
//! quadratic work 16×). Absolute times depend on the machine, the build profile and what
//! else runs; a ratio of two measurements taken the same way on the same machine does not.
//! The measure is the thread's own CPU time, so other tests running in parallel on a loaded
//! machine do not count, and the best of three runs of each size is kept to drop
//! interruptions. Elapsed times are still printed (`--nocapture`) for the README.
//!
//! Production never hands extraction a 20 MB page (the fetcher caps bodies at
//! `max_body_bytes`, 5 MiB by default); extraction is tested with it directly anyway.

use std::path::Path;
use std::time::{Duration, Instant};

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

fn generic_listing(links: usize) -> String {
    let mut html = String::from("<!doctype html><html><body>");
    for i in 0..links {
        html.push_str(&format!(
            "<p><a href=\"/2025/09/24/novost-{i}/\">Новость номер {i}</a></p>\n"
        ));
    }
    html.push_str("</body></html>");
    html
}

#[test]
fn listing_with_100_000_links_and_no_rules() {
    // The generic path (no item selector): every link on the page is a candidate, and every
    // one of these is a dated article path, so all of them are found, in page order.
    let html = generic_listing(100_000);
    let items = on_small_stack("listing_100k_generic", move || {
        let (_, src) = source(GENERIC);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        extract_listing(&html, &url, &src.listing).items
    });
    eprintln!("generic listing: {} items", items.len());
    assert_eq!(items.len(), 100_000);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(
            item.url.as_str(),
            format!("http://press.fixture/2025/09/24/novost-{i}/"),
            "item {i}"
        );
        assert_eq!(
            item.title.as_deref(),
            Some(format!("Новость номер {i}").as_str()),
            "item {i}"
        );
    }
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

/// Plain text of an HTML fragment, whitespace collapsed.
fn text_of(html: &str) -> String {
    scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn html_nested_10_000_levels_unclosed() {
    // Never closed, in the generic (no selector) path: structured-data and heuristics walk
    // the whole tree, and the text at the bottom of it is still the article's body.
    let mut html = String::from("<html><body><article><h1>Незакрытые</h1>");
    for i in 0..10_000 {
        html.push_str(if i % 2 == 0 { "<div>" } else { "<span>" });
    }
    html.push_str("Текст статьи, достаточно длинный, чтобы его нашли эвристики. ");
    html.push_str(&"Ещё текст. ".repeat(50));
    let (article, timing) = on_small_stack("nested_unclosed_10k", move || {
        let (_, src) = source(GENERIC);
        let t0 = Instant::now();
        let raw = extract_article(&html, &page_url(), &src.article);
        let now = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap();
        let normalized = normalize(raw, &src, now);
        (normalized, format!("{:.2?}", t0.elapsed()))
    });
    let article = article
        .unwrap_or_else(|e| panic!("the deeply nested page must normalize: {e}"))
        .article;
    eprintln!(
        "10k unclosed generic: content {} bytes; {timing}",
        article.content_html.len()
    );
    assert_eq!(article.title, "Незакрытые");
    let text = text_of(&article.content_html);
    assert!(
        text.contains("Текст статьи, достаточно длинный, чтобы его нашли эвристики."),
        "{text}"
    );
    assert_eq!(text.matches("Ещё текст.").count(), 50, "{text}");
}

#[test]
fn listing_nested_10_000_levels() {
    let mut html = String::from("<html><body>");
    // 5 000 × 2 elements = 10 000 levels; descendant selectors walk every ancestor.
    for _ in 0..5_000 {
        html.push_str("<div class=\"post\"><article class=\"post\">");
    }
    html.push_str("<h2><a href=\"/deep/\">Глубоко</a></h2>");
    let items = on_small_stack("listing_nested_10k", move || {
        let (_, src) = source(CONFIG);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        extract_listing(&html, &url, &src.listing).items
    });
    // Wrappers nested past the extractor's depth cap are dropped, but `h2` and `a` never
    // deepen the tree for long and are kept: the link lands in the deepest `article.post`
    // kept (and in every one around it), and duplicates of a link are one entry.
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].url.as_str(), "http://press.fixture/deep/");
    assert_eq!(items[0].title.as_deref(), Some("Глубоко"));
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

/// CPU time the calling thread has used so far, from `/proc/thread-self/schedstat` (its
/// first field, nanoseconds on the CPU; the kernel updates it at least every scheduler
/// tick, a few ms). Not the wall clock: time spent waiting for a core while other tests
/// run does not count.
fn thread_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("read /proc/thread-self/schedstat (Linux)");
    let ns: u64 = stat
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| panic!("unexpected schedstat: {stat:?}"));
    Duration::from_nanos(ns)
}

/// Input-size factor between the two measurements, and the CPU-time ratio it may cost at
/// most: linear work costs about 4×, `n log n` a little more, quadratic work 16×.
const SIZE_FACTOR: usize = 4;
const MAX_RATIO: f64 = 10.0;

/// Runs `work` on inputs of size `n` and `SIZE_FACTOR * n` (built by `make`, outside the
/// measurement), three times each, on a small-stack thread; asserts the best CPU time of
/// the larger stays under `MAX_RATIO` times the best of the smaller. `n` is chosen so the
/// smaller run takes well over a scheduler tick.
fn assert_subquadratic<I: 'static>(
    name: &str,
    n: usize,
    make: impl Fn(usize) -> I + Send + 'static,
    work: impl Fn(I) + Send + 'static,
) {
    let thread_name = format!("{name}_scaling");
    let (small, large) = on_small_stack(&thread_name, move || {
        let best_of_3 = |size: usize| {
            (0..3)
                .map(|_| {
                    let input = make(size);
                    let before = thread_cpu_time();
                    work(input);
                    thread_cpu_time() - before
                })
                .min()
                .expect("three runs")
        };
        (best_of_3(n), best_of_3(SIZE_FACTOR * n))
    });
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    eprintln!("{name}: n = {n}: {small:.2?}, {SIZE_FACTOR}n: {large:.2?} CPU, ratio {ratio:.1}");
    assert!(
        small >= Duration::from_millis(20),
        "{name}: the smaller input ran only {small:?}, too short to compare; raise n"
    );
    assert!(
        ratio < MAX_RATIO,
        "{name}: {SIZE_FACTOR}× the input cost {ratio:.1}× the CPU time ({small:?} → {large:?}): \
         quadratic, not linear"
    );
}

fn listing_with_rules(links: usize) -> String {
    let mut html = String::from("<!doctype html><html><body><main>");
    for i in 0..links {
        html.push_str(&format!(
            "<article class=\"post\"><h2><a href=\"/2025/09/{i}/\">Новость {i}</a></h2>\
             <time datetime=\"2025-09-24T10:00:00+05:00\">24 сентября</time></article>\n"
        ));
    }
    html.push_str("</main></body></html>");
    html
}

fn big_article(bytes: usize) -> String {
    let para = "<p>Генеральная прокуратура сообщает о результатах проверки соблюдения \
                законодательства. <a href=\"/x/\">Ссылка</a> <b>важно</b>.</p>\n";
    let body = para.repeat(bytes.div_ceil(para.len()));
    format!(
        "<!doctype html><html><head><title>T</title></head><body><h1>Большая статья</h1>\
         <div class=\"entry-content\">{body}</div></body></html>"
    )
}

/// Extract → normalize → render (all three formats) one article, asserting it got through.
fn article_path(html: String, toml: &str) {
    let (settings, src) = source(toml);
    let raw = extract_article(&html, &page_url(), &src.article);
    let now = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap();
    let a = normalize(raw, &src, now).expect("normalizes").article;
    assert!(!a.content_html.is_empty());
    let stored = StoredArticle {
        first_seen: now,
        published: now,
        updated: now,
        article: a,
    };
    let model = FeedModel::new(feed_meta(&src, &settings), vec![stored]);
    rss::render(&model, now).expect("rss");
    atom::render(&model, now).expect("atom");
    json::render(&model, now).expect("json");
}

#[test]
fn listing_with_rules_cpu_time_grows_subquadratically() {
    assert_subquadratic("listing_rules", 10_000, listing_with_rules, |html| {
        let (_, src) = source(CONFIG);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        let n = extract_listing(&html, &url, &src.listing).items.len();
        assert!(n >= 10_000, "{n}");
    });
}

#[test]
fn listing_without_rules_cpu_time_grows_subquadratically() {
    assert_subquadratic("listing_generic", 10_000, generic_listing, |html| {
        let (_, src) = source(GENERIC);
        let url = Url::parse("http://press.fixture/news/").expect("url");
        let n = extract_listing(&html, &url, &src.listing).items.len();
        assert!(n >= 10_000, "{n}");
    });
}

#[test]
fn big_article_cpu_time_grows_subquadratically() {
    assert_subquadratic("article", 256 << 10, big_article, |html| {
        article_path(html, CONFIG)
    });
}

#[test]
fn deep_nesting_cpu_time_grows_subquadratically() {
    // With a content selector: the depth cap keeps parsing linear in the page size.
    assert_subquadratic(
        "nesting_selector",
        100_000,
        |depth| nested(depth, "<div>", "</div>"),
        |html| article_path(html, CONFIG),
    );
}

#[test]
fn deep_nesting_listing_cpu_time_grows_subquadratically() {
    assert_subquadratic(
        "nesting_listing",
        100_000,
        |depth| {
            let mut html = String::from("<html><body>");
            for _ in 0..depth / 2 {
                html.push_str("<div class=\"post\"><article class=\"post\">");
            }
            html.push_str("<h2><a href=\"/deep/\">Глубоко</a></h2>");
            html
        },
        |html| {
            let (_, src) = source(CONFIG);
            let url = Url::parse("http://press.fixture/news/").expect("url");
            assert_eq!(extract_listing(&html, &url, &src.listing).items.len(), 1);
        },
    );
}

/// In the zero-config path (no `content` selector) `extract_article` gave the uncapped page
/// to readability (`zero_config_body(&mut doc, html, ..)` → `readable::main_content`),
/// whose html5ever parse is quadratic in the nesting depth: 2 500 nested `<div>`s cost
/// 1.4 s of CPU, 10 000 cost 23 s (16×). Readability now gets the capped text too.
#[test]
fn regression_zero_config_body_is_not_quadratic_in_nesting_depth() {
    assert_subquadratic(
        "nesting_generic",
        1_000,
        |depth| nested(depth, "<div>", "</div>"),
        |html| article_path(html, GENERIC),
    );
}
