//! Crash safety: `pressfeed refresh` killed with SIGKILL at chosen moments of a run — just
//! started, at the listing, while article pages are being fetched, and right after the last
//! article page was served (extraction, the store batch, rendering) — never leaves a
//! half-written feed, a damaged database, or fewer stored articles than before the kill.
//!
//! Kill moments are driven by the fixture server's own records (a request arrived, a
//! response was completed), and every kill is checked to have hit a running process: the
//! exit status must say "killed by SIGKILL", not "exited".

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{FixtureServer, RecordedRequest, ServerLog, fixture_dir, load_expected};

const SIGKILL: i32 = 9;

/// A small deterministic PRNG (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn stored_ids(db: &Path) -> BTreeSet<String> {
    if !db.exists() {
        return BTreeSet::new();
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "database damaged");
    let has_table: bool = conn
        .query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'articles'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if !has_table {
        return BTreeSet::new();
    }
    let mut stmt = conn
        .prepare("SELECT source || ' ' || id FROM articles")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every feed file present parses completely; no temp file outlives the next run.
fn check_feeds(dir: &Path, iteration: usize) {
    let Ok(entries) = std::fs::read_dir(dir.join("feeds")) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        if name.ends_with(".rss") || name.ends_with(".atom") {
            let text = std::str::from_utf8(&bytes).expect("UTF-8 feed");
            roxmltree::Document::parse(text).unwrap_or_else(|e| {
                panic!("iteration {iteration}: {name} is not complete XML: {e}")
            });
            feed_rs::parser::parse(bytes.as_slice())
                .unwrap_or_else(|e| panic!("iteration {iteration}: {name} unreadable: {e}"));
        } else if name.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_else(|e| {
                panic!("iteration {iteration}: {name} is not complete JSON: {e}")
            });
        }
    }
}

/// Where in a run a kill is aimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aim {
    /// Right after the process was started: config, store opening, schema.
    Startup,
    /// When the run's first listing request reaches the site.
    Listing,
    /// When the run's `k`-th article request reaches the site (its answer is held back).
    Article(usize),
    /// When the site has served the run's last article page: the process is extracting,
    /// storing the batch of articles and rendering the feeds.
    AfterLastArticle,
}

/// How a killed run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Killed by the signal: it was still running.
    Killed,
    /// Exited 0 before the signal arrived.
    Finished,
}

/// The site with every article listed on page 1, so every `--refetch` run fetches all of
/// them whether or not it walks page 2.
fn one_page_listing(server: &FixtureServer) {
    let page1 = server.file("category/genprokuratura/index.html");
    let page2 = server.file("category/genprokuratura/page/2/index.html");
    let entries =
        &page2[page2.find("<article").expect("entries")..page2.rfind("</article>").expect("end")];
    let at = page1.rfind("</article>").expect("page 1 entries") + "</article>".len();
    server.set_file(
        "category/genprokuratura/index.html",
        format!("{}\n{entries}</article>{}", &page1[..at], &page1[at..]),
    );
}

