//! `pressfeed run`: the long-running service.
//!
//! Wiring and lifecycle, in order: load config → open the store → bind the HTTP port →
//! READY=1 → one scheduler task per source (a catch-up run right away when the source's feed
//! is missing or stale, see [`catch_up`](super::catch_up); then cron in the source's time
//! zone, random jitter, overlapping ticks skipped) → wait for signals. SIGHUP reloads the config (an invalid one is
//! refused and the old one keeps running). SIGTERM/SIGINT stop scheduling, give in-flight runs
//! `shutdown_grace` to finish, cancel the rest (writes are atomic, so nothing is left half
//! done), then close the HTTP server and exit 0.
//!
//! Each configuration is one *generation*: its sources' schedulers and its [`Pipeline`]
//! (settings, HTTP client, and what runs learnt about the sources). A reload starts a new
//! generation and stops the old one's schedulers; runs already going finish on the old one.
//!
//! Alerts decided by the runs are queued to one delivery task (`alerts`), drained for at
//! most `shutdown_grace` after the runs at shutdown.
//!
//! systemd: READY=1 only after the port is bound and the store is open; WATCHDOG=1 only while
//! the store answers; STOPPING=1 when shutdown begins; STATUS= ("12 feeds, 1 failing, next
//! run 12:30") with READY=1 and after every run. Without `NOTIFY_SOCKET` all of that is a
//! no-op.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

use super::alerts::Notifier;
use super::catch_up;
use super::exit::Exit;
use super::health::Health;
use super::lock::{LockError, SourceLock};
use super::merged::{merged_with_any, render_locked};
use super::metrics::Metrics;
use super::serve::{self, AppState};
use crate::config::{Config, ConfigError, Source};
use crate::http::{FetchError, Fetcher};
use crate::pipeline::{Pipeline, RunOptions, SharedStore, site, websub};
use crate::store::Store;

/// One configuration in force and its schedulers (which share its pipeline); replaced on
/// reload.
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
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// Alert delivery; taken and drained at shutdown, after the runs.
    alerts: Mutex<Option<Notifier>>,
}

impl Shared {
    fn running_flag(&self, id: &str) -> Arc<AtomicBool> {
        let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(id.to_string()).or_default().clone()
    }
}

/// What lives from start to exit besides the generations.
struct Service {
    shared: Arc<Shared>,
    /// Hands the server each new configuration.
    config_tx: watch::Sender<Arc<Config>>,
    server: JoinHandle<std::io::Result<()>>,
    server_stop: CancellationToken,
    watchdog: JoinHandle<()>,
}

/// Why a reloaded configuration was refused (the running one stays).
#[derive(Debug, thiserror::Error)]
enum ReloadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Client(#[from] FetchError),
}

fn notify(state: sd_notify::NotifyState<'_>) {
    if let Err(e) = sd_notify::notify(&[state]) {
        tracing::warn!(error = %e, "sd_notify failed");
    }
}

/// Runs the daemon until SIGTERM/SIGINT. `config_path` is re-read on SIGHUP.
pub async fn run(config_path: PathBuf, config: Config) -> Exit {
    let Some(mut signals) = Signals::install() else {
        tracing::error!("cannot install signal handlers");
        return Exit::Runtime;
    };
    let (service, mut generation) = match start(config).await {
        Ok(started) => started,
        Err(exit) => return exit,
    };
    loop {
        match signals.next().await {
            Received::Stop(name) => {
                tracing::info!("{name}: shutting down");
                break;
            }
            Received::Reload => reload_on_hup(&config_path, &service, &mut generation),
        }
    }
    stop(service, generation).await;
    Exit::Ok
}

/// Opens the store, binds the port, starts the server, says READY and starts the first
/// generation.
async fn start(config: Config) -> Result<(Service, Generation), Exit> {
    let store = Store::open(&config.settings.database).map_err(|e| {
        tracing::error!(error = %e, "cannot open the store");
        Exit::Runtime
    })?;
    let store: SharedStore = Arc::new(Mutex::new(store));
    let listener = tokio::net::TcpListener::bind(config.settings.listen)
        .await
        .map_err(|e| {
            tracing::error!(listen = %config.settings.listen, error = %e, "cannot bind");
            Exit::Runtime
        })?;
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let fetcher = Fetcher::new(&config.settings).map_err(|e| {
        tracing::error!(error = %e, "cannot build the HTTP client");
        Exit::Runtime
    })?;
    let config = Arc::new(config);
    let (config_tx, config_rx) = watch::channel(config.clone());
    let shared = Arc::new(Shared {
        store: store.clone(),
        metrics: Arc::new(Metrics::new()),
        runs: TaskTracker::new(),
        abort_runs: CancellationToken::new(),
        running: Mutex::default(),
        alerts: Mutex::new(Some(Notifier::start())),
    });
    let server_stop = CancellationToken::new();
    let state = AppState {
        config: config_rx,
        store: store.clone(),
        metrics: shared.metrics.clone(),
    };
    let server = tokio::spawn(serve::serve(listener, state, server_stop.clone()));
    tracing::info!(listen = %local, sources = config.sources.len(), "pressfeed listening on {local}");
    let status = status_line(&config, &store).await;
    if let Err(e) = sd_notify::notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&status),
    ]) {
        tracing::warn!(error = %e, "sd_notify failed");
    }
    // the pages beside the feeds exist from the start, like the served ones
    write_site(Arc::clone(&config), store.clone()).await;
    let watchdog = spawn_watchdog(store, server_stop.clone());
    let generation = start_generation(config, fetcher, &shared);
    let service = Service {
        shared,
        config_tx,
        server,
        server_stop,
        watchdog,
    };
    Ok((service, generation))
}

