//! One shared HTTP client for all sources: timeouts, a body-size cap enforced while streaming,
//! conditional GET with stored validators, a per-host concurrency limit, decoding to text.
//!
//! Press-service sites are small government servers; the per-host limit keeps us polite even
//! when many sources share one host, and the body cap protects against endless or
//! decompression-bomb responses (it counts decompressed bytes).

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::Settings;
use crate::decode::decode_html;

/// Sent with every HTML request; `get_bytes` overrides it per call.
const HTML_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5";

/// Redirects followed before giving up; WordPress http→https→www→slash chains need about 3.
const MAX_REDIRECTS: usize = 5;

/// HTTP cache validators of a fetched URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

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
}

/// The result of a GET.
#[derive(Debug, Clone)]
pub enum Outcome {
    Fetched(Page),
    /// 304: the validators still hold.
    NotModified,
}

/// Why a fetch failed. Every variant carries the URL so messages stand on their own.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}: timed out")]
    Timeout { url: Url },
    #[error("GET {url}: cannot connect: {message}")]
    Connect { url: Url, message: String },
    #[error("GET {url}: HTTP {status}")]
    Status { url: Url, status: u16 },
    #[error("GET {url}: body larger than {limit} bytes")]
    TooLarge { url: Url, limit: u64 },
    #[error("GET {url}: not HTML (Content-Type: {content_type})")]
    NotHtml { url: Url, content_type: String },
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
            FetchError::Status { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::NotHtml { .. } => "not_html",
            FetchError::Other { .. } => "other",
            FetchError::Client { .. } => "client",
        }
    }
}

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    max_body_bytes: u64,
    per_host_concurrency: usize,
    /// One semaphore per `host:port`, created on first use.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A response whose status and headers are in, before its body is read.
struct Started {
    response: reqwest::Response,
    /// Held until the body is read so the per-host limit covers the whole transfer.
    _permit: OwnedSemaphorePermit,
}

impl Fetcher {
    pub fn new(settings: &Settings) -> Result<Fetcher, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(HTML_ACCEPT));
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()
            .map_err(|err| FetchError::Client {
                message: error_chain(&err),
            })?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                max_body_bytes: settings.max_body_bytes,
                // Zero permits would hang every fetch forever; treat it as "one at a time".
                per_host_concurrency: settings.per_host_concurrency.max(1),
                hosts: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// GETs an HTML page. With `validators`, sends If-None-Match / If-Modified-Since.
    /// Waits for a per-host permit first.
    pub async fn get_html(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Outcome, FetchError> {
        let started_at = Instant::now();
        let result = self.get_html_inner(url, validators).await;
        let elapsed_ms = started_at.elapsed().as_millis() as u64;
        match &result {
            Ok(Outcome::Fetched(page)) => tracing::debug!(
                url = %url,
                final_url = %page.final_url,
                status = page.status,
                chars = page.text.len(),
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

    async fn get_html_inner(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Outcome, FetchError> {
        let started = self.start(url, None, validators).await?;
        let response = &started.response;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Outcome::NotModified);
        }
        let content_type = header_string(response.headers(), header::CONTENT_TYPE);
        if let Some(ct) = &content_type
            && !is_html(ct)
        {
            return Err(FetchError::NotHtml {
                url: url.clone(),
                content_type: ct.clone(),
            });
        }
        let status = response.status().as_u16();
        let final_url = response.url().clone();
        let validators = Validators {
            etag: header_string(response.headers(), header::ETAG),
            last_modified: header_string(response.headers(), header::LAST_MODIFIED),
        };
        let body = self.read_body(url, started).await?;
        let decoded = decode_html(&body, content_type.as_deref());
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
        }))
    }

    /// GETs any resource (robots.txt, JSON APIs) with the same limits as `get_html` but no
    /// content-type check. Returns the final URL, the Content-Type and the raw body.
    pub async fn get_bytes(
        &self,
        url: &Url,
        accept: &str,
    ) -> Result<(Url, Option<String>, Bytes), FetchError> {
        let started_at = Instant::now();
        let result: Result<_, FetchError> = async {
            let started = self.start(url, Some(accept), None).await?;
            let final_url = started.response.url().clone();
            let content_type = header_string(started.response.headers(), header::CONTENT_TYPE);
            let body = self.read_body(url, started).await?;
            Ok((final_url, content_type, body))
        }
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

    /// Takes the host permit and sends the request; fails on statuses other than 2xx and 304.
    async fn start(
        &self,
        url: &Url,
        accept: Option<&str>,
        validators: Option<&Validators>,
    ) -> Result<Started, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Other {
                url: url.clone(),
                message: format!("unsupported URL scheme {:?}", url.scheme()),
            });
        }
        let permit = self.permit(url).await?;
        let mut request = self.inner.client.get(url.clone());
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        if let Some(v) = validators {
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
        let status = response.status();
        if !status.is_success() && status != reqwest::StatusCode::NOT_MODIFIED {
            return Err(FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
            });
        }
        Ok(Started {
            response,
            _permit: permit,
        })
    }

    /// Streams the body, failing as soon as it passes the size cap.
    async fn read_body(&self, url: &Url, started: Started) -> Result<Bytes, FetchError> {
        let limit = self.inner.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit,
        };
        let mut response = started.response;
        // After decompression reqwest hides Content-Length, so this only triggers for
        // identity bodies; the streaming check below covers the rest.
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| map_error(url, err))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    async fn permit(&self, url: &Url) -> Result<OwnedSemaphorePermit, FetchError> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let semaphore = {
            // A poisoned lock only means another task panicked while inserting; the map is
            // still consistent.
            let mut hosts = self
                .inner
                .hosts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            hosts
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(self.inner.per_host_concurrency)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other {
                url: url.clone(),
                message: "per-host limiter closed".to_string(),
            })
    }
}

impl FetchError {
    /// The URL the failed request was for, when there was one.
    pub fn url(&self) -> Option<&Url> {
        match self {
            FetchError::Timeout { url }
            | FetchError::Connect { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::NotHtml { url, .. }
            | FetchError::Other { url, .. } => Some(url),
            FetchError::Client { .. } => None,
        }
    }
}

fn map_error(url: &Url, err: reqwest::Error) -> FetchError {
    let url = url.clone();
    // Checked first: a connect that times out is a timeout to whoever reads the message.
    if err.is_timeout() {
        FetchError::Timeout { url }
    } else if err.is_connect() {
        FetchError::Connect {
            url,
            message: error_chain(&err),
        }
    } else {
        FetchError::Other {
            url,
            message: error_chain(&err),
        }
    }
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
