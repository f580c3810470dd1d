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

use std::collections::HashMap;
use std::error::Error as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::{Settings, Source};
use crate::core::decode::decode_html;
pub mod robots;

use crate::core::model::Validators;
use robots::{RobotsCache, Rules};

/// Sent with every HTML request; `get_bytes` overrides it per call.
const HTML_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5";

/// Redirects followed before giving up; WordPress http→https→www→slash chains need about 3.
const MAX_REDIRECTS: usize = 5;

/// First retry delay; doubled per attempt (plus jitter) up to [`DEFAULT_RETRY_MAX`].
const DEFAULT_RETRY_MIN: Duration = Duration::from_millis(500);
const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(30);

/// Share of replacement or control characters above which a decoded body is rejected: real
/// HTML has practically none, a binary file or a wrongly decoded page has many.
const MAX_BAD_CHAR_RATIO: f64 = 0.01;

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

/// Why a fetch failed. Every variant but `Client` carries the URL, and every message starts
/// with `GET {url}: ` so it stands on its own in a log or a status table.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}: timed out")]
    Timeout { url: Url },
    #[error("GET {url}: cannot connect: {message}")]
    Connect { url: Url, message: String },
    #[error("GET {url}: DNS lookup failed: {message}")]
    Dns { url: Url, message: String },
    #[error("GET {url}: TLS failed: {message}")]
    Tls { url: Url, message: String },
    #[error("GET {url}: HTTP {status}")]
    Status { url: Url, status: u16 },
    /// 429/503 asking us to wait longer than `settings.max_retry_after_secs`.
    #[error(
        "GET {url}: HTTP {status} with Retry-After {wait_secs} s, more than the {cap_secs} s we wait"
    )]
    RetryAfterTooLong {
        url: Url,
        status: u16,
        wait_secs: u64,
        cap_secs: u64,
    },
    #[error("GET {url}: body larger than {limit} bytes")]
    TooLarge { url: Url, limit: u64 },
    /// The connection ended before the body was complete.
    #[error("GET {url}: body cut short: {message}")]
    Truncated { url: Url, message: String },
    #[error("GET {url}: not HTML (Content-Type: {content_type})")]
    NotHtml { url: Url, content_type: String },
    #[error("GET {url}: cannot decode the body: {message}")]
    Decode { url: Url, message: String },
    #[error("GET {url}: {reason}")]
    Robots { url: Url, reason: String },
    #[error("GET {url}: redirect to {to} refused: {reason}")]
    Redirect {
        url: Url,
        to: Box<str>,
        // Boxed to keep `FetchError` (returned everywhere) within clippy's size budget.
        reason: Box<str>,
    },
    #[error("GET {url}: {message}")]
    Other { url: Url, message: String },
    /// The client itself could not be built (bad settings, TLS backend failure); no URL yet.
    #[error("cannot build the HTTP client: {message}")]
    Client { message: String },
}

