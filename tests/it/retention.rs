//! Backup and retention through the command line: a backup taken while a refresh is
//! running, retention after runs and by `pressfeed prune`, and pruned articles that stay
//! gone while the site still lists them.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::common::{FixtureServer, fixture_dir, load_expected, pressfeed};

const LISTING: &str = "/category/genprokuratura/";

/// Runs a command with `--config cfg`; (exit code, stdout + stderr).
fn run(cfg: &Path, args: &[&str]) -> (i32, String) {
    let out = pressfeed()
        .arg("--config")
        .arg(cfg)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The wp fixture config with `items` and extra `[[source]]` keys.
fn config(
    server: &FixtureServer,
    dir: &Path,
    items: usize,
    source_keys: &str,
) -> std::path::PathBuf {
    let cfg = server.copy_config(dir, "wp");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("items = 50\n"));
    let text = text.replace("items = 50\n", &format!("items = {items}\n{source_keys}\n"));
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn stored_ids(db: &Path) -> BTreeSet<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c
        .prepare("SELECT id FROM articles WHERE source = 'wp'")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The item ids of the RSS feed, in order.
fn feed_ids(dir: &Path) -> Vec<String> {
    let raw = std::fs::read_to_string(dir.join("feeds/wp.rss")).unwrap();
    let doc = roxmltree::Document::parse(&raw).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("guid"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

/// Article paths of the fixture (`/2025/...`).
fn article_paths(server: &FixtureServer) -> BTreeSet<String> {
    load_expected("wp", &server.base)
        .articles
        .iter()
        .map(|a| a.id.strip_prefix(&server.base).unwrap().to_string())
        .collect()
}

#[test]
fn backup_taken_during_a_running_refresh_opens_and_passes_integrity_check() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server, dir.path(), 50, "");
    assert_eq!(run(&cfg, &["refresh"]).0, 0);
    let paths = article_paths(&server);
    // On the first listing page, so the second (incremental) run asks for it too.
    let held = "/2025/09/24/v-turkestane-startoval-pervyj-mezhdunarodnyj-forum-gosudarstvennyh-obvinitelej/";
    assert!(paths.contains(held));
    // One article page answers far later than the backup takes: the second refresh is
    // certainly still running (its store open, its writes in the WAL) while the copy is
    // made. The delay only keeps it running; nothing waits for it.
    server.set_delay(held, Duration::from_secs(60));
    server.clear_requests();
    let mut refresh = std::process::Command::new(assert_cmd::cargo::cargo_bin("pressfeed"))
        .arg("--config")
        .arg(&cfg)
        .args(["refresh", "--refetch"])
        .env("NO_PROXY", "127.0.0.1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    server.wait_for("the held article request", Duration::from_secs(60), |log| {
        log.requests_to(|p| p == held) > 0
    });
    let target = dir.path().join("backup.db");
    let (code, out) = run(&cfg, &["backup", target.to_str().unwrap()]);
    let still_running = !server.responses().iter().any(|r| r.path_and_query == held);
    refresh.kill().unwrap();
    refresh.wait().unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("integrity check ok"), "{out}");
    assert!(
        still_running,
        "the backup must be taken while the refresh runs"
    );

    let copy = rusqlite::Connection::open(&target).unwrap();
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(stored_ids(&target).len(), paths.len());
    // The running refresh marked its walk unfinished, a write still only in the live
    // database's WAL: the copy has it, so it is the database as it is now.
    let walk_complete: bool = copy
        .query_row(
            "SELECT walk_complete FROM source_state WHERE source = 'wp'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!walk_complete);
    let journal: String = copy
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete", "the copy is one self-contained file");

    // A second backup to the same path is refused without --force.
    let (code, out) = run(&cfg, &["backup", target.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("already exists; pass --force to replace it"),
        "{out}"
    );
    assert_eq!(
        run(&cfg, &["backup", "--force", target.to_str().unwrap()]).0,
        0
    );
}

#[test]
fn retention_after_a_refresh_keeps_the_feed_and_pruned_articles_do_not_come_back() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pressfeed.db");
    let cfg = config(&server, dir.path(), 3, "keep_items = 3\nrecheck_hours = 0");
    let (code, out) = run(&cfg, &["refresh"]);
    assert_eq!(code, 0, "{out}");
    let all = article_paths(&server).len();
    assert!(
        out.contains(&format!("wp: {} old articles pruned", all - 3)),
        "{out}"
    );
    let stored = stored_ids(&db);
    assert_eq!(stored.len(), 3);
    let feed = feed_ids(dir.path());
    assert_eq!(
        feed.iter().cloned().collect::<BTreeSet<_>>(),
        stored,
        "the feed's items stay"
    );

    // The listing still shows every article: the pruned ones are neither fetched nor stored
    // again, and the feed files are not rewritten.
    let pruned: BTreeSet<String> = article_paths(&server)
        .into_iter()
        .filter(|p| !stored.contains(&server.url(p)))
        .collect();
    assert_eq!(pruned.len(), all - 3);
    let rss_before = std::fs::read(dir.path().join("feeds/wp.rss")).unwrap();
    server.clear_requests();
    let (code, out) = run(&cfg, &["refresh"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wp: 0 new, 0 updated"), "{out}");
    assert!(!out.contains("pruned"), "{out}");
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| pruned.contains(&r.path_and_query))
            .count(),
        0,
        "pruned articles fetched again"
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path_and_query == LISTING)
    );
    assert_eq!(stored_ids(&db), stored);
    assert_eq!(
        std::fs::read(dir.path().join("feeds/wp.rss")).unwrap(),
        rss_before
    );

    // Even `--refetch`, which fetches every listed page again, does not bring them back.
    let (code, out) = run(&cfg, &["refresh", "--refetch"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(stored_ids(&db), stored);
}

#[test]
fn prune_command_applies_retention_and_keeps_the_feed_items() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pressfeed.db");
    let cfg = config(&server, dir.path(), 3, "");
    assert_eq!(run(&cfg, &["refresh"]).0, 0);
    let all = stored_ids(&db).len();
    assert_eq!(all, article_paths(&server).len());
    let (code, out) = run(&cfg, &["prune"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.trim(),
        "wp: keeps everything (no keep_days or keep_items)"
    );
    let feed = feed_ids(dir.path());

    // Every fixture article is from 2025, far more than a day old: all but the feed's go.
    let cfg = config(&server, dir.path(), 3, "keep_days = 1");
    let (code, out) = run(&cfg, &["prune", "--source", "wp"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), format!("wp: {} pruned, 3 kept", all - 3));
    assert_eq!(
        stored_ids(&db),
        feed.iter().cloned().collect::<BTreeSet<_>>()
    );
    // The feed, rendered again from what is left, is byte for byte what it was.
    let (code, out) = run(&cfg, &["render"]);
    assert_eq!(code, 0, "{out}");
    // (The index page beside it is rewritten: it counts the stored articles.)
    assert_eq!(
        out.lines().next(),
        Some("wp: 0 feed file(s) rewritten"),
        "{out}"
    );
    let (code, out) = run(&cfg, &["prune", "--source", "nope"]);
    assert_eq!(code, 2, "{out}");
}
