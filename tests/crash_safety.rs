//! Crash safety: `pressfeed refresh` killed with SIGKILL at random moments never leaves a
//! half-written feed, a damaged database, or fewer stored articles than before the kill.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{FixtureServer, fixture_dir};

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

#[test]
fn sigkill_at_random_moments_loses_nothing_and_leaves_only_whole_files() {
    let server = FixtureServer::start(fixture_dir("wp"));
    // Slow article pages keep a run in flight long enough to be killed at any stage.
    server.set_delay("/20", Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    let db = dir.path().join("pressfeed.db");
    let edited = "2025/09/22/prokurory-almaty-proveli-priem-grazhdan/index.html";
    let original = server.file(edited);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut before = BTreeSet::new();
    for i in 0..30 {
        // Every few iterations the site changes, so there is a new version to write.
        if i % 3 == 0 {
            server.set_file(
                edited,
                original.replace("приём граждан", &format!("приём граждан (ред. {i})")),
            );
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--config")
            .arg(&cfg)
            .arg("refresh")
            .arg("--refetch")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next() % 400));
        let _ = Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status();
        let _ = child.wait();

        check_feeds(dir.path(), i);
        let after = stored_ids(&db);
        let lost: Vec<_> = before.difference(&after).collect();
        assert!(lost.is_empty(), "iteration {i}: articles lost: {lost:?}");
        before = after;
    }
    // A run allowed to finish cleans up after the killed ones and sees everything.
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
