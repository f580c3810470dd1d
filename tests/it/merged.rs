//! Filters and merged feeds as a user meets them: `[source.filter]` changes what the feeds
//! show on the next `pressfeed render`, without fetching; a `[[feed]]` merges its sources'
//! feed items into one feed in all three formats, written by `refresh`, `render` and the
//! daemon, served and listed like a source's feed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use pressfeed::app::metrics::Metrics;
use pressfeed::app::serve::{AppState, router};
use pressfeed::config::Config;
use pressfeed::store::Store;
use serde_json::Value;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::common::{FixtureServer, PLACEHOLDER, fixture_dir, pressfeed};

/// Runs `pressfeed --config <cfg> <args>`; must succeed; returns stdout.
fn run(cfg: &Path, args: &[&str]) -> String {
    let out = pressfeed()
        .arg("--config")
        .arg(cfg)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run pressfeed");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "pressfeed {args:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json_feed(dir: &Path, id: &str) -> Value {
    let path = dir.join("feeds").join(format!("{id}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("JSON Feed")
}

/// (id, url, title, date_published) of every item of a JSON feed, in feed order.
fn items(feed: &Value) -> Vec<(String, String, String, String)> {
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("url"), s("title"), s("date_published"))
        })
        .collect()
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339 date")
        .with_timezone(&Utc)
}

fn mtimes(dir: &Path, id: &str) -> Vec<(Vec<u8>, SystemTime)> {
    ["rss", "atom", "json"]
        .iter()
        .map(|ext| {
            let p = dir.join("feeds").join(format!("{id}.{ext}"));
            let bytes = std::fs::read(&p).expect("feed file");
            (
                bytes,
                std::fs::metadata(&p)
                    .and_then(|m| m.modified())
                    .expect("mtime"),
            )
        })
        .collect()
}

/// Sets the files' mtimes an hour back, so a rewrite shows however coarse the clock.
fn age(dir: &Path, id: &str) {
    let past = SystemTime::now() - Duration::from_secs(3600);
    for ext in ["rss", "atom", "json"] {
        std::fs::File::options()
            .write(true)
            .open(dir.join("feeds").join(format!("{id}.{ext}")))
            .and_then(|f| f.set_modified(past))
            .expect("age feed file");
    }
}

#[test]
fn render_after_a_filter_change_rewrites_the_feeds_without_fetching() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp");
    run(&cfg, &["refresh"]);
    let all = items(&json_feed(dir.path(), "wp"));
    assert_eq!(all.len(), 7, "the fixture's seven articles");

    // A feed of 3 that drops the two newest: it is filled from older stored articles, not
    // cut to the one left of the three newest.
    let exclude = format!(
        "^(?:{}|{})$",
        regex::escape(&all[0].2),
        regex::escape(&all[1].2)
    );
    let text = std::fs::read_to_string(&cfg).expect("config");
    let text = text.replace("items = 50", "items = 3")
        + &format!("\n[source.filter]\nexclude = {{ title = '{exclude}' }}\n");
    std::fs::write(&cfg, text).expect("write config");
    server.clear_requests();
    age(dir.path(), "wp");

    let out = run(&cfg, &["render"]);
    assert!(out.contains("wp: 3 feed file(s) rewritten"), "{out}");
    assert_eq!(items(&json_feed(dir.path(), "wp")), all[2..5].to_vec());
    for ext in ["rss", "atom"] {
        let text = std::fs::read_to_string(dir.path().join(format!("feeds/wp.{ext}"))).unwrap();
        assert!(
            !text.contains(&all[0].1) && text.contains(&all[4].1),
            "wp.{ext}"
        );
    }
    assert!(
        server.requests().is_empty(),
        "render fetched: {:?}",
        server.requests()
    );

    // Nothing was deleted: dropping the filter brings the articles back, still offline.
    let text = std::fs::read_to_string(&cfg).expect("config");
    let text = text.replace("items = 3", "items = 50");
    let text = &text[..text.find("\n[source.filter]").expect("filter table")];
    std::fs::write(&cfg, text).expect("write config");
    run(&cfg, &["render"]);
    assert_eq!(items(&json_feed(dir.path(), "wp")), all);
    let idle = run(&cfg, &["render"]);
    assert!(idle.contains("wp: 0 feed file(s) rewritten"), "{idle}");
    assert!(server.requests().is_empty());
}

