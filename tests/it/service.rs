//! pressfeed as an installed service: catch-up at start, systemd's directories, STATUS=
//! and journal priorities, root on the service's state, `status --json`, exit codes, the
//! user agent, and the files the Debian package ships.

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{FixtureServer, fixture_dir, pressfeed};
use crate::daemon::{Daemon, client};

const EX_USAGE: i32 = 64;

/// The wp fixture config for a daemon on a random port, keeping the fixture's 30-minute
/// schedule, with no jitter.
fn half_hourly_config(server: &FixtureServer, dir: &Path) -> PathBuf {
    let cfg = server.copy_config(dir, "wp");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("schedule = \"*/30 * * * *\""));
    let text = text.replace(
        "[settings]\n",
        "[settings]\nlisten = \"127.0.0.1:0\"\nschedule_jitter_secs = 0\nshutdown_grace_secs = 2\n",
    );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn refresh(cfg: &Path) -> std::process::Output {
    pressfeed()
        .arg("--config")
        .arg(cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

/// The daemon's log lines about `wp` containing `needle`.
fn wp_lines(daemon: &Daemon, needle: &str) -> usize {
    daemon
        .lines()
        .iter()
        .filter(|l| l.contains("source=wp") && l.contains(needle))
        .count()
}

#[test]
fn a_half_hourly_source_that_never_ran_is_served_right_after_start() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = half_hourly_config(&server, dir.path());
    let daemon = Daemon::start(&cfg, &[]);
    // Before the catch-up run, there is no feed.
    let http = client();
    // The catch-up run, then its summary: no cron tick of a 30-minute schedule needed.
    daemon.wait_log(
        "the catch-up run's summary",
        Duration::from_secs(60),
        |log| {
            log.lines
                .iter()
                .any(|l| l.contains("wp: ") && l.contains(" new, "))
        },
    );
    let lines = daemon.lines();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?}: {lines:?}"))
    };
    assert!(
        at("catch-up run: never succeeded") < at("wp: 7 new, "),
        "{lines:?}"
    );
    let r = http.get(daemon.url("/feeds/wp.rss")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("<item>"));
}

#[test]
fn a_source_that_succeeded_recently_waits_for_its_tick() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = half_hourly_config(&server, dir.path());
    assert!(refresh(&cfg).status.success());
    let mut daemon = Daemon::start(&cfg, &[]);
    daemon.wait_log("the start decision", Duration::from_secs(30), |log| {
        log.lines
            .iter()
            .any(|l| l.contains("source=wp") && l.contains("up to date"))
    });
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(Duration::from_secs(30)), Some(0));
    assert_eq!(wp_lines(&daemon, "catch-up run"), 0, "{:?}", daemon.lines());
    // The refresh's feed is served as it is.
    assert!(dir.path().join("feeds/wp.rss").is_file());
}

#[test]
fn notify_socket_gets_status_lines_at_ready_and_after_a_run() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = half_hourly_config(&server, dir.path());
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut daemon = Daemon::start(&cfg, &[("NOTIFY_SOCKET", sock_path.to_str().unwrap())]);
    let mut buf = [0u8; 4096];
    let mut recv = || {
        let n = sock.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let ready = recv();
    assert!(ready.contains("READY=1"), "{ready:?}");
    assert!(
        ready.contains("STATUS=1 feed, 0 failing, next run "),
        "{ready:?}"
    );
    // The catch-up run ends with a fresh status.
    let after_run = recv();
    assert!(
        after_run.starts_with("STATUS=1 feed, 0 failing, next run "),
        "{after_run:?}"
    );
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(Duration::from_secs(30)), Some(0));
}

