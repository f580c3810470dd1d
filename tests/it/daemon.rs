//! `pressfeed run` as a reader and an admin see it: scheduled runs, feeds over HTTP with
//! conditional GET and compression, signals (TERM, HUP), systemd notifications, WebSub pings
//! and the shipped unit files.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::common::{FixtureServer, fixture_dir};

/// The daemon's stderr as it arrives, and whether it has ended (the process exited).
#[derive(Default)]
pub(crate) struct Log {
    pub(crate) lines: Vec<String>,
    pub(crate) closed: bool,
}

/// A running `pressfeed run` child with its stderr collected line by line; waiters are woken
/// on every new line and at the end.
pub(crate) struct Daemon {
    child: Child,
    addr: String,
    log: Arc<(Mutex<Log>, Condvar)>,
}

impl Daemon {
    pub(crate) fn start(cfg: &Path, envs: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pressfeed"));
        cmd.arg("--config")
            .arg(cfg)
            .arg("run")
            .env("RUST_LOG", "pressfeed=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start pressfeed run");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new((Mutex::new(Log::default()), Condvar::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let (lines, changed) = &*log2;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                lines.lock().unwrap().lines.push(line);
                changed.notify_all();
            }
            lines.lock().unwrap().closed = true;
            changed.notify_all();
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| {
                panic!(
                    "daemon did not report its address: {:?}",
                    log.0.lock().unwrap().lines
                )
            });
        Daemon { child, addr, log }
    }

    /// The stderr lines so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.log.0.lock().unwrap().lines.clone()
    }

    /// Blocks until `done` holds for the log (checked on every new line and at its end);
    /// `limit` only guards against waiting forever.
    pub(crate) fn wait_log(&self, what: &str, limit: Duration, mut done: impl FnMut(&Log) -> bool) {
        let (lines, changed) = &*self.log;
        let (log, timeout) = changed
            .wait_timeout_while(lines.lock().unwrap(), limit, |log| !done(log))
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "still waiting for {what} after {limit:?}: {:?}",
            log.lines
        );
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    fn log_contains(&self, needle: &str) -> bool {
        self.lines().iter().any(|l| l.contains(needle))
    }

    /// Waits for the process to exit (its stderr ends first); returns the exit code. `limit`
    /// only guards against waiting forever.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        self.wait_log("the daemon to exit", limit, |log| log.closed);
        self.child.wait().expect("wait for the daemon").code()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The wp fixture config made to run every second on a random port.
fn daemon_config(server: &FixtureServer, dir: &Path, extra_settings: &str) -> PathBuf {
    let cfg = server.copy_config(dir, "wp");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .replace(
            "[settings]\n",
            &format!(
                "[settings]\nlisten = \"127.0.0.1:0\"\nschedule_jitter_secs = 0\nshutdown_grace_secs = 2\n{extra_settings}"
            ),
        )
        .replace("schedule = \"*/30 * * * *\"", "schedule = \"*/1 * * * * *\"");
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_gzip()
        .no_brotli()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn scheduled_run_is_served_with_validators_compression_and_head() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = daemon_config(&server, dir.path(), "");
    let daemon = Daemon::start(&cfg, &[]);
    let rss_path = dir.path().join("feeds/wp.rss");
    daemon.wait_log("the first scheduled run", Duration::from_secs(30), |log| {
        run_summaries(&log.lines).count() >= 1
    });
    let http = client();
    for (ext, ctype) in [
        ("rss", "application/rss+xml; charset=utf-8"),
        ("atom", "application/atom+xml; charset=utf-8"),
        ("json", "application/feed+json"),
    ] {
        let url = daemon.url(&format!("/feeds/wp.{ext}"));
        let r = http.get(&url).send().unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(r.headers()["content-type"], ctype);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        assert!(r.headers().contains_key("last-modified"));
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
        let body = r.bytes().unwrap();
        // The feed may be rewritten between the GET and this read only if the site changed,
        // and it does not.
        let file = std::fs::read(dir.path().join(format!("feeds/wp.{ext}"))).unwrap();
        assert_eq!(
            body.as_ref(),
            file.as_slice(),
            "served bytes are the file's bytes"
        );

        let r = http
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .unwrap();
        assert_eq!(r.status(), 304);
        assert!(r.bytes().unwrap().is_empty(), "304 has no body");

        let r = http
            .get(&url)
            .header("Accept-Encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(r.bytes().unwrap().as_ref())
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, file, "gzip body decodes to the file");

        let r = http
            .get(&url)
            .header("Accept-Encoding", "br")
            .send()
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], "br");
        let mut plain = Vec::new();
        brotli::Decompressor::new(r.bytes().unwrap().as_ref(), 4096)
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, file, "brotli body decodes to the file");

        let r = http.head(&url).send().unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
        assert!(r.bytes().unwrap().is_empty(), "HEAD has no body");
    }
    assert!(rss_path.exists());
    // Later scheduled runs find nothing new: the file keeps its bytes and its ETag. The
    // mtime is read before counting the runs logged so far, so the second run logged after
    // that count started (and ended) after the mtime was read.
    let before = std::fs::metadata(&rss_path).unwrap().modified().unwrap();
    let bytes = std::fs::read(&rss_path).unwrap();
    let done = run_summaries(&daemon.lines()).count();
    daemon.wait_log("two more scheduled runs", Duration::from_secs(30), |log| {
        run_summaries(&log.lines).count() >= done + 2
    });
    let after = std::fs::metadata(&rss_path).unwrap().modified().unwrap();
    assert_eq!(before, after, "unchanged site leaves the feed file alone");
    assert_eq!(std::fs::read(&rss_path).unwrap(), bytes);
    let lines = daemon.lines();
    let later: Vec<&String> = run_summaries(&lines).skip(done).collect();
    for l in &later {
        assert!(
            l.contains("wp: 0 new, 0 updated,") && l.contains("0 feed files rewritten"),
            "{later:?}"
        );
    }
}

