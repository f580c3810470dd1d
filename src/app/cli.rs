//! The command line: argument parsing (clap) and which command runs. `main.rs` only maps
//! the [`Exit`] returned here to a process exit code; the commands themselves live in
//! `commands` (one-shot commands), `preview` and `daemon`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::exit::Exit;
use super::{commands, daemon, ops, ownership, preview};
use crate::config::Config;
use crate::pipeline::RunOptions;

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
    Status {
        /// Machine-readable output (stable fields, sorted keys; see the `health` module docs).
        #[arg(long)]
        json: bool,
    },
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
    /// Copy the database to PATH (a file, or a folder for a time-stamped name), consistently
    /// while the daemon or a refresh writes; the copy is integrity-checked before it replaces
    /// anything.
    Backup {
        /// Where the copy goes.
        path: PathBuf,
        /// Replace PATH when it exists.
        #[arg(long)]
        force: bool,
    },
    /// Remove stored articles that the sources' keep_days / keep_items let go (never an
    /// item a feed shows). Runs do this after each run too.
    Prune {
        /// Only these sources (repeatable); all when absent.
        #[arg(long = "source", short = 's', value_name = "ID")]
        sources: Vec<String>,
    },
}

/// Runs the parsed command. Every command but `preview` needs a valid configuration first.
pub fn run(cli: Cli) -> Exit {
    let configured = |command: &dyn Fn(Config) -> Exit| match commands::load(&cli.config) {
        Ok(config) => command(config),
        Err(exit) => exit,
    };
    // Commands that create files in the state (locks, feeds) first check who owns it.
    let writing = |name: &str, command: &dyn Fn(Config) -> Exit| {
        configured(&|c| match ownership::guard(&c, name) {
            Ok(()) => command(c),
            Err(exit) => exit,
        })
    };
    match &cli.command {
        Command::Check => configured(&|c| commands::check(&c)),
        Command::Refresh {
            sources,
            refetch,
            strict,
        } => writing("refresh", &|c| {
            let opts = RunOptions {
                refetch: *refetch,
                ..RunOptions::default()
            };
            commands::block_on(commands::refresh(&c, sources, &opts, *strict))
        }),
        Command::Backfill { source, pages } => writing("backfill", &|c| {
            commands::block_on(commands::backfill(&c, source, *pages as usize))
        }),
        Command::Status { json } => configured(&|c| commands::status(&c, *json)),
        Command::Run => writing("run", &|c| {
            commands::block_on(daemon::run(cli.config.clone(), c))
        }),
        Command::Render { sources } => writing("render", &|c| commands::render(&c, sources)),
        Command::Backup { path, force } => configured(&|c| ops::backup(&c, path, *force)),
        Command::Prune { sources } => writing("prune", &|c| ops::prune(&c, sources)),
        // The config file is optional here: without --source it only lends HTTP settings.
        Command::Preview { url, source, json } => {
            preview::command(&cli.config, url, source.as_deref(), *json)
        }
    }
}
