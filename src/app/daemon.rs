//! `pressfeed run`: the long-running service.
//!
//! Wiring and lifecycle, in order: load config → open the store → bind the HTTP port →
//! READY=1 → one scheduler task per source (cron in the source's time zone, random jitter,
//! overlapping ticks skipped) → wait for signals. SIGHUP reloads the config (an invalid one is
//! refused and the old one keeps running). SIGTERM/SIGINT stop scheduling, give in-flight runs
//! `shutdown_grace` to finish, cancel the rest (writes are atomic, so nothing is left half
//! done), then close the HTTP server and exit 0.
//!
//! systemd: READY=1 only after the port is bound and the store is open; WATCHDOG=1 only while
//! the store answers; STOPPING=1 when shutdown begins. Without `NOTIFY_SOCKET` all of that
//! is a no-op.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

use super::exit::Exit;
use crate::app::lock::{LockError, SourceLock};
use crate::app::metrics::Metrics;
use crate::app::serve::{self, AppState};
use crate::config::{Config, Source};
use crate::http::Fetcher;
use crate::pipeline::{RunOptions, SharedStore, run_source};
use crate::store::Store;

/// What every scheduled run needs; replaced wholesale on reload.
struct Generation {
    config: Arc<Config>,
    /// Cancelled when this generation's schedulers must stop (reload or shutdown).
    stop: CancellationToken,
}

/// Shared by all generations.
struct Shared {
    store: SharedStore,
    metrics: Arc<Metrics>,
    /// In-flight runs, waited for at shutdown.
    runs: TaskTracker,
    /// Cancels in-flight runs when the grace period is over.
    abort_runs: CancellationToken,
    /// One flag per source id: a run is in flight. Survives reloads so a reload never starts
    /// a second run of a source that is still running.
    running: std::sync::Mutex<std::collections::HashMap<String, Arc<AtomicBool>>>,
}

impl Shared {
    fn running_flag(&self, id: &str) -> Arc<AtomicBool> {
        let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(id.to_string()).or_default().clone()
    }
}

fn notify(state: sd_notify::NotifyState<'_>) {
    if let Err(e) = sd_notify::notify(&[state]) {
        tracing::warn!(error = %e, "sd_notify failed");
    }
}

/// Runs the daemon until SIGTERM/SIGINT. `config_path` is re-read on SIGHUP.
pub async fn run(config_path: PathBuf, config: Config) -> Exit {
    let store = match Store::open(&config.settings.database) {
        Ok(s) => Arc::new(std::sync::Mutex::new(s)),
        Err(e) => {
            tracing::error!(error = %e, "cannot open the store");
            return Exit::Runtime;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(listen = %config.settings.listen, error = %e, "cannot bind");
            return Exit::Runtime;
        }
    };
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let fetcher = match Fetcher::new(&config.settings) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client");
            return Exit::Runtime;
        }
    };
    let config = Arc::new(config);
    let (config_tx, config_rx) = watch::channel(config.clone());
    let shared = Arc::new(Shared {
        store: store.clone(),
        metrics: Arc::new(Metrics::new()),
        runs: TaskTracker::new(),
        abort_runs: CancellationToken::new(),
        running: Default::default(),
    });

    let server_stop = CancellationToken::new();
    let state = AppState {
        config: config_rx,
        store: store.clone(),
        metrics: shared.metrics.clone(),
    };
    let server = tokio::spawn(serve::serve(listener, state, server_stop.clone()));
    tracing::info!(listen = %local, sources = config.sources.len(), "pressfeed listening on {local}");
    notify(sd_notify::NotifyState::Ready);
    let watchdog = spawn_watchdog(store.clone(), server_stop.clone());

    let mut generation = start_generation(config, fetcher, &shared);

    let (mut term, mut int, mut hup) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) {
        (Ok(t), Ok(i), Ok(h)) => (t, i, h),
        _ => {
            tracing::error!("cannot install signal handlers");
            return Exit::Runtime;
        }
    };
    loop {
        tokio::select! {
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            _ = int.recv() => { tracing::info!("SIGINT: shutting down"); break; }
            _ = hup.recv() => {
                match reload(&config_path, &generation.config) {
                    Ok((config, fetcher)) => {
                        notify(sd_notify::NotifyState::Reloading);
                        generation.stop.cancel();
                        let config = Arc::new(config);
                        let _ = config_tx.send(config.clone());
                        generation = start_generation(config, fetcher, &shared);
                        tracing::info!(sources = generation.config.sources.len(), "configuration reloaded");
                        notify(sd_notify::NotifyState::Ready);
                    }
                    Err(e) => tracing::error!(error = %e, "reload refused; the running configuration stays"),
                }
            }
        }
    }

    notify(sd_notify::NotifyState::Stopping);
    generation.stop.cancel();
    shared.runs.close();
    let grace = generation.config.settings.shutdown_grace;
    if tokio::time::timeout(grace, shared.runs.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "runs still going after the grace period; cancelling them"
        );
        shared.abort_runs.cancel();
        shared.runs.wait().await;
    }
    server_stop.cancel();
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server ended with an error"),
        Err(e) => tracing::warn!(error = %e, "HTTP server task failed"),
    }
    watchdog.abort();
    tracing::info!("stopped");
    Exit::Ok
}