impl FetchError {
    /// A short, stable label for counting errors by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout { .. } => "timeout",
            FetchError::Connect { .. } => "connect",
            FetchError::Dns { .. } => "dns",
            FetchError::Tls { .. } => "tls",
            FetchError::Status { .. } | FetchError::RetryAfterTooLong { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Truncated { .. } => "truncated",
            FetchError::NotHtml { .. } => "not_html",
            FetchError::Decode { .. } => "decode",
            FetchError::Robots { .. } => "robots",
            FetchError::Redirect { .. } => "redirect",
            FetchError::Other { .. } => "other",
            FetchError::Client { .. } => "client",
        }
    }

    /// The URL the failed request was for, when there was one.
    pub fn url(&self) -> Option<&Url> {
        match self {
            FetchError::Timeout { url }
            | FetchError::Connect { url, .. }
            | FetchError::Dns { url, .. }
            | FetchError::Tls { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::RetryAfterTooLong { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::Truncated { url, .. }
            | FetchError::NotHtml { url, .. }
            | FetchError::Decode { url, .. }
            | FetchError::Robots { url, .. }
            | FetchError::Redirect { url, .. }
            | FetchError::Other { url, .. } => Some(url),
            FetchError::Client { .. } => None,
        }
    }

    /// Whether trying again later may succeed. A timeout or connect error may be a blip; a
    /// 404, an oversized body or a robots refusal will be the same on the next attempt.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. }
            | FetchError::Connect { .. }
            | FetchError::Truncated { .. } => true,
            FetchError::Status { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// Where redirects of one request may lead, besides the requested host and its www twin.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestPolicy<'a> {
    /// Host names (`example.kz`, `*.example.kz`, an IP address), lowercase.
    pub allowed_hosts: &'a [String],
}

impl<'a> RequestPolicy<'a> {
    /// What a source's configuration allows its requests: the one place that maps a
    /// `[[source]]` to request rules.
    pub fn for_source(source: &'a Source) -> RequestPolicy<'a> {
        RequestPolicy {
            allowed_hosts: &source.allowed_hosts,
        }
    }
}

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
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
}

struct HostState {
    semaphore: Arc<Semaphore>,
    /// When the last request to this host started; the async lock also queues waiters.
    last_start: tokio::sync::Mutex<Option<Instant>>,
    /// From the host's robots.txt, when it has one.
    crawl_delay: Mutex<Option<Duration>>,
}

/// A response whose status and headers are in, before its body is read.
struct Started {
    response: reqwest::Response,
    /// Held until the body is read so the per-host limit covers the whole transfer.
    _permit: OwnedSemaphorePermit,
}

/// A failed attempt and the server's Retry-After, if it sent one we are willing to honour.
struct Failure {
    error: FetchError,
    retry_after: Option<Duration>,
}

impl From<FetchError> for Failure {
    fn from(error: FetchError) -> Failure {
        Failure {
            error,
            retry_after: None,
        }
    }
}

/// What a request wants back from `start`.
#[derive(Clone, Copy)]
struct Ask<'a> {
    accept: Option<&'a str>,
    /// Extra request headers (JSON sources choose their language with Accept-Language).
    extra: &'a [(String, String)],
    validators: Option<&'a Validators>,
    allowed_hosts: &'a [String],
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
        };
        let result = self
            .with_retries(url, || self.get_html_once(url, ask))
            .await;
        let elapsed_ms = started_at.elapsed().as_millis() as u64;
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
            Err(err) => {
                tracing::warn!(url = %url, kind = err.kind(), elapsed_ms, error = %err, "fetch failed")
            }
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

    /// GETs any resource (JSON APIs, images) with the same rules as `get_html` but no
    /// content-type check. Returns the final URL, the Content-Type and the raw body.
    pub async fn get_bytes(
        &self,
        url: &Url,
        accept: &str,
    ) -> Result<(Url, Option<String>, Bytes), FetchError> {
        let started_at = Instant::now();
        let ask = Ask {
            accept: Some(accept),
            extra: &[],
            validators: None,
            allowed_hosts: &[],
        };
        let result = self
            .with_retries(url, || async {
                let started = self.start(url, ask).await?;
                let final_url = started.response.url().clone();
                let content_type = header_string(started.response.headers(), header::CONTENT_TYPE);
                let body = self.read_body(url, started, false).await?;
                Ok((final_url, content_type, body))
            })
            .await;
        let elapsed_ms = started_at.elapsed().as_millis() as u64;
        match &result {
            Ok((_, _, body)) => {
                tracing::debug!(url = %url, bytes = body.len(), elapsed_ms, "fetched")
            }
            Err(err) => {
                tracing::warn!(url = %url, kind = err.kind(), elapsed_ms, error = %err, "fetch failed")
            }
        }
        result
    }

    /// GETs an API resource with extra request headers and the source's redirect policy;
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
        };
        let result = self
            .with_retries(url, || async {
                let started = self.start(url, ask).await?;
                let final_url = started.response.url().clone();
                let headers = started.response.headers().clone();
                let content_type = header_string(&headers, header::CONTENT_TYPE);
                let body = self.read_body(url, started, false).await?;
                Ok(Resource {
                    final_url,
                    content_type,
                    headers,
                    body,
                })
            })
            .await;
        let elapsed_ms = started_at.elapsed().as_millis() as u64;
        match &result {
            Ok(r) => tracing::debug!(url = %url, bytes = r.body.len(), elapsed_ms, "fetched"),
            Err(err) => {
                tracing::warn!(url = %url, kind = err.kind(), elapsed_ms, error = %err, "fetch failed")
            }
        }
        result
    }

    /// POSTs a form (WebSub publish pings) and expects a 2xx answer; the body is ignored.
    /// Hubs are services we were configured to notify, so robots.txt does not apply.
    pub async fn post_form(&self, url: &Url, fields: &[(&str, &str)]) -> Result<(), FetchError> {
        let _permit = self.permit(url).await?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .client(&[])?
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
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

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up. A
    /// Retry-After from the server replaces the backoff delay for that round.
    async fn with_retries<T, F, Fut>(&self, url: &Url, mut attempt: F) -> Result<T, FetchError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Other {
                url: url.clone(),
                message: format!("unsupported URL scheme {:?}", url.scheme()),
            });
        }
        self.check_robots(url).await?;
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.inner.retry_min)
            .with_max_delay(self.inner.retry_max)
            .with_max_times(self.inner.retries)
            .with_jitter()
            .build();
        let mut number = 1;
        loop {
            let failure = match attempt().await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            if !failure.error.is_transient() {
                return Err(failure.error);
            }
            let Some(delay) = backoff.next() else {
                return Err(failure.error);
            };
            let delay = failure.retry_after.unwrap_or(delay);
            tracing::debug!(
                url = %url,
                attempt = number,
                kind = failure.error.kind(),
                error = %failure.error,
                retry_in_ms = delay.as_millis() as u64,
                "attempt failed; retrying"
            );
            tokio::time::sleep(delay).await;
            number += 1;
        }
    }

    /// Fails with `FetchError::Robots` when robots.txt forbids `url`; no request is made for
    /// `url` itself (robots.txt may be fetched first).
    async fn check_robots(&self, url: &Url) -> Result<(), FetchError> {
        if !self.inner.respect_robots {
            return Ok(());
        }
        let Some(robots_url) = robots::robots_url(url) else {
            return Ok(());
        };
        let rules = self
            .inner
            .robots
            .entry(url, || self.fetch_robots(&robots_url))
            .await;
        if let Some(delay) = rules.crawl_delay() {
            *lock(&self.host(url).crawl_delay) = Some(delay);
        }
        if url.path() == "/robots.txt" || rules.allowed(url) {
            Ok(())
        } else {
            Err(FetchError::Robots {
                url: url.clone(),
                reason: rules.refusal(),
            })
        }
    }

    /// Fetches and interprets robots.txt, retrying transient failures like any request.
    async fn fetch_robots(&self, robots_url: &Url) -> Rules {
        let ask = Ask {
            accept: Some("text/plain,*/*;q=0.5"),
            extra: &[],
            validators: None,
            allowed_hosts: &[],
        };
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.inner.retry_min)
            .with_max_delay(self.inner.retry_max)
            .with_max_times(self.inner.retries)
            .with_jitter()
            .build();
        loop {
            let result: Result<(u16, Bytes), Failure> = async {
                let started = self.start_any_status(robots_url, ask).await?;
                let status = started.response.status().as_u16();
                let body = if (200..300).contains(&status) {
                    self.read_body(robots_url, started, true).await?
                } else {
                    Bytes::new()
                };
                Ok((status, body))
            }
            .await;
            let retry = match &result {
                Ok((status, _)) => matches!(status, 429 | 502 | 503 | 504),
                Err(failure) => failure.error.is_transient(),
            };
            if retry && let Some(delay) = backoff.next() {
                tracing::debug!(url = %robots_url, "robots.txt: transient failure; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            let rules = match result {
                Ok((status, body)) => {
                    Rules::from_response(&self.inner.product_token, status, &body)
                }
                // A redirect we refuse to follow is the site's own doing, not an outage;
                // like a 4xx it means "no usable rules".
                Err(failure) if matches!(failure.error, FetchError::Redirect { .. }) => {
                    tracing::info!(error = %failure.error, "robots.txt redirect refused; allowing all");
                    Rules::AllowAll
                }
                Err(failure) => Rules::Unreachable {
                    reason: format!("robots.txt unreachable: {}", failure.error),
                },
            };
            tracing::debug!(url = %robots_url, rules = ?rules, "robots.txt read");
            return rules;
        }
    }

    /// Takes the host permit and politeness turn and sends the request; fails on statuses
    /// other than 2xx and 304.
    async fn start(&self, url: &Url, ask: Ask<'_>) -> Result<Started, Failure> {
        let started = self.start_any_status(url, ask).await?;
        let response = &started.response;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(started);
        }
        let mut retry_after = None;
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) && let Some(wait) = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| parse_retry_after(v.as_bytes(), SystemTime::now()))
        {
            if wait > self.inner.max_retry_after {
                return Err(FetchError::RetryAfterTooLong {
                    url: url.clone(),
                    status: status.as_u16(),
                    wait_secs: wait.as_secs(),
                    cap_secs: self.inner.max_retry_after.as_secs(),
                }
                .into());
            }
            retry_after = Some(wait);
        }
        Err(Failure {
            error: FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
            },
            retry_after,
        })
    }

    async fn start_any_status(&self, url: &Url, ask: Ask<'_>) -> Result<Started, FetchError> {
        let client = self.client(ask.allowed_hosts)?;
        let permit = self.permit(url).await?;
        self.wait_turn(url).await;
        let mut request = client.get(url.clone());
        if let Some(accept) = ask.accept {
            request = request.header(header::ACCEPT, accept);
        }
        for (name, value) in ask.extra {
            // Names and values are validated at config load; a bad one is skipped, not fatal.
            if let (Ok(n), Ok(v)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request = request.header(n, v);
            }
        }
        if let Some(v) = ask.validators {
            // Validators come from earlier responses; one that is not a valid header value
            // is dropped rather than failing the fetch.
            if let Some(etag) = v
                .etag
                .as_deref()
                .and_then(|s| HeaderValue::from_str(s).ok())
            {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = v
                .last_modified
                .as_deref()
                .and_then(|s| HeaderValue::from_str(s).ok())
            {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        let response = request.send().await.map_err(|err| map_error(url, err))?;
        Ok(Started {
            response,
            _permit: permit,
        })
    }

    /// Streams the body, failing as soon as it passes the size cap; with `truncate`, stops
    /// reading at [`robots::MAX_ROBOTS_BYTES`] and keeps what it has instead.
    async fn read_body(
        &self,
        url: &Url,
        started: Started,
        truncate: bool,
    ) -> Result<Bytes, FetchError> {
        let limit = if truncate {
            robots::MAX_ROBOTS_BYTES
        } else {
            self.inner.max_body_bytes
        };
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit,
        };
        let mut response = started.response;
        // After decompression reqwest hides Content-Length, so this only triggers for
        // identity bodies; the streaming check below covers the rest.
        if !truncate && response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| map_error(url, err))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                if truncate {
                    let room = usize::try_from(limit).unwrap_or(usize::MAX) - body.len();
                    body.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    break;
                }
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    fn host(&self, url: &Url) -> Arc<HostState> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        lock(&self.inner.hosts)
            .entry(key)
            .or_insert_with(|| {
                Arc::new(HostState {
                    semaphore: Arc::new(Semaphore::new(self.inner.per_host_concurrency)),
                    last_start: tokio::sync::Mutex::new(None),
                    crawl_delay: Mutex::new(None),
                })
            })
            .clone()
    }

    async fn permit(&self, url: &Url) -> Result<OwnedSemaphorePermit, FetchError> {
        self.host(url)
            .semaphore
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other {
                url: url.clone(),
                message: "per-host limiter closed".to_string(),
            })
    }

    /// Waits until the host's minimum gap since the last request start has passed.
    async fn wait_turn(&self, url: &Url) {
        let host = self.host(url);
        let crawl_delay = *lock(&host.crawl_delay);
        let gap = politeness_gap(self.inner.min_delay, crawl_delay, fastrand::f64());
        let mut last = host.last_start.lock().await;
        // tokio's timer rounds a deadline up to its next millisecond tick, even one already
        // past: sleeping unconditionally put a floor of ~1 ms between any two request starts
        // to a host (a 10 000-article backfill spent 11 s of its 13 s here with delays off).
        if let Some(due) = last.map(|previous| previous + gap)
            && due > Instant::now()
        {
            tokio::time::sleep_until(due.into()).await;
        }
        *last = Some(Instant::now());
    }

    /// The client whose redirect policy also allows `allowed_hosts`.
    fn client(&self, allowed_hosts: &[String]) -> Result<reqwest::Client, FetchError> {
        let mut key: Vec<String> = allowed_hosts
            .iter()
            .map(|h| normalize_host_pattern(h))
            .collect();
        key.sort();
        key.dedup();
        if let Some(client) = lock(&self.inner.clients).get(&key) {
            return Ok(client.clone());
        }
        let client = self.inner.build_client(key.clone())?;
        lock(&self.inner.clients).insert(key, client.clone());
        Ok(client)
    }
}