#[test]
fn an_include_filter_on_the_press_services_signature() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = server.copy_config(dir.path(), "wp");
    let text = std::fs::read_to_string(&cfg).expect("config")
        + "\n[source.filter]\ninclude = { body = \"Пресс-служба Генеральной прокуратуры\" }\n";
    std::fs::write(&cfg, text).expect("write config");
    run(&cfg, &["refresh"]);
    let feed = json_feed(dir.path(), "wp");
    let bodies: Vec<&str> = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["content_html"].as_str().unwrap_or_default())
        .collect();
    assert!(
        !bodies.is_empty() && bodies.len() < 7,
        "{} items",
        bodies.len()
    );
    // The signature is matched in the text: markup or an entity between the words does
    // not hide it, and every item kept carries it.
    for body in bodies {
        let text = pressfeed::core::text::html_fragment_text(body);
        assert!(
            text.contains("Пресс-служба Генеральной прокуратуры"),
            "{text}"
        );
    }
    let stored: i64 = rusqlite::Connection::open(dir.path().join("pressfeed.db"))
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0)))
        .expect("count");
    assert_eq!(stored, 7, "filtered-out articles are still stored");
}

/// Two fixture sites (the WordPress site `wp` and the gov.kz-style portal `gp` with its
/// Kazakh twin `gp-kk`) in one config, with a merged feed of all three.
struct Merged {
    wp: FixtureServer,
    gp: FixtureServer,
    dir: tempfile::TempDir,
    cfg: PathBuf,
}

const MERGED: &str = r#"
[[feed]]
id = "all"
title = "Генпрокуратура — все каналы"
description = "Сайт, портал и его казахская версия"
sources = ["wp", "gp", "gp-kk"]
items = 10
"#;

/// What the merged feed `all` must show: the member feeds' items, newest first, ties by
/// id, the newest `n`.
fn expected_merged(dir: &Path, n: usize) -> Vec<(String, String, String, String)> {
    let mut expected: Vec<_> = ["wp", "gp", "gp-kk"]
        .iter()
        .flat_map(|id| items(&json_feed(dir, id)))
        .collect();
    expected.sort_by(|a, b| {
        instant(&b.3)
            .cmp(&instant(&a.3))
            .then_with(|| a.0.cmp(&b.0))
    });
    expected.truncate(n);
    expected
}

fn merged_setup(feed: &str) -> Merged {
    let wp = FixtureServer::start(fixture_dir("wp"));
    let gp = FixtureServer::start(fixture_dir("govkz"));
    let dir = tempfile::tempdir().expect("temp dir");
    let wp_text = std::fs::read_to_string(fixture_dir("wp").join("config.toml")).unwrap();
    let gp_text = std::fs::read_to_string(fixture_dir("govkz").join("config.toml")).unwrap();
    let gp_sources = &gp_text[gp_text.find("[[source]]").expect("gp source")..];
    let text = format!(
        "{}\n{}\n{feed}",
        wp_text.replace(PLACEHOLDER, &wp.base),
        gp_sources.replace(PLACEHOLDER, &gp.base)
    );
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, text).expect("write config");
    Merged { wp, gp, dir, cfg }
}

