//! The command line: argument parsing (clap) and what each command does. `main.rs` only maps
//! the [`Exit`] returned here to a process exit code.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};

use super::exit::Exit;
use crate::app::lock::{LockError, SourceLock};
use crate::config::{Config, ConfigError};
use crate::http::Fetcher;
use crate::pipeline::{Progress, RunOptions, RunReport, render_source, run_source};
use crate::store::Store;

/// Turns press-service websites that publish no feed into RSS 2.0, Atom 1.0 and JSON Feed.
#[derive(Debug, Parser)]
#[command(name = "pressfeed", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "PRESSFEED_CONFIG",
        default_value = "config.toml"
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the configuration and exit (0 when valid).
    Check,
    /// Scrape each source once, store new and changed articles, rewrite the feeds.
    Refresh {
        /// Only these sources (repeatable); all when absent.
        #[arg(long = "source", short = 's', value_name = "ID")]
        sources: Vec<String>,
        /// Fetch every listed article again, ignoring what the store knows.
        #[arg(long)]
        refetch: bool,
        /// Also exit non-zero when single articles failed.
        #[arg(long)]
        strict: bool,
    },
    /// Walk a source's archive (listing pages 1..N) into the store; feeds still show the
    /// newest `items`.
    Backfill {
        /// The source to backfill.
        #[arg(long = "source", short = 's', value_name = "ID")]
        source: String,
        /// How many listing pages to walk.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        pages: u32,
    },
    /// Print a table of every source's health: last success, failures, last error, items,
    /// selector drift.
    Status,
    /// Run as a service: scrape each source on its schedule and serve the feeds over HTTP.
    /// SIGHUP reloads the configuration; SIGTERM/SIGINT stop gracefully.
    Run,
    /// Show what would be extracted from one page (a listing or an article) and which
    /// selector or structured-data step produced each field. Writes nothing.
    Preview {
        /// The page to look at: a listing page or an article.
        url: String,
        /// Use this source's selectors and time zone (else zero-config, UTC).
        #[arg(long = "source", short = 's', value_name = "ID")]
        source: Option<String>,
        /// Machine-readable output (sorted keys, stable; see the `preview` module docs).
        #[arg(long)]
        json: bool,
    },
    /// Rewrite the feed files from the store without touching the network.
    Render {
        /// Only these sources (repeatable); all when absent.
        #[arg(long = "source", short = 's', value_name = "ID")]
        sources: Vec<String>,
    },
}

/// A zero-config source for `url` (UTC, no selectors): what `preview` uses without
/// `--source`. Built through the config parser so every default is the documented one.
fn zero_config_source(url: &url::Url) -> Result<Config, ConfigError> {
    // `Url` serializes with quotes and backslashes percent-encoded, so it is a safe TOML
    // basic string.
    let text = format!(
        "[[source]]\nid = \"preview\"\ntitle = \"preview\"\ntimezone = \"UTC\"\n\
         listing_urls = [\"{url}\"]\n"
    );
    Config::parse(&text, std::path::Path::new("<preview>"))
}

/// `pressfeed preview`: fetch, extract, print; never touches the store or the feeds.
fn preview(cli: &Cli, url: &str, source: Option<&str>, json: bool) -> Exit {
    let url = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            eprintln!("pressfeed: preview needs an absolute http(s) URL, got {url:?}");
            return Exit::Runtime;
        }
    };
    let synthetic = match zero_config_source(&url) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    // The config file is optional without --source: it only contributes HTTP settings.
    let config = match (source, cli.config.exists()) {
        (Some(_), _) | (None, true) => match load(cli) {
            Ok(c) => Some(c),
            Err(e) => return e,
        },
        (None, false) => None,
    };
    let settings = config.as_ref().unwrap_or(&synthetic).settings.clone();
    let src = match source {
        Some(id) => match config
            .as_ref()
            .and_then(|c| c.sources.iter().find(|s| s.id == id))
        {
            Some(s) => s.clone(),
            None => {
                eprintln!("pressfeed: no source {id:?} in {}", cli.config.display());
                return Exit::Config;
            }
        },
        None => match synthetic.sources.first() {
            Some(s) => s.clone(),
            None => return Exit::Runtime,
        },
    };
    let fetcher = match Fetcher::new(&settings) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let Some(runtime) = runtime() else {
        return Exit::Runtime;
    };
    let now = chrono::Utc::now();
    match runtime.block_on(crate::app::preview::preview(&fetcher, &url, &src, now)) {
        Ok(report) => {
            if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("pressfeed: {e}");
                        return Exit::Runtime;
                    }
                }
            } else {
                print!("{}", crate::app::preview::render_text(&report));
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("pressfeed: {e}");
            Exit::SourceFailed
        }
    }
}

