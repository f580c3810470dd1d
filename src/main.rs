//! Entry point: parse arguments, set up logging, run, map the outcome to an exit code
//! (0 ok, 1 a source failed, 2 runtime error, 78 configuration error).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = pressfeed::app::cli::Cli::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,pressfeed=info"));
    // On a terminal: colours and module names for a human. Otherwise one plain line per
    // event with key=value fields; under journald (JOURNAL_STREAM set) without our own
    // timestamp, since the journal stamps every line itself.
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .with_target(terminal);
    if std::env::var_os("JOURNAL_STREAM").is_some() && !terminal {
        builder.without_time().init();
    } else {
        builder.init();
    }
    ExitCode::from(pressfeed::app::cli::run(cli).code())
}
