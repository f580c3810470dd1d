//! One shared HTTP client for all sources: robots.txt, politeness, retries, redirect rules,
//! timeouts, a body-size cap enforced while streaming, conditional GET, decoding to text.
//!
//! Press-service sites are small government servers, so every request first passes robots.txt
//! (cached per origin), then a per-host concurrency limit, then a per-host minimum gap between
//! request starts (the larger of `min_delay` and the site's Crawl-delay, jittered so that many
//! sources do not fall into lockstep). Transient failures (connect errors, timeouts, 429 and
//! 502/503/504, a body cut short) are retried with exponential backoff, honouring Retry-After
//! up to a cap; everything else fails at once, because retrying a 404 or a PDF only adds load.
//! Redirects are followed only to the requested host, its www twin and hosts the caller
//! allows, and never from a public site into loopback or private address space (SSRF). The
//! body cap protects against endless or decompression-bomb responses (it counts decompressed
//! bytes).
//!
//! Files: `client` (reqwest clients, sending a request), `politeness` (per-host limits and
//! gaps), `retry` (backoff, Retry-After), `redirect` (where a redirect may lead), `body`
//! (size cap, plausible text), `error` ([`FetchError`] and its classification), `robots`
//! (robots.txt rules and cache).
//!
//! Layer: imports `config` and `core`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::sync::OwnedSemaphorePermit;
use url::Url;

use crate::config::{Settings, Source};
use crate::core::decode::decode_html;
use crate::core::model::Validators;

mod api;
mod body;
mod client;
mod error;
mod politeness;
mod redirect;
mod retry;
pub mod robots;
#[cfg(test)]
mod tests;

pub use api::{Answer, ApiRequest};
use body::{header_string, implausible_text, is_html};
pub use error::FetchError;
use error::map_error;
use politeness::HostState;
use retry::Failure;
use robots::RobotsCache;

/// Sent with every HTML request; `get_bytes` overrides it per call.
const HTML_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5";

/// First retry delay; doubled per attempt (plus jitter) up to [`DEFAULT_RETRY_MAX`].
const DEFAULT_RETRY_MIN: Duration = Duration::from_millis(500);
const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(30);

/// A fetched and decoded HTML page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL asked for.
    pub url: Url,
    /// The URL after redirects.
    pub final_url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    pub text: String,
    pub validators: Validators,
    /// `Link` response header values (WordPress announces its REST API root there).
    pub link_headers: Vec<String>,
}

/// A fetched non-HTML resource (JSON APIs) with the response headers callers page by
/// (`X-WP-TotalPages`).
#[derive(Debug, Clone)]
pub struct Resource {
    pub final_url: Url,
    pub content_type: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resource {
    /// A response header as trimmed text, if present and non-empty.
    pub fn header(&self, name: &str) -> Option<String> {
        let name = header::HeaderName::from_bytes(name.as_bytes()).ok()?;
        header_string(&self.headers, name)
    }
}

/// The result of a GET.
// One short-lived value per fetch; boxing the page would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Outcome {
    Fetched(Page),
    /// 304: the validators still hold.
    NotModified,
}

/// The rules of one request that depend on its source: where redirects may lead (besides
/// the requested host and its www twin) and whether robots.txt applies.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestPolicy<'a> {
    /// Host names (`example.kz`, `*.example.kz`, an IP address), lowercase.
    pub allowed_hosts: &'a [String],
    /// The source's own `respect_robots`; `None` follows `[settings]`.
    pub respect_robots: Option<bool>,
}

impl<'a> RequestPolicy<'a> {
    /// What a source's configuration allows its requests: the one place that maps a
    /// `[[source]]` to request rules.
    pub fn for_source(source: &'a Source) -> RequestPolicy<'a> {
        RequestPolicy {
            allowed_hosts: &source.allowed_hosts,
            respect_robots: source.respect_robots,
        }
    }
}

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("user_agent", &self.inner.user_agent)
            .finish_non_exhaustive()
    }
}

