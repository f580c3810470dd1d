//! Why a fetch failed: [`FetchError`], and how a reqwest error is classified into it
//! (timeout, DNS, TLS, connect, cut body, refused redirect, ...).

use std::error::Error as _;

use url::Url;

use super::redirect::RedirectRefused;

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

pub(super) fn map_error(url: &Url, err: reqwest::Error) -> FetchError {
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
pub(super) fn is_cut_message(lower: &str) -> bool {
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
pub(super) fn is_tls_message(lower: &str) -> bool {
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
pub(super) fn error_chain(err: &reqwest::Error) -> String {
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