impl Inner {
    fn build_client(&self, allowed_hosts: Vec<String>) -> Result<reqwest::Client, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(HTML_ACCEPT));
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let previous = attempt.previous();
            let Some(origin) = previous.first() else {
                return attempt.follow();
            };
            match redirect_refusal(origin, previous, attempt.url(), &allowed_hosts) {
                Some(reason) => {
                    let to = attempt.url().to_string();
                    attempt.error(RedirectRefused { to, reason })
                }
                None => attempt.follow(),
            }
        });
        reqwest::Client::builder()
            .user_agent(self.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(policy)
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()
            .map_err(|err| FetchError::Client {
                message: error_chain(&err),
            })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another task panicked while holding it; the maps stay
    // consistent because every critical section is a single insert or read.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The gap before the next request to a host: the larger of our minimum and the site's
/// Crawl-delay, jittered ±25% (`random` in 0..1) but never below the Crawl-delay.
fn politeness_gap(min_delay: Duration, crawl_delay: Option<Duration>, random: f64) -> Duration {
    let base = crawl_delay.map_or(min_delay, |c| c.max(min_delay));
    let jittered = base.mul_f64(0.75 + 0.5 * random.clamp(0.0, 1.0));
    crawl_delay.map_or(jittered, |c| jittered.max(c))
}

/// Parses Retry-After: delta-seconds or an HTTP date (a past date means "now").
fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Why a decoded body cannot be a web page, if it cannot: too many U+FFFD from malformed
/// bytes, or too many control characters (a binary file served as text/html).
fn implausible_text(text: &str, had_errors: bool) -> Option<String> {
    // Counted on the UTF-8 bytes with vectorized passes (every page goes through here): a
    // character starts at each non-continuation byte, C1 controls are C2 80..9F, U+FFFD is
    // EF BF BD. Form feed is ordinary in pages; DEL is a control.
    let bytes = text.as_bytes();
    let total = text.chars().count();
    let c0 = crate::core::text::c0_controls(bytes) - memchr::memchr_iter(0x0c, bytes).count()
        + memchr::memchr_iter(0x7F, bytes).count();
    let c1 = memchr::memchr_iter(0xC2, bytes)
        .filter(|&i| bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)))
        .count();
    let control = c0 + c1;
    let replaced = memchr::memmem::find_iter(bytes, "\u{FFFD}".as_bytes()).count();
    let ratio = |n: usize| n as f64 / total.max(1) as f64;
    if had_errors && ratio(replaced) > MAX_BAD_CHAR_RATIO {
        Some(format!(
            "{replaced} of {total} characters are malformed byte sequences"
        ))
    } else if ratio(control) > MAX_BAD_CHAR_RATIO {
        Some(format!(
            "{control} of {total} characters are control characters; the body looks binary"
        ))
    } else {
        None
    }
}

