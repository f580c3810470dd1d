//! Zero-config scores per CMS family (issue 13): Drupal 7 and Drupal 8+ Views, Bitrix
//! `news.list`, a hand-made windows-1251 table layout (tests/fixtures/zeroconf-*, made by
//! `make_zeroconf_fixtures.py`). Each family is refreshed with no selectors at all and scored
//! against its `expected_zeroconf.toml`:
//!
//! - coverage: expected articles in the feed / expected articles (and extra items, which
//!   must be none);
//! - exact titles and exact dates (the instant, compared as RFC 3339 instants);
//! - body similarity: token-level F1 of the feed body against the expected text, both
//!   normalized (lower case, `ё` → `е`, split on anything not a letter or digit), tokens
//!   counted as a multiset: F1 = 2·|common| / (|got| + |want|).
//!
//! The score line is printed before anything is asserted, so a failing run still shows the
//! numbers (`cargo test --test it zeroconf_families -- --nocapture`).

use std::collections::HashMap;
use std::fs;
use std::time::Duration;

use serde::Deserialize;

use crate::common::{FixtureServer, PLACEHOLDER, fixture_dir, pressfeed};

/// Mean body F1 a family must reach.
const MIN_BODY_F1: f64 = 0.95;

#[derive(Deserialize)]
struct Expected {
    article: Vec<ExpectedArticle>,
}

#[derive(Deserialize)]
struct ExpectedArticle {
    id: String,
    title: String,
    published: String,
    text: String,
}

/// One family's zero-config result.
#[derive(Debug)]
struct Score {
    expected: usize,
    found: usize,
    extra: Vec<String>,
    titles: usize,
    dates: usize,
    body_f1: f64,
    misses: Vec<String>,
}

impl Score {
    fn line(&self, family: &str) -> String {
        format!(
            "{family:<18} coverage {}/{}  extra {}  titles {}/{}  dates {}/{}  body F1 {:.3}",
            self.found,
            self.expected,
            self.extra.len(),
            self.titles,
            self.expected,
            self.dates,
            self.expected,
            self.body_f1
        )
    }
}