/// The daemon's per-run summary lines of the wp source
/// (`wp: 0 new, 0 updated, 7 unchanged, 0 failed (... feed files rewritten, ...)`).
fn run_summaries(lines: &[String]) -> impl Iterator<Item = &String> {
    lines
        .iter()
        .filter(|l| l.contains("wp: ") && l.contains(" new, ") && l.contains("rewritten"))
}

#[test]
fn sigterm_during_a_slow_scrape_cancels_it_after_the_grace_period_and_exits_cleanly() {
    let server = FixtureServer::start(fixture_dir("wp"));
    // Article pages take far longer (30 s) than the grace period (2 s).
    server.set_delay("/20", Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let cfg = daemon_config(&server, dir.path(), "");
    let mut daemon = Daemon::start(&cfg, &[]);
    server.wait_for("an article request", Duration::from_secs(30), |log| {
        log.requests_to(|p| p.starts_with("/20")) > 0
    });
    daemon.signal("TERM");
    let code = daemon.wait_exit(Duration::from_secs(60));
    let lines = daemon.lines();
    assert_eq!(code, Some(0), "{lines:?}");
    // The daemon exited while the site still held every slow answer: it did not wait for
    // the run to finish.
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.path_and_query.starts_with("/20"))
        .count();
    let answered = server
        .responses()
        .iter()
        .filter(|r| r.path_and_query.starts_with("/20"))
        .count();
    assert!(asked > 0);
    assert_eq!(answered, 0, "a 30 s answer completed before the exit");
    // In order: the signal, the grace period running out with the run still going, the run
    // cancelled, the clean stop.
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in the log: {lines:?}"))
    };
    let steps = [
        at("SIGTERM: shutting down"),
        at("runs still going after the grace period; cancelling them"),
        at("run cancelled at shutdown"),
        at("INFO stopped"),
    ];
    assert!(steps.is_sorted(), "{steps:?}: {lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("wp: ") && l.contains(" new, ")),
        "the slow run was cancelled, not finished: {lines:?}"
    );
    // No temp file left behind, and any feed file that exists is complete.
    for entry in std::fs::read_dir(dir.path().join("feeds"))
        .into_iter()
        .flatten()
    {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temp file left: {name}");
        if name.ends_with(".rss") || name.ends_with(".atom") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            roxmltree::Document::parse(&text).expect("complete XML");
        }
    }
    let db = rusqlite::Connection::open(dir.path().join("pressfeed.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn sighup_refuses_a_broken_config_and_applies_a_fixed_one() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = daemon_config(&server, dir.path(), "");
    let good = std::fs::read_to_string(&cfg).unwrap();
    let daemon = Daemon::start(&cfg, &[]);
    wait_for("the first feed", Duration::from_secs(30), || {
        dir.path().join("feeds/wp.rss").exists()
    });
    let http = client();

    std::fs::write(
        &cfg,
        good.replace("timezone = \"Asia/Almaty\"", "timezone = \"Asia/Almatty\""),
    )
    .unwrap();
    daemon.signal("HUP");
    wait_for("the reload error", Duration::from_secs(10), || {
        daemon.log_contains("reload refused")
    });
    assert!(
        daemon.log_contains("Asia/Almatty"),
        "the error names the bad value"
    );
    let r = http.get(daemon.url("/feeds/wp.rss")).send().unwrap();
    assert_eq!(r.status(), 200, "old feeds still served");

    let legacy = "\n[[source]]\nid = \"second\"\ntitle = \"Второй источник\"\n\
                  listing_urls = [\"http://127.0.0.1:9/none\"]\nschedule = \"@yearly\"\n";
    std::fs::write(&cfg, format!("{good}{legacy}")).unwrap();
    daemon.signal("HUP");
    wait_for("the reload", Duration::from_secs(10), || {
        daemon.log_contains("configuration reloaded")
    });
    let index = http.get(daemon.url("/")).send().unwrap().text().unwrap();
    assert!(index.contains("Второй источник"), "new source on the index");
    let opml = http
        .get(daemon.url("/opml"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        opml.contains("/feeds/second.rss"),
        "new source in OPML: {opml}"
    );
}

#[test]
fn notify_socket_gets_ready_watchdog_and_stopping_in_order() {
    use std::os::unix::net::UnixDatagram;
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = daemon_config(&server, dir.path(), "");
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut daemon = Daemon::start(
        &cfg,
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let mut seen: Vec<String> = Vec::new();
    let mut buf = [0u8; 4096];
    let recv = |buf: &mut [u8]| -> String {
        let n = sock.recv(buf).expect("notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    while !seen.iter().any(|m| m.contains("WATCHDOG=1")) {
        seen.push(recv(&mut buf));
    }
    daemon.signal("TERM");
    while !seen.iter().any(|m| m.contains("STOPPING=1")) {
        seen.push(recv(&mut buf));
    }
    let pos = |needle: &str| seen.iter().position(|m| m.contains(needle)).unwrap();
    assert!(pos("READY=1") < pos("WATCHDOG=1"), "{seen:?}");
    assert!(pos("WATCHDOG=1") < pos("STOPPING=1"), "{seen:?}");
    assert_eq!(daemon.wait_exit(Duration::from_secs(15)), Some(0));
}

#[test]
fn websub_hub_is_pinged_when_a_feed_changes() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let hub = server.url("/hub");
    let cfg = daemon_config(&server, dir.path(), &format!("hubs = [\"{hub}\"]\n"));
    let _daemon = Daemon::start(&cfg, &[]);
    wait_for("a hub ping", Duration::from_secs(30), || {
        server.requests().iter().any(|r| r.path_and_query == "/hub")
    });
    let pings: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query == "/hub")
        .collect();
    let bodies: Vec<&str> = pings.iter().map(|r| r.body.as_str()).collect();
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("hub.mode=publish") && b.contains("feeds%2Fwp.rss")),
        "{bodies:?}"
    );
    let rss = std::fs::read_to_string(dir.path().join("feeds/wp.rss")).unwrap();
    assert!(
        rss.contains(&format!("href=\"{hub}\"")) && rss.contains("rel=\"hub\""),
        "hub link in the feed"
    );
}

