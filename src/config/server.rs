//! `[settings]` keys of the pages for people and of the daemon's HTTP server: the default
//! page language and the limits that keep a public `listen` safe from slow or greedy
//! clients.

use std::time::Duration;

use toml::Spanned;

use super::ConfigError;
use super::raw::RawSettings;
use super::span::Ctx;
use crate::core::lang::PageLang;

/// How much the daemon's HTTP server gives one client. Read at start; a reload keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A client must send a whole request head (request line and headers) within this
    /// time, counted from the first poll for it, which includes the wait for the next
    /// request on a kept-alive connection.
    pub header_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed: a client
    /// that stops reading a response, or an idle HTTP/2 connection.
    pub idle_timeout: Duration,
    /// Connections served at once; the next ones wait in the listen backlog until one ends.
    pub max_connections: usize,
    /// Largest request head (request line and headers) in bytes; more is refused with 431.
    pub max_header_bytes: usize,
    /// Largest request body in bytes; the server only answers GET and HEAD, so a larger
    /// body is refused with 413 before it is read.
    pub max_body_bytes: u64,
}

impl Default for ServerLimits {
    /// Generous for readers and feed fetchers, short for a client that holds a connection
    /// without using it.
    fn default() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_header_bytes: 16 * 1024,
            max_body_bytes: 1024,
        }
    }
}

/// What the new keys come to.
pub(super) struct Pages {
    pub(super) language: PageLang,
    pub(super) server: ServerLimits,
}

impl Ctx<'_> {
    pub(super) fn pages_and_server(&self, raw: &RawSettings) -> Result<Pages, ConfigError> {
        let d = ServerLimits::default();
        let int = |v: &Option<Spanned<i64>>, key: &str, default: u64, min: i64, max: i64| {
            let default = i64::try_from(default).unwrap_or(max);
            self.int_in(v.clone(), &format!("settings.{key}"), default, min, max)
                .map(i64::unsigned_abs)
        };
        let secs = |v, key, default: Duration, max| {
            int(v, key, default.as_secs(), 1, max).map(Duration::from_secs)
        };
        let size = |v, key, default: usize, min, max| {
            int(v, key, default as u64, min, max).map(|n| usize::try_from(n).unwrap_or(default))
        };
        let server = ServerLimits {
            header_timeout: secs(
                &raw.http_header_timeout_secs,
                "http_header_timeout_secs",
                d.header_timeout,
                300,
            )?,
            idle_timeout: secs(
                &raw.http_idle_timeout_secs,
                "http_idle_timeout_secs",
                d.idle_timeout,
                3600,
            )?,
            max_connections: size(
                &raw.http_max_connections,
                "http_max_connections",
                d.max_connections,
                1,
                65_536,
            )?,
            // hyper's read buffer cannot be smaller than 8 KiB
            max_header_bytes: size(
                &raw.http_max_header_bytes,
                "http_max_header_bytes",
                d.max_header_bytes,
                8192,
                1 << 20,
            )?,
            max_body_bytes: d.max_body_bytes,
        };
        Ok(Pages {
            language: self.page_language(raw.language.as_ref())?,
            server,
        })
    }

    fn page_language(&self, v: Option<&Spanned<String>>) -> Result<PageLang, ConfigError> {
        let Some(v) = v else { return Ok(PageLang::En) };
        let s = v.get_ref().trim();
        // exactly a language we have words for; "ru-RU" would suggest a regional variant
        PageLang::from_tag(s)
            .filter(|l| l.tag() == s)
            .ok_or_else(|| {
                self.err(
                    v.span(),
                    "settings.language",
                    format!("unknown page language {s:?} (expected \"ru\", \"kk\" or \"en\")"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::ServerLimits;
    use crate::config::Config;
    use crate::core::lang::PageLang;

    const SOURCE: &str =
        "[[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://a.example/\"]\n";

    fn parse(settings: &str) -> Result<Config, String> {
        Config::parse(
            &format!("[settings]\n{settings}\n{SOURCE}"),
            Path::new("c.toml"),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults() {
        let c = parse("").expect("valid");
        assert_eq!(c.settings.language, PageLang::En);
        assert_eq!(c.settings.server, ServerLimits::default());
    }

    #[test]
    fn values_are_read() {
        let c = parse(
            "language = \"kk\"\nhttp_header_timeout_secs = 3\nhttp_idle_timeout_secs = 30\n\
             http_max_connections = 4\nhttp_max_header_bytes = 9000",
        )
        .expect("valid");
        assert_eq!(c.settings.language, PageLang::Kk);
        let s = c.settings.server;
        assert_eq!(s.header_timeout, Duration::from_secs(3));
        assert_eq!(s.idle_timeout, Duration::from_secs(30));
        assert_eq!(s.max_connections, 4);
        assert_eq!(s.max_header_bytes, 9000);
    }

    #[test]
    fn bad_values_name_line_and_key() {
        for (text, want) in [
            (
                "language = \"de\"",
                "c.toml:2:12: settings.language: unknown page language \"de\" (expected \"ru\", \"kk\" or \"en\")",
            ),
            (
                "language = \"ru-RU\"",
                "c.toml:2:12: settings.language: unknown page language \"ru-RU\"",
            ),
            (
                "http_header_timeout_secs = 0",
                "c.toml:2:28: settings.http_header_timeout_secs: must be between 1 and 300, found 0",
            ),
            (
                "http_max_connections = 0",
                "c.toml:2:24: settings.http_max_connections: must be between 1 and 65536, found 0",
            ),
            (
                "http_max_header_bytes = 100",
                "c.toml:2:25: settings.http_max_header_bytes: must be between 8192 and 1048576, found 100",
            ),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.starts_with(want), "{text}: {err}");
        }
    }
}
