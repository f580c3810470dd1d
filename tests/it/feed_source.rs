//! Sites that publish a summary-only feed: `kind = "feed"` reads the entries from the feed
//! (RSS or Atom) and every body from the article page, with the feed's date, author and
//! categories where the page states none; incremental like listing pages. Zero-config
//! HTML sources take their links from the feed their listing page advertises, and fall
//! back to the page's own links when that feed is broken or missing. Ids use upper-case
//! percent-escapes; links stay as the site writes them.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{FixtureServer, fixture_dir, load_expected, pressfeed};

/// The Cyrillic-slug article, as the site (and its feed) writes the link.
const CYRILLIC_LINK: &str =
    "/2025/10/05/%d0%bf%d1%80%d0%b8%d0%b5%d0%bc-%d0%b3%d1%80%d0%b0%d0%b6%d0%b4%d0%b0%d0%bd/";

struct Item {
    id: String,
    url: String,
    title: String,
    published: String,
    author: Option<String>,
    tags: Vec<String>,
    body: String,
}

/// Requests whose path (and query) `f` accepts.
fn hits(server: &FixtureServer, f: impl Fn(&str) -> bool) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| f(&r.path_and_query))
        .count()
}

fn refresh(cfg: &Path) -> String {
    let out = pressfeed()
        .arg("--config")
        .arg(cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run refresh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "refresh failed:\n{log}");
    log
}

/// The fixture's config with `from` replaced by `to` (which must occur).
fn config(server: &FixtureServer, dir: &Path, from: &str, to: &str) -> PathBuf {
    let cfg = server.copy_config(dir, "wp-feed");
    let text = fs::read_to_string(&cfg).expect("config");
    assert!(text.contains(from), "{from:?}");
    fs::write(&cfg, text.replacen(from, to, 1)).expect("write config");
    cfg
}

fn items(dir: &Path, id: &str) -> Vec<Item> {
    let json = fs::read(dir.join(format!("feeds/{id}.json"))).expect("json feed");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("JSON Feed");
    let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_string();
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|it| Item {
            id: s(&it["id"]),
            url: s(&it["url"]),
            title: s(&it["title"]),
            published: s(&it["date_published"]),
            author: it["authors"][0]["name"].as_str().map(str::to_string),
            tags: it["tags"]
                .as_array()
                .map(|t| t.iter().map(s).collect())
                .unwrap_or_default(),
            body: s(&it["content_html"]),
        })
        .collect()
}

/// Every item of the fixture's expected.toml, exactly: id, title, date, author, categories,
/// a full-text body.
fn check_expected(server: &FixtureServer, got: &[Item]) {
    let expected = load_expected("wp-feed", &server.base);
    let mut ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    let mut want: Vec<&str> = expected.articles.iter().map(|a| a.id.as_str()).collect();
    want.sort_unstable();
    assert_eq!(ids, want, "every same-site feed entry once, nothing else");
    for e in &expected.articles {
        let item = got.iter().find(|i| i.id == e.id).expect("item");
        assert_eq!(item.title, e.title, "{}", e.id);
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(&item.published).ok(),
            chrono::DateTime::parse_from_rfc3339(&e.published).ok(),
            "{}: published",
            e.id
        );
        assert_eq!(item.author, e.author, "{}: author", e.id);
        assert_eq!(
            Some(&item.tags),
            e.categories.as_ref(),
            "{}: categories",
            e.id
        );
        for s in &e.body_contains {
            assert!(
                item.body.contains(s.as_str()),
                "{}: {s:?} not in\n{}",
                e.id,
                item.body
            );
        }
        for s in &e.body_excludes {
            assert!(
                !item.body.contains(s.as_str()),
                "{}: {s:?} in\n{}",
                e.id,
                item.body
            );
        }
    }
}

#[test]
fn summary_only_rss_feed_gives_full_text_items() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp-feed");
    refresh(&cfg);
    let got = items(dir.path(), "wp-feed");
    check_expected(&server, &got);
    // Never the other site's entry, and never its page.
    assert_eq!(hits(&server, |p| p.contains("repost")), 0);
}

#[test]
fn summary_only_atom_feed_gives_full_text_items() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = config(
        &server,
        dir.path(),
        "/category/news/feed/\"]",
        "/category/news/feed/atom/\"]",
    );
    refresh(&cfg);
    check_expected(&server, &items(dir.path(), "wp-feed"));
}

