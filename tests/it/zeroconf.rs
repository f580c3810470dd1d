//! Zero-config acceptance: sources with no selectors at all, on the WordPress HTML fixture
//! and the legacy windows-1251 table-layout fixture. Every article must be found once, with
//! title, link and date exactly as in the fixture's expected.toml, a body whose text is at
//! least [`MIN_SIMILARITY`] similar to the human-read body in `expected_text.toml`, and no
//! built-in boilerplate string in any feed.
//!
//! `expected_text.toml` holds the body text a reader sees (no share buttons, ads, related
//! posts or dates), one `[[article]] id / text` per article.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::common::{FixtureServer, PLACEHOLDER, fixture_dir, load_expected, pressfeed};
use serde::Deserialize;

const MIN_SIMILARITY: f64 = 0.95;

/// Strings from the built-in boilerplate list that must never reach a feed.
const BUILTIN_JUNK: &[&str] = &[
    "Exit mobile version",
    "Go to mobile version",
    "Back to top",
    "Читайте также",
    "Подписывайтесь",
    "Подпишитесь на наш",
    "Поделиться",
    "- Реклама -",
    "Версия для печати",
    "Скачать PDF",
    "cookie",
    "Categories:",
    "Tags:",
    "Leave a Comment",
    "Related posts",
    "Похожие новости",
    "Популярное",
];

#[derive(Deserialize)]
struct Texts {
    article: Vec<Text>,
}

#[derive(Deserialize)]
struct Text {
    id: String,
    text: String,
}

fn expected_texts(fixture: &str, base: &str) -> Vec<Text> {
    let raw = fs::read_to_string(fixture_dir(fixture).join("expected_text.toml"))
        .expect("read expected_text.toml");
    let t: Texts = toml::from_str(&raw.replace(PLACEHOLDER, base)).expect("parse expected_text");
    t.article
}

/// A config for `fixture` with no `[source.listing]` / `[source.article]` selectors.
fn zero_config(dir: &Path, id: &str, listing: &str, base: &str) -> std::path::PathBuf {
    let text = format!(
        r#"[settings]
database = "pressfeed.db"
feeds_dir = "feeds"
base_url = "http://127.0.0.1:8080/"
min_delay_ms = 0
per_host_concurrency = 2

[[source]]
id = "{id}"
title = "zero-config {id}"
language = "ru"
timezone = "Asia/Almaty"
listing_urls = ["{base}{listing}"]
max_pages = 3
"#
    );
    let p = dir.join("config.toml");
    fs::write(&p, text).expect("write config");
    p
}

/// Visible text of an HTML fragment, whitespace collapsed.
fn plain(html: &str) -> String {
    let frag = scraper::Html::parse_fragment(html);
    frag.root_element()
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// 2·LCS / (|a| + |b|) over words: 1.0 for equal texts (difflib's ratio, on words).
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<&str> = a.split_whitespace().collect();
    let b: Vec<&str> = b.split_whitespace().collect();
    crate::common::lcs_ratio(&a, &b)
}

struct Item {
    url: String,
    title: String,
    published: Option<String>,
    body: String,
}

fn run(fixture: &str, listing: &str) -> (FixtureServer, Vec<Item>, Vec<u8>) {
    let server = FixtureServer::start(fixture_dir(fixture));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = zero_config(dir.path(), fixture, listing, &server.base);
    let out = pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run pressfeed refresh");
    assert!(
        out.status.success(),
        "zero-config refresh of {fixture} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let feeds = dir.path().join("feeds");
    let json = fs::read(feeds.join(format!("{fixture}.json"))).expect("json feed");
    let mut all = json.clone();
    for ext in ["rss", "atom"] {
        all.extend(fs::read(feeds.join(format!("{fixture}.{ext}"))).expect("feed file"));
    }
    let v: serde_json::Value = serde_json::from_slice(&json).expect("JSON Feed");
    let s = |x: &serde_json::Value| x.as_str().map(str::to_string);
    let items = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|it| Item {
            url: s(&it["url"]).unwrap_or_default(),
            title: s(&it["title"]).unwrap_or_default(),
            published: s(&it["date_published"]),
            body: plain(&s(&it["content_html"]).unwrap_or_default()),
        })
        .collect();
    (server, items, all)
}

