//! Logging to stderr, set up once by `main`.
//!
//! On a terminal: colours and module names for a human. Otherwise one plain line per event
//! with `key=value` fields. When stderr *is* the journal (systemd sets `JOURNAL_STREAM` to
//! the `device:inode` of the stream it connected), our own timestamp is dropped (the journal
//! stamps every line) and each line starts with its syslog priority (`<3>` error, `<4>` warn,
//! `<6>` info, `<7>` debug and trace), which journald strips and records, so that
//! `journalctl -p warning` shows the warnings. A `JOURNAL_STREAM` that does not match stderr
//! was inherited from a parent whose stderr went to the journal while ours goes elsewhere
//! (a pipe, a file): no prefixes there.

use std::fmt;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, format};
use tracing_subscriber::registry::LookupSpan;

/// Installs the global subscriber. `RUST_LOG` filters (default: warnings, and pressfeed's
/// own info).
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,pressfeed=info"));
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .with_target(terminal);
    if !terminal && stderr_is_journal(std::env::var("JOURNAL_STREAM").ok().as_deref()) {
        let journal = JournalPriority(format().without_time().with_target(false));
        builder.event_format(journal).init();
    } else {
        builder.init();
    }
}

/// Whether `journal_stream` (the value of `JOURNAL_STREAM`, `device:inode` in decimal) names
/// the file our stderr is open on.
pub fn stderr_is_journal(journal_stream: Option<&str>) -> bool {
    let Some((dev, ino)) = journal_stream.and_then(|v| v.trim().split_once(':')) else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// The syslog priority journald reads from a `<N>` line prefix (sd-daemon(3)).
pub fn syslog_priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// Wraps an event format and puts the event's syslog priority in front of each line.
#[derive(Debug)]
struct JournalPriority<F>(F);

impl<S, N, F> FormatEvent<S, N> for JournalPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", syslog_priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(syslog_priority(&Level::ERROR), 3);
        assert_eq!(syslog_priority(&Level::WARN), 4);
        assert_eq!(syslog_priority(&Level::INFO), 6);
        assert_eq!(syslog_priority(&Level::DEBUG), 7);
        assert_eq!(syslog_priority(&Level::TRACE), 7);
    }

    #[test]
    fn a_malformed_or_missing_journal_stream_is_not_the_journal() {
        for v in [
            None,
            Some(""),
            Some("12"),
            Some("a:b"),
            Some("1:"),
            Some(":1"),
        ] {
            assert!(!stderr_is_journal(v), "{v:?}");
        }
    }
}
