//! The alert webhook against a local stub: one alert per change of state over a series of
//! `refresh` runs (each its own process, so a restart does not alert again), retries of a
//! failing webhook, and a webhook that never answers holding up nothing.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pressfeed::app::alerts::Notifier;
use pressfeed::config::Config;
use pressfeed::http::Fetcher;
use pressfeed::pipeline::{Alert, AlertState};
use url::Url;

use crate::common::{Fault, FixtureServer, fixture_dir, pressfeed};

/// What the webhook stub received, and the statuses it answers with (200 once they run
/// out).
#[derive(Default)]
struct Hook {
    received: Mutex<Vec<serde_json::Value>>,
    answers: Mutex<VecDeque<u16>>,
    /// Notified on every alert received.
    arrived: Condvar,
}

async fn receive(State(h): State<Arc<Hook>>, body: String) -> StatusCode {
    h.received
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).expect("alert is JSON"));
    h.arrived.notify_all();
    let code = h.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

/// A webhook stub on 127.0.0.1 (axum, on its own thread so sync tests can use it).
struct Stub {
    url: Url,
    hook: Arc<Hook>,
}

impl Stub {
    fn start(answers: &[u16]) -> Stub {
        let hook = Arc::new(Hook::default());
        hook.answers.lock().unwrap().extend(answers);
        let (tx, rx) = std::sync::mpsc::channel();
        let state = hook.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new()
                    .route("/hook", axum::routing::post(receive))
                    .with_state(state);
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Stub {
            url: Url::parse(&format!("http://{addr}/hook")).unwrap(),
            hook,
        }
    }