/// `refresh` with stderr in a file, `JOURNAL_STREAM` set to `journal` (None: the file's own
/// device and inode, as systemd would set it); returns the stderr lines.
fn refresh_logging_to(dir: &Path, cfg: &Path, journal: Option<&str>) -> Vec<String> {
    let log = dir.join(format!("stderr-{}.log", journal.is_some()));
    let file = std::fs::File::create(&log).unwrap();
    let meta = file.metadata().unwrap();
    let stream = journal
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}:{}", meta.dev(), meta.ino()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(cfg)
        .arg("refresh")
        .env("RUST_LOG", "pressfeed=debug")
        .env("JOURNAL_STREAM", stream)
        .env("NO_PROXY", "127.0.0.1")
        .stdout(std::process::Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "the broken source fails the refresh"
    );
    std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn log_lines_carry_syslog_priorities_only_when_stderr_is_the_journal() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    // A second source whose listing page is missing: its failure is logged as a warning.
    let broken = format!(
        "\n[[source]]\nid = \"broken\"\ntitle = \"Broken\"\nlisting_urls = [\"{}\"]\n",
        server.url("/no-such-page/")
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}{broken}")).unwrap();

    let journal = refresh_logging_to(dir.path(), &cfg, None);
    assert!(!journal.is_empty());
    for line in &journal {
        let prio = line.get(..3).unwrap_or("");
        assert!(
            ["<3>", "<4>", "<6>", "<7>"].contains(&prio),
            "no priority prefix: {line:?}"
        );
        let level = line[3..].split_whitespace().next().unwrap_or("");
        let want = match level {
            "ERROR" => "<3>",
            "WARN" => "<4>",
            "INFO" => "<6>",
            _ => "<7>",
        };
        assert_eq!(prio, want, "{line:?}");
    }
    for prio in ["<4>", "<6>", "<7>"] {
        assert!(
            journal.iter().any(|l| l.starts_with(prio)),
            "no {prio} line: {journal:?}"
        );
    }

    // A JOURNAL_STREAM inherited from elsewhere (not our stderr): plain lines.
    let plain = refresh_logging_to(dir.path(), &cfg, Some("1:1"));
    assert!(!plain.is_empty());
    assert!(plain.iter().all(|l| !l.starts_with('<')), "{plain:?}");
}

#[test]
fn relative_paths_go_to_systemds_state_and_cache_directories() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    let state = dir.path().join("state");
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("refresh")
        .env("STATE_DIRECTORY", &state)
        .env("CACHE_DIRECTORY", &cache)
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    assert!(state.join("pressfeed.db").is_file());
    assert!(state.join("pressfeed.db.locks/wp.lock").is_file());
    assert!(cache.join("feeds/wp.rss").is_file());
    assert!(
        !dir.path().join("pressfeed.db").exists() && !dir.path().join("feeds").exists(),
        "nothing next to the config file"
    );
}

#[test]
fn root_refreshing_the_service_state_is_refused_with_the_command_that_works() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "database = \"pressfeed.db\"",
        "database = \"state/pressfeed.db\"",
    );
    std::fs::write(&cfg, text).unwrap();
    // The service user's state: another uid than ours (root's, in CI).
    std::os::unix::fs::chown(&state, Some(4242), Some(4242))
        .expect("chown to another uid needs root; CI runs the tests as root");
    for cmd in ["refresh", "render", "run"] {
        let out = pressfeed()
            .arg("--config")
            .arg(&cfg)
            .arg(cmd)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(EX_USAGE), "{cmd}: {stderr}");
        assert!(
            stderr.contains("as root") && stderr.contains(&state.display().to_string()),
            "{cmd}: {stderr}"
        );
        assert!(
            stderr.contains("sudo -u #4242 pressfeed")
                && stderr.contains("systemctl start pressfeed-refresh"),
            "{cmd}: {stderr}"
        );
    }
    assert!(
        std::fs::read_dir(&state).unwrap().next().is_none(),
        "nothing created in the state"
    );
    assert!(server.requests().is_empty(), "nothing fetched");
    // Reading is harmless: status still answers.
    pressfeed()
        .arg("--config")
        .arg(&cfg)
        .arg("status")
        .assert()
        .success();
}

