//! The one-shot commands: `check`, `refresh`, `backfill`, `render`, `status`. Each takes the
//! validated configuration and returns an [`Exit`]; what an admin must see goes to stdout
//! (summaries, tables) or stderr (errors).

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use super::alerts::Notifier;
use super::exit::Exit;
use super::health::Health;
use super::lock::{LockError, SourceLock};
use super::merged::{merged_with_any, render_and_print, render_merged_of};
use crate::config::{Config, Source};
use crate::http::Fetcher;
use crate::pipeline::{
    Pipeline, Progress, RunOptions, RunReport, SharedStore, render_source, site, websub,
};
use crate::store::Store;
use url::Url;

/// `check`: the configuration loaded and validated (the caller did that).
pub(super) fn check(config: &Config) -> Exit {
    let n = config.sources.len();
    let merged = match config.feeds.len() {
        0 => String::new(),
        1 => ", 1 merged feed".to_string(),
        m => format!(", {m} merged feeds"),
    };
    println!(
        "{}: OK ({n} source{}{merged})",
        config.path.display(),
        if n == 1 { "" } else { "s" }
    );
    Exit::Ok
}

/// Loads the config, reporting errors on stderr.
pub(super) fn load(path: &std::path::Path) -> Result<Config, Exit> {
    let config = Config::load(path).map_err(|e| {
        eprintln!("pressfeed: {e}");
        Exit::Config
    })?;
    warn_robots_overrides(&config);
    Ok(config)
}

/// Each source that turns robots.txt off for itself gets a warning whenever a
/// configuration is put in force (command start, daemon reload): ignoring a site's rules
/// must never go unnoticed in the logs.
pub(super) fn warn_robots_overrides(config: &Config) {
    for s in config
        .sources
        .iter()
        .filter(|s| s.respect_robots == Some(false))
    {
        tracing::warn!(
            source = %s.id,
            "source {} ignores robots.txt (respect_robots = false in its [[source]])",
            s.id
        );
    }
}

/// A multi-threaded async runtime, or `None` after reporting why it could not start.
pub(super) fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new()
        .map_err(|e| eprintln!("pressfeed: cannot start the async runtime: {e}"))
        .ok()
}

/// Runs an async command to completion.
pub(super) fn block_on(command: impl Future<Output = Exit>) -> Exit {
    match runtime() {
        Some(rt) => rt.block_on(command),
        None => Exit::Runtime,
    }
}

fn open_store(config: &Config) -> Result<SharedStore, Exit> {
    Store::open(&config.settings.database)
        .map(|s| Arc::new(Mutex::new(s)))
        .map_err(|e| {
            eprintln!("pressfeed: {e}");
            Exit::Runtime
        })
}

/// What every scraping command needs: the store and the shared HTTP client, as a pipeline.
fn open_pipeline(config: &Config) -> Result<Pipeline, Exit> {
    let store = open_store(config)?;
    let fetcher = Fetcher::new(&config.settings).map_err(|e| {
        eprintln!("pressfeed: {e}");
        Exit::Runtime
    })?;
    Ok(Pipeline::new(config.settings.clone(), fetcher, store))
}

/// The sources named on the command line (all when none is), or the error exit.
fn selected<'c>(config: &'c Config, ids: &[String]) -> Result<Vec<&'c Source>, Exit> {
    config.select(ids).map_err(|e| {
        eprintln!("pressfeed: {e}");
        Exit::Usage
    })
}

