//! The pages for people in a real browser: Debian's headless `chromium` loads the daemon's
//! index and feeds from the test's own server and dumps the DOM it built. A feed shows as
//! a page only if the browser fetched `feed.xsl` and applied it, so the checks look for
//! elements only the stylesheet creates; the raw XML view has none of them.
//!
//! `.ci/run` installs `chromium`; without it these tests fail, they do not skip.
//!
//! A test binary of its own, unlike the scenarios in `tests/it/`: cargo runs test binaries
//! one after another, so a browser's start-up burst (many processes, both cores) never
//! competes with the `it` scenarios, which run many pressfeed processes at once.

// the shared fixture server and helpers of `tests/it`; this binary uses a few of them
#[allow(dead_code)]
#[path = "it/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use pressfeed::app::metrics::Metrics;
use pressfeed::app::serve::{AppState, serve};
use pressfeed::config::Config;
use pressfeed::store::Store;
use tokio_util::sync::CancellationToken;

use common::{FixtureServer, fixture_dir, pressfeed};

/// One chromium at a time, at the lowest CPU priority: a browser start takes both cores of
/// a small machine for seconds, and other tests of this binary time their requests.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// The DOM chromium built for `url`, with its `Accept-Language` set to `lang`.
fn dump_dom(url: &str, lang: &str) -> String {
    let _turn = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new("nice")
        .args(["-n", "19", "chromium"])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--accept-lang={lang}"))
        .arg(format!("--lang={lang}"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium (apt-get install chromium; .ci/run does)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 DOM")
}

/// Feeds rendered by a real refresh of the WordPress fixture site, served by the daemon's
/// HTTP server on a runtime of its own while the test drives the browser.
struct Site {
    base: String,
    feeds_dir: std::path::PathBuf,
    stop: CancellationToken,
    // the server runs on it for as long as the site lives
    _rt: tokio::runtime::Runtime,
    _fixture: FixtureServer,
    _dir: tempfile::TempDir,
}

impl Site {
    fn start() -> Site {
        let fixture = FixtureServer::start(fixture_dir("wp"));
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = fixture.copy_config(dir.path(), "wp");
        let out = pressfeed()
            .arg("--config")
            .arg(&cfg)
            .arg("refresh")
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("refresh");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let config = Config::load(&cfg).expect("config");
        let feeds_dir = config.settings.feeds_dir.clone();
        let store = Store::open(&config.settings.database).expect("store");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (_tx, config) = tokio::sync::watch::channel(Arc::new(config));
        let state = AppState {
            config,
            store: Arc::new(Mutex::new(store)),
            metrics: Arc::new(Metrics::new()),
        };
        let stop = CancellationToken::new();
        rt.spawn(serve(listener, state, stop.clone()));
        Site {
            base,
            feeds_dir,
            stop,
            _rt: rt,
            _fixture: fixture,
            _dir: dir,
        }
    }

    /// (title, link) of the feed's items, read from the file with an XML parser.
    fn items(&self, file: &str) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.feeds_dir.join(file)).expect("feed");
        let doc = roxmltree::Document::parse(&text).expect("feed XML");
        doc.descendants()
            .filter(|n| matches!(n.tag_name().name(), "item" | "entry"))
            .map(|n| {
                let title = child(n, "title").and_then(|t| t.text()).unwrap_or("");
                let link = child(n, "link")
                    .and_then(|l| l.attribute("href").or(l.text()))
                    .unwrap_or("");
                (title.to_string(), link.to_string())
            })
            .collect()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.tag_name().name() == name)
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn assert_feed_page(site: &Site, file: &str, lang: &str, subscribe_how: &str) {
    let dom = dump_dom(&format!("{}/feeds/{file}", site.base), lang);
    let items = site.items(file);
    assert!(items.len() >= 3, "{file}: {items:?}");
    assert!(
        dom.contains("<h1 id=\"feed-title\">Оптимизм — Генпрокуратура</h1>"),
        "{file}: stylesheet not applied:\n{dom}"
    );
    assert!(
        dom.contains(&format!("<html lang=\"{lang}\">")),
        "{file}:\n{dom}"
    );
    assert!(
        dom.contains(subscribe_how),
        "{file}: subscribe text:\n{dom}"
    );
    let ext = file.rsplit('.').next().unwrap_or("");
    assert!(
        dom.contains(&format!(
            "<code class=\"url\" id=\"feed-url\">http://127.0.0.1:8080/feeds/wp.{ext}</code>"
        )),
        "{file}: the address to copy:\n{dom}"
    );
    for (title, link) in &items {
        let item = format!("<h3><a href=\"{}\">{}</a></h3>", html(link), html(title));
        assert!(dom.contains(&item), "{file}: missing {item}\n{dom}");
    }
    assert_eq!(
        dom.matches("<article class=\"item\">").count(),
        items.len(),
        "{file}"
    );
}

#[test]
fn feeds_open_in_a_browser_as_readable_pages() {
    let site = Site::start();
    assert_feed_page(
        &site,
        "wp.rss",
        "en",
        "Copy this address into your feed reader",
    );
    assert_feed_page(
        &site,
        "wp.atom",
        "kk",
        "Осы мекенжайды арна оқитын бағдарламаға көшіріңіз",
    );
}

#[test]
fn index_page_follows_the_browsers_language() {
    let site = Site::start();
    for (lang, words) in [
        ("ru", ["Источник", "Последнее обновление", "1 источник"]),
        ("kk", ["Дереккөз", "Соңғы жаңарту", "1 дереккөз"]),
        ("en", ["Source", "Last refresh", "1 source"]),
    ] {
        let dom = dump_dom(&format!("{}/", site.base), lang);
        assert!(
            dom.contains(&format!("<html lang=\"{lang}\">")),
            "{lang}:\n{dom}"
        );
        for w in words {
            assert!(dom.contains(w), "{lang}: {w}\n{dom}");
        }
        assert!(dom.contains("Оптимизм — Генпрокуратура"), "{dom}");
    }
}

#[test]
fn index_written_to_disk_opens_in_a_browser() {
    let site = Site::start();
    let path: &Path = &site.feeds_dir.join("index.html");
    let dom = dump_dom(&format!("file://{}", path.display()), "kk");
    // the file is in the configured language (English here), whatever the browser's
    assert!(dom.contains("<html lang=\"en\">"), "{dom}");
    assert!(dom.contains("<a href=\"feeds.opml\">OPML</a>"), "{dom}");
    assert!(dom.contains("Оптимизм — Генпрокуратура"), "{dom}");
}