#[test]
fn status_json_has_the_documented_fields_per_source() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    let broken = format!(
        "\n[[source]]\nid = \"broken\"\ntitle = \"Broken\"\nlisting_urls = [\"{}\"]\n",
        server.url("/no-such-page/")
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}{broken}")).unwrap();
    assert_eq!(refresh(&cfg).status.code(), Some(1));

    let out = pressfeed()
        .arg("--config")
        .arg(&cfg)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failing source: exit 1");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert!(doc["generated_at"].as_str().unwrap().ends_with('Z'));
    let sources = doc["sources"].as_array().unwrap();
    let keys: Vec<&str> = sources[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "consecutive_failures",
            "drift",
            "failing",
            "feeds",
            "id",
            "items_found",
            "items_stored",
            "last_attempt",
            "last_error",
            "last_failure",
            "last_success",
            "next_run",
            "schedule",
            "timezone",
            "title"
        ],
        "sorted and stable"
    );
    let (wp, bad) = (&sources[0], &sources[1]);
    assert_eq!(wp["id"], "wp");
    assert_eq!(wp["failing"], false);
    assert_eq!(wp["consecutive_failures"], 0);
    assert!(wp["last_success"].as_str().unwrap().ends_with('Z'));
    assert_eq!(wp["last_success"], wp["last_attempt"]);
    assert!(wp["last_failure"].is_null() && wp["last_error"].is_null());
    assert_eq!(wp["items_stored"], 7);
    assert_eq!(wp["items_found"], 7);
    assert_eq!(wp["schedule"], "*/30 * * * *");
    assert_eq!(wp["timezone"], "Asia/Almaty");
    assert!(
        wp["next_run"].as_str().unwrap().ends_with(":00Z")
            || wp["next_run"].as_str().unwrap().ends_with(":30:00Z")
    );
    assert!(
        wp["feeds"]["rss"]
            .as_str()
            .unwrap()
            .ends_with("/feeds/wp.rss")
    );
    assert!(
        wp["feeds"]["json"]
            .as_str()
            .unwrap()
            .ends_with("/feeds/wp.json")
    );

    assert_eq!(bad["id"], "broken");
    assert_eq!(bad["failing"], true);
    assert_eq!(bad["consecutive_failures"], 1);
    assert!(bad["last_success"].is_null());
    assert_eq!(bad["last_failure"], bad["last_attempt"]);
    assert!(bad["last_error"].as_str().unwrap().contains("404"), "{bad}");
}

#[test]
fn usage_errors_exit_64_and_help_and_version_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::common::copy_config(dir.path(), "wp", "http://127.0.0.1:9");
    for args in [
        vec!["--no-such-flag"],
        vec!["no-such-command"],
        vec!["backfill", "--source", "wp"],
        vec!["refresh", "--source", "no-such-source"],
        vec!["render", "--source", "no-such-source"],
        vec!["preview", "not-a-url"],
    ] {
        let out = pressfeed()
            .arg("--config")
            .arg(&cfg)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(EX_USAGE),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?}: says why");
    }
    for args in [["--help"], ["--version"]] {
        pressfeed().args(args).assert().success();
    }
}

#[test]
fn default_user_agent_is_pressfeed_and_its_version() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = server.copy_config(dir.path(), "wp");
    assert!(
        !std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("user_agent")
    );
    assert!(refresh(&cfg).status.success());
    let want = format!("pressfeed/{}", env!("CARGO_PKG_VERSION"));
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.header("user-agent"),
            Some(want.as_str()),
            "{}",
            r.path_and_query
        );
    }
    // The shipped config leaves it to the default and asks for a contact.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml")).unwrap();
    assert!(
        !shipped.lines().any(|l| l.starts_with("user_agent")),
        "no made-up user agent"
    );
    assert!(shipped.contains("add your contact"));
}