#[test]
fn shipped_systemd_units_pass_systemd_analyze_verify() {
    let analyze = Command::new("systemd-analyze").arg("--version").output();
    assert!(
        analyze.is_ok_and(|o| o.status.success()),
        "systemd-analyze is required (Debian package systemd; .ci/run installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&units).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        // The units name the installed path; point them at the binary under test.
        let text = std::fs::read_to_string(entry.path()).unwrap().replace(
            "ExecStart=pressfeed ",
            &format!("ExecStart={} ", env!("CARGO_BIN_EXE_pressfeed")),
        );
        std::fs::write(dir.path().join(&name), text).unwrap();
        names.push(name);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "pressfeed-refresh.service",
            "pressfeed-refresh.timer",
            "pressfeed.service"
        ]
    );
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(names.iter().map(|n| dir.path().join(n)))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "systemd-analyze verify failed:\n{stderr}"
    );
    assert!(
        !stderr.contains(".service:") && !stderr.contains(".timer:"),
        "warnings about our units:\n{stderr}"
    );
}

/// A source that ignores robots.txt is named in a warning when the daemon starts and again
/// on every reload that keeps it that way.
#[test]
fn a_source_ignoring_robots_txt_is_warned_about_at_start_and_on_reload() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = daemon_config(&server, dir.path(), "");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text.replacen(
        "timezone = \"Asia/Almaty\"",
        "timezone = \"Asia/Almaty\"\nrespect_robots = false",
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    let warnings = |log: &Log| {
        log.lines
            .iter()
            .filter(|l| l.contains("WARN") && l.contains("source wp ignores robots.txt"))
            .count()
    };
    let daemon = Daemon::start(&cfg, &[]);
    daemon.wait_log("the start warning", Duration::from_secs(10), |log| {
        warnings(log) == 1
    });
    daemon.signal("HUP");
    daemon.wait_log("the reload", Duration::from_secs(10), |log| {
        log.lines
            .iter()
            .any(|l| l.contains("configuration reloaded"))
    });
    assert_eq!(
        warnings(&daemon.log.0.lock().unwrap()),
        2,
        "{:?}",
        daemon.lines()
    );
}

#[test]
fn daemon_writes_the_pages_beside_the_feeds_like_refresh() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = daemon_config(&server, dir.path(), "language = \"ru\"\n");
    let _daemon = Daemon::start(&cfg, &[]);
    let feeds = dir.path().join("feeds");
    let index = || std::fs::read_to_string(feeds.join("index.html")).unwrap_or_default();
    // the page shows each run as it ends: a last refresh, not "never"
    wait_for(
        "an index showing a finished run",
        Duration::from_secs(30),
        || index().contains("Последнее обновление") && !index().contains("никогда"),
    );
    assert!(index().starts_with("<!DOCTYPE html>\n<html lang=\"ru\">"));
    assert!(feeds.join("wp.rss").exists());
    let opml = std::fs::read_to_string(feeds.join("feeds.opml")).unwrap();
    assert!(
        opml.contains("xmlUrl=\"http://127.0.0.1:8080/feeds/wp.rss\""),
        "{opml}"
    );
    let xsl = std::fs::read_to_string(feeds.join("feed.xsl")).unwrap();
    assert!(xsl.contains("Подписаться"), "{xsl}");
}
