//! Timer mode (`pressfeed refresh` / `render` from a systemd timer, files served by a plain
//! web server) gives readers what the daemon gives: the index, the OPML and the feed
//! stylesheet beside the feeds, and WebSub pings when, and only when, a feed's bytes change.

use std::path::Path;

use crate::common::{FixtureServer, fixture_dir, pressfeed};

fn run(cfg: &Path, command: &str) -> String {
    let out = pressfeed()
        .arg("--config")
        .arg(cfg)
        .arg(command)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run pressfeed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{command} failed:\n{text}");
    text
}

/// The bodies of the WebSub pings the hub stub got so far.
fn pings(server: &FixtureServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query == "/hub")
        .map(|r| r.body)
        .collect()
}

fn config_with(server: &FixtureServer, dir: &Path, settings: &str) -> std::path::PathBuf {
    let cfg = server.copy_config(dir, "wp");
    let text = std::fs::read_to_string(&cfg).expect("read config");
    let text = text.replace("[settings]\n", &format!("[settings]\n{settings}"));
    std::fs::write(&cfg, text).expect("write config");
    cfg
}

#[test]
fn refresh_writes_index_opml_and_stylesheet_beside_the_feeds() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config_with(&server, dir.path(), "language = \"kk\"\n");
    run(&cfg, "refresh");
    let feeds = dir.path().join("feeds");

    let index = std::fs::read_to_string(feeds.join("index.html")).expect("index.html");
    assert!(
        index.starts_with("<!DOCTYPE html>\n<html lang=\"kk\">"),
        "{index}"
    );
    assert!(index.contains("Оптимизм — Генпрокуратура"));
    assert!(index.contains("<a href=\"http://127.0.0.1:8080/feeds/wp.rss\">RSS</a>"));
    assert!(index.contains("<a href=\"feeds.opml\">OPML</a>"), "{index}");
    assert!(index.contains("Соңғы жаңарту"));
    // the run just recorded is on the page: a date, not "never"
    assert!(!index.contains("ешқашан"), "{index}");

    let opml = std::fs::read_to_string(feeds.join("feeds.opml")).expect("feeds.opml");
    let doc = roxmltree::Document::parse(&opml).expect("well-formed OPML");
    let outline = doc
        .descendants()
        .find(|n| n.has_tag_name("outline"))
        .expect("an outline");
    assert_eq!(
        outline.attribute("xmlUrl"),
        Some("http://127.0.0.1:8080/feeds/wp.rss")
    );
    assert_eq!(outline.attribute("text"), Some("Оптимизм — Генпрокуратура"));

    let xsl = std::fs::read_to_string(feeds.join("feed.xsl")).expect("feed.xsl");
    roxmltree::Document::parse(&xsl).expect("well-formed XSLT");
    assert!(xsl.contains("<html lang=\"kk\">"));
    for feed in ["wp.rss", "wp.atom"] {
        let text = std::fs::read_to_string(feeds.join(feed)).expect("feed");
        assert!(
            text.contains("<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>"),
            "{feed}"
        );
    }

    // a second refresh that changes nothing leaves the OPML and stylesheet as they were
    let before = std::fs::metadata(feeds.join("feeds.opml")).and_then(|m| m.modified());
    run(&cfg, "refresh");
    let after = std::fs::metadata(feeds.join("feeds.opml")).and_then(|m| m.modified());
    assert_eq!(before.expect("mtime"), after.expect("mtime"));
}

#[test]
fn refresh_and_render_ping_hubs_only_when_feed_bytes_change() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = server.url("/hub");
    let cfg = config_with(&server, dir.path(), &format!("hubs = [\"{hub}\"]\n"));

    run(&cfg, "refresh");
    let first = pings(&server);
    let mut feeds: Vec<&str> = first
        .iter()
        .map(|b| {
            assert!(b.starts_with("hub.mode=publish&hub.url="), "{b}");
            b.rsplit("feeds%2F").next().unwrap_or("")
        })
        .collect();
    feeds.sort_unstable();
    assert_eq!(
        feeds,
        ["wp.atom", "wp.json", "wp.rss"],
        "one ping per new feed"
    );

    // nothing new on the site: same bytes, no ping
    run(&cfg, "refresh");
    run(&cfg, "render");
    assert_eq!(pings(&server).len(), 3, "{:?}", pings(&server));

    // a feed file lost (or changed) on disk: render rewrites it, and only it is pinged
    std::fs::remove_file(dir.path().join("feeds/wp.atom")).expect("remove");
    run(&cfg, "render");
    let all = pings(&server);
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all[3].ends_with("feeds%2Fwp.atom"), "{all:?}");
}

/// A merged feed (`[[feed]]`) is a feed like a source's in timer mode too: listed in the
/// written index and OPML, and its hubs pinged when its bytes change.
#[test]
fn merged_feeds_are_on_the_written_pages_and_pinged_in_timer_mode() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = server.url("/hub");
    let cfg = config_with(&server, dir.path(), &format!("hubs = [\"{hub}\"]\n"));
    let mut text = std::fs::read_to_string(&cfg).expect("read config");
    text.push_str("\n[[feed]]\nid = \"vse\"\ntitle = \"Все каналы\"\nsources = [\"wp\"]\n");
    std::fs::write(&cfg, text).expect("write config");

    run(&cfg, "refresh");
    let mut pinged: Vec<String> = pings(&server)
        .iter()
        .map(|b| b.rsplit("feeds%2F").next().unwrap_or("").to_string())
        .collect();
    pinged.sort_unstable();
    assert_eq!(
        pinged,
        [
            "vse.atom", "vse.json", "vse.rss", "wp.atom", "wp.json", "wp.rss"
        ]
    );
    let feeds = dir.path().join("feeds");
    let index = std::fs::read_to_string(feeds.join("index.html")).expect("index.html");
    assert!(
        index.contains("Все каналы") && index.contains("vse.rss"),
        "{index}"
    );
    let opml = std::fs::read_to_string(feeds.join("feeds.opml")).expect("feeds.opml");
    assert!(opml.contains("/feeds/vse.rss\""), "{opml}");

    // the merged feed's file lost on disk: render rewrites and pings it alone
    std::fs::remove_file(feeds.join("vse.rss")).expect("remove");
    run(&cfg, "render");
    let all = pings(&server);
    assert_eq!(all.len(), 7, "{all:?}");
    assert!(all[6].ends_with("feeds%2Fvse.rss"), "{all:?}");
}