#[test]
fn feed_source_with_article_selectors_uses_them() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = config(
        &server,
        dir.path(),
        "recheck_hours = 0\n",
        "recheck_hours = 0\n\n[source.article]\ntitle = \"h1.entry-title\"\ncontent = \"div.entry-content\"\n",
    );
    refresh(&cfg);
    check_expected(&server, &items(dir.path(), "wp-feed"));
}

#[test]
fn second_run_of_a_feed_source_fetches_only_the_feed() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp-feed");
    refresh(&cfg);
    server.clear_requests();
    refresh(&cfg);
    let paths: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|p| p != "/robots.txt")
        .collect();
    assert_eq!(paths, vec!["/category/news/feed/".to_string()]);
    assert_eq!(items(dir.path(), "wp-feed").len(), 3);
}

#[test]
fn cyrillic_slug_id_is_upper_case_and_its_link_unchanged() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp-feed");
    refresh(&cfg);
    let got = items(dir.path(), "wp-feed");
    let item = got
        .iter()
        .find(|i| i.url == format!("{}{CYRILLIC_LINK}", server.base))
        .expect("the link exactly as the site writes it");
    assert_eq!(
        item.id,
        format!("{}{}", server.base, CYRILLIC_LINK.to_uppercase())
    );
    let atom = fs::read_to_string(dir.path().join("feeds/wp-feed.atom")).expect("atom");
    assert!(atom.contains(&format!(
        "<id>{}{}</id>",
        server.base,
        CYRILLIC_LINK.to_uppercase()
    )));
    let rss = fs::read_to_string(dir.path().join("feeds/wp-feed.rss")).expect("rss");
    // Same URL up to the case of its escapes: still a permalink.
    assert!(
        rss.contains(&format!(
            "<guid>{}{}</guid>",
            server.base,
            CYRILLIC_LINK.to_uppercase()
        )),
        "{rss}"
    );
    assert!(rss.contains(&format!("<link>{}{CYRILLIC_LINK}</link>", server.base)));
}

#[test]
fn regression_stored_lower_case_id_is_kept_not_duplicated() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp-feed");
    refresh(&cfg);
    // As stored by a version without canonical ids: the id is the link as written.
    let db = rusqlite::Connection::open(dir.path().join("pressfeed.db")).expect("db");
    let link = format!("{}{CYRILLIC_LINK}", server.base);
    let upper = format!("{}{}", server.base, CYRILLIC_LINK.to_uppercase());
    for (table, column) in [("articles", "id"), ("links", "article_id")] {
        let n = db
            .execute(
                &format!("UPDATE {table} SET {column} = ?1 WHERE {column} = ?2"),
                [&link, &upper],
            )
            .expect("rewrite id");
        assert!(n >= 1, "{table}");
    }
    db.execute("DELETE FROM links WHERE url = ?1", [&upper])
        .expect("forget the upper-case link");
    drop(db);
    let out = pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .arg("--refetch")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("refetch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = items(dir.path(), "wp-feed");
    assert_eq!(got.len(), 3, "no duplicate of the re-fetched article");
    assert!(got.iter().any(|i| i.id == link), "the stored id stays");
}

/// A zero-config HTML source on the fixture's category page (no `kind`, no selectors).
fn zero_config(server: &FixtureServer, dir: &Path) -> PathBuf {
    let cfg = config(server, dir, "kind = \"feed\"\n", "");
    let text = fs::read_to_string(&cfg).expect("config");
    let feed = format!("{}/category/news/feed/", server.base);
    let page = format!("{}/category/news/", server.base);
    fs::write(&cfg, text.replace(&feed, &page)).expect("write config");
    cfg
}

#[test]
fn zero_config_listing_takes_links_from_the_advertised_feed() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = zero_config(&server, dir.path());
    let log = refresh(&cfg);
    assert!(
        log.contains("article links from the feed the listing page advertises"),
        "{log}"
    );
    // The category feed (under the page's path), not the site-wide or comments feed.
    assert_eq!(hits(&server, |p| p == "/category/news/feed/"), 1);
    assert_eq!(
        hits(&server, |p| p == "/comments/feed/" || p == "/feed/"),
        0
    );
    // The feed lists the Cyrillic-slug article the page itself does not show.
    let got = items(dir.path(), "wp-feed");
    assert_eq!(got.len(), 3);
    assert!(got.iter().any(|i| i.url.ends_with(CYRILLIC_LINK)));
}