/// The error our redirect policy hands to reqwest; found again in the error chain.
#[derive(Debug, thiserror::Error)]
#[error("redirect to {to} refused: {reason}")]
struct RedirectRefused {
    to: String,
    reason: String,
}

/// Why following a redirect from the chain `previous` (starting at `origin`) to `next` is
/// refused, or `None` when it may be followed.
fn redirect_refusal(
    origin: &Url,
    previous: &[Url],
    next: &Url,
    allowed_hosts: &[String],
) -> Option<String> {
    if previous.len() > MAX_REDIRECTS {
        return Some(format!("too many redirects (more than {MAX_REDIRECTS})"));
    }
    if previous.contains(next) {
        return Some("redirect loop".to_string());
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Some(format!("scheme {:?} is not http(s)", next.scheme()));
    }
    let Some(host) = next.host_str() else {
        return Some("no host".to_string());
    };
    if !host_allowed(origin, host, allowed_hosts) {
        return Some(format!(
            "host {host} is not {} or an allowed host",
            origin.host_str().unwrap_or_default()
        ));
    }
    let (from, to) = (address_class(origin), address_class(next));
    if to != AddressClass::Public && from != to {
        return Some(format!(
            "{host} is a {} address and {} is not",
            to.name(),
            origin.host_str().unwrap_or_default()
        ));
    }
    None
}

fn normalize_host_pattern(pattern: &str) -> String {
    pattern.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The requested host, its www twin, or one of `allowed` (`*.x` matches subdomains of x).
fn host_allowed(origin: &Url, host: &str, allowed: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = |h: &str| {
        h.strip_prefix("www.")
            .map(str::to_string)
            .unwrap_or_else(|| h.to_string())
    };
    if let Some(own) = origin.host_str() {
        let own = own.trim_end_matches('.').to_ascii_lowercase();
        if own == host || bare(&own) == bare(&host) {
            return true;
        }
    }
    allowed.iter().any(|pattern| {
        let pattern = normalize_host_pattern(pattern);
        match pattern.strip_prefix("*.") {
            Some(parent) => host == parent || host.ends_with(&format!(".{parent}")),
            None => host == pattern,
        }
    })
}

/// Where an address points; only `Public` may be reached from a site of another class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressClass {
    Public,
    Loopback,
    Private,
    LinkLocal,
}