struct Inner {
    user_agent: String,
    connect_timeout: Duration,
    request_timeout: Duration,
    /// One client per set of extra allowed redirect hosts (the redirect policy lives in the
    /// client); the empty set is built up front so a bad TLS setup fails in `new`.
    clients: Mutex<HashMap<Vec<String>, reqwest::Client>>,
    max_body_bytes: u64,
    per_host_concurrency: usize,
    min_delay: Duration,
    max_retry_after: Duration,
    retries: usize,
    retry_min: Duration,
    retry_max: Duration,
    respect_robots: bool,
    product_token: String,
    robots: RobotsCache,
    /// Per `host:port`, created on first use.
    hosts: Mutex<HashMap<String, Arc<HostState>>>,
    /// `settings.proxy`, bypassed for the hosts in `NO_PROXY`.
    proxy: Option<Url>,
    /// `settings.ca_file`: its path (for messages) and certificates (DER).
    ca_file: Option<(std::path::PathBuf, Vec<Vec<u8>>)>,
}

/// A response whose status and headers are in, before its body is read.
struct Started {
    response: reqwest::Response,
    /// Held until the body is read so the per-host limit covers the whole transfer.
    _permit: OwnedSemaphorePermit,
}

/// What a request wants back from `start`.
#[derive(Clone, Copy)]
struct Ask<'a> {
    accept: Option<&'a str>,
    /// Extra request headers (JSON sources choose their language with Accept-Language).
    extra: &'a [(String, String)],
    validators: Option<&'a Validators>,
    allowed_hosts: &'a [String],
    /// `Some(body)`: a POST with this body instead of a GET.
    post_body: Option<&'a str>,
}

impl Fetcher {
    pub fn new(settings: &Settings) -> Result<Fetcher, FetchError> {
        Fetcher::with_retry_delays(settings, DEFAULT_RETRY_MIN, DEFAULT_RETRY_MAX)
    }

    /// Like [`Fetcher::new`] with other backoff bounds (tests use short ones).
    pub fn with_retry_delays(
        settings: &Settings,
        retry_min: Duration,
        retry_max: Duration,
    ) -> Result<Fetcher, FetchError> {
        let inner = Inner {
            user_agent: settings.user_agent.clone(),
            connect_timeout: settings.connect_timeout,
            request_timeout: settings.request_timeout,
            clients: Mutex::new(HashMap::new()),
            max_body_bytes: settings.max_body_bytes,
            // Zero permits would hang every fetch forever; treat it as "one at a time".
            per_host_concurrency: settings.per_host_concurrency.max(1),
            min_delay: settings.min_delay,
            max_retry_after: settings.max_retry_after,
            retries: settings.retries,
            retry_min,
            retry_max: retry_max.max(retry_min),
            respect_robots: settings.respect_robots,
            product_token: robots::product_token(&settings.user_agent),
            robots: RobotsCache::default(),
            hosts: Mutex::new(HashMap::new()),
            proxy: settings.proxy.clone(),
            ca_file: settings
                .ca_file
                .as_ref()
                .map(|c| (c.path.clone(), c.certs.clone())),
        };
        let default_client = inner.build_client(Vec::new())?;
        lock(&inner.clients).insert(Vec::new(), default_client);
        Ok(Fetcher {
            inner: Arc::new(inner),
        })
    }

