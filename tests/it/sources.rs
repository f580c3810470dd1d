//! Source kinds end to end, in process: a WordPress site read through its REST API, the same
//! site scraped when the API is off, and a gov.kz-style JSON portal with a Kazakh twin. Each
//! fixture keeps its expected records in `expected.toml`; records are compared field by field
//! (title, link and dates exact, body text by similarity).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Fault, FixtureServer, PLACEHOLDER, fixture_dir};
use chrono::{DateTime, Utc};
use pressfeed::config::Config;
use pressfeed::core::model::StoredArticle;
use pressfeed::http::Fetcher;
use pressfeed::normalize::plain_text;
use pressfeed::pipeline::{Pipeline, RunOptions, RunReport};
use pressfeed::store::Store;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    #[serde(rename = "article")]
    articles: Vec<Record>,
}

/// One expected record, as written by `tests/fixtures/make_source_fixtures.py`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    /// The feed (source id) it belongs to; the fixture's only source when absent.
    feed: Option<String>,
    link: String,
    title: String,
    published: String,
    modified: Option<String>,
    author: Option<String>,
    categories: Vec<String>,
    /// Empty: no image.
    image: String,
    language: String,
    body_text: String,
}

fn load_expected(fixture: &str, base: &str) -> Expected {
    let text = std::fs::read_to_string(fixture_dir(fixture).join("expected.toml")).unwrap();
    toml::from_str(&text.replace(PLACEHOLDER, base)).unwrap()
}

/// Words of a text, lowercased, punctuation dropped.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// difflib-style ratio over word tokens: 2·LCS / (|a| + |b|), 1.0 for equal texts.
fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (tokens(a), tokens(b));
    crate::common::lcs_ratio(&a, &b)
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// A pipeline over the config's store, with short retry delays.
fn pipeline(config: &Config) -> Pipeline {
    let fetcher = Fetcher::with_retry_delays(
        &config.settings,
        Duration::from_millis(5),
        Duration::from_millis(20),
    )
    .expect("fetcher");
    let store = Arc::new(Mutex::new(
        Store::open(&config.settings.database).expect("store"),
    ));
    Pipeline::new(config.settings.clone(), fetcher, store)
}

/// Runs every source of the config once on `pipeline`; returns the reports.
fn run_all(config: &Config, pipeline: &Pipeline) -> Vec<RunReport> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut out = Vec::new();
        for s in &config.sources {
            out.push(pipeline.run(s, &RunOptions::default(), None).await);
        }
        out
    })
}

/// Runs every source of the config once, in process, on a new pipeline (as a `pressfeed
/// refresh` does); returns the reports.
pub(crate) fn refresh(cfg: &Path) -> (Config, Vec<RunReport>) {
    let config = Config::load(cfg).expect("config");
    let reports = run_all(&config, &pipeline(&config));
    (config, reports)
}

fn stored(config: &Config, id: &str) -> Vec<StoredArticle> {
    Store::open(&config.settings.database)
        .expect("store")
        .recent(id, 1000)
        .expect("recent")
}

/// Compares the stored records of `feed` with the expected ones, field by field.
fn check_records(config: &Config, feed: &str, expected: &[&Record]) {
    let got = stored(config, feed);
    assert_eq!(
        got.len(),
        expected.len(),
        "{feed}: {:?}",
        got.iter()
            .map(|a| a.article.url.as_str())
            .collect::<Vec<_>>()
    );
    for e in expected {
        let a = &got
            .iter()
            .find(|g| g.article.url.as_str() == e.link)
            .unwrap_or_else(|| panic!("{feed}: no record for {}", e.link))
            .article;
        assert_eq!(a.title, e.title, "{}", e.link);
        assert_eq!(a.published, Some(instant(&e.published)), "{}", e.link);
        if let Some(m) = &e.modified {
            let want = instant(m);
            // A modification equal to publication is not a modification.
            let got = a.modified.or(a.published);
            assert_eq!(got, Some(want), "{} modified", e.link);
        }
        assert_eq!(a.author, e.author, "{}", e.link);
        assert_eq!(a.categories, e.categories, "{}", e.link);
        assert_eq!(
            a.image.as_ref().map(|u| u.as_str()).unwrap_or(""),
            e.image,
            "{}",
            e.link
        );
        // `<html lang="ru-RU">` and the source's "ru" are the same language.
        let primary = a.language.split('-').next().unwrap_or_default();
        assert_eq!(primary, e.language, "{}", e.link);
        let text = plain_text(&a.content_html);
        let sim = similarity(&text, &e.body_text);
        assert!(
            sim >= 0.95,
            "{}: body similarity {sim:.3}\n got: {text}\nwant: {}",
            e.link,
            e.body_text
        );
        assert!(!text.contains("Поделиться"), "{}: share block kept", e.link);
    }
}

