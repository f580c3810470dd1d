//! `[settings]`: paths, the listen address and public base URL, the User-Agent and the
//! numeric limits, each with its documented default and range.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::raw::RawSettings;
use super::span::Ctx;
use super::values::http_url;
use super::{ConfigError, Settings};

/// Default `User-Agent`: the program and its version, nothing more. There is no project web
/// site to point at, and a made-up one would send complaints nowhere; the shipped config
/// asks admins to add their own contact.
pub(super) fn default_user_agent() -> String {
    format!("pressfeed/{}", env!("CARGO_PKG_VERSION"))
}

impl Ctx<'_> {
    pub(super) fn settings(&self, raw: RawSettings) -> Result<Settings, ConfigError> {
        let pages = self.pages_and_server(&raw)?;
        let dirs = self.dirs;
        let database = self.path_setting(raw.database, "database", "pressfeed.db", dirs.state())?;
        let feeds_dir = self.path_setting(raw.feeds_dir, "feeds_dir", "feeds", dirs.cache())?;
        let listen = self.listen(raw.listen)?;
        let base_url = self.base_url(raw.base_url, listen)?;
        let user_agent = self.user_agent(raw.user_agent)?;
        let int = |v: Option<Spanned<i64>>, key: &str, default: i64, min: i64, max: i64| {
            self.int_in(v, &format!("settings.{key}"), default, min, max)
        };
        let secs = |v, key, default, min, max| {
            int(v, key, default, min, max).map(|n| Duration::from_secs(n.unsigned_abs()))
        };
        let connect_timeout = secs(
            raw.connect_timeout_secs,
            "connect_timeout_secs",
            10,
            1,
            i64::MAX,
        )?;
        let request_timeout = secs(
            raw.request_timeout_secs,
            "request_timeout_secs",
            30,
            1,
            i64::MAX,
        )?;
        let max_body_bytes = int(
            raw.max_body_bytes,
            "max_body_bytes",
            5 * 1024 * 1024,
            1,
            i64::MAX,
        )?;
        let per_host_concurrency = int(raw.per_host_concurrency, "per_host_concurrency", 2, 1, 32)?;
        let shutdown_grace = secs(raw.shutdown_grace_secs, "shutdown_grace_secs", 20, 1, 3600)?;
        let schedule_jitter = secs(
            raw.schedule_jitter_secs,
            "schedule_jitter_secs",
            30,
            0,
            3600,
        )?;
        let hubs = self.hubs(raw.hubs, "settings.hubs")?;
        let respect_robots = raw.respect_robots.is_none_or(|v| *v.get_ref());
        let min_delay_ms = int(raw.min_delay_ms, "min_delay_ms", 1000, 0, 600_000)?;
        let max_retry_after = secs(
            raw.max_retry_after_secs,
            "max_retry_after_secs",
            120,
            0,
            86_400,
        )?;
        let retries = int(raw.retries, "retries", 2, 0, 10)?;
        let proxy = self.proxy(raw.proxy)?;
        let ca_file = self.ca_file(raw.ca_file)?;
        let alerts = self.alerts(raw.alerts)?;
        Ok(Settings {
            database,
            feeds_dir,
            base_url,
            user_agent,
            connect_timeout,
            request_timeout,
            max_body_bytes: max_body_bytes.unsigned_abs(),
            per_host_concurrency: usize::try_from(per_host_concurrency).unwrap_or(1),
            listen,
            shutdown_grace,
            schedule_jitter,
            hubs,
            respect_robots,
            min_delay: Duration::from_millis(min_delay_ms.unsigned_abs()),
            max_retry_after,
            retries: usize::try_from(retries).unwrap_or(0),
            proxy,
            ca_file,
            alerts,
            language: pages.language,
            server: pages.server,
        })
    }

    /// A path setting: a relative one is resolved under `service_dir` when systemd gave us
    /// one (see [`ServiceDirs`](super::ServiceDirs)), else against the config file's folder.
    fn path_setting(
        &self,
        v: Option<Spanned<String>>,
        key: &str,
        default: &str,
        service_dir: Option<&Path>,
    ) -> Result<PathBuf, ConfigError> {
        let resolve = |p: &str| match service_dir {
            Some(dir) if Path::new(p).is_relative() => dir.join(p),
            _ => self.resolve(p),
        };
        match v {
            None => Ok(resolve(default)),
            Some(v) if v.get_ref().trim().is_empty() => {
                Err(self.err(v.span(), format!("settings.{key}"), "must not be empty"))
            }
            Some(v) => Ok(resolve(v.get_ref())),
        }
    }

    fn listen(&self, v: Option<Spanned<String>>) -> Result<SocketAddr, ConfigError> {
        let Some(v) = v else {
            return Ok(SocketAddr::from(([127, 0, 0, 1], 8080)));
        };
        v.get_ref().trim().parse::<SocketAddr>().map_err(|e| {
            self.err(
                v.span(),
                "settings.listen",
                format!(
                    "invalid listen address {:?}: {e} (expected e.g. \"127.0.0.1:8080\")",
                    v.get_ref()
                ),
            )
        })
    }

    /// The public base URL, always ending in `/`: self links are joined onto it, which
    /// drops a last segment without one.
    fn base_url(&self, v: Option<Spanned<String>>, listen: SocketAddr) -> Result<Url, ConfigError> {
        let mut base_url = match v {
            None => Url::parse(&format!("http://{listen}/")).map_err(|e| {
                self.err(
                    0..0,
                    "settings.base_url",
                    format!(
                        "cannot derive a base URL from listen address {listen}: {e}; set base_url"
                    ),
                )
            })?,
            Some(v) => {
                http_url(v.get_ref()).map_err(|m| self.err(v.span(), "settings.base_url", m))?
            }
        };
        if !base_url.path().ends_with('/') {
            let p = format!("{}/", base_url.path());
            base_url.set_path(&p);
        }
        Ok(base_url)
    }

    /// Sent as an HTTP header, so printable ASCII only.
    fn user_agent(&self, v: Option<Spanned<String>>) -> Result<String, ConfigError> {
        let Some(v) = v else {
            return Ok(default_user_agent());
        };
        let ua = v.get_ref().trim();
        if ua.is_empty() || !ua.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
            return Err(self.err(
                v.span(),
                "settings.user_agent",
                "must be non-empty printable ASCII (it is sent as an HTTP header)",
            ));
        }
        Ok(ua.to_string())
    }
}