/// `render`: rewrite the feed files and the pages beside them from the store, pinging the
/// WebSub hubs of the feeds whose bytes changed (the only network use).
pub(super) fn render(config: &Config, ids: &[String]) -> Exit {
    let (selected, store) = match selected(config, ids).and_then(|s| Ok((s, open_store(config)?))) {
        Ok(pair) => pair,
        Err(e) => return e,
    };
    let mut exit = Exit::Ok;
    let ids: Vec<&str> = selected.iter().map(|s| s.id.as_str()).collect();
    let merged = merged_with_any(config, &ids);
    let mut changed = Vec::new();
    for source in selected {
        // Same lock as refresh and the daemon: a render must not interleave with a run.
        let _lock = match SourceLock::acquire(&config.settings.database, &source.id) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                exit = Exit::SourceFailed;
                continue;
            }
        };
        match render_source(source, &config.settings, &store, chrono::Utc::now()) {
            Ok(feeds) => {
                println!("{}: {} feed file(s) rewritten", source.id, feeds.len());
                if !feeds.is_empty() && websub::has_hubs(&config.settings, source) {
                    changed.push((source, feeds));
                }
            }
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                exit = Exit::SourceFailed;
            }
        }
    }
    let (merged_ok, merged_changed) = render_and_print(&merged, config, &store);
    if !merged_ok {
        exit = Exit::SourceFailed;
    }
    if !changed.is_empty() || (!merged_changed.is_empty() && !config.settings.hubs.is_empty()) {
        let pinged = block_on(async {
            let fetcher = match Fetcher::new(&config.settings) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("pressfeed: cannot ping WebSub hubs: {e}");
                    return Exit::Runtime;
                }
            };
            for (source, feeds) in &changed {
                websub::ping_hubs(&fetcher, &config.settings, source, feeds).await;
            }
            let hubs: Vec<&Url> = config.settings.hubs.iter().collect();
            for (id, feeds) in &merged_changed {
                websub::ping(&fetcher, &hubs, id, feeds).await;
            }
            Exit::Ok
        });
        exit = worse(exit, pinged);
    }
    worse(exit, write_site(config, &store))
}

/// Writes the index, OPML and stylesheet into `feeds_dir` after a command changed the store
/// or the feeds; a plain web server then serves what the daemon would.
fn write_site(config: &Config, store: &SharedStore) -> Exit {
    match site::write_site(config, store) {
        Ok(written) => {
            if !written.is_empty() {
                println!("{} page(s) beside the feeds rewritten", written.len());
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("pressfeed: {e}");
            Exit::Runtime
        }
    }
}

/// The first failure decides the exit code; a later one has already been reported on
/// stderr.
fn worse(a: Exit, b: Exit) -> Exit {
    if matches!(a, Exit::Ok) { b } else { a }
}

/// `refresh`: run each selected source once, one after another, each under its lock.
pub(super) async fn refresh(
    config: &Config,
    ids: &[String],
    opts: &RunOptions,
    strict: bool,
) -> Exit {
    let (selected, pipeline) =
        match selected(config, ids).and_then(|s| Ok((s, open_pipeline(config)?))) {
            Ok(pair) => pair,
            Err(e) => return e,
        };
    let interactive = std::io::stdout().is_terminal();
    let multi = indicatif::MultiProgress::new();
    let mut reports = Vec::new();
    let notifier = config.settings.alerts.as_ref().map(|_| Notifier::start());
    for source in selected {
        let bar = interactive.then(|| multi.add(article_spinner(&source.id)));
        let progress: Option<Progress> = bar.clone().map(|b| {
            Arc::new(move |url: &str| {
                b.inc(1);
                b.set_message(url.to_string());
            }) as Progress
        });
        let report = match take_lock(config, &source.id).await {
            Ok(lock) => {
                let report = pipeline.run(source, opts, progress).await;
                drop(lock);
                if !report.changed_feeds.is_empty() {
                    websub::ping_hubs(
                        pipeline.fetcher(),
                        &config.settings,
                        source,
                        &report.changed_feeds,
                    )
                    .await;
                }
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                println!("{}", report.summary());
                report
            }
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                RunReport {
                    source: source.id.clone(),
                    fatal: Some(e.to_string()),
                    ..RunReport::default()
                }
            }
        };
        if let (Some(n), Some(a)) = (&notifier, &config.settings.alerts) {
            n.send(&a.webhook, pipeline.fetcher(), report.alerts.clone());
        }
        reports.push(report);
    }
    let ids: Vec<String> = reports.iter().map(|r| r.source.clone()).collect();
    let (merged_ok, merged_changed) = render_merged_of(config, ids, pipeline.store()).await;
    let hubs: Vec<&Url> = config.settings.hubs.iter().collect();
    for (id, feeds) in &merged_changed {
        websub::ping(pipeline.fetcher(), &hubs, id, feeds).await;
    }
    if let Some(n) = notifier {
        n.drain(config.settings.shutdown_grace).await;
    }
    let article_failures = strict && reports.iter().any(|r| !r.failed.is_empty());
    let exit = if reports.iter().any(RunReport::failed_entirely) || article_failures || !merged_ok {
        Exit::SourceFailed
    } else {
        Exit::Ok
    };
    worse(exit, write_site(config, pipeline.store()))
}