/// SIGTERM, SIGINT and SIGHUP as one stream.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

enum Received {
    Stop(&'static str),
    Reload,
}

impl Signals {
    fn install() -> Option<Signals> {
        Some(Signals {
            term: signal(SignalKind::terminate()).ok()?,
            int: signal(SignalKind::interrupt()).ok()?,
            hup: signal(SignalKind::hangup()).ok()?,
        })
    }

    async fn next(&mut self) -> Received {
        tokio::select! {
            _ = self.term.recv() => Received::Stop("SIGTERM"),
            _ = self.int.recv() => Received::Stop("SIGINT"),
            _ = self.hup.recv() => Received::Reload,
        }
    }
}

/// SIGHUP: a valid new configuration replaces the running generation; an invalid one is
/// refused with the reason, and the running one stays.
fn reload_on_hup(config_path: &Path, service: &Service, generation: &mut Generation) {
    match reload(config_path, &generation.config) {
        Ok((config, fetcher)) => {
            notify(sd_notify::NotifyState::Reloading);
            generation.stop.cancel();
            let config = Arc::new(config);
            let _ = service.config_tx.send(config.clone());
            *generation = start_generation(config, fetcher, &service.shared);
            tracing::info!(
                sources = generation.config.sources.len(),
                "configuration reloaded"
            );
            notify(sd_notify::NotifyState::Ready);
        }
        Err(e) => tracing::error!(error = %e, "reload refused; the running configuration stays"),
    }
}

/// Stops scheduling, gives in-flight runs the grace period, cancels what is left, then
/// stops the server.
async fn stop(service: Service, generation: Generation) {
    notify(sd_notify::NotifyState::Stopping);
    generation.stop.cancel();
    let shared = &service.shared;
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
    let alerts = shared
        .alerts
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(n) = alerts {
        n.drain(grace).await;
    }
    service.server_stop.cancel();
    match service.server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server ended with an error"),
        Err(e) => tracing::warn!(error = %e, "HTTP server task failed"),
    }
    service.watchdog.abort();
    tracing::info!("stopped");
}

/// Loads and validates the new config. Settings that cannot change without a restart keep
/// their running values (with a warning).
fn reload(path: &Path, old: &Config) -> Result<(Config, Fetcher), ReloadError> {
    let mut new = Config::load(path)?;
    super::commands::warn_robots_overrides(&new);
    let s = &mut new.settings;
    if s.listen != old.settings.listen {
        tracing::warn!(old = %old.settings.listen, new = %s.listen, "settings.listen changes need a restart; keeping the old address");
        s.listen = old.settings.listen;
    }
    if s.database != old.settings.database {
        tracing::warn!("settings.database changes need a restart; keeping the old database");
        s.database = old.settings.database.clone();
    }
    let fetcher = Fetcher::new(&new.settings)?;
    Ok((new, fetcher))
}

fn start_generation(config: Arc<Config>, fetcher: Fetcher, shared: &Arc<Shared>) -> Generation {
    let stop = CancellationToken::new();
    let pipeline = Arc::new(Pipeline::new(
        config.settings.clone(),
        fetcher,
        shared.store.clone(),
    ));
    // A new or changed [[feed]] table is written now, not only when a member next changes.
    if !config.feeds.is_empty() {
        let (config, pipeline, shared) = (config.clone(), pipeline.clone(), shared.clone());
        shared.runs.clone().spawn(async move {
            let ids: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
            render_merged(&config, &pipeline, &shared, &ids).await;
        });
    }
    for source in &config.sources {
        tokio::spawn(schedule_source(
            source.clone(),
            config.clone(),
            pipeline.clone(),
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
    let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=cap_ms))
}

/// Why a tick did not start a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// The previous run of the source, in this process, is still going.
    Overlap,
    /// Another process (a `refresh` by hand or a timer) holds the source's lock.
    Busy,
    /// The lock file could not be opened or locked.
    LockFailed,
}