impl AddressClass {
    fn name(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
        }
    }
}

/// The class of a URL's host as written. Names are not resolved here (a public name that
/// resolves to a private address is not caught); `localhost` names count as loopback.
fn address_class(url: &Url) -> AddressClass {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip_class(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => ip_class(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                AddressClass::Loopback
            } else {
                AddressClass::Public
            }
        }
        None => AddressClass::Public,
    }
}

fn ip_class(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_class(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() || v6.is_unspecified() {
                AddressClass::Loopback
            } else if first & 0xffc0 == 0xfe80 {
                AddressClass::LinkLocal
            } else if first & 0xfe00 == 0xfc00 || v6 == Ipv6Addr::UNSPECIFIED {
                AddressClass::Private
            } else {
                AddressClass::Public
            }
        }
    }
}

fn v4_class(ip: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() || ip.is_unspecified() {
        AddressClass::Loopback
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_private()
        || ip.is_broadcast()
        // 100.64.0.0/10, carrier-grade NAT: not on the public internet either.
        || (a == 100 && (64..128).contains(&b))
    {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

fn map_error(url: &Url, err: reqwest::Error) -> FetchError {
    let url = url.clone();
    // Our own redirect refusal travels inside reqwest's error; it names the target.
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RedirectRefused>() {
            return FetchError::Redirect {
                url,
                to: refused.to.as_str().into(),
                reason: refused.reason.as_str().into(),
            };
        }
        source = cause.source();
    }
    let message = error_chain(&err);
    let lower = message.to_ascii_lowercase();
    // Checked first: a connect that times out is a timeout to whoever reads the message.
    if err.is_timeout() {
        FetchError::Timeout { url }
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        FetchError::Dns { url, message }
    } else if is_tls_message(&lower) {
        FetchError::Tls { url, message }
    } else if err.is_connect() {
        FetchError::Connect { url, message }
    } else if err.is_redirect() {
        FetchError::Redirect {
            url,
            to: "".into(),
            reason: message.into(),
        }
    } else if err.is_body() || err.is_decode() {
        // reqwest reports a connection cut mid-body as a "decode" error when the body went
        // through its decompressor; the wording tells a cut from really corrupt data.
        if is_cut_message(&lower) || !err.is_decode() {
            FetchError::Truncated { url, message }
        } else {
            FetchError::Decode { url, message }
        }
    } else {
        FetchError::Other { url, message }
    }
}

/// Wording of hyper and std errors for a connection that ended or broke mid-body.
fn is_cut_message(lower: &str) -> bool {
    [
        "reading a body from connection",
        "end of file before message length",
        "connection reset",
        "connection closed",
        "broken pipe",
        "unexpected eof",
        "incomplete",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// rustls and hyper-rustls errors have no type we can match without depending on rustls, so
/// they are recognised by their wording.
fn is_tls_message(lower: &str) -> bool {
    [
        "tls",
        "certificate",
        "handshake",
        "corrupt message",
        "peer misbehaved",
        "received fatal alert",
        "invalidcontenttype",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// The error and its sources joined with ": ", so the useful part ("Connection refused",
/// "too many redirects") is not lost behind reqwest's generic top-level message. The URL is
/// left out because `FetchError` prints it already.
fn error_chain(err: &reqwest::Error) -> String {
    let mut message = match err.url() {
        Some(url) => err.to_string().replace(&format!(" for url ({url})"), ""),
        None => err.to_string(),
    };
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // hyper and std errors often repeat their inner error in their own text.
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Whether a Content-Type names an HTML document (parameters ignored).
fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.is_empty()
        || essence.eq_ignore_ascii_case("text/html")
        || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::extract::{Path, Request};
    use axum::http::{HeaderMap, StatusCode};
    use axum::middleware::Next;
    use axum::response::{Html, IntoResponse, Redirect, Response};
    use axum::routing::get;
    use futures_util::StreamExt;

    use super::*;

    const RUSSIAN: &str = "Генеральная прокуратура Республики Казахстан сообщает";

    fn settings(request_timeout: Duration, max_body_bytes: u64) -> Settings {
        Settings {
            database: PathBuf::from("unused.sqlite"),
            feeds_dir: PathBuf::from("feeds"),
            base_url: Url::parse("http://127.0.0.1/feeds/").expect("static URL"),
            user_agent: "pressfeed-test/1".to_string(),
            connect_timeout: Duration::from_secs(1),
            request_timeout,
            max_body_bytes,
            per_host_concurrency: 2,
            listen: "127.0.0.1:0".parse().expect("static address"),
            shutdown_grace: Duration::from_secs(1),
            schedule_jitter: Duration::ZERO,
            hubs: Vec::new(),
            respect_robots: false,
            min_delay: Duration::ZERO,
            max_retry_after: Duration::from_secs(5),
            retries: 0,
        }
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(&settings(Duration::from_secs(2), 100 * 1024)).expect("client builds")
    }

    /// With delays off, waiting for one's turn must not sleep at all: tokio rounds a passed
    /// deadline up to its next millisecond tick, which capped a backfill at ~1 000 requests
    /// a second. The paused clock only moves when something sleeps.
    #[tokio::test(start_paused = true)]
    async fn regression_zero_delay_waits_no_timer_tick_per_request() {
        let f = fetcher();
        let url = Url::parse("http://127.0.0.1:9/").expect("static URL");
        let start = tokio::time::Instant::now();
        for _ in 0..20 {
            f.wait_turn(&url).await;
        }
        assert_eq!(tokio::time::Instant::now(), start);
    }

    async fn serve(app: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        addr
    }

    fn url(addr: SocketAddr, path: &str) -> Url {
        Url::parse(&format!("http://{addr}{path}")).expect("test URL")
    }

    fn fetched(outcome: Outcome) -> Page {
        match outcome {
            Outcome::Fetched(page) => page,
            Outcome::NotModified => panic!("expected a page, got 304"),
        }
    }

    fn assert_names_url(err: &FetchError, url: &Url) {
        assert!(err.to_string().contains(url.as_str()), "{err}");
        assert_eq!(err.url(), Some(url));
    }

    #[tokio::test]
    async fn html_utf8_with_user_agent_and_accept() {
        let app = Router::new().route(
            "/news",
            get(|headers: HeaderMap| async move {
                let ua = headers
                    .get("user-agent")
                    .map(|v| v.to_str().unwrap_or(""))
                    .unwrap_or("");
                let accept = headers
                    .get("accept")
                    .map(|v| v.to_str().unwrap_or(""))
                    .unwrap_or("");
                Html(format!("<p>{RUSSIAN}</p><i>{ua}</i><b>{accept}</b>"))
            }),
        );
        let addr = serve(app).await;
        let page = fetched(
            fetcher()
                .get_html(&url(addr, "/news"), None)
                .await
                .expect("fetch"),
        );
        assert_eq!(page.status, 200);
        assert_eq!(page.final_url, url(addr, "/news"));
        assert_eq!(
            page.content_type.as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert!(page.text.contains(RUSSIAN));
        assert!(
            page.text.contains("<i>pressfeed-test/1</i>"),
            "{}",
            page.text
        );
        assert!(
            page.text.contains(&format!("<b>{HTML_ACCEPT}</b>")),
            "{}",
            page.text
        );
    }

    #[tokio::test]
    async fn windows_1251_meta_only_decodes() {
        let html = format!(
            r#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body>{RUSSIAN}</body></html>"#
        );
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&html);
        let bytes = bytes.into_owned();
        let app = Router::new().route(
            "/old",
            get(move || async move { ([("content-type", "text/html")], bytes) }),
        );
        let addr = serve(app).await;
        let page = fetched(
            fetcher()
                .get_html(&url(addr, "/old"), None)
                .await
                .expect("fetch"),
        );
        assert_eq!(page.text, html);
    }

    #[tokio::test]
    async fn conditional_get_gives_not_modified() {
        const ETAG: &str = "\"v1\"";
        const DATE: &str = "Tue, 24 Nov 2026 10:00:00 GMT";
        let app = Router::new().route(
            "/page",
            get(|headers: HeaderMap| async move {
                let inm = headers.get("if-none-match").and_then(|v| v.to_str().ok());
                let ims = headers
                    .get("if-modified-since")
                    .and_then(|v| v.to_str().ok());
                if inm == Some(ETAG) && ims == Some(DATE) {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                ([("etag", ETAG), ("last-modified", DATE)], Html("<p>hi</p>")).into_response()
            }),
        );
        let addr = serve(app).await;
        let fetcher = fetcher();
        let u = url(addr, "/page");
        let page = fetched(fetcher.get_html(&u, None).await.expect("first fetch"));
        assert_eq!(
            page.validators,
            Validators {
                etag: Some(ETAG.to_string()),
                last_modified: Some(DATE.to_string()),
            }
        );
        let again = fetcher
            .get_html(&u, Some(&page.validators))
            .await
            .expect("second fetch");
        assert!(matches!(again, Outcome::NotModified), "{again:?}");
        // A stale ETag gets the page again.
        let stale = Validators {
            etag: Some("\"v0\"".to_string()),
            ..page.validators.clone()
        };
        let third = fetcher
            .get_html(&u, Some(&stale))
            .await
            .expect("third fetch");
        assert!(matches!(third, Outcome::Fetched(_)));
    }

    #[tokio::test]
    async fn server_error_is_status() {
        let app = Router::new().route(
            "/boom",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") }),
        );
        let addr = serve(app).await;
        let u = url(addr, "/boom");
        let err = fetcher().get_html(&u, None).await.expect_err("500");
        assert!(
            matches!(err, FetchError::Status { status: 500, .. }),
            "{err}"
        );
        assert_eq!(err.kind(), "http_status");
        assert_names_url(&err, &u);
    }

    fn two_megabytes_streamed() -> Body {
        let chunks = futures_util::stream::iter(0..128)
            .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 16 * 1024])));
        Body::from_stream(chunks)
    }

    #[tokio::test]
    async fn streamed_body_over_cap_is_too_large() {
        let app = Router::new().route(
            "/big",
            get(|| async { ([("content-type", "text/html")], two_megabytes_streamed()) }),
        );
        let addr = serve(app).await;
        let u = url(addr, "/big");
        let started = Instant::now();
        let err = fetcher().get_html(&u, None).await.expect_err("too large");
        assert!(
            matches!(err, FetchError::TooLarge { limit: 102400, .. }),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_names_url(&err, &u);
    }

    #[tokio::test]
    async fn content_length_over_cap_is_too_large() {
        let app = Router::new().route("/big", get(|| async { Html(vec![b'a'; 2 * 1024 * 1024]) }));
        let addr = serve(app).await;
        let err = fetcher()
            .get_bytes(&url(addr, "/big"), "*/*")
            .await
            .expect_err("too large");
        assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
    }

    #[tokio::test]
    async fn slow_response_times_out() {
        let app = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Html("late")
            }),
        );
        let addr = serve(app).await;
        let fetcher = Fetcher::new(&settings(Duration::from_secs(1), 1024)).expect("client");
        let u = url(addr, "/slow");
        let started = Instant::now();
        let err = fetcher.get_html(&u, None).await.expect_err("timeout");
        assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_millis(2500));
        assert_names_url(&err, &u);
    }

    #[tokio::test]
    async fn stalled_body_times_out() {
        // Headers arrive at once, the body stalls: the total timeout must still apply.
        let app = Router::new().route(
            "/stall",
            get(|| async {
                let first = futures_util::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from_static(b"<p>start"))
                });
                let late = futures_util::stream::once(async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    Ok::<_, std::io::Error>(Bytes::from_static(b"end</p>"))
                });
                (
                    [("content-type", "text/html")],
                    Body::from_stream(first.chain(late)),
                )
            }),
        );
        let addr = serve(app).await;
        let fetcher = Fetcher::new(&settings(Duration::from_secs(1), 1024)).expect("client");
        let err = fetcher
            .get_html(&url(addr, "/stall"), None)
            .await
            .expect_err("timeout");
        assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    }

    #[tokio::test]
    async fn refused_connection_is_connect_error() {
        let addr = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr")
        };
        let u = url(addr, "/gone");
        let err = fetcher().get_html(&u, None).await.expect_err("refused");
        assert!(matches!(err, FetchError::Connect { .. }), "{err}");
        assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
        assert_names_url(&err, &u);
    }

    #[tokio::test]
    async fn pdf_is_not_html() {
        let app = Router::new().route(
            "/doc.pdf",
            get(|| async { ([("content-type", "application/pdf")], "%PDF-1.4") }),
        );
        let addr = serve(app).await;
        let u = url(addr, "/doc.pdf");
        let err = fetcher().get_html(&u, None).await.expect_err("pdf");
        assert!(
            matches!(&err, FetchError::NotHtml { content_type, .. } if content_type == "application/pdf"),
            "{err}"
        );
        assert_names_url(&err, &u);
        // get_bytes does not care about the type.
        let (final_url, ct, body) = fetcher()
            .get_bytes(&u, "application/pdf")
            .await
            .expect("bytes");
        assert_eq!(final_url, u);
        assert_eq!(ct.as_deref(), Some("application/pdf"));
        assert_eq!(&body[..], b"%PDF-1.4");
    }

    #[tokio::test]
    async fn missing_content_type_is_accepted() {
        let app = Router::new().route(
            "/bare",
            get(|| async {
                let mut response = Response::new(Body::from("<p>bare</p>"));
                response.headers_mut().remove("content-type");
                response
            }),
        );
        let addr = serve(app).await;
        let page = fetched(
            fetcher()
                .get_html(&url(addr, "/bare"), None)
                .await
                .expect("fetch"),
        );
        assert_eq!(page.content_type, None);
        assert_eq!(page.text, "<p>bare</p>");
    }

    #[tokio::test]
    async fn gzip_body_is_decoded() {
        let compressed = Arc::new(AtomicBool::new(false));
        let seen = compressed.clone();
        let body = format!("<p>{}</p>", RUSSIAN.repeat(50));
        let expected = body.clone();
        let app = Router::new()
            .route("/gz", get(move || async move { Html(body) }))
            .layer(
                // Only the gzip feature is built: this layer can answer nothing else.
                tower_http::compression::CompressionLayer::new(),
            )
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    let seen = seen.clone();
                    async move {
                        let response = next.run(req).await;
                        if response
                            .headers()
                            .get("content-encoding")
                            .is_some_and(|v| v == "gzip")
                        {
                            seen.store(true, Ordering::SeqCst);
                        }
                        response
                    }
                },
            ));
        let addr = serve(app).await;
        let page = fetched(
            fetcher()
                .get_html(&url(addr, "/gz"), None)
                .await
                .expect("fetch"),
        );
        assert!(compressed.load(Ordering::SeqCst), "server did not gzip");
        assert_eq!(page.text, expected);
    }

    fn redirect_app() -> Router {
        Router::new().route(
            "/r/{n}",
            get(|Path(n): Path<u32>| async move {
                if n == 0 {
                    Html("<p>end</p>").into_response()
                } else {
                    Redirect::temporary(&format!("/r/{}", n - 1)).into_response()
                }
            }),
        )
    }

    #[tokio::test]
    async fn five_redirects_are_followed() {
        let addr = serve(redirect_app()).await;
        let page = fetched(
            fetcher()
                .get_html(&url(addr, "/r/5"), None)
                .await
                .expect("fetch"),
        );
        assert_eq!(page.url, url(addr, "/r/5"));
        assert_eq!(page.final_url, url(addr, "/r/0"));
        assert_eq!(page.text, "<p>end</p>");
    }

    #[tokio::test]
    async fn six_redirects_fail() {
        let addr = serve(redirect_app()).await;
        let u = url(addr, "/r/6");
        let err = fetcher()
            .get_html(&u, None)
            .await
            .expect_err("too many redirects");
        assert_eq!(err.kind(), "redirect", "{err}");
        assert!(err.to_string().contains("too many redirects"), "{err}");
        assert_names_url(&err, &u);
    }

    #[tokio::test]
    async fn per_host_limit_is_respected() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (now, max) = (in_flight.clone(), peak.clone());
        let app = Router::new().route(
            "/slowish",
            get(move || {
                let (now, max) = (now.clone(), max.clone());
                async move {
                    let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(current, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    Html("ok")
                }
            }),
        );
        let addr = serve(app).await;
        let fetcher = fetcher(); // two permits per host
        let u = url(addr, "/slowish");
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (fetcher, u) = (fetcher.clone(), u.clone());
                tokio::spawn(async move { fetcher.get_html(&u, None).await.map(|_| ()) })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("fetch");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn non_http_scheme_is_rejected() {
        let u = Url::parse("file:///etc/passwd").expect("URL");
        let err = fetcher().get_html(&u, None).await.expect_err("scheme");
        assert!(err.to_string().contains("scheme"), "{err}");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(b" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(later.as_bytes(), now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(past.as_bytes(), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(b"soon", now), None);
    }

    #[test]
    fn politeness_gap_jitter_and_crawl_delay() {
        let second = Duration::from_secs(1);
        assert_eq!(
            politeness_gap(second, None, 0.0),
            Duration::from_millis(750)
        );
        assert_eq!(
            politeness_gap(second, None, 1.0),
            Duration::from_millis(1250)
        );
        // Crawl-delay is a floor, jitter only adds to it.
        let crawl = Some(Duration::from_secs(2));
        assert_eq!(politeness_gap(second, crawl, 0.0), Duration::from_secs(2));
        assert_eq!(
            politeness_gap(second, crawl, 1.0),
            Duration::from_millis(2500)
        );
        assert_eq!(politeness_gap(Duration::ZERO, None, 0.5), Duration::ZERO);
    }

    #[test]
    fn redirect_rules() {
        let u = |s: &str| Url::parse(s).expect("URL");
        let origin = u("http://example.kz/news/");
        let chain = [origin.clone()];
        let refuse =
            |to: &str, allowed: &[String]| redirect_refusal(&origin, &chain, &u(to), allowed);
        assert_eq!(refuse("https://example.kz/news/", &[]), None);
        assert_eq!(refuse("https://www.example.kz/news/", &[]), None);
        assert!(refuse("https://cdn.example.kz/", &[]).is_some());
        assert_eq!(
            refuse("https://cdn.example.kz/", &["*.example.kz".into()]),
            None
        );
        assert_eq!(refuse("https://gov.kz/", &["GOV.KZ".into()]), None);
        let private = refuse("http://192.168.1.1/", &["192.168.1.1".into()]);
        assert!(private.is_some_and(|r| r.contains("private")));
        let loopback = refuse("http://localhost/", &["localhost".into()]);
        assert!(loopback.is_some_and(|r| r.contains("loopback")));
        assert!(refuse("ftp://example.kz/", &[]).is_some());
        assert!(refuse("http://example.kz/news/", &[]).is_some_and(|r| r.contains("loop")));
        // A loopback origin may stay on loopback but not go into the LAN.
        let local = u("http://127.0.0.1:8080/");
        let local_chain = [local.clone()];
        assert_eq!(
            redirect_refusal(&local, &local_chain, &u("http://127.0.0.1:8080/a"), &[]),
            None
        );
        assert!(
            redirect_refusal(
                &local,
                &local_chain,
                &u("http://10.0.0.1/"),
                &["10.0.0.1".into()]
            )
            .is_some()
        );
        assert_eq!(
            ip_class("fe80::1".parse().expect("ip")),
            AddressClass::LinkLocal
        );
        assert_eq!(
            ip_class("fd00::1".parse().expect("ip")),
            AddressClass::Private
        );
        assert_eq!(
            ip_class("::ffff:10.1.1.1".parse().expect("ip")),
            AddressClass::Private
        );
        assert_eq!(
            ip_class("169.254.169.254".parse().expect("ip")),
            AddressClass::LinkLocal
        );
        assert_eq!(
            ip_class("100.64.0.1".parse().expect("ip")),
            AddressClass::Private
        );
        assert_eq!(
            ip_class("8.8.8.8".parse().expect("ip")),
            AddressClass::Public
        );
    }

    #[test]
    fn implausible_text_thresholds() {
        let clean = RUSSIAN.repeat(10);
        assert_eq!(implausible_text(&clean, false), None);
        // One stray U+FFFD in a long page is tolerated.
        assert_eq!(implausible_text(&format!("{clean}\u{fffd}"), true), None);
        let mangled = format!("{clean}{}", "\u{fffd}".repeat(20));
        assert!(implausible_text(&mangled, true).is_some());
        // Without had_errors the replacement characters were in the source; not our business.
        assert_eq!(implausible_text(&mangled, false), None);
        let binary = format!("{clean}{}", "\u{1}".repeat(20));
        assert!(implausible_text(&binary, false).is_some_and(|m| m.contains("binary")));
        // C1 controls and DEL count too; tab, newlines and form feed do not.
        let c1 = format!("{clean}{}", "\u{85}\u{9f}\u{7f}".repeat(7));
        assert!(implausible_text(&c1, false).is_some_and(|m| m.starts_with("21 of 551 ")));
        let spacing = format!("{clean}{}", "\t\n\r\x0c".repeat(50));
        assert_eq!(implausible_text(&spacing, false), None);
        // Neighbours of the special sequences are ordinary letters (U+00A0, U+FFFC, "Ͽ").
        let near = format!("{clean}{}", "\u{a0}\u{fffc}\u{3ff}".repeat(20));
        assert_eq!(implausible_text(&near, true), None);
    }
}
