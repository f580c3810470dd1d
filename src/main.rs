//! Entry point: parse arguments, set up logging, run, map the outcome to an exit code
//! (0 ok, 1 a source failed, 2 runtime error, 64 usage error, 78 configuration error).

use std::process::ExitCode;

use clap::Parser;
use pressfeed::app::{cli, exit::Exit, logging};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print to stdout and succeed; every other parse error is a
        // usage error (EX_USAGE), not clap's default 2, which is our runtime error.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Usage.code()
            } else {
                0
            });
        }
    };
    logging::init();
    ExitCode::from(cli::run(cli).code())
}