/// Loads and validates the new config. Settings that cannot change without a restart keep
/// their running values (with a warning).
fn reload(path: &std::path::Path, old: &Config) -> Result<(Config, Fetcher), String> {
    let mut new = Config::load(path).map_err(|e| e.to_string())?;
    let s = &mut new.settings;
    if s.listen != old.settings.listen {
        tracing::warn!(old = %old.settings.listen, new = %s.listen, "settings.listen changes need a restart; keeping the old address");
        s.listen = old.settings.listen;
    }
    if s.database != old.settings.database {
        tracing::warn!("settings.database changes need a restart; keeping the old database");
        s.database = old.settings.database.clone();
    }
    let fetcher = Fetcher::new(&new.settings).map_err(|e| e.to_string())?;
    Ok((new, fetcher))
}

fn start_generation(config: Arc<Config>, fetcher: Fetcher, shared: &Arc<Shared>) -> Generation {
    let stop = CancellationToken::new();
    for source in &config.sources {
        tokio::spawn(schedule_source(
            source.clone(),
            config.clone(),
            fetcher.clone(),
            shared.clone(),
            stop.clone(),
        ));
    }
    Generation { config, stop }
}

/// Random delay added to a tick: at most `schedule_jitter`, and at most a tenth of the
/// interval so that a per-minute schedule is not turned into a random one.
fn jitter(max: Duration, interval: Duration) -> Duration {
    let cap = max.min(interval / 10);
    if cap.is_zero() {
        return Duration::ZERO;
    }
    Duration::from_millis(fastrand::u64(0..=cap.as_millis() as u64))
}

/// Fires the runs of one source on its schedule until `stop` is cancelled.
async fn schedule_source(
    source: Source,
    config: Arc<Config>,
    fetcher: Fetcher,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let running = shared.running_flag(&source.id);
    loop {
        let now = Utc::now();
        let Some(next) = source.schedule.next_after(now, source.timezone) else {
            tracing::warn!(source = %source.id, schedule = %source.schedule.expr, "schedule has no future tick");
            return;
        };
        let after = source
            .schedule
            .next_after(next, source.timezone)
            .unwrap_or(next);
        let interval = (after - next).to_std().unwrap_or_default();
        let wait = (next - now).to_std().unwrap_or_default()
            + jitter(config.settings.schedule_jitter, interval);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => return,
        }
        if running.load(Ordering::SeqCst) {
            tracing::warn!(source = %source.id, "previous run still in progress; tick skipped");
            continue;
        }
        let lock = match SourceLock::try_acquire(&config.settings.database, &source.id) {
            Ok(l) => l,
            Err(LockError::Busy { .. }) => {
                tracing::info!(source = %source.id, "another pressfeed process is refreshing this source; tick skipped");
                continue;
            }
            Err(e) => {
                tracing::warn!(source = %source.id, error = %e, "cannot take the source lock; tick skipped");
                continue;
            }
        };
        running.store(true, Ordering::SeqCst);
        let (source, config, fetcher, shared2, running2) = (
            source.clone(),
            config.clone(),
            fetcher.clone(),
            shared.clone(),
            running.clone(),
        );
        shared.runs.spawn(async move {
            let _lock = lock;
            let opts = RunOptions::default();
            tokio::select! {
                report = run_source(&source, &config.settings, &fetcher, &shared2.store, &opts, None) => {
                    shared2.metrics.observe_run(&report, Utc::now());
                    if report.failed_entirely() {
                        tracing::warn!(source = %source.id, "{}", report.summary());
                    } else {
                        tracing::info!(source = %source.id, "{}", report.summary());
                    }
                    if !report.changed_feeds.is_empty() {
                        ping_hubs(&fetcher, &config, &source, &report.changed_feeds).await;
                    }
                }
                _ = shared2.abort_runs.cancelled() => {
                    tracing::warn!(source = %source.id, "run cancelled at shutdown");
                }
            }
            running2.store(false, Ordering::SeqCst);
        });
    }
}

/// WebSub publish pings for the feeds whose bytes changed.
async fn ping_hubs(fetcher: &Fetcher, config: &Config, source: &Source, feeds: &[Url]) {
    for hub in config.settings.hubs.iter().chain(&source.hubs) {
        for feed in feeds {
            match fetcher
                .post_form(hub, &[("hub.mode", "publish"), ("hub.url", feed.as_str())])
                .await
            {
                Ok(()) => tracing::debug!(source = %source.id, %hub, %feed, "WebSub hub notified"),
                Err(e) => {
                    tracing::warn!(source = %source.id, %hub, %feed, error = %e, "WebSub ping failed")
                }
            }
        }
    }
}

/// Sends WATCHDOG=1 at half the interval systemd asked for, but only while the store
/// answers: a wedged database should get the service restarted.
fn spawn_watchdog(store: SharedStore, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(interval) = sd_notify::watchdog_enabled() else {
            return;
        };
        let period = (interval / 2).max(Duration::from_millis(100));
        loop {
            let s = store.clone();
            let healthy = tokio::task::spawn_blocking(move || {
                s.lock().unwrap_or_else(|p| p.into_inner()).healthy()
            })
            .await
            .unwrap_or(false);
            if healthy {
                notify(sd_notify::NotifyState::Watchdog);
            } else {
                tracing::error!("store does not answer; withholding the watchdog ping");
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = stop.cancelled() => return,
            }
        }
    })
}
