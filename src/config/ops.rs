//! The keys that run pressfeed as a service on someone's network: `proxy` and `ca_file` in
//! `[settings]`, `[settings.alerts]`, and a source's retention (`keep_days`, `keep_items`).

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use toml::Spanned;
use url::Url;

use super::ConfigError;
use super::raw::RawAlerts;
use super::span::{Ctx, Table};
use super::values::http_url;
use crate::core::retention::Retention;

/// `ca_file`: extra trusted roots, read and decoded at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    /// As resolved against the config file's folder.
    pub path: PathBuf,
    /// Every `CERTIFICATE` block of the file, DER-encoded, in file order.
    pub certs: Vec<Vec<u8>>,
}

/// `[settings.alerts]`: where state changes of sources are posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alerts {
    pub webhook: Url,
    /// Failed runs in a row before a source is reported failing.
    pub after_failures: u32,
}

/// Proxy schemes reqwest speaks (with its `socks` feature).
const PROXY_SCHEMES: &[&str] = &["http", "https", "socks4", "socks4a", "socks5", "socks5h"];

impl Ctx<'_> {
    /// `settings.proxy`: every request (fetches, hub pings, alerts) goes through it, except
    /// to the hosts `NO_PROXY` names.
    pub(super) fn proxy(&self, v: Option<Spanned<String>>) -> Result<Option<Url>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let bad = |m: String| self.err(v.span(), "settings.proxy", m);
        let s = v.get_ref().trim();
        let url = Url::parse(s).map_err(|e| {
            bad(format!(
                "invalid proxy URL: {e} (expected e.g. \"http://proxy.example:3128\" or \"socks5://127.0.0.1:1080\")"
            ))
        })?;
        if !PROXY_SCHEMES.contains(&url.scheme()) {
            return Err(bad(format!(
                "unsupported proxy scheme {:?}: use one of {}",
                url.scheme(),
                PROXY_SCHEMES.join(", ")
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the proxy URL has no host".into()));
        }
        Ok(Some(url))
    }

    /// `settings.ca_file`: a PEM file of one or more certificates, trusted besides the
    /// bundled and the operating system's roots.
    pub(super) fn ca_file(
        &self,
        v: Option<Spanned<String>>,
    ) -> Result<Option<CaFile>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        if v.get_ref().trim().is_empty() {
            return Err(self.err(v.span(), "settings.ca_file", "must not be empty"));
        }
        let path = self.resolve(v.get_ref().trim());
        let bad = |m: String| {
            self.err(
                v.span(),
                "settings.ca_file",
                format!("{}: {m}", path.display()),
            )
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let certs = CertificateDer::pem_slice_iter(&bytes)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("not a valid PEM file: {}", pem_problem(&e))))?;
        if certs.is_empty() {
            return Err(bad(
                "no certificate in it (expected -----BEGIN CERTIFICATE----- blocks)".into(),
            ));
        }
        Ok(Some(CaFile { path, certs }))
    }

    /// `[settings.alerts]`; `webhook` is required once the table is there.
    pub(super) fn alerts(
        &self,
        v: Option<Spanned<RawAlerts>>,
    ) -> Result<Option<Alerts>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let span = v.span();
        let raw = v.into_inner();
        let webhook = raw
            .webhook
            .ok_or_else(|| self.err(span, "settings.alerts.webhook", "missing required key"))?;
        let webhook = http_url(webhook.get_ref())
            .map_err(|m| self.err(webhook.span(), "settings.alerts.webhook", m))?;
        let after_failures = self.int_in(
            raw.after_failures,
            "settings.alerts.after_failures",
            3,
            1,
            1000,
        )?;
        Ok(Some(Alerts {
            webhook,
            after_failures: u32::try_from(after_failures).unwrap_or(3),
        }))
    }
}

/// The PEM parser's error in words (its own `Display` prints marker lines as byte lists).
fn pem_problem(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    match e {
        Error::MissingSectionEnd { end_marker } => {
            format!(
                "a block does not end (no \"-----END {}-----\" line)",
                text(end_marker)
            )
        }
        Error::IllegalSectionStart { line } => format!("malformed line {:?}", text(line)),
        Error::Base64Decode(m) => format!("a block is not valid base64 ({m})"),
        other => other.to_string(),
    }
}

impl Table<'_, '_> {
    /// `keep_days` and `keep_items`. `keep_items` below `items` is refused: the items a feed
    /// shows are never pruned, so such a limit would not mean what it says.
    pub(super) fn retention(
        &self,
        keep_days: Option<Spanned<i64>>,
        keep_items: Option<Spanned<i64>>,
        items: usize,
    ) -> Result<Retention, ConfigError> {
        let days = keep_days
            .map(|d| {
                self.ctx
                    .int_in(Some(d), &self.key("keep_days"), 0, 1, 36_500)
            })
            .transpose()?;
        let kept = match keep_items {
            None => None,
            Some(k) => {
                let span = k.span();
                let n = self
                    .ctx
                    .int_in(Some(k), &self.key("keep_items"), 0, 1, 10_000_000)?;
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                if n < items {
                    return Err(self.err(
                        span,
                        "keep_items",
                        format!(
                            "must be at least items ({items}): the items a feed shows are never pruned"
                        ),
                    ));
                }
                Some(n)
            }
        };
        Ok(Retention {
            keep_days: days.map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
            keep_items: kept,
        })
    }
}