/// What a run of one source holds while it goes: the source's lock and its running flag,
/// both released when the run ends, however it ends.
struct Claim {
    _lock: SourceLock,
    running: Arc<AtomicBool>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
    }
}

/// Claims a run of `id` for a tick, or says why the tick is skipped.
fn claim(running: &Arc<AtomicBool>, database: &Path, id: &str) -> Result<Claim, Skip> {
    if running.load(Ordering::SeqCst) {
        tracing::warn!(source = %id, "previous run still in progress; tick skipped");
        return Err(Skip::Overlap);
    }
    let lock = SourceLock::try_acquire(database, id).map_err(|e| match e {
        LockError::Busy { .. } => {
            tracing::info!(source = %id, "another pressfeed process is refreshing this source; tick skipped");
            Skip::Busy
        }
        e => {
            tracing::warn!(source = %id, error = %e, "cannot take the source lock; tick skipped");
            Skip::LockFailed
        }
    })?;
    running.store(true, Ordering::SeqCst);
    Ok(Claim {
        _lock: lock,
        running: running.clone(),
    })
}

/// Fires the runs of one source until `stop` is cancelled: a catch-up run first when the
/// source is due for one, then on its schedule.
async fn schedule_source(
    source: Source,
    config: Arc<Config>,
    pipeline: Arc<Pipeline>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let running = shared.running_flag(&source.id);
    let source = Arc::new(source);
    let launch = || {
        let Ok(claim) = claim(&running, &config.settings.database, &source.id) else {
            return;
        };
        let run = scheduled_run(
            source.clone(),
            config.clone(),
            pipeline.clone(),
            shared.clone(),
        );
        shared.runs.spawn(async move {
            let _claim = claim;
            run.await;
        });
    };
    if let Some(wait) = catch_up_wait(&source, &config, &shared.store).await {
        tokio::select! {
            _ = tokio::time::sleep(wait) => launch(),
            _ = stop.cancelled() => return,
        }
    }
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
            _ = tokio::time::sleep(wait) => launch(),
            _ = stop.cancelled() => return,
        }
    }
}