#[test]
fn broken_advertised_feed_falls_back_to_the_html_links() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    server.set_file(
        "category/news/feed/index.html",
        "<html><body>Ошибка базы данных</body></html>",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = zero_config(&server, dir.path());
    let log = refresh(&cfg);
    assert!(
        log.contains("advertised feed unusable; article links from the HTML listing"),
        "{log}"
    );
    let mut urls: Vec<String> = items(dir.path(), "wp-feed")
        .into_iter()
        .map(|i| i.url)
        .collect();
    urls.sort();
    assert_eq!(
        urls,
        vec![
            format!("{}/2025/10/06/prokuratura-vernula-zarplatu/", server.base),
            format!("{}/2025/10/07/onlajn-priem/", server.base),
        ]
    );
}

#[test]
fn missing_advertised_feed_falls_back_to_the_html_links() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    let page = server.file("category/news/index.html");
    server.set_file(
        "category/news/index.html",
        page.replace("/category/news/feed/", "/category/news/rss-404/"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = zero_config(&server, dir.path());
    let log = refresh(&cfg);
    assert!(log.contains("advertised feed unusable"), "{log}");
    assert_eq!(hits(&server, |p| p == "/category/news/rss-404/"), 1);
    assert_eq!(items(dir.path(), "wp-feed").len(), 2);
}

#[test]
fn empty_feed_fails_the_source_and_says_why() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    server.set_file(
        "category/news/feed/index.html",
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>http://press.fixture/</link><description>d</description></channel></rss>"#,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp-feed");
    let out = pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run refresh");
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("the feed listed no article of the site"),
        "{log}"
    );
    assert!(!dir.path().join("feeds/wp-feed.json").exists());
}

/// A section page advertising a feed of other articles (the whole site's, say) keeps its
/// own main list: the feed shares no link with the page, so it is not taken.
#[test]
fn regression_advertised_feed_listing_none_of_the_pages_articles_is_not_used() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    server.set_file(
        "category/news/feed/index.html",
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>Сайт</title><link>http://press.fixture/</link><description>Все новости</description>
<item><title>Совсем другая новость</title><link>http://press.fixture/2025/10/01/drugaya/</link>
<guid>http://press.fixture/2025/10/01/drugaya/</guid><pubDate>Wed, 01 Oct 2025 05:00:00 GMT</pubDate></item>
</channel></rss>"#,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = zero_config(&server, dir.path());
    let log = refresh(&cfg);
    assert!(
        log.contains("advertised feed lists none of the page's articles"),
        "{log}"
    );
    assert_eq!(hits(&server, |p| p == "/2025/10/01/drugaya/"), 0);
    let mut urls: Vec<String> = items(dir.path(), "wp-feed")
        .into_iter()
        .map(|i| i.url)
        .collect();
    urls.sort();
    assert_eq!(
        urls,
        vec![
            format!("{}/2025/10/06/prokuratura-vernula-zarplatu/", server.base),
            format!("{}/2025/10/07/onlajn-priem/", server.base),
        ]
    );
}

/// An entry updated after publication, whose page shows no date, is dated by the feed's
/// `published`, not by its `updated` (which only makes a changed entry fetched again).
#[test]
fn regression_feed_entry_without_a_page_date_is_dated_published_not_updated() {
    let server = FixtureServer::start(fixture_dir("wp-feed"));
    server.set_file(
        "category/news/feed/atom/index.html",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Новости</title><id>http://press.fixture/</id>
<updated>2025-12-03T09:00:00+05:00</updated>
<entry><title>Приём граждан без даты</title><id>http://press.fixture/2025/12/01/bez-daty/</id>
<link href="http://press.fixture/2025/12/01/bez-daty/"/>
<published>2025-12-01T10:00:00+05:00</published><updated>2025-12-03T09:00:00+05:00</updated>
<summary>Коротко.</summary></entry></feed>"#,
    );
    server.set_file(
        "2025/12/01/bez-daty/index.html",
        "<html><head><title>Приём граждан без даты</title></head><body><main><article>\
         <h1>Приём граждан без даты</h1><p>Прокурор области проведёт приём граждан по личным \
         вопросам в здании прокуратуры. Запись ведётся по телефону канцелярии.</p><p>При себе \
         необходимо иметь документ, удостоверяющий личность, и копии обращений.</p>\
         </article></main></body></html>",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = config(
        &server,
        dir.path(),
        "/category/news/feed/\"]",
        "/category/news/feed/atom/\"]",
    );
    refresh(&cfg);
    let got = items(dir.path(), "wp-feed");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].published, "2025-12-01T10:00:00+05:00");
}