fn repo(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `Key=value` settings of a unit file, comments left out.
fn unit_settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn both_services_run_as_the_one_static_user_and_share_readable_directories() {
    let sysusers = repo("contrib/sysusers.d/pressfeed.conf");
    let user_line = sysusers
        .lines()
        .find(|l| l.starts_with("u "))
        .expect("a u line");
    assert_eq!(user_line.split_whitespace().nth(1), Some("pressfeed"));
    let tmpfiles = repo("contrib/tmpfiles.d/pressfeed.conf");
    for dir in [
        "/var/lib/pressfeed ",
        "/var/cache/pressfeed ",
        "/var/cache/pressfeed/feeds ",
    ] {
        let line = tmpfiles
            .lines()
            .find(|l| l.starts_with("d ") && l.contains(dir))
            .unwrap_or_else(|| panic!("no tmpfiles entry for {dir}"));
        assert!(line.contains(" pressfeed pressfeed "), "{line}");
    }
    for unit in ["pressfeed.service", "pressfeed-refresh.service"] {
        let settings = unit_settings(&repo(&format!("contrib/systemd/{unit}")));
        let get = |k: &str| {
            settings
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("User"), ["pressfeed"], "{unit}");
        assert_eq!(get("Group"), ["pressfeed"], "{unit}");
        assert!(get("DynamicUser").is_empty(), "{unit}");
        assert_eq!(get("StateDirectory"), ["pressfeed"], "{unit}");
        assert_eq!(get("CacheDirectory"), ["pressfeed"], "{unit}");
        assert_eq!(
            get("CacheDirectoryMode"),
            ["0755"],
            "{unit}: a web server reads the feeds"
        );
        assert_eq!(get("ProtectSystem"), ["strict"], "{unit}: hardening kept");
        assert_eq!(
            get("ExecStart")[0].split_whitespace().last(),
            Some("/etc/pressfeed/config.toml"),
            "{unit}"
        );
    }
}

#[test]
fn packaged_config_is_the_shipped_one_with_the_service_paths() {
    // contrib/deb/make-config.sh writes it; rerun that after editing config.toml.
    let shipped = repo("config.toml");
    let packaged = repo("contrib/deb/config.toml");
    let expected = shipped
        .replace(
            "\ndatabase = \"pressfeed.db\"\n",
            "\ndatabase = \"/var/lib/pressfeed/pressfeed.db\"\n",
        )
        .replace(
            "\nfeeds_dir = \"feeds\"\n",
            "\nfeeds_dir = \"/var/cache/pressfeed/feeds\"\n",
        )
        .replace(
            "# Check it with:   pressfeed check --config config.toml\n",
            "# Check it with:   sudo -u pressfeed pressfeed check --config /etc/pressfeed/config.toml\n",
        );
    assert_ne!(
        expected, shipped,
        "the replaced lines are still in config.toml"
    );
    assert!(
        packaged == expected,
        "contrib/deb/config.toml is out of date: run contrib/deb/make-config.sh"
    );
    pressfeed()
        .arg("--config")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/deb/config.toml"))
        .arg("check")
        .assert()
        .success();
}

#[test]
fn manual_page_names_every_command_and_long_option_of_the_help() {
    let man = repo("contrib/deb/pressfeed.1");
    let help = |args: &[&str]| {
        let out = pressfeed().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let top = help(&["--help"]);
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    assert!(commands.len() >= 7, "{commands:?}");
    for cmd in &commands {
        assert!(
            man.contains(&format!(".B {cmd}\n")) || man.contains(&format!(".BR {cmd} ")),
            "the manual page lacks the command {cmd}"
        );
        for word in help(&[cmd, "--help"]).split_whitespace() {
            let Some(long) = word.strip_prefix("--") else {
                continue;
            };
            let long = long.trim_end_matches(',');
            assert!(
                man.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))),
                "the manual page lacks --{long} (of {cmd})"
            );
        }
    }
}