/// Lower-case word tokens: letters and digits, `ё` read as `е`.
fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Token-level F1 of two texts (multiset overlap); 1.0 for two empty texts.
fn token_f1(got: &str, want: &str) -> f64 {
    let (g, w) = (tokens(got), tokens(want));
    if g.is_empty() && w.is_empty() {
        return 1.0;
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &w {
        *counts.entry(t).or_default() += 1;
    }
    let mut common = 0usize;
    for t in &g {
        if let Some(n) = counts.get_mut(t.as_str())
            && *n > 0
        {
            *n -= 1;
            common += 1;
        }
    }
    2.0 * common as f64 / (g.len() + w.len()) as f64
}

fn plain(html: &str) -> String {
    scraper::Html::parse_fragment(html)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
}

fn config(base: &str, family: &str, listing: &str) -> String {
    format!(
        r#"[settings]
database = "pressfeed.db"
feeds_dir = "feeds"
base_url = "http://127.0.0.1:8080/"
min_delay_ms = 0
per_host_concurrency = 2

[[source]]
id = "{family}"
title = "zero-config {family}"
language = "ru"
timezone = "Asia/Almaty"
listing_urls = ["{base}{listing}"]
max_pages = 10
items = 100
"#
    )
}

/// Refreshes `family` without selectors and scores the JSON feed; the server is returned
/// for its request log.
fn score(family: &str, listing: &str) -> (Score, FixtureServer) {
    let server = FixtureServer::start(fixture_dir(family));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("config.toml");
    fs::write(&cfg, config(&server.base, family, listing)).expect("write config");
    let out = pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run pressfeed refresh");
    let json = fs::read(dir.path().join("feeds").join(format!("{family}.json")));
    let items: Vec<serde_json::Value> = match json {
        Ok(bytes) => {
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("JSON Feed")["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        }
        // No feed written at all (the listing yielded nothing): everything is missing.
        Err(_) => {
            eprintln!(
                "{family}: no feed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Vec::new()
        }
    };
    let raw = fs::read_to_string(fixture_dir(family).join("expected_zeroconf.toml"))
        .expect("read expected_zeroconf.toml");
    let expected: Expected =
        toml::from_str(&raw.replace(PLACEHOLDER, &server.base)).expect("parse expected");
    let by_url: HashMap<&str, &serde_json::Value> = items
        .iter()
        .filter_map(|i| i["url"].as_str().map(|u| (u, i)))
        .collect();
    let mut s = Score {
        expected: expected.article.len(),
        found: 0,
        extra: by_url
            .keys()
            .filter(|u| !expected.article.iter().any(|a| a.id == **u))
            .map(|u| u.to_string())
            .collect(),
        titles: 0,
        dates: 0,
        body_f1: 0.0,
        misses: Vec::new(),
    };
    for e in &expected.article {
        let Some(item) = by_url.get(e.id.as_str()) else {
            s.misses.push(format!("{}: not in the feed", e.id));
            continue;
        };
        s.found += 1;
        let title = item["title"].as_str().unwrap_or_default();
        if title == e.title {
            s.titles += 1;
        } else {
            s.misses
                .push(format!("{}: title {title:?}, want {:?}", e.id, e.title));
        }
        let got = item["date_published"]
            .as_str()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok());
        let want = chrono::DateTime::parse_from_rfc3339(&e.published).expect("expected date");
        if got == Some(want) {
            s.dates += 1;
        } else {
            s.misses.push(format!(
                "{}: date {:?}, want {}",
                e.id, item["date_published"], e.published
            ));
        }
        let body = plain(item["content_html"].as_str().unwrap_or_default());
        let f1 = token_f1(&body, &e.text);
        if f1 < MIN_BODY_F1 {
            s.misses.push(format!("{}: body F1 {f1:.3}: {body}", e.id));
        }
        s.body_f1 += f1;
    }
    s.body_f1 /= s.expected.max(1) as f64;
    (s, server)
}

fn check(family: &str, listing: &str) -> FixtureServer {
    let (s, server) = score(family, listing);
    eprintln!("SCORE {}", s.line(family));
    for m in &s.misses {
        eprintln!("  {m}");
    }
    assert_eq!(s.found, s.expected, "{family}: coverage\n{s:#?}");
    assert!(s.extra.is_empty(), "{family}: extra items\n{s:#?}");
    assert_eq!(s.titles, s.expected, "{family}: titles\n{s:#?}");
    assert_eq!(s.dates, s.expected, "{family}: dates\n{s:#?}");
    assert!(s.body_f1 >= MIN_BODY_F1, "{family}: body\n{s:#?}");
    server
}

#[test]
fn drupal7_views_without_selectors() {
    let server = check("zeroconf-drupal7", "/press-releases");
    // ?page=1 is page 2; the last page links ?page=3, which Drupal clamps to the last page
    // again: read once, it brings nothing new and the walk stops there.
    let log = server.requests();
    let pages = |q: &str| {
        log.iter()
            .filter(|r| {
                r.path_and_query.starts_with("/press-releases") && r.path_and_query.ends_with(q)
            })
            .count()
    };
    assert_eq!(
        (
            pages("?page=1"),
            pages("?page=2"),
            pages("?page=3"),
            pages("?page=4")
        ),
        (1, 1, 1, 0),
        "{:?}",
        log.iter().map(|r| &r.path_and_query).collect::<Vec<_>>()
    );
}

#[test]
fn drupal8_views_without_selectors() {
    check("zeroconf-drupal8", "/ru/news");
}

#[test]
fn bitrix_news_list_without_selectors() {
    let server = check("zeroconf-bitrix", "/press/news/");
    // The "latest news" column links announcements of another section: never fetched.
    let log = server.requests();
    assert!(
        !log.iter()
            .any(|r| r.path_and_query.contains("/announcements/")),
        "a side block's link was followed"
    );
}

#[test]
fn table_layout_windows_1251_without_selectors() {
    let server = check("zeroconf-table", "/press/novosti.html");
    let log = server.requests();
    assert!(
        !log.iter().any(
            |r| r.path_and_query.contains("obyavlenie") || r.path_and_query.contains("konkurs")
        ),
        "a side block's link was followed"
    );
}

#[test]
fn token_f1_counts_a_multiset_overlap() {
    assert_eq!(token_f1("Ёлка, ёлка!", "елка елка"), 1.0);
    assert!((token_f1("a b c d", "a b") - 2.0 * 2.0 / 6.0).abs() < 1e-9);
    assert_eq!(token_f1("a a", "a"), 2.0 / 3.0);
    assert_eq!(token_f1("x", "y"), 0.0);
}