/// A spinner counting a source's articles, for an interactive `refresh`.
fn article_spinner(id: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new_spinner();
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {prefix}: {pos} articles {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    b.set_prefix(id.to_string());
    b.enable_steady_tick(std::time::Duration::from_millis(120));
    b
}

/// `backfill`: walk `pages` listing pages of one source into the store.
pub(super) async fn backfill(config: &Config, id: &str, pages: usize) -> Exit {
    let (source, pipeline) = match selected(config, &[id.to_string()])
        .and_then(|s| Ok((s[0], open_pipeline(config)?)))
    {
        Ok(pair) => pair,
        Err(e) => return e,
    };
    let _lock = match take_lock(config, &source.id).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("pressfeed: {}: {e}", source.id);
            return Exit::SourceFailed;
        }
    };
    let bar = std::io::stdout().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(pages as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix}: page {pos}/{len} {bar:30} {elapsed_precise} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_prefix(source.id.clone());
        b
    });
    let on_page = bar.clone().map(|b| {
        Arc::new(move |page: usize, _limit: usize| b.set_position(page as u64))
            as Arc<dyn Fn(usize, usize) + Send + Sync>
    });
    let progress: Option<Progress> = bar
        .clone()
        .map(|b| Arc::new(move |url: &str| b.set_message(url.to_string())) as Progress);
    let opts = RunOptions {
        backfill_pages: Some(pages),
        on_page,
        ..RunOptions::default()
    };
    let report = pipeline.run(source, &opts, progress).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!("{}", report.summary());
    if let Some(a) = &config.settings.alerts {
        let n = Notifier::start();
        n.send(&a.webhook, pipeline.fetcher(), report.alerts.clone());
        n.drain(config.settings.shutdown_grace).await;
    }
    if report.failed_entirely() {
        Exit::SourceFailed
    } else {
        Exit::Ok
    }
}

/// `status`: every source's health, from the store, as a table or (`--json`) as the
/// document described in [`health`](super::health).
pub(super) fn status(config: &Config, json: bool) -> Exit {
    let store = match open_store(config) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let health = {
        let s = store.lock().unwrap_or_else(|p| p.into_inner());
        match Health::collect(config, &s, chrono::Utc::now()) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("pressfeed: {e}");
                return Exit::Runtime;
            }
        }
    };
    if json {
        match serde_json::to_string_pretty(&health.to_json(config)) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("pressfeed: {e}");
                return Exit::Runtime;
            }
        }
    } else {
        print_status_table(config, &health);
    }
    if health.any_failing() {
        Exit::SourceFailed
    } else {
        Exit::Ok
    }
}

fn print_status_table(config: &Config, health: &Health) {
    let fmt_time = |t: Option<chrono::DateTime<chrono::Utc>>, tz: chrono_tz::Tz| {
        t.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %z").to_string())
            .unwrap_or_else(|| "never".into())
    };
    let mut rows = vec![[
        "SOURCE".to_string(),
        "LAST SUCCESS".into(),
        "LAST ATTEMPT".into(),
        "FAILURES".into(),
        "STORED".into(),
        "FOUND".into(),
        "DRIFT".into(),
        "LAST ERROR".into(),
    ]];
    for (source, h) in config.sources.iter().zip(&health.sources) {
        let st = &h.state;
        rows.push([
            source.id.clone(),
            fmt_time(st.last_success, source.timezone),
            fmt_time(st.last_attempt, source.timezone),
            st.consecutive_failures.to_string(),
            h.items_stored.to_string(),
            st.items_found.to_string(),
            if st.drift.is_empty() {
                "-".into()
            } else {
                st.drift.join(",")
            },
            st.last_error.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == 7 {
                    cell.clone()
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

/// Takes the source's run lock, waiting (with a message) while the daemon or another
/// refresh holds it.
pub(super) async fn take_lock(config: &Config, id: &str) -> Result<SourceLock, LockError> {
    match SourceLock::try_acquire(&config.settings.database, id) {
        Err(LockError::Busy { path }) => {
            eprintln!(
                "pressfeed: {id}: another pressfeed is running this source ({}); waiting…",
                path.display()
            );
            let db = config.settings.database.clone();
            let id = id.to_string();
            tokio::task::spawn_blocking(move || SourceLock::acquire(&db, &id))
                .await
                .unwrap_or_else(|e| {
                    Err(LockError::Io {
                        path,
                        source: std::io::Error::other(e),
                    })
                })
        }
        other => other,
    }
}