#[test]
fn sigkill_during_fetch_store_and_render_loses_nothing_and_leaves_only_whole_files() {
    let server = FixtureServer::start(fixture_dir("wp"));
    one_page_listing(&server);
    // Every answer is held back a little: a run killed while waiting for one is certainly
    // still running, and the phases are far apart.
    server.set_delay("/", Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    let base_config = std::fs::read_to_string(&cfg).unwrap();
    let db = dir.path().join("pressfeed.db");
    let articles: BTreeSet<String> = load_expected("wp", &server.base)
        .articles
        .iter()
        .map(|a| {
            a.id.strip_prefix(&server.base)
                .expect("local id")
                .to_string()
        })
        .collect();
    assert_eq!(articles.len(), 7);
    let edited = "2025/09/22/prokurory-almaty-proveli-priem-grazhdan/index.html";
    let original = server.file(edited);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut before = BTreeSet::new();
    let mut outcomes: Vec<(Aim, Ended)> = Vec::new();
    for i in 0..30 {
        // Every few iterations the site changes, so there is a new version to write.
        if i % 3 == 0 {
            server.set_file(
                edited,
                original.replace("приём граждан", &format!("приём граждан (ред. {i})")),
            );
        }
        let aim = match i % 6 {
            0 | 3 => Aim::Article(1 + (rng.next() % articles.len() as u64) as usize),
            1 | 4 => Aim::AfterLastArticle,
            2 => Aim::Listing,
            _ => Aim::Startup,
        };
        // Each run has its own User-Agent, so a late request of a killed run (still in the
        // server's socket buffer) is never taken for one of this run.
        let agent = format!("pressfeed-crash-test/{i}");
        std::fs::write(
            &cfg,
            base_config.replace(
                "[settings]\n",
                &format!("[settings]\nuser_agent = \"{agent}\"\n"),
            ),
        )
        .unwrap();
        let ours = |r: &RecordedRequest| r.header("user-agent") == Some(agent.as_str());
        let ours_to_articles = |log: &ServerLog| -> Vec<u64> {
            log.requests
                .iter()
                .filter(|r| ours(r) && articles.contains(&r.path_and_query))
                .map(|r| r.seq)
                .collect()
        };

        let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--config")
            .arg(&cfg)
            .arg("refresh")
            .arg("--refetch")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The limit only guards against a run that never gets there.
        let reached = match aim {
            Aim::Startup => true,
            Aim::Listing => server.wait_until(Duration::from_secs(60), |log| {
                log.requests
                    .iter()
                    .any(|r| ours(r) && r.path_and_query.starts_with("/category/"))
            }),
            Aim::Article(k) => server.wait_until(Duration::from_secs(60), |log| {
                ours_to_articles(log).len() >= k
            }),
            Aim::AfterLastArticle => server.wait_until(Duration::from_secs(60), |log| {
                let asked = ours_to_articles(log);
                asked.len() == articles.len()
                    && asked
                        .iter()
                        .all(|seq| log.responses.iter().any(|r| r.request_seq == *seq))
            }),
        };
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            reached,
            "iteration {i}: the run never reached {aim:?} (ended {status}); requests {:?}",
            server
                .requests()
                .iter()
                .filter(|r| ours(r))
                .map(|r| r.path_and_query.clone())
                .collect::<Vec<_>>()
        );
        let ended = match (status.signal(), status.code()) {
            (Some(SIGKILL), _) => Ended::Killed,
            (None, Some(0)) => Ended::Finished,
            _ => panic!("iteration {i} ({aim:?}): run ended {status}, neither killed nor clean"),
        };
        outcomes.push((aim, ended));

        check_feeds(dir.path(), i);
        let after = stored_ids(&db);
        let lost: Vec<_> = before.difference(&after).collect();
        assert!(lost.is_empty(), "iteration {i}: articles lost: {lost:?}");
        before = after;
    }
    eprintln!("kills: {outcomes:?}");
    // A run waiting for a held-back answer (or just started) cannot have finished: every one
    // of those kills hit a running process.
    let early: Vec<_> = outcomes
        .iter()
        .filter(|(aim, _)| *aim != Aim::AfterLastArticle)
        .collect();
    assert_eq!(early.len(), 20);
    assert!(
        early.iter().all(|(_, e)| *e == Ended::Killed),
        "a run finished before a kill aimed at its start or its fetches: {early:?}"
    );
    // After the last article is served a run has everything it needs and goes on without
    // the site: the kill races its extraction, store batch and rendering, and must win.
    let late: Vec<_> = outcomes
        .iter()
        .filter(|(aim, _)| *aim == Aim::AfterLastArticle)
        .collect();
    assert_eq!(late.len(), 10);
    assert!(
        late.iter().all(|(_, e)| *e == Ended::Killed),
        "a run finished before the kill aimed at its store/render phase: {late:?}"
    );

    // A run allowed to finish cleans up after the killed ones and sees everything.
    std::fs::write(&cfg, &base_config).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    check_feeds(dir.path(), 30);
    assert_eq!(stored_ids(&db).len(), 7);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path().join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}