fn check(fixture: &str, listing: &str) {
    let (server, items, all_feeds) = run(fixture, listing);
    let expected = load_expected(fixture, &server.base);
    let texts = expected_texts(fixture, &server.base);

    let mut urls: Vec<&str> = items.iter().map(|i| i.url.as_str()).collect();
    urls.sort_unstable();
    let mut want: Vec<&str> = expected.articles.iter().map(|a| a.id.as_str()).collect();
    want.sort_unstable();
    assert_eq!(urls, want, "{fixture}: every article once, nothing else");

    let mut report = Vec::new();
    for e in &expected.articles {
        let item = items.iter().find(|i| i.url == e.id).expect("item present");
        assert_eq!(item.title, e.title, "{}: title", e.id);
        if e.published != "first-seen" {
            let got = item
                .published
                .as_deref()
                .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok());
            let want = chrono::DateTime::parse_from_rfc3339(&e.published).expect("expected date");
            assert_eq!(got, Some(want), "{}: published", e.id);
        }
        let text = texts
            .iter()
            .find(|t| t.id == e.id)
            .unwrap_or_else(|| panic!("{}: no expected text", e.id));
        let sim = similarity(&item.body, &plain(&text.text));
        report.push(format!("{sim:.3} {}", e.id));
        assert!(
            sim >= MIN_SIMILARITY,
            "{}: body similarity {sim:.3} < {MIN_SIMILARITY}\n got: {}\nwant: {}",
            e.id,
            item.body,
            text.text
        );
    }
    eprintln!("{fixture} body similarity:\n{}", report.join("\n"));

    let feeds = String::from_utf8_lossy(&all_feeds);
    for junk in BUILTIN_JUNK
        .iter()
        .map(|s| s.to_string())
        .chain(expected.body_excludes_all)
    {
        assert!(!feeds.contains(&junk), "{fixture}: {junk:?} in a feed");
    }
}

#[test]
fn wordpress_html_without_selectors() {
    check("wp", "/category/genprokuratura/");
}

#[test]
fn legacy_windows_1251_without_selectors() {
    check("legacy", "/press/news.html");
}

#[test]
fn similarity_is_word_lcs_ratio() {
    assert_eq!(similarity("a b c", "a b c"), 1.0);
    assert!((similarity("a b c d", "a b c") - 6.0 / 7.0).abs() < 1e-9);
    assert_eq!(similarity("x", "y"), 0.0);
}

/// Readability alone (as if the theme had no known content container) on every WordPress
/// fixture page: the fallback must be good on its own, not only on table layouts.
#[test]
fn readability_alone_on_wordpress_pages() {
    let mut report = Vec::new();
    for t in expected_texts("wp", PLACEHOLDER) {
        let rel = t.id.trim_start_matches(PLACEHOLDER).trim_matches('/');
        let html = fs::read_to_string(fixture_dir("wp").join(rel).join("index.html"))
            .expect("fixture page");
        let url = url::Url::parse(&t.id).expect("url");
        let (body, _) =
            pressfeed::extract::readable_body(&html, &url, &[]).expect("readability finds a body");
        let sim = similarity(&plain(&body), &plain(&t.text));
        report.push(format!("{sim:.3} {}", t.id));
        assert!(
            sim >= MIN_SIMILARITY,
            "{}: {sim:.3}\n{}",
            t.id,
            plain(&body)
        );
    }
    eprintln!("readability alone, wp:\n{}", report.join("\n"));
}

/// A listing that shows no article links (rendered by JavaScript) falls back to the site's
/// sitemaps: robots.txt names a sitemap index, whose child lists the posts newest first.
#[test]
fn empty_listing_falls_back_to_sitemaps() {
    let server = FixtureServer::start(fixture_dir("wp"));
    server.set_file(
        "category/genprokuratura/index.html",
        "<html><body><div id=app></div><script src=/app.js></script></body></html>",
    );
    server.set_file(
        "robots.txt",
        "User-agent: *\nDisallow: /wp-admin/\nSitemap: http://press.fixture/sitemap_index.xml\n",
    );
    server.set_file(
        "sitemap_index.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://press.fixture/post-sitemap.xml</loc><lastmod>2025-09-24T05:12:00+00:00</lastmod></sitemap>
</sitemapindex>"#,
    );
    server.set_file(
        "post-sitemap.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://press.fixture/</loc></url>
<url><loc>http://press.fixture/2025/09/20/zashchita-prav-predprinimatelej/</loc><lastmod>2025-09-20T04:00:00+00:00</lastmod></url>
<url><loc>http://press.fixture/2025/09/24/v-turkestane-startoval-pervyj-mezhdunarodnyj-forum-gosudarstvennyh-obvinitelej/</loc><lastmod>2025-09-24T05:12:00+00:00</lastmod></url>
</urlset>"#,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = zero_config(dir.path(), "wp", "/category/genprokuratura/", &server.base);
    let out = pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run refresh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = fs::read(dir.path().join("feeds/wp.json")).expect("json feed");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("JSON Feed");
    let mut urls: Vec<String> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["url"].as_str().map(str::to_string))
        .collect();
    urls.sort();
    assert_eq!(
        urls,
        vec![
            format!(
                "{}/2025/09/20/zashchita-prav-predprinimatelej/",
                server.base
            ),
            format!(
                "{}/2025/09/24/v-turkestane-startoval-pervyj-mezhdunarodnyj-forum-gosudarstvennyh-obvinitelej/",
                server.base
            ),
        ]
    );
}