    /// GETs an HTML page. With `validators`, sends If-None-Match / If-Modified-Since.
    /// Redirects may go to the same host or its www twin only.
    pub async fn get_html(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Outcome, FetchError> {
        self.get_html_for(url, validators, RequestPolicy::default())
            .await
    }

    /// [`Fetcher::get_html`] whose redirects may also go to `policy.allowed_hosts`.
    pub async fn get_html_for(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        policy: RequestPolicy<'_>,
    ) -> Result<Outcome, FetchError> {
        let started_at = Instant::now();
        let ask = Ask {
            accept: None,
            extra: &[],
            validators,
            allowed_hosts: policy.allowed_hosts,
            post_body: None,
        };
        let result = self
            .with_retries(url, policy.respect_robots, || self.get_html_once(url, ask))
            .await;
        let elapsed_ms = elapsed_ms(started_at);
        match &result {
            Ok(Outcome::Fetched(page)) => tracing::debug!(
                url = %url,
                final_url = %page.final_url,
                status = page.status,
                text_bytes = page.text.len(),
                elapsed_ms,
                "fetched"
            ),
            Ok(Outcome::NotModified) => {
                tracing::debug!(url = %url, elapsed_ms, "not modified")
            }
            Err(err) => log_failure(url, err, elapsed_ms),
        }
        result
    }

    async fn get_html_once(&self, url: &Url, ask: Ask<'_>) -> Result<Outcome, Failure> {
        let started = self.start(url, ask).await?;
        let response = &started.response;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Outcome::NotModified);
        }
        let content_type = header_string(response.headers(), header::CONTENT_TYPE);
        if let Some(ct) = &content_type
            && !is_html(ct)
        {
            return Err(FetchError::NotHtml {
                url: url.clone(),
                content_type: ct.clone(),
            }
            .into());
        }
        let status = response.status().as_u16();
        let final_url = response.url().clone();
        let validators = Validators {
            etag: header_string(response.headers(), header::ETAG),
            last_modified: header_string(response.headers(), header::LAST_MODIFIED),
        };
        let link_headers = started
            .response
            .headers()
            .get_all(header::LINK)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let body = self.read_body(url, started, false).await?;
        let decoded = decode_html(&body, content_type.as_deref());
        if let Some(message) = implausible_text(&decoded.text, decoded.had_errors) {
            return Err(FetchError::Decode {
                url: url.clone(),
                message: format!("{message} (decoded as {})", decoded.encoding.name()),
            }
            .into());
        }
        if decoded.had_errors {
            tracing::debug!(url = %url, encoding = decoded.encoding.name(), "body had malformed bytes");
        }
        Ok(Outcome::Fetched(Page {
            url: url.clone(),
            final_url,
            status,
            content_type,
            text: decoded.text,
            validators,
            link_headers,
        }))
    }

    /// GETs any resource (JSON APIs, sitemaps) with the same rules as `get_html` but no
    /// content-type check, with extra request headers and the source's redirect policy;
    /// keeps the response headers. Non-2xx answers fail with [`FetchError::Status`] so
    /// callers can tell "API off" (401/403/404) from a network failure.
    pub async fn get_resource(
        &self,
        url: &Url,
        accept: &str,
        extra_headers: &[(String, String)],
        policy: RequestPolicy<'_>,
    ) -> Result<Resource, FetchError> {
        let started_at = Instant::now();
        let ask = Ask {
            accept: Some(accept),
            extra: extra_headers,
            validators: None,
            allowed_hosts: policy.allowed_hosts,
            post_body: None,
        };
        let result = self
            .with_retries(url, policy.respect_robots, || async {
                let started = self.start(url, ask).await?;
                let a = self.read_answer(url, started).await?;
                Ok(Resource {
                    final_url: a.final_url,
                    content_type: a.content_type,
                    headers: a.headers,
                    body: a.body,
                })
            })
            .await;
        let elapsed_ms = elapsed_ms(started_at);
        match &result {
            Ok(r) => tracing::debug!(url = %url, bytes = r.body.len(), elapsed_ms, "fetched"),
            Err(err) => log_failure(url, err, elapsed_ms),
        }
        result
    }

    /// POSTs a form (WebSub publish pings) and expects a 2xx answer; the body is ignored.
    /// Hubs are services we were configured to notify, so robots.txt does not apply.
    pub async fn post_form(&self, url: &Url, fields: &[(&str, &str)]) -> Result<(), FetchError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post(url, "application/x-www-form-urlencoded", body)
            .await
    }

    /// POSTs a JSON document (alert webhooks) and expects a 2xx answer, like
    /// [`Fetcher::post_form`].
    pub async fn post_json(&self, url: &Url, json: String) -> Result<(), FetchError> {
        self.post(url, "application/json", json).await
    }

    async fn post(
        &self,
        url: &Url,
        content_type: &'static str,
        body: String,
    ) -> Result<(), FetchError> {
        let _permit = self.permit(url).await?;
        let response = self
            .client(&[])?
            .post(url.clone())
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .map_err(|err| map_error(url, err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
            });
        }
        Ok(())
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Every failed fetch is logged once, here, with the same fields.
fn log_failure(url: &Url, err: &FetchError, elapsed_ms: u64) {
    tracing::warn!(url = %url, kind = err.kind(), elapsed_ms, error = %err, "fetch failed");
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another task panicked while holding it; the maps stay
    // consistent because every critical section is a single insert or read.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
