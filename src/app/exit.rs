//! Exit codes: part of the interface (scripts, systemd and timers act on them).

/// How a command ended; `main` turns it into an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked.
    Ok,
    /// At least one source failed (or, with `--strict`, an article).
    SourceFailed,
    /// A runtime error outside any one source (store cannot be opened, HTTP client).
    Runtime,
    /// The command line was wrong (unknown flag, missing argument, unknown source id), or
    /// the command was run as root on state another user owns (EX_USAGE).
    Usage,
    /// The configuration is invalid (EX_CONFIG).
    Config,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::SourceFailed => 1,
            Exit::Runtime => 2,
            Exit::Usage => 64,
            Exit::Config => 78,
        }
    }
}