#[test]
fn a_merged_feed_interleaves_its_sources_newest_first_in_all_formats() {
    let m = merged_setup(MERGED);
    let out = run(&m.cfg, &["refresh"]);
    assert!(
        out.contains("all (merged): 3 feed file(s) rewritten"),
        "{out}"
    );
    let dir = m.dir.path();

    let expected = expected_merged(dir, 10);
    let feed = json_feed(dir, "all");
    let got = items(&feed);
    assert_eq!(
        got.iter().map(|i| (&i.0, &i.1, &i.2)).collect::<Vec<_>>(),
        expected
            .iter()
            .map(|i| (&i.0, &i.1, &i.2))
            .collect::<Vec<_>>(),
        "ids, links and titles of the members' items"
    );
    let dates: Vec<_> = got.iter().map(|i| instant(&i.3)).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Feed level: own self links; ru and kk members: "mul" (multiple languages) and one
    // language per item.
    assert_eq!(feed["feed_url"], "http://127.0.0.1:8080/feeds/all.json");
    assert_eq!(feed["title"], "Генпрокуратура — все каналы");
    assert_eq!(feed["language"], "mul");
    assert!(feed["items"].as_array().unwrap().iter().all(|i| matches!(
        i["language"].as_str().and_then(|l| l.split('-').next()),
        Some("ru" | "kk")
    )),);
    let atom = std::fs::read_to_string(dir.join("feeds/all.atom")).unwrap();
    assert!(atom.contains("href=\"http://127.0.0.1:8080/feeds/all.atom\""));
    assert!(atom.contains("xml:lang=\"kk\"") && atom.contains("xml:lang=\"ru\""));
    let rss = std::fs::read_to_string(dir.join("feeds/all.rss")).unwrap();
    assert!(rss.contains("<language>mul</language>"));
    assert!(rss.contains("<dc:language>kk</dc:language>"));
    for ext in ["rss", "atom", "json"] {
        let bytes = std::fs::read(dir.join(format!("feeds/all.{ext}"))).unwrap();
        let parsed = feed_rs::parser::parse(&bytes[..])
            .unwrap_or_else(|e| panic!("feed-rs rejects all.{ext}: {e}"));
        assert_eq!(parsed.entries.len(), 10, "all.{ext}");
    }

    // An idle refresh leaves the merged files alone; so does an idle render.
    age(dir, "all");
    let before = mtimes(dir, "all");
    let out = run(&m.cfg, &["refresh"]);
    assert!(
        out.contains("all (merged): 0 feed file(s) rewritten"),
        "{out}"
    );
    run(&m.cfg, &["render", "--source", "gp"]);
    assert_eq!(mtimes(dir, "all"), before);
    drop((m.wp, m.gp));
}

#[test]
fn a_member_filter_change_reaches_the_merged_feed_on_render() {
    let m = merged_setup(MERGED);
    run(&m.cfg, &["refresh"]);
    let dir = m.dir.path();
    let tagged = |feed: &Value| {
        feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| {
                i["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "Надзор"))
            })
            .count()
    };
    assert!(tagged(&json_feed(dir, "all")) > 0);
    // On the portal's table, so its Kazakh twin (a copy of it) filters the same way.
    let text = std::fs::read_to_string(&m.cfg).unwrap().replace(
        "[source.languages]",
        "[source.filter]\nexclude = { categories = \"^Надзор$\" }\n\n[source.languages]",
    );
    std::fs::write(&m.cfg, text).unwrap();
    m.gp.clear_requests();
    m.wp.clear_requests();
    let out = run(&m.cfg, &["render"]);
    assert!(
        out.contains("all (merged): 3 feed file(s) rewritten"),
        "{out}"
    );
    for id in ["gp", "gp-kk", "all"] {
        assert_eq!(tagged(&json_feed(dir, id)), 0, "{id}");
    }
    assert_eq!(items(&json_feed(dir, "all")), expected_merged(dir, 10));
    assert!(m.gp.requests().is_empty() && m.wp.requests().is_empty());
}