/// How long to wait before the catch-up run of `source`, or `None` when its last success is
/// recent enough to wait for the next tick. Logs the decision either way.
async fn catch_up_wait(source: &Source, config: &Config, store: &SharedStore) -> Option<Duration> {
    let id = source.id.clone();
    let store = store.clone();
    let state = tokio::task::spawn_blocking(move || {
        store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .source_state(&id)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r.map_err(|e| e.to_string()));
    let last_success = match state {
        Ok(st) => st.last_success,
        Err(e) => {
            tracing::warn!(source = %source.id, error = %e, "cannot read the source's state; catching up");
            None
        }
    };
    match catch_up::due(source, last_success, Utc::now()) {
        Some(why) => {
            let wait = catch_up::jitter(config.settings.schedule_jitter);
            tracing::info!(source = %source.id, in_ms = wait.as_millis() as u64, "catch-up run: {}", why.reason());
            Some(wait)
        }
        None => {
            tracing::info!(source = %source.id, schedule = %source.schedule.expr, "up to date; waiting for the next tick");
            None
        }
    }
}

/// One scheduled run: logged, counted in the metrics, hubs pinged; cancelled when the
/// shutdown grace period is over.
async fn scheduled_run(
    source: Arc<Source>,
    config: Arc<Config>,
    pipeline: Arc<Pipeline>,
    shared: Arc<Shared>,
) {
    let opts = RunOptions::default();
    tokio::select! {
        report = pipeline.run(&source, &opts, None) => {
            shared.metrics.observe_run(&report, Utc::now());
            if report.failed_entirely() {
                tracing::warn!(source = %source.id, "{}", report.summary());
            } else {
                tracing::info!(source = %source.id, "{}", report.summary());
            }
            if let Some(a) = &config.settings.alerts {
                let n = shared.alerts.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(n) = n.as_ref() {
                    n.send(&a.webhook, pipeline.fetcher(), report.alerts.clone());
                }
            }
            if !report.changed_feeds.is_empty() {
                websub::ping_hubs(pipeline.fetcher(), &config.settings, &source, &report.changed_feeds).await;
                render_merged(&config, &pipeline, &shared, &[source.id.as_str()]).await;
            }
            write_site(Arc::clone(&config), pipeline.store().clone()).await;
            notify(sd_notify::NotifyState::Status(&status_line(&config, &shared.store).await));
        }
        _ = shared.abort_runs.cancelled() => {
            tracing::warn!(source = %source.id, "run cancelled at shutdown");
        }
    }
}

/// The one-line summary for systemd's `STATUS=` ("12 feeds, 1 failing, next run 12:30").
async fn status_line(config: &Arc<Config>, store: &SharedStore) -> String {
    let (config, store) = (config.clone(), store.clone());
    let health = tokio::task::spawn_blocking(move || {
        let s = store.lock().unwrap_or_else(|p| p.into_inner());
        Health::collect(&config, &s, Utc::now())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r.map_err(|e| e.to_string()));
    match health {
        Ok(h) => h.summary(&chrono::Local),
        Err(e) => format!("cannot read the store: {e}"),
    }
}

/// Renders the merged feeds with a member among `ids` (each under its lock, off the async
/// threads) and pings the hubs for those whose bytes changed.
async fn render_merged(config: &Arc<Config>, pipeline: &Pipeline, shared: &Shared, ids: &[&str]) {
    for feed in merged_with_any(config, ids) {
        let (cfg, store, f) = (config.clone(), shared.store.clone(), feed.clone());
        let rendered = tokio::task::spawn_blocking(move || render_locked(&f, &cfg, &store))
            .await
            .unwrap_or_else(|e| Err(format!("{}: {e}", feed.id)));
        match rendered {
            Ok(changed) if !changed.is_empty() => {
                tracing::info!(feed = %feed.id, files = changed.len(), "merged feed rewritten");
                let hubs: Vec<&Url> = config.settings.hubs.iter().collect();
                websub::ping(pipeline.fetcher(), &hubs, &feed.id, &changed).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(feed = %feed.id, error = %e, "merged feed not rendered"),
        }
    }
}

/// Rewrites the index, OPML and stylesheet beside the feeds (the index shows the run that
/// just ended), off the async threads; a failure is logged, the feeds are already written.
async fn write_site(config: Arc<Config>, store: SharedStore) {
    let written = tokio::task::spawn_blocking(move || site::write_site(&config, &store)).await;
    match written {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cannot write the pages beside the feeds"),
        Err(e) => tracing::warn!(error = %e, "page writing task failed"),
    }
}

/// Sends WATCHDOG=1 at half the interval systemd asked for, but only while the store
/// answers: a wedged database should get the service restarted.
fn spawn_watchdog(store: SharedStore, stop: CancellationToken) -> JoinHandle<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_under_the_setting_and_a_tenth_of_the_interval() {
        let minute = Duration::from_secs(60);
        let half_hour = Duration::from_secs(1800);
        for (max, interval, cap) in [
            // the setting caps a long interval
            (Duration::from_secs(30), half_hour, Duration::from_secs(30)),
            // a tenth of a per-minute schedule caps a large setting
            (Duration::from_secs(30), minute, Duration::from_secs(6)),
            (
                Duration::from_secs(3600),
                Duration::from_secs(10),
                Duration::from_secs(1),
            ),
        ] {
            let draws: Vec<Duration> = (0..2000).map(|_| jitter(max, interval)).collect();
            assert!(
                draws.iter().all(|d| *d <= cap),
                "{max:?} {interval:?}: {draws:?}"
            );
            // and it is a spread, not a constant: some draws land in the upper half
            assert!(draws.iter().any(|d| *d > cap / 2), "{max:?} {interval:?}");
        }
        assert_eq!(jitter(Duration::ZERO, half_hour), Duration::ZERO);
        // no interval (a schedule whose next tick is its last): no jitter
        assert_eq!(
            jitter(Duration::from_secs(30), Duration::ZERO),
            Duration::ZERO
        );
    }

    #[test]
    fn a_tick_while_the_source_still_runs_is_skipped_until_the_run_ends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("pressfeed.db");
        let running = Arc::new(AtomicBool::new(false));
        let first = claim(&running, &db, "a").expect("first tick runs");
        assert!(running.load(Ordering::SeqCst));
        assert_eq!(claim(&running, &db, "a").err(), Some(Skip::Overlap));
        // Another source is not held up.
        let other = Arc::new(AtomicBool::new(false));
        assert!(claim(&other, &db, "b").is_ok());
        drop(first);
        assert!(
            !running.load(Ordering::SeqCst),
            "the run's end clears the flag"
        );
        assert!(claim(&running, &db, "a").is_ok(), "the next tick runs");
    }

    #[test]
    fn a_tick_while_another_process_holds_the_lock_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("pressfeed.db");
        let running = Arc::new(AtomicBool::new(false));
        // flock locks belong to open files, so a lock held through another open file
        // behaves as another process's would.
        let held = SourceLock::try_acquire(&db, "a").expect("other holder");
        assert_eq!(claim(&running, &db, "a").err(), Some(Skip::Busy));
        assert!(
            !running.load(Ordering::SeqCst),
            "a skipped tick leaves no flag behind"
        );
        drop(held);
        assert!(claim(&running, &db, "a").is_ok());
    }
}