    /// Blocks until `n` alerts have arrived; `limit` only guards against waiting forever.
    fn wait_for(&self, n: usize, limit: Duration) {
        let (got, timeout) = self
            .hook
            .arrived
            .wait_timeout_while(self.hook.received.lock().unwrap(), limit, |r| r.len() < n)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "still waiting for {n} alerts: {got:?}"
        );
    }

    fn received(&self) -> Vec<serde_json::Value> {
        self.hook.received.lock().unwrap().clone()
    }

    /// (source, state) of each alert received.
    fn states(&self) -> Vec<(String, String)> {
        self.received()
            .iter()
            .map(|v| {
                (
                    v["source"].as_str().unwrap().to_string(),
                    v["state"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn refresh(cfg: &Path) -> i32 {
    pressfeed()
        .arg("--config")
        .arg(cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
        .status
        .code()
        .unwrap_or(-1)
}

/// The wp fixture config, alerting `stub`, without fetch retries.
fn alerting_config(server: &FixtureServer, stub: &Stub, dir: &Path) -> std::path::PathBuf {
    let cfg = server.copy_config(dir, "wp");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .replacen("[settings]\n", "[settings]\nretries = 0\n", 1)
        .replacen(
            "[[source]]",
            &format!(
                "[settings.alerts]\nwebhook = \"{}\"\n\n[[source]]",
                stub.url
            ),
            1,
        );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

#[test]
fn one_alert_per_change_of_state_over_failing_runs_then_a_good_one() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let stub = Stub::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = alerting_config(&server, &stub, dir.path());

    let listing = "/category/genprokuratura/";
    server.set_fault(listing, Some(Fault::Status(500, Vec::new())));
    let mut after_each = Vec::new();
    for _ in 0..4 {
        assert_eq!(refresh(&cfg), 1);
        after_each.push(stub.received().len());
    }
    server.set_fault(listing, None);
    assert_eq!(refresh(&cfg), 0);
    after_each.push(stub.received().len());
    // Each refresh delivers before it exits, so the count after each run is exact.
    assert_eq!(after_each, [0, 0, 1, 1, 2]);
    assert_eq!(
        stub.states(),
        [
            ("wp".to_string(), "failing".to_string()),
            ("wp".to_string(), "recovered".to_string())
        ]
    );
    let failing = &stub.received()[0];
    let message = failing["message"].as_str().unwrap();
    assert!(
        message.starts_with("3 failed runs in a row; last error: ") && message.contains("500"),
        "{message}"
    );
    let time = chrono::DateTime::parse_from_rfc3339(failing["time"].as_str().unwrap()).unwrap();
    assert!(time <= Utc::now());
    assert_eq!(
        failing.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["message", "source", "state", "time"]
    );
    // A further good run has nothing to report.
    assert_eq!(refresh(&cfg), 0);
    assert_eq!(stub.received().len(), 2);
}

#[test]
fn a_drifting_selector_is_alerted_once() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let stub = Stub::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = alerting_config(&server, &stub, dir.path());
    assert_eq!(refresh(&cfg), 0);
    // The theme renames the summaries' class: `listing.summary` matched before and
    // matches nothing now.
    let page = "category/genprokuratura/index.html";
    server.set_file(
        page,
        server.file(page).replace("entry-summary", "entry-teaser"),
    );
    assert_eq!(refresh(&cfg), 0);
    assert_eq!(refresh(&cfg), 0);
    assert_eq!(stub.states(), [("wp".to_string(), "drift".to_string())]);
    let message = stub.received()[0]["message"].as_str().unwrap().to_string();
    assert!(message.ends_with(": listing.summary"), "{message}");
}

fn fetcher() -> Fetcher {
    let text = "[settings]\nmin_delay_ms = 0\nrequest_timeout_secs = 5\n\
                [[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://example.kz/\"]\n";
    let config = Config::parse(text, Path::new("config.toml")).unwrap();
    Fetcher::new(&config.settings).unwrap()
}

fn alert() -> Alert {
    Alert {
        source: "gov".into(),
        state: AlertState::Failing,
        message: "3 failed runs in a row".into(),
        time: Utc::now(),
    }
}

#[tokio::test]
async fn a_webhook_answering_500_then_200_gets_the_alert_on_the_retry() {
    let stub = Stub::start(&[500]);
    let n = Notifier::with_retry_delays(vec![Duration::ZERO; 3]);
    n.send(&stub.url, &fetcher(), vec![alert()]);
    assert_eq!(n.drain(Duration::from_secs(60)).await, 1);
    let got = stub.received();
    assert_eq!(got.len(), 2, "one failed attempt, one retry");
    assert_eq!(got[0], got[1], "the retry posts the same alert");
    assert_eq!(got[0]["state"], "failing");
}

#[tokio::test]
async fn retries_are_bounded_and_a_refusing_webhook_is_not_retried() {
    let stub = Stub::start(&[503, 503, 503, 503, 503, 400]);
    let n = Notifier::with_retry_delays(vec![Duration::ZERO; 3]);
    n.send(&stub.url, &fetcher(), vec![alert()]);
    assert_eq!(n.drain(Duration::from_secs(60)).await, 0);
    assert_eq!(stub.received().len(), 4, "one attempt and three retries");

    // The stub answers 503 once more, then 400: a refusal ends the retries at once.
    let n = Notifier::with_retry_delays(vec![Duration::ZERO; 3]);
    n.send(&stub.url, &fetcher(), vec![alert()]);
    assert_eq!(n.drain(Duration::from_secs(60)).await, 0);
    assert_eq!(stub.received().len(), 6);
}

/// A webhook that accepts connections and never answers: queueing returns at once, and
/// the drain at shutdown gives up at its bound (paused clock: no real waiting).
#[tokio::test(start_paused = true)]
async fn a_webhook_that_never_answers_holds_up_neither_a_run_nor_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/hook", listener.local_addr().unwrap())).unwrap();
    let _silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let n = Notifier::with_retry_delays(vec![Duration::from_secs(3600); 3]);
    let started = tokio::time::Instant::now();
    n.send(&url, &fetcher(), vec![alert(), alert()]);
    assert_eq!(started.elapsed(), Duration::ZERO, "send never waits");
    assert_eq!(n.drain(Duration::from_secs(20)).await, 0);
    assert!(started.elapsed() <= Duration::from_secs(21));
}

/// A child process killed when the test ends, however it ends.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The daemon alerts from its scheduled runs, prunes after them, and exits cleanly with
/// its alert queue drained.
#[test]
fn the_daemon_alerts_failing_and_recovered_and_prunes_after_its_runs() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let stub = Stub::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = alerting_config(&server, &stub, dir.path());
    let text = std::fs::read_to_string(&cfg).unwrap()
        .replacen(
            "[settings]\n",
            "[settings]\nlisten = \"127.0.0.1:0\"\nschedule_jitter_secs = 0\nshutdown_grace_secs = 2\n",
            1,
        )
        .replacen("[[source]]", "after_failures = 2\n\n[[source]]", 1)
        .replace("schedule = \"*/30 * * * *\"", "schedule = \"*/1 * * * * *\"")
        .replace("items = 50\n", "items = 3\nkeep_items = 3\n");
    std::fs::write(&cfg, text).unwrap();
    let listing = "/category/genprokuratura/";
    server.set_fault(listing, Some(Fault::Status(500, Vec::new())));

    let mut daemon = Reaped(
        std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--config")
            .arg(&cfg)
            .arg("run")
            .env("NO_PROXY", "127.0.0.1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    stub.wait_for(1, Duration::from_secs(60));
    server.set_fault(listing, None);
    stub.wait_for(2, Duration::from_secs(60));
    let term = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(daemon.0.id().to_string())
        .status()
        .unwrap();
    assert!(term.success());
    assert_eq!(daemon.0.wait().unwrap().code(), Some(0));
    assert_eq!(
        stub.states(),
        [
            ("wp".to_string(), "failing".to_string()),
            ("wp".to_string(), "recovered".to_string())
        ]
    );
    assert!(
        stub.received()[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("2 failed runs in a row")
    );
    let stored: i64 = rusqlite::Connection::open(dir.path().join("pressfeed.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 3, "keep_items = 3 applied after the daemon's run");
}