/// Loads the config, reporting errors on stderr.
fn load(cli: &Cli) -> Result<Config, Exit> {
    Config::load(&cli.config).map_err(|e: ConfigError| {
        eprintln!("pressfeed: {e}");
        Exit::Config
    })
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Exit {
    match &cli.command {
        Command::Check => match load(&cli) {
            Ok(config) => {
                println!(
                    "{}: OK ({} source{})",
                    config.path.display(),
                    config.sources.len(),
                    if config.sources.len() == 1 { "" } else { "s" }
                );
                Exit::Ok
            }
            Err(e) => e,
        },
        Command::Refresh {
            sources,
            refetch,
            strict,
        } => {
            let config = match load(&cli) {
                Ok(c) => c,
                Err(e) => return e,
            };
            let opts = RunOptions {
                refetch: *refetch,
                ..RunOptions::default()
            };
            block_on(refresh(&config, sources, &opts, *strict))
        }
        Command::Backfill { source, pages } => {
            let config = match load(&cli) {
                Ok(c) => c,
                Err(e) => return e,
            };
            block_on(backfill(&config, source, *pages as usize))
        }
        Command::Status => {
            let config = match load(&cli) {
                Ok(c) => c,
                Err(e) => return e,
            };
            status(&config)
        }
        Command::Run => {
            let config = match load(&cli) {
                Ok(c) => c,
                Err(e) => return e,
            };
            block_on(crate::app::daemon::run(cli.config.clone(), config))
        }
        Command::Preview { url, source, json } => preview(&cli, url, source.as_deref(), *json),
        Command::Render { sources } => {
            let config = match load(&cli) {
                Ok(c) => c,
                Err(e) => return e,
            };
            render(&config, sources)
        }
    }
}

/// A multi-threaded async runtime, or `None` after reporting why it could not start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new()
        .map_err(|e| eprintln!("pressfeed: cannot start the async runtime: {e}"))
        .ok()
}

/// Runs an async command to completion.
fn block_on(command: impl std::future::Future<Output = Exit>) -> Exit {
    match runtime() {
        Some(rt) => rt.block_on(command),
        None => Exit::Runtime,
    }
}

/// What every scraping command needs: the store and the shared HTTP client.
fn open_store_and_fetcher(config: &Config) -> Result<(Arc<Mutex<Store>>, Fetcher), Exit> {
    let store = open_store(config)?;
    let fetcher = Fetcher::new(&config.settings).map_err(|e| {
        eprintln!("pressfeed: {e}");
        Exit::Runtime
    })?;
    Ok((store, fetcher))
}

fn open_store(config: &Config) -> Result<Arc<Mutex<Store>>, Exit> {
    Store::open(&config.settings.database)
        .map(|s| Arc::new(Mutex::new(s)))
        .map_err(|e| {
            eprintln!("pressfeed: {e}");
            Exit::Runtime
        })
}

fn render(config: &Config, ids: &[String]) -> Exit {
    let selected = match config.select(ids) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let store = match open_store(config) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut exit = Exit::Ok;
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
            Ok(changed) => println!("{}: {} feed file(s) rewritten", source.id, changed.len()),
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                exit = Exit::SourceFailed;
            }
        }
    }
    exit
}

async fn refresh(config: &Config, ids: &[String], opts: &RunOptions, strict: bool) -> Exit {
    let selected = match config.select(ids) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let (store, fetcher) = match open_store_and_fetcher(config) {
        Ok(pair) => pair,
        Err(e) => return e,
    };
    let interactive = std::io::stdout().is_terminal();
    let multi = indicatif::MultiProgress::new();
    let mut reports = Vec::new();
    for source in selected {
        let bar = interactive.then(|| {
            let b = multi.add(indicatif::ProgressBar::new_spinner());
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {prefix}: {pos} articles {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.set_prefix(source.id.clone());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        let progress: Option<Progress> = bar.clone().map(|b| {
            Arc::new(move |url: &str| {
                b.inc(1);
                b.set_message(url.to_string());
            }) as Progress
        });
        let lock = match take_lock(config, &source.id).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                reports.push(RunReport {
                    source: source.id.clone(),
                    fatal: Some(e.to_string()),
                    ..RunReport::default()
                });
                continue;
            }
        };
        let report = run_source(source, &config.settings, &fetcher, &store, opts, progress).await;
        drop(lock);
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        println!("{}", report.summary());
        reports.push(report);
    }
    let article_failures = strict && reports.iter().any(|r| !r.failed.is_empty());
    if reports.iter().any(RunReport::failed_entirely) || article_failures {
        Exit::SourceFailed
    } else {
        Exit::Ok
    }
}

async fn backfill(config: &Config, id: &str, pages: usize) -> Exit {
    let source = match config.select(&[id.to_string()]) {
        Ok(s) => s[0],
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let (store, fetcher) = match open_store_and_fetcher(config) {
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
    let report = run_source(source, &config.settings, &fetcher, &store, &opts, progress).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!("{}", report.summary());
    if report.failed_entirely() {
        Exit::SourceFailed
    } else {
        Exit::Ok
    }
}

fn status(config: &Config) -> Exit {
    let store = match open_store(config) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let s = store.lock().unwrap_or_else(|p| p.into_inner());
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
    let mut failing = false;
    for source in &config.sources {
        let st = match s.source_state(&source.id) {
            Ok(st) => st,
            Err(e) => {
                eprintln!("pressfeed: {e}");
                return Exit::Runtime;
            }
        };
        let stored = s.count(&source.id).unwrap_or(0);
        failing |= st.consecutive_failures > 0;
        rows.push([
            source.id.clone(),
            fmt_time(st.last_success, source.timezone),
            fmt_time(st.last_attempt, source.timezone),
            st.consecutive_failures.to_string(),
            stored.to_string(),
            st.items_found.to_string(),
            if st.drift.is_empty() {
                "-".into()
            } else {
                st.drift.join(",")
            },
            st.last_error.unwrap_or_else(|| "-".into()),
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
    if failing {
        Exit::SourceFailed
    } else {
        Exit::Ok
    }
}

/// Takes the source's run lock, waiting (with a message) while the daemon or another
/// refresh holds it.
async fn take_lock(config: &Config, id: &str) -> Result<SourceLock, LockError> {
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