fn paths(server: &FixtureServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|p| p != "/robots.txt")
        .collect()
}

fn all(expected: &Expected) -> Vec<&Record> {
    expected.articles.iter().collect()
}

#[test]
fn similarity_measure() {
    assert_eq!(similarity("a b c", "a, b. c!"), 1.0);
    assert!(similarity("one two three four", "one two three five") < 0.8);
    assert_eq!(similarity("", ""), 1.0);
}

#[test]
fn wordpress_rest_on_uses_the_api_and_fetches_no_article_page() {
    let server = FixtureServer::start(fixture_dir("wp-rest"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp-rest");
    let (config, reports) = refresh(&cfg);
    let r = &reports[0];
    assert!(r.fatal.is_none() && r.failed.is_empty(), "{r:?}");
    assert_eq!((r.found, r.new), (5, 5), "{r:?}");
    let seen = paths(&server);
    assert_eq!(
        seen,
        [
            "/category/genprokuratura/",
            "/wp-json/wp/v2/categories?slug=genprokuratura",
            "/wp-json/wp/v2/posts?_embed=1&per_page=3&page=1&categories=5",
            "/wp-json/wp/v2/posts?_embed=1&per_page=3&page=2&categories=5",
        ],
        "no article page and no HTML listing page 2 may be fetched"
    );
    let expected = load_expected("wp-rest", &server.base);
    check_records(&config, "wprest", &all(&expected));

    // A second run finds nothing new: one API page, nothing re-stored.
    server.clear_requests();
    let (_, reports) = refresh(&cfg);
    let r = &reports[0];
    assert_eq!((r.new, r.updated, r.unchanged), (0, 0, 3), "{r:?}");
    assert!(
        !paths(&server).iter().any(|p| p.contains("page=2")),
        "{:?}",
        paths(&server)
    );
}

/// Detecting WordPress costs a request for the listing page; a pipeline remembers the
/// answer for its next runs, and a new pipeline (what a reload builds) asks again. The
/// memory used to be a process-wide static that survived SIGHUP and could not be reset.
#[test]
fn regression_wordpress_detection_is_remembered_per_pipeline_not_per_process() {
    let server = FixtureServer::start(fixture_dir("wp-rest"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp-rest");
    let config = Config::load(&cfg).expect("config");
    let detection = |seen: &[String]| {
        seen.iter()
            .filter(|p| *p == "/category/genprokuratura/")
            .count()
    };
    let first = pipeline(&config);
    let r = &run_all(&config, &first)[0];
    assert_eq!(r.new, 5, "{r:?}");
    assert_eq!(detection(&paths(&server)), 1, "{:?}", paths(&server));

    server.clear_requests();
    let r = &run_all(&config, &first)[0];
    let seen = paths(&server);
    assert_eq!(
        detection(&seen),
        0,
        "same pipeline: no second detection {seen:?}"
    );
    assert!(
        seen.iter().any(|p| p.starts_with("/wp-json/wp/v2/posts")),
        "{seen:?}"
    );
    assert_eq!((r.new, r.unchanged), (0, 3), "{r:?}");

    server.clear_requests();
    let reloaded = pipeline(&config);
    let r = &run_all(&config, &reloaded)[0];
    let seen = paths(&server);
    assert_eq!(detection(&seen), 1, "new pipeline: detects again {seen:?}");
    assert!(
        seen.iter().any(|p| p.starts_with("/wp-json/wp/v2/posts")),
        "{seen:?}"
    );
    assert!(r.fatal.is_none() && r.failed.is_empty(), "{r:?}");
}

#[test]
fn wordpress_rest_off_gives_the_same_records_from_html() {
    let server = FixtureServer::start(fixture_dir("wp-rest"));
    server.set_fault(
        "/wp-json/wp/v2/categories",
        Some(Fault::Status(404, vec![])),
    );
    server.set_fault("/wp-json/wp/v2/posts", Some(Fault::Status(404, vec![])));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp-rest");
    let (config, reports) = refresh(&cfg);
    let r = &reports[0];
    assert!(r.fatal.is_none() && r.failed.is_empty(), "{r:?}");
    let seen = paths(&server);
    // The listing page fetched for detection is reused, not asked for twice.
    assert_eq!(
        seen.iter()
            .filter(|p| *p == "/category/genprokuratura/")
            .count(),
        1,
        "{seen:?}"
    );
    assert_eq!(seen.iter().filter(|p| p.starts_with("/20")).count(), 5);
    let expected = load_expected("wp-rest", &server.base);
    check_records(&config, "wprest", &all(&expected));
}

#[test]
fn wordpress_off_in_config_never_asks_the_api() {
    let server = FixtureServer::start(fixture_dir("wp-rest"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp-rest");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("max_pages = 3\n", "max_pages = 3\nwordpress = \"off\"\n"),
    )
    .unwrap();
    let (config, reports) = refresh(&cfg);
    assert!(reports[0].failed.is_empty(), "{:?}", reports[0]);
    assert!(!paths(&server).iter().any(|p| p.starts_with("/wp-json")));
    let expected = load_expected("wp-rest", &server.base);
    check_records(&config, "wprest", &all(&expected));
}

#[test]
fn json_portal_gives_one_feed_per_language() {
    let server = FixtureServer::start(fixture_dir("govkz"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "govkz");
    let (config, reports) = refresh(&cfg);
    for r in &reports {
        assert!(r.fatal.is_none() && r.failed.is_empty(), "{r:?}");
    }
    let ids: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["gp", "gp-kk"]);
    let expected = load_expected("govkz", &server.base);
    for feed in ["gp", "gp-kk"] {
        let want: Vec<&Record> = expected
            .articles
            .iter()
            .filter(|a| a.feed.as_deref() == Some(feed))
            .collect();
        check_records(&config, feed, &want);
    }
    // The language travels in a header; only the item without a list body costs a detail GET.
    let reqs = server.requests();
    let api: Vec<_> = reqs
        .iter()
        .filter(|r| r.path_and_query.starts_with("/api/"))
        .collect();
    for r in &api {
        let lang = if r.path_and_query.contains("lang=kk") {
            "kk"
        } else {
            "ru"
        };
        assert_eq!(
            r.header("accept-language"),
            Some(lang),
            "{}",
            r.path_and_query
        );
    }
    let details: Vec<_> = api
        .iter()
        .filter(|r| r.path_and_query.contains("/news/5"))
        .map(|r| r.path_and_query.as_str())
        .collect();
    assert_eq!(
        details,
        ["/api/v1/public/content-manager/news/5003?lang=ru"]
    );

    // Each feed is in its own language.
    let feeds = dir.path().join("feeds");
    for (feed, lang) in [("gp", "ru"), ("gp-kk", "kk")] {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(feeds.join(format!("{feed}.json"))).unwrap())
                .unwrap();
        assert_eq!(json["language"], lang, "{feed}");
        let rss = std::fs::read_to_string(feeds.join(format!("{feed}.rss"))).unwrap();
        assert!(
            rss.contains(&format!("<language>{lang}</language>")),
            "{rss}"
        );
    }

    // Nothing changed: nothing re-stored, no detail fetched again.
    server.clear_requests();
    let (_, reports) = refresh(&cfg);
    assert!(
        reports.iter().all(|r| r.new == 0 && r.updated == 0),
        "{reports:?}"
    );
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path_and_query.contains("/news/5003")),
    );
}