/// The merged feed of the portal and its twin, compared with `tests/golden/merged.*`
/// (`UPDATE_GOLDEN=1` rewrites them). Every date comes from the fixture API, so the bytes
/// depend on nothing but the code.
#[test]
fn golden_merged_feed() {
    let gp = FixtureServer::start(fixture_dir("govkz"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = gp.copy_config(dir.path(), "govkz");
    let text = std::fs::read_to_string(&cfg).unwrap()
        + "\n[[feed]]\nid = \"gp-all\"\ntitle = \"Генпрокуратура — ru + kk\"\nsources = [\"gp\", \"gp-kk\"]\nitems = 6\n";
    std::fs::write(&cfg, text).unwrap();
    run(&cfg, &["refresh"]);
    for ext in ["rss", "atom", "json"] {
        let actual = std::fs::read_to_string(dir.path().join(format!("feeds/gp-all.{ext}")))
            .unwrap()
            .replace(&gp.base, PLACEHOLDER);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/merged.{ext}"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &actual).expect("write golden");
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
        assert_eq!(
            actual, expected,
            "merged.{ext} differs from the golden file"
        );
    }
}

async fn get(
    app: &axum::Router,
    uri: &str,
    etag: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut req = Request::builder().uri(uri);
    if let Some(e) = etag {
        req = req.header("If-None-Match", e);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, etag, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_merged_feed_is_served_and_listed_on_the_index_in_opml_and_healthz() {
    let m = tokio::task::spawn_blocking(|| {
        let m = merged_setup(MERGED);
        run(&m.cfg, &["refresh"]);
        m
    })
    .await
    .expect("setup");
    let config = Config::load(&m.cfg).expect("config");
    let store = Store::open(&config.settings.database).expect("store");
    let (_tx, rx) = watch::channel(Arc::new(config));
    let app = router(AppState {
        config: rx,
        store: Arc::new(Mutex::new(store)),
        metrics: Arc::new(Metrics::new()),
    });

    for (ext, ctype) in [("rss", "rss"), ("atom", "atom"), ("json", "json")] {
        let (status, etag, body) = get(&app, &format!("/feeds/all.{ext}"), None).await;
        assert_eq!(status, StatusCode::OK, "all.{ext}");
        assert_eq!(
            body.as_bytes(),
            std::fs::read(m.dir.path().join(format!("feeds/all.{ext}"))).unwrap(),
            "{ctype}: served bytes are the file's"
        );
        let etag = etag.expect("ETag");
        let (status, _, _) = get(&app, &format!("/feeds/all.{ext}"), Some(&etag)).await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "all.{ext} conditional GET"
        );
    }

    let (_, _, index) = get(&app, "/", None).await;
    assert!(index.contains("Генпрокуратура — все каналы"), "{index}");
    assert!(index.contains("href=\"http://127.0.0.1:8080/feeds/all.atom\""));
    let (_, _, opml) = get(&app, "/opml", None).await;
    assert!(
        opml.contains("xmlUrl=\"http://127.0.0.1:8080/feeds/all.rss\"")
            && opml.contains("language=\"mul\""),
        "{opml}"
    );
    let (status, _, health) = get(&app, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    let health: Value = serde_json::from_str(&health).expect("healthz JSON");
    let all = &health["feeds"]["all"];
    assert_eq!(all["sources"], serde_json::json!(["wp", "gp", "gp-kk"]));
    assert_eq!(all["consecutive_failures"], 0);
    assert_eq!(all["failing_sources"], serde_json::json!([]));
    // the stalest member's last success
    let oldest = ["wp", "gp", "gp-kk"]
        .iter()
        .map(|id| {
            health["sources"][id]["last_success"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .min_by_key(|t| instant(t))
        .unwrap();
    assert_eq!(all["last_success"].as_str(), Some(oldest.as_str()));
    let stored: u64 = ["wp", "gp", "gp-kk"]
        .iter()
        .map(|id| health["sources"][id]["items"].as_u64().unwrap())
        .sum();
    assert_eq!(all["items"], stored);
}

/// A running `pressfeed run` whose stderr lines arrive on a channel.
struct Daemon {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Daemon {
    fn start(cfg: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--config")
            .arg(cfg)
            .arg("run")
            .env("RUST_LOG", "pressfeed=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pressfeed run");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads log lines until one satisfies `done`; returns its index in `seen`. The limit
    /// only guards against hanging.
    fn wait_line(&mut self, what: &str, done: impl Fn(&str) -> bool) -> usize {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("waiting for {what}; log so far: {:#?}", self.seen));
            self.seen.push(line);
            if done(self.seen.last().map(String::as_str).unwrap_or_default()) {
                return self.seen.len() - 1;
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The run summary of source `id` (not of `<id>-kk`), as the daemon logs it.
fn is_run_of(line: &str, id: &str) -> bool {
    let field = format!("source={id}");
    line.contains("unchanged") && line.split_whitespace().any(|w| w == field)
}

#[test]
fn the_daemon_writes_a_merged_feed_at_start_and_when_a_member_changes() {
    let gp = FixtureServer::start(fixture_dir("govkz"));
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = gp.copy_config(dir.path(), "govkz");
    // Stored before the [[feed]] table exists, so only the daemon can write the merged feed.
    run(&cfg, &["refresh"]);
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(
            "[settings]\n",
            "[settings]\nlisten = \"127.0.0.1:0\"\nschedule_jitter_secs = 0\nshutdown_grace_secs = 2\n",
        )
        .replace("max_pages = 5", "max_pages = 5\nschedule = \"@yearly\"")
        + "\n[[feed]]\nid = \"gp-all\"\ntitle = \"ru + kk\"\nsources = [\"gp\", \"gp-kk\"]\n";
    std::fs::write(&cfg, &text).unwrap();
    let rewritten = |l: &str| l.contains("merged feed rewritten") && l.contains("gp-all");

    // 1. No member runs (yearly schedules): the merged feed is written at start.
    let mut daemon = Daemon::start(&cfg);
    daemon.wait_line("the start-up render", rewritten);
    drop(daemon);
    let mut expected: Vec<_> = ["gp", "gp-kk"]
        .iter()
        .flat_map(|id| items(&json_feed(dir.path(), id)))
        .collect();
    expected.sort_by(|a, b| {
        instant(&b.3)
            .cmp(&instant(&a.3))
            .then_with(|| a.0.cmp(&b.0))
    });
    assert_eq!(items(&json_feed(dir.path(), "gp-all")), expected);

    // 2. The portal publishes a new article and gp runs every second: its run changes the gp
    // feed, and the merged feed follows.
    let page = "api/v1/public/content-manager/news/lang=ru&page=1&projects=eq:prokuror&size=3.json";
    let mut api: Value = serde_json::from_str(&gp.file(page)).expect("API page");
    let mut fresh = api["content"][0].clone();
    fresh["id"] = 5999.into();
    fresh["title"] = "Новое сообщение пресс-службы".into();
    fresh["created_date"] = "2025-09-25T10:00:00Z".into();
    api["content"]
        .as_array_mut()
        .expect("content")
        .insert(0, fresh);
    gp.set_file(page, api.to_string());
    std::fs::write(
        &cfg,
        text.replacen("schedule = \"@yearly\"", "schedule = \"*/1 * * * * *\"", 1),
    )
    .unwrap();
    let mut daemon = Daemon::start(&cfg);
    let run_at = daemon.wait_line("a run of gp", |l| is_run_of(l, "gp"));
    let rewrite_at = daemon.wait_line("the merged feed rewritten after it", rewritten);
    assert!(run_at < rewrite_at);
    drop(daemon);
    let merged = items(&json_feed(dir.path(), "gp-all"));
    assert_eq!(merged[0].2, "Новое сообщение пресс-службы");
    assert_eq!(merged[1..], expected[..]);
}
