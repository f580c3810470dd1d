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
// One short-lived value per fetch; boxing the page would only add an allocation.
#[allow(clippy::large_enum_variant)]
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

    /// POSTs a form (WebSub publish pings) and expects a 2xx answer; the body is ignored.
    pub async fn post_form(&self, url: &Url, fields: &[(&str, &str)]) -> Result<(), FetchError> {
        let _permit = self.permit(url).await?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .inner
            .client
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
        }
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(&settings(Duration::from_secs(2), 100 * 1024)).expect("client builds")
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
                tower_http::compression::CompressionLayer::new()
                    .no_br()
                    .no_deflate()
                    .no_zstd(),
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
        assert!(matches!(err, FetchError::Other { .. }), "{err}");
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
}
